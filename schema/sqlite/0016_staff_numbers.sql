-- 0016: every employee number held in any staff snapshot, kept as staff
-- extracts are imported.
--
-- The quality report's check for completions naming nobody, each
-- completions import (which keeps such rows for that report) and each
-- exemptions import (which counts exemptions for nobody) ask who any
-- snapshot names. With monthly snapshots of a national workforce that was
-- a distinct pass over tens of millions of assignment rows for a couple of
-- million numbers, about ten seconds of the database's time each. A staff
-- import now adds its numbers here (the store's keepStaffNumbers); a
-- number stays when its snapshot is replaced or purged, for an extract
-- named that person all the same.
CREATE TABLE staff_numbers (
    employee_number TEXT PRIMARY KEY   -- as written in the extract
) WITHOUT ROWID;

INSERT INTO staff_numbers (employee_number) SELECT DISTINCT employee_number FROM assignments;
