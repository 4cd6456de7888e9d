-- 0001: imports, staff snapshots, completions and rejected rows.
--
-- Calendar days are TEXT 'YYYY-MM-DD' and instants are TEXT
-- 'YYYY-MM-DDTHH:MM:SS.ffffffZ' (UTC, fixed width), so that comparing and
-- sorting the text compares the dates. They are declared TEXT, not DATE, so
-- the driver hands them back as the strings they are.

CREATE TABLE schema_migrations (
    version    INTEGER PRIMARY KEY,
    applied_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);

-- One row per file imported, kept for the log and to recognise the same
-- content imported again (sha256).
CREATE TABLE imports (
    id             INTEGER PRIMARY KEY,
    kind           TEXT    NOT NULL CHECK (kind IN ('staff', 'completions')),
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

-- The workforce on an effective date. A second extract for the same date
-- replaces the first (a corrected extract).
CREATE TABLE snapshots (
    id             INTEGER PRIMARY KEY,
    import_id      INTEGER NOT NULL REFERENCES imports (id),
    effective_date TEXT    NOT NULL UNIQUE
);

-- One row per assignment in a snapshot, in file order (row_no).
CREATE TABLE assignments (
    id                  INTEGER PRIMARY KEY,
    snapshot_id         INTEGER NOT NULL REFERENCES snapshots (id) ON DELETE CASCADE,
    row_no              INTEGER NOT NULL,
    employee_number     TEXT    NOT NULL,
    assignment_number   TEXT    NOT NULL DEFAULT '',
    name                TEXT    NOT NULL DEFAULT '',
    organisation        TEXT    NOT NULL DEFAULT '',
    staff_group         TEXT    NOT NULL DEFAULT '',
    occupation_code     TEXT    NOT NULL DEFAULT '',
    job_role            TEXT    NOT NULL DEFAULT '',
    position_title      TEXT    NOT NULL DEFAULT '',
    assignment_category TEXT    NOT NULL DEFAULT '',
    assignment_status   TEXT    NOT NULL DEFAULT '',
    is_primary          INTEGER NOT NULL DEFAULT 0,
    email               TEXT    NOT NULL DEFAULT '', -- lower case
    manager_email       TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX assignments_snapshot_employee ON assignments (snapshot_id, employee_number);
CREATE INDEX assignments_employee ON assignments (employee_number);
CREATE INDEX assignments_email ON assignments (email);

-- Cumulative training history. A completion names its person by employee
-- number, or by email when the number is blank. email_key is the email only
-- for completions keyed by email ('' otherwise), so that the same employee,
-- course and day count once whether or not a file also carried an email.
CREATE TABLE completions (
    id              INTEGER PRIMARY KEY,
    import_id       INTEGER NOT NULL REFERENCES imports (id),
    source_row      INTEGER NOT NULL,
    employee_number TEXT    NOT NULL DEFAULT '',
    email           TEXT    NOT NULL DEFAULT '', -- lower case, as given
    email_key       TEXT    NOT NULL DEFAULT '',
    course          TEXT    NOT NULL,            -- as written
    course_key      TEXT    NOT NULL,            -- trimmed, spaces collapsed, lower case
    completed_on    TEXT    NOT NULL,
    UNIQUE (employee_number, email_key, course_key, completed_on)
);

-- Rows an import skipped, with the reason, for the data-quality report.
CREATE TABLE row_errors (
    id          INTEGER PRIMARY KEY,
    import_id   INTEGER NOT NULL REFERENCES imports (id) ON DELETE CASCADE,
    row_no      INTEGER NOT NULL,
    column_name TEXT    NOT NULL DEFAULT '',
    value       TEXT    NOT NULL DEFAULT '',
    reason      TEXT    NOT NULL
);
CREATE INDEX row_errors_import ON row_errors (import_id);
