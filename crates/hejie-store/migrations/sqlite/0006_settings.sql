-- The history of settings administrators change (routing rules, the time-limit policy and the
-- working calendar): who, when and the full text, appended in the same transaction as the new
-- text is put in force in `models`. Rows are never updated or deleted.
CREATE TABLE setting_changes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    body TEXT NOT NULL,
    digest TEXT NOT NULL,
    changed_by TEXT NOT NULL,
    changed_by_name TEXT NOT NULL,
    changed_at INTEGER NOT NULL
);
CREATE INDEX setting_changes_by_name ON setting_changes (name, id);
