-- Documents the system makes and keeps (the monthly 研判预警专报 first; agreements and dossiers
-- later): the bytes, their SM3 digest, who or what made them and when. A document is never
-- changed: making it again adds a new version under the same key.
CREATE TABLE documents (
    key          TEXT    NOT NULL,
    version      INTEGER NOT NULL,
    kind         TEXT    NOT NULL,
    division     TEXT    NOT NULL,
    period       TEXT    NOT NULL,
    title        TEXT    NOT NULL,
    content_type TEXT    NOT NULL,
    digest       TEXT    NOT NULL,
    size         INTEGER NOT NULL,
    created_by   TEXT    NOT NULL,
    created_at   INTEGER NOT NULL,
    body         BLOB    NOT NULL,
    PRIMARY KEY (key, version)
);
CREATE INDEX documents_by_kind ON documents (kind, division, period);

CREATE TRIGGER documents_no_update BEFORE UPDATE ON documents
BEGIN
    SELECT RAISE(ABORT, 'documents are append-only');
END;

CREATE TRIGGER documents_no_delete BEFORE DELETE ON documents
BEGIN
    SELECT RAISE(ABORT, 'documents are append-only');
END;
