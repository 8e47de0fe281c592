//! The indicators' storage (issue 8): aggregate cells maintained with the events, the cases
//! behind each cell for drill-down, and the reference figures indicators divide by (population,
//! litigation filings imported from the court).
//!
//! Cells are `hejie_insight::aggregate` contributions: (CST day, division, dispute type, metric)
//! → value. Each append adds `delta(facts before, facts after)` to the cells of the case's
//! division *and of every ancestor division* (village → township → county → city), in the same
//! transaction as the events, so a dashboard at any level reads a few hundred rows instead of
//! scanning cases. `rebuild_aggregates` recomputes everything from the log; the two must be equal
//! (`hejie rebuild-aggregates --verify`, and the contract tests). See
//! `docs/adr/0010-indicators-and-aggregates.md`.

use async_trait::async_trait;
use hejie_domain::division::DivisionCode;

use crate::{CaseSummary, Result};

/// How the cells of a query are grouped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CellGroup {
    /// One group: the whole area and period (`group` is empty).
    Total,
    /// By CST day (`group` = `YYYY-MM-DD`).
    Day,
    /// By CST month (`group` = `YYYY-MM`).
    Month,
    /// By dispute type (`group` = the type's code, empty for untyped cases).
    DisputeType,
    /// By the area's child divisions (`group` = the child's code). Villages have none: a case
    /// located in a grid counts in its village.
    Child,
}

/// Cells of one area and period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CellQuery {
    /// The area: a division of any level; its cells include every division below it.
    pub division: DivisionCode,
    /// First and last CST day, inclusive, as days since 1970-01-01 (CST).
    pub from_day: i64,
    pub to_day: i64,
    /// Only this dispute type (its code); `None` = all types. `Some("")` = untyped cases.
    pub dispute_type: Option<String>,
    /// Only these metrics (codes); empty = all.
    pub metrics: Vec<String>,
    pub group: CellGroup,
}

/// The sum of one metric in one group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CellRow {
    pub group: String,
    pub metric: String,
    pub value: i64,
}

/// The cases that make up one metric of an area and period (drill-down to the list).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetricCasesQuery {
    pub metric: String,
    pub division: DivisionCode,
    pub from_day: i64,
    pub to_day: i64,
    pub dispute_type: Option<String>,
    pub offset: u32,
    pub limit: u32,
}

/// One division's population in one year (for 万人成讼率 and 纠纷发生率).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Population {
    pub division: DivisionCode,
    pub year: i32,
    pub population: i64,
}

/// First-instance civil and commercial filings in one division and month, as the court reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Litigation {
    pub division: DivisionCode,
    /// `YYYY-MM`.
    pub month: String,
    pub filings: i64,
}

/// What a rebuild found and wrote.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RebuildReport {
    pub cases: u64,
    pub events: u64,
    /// Cells written (all levels).
    pub cells: u64,
    /// With `verify`: cells whose incremental value differed from the rebuilt one (as
    /// `division day type metric incremental rebuilt`), before they were replaced.
    pub differences: Vec<String>,
}

#[async_trait]
pub trait InsightStore: Send + Sync {
    /// Sums of cells, grouped.
    async fn cells(&self, q: &CellQuery) -> Result<Vec<CellRow>>;
    /// The cases behind one metric, newest first, and how many there are in all.
    async fn metric_cases(&self, q: &MetricCasesQuery) -> Result<(Vec<CaseSummary>, u64)>;
    /// Replays the whole log and replaces every cell and drill-down row with what it yields.
    /// With `verify`, first compares the stored cells with the rebuilt ones and reports every
    /// difference.
    async fn rebuild_aggregates(&self, verify: bool) -> Result<RebuildReport>;
    /// Upserts populations (by division and year).
    async fn put_population(&self, rows: &[Population]) -> Result<u64>;
    /// The population of a division in a year: its own figure, or the sum of its children's.
    async fn population(&self, division: &DivisionCode, year: i32) -> Result<Option<i64>>;
    /// Upserts litigation counts (by division and month); returns the rows written.
    async fn put_litigation(&self, rows: &[Litigation]) -> Result<u64>;
    /// Filings in a division's subtree over the months `from..=to` (`YYYY-MM`).
    async fn litigation(&self, division: &DivisionCode, from: &str, to: &str) -> Result<i64>;
    /// Open cases in a division's subtree and how many of them are past a running deadline at
    /// `now` (for 超期率, a point-in-time figure read from the projection's queue sort key).
    async fn open_and_overdue(
        &self,
        division: &DivisionCode,
        now: hejie_domain::timestamp::Timestamp,
    ) -> Result<(i64, i64)>;
    /// Closed cases by the organisation and person that held them, dispute type and outcome:
    /// the record the mediator profiles of online applications show.
    async fn handling_records(&self) -> Result<Vec<HandlingRow>>;
}

/// Closed cases of one holder organisation (and person), dispute type and outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HandlingRow {
    pub organisation: String,
    pub person: Option<String>,
    pub dispute_type: Option<String>,
    pub outcome: Option<String>,
    pub cases: i64,
}

pub const HANDLING_RECORDS: &str = "SELECT holder_org, holder_person, dispute_type, outcome, \
     COUNT(*) FROM cases WHERE status IN ('closed', 'followed_up') AND holder_org IS NOT NULL \
     GROUP BY holder_org, holder_person, dispute_type, outcome \
     ORDER BY holder_org, holder_person, dispute_type, outcome";

pub(crate) type HandlingTuple = (String, Option<String>, Option<String>, Option<String>, i64);

pub(crate) fn handling_from(t: HandlingTuple) -> HandlingRow {
    let (organisation, person, dispute_type, outcome, cases) = t;
    HandlingRow {
        organisation,
        person,
        dispute_type,
        outcome,
        cases,
    }
}

// ---------------------------------------------------------------------------------------------
// Shared by both backends: the SQL, and the cells an append or a rebuild writes.
// ---------------------------------------------------------------------------------------------

use std::collections::BTreeMap;

use hejie_domain::case::{Case, CaseState};
use hejie_domain::division::Level;
use time::Date;

use crate::StoreError;
use crate::chain::EventRow;
use crate::sql::Bind;

/// The Julian day number of 1970-01-01, the origin of stored day numbers.
const EPOCH_JULIAN_DAY: i64 = 2_440_588;

/// The stored number of a CST calendar day: days since 1970-01-01.
pub fn day_number(d: Date) -> i64 {
    i64::from(d.to_julian_day()) - EPOCH_JULIAN_DAY
}

/// The CST calendar day of a stored day number.
pub fn day_date(n: i64) -> Option<Date> {
    i32::try_from(n + EPOCH_JULIAN_DAY)
        .ok()
        .and_then(|j| Date::from_julian_day(j).ok())
}

/// The stored number of the first day of the month `day` is in: the key of its month cell.
pub fn month_of(day: i64) -> i64 {
    day_date(day)
        .and_then(|d| d.replace_day(1).ok())
        .map_or(day, day_number)
}

/// The stored number of the last day of the month starting on `first`.
fn month_end(first: i64) -> i64 {
    day_date(first)
        .and_then(|d| {
            let (y, m) = match d.month() {
                time::Month::December => (d.year() + 1, time::Month::January),
                m => (d.year(), m.next()),
            };
            Date::from_calendar_date(y, m, 1).ok()
        })
        .map_or(first, |next| day_number(next) - 1)
}

/// An inclusive range of stored day numbers.
pub type DayRange = (i64, i64);

/// Splits an inclusive day range into the whole months inside it (first days of the first and
/// last whole month) and the days outside them (at most two ranges), so that long periods read
/// month cells and only their ragged edges read day cells.
pub fn split_months(from: i64, to: i64) -> (Option<DayRange>, Vec<DayRange>) {
    if from > to {
        return (None, vec![(from, to)]);
    }
    let first_whole = if month_of(from) == from {
        from
    } else {
        month_end(month_of(from)) + 1
    };
    let last_whole = if month_end(month_of(to)) == to {
        month_of(to)
    } else {
        month_of(month_of(to) - 1)
    };
    if first_whole > last_whole || month_end(last_whole) > to {
        return (None, vec![(from, to)]);
    }
    let mut days = Vec::new();
    if from < first_whole {
        days.push((from, first_whole - 1));
    }
    let after = month_end(last_whole) + 1;
    if after <= to {
        days.push((after, to));
    }
    (Some((first_whole, last_whole)), days)
}

/// A cell: (division, day, dispute type code or '', metric code).
pub type CellKey = (String, i64, String, String);

/// What one append or registration adds to `agg_cells`, and how the case's own rows in
/// `agg_case_cells` change. Cells are in key order, so concurrent writers on PostgreSQL lock
/// shared rows in the same order and cannot deadlock on them.
#[derive(Debug, Default)]
pub struct CellPlan {
    /// Changes of `agg_cells` by cell, with each cell's parent; zero changes left out.
    pub cells: BTreeMap<CellKey, (String, i64)>,
    /// `UPSERT_CASE_CELL` binds.
    pub case_upserts: Vec<Vec<Bind>>,
    /// `DELETE_CASE_CELL` binds.
    pub case_deletes: Vec<Vec<Bind>>,
}

/// A case's current contributions as stored rows, keyed by cell. A case located in a grid has
/// its village as `location.division` (the grid is kept apart), so it counts in its village; a
/// grid code there is still folded into its village, because no level below villages has cells.
pub(crate) fn case_contributions(case: &Case) -> BTreeMap<CellKey, i64> {
    let facts = hejie_insight::CaseFacts::of(case);
    let division = cell_division(&facts.division);
    hejie_insight::contributions(&facts)
        .into_iter()
        .map(|(k, m, n)| {
            let key = (
                division.clone(),
                day_number(k.day),
                k.dispute_type
                    .map(|t| t.code().to_owned())
                    .unwrap_or_default(),
                m.code(),
            );
            (key, n)
        })
        .collect()
}

fn cell_division(d: &DivisionCode) -> String {
    match d.level() {
        Level::Grid => d
            .ancestor_at(Level::Village)
            .map_or_else(|| d.to_string(), |v| v.to_string()),
        _ => d.to_string(),
    }
}

/// The division a cell is kept at and every ancestor's, each with its parent (`''` at the top):
/// the rows one contribution is added to.
fn levels(division: &str) -> Vec<(String, String)> {
    let Ok(code) = DivisionCode::parse(division) else {
        // Codes were validated when the case was registered; an unreadable one still counts
        // where it is rather than vanishing.
        return vec![(division.to_owned(), String::new())];
    };
    let mut chain = vec![code.clone()];
    let mut level = code.level();
    while let Some(up) = level.parent() {
        if let Some(a) = code.ancestor_at(up) {
            chain.push(a);
        }
        level = up;
    }
    chain
        .iter()
        .enumerate()
        .map(|(i, d)| {
            let parent = chain
                .get(i + 1)
                .map(ToString::to_string)
                .unwrap_or_default();
            (d.to_string(), parent)
        })
        .collect()
}

/// Adds case-level changes to the cells of their division and every ancestor.
fn spread<'a>(
    out: &mut BTreeMap<CellKey, (String, i64)>,
    changes: impl IntoIterator<Item = (&'a CellKey, i64)>,
) {
    // A case's changes share one or two divisions: find their ancestors once.
    let mut chains: BTreeMap<String, Vec<(String, String)>> = BTreeMap::new();
    for (key, n) in changes {
        let chain = chains
            .entry(key.0.clone())
            .or_insert_with(|| levels(&key.0));
        for (division, parent) in chain.iter() {
            let cell = out
                .entry((division.clone(), key.1, key.2.clone(), key.3.clone()))
                .or_insert_with(|| (parent.clone(), 0));
            cell.1 += n;
        }
    }
}

fn cell_binds(key: &CellKey, parent: &str, value: i64) -> Vec<Bind> {
    vec![
        Bind::Text(key.0.clone()),
        Bind::Text(parent.to_owned()),
        Bind::Int(key.1),
        Bind::Text(key.2.clone()),
        Bind::Text(key.3.clone()),
        Bind::Int(value),
    ]
}

fn case_cell_binds(case_id: &str, key: &CellKey, value: i64) -> Vec<Bind> {
    vec![
        Bind::Text(case_id.to_owned()),
        Bind::Text(key.3.clone()),
        Bind::Int(key.1),
        Bind::Text(key.0.clone()),
        Bind::Text(key.2.clone()),
        Bind::Int(value),
    ]
}

/// Plans the cell changes of a write: `before` is the case's stored contributions (its
/// `agg_case_cells` rows, empty for a new case), `after` its state after the write.
///
/// The stored rows are exactly `contributions(facts before)`, because every write replaces
/// them with its `contributions(facts after)` in the same transaction; so
/// `after − stored` is `hejie_insight::delta(before, after)` without replaying the case's events
/// or asking callers for the earlier state.
pub(crate) fn plan_cells(case_id: &str, before: &BTreeMap<CellKey, i64>, after: &Case) -> CellPlan {
    let now = case_contributions(after);
    let mut delta: BTreeMap<CellKey, (String, i64)> = BTreeMap::new();
    spread(&mut delta, now.iter().map(|(k, n)| (k, *n)));
    spread(&mut delta, before.iter().map(|(k, n)| (k, -*n)));
    delta.retain(|_, (_, n)| *n != 0);
    let mut plan = CellPlan {
        cells: delta,
        ..CellPlan::default()
    };
    // The case's rows are keyed by (metric, day): its division and type are the same in all of
    // them, so a re-typed case updates its rows in place.
    let by_slot = |m: &BTreeMap<CellKey, i64>| -> BTreeMap<(String, i64), (CellKey, i64)> {
        m.iter()
            .map(|(k, n)| ((k.3.clone(), k.1), (k.clone(), *n)))
            .collect()
    };
    let (old, new) = (by_slot(before), by_slot(&now));
    for (slot, (k, n)) in &new {
        if old.get(slot) != Some(&(k.clone(), *n)) {
            plan.case_upserts.push(case_cell_binds(case_id, k, *n));
        }
    }
    for slot in old.keys() {
        if !new.contains_key(slot) {
            plan.case_deletes.push(vec![
                Bind::Text(case_id.to_owned()),
                Bind::Text(slot.0.clone()),
                Bind::Int(slot.1),
            ]);
        }
    }
    plan
}

/// `UPSERT_CELL` binds of cell changes, in key order.
pub(crate) fn cell_upserts(
    cells: &BTreeMap<CellKey, (String, i64)>,
) -> impl Iterator<Item = Vec<Bind>> + '_ {
    cells
        .iter()
        .filter(|(_, (_, n))| *n != 0)
        .map(|(k, (parent, n))| cell_binds(k, parent, *n))
}

/// `UPSERT_MONTH_CELL` binds of cell changes summed by month, in key order (after the day
/// cells, so that concurrent PostgreSQL writers lock month rows in the same order too).
pub(crate) fn month_upserts(cells: &BTreeMap<CellKey, (String, i64)>) -> Vec<Vec<Bind>> {
    let mut months: BTreeMap<CellKey, (String, i64)> = BTreeMap::new();
    for ((d, day, t, m), (parent, n)) in cells {
        months
            .entry((d.clone(), month_of(*day), t.clone(), m.clone()))
            .or_insert_with(|| (parent.clone(), 0))
            .1 += n;
    }
    months
        .iter()
        .filter(|(_, (_, n))| *n != 0)
        .map(|(k, (parent, n))| cell_binds(k, parent, *n))
        .collect()
}

/// Adds one write's cell changes to those of a batch.
pub(crate) fn merge_cells(
    into: &mut BTreeMap<CellKey, (String, i64)>,
    cells: BTreeMap<CellKey, (String, i64)>,
) {
    for (k, (parent, n)) in cells {
        into.entry(k).or_insert((parent, 0)).1 += n;
    }
}

/// Reads stored `agg_case_cells` rows `(division, day, dispute_type, metric, value)`.
pub(crate) fn stored_contributions(
    rows: Vec<(String, i64, String, String, i64)>,
) -> BTreeMap<CellKey, i64> {
    rows.into_iter()
        .map(|(d, day, t, m, n)| ((d, day, t, m), n))
        .collect()
}

pub const SELECT_CASE_CELLS: &str = "SELECT division, day, dispute_type, metric, value \
     FROM agg_case_cells WHERE case_id = $1";

pub const UPSERT_CASE_CELL: &str = "INSERT INTO agg_case_cells (case_id, metric, day, division, \
     dispute_type, value) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (case_id, metric, day) \
     DO UPDATE SET division = excluded.division, dispute_type = excluded.dispute_type, \
     value = excluded.value";

pub const INSERT_CASE_CELL: &str = "INSERT INTO agg_case_cells (case_id, metric, day, division, \
     dispute_type, value) VALUES ($1, $2, $3, $4, $5, $6)";

pub const DELETE_CASE_CELL: &str =
    "DELETE FROM agg_case_cells WHERE case_id = $1 AND metric = $2 AND day = $3";

pub const UPSERT_CELL: &str = "INSERT INTO agg_cells (division, parent, day, dispute_type, \
     metric, value) VALUES ($1, $2, $3, $4, $5, $6) \
     ON CONFLICT (division, day, dispute_type, metric) \
     DO UPDATE SET value = agg_cells.value + excluded.value";

pub const INSERT_CELL: &str = "INSERT INTO agg_cells (division, parent, day, dispute_type, \
     metric, value) VALUES ($1, $2, $3, $4, $5, $6)";

pub const SELECT_ALL_CELLS: &str =
    "SELECT division, day, dispute_type, metric, value FROM agg_cells";

pub const DELETE_ALL_CELLS: &str = "DELETE FROM agg_cells";

pub const UPSERT_MONTH_CELL: &str = "INSERT INTO agg_month_cells (division, parent, month, \
     dispute_type, metric, value) VALUES ($1, $2, $3, $4, $5, $6) \
     ON CONFLICT (division, month, dispute_type, metric) \
     DO UPDATE SET value = agg_month_cells.value + excluded.value";

pub const INSERT_MONTH_CELL: &str = "INSERT INTO agg_month_cells (division, parent, month, \
     dispute_type, metric, value) VALUES ($1, $2, $3, $4, $5, $6)";

pub const SELECT_ALL_MONTH_CELLS: &str =
    "SELECT division, month, dispute_type, metric, value FROM agg_month_cells";

pub const DELETE_ALL_MONTH_CELLS: &str = "DELETE FROM agg_month_cells";

pub const DELETE_ALL_CASE_CELLS: &str = "DELETE FROM agg_case_cells";

pub const UPSERT_POPULATION: &str = "INSERT INTO population (division, year, population) \
     VALUES ($1, $2, $3) ON CONFLICT (division, year) \
     DO UPDATE SET population = excluded.population";

pub const SELECT_POPULATION: &str =
    "SELECT division, population FROM population WHERE year = $1 AND division LIKE $2";

pub const UPSERT_LITIGATION: &str = "INSERT INTO litigation (division, month, filings) \
     VALUES ($1, $2, $3) ON CONFLICT (division, month) DO UPDATE SET filings = excluded.filings";

pub const SELECT_LITIGATION: &str = "SELECT division, month, filings FROM litigation \
     WHERE division LIKE $1 AND month >= $2 AND month <= $3";

/// Open cases of an area (located in it or in one of its grids) and those whose queue sort key
/// is a running deadline before `$2` (see `sql::urgency_columns`: rank 0 carries the earliest
/// deadline of the running clocks). Answered from the covering index `cases_open_area`.
pub const OPEN_AND_OVERDUE: &str = "SELECT COUNT(*), \
     COALESCE(SUM(CASE WHEN due_rank = 0 AND due_key < $2 THEN 1 ELSE 0 END), 0) FROM cases \
     WHERE status IN ('registered', 'accepted', 'assigned', 'in_progress', 'mediating') \
     AND (division LIKE $1 OR grid LIKE $1)";

/// `LIKE` pattern of a division's subtree.
pub(crate) fn subtree(d: &DivisionCode) -> Bind {
    Bind::Text(format!("{}%", d.prefix()))
}

/// Binds of the population upsert.
pub(crate) fn population_binds(p: &Population) -> Vec<Bind> {
    vec![
        Bind::Text(p.division.to_string()),
        Bind::Int(i64::from(p.year)),
        Bind::Int(p.population),
    ]
}

/// Binds of the litigation upsert; refuses a malformed month, which would never match a range.
pub(crate) fn litigation_binds(l: &Litigation) -> Result<Vec<Bind>> {
    if !valid_month(&l.month) {
        let message = format!("月份“{}”应为 YYYY-MM", l.month);
        return Err(StoreError::Domain(
            hejie_domain::ValidationError::new("month", message).into(),
        ));
    }
    Ok(vec![
        Bind::Text(l.division.to_string()),
        Bind::Text(l.month.clone()),
        Bind::Int(l.filings),
    ])
}

/// Whether `s` is a month as `YYYY-MM`.
pub fn valid_month(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 7
        && b[4] == b'-'
        && b[..4].iter().chain(&b[5..]).all(u8::is_ascii_digit)
        && matches!(s[5..].parse::<u8>(), Ok(1..=12))
}

/// A division's figure from the rows of its subtree: its own, or else the sum of its children's
/// (each again its own or its children's), so a figure imported at two levels is never counted
/// twice. `None` when nothing below it has a figure.
pub(crate) fn own_or_children(d: &DivisionCode, rows: &BTreeMap<String, i64>) -> Option<i64> {
    if let Some(n) = rows.get(d.as_str()) {
        return Some(*n);
    }
    let child = d.level().child()?;
    let mut children: Vec<DivisionCode> = rows
        .keys()
        .filter_map(|c| DivisionCode::parse(c).ok())
        .filter(|c| c.level() >= child && d.contains(c) && c != d)
        .filter_map(|c| c.ancestor_at(child))
        .collect();
    children.sort();
    children.dedup();
    let mut sum = None;
    for c in children {
        if let Some(n) = own_or_children(&c, rows) {
            sum = Some(sum.unwrap_or(0) + n);
        }
    }
    sum
}

/// Litigation rows `(division, month, filings)` of a subtree summed over months, each month by
/// [`own_or_children`].
pub(crate) fn litigation_total(d: &DivisionCode, rows: Vec<(String, String, i64)>) -> i64 {
    let mut by_month: BTreeMap<String, BTreeMap<String, i64>> = BTreeMap::new();
    for (division, month, n) in rows {
        by_month.entry(month).or_default().insert(division, n);
    }
    by_month
        .values()
        .filter_map(|m| own_or_children(d, m))
        .sum()
}

/// The cells query of a [`CellQuery`]: `(group text, metric, sum)` rows, numbered `$n`. Whole
/// months inside the period are read from `agg_month_cells` and the days around them from
/// `agg_cells` (by day, everything from `agg_cells`); the parts are summed per group by
/// [`cell_rows`], where a month row's first day falls in its month like any of its days.
pub(crate) fn cells_query(q: &CellQuery) -> (String, Vec<Bind>) {
    let (group, area) = match q.group {
        CellGroup::Total => ("CAST('' AS TEXT)", "division"),
        CellGroup::Day | CellGroup::Month => ("CAST(day AS TEXT)", "division"),
        CellGroup::DisputeType => ("dispute_type", "division"),
        CellGroup::Child => ("division", "parent"),
    };
    let mut binds = vec![Bind::Text(q.division.to_string())];
    let mut filters = String::new();
    if let Some(t) = &q.dispute_type {
        binds.push(Bind::Text(t.clone()));
        filters.push_str(&format!(" AND dispute_type = ${}", binds.len()));
    }
    if !q.metrics.is_empty() {
        let mut marks = Vec::with_capacity(q.metrics.len());
        for m in &q.metrics {
            binds.push(Bind::Text(m.clone()));
            marks.push(format!("${}", binds.len()));
        }
        filters.push_str(&format!(" AND metric IN ({})", marks.join(", ")));
    }
    let (months, days) = if q.group == CellGroup::Day {
        (None, vec![(q.from_day, q.to_day)])
    } else {
        split_months(q.from_day, q.to_day)
    };
    let mut parts = Vec::new();
    let range = |binds: &mut Vec<Bind>, (a, b): (i64, i64)| {
        binds.push(Bind::Int(a));
        binds.push(Bind::Int(b));
        (binds.len() - 1, binds.len())
    };
    for d in days {
        let (a, b) = range(&mut binds, d);
        parts.push(format!(
            "SELECT {group} AS g, metric AS m, CAST(SUM(value) AS BIGINT) AS v FROM agg_cells \
             WHERE {area} = $1 AND day >= ${a} AND day <= ${b}{filters} GROUP BY {group}, metric"
        ));
    }
    if let Some(m) = months {
        let (a, b) = range(&mut binds, m);
        let group = group.replace("day", "month");
        parts.push(format!(
            "SELECT {group} AS g, metric AS m, CAST(SUM(value) AS BIGINT) AS v \
             FROM agg_month_cells WHERE {area} = $1 AND month >= ${a} AND month <= ${b}{filters} \
             GROUP BY {group}, metric"
        ));
    }
    (parts.join(" UNION ALL "), binds)
}

/// Turns the rows of [`cells_query`] into the grouping asked for (days and months as dates),
/// sorted by group and metric, zero sums left out.
pub(crate) fn cell_rows(group: CellGroup, rows: Vec<(String, String, i64)>) -> Vec<CellRow> {
    let mut out: BTreeMap<(String, String), i64> = BTreeMap::new();
    for (g, metric, value) in rows {
        let g = match group {
            CellGroup::Day | CellGroup::Month => {
                let date = g.parse::<i64>().ok().and_then(day_date);
                match (date, group) {
                    (Some(d), CellGroup::Day) => {
                        format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
                    }
                    (Some(d), _) => format!("{:04}-{:02}", d.year(), u8::from(d.month())),
                    (None, _) => g,
                }
            }
            _ => g,
        };
        *out.entry((g, metric)).or_insert(0) += value;
    }
    out.into_iter()
        .filter(|(_, v)| *v != 0)
        .map(|((group, metric), value)| CellRow {
            group,
            metric,
            value,
        })
        .collect()
}

/// The drill-down queries of a [`MetricCasesQuery`]: the page (projection columns of the cases,
/// newest day first) with its binds, and the total with its binds. The total is the metric's
/// sum from the cells (month cells for whole months), which is the figure the user clicked on,
/// rather than a count over millions of case rows.
pub(crate) fn metric_cases_query(q: &MetricCasesQuery) -> (String, Vec<Bind>, String, Vec<Bind>) {
    let mut binds = vec![
        Bind::Text(q.metric.clone()),
        Bind::Int(q.from_day),
        Bind::Int(q.to_day),
        subtree(&q.division),
    ];
    let mut filter =
        "a.metric = $1 AND a.day >= $2 AND a.day <= $3 AND a.division LIKE $4".to_owned();
    if let Some(t) = &q.dispute_type {
        binds.push(Bind::Text(t.clone()));
        filter.push_str(&format!(" AND a.dispute_type = ${}", binds.len()));
    }
    let columns = crate::sql::CASE_COLUMNS
        .split(',')
        .map(|c| format!("c.{}", c.trim()))
        .collect::<Vec<_>>()
        .join(", ");
    let limit = if q.limit == 0 { 50 } else { q.limit.min(1000) };
    let page = format!(
        "SELECT {columns} FROM agg_case_cells a JOIN cases c ON c.id = a.case_id WHERE {filter} \
         ORDER BY a.day DESC, a.case_id DESC LIMIT {limit} OFFSET {}",
        q.offset
    );
    let (parts, count_binds) = cells_query(&CellQuery {
        division: q.division.clone(),
        from_day: q.from_day,
        to_day: q.to_day,
        dispute_type: q.dispute_type.clone(),
        metrics: vec![q.metric.clone()],
        group: CellGroup::Total,
    });
    let count = format!("SELECT CAST(COALESCE(SUM(v), 0) AS BIGINT) FROM ({parts}) t");
    (page, binds, count, count_binds)
}

/// Distinct strings by index, so that a rebuild's millions of cells hold small integers
/// instead of copies of the same few thousand division codes and a few dozen type and metric
/// codes.
#[derive(Debug, Default)]
struct Interner {
    names: Vec<String>,
    index: std::collections::HashMap<String, u32>,
}

impl Interner {
    fn intern(&mut self, s: &str) -> u32 {
        if let Some(i) = self.index.get(s) {
            return *i;
        }
        let i = u32::try_from(self.names.len()).unwrap_or(u32::MAX);
        self.names.push(s.to_owned());
        self.index.insert(s.to_owned(), i);
        i
    }

    fn get(&self, s: &str) -> Option<u32> {
        self.index.get(s).copied()
    }

    fn name(&self, i: u32) -> &str {
        self.names.get(i as usize).map_or("", String::as_str)
    }
}

/// A cell of a rebuild: interned division, day, interned type and metric.
type Compact = (u32, i64, u32, u32);

/// Folds the event log, one case at a time, into every cell and every case's rows: the rebuild.
/// Memory holds the cells (bounded by divisions × days × types × metrics, about 40 bytes each)
/// and one case's state, never the log.
#[derive(Debug, Default)]
pub(crate) struct Rebuild {
    /// Rebuilt value, and whether verification met the cell among the stored ones.
    cells: BTreeMap<Compact, (i64, bool)>,
    /// The same by month (keyed by the month's first day), summed from `cells` by
    /// [`Rebuild::close_months`] once the log is read.
    months: BTreeMap<Compact, (i64, bool)>,
    /// Each interned division's parent (`''` at the top), interned.
    parents: std::collections::HashMap<u32, u32>,
    strings: Interner,
    pub cases: u64,
    pub events: u64,
    current: Option<(String, CaseState)>,
    differences: Vec<String>,
}

impl Rebuild {
    /// Feeds the next event row (rows arrive by case, then version). Returns the
    /// `INSERT_CASE_CELL` binds of the case that just ended, if this row starts another one.
    pub fn feed(&mut self, row: &EventRow) -> Result<Vec<Vec<Bind>>> {
        let event = row.decode()?.event;
        self.events += 1;
        let mut finished = Vec::new();
        if self
            .current
            .as_ref()
            .is_none_or(|(id, _)| *id != row.case_id)
        {
            finished = self.finish_case();
            self.current = Some((row.case_id.clone(), CaseState::default()));
        }
        if let Some((_, state)) = &mut self.current {
            state.apply(&event);
        }
        Ok(finished)
    }

    /// Ends the case being folded, adding its contributions; returns its rows.
    pub fn finish_case(&mut self) -> Vec<Vec<Bind>> {
        let Some((id, state)) = self.current.take() else {
            return Vec::new();
        };
        let Some(case) = state.case() else {
            return Vec::new();
        };
        self.cases += 1;
        let mine = case_contributions(case);
        // Every contribution of a case has the same division: its chain is interned once.
        let mut chain: Option<(String, Vec<u32>)> = None;
        for (k, n) in &mine {
            if chain.as_ref().is_none_or(|(d, _)| *d != k.0) {
                let ids = levels(&k.0)
                    .iter()
                    .map(|(division, parent)| {
                        let d = self.strings.intern(division);
                        let p = self.strings.intern(parent);
                        self.parents.insert(d, p);
                        d
                    })
                    .collect();
                chain = Some((k.0.clone(), ids));
            }
            let (t, m) = (self.strings.intern(&k.2), self.strings.intern(&k.3));
            for d in chain.iter().flat_map(|(_, ids)| ids) {
                self.cells.entry((*d, k.1, t, m)).or_insert((0, false)).0 += n;
            }
        }
        mine.iter()
            .map(|(k, n)| case_cell_binds(&id, k, *n))
            .collect()
    }

    fn describe(&self, key: &CellKey, stored: i64, rebuilt: i64, month: bool) -> String {
        let (d, day, t, m) = key;
        let date = match day_date(*day) {
            Some(x) if month => format!("{:04}-{:02}月", x.year(), u8::from(x.month())),
            Some(x) => x.to_string(),
            None => day.to_string(),
        };
        let t = if t.is_empty() { "-" } else { t.as_str() };
        format!("{d} {date} {t} {m} {stored} {rebuilt}")
    }

    /// Sums the rebuilt day cells into month cells; call once the whole log is fed.
    pub fn close_months(&mut self) {
        self.months.clear();
        for ((d, day, t, m), (n, _)) in &self.cells {
            self.months
                .entry((*d, month_of(*day), *t, *m))
                .or_insert((0, false))
                .0 += n;
        }
    }

    fn check_in(&mut self, stored: (String, i64, String, String, i64), month: bool) {
        let (d, day, t, m, value) = stored;
        let key = match (
            self.strings.get(&d),
            self.strings.get(&t),
            self.strings.get(&m),
        ) {
            (Some(d), Some(t), Some(m)) => Some((d, day, t, m)),
            _ => None,
        };
        let map = if month {
            &mut self.months
        } else {
            &mut self.cells
        };
        let rebuilt = match key.and_then(|k| map.get_mut(&k)) {
            Some(cell) => {
                cell.1 = true;
                cell.0
            }
            None => 0,
        };
        if rebuilt != value {
            let text = self.describe(&(d, day, t, m), value, rebuilt, month);
            self.differences.push(text);
        }
    }

    /// Compares one stored day cell with the rebuilt one and remembers a difference.
    pub fn check(&mut self, stored: (String, i64, String, String, i64)) {
        self.check_in(stored, false);
    }

    /// Compares one stored month cell (after [`Rebuild::close_months`]).
    pub fn check_month(&mut self, stored: (String, i64, String, String, i64)) {
        self.check_in(stored, true);
    }

    /// Every difference found: the checked stored cells that differed, and the rebuilt cells
    /// that were not stored at all; sorted by cell.
    pub fn differences(&mut self) -> Vec<String> {
        let mut out = std::mem::take(&mut self.differences);
        for (map, month) in [(&self.cells, false), (&self.months, true)] {
            for ((d, day, t, m), (n, seen)) in map {
                if !seen && *n != 0 {
                    let key = (
                        self.strings.name(*d).to_owned(),
                        *day,
                        self.strings.name(*t).to_owned(),
                        self.strings.name(*m).to_owned(),
                    );
                    out.push(self.describe(&key, 0, *n, month));
                }
            }
        }
        out.sort();
        out
    }

    /// `INSERT_MONTH_CELL` binds of every non-zero month cell (after
    /// [`Rebuild::close_months`]), in key order.
    pub fn month_binds(&self) -> impl Iterator<Item = Vec<Bind>> + '_ {
        self.binds_of(&self.months)
    }

    /// `INSERT_CELL` binds of every non-zero rebuilt cell, in key order.
    pub fn cell_binds(&self) -> impl Iterator<Item = Vec<Bind>> + '_ {
        self.binds_of(&self.cells)
    }

    fn binds_of<'a>(
        &'a self,
        map: &'a BTreeMap<Compact, (i64, bool)>,
    ) -> impl Iterator<Item = Vec<Bind>> + 'a {
        map.iter()
            .filter(|(_, (n, _))| *n != 0)
            .map(|((d, day, t, m), (n, _))| {
                let parent = self.parents.get(d).map_or("", |p| self.strings.name(*p));
                let key = (
                    self.strings.name(*d).to_owned(),
                    *day,
                    self.strings.name(*t).to_owned(),
                    self.strings.name(*m).to_owned(),
                );
                cell_binds(&key, parent, *n)
            })
    }
}
