//! One route per case command. The request types are shared with the pages' forms, so every
//! field is text that tolerates being left empty, and each converts itself into a domain command.

use axum::Json;
use axum::extract::{Path, State};
use hejie_domain::case::{
    Channel, Command, ContactMethod, DisputeType, Obligation, Outcome, PersonRef, ReferralTarget,
    Satisfaction, SessionMode, Severity, Track,
};
use hejie_domain::mediation::ConsentAnswer;
use hejie_domain::money::Money;
use hejie_domain::personal::PiiKind;
use hejie_domain::timestamp::Timestamp;
use hejie_domain::user::User;
use serde::{Deserialize, Deserializer, Serialize};
use utoipa::ToSchema;

use super::{parse_id, view_of};
use crate::api::Body;
use crate::auth::ApiUser;
use crate::cases;
use crate::error::AppError;
use crate::present::CaseView;
use crate::state::AppState;

/// Treats an empty form value as absent.
pub(crate) fn empty_as_none<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: std::str::FromStr,
    T::Err: std::fmt::Display,
{
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw<T> {
        Text(String),
        Value(T),
    }
    match Option::<Raw<serde_json::Value>>::deserialize(d)? {
        None => Ok(None),
        Some(Raw::Text(s)) if s.trim().is_empty() => Ok(None),
        Some(Raw::Text(s)) => s.trim().parse().map(Some).map_err(serde::de::Error::custom),
        Some(Raw::Value(v)) => v
            .to_string()
            .trim_matches('"')
            .parse()
            .map(Some)
            .map_err(serde::de::Error::custom),
    }
}

pub(crate) fn opt(s: &str) -> Option<String> {
    let t = s.trim();
    (!t.is_empty()).then(|| t.to_owned())
}

pub(crate) fn pick<T>(
    field: &str,
    s: &str,
    parse: impl Fn(&str) -> Result<T, hejie_domain::ValidationError>,
    what: &str,
) -> Result<T, AppError> {
    parse(s).map_err(|_| AppError::validation(field, format!("请选择{what}")))
}

/// Common to all command requests: act only if the case is still at this version.
pub trait Versioned {
    fn expected_version(&self) -> Option<u64>;
}

macro_rules! versioned {
    ($($t:ty),+) => {$(
        impl Versioned for $t {
            fn expected_version(&self) -> Option<u64> { self.expected_version }
        }
    )+};
}

#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct AcceptRequest {
    pub dispute_type: String,
    /// `ordinary` 一般, `significant` 较大, `major` 重大.
    pub severity: String,
    /// `clinic` 门诊, `emergency` 急诊, `consultation` 会诊.
    pub track: String,
    #[serde(default)]
    pub note: String,
    #[serde(default, deserialize_with = "empty_as_none")]
    pub expected_version: Option<u64>,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct DeclineRequest {
    pub reason: String,
    /// Where the party was guided to.
    pub guidance: String,
    #[serde(default, deserialize_with = "empty_as_none")]
    pub expected_version: Option<u64>,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct AssignRequest {
    pub organisation_id: String,
    #[serde(default)]
    pub note: String,
    #[serde(default, deserialize_with = "empty_as_none")]
    pub expected_version: Option<u64>,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct AcknowledgeRequest {
    #[serde(default, deserialize_with = "empty_as_none")]
    pub expected_version: Option<u64>,
}

/// A party's answer to the invitation to mediate (人民调解法第十七条), as they gave it.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct ConsentRequest {
    /// The party's position in the case's party list, from 0.
    pub party: u32,
    /// `true`: the party agrees to mediation; `false`: the party explicitly refuses it, which
    /// ends mediation for good.
    pub consented: bool,
    /// Why the party refused, in their words.
    #[serde(default, deserialize_with = "empty_as_none")]
    pub reason: Option<String>,
    #[serde(default, deserialize_with = "empty_as_none")]
    pub expected_version: Option<u64>,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct StartMediationRequest {
    /// Both parties agreed to mediation (人民调解法第十七条).
    #[serde(default, deserialize_with = "empty_as_none")]
    pub parties_consented: Option<bool>,
    #[serde(default, deserialize_with = "empty_as_none")]
    pub expected_version: Option<u64>,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct SessionRequest {
    /// When it was held, `YYYY-MM-DDTHH:MM` China time; default now.
    #[serde(default)]
    pub held_at: String,
    /// `in_person`, `online` or `phone`.
    pub mode: String,
    pub place: String,
    /// Names separated by commas or 、.
    pub attendees: String,
    pub minutes: String,
    #[serde(default, deserialize_with = "empty_as_none")]
    pub expected_version: Option<u64>,
}

/// A session to come (安排调解); the parties are texted an invitation now and a reminder the day
/// before.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct ScheduleRequest {
    /// When, `YYYY-MM-DDTHH:MM` China time; must be later than now.
    pub at: String,
    /// `in_person`, `online` or `phone`.
    pub mode: String,
    /// Where (for an online session, e.g. 在线调解室).
    #[serde(default)]
    pub place: String,
    #[serde(default)]
    pub note: String,
    #[serde(default, deserialize_with = "empty_as_none")]
    pub expected_version: Option<u64>,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct CloseRequest {
    /// `succeeded`, `failed`, `withdrawn` or `referred`.
    pub outcome: String,
    /// The agreement (succeeded).
    #[serde(default)]
    pub agreement: String,
    /// Amount agreed, in yuan (succeeded).
    #[serde(default)]
    pub amount: String,
    /// Who must perform, what, by when (succeeded; optional).
    #[serde(default)]
    pub obligation_party: String,
    #[serde(default)]
    pub obligation_duty: String,
    /// Due date `YYYY-MM-DD`.
    #[serde(default)]
    pub obligation_due: String,
    /// Reason (failed, withdrawn, referred).
    #[serde(default)]
    pub reason: String,
    /// The parties were told of arbitration, administrative and judicial remedies (failed).
    #[serde(default, deserialize_with = "empty_as_none")]
    pub remedies_informed: Option<bool>,
    /// Referral target code (referred), e.g. `court`.
    #[serde(default)]
    pub referral_target: String,
    #[serde(default, deserialize_with = "empty_as_none")]
    pub expected_version: Option<u64>,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct FollowUpRequest {
    /// `phone`, `visit` or `online`.
    pub method: String,
    /// `satisfied`, `fairly_satisfied` or `dissatisfied`.
    pub satisfaction: String,
    /// Whether the agreement is being performed (only when there is one).
    #[serde(default, deserialize_with = "empty_as_none")]
    pub agreement_performed: Option<bool>,
    #[serde(default)]
    pub note: String,
    #[serde(default, deserialize_with = "empty_as_none")]
    pub expected_version: Option<u64>,
}

/// The same dispute reported again, linked to this open case instead of registered (一案一码).
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct LinkReportRequest {
    /// How it arrived this time: `visit`, `phone`, `online`, `grid`, … (a channel code).
    pub channel: String,
    /// Who reported it this time.
    pub reporter: String,
    /// What they said.
    pub summary: String,
    #[serde(default, deserialize_with = "empty_as_none")]
    pub expected_version: Option<u64>,
}

versioned!(
    LinkReportRequest,
    AcceptRequest,
    DeclineRequest,
    AssignRequest,
    AcknowledgeRequest,
    ConsentRequest,
    StartMediationRequest,
    SessionRequest,
    ScheduleRequest,
    CloseRequest,
    FollowUpRequest
);

/// Turns a request into the domain command it asks for.
pub trait ToCommand: Versioned {
    fn to_command(&self, state: &AppState, me: &User) -> Result<Command, AppError>;
}

impl ToCommand for AcceptRequest {
    fn to_command(&self, _: &AppState, _: &User) -> Result<Command, AppError> {
        Ok(Command::Accept {
            dispute_type: pick(
                "dispute_type",
                &self.dispute_type,
                DisputeType::parse,
                "纠纷类型",
            )?,
            severity: pick("severity", &self.severity, Severity::parse, "严重程度")?,
            track: pick("track", &self.track, Track::parse, "分流方式")?,
            note: opt(&self.note),
        })
    }
}

impl ToCommand for DeclineRequest {
    fn to_command(&self, _: &AppState, _: &User) -> Result<Command, AppError> {
        Ok(Command::Decline {
            reason: self.reason.clone(),
            guidance: self.guidance.clone(),
        })
    }
}

impl ToCommand for AssignRequest {
    fn to_command(&self, state: &AppState, _: &User) -> Result<Command, AppError> {
        let r = state.reference();
        let org = uuid::Uuid::parse_str(self.organisation_id.trim())
            .ok()
            .and_then(|id| r.orgs.get(&hejie_domain::org::OrganisationId(id)))
            .ok_or_else(|| AppError::validation("organisation_id", "请选择承办单位"))?;
        Ok(Command::Assign {
            organisation: hejie_domain::case::OrgRef::of(org),
            person: None,
            note: opt(&self.note),
        })
    }
}

impl ToCommand for AcknowledgeRequest {
    fn to_command(&self, _: &AppState, me: &User) -> Result<Command, AppError> {
        Ok(Command::Acknowledge {
            person: Some(PersonRef {
                id: me.id,
                name: me.name.clone(),
            }),
        })
    }
}

impl ToCommand for ConsentRequest {
    fn to_command(&self, _: &AppState, _: &User) -> Result<Command, AppError> {
        Ok(Command::RecordConsent {
            party: self.party,
            answer: if self.consented {
                ConsentAnswer::Consented
            } else {
                ConsentAnswer::Refused {
                    reason: self.reason.clone(),
                }
            },
        })
    }
}

impl ToCommand for StartMediationRequest {
    fn to_command(&self, _: &AppState, me: &User) -> Result<Command, AppError> {
        Ok(Command::StartMediation {
            mediator: PersonRef {
                id: me.id,
                name: me.name.clone(),
            },
            parties_consented: self.parties_consented.unwrap_or(false),
        })
    }
}

/// A local (China Standard Time) date and time from a form; blank means now on the server's
/// clock, which tests may fix, so a session recorded "now" agrees with the rest of the command.
fn parse_local(state: &AppState, field: &str, s: &str) -> Result<Timestamp, AppError> {
    let s = s.trim();
    if s.is_empty() {
        return Ok(state.now());
    }
    let fmt = time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]");
    let dt = time::PrimitiveDateTime::parse(s, &fmt)
        .map_err(|_| AppError::validation(field, "时间格式应为 YYYY-MM-DDTHH:MM"))?;
    Ok(Timestamp::from_datetime(
        dt.assume_offset(hejie_domain::timestamp::CST),
    ))
}

impl ToCommand for SessionRequest {
    fn to_command(&self, state: &AppState, _: &User) -> Result<Command, AppError> {
        Ok(Command::RecordSession {
            held_at: parse_local(state, "held_at", &self.held_at)?,
            mode: pick("mode", &self.mode, SessionMode::parse, "调解方式")?,
            place: self.place.clone(),
            attendees: self
                .attendees
                .split([',', '，', '、', ';', '；'])
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect(),
            minutes: self.minutes.clone(),
        })
    }
}

impl ToCommand for ScheduleRequest {
    fn to_command(&self, _: &AppState, _: &User) -> Result<Command, AppError> {
        if self.at.trim().is_empty() {
            return Err(AppError::validation("at", "请填写调解时间"));
        }
        let fmt = time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]");
        let at = time::PrimitiveDateTime::parse(self.at.trim(), &fmt)
            .map_err(|_| AppError::validation("at", "时间格式应为 YYYY-MM-DDTHH:MM"))?;
        let mode = pick("mode", &self.mode, SessionMode::parse, "调解方式")?;
        let place = match (mode, self.place.trim()) {
            (SessionMode::Online, "") => "在线调解室".to_owned(),
            (_, p) => p.to_owned(),
        };
        Ok(Command::ScheduleSession {
            at: Timestamp::from_datetime(at.assume_offset(hejie_domain::timestamp::CST)),
            mode,
            place,
            note: opt(&self.note),
        })
    }
}

impl ToCommand for CloseRequest {
    fn to_command(&self, _: &AppState, _: &User) -> Result<Command, AppError> {
        let outcome = match self.outcome.trim() {
            "succeeded" => {
                let amount = opt(&self.amount).map(|a| Money::parse(&a)).transpose()?;
                let mut obligations = Vec::new();
                if let Some(party) = opt(&self.obligation_party) {
                    let due = opt(&self.obligation_due)
                        .map(|d| super::parse_date("obligation_due", &d, false))
                        .transpose()?;
                    obligations.push(Obligation {
                        party,
                        duty: self.obligation_duty.clone(),
                        amount,
                        due,
                    });
                }
                Outcome::Succeeded {
                    agreement: self.agreement.clone(),
                    amount,
                    obligations,
                }
            }
            "failed" => Outcome::Failed {
                reason: self.reason.clone(),
                remedies_informed: self.remedies_informed.unwrap_or(false),
            },
            "withdrawn" => Outcome::Withdrawn {
                reason: self.reason.clone(),
            },
            "referred" => Outcome::Referred {
                target: pick(
                    "referral_target",
                    &self.referral_target,
                    ReferralTarget::parse,
                    "移送去向",
                )?,
                reason: self.reason.clone(),
            },
            _ => return Err(AppError::validation("outcome", "请选择结案方式")),
        };
        Ok(Command::Close { outcome })
    }
}

impl ToCommand for FollowUpRequest {
    fn to_command(&self, _: &AppState, _: &User) -> Result<Command, AppError> {
        Ok(Command::FollowUp {
            method: pick("method", &self.method, ContactMethod::parse, "回访方式")?,
            satisfaction: pick(
                "satisfaction",
                &self.satisfaction,
                Satisfaction::parse,
                "满意度",
            )?,
            agreement_performed: self.agreement_performed,
            note: opt(&self.note),
        })
    }
}

impl ToCommand for LinkReportRequest {
    fn to_command(&self, _: &AppState, _: &User) -> Result<Command, AppError> {
        Ok(Command::LinkReport {
            channel: pick("channel", &self.channel, Channel::parse, "受理渠道")?,
            reporter: self.reporter.clone(),
            summary: self.summary.clone(),
        })
    }
}

/// Runs a command request against a case and returns the case as it is now.
pub async fn apply(
    state: &AppState,
    me: &User,
    id: &str,
    req: &impl ToCommand,
) -> Result<CaseView, AppError> {
    let id = parse_id(id)?;
    // Visibility first, so a case outside the jurisdiction is "not found" whatever the body says.
    cases::load_visible(state, me, id).await?;
    let command = req.to_command(state, me)?;
    cases::run(state, me, id, req.expected_version(), command).await?;
    view_of(state, me, id).await
}

macro_rules! command_route {
    ($fn:ident, $req:ty, $path:literal, $doc:literal) => {
        #[doc = $doc]
        #[utoipa::path(post, path = $path, tag = "cases", request_body = $req,
                                    params(("id" = String, Path, description = "Case id")),
                                    responses((status = 200, body = CaseView),
                                              (status = 400, body = crate::error::ErrorBody),
                                              (status = 403, body = crate::error::ErrorBody),
                                              (status = 404, body = crate::error::ErrorBody),
                                              (status = 409, body = crate::error::ErrorBody),
                                              (status = 422, body = crate::error::ErrorBody)))]
        pub async fn $fn(
            State(state): State<AppState>,
            ApiUser(me): ApiUser,
            Path(id): Path<String>,
            Body(req): Body<$req>,
        ) -> Result<Json<CaseView>, AppError> {
            Ok(Json(apply(&state, &me.user, &id, &req).await?))
        }
    };
}

/// The flow commands (`flow.rs`) use the same route shape.
pub(crate) use command_route;

command_route!(
    accept,
    AcceptRequest,
    "/api/v1/cases/{id}/accept",
    "Accept and triage (受理)."
);
command_route!(
    decline,
    DeclineRequest,
    "/api/v1/cases/{id}/decline",
    "Decline and guide (不予受理并引导)."
);
command_route!(
    assign,
    AssignRequest,
    "/api/v1/cases/{id}/assign",
    "Dispatch to an organisation (派单)."
);
command_route!(
    acknowledge,
    AcknowledgeRequest,
    "/api/v1/cases/{id}/acknowledge",
    "Acknowledge as the holder (签收)."
);
command_route!(
    consent,
    ConsentRequest,
    "/api/v1/cases/{id}/consent",
    "Record a party's consent to mediation or their refusal (记录调解意愿, 人民调解法第十七条)."
);
command_route!(
    start_mediation,
    StartMediationRequest,
    "/api/v1/cases/{id}/start-mediation",
    "Start mediation with both parties' consent (开始调解)."
);
command_route!(
    record_session,
    SessionRequest,
    "/api/v1/cases/{id}/sessions",
    "Record a mediation session (调解记录)."
);
command_route!(
    schedule,
    ScheduleRequest,
    "/api/v1/cases/{id}/schedule",
    "Schedule a session (安排调解): the parties are texted an invitation and a reminder the day before; the staff are reminded."
);
command_route!(
    close,
    CloseRequest,
    "/api/v1/cases/{id}/close",
    "Close the case (结案)."
);
command_route!(
    link_report,
    LinkReportRequest,
    "/api/v1/cases/{id}/link-report",
    "Link a further report of the same dispute to this open case instead of registering a duplicate (一案一码)."
);
command_route!(
    follow_up,
    FollowUpRequest,
    "/api/v1/cases/{id}/follow-up",
    "Record a follow-up (回访)."
);

#[derive(Debug, Deserialize, ToSchema)]
pub struct UnmaskRequest {
    /// Index of the party in the case's `parties`.
    pub party: u32,
    /// `id_number` or `phone`.
    pub field: String,
    /// Why you need the full value; recorded in the case history.
    pub reason: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UnmaskResponse {
    pub value: String,
}

pub fn pii_kind(s: &str) -> Result<PiiKind, AppError> {
    match s.trim() {
        "id_number" => Ok(PiiKind::IdNumber),
        "phone" => Ok(PiiKind::Phone),
        _ => Err(AppError::validation(
            "field",
            "只能查看身份证号码或手机号码",
        )),
    }
}

/// Read a party's full ID number or phone; needs the permission and a reason, and is recorded.
#[utoipa::path(post, path = "/api/v1/cases/{id}/personal-data", tag = "cases", request_body = UnmaskRequest,
    params(("id" = String, Path, description = "Case id")),
    responses((status = 200, body = UnmaskResponse), (status = 400, body = crate::error::ErrorBody),
              (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody)))]
pub async fn personal_data(
    State(state): State<AppState>,
    ApiUser(me): ApiUser,
    Path(id): Path<String>,
    Body(req): Body<UnmaskRequest>,
) -> Result<Json<UnmaskResponse>, AppError> {
    let value = cases::unmask(
        &state,
        &me.user,
        parse_id(&id)?,
        req.party,
        pii_kind(&req.field)?,
        req.reason,
    )
    .await?;
    Ok(Json(UnmaskResponse { value }))
}

#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct RouteRequest {
    #[serde(default, deserialize_with = "empty_as_none")]
    pub expected_version: Option<u64>,
}

/// What the routing rules propose for an accepted case (its type, severity and track are known).
pub async fn proposal(
    state: &AppState,
    case: &hejie_domain::case::Case,
) -> Result<Option<hejie_intake::Decision>, AppError> {
    let (Some(dispute_type), Some(severity), Some(track)) =
        (case.dispute_type, case.severity, case.track)
    else {
        return Ok(None);
    };
    let facts = hejie_intake::CaseFacts {
        division: case
            .location
            .grid
            .clone()
            .unwrap_or_else(|| case.location.division.clone()),
        dispute_type,
        severity,
        track,
        head_count: case.head_count,
        cross_division: false,
    };
    crate::routing::decide(state, &facts).await
}

/// Dispatches a case to the organisation the routing rules choose, recording the rule.
pub async fn route_case(
    state: &AppState,
    me: &User,
    id: &str,
    expected_version: Option<u64>,
) -> Result<CaseView, AppError> {
    let case_id = parse_id(id)?;
    let st = cases::load_visible(state, me, case_id).await?;
    let case = st.case().ok_or(AppError::NotFound)?;
    let decision = proposal(state, case).await?.ok_or_else(|| {
        AppError::validation("route", "没有适用的分流规则，请手动选择承办单位派单")
    })?;
    let command = Command::Route {
        organisation: decision.organisation,
        rule: decision.rule_id,
        reason: decision.reason,
    };
    cases::run(state, me, case_id, expected_version, command).await?;
    view_of(state, me, case_id).await
}

/// Dispatch by the routing rules (按规则派单); the rule that fired is recorded with the event.
#[utoipa::path(post, path = "/api/v1/cases/{id}/route", tag = "cases", request_body = RouteRequest,
    params(("id" = String, Path, description = "Case id")),
    responses((status = 200, body = CaseView),
              (status = 400, body = crate::error::ErrorBody),
              (status = 403, body = crate::error::ErrorBody),
              (status = 404, body = crate::error::ErrorBody),
              (status = 409, body = crate::error::ErrorBody),
              (status = 422, body = crate::error::ErrorBody)))]
pub async fn route(
    State(state): State<AppState>,
    ApiUser(me): ApiUser,
    Path(id): Path<String>,
    Body(req): Body<RouteRequest>,
) -> Result<Json<CaseView>, AppError> {
    Ok(Json(
        route_case(&state, &me.user, &id, req.expected_version).await?,
    ))
}

/// One scheduled session as an iCalendar file (`.ics`), for any calendar.
#[utoipa::path(get, path = "/api/v1/cases/{id}/sessions/{number}/ics", tag = "cases",
    params(("id" = String, Path, description = "Case id"),
           ("number" = u32, Path, description = "The session's number, from 1")),
    responses((status = 200, content_type = "text/calendar", body = String),
              (status = 404, body = crate::error::ErrorBody)))]
pub async fn session_ics(
    State(state): State<AppState>,
    ApiUser(me): ApiUser,
    Path((id, number)): Path<(String, String)>,
) -> Result<axum::response::Response, AppError> {
    let id = parse_id(&id)?;
    let st = cases::load_visible(&state, &me.user, id).await?;
    crate::sessions::ics_download(st.case().ok_or(AppError::NotFound)?, &number)
}
