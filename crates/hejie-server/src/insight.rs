//! 数据研判: the leaders' indicators of an area and period, read from the aggregate cells
//! (`hejie_store::InsightStore`) and computed with the published formulas of
//! `hejie_insight::Indicator`. The API (`api/insight.rs`), the dashboard page
//! (`pages/insight.rs`) and the downloads all go through this module, so the figures on the
//! page, in the JSON and in the spreadsheet are the same numbers.
//!
//! Authorization is checked here and only here: the role must carry
//! `Action::ViewIndicators`, and the area must lie inside the user's jurisdiction. An area
//! outside it is reported as "not found", as cases are, so that the figures of a neighbouring
//! township neither show nor reveal whether it exists.

use std::collections::BTreeMap;

use hejie_domain::authz::{Action, Denied, role_may};
use hejie_domain::case::DisputeType;
use hejie_domain::division::{DivisionCode, Level};
use hejie_domain::user::User;
use hejie_insight::{Context, Figure, Indicator, Metric, Totals, Unit};
use hejie_store::CaseSummary;
use hejie_store::insight::{CellGroup, CellQuery, MetricCasesQuery};
use time::{Date, Duration, Month};

use crate::error::AppError;
use crate::export::{Cell, Table};
use crate::state::AppState;

/// The Julian day number of 1970-01-01, for the store's day numbers (days since that date).
const EPOCH_JULIAN: i32 = 2_440_588;

/// A CST calendar day as the store numbers it: days since 1970-01-01.
pub fn day_number(d: Date) -> i64 {
    i64::from(d.to_julian_day() - EPOCH_JULIAN)
}

/// Reads `YYYY-MM-DD`.
pub fn parse_date(field: &str, s: &str) -> Result<Date, AppError> {
    let fmt = time::macros::format_description!("[year]-[month]-[day]");
    Date::parse(s.trim(), &fmt)
        .map_err(|_| AppError::validation(field, "日期格式应为 YYYY-MM-DD，例如 2026-10-01"))
}

/// `YYYY-MM-DD`.
pub fn date_text(d: Date) -> String {
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

/// `YYYY-MM`.
pub fn month_text(d: Date) -> String {
    format!("{:04}-{:02}", d.year(), u8::from(d.month()))
}

/// The same day `k` months later (earlier when negative), clamped to the end of a shorter month.
pub fn add_months(d: Date, k: i32) -> Date {
    let total = d.year() * 12 + i32::from(u8::from(d.month())) - 1 + k;
    let (year, month0) = (total.div_euclid(12), total.rem_euclid(12));
    let month = Month::try_from(u8::try_from(month0 + 1).unwrap_or(1)).unwrap_or(Month::January);
    let last = month.length(year);
    Date::from_calendar_date(year, month, d.day().min(last)).unwrap_or(d)
}

/// The first day of `d`'s month.
pub fn month_start(d: Date) -> Date {
    d.replace_day(1).unwrap_or(d)
}

/// A period: first and last CST day, inclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub from: Date,
    pub to: Date,
}

impl Period {
    pub fn days(&self) -> i64 {
        (self.to - self.from).whole_days() + 1
    }

    /// The previous period of the same kind (环比): the calendar period before for months,
    /// quarters and years, the same number of days before otherwise.
    pub fn previous(&self, kind: PeriodKind) -> Period {
        let months = match kind {
            PeriodKind::Month => 1,
            PeriodKind::Quarter => 3,
            PeriodKind::Year => 12,
            PeriodKind::Days | PeriodKind::Custom => {
                let len = Duration::days(self.days());
                return Period {
                    from: self.from - len,
                    to: self.to - len,
                };
            }
        };
        Period {
            from: add_months(self.from, -months),
            to: add_months(self.to, -months),
        }
    }

    /// The same period a year earlier (同比).
    pub fn last_year(&self) -> Period {
        Period {
            from: add_months(self.from, -12),
            to: add_months(self.to, -12),
        }
    }

    /// `2026-10-01 至 2026-10-31`.
    pub fn label(&self) -> String {
        format!("{} 至 {}", date_text(self.from), date_text(self.to))
    }
}

/// How the period was chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PeriodKind {
    Month,
    Quarter,
    Year,
    /// The last N days up to today.
    Days,
    /// From and to as given.
    Custom,
}

impl PeriodKind {
    pub fn code(self) -> &'static str {
        match self {
            PeriodKind::Month => "month",
            PeriodKind::Quarter => "quarter",
            PeriodKind::Year => "year",
            PeriodKind::Days => "days",
            PeriodKind::Custom => "custom",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [
            PeriodKind::Month,
            PeriodKind::Quarter,
            PeriodKind::Year,
            PeriodKind::Days,
            PeriodKind::Custom,
        ]
        .into_iter()
        .find(|k| k.code() == s)
    }

    /// The period of this kind that contains `today`, up to `today` (本月、本季度、本年), or the
    /// last `days` days.
    pub fn current(self, today: Date, days: i64) -> Period {
        let from = match self {
            PeriodKind::Month => month_start(today),
            PeriodKind::Quarter => {
                let m0 = (u8::from(today.month()) - 1) / 3 * 3;
                let back = i32::from(u8::from(today.month()) - 1 - m0);
                month_start(add_months(today, -back))
            }
            PeriodKind::Year => Date::from_ordinal_date(today.year(), 1).unwrap_or(today),
            PeriodKind::Days | PeriodKind::Custom => {
                today - Duration::days(days.clamp(1, 3660) - 1)
            }
        };
        Period { from, to: today }
    }
}

/// What the dashboard is about: an area, a period and optionally one dispute type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope {
    pub division: DivisionCode,
    pub period: Period,
    /// A dispute type's code; `None` = all types.
    pub dispute_type: Option<String>,
}

/// Refuses roles without the indicators permission.
pub fn authorize(user: &User) -> Result<(), AppError> {
    if role_may(user.role, Action::ViewIndicators) {
        Ok(())
    } else {
        Err(Denied::Role.into())
    }
}

/// The area asked for, checked against the user's jurisdiction (outside it: not found). Empty
/// means the whole jurisdiction.
pub fn area(state: &AppState, user: &User, division: &str) -> Result<DivisionCode, AppError> {
    authorize(user)?;
    let division = division.trim();
    if division.is_empty() {
        return Ok(user.jurisdiction.clone());
    }
    let code = DivisionCode::parse(division).map_err(|_| AppError::NotFound)?;
    let known = state.reference().division(&code).is_some();
    if !known || !user.jurisdiction.contains(&code) || code.level() > Level::Village {
        return Err(AppError::NotFound);
    }
    Ok(code)
}

/// Checks a dispute-type filter: empty is all types, otherwise a known code.
pub fn dispute_type(s: &str) -> Result<Option<String>, AppError> {
    let s = s.trim();
    if s.is_empty() {
        return Ok(None);
    }
    DisputeType::parse(s)
        .map(|t| Some(t.code().to_owned()))
        .map_err(|_| AppError::validation("type", format!("无法识别的纠纷类型“{s}”")))
}

/// The label of a dispute-type code (untyped cases: 待定).
pub fn type_label(code: &str) -> String {
    DisputeType::parse(code).map_or_else(|_| "待定".to_owned(), |t| t.label().to_owned())
}

fn query(scope: &Scope, period: Period, group: CellGroup, metrics: &[Metric]) -> CellQuery {
    CellQuery {
        division: scope.division.clone(),
        from_day: day_number(period.from),
        to_day: day_number(period.to),
        dispute_type: scope.dispute_type.clone(),
        metrics: metrics.iter().map(|m| m.code()).collect(),
        group,
    }
}

/// Sums the cells of a query into totals per group; unknown metric codes are skipped (a newer
/// writer may know metrics this reader does not).
async fn grouped(state: &AppState, q: &CellQuery) -> Result<BTreeMap<String, Totals>, AppError> {
    let rows = state.store.cells(q).await?;
    let mut out: BTreeMap<String, Totals> = BTreeMap::new();
    for row in rows {
        if let Some(m) = Metric::from_code(&row.metric) {
            out.entry(row.group).or_default().add(m, row.value);
        }
    }
    Ok(out)
}

/// Totals of an area and period (all metrics).
pub async fn totals(state: &AppState, scope: &Scope, period: Period) -> Result<Totals, AppError> {
    let q = query(scope, period, CellGroup::Total, &[]);
    let mut t = Totals::default();
    for row in state.store.cells(&q).await? {
        if let Some(m) = Metric::from_code(&row.metric) {
            t.add(m, row.value);
        }
    }
    Ok(t)
}

/// The figures from outside the case log for an area and period, with the open and overdue
/// counts given: those are a point-in-time figure (now), whatever the period, so a page reads
/// them once (see [`open_and_overdue`]) for all the periods it compares.
pub async fn context(
    state: &AppState,
    scope: &Scope,
    period: Period,
    (open, overdue): (i64, i64),
) -> Result<Context, AppError> {
    let population = state
        .store
        .population(&scope.division, period.to.year())
        .await?
        .unwrap_or(0);
    let litigation = state
        .store
        .litigation(
            &scope.division,
            &month_text(period.from),
            &month_text(period.to),
        )
        .await?;
    Ok(Context {
        population,
        litigation,
        judicial_confirmations: 0,
        open,
        overdue,
    })
}

/// The open cases of an area now, and how many of them are past a running deadline.
pub async fn open_and_overdue(state: &AppState, scope: &Scope) -> Result<(i64, i64), AppError> {
    Ok(state
        .store
        .open_and_overdue(&scope.division, state.now())
        .await?)
}

/// Indicators that have no value yet because their source is not recorded anywhere: the court's
/// judicial confirmations are not imported by any route, so the rate would be a false 0%.
pub fn unavailable(i: Indicator) -> bool {
    i == Indicator::JudicialConfirmationRate
}

/// Indicators that are a point in time, not a sum over the period, so they have no 环比/同比.
pub fn point_in_time(i: Indicator) -> bool {
    i == Indicator::OverdueRate
}

/// The metric whose cases are behind an indicator's numerator, for drill-down, if there is one.
pub fn numerator_metric(i: Indicator) -> Option<Metric> {
    Some(match i {
        Indicator::Registered | Indicator::IncidencePerTenThousand => Metric::Registered,
        Indicator::SweepFound => Metric::FoundBySweep,
        Indicator::Prevented => Metric::Prevented,
        Indicator::Mediated => Metric::Mediated,
        Indicator::Succeeded | Indicator::JudicialConfirmationRate => Metric::Succeeded,
        Indicator::Petitions => Metric::Petitions,
        Indicator::MediationSuccessRate => Metric::Succeeded,
        Indicator::CivilSuccessRate => Metric::CivilSucceeded,
        Indicator::LocalResolutionRate => Metric::ResolvedLocally,
        Indicator::FollowUpRate => Metric::FollowedUp,
        Indicator::MajorFollowUpRate => Metric::MajorFollowedUp,
        Indicator::SatisfactionRate => Metric::Satisfied,
        Indicator::PerformanceRate => Metric::AgreementsPerformed,
        Indicator::AverageDaysToClose | Indicator::P90DaysToClose => Metric::Closed,
        Indicator::OverdueRate | Indicator::LitigationPerTenThousand => return None,
    })
}

/// The metric whose cases are behind an indicator's denominator, if it is a count of cases.
pub fn denominator_metric(i: Indicator) -> Option<Metric> {
    Some(match i {
        Indicator::MediationSuccessRate => Metric::Mediated,
        Indicator::CivilSuccessRate => Metric::CivilMediated,
        Indicator::LocalResolutionRate => Metric::Resolved,
        Indicator::FollowUpRate | Indicator::AverageDaysToClose | Indicator::P90DaysToClose => {
            Metric::Closed
        }
        Indicator::MajorFollowUpRate => Metric::MajorClosed,
        Indicator::SatisfactionRate => Metric::Ratings,
        Indicator::PerformanceRate => Metric::AgreementsDue,
        Indicator::JudicialConfirmationRate => Metric::Succeeded,
        _ => return None,
    })
}

/// Metrics whose cases can be listed (counting metrics; not the sum of days).
pub fn listable(m: Metric) -> bool {
    !matches!(m, Metric::CloseDaysSum | Metric::CloseDays(_))
}

/// One indicator over a period, with the previous period and the same period last year.
#[derive(Debug, Clone)]
pub struct Row {
    pub indicator: Indicator,
    pub current: Figure,
    pub previous: Figure,
    pub last_year: Figure,
}

impl Row {
    /// The value as shown, "—" when undefined or unavailable.
    pub fn shown(&self, f: &Figure) -> String {
        if unavailable(self.indicator) {
            "—".to_owned()
        } else {
            self.indicator.display(f)
        }
    }

    /// A previous or last year's figure as shown: "—" for a point-in-time indicator, whose
    /// earlier values are not kept (超期率 is read from the cases' state now).
    pub fn shown_base(&self, f: &Figure) -> String {
        if point_in_time(self.indicator) {
            "—".to_owned()
        } else {
            self.shown(f)
        }
    }

    pub fn value(&self, f: &Figure) -> Option<f64> {
        if unavailable(self.indicator) {
            None
        } else {
            f.value
        }
    }

    /// The change from `base` to the current figure in words: relative for counts ("+50.0%"),
    /// in percentage points for rates, in days or per-10,000 units otherwise; "—" when either
    /// side has no value or the indicator is a point in time.
    pub fn change(&self, base: &Figure) -> String {
        let (Some(now), Some(then)) = (self.value(&self.current), self.value(base)) else {
            return "—".to_owned();
        };
        if point_in_time(self.indicator) {
            return "—".to_owned();
        }
        let sign = |d: f64| if d > 0.0 { "+" } else { "" };
        match self.indicator.unit() {
            Unit::Count => {
                if then == 0.0 {
                    "—".to_owned()
                } else {
                    let d = (now - then) / then * 100.0;
                    format!("{}{d:.1}%", sign(d))
                }
            }
            Unit::Percent => {
                let d = (now - then) * 100.0;
                format!("{}{d:.1}个百分点", sign(d))
            }
            Unit::Days => {
                let d = now - then;
                format!("{}{d:.1}天", sign(d))
            }
            Unit::PerTenThousand => {
                let d = now - then;
                format!("{}{d:.2}", sign(d))
            }
        }
    }

    /// Whether the change is better (`up`), worse (`down`) or neither, for the colour of the
    /// arrow: fewer disputes, petitions, overdue cases and days are better.
    pub fn tone(&self, base: &Figure) -> &'static str {
        let (Some(now), Some(then)) = (self.value(&self.current), self.value(base)) else {
            return "flat";
        };
        // No colour where no change is shown (a count rising from 0 has no relative change).
        if (now - then).abs() < 1e-12 || self.change(base) == "—" {
            return "flat";
        }
        let lower_is_better = matches!(
            self.indicator,
            Indicator::Registered
                | Indicator::Petitions
                | Indicator::OverdueRate
                | Indicator::AverageDaysToClose
                | Indicator::P90DaysToClose
                | Indicator::LitigationPerTenThousand
                | Indicator::IncidencePerTenThousand
        );
        if (now > then) != lower_is_better {
            "good"
        } else {
            "bad"
        }
    }
}

/// Every indicator of a scope, with 环比 and 同比.
pub async fn indicators(
    state: &AppState,
    scope: &Scope,
    kind: PeriodKind,
) -> Result<Vec<Row>, AppError> {
    let p = scope.period;
    let (prev, last) = (p.previous(kind), p.last_year());
    let t = totals(state, scope, p).await?;
    let tp = totals(state, scope, prev).await?;
    let tl = totals(state, scope, last).await?;
    let now = open_and_overdue(state, scope).await?;
    let c = context(state, scope, p, now).await?;
    let cp = context(state, scope, prev, now).await?;
    let cl = context(state, scope, last, now).await?;
    Ok(Indicator::ALL
        .iter()
        .map(|&i| Row {
            indicator: i,
            current: i.compute(&t, &c),
            previous: i.compute(&tp, &cp),
            last_year: i.compute(&tl, &cl),
        })
        .collect())
}

/// The indicators shown per child division.
pub const CHILD_COLUMNS: [Indicator; 7] = [
    Indicator::Registered,
    Indicator::Mediated,
    Indicator::Succeeded,
    Indicator::MediationSuccessRate,
    Indicator::FollowUpRate,
    Indicator::AverageDaysToClose,
    Indicator::SatisfactionRate,
];

/// One child division's figures.
#[derive(Debug, Clone)]
pub struct ChildRow {
    pub division: DivisionCode,
    pub name: String,
    pub figures: Vec<Figure>,
}

/// The children of an area that have cells (villages at most: grids have no cells of their own).
pub fn children_of(state: &AppState, division: &DivisionCode) -> Vec<(DivisionCode, String)> {
    let r = state.reference();
    r.tree
        .children(division)
        .filter(|d| d.level() <= Level::Village)
        .map(|d| (d.code.clone(), d.name.clone()))
        .collect()
}

/// The figures of each child division over the scope's period, every child listed (zeros too).
pub async fn children(state: &AppState, scope: &Scope) -> Result<Vec<ChildRow>, AppError> {
    let q = query(scope, scope.period, CellGroup::Child, &[]);
    let by_child = grouped(state, &q).await?;
    let ctx = Context::default();
    Ok(children_of(state, &scope.division)
        .into_iter()
        .map(|(code, name)| {
            let t = by_child.get(code.as_str()).cloned().unwrap_or_default();
            ChildRow {
                figures: CHILD_COLUMNS.iter().map(|i| i.compute(&t, &ctx)).collect(),
                division: code,
                name,
            }
        })
        .collect())
}

/// Registrations, mediations and successes per dispute type over the scope's period, most
/// registrations first.
#[derive(Debug, Clone)]
pub struct TypeRow {
    /// The type's code (empty: untyped).
    pub code: String,
    pub label: String,
    pub registered: i64,
    pub mediated: i64,
    pub succeeded: i64,
}

pub async fn by_type(state: &AppState, scope: &Scope) -> Result<Vec<TypeRow>, AppError> {
    let metrics = [Metric::Registered, Metric::Mediated, Metric::Succeeded];
    let q = query(scope, scope.period, CellGroup::DisputeType, &metrics);
    let mut rows: Vec<TypeRow> = grouped(state, &q)
        .await?
        .into_iter()
        .map(|(code, t)| TypeRow {
            label: type_label(&code),
            registered: t.get(Metric::Registered),
            mediated: t.get(Metric::Mediated),
            succeeded: t.get(Metric::Succeeded),
            code,
        })
        .filter(|r| r.registered != 0 || r.mediated != 0)
        .collect();
    rows.sort_by(|a, b| b.registered.cmp(&a.registered).then(a.code.cmp(&b.code)));
    Ok(rows)
}

/// Registrations per month: the twelve months ending with the period's last month, and the same
/// months a year earlier.
#[derive(Debug, Clone)]
pub struct MonthRow {
    pub month: String,
    pub current: i64,
    pub last_year: i64,
}

/// The twelve months ending with `to`'s month: from the first of the first month to `to`.
pub fn trend_window(to: Date) -> Period {
    Period {
        from: month_start(add_months(to, -11)),
        to,
    }
}

async fn monthly(
    state: &AppState,
    scope: &Scope,
    window: Period,
) -> Result<BTreeMap<String, i64>, AppError> {
    let q = query(scope, window, CellGroup::Month, &[Metric::Registered]);
    Ok(grouped(state, &q)
        .await?
        .into_iter()
        .map(|(m, t)| (m, t.get(Metric::Registered)))
        .collect())
}

pub async fn months(state: &AppState, scope: &Scope) -> Result<Vec<MonthRow>, AppError> {
    let window = trend_window(scope.period.to);
    let now = monthly(state, scope, window).await?;
    let then = monthly(state, scope, window.last_year()).await?;
    Ok((0..12)
        .map(|k| {
            let m = add_months(window.from, k);
            let key = month_text(m);
            let key_then = month_text(add_months(m, -12));
            MonthRow {
                current: now.get(&key).copied().unwrap_or(0),
                last_year: then.get(&key_then).copied().unwrap_or(0),
                month: key,
            }
        })
        .collect())
}

/// Registrations per child division and month over the trend window, for the heat map.
pub async fn heat(
    state: &AppState,
    scope: &Scope,
) -> Result<(Vec<String>, Vec<String>, Vec<Vec<i64>>), AppError> {
    let window = trend_window(scope.period.to);
    let cols: Vec<String> = (0..12)
        .map(|k| month_text(add_months(window.from, k)))
        .collect();
    let mut names = Vec::new();
    let mut values = Vec::new();
    for (code, name) in children_of(state, &scope.division) {
        let child = Scope {
            division: code,
            ..scope.clone()
        };
        let per_month = monthly(state, &child, window).await?;
        values.push(
            cols.iter()
                .map(|m| per_month.get(m).copied().unwrap_or(0))
                .collect(),
        );
        names.push(name);
    }
    Ok((names, cols, values))
}

/// The cases behind one metric of a scope, newest first, and how many there are.
pub async fn metric_cases(
    state: &AppState,
    scope: &Scope,
    metric: Metric,
    offset: u32,
    limit: u32,
) -> Result<(Vec<CaseSummary>, u64), AppError> {
    if !listable(metric) {
        return Err(AppError::validation("metric", "该指标不对应案件清单"));
    }
    Ok(state
        .store
        .metric_cases(&MetricCasesQuery {
            metric: metric.code(),
            division: scope.division.clone(),
            from_day: day_number(scope.period.from),
            to_day: day_number(scope.period.to),
            dispute_type: scope.dispute_type.clone(),
            offset,
            limit,
        })
        .await?)
}

/// The label of a listable metric, for the drill-down page's title.
pub fn metric_label(m: Metric) -> &'static str {
    match m {
        Metric::Registered => "登记的纠纷",
        Metric::FoundBySweep => "排查发现的纠纷",
        Metric::Petitions => "信访渠道登记及再次反映的纠纷",
        Metric::Declined => "不予受理的纠纷",
        Metric::Closed => "结案的纠纷",
        Metric::Mediated => "调解终结的纠纷",
        Metric::Succeeded => "调解成功的纠纷",
        Metric::CivilMediated => "调解终结的民商事纠纷",
        Metric::CivilSucceeded => "调解成功的民商事纠纷",
        Metric::Resolved => "化解的纠纷",
        Metric::ResolvedLocally => "未经上报即化解的纠纷",
        Metric::Prevented => "排查发现并就地化解的纠纷",
        Metric::FollowedUp => "已回访的结案纠纷",
        Metric::MajorClosed => "结案的重大纠纷",
        Metric::MajorFollowedUp => "已回访的重大纠纷",
        Metric::Ratings => "有满意度评价的结案纠纷",
        Metric::Satisfied => "评价满意或基本满意的结案纠纷",
        Metric::AgreementsDue => "已进行履行检查的调解协议",
        Metric::AgreementsPerformed => "义务均已履行的调解协议",
        Metric::EndedEscalated => "结案后仍升级的纠纷",
        Metric::CloseDaysSum | Metric::CloseDays(_) => "结案的纠纷",
    }
}

/// The downloadable tables of the dashboard.
pub const TABLES: [(&str, &str); 4] = [
    ("indicators", "主要指标"),
    ("divisions", "下级区划"),
    ("types", "纠纷类型"),
    ("months", "月度趋势"),
];

/// One of the dashboard's tables, as downloaded.
pub async fn table(
    state: &AppState,
    scope: &Scope,
    kind: PeriodKind,
    name: &str,
) -> Result<Table, AppError> {
    let title_of = |t: &str| {
        TABLES
            .iter()
            .find(|(n, _)| *n == t)
            .map_or("", |(_, l)| *l)
            .to_owned()
    };
    let s = |x: &str| Cell::Text(x.to_owned());
    let table = match name {
        "indicators" => {
            let rows = indicators(state, scope, kind).await?;
            Table {
                name: name.to_owned(),
                title: title_of(name),
                headers: [
                    "指标",
                    "本期",
                    "分子",
                    "分母",
                    "上期",
                    "环比",
                    "去年同期",
                    "同比",
                    "计算公式",
                ]
                .map(str::to_owned)
                .to_vec(),
                rows: rows
                    .iter()
                    .map(|row| {
                        let i = row.indicator;
                        vec![
                            s(i.label()),
                            Cell::Text(row.shown(&row.current)),
                            Cell::from(row.current.numerator),
                            Cell::from(row.current.denominator),
                            Cell::Text(row.shown_base(&row.previous)),
                            Cell::Text(row.change(&row.previous)),
                            Cell::Text(row.shown_base(&row.last_year)),
                            Cell::Text(row.change(&row.last_year)),
                            Cell::Text(i.formula()),
                        ]
                    })
                    .collect(),
            }
        }
        "divisions" => {
            let rows = children(state, scope).await?;
            let mut headers = vec!["区划".to_owned(), "区划代码".to_owned()];
            headers.extend(CHILD_COLUMNS.iter().map(|i| i.label().to_owned()));
            Table {
                name: name.to_owned(),
                title: title_of(name),
                headers,
                rows: rows
                    .iter()
                    .map(|c| {
                        let mut cells = vec![s(&c.name), s(c.division.as_str())];
                        cells.extend(
                            CHILD_COLUMNS
                                .iter()
                                .zip(&c.figures)
                                .map(|(i, f)| export_value(*i, f)),
                        );
                        cells
                    })
                    .collect(),
            }
        }
        "types" => {
            let rows = by_type(state, scope).await?;
            Table {
                name: name.to_owned(),
                title: title_of(name),
                headers: ["纠纷类型", "纠纷受理数", "调解数", "调成数", "调解成功率"]
                    .map(str::to_owned)
                    .to_vec(),
                rows: rows
                    .iter()
                    .map(|t| {
                        let rate = Figure::ratio(t.succeeded, t.mediated, 1.0);
                        vec![
                            s(&t.label),
                            Cell::from(t.registered),
                            Cell::from(t.mediated),
                            Cell::from(t.succeeded),
                            export_value(Indicator::MediationSuccessRate, &rate),
                        ]
                    })
                    .collect(),
            }
        }
        "months" => {
            let rows = months(state, scope).await?;
            Table {
                name: name.to_owned(),
                title: title_of(name),
                headers: ["月份", "纠纷受理数", "去年同期"]
                    .map(str::to_owned)
                    .to_vec(),
                rows: rows
                    .iter()
                    .map(|m| vec![s(&m.month), Cell::from(m.current), Cell::from(m.last_year)])
                    .collect(),
            }
        }
        _ => return Err(AppError::NotFound),
    };
    Ok(table)
}

/// A figure in a download: rates as percentages with one decimal (as on the page), other values
/// as numbers; empty when undefined.
pub fn export_value(i: Indicator, f: &Figure) -> Cell {
    match (i.unit(), f.value) {
        (_, None) => Cell::Empty,
        (Unit::Percent, Some(v)) => Cell::Number((v * 1000.0).round() / 10.0),
        (Unit::Count, Some(_)) => Cell::from(f.numerator),
        (_, Some(v)) => Cell::Number((v * 100.0).round() / 100.0),
    }
}

/// What a request asks for, as typed (query parameters of the API and of the pages).
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ScopeParams {
    /// A division code inside your jurisdiction (default: your whole jurisdiction).
    #[serde(default)]
    pub division: String,
    /// First day, `YYYY-MM-DD` (CST), inclusive; read when `period` is `custom` or absent.
    #[serde(default)]
    pub from: String,
    /// Last day, `YYYY-MM-DD` (CST), inclusive.
    #[serde(default)]
    pub to: String,
    /// A dispute type's code (default: all types).
    #[serde(default, rename = "type")]
    pub dispute_type: String,
    /// `month` (this month so far, the default without `from`), `quarter`, `year`, `days` (the
    /// last `days` days) or `custom` (`from` to `to`, the default with `from`); also decides the
    /// previous period for 环比 (the calendar period before, or as many days before).
    #[serde(default)]
    pub period: String,
    /// With `period=days`: how many days (1–3660, default 30).
    #[serde(default)]
    pub days: String,
}

impl ScopeParams {
    /// The scope and the kind of period, checked: authorization, jurisdiction, dates.
    pub fn resolve(&self, state: &AppState, user: &User) -> Result<(Scope, PeriodKind), AppError> {
        let division = area(state, user, &self.division)?;
        let dispute_type = dispute_type(&self.dispute_type)?;
        let kind = match self.period.trim() {
            "" if self.from.trim().is_empty() && self.to.trim().is_empty() => PeriodKind::Month,
            "" => PeriodKind::Custom,
            p => PeriodKind::parse(p).ok_or_else(|| {
                AppError::validation(
                    "period",
                    "统计周期应为 month、quarter、year、days 或 custom",
                )
            })?,
        };
        let today = hejie_insight::cst_day(state.now());
        let days = match self.days.trim() {
            "" => 30,
            d => d
                .parse::<i64>()
                .ok()
                .filter(|d| (1..=3660).contains(d))
                .ok_or_else(|| AppError::validation("days", "天数应为 1 至 3660 之间的整数"))?,
        };
        let period = if kind == PeriodKind::Custom {
            if self.from.trim().is_empty() {
                return Err(AppError::validation("from", "请填写开始日期"));
            }
            let from = parse_date("from", &self.from)?;
            let to = if self.to.trim().is_empty() {
                today
            } else {
                parse_date("to", &self.to)?
            };
            if to < from {
                return Err(AppError::validation("to", "结束日期不能早于开始日期"));
            }
            if (to - from).whole_days() > 3660 {
                return Err(AppError::validation("from", "统计期间不能超过十年"));
            }
            Period { from, to }
        } else {
            kind.current(today, days)
        };
        Ok((
            Scope {
                division,
                period,
                dispute_type,
            },
            kind,
        ))
    }
}

/// The query string that selects a scope again (for links), with `extra` pairs appended. A
/// custom period is written as its dates; the others as their kind, so that a link means the
/// same period as the page it was on.
pub fn scope_query(scope: &Scope, kind: PeriodKind, extra: &[(&str, &str)]) -> String {
    let from = date_text(scope.period.from);
    let to = date_text(scope.period.to);
    let days = scope.period.days().to_string();
    let mut pairs: Vec<(&str, &str)> = vec![
        ("division", scope.division.as_str()),
        ("period", kind.code()),
    ];
    match kind {
        PeriodKind::Custom => {
            pairs.push(("from", &from));
            pairs.push(("to", &to));
        }
        PeriodKind::Days => pairs.push(("days", &days)),
        _ => {}
    }
    if let Some(t) = &scope.dispute_type {
        pairs.push(("type", t));
    }
    pairs.extend_from_slice(extra);
    serde_urlencoded::to_string(&pairs).unwrap_or_default()
}
