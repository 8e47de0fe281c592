//! The closed loop on the case page: the 时限 panel (each running clock, supervisions,
//! hand-down instructions, consultants, a pending referral) and the forms of the loop's commands
//! (上报, 交办, 移交, 会诊, 引导分流, 中止/恢复计时, 督办, 重新办理, 履行检查). Every form
//! posts to `/cases/{id}/{action}` and is run by [`cases::run`]; a refused one comes back to the
//! case page with the reason next to the field and what was typed kept.

use axum::extract::{Path, State};
use axum::response::Response;
use hejie_domain::case::{
    Case, ClockKind, Command, OrgRef, Outcome, PauseReason, ReferralTarget, Satisfaction,
};
use hejie_domain::org::OrganisationId;
use hejie_domain::timestamp::Timestamp;
use hejie_domain::user::User;
use serde::Deserialize;

use super::PageError;
use super::detail::{Extra, Prefill, render_case};
use super::form::CsrfForm;
use super::view::{self, Group, Opt, vocab};
use crate::api::cases::parse_id;
use crate::cases;
use crate::error::AppError;
use crate::state::{AppState, Reference};
use crate::workflow::{self, short_time};

/// One running clock.
#[derive(Debug)]
pub struct ClockRow {
    pub label: &'static str,
    pub limit: String,
    pub deadline: String,
    pub countdown: String,
    /// `overdue`, `soon`, `paused` or `ok`.
    pub tone: &'static str,
}

#[derive(Debug)]
pub struct SupervisionRow {
    pub by: String,
    pub at: String,
    pub note: String,
    pub limit: String,
}

#[derive(Debug)]
pub struct ConsultantRow {
    pub organisation: String,
    pub purpose: String,
    pub opinions: u32,
}

#[derive(Debug)]
pub struct ReferralRow {
    pub target: String,
    pub receiver: String,
    pub reason: String,
    pub at: String,
}

/// The 时限 panel.
#[derive(Debug, Default)]
pub struct TimePanel {
    pub clocks: Vec<ClockRow>,
    pub paused: bool,
    pub stage_since: String,
    pub supervisions: Vec<SupervisionRow>,
    pub instructions: Option<String>,
    pub consultants: Vec<ConsultantRow>,
    pub referral: Option<ReferralRow>,
    pub follow_up_due: Option<String>,
}

impl TimePanel {
    pub fn is_empty(&self) -> bool {
        self.clocks.is_empty()
            && self.supervisions.is_empty()
            && self.instructions.is_none()
            && self.consultants.is_empty()
            && self.referral.is_none()
            && self.follow_up_due.is_none()
    }
}

pub fn panel(state: &AppState, case: &Case, now: Timestamp) -> TimePanel {
    let flow = state.flow();
    let clocks = ClockKind::ALL
        .iter()
        .filter_map(|k| {
            let clock = case.clocks.clock(*k)?;
            let r = clock.read(&case.clocks.pauses, &flow.calendar, now);
            let tone = if r.paused {
                "paused"
            } else if r.overdue {
                "overdue"
            } else if r.remaining_minutes < 8 * 60 {
                "soon"
            } else {
                "ok"
            };
            Some(ClockRow {
                label: k.label(),
                limit: clock.limit.label(),
                deadline: r.deadline.map_or_else(|| "暂停中".to_owned(), short_time),
                countdown: r.describe(&flow.calendar),
                tone,
            })
        })
        .collect();
    let stage = case.clocks.stage.as_ref();
    TimePanel {
        clocks,
        paused: case.clocks.is_paused() && case.status.is_open(),
        stage_since: stage.map(|s| short_time(s.since)).unwrap_or_default(),
        supervisions: stage
            .map(|s| {
                s.supervisions
                    .iter()
                    .map(|v| SupervisionRow {
                        by: v.by.name.clone(),
                        at: short_time(v.at),
                        note: v.note.clone(),
                        limit: v.limit.label(),
                    })
                    .collect()
            })
            .unwrap_or_default(),
        instructions: stage.and_then(|s| s.instructions.clone()),
        consultants: case
            .consultants
            .iter()
            .map(|c| ConsultantRow {
                organisation: c.organisation.name.clone(),
                purpose: c.purpose.clone(),
                opinions: c.opinions,
            })
            .collect(),
        referral: case.referral.as_ref().map(|p| ReferralRow {
            target: p.target.label().to_owned(),
            receiver: p.receiver.clone(),
            reason: p.reason.clone(),
            at: short_time(p.at),
        }),
        follow_up_due: case.follow_up_due.map(short_time),
    }
}

/// The choices of the loop's forms.
#[derive(Debug, Default)]
pub struct FlowForms {
    pub upper: Vec<Opt>,
    pub lower: Vec<Opt>,
    pub others: Vec<Group>,
    pub invitable: Vec<Group>,
    pub targets: Vec<Opt>,
    pub pause_reasons: Vec<Opt>,
    pub obligations: Vec<Opt>,
    pub answers: Vec<Opt>,
    pub performed: Vec<Opt>,
    /// Which loop actions apply now beyond the user's permission (a referral pending, paused …).
    pub fits: Vec<&'static str>,
}

impl FlowForms {
    pub fn fits(&self, action: &str) -> bool {
        self.fits.contains(&action)
    }
}

fn grouped<'a>(
    r: &Reference,
    orgs: impl Iterator<Item = &'a hejie_domain::org::Organisation>,
    selected: &str,
) -> Vec<Group> {
    let mut orgs: Vec<_> = orgs.collect();
    orgs.sort_by(|a, b| (&a.division, &a.name).cmp(&(&b.division, &b.name)));
    let mut groups: Vec<Group> = Vec::new();
    for o in orgs {
        let key = o.division.to_string();
        if groups.last().is_none_or(|g| g.key != key) {
            groups.push(Group {
                label: r
                    .division(&o.division)
                    .map_or_else(|| key.clone(), |d| d.name.clone()),
                key: key.clone(),
                options: Vec::new(),
            });
        }
        if let Some(g) = groups.last_mut() {
            g.options
                .push(Opt::new(&o.id.to_string(), &o.name, selected));
        }
    }
    groups
}

pub fn forms(state: &AppState, case: &Case, me: &User, pf: &Prefill) -> FlowForms {
    let r = state.reference();
    let holder = case.holder.as_ref().map(|h| h.organisation.clone());
    let here = holder
        .as_ref()
        .map_or(case.location.division.clone(), |h| h.division.clone());
    let holder_id = holder.as_ref().map(|h| h.id);
    let by_name = |keep: &dyn Fn(&hejie_domain::org::Organisation) -> bool, sel: &str| {
        let mut v: Vec<_> = r.orgs.values().filter(|o| keep(o)).collect();
        v.sort_by(|a, b| (a.division.level(), &a.name).cmp(&(b.division.level(), &b.name)));
        v.into_iter()
            .map(|o| Opt::new(&o.id.to_string(), &o.name, sel))
            .collect::<Vec<_>>()
    };
    let mut upper = by_name(
        &|o| o.division != here && o.division.contains(&here),
        &pf.v("escalate", "organisation_id", ""),
    );
    // Nearest level first.
    upper.reverse();
    let lower = by_name(
        &|o| {
            o.division != here
                && here.contains(&o.division)
                && o.division.contains(&case.location.division)
        },
        &pf.v("hand-down", "organisation_id", ""),
    );
    let others = grouped(
        &r,
        r.orgs.values().filter(|o| Some(o.id) != holder_id),
        &pf.v("transfer", "organisation_id", ""),
    );
    let invitable = grouped(
        &r,
        r.orgs.values().filter(|o| {
            Some(o.id) != holder_id && !case.consultants.iter().any(|c| c.organisation.id == o.id)
        }),
        &pf.v("invite", "organisation_id", ""),
    );
    let target = pf.v("refer", "target", "");
    let reason = pf.v("pause", "reason", "");
    let obligations = match &case.outcome {
        Some(Outcome::Succeeded { obligations, .. }) => obligations
            .iter()
            .enumerate()
            .map(|(i, o)| {
                let checked = case
                    .performance
                    .iter()
                    .rev()
                    .find(|(j, _)| *j as usize == i)
                    .map_or("", |(_, p)| {
                        if *p {
                            "（已履行）"
                        } else {
                            "（未履行）"
                        }
                    });
                Opt::new(
                    &i.to_string(),
                    &format!("{}：{}{checked}", o.party, o.duty),
                    &pf.v("performance-check", "obligation", "0"),
                )
            })
            .collect(),
        _ => Vec::new(),
    };
    let mut fits = vec!["escalate", "hand-down", "transfer", "invite", "supervise"];
    if case
        .consultants
        .iter()
        .any(|c| Some(c.organisation.id) == me.organisation)
    {
        fits.push("opinion");
    }
    if case.referral.is_some() {
        fits.push("referral-answer");
    } else {
        fits.push("refer");
    }
    if case.clocks.is_paused() {
        fits.push("resume");
    } else {
        fits.push("pause");
    }
    if case.satisfaction == Some(Satisfaction::Dissatisfied)
        || case.party_rating == Some(Satisfaction::Dissatisfied)
    {
        fits.push("reopen");
    }
    if !obligations.is_empty() {
        fits.push("performance-check");
    }
    FlowForms {
        upper,
        lower,
        others,
        invitable,
        targets: sel(vocab!(ReferralTarget, &target), &target),
        pause_reasons: sel(vocab!(PauseReason, &reason), &reason),
        obligations,
        answers: view::opts(
            [("true", "已接收"), ("false", "未接收（退回）")],
            &pf.v("referral-answer", "accepted", "true"),
        ),
        performed: view::opts(
            [("true", "已履行"), ("false", "未履行")],
            &pf.v("performance-check", "performed", "true"),
        ),
        fits,
    }
}

fn sel(mut items: Vec<Opt>, selected: &str) -> Vec<Opt> {
    let mut out = vec![Opt::new("", "请选择", selected)];
    out.append(&mut items);
    out
}

/// The fields of the loop's forms (see `detail::fields_of`).
pub fn fields_of(action: &str) -> Option<&'static [&'static str]> {
    Some(match action {
        "escalate" | "transfer" => &["organisation_id", "reason"],
        "hand-down" => &["organisation_id", "instructions"],
        "invite" => &["organisation_id", "purpose"],
        "opinion" => &["opinion"],
        "refer" => &["target", "receiver", "reason", "remedies_informed"],
        "referral-answer" => &["accepted", "receipt", "note"],
        "pause" => &["reason", "note"],
        "resume" => &["note"],
        "supervise" => &["limit", "note"],
        "reopen" => &["reason"],
        "performance-check" => &["obligation", "performed", "note"],
        _ => return None,
    })
}

pub fn label_of(action: &str) -> Option<&'static str> {
    Some(match action {
        "escalate" => "上报",
        "hand-down" => "交办",
        "transfer" => "移交",
        "invite" => "邀请会诊",
        "opinion" => "记录会诊意见",
        "refer" => "引导分流",
        "referral-answer" => "记录分流回执",
        "pause" => "中止计时",
        "resume" => "恢复计时",
        "supervise" => "督办",
        "reopen" => "重新办理",
        "performance-check" => "记录履行检查",
        _ => return None,
    })
}

pub fn done_notice(done: &str) -> Option<&'static str> {
    Some(match done {
        "escalate" => "已上报，等待上级单位签收。",
        "hand-down" => "已交办，等待承办单位签收。",
        "transfer" => "已移交，等待接收单位签收。",
        "invite" => "已邀请会诊，受邀单位已收到通知。",
        "opinion" => "会诊意见已记录。",
        "refer" => "已引导分流，等待接收单位回执。",
        "referral-answer" => "分流回执已记录。",
        "pause" => "已中止计时。",
        "resume" => "已恢复计时。",
        "supervise" => "已督办，承办单位已收到通知和新的办理期限。",
        "reopen" => "案件已重新办理。",
        "performance-check" => "履行检查已记录。",
        _ => return None,
    })
}

/// Every field any loop form sends; each form uses some.
#[derive(Debug, Default, Deserialize)]
pub struct FlowForm {
    #[serde(default)]
    pub expected_version: Option<u64>,
    #[serde(default)]
    pub organisation_id: String,
    #[serde(default)]
    pub reason: String,
    #[serde(default)]
    pub instructions: String,
    #[serde(default)]
    pub purpose: String,
    #[serde(default)]
    pub opinion: String,
    #[serde(default)]
    pub target: String,
    #[serde(default)]
    pub receiver: String,
    #[serde(default)]
    pub remedies_informed: String,
    #[serde(default)]
    pub accepted: String,
    #[serde(default)]
    pub receipt: String,
    #[serde(default)]
    pub note: String,
    #[serde(default)]
    pub limit: String,
    #[serde(default)]
    pub obligation: String,
    #[serde(default)]
    pub performed: String,
}

fn opt(s: &str) -> Option<String> {
    let t = s.trim();
    (!t.is_empty()).then(|| t.to_owned())
}

fn org(r: &Reference, id: &str, missing: &str) -> Result<OrgRef, AppError> {
    uuid::Uuid::parse_str(id.trim())
        .ok()
        .and_then(|id| r.orgs.get(&OrganisationId(id)))
        .map(OrgRef::of)
        .ok_or_else(|| AppError::validation("organisation_id", missing))
}

fn yes(s: &str) -> bool {
    matches!(s, "true" | "1" | "on" | "yes")
}

/// The command a loop form asks for.
pub fn command(state: &AppState, action: &str, f: &FlowForm) -> Result<Command, AppError> {
    let r = state.reference();
    Ok(match action {
        "escalate" => Command::Escalate {
            to: org(&r, &f.organisation_id, "请选择上报的上级单位")?,
            reason: f.reason.trim().to_owned(),
        },
        "hand-down" => Command::HandDown {
            to: org(&r, &f.organisation_id, "请选择交办的单位")?,
            instructions: f.instructions.trim().to_owned(),
        },
        "transfer" => Command::Transfer {
            to: org(&r, &f.organisation_id, "请选择移交的单位")?,
            reason: f.reason.trim().to_owned(),
        },
        "invite" => Command::InviteConsultation {
            organisation: org(&r, &f.organisation_id, "请选择邀请会诊的单位")?,
            purpose: f.purpose.trim().to_owned(),
        },
        "opinion" => Command::RecordOpinion {
            opinion: f.opinion.trim().to_owned(),
        },
        "refer" => Command::ReferOut {
            target: ReferralTarget::parse(&f.target)
                .map_err(|_| AppError::validation("target", "请选择分流去向"))?,
            receiver: f.receiver.trim().to_owned(),
            reason: f.reason.trim().to_owned(),
            remedies_informed: yes(&f.remedies_informed),
        },
        "referral-answer" => Command::AnswerReferral {
            accepted: match f.accepted.as_str() {
                "true" => true,
                "false" => false,
                _ => return Err(AppError::validation("accepted", "请选择接收单位是否接收")),
            },
            receipt: opt(&f.receipt),
            note: opt(&f.note),
        },
        "pause" => Command::Pause {
            reason: PauseReason::parse(&f.reason)
                .map_err(|_| AppError::validation("reason", "请选择中止计时的原因"))?,
            note: f.note.trim().to_owned(),
        },
        "resume" => Command::Resume { note: opt(&f.note) },
        "supervise" => Command::Supervise {
            limit: workflow::parse_limit(&f.limit)
                .map_err(|e| AppError::validation("limit", e.message))?,
            note: f.note.trim().to_owned(),
        },
        "reopen" => Command::Reopen {
            reason: f.reason.trim().to_owned(),
        },
        "performance-check" => Command::CheckPerformance {
            obligation: f
                .obligation
                .trim()
                .parse()
                .map_err(|_| AppError::validation("obligation", "请选择要检查的履行义务"))?,
            performed: match f.performed.as_str() {
                "true" => true,
                "false" => false,
                _ => return Err(AppError::validation("performed", "请选择是否已履行")),
            },
            note: opt(&f.note),
        },
        _ => return Err(AppError::NotFound),
    })
}

/// `POST /cases/{id}/{action}` for the loop's actions.
pub async fn act(
    State(state): State<AppState>,
    Path((id, action)): Path<(String, String)>,
    CsrfForm { user, form, raw }: CsrfForm<FlowForm>,
) -> Result<Response, PageError> {
    let case_id = parse_id(&id)?;
    if fields_of(&action).is_none() {
        return Err(AppError::NotFound.into());
    }
    let result = match command(&state, &action, &form) {
        Ok(cmd) => cases::run(&state, &user.user, case_id, form.expected_version, cmd).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(_) => Ok(view::see_other(&format!("/cases/{case_id}?done={action}"))),
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
