-- 0013: completion rows that are not completions yet.
--
-- LMS and ESR exports list the courses people have started or been
-- assigned beside those they finished (a blank date, "In progress", a
-- Completed flag of No). Such rows are not errors: each import counts them
-- here, for the import summary, the quality report and the imports page.
ALTER TABLE imports ADD COLUMN rows_not_completed INTEGER NOT NULL DEFAULT 0;
