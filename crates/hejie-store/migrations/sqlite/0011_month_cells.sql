-- Month cells (ADR 0010): the same sums as agg_cells, by CST calendar month (`month` is the day
-- number of the month's first day), maintained in the same transaction as the day cells. A
-- period's whole months are read from here and only its ragged edges from agg_cells, so a
-- year's dashboard of a county reads a few thousand rows whatever the number of cases. The
-- migration code fills it by a rebuild from the log.
CREATE TABLE agg_month_cells (
    division     TEXT    NOT NULL,
    parent       TEXT    NOT NULL DEFAULT '',
    month        INTEGER NOT NULL,
    dispute_type TEXT    NOT NULL DEFAULT '',
    metric       TEXT    NOT NULL,
    value        INTEGER NOT NULL,
    PRIMARY KEY (division, month, dispute_type, metric)
) WITHOUT ROWID;

CREATE INDEX agg_month_cells_parent ON agg_month_cells (parent, month);
