-- 0009: the distinct course keys held, kept as completions are imported.
--
-- Reports map each distinct course to its Prevent level once, then read
-- only the completions of Prevent courses. They used to find the distinct
-- keys by skipping through an index on completions (course_key); keeping
-- them here instead spares every imported row an insert into that index,
-- about a seventh of a large import's time. A purge deletes only
-- completions superseded by a later one of the same person and course, so
-- no key here is ever left without a completion.
CREATE TABLE course_keys (
    course_key TEXT PRIMARY KEY   -- trimmed, spaces collapsed, lower case
) WITHOUT ROWID;

INSERT INTO course_keys (course_key) SELECT DISTINCT course_key FROM completions;

DROP INDEX completions_course;
