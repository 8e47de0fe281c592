//! The closed loop (报单→派单→跟单→办单→结单) as the server runs it: time limits recorded with
//! every hand-over, notifications written with the events that cause them, and the scheduler
//! that reminds, marks overdue and escalates.
//!
//! Every case write goes through [`plan`] and [`effects`]: the first decides the user's command
//! plus what the time-limit policy records with it, the second derives the notifications and the
//! case's next scheduled check. Both are committed in one transaction by
//! [`hejie_store::WorkStore::append_with`].

pub mod delivery;
pub mod jobs;
pub mod queue;
pub mod scheduler;
pub mod settings;
pub mod sweeps;

use hejie_domain::calendar::WorkCalendar;
use hejie_domain::case::{Case, CaseState, ClockKind, Command, Event, EventBody, Meta, OrgRef};
use hejie_domain::clock::{Clock, Limit, LimitUnit};
use hejie_domain::division::DivisionCode;
use hejie_domain::limits::LimitPolicy;
use hejie_domain::org::OrganisationKind;
use hejie_domain::timestamp::Timestamp;
use hejie_domain::user::{Actor, Role, User, UserId};
use hejie_store::work::{Effects, NewJob, NewNotification, NotifyChannel};
use hejie_store::{Result as StoreResult, service};
use uuid::Uuid;

use crate::state::{AppState, Reference};

/// The time-limit policy and the working calendar in force.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Flow {
    pub policy: LimitPolicy,
    pub calendar: WorkCalendar,
}

impl Default for Flow {
    fn default() -> Self {
        Self {
            policy: LimitPolicy::default(),
            calendar: WorkCalendar::china_default(),
        }
    }
}

/// The name the scheduler acts under in the record (时限监控).
pub fn system_actor() -> Actor {
    Actor {
        id: UserId(Uuid::nil()),
        name: "系统（时限监控）".to_owned(),
        role: Role::System,
        organisation: None,
    }
}

/// The key of a case's scheduled check.
pub fn case_job_key(case: &Case) -> String {
    format!("case:{}", case.id)
}

pub const CASE_JOB: &str = "case_check";

/// Decides `command` and the commands the policy records with it (time limits for a new stage,
/// the follow-up of a closed case), folded in order. Returns the events and the state after.
pub fn plan(
    flow: &Flow,
    state: &CaseState,
    meta: Meta,
    command: Command,
) -> StoreResult<(Vec<Event>, CaseState)> {
    let (mut events, mut next) = service::decide(state, meta.clone(), command)?;
    let Some(after) = next.case().cloned() else {
        return Ok((events, next));
    };
    for companion in flow.policy.companions(&after, &events.clone()) {
        let (more, folded) = service::decide(&next, meta.clone(), companion)?;
        events.extend(more);
        next = folded;
    }
    Ok((events, next))
}

/// The instant `share` percent of a clock's budget is used, given the pauses so far.
fn share_point(clock: &Clock, case: &Case, cal: &WorkCalendar, share: u8) -> Option<Timestamp> {
    let deadline = clock
        .read(&case.clocks.pauses, cal, clock.started)
        .deadline?;
    let target = clock.limit.budget_micros(cal) * i64::from(share) / 100;
    let (mut lo, mut hi) = (clock.started.micros(), deadline.micros());
    // Consumed time never decreases with `now`, so a bisection finds the first instant.
    while hi - lo > 1_000_000 {
        let mid = lo + (hi - lo) / 2;
        if clock.consumed_micros(&case.clocks.pauses, cal, Timestamp::from_micros(mid)) >= target {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    Some(Timestamp::from_micros(hi))
}

/// When auto-escalation of an overdue stage is due: `after` counted from the deadline.
pub fn escalation_due(flow: &Flow, case: &Case, now: Timestamp) -> Option<Timestamp> {
    let holder = case.holder.as_ref()?;
    let after = flow
        .policy
        .auto_escalate_after(holder.organisation.division.level())?;
    let stage = case.clocks.stage.as_ref()?;
    if stage.overdue.is_empty() {
        return None;
    }
    let deadline = [ClockKind::Acknowledge, ClockKind::Resolve]
        .into_iter()
        .filter(|k| stage.overdue.contains(k))
        .filter_map(|k| case.clocks.read(k, &flow.calendar, now)?.deadline)
        .min()?;
    Clock {
        started: deadline,
        limit: after,
    }
    .read(&case.clocks.pauses, &flow.calendar, now)
    .deadline
}

/// The next instant the scheduler should look at this case, if any. After a user's command
/// anything already due is due now; after the scheduler's own pass (`strict`) only what is still
/// to come counts, so a job never reschedules itself for something it just did.
pub fn next_check(flow: &Flow, case: &Case, now: Timestamp, strict: bool) -> Option<Timestamp> {
    let mut due: Vec<Timestamp> = Vec::new();
    if case.status.is_open() && !case.clocks.is_paused() {
        for kind in ClockKind::ALL {
            let Some(clock) = case.clocks.clock(*kind) else {
                continue;
            };
            let Some(deadline) = clock
                .read(&case.clocks.pauses, &flow.calendar, now)
                .deadline
            else {
                continue;
            };
            if case.clocks.marked_overdue(*kind) {
                continue;
            }
            if !case.clocks.reminded(*kind)
                && let Some(at) =
                    share_point(clock, case, &flow.calendar, flow.policy.remind_at_percent)
            {
                due.push(at);
            }
            // One second past the deadline: only then is the clock overdue.
            due.push(deadline.plus_seconds(1));
        }
        if let Some(at) = escalation_due(flow, case, now)
            && upper_centre_for(case).is_some()
        {
            due.push(at);
        }
    }
    if !case.status.is_open() {
        due.extend(case.follow_up_due);
        if let Some(hejie_domain::case::Outcome::Succeeded { obligations, .. }) = &case.outcome {
            for (i, o) in obligations.iter().enumerate() {
                let checked = case.performance.iter().any(|(j, _)| *j as usize == i);
                if let Some(d) = o.due
                    && !checked
                {
                    due.push(d);
                }
            }
        }
    }
    if strict {
        due.into_iter().filter(|t| *t > now).min()
    } else {
        due.into_iter().map(|t| t.max(now)).min()
    }
}

/// Whether a case should be escalated automatically and to whom: the holder's level has an
/// auto-escalation rule and there is a centre above.
fn upper_centre_for(case: &Case) -> Option<DivisionCode> {
    let holder = case.holder.as_ref()?;
    let level = holder.organisation.division.level().parent()?;
    holder.organisation.division.ancestor_at(level)
}

/// The 调处化解中心 of the level above the holder (the township's for a village).
pub fn upper_centre(reference: &Reference, case: &Case) -> Option<OrgRef> {
    let holder = case.holder.as_ref()?;
    let mut division = holder.organisation.division.clone();
    while let Some(level) = division.level().parent() {
        division = division.ancestor_at(level)?;
        if let Some(o) = reference
            .orgs
            .values()
            .find(|o| o.division == division && matches!(o.kind, OrganisationKind::Centre))
        {
            return Some(OrgRef::of(o));
        }
    }
    None
}

fn staff_of<'a>(reference: &'a Reference, org: &OrgRef) -> impl Iterator<Item = &'a User> {
    let id = org.id;
    reference.users.iter().filter(move |u| {
        u.organisation == Some(id) && !matches!(u.role, Role::Resident | Role::System)
    })
}

/// Supervisors of the level above `division`: those whose jurisdiction contains it and is
/// above it, nearest level first (a village's case goes to the township's supervisors).
fn supervisors_above<'a>(reference: &'a Reference, division: &DivisionCode) -> Vec<&'a User> {
    let mut level = division.level();
    while let Some(up) = level.parent() {
        let found: Vec<&User> = reference
            .users
            .iter()
            .filter(|u| {
                u.role == Role::Supervisor
                    && u.jurisdiction.level() == up
                    && u.jurisdiction.contains(division)
            })
            .collect();
        if !found.is_empty() {
            return found;
        }
        level = up;
    }
    Vec::new()
}

/// Describes how much time a clock has left, for notifications.
pub fn remaining_text(flow: &Flow, case: &Case, kind: ClockKind, now: Timestamp) -> String {
    match case.clocks.read(kind, &flow.calendar, now) {
        Some(r) => match r.deadline {
            Some(d) => format!("{}（期限 {}）", r.describe(&flow.calendar), short_time(d)),
            None => r.describe(&flow.calendar),
        },
        None => "未设时限".to_owned(),
    }
}

/// `11月23日 17:30` in China Standard Time.
pub fn short_time(t: Timestamp) -> String {
    let d = t.to_datetime().to_offset(hejie_domain::timestamp::CST);
    format!(
        "{}月{}日 {:02}:{:02}",
        u8::from(d.month()),
        d.day(),
        d.hour(),
        d.minute()
    )
}

/// The notifications and scheduled checks that `events` (already decided, making `after`) call
/// for. `first_version` is the stream version of the first of `events`, for dedupe keys.
pub fn effects(
    state: &AppState,
    flow: &Flow,
    after: &Case,
    events: &[Event],
    first_version: u64,
    now: Timestamp,
) -> Effects {
    effects_at(state, flow, after, events, first_version, now, false)
}

/// [`effects`], with `strict` as in [`next_check`].
pub fn effects_at(
    state: &AppState,
    flow: &Flow,
    after: &Case,
    events: &[Event],
    first_version: u64,
    now: Timestamp,
    strict: bool,
) -> Effects {
    let reference = state.reference();
    let mut fx = Effects::default();
    let number = after.number.to_string();
    for (i, e) in events.iter().enumerate() {
        let version = first_version + i as u64;
        let mut send =
            |users: Vec<&User>, channels: &[NotifyChannel], title: String, body: String| {
                for u in users {
                    for ch in channels {
                        fx.notify.push(NewNotification {
                            recipient: u.id,
                            channel: *ch,
                            title: title.clone(),
                            body: body.clone(),
                            case_id: Some(after.id),
                            dedupe: Some(format!("{}:{version}:{}:{}", after.id, u.id, ch.code())),
                        });
                    }
                }
            };
        let holder_staff = || -> Vec<&User> {
            after
                .holder
                .as_ref()
                .map(|h| staff_of(&reference, &h.organisation).collect())
                .unwrap_or_default()
        };
        use NotifyChannel::{InApp, Sms};
        match &e.body {
            EventBody::Assigned {
                organisation: to, ..
            }
            | EventBody::Routed {
                organisation: to, ..
            }
            | EventBody::Escalated { to, .. }
            | EventBody::HandedDown { to, .. }
            | EventBody::Transferred { to, .. } => {
                let how = e.body.label();
                send(
                    staff_of(&reference, to).collect(),
                    &[InApp],
                    format!("新{how}案件 {number}"),
                    format!(
                        "{}：{}。签收{}。",
                        how,
                        excerpt(&after.description),
                        remaining_text(flow, after, ClockKind::Acknowledge, now)
                    ),
                );
            }
            EventBody::ConsultationInvited {
                organisation,
                purpose,
            } => send(
                staff_of(&reference, organisation).collect(),
                &[InApp],
                format!("会诊邀请 {number}"),
                format!("邀请贵单位参加会诊：{purpose}"),
            ),
            EventBody::Supervised { limit, note, .. } => send(
                holder_staff(),
                &[InApp, Sms],
                format!("督办 {number}"),
                format!(
                    "{}督办：{note}。限{}内办结，{}。",
                    e.meta.actor.name,
                    limit.label(),
                    remaining_text(flow, after, ClockKind::Resolve, now)
                ),
            ),
            EventBody::Reminded { clock, .. } => send(
                holder_staff(),
                &[InApp],
                format!("{}即将到期 {number}", clock.label()),
                format!(
                    "{}：{}",
                    clock.label(),
                    remaining_text(flow, after, *clock, now)
                ),
            ),
            EventBody::MarkedOverdue {
                clock, deadline, ..
            } => {
                let holder = after
                    .holder
                    .as_ref()
                    .map_or("（无承办单位）".to_owned(), |h| {
                        h.organisation.name.clone()
                    });
                let body = format!(
                    "{}已于{}届满，承办单位：{holder}。",
                    clock.label(),
                    short_time(*deadline)
                );
                send(
                    holder_staff(),
                    &[InApp],
                    format!("案件超期 {number}"),
                    body.clone(),
                );
                let division = after
                    .holder
                    .as_ref()
                    .map_or(after.location.division.clone(), |h| {
                        h.organisation.division.clone()
                    });
                send(
                    supervisors_above(&reference, &division),
                    &[InApp, Sms],
                    format!("超期待督办 {number}"),
                    body,
                );
            }
            EventBody::ReferralAnswered {
                accepted: false,
                note,
                ..
            } => send(
                holder_staff(),
                &[InApp],
                format!("分流被退回 {number}"),
                format!(
                    "接收单位未接收：{}",
                    note.as_deref().unwrap_or("未说明理由")
                ),
            ),
            EventBody::Reopened { reason } => send(
                holder_staff(),
                &[InApp],
                format!("案件重新办理 {number}"),
                reason.clone(),
            ),
            // An agreement's duties: the obliged party is reminded before each deadline.
            EventBody::Closed {
                outcome: hejie_domain::case::Outcome::Succeeded { .. },
            } => {
                fx.schedule
                    .extend(crate::sessions::duty_reminders(after, now));
            }
            // Accepted for mediation: whoever has not said yet is asked (Art. 17).
            EventBody::Accepted { .. } => {
                fx.schedule
                    .extend(crate::sessions::invitations(state, after, now));
            }
            // The parties are invited and reminded, the holder's staff reminded.
            EventBody::SessionScheduled { number, .. } => {
                if let Some(s) = after.scheduled.iter().find(|s| s.number == *number) {
                    let staff: Vec<hejie_domain::user::UserId> =
                        holder_staff().into_iter().map(|u| u.id).collect();
                    fx.schedule
                        .extend(crate::sessions::jobs_for(after, s, &staff, now));
                }
            }
            // The joint application goes to the court the same way as a filing.
            EventBody::ConfirmationApplied { .. } => {
                fx.schedule
                    .push(crate::court::confirmation_job(after.id, now));
            }
            // A filing is delivered to the court by its own durable job, first attempt now.
            EventBody::FilingRequested { filing_id, .. } => {
                fx.schedule
                    .push(crate::court::job_for(after.id, filing_id, now));
            }
            _ => {}
        }
    }
    let key = case_job_key(after);
    match next_check(flow, after, now, strict) {
        Some(due_at) => fx.schedule.push(NewJob {
            key,
            kind: CASE_JOB.to_owned(),
            due_at,
            payload: serde_json::json!({ "case": after.id.to_string() }).to_string(),
        }),
        None => fx.cancel.push(key),
    }
    fx
}

/// Reminders about a closed case that came due: its follow-up (回访) and the performance checks
/// (履行检查) of the agreement's obligations. Keyed so each is written once.
pub fn closed_case_reminders(
    state: &AppState,
    case: &Case,
    now: Timestamp,
) -> Vec<NewNotification> {
    if case.status.is_open() {
        return Vec::new();
    }
    let reference = state.reference();
    let Some(holder) = case.holder.as_ref() else {
        return Vec::new();
    };
    let mut due: Vec<(String, String, String)> = Vec::new();
    if let Some(at) = case.follow_up_due
        && at <= now
    {
        due.push((
            format!("followup:{}:{}", case.id, at.micros()),
            format!("回访到期 {}", case.number),
            "请对当事人进行回访，记录履行情况和满意度。".to_owned(),
        ));
    }
    if let Some(hejie_domain::case::Outcome::Succeeded { obligations, .. }) = &case.outcome {
        for (i, o) in obligations.iter().enumerate() {
            let checked = case.performance.iter().any(|(j, _)| *j as usize == i);
            if let Some(at) = o.due
                && at <= now
                && !checked
            {
                due.push((
                    format!("perf:{}:{i}", case.id),
                    format!("履行检查 {}", case.number),
                    format!(
                        "{}应于{}前{}，请核实履行情况。",
                        o.party,
                        short_time(at),
                        o.duty
                    ),
                ));
            }
        }
    }
    let mut out = Vec::new();
    for (key, title, body) in due {
        for u in staff_of(&reference, &holder.organisation) {
            out.push(NewNotification {
                recipient: u.id,
                channel: NotifyChannel::InApp,
                title: title.clone(),
                body: body.clone(),
                case_id: Some(case.id),
                dedupe: Some(format!("{key}:{}", u.id)),
            });
        }
    }
    out
}

/// The first 40 characters of a description, without its closing punctuation (the sentence
/// around it supplies its own).
fn excerpt(s: &str) -> String {
    let s = s.trim_end_matches(['。', '！', '？', '.', ' ']);
    let mut out: String = s.chars().take(40).collect();
    if s.chars().count() > 40 {
        out.push('…');
    }
    out
}

/// Parses a limit typed in a form: "3" means 3 working days; "3wd", "8h", "15d" as
/// [`Limit::parse`].
pub fn parse_limit(s: &str) -> Result<Limit, hejie_domain::ValidationError> {
    let t = s.trim();
    if let Ok(n) = t.parse::<u32>() {
        if n == 0 || n > 365 {
            return Err(hejie_domain::ValidationError::new(
                "limit",
                "期限应为1至365个工作日".to_owned(),
            ));
        }
        return Ok(Limit {
            amount: n,
            unit: LimitUnit::WorkingDays,
        });
    }
    Limit::parse(t)
}
