//! 基层走访 for staff (issue 7): `/field/ledgers` the four ledgers (四类台账) and the other field
//! records of an area, `/field/records/{id}` one record with its photos, its chained events and
//! the follow-up form (即跟踪、即反馈), `/field/map` the SVG map of an area's grids coloured by
//! open cases or open hazards with drill-down, and `/admin/areas` the boundaries' GeoJSON
//! import and export.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use hejie_domain::division::{DivisionCode, Level};
use hejie_domain::field::{EventBody, Ledger, RecordId, RecordKind, RecordStatus};

use hejie_domain::timestamp::Timestamp;
use hejie_domain::user::User;
use hejie_store::field::{FieldFilter, FieldRow};
use serde::Deserialize;

use super::PageError;
use super::form::{CsrfForm, PageQuery, PageUser};
use super::view::{self, Chrome, Opt};
use crate::auth::CurrentUser;
use crate::error::AppError;
use crate::field;
use crate::map;
use crate::state::AppState;
use crate::workflow::short_time;

/// The area a page is about (see [`field::area_in_scope`]).
fn area_of(user: &User, asked: &str) -> Result<DivisionCode, AppError> {
    field::area_in_scope(user, Some(asked))
}

/// The way up from the user's jurisdiction to `area`, for the breadcrumb.
fn crumbs(state: &AppState, user: &User, area: &DivisionCode, page: &str) -> Vec<(String, String)> {
    let r = state.reference();
    r.tree
        .path(area)
        .into_iter()
        .filter(|d| user.covers(&d.code))
        .map(|d| (d.name.clone(), format!("{page}?division={}", d.code)))
        .collect()
}

#[derive(Debug)]
struct Row {
    id: String,
    kind: String,
    ledger: String,
    category: String,
    status: String,
    status_code: String,
    place: String,
    who: String,
    when: String,
    summary: String,
    photos: i64,
    flagged: bool,
    case_number: String,
}

fn row_of(state: &AppState, r: &FieldRow) -> Row {
    let reference = state.reference();
    Row {
        id: r.id.clone(),
        kind: RecordKind::parse(&r.kind)
            .map_or("", |k| k.label())
            .to_owned(),
        ledger: r
            .ledger
            .as_deref()
            .and_then(|l| Ledger::parse(l).ok())
            .map_or("", |l| l.label())
            .to_owned(),
        category: r.category.clone().unwrap_or_default(),
        status: RecordStatus::parse(&r.status)
            .map_or("", |s| s.label())
            .to_owned(),
        status_code: r.status.clone(),
        // A grid's own name already names its village (东门社区第1网格).
        place: DivisionCode::parse(&r.division)
            .ok()
            .and_then(|d| reference.division(&d).map(|d| d.name.clone()))
            .unwrap_or_else(|| r.division.clone()),
        who: r.actor_name.clone(),
        when: short_time(Timestamp::from_micros(r.occurred_at)),
        summary: r.summary.clone(),
        photos: r.photos,
        flagged: r.flagged,
        case_number: r.case_number.clone().unwrap_or_default(),
    }
}

#[derive(Debug)]
struct Tab {
    code: String,
    label: &'static str,
    current: bool,
    /// Reports still being followed (跟踪中); 0 for the other records.
    open: u64,
}

#[derive(Template)]
#[template(path = "field_ledgers.html")]
struct LedgersPage {
    chrome: Chrome,
    tab: &'static str,
    division: String,
    area: String,
    crumbs: Vec<(String, String)>,
    tabs: Vec<Tab>,
    statuses: Vec<Opt>,
    rows: Vec<Row>,
}

#[derive(Debug, Deserialize)]
pub struct LedgersQuery {
    #[serde(default)]
    division: String,
    /// A ledger code, or a record kind (`patrol`, `visit`, `consultation`, `activity`).
    #[serde(default)]
    show: String,
    #[serde(default)]
    status: String,
}

/// `GET /field/ledgers`.
pub async fn ledgers(
    State(state): State<AppState>,
    PageUser(me): PageUser,
    PageQuery(q): PageQuery<LedgersQuery>,
) -> Result<Response, PageError> {
    let area = area_of(&me.user, &q.division)?;
    let show = if q.show.is_empty() {
        "dispute".to_owned()
    } else {
        q.show.clone()
    };
    let ledger = Ledger::parse(&show).ok();
    let kind = match ledger {
        Some(_) => RecordKind::Report,
        None => {
            RecordKind::parse(&show).map_err(|_| AppError::validation("show", "无法识别的台账"))?
        }
    };
    let base = FieldFilter {
        within: Some(area.clone()),
        kind: Some(kind.code().to_owned()),
        ledger: ledger.map(|l| l.code().to_owned()),
        status: Some(q.status.clone()).filter(|s| !s.is_empty()),
        limit: 300,
        ..FieldFilter::default()
    };
    let rows = state.store.field_records(&base).await?;
    let counts = state.store.report_counts(&area).await?;
    let mut tabs = Vec::new();
    for l in Ledger::ALL {
        let n = counts
            .iter()
            .filter(|(ledger, status, _)| ledger == l.code() && status == "open")
            .map(|(_, _, n)| n)
            .sum();
        tabs.push(Tab {
            code: l.code().to_owned(),
            label: l.label(),
            current: l.code() == show,
            open: n,
        });
    }
    for k in [
        RecordKind::Patrol,
        RecordKind::Visit,
        RecordKind::Consultation,
        RecordKind::Activity,
    ] {
        tabs.push(Tab {
            code: k.code().to_owned(),
            label: k.label(),
            current: k.code() == show,
            open: 0,
        });
    }
    let statuses = std::iter::once(("", "全部"))
        .chain(
            [
                RecordStatus::Open,
                RecordStatus::ResolvedOnSpot,
                RecordStatus::BecameCase,
                RecordStatus::Closed,
            ]
            .iter()
            .map(|s| (s.code(), s.label())),
        )
        .map(|(v, l)| Opt::new(v, l, &q.status))
        .collect();
    let page = LedgersPage {
        chrome: Chrome::load(&state, &me, "四类台账", "field").await,
        tab: "ledgers",
        area: state.reference().full_name(&area),
        crumbs: crumbs(&state, &me.user, &area, "/field/ledgers"),
        division: area.to_string(),
        tabs,
        statuses,
        rows: rows.iter().map(|r| row_of(&state, r)).collect(),
    };
    view::render(&page, StatusCode::OK)
}

#[derive(Debug)]
struct EventLine {
    version: u64,
    what: String,
    who: String,
    when: String,
    hash: String,
}

#[derive(Template)]
#[template(path = "field_record.html")]
struct RecordPage {
    chrome: Chrome,
    row: Row,
    id: String,
    details: Vec<(String, String)>,
    photos: Vec<String>,
    map_link: String,
    events: Vec<EventLine>,
    may_follow_up: bool,
    error: String,
}

fn describe(body: &EventBody, state: &AppState) -> (String, Vec<(String, String)>) {
    let r = state.reference();
    let place = |d: &DivisionCode| r.full_name(d);
    match body {
        EventBody::ReportFiled { report, .. } => (
            format!("上报{}：{}", report.ledger.label(), report.category),
            vec![
                ("台账".to_owned(), report.ledger.label().to_owned()),
                ("类别".to_owned(), report.category.clone()),
                ("网格".to_owned(), place(&report.grid)),
                ("情况描述".to_owned(), report.text.clone()),
                ("当事人".to_owned(), report.parties.join("、")),
                ("发现时间".to_owned(), short_time(report.observed_at)),
            ],
        ),
        EventBody::ResolvedOnSpot {
            record,
            confirmed_by,
        } => (
            format!("就地化解：{record}（{}确认）", confirmed_by.join("、")),
            vec![("化解情况".to_owned(), record.clone())],
        ),
        EventBody::CaseLinked { number, .. } => (format!("转入受理，生成案件{number}"), vec![]),
        EventBody::FollowedUp { note, closed } => (
            format!(
                "{}：{note}",
                if *closed {
                    "办结反馈"
                } else {
                    "跟踪情况"
                }
            ),
            vec![],
        ),
        EventBody::PatrolLogged { patrol, .. } => (
            format!(
                "巡查 {} 至 {}，轨迹{}个点，走访{}户",
                short_time(patrol.started_at),
                short_time(patrol.ended_at),
                patrol.track.len(),
                patrol.visits.len()
            ),
            patrol
                .visits
                .iter()
                .map(|v| (format!("走访 {}", v.household), v.note.clone()))
                .chain(std::iter::once((
                    "巡查小结".to_owned(),
                    patrol.note.clone(),
                )))
                .collect(),
        ),
        EventBody::CheckedIn { check_in, .. } => (
            format!("进村签到：{}", check_in.fence.describe()),
            vec![
                ("村（社区）".to_owned(), place(&check_in.village)),
                ("签到位置".to_owned(), check_in.fence.describe()),
            ],
        ),
        EventBody::PhotoAdded { .. } => ("拍摄现场照片".to_owned(), vec![]),
        EventBody::CheckedOut { fence, log, .. } => (
            format!("出村签退：{}", fence.describe()),
            vec![
                ("签退位置".to_owned(), fence.describe()),
                ("工作日志".to_owned(), log.clone()),
            ],
        ),
        EventBody::ConsultationLogged { consultation, .. } => (
            "记录法律咨询".to_owned(),
            vec![
                ("咨询人".to_owned(), consultation.asker.clone()),
                ("咨询问题".to_owned(), consultation.question.clone()),
                ("解答意见".to_owned(), consultation.answer.clone()),
                (
                    "法律援助".to_owned(),
                    if consultation.legal_aid {
                        "已引导申请法律援助".to_owned()
                    } else {
                        "否".to_owned()
                    },
                ),
            ],
        ),
        EventBody::ActivityLogged { activity, .. } => (
            format!("记录{}：{}", activity.activity.label(), activity.title),
            vec![
                ("活动类型".to_owned(), activity.activity.label().to_owned()),
                ("活动主题".to_owned(), activity.title.clone()),
                ("参加人数".to_owned(), activity.audience.to_string()),
                ("活动情况".to_owned(), activity.note.clone()),
                ("活动时间".to_owned(), short_time(activity.held_at)),
            ],
        ),
    }
}

async fn render_record(
    state: &AppState,
    me: &CurrentUser,
    id: RecordId,
    error: String,
) -> Result<Response, PageError> {
    let (record, events) = field::load(state, &me.user, id).await?;
    let row = state
        .store
        .field_record(id)
        .await?
        .ok_or(AppError::NotFound)?;
    let mut details = Vec::new();
    let mut lines = Vec::new();
    for e in &events {
        let (what, more) = describe(&e.event.body, state);
        details.extend(more.into_iter().filter(|(_, v)| !v.is_empty()));
        lines.push(EventLine {
            version: e.version,
            what,
            who: e.event.meta.actor.name.clone(),
            when: short_time(e.event.meta.at),
            hash: e.hash.chars().take(16).collect(),
        });
    }
    let map_link = match (row.lat_e6, row.lon_e6) {
        (Some(lat), Some(lon)) => format!("{:.6}，{:.6}", lat as f64 / 1e6, lon as f64 / 1e6),
        _ => String::new(),
    };
    let may_follow_up = record.kind == Some(RecordKind::Report)
        && record.status == Some(RecordStatus::Open)
        && record.division.as_ref().is_some_and(|d| me.user.covers(d));
    let page = RecordPage {
        chrome: Chrome::load(state, me, "台账记录", "field").await,
        id: id.to_string(),
        photos: record.photos.iter().map(|p| p.sha256.clone()).collect(),
        row: row_of(state, &row),
        details,
        map_link,
        events: lines,
        may_follow_up,
        error,
    };
    let status = if page.error.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    view::render(&page, status)
}

fn record_id(s: &str) -> Result<RecordId, PageError> {
    RecordId::parse(s).map_err(|_| PageError::from(AppError::NotFound))
}

/// `GET /field/records/{id}`.
pub async fn record(
    State(state): State<AppState>,
    PageUser(me): PageUser,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    render_record(&state, &me, record_id(&id)?, String::new()).await
}

/// `GET /field/records/{id}/photos/{sha256}`.
pub async fn photo(
    State(state): State<AppState>,
    PageUser(me): PageUser,
    Path((id, sha256)): Path<(String, String)>,
) -> Result<Response, PageError> {
    Ok(crate::api::field::photo_response(&state, &me.user, record_id(&id)?, &sha256).await?)
}

#[derive(Debug, Deserialize)]
pub struct FollowUpForm {
    #[serde(default)]
    note: String,
    #[serde(default)]
    close: String,
}

/// `POST /field/records/{id}/follow-up`.
pub async fn follow_up(
    State(state): State<AppState>,
    Path(id): Path<String>,
    form: CsrfForm<FollowUpForm>,
) -> Result<Response, PageError> {
    let id = record_id(&id)?;
    let command = hejie_domain::field::Command::FollowUp {
        note: form.form.note.clone(),
        close: !form.form.close.is_empty(),
    };
    match field::act(&state, &form.user.user, id, command).await {
        Ok(_) => Ok(Redirect::to(&format!("/field/records/{id}")).into_response()),
        Err(e @ (AppError::Validation { .. } | AppError::Refused { .. })) => {
            render_record(&state, &form.user, id, e.to_string()).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "field_map.html")]
struct MapPage {
    chrome: Chrome,
    tab: &'static str,
    division: String,
    area: String,
    by: String,
    crumbs: Vec<(String, String)>,
    svg: String,
    table: Vec<(String, String, u64, String)>,
    missing: usize,
    measure: &'static str,
}

#[derive(Debug, Deserialize)]
pub struct MapQuery {
    #[serde(default)]
    division: String,
    /// `cases` (open cases, the default) or `hazards` (open safety hazards).
    #[serde(default)]
    by: String,
}

/// `GET /field/map`.
pub async fn map_page(
    State(state): State<AppState>,
    PageUser(me): PageUser,
    PageQuery(q): PageQuery<MapQuery>,
) -> Result<Response, PageError> {
    let area = area_of(&me.user, &q.division)?;
    let by = if q.by == "hazards" {
        "hazards"
    } else {
        "cases"
    };
    let measure = if by == "hazards" {
        "未办结安全隐患"
    } else {
        "在办案件"
    };
    let mut data = map::data(&state, &area, by).await?;
    // A village's map shows each grid's stars (星级网格) for this month.
    if area.level() == Level::Village {
        let duties = crate::duties::load(&state).await?;
        let month = crate::duties::month_of(&state, "")?;
        let (start, end) = hejie_domain::quota::Period::Month.range_containing(month);
        let ratings = crate::duties::ratings(&state, &area, start, end, &duties).await?;
        for (unit, code) in data.units.iter_mut().zip(&data.codes) {
            if let Some(g) = ratings.iter().find(|g| g.code == code.as_str()) {
                unit.badge = hejie_domain::rating::stars_label(g.rating.stars);
            }
        }
    }
    let name = state.reference().full_name(&area);
    let svg = map::render(
        &data.shapes,
        &data.outlines,
        &data.units,
        &format!("{name}网格地图：{measure}"),
        measure,
    );
    let table = data
        .units
        .iter()
        .zip(&data.codes)
        .map(|(u, c)| (c.to_string(), u.name.clone(), u.value, u.href.clone()))
        .collect();
    let page = MapPage {
        chrome: Chrome::load(&state, &me, "网格地图", "field").await,
        tab: "map",
        crumbs: crumbs(&state, &me.user, &area, "/field/map"),
        division: area.to_string(),
        area: name,
        by: by.to_owned(),
        svg,
        table,
        missing: data.missing,
        measure,
    };
    view::render(&page, StatusCode::OK)
}

#[derive(Debug)]
struct DutyCell {
    met: bool,
    text: String,
    evidence: Vec<(String, bool)>,
}

#[derive(Debug)]
struct Group {
    role: String,
    duty_names: Vec<String>,
    people: Vec<PersonRow>,
    met: usize,
}

#[derive(Debug)]
struct PersonRow {
    in_progress: bool,
    name: String,
    places: String,
    period: String,
    met: bool,
    flagged: usize,
    cells: Vec<DutyCell>,
}

#[derive(Debug)]
struct GridRow {
    name: String,
    code: String,
    stars: String,
    score: String,
    parts: String,
}

#[derive(Template)]
#[template(path = "field_board.html")]
struct BoardPage {
    chrome: Chrome,
    tab: &'static str,
    division: String,
    area: String,
    month: String,
    month_label: String,
    crumbs: Vec<(String, String)>,
    groups: Vec<Group>,
    met: usize,
    total: usize,
    grids: Vec<GridRow>,
}

#[derive(Debug, Deserialize)]
pub struct BoardQuery {
    #[serde(default)]
    division: String,
    /// `YYYY-MM`; the current month by default.
    #[serde(default)]
    month: String,
}

/// `GET /field/board`: who met which duty this month, with the records behind each tick, and
/// the grids' star ratings.
pub async fn board(
    State(state): State<AppState>,
    PageUser(me): PageUser,
    PageQuery(q): PageQuery<BoardQuery>,
) -> Result<Response, PageError> {
    let area = area_of(&me.user, &q.division)?;
    let month = crate::duties::month_of(&state, &q.month)?;
    let b = crate::duties::board(&state, &area, month).await?;
    // One table per role, each with its own duties as columns.
    let mut groups: Vec<Group> = Vec::new();
    for p in &b.people {
        let names: Vec<String> = p.duties.iter().map(|d| d.duty.clone()).collect();
        let at = match groups.iter().position(|g| g.role == p.role) {
            Some(i) => i,
            None => {
                groups.push(Group {
                    role: p.role.clone(),
                    duty_names: names.clone(),
                    people: Vec::new(),
                    met: 0,
                });
                groups.len() - 1
            }
        };
        let g = &mut groups[at];
        g.met += usize::from(p.met);
        let cells = g
            .duty_names
            .iter()
            .map(|n| match p.duties.iter().find(|d| &d.duty == n) {
                Some(d) => DutyCell {
                    met: d.met,
                    text: format!("{}/{}", d.done, d.required),
                    evidence: d
                        .evidence
                        .iter()
                        .take(5)
                        .map(|id| (id.clone(), d.flagged.contains(id)))
                        .collect(),
                },
                None => DutyCell {
                    met: true,
                    text: "—".to_owned(),
                    evidence: Vec::new(),
                },
            })
            .collect();
        g.people.push(PersonRow {
            name: p.name.clone(),
            places: p.places.clone(),
            period: p.period.clone(),
            met: p.met,
            in_progress: p.in_progress,
            flagged: p.flagged,
            cells,
        });
    }
    let grids = b
        .grids
        .iter()
        .map(|g| GridRow {
            name: g.name.clone(),
            code: g.code.clone(),
            stars: hejie_domain::rating::stars_label(g.rating.stars),
            score: format!("{:.1}", g.rating.score),
            parts: g
                .rating
                .parts
                .iter()
                .map(|p| format!("{} {}（{:.1}分）", p.name, p.detail, p.points))
                .collect::<Vec<_>>()
                .join("；"),
        })
        .collect();
    let page = BoardPage {
        chrome: Chrome::load(&state, &me, "“四个至少”考核", "field").await,
        tab: "board",
        crumbs: crumbs(&state, &me.user, &area, "/field/board"),
        area: state.reference().full_name(&area),
        division: area.to_string(),
        month: format!("{:04}-{:02}", month.year(), u8::from(month.month())),
        month_label: b.month.clone(),
        met: b.people.iter().filter(|p| p.met).count(),
        total: b.people.len(),
        groups,
        grids,
    };
    view::render(&page, StatusCode::OK)
}

#[derive(Debug, Deserialize)]
pub struct BoardExportQuery {
    #[serde(default)]
    division: String,
    #[serde(default)]
    month: String,
    /// `csv` (default) or `xlsx`.
    #[serde(default)]
    format: String,
}

/// `GET /field/board/export`: the month's board as CSV or Excel (monthly review).
pub async fn board_export(
    State(state): State<AppState>,
    PageUser(me): PageUser,
    PageQuery(q): PageQuery<BoardExportQuery>,
) -> Result<Response, PageError> {
    let area = area_of(&me.user, &q.division)?;
    let month = crate::duties::month_of(&state, &q.month)?;
    let b = crate::duties::board(&state, &area, month).await?;
    let name = state.reference().full_name(&area);
    let table = crate::duties::table(&b, &name);
    let stem = format!(
        "四个至少考核-{name}-{:04}-{:02}",
        month.year(),
        u8::from(month.month())
    );
    let ascii = format!(
        "field-duties-{:04}-{:02}",
        month.year(),
        u8::from(month.month())
    );
    let (bytes, ext, mime) = if q.format == "xlsx" {
        (
            crate::export::xlsx(&table).map_err(AppError::internal)?,
            "xlsx",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    } else {
        (
            crate::export::csv(&table).into_bytes(),
            "csv",
            "text/csv; charset=utf-8",
        )
    };
    Ok(crate::download::attachment(
        bytes,
        mime,
        &format!("{ascii}.{ext}"),
        &format!("{stem}.{ext}"),
    ))
}
