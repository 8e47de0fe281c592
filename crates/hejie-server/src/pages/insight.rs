//! `/insight` 数据研判 (supervisors and administrators): the indicators of an area of their
//! jurisdiction over a period, with 环比 and 同比, three charts drawn on the server, a table per
//! child division, and drill-down from every figure to the cases behind it
//! (`/insight/cases`). `/insight/formulas` publishes every formula.
//!
//! Every figure comes from `crate::insight`, the same code as the API and the downloads; the
//! download links point at `/api/v1/indicators/export`, which the session cookie authorizes.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use hejie_domain::case::DisputeType;
use hejie_insight::{Figure, Indicator, Metric, Unit};
use serde::Deserialize;

use super::PageError;
use super::form::{PageQuery, PageUser};
use super::list::{self, Row as CaseRow};
use super::view::{self, Chrome, Opt};
use crate::charts::{self, Bar, Trend};
use crate::insight::{self, PeriodKind, Scope, ScopeParams, date_text};
use crate::state::AppState;

/// A link in the breadcrumb.
#[derive(Debug)]
struct Crumb {
    name: String,
    href: String,
    current: bool,
}

/// One key figure.
#[derive(Debug)]
struct Card {
    code: &'static str,
    label: &'static str,
    value: String,
    /// `分子/分母` in words, empty for counts.
    fraction: String,
    formula: String,
    href: String,
    den_href: String,
    prev: String,
    prev_change: String,
    prev_tone: &'static str,
    last: String,
    last_change: String,
    last_tone: &'static str,
}

/// One cell of a table: its text and where it drills to (empty: nowhere).
#[derive(Debug)]
struct Cell {
    text: String,
    href: String,
}

#[derive(Debug)]
struct ChildLine {
    name: String,
    /// The child's own dashboard (drill-down one level).
    href: String,
    cells: Vec<Cell>,
}

#[derive(Debug)]
struct TypeLine {
    label: String,
    registered: Cell,
    mediated: Cell,
    succeeded: Cell,
    rate: String,
}

#[derive(Debug)]
struct MonthLine {
    month: String,
    current: i64,
    last_year: i64,
}

/// A table's two download links.
#[derive(Debug)]
struct Download {
    csv: String,
    xlsx: String,
}

#[derive(Template)]
#[template(path = "insight.html")]
struct InsightPage {
    chrome: Chrome,
    crumbs: Vec<Crumb>,
    area: String,
    division: String,
    periods: Vec<Opt>,
    types: Vec<Opt>,
    from: String,
    to: String,
    days: String,
    period_label: String,
    previous_label: String,
    last_year_label: String,
    cards: Vec<Card>,
    trend_svg: String,
    bars_svg: String,
    heat_svg: String,
    child_headers: Vec<&'static str>,
    children: Vec<ChildLine>,
    type_lines: Vec<TypeLine>,
    month_lines: Vec<MonthLine>,
    dl_indicators: Download,
    dl_divisions: Download,
    dl_types: Download,
    dl_months: Download,
}

fn cases_href(scope: &Scope, kind: PeriodKind, m: Metric) -> String {
    let code = m.code();
    format!(
        "/insight/cases?{}",
        insight::scope_query(scope, kind, &[("metric", &code)])
    )
}

fn download(scope: &Scope, kind: PeriodKind, table: &str) -> Download {
    let link = |format: &str| {
        format!(
            "/api/v1/indicators/export?{}",
            insight::scope_query(scope, kind, &[("table", table), ("format", format)])
        )
    };
    Download {
        csv: link("csv"),
        xlsx: link("xlsx"),
    }
}

/// The numbers a figure is made of, in words: "2 / 3".
fn fraction(i: Indicator, f: &Figure) -> String {
    match i.unit() {
        Unit::Count => String::new(),
        _ if insight::unavailable(i) => "法院数据尚未导入".to_owned(),
        _ if i == Indicator::P90DaysToClose => format!("结案 {} 件", f.denominator),
        _ => format!("{} / {}", f.numerator, f.denominator),
    }
}

/// `GET /insight`.
pub async fn show(
    State(state): State<AppState>,
    PageUser(me): PageUser,
    PageQuery(q): PageQuery<ScopeParams>,
) -> Result<Response, PageError> {
    let (scope, kind) = q.resolve(&state, &me.user)?;
    let r = state.reference();
    let prev = scope.period.previous(kind);
    let last = scope.period.last_year();
    let rows = insight::indicators(&state, &scope, kind).await?;
    let cards = rows
        .iter()
        .map(|row| {
            let i = row.indicator;
            Card {
                code: i.code(),
                label: i.label(),
                value: row.shown(&row.current),
                fraction: fraction(i, &row.current),
                formula: i.formula(),
                href: insight::numerator_metric(i)
                    .map(|m| cases_href(&scope, kind, m))
                    .unwrap_or_default(),
                den_href: insight::denominator_metric(i)
                    .filter(|_| !insight::unavailable(i))
                    .map(|m| cases_href(&scope, kind, m))
                    .unwrap_or_default(),
                prev: row.shown_base(&row.previous),
                prev_change: row.change(&row.previous),
                prev_tone: row.tone(&row.previous),
                last: row.shown_base(&row.last_year),
                last_change: row.change(&row.last_year),
                last_tone: row.tone(&row.last_year),
            }
        })
        .collect();

    // The breadcrumb runs from the user's jurisdiction down to the area shown.
    let crumbs = r
        .tree
        .path(&scope.division)
        .into_iter()
        .filter(|d| me.user.jurisdiction.contains(&d.code))
        .map(|d| {
            let at = Scope {
                division: d.code.clone(),
                ..scope.clone()
            };
            Crumb {
                name: d.name.clone(),
                href: format!("/insight?{}", insight::scope_query(&at, kind, &[])),
                current: d.code == scope.division,
            }
        })
        .collect();

    let months = insight::months(&state, &scope).await?;
    let labels: Vec<String> = months.iter().map(|m| m.month.clone()).collect();
    let current: Vec<Option<f64>> = months.iter().map(|m| Some(m.current as f64)).collect();
    let previous: Vec<Option<f64>> = months.iter().map(|m| Some(m.last_year as f64)).collect();
    let trend_svg = charts::trend_chart(&Trend {
        id: "trend",
        title: "纠纷受理数月度趋势（同比）",
        labels: &labels,
        current: &current,
        previous: &previous,
        current_name: "本年",
        previous_name: "上年同期",
        unit: "件",
    });

    let types = insight::by_type(&state, &scope).await?;
    let bars: Vec<Bar> = types
        .iter()
        .map(|t| Bar {
            label: t.label.clone(),
            value: t.registered as f64,
            href: Some(cases_href(
                &Scope {
                    dispute_type: Some(t.code.clone()),
                    ..scope.clone()
                },
                kind,
                Metric::Registered,
            )),
        })
        .collect();
    let bars_svg = charts::bar_chart("types", "各类纠纷受理数", &bars, "件");

    let (heat_rows, heat_cols, heat_values) = insight::heat(&state, &scope).await?;
    let heat_svg = if heat_rows.is_empty() {
        String::new()
    } else {
        charts::heat_map(
            "heat",
            "下级区划各月纠纷受理数",
            &heat_rows,
            &heat_cols,
            &heat_values,
        )
    };

    let children = insight::children(&state, &scope)
        .await?
        .into_iter()
        .map(|c| {
            let at = Scope {
                division: c.division.clone(),
                ..scope.clone()
            };
            let cells = insight::CHILD_COLUMNS
                .iter()
                .zip(&c.figures)
                .map(|(i, f)| Cell {
                    text: i.display(f),
                    href: insight::numerator_metric(*i)
                        .filter(|_| i.unit() == Unit::Count)
                        .map(|m| cases_href(&at, kind, m))
                        .unwrap_or_default(),
                })
                .collect();
            ChildLine {
                name: c.name,
                href: format!("/insight?{}", insight::scope_query(&at, kind, &[])),
                cells,
            }
        })
        .collect();

    let type_lines = types
        .iter()
        .map(|t| {
            let at = Scope {
                dispute_type: Some(t.code.clone()),
                ..scope.clone()
            };
            let cell = |n: i64, m: Metric| Cell {
                text: n.to_string(),
                href: cases_href(&at, kind, m),
            };
            TypeLine {
                label: t.label.clone(),
                registered: cell(t.registered, Metric::Registered),
                mediated: cell(t.mediated, Metric::Mediated),
                succeeded: cell(t.succeeded, Metric::Succeeded),
                rate: Indicator::MediationSuccessRate.display(&Figure::ratio(
                    t.succeeded,
                    t.mediated,
                    1.0,
                )),
            }
        })
        .collect();

    let selected_type = scope.dispute_type.clone().unwrap_or_default();
    let mut type_opts = vec![Opt::new("", "全部类型", &selected_type)];
    type_opts.extend(
        DisputeType::ALL
            .iter()
            .map(|t| Opt::new(t.code(), t.label(), &selected_type)),
    );
    let page = InsightPage {
        chrome: Chrome::load(&state, &me, "数据研判", "insight").await,
        area: r.full_name(&scope.division),
        division: scope.division.to_string(),
        crumbs,
        periods: view::opts(
            [
                ("month", "本月"),
                ("quarter", "本季度"),
                ("year", "本年"),
                ("days", "近若干天"),
                ("custom", "自定义"),
            ],
            kind.code(),
        ),
        types: type_opts,
        from: date_text(scope.period.from),
        to: date_text(scope.period.to),
        days: scope.period.days().to_string(),
        period_label: scope.period.label(),
        previous_label: prev.label(),
        last_year_label: last.label(),
        cards,
        trend_svg,
        bars_svg,
        heat_svg,
        child_headers: insight::CHILD_COLUMNS.iter().map(|i| i.label()).collect(),
        children,
        type_lines,
        month_lines: months
            .into_iter()
            .map(|m| MonthLine {
                month: m.month,
                current: m.current,
                last_year: m.last_year,
            })
            .collect(),
        dl_indicators: download(&scope, kind, "indicators"),
        dl_divisions: download(&scope, kind, "divisions"),
        dl_types: download(&scope, kind, "types"),
        dl_months: download(&scope, kind, "months"),
    };
    view::render(&page, StatusCode::OK)
}

#[derive(Template)]
#[template(path = "insight_cases.html")]
struct CasesPage {
    chrome: Chrome,
    title: String,
    area: String,
    period_label: String,
    type_label: String,
    total: u64,
    rows: Vec<CaseRow>,
    back: String,
    prev_href: String,
    next_href: String,
    first: u64,
    last: u64,
}

#[derive(Debug, Deserialize)]
pub struct CasesQuery {
    #[serde(default)]
    metric: String,
    #[serde(default)]
    offset: u32,
}

const PAGE: u32 = 50;

/// `GET /insight/cases`: the cases behind a figure, 50 per page.
pub async fn cases(
    State(state): State<AppState>,
    PageUser(me): PageUser,
    PageQuery(q): PageQuery<ScopeParams>,
    PageQuery(c): PageQuery<CasesQuery>,
) -> Result<Response, PageError> {
    let (scope, kind) = q.resolve(&state, &me.user)?;
    let m = crate::api::insight::metric(&c.metric)?;
    let (list, total) = insight::metric_cases(&state, &scope, m, c.offset, PAGE).await?;
    let r = state.reference();
    let code = m.code();
    let page_at = |offset: u32| {
        let o = offset.to_string();
        format!(
            "/insight/cases?{}",
            insight::scope_query(&scope, kind, &[("metric", &code), ("offset", &o)])
        )
    };
    let shown = list.len() as u64;
    let page = CasesPage {
        chrome: Chrome::load(&state, &me, "数据研判 · 案件清单", "insight").await,
        title: insight::metric_label(m).to_owned(),
        area: r.full_name(&scope.division),
        period_label: scope.period.label(),
        type_label: scope
            .dispute_type
            .as_deref()
            .map_or_else(|| "全部类型".to_owned(), insight::type_label),
        total,
        rows: list::rows(&state, &list),
        back: format!("/insight?{}", insight::scope_query(&scope, kind, &[])),
        prev_href: if c.offset > 0 {
            page_at(c.offset.saturating_sub(PAGE))
        } else {
            String::new()
        },
        next_href: if u64::from(c.offset) + shown < total {
            page_at(c.offset + PAGE)
        } else {
            String::new()
        },
        first: if shown == 0 {
            0
        } else {
            u64::from(c.offset) + 1
        },
        last: u64::from(c.offset) + shown,
    };
    view::render(&page, StatusCode::OK)
}

/// One published formula.
#[derive(Debug)]
struct FormulaLine {
    code: &'static str,
    label: &'static str,
    numerator: &'static str,
    denominator: &'static str,
    formula: String,
    unit: &'static str,
}

#[derive(Template)]
#[template(path = "insight_formulas.html")]
struct FormulasPage {
    chrome: Chrome,
    lines: Vec<FormulaLine>,
}

/// `GET /insight/formulas`: every indicator's published formula (指标口径), for every staff
/// member: the formulas are public so that anyone can check a figure.
pub async fn formulas(
    State(state): State<AppState>,
    PageUser(me): PageUser,
) -> Result<Response, PageError> {
    let lines = Indicator::ALL
        .iter()
        .map(|&i| FormulaLine {
            code: i.code(),
            label: i.label(),
            numerator: i.numerator_label(),
            denominator: i.denominator_label(),
            formula: i.formula(),
            unit: match i.unit() {
                Unit::Count => "件",
                Unit::Percent => "百分比",
                Unit::Days => "天",
                Unit::PerTenThousand => "每万人",
            },
        })
        .collect();
    let page = FormulasPage {
        chrome: Chrome::load(&state, &me, "指标口径", "insight").await,
        lines,
    };
    view::render(&page, StatusCode::OK)
}
