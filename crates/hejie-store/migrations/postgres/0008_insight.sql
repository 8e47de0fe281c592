-- The indicators' storage (ADR 0010). `agg_cells` holds metric sums per division, CST day
-- (days since 1970-01-01), dispute type ('' while untyped) and metric, at every level: a case's
-- contributions are added to its village and to each ancestor, so an area reads its own rows by
-- primary key and its children's rows by `parent`. `agg_case_cells` holds each case's current
-- contributions (the cases behind a figure, and the state an append's delta starts from).
-- Existing cases are folded into both tables by the migration code (a rebuild), because SQL alone
-- cannot read the event log.

CREATE TABLE agg_cells (
    division     TEXT    NOT NULL,
    parent       TEXT    NOT NULL DEFAULT '',
    day          BIGINT  NOT NULL,
    dispute_type TEXT    NOT NULL DEFAULT '',
    metric       TEXT    NOT NULL,
    value        BIGINT  NOT NULL,
    PRIMARY KEY (division, day, dispute_type, metric)
);

CREATE INDEX agg_cells_parent ON agg_cells (parent, day);

CREATE TABLE agg_case_cells (
    case_id      TEXT    NOT NULL,
    metric       TEXT    NOT NULL,
    day          BIGINT  NOT NULL,
    division     TEXT    NOT NULL,
    dispute_type TEXT    NOT NULL DEFAULT '',
    value        BIGINT  NOT NULL,
    PRIMARY KEY (case_id, metric, day)
);

-- Serves the drill-down `metric = ? AND day BETWEEN ? AND ? AND division LIKE 'prefix%'`, newest
-- day first: the range is read backwards in index order and the area is checked in the index.
CREATE INDEX agg_case_cells_drill ON agg_case_cells (metric, day, division, case_id);

CREATE TABLE population (
    division   TEXT    NOT NULL,
    year       BIGINT  NOT NULL,
    population BIGINT  NOT NULL,
    PRIMARY KEY (division, year)
);

-- First-instance civil and commercial filings as the court reports them; `month` is `YYYY-MM`.
CREATE TABLE litigation (
    division TEXT    NOT NULL,
    month    TEXT    NOT NULL,
    filings  BIGINT  NOT NULL,
    PRIMARY KEY (division, month)
);
