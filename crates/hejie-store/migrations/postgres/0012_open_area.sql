-- The dashboard's point-in-time figures (open cases of an area, and those past a running
-- deadline) read only this index: `OPEN_AND_OVERDUE` filters on status and area and sums over
-- the queue sort key, all columns of the index, so it never visits the case rows. At 1M cases
-- this took the county's count from 28 ms (a row lookup per open case) to 1.8 ms.
CREATE INDEX cases_open_area ON cases (status, division, grid, due_rank, due_key);
