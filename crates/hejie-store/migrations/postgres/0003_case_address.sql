-- The address where a dispute arose, in the projection, so intake can warn about open cases at the
-- same address. Backfilled from each case's registration event.
ALTER TABLE cases ADD COLUMN address TEXT;

UPDATE cases SET address = (
    SELECT (e.body::jsonb) -> 'location' ->> 'address'
    FROM events e WHERE e.case_id = cases.id AND e.version = 1
);

CREATE INDEX cases_address ON cases (address);
