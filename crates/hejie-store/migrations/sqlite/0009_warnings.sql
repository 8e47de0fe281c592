-- Early warnings (预警研判). `warnings` holds one row per subject (a dedupe key such as
-- `spike:{division}:{type}:{week start}`, `party:{hash}:{month}` or `case:{case id}`), so that
-- scanning again never adds a second warning for the same thing. Its level, status and outcome
-- are current state; every change of them is also an action row in `warning_actions`, written in
-- the same transaction, and those rows are never updated or deleted.

CREATE TABLE warnings (
    id           INTEGER PRIMARY KEY,
    subject_key  TEXT    NOT NULL UNIQUE,
    kind         TEXT    NOT NULL CHECK (kind IN ('spike', 'party', 'case')),
    level        TEXT    NOT NULL CHECK (level IN ('red', 'orange', 'yellow')),
    division     TEXT    NOT NULL,
    dispute_type TEXT,
    case_id      TEXT,
    title        TEXT    NOT NULL,
    detail       TEXT    NOT NULL,
    raised_at    INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL,
    status       TEXT    NOT NULL DEFAULT 'open'
                 CHECK (status IN ('open', 'acknowledged', 'acted', 'closed')),
    outcome      TEXT    CHECK (outcome IN ('confirmed', 'false_alarm'))
);

CREATE INDEX warnings_area ON warnings (division, raised_at);

CREATE TABLE warning_actions (
    warning_id INTEGER NOT NULL REFERENCES warnings (id),
    seq        INTEGER NOT NULL,
    action     TEXT    NOT NULL
               CHECK (action IN ('raised', 'acknowledged', 'acted', 'outcome', 'escalated')),
    level      TEXT,
    actor_id   TEXT    NOT NULL,
    actor_name TEXT    NOT NULL,
    at         INTEGER NOT NULL,
    note       TEXT    NOT NULL DEFAULT '',
    outcome    TEXT,
    PRIMARY KEY (warning_id, seq)
);

CREATE TRIGGER warning_actions_no_update BEFORE UPDATE ON warning_actions
BEGIN
    SELECT RAISE(ABORT, 'warning_actions are append-only');
END;

CREATE TRIGGER warning_actions_no_delete BEFORE DELETE ON warning_actions
BEGIN
    SELECT RAISE(ABORT, 'warning_actions are append-only');
END;
