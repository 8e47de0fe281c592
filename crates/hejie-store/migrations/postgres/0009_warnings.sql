-- Early warnings (预警研判). `warnings` holds one row per subject (a dedupe key such as
-- `spike:{division}:{type}:{week start}`, `party:{hash}:{month}` or `case:{case id}`), so that
-- scanning again never adds a second warning for the same thing. Its level, status and outcome
-- are current state; every change of them is also an action row in `warning_actions`, written in
-- the same transaction, and those rows are never updated or deleted.

CREATE TABLE warnings (
    id           BIGSERIAL PRIMARY KEY,
    subject_key  TEXT   NOT NULL UNIQUE,
    kind         TEXT   NOT NULL CHECK (kind IN ('spike', 'party', 'case')),
    level        TEXT   NOT NULL CHECK (level IN ('red', 'orange', 'yellow')),
    division     TEXT   NOT NULL,
    dispute_type TEXT,
    case_id      TEXT,
    title        TEXT   NOT NULL,
    detail       TEXT   NOT NULL,
    raised_at    BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL,
    status       TEXT   NOT NULL DEFAULT 'open'
                 CHECK (status IN ('open', 'acknowledged', 'acted', 'closed')),
    outcome      TEXT   CHECK (outcome IN ('confirmed', 'false_alarm'))
);

CREATE INDEX warnings_area ON warnings (division text_pattern_ops, raised_at);

CREATE TABLE warning_actions (
    warning_id BIGINT NOT NULL REFERENCES warnings (id),
    seq        BIGINT NOT NULL,
    action     TEXT   NOT NULL
               CHECK (action IN ('raised', 'acknowledged', 'acted', 'outcome', 'escalated')),
    level      TEXT,
    actor_id   TEXT   NOT NULL,
    actor_name TEXT   NOT NULL,
    at         BIGINT NOT NULL,
    note       TEXT   NOT NULL DEFAULT '',
    outcome    TEXT,
    PRIMARY KEY (warning_id, seq)
);

CREATE TRIGGER warning_actions_append_only BEFORE UPDATE OR DELETE ON warning_actions
    FOR EACH ROW EXECUTE FUNCTION hejie_append_only();

CREATE TRIGGER warning_actions_no_truncate BEFORE TRUNCATE ON warning_actions
    FOR EACH STATEMENT EXECUTE FUNCTION hejie_append_only();
