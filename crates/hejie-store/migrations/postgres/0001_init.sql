-- The initial schema on PostgreSQL. Identifiers and codes are TEXT, times are BIGINT microseconds,
-- the same shapes as on SQLite so both backends share their queries and hash the same bytes.

CREATE TABLE divisions (
    code        TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    level       TEXT NOT NULL,
    parent      TEXT REFERENCES divisions (code),
    population  BIGINT NOT NULL
);

CREATE TABLE organisations (
    id        TEXT PRIMARY KEY,
    name      TEXT NOT NULL,
    division  TEXT NOT NULL REFERENCES divisions (code),
    kind      TEXT NOT NULL
);

CREATE TABLE users (
    id            TEXT PRIMARY KEY,
    username      TEXT NOT NULL UNIQUE,
    name          TEXT NOT NULL,
    role          TEXT NOT NULL,
    jurisdiction  TEXT NOT NULL,
    organisation  TEXT REFERENCES organisations (id)
);

-- Case-number counters, one row per `county-prefix-year` series.
CREATE TABLE case_series (
    series  TEXT PRIMARY KEY,
    next    BIGINT NOT NULL
);

-- The legal record: append-only, hash-chained per case.
CREATE TABLE events (
    seq          BIGSERIAL PRIMARY KEY,
    case_id      TEXT NOT NULL,
    version      BIGINT NOT NULL,
    kind         TEXT NOT NULL,
    occurred_at  BIGINT NOT NULL,
    actor_id     TEXT NOT NULL,
    division     TEXT NOT NULL,
    recorded_at  BIGINT NOT NULL,
    meta         TEXT NOT NULL,
    body         TEXT NOT NULL,
    prev_hash    TEXT NOT NULL,
    hash         TEXT NOT NULL,
    UNIQUE (case_id, version)
);

CREATE FUNCTION hejie_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only', TG_TABLE_NAME;
END;
$$;

CREATE TRIGGER events_append_only BEFORE UPDATE OR DELETE ON events
    FOR EACH ROW EXECUTE FUNCTION hejie_append_only();

CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON events
    FOR EACH STATEMENT EXECUTE FUNCTION hejie_append_only();

-- Current state of each case, written in the same transaction as its events.
CREATE TABLE cases (
    id               TEXT PRIMARY KEY,
    number           TEXT NOT NULL UNIQUE,
    status           TEXT NOT NULL,
    channel          TEXT NOT NULL,
    dispute_type     TEXT,
    severity         TEXT,
    track            TEXT,
    division         TEXT NOT NULL,
    grid             TEXT,
    holder_org       TEXT,
    holder_org_name  TEXT,
    holder_person    TEXT,
    description      TEXT NOT NULL,
    amount_fen       BIGINT,
    head_count       BIGINT,
    party_names      TEXT NOT NULL,
    outcome          TEXT,
    sessions         BIGINT NOT NULL,
    follow_ups       BIGINT NOT NULL,
    satisfaction     TEXT,
    registered_at    BIGINT NOT NULL,
    updated_at       BIGINT NOT NULL,
    closed_at        BIGINT,
    version          BIGINT NOT NULL,
    head_hash        TEXT NOT NULL
);

CREATE INDEX cases_division ON cases (division);
CREATE INDEX cases_status ON cases (status);
CREATE INDEX cases_holder ON cases (holder_org);
CREATE INDEX cases_registered ON cases (registered_at, id);

-- Parties of each case: ciphertext, keyed hash and masked form only; never plain values.
CREATE TABLE case_parties (
    case_id       TEXT NOT NULL REFERENCES cases (id),
    idx           BIGINT NOT NULL,
    kind          TEXT NOT NULL,
    role          TEXT NOT NULL,
    name          TEXT NOT NULL,
    id_cipher     TEXT,
    id_hash       TEXT,
    id_masked     TEXT,
    phone_cipher  TEXT,
    phone_hash    TEXT,
    phone_masked  TEXT,
    PRIMARY KEY (case_id, idx)
);

CREATE INDEX case_parties_id_hash ON case_parties (id_hash);
CREATE INDEX case_parties_phone_hash ON case_parties (phone_hash);

CREATE TABLE checkpoints (
    id          BIGINT PRIMARY KEY,
    created_at  BIGINT NOT NULL,
    max_seq     BIGINT NOT NULL,
    events      BIGINT NOT NULL,
    heads       BIGINT NOT NULL,
    prev_hash   TEXT NOT NULL,
    hash        TEXT NOT NULL
);

CREATE TABLE checkpoint_heads (
    checkpoint_id  BIGINT NOT NULL REFERENCES checkpoints (id),
    case_id        TEXT NOT NULL,
    version        BIGINT NOT NULL,
    hash           TEXT NOT NULL,
    PRIMARY KEY (checkpoint_id, case_id)
);

CREATE TRIGGER checkpoints_append_only BEFORE UPDATE OR DELETE ON checkpoints
    FOR EACH ROW EXECUTE FUNCTION hejie_append_only();
