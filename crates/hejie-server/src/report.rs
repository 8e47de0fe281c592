//! The monthly 《人民调解研判预警专报》: an area's figures for a calendar month with 环比 and 同比,
//! charts, hotspots, the early warnings raised and how they were handled, typical cases, and a
//! recommendations section left for the analyst to fill in.
//!
//! The data are gathered from the same functions the 数据研判 dashboard uses (so the report and
//! the page never disagree), written to JSON, and typeset by `hejie-pdf` with the template in
//! `templates/report/monthly.typ`; the charts are the dashboard's own SVG. A report is kept in the
//! document store under `monthly:{division}:{YYYY-MM}`, made again as a new version.

use std::sync::Arc;

use hejie_domain::division::{DivisionCode, Level};
use hejie_domain::org::OrganisationKind;
use hejie_domain::timestamp::{CST, Timestamp, chinese_date};
use hejie_insight::indicators::Indicator;
use hejie_store::documents::{DocumentInfo, NewDocument};
use hejie_store::warnings::{WarningFilter, WarningLevel};
use hejie_store::work::Job;
use hejie_store::{CaseSummary, StoreError};
use serde::Serialize;
use time::{Date, Month, OffsetDateTime, Time};

use crate::charts;
use crate::error::AppError;
use crate::insight::{self, Period, PeriodKind, Scope, add_months, month_text};
use crate::state::AppState;

/// The document kind of the monthly report.
pub const MONTHLY_KIND: &str = "monthly_report";

/// The scheduler job that makes the reports of the month before, on the 1st.
pub const MONTHLY_JOB: &str = "monthly_report";
const MONTHLY_JOB_KEY: &str = "report:monthly";

const TEMPLATE: &str = include_str!("../templates/report/monthly.typ");

/// The key a monthly report is kept under.
pub fn monthly_key(division: &DivisionCode, month: &str) -> String {
    format!("monthly:{division}:{month}")
}

/// Parses `YYYY-MM` into the first day of that month.
pub fn parse_month(s: &str) -> Result<Date, AppError> {
    let bad = || AppError::validation("month", format!("月份“{s}”格式不正确，应为 YYYY-MM"));
    let (y, m) = s.trim().split_once('-').ok_or_else(bad)?;
    let (Ok(y), Ok(m)) = (y.parse::<i32>(), m.parse::<u8>()) else {
        return Err(bad());
    };
    if !(2000..=2100).contains(&y) || y.to_string().len() != 4 || m.to_string().len() > 2 {
        return Err(bad());
    }
    let month = Month::try_from(m).map_err(|_| bad())?;
    Date::from_calendar_date(y, month, 1).map_err(|_| bad())
}

/// The whole calendar month starting on `first`.
pub fn month_period(first: Date) -> Period {
    let next = add_months(first, 1);
    Period {
        from: first,
        to: next.previous_day().unwrap_or(first),
    }
}

fn chinese_month(d: Date) -> String {
    format!("{}年{}月", d.year(), u8::from(d.month()))
}

#[derive(Debug, Serialize)]
struct KeyRow {
    name: &'static str,
    current: String,
    previous: String,
    mom: String,
    last_year: String,
    yoy: String,
}

#[derive(Debug, Serialize)]
struct TypeLine {
    label: String,
    registered: i64,
    share: String,
    previous: i64,
    change: String,
    success_rate: String,
}

#[derive(Debug, Serialize)]
struct AreaLine {
    name: String,
    registered: i64,
    mediated: i64,
    success_rate: String,
    average_days: String,
}

#[derive(Debug, Serialize)]
struct WarningLine {
    level: String,
    title: String,
    detail: String,
    status: String,
    outcome: String,
}

#[derive(Debug, Serialize)]
struct TypicalCase {
    number: String,
    dispute_type: String,
    area: String,
    summary: String,
}

/// Everything the template prints.
#[derive(Debug, Serialize)]
struct ReportData {
    title: &'static str,
    issue: String,
    organ: String,
    area: String,
    month: String,
    period: String,
    made_on: String,
    ident: String,
    summary: String,
    key: Vec<KeyRow>,
    types: Vec<TypeLine>,
    hotspots: Vec<String>,
    children_label: String,
    children: Vec<AreaLine>,
    has_children: bool,
    warnings: Vec<WarningLine>,
    warning_summary: String,
    typical: Vec<TypicalCase>,
}

/// The indicators in the key-figures table, in the order of 两上升、三下降、四提高 reading.
const KEY_FIGURES: [Indicator; 16] = [
    Indicator::SweepFound,
    Indicator::Registered,
    Indicator::Prevented,
    Indicator::Mediated,
    Indicator::Succeeded,
    Indicator::Petitions,
    Indicator::MediationSuccessRate,
    Indicator::CivilSuccessRate,
    Indicator::LocalResolutionRate,
    Indicator::FollowUpRate,
    Indicator::MajorFollowUpRate,
    Indicator::AverageDaysToClose,
    Indicator::SatisfactionRate,
    Indicator::PerformanceRate,
    Indicator::LitigationPerTenThousand,
    Indicator::IncidencePerTenThousand,
];

/// The organisation that issues the report: the area's 调处化解中心 when it has one.
fn organ(state: &AppState, division: &DivisionCode) -> String {
    let reference = state.reference();
    reference
        .orgs
        .values()
        .filter(|o| &o.division == division && matches!(o.kind, OrganisationKind::Centre))
        .map(|o| o.name.clone())
        .min()
        .unwrap_or_else(|| format!("{}矛盾纠纷多元化解中心", reference.full_name(division)))
}

fn percent(n: i64, d: i64) -> String {
    if d == 0 {
        "—".to_owned()
    } else {
        format!("{:.1}%", n as f64 * 100.0 / d as f64)
    }
}

fn relative(now: i64, then: i64) -> String {
    if then == 0 {
        "—".to_owned()
    } else {
        let d = (now - then) as f64 * 100.0 / then as f64;
        format!("{}{d:.1}%", if d > 0.0 { "+" } else { "" })
    }
}

/// A party's name in a typical case as reports print it: the surname and 某 (张三 → 张某).
fn anonymise(text: &str, party_names: &str) -> String {
    let mut out = text.to_owned();
    let mut names: Vec<&str> = party_names
        .split(['、', ',', '，', ' ', ';', '；'])
        .map(str::trim)
        .filter(|n| n.chars().count() >= 2)
        .collect();
    // Longer names first, so that 张三丰 is not left as 张某丰 by the shorter 张三.
    names.sort_by_key(|n| std::cmp::Reverse(n.chars().count()));
    for name in names {
        let surname: String = name.chars().take(1).collect();
        out = out.replace(name, &format!("{surname}某"));
    }
    out
}

fn shorten(s: &str, max: usize) -> String {
    let s = s.trim();
    if s.chars().count() <= max {
        s.to_owned()
    } else {
        s.chars().take(max).chain(['…']).collect()
    }
}

/// Typical cases of the month: mediated successfully, major ones first, then the fullest
/// accounts; at most three, with the parties' names reduced to 某.
fn typical(state: &AppState, cases: Vec<CaseSummary>) -> Vec<TypicalCase> {
    let mut cases = cases;
    cases.sort_by_key(|c| {
        (
            c.severity.as_deref() != Some("major"),
            std::cmp::Reverse(c.description.chars().count()),
            c.number.to_string(),
        )
    });
    let reference = state.reference();
    cases
        .into_iter()
        .take(3)
        .map(|c| TypicalCase {
            number: c.number.to_string(),
            dispute_type: c
                .dispute_type
                .as_deref()
                .map_or_else(|| "待定".to_owned(), insight::type_label),
            area: reference.full_name(&c.division),
            summary: shorten(&anonymise(&c.description, &c.party_names), 160),
        })
        .collect()
}

/// How many warnings the table lists; the summary counts them all.
const WARNING_LINES: usize = 15;

/// The warnings raised in the area during the month and how they were handled: a summary of
/// the counts (with 命中率 once outcomes are recorded) and the most urgent ones.
async fn month_warnings(
    state: &AppState,
    scope: &Scope,
) -> Result<(Vec<WarningLine>, String), AppError> {
    let from = Timestamp::midnight_cst(scope.period.from);
    let to = Timestamp::midnight_cst(scope.period.to.next_day().unwrap_or(scope.period.to));
    let stats = state.store.warning_stats(&scope.division, from, to).await?;
    let t = &stats.total;
    if t.raised == 0 {
        return Ok((Vec::new(), "本月未发出预警。".to_owned()));
    }
    let level = |l: WarningLevel| {
        stats
            .rows
            .iter()
            .filter(|r| r.level == Some(l))
            .map(|r| r.raised)
            .sum::<u64>()
    };
    let mut summary = format!(
        "本月共发出预警{}条（红色{}条、橙色{}条、黄色{}条），已签收{}条，已处置{}条；",
        t.raised,
        level(WarningLevel::Red),
        level(WarningLevel::Orange),
        level(WarningLevel::Yellow),
        t.acknowledged,
        t.acted,
    );
    match t.hit_rate() {
        Some(r) => summary.push_str(&format!(
            "已核实{}条，其中属实{}条、误报{}条，命中率{:.1}%",
            t.confirmed + t.false_alarm,
            t.confirmed,
            t.false_alarm,
            r * 100.0
        )),
        None => summary.push_str("尚无核实结果"),
    }
    if let Some(h) = t.median_hours_to_acknowledge {
        summary.push_str(&format!("；签收用时中位数{h:.1}小时"));
    }
    summary.push('。');

    // Unfinished and most urgent first.
    let (month, _) = state
        .store
        .warnings(&WarningFilter {
            within: Some(scope.division.clone()),
            raised_in: Some((from, to)),
            limit: WARNING_LINES as u32,
            ..WarningFilter::default()
        })
        .await?;
    let lines = month
        .iter()
        .map(|w| WarningLine {
            level: w.level.label().to_owned(),
            title: w.title.clone(),
            detail: crate::warnings::numbers(w),
            status: w.status.label().to_owned(),
            outcome: w
                .outcome
                .map_or_else(|| "—".to_owned(), |o| o.label().to_owned()),
        })
        .collect();
    Ok((lines, summary))
}

/// The words and figures of one area's report for the month starting on `first`.
async fn gather(
    state: &AppState,
    division: &DivisionCode,
    first: Date,
    made_on: Date,
) -> Result<(ReportData, Vec<(String, Vec<u8>)>), AppError> {
    let period = month_period(first);
    let scope = Scope {
        division: division.clone(),
        period,
        dispute_type: None,
    };
    let reference = state.reference();
    let area = reference.full_name(division);
    let rows = insight::indicators(state, &scope, PeriodKind::Month).await?;
    let row = |i: Indicator| rows.iter().find(|r| r.indicator == i);
    let key = KEY_FIGURES
        .iter()
        .filter_map(|&i| row(i))
        .map(|r| KeyRow {
            name: r.indicator.label(),
            current: r.shown(&r.current),
            previous: r.shown_base(&r.previous),
            mom: r.change(&r.previous),
            last_year: r.shown_base(&r.last_year),
            yoy: r.change(&r.last_year),
        })
        .collect();
    let figure = |i: Indicator| row(i).map_or_else(|| "—".to_owned(), |r| r.shown(&r.current));
    let change = |i: Indicator, yoy: bool| {
        row(i).map_or_else(
            || "—".to_owned(),
            |r| r.change(if yoy { &r.last_year } else { &r.previous }),
        )
    };
    let summary = format!(
        "{month}，{area}排查发现矛盾纠纷{found}件，登记受理{reg}件（环比{mom}，同比{yoy}）；\
         调解终结{med}件，其中调解成功{ok}件，调解成功率{rate}；就地化解率{local}，\
         结案平均用时{days}，回访率{follow}，满意度{sat}。",
        month = chinese_month(first),
        found = figure(Indicator::SweepFound),
        reg = figure(Indicator::Registered),
        mom = change(Indicator::Registered, false),
        yoy = change(Indicator::Registered, true),
        med = figure(Indicator::Mediated),
        ok = figure(Indicator::Succeeded),
        rate = figure(Indicator::MediationSuccessRate),
        local = figure(Indicator::LocalResolutionRate),
        days = figure(Indicator::AverageDaysToClose),
        follow = figure(Indicator::FollowUpRate),
        sat = figure(Indicator::SatisfactionRate),
    );

    // Types, with last month's counts for the change.
    let types = insight::by_type(state, &scope).await?;
    let before = insight::by_type(
        state,
        &Scope {
            period: period.previous(PeriodKind::Month),
            ..scope.clone()
        },
    )
    .await?;
    let total: i64 = types.iter().map(|t| t.registered).sum();
    let type_lines: Vec<TypeLine> = types
        .iter()
        .map(|t| {
            let previous = before
                .iter()
                .find(|b| b.code == t.code)
                .map_or(0, |b| b.registered);
            TypeLine {
                label: t.label.clone(),
                registered: t.registered,
                share: percent(t.registered, total),
                previous,
                change: relative(t.registered, previous),
                success_rate: percent(t.succeeded, t.mediated),
            }
        })
        .collect();
    let mut hotspots = Vec::new();
    for t in type_lines.iter().take(3).filter(|t| t.registered > 0) {
        hotspots.push(format!(
            "{}纠纷{}件，占{}，较上月{}。",
            t.label, t.registered, t.share, t.change
        ));
    }
    // Types that grew most against last month, when they matter (at least 5 cases).
    let mut rising: Vec<&TypeLine> = type_lines
        .iter()
        .filter(|t| t.registered >= 5 && t.registered >= t.previous * 3 / 2 && t.previous > 0)
        .collect();
    rising.sort_by_key(|t| std::cmp::Reverse(t.registered - t.previous));
    for t in rising.into_iter().take(2) {
        hotspots.push(format!(
            "{}纠纷上升明显：由上月{}件增至{}件（{}），需重点关注。",
            t.label, t.previous, t.registered, t.change
        ));
    }

    // The areas one level down, busiest first.
    let children = insight::children(state, &scope).await?;
    let col = |i: Indicator| insight::CHILD_COLUMNS.iter().position(|c| *c == i);
    let mut area_lines: Vec<AreaLine> = children
        .iter()
        .map(|c| {
            let get = |i: Indicator| col(i).and_then(|k| c.figures.get(k));
            let count = |i: Indicator| get(i).map_or(0, |f| f.numerator);
            let shown = |i: Indicator| get(i).map_or_else(|| "—".to_owned(), |f| i.display(f));
            AreaLine {
                name: c.name.clone(),
                registered: count(Indicator::Registered),
                mediated: count(Indicator::Mediated),
                success_rate: shown(Indicator::MediationSuccessRate),
                average_days: shown(Indicator::AverageDaysToClose),
            }
        })
        .collect();
    area_lines.sort_by(|a, b| b.registered.cmp(&a.registered).then(a.name.cmp(&b.name)));
    if let Some(top) = area_lines.first().filter(|a| a.registered > 0) {
        hotspots.push(format!(
            "{}登记{}件，为本月纠纷最多的{}。",
            top.name,
            top.registered,
            match division.level().child() {
                Some(Level::Township) => "乡镇（街道）",
                Some(Level::Village) => "村（社区）",
                Some(Level::County) => "县（市、区）",
                _ => "区域",
            }
        ));
    }
    if hotspots.is_empty() {
        hotspots.push("本月未登记矛盾纠纷。".to_owned());
    }
    let children_label = match division.level().child() {
        Some(Level::County) => "县（市、区）",
        Some(Level::Township) => "乡镇（街道）",
        _ => "村（社区）",
    }
    .to_owned();

    let (warnings, warning_summary) = month_warnings(state, &scope).await?;
    let (cases, _) = insight::metric_cases(
        state,
        &scope,
        hejie_insight::aggregate::Metric::Succeeded,
        0,
        50,
    )
    .await?;
    let typical = typical(state, cases);

    // Charts, drawn by the dashboard's own code; the SVG gets the PDF's sans-serif family
    // because the web page sets it by CSS, which a PDF does not have.
    let months = insight::months(state, &scope).await?;
    let labels: Vec<String> = months.iter().map(|m| m.month.clone()).collect();
    let current: Vec<Option<f64>> = months.iter().map(|m| Some(m.current as f64)).collect();
    let previous: Vec<Option<f64>> = months.iter().map(|m| Some(m.last_year as f64)).collect();
    let trend = charts::trend_chart(&charts::Trend {
        id: "trend",
        title: "近12个月纠纷受理数",
        labels: &labels,
        current: &current,
        previous: &previous,
        current_name: "本年度",
        previous_name: "上年同期",
        unit: "件",
    });
    let bars: Vec<charts::Bar> = type_lines
        .iter()
        .take(10)
        .map(|t| charts::Bar {
            label: t.label.clone(),
            value: t.registered as f64,
            href: None,
        })
        .collect();
    let bars = charts::bar_chart("types", "本月纠纷类型分布", &bars, "件");
    let (names, cols, values) = insight::heat(state, &scope).await?;
    let heat = charts::heat_map("heat", "各地区近12个月纠纷受理数", &names, &cols, &values);
    let files = vec![
        ("trend.svg".to_owned(), for_pdf(&trend)),
        ("types.svg".to_owned(), for_pdf(&bars)),
        ("heat.svg".to_owned(), for_pdf(&heat)),
    ];
    let month = month_text(first);
    let data = ReportData {
        title: "人民调解研判预警专报",
        issue: format!("{}年第{}期", first.year(), u8::from(first.month())),
        organ: organ(state, division),
        area: area.clone(),
        month: chinese_month(first),
        period: format!("{}至{}", chinese_date(period.from), chinese_date(period.to)),
        made_on: chinese_date(made_on),
        ident: format!("{division}-{month}"),
        summary,
        key,
        types: type_lines,
        hotspots,
        has_children: !area_lines.is_empty(),
        children_label,
        children: area_lines,
        warnings,
        warning_summary,
        typical,
    };
    Ok((data, files))
}

/// An SVG chart made for the page, set in the PDF's sans-serif face at its natural size.
fn for_pdf(svg: &str) -> Vec<u8> {
    svg.replacen(
        "<svg ",
        "<svg font-family=\"Noto Sans CJK SC\" fill=\"#1c2733\" ",
        1,
    )
    .replacen(" width=\"100%\"", "", 1)
    .into_bytes()
}

/// The fonts, loaded on first use (about 90 MB of Noto CJK) and kept.
pub(crate) async fn fonts(state: &AppState) -> Result<Arc<hejie_pdf::Fonts>, AppError> {
    let mut slot = state.fonts.lock().await;
    if let Some(f) = slot.as_ref() {
        return Ok(f.clone());
    }
    let loaded = tokio::task::spawn_blocking(hejie_pdf::Fonts::from_env)
        .await
        .map_err(|e| AppError::internal(anyhow::anyhow!("loading fonts: {e}")))?
        .map_err(|e| AppError::Unavailable(e.to_string()))?;
    let loaded = Arc::new(loaded);
    *slot = Some(loaded.clone());
    Ok(loaded)
}

/// Typesets the report of `division` for the month starting on `first`, dated `made_on`.
pub async fn render_monthly(
    state: &AppState,
    division: &DivisionCode,
    first: Date,
    made_on: Date,
) -> Result<Vec<u8>, AppError> {
    let (data, files) = gather(state, division, first, made_on).await?;
    let fonts = fonts(state).await?;
    let json = serde_json::to_vec(&data)
        .map_err(|e| AppError::internal(anyhow::anyhow!("report data: {e}")))?;
    let ident = data.ident.clone();
    let today = (made_on.year(), u8::from(made_on.month()), made_on.day());
    tokio::task::spawn_blocking(move || {
        hejie_pdf::render(
            &fonts,
            &hejie_pdf::Document {
                template: TEMPLATE,
                data: json,
                files,
                today,
                ident,
            },
        )
    })
    .await
    .map_err(|e| AppError::internal(anyhow::anyhow!("typesetting: {e}")))?
    .map_err(|e| AppError::internal(anyhow::anyhow!("{e}")))
}

/// Checks that a month can be reported on at `today`: not in the future.
pub fn check_month(first: Date, today: Date) -> Result<(), AppError> {
    if first > today {
        return Err(AppError::validation(
            "month",
            format!("{}尚未开始，不能生成专报", chinese_month(first)),
        ));
    }
    Ok(())
}

/// Makes the report and keeps it as the next version of its key.
pub async fn make_and_keep(
    state: &AppState,
    division: &DivisionCode,
    first: Date,
    made_by: &str,
) -> Result<(DocumentInfo, Vec<u8>), AppError> {
    let now = state.now();
    let today = now.date_cst();
    check_month(first, today)?;
    let pdf = render_monthly(state, division, first, today).await?;
    let month = month_text(first);
    let area = state.reference().full_name(division);
    let info = state
        .store
        .put_document(NewDocument {
            key: monthly_key(division, &month),
            kind: MONTHLY_KIND.to_owned(),
            division: division.clone(),
            period: month,
            title: format!("{area}{}人民调解研判预警专报", chinese_month(first)),
            content_type: "application/pdf".to_owned(),
            created_by: made_by.to_owned(),
            created_at: now,
            body: pdf.clone(),
        })
        .await?;
    Ok((info, pdf))
}

/// 02:00 CST on the first day of the month after `today`'s.
pub fn next_first(today: Date) -> Timestamp {
    let first = add_months(today.replace_day(1).unwrap_or(today), 1);
    let at = Time::from_hms(2, 0, 0).unwrap_or(Time::MIDNIGHT);
    Timestamp::from_datetime(OffsetDateTime::new_in_offset(first, at, CST))
}

/// Which areas get a report every month: the deployment's top divisions and every county and
/// township under them (villages read their township's).
pub fn monthly_areas(state: &AppState) -> Vec<DivisionCode> {
    state
        .reference()
        .tree
        .iter()
        .filter(|d| d.level() <= Level::Township)
        .map(|d| d.code.clone())
        .collect()
}

/// Schedules the monthly job unless it is already scheduled.
pub async fn ensure_scheduled(state: &AppState) -> Result<(), StoreError> {
    let today = state.now().date_cst();
    crate::workflow::scheduler::ensure_periodic(
        state,
        MONTHLY_JOB_KEY,
        MONTHLY_JOB,
        next_first(today),
    )
    .await
}

/// The job on the 1st: makes last month's report for every area, then schedules itself for the
/// next 1st. A report that fails is logged and the others still made; the job completes so the
/// month is not retried for ever, and `hejie report monthly` can make a missing one by hand.
pub async fn run(state: &AppState, job: &Job, now: Timestamp) -> Result<(), StoreError> {
    let today = now.date_cst();
    let first = add_months(today.replace_day(1).unwrap_or(today), -1);
    for division in monthly_areas(state) {
        let key = monthly_key(&division, &month_text(first));
        if state.store.document(&key).await?.is_some() {
            continue;
        }
        if let Err(e) = make_and_keep(state, &division, first, "system").await {
            tracing::warn!(division = %division, error = %e, "monthly report failed");
        }
    }
    crate::workflow::scheduler::run_again(state, job, next_first(today), now).await
}
