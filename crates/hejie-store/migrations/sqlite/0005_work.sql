-- The closed loop's durable machinery: clocks in the projection, scheduled jobs, the notification
-- outbox and periodic sweeps. Existing cases get their clocks backfilled by the migration code,
-- which replays their events (SQL alone cannot fold them).

ALTER TABLE cases ADD COLUMN clocks TEXT NOT NULL DEFAULT '{}';
ALTER TABLE cases ADD COLUMN overdue_since INTEGER;
ALTER TABLE cases ADD COLUMN follow_up_due INTEGER;

CREATE INDEX cases_overdue ON cases (overdue_since);
CREATE INDEX cases_holder_status ON cases (holder_org, status);
CREATE INDEX cases_follow_up_due ON cases (follow_up_due);

-- Jobs are identified by key; scheduling a key again moves the job. A claim leases a job with a
-- fresh token until `lease_until`; only the token's holder may complete or fail it.
CREATE TABLE jobs (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    key          TEXT NOT NULL UNIQUE,
    kind         TEXT NOT NULL,
    due_at       INTEGER NOT NULL,
    payload      TEXT NOT NULL,
    status       TEXT NOT NULL,
    attempts     INTEGER NOT NULL DEFAULT 0,
    lease_token  TEXT,
    lease_until  INTEGER,
    last_error   TEXT,
    created_at   INTEGER NOT NULL,
    done_at      INTEGER
);

-- With `id` last, the claim order (due_at, id) comes straight from the index, so a claim reads
-- only the rows it takes, however many jobs are due.
CREATE INDEX jobs_status_due ON jobs (status, due_at, id);

-- The outbox: in-app notifications are delivered when written; SMS and e-mail wait for a sender,
-- which claims them like jobs.
CREATE TABLE notifications (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    recipient        TEXT NOT NULL,
    channel          TEXT NOT NULL,
    title            TEXT NOT NULL,
    body             TEXT NOT NULL,
    case_id          TEXT,
    dedupe           TEXT UNIQUE,
    created_at       INTEGER NOT NULL,
    read_at          INTEGER,
    status           TEXT NOT NULL,
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  INTEGER,
    lease_token      TEXT,
    lease_until      INTEGER,
    last_error       TEXT,
    sent_at          INTEGER
);

CREATE INDEX notifications_recipient ON notifications (recipient, id);
CREATE INDEX notifications_status_next ON notifications (status, next_attempt_at, id);
CREATE INDEX notifications_case ON notifications (case_id);

-- Periodic sweeps (排查), one per division and period.
CREATE TABLE sweeps (
    id                 TEXT PRIMARY KEY,
    division           TEXT NOT NULL,
    organisation       TEXT,
    period_start       INTEGER NOT NULL,
    due_at             INTEGER NOT NULL,
    completed_by       TEXT,
    completed_by_name  TEXT,
    completed_at       INTEGER,
    findings           TEXT,
    cases              TEXT,
    UNIQUE (division, period_start)
);

CREATE INDEX sweeps_due ON sweeps (due_at, division);
