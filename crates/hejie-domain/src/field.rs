//! Field work (issue 7): what grid workers and legal advisors record away from the desk.
//!
//! A *field record* is a small aggregate of its own, kept in the field log the same way a case
//! is kept in the case log (events, attributed, timestamped, hash-chained):
//!
//! - a grid worker's **report** (随手拍) into one of the four ledgers (四类清单台账). A dispute
//!   can be resolved on the spot (就地化解) with a short record and the parties' confirmation, or
//!   become a case in the intake pipeline; every report is followed to its end (即跟踪、即反馈);
//! - a grid worker's daily **patrol** log (巡查) with its track and visits to key households;
//! - a legal advisor's **visit** to a village (进村签到、出村签退), checked against the village's
//!   boundary (a check-in outside it is flagged, never refused), with live photos and the work-log
//!   entry written at check-out (一次一记);
//! - a **consultation** (question, answer, referral to legal aid) and an **activity** (普法宣传,
//!   法治讲座, 参与调解).
//!
//! The record's id is chosen by the phone that composed it, so a report synced twice is the same
//! record: the second sync finds it and changes nothing (the idempotency key *is* the id).

use std::fmt;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::case::CaseId;
use crate::case::{GeoPoint, vocabulary};
use crate::division::{DivisionCode, Level};
use crate::error::ValidationError;
use crate::timestamp::Timestamp;
use crate::user::{Actor, Role, UserId};

/// A field record's identity: a UUID the composing device generated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RecordId(pub Uuid);

impl RecordId {
    pub fn parse(s: &str) -> Result<Self, ValidationError> {
        Uuid::parse_str(s.trim())
            .map(RecordId)
            .map_err(|_| ValidationError::new("id", "记录编号格式不正确（应为UUID）".to_owned()))
    }
}

impl fmt::Display for RecordId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

vocabulary! {
    /// The four ledgers a grid worker's reports land in (四类清单台账).
    Ledger {
        Dispute = "dispute", "矛盾纠纷";
        Hazard = "hazard", "安全隐患";
        CentralWork = "central_work", "中心工作";
        Livelihood = "livelihood", "民生服务";
    }
}

impl Ledger {
    /// The categories offered for a ledger; a report names one of them.
    pub fn categories(self) -> &'static [&'static str] {
        match self {
            Ledger::Dispute => &[
                "邻里纠纷",
                "婚姻家庭",
                "土地山林",
                "宅基地",
                "劳资纠纷",
                "物业纠纷",
                "合同债务",
                "损害赔偿",
                "其他纠纷",
            ],
            Ledger::Hazard => &[
                "消防安全",
                "房屋安全",
                "道路交通",
                "燃气安全",
                "用电安全",
                "食品安全",
                "地质灾害",
                "其他隐患",
            ],
            Ledger::CentralWork => &[
                "人口信息采集",
                "政策宣传",
                "环境整治",
                "防汛防台",
                "疫情防控",
                "其他中心工作",
            ],
            Ledger::Livelihood => &[
                "困难帮扶",
                "为老服务",
                "就业社保",
                "医疗卫生",
                "基础设施",
                "其他民生诉求",
            ],
        }
    }
}

vocabulary! {
    /// What kind of field record this is.
    RecordKind {
        Report = "report", "网格上报";
        Patrol = "patrol", "巡查日志";
        Visit = "visit", "进村走访";
        Consultation = "consultation", "法律咨询";
        Activity = "activity", "普法活动";
    }
}

vocabulary! {
    /// An advisor's activity other than a visit or a consultation.
    ActivityType {
        Publicity = "publicity", "普法宣传";
        Talk = "talk", "法治讲座";
        Mediation = "mediation", "参与调解";
    }
}

vocabulary! {
    /// Where a field record stands.
    RecordStatus {
        Open = "open", "跟踪中";
        ResolvedOnSpot = "resolved_on_spot", "就地化解";
        BecameCase = "became_case", "已转案件";
        Closed = "closed", "已办结";
        CheckedIn = "checked_in", "已签到";
        CheckedOut = "checked_out", "已签退";
        Logged = "logged", "已记录";
    }
}

/// A position as a phone reported it: the point and the accuracy radius it claimed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Position {
    pub point: GeoPoint,
    /// Metres, as the device's geolocation reported it.
    pub accuracy_m: Option<u32>,
}

/// A photo kept in the file store, named by the SHA-256 of its bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Photo {
    pub sha256: String,
    pub content_type: String,
    pub size: u64,
}

/// The geofence's verdict on a check-in or check-out, in whole metres so it hashes the same on
/// every machine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "fence", rename_all = "snake_case")]
pub enum FenceCheck {
    Inside,
    WithinTolerance {
        metres: u32,
    },
    /// Flagged for review: the position was further from the village than the tolerance.
    Outside {
        metres: u32,
    },
    /// The village has no boundary on file, so nothing could be checked (flagged too).
    NoBoundary,
    /// The device gave no position (flagged).
    NoPosition,
}

impl FenceCheck {
    /// Judges a position against an area (when one is on file) with a tolerance in metres.
    pub fn judge(area: Option<&crate::geo::Area>, at: Option<GeoPoint>, tolerance_m: f64) -> Self {
        let (Some(area), Some(p)) = (area, at) else {
            return if at.is_none() {
                FenceCheck::NoPosition
            } else {
                FenceCheck::NoBoundary
            };
        };
        let metres = |m: f64| m.round().clamp(0.0, f64::from(u32::MAX)) as u32;
        match area.fence(
            crate::geo::LonLat {
                lon: p.lon(),
                lat: p.lat(),
            },
            tolerance_m,
        ) {
            crate::geo::Fence::Inside => FenceCheck::Inside,
            crate::geo::Fence::WithinTolerance { metres: m } => {
                FenceCheck::WithinTolerance { metres: metres(m) }
            }
            crate::geo::Fence::Outside { metres: m } => FenceCheck::Outside { metres: metres(m) },
        }
    }

    /// The stable code, the same the record's JSON carries under `fence`.
    pub fn code(self) -> &'static str {
        match self {
            FenceCheck::Inside => "inside",
            FenceCheck::WithinTolerance { .. } => "within_tolerance",
            FenceCheck::Outside { .. } => "outside",
            FenceCheck::NoBoundary => "no_boundary",
            FenceCheck::NoPosition => "no_position",
        }
    }

    /// Whether this check needs someone to look at it.
    pub fn flagged(self) -> bool {
        !matches!(
            self,
            FenceCheck::Inside | FenceCheck::WithinTolerance { .. }
        )
    }

    pub fn describe(self) -> String {
        match self {
            FenceCheck::Inside => "在村（社区）范围内".to_owned(),
            FenceCheck::WithinTolerance { metres } => format!("距边界{metres}米，在允许范围内"),
            FenceCheck::Outside { metres } => format!("距村（社区）边界{metres}米，超出允许范围"),
            FenceCheck::NoBoundary => "该村（社区）未录入边界，无法核验".to_owned(),
            FenceCheck::NoPosition => "未获取到定位".to_owned(),
        }
    }
}

/// A grid worker's report as composed on the phone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewReport {
    pub ledger: Ledger,
    pub category: String,
    pub text: String,
    /// For a dispute, the parties as the worker heard their names (at least one).
    #[serde(default)]
    pub parties: Vec<String>,
    /// The grid it was found in (15-digit grid code).
    pub grid: DivisionCode,
    pub position: Option<Position>,
    /// When the worker saw it (the phone's clock when composed; synced later).
    pub observed_at: Timestamp,
    pub photos: Vec<Photo>,
}

/// A key household visited on patrol (重点户走访).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HouseholdVisit {
    pub household: String,
    pub note: String,
    pub at: Timestamp,
}

/// A point of a patrol's track.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrackPoint {
    pub point: GeoPoint,
    pub at: Timestamp,
}

/// A day's patrol as the phone sends it at the end of the round.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewPatrol {
    pub grid: DivisionCode,
    pub started_at: Timestamp,
    pub ended_at: Timestamp,
    pub track: Vec<TrackPoint>,
    pub visits: Vec<HouseholdVisit>,
    pub note: String,
}

/// An advisor's check-in at a village (进村签到).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewCheckIn {
    pub village: DivisionCode,
    pub position: Option<Position>,
    pub fence: FenceCheck,
    pub photo: Option<Photo>,
}

/// A consultation (法律咨询) given in a village.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewConsultation {
    pub village: DivisionCode,
    /// Who asked, as they gave their name (residents may stay anonymous: "匿名").
    pub asker: String,
    pub question: String,
    pub answer: String,
    /// Referred to legal aid (法律援助).
    pub legal_aid: bool,
    /// The visit it was given on, when it was.
    pub visit: Option<RecordId>,
}

/// A publicity event, a talk or taking part in a mediation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewActivity {
    pub village: DivisionCode,
    pub activity: ActivityType,
    pub title: String,
    pub audience: u32,
    pub note: String,
    pub held_at: Timestamp,
    pub photos: Vec<Photo>,
}

/// Everything that can be asked of a field record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    FileReport(Box<NewReport>),
    /// 就地化解: a dispute settled where it was found.
    ResolveOnSpot {
        record: String,
        confirmed_by: Vec<String>,
    },
    /// The dispute was registered as a case in the intake pipeline.
    LinkCase {
        case_id: CaseId,
        number: String,
    },
    /// 即跟踪、即反馈: progress on a report, closing it when `close`.
    FollowUp {
        note: String,
        close: bool,
    },
    LogPatrol(Box<NewPatrol>),
    CheckIn(Box<NewCheckIn>),
    AddPhoto {
        photo: Photo,
    },
    /// 出村签退 with the visit's work-log entry.
    CheckOut {
        position: Option<Position>,
        fence: FenceCheck,
        log: String,
    },
    LogConsultation(Box<NewConsultation>),
    LogActivity(Box<NewActivity>),
}

/// Who did what, when, and where it is filed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Meta {
    pub actor: Actor,
    pub at: Timestamp,
    /// The grid or village the record belongs to.
    pub division: DivisionCode,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    pub meta: Meta,
    pub body: EventBody,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum EventBody {
    ReportFiled {
        id: RecordId,
        report: NewReport,
    },
    ResolvedOnSpot {
        record: String,
        confirmed_by: Vec<String>,
    },
    CaseLinked {
        case_id: CaseId,
        number: String,
    },
    FollowedUp {
        note: String,
        closed: bool,
    },
    PatrolLogged {
        id: RecordId,
        patrol: NewPatrol,
    },
    CheckedIn {
        id: RecordId,
        check_in: NewCheckIn,
    },
    PhotoAdded {
        photo: Photo,
    },
    CheckedOut {
        position: Option<Position>,
        fence: FenceCheck,
        log: String,
    },
    ConsultationLogged {
        id: RecordId,
        consultation: NewConsultation,
    },
    ActivityLogged {
        id: RecordId,
        activity: NewActivity,
    },
}

impl EventBody {
    pub fn kind(&self) -> &'static str {
        match self {
            EventBody::ReportFiled { .. } => "report_filed",
            EventBody::ResolvedOnSpot { .. } => "resolved_on_spot",
            EventBody::CaseLinked { .. } => "case_linked",
            EventBody::FollowedUp { .. } => "followed_up",
            EventBody::PatrolLogged { .. } => "patrol_logged",
            EventBody::CheckedIn { .. } => "checked_in",
            EventBody::PhotoAdded { .. } => "photo_added",
            EventBody::CheckedOut { .. } => "checked_out",
            EventBody::ConsultationLogged { .. } => "consultation_logged",
            EventBody::ActivityLogged { .. } => "activity_logged",
        }
    }
}

/// Why a command on a field record was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FieldError {
    #[error("{0}")]
    Validation(#[from] ValidationError),
    /// The command does not fit the record as it stands; the message says why in Chinese.
    #[error("{message}")]
    Conflict { code: &'static str, message: String },
    #[error("{0}")]
    Forbidden(String),
}

impl FieldError {
    fn conflict(code: &'static str, message: &str) -> Self {
        FieldError::Conflict {
            code,
            message: message.to_owned(),
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            FieldError::Validation(_) => "validation",
            FieldError::Conflict { code, .. } => code,
            FieldError::Forbidden(_) => "forbidden",
        }
    }
}

/// A field record folded from its events.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FieldRecord {
    pub id: Option<RecordId>,
    pub kind: Option<RecordKind>,
    pub status: Option<RecordStatus>,
    /// Who created it; only they add to it (an advisor's log is their own, 一人一卷).
    pub owner: Option<UserId>,
    pub division: Option<DivisionCode>,
    pub version: u64,
    pub created_at: Option<Timestamp>,
    pub ledger: Option<Ledger>,
    pub case: Option<(CaseId, String)>,
    pub photos: Vec<Photo>,
    pub check_in: Option<NewCheckIn>,
    pub checked_out: Option<(Timestamp, FenceCheck)>,
    pub notes: Vec<(Timestamp, String)>,
}

impl FieldRecord {
    pub fn replay<'a>(events: impl IntoIterator<Item = &'a Event>) -> Self {
        let mut r = FieldRecord::default();
        for e in events {
            r.apply(e);
        }
        r
    }

    /// Folds one recorded event; never refuses, because a recorded event has happened.
    pub fn apply(&mut self, e: &Event) {
        self.version += 1;
        let created = |r: &mut FieldRecord, id: RecordId, kind: RecordKind, status| {
            r.id = Some(id);
            r.kind = Some(kind);
            r.status = Some(status);
            r.owner = Some(e.meta.actor.id);
            r.division = Some(e.meta.division.clone());
            r.created_at = Some(e.meta.at);
        };
        match &e.body {
            EventBody::ReportFiled { id, report } => {
                created(self, *id, RecordKind::Report, RecordStatus::Open);
                self.ledger = Some(report.ledger);
                self.photos.clone_from(&report.photos);
            }
            EventBody::ResolvedOnSpot { record, .. } => {
                self.status = Some(RecordStatus::ResolvedOnSpot);
                self.notes.push((e.meta.at, record.clone()));
            }
            EventBody::CaseLinked { case_id, number } => {
                self.status = Some(RecordStatus::BecameCase);
                self.case = Some((*case_id, number.clone()));
            }
            EventBody::FollowedUp { note, closed } => {
                if *closed {
                    self.status = Some(RecordStatus::Closed);
                }
                self.notes.push((e.meta.at, note.clone()));
            }
            EventBody::PatrolLogged { id, .. } => {
                created(self, *id, RecordKind::Patrol, RecordStatus::Logged);
            }
            EventBody::CheckedIn { id, check_in } => {
                created(self, *id, RecordKind::Visit, RecordStatus::CheckedIn);
                self.photos.extend(check_in.photo.clone());
                self.check_in = Some(check_in.clone());
            }
            EventBody::PhotoAdded { photo } => self.photos.push(photo.clone()),
            EventBody::CheckedOut { fence, log, .. } => {
                self.status = Some(RecordStatus::CheckedOut);
                self.checked_out = Some((e.meta.at, *fence));
                self.notes.push((e.meta.at, log.clone()));
            }
            EventBody::ConsultationLogged { id, .. } => {
                created(self, *id, RecordKind::Consultation, RecordStatus::Logged);
            }
            EventBody::ActivityLogged { id, activity } => {
                created(self, *id, RecordKind::Activity, RecordStatus::Logged);
                self.photos.clone_from(&activity.photos);
            }
        }
    }

    pub fn exists(&self) -> bool {
        self.id.is_some()
    }
}

/// How far ahead of the server's clock a phone's clock may run before its time is refused.
pub const CLOCK_SKEW_MICROS: i64 = 10 * 60 * 1_000_000;
/// How long a report may wait in a phone's queue: a month without signal is not plausible.
pub const MAX_QUEUE_AGE_MICROS: i64 = 30 * 24 * 3_600 * 1_000_000;
pub const MAX_PHOTOS: usize = 6;
pub const MAX_TRACK_POINTS: usize = 5_000;

fn text(field: &'static str, label: &str, value: &str, max: usize) -> Result<String, FieldError> {
    let v = value.trim();
    if v.is_empty() {
        return Err(ValidationError::new(field, format!("请填写{label}")).into());
    }
    if v.chars().count() > max {
        return Err(ValidationError::new(field, format!("{label}不能超过{max}字")).into());
    }
    Ok(v.to_owned())
}

fn when(field: &'static str, at: Timestamp, now: Timestamp) -> Result<(), FieldError> {
    if at.micros() > now.micros() + CLOCK_SKEW_MICROS {
        return Err(
            ValidationError::new(field, "时间晚于当前时间，请检查手机时间".to_owned()).into(),
        );
    }
    if at.micros() < now.micros() - MAX_QUEUE_AGE_MICROS {
        return Err(ValidationError::new(field, "时间早于30天前，不能补报".to_owned()).into());
    }
    Ok(())
}

fn level(
    field: &'static str,
    code: &DivisionCode,
    want: &[Level],
    what: &str,
) -> Result<(), FieldError> {
    if want.contains(&code.level()) {
        Ok(())
    } else {
        Err(ValidationError::new(field, format!("{what}编码的层级不正确")).into())
    }
}

fn photos(list: &[Photo]) -> Result<(), FieldError> {
    if list.len() > MAX_PHOTOS {
        return Err(ValidationError::new("photos", format!("照片不能超过{MAX_PHOTOS}张")).into());
    }
    Ok(())
}

fn reporter(actor: &Actor) -> Result<(), FieldError> {
    if matches!(actor.role, Role::GridWorker | Role::Admin | Role::System) {
        Ok(())
    } else {
        Err(FieldError::Forbidden("只有网格员可以上报".to_owned()))
    }
}

fn advisor(actor: &Actor) -> Result<(), FieldError> {
    if matches!(
        actor.role,
        Role::LegalAdvisor | Role::JudicialGeneralAdvisor | Role::Admin | Role::System
    ) {
        Ok(())
    } else {
        Err(FieldError::Forbidden(
            "只有法律顾问可以记录走访、咨询和活动".to_owned(),
        ))
    }
}

/// Decides a command against a record. `id` is the record's identity for a command that creates
/// one; `meta` says who asks, when (the server's clock) and where the record is filed.
pub fn handle(
    state: &FieldRecord,
    id: RecordId,
    meta: &Meta,
    command: Command,
) -> Result<Vec<Event>, FieldError> {
    let creating = matches!(
        command,
        Command::FileReport(_)
            | Command::LogPatrol(_)
            | Command::CheckIn(_)
            | Command::LogConsultation(_)
            | Command::LogActivity(_)
    );
    if creating && state.exists() {
        return Err(FieldError::conflict("exists", "该记录已存在"));
    }
    if !creating {
        if !state.exists() {
            return Err(FieldError::conflict("not_found", "记录不存在"));
        }
        // Staff above may follow up a report and link it to a case; the rest is the owner's own.
        let owners_only = !matches!(command, Command::FollowUp { .. } | Command::LinkCase { .. });
        if owners_only && state.owner != Some(meta.actor.id) {
            return Err(FieldError::Forbidden("只能补充本人的记录".to_owned()));
        }
    }
    let now = meta.at;
    let body = match command {
        Command::FileReport(r) => {
            reporter(&meta.actor)?;
            let mut r = *r;
            level("grid", &r.grid, &[Level::Grid], "网格")?;
            if !r.ledger.categories().contains(&r.category.as_str()) {
                return Err(ValidationError::new(
                    "category",
                    format!("“{}”不是{}台账的类别", r.category, r.ledger.label()),
                )
                .into());
            }
            r.text = text("text", "情况描述", &r.text, 2_000)?;
            r.parties = r
                .parties
                .iter()
                .map(|n| n.trim().to_owned())
                .filter(|n| !n.is_empty())
                .collect();
            if r.parties.iter().any(|n| n.chars().count() > 50) {
                return Err(
                    ValidationError::new("parties", "当事人姓名不能超过50字".to_owned()).into(),
                );
            }
            if r.ledger == Ledger::Dispute && r.parties.is_empty() {
                return Err(ValidationError::new(
                    "parties",
                    "矛盾纠纷请至少填写一名当事人".to_owned(),
                )
                .into());
            }
            when("observed_at", r.observed_at, now)?;
            photos(&r.photos)?;
            EventBody::ReportFiled { id, report: r }
        }
        Command::ResolveOnSpot {
            record,
            confirmed_by,
        } => {
            if state.ledger != Some(Ledger::Dispute) {
                return Err(FieldError::conflict(
                    "not_a_dispute",
                    "只有矛盾纠纷可以就地化解",
                ));
            }
            if state.status != Some(RecordStatus::Open) {
                return Err(FieldError::conflict("not_open", "该纠纷已化解、转案或办结"));
            }
            let record = text("record", "化解情况记录", &record, 500)?;
            let confirmed_by: Vec<String> = confirmed_by
                .iter()
                .map(|n| n.trim().to_owned())
                .filter(|n| !n.is_empty())
                .collect();
            if confirmed_by.is_empty() {
                return Err(ValidationError::new(
                    "confirmed_by",
                    "就地化解须经当事人确认，请填写确认的当事人姓名".to_owned(),
                )
                .into());
            }
            if confirmed_by.iter().any(|n| n.chars().count() > 50) {
                return Err(
                    ValidationError::new("confirmed_by", "姓名不能超过50字".to_owned()).into(),
                );
            }
            EventBody::ResolvedOnSpot {
                record,
                confirmed_by,
            }
        }
        Command::LinkCase { case_id, number } => {
            if state.ledger != Some(Ledger::Dispute) || state.status != Some(RecordStatus::Open) {
                return Err(FieldError::conflict(
                    "not_open",
                    "只有跟踪中的矛盾纠纷可以转为案件",
                ));
            }
            EventBody::CaseLinked { case_id, number }
        }
        Command::FollowUp { note, close } => {
            if state.kind != Some(RecordKind::Report) {
                return Err(FieldError::conflict(
                    "not_a_report",
                    "只有上报事项需要跟踪反馈",
                ));
            }
            if state.status != Some(RecordStatus::Open) {
                return Err(FieldError::conflict("not_open", "该事项已不在跟踪中"));
            }
            let note = text("note", "跟踪情况", &note, 1_000)?;
            EventBody::FollowedUp {
                note,
                closed: close,
            }
        }
        Command::LogPatrol(p) => {
            reporter(&meta.actor)?;
            let mut p = *p;
            level("grid", &p.grid, &[Level::Grid], "网格")?;
            when("started_at", p.started_at, now)?;
            when("ended_at", p.ended_at, now)?;
            if p.ended_at < p.started_at {
                return Err(
                    ValidationError::new("ended_at", "结束时间早于开始时间".to_owned()).into(),
                );
            }
            if p.track.len() > MAX_TRACK_POINTS {
                return Err(ValidationError::new(
                    "track",
                    format!("轨迹点不能超过{MAX_TRACK_POINTS}个"),
                )
                .into());
            }
            p.track.sort_by_key(|t| t.at);
            for v in &mut p.visits {
                v.household = text("visits", "走访对象", &v.household, 100)?;
                v.note = v.note.trim().chars().take(500).collect();
            }
            p.note = p.note.trim().chars().take(1_000).collect();
            EventBody::PatrolLogged { id, patrol: p }
        }
        Command::CheckIn(c) => {
            advisor(&meta.actor)?;
            level("village", &c.village, &[Level::Village], "村（社区）")?;
            EventBody::CheckedIn { id, check_in: *c }
        }
        Command::AddPhoto { photo } => {
            if state.kind != Some(RecordKind::Visit)
                || state.status != Some(RecordStatus::CheckedIn)
            {
                return Err(FieldError::conflict(
                    "not_checked_in",
                    "签到后、签退前才能拍照",
                ));
            }
            photos(&[state.photos.clone(), vec![photo.clone()]].concat())?;
            EventBody::PhotoAdded { photo }
        }
        Command::CheckOut {
            position,
            fence,
            log,
        } => {
            if state.kind != Some(RecordKind::Visit)
                || state.status != Some(RecordStatus::CheckedIn)
            {
                return Err(FieldError::conflict("not_checked_in", "尚未签到或已签退"));
            }
            let log = text("log", "工作日志", &log, 2_000)?;
            EventBody::CheckedOut {
                position,
                fence,
                log,
            }
        }
        Command::LogConsultation(c) => {
            advisor(&meta.actor)?;
            let mut c = *c;
            level("village", &c.village, &[Level::Village], "村（社区）")?;
            c.asker = if c.asker.trim().is_empty() {
                "匿名".to_owned()
            } else {
                text("asker", "咨询人", &c.asker, 50)?
            };
            c.question = text("question", "咨询问题", &c.question, 2_000)?;
            c.answer = text("answer", "解答意见", &c.answer, 2_000)?;
            EventBody::ConsultationLogged {
                id,
                consultation: c,
            }
        }
        Command::LogActivity(a) => {
            advisor(&meta.actor)?;
            let mut a = *a;
            level("village", &a.village, &[Level::Village], "村（社区）")?;
            a.title = text("title", "活动主题", &a.title, 100)?;
            a.note = a.note.trim().chars().take(1_000).collect();
            when("held_at", a.held_at, now)?;
            photos(&a.photos)?;
            EventBody::ActivityLogged { id, activity: a }
        }
    };
    Ok(vec![Event {
        meta: meta.clone(),
        body,
    }])
}
