-- 0007: the audit trail: who did what, and when. Imports, config changes
-- seen at start, returns sent and resent, purges. Details hold counts and
-- file names, never staff names or emails.

CREATE TABLE audit (
    id     INTEGER PRIMARY KEY,
    at     TEXT NOT NULL,               -- instant, UTC
    who    TEXT NOT NULL DEFAULT '',    -- the OS user
    action TEXT NOT NULL,               -- 'import', 'config', 'return-sent', 'return-resent', 'purge', ...
    detail TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audit_action ON audit (action, id);
