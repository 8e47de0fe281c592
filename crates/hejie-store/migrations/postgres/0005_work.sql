-- The closed loop's durable machinery: clocks in the projection, scheduled jobs, the notification
-- outbox and periodic sweeps. Existing cases get their clocks backfilled by the migration code,
-- which replays their events (SQL alone cannot fold them).

ALTER TABLE cases ADD COLUMN clocks TEXT NOT NULL DEFAULT '{}';
ALTER TABLE cases ADD COLUMN overdue_since BIGINT;
ALTER TABLE cases ADD COLUMN follow_up_due BIGINT;

CREATE INDEX cases_overdue ON cases (overdue_since);
CREATE INDEX cases_holder_status ON cases (holder_org, status);
CREATE INDEX cases_follow_up_due ON cases (follow_up_due);

-- Jobs are identified by key; scheduling a key again moves the job. A claim leases a job with a
-- fresh token until `lease_until`; only the token's holder may complete or fail it.
CREATE TABLE jobs (
    id           BIGSERIAL PRIMARY KEY,
    key          TEXT NOT NULL UNIQUE,
    kind         TEXT NOT NULL,
    due_at       BIGINT NOT NULL,
    payload      TEXT NOT NULL,
    status       TEXT NOT NULL,
    attempts     BIGINT NOT NULL DEFAULT 0,
    lease_token  TEXT,
    lease_until  BIGINT,
    last_error   TEXT,
    created_at   BIGINT NOT NULL,
    done_at      BIGINT
);

-- With `id` last, the claim order (due_at, id) comes straight from the index, so a claim reads
-- only the rows it takes, however many jobs are due.
CREATE INDEX jobs_status_due ON jobs (status, due_at, id);

-- The outbox: in-app notifications are delivered when written; SMS and e-mail wait for a sender,
-- which claims them like jobs.
CREATE TABLE notifications (
    id               BIGSERIAL PRIMARY KEY,
    recipient        TEXT NOT NULL,
    channel          TEXT NOT NULL,
    title            TEXT NOT NULL,
    body             TEXT NOT NULL,
    case_id          TEXT,
    dedupe           TEXT UNIQUE,
    created_at       BIGINT NOT NULL,
    read_at          BIGINT,
    status           TEXT NOT NULL,
    attempts         BIGINT NOT NULL DEFAULT 0,
    next_attempt_at  BIGINT,
    lease_token      TEXT,
    lease_until      BIGINT,
    last_error       TEXT,
    sent_at          BIGINT
);

CREATE INDEX notifications_recipient ON notifications (recipient, id);
CREATE INDEX notifications_status_next ON notifications (status, next_attempt_at, id);
CREATE INDEX notifications_case ON notifications (case_id);

-- Periodic sweeps (排查), one per division and period.
CREATE TABLE sweeps (
    id                 TEXT PRIMARY KEY,
    division           TEXT NOT NULL,
    organisation       TEXT,
    period_start       BIGINT NOT NULL,
    due_at             BIGINT NOT NULL,
    completed_by       TEXT,
    completed_by_name  TEXT,
    completed_at       BIGINT,
    findings           TEXT,
    cases              TEXT,
    UNIQUE (division, period_start)
);

CREATE INDEX sweeps_due ON sweeps (due_at, division);
