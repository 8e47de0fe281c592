-- Documents the system makes and keeps (the monthly 研判预警专报 first; agreements and dossiers
-- later): the bytes, their SM3 digest, who or what made them and when. A document is never
-- changed: making it again adds a new version under the same key.
CREATE TABLE documents (
    key          TEXT    NOT NULL,
    version      BIGINT  NOT NULL,
    kind         TEXT    NOT NULL,
    division     TEXT    NOT NULL,
    period       TEXT    NOT NULL,
    title        TEXT    NOT NULL,
    content_type TEXT    NOT NULL,
    digest       TEXT    NOT NULL,
    size         BIGINT  NOT NULL,
    created_by   TEXT    NOT NULL,
    created_at   BIGINT  NOT NULL,
    body         BYTEA   NOT NULL,
    PRIMARY KEY (key, version)
);
CREATE INDEX documents_by_kind ON documents (kind, division, period);

CREATE TRIGGER documents_append_only BEFORE UPDATE OR DELETE ON documents
    FOR EACH ROW EXECUTE FUNCTION hejie_append_only();
