-- 0010: five kinds of imported file.
--
-- Besides staff extracts and completions, a trust imports exemptions,
-- referral logs and partnership-meeting logs. Every import is one row here,
-- whatever its kind, so that content offered again as another kind is
-- recognised by its sha256 and refused.
--
-- SQLite cannot change a CHECK constraint in place: the table is rebuilt
-- (the migration runs with foreign keys off and checks them before commit).
CREATE TABLE imports_new (
    id             INTEGER PRIMARY KEY,
    kind           TEXT    NOT NULL CHECK (kind IN ('staff', 'completions', 'exemptions', 'referrals', 'meetings')),
    file_name      TEXT    NOT NULL,
    sha256         TEXT    NOT NULL UNIQUE,
    effective_date TEXT,                       -- staff only
    rows_read      INTEGER NOT NULL DEFAULT 0,
    rows_imported  INTEGER NOT NULL DEFAULT 0,
    rows_duplicate INTEGER NOT NULL DEFAULT 0,
    rows_rejected  INTEGER NOT NULL DEFAULT 0,
    imported_at    TEXT    NOT NULL,
    imported_on    TEXT    NOT NULL,           -- the calendar day of the import, where it ran
    imported_by    TEXT    NOT NULL DEFAULT ''
);

INSERT INTO imports_new (id, kind, file_name, sha256, effective_date, rows_read, rows_imported,
                         rows_duplicate, rows_rejected, imported_at, imported_on, imported_by)
SELECT id, kind, file_name, sha256, effective_date, rows_read, rows_imported,
       rows_duplicate, rows_rejected, imported_at, imported_on, imported_by
FROM imports;

DROP TABLE imports;
ALTER TABLE imports_new RENAME TO imports;
