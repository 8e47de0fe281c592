-- The work queue's urgency order as projection columns, so that a page of a queue is read in
-- order with LIMIT/OFFSET instead of every open case being loaded and sorted in the application.
-- `due_rank` is 0 for a case whose clocks run (then `due_key` is the earliest deadline: overdue
-- cases have the earliest deadlines, so they come first), 1 while paused (`due_key` is the time
-- left, least first) and 2 without time limits. Existing rows are filled by the migration code
-- from their `clocks` column, which SQL alone cannot read.

ALTER TABLE cases ADD COLUMN due_rank INTEGER NOT NULL DEFAULT 2;
ALTER TABLE cases ADD COLUMN due_key INTEGER NOT NULL DEFAULT 0;

CREATE INDEX cases_holder_due ON cases (holder_org, due_rank, due_key, registered_at, id);
CREATE INDEX cases_due ON cases (due_rank, due_key, registered_at, id);
