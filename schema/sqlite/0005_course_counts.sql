-- 0005: what keeps large extracts fast.
--
-- An import given the config's course rules stores only completions of
-- courses that map to a Prevent level; of every other course it keeps the
-- number of rows here, so that `prevent quality` can still list course
-- names that map to nothing. A course counted here was not stored: if a
-- rule later maps it, importing the same file again stores those rows.
CREATE TABLE course_counts (
    import_id  INTEGER NOT NULL REFERENCES imports (id) ON DELETE CASCADE,
    course     TEXT    NOT NULL,   -- as written, trimmed
    course_key TEXT    NOT NULL,   -- trimmed, spaces collapsed, lower case
    rows_read  INTEGER NOT NULL,
    PRIMARY KEY (import_id, course)
);

-- The distinct course names held, read by skipping through this index
-- (a handful of probes rather than a scan of every completion), so that
-- reports read only the completions of Prevent courses.
CREATE INDEX completions_course ON completions (course_key);
