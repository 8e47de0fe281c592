-- Trained models the server keeps between restarts (the intake classifier, updated online from
-- clerks' corrections), one JSON document per name.
CREATE TABLE models (
    name TEXT PRIMARY KEY,
    body TEXT NOT NULL,
    updated_at INTEGER NOT NULL
);
