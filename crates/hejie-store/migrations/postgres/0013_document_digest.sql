-- A document handed out (an agreement's PDF, a report) is checked by its bytes' digest:
-- `hejie verify-document` and the public verification page look it up here.
CREATE INDEX documents_by_digest ON documents (digest);
