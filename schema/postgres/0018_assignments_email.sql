-- 0018: the email index carries the snapshot and the employee number.
--
-- The quality report lists the emails keying completions that more than
-- one person holds in the snapshot that makes their owner (a team
-- mailbox). That asks, for each such email, whether its owner's snapshot
-- holds it under another employee number: with the index on the email
-- alone each question read every holding of the email in every snapshot
-- (two hundred thousand emails over twelve monthly snapshots of a national
-- workforce: 10 s); on (email, snapshot_id, employee_number) it is one
-- look at the index. Lookups by email alone use it as they used the old.
DROP INDEX assignments_email;
CREATE INDEX assignments_email ON assignments (email, snapshot_id, employee_number);
