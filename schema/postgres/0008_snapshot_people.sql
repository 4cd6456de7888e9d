-- 0008: each staff snapshot's head count, kept with it.
--
-- Reports size their tables from it before the first row arrives; working
-- it out on every report (a distinct count over the snapshot's assignments)
-- cost half a second before anything else could start on a national
-- snapshot of millions of rows. An import sets it at commit.
ALTER TABLE snapshots ADD COLUMN people INTEGER;

UPDATE snapshots SET people = (
    SELECT COUNT(DISTINCT a.employee_number) FROM assignments a WHERE a.snapshot_id = snapshots.id);
