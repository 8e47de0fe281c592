//! `/cases/{id}`: one case — its facts (personal data masked), the timeline of every event (who,
//! when, where, what, with the event's hash), and forms for exactly the actions this user may
//! take now (`CaseView::actions`). Each form posts to `/cases/{id}/{action}`, is converted by the
//! API's request types and run by `api::cases::commands::apply`. A refused form comes back with
//! the reason next to the field and what was typed still there.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use hejie_domain::authz::{Action, authorize};
use hejie_domain::case::{
    CaseId, ContactMethod, DisputeType, Outcome, ReferralTarget, Satisfaction, SessionMode,
    Severity, Status, Track,
};
use hejie_domain::error::CommandName;
use serde::Deserialize;

use super::PageError;
use super::form::{CsrfForm, PageQuery, PageUser};
use super::view::{self, Chrome, Group, Opt, vocab};
use crate::api::cases::commands::{
    self, AcceptRequest, AcknowledgeRequest, AssignRequest, CloseRequest, DeclineRequest,
    FollowUpRequest, ScheduleRequest, SessionRequest, StartMediationRequest, ToCommand, pii_kind,
};
use crate::api::cases::parse_id;
use crate::auth::CurrentUser;
use crate::cases;
use crate::error::AppError;
use crate::present::{self, CaseView};
use crate::state::AppState;

/// The fields of each action's form; an error on any other field is shown atop the form.
fn fields_of(action: &str) -> &'static [&'static str] {
    match action {
        "accept" => &["dispute_type", "severity", "track", "note"],
        "decline" => &["reason", "guidance"],
        "assign" => &["organisation_id", "note"],
        "start-mediation" => &["parties_consented"],
        "sessions" => &["held_at", "mode", "place", "attendees", "minutes"],
        "schedule" => &["at", "mode", "place", "note"],
        "close" => &[
            "outcome",
            "agreement",
            "amount",
            "obligation_party",
            "obligation_duty",
            "obligation_due",
            "reason",
            "remedies_informed",
            "referral_target",
        ],
        "follow-up" => &["method", "satisfaction", "agreement_performed", "note"],
        "evidence" => &["file", "description"],
        "filing" => &["court", "claims", "party"],
        a if a.starts_with("pii-") => &["reason"],
        other => super::flow::fields_of(other)
            .or_else(|| super::agreement::fields_of(other))
            .unwrap_or(&[]),
    }
}

fn rename(field: &str) -> String {
    match field {
        "obligations.party" => "obligation_party",
        "obligations.duty" => "obligation_duty",
        other => other,
    }
    .to_owned()
}

/// What a refused form had typed, and why it was refused.
#[derive(Debug, Clone, Default)]
pub struct Prefill {
    action: String,
    values: Vec<(String, String)>,
    err: view::Errors,
}

impl Prefill {
    /// The value to show in `action`'s `field`: what was typed, or `default`.
    pub fn v(&self, action: &str, field: &str, default: &str) -> String {
        if self.action == action {
            self.values
                .iter()
                .find(|(k, _)| k == field)
                .map_or_else(String::new, |(_, v)| v.clone())
        } else {
            default.to_owned()
        }
    }

    /// Every value typed into `field` (a group of checkboxes), when `action` was submitted.
    pub fn values(&self, field: &str) -> Vec<String> {
        self.values
            .iter()
            .filter(|(k, _)| k == field)
            .map(|(_, v)| v.clone())
            .collect()
    }

    pub fn checked(&self, action: &str, field: &str) -> bool {
        self.action == action && self.values.iter().any(|(k, v)| k == field && !v.is_empty())
    }

    /// The error on `action`'s `field`.
    pub fn err(&self, action: &str, field: &str) -> Option<&str> {
        if self.action == action {
            self.err.on(field)
        } else {
            None
        }
    }

    /// The error of `action` that belongs to none of its fields.
    pub fn general(&self, action: &str) -> Option<&str> {
        (self.action == action
            && self.err.any()
            && !fields_of(action).contains(&self.err.field.as_str()))
        .then_some(self.err.message.as_str())
    }

    /// Whether `action`'s form was the one submitted (so it is shown open).
    pub fn is(&self, action: &str) -> bool {
        self.action == action
    }
}

/// A personal datum shown once after an audited request.
#[derive(Debug, Clone)]
pub struct Revealed {
    pub party: u32,
    pub field: String,
    pub value: String,
}

/// What a page shows besides the case itself.
#[derive(Debug, Clone, Default)]
pub struct Extra {
    pub notice: String,
    pub alert: String,
    pub pf: Prefill,
    pub revealed: Option<Revealed>,
}

impl Extra {
    /// After `action`'s form (`raw`) was refused with `e`; `lead` says what happened first.
    pub fn failed(action: &str, raw: &[(String, String)], e: &AppError, lead: &str) -> Self {
        let err = view::Errors::from_app(e, rename);
        let alert = if lead.is_empty() {
            format!("未能{}：{}", label_of(action), err.message)
        } else {
            format!("{lead}（{}）", err.message)
        };
        Extra {
            notice: String::new(),
            alert,
            pf: Prefill {
                action: action.to_owned(),
                values: raw.to_vec(),
                err,
            },
            revealed: None,
        }
    }
}

fn label_of(action: &str) -> &'static str {
    match action {
        "accept" => CommandName::Accept.label(),
        "decline" => CommandName::Decline.label(),
        "assign" => CommandName::Assign.label(),
        "route" => CommandName::Route.label(),
        "acknowledge" => CommandName::Acknowledge.label(),
        "start-mediation" => CommandName::StartMediation.label(),
        "sessions" => CommandName::RecordSession.label(),
        "schedule" => CommandName::ScheduleSession.label(),
        "close" => CommandName::Close.label(),
        "follow-up" => CommandName::FollowUp.label(),
        "evidence" => CommandName::AddEvidence.label(),
        "filing" => CommandName::RequestFiling.label(),
        a if a.starts_with("pii-") => "查看完整信息",
        other => super::flow::label_of(other)
            .or_else(|| super::agreement::label_of(other))
            .unwrap_or("完成操作"),
    }
}

fn done_notice(done: &str) -> &'static str {
    match done {
        "register" => "案件已登记。",
        "register-accept" => "案件已登记并受理，请继续派单。",
        "accept" => "已受理。",
        "decline" => "已作不予受理处理，并记录了引导去向。",
        "assign" | "route" => "已派单，等待承办单位签收。",
        "acknowledge" => "已签收，本单位开始办理。",
        "start-mediation" => "已开始调解。",
        "sessions" => "调解记录已保存。",
        "schedule" => "已安排调解，并已短信通知当事人；调解前一天将再次提醒。",
        "close" => "已结案。",
        "follow-up" => "回访已记录。",
        "evidence" => "证据材料已上传，文件的 SHA-256 已记入案件记录。",
        "filing" => {
            "已申请诉讼对接。起诉材料将签名后提交法院，法院未能接收时会自动重试，直至接收。"
        }
        "link-report" => "本次反映已并入此案（一案一码），未另行登记新案件。",
        other => super::flow::done_notice(other)
            .or_else(|| super::agreement::done_notice(other))
            .unwrap_or(""),
    }
}

#[derive(Debug)]
struct Fact {
    label: &'static str,
    value: String,
}

#[derive(Debug)]
struct PartyRow {
    index: u32,
    role: String,
    kind: String,
    name: String,
    id_number: String,
    id_revealed: bool,
    phone: String,
    phone_revealed: bool,
    address: String,
    /// The form keys of this party's unmask forms (see [`Prefill`]).
    id_key: String,
    phone_key: String,
}

#[derive(Debug)]
struct Step {
    version: u64,
    kind: String,
    label: String,
    summary: String,
    actor: String,
    role: String,
    when: String,
    place: String,
    hash: String,
    hash_short: String,
}

#[derive(Debug, Default)]
struct Forms {
    accept_types: Vec<Opt>,
    severities: Vec<Opt>,
    tracks: Vec<Opt>,
    orgs: Vec<Group>,
    modes: Vec<Opt>,
    outcomes: Vec<Opt>,
    targets: Vec<Opt>,
    methods: Vec<Opt>,
    satisfactions: Vec<Opt>,
    performed: Vec<Opt>,
    has_agreement: bool,
    /// What the routing rules propose (organisation name, reason), when routing is offered.
    route: Option<(String, String)>,
}

#[derive(Template)]
#[template(path = "case.html")]
struct CasePage {
    chrome: Chrome,
    c: CaseView,
    overdue: bool,
    facts: Vec<Fact>,
    parties: Vec<PartyRow>,
    timeline: Vec<Step>,
    notice: String,
    alert: String,
    pf: Prefill,
    forms: Forms,
    may_unmask: bool,
    primary: String,
    time: super::flow::TimePanel,
    flow: super::flow::FlowForms,
    /// 升级风险 of an open case, when a model is stored.
    risk: Option<crate::escalation::Risk>,
    /// 调解协议书 and 司法确认.
    agreement: super::agreement::Panel,
    /// 证据材料.
    evidence: super::evidence::Panel,
    /// Whether this user may enter the case's online mediation room now.
    room: bool,
    /// 诉讼对接.
    filing: super::filing::Panel,
    /// Scheduled sessions: number, when, how, where.
    scheduled: Vec<(u32, String, String, String)>,
}

impl CasePage {
    /// The error on any obligation row of the agreement's form.
    fn duty_error(&self) -> Option<&str> {
        [
            "duties.party",
            "duties.amount",
            "duties.due",
            "agreement.duties.party",
            "agreement.duties.duty",
            "agreement.duties.manner",
        ]
        .into_iter()
        .find_map(|f| self.pf.err("agreement", f))
    }

    fn has(&self, action: &str) -> bool {
        self.c.actions.iter().any(|a| a == action)
            && (super::flow::fields_of(action).is_none() || self.flow.fits(action))
    }

    /// Whether `action`'s form starts open: the one that was refused, else the first action.
    fn open(&self, action: &str) -> bool {
        if self.pf.action.is_empty() || self.pf.action.starts_with("pii-") {
            self.primary == action
        } else {
            self.pf.is(action)
        }
    }
}

fn sel(with_blank: &str, mut items: Vec<Opt>, selected: &str) -> Vec<Opt> {
    let mut out = vec![Opt::new("", with_blank, selected)];
    out.append(&mut items);
    out
}

/// Renders the case page for `me`, with whatever `extra` adds.
pub async fn render_case(
    state: &AppState,
    me: &CurrentUser,
    id: CaseId,
    extra: Extra,
    status: StatusCode,
) -> Result<Response, PageError> {
    let st = cases::load_visible(state, &me.user, id).await?;
    let case = st.case().ok_or(AppError::NotFound)?;
    let r = state.reference();
    let c = present::case_view(case, st.version(), Some(&me.user), &r);
    let may_unmask = authorize(
        &me.user,
        Action::Command(CommandName::ViewPersonalData),
        Some(case),
    )
    .is_ok();
    let events = state.store.events(id).await?;
    let pf = extra.pf;
    let overdue_before = state
        .now()
        .plus_seconds(-86_400 * state.config.overdue_days);
    let overdue = case.status.is_open() && case.registered_at < overdue_before;

    let mut facts = vec![
        Fact {
            label: "受理渠道",
            value: c.channel.label.clone(),
        },
        Fact {
            label: "纠纷类型",
            value: c
                .dispute_type
                .as_ref()
                .map_or_else(|| "待定".to_owned(), |t| t.label.clone()),
        },
    ];
    let mut push = |label: &'static str, v: Option<String>| {
        if let Some(value) = v.filter(|v| !v.is_empty()) {
            facts.push(Fact { label, value });
        }
    };
    push("严重程度", c.severity.as_ref().map(|s| s.label.clone()));
    push("分流（三诊）", c.track.as_ref().map(|s| s.label.clone()));
    push("发生地", Some(c.division_name.clone()));
    push("网格", c.grid.clone());
    push("详细地址", c.address.clone());
    push("涉及金额", c.amount.clone());
    push("涉及人数", c.head_count.map(|n| format!("{n}人")));
    push(
        "承办单位",
        c.holder.as_ref().map(|h| {
            format!(
                "{}{}",
                h.organisation_name,
                h.person_name
                    .as_ref()
                    .map(|p| format!("（{p}）"))
                    .unwrap_or_default()
            )
        }),
    );
    push("调解员", c.mediator.clone());
    push(
        "申请人选择",
        case.preference.as_ref().map(|(o, m)| {
            [
                o.as_ref().map(|o| o.name.clone()),
                m.as_ref().map(|m| format!("调解员{}", m.name)),
            ]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join("、")
        }),
    );
    push(
        "调解次数",
        (c.sessions > 0).then(|| format!("{}次", c.sessions)),
    );
    push("登记时间", Some(view::short_time(&c.registered_at)));
    push("最近更新", Some(view::short_time(&c.updated_at)));
    push("结案时间", c.closed_at.as_deref().map(view::short_time));
    push("结案方式", c.outcome.as_ref().map(|o| o.label.clone()));
    push(
        "回访",
        (c.follow_ups > 0).then(|| {
            format!(
                "{}次{}",
                c.follow_ups,
                c.satisfaction
                    .as_ref()
                    .map(|s| format!("，{}", s.label))
                    .unwrap_or_default()
            )
        }),
    );
    push(
        "当事人评价",
        case.party_rating.map(|s| s.label().to_owned()),
    );

    let revealed = extra.revealed.as_ref();
    let shown = |p: u32, field: &str, masked: &Option<String>| -> (String, bool) {
        match revealed {
            Some(rv) if rv.party == p && rv.field == field => (rv.value.clone(), true),
            _ => (masked.clone().unwrap_or_default(), false),
        }
    };
    let parties = c
        .parties
        .iter()
        .map(|p| {
            let (id_number, id_revealed) = shown(p.index, "id_number", &p.id_number);
            let (phone, phone_revealed) = shown(p.index, "phone", &p.phone);
            PartyRow {
                index: p.index,
                role: p.role.label.clone(),
                kind: p.kind.label.clone(),
                name: p.name.clone(),
                id_number,
                id_revealed,
                phone,
                phone_revealed,
                address: p.address.clone().unwrap_or_default(),
                id_key: format!("pii-{}-id_number", p.index),
                phone_key: format!("pii-{}-phone", p.index),
            }
        })
        .collect();

    let timeline = events
        .iter()
        .map(|e| {
            let v = present::event_view(e, &r);
            Step {
                version: v.version,
                kind: v.kind,
                label: v.label,
                summary: v.summary,
                actor: v.actor,
                role: v.actor_role,
                when: view::short_time(&v.at),
                place: v.division_name,
                hash_short: v.hash.chars().take(12).collect(),
                hash: v.hash,
            }
        })
        .collect();

    // The options of the forms offered.
    let case_type = c
        .dispute_type
        .as_ref()
        .map_or("", |t| t.code.as_str())
        .to_owned();
    let holder_id = c
        .holder
        .as_ref()
        .map(|h| h.organisation_id.clone())
        .unwrap_or_default();
    let mut org_groups: Vec<Group> = Vec::new();
    let mut orgs: Vec<_> = r
        .orgs
        .values()
        .filter(|o| o.division.contains(&case.location.division))
        .collect();
    orgs.sort_by(|a, b| (&a.division, &a.name).cmp(&(&b.division, &b.name)));
    // The applicant's choice is where dispatch starts.
    let preferred = case
        .preference
        .as_ref()
        .and_then(|(o, _)| o.as_ref())
        .map(|o| o.id.to_string())
        .unwrap_or_default();
    let chosen = pf.v("assign", "organisation_id", &preferred);
    for o in orgs {
        let key = o.division.to_string();
        if org_groups.last().is_none_or(|g| g.key != key) {
            org_groups.push(Group {
                label: r
                    .division(&o.division)
                    .map_or_else(|| key.clone(), |d| d.name.clone()),
                key: key.clone(),
                options: Vec::new(),
            });
        }
        let id = o.id.to_string();
        let label = if id == holder_id {
            format!("{}（当前承办）", o.name)
        } else {
            o.name.clone()
        };
        if let Some(g) = org_groups.last_mut() {
            g.options.push(Opt::new(&id, &label, &chosen));
        }
    }
    let route = if c.actions.iter().any(|a| a == "route") {
        commands::proposal(state, case)
            .await?
            .map(|d| (d.organisation.name, d.reason))
    } else {
        None
    };
    let mediating = case.status == Status::Mediating;
    let outcomes: Vec<(&str, &str)> = [
        ("succeeded", "调解成功（达成协议）", mediating),
        ("failed", "调解不成（终止调解）", mediating),
        ("withdrawn", "当事人撤回", true),
        (
            "referred",
            "移送其他途径",
            case.status != Status::Registered,
        ),
    ]
    .into_iter()
    .filter(|(_, _, ok)| *ok)
    .map(|(v, l, _)| (v, l))
    .collect();
    let v_type = pf.v("accept", "dispute_type", &case_type);
    let v_severity = pf.v("accept", "severity", "");
    let v_track = pf.v("accept", "track", "");
    let v_mode = pf.v("sessions", "mode", "in_person");
    let v_outcome = pf.v("close", "outcome", "");
    let v_target = pf.v("close", "referral_target", "");
    let v_method = pf.v("follow-up", "method", "phone");
    let v_satisfaction = pf.v("follow-up", "satisfaction", "");
    let forms = Forms {
        accept_types: sel("请选择", vocab!(DisputeType, &v_type), &v_type),
        severities: sel("请选择", vocab!(Severity, &v_severity), &v_severity),
        tracks: sel("请选择", vocab!(Track, &v_track), &v_track),
        orgs: org_groups,
        route,
        modes: sel("请选择", vocab!(SessionMode, &v_mode), &v_mode),
        outcomes: sel("请选择", view::opts(outcomes, &v_outcome), &v_outcome),
        targets: sel("请选择", vocab!(ReferralTarget, &v_target), &v_target),
        methods: sel("请选择", vocab!(ContactMethod, &v_method), &v_method),
        satisfactions: sel(
            "请选择",
            vocab!(Satisfaction, &v_satisfaction),
            &v_satisfaction,
        ),
        performed: view::opts(
            [("", "尚未核实"), ("true", "已履行"), ("false", "未履行")],
            &pf.v("follow-up", "agreement_performed", ""),
        ),
        has_agreement: matches!(case.outcome, Some(Outcome::Succeeded { .. })),
    };

    // The form shown open: the first action, except that once a session is recorded the next
    // step is usually closing.
    let primary = if case.sessions > 0 && c.actions.iter().any(|a| a == "close") {
        "close".to_owned()
    } else {
        c.actions
            .iter()
            .find(|a| super::flow::fields_of(a).is_none())
            .cloned()
            .unwrap_or_default()
    };
    let time = super::flow::panel(state, case, state.now());
    // With time limits, overdue is what the clocks say; without, the old rule of thumb.
    let overdue = if time.clocks.is_empty() {
        overdue
    } else {
        time.clocks.iter().any(|k| k.tone == "overdue")
    };
    let flow = super::flow::forms(state, case, &me.user, &pf);
    let risk = crate::escalation::for_case_page(state.store.as_ref(), case).await;
    let agreement = super::agreement::panel(state, case, &me.user, &pf);
    let evidence = super::evidence::panel(state, case, &me.user);
    let room = hejie_domain::case::allowed_in(CommandName::UseRoom, case.status)
        && authorize(&me.user, Action::Command(CommandName::UseRoom), Some(case)).is_ok()
        && hejie_domain::authz::room_member(&me.user, case);
    let filing = super::filing::panel(state, case, &me.user, &pf).await?;
    let scheduled = case
        .scheduled
        .iter()
        .map(|s| {
            (
                s.number,
                crate::sessions::when(s.at),
                s.mode.label().to_owned(),
                s.place.clone(),
            )
        })
        .collect();
    let page = CasePage {
        scheduled,
        filing,
        room,
        evidence,
        agreement,
        risk,
        time,
        flow,
        chrome: Chrome::load(state, me, &format!("案件 {}", c.number), "cases").await,
        overdue,
        facts,
        parties,
        timeline,
        notice: extra.notice,
        alert: extra.alert,
        pf,
        forms,
        may_unmask,
        primary,
        c,
    };
    view::render(&page, status)
}

#[derive(Debug, Deserialize)]
pub struct ShowQuery {
    #[serde(default)]
    done: String,
}

/// `GET /cases/{id}`.
pub async fn show(
    State(state): State<AppState>,
    PageUser(me): PageUser,
    Path(id): Path<String>,
    PageQuery(q): PageQuery<ShowQuery>,
) -> Result<Response, PageError> {
    let id = parse_id(&id)?;
    let extra = Extra {
        notice: done_notice(&q.done).to_owned(),
        ..Extra::default()
    };
    render_case(&state, &me, id, extra, StatusCode::OK).await
}

/// Runs one action's form; on success back to the case, else the case with the form refilled.
async fn act(
    state: &AppState,
    me: &CurrentUser,
    id: &str,
    action: &str,
    req: &impl ToCommand,
    raw: &[(String, String)],
) -> Result<Response, PageError> {
    let case_id = parse_id(id)?;
    match commands::apply(state, &me.user, id, req).await {
        Ok(_) => Ok(view::see_other(&format!("/cases/{case_id}?done={action}"))),
        Err(e @ (AppError::Internal(_) | AppError::NotFound | AppError::Unauthorized)) => {
            Err(e.into())
        }
        Err(e) => {
            let status = e.status();
            let extra = Extra::failed(action, raw, &e, "");
            render_case(state, me, case_id, extra, status).await
        }
    }
}

macro_rules! action {
    ($fn:ident, $req:ty, $code:literal) => {
        #[doc = concat!("`POST /cases/{id}/", $code, "`.")]
        pub async fn $fn(
            State(state): State<AppState>,
            Path(id): Path<String>,
            CsrfForm { user, form, raw }: CsrfForm<$req>,
        ) -> Result<Response, PageError> {
            act(&state, &user, &id, $code, &form, &raw).await
        }
    };
}

action!(accept, AcceptRequest, "accept");
action!(decline, DeclineRequest, "decline");
action!(assign, AssignRequest, "assign");
action!(acknowledge, AcknowledgeRequest, "acknowledge");
action!(start_mediation, StartMediationRequest, "start-mediation");
action!(record_session, SessionRequest, "sessions");
action!(schedule, ScheduleRequest, "schedule");
action!(close, CloseRequest, "close");
action!(follow_up, FollowUpRequest, "follow-up");

/// `POST /cases/{id}/route`: dispatch by the routing rules.
pub async fn route(
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm { user, form, raw }: CsrfForm<commands::RouteRequest>,
) -> Result<Response, PageError> {
    let case_id = parse_id(&id)?;
    match commands::route_case(&state, &user.user, &id, form.expected_version).await {
        Ok(_) => Ok(view::see_other(&format!("/cases/{case_id}?done=route"))),
        Err(e @ (AppError::Internal(_) | AppError::NotFound | AppError::Unauthorized)) => {
            Err(e.into())
        }
        Err(e) => {
            let status = e.status();
            let extra = Extra::failed("assign", &raw, &e, "");
            render_case(&state, &user, case_id, extra, status).await
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct UnmaskForm {
    party: u32,
    field: String,
    #[serde(default)]
    reason: String,
}

/// `POST /cases/{id}/personal-data`: shows one full ID or phone number once, after recording who
/// looked and why in the case's timeline.
pub async fn personal_data(
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm { user, form, raw }: CsrfForm<UnmaskForm>,
) -> Result<Response, PageError> {
    let case_id = parse_id(&id)?;
    let kind = pii_kind(&form.field)?;
    let action = format!("pii-{}-{}", form.party, kind.as_str());
    match cases::unmask(&state, &user.user, case_id, form.party, kind, form.reason).await {
        Ok(value) => {
            let extra = Extra {
                notice: "已显示完整信息（仅本次显示）。本次查看及理由已记入案件记录。".to_owned(),
                revealed: Some(Revealed {
                    party: form.party,
                    field: kind.as_str().to_owned(),
                    value,
                }),
                ..Extra::default()
            };
            render_case(&state, &user, case_id, extra, StatusCode::OK).await
        }
        Err(e @ (AppError::Internal(_) | AppError::NotFound | AppError::Unauthorized)) => {
            Err(e.into())
        }
        Err(e) => {
            let status = e.status();
            let extra = Extra::failed(&action, &raw, &e, "");
            render_case(&state, &user, case_id, extra, status).await
        }
    }
}

/// `GET /cases/{id}/sessions/{number}/ics`.
pub async fn session_ics(
    State(state): State<AppState>,
    PageUser(me): PageUser,
    Path((id, number)): Path<(String, String)>,
) -> Result<Response, PageError> {
    let id = parse_id(&id)?;
    let st = cases::load_visible(&state, &me.user, id).await?;
    Ok(crate::sessions::ics_download(
        st.case().ok_or(AppError::NotFound)?,
        &number,
    )?)
}
