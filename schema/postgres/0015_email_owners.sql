-- 0015: the owner of each email held, kept as staff extracts are imported.
--
-- A completion keyed by email counts for the person holding that email in
-- the newest snapshot that has it (the first such row in file order). Every
-- report used to rank every holding of the emails of completions over all
-- snapshots; with monthly snapshots of a national workforce each email is
-- held a dozen times or more, and that ranking cost the database seconds a
-- report. A staff import now keeps the owner here (the store's
-- keepEmailOwners), and a snapshot replaced by a corrected extract has its
-- emails ranked again over the snapshots left. A purge changes no owner:
-- an email only purged snapshots held keeps its owner, so that no figure
-- from the cut-off date on changes.
CREATE TABLE email_owners (
    email           TEXT    PRIMARY KEY,   -- lower case, as assignments hold it
    employee_number TEXT    NOT NULL,      -- as written in the extract
    snapshot_id     BIGINT  NOT NULL,
    effective_date  DATE    NOT NULL,      -- the snapshot's, which ranks owners
    row_no          INTEGER NOT NULL,
    assignment_id   BIGINT  NOT NULL
);

CREATE INDEX email_owners_snapshot ON email_owners (snapshot_id);

INSERT INTO email_owners (email, employee_number, snapshot_id, effective_date, row_no, assignment_id)
SELECT DISTINCT ON (a.email) a.email, a.employee_number, a.snapshot_id, s.effective_date, a.row_no, a.id
FROM assignments a JOIN snapshots s ON s.id = a.snapshot_id
WHERE a.email <> ''
ORDER BY a.email, s.effective_date DESC, a.row_no, a.id;
