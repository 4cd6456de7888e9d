-- 0004: the runs of the jobs `prevent serve` schedules.
--
-- One row per run of a job ('import', 'reminders', 'return'). A run is
-- written when it starts, with outcome NULL, and completed when it ends. A
-- row still NULL belongs to a process that died mid-run; the next scheduler
-- to become active marks it 'interrupted'. scheduled_for is the cron slot
-- the run covers: a run caught up after the machine was off covers only
-- the most recent missed slot.

CREATE TABLE job_runs (
    id            INTEGER PRIMARY KEY,
    job           TEXT NOT NULL,
    scheduled_for TEXT NOT NULL,
    started_at    TEXT NOT NULL,
    ended_at      TEXT,                             -- NULL while running
    outcome       TEXT CHECK (outcome IN ('ok', 'failed', 'interrupted')), -- NULL while running
    error         TEXT NOT NULL DEFAULT '',
    summary       TEXT NOT NULL DEFAULT '',         -- counts only: never a name or an email
    runner        TEXT NOT NULL DEFAULT ''          -- the process: 'pid 4242 on HOST'
);

CREATE INDEX job_runs_job_started ON job_runs (job, started_at);
