//! Field work's application layer (issue 7, ADR 0013): every field record write goes through
//! here. It decides with `hejie_domain::field::handle`, derives the record's row from its
//! events, and appends both in one transaction. Creating a record is idempotent by its id (the
//! phone's key): the same person sending it again gets the record back, marked a repeat.

use hejie_domain::case::GeoPoint;
use hejie_domain::division::{DivisionCode, Level};
use hejie_domain::field::{
    self, Command, Event, EventBody, FenceCheck, FieldError, FieldRecord, Ledger, Photo, Position,
    RecordId, RecordKind,
};
use hejie_domain::geo::{Area, Geometry};
use hejie_domain::user::{Actor, User};
use hejie_store::StoreError;
use hejie_store::field::{FieldRow, StoredFieldEvent};

use crate::cases::{self, PartyInput, RegisterInput};
use crate::error::AppError;
use crate::evidence;
use crate::state::AppState;

/// How far outside a village's boundary a check-in is still accepted without a flag, in
/// metres: about twice a phone's usual GPS error in the open.
pub const FENCE_TOLERANCE_M: f64 = 50.0;

impl From<FieldError> for AppError {
    fn from(e: FieldError) -> Self {
        match e {
            FieldError::Validation(v) => AppError::validation(v.field, v.message),
            FieldError::Conflict { code, message } => AppError::Refused { code, message },
            FieldError::Forbidden(message) => AppError::Forbidden {
                code: "forbidden",
                message,
            },
        }
    }
}

/// A written record and whether this request was a repeat of one already written.
#[derive(Debug, Clone)]
pub struct Written {
    pub row: FieldRow,
    pub repeat: bool,
}

fn meta(state: &AppState, user: &User, division: &DivisionCode) -> field::Meta {
    field::Meta {
        actor: Actor::of(user),
        at: state.now(),
        division: division.clone(),
    }
}

/// Whether `user` may see a record filed under `division` by `actor_id`: its author always, and
/// staff whose jurisdiction covers where it was filed.
pub fn visible(user: &User, division: &str, actor_id: &str) -> bool {
    actor_id == user.id.to_string() || DivisionCode::parse(division).is_ok_and(|d| user.covers(&d))
}

/// The area a page or request is about: the one asked for when the user's jurisdiction covers
/// it ("not found" otherwise, so other areas do not leak), else the user's own.
pub fn area_in_scope(user: &User, asked: Option<&str>) -> Result<DivisionCode, AppError> {
    match asked.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(user.jurisdiction.clone()),
        Some(s) => {
            let d =
                DivisionCode::parse(s).map_err(|e| AppError::validation("division", e.message))?;
            if user.covers(&d) {
                Ok(d)
            } else {
                Err(AppError::NotFound)
            }
        }
    }
}

/// A record's events, if `user` may see it; "not found" otherwise, so existence does not leak.
pub async fn load(
    state: &AppState,
    user: &User,
    id: RecordId,
) -> Result<(FieldRecord, Vec<StoredFieldEvent>), AppError> {
    let events = state.store.field_events(id).await?;
    let first = events.first().ok_or(AppError::NotFound)?;
    let meta = &first.event.meta;
    if !visible(user, meta.division.as_str(), &meta.actor.id.to_string()) {
        return Err(AppError::NotFound);
    }
    let record = FieldRecord::replay(events.iter().map(|e| &e.event));
    Ok((record, events))
}

/// Creates a record filed under `division` (a grid or a village in the user's jurisdiction).
/// Sending the same record again returns it unchanged with `repeat`.
pub async fn create(
    state: &AppState,
    user: &User,
    id: RecordId,
    division: &DivisionCode,
    commands: Vec<Command>,
) -> Result<Written, AppError> {
    if let Some(written) = repeat(state, user, id).await? {
        return Ok(written);
    }
    if !user.covers(division) && !assigned_to(state, user, division).await? {
        return Err(AppError::Forbidden {
            code: "out_of_jurisdiction",
            message: "所选网格或村（社区）不在您的辖区内，也不是派驻给您的".to_owned(),
        });
    }
    let m = meta(state, user, division);
    let mut record = FieldRecord::default();
    let mut events = Vec::new();
    for command in commands {
        let new = field::handle(&record, id, &m, command)?;
        for e in &new {
            record.apply(e);
        }
        events.extend(new);
    }
    let row = project(&events, &record);
    match state
        .store
        .append_field(id, 0, events, row.clone(), state.now())
        .await
    {
        Ok(()) => Ok(Written { row, repeat: false }),
        // Two sends of the same record raced; the loser answers like a later repeat.
        Err(StoreError::Duplicate(_)) => repeat(state, user, id)
            .await?
            .ok_or_else(|| AppError::Conflict("记录已存在".to_owned())),
        Err(e) => Err(e.into()),
    }
}

/// The day of `t` in China as `YYYY-MM-DD`, how contract periods are written.
pub fn day_of(t: hejie_domain::timestamp::Timestamp) -> String {
    crate::insight::date_text(
        t.to_datetime()
            .to_offset(hejie_domain::timestamp::CST)
            .date(),
    )
}

/// Whether `user` is assigned to `division` today (an advisor contracted to villages beyond
/// their own jurisdiction works there too).
async fn assigned_to(
    state: &AppState,
    user: &User,
    division: &DivisionCode,
) -> Result<bool, AppError> {
    let today = day_of(state.now());
    Ok(state
        .store
        .assignments_of(&user.id.to_string())
        .await?
        .iter()
        .any(|a| &a.division == division && a.runs_on(&today)))
}

async fn repeat(state: &AppState, user: &User, id: RecordId) -> Result<Option<Written>, AppError> {
    let Some(row) = state.store.field_record(id).await? else {
        return Ok(None);
    };
    if row.actor_id != user.id.to_string() {
        // Someone else's record under the same key: a forged or colliding id.
        return Err(AppError::Refused {
            code: "id_taken",
            message: "该记录编号已被占用，请重新生成后提交".to_owned(),
        });
    }
    Ok(Some(Written { row, repeat: true }))
}

/// Decides and appends a command on an existing record.
pub async fn act(
    state: &AppState,
    user: &User,
    id: RecordId,
    command: Command,
) -> Result<FieldRow, AppError> {
    let (record, stored) = load(state, user, id).await?;
    let division = record.division.clone().ok_or(AppError::NotFound)?;
    let new = field::handle(&record, id, &meta(state, user, &division), command)?;
    let mut all: Vec<Event> = stored.into_iter().map(|e| e.event).collect();
    let mut after = record.clone();
    for e in &new {
        after.apply(e);
    }
    all.extend(new.iter().cloned());
    let row = project(&all, &after);
    state
        .store
        .append_field(id, record.version, new, row.clone(), state.now())
        .await?;
    Ok(row)
}

/// The record's row, derived from all its events and its folded state.
pub fn project(events: &[Event], record: &FieldRecord) -> FieldRow {
    let first = events.first();
    let mut row = FieldRow {
        id: record.id.map(|i| i.to_string()).unwrap_or_default(),
        kind: record.kind.map(|k| k.code().to_owned()).unwrap_or_default(),
        status: record
            .status
            .map(|s| s.code().to_owned())
            .unwrap_or_default(),
        ledger: record.ledger.map(|l| l.code().to_owned()),
        category: None,
        division: record
            .division
            .as_ref()
            .map(ToString::to_string)
            .unwrap_or_default(),
        actor_id: first
            .map(|e| e.meta.actor.id.to_string())
            .unwrap_or_default(),
        actor_name: first.map(|e| e.meta.actor.name.clone()).unwrap_or_default(),
        occurred_at: first.map_or(0, |e| e.meta.at.micros()),
        ended_at: None,
        lat_e6: None,
        lon_e6: None,
        flagged: false,
        case_number: record.case.as_ref().map(|(_, n)| n.clone()),
        summary: String::new(),
        photos: i64::try_from(record.photos.len()).unwrap_or(0),
        version: i64::try_from(record.version).unwrap_or(0),
        updated_at: events.last().map_or(0, |e| e.meta.at.micros()),
    };
    let mut place = |p: Option<GeoPoint>| {
        if let (Some(p), None) = (p, row.lat_e6) {
            row.lat_e6 = Some((p.lat() * 1e6).round() as i64);
            row.lon_e6 = Some((p.lon() * 1e6).round() as i64);
        }
    };
    let mut summary = String::new();
    let mut category = None;
    let mut occurred = None;
    let mut ended = None;
    let mut flagged = false;
    for e in events {
        match &e.body {
            EventBody::ReportFiled { report, .. } => {
                place(report.position.map(|p| p.point));
                category = Some(report.category.clone());
                occurred = Some(report.observed_at);
                summary.clone_from(&report.text);
            }
            EventBody::PatrolLogged { patrol, .. } => {
                place(patrol.track.first().map(|t| t.point));
                occurred = Some(patrol.started_at);
                ended = Some(patrol.ended_at);
                summary = format!(
                    "巡查轨迹{}个点，走访{}户{}",
                    patrol.track.len(),
                    patrol.visits.len(),
                    if patrol.note.is_empty() {
                        String::new()
                    } else {
                        format!("：{}", patrol.note)
                    }
                );
            }
            EventBody::CheckedIn { check_in, .. } => {
                place(check_in.position.map(|p| p.point));
                flagged |= check_in.fence.flagged();
                summary = format!("进村签到（{}）", check_in.fence.describe());
            }
            EventBody::CheckedOut { fence, log, .. } => {
                flagged |= fence.flagged();
                ended = Some(e.meta.at);
                summary.clone_from(log);
            }
            EventBody::ConsultationLogged { consultation, .. } => {
                category = Some(if consultation.legal_aid {
                    "转法律援助".to_owned()
                } else {
                    "法律咨询".to_owned()
                });
                summary.clone_from(&consultation.question);
            }
            EventBody::ActivityLogged { activity, .. } => {
                category = Some(activity.activity.label().to_owned());
                occurred = Some(activity.held_at);
                summary = format!("{}（{}人）", activity.title, activity.audience);
            }
            EventBody::ResolvedOnSpot { .. }
            | EventBody::CaseLinked { .. }
            | EventBody::FollowedUp { .. }
            | EventBody::PhotoAdded { .. } => {}
        }
    }
    row.category = category;
    row.summary = summary.chars().take(120).collect();
    if let Some(t) = occurred {
        row.occurred_at = t.micros();
    }
    row.ended_at = ended.map(|t| t.micros());
    row.flagged = flagged;
    row
}

/// Checks a photo by its content, keeps it under its SHA-256 and describes it for the record.
pub fn keep_photo(state: &AppState, bytes: &[u8]) -> Result<Photo, AppError> {
    if bytes.is_empty() {
        return Err(AppError::validation("photo", "照片是空的，请重新拍摄"));
    }
    let max = state.config.evidence_max_bytes;
    if bytes.len() > max {
        return Err(evidence::too_large(max));
    }
    let kind = evidence::sniff(bytes)
        .filter(|k| k.content_type.starts_with("image/"))
        .ok_or_else(|| AppError::validation("photo", "照片须为JPEG、PNG、WebP或HEIC图片"))?;
    let sha256 = evidence::files(state)?
        .put(bytes)
        .map_err(|e| AppError::internal(anyhow::anyhow!("storing a photo: {e}")))?;
    Ok(Photo {
        sha256,
        content_type: kind.content_type.to_owned(),
        size: bytes.len() as u64,
    })
}

/// A position from the form's numbers; both or neither.
pub fn position(
    lat: Option<f64>,
    lon: Option<f64>,
    accuracy: Option<f64>,
) -> Result<Option<Position>, AppError> {
    match (lat, lon) {
        (Some(lat), Some(lon)) => Ok(Some(Position {
            point: GeoPoint::parse(lat, lon)?,
            accuracy_m: accuracy
                .filter(|a| a.is_finite() && *a >= 0.0)
                .map(|a| a.round().min(f64::from(u32::MAX)) as u32),
        })),
        (None, None) => Ok(None),
        _ => Err(AppError::validation("lat", "定位须同时包含经度和纬度")),
    }
}

/// The village's current boundary as an area, when one is on file and readable.
pub async fn village_area(
    state: &AppState,
    village: &DivisionCode,
) -> Result<Option<Area>, AppError> {
    let Some(stored) = state.store.area(village).await? else {
        return Ok(None);
    };
    let geometry: Geometry = serde_json::from_str(&stored.geometry)
        .map_err(|e| AppError::internal(anyhow::anyhow!("stored boundary of {village}: {e}")))?;
    Ok(Area::from_geometry(&geometry).ok())
}

/// Judges a position against the village's boundary (flagged, never refused, outside it).
pub async fn fence(
    state: &AppState,
    village: &DivisionCode,
    at: Option<Position>,
) -> Result<FenceCheck, AppError> {
    let area = village_area(state, village).await?;
    Ok(FenceCheck::judge(
        area.as_ref(),
        at.map(|p| p.point),
        FENCE_TOLERANCE_M,
    ))
}

/// The dispute type a ledger category suggests for the case it becomes.
fn dispute_type_of(category: &str) -> &'static str {
    match category {
        "邻里纠纷" => "neighbour",
        "婚姻家庭" => "marriage_family",
        "土地山林" => "forest_land",
        "宅基地" => "housing_homestead",
        "劳资纠纷" => "labour",
        "物业纠纷" => "property",
        "合同债务" => "contract",
        "损害赔偿" => "damages",
        _ => "",
    }
}

/// A dispute that was not settled on the spot goes into the intake pipeline as a case reported
/// from the grid (网格上报) and stays linked to it. Also run when the same report is sent again
/// after a failure between the two writes, so the link is completed, never doubled.
pub async fn become_case(
    state: &AppState,
    user: &User,
    id: RecordId,
) -> Result<Option<FieldRow>, AppError> {
    let (record, stored) = load(state, user, id).await?;
    let filed = stored.iter().find_map(|e| match &e.event.body {
        EventBody::ReportFiled { report, .. } => Some(report.clone()),
        _ => None,
    });
    let Some(report) = filed else {
        return Ok(None);
    };
    if record.ledger != Some(Ledger::Dispute)
        || record.status != Some(field::RecordStatus::Open)
        || record.kind != Some(RecordKind::Report)
    {
        return Ok(None);
    }
    let village = report
        .grid
        .ancestor_at(Level::Village)
        .ok_or_else(|| AppError::validation("grid", "网格不属于任何村（社区）"))?;
    let parties = report
        .parties
        .iter()
        .map(|name| PartyInput {
            name: name.clone(),
            ..PartyInput::default()
        })
        .collect();
    let input = RegisterInput {
        channel: "grid".to_owned(),
        dispute_type: dispute_type_of(&report.category).to_owned(),
        parties,
        division: village.to_string(),
        grid: report.grid.to_string(),
        latitude: report.position.map(|p| p.point.lat()),
        longitude: report.position.map(|p| p.point.lon()),
        address: String::new(),
        description: report.text.clone(),
        amount: String::new(),
        head_count: None,
    };
    let committed = cases::register(state, user, &input).await?;
    let row = act(
        state,
        user,
        id,
        Command::LinkCase {
            case_id: committed.case_id,
            number: committed.number.to_string(),
        },
    )
    .await?;
    Ok(Some(row))
}

/// Who is put where, as an administrator types it.
#[derive(Debug, Clone, Default)]
pub struct AssignInput {
    pub username: String,
    pub division: String,
    /// `YYYY-MM-DD`.
    pub starts: String,
    /// `YYYY-MM-DD`, or empty for open-ended.
    pub ends: String,
}

/// Assigns a grid worker to a grid, or contracts a legal advisor or judicial general advisor
/// to a village (一村/一社区一法律顾问) for a period. Administrators only, inside their
/// jurisdiction; the kind follows from the person's role and must fit the division's level.
pub async fn assign(
    state: &AppState,
    admin: &User,
    input: &AssignInput,
) -> Result<hejie_store::field::Assignment, AppError> {
    use hejie_domain::authz::{Action, role_may};
    use hejie_domain::user::Role;
    if !role_may(admin.role, Action::Administer) {
        return Err(AppError::Forbidden {
            code: "forbidden",
            message: "只有系统管理员可以安排派驻".to_owned(),
        });
    }
    let r = state.reference();
    let person = r
        .users
        .iter()
        .find(|u| u.username == input.username.trim())
        .ok_or_else(|| AppError::validation("username", "没有这个账号"))?;
    let (kind, level, what) = match person.role {
        Role::GridWorker => ("grid_worker", Level::Grid, "网格"),
        Role::LegalAdvisor => ("legal_advisor", Level::Village, "村（社区）"),
        Role::JudicialGeneralAdvisor => ("judicial_general_advisor", Level::Village, "村（社区）"),
        _ => {
            return Err(AppError::validation(
                "username",
                "只能派驻网格员、法律顾问和司法总顾问",
            ));
        }
    };
    let division = DivisionCode::parse(&input.division)
        .map_err(|e| AppError::validation("division", e.message))?;
    if division.level() != level || r.division(&division).is_none() {
        return Err(AppError::validation(
            "division",
            format!(
                "{}应派驻到{what}，请选择一个已建立的{what}",
                person.role.label()
            ),
        ));
    }
    if !admin.covers(&division) {
        return Err(AppError::validation("division", "所选区划不在您的辖区内"));
    }
    let starts = crate::insight::parse_date("starts", &input.starts)?;
    let ends = match input.ends.trim() {
        "" => None,
        s => Some(crate::insight::parse_date("ends", s)?),
    };
    if ends.is_some_and(|e| e < starts) {
        return Err(AppError::validation("ends", "聘期结束日期早于开始日期"));
    }
    let iso = crate::insight::date_text;
    let assignment = hejie_store::field::Assignment {
        id: uuid::Uuid::now_v7().to_string(),
        kind: kind.to_owned(),
        division,
        user_id: person.id.to_string(),
        starts: iso(starts),
        ends: ends.map(iso),
        created_by: admin.id.to_string(),
        created_at: state.now(),
    };
    state.store.put_assignment(&assignment).await?;
    Ok(assignment)
}
