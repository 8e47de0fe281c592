-- The initial schema on SQLite. Identifiers and codes are TEXT, times are INTEGER microseconds.

CREATE TABLE divisions (
    code        TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    level       TEXT NOT NULL,
    parent      TEXT REFERENCES divisions (code),
    population  INTEGER NOT NULL
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
    next    INTEGER NOT NULL
);

-- The legal record: append-only, hash-chained per case.
CREATE TABLE events (
    seq          INTEGER PRIMARY KEY AUTOINCREMENT,
    case_id      TEXT NOT NULL,
    version      INTEGER NOT NULL,
    kind         TEXT NOT NULL,
    occurred_at  INTEGER NOT NULL,
    actor_id     TEXT NOT NULL,
    division     TEXT NOT NULL,
    recorded_at  INTEGER NOT NULL,
    meta         TEXT NOT NULL,
    body         TEXT NOT NULL,
    prev_hash    TEXT NOT NULL,
    hash         TEXT NOT NULL,
    UNIQUE (case_id, version)
);

CREATE TRIGGER events_no_update BEFORE UPDATE ON events
BEGIN
    SELECT RAISE(ABORT, 'events are append-only');
END;

CREATE TRIGGER events_no_delete BEFORE DELETE ON events
BEGIN
    SELECT RAISE(ABORT, 'events are append-only');
END;

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
    amount_fen       INTEGER,
    head_count       INTEGER,
    party_names      TEXT NOT NULL,
    outcome          TEXT,
    sessions         INTEGER NOT NULL,
    follow_ups       INTEGER NOT NULL,
    satisfaction     TEXT,
    registered_at    INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL,
    closed_at        INTEGER,
    version          INTEGER NOT NULL,
    head_hash        TEXT NOT NULL
);

CREATE INDEX cases_division ON cases (division);
CREATE INDEX cases_status ON cases (status);
CREATE INDEX cases_holder ON cases (holder_org);
CREATE INDEX cases_registered ON cases (registered_at, id);

-- Parties of each case: ciphertext, keyed hash and masked form only; never plain values.
CREATE TABLE case_parties (
    case_id       TEXT NOT NULL REFERENCES cases (id),
    idx           INTEGER NOT NULL,
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
    id          INTEGER PRIMARY KEY,
    created_at  INTEGER NOT NULL,
    max_seq     INTEGER NOT NULL,
    events      INTEGER NOT NULL,
    heads       INTEGER NOT NULL,
    prev_hash   TEXT NOT NULL,
    hash        TEXT NOT NULL
);

CREATE TABLE checkpoint_heads (
    checkpoint_id  INTEGER NOT NULL REFERENCES checkpoints (id),
    case_id        TEXT NOT NULL,
    version        INTEGER NOT NULL,
    hash           TEXT NOT NULL,
    PRIMARY KEY (checkpoint_id, case_id)
);

CREATE TRIGGER checkpoints_no_update BEFORE UPDATE ON checkpoints
BEGIN
    SELECT RAISE(ABORT, 'checkpoints are append-only');
END;

CREATE TRIGGER checkpoints_no_delete BEFORE DELETE ON checkpoints
BEGIN
    SELECT RAISE(ABORT, 'checkpoints are append-only');
END;
