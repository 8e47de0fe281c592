//! `/api/v1/field/…`: field work (issue 7). A grid worker's reports (synced from the phone's
//! queue, idempotent by the record id the phone chose), patrol logs, a legal advisor's visits
//! (check-in against the village's boundary, photos, check-out with the work log),
//! consultations and activities; the records themselves with their chained events.

use axum::Json;
use axum::extract::{Multipart, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use hejie_domain::case::GeoPoint;
use hejie_domain::division::{DivisionCode, Level};
use hejie_domain::field::{
    ActivityType, Command, HouseholdVisit, Ledger, NewActivity, NewCheckIn, NewConsultation,
    NewPatrol, NewReport, RecordId, RecordStatus, TrackPoint,
};
use hejie_domain::timestamp::Timestamp;
use hejie_store::field::{FieldFilter, FieldRow};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{Body, Params};
use crate::auth::ApiUser;
use crate::error::AppError;
use crate::evidence;
use crate::field;
use crate::state::AppState;

/// The largest request a field upload reads (a report with its photos).
pub const FIELD_BODY_LIMIT: usize = 48 * 1024 * 1024;

/// A field record as lists show it.
#[derive(Debug, Serialize, ToSchema)]
pub struct RecordView {
    pub id: String,
    /// `report`, `patrol`, `visit`, `consultation`, `activity`.
    pub kind: String,
    pub kind_label: String,
    pub status: String,
    pub status_label: String,
    /// For a report: `dispute`, `hazard`, `central_work`, `livelihood`.
    pub ledger: Option<String>,
    pub ledger_label: Option<String>,
    pub category: Option<String>,
    /// The grid or village it is filed under.
    pub division: String,
    pub actor_name: String,
    /// Microseconds since the epoch.
    pub occurred_at: i64,
    pub ended_at: Option<i64>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    /// Needs review: a check-in or check-out outside the village's fence.
    pub flagged: bool,
    /// The case a dispute became.
    pub case_number: Option<String>,
    pub summary: String,
    pub photos: i64,
    pub version: i64,
}

impl From<&FieldRow> for RecordView {
    fn from(r: &FieldRow) -> Self {
        use hejie_domain::field::RecordKind;
        RecordView {
            id: r.id.clone(),
            kind: r.kind.clone(),
            kind_label: RecordKind::parse(&r.kind)
                .map_or("", |k| k.label())
                .to_owned(),
            status: r.status.clone(),
            status_label: RecordStatus::parse(&r.status)
                .map_or("", |s| s.label())
                .to_owned(),
            ledger: r.ledger.clone(),
            ledger_label: r
                .ledger
                .as_deref()
                .and_then(|l| Ledger::parse(l).ok())
                .map(|l| l.label().to_owned()),
            category: r.category.clone(),
            division: r.division.clone(),
            actor_name: r.actor_name.clone(),
            occurred_at: r.occurred_at,
            ended_at: r.ended_at,
            latitude: r.lat_e6.map(|v| v as f64 / 1e6),
            longitude: r.lon_e6.map(|v| v as f64 / 1e6),
            flagged: r.flagged,
            case_number: r.case_number.clone(),
            summary: r.summary.clone(),
            photos: r.photos,
            version: r.version,
        }
    }
}

/// The answer to a create: the record, and whether it had been received before.
#[derive(Debug, Serialize, ToSchema)]
pub struct Synced {
    pub record: RecordView,
    /// True when this was a repeat of a record already received (nothing new was recorded).
    pub repeat: bool,
}

/// 201 for a record created now, 200 for a repeat of one received before.
fn created_or_repeat(w: &field::Written) -> StatusCode {
    if w.repeat {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    }
}

fn synced(w: &field::Written) -> Response {
    (
        created_or_repeat(w),
        Json(Synced {
            record: RecordView::from(&w.row),
            repeat: w.repeat,
        }),
    )
        .into_response()
}

/// A multipart form's text fields and its photos.
#[derive(Debug, Default)]
pub struct FormParts {
    pub fields: Vec<(String, String)>,
    pub photos: Vec<Vec<u8>>,
}

impl FormParts {
    pub fn get(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.trim())
            .filter(|v| !v.is_empty())
    }

    pub fn number(&self, name: &str) -> Result<Option<f64>, AppError> {
        self.get(name)
            .map(|v| {
                v.parse::<f64>()
                    .ok()
                    .filter(|f| f.is_finite())
                    .ok_or_else(|| AppError::validation(name, "须为数字"))
            })
            .transpose()
    }
}

/// Reads a multipart form: text fields, and files named `photo` (any number).
pub async fn read_parts(state: &AppState, mut multipart: Multipart) -> Result<FormParts, AppError> {
    let broken = || evidence::too_large(state.config.evidence_max_bytes);
    let mut parts = FormParts::default();
    while let Some(f) = multipart.next_field().await.map_err(|_| broken())? {
        let name = f.name().unwrap_or_default().to_owned();
        if name == "photo" {
            let bytes = f.bytes().await.map_err(|_| broken())?;
            if !bytes.is_empty() {
                parts.photos.push(bytes.to_vec());
            }
        } else {
            let value = f.text().await.map_err(|_| broken())?;
            parts.fields.push((name, value));
        }
    }
    Ok(parts)
}

fn record_id(s: Option<&str>) -> Result<RecordId, AppError> {
    let s = s.ok_or_else(|| AppError::validation("id", "缺少记录编号"))?;
    Ok(RecordId::parse(s)?)
}

fn division(field_name: &str, s: Option<&str>, level: Level) -> Result<DivisionCode, AppError> {
    let what = if level == Level::Grid {
        "网格"
    } else {
        "村（社区）"
    };
    let code = s.ok_or_else(|| AppError::validation(field_name, format!("请选择{what}")))?;
    let code =
        DivisionCode::parse(code).map_err(|e| AppError::validation(field_name, e.message))?;
    if code.level() != level {
        return Err(AppError::validation(field_name, format!("请选择{what}")));
    }
    Ok(code)
}

/// A phone's time: milliseconds since the epoch, as JavaScript's `Date.now()` gives it.
fn millis(field_name: &str, v: Option<f64>) -> Result<Option<Timestamp>, AppError> {
    v.map(|ms| {
        if !(0.0..4.0e12).contains(&ms) {
            return Err(AppError::validation(field_name, "时间无效"));
        }
        Ok(Timestamp::from_micros((ms * 1000.0).round() as i64))
    })
    .transpose()
}

/// Sync one report from the phone's queue (multipart: `id` (UUID chosen on the phone, the
/// idempotency key), `ledger`, `category`, `text`, `parties` (one per line, disputes),
/// `grid`, `lat`/`lon`/`accuracy`, `observed_at` (ms since the epoch), `on_spot` with
/// `on_spot_record` and `confirmed` for a dispute settled on the spot (就地化解), and any
/// number of `photo` files). A dispute not settled on the spot becomes a case (网格上报).
/// Sending the same report again records nothing and answers 200 with `repeat`.
#[utoipa::path(post, path = "/api/v1/field/reports", tag = "field",
    request_body(content_type = "multipart/form-data", content = Vec<u8>),
    responses((status = 201, body = Synced), (status = 200, body = Synced),
              (status = 400, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody),
              (status = 422, body = crate::error::ErrorBody)))]
pub async fn file_report(
    State(state): State<AppState>,
    ApiUser(me): ApiUser,
    multipart: Multipart,
) -> Result<Response, AppError> {
    let form = read_parts(&state, multipart).await?;
    let id = record_id(form.get("id"))?;
    let grid = division("grid", form.get("grid"), Level::Grid)?;
    let ledger = Ledger::parse(form.get("ledger").unwrap_or_default())
        .map_err(|_| AppError::validation("ledger", "请选择台账类别"))?;
    let observed_at = millis("observed_at", form.number("observed_at")?)?.unwrap_or(state.now());
    let photos = form
        .photos
        .iter()
        .map(|p| field::keep_photo(&state, p))
        .collect::<Result<Vec<_>, _>>()?;
    let report = NewReport {
        ledger,
        category: form.get("category").unwrap_or_default().to_owned(),
        text: form.get("text").unwrap_or_default().to_owned(),
        parties: form
            .get("parties")
            .unwrap_or_default()
            .split(['\n', ',', '，', '、'])
            .map(str::to_owned)
            .collect(),
        grid: grid.clone(),
        position: field::position(
            form.number("lat")?,
            form.number("lon")?,
            form.number("accuracy")?,
        )?,
        observed_at,
        photos,
    };
    let parties = report.parties.clone();
    let mut commands = vec![Command::FileReport(Box::new(report))];
    if ledger == Ledger::Dispute && form.get("on_spot").is_some() {
        if form.get("confirmed").is_none() {
            return Err(AppError::validation(
                "confirmed",
                "就地化解须经当事人确认，请勾选“当事人已确认”",
            ));
        }
        commands.push(Command::ResolveOnSpot {
            record: form.get("on_spot_record").unwrap_or_default().to_owned(),
            confirmed_by: parties,
        });
    }
    let mut written = field::create(&state, &me.user, id, &grid, commands).await?;
    // A dispute not settled on the spot goes to intake, also when an earlier send stopped
    // between recording the report and registering its case.
    if let Some(row) = field::become_case(&state, &me.user, id).await? {
        written.row = row;
    }
    Ok(synced(&written))
}

/// Which records to list.
#[derive(Debug, Deserialize, IntoParams)]
pub struct ListQuery {
    /// `report`, `patrol`, `visit`, `consultation`, `activity`.
    pub kind: Option<String>,
    pub ledger: Option<String>,
    pub status: Option<String>,
    /// A division code; defaults to the user's jurisdiction.
    pub division: Option<String>,
    /// Only the caller's own records.
    pub mine: Option<bool>,
    pub limit: Option<u32>,
}

/// Field records in the caller's jurisdiction (or their own), newest first.
#[utoipa::path(get, path = "/api/v1/field/records", tag = "field", params(ListQuery),
    responses((status = 200, body = Vec<RecordView>), (status = 400, body = crate::error::ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    ApiUser(me): ApiUser,
    Params(q): Params<ListQuery>,
) -> Result<Json<Vec<RecordView>>, AppError> {
    let within = match q.division.as_deref().filter(|d| !d.is_empty()) {
        Some(d) => {
            DivisionCode::parse(d).map_err(|e| AppError::validation("division", e.message))?
        }
        None => me.user.jurisdiction.clone(),
    };
    let mine = q.mine.unwrap_or(false);
    if !mine && !me.user.covers(&within) {
        return Err(AppError::NotFound);
    }
    let filter = FieldFilter {
        within: Some(within),
        kind: q.kind.filter(|s| !s.is_empty()),
        ledger: q.ledger.filter(|s| !s.is_empty()),
        status: q.status.filter(|s| !s.is_empty()),
        actor_id: mine.then(|| me.user.id.to_string()),
        from: None,
        to: None,
        limit: q.limit.unwrap_or(100).clamp(1, 500),
    };
    let rows = state.store.field_records(&filter).await?;
    Ok(Json(rows.iter().map(RecordView::from).collect()))
}

/// One event of a field record, with its place in the chain.
#[derive(Debug, Serialize, ToSchema)]
pub struct FieldEventView {
    pub version: u64,
    pub kind: String,
    pub actor_name: String,
    pub at: i64,
    #[schema(value_type = Object)]
    pub body: serde_json::Value,
    pub prev_hash: String,
    pub hash: String,
}

/// A field record with its events.
#[derive(Debug, Serialize, ToSchema)]
pub struct RecordDetail {
    pub record: RecordView,
    pub events: Vec<FieldEventView>,
}

/// One field record with its chained events.
#[utoipa::path(get, path = "/api/v1/field/records/{id}", tag = "field",
    params(("id" = String, Path, description = "Record id")),
    responses((status = 200, body = RecordDetail), (status = 404, body = crate::error::ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    ApiUser(me): ApiUser,
    Path(id): Path<String>,
) -> Result<Json<RecordDetail>, AppError> {
    let id = RecordId::parse(&id).map_err(|_| AppError::NotFound)?;
    let (_, events) = field::load(&state, &me.user, id).await?;
    let row = state
        .store
        .field_record(id)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(Json(RecordDetail {
        record: RecordView::from(&row),
        events: events
            .iter()
            .map(|e| FieldEventView {
                version: e.version,
                kind: e.event.body.kind().to_owned(),
                actor_name: e.event.meta.actor.name.clone(),
                at: e.event.meta.at.micros(),
                body: serde_json::to_value(&e.event.body).unwrap_or_default(),
                prev_hash: e.prev_hash.clone(),
                hash: e.hash.clone(),
            })
            .collect(),
    }))
}

/// Progress on a report (即跟踪、即反馈).
#[derive(Debug, Deserialize, ToSchema)]
pub struct FollowUpRequest {
    pub note: String,
    /// Closes the report (办结).
    #[serde(default)]
    pub close: bool,
}

/// Record progress on a report, closing it when `close`.
#[utoipa::path(post, path = "/api/v1/field/records/{id}/follow-up", tag = "field",
    params(("id" = String, Path, description = "Record id")), request_body = FollowUpRequest,
    responses((status = 200, body = RecordView), (status = 404, body = crate::error::ErrorBody),
              (status = 422, body = crate::error::ErrorBody)))]
pub async fn follow_up(
    State(state): State<AppState>,
    ApiUser(me): ApiUser,
    Path(id): Path<String>,
    Body(req): Body<FollowUpRequest>,
) -> Result<Json<RecordView>, AppError> {
    let id = RecordId::parse(&id).map_err(|_| AppError::NotFound)?;
    let row = field::act(
        &state,
        &me.user,
        id,
        Command::FollowUp {
            note: req.note,
            close: req.close,
        },
    )
    .await?;
    Ok(Json(RecordView::from(&row)))
}

/// A point of a patrol's track.
#[derive(Debug, Deserialize, ToSchema)]
pub struct TrackPointInput {
    pub lat: f64,
    pub lon: f64,
    /// Milliseconds since the epoch.
    pub at: f64,
}

/// A key household visited on patrol.
#[derive(Debug, Deserialize, ToSchema)]
pub struct VisitInput {
    pub household: String,
    #[serde(default)]
    pub note: String,
    /// Milliseconds since the epoch.
    pub at: f64,
}

/// A day's patrol (巡查日志).
#[derive(Debug, Deserialize, ToSchema)]
pub struct PatrolRequest {
    /// UUID chosen on the phone: the idempotency key.
    pub id: String,
    pub grid: String,
    /// Milliseconds since the epoch.
    pub started_at: f64,
    pub ended_at: f64,
    #[serde(default)]
    pub track: Vec<TrackPointInput>,
    #[serde(default)]
    pub visits: Vec<VisitInput>,
    #[serde(default)]
    pub note: String,
}

/// Sync a patrol log with its track and household visits; a repeat records nothing.
#[utoipa::path(post, path = "/api/v1/field/patrols", tag = "field", request_body = PatrolRequest,
    responses((status = 201, body = Synced), (status = 200, body = Synced),
              (status = 400, body = crate::error::ErrorBody)))]
pub async fn log_patrol(
    State(state): State<AppState>,
    ApiUser(me): ApiUser,
    Body(req): Body<PatrolRequest>,
) -> Result<Response, AppError> {
    let id = record_id(Some(&req.id))?;
    let grid = division("grid", Some(&req.grid), Level::Grid)?;
    let time = |name: &str, ms: f64| -> Result<Timestamp, AppError> {
        millis(name, Some(ms))?.ok_or_else(|| AppError::validation(name, "时间无效"))
    };
    let track = req
        .track
        .iter()
        .map(|t| {
            Ok(TrackPoint {
                point: GeoPoint::parse(t.lat, t.lon)?,
                at: time("track", t.at)?,
            })
        })
        .collect::<Result<Vec<_>, AppError>>()?;
    let visits = req
        .visits
        .iter()
        .map(|v| {
            Ok(HouseholdVisit {
                household: v.household.clone(),
                note: v.note.clone(),
                at: time("visits", v.at)?,
            })
        })
        .collect::<Result<Vec<_>, AppError>>()?;
    let patrol = NewPatrol {
        grid: grid.clone(),
        started_at: time("started_at", req.started_at)?,
        ended_at: time("ended_at", req.ended_at)?,
        track,
        visits,
        note: req.note,
    };
    let written = field::create(
        &state,
        &me.user,
        id,
        &grid,
        vec![Command::LogPatrol(Box::new(patrol))],
    )
    .await?;
    Ok(synced(&written))
}

/// What a check-in or check-out was judged against the village's boundary.
#[derive(Debug, Serialize, ToSchema)]
pub struct VisitAnswer {
    pub record: RecordView,
    pub repeat: bool,
    /// `inside`, `within_tolerance`, `outside`, `no_boundary`, `no_position`.
    pub fence: String,
    /// In Chinese, for the advisor.
    pub fence_text: String,
    pub flagged: bool,
}

fn visit_answer(
    status: StatusCode,
    w: &field::Written,
    fence: hejie_domain::field::FenceCheck,
) -> Response {
    (
        status,
        Json(VisitAnswer {
            record: RecordView::from(&w.row),
            repeat: w.repeat,
            fence: fence.code().to_owned(),
            fence_text: fence.describe(),
            flagged: fence.flagged(),
        }),
    )
        .into_response()
}

/// Check in at a village (进村签到; multipart: `id`, `village`, `lat`/`lon`/`accuracy`, an
/// optional live `photo`). The position is judged against the village's boundary with a 50 m
/// tolerance; outside it the check-in is recorded and flagged, never refused.
#[utoipa::path(post, path = "/api/v1/field/visits", tag = "field",
    request_body(content_type = "multipart/form-data", content = Vec<u8>),
    responses((status = 201, body = VisitAnswer), (status = 200, body = VisitAnswer),
              (status = 400, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody)))]
pub async fn check_in(
    State(state): State<AppState>,
    ApiUser(me): ApiUser,
    multipart: Multipart,
) -> Result<Response, AppError> {
    let form = read_parts(&state, multipart).await?;
    let id = record_id(form.get("id"))?;
    let village = division("village", form.get("village"), Level::Village)?;
    let position = field::position(
        form.number("lat")?,
        form.number("lon")?,
        form.number("accuracy")?,
    )?;
    let fence = field::fence(&state, &village, position).await?;
    let photo = form
        .photos
        .first()
        .map(|p| field::keep_photo(&state, p))
        .transpose()?;
    let written = field::create(
        &state,
        &me.user,
        id,
        &village,
        vec![Command::CheckIn(Box::new(NewCheckIn {
            village: village.clone(),
            position,
            fence,
            photo,
        }))],
    )
    .await?;
    let fence = if written.repeat {
        // A repeat answers with the fence recorded the first time.
        let (record, _) = field::load(&state, &me.user, id).await?;
        record.check_in.map_or(fence, |c| c.fence)
    } else {
        fence
    };
    Ok(visit_answer(created_or_repeat(&written), &written, fence))
}

/// Add a live photo to an open visit (multipart: `photo`).
#[utoipa::path(post, path = "/api/v1/field/visits/{id}/photos", tag = "field",
    params(("id" = String, Path, description = "Visit id")),
    request_body(content_type = "multipart/form-data", content = Vec<u8>),
    responses((status = 200, body = RecordView), (status = 404, body = crate::error::ErrorBody),
              (status = 422, body = crate::error::ErrorBody)))]
pub async fn add_photo(
    State(state): State<AppState>,
    ApiUser(me): ApiUser,
    Path(id): Path<String>,
    multipart: Multipart,
) -> Result<Json<RecordView>, AppError> {
    let id = RecordId::parse(&id).map_err(|_| AppError::NotFound)?;
    // Whether the visit is theirs and open is decided before a photo is kept.
    let (record, _) = field::load(&state, &me.user, id).await?;
    if record.owner != Some(me.user.id) {
        return Err(AppError::NotFound);
    }
    let form = read_parts(&state, multipart).await?;
    let bytes = form
        .photos
        .first()
        .ok_or_else(|| AppError::validation("photo", "请拍摄照片"))?;
    let photo = field::keep_photo(&state, bytes)?;
    let row = field::act(&state, &me.user, id, Command::AddPhoto { photo }).await?;
    Ok(Json(RecordView::from(&row)))
}

/// 出村签退 with the visit's work-log entry.
#[derive(Debug, Deserialize, ToSchema)]
pub struct CheckOutRequest {
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub accuracy: Option<f64>,
    /// The work log of this visit (一次一记).
    pub log: String,
}

/// Check out of a visit with its work log; the position is judged like the check-in's.
#[utoipa::path(post, path = "/api/v1/field/visits/{id}/check-out", tag = "field",
    params(("id" = String, Path, description = "Visit id")), request_body = CheckOutRequest,
    responses((status = 200, body = VisitAnswer), (status = 404, body = crate::error::ErrorBody),
              (status = 422, body = crate::error::ErrorBody)))]
pub async fn check_out(
    State(state): State<AppState>,
    ApiUser(me): ApiUser,
    Path(id): Path<String>,
    Body(req): Body<CheckOutRequest>,
) -> Result<Response, AppError> {
    let id = RecordId::parse(&id).map_err(|_| AppError::NotFound)?;
    let (record, _) = field::load(&state, &me.user, id).await?;
    let village = record.division.clone().ok_or(AppError::NotFound)?;
    let position = field::position(req.lat, req.lon, req.accuracy)?;
    let fence = field::fence(&state, &village, position).await?;
    let row = field::act(
        &state,
        &me.user,
        id,
        Command::CheckOut {
            position,
            fence,
            log: req.log,
        },
    )
    .await?;
    let written = field::Written { row, repeat: false };
    Ok(visit_answer(StatusCode::OK, &written, fence))
}

/// A consultation (法律咨询).
#[derive(Debug, Deserialize, ToSchema)]
pub struct ConsultationRequest {
    pub id: String,
    pub village: String,
    #[serde(default)]
    pub asker: String,
    pub question: String,
    pub answer: String,
    /// Referred to legal aid (法律援助).
    #[serde(default)]
    pub legal_aid: bool,
    /// The visit it was given on.
    pub visit: Option<String>,
}

/// Log a consultation: question, answer, referral to legal aid.
#[utoipa::path(post, path = "/api/v1/field/consultations", tag = "field",
    request_body = ConsultationRequest,
    responses((status = 201, body = Synced), (status = 200, body = Synced),
              (status = 400, body = crate::error::ErrorBody)))]
pub async fn log_consultation(
    State(state): State<AppState>,
    ApiUser(me): ApiUser,
    Body(req): Body<ConsultationRequest>,
) -> Result<Response, AppError> {
    let id = record_id(Some(&req.id))?;
    let village = division("village", Some(&req.village), Level::Village)?;
    let visit = req
        .visit
        .as_deref()
        .filter(|v| !v.trim().is_empty())
        .map(RecordId::parse)
        .transpose()?;
    let written = field::create(
        &state,
        &me.user,
        id,
        &village,
        vec![Command::LogConsultation(Box::new(NewConsultation {
            village: village.clone(),
            asker: req.asker,
            question: req.question,
            answer: req.answer,
            legal_aid: req.legal_aid,
            visit,
        }))],
    )
    .await?;
    Ok(synced(&written))
}

/// Log a publicity event, a talk or taking part in a mediation (multipart: `id`, `village`,
/// `activity` (`publicity`, `talk`, `mediation`), `title`, `audience`, `note`, `held_at` (ms
/// since the epoch), `photo` files).
#[utoipa::path(post, path = "/api/v1/field/activities", tag = "field",
    request_body(content_type = "multipart/form-data", content = Vec<u8>),
    responses((status = 201, body = Synced), (status = 200, body = Synced),
              (status = 400, body = crate::error::ErrorBody)))]
pub async fn log_activity(
    State(state): State<AppState>,
    ApiUser(me): ApiUser,
    multipart: Multipart,
) -> Result<Response, AppError> {
    let form = read_parts(&state, multipart).await?;
    let id = record_id(form.get("id"))?;
    let village = division("village", form.get("village"), Level::Village)?;
    let activity = ActivityType::parse(form.get("activity").unwrap_or_default())
        .map_err(|_| AppError::validation("activity", "请选择活动类型"))?;
    let audience = form
        .number("audience")?
        .map_or(0, |n| n.clamp(0.0, 1_000_000.0) as u32);
    let held_at = millis("held_at", form.number("held_at")?)?.unwrap_or(state.now());
    let photos = form
        .photos
        .iter()
        .map(|p| field::keep_photo(&state, p))
        .collect::<Result<Vec<_>, _>>()?;
    let written = field::create(
        &state,
        &me.user,
        id,
        &village,
        vec![Command::LogActivity(Box::new(NewActivity {
            village: village.clone(),
            activity,
            title: form.get("title").unwrap_or_default().to_owned(),
            audience,
            note: form.get("note").unwrap_or_default().to_owned(),
            held_at,
            photos,
        }))],
    )
    .await?;
    Ok(synced(&written))
}

/// One photo of a field record, as an attachment.
#[utoipa::path(get, path = "/api/v1/field/records/{id}/photos/{sha256}", tag = "field",
    params(("id" = String, Path, description = "Record id"),
           ("sha256" = String, Path, description = "The photo's SHA-256")),
    responses((status = 200, content_type = "image/jpeg", body = Vec<u8>),
              (status = 404, body = crate::error::ErrorBody)))]
pub async fn photo(
    State(state): State<AppState>,
    ApiUser(me): ApiUser,
    Path((id, sha256)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let id = RecordId::parse(&id).map_err(|_| AppError::NotFound)?;
    photo_response(&state, &me.user, id, &sha256).await
}

/// A record's photo for someone who may see the record; 404 otherwise.
pub async fn photo_response(
    state: &AppState,
    user: &hejie_domain::user::User,
    id: RecordId,
    sha256: &str,
) -> Result<Response, AppError> {
    let (record, _) = field::load(state, user, id).await?;
    let photo = record
        .photos
        .iter()
        .find(|p| p.sha256 == sha256)
        .ok_or(AppError::NotFound)?;
    let bytes = evidence::files(state)?
        .get(&photo.sha256)
        .map_err(AppError::internal)?
        .ok_or(AppError::NotFound)?;
    Ok((
        [
            (axum::http::header::CONTENT_TYPE, photo.content_type.clone()),
            (
                axum::http::header::X_CONTENT_TYPE_OPTIONS,
                "nosniff".to_owned(),
            ),
            (
                axum::http::header::CACHE_CONTROL,
                "private, max-age=86400".to_owned(),
            ),
        ],
        bytes,
    )
        .into_response())
}

/// Which area.
#[derive(Debug, Deserialize, IntoParams)]
pub struct AreaQuery {
    /// A division code; defaults to the user's jurisdiction.
    pub division: Option<String>,
    /// `YYYY-MM` (compliance only); the current month by default.
    pub month: Option<String>,
}

/// The stored grid and village boundaries inside an area, as a GeoJSON FeatureCollection
/// (`properties.code`, `name`, `level`, `version`).
#[utoipa::path(get, path = "/api/v1/areas", tag = "field", params(AreaQuery),
    responses((status = 200, content_type = "application/geo+json", body = Object),
              (status = 404, body = crate::error::ErrorBody)))]
pub async fn export_areas(
    State(state): State<AppState>,
    ApiUser(me): ApiUser,
    Params(q): Params<AreaQuery>,
) -> Result<Response, AppError> {
    let area = field::area_in_scope(&me.user, q.division.as_deref())?;
    let body = crate::areas::export(&state, &area).await?;
    Ok((
        [(axum::http::header::CONTENT_TYPE, "application/geo+json")],
        body,
    )
        .into_response())
}

/// How many boundaries an import kept.
#[derive(Debug, Serialize, ToSchema)]
pub struct Imported {
    pub imported: usize,
}

/// Import grid and village boundaries (administrators): a GeoJSON FeatureCollection whose
/// features carry `properties.code` (12-digit village or 15-digit grid code) and a `Polygon` or
/// `MultiPolygon` in WGS-84. Every feature is checked first; one bad feature imports nothing.
#[utoipa::path(post, path = "/api/v1/areas", tag = "field",
    request_body(content_type = "application/geo+json", content = Object),
    responses((status = 200, body = Imported), (status = 400, body = crate::error::ErrorBody),
              (status = 403, body = crate::error::ErrorBody)))]
pub async fn import_areas(
    State(state): State<AppState>,
    ApiUser(me): ApiUser,
    body: String,
) -> Result<Json<Imported>, AppError> {
    let imported = crate::areas::import(&state, &me.user, &body).await?;
    Ok(Json(Imported { imported }))
}

/// The "四个至少" compliance of everyone assigned in an area for a month, with the records
/// behind each duty, and the star rating of its grids.
#[utoipa::path(get, path = "/api/v1/field/compliance", tag = "field", params(AreaQuery),
    responses((status = 200, body = Object), (status = 400, body = crate::error::ErrorBody),
              (status = 404, body = crate::error::ErrorBody)))]
pub async fn compliance(
    State(state): State<AppState>,
    ApiUser(me): ApiUser,
    Params(q): Params<AreaQuery>,
) -> Result<Json<crate::duties::Board>, AppError> {
    let area = field::area_in_scope(&me.user, q.division.as_deref())?;
    let month = crate::duties::month_of(&state, q.month.as_deref().unwrap_or_default())?;
    Ok(Json(crate::duties::board(&state, &area, month).await?))
}

/// An assignment to make: a grid worker to a grid, an advisor to a village for a period.
#[derive(Debug, Deserialize, ToSchema)]
pub struct AssignRequest {
    pub username: String,
    /// 15-digit grid code for a grid worker, 12-digit village code for an advisor.
    pub division: String,
    /// `YYYY-MM-DD`.
    pub starts: String,
    /// `YYYY-MM-DD`; open-ended when absent.
    pub ends: Option<String>,
}

/// An assignment as stored.
#[derive(Debug, Serialize, ToSchema)]
pub struct AssignmentView {
    pub id: String,
    /// `grid_worker`, `legal_advisor`, `judicial_general_advisor`.
    pub kind: String,
    pub division: String,
    pub user_id: String,
    pub starts: String,
    pub ends: Option<String>,
}

impl From<hejie_store::field::Assignment> for AssignmentView {
    fn from(a: hejie_store::field::Assignment) -> Self {
        AssignmentView {
            id: a.id,
            kind: a.kind,
            division: a.division.to_string(),
            user_id: a.user_id,
            starts: a.starts,
            ends: a.ends,
        }
    }
}

/// Assignments inside an area.
#[utoipa::path(get, path = "/api/v1/field/assignments", tag = "field", params(AreaQuery),
    responses((status = 200, body = Vec<AssignmentView>), (status = 404, body = crate::error::ErrorBody)))]
pub async fn assignments(
    State(state): State<AppState>,
    ApiUser(me): ApiUser,
    Params(q): Params<AreaQuery>,
) -> Result<Json<Vec<AssignmentView>>, AppError> {
    let area = field::area_in_scope(&me.user, q.division.as_deref())?;
    let list = state.store.assignments(&area).await?;
    Ok(Json(list.into_iter().map(AssignmentView::from).collect()))
}

/// Assign a grid worker to a grid or contract an advisor to a village (administrators).
#[utoipa::path(post, path = "/api/v1/field/assignments", tag = "field", request_body = AssignRequest,
    responses((status = 201, body = AssignmentView), (status = 400, body = crate::error::ErrorBody),
              (status = 403, body = crate::error::ErrorBody)))]
pub async fn assign(
    State(state): State<AppState>,
    ApiUser(me): ApiUser,
    Body(req): Body<AssignRequest>,
) -> Result<(StatusCode, Json<AssignmentView>), AppError> {
    let input = field::AssignInput {
        username: req.username,
        division: req.division,
        starts: req.starts,
        ends: req.ends.unwrap_or_default(),
    };
    let a = field::assign(&state, &me.user, &input).await?;
    Ok((StatusCode::CREATED, Json(AssignmentView::from(a))))
}
