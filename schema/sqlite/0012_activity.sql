-- 0012: Prevent activity besides training: the referral log, partnership
-- meetings and the Prevent lead's history.
--
-- A referral is kept by a SHA-256 of its case reference (trimmed, upper
-- case), never the reference itself: the reference only serves to recognise
-- a case imported again, whose latest row then replaces the one held. No
-- name, NHS number or date of birth is ever stored (such a log is refused).
CREATE TABLE referrals (
    reference_key TEXT    PRIMARY KEY,          -- sha256 of the case reference
    raised_on     TEXT    NOT NULL,             -- 'YYYY-MM-DD'
    subject       TEXT    NOT NULL CHECK (subject IN ('patient', 'staff', 'other')),
    service       TEXT    NOT NULL DEFAULT '',
    outcome       TEXT    NOT NULL CHECK (outcome IN ('concern', 'referred', 'discussed', 'adopted')),
    import_id     INTEGER NOT NULL REFERENCES imports (id),
    source_row    INTEGER NOT NULL
);
CREATE INDEX referrals_raised ON referrals (raised_on);

-- One row per forum meeting, keyed by its day and forum (trimmed, spaces
-- collapsed, lower case); a repeat takes the last row imported.
CREATE TABLE meetings (
    met_on     TEXT    NOT NULL,
    forum_key  TEXT    NOT NULL,
    forum      TEXT    NOT NULL,
    attended   INTEGER NOT NULL DEFAULT 0,
    import_id  INTEGER NOT NULL REFERENCES imports (id),
    source_row INTEGER NOT NULL,
    PRIMARY KEY (met_on, forum_key)
);

-- Every Prevent lead the config has named, in the order first seen. The
-- first is recorded without a notice; each later row is a change of lead
-- that the commissioners are told of (deliveries kind 'lead-change', key
-- the row's id).
CREATE TABLE prevent_leads (
    id          INTEGER PRIMARY KEY,
    name        TEXT    NOT NULL DEFAULT '',
    email       TEXT    NOT NULL DEFAULT '',
    phone       TEXT    NOT NULL DEFAULT '',
    seen_on     TEXT    NOT NULL,               -- the day the lead was first seen
    recorded_at TEXT    NOT NULL,
    is_change   INTEGER NOT NULL DEFAULT 0      -- 0 for the first lead ever seen
);

-- Commissioner mode: each provider's referrals section as collated (the
-- referrals CSV, or the Referrals sheet of its XLSX return), per provider
-- and quarter; a file received later replaces it. Counts are kept as the
-- provider wrote them: "*" where it withheld a small number.
CREATE TABLE provider_referrals (
    provider_code       TEXT NOT NULL,              -- upper case
    quarter             TEXT NOT NULL,
    file_name           TEXT NOT NULL,
    file_sha256         TEXT NOT NULL,
    received_at         TEXT NOT NULL,
    collated_at         TEXT NOT NULL,
    record_csv          TEXT NOT NULL,              -- the section's row, as read
    referred_to_prevent TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (provider_code, quarter)
);
