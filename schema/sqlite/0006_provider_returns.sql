-- 0006: commissioner mode: providers' quarterly returns as collated.
--
-- provider_returns holds every return accepted from a provider for a
-- quarter, the current one and each it replaced: a corrected resubmission
-- is a new row, and the row it replaces gets replaced_at and replaced_by.
-- At most one row per (provider_code, quarter) is current (replaced_at IS
-- NULL). The figures are the file's TOTAL row; table_csv is the whole
-- table as read, normalised to the return's CSV, so that what was accepted
-- can be shown again exactly.
--
-- provider_rejections holds the files refused, with the first problem's
-- row, column and reason, and every problem in detail. They are never used
-- for figures.

CREATE TABLE provider_returns (
    id                     INTEGER PRIMARY KEY,
    provider_code          TEXT    NOT NULL,            -- upper case
    provider_name          TEXT    NOT NULL DEFAULT '', -- as the file gives it
    quarter                TEXT    NOT NULL,            -- canonical, '2026-27Q2'
    file_name              TEXT    NOT NULL,
    file_sha256            TEXT    NOT NULL,
    format                 TEXT    NOT NULL,            -- 'csv', 'xlsx' or 'template'
    received_at            TEXT    NOT NULL,
    collated_at            TEXT    NOT NULL,
    organisations          INTEGER NOT NULL,
    headcount              INTEGER NOT NULL,
    basic_required         INTEGER NOT NULL,
    basic_compliant        INTEGER NOT NULL,
    level3_required        INTEGER NOT NULL,
    level3_compliant       INTEGER NOT NULL,
    face_to_face_required  INTEGER NOT NULL,
    face_to_face_compliant INTEGER NOT NULL,
    all_compliant          INTEGER NOT NULL,
    table_csv              TEXT    NOT NULL,
    replaced_at            TEXT,                        -- NULL while current
    replaced_by            INTEGER REFERENCES provider_returns (id),
    UNIQUE (provider_code, quarter, file_sha256)
);
CREATE UNIQUE INDEX provider_returns_current ON provider_returns (provider_code, quarter) WHERE replaced_at IS NULL;
CREATE INDEX provider_returns_quarter ON provider_returns (quarter);

CREATE TABLE provider_rejections (
    id            INTEGER PRIMARY KEY,
    file_name     TEXT    NOT NULL,
    file_sha256   TEXT    NOT NULL,
    provider_code TEXT    NOT NULL DEFAULT '', -- when the file names one
    quarter       TEXT    NOT NULL DEFAULT '', -- the file's, else the one collated
    received_at   TEXT    NOT NULL,
    collated_at   TEXT    NOT NULL,
    row_no        INTEGER NOT NULL DEFAULT 0,  -- of the first problem; 0 for the whole file
    column_name   TEXT    NOT NULL DEFAULT '',
    reason        TEXT    NOT NULL,
    detail        TEXT    NOT NULL DEFAULT '', -- every problem, one a line
    UNIQUE (file_sha256, quarter, reason)
);
CREATE INDEX provider_rejections_quarter ON provider_rejections (quarter);
