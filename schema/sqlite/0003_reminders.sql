-- 0003: reminder notices, so that nobody is mailed twice about one lapse.
--
-- One row per person on a reminder to one recipient: (recipient,
-- employee_number, due_key, point) is held at most once, ever. due_key is
-- the due date the reminder was about ('YYYY-MM-DD'), or 'never' for
-- someone with no qualifying completion; a renewed completion gives a new
-- due date and so a new key. point is 'lead', 'manager', or for a member of
-- staff themself 'before-90', 'before-30', ..., 'expired' or 'never'.
--
-- A run records the notices it owes in one transaction, ON CONFLICT DO
-- NOTHING, each message's rows tagged with a fresh delivery_key, and in the
-- same transaction queues that message's delivery (deliveries, kind
-- 'reminder', dkey = delivery_key). The rows it inserted are the people of
-- the message; whatever another run (or an earlier one) holds is not
-- mailed again. A message not yet sent is rebuilt from its rows and
-- retried. delivery_key is '' for a staff reminder point passed without a
-- message (first seen at 5 days: the 90- and 30-day points are passed).

CREATE TABLE reminder_notices (
    id              INTEGER PRIMARY KEY,
    recipient       TEXT NOT NULL,              -- lower case
    employee_number TEXT NOT NULL,
    due_key         TEXT NOT NULL,              -- 'YYYY-MM-DD' or 'never'
    point           TEXT NOT NULL,              -- 'lead', 'manager', 'before-N', 'expired', 'never'
    delivery_key    TEXT NOT NULL DEFAULT '',   -- deliveries.dkey of the message; '' when passed
    as_of           TEXT NOT NULL,              -- the as-of date the message describes
    created_at      TEXT NOT NULL,
    UNIQUE (recipient, employee_number, due_key, point)
);
CREATE INDEX reminder_notices_delivery ON reminder_notices (delivery_key);

-- Finding the reminders not yet delivered reads only the unsent deliveries.
CREATE INDEX deliveries_kind_status ON deliveries (kind, status);
