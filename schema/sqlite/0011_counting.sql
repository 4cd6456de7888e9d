-- 0011: what counting as the trust counts needs to keep.
--
-- Each assignment keeps its start date ('YYYY-MM-DD', '' when blank) and
-- ESR's organisation hierarchy Org L2 to Org L7, so that new starters and
-- reports by directorate, division or ward can be worked out for any
-- snapshot, past ones included. The manager email is kept already.
ALTER TABLE assignments ADD COLUMN start_date TEXT NOT NULL DEFAULT '';
ALTER TABLE assignments ADD COLUMN org_l2 TEXT NOT NULL DEFAULT '';
ALTER TABLE assignments ADD COLUMN org_l3 TEXT NOT NULL DEFAULT '';
ALTER TABLE assignments ADD COLUMN org_l4 TEXT NOT NULL DEFAULT '';
ALTER TABLE assignments ADD COLUMN org_l5 TEXT NOT NULL DEFAULT '';
ALTER TABLE assignments ADD COLUMN org_l6 TEXT NOT NULL DEFAULT '';
ALTER TABLE assignments ADD COLUMN org_l7 TEXT NOT NULL DEFAULT '';

-- Periods in which a person counts in no figure (maternity leave, long-term
-- sickness, career break, secondment). Time-bounded, so any past date stays
-- reproducible. One row per person (employee_key, as compliance.EmployeeKey
-- matches numbers) and first day: a later import of the same pair replaces
-- the row, keeping the import it came from.
CREATE TABLE exemptions (
    id              INTEGER PRIMARY KEY,
    import_id       INTEGER NOT NULL REFERENCES imports (id),
    source_row      INTEGER NOT NULL,
    employee_number TEXT    NOT NULL,      -- as written
    employee_key    TEXT    NOT NULL,
    reason          TEXT    NOT NULL DEFAULT '',
    from_date       TEXT    NOT NULL,
    until_date      TEXT,                  -- NULL: open-ended
    UNIQUE (employee_key, from_date)
);
