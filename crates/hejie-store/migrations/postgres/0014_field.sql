-- Field work (issue 7; ADR 0013): grid and village boundaries, who is assigned where, and the
-- field log (grid workers' reports and patrols, legal advisors' visits, consultations and
-- activities), append-only and hash-chained per record like the case log.

-- The current boundary of a grid or village (GeoJSON geometry text) ...
CREATE TABLE areas (
    division    TEXT PRIMARY KEY,
    geometry    TEXT NOT NULL,
    version     BIGINT NOT NULL,
    updated_by  TEXT NOT NULL,
    updated_at  BIGINT NOT NULL
);

-- ... and every boundary it ever had, so a past check-in can be judged against the boundary of
-- its day.
CREATE TABLE area_versions (
    division    TEXT NOT NULL,
    version     BIGINT NOT NULL,
    geometry    TEXT NOT NULL,
    updated_by  TEXT NOT NULL,
    updated_at  BIGINT NOT NULL,
    PRIMARY KEY (division, version)
);

CREATE TRIGGER area_versions_no_update BEFORE UPDATE OR DELETE ON area_versions
    FOR EACH ROW EXECUTE FUNCTION hejie_append_only();

CREATE TRIGGER area_versions_no_truncate BEFORE TRUNCATE ON area_versions
    FOR EACH STATEMENT EXECUTE FUNCTION hejie_append_only();

-- Grid workers assigned to grids; legal advisors and judicial general advisors contracted to
-- villages for a period (一村/一社区一法律顾问).
CREATE TABLE assignments (
    id          TEXT PRIMARY KEY,
    kind        TEXT NOT NULL,
    division    TEXT NOT NULL,
    user_id     TEXT NOT NULL,
    starts      TEXT NOT NULL,
    ends        TEXT,
    created_by  TEXT NOT NULL,
    created_at  BIGINT NOT NULL
);

CREATE INDEX assignments_by_division ON assignments (division);
CREATE INDEX assignments_by_user ON assignments (user_id);

-- The field log: the legal record of field work.
CREATE TABLE field_events (
    seq          BIGSERIAL PRIMARY KEY,
    record_id    TEXT NOT NULL,
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
    UNIQUE (record_id, version)
);

CREATE TRIGGER field_events_no_update BEFORE UPDATE OR DELETE ON field_events
    FOR EACH ROW EXECUTE FUNCTION hejie_append_only();

CREATE TRIGGER field_events_no_truncate BEFORE TRUNCATE ON field_events
    FOR EACH STATEMENT EXECUTE FUNCTION hejie_append_only();

-- Each field record as it stands, written in the same transaction as its events.
CREATE TABLE field_records (
    id           TEXT PRIMARY KEY,
    kind         TEXT NOT NULL,
    status       TEXT NOT NULL,
    ledger       TEXT,
    category     TEXT,
    division     TEXT NOT NULL,
    actor_id     TEXT NOT NULL,
    actor_name   TEXT NOT NULL,
    occurred_at  BIGINT NOT NULL,
    ended_at     BIGINT,
    lat_e6       BIGINT,
    lon_e6       BIGINT,
    flagged      BIGINT NOT NULL,
    case_number  TEXT,
    summary      TEXT NOT NULL,
    photos       BIGINT NOT NULL,
    version      BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL
);

CREATE INDEX field_records_by_division ON field_records (division, occurred_at);
CREATE INDEX field_records_by_actor ON field_records (actor_id, occurred_at);
