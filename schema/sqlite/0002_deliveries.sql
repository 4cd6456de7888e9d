-- 0002: outgoing messages and whether each went out.
--
-- One row per message owed: the quarterly return to one commissioner, a
-- reminder to one lead, ... (kind, dkey, recipient). generation 0 is the
-- original send; each explicit resend of a corrected message adds a row
-- with the next generation, the reason and who asked. The message itself is
-- never stored, only its delivery state, so it is rebuilt from the data
-- when it is (re)sent.
--
-- A sender claims a row by moving it to 'sending' in one UPDATE whose WHERE
-- clause only a claimable row passes, so two processes never both send it.
-- A 'sending' row whose claimed_at is old belongs to a sender that died.

CREATE TABLE deliveries (
    id              INTEGER PRIMARY KEY,
    kind            TEXT    NOT NULL,                -- 'return', 'reminder', ...
    dkey            TEXT    NOT NULL,                -- what was sent: '2026-27Q2', 'employee|due|point'
    recipient       TEXT    NOT NULL,                -- lower case
    generation      INTEGER NOT NULL DEFAULT 0,      -- 0 = the original; resends count up
    status          TEXT    NOT NULL DEFAULT 'queued'
                    CHECK (status IN ('queued', 'sending', 'sent', 'failed')),
    attempts        INTEGER NOT NULL DEFAULT 0,      -- sends begun, including one that crashed
    last_error      TEXT    NOT NULL DEFAULT '',     -- of the last failed attempt
    next_attempt_at TEXT,                            -- failed: when the scheduler may retry
    claimed_at      TEXT,                            -- when the current or last attempt began
    sent_at         TEXT,
    message_id      TEXT    NOT NULL DEFAULT '',     -- the stable local part of the Message-ID
    reason          TEXT    NOT NULL DEFAULT '',     -- resends: why
    requested_by    TEXT    NOT NULL DEFAULT '',     -- resends: who asked
    created_at      TEXT    NOT NULL,
    updated_at      TEXT    NOT NULL,
    UNIQUE (kind, dkey, recipient, generation)
);
