//! The durable scheduler: jobs live in the database, are claimed with a lease, and take effect
//! in the same transaction that marks them done (see [`hejie_store::work`]). Any number of server
//! processes may run it against one database; a due job takes effect once.

use hejie_domain::case::{CaseId, ClockKind, Command, Meta};
use hejie_domain::timestamp::Timestamp;
use hejie_store::StoreError;
use hejie_store::work::{Effects, Job, NewJob};

use super::{Flow, escalation_due, plan, system_actor, upper_centre};
use crate::state::AppState;

/// What one pass found and did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct TickReport {
    pub jobs: usize,
    pub failed: usize,
    pub lost: usize,
    pub delivered: usize,
}

/// How many jobs one claim takes; deliveries due are sent after each such batch.
const JOB_BATCH: u32 = 50;

/// Runs every due job and delivery once, as of `now`. Deliveries are sent after each batch of
/// jobs rather than after all of them, so a backlog of jobs (after an outage, say) does not hold
/// back the SMS already waiting, including those the first jobs just wrote.
pub async fn tick(state: &AppState, now: Timestamp) -> anyhow::Result<TickReport> {
    let mut report = TickReport::default();
    loop {
        let lease = now.plus_seconds(state.config.job_lease_secs);
        let jobs = state.store.claim_jobs(now, lease, JOB_BATCH).await?;
        if jobs.is_empty() {
            break;
        }
        for job in jobs {
            match super::jobs::run(state, &job, now).await {
                Ok(()) => report.jobs += 1,
                Err(e) if e.is_lost() => report.lost += 1,
                Err(e) => {
                    report.failed += 1;
                    tracing::warn!(key = %job.key, error = %e, "job failed; will retry");
                    let retry = (job.attempts < 10).then(|| now.plus_seconds(60));
                    state
                        .store
                        .fail_job(&job.lease, &e.to_string(), retry)
                        .await?;
                }
            }
        }
        report.delivered += super::delivery::deliver_due(state, now).await?;
    }
    report.delivered += super::delivery::deliver_due(state, now).await?;
    Ok(report)
}

/// Runs the scheduler in the background until the process ends.
pub fn spawn(state: AppState) {
    let poll = state.config.scheduler_poll_ms;
    if poll == 0 {
        return;
    }
    tokio::spawn(async move {
        let mut every = tokio::time::interval(std::time::Duration::from_millis(poll));
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            every.tick().await;
            // A fixed clock means a test is driving time and the scheduler by hand.
            if state.clock.is_fixed() {
                continue;
            }
            // Settings another node saved take effect here before this pass uses them.
            if let Err(e) = state.refresh_settings().await {
                tracing::warn!(error = %e, "reading the settings failed");
            }
            if let Err(e) = tick(&state, state.now()).await {
                tracing::warn!(error = %e, "scheduler pass failed");
            }
        }
    });
}

/// A job that only writes a notification.
pub(super) async fn notify(
    state: &AppState,
    job: &Job,
    p: super::jobs::Notify,
    now: Timestamp,
) -> Result<(), StoreError> {
    let mut fx = Effects {
        complete: Some(job.lease.clone()),
        ..Effects::default()
    };
    let mut channels = vec![hejie_store::work::NotifyChannel::InApp];
    if p.sms {
        channels.push(hejie_store::work::NotifyChannel::Sms);
    }
    for ch in channels {
        fx.notify.push(hejie_store::work::NewNotification {
            recipient: hejie_domain::user::UserId(p.recipient),
            channel: ch,
            title: p.title.clone(),
            body: p.body.clone(),
            case_id: None,
            dedupe: Some(format!("job:{}:{}", job.key, ch.code())),
        });
    }
    state.store.apply_effects(fx, now).await
}

/// What the clocks of a case call for at `now`: reminders, overdue marks, auto-escalation.
pub fn due_commands(flow: &Flow, case: &hejie_domain::case::Case, now: Timestamp) -> Vec<Command> {
    let mut out = Vec::new();
    if !case.status.is_open() || case.clocks.is_paused() {
        return out;
    }
    for kind in ClockKind::ALL {
        let Some(clock) = case.clocks.clock(*kind) else {
            continue;
        };
        let reading = clock.read(&case.clocks.pauses, &flow.calendar, now);
        let Some(deadline) = reading.deadline else {
            continue;
        };
        if reading.overdue {
            if !case.clocks.marked_overdue(*kind) {
                out.push(Command::MarkOverdue {
                    clock: *kind,
                    deadline,
                });
            }
        } else if !case.clocks.reminded(*kind) {
            let used = clock.consumed_micros(&case.clocks.pauses, &flow.calendar, now);
            let budget = clock.limit.budget_micros(&flow.calendar);
            if used * 100 >= budget * i64::from(flow.policy.remind_at_percent) {
                out.push(Command::Remind {
                    clock: *kind,
                    deadline,
                });
            }
        }
    }
    out
}

pub(super) async fn check_case(
    state: &AppState,
    job: &Job,
    case: CaseId,
    now: Timestamp,
) -> Result<(), StoreError> {
    let st = state.store.load(case).await?;
    let Some(case) = st.case().cloned() else {
        return state
            .store
            .apply_effects(
                Effects {
                    complete: Some(job.lease.clone()),
                    ..Effects::default()
                },
                now,
            )
            .await;
    };
    let flow = state.flow();
    let meta = Meta {
        actor: system_actor(),
        at: now,
        division: case.location.division.clone(),
    };
    let mut next = st.clone();
    let mut events = Vec::new();
    for command in due_commands(&flow, &case, now) {
        let (more, folded) = plan(&flow, &next, meta.clone(), command)?;
        events.extend(more);
        next = folded;
    }
    // Automatic escalation (自动上报) once the stage has been overdue long enough.
    if let Some(current) = next.case()
        && escalation_due(&flow, current, now).is_some_and(|t| t <= now)
        && let Some(to) = upper_centre(&state.reference(), current)
    {
        let reason = format!(
            "{}超期未办结，按时限规则自动上报{}",
            current
                .holder
                .as_ref()
                .map_or(String::new(), |h| h.organisation.name.clone()),
            to.name
        );
        let (more, folded) = plan(&flow, &next, meta.clone(), Command::Escalate { to, reason })?;
        events.extend(more);
        next = folded;
    }
    let after = next.case().cloned().ok_or(StoreError::NotFound)?;
    let mut fx = super::effects_at(state, &flow, &after, &events, st.version() + 1, now, true);
    fx.complete = Some(job.lease.clone());
    fx.notify
        .extend(super::closed_case_reminders(state, &after, now));
    if events.is_empty() {
        state.store.apply_effects(fx, now).await
    } else {
        state
            .store
            .append_with(after.id, st.version(), events, after, fx, now)
            .await
            .map(|_| ())
    }
}

/// Decides `command` (the system's) and commits its events with what they call for and the
/// completion of `job`, in one transaction: recorded once, or the job runs again.
pub async fn commit_with_completion(
    state: &AppState,
    st: &hejie_domain::case::CaseState,
    meta: Meta,
    command: Command,
    job: &Job,
) -> Result<(), StoreError> {
    let flow = state.flow();
    let at = meta.at;
    let (events, next) = plan(&flow, st, meta, command)?;
    let after = next.case().cloned().ok_or(StoreError::NotFound)?;
    let mut fx = super::effects_at(state, &flow, &after, &events, st.version() + 1, at, true);
    fx.complete = Some(job.lease.clone());
    state
        .store
        .append_with(after.id, st.version(), events, after, fx, at)
        .await
        .map(|_| ())
}

/// Makes sure one of the server's own periodic jobs (sweeps, the warning scan, the monthly
/// report) is scheduled, at `due_at`; leaves a pending one alone. Run at start-up.
pub async fn ensure_periodic(
    state: &AppState,
    key: &str,
    kind: &str,
    due_at: Timestamp,
) -> Result<(), StoreError> {
    let pending = state
        .store
        .job(key)
        .await?
        .is_some_and(|j| j.status == "pending");
    if pending {
        return Ok(());
    }
    state
        .store
        .apply_effects(
            Effects {
                schedule: vec![periodic(key, kind, due_at)],
                ..Effects::default()
            },
            state.now(),
        )
        .await
}

/// Completes a run of a periodic job (at `now`) and schedules its next run, in one transaction.
pub async fn run_again(
    state: &AppState,
    job: &Job,
    due_at: Timestamp,
    now: Timestamp,
) -> Result<(), StoreError> {
    state
        .store
        .apply_effects(
            Effects {
                complete: Some(job.lease.clone()),
                schedule: vec![periodic(&job.key, &job.kind, due_at)],
                ..Effects::default()
            },
            now,
        )
        .await
}

fn periodic(key: &str, kind: &str, due_at: Timestamp) -> NewJob {
    NewJob {
        key: key.to_owned(),
        kind: kind.to_owned(),
        due_at,
        payload: "{}".to_owned(),
    }
}
