//! The closed loop's machinery: effects committed with appends, leased jobs, the notification
//! outbox, work queues over the projection, and sweep tasks.

use std::collections::BTreeSet;
use std::sync::Arc;

use hejie_domain::case::{CaseId, ClockKind, Command, Meta};
use hejie_domain::clock::{Limit, LimitUnit};
use hejie_domain::timestamp::Timestamp;
use hejie_domain::user::UserId;
use hejie_store::work::{
    DeliveryResult, Effects, NewJob, NewNotification, NotifyChannel, SweepCompletion, SweepFilter,
    SweepTask, WorkFilter, WorkItem,
};
use hejie_store::{Committed, Store, StoreError, service};

use crate::fixture::*;
use crate::harness::{TestDb, on_both_backends};

on_both_backends!(
    effects_commit_with_the_append,
    effects_roll_back_with_a_conflicting_append,
    a_lease_excludes_other_claimants_until_it_expires,
    concurrent_claimants_complete_every_job_exactly_once,
    scheduling_a_key_again_moves_the_job,
    a_job_may_reschedule_itself_while_completing,
    cancel_stops_a_pending_job_only,
    failed_job_is_retried_then_dies,
    notification_dedupe_skips_duplicates,
    read_state_belongs_to_the_recipient,
    deliveries_are_claimed_retried_and_sent,
    stale_delivery_token_changes_nothing,
    work_items_filter_by_holder_and_area,
    work_items_overdue_only_with_clocks_round_tripped,
    work_items_follow_up_due_before,
    migration_backfills_clocks_of_existing_cases,
    work_items_come_in_urgency_order_a_page_at_a_time,
    migration_backfills_the_queue_order,
    a_registration_commits_its_effects_in_the_same_transaction,
    sweeps_are_idempotent_and_completed_once,
);

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

fn job(key: &str, due: Timestamp) -> NewJob {
    NewJob {
        key: key.to_owned(),
        kind: "remind".to_owned(),
        due_at: due,
        payload: format!(r#"{{"key":"{key}"}}"#),
    }
}

fn note(recipient: UserId, case: Option<CaseId>, dedupe: Option<&str>) -> NewNotification {
    NewNotification {
        recipient,
        channel: NotifyChannel::InApp,
        title: "案件即将到期".to_owned(),
        body: "请尽快办理".to_owned(),
        case_id: case,
        dedupe: dedupe.map(str::to_owned),
    }
}

fn sms(recipient: UserId, dedupe: &str) -> NewNotification {
    NewNotification {
        channel: NotifyChannel::Sms,
        ..note(recipient, None, Some(dedupe))
    }
}

fn clerk_id() -> UserId {
    clerk_user().id
}

fn mediator_id() -> UserId {
    mediator_user().id
}

/// Runs `command` on the case and commits its events with `effects`.
async fn execute_with(
    store: &dyn Store,
    id: CaseId,
    meta: Meta,
    command: Command,
    effects: Effects,
) -> hejie_store::Result<Committed> {
    let state = store.load(id).await?;
    let at = meta.at;
    let (events, next) = service::decide(&state, meta, command)?;
    let case = next.case().cloned().expect("a case");
    store
        .append_with(id, state.version(), events, case, effects, at)
        .await
}

fn resolve_limit() -> Command {
    Command::SetTimeLimit {
        clock: ClockKind::Resolve,
        limit: Limit {
            amount: 1,
            unit: LimitUnit::WorkingHours,
        },
        basis: "test".into(),
    }
}

/// Registers a case at `at(h)`, gives it a one-hour resolve limit and marks it overdue two
/// hours later.
async fn overdue_case(store: &dyn Store, h: i64) -> Committed {
    let c = register(store, at(h)).await;
    service::execute(store, c.case_id, meta(clerk(), at(h)), resolve_limit())
        .await
        .expect("set the limit");
    service::execute(
        store,
        c.case_id,
        meta(clerk(), at(h + 2)),
        Command::MarkOverdue {
            clock: ClockKind::Resolve,
            deadline: at(h + 1),
        },
    )
    .await
    .expect("mark overdue")
}

async fn work(store: &dyn Store, filter: WorkFilter) -> Vec<WorkItem> {
    store.work_items(&filter).await.expect("work items")
}

fn case_ids(items: &[WorkItem]) -> Vec<CaseId> {
    items.iter().map(|i| i.summary.id).collect()
}

async fn assert_intact(store: &dyn Store) {
    let report = store.audit().await.expect("audit");
    assert!(
        report.is_intact(),
        "{}: {:#?}",
        store.backend(),
        report.problems
    );
}

// ---------------------------------------------------------------------------------------------
// Effects and appends
// ---------------------------------------------------------------------------------------------

async fn effects_commit_with_the_append(db: TestDb) {
    let store = db.store.as_ref();
    seed(store).await;
    let c = register(store, at(0)).await;

    let committed = execute_with(
        store,
        c.case_id,
        meta(clerk(), at(1)),
        accept(),
        Effects {
            schedule: vec![job("accept-1", at(5))],
            notify: vec![note(clerk_id(), Some(c.case_id), Some("n-1"))],
            ..Effects::default()
        },
    )
    .await
    .expect("append with effects");
    assert_eq!(committed.version, 2);

    let stored = store.job("accept-1").await.expect("job").expect("stored");
    assert_eq!(
        (stored.status.as_str(), stored.due_at, stored.attempts),
        ("pending", at(5), 0)
    );
    let notes = store.case_notifications(c.case_id).await.expect("notes");
    assert_eq!(notes.len(), 1);
    assert_eq!(notes[0].recipient, clerk_id());
    assert_eq!(
        notes[0].status, "delivered",
        "in-app is delivered by writing"
    );
    assert_eq!(store.unread_count(clerk_id()).await.expect("unread"), 1);
    assert_intact(store).await;
}

async fn effects_roll_back_with_a_conflicting_append(db: TestDb) {
    let store = db.store.as_ref();
    seed(store).await;
    let c = register(store, at(0)).await;
    let state = store.load(c.case_id).await.expect("load");
    // Someone else moves the case on first.
    service::execute(store, c.case_id, meta(clerk(), at(1)), accept())
        .await
        .expect("accept");

    let (events, next) = service::decide(&state, meta(clerk(), at(1)), decline()).expect("decide");
    let stale = store
        .append_with(
            c.case_id,
            state.version(),
            events,
            next.case().cloned().expect("case"),
            Effects {
                schedule: vec![job("decline-1", at(5))],
                notify: vec![note(clerk_id(), Some(c.case_id), None)],
                ..Effects::default()
            },
            at(1),
        )
        .await;
    assert!(
        matches!(stale, Err(StoreError::Conflict { .. })),
        "{}: {stale:?}",
        db.backend()
    );
    assert_eq!(store.job("decline-1").await.expect("job"), None);
    assert!(
        store
            .case_notifications(c.case_id)
            .await
            .expect("notes")
            .is_empty()
    );
    assert_eq!(store.events(c.case_id).await.expect("events").len(), 2);
}

// ---------------------------------------------------------------------------------------------
// Jobs and leases
// ---------------------------------------------------------------------------------------------

async fn a_lease_excludes_other_claimants_until_it_expires(db: TestDb) {
    let store = db.store.as_ref();
    store
        .apply_effects(
            Effects {
                schedule: vec![job("j", at(0))],
                ..Effects::default()
            },
            at(0),
        )
        .await
        .expect("schedule");

    let now = at(1);
    let first = store
        .claim_jobs(now, now.plus_seconds(60), 10)
        .await
        .expect("claim");
    assert_eq!(first.len(), 1);
    assert_eq!((first[0].key.as_str(), first[0].attempts), ("j", 1));
    assert!(
        store
            .claim_jobs(now, now.plus_seconds(60), 10)
            .await
            .expect("claim again")
            .is_empty(),
        "a held lease keeps the job from other claimants"
    );

    let later = now.plus_seconds(120);
    let second = store
        .claim_jobs(later, later.plus_seconds(60), 10)
        .await
        .expect("claim after expiry");
    assert_eq!(second.len(), 1);
    assert_eq!(second[0].lease.id, first[0].lease.id);
    assert_ne!(second[0].lease.token, first[0].lease.token);
    assert_eq!(second[0].attempts, 2);

    let lost = store
        .apply_effects(
            Effects {
                complete: Some(first[0].lease.clone()),
                notify: vec![note(clerk_id(), None, Some("from-the-loser"))],
                ..Effects::default()
            },
            at(0),
        )
        .await;
    assert!(
        matches!(lost, Err(StoreError::LeaseLost)),
        "{}: {lost:?}",
        db.backend()
    );
    assert!(
        store
            .notifications(clerk_id(), 10)
            .await
            .expect("notes")
            .is_empty(),
        "the loser's notification rolled back with its completion"
    );
    // The loser cannot fail the job either.
    store
        .fail_job(&first[0].lease, "timeout", None)
        .await
        .expect("fail with a lost lease");
    assert_eq!(
        store.job("j").await.expect("job").expect("job").status,
        "pending"
    );

    store
        .apply_effects(
            Effects {
                complete: Some(second[0].lease.clone()),
                notify: vec![note(clerk_id(), None, Some("from-the-winner"))],
                ..Effects::default()
            },
            at(0),
        )
        .await
        .expect("the current holder completes");
    let done = store.job("j").await.expect("job").expect("job");
    assert_eq!(done.status, "done");
    assert!(done.done_at.is_some());
    assert_eq!(
        store.notifications(clerk_id(), 10).await.expect("n").len(),
        1
    );
    // Completing twice is refused too.
    let again = store
        .apply_effects(
            Effects {
                complete: Some(second[0].lease.clone()),
                ..Effects::default()
            },
            at(0),
        )
        .await;
    assert!(matches!(again, Err(StoreError::LeaseLost)), "{again:?}");
}

async fn concurrent_claimants_complete_every_job_exactly_once(db: TestDb) {
    const JOBS: usize = 400;
    let store: Arc<dyn Store> = db.store.clone();
    store
        .apply_effects(
            Effects {
                schedule: (0..JOBS)
                    .map(|i| job(&format!("job-{i:03}"), at(0).plus_seconds(i as i64)))
                    .collect(),
                ..Effects::default()
            },
            at(0),
        )
        .await
        .expect("schedule");
    assert_eq!(
        store.job_counts().await.expect("counts").pending,
        JOBS as u64
    );

    let now = at(1);
    let mut tasks = Vec::new();
    for _ in 0..4 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            let mut done = Vec::new();
            loop {
                let jobs = store
                    .claim_jobs(now, now.plus_seconds(3600), 25)
                    .await
                    .expect("claim");
                if jobs.is_empty() {
                    break;
                }
                for j in jobs {
                    store
                        .apply_effects(
                            Effects {
                                complete: Some(j.lease.clone()),
                                notify: vec![note(clerk_id(), None, None)],
                                ..Effects::default()
                            },
                            at(0),
                        )
                        .await
                        .expect("complete a held job");
                    done.push(j.key);
                }
            }
            done
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.expect("claimant task"));
    }
    let distinct: BTreeSet<&String> = all.iter().collect();
    assert_eq!(all.len(), JOBS, "no job was handed out twice");
    assert_eq!(distinct.len(), JOBS, "every job was handed out");
    let counts = store.job_counts().await.expect("counts");
    assert_eq!((counts.pending, counts.done), (0, JOBS as u64));
    assert_eq!(
        store
            .notifications(clerk_id(), 1000)
            .await
            .expect("notes")
            .len(),
        JOBS
    );
}

async fn scheduling_a_key_again_moves_the_job(db: TestDb) {
    let store = db.store.as_ref();
    for due in [at(1), at(9)] {
        store
            .apply_effects(
                Effects {
                    schedule: vec![job("moving", due)],
                    ..Effects::default()
                },
                at(0),
            )
            .await
            .expect("schedule");
    }
    let j = store.job("moving").await.expect("job").expect("stored");
    assert_eq!(j.due_at, at(9));
    let counts = store.job_counts().await.expect("counts");
    assert_eq!(counts.pending, 1, "one row per key");
    assert!(
        store
            .claim_jobs(at(5), at(6), 10)
            .await
            .expect("claim")
            .is_empty(),
        "the old due time no longer applies"
    );
    assert_eq!(
        store
            .claim_jobs(at(9), at(10), 10)
            .await
            .expect("claim")
            .len(),
        1
    );
}

async fn a_job_may_reschedule_itself_while_completing(db: TestDb) {
    let store = db.store.as_ref();
    store
        .apply_effects(
            Effects {
                schedule: vec![job("daily", at(0))],
                ..Effects::default()
            },
            at(0),
        )
        .await
        .expect("schedule");
    let claimed = store.claim_jobs(at(1), at(2), 1).await.expect("claim");
    store
        .apply_effects(
            Effects {
                complete: Some(claimed[0].lease.clone()),
                schedule: vec![job("daily", at(24))],
                ..Effects::default()
            },
            at(0),
        )
        .await
        .expect("complete and reschedule");
    let j = store.job("daily").await.expect("job").expect("stored");
    assert_eq!(
        (j.status.as_str(), j.due_at, j.attempts, j.done_at),
        ("pending", at(24), 0, None)
    );
    assert_eq!(
        store
            .claim_jobs(at(24), at(25), 1)
            .await
            .expect("claim")
            .len(),
        1
    );
}

async fn cancel_stops_a_pending_job_only(db: TestDb) {
    let store = db.store.as_ref();
    store
        .apply_effects(
            Effects {
                schedule: vec![job("a", at(0)), job("b", at(0))],
                ..Effects::default()
            },
            at(0),
        )
        .await
        .expect("schedule");
    let claimed = store.claim_jobs(at(0), at(1), 10).await.expect("claim");
    let b = claimed.iter().find(|j| j.key == "b").expect("b claimed");
    store
        .apply_effects(
            Effects {
                complete: Some(b.lease.clone()),
                ..Effects::default()
            },
            at(0),
        )
        .await
        .expect("complete b");
    store
        .apply_effects(
            Effects {
                cancel: vec!["a".into(), "b".into(), "unknown".into()],
                ..Effects::default()
            },
            at(0),
        )
        .await
        .expect("cancel");
    let status =
        |k: &'static str| async move { store.job(k).await.expect("job").expect("stored").status };
    assert_eq!(status("a").await, "cancelled");
    assert_eq!(status("b").await, "done", "a finished job stays done");
    assert!(
        store
            .claim_jobs(at(5), at(6), 10)
            .await
            .expect("claim")
            .is_empty()
    );
    let counts = store.job_counts().await.expect("counts");
    assert_eq!((counts.cancelled, counts.done, counts.pending), (1, 1, 0));
}

async fn failed_job_is_retried_then_dies(db: TestDb) {
    let store = db.store.as_ref();
    store
        .apply_effects(
            Effects {
                schedule: vec![job("flaky", at(0))],
                ..Effects::default()
            },
            at(0),
        )
        .await
        .expect("schedule");
    let first = store.claim_jobs(at(0), at(10), 1).await.expect("claim");
    store
        .fail_job(&first[0].lease, "短信网关超时", Some(at(3)))
        .await
        .expect("fail with retry");
    let j = store.job("flaky").await.expect("job").expect("stored");
    assert_eq!(
        (j.status.as_str(), j.due_at, j.last_error.as_deref()),
        ("pending", at(3), Some("短信网关超时"))
    );
    assert!(
        store
            .claim_jobs(at(2), at(10), 1)
            .await
            .expect("claim")
            .is_empty(),
        "not before the retry time, although the old lease ran until at(10)"
    );
    let second = store.claim_jobs(at(3), at(4), 1).await.expect("claim");
    assert_eq!(second.len(), 1);
    assert_eq!(second[0].attempts, 2);
    store
        .fail_job(&second[0].lease, "号码无效", None)
        .await
        .expect("give up");
    let j = store.job("flaky").await.expect("job").expect("stored");
    assert_eq!(
        (j.status.as_str(), j.last_error.as_deref()),
        ("dead", Some("号码无效"))
    );
    assert!(
        store
            .claim_jobs(at(50), at(51), 1)
            .await
            .expect("claim")
            .is_empty()
    );
    assert_eq!(store.job_counts().await.expect("counts").dead, 1);
}

// ---------------------------------------------------------------------------------------------
// Notifications
// ---------------------------------------------------------------------------------------------

async fn notification_dedupe_skips_duplicates(db: TestDb) {
    let store = db.store.as_ref();
    for _ in 0..2 {
        store
            .apply_effects(
                Effects {
                    notify: vec![
                        note(clerk_id(), None, Some("once")),
                        note(clerk_id(), None, Some("once")),
                        note(clerk_id(), None, None),
                    ],
                    ..Effects::default()
                },
                at(0),
            )
            .await
            .expect("notify");
    }
    let notes = store.notifications(clerk_id(), 10).await.expect("notes");
    assert_eq!(notes.len(), 3, "one deduplicated and two without a key");
    assert!(notes.windows(2).all(|w| w[0].id > w[1].id), "newest first");
}

async fn read_state_belongs_to_the_recipient(db: TestDb) {
    let store = db.store.as_ref();
    store
        .apply_effects(
            Effects {
                notify: vec![
                    note(clerk_id(), None, None),
                    note(clerk_id(), None, None),
                    note(mediator_id(), None, None),
                    sms(clerk_id(), "sms-1"),
                ],
                ..Effects::default()
            },
            at(0),
        )
        .await
        .expect("notify");
    assert_eq!(store.unread_count(clerk_id()).await.expect("unread"), 2);
    assert_eq!(store.unread_count(mediator_id()).await.expect("unread"), 1);

    let mediators = store.notifications(mediator_id(), 10).await.expect("n");
    let clerks = store.notifications(clerk_id(), 10).await.expect("n");
    let in_app: Vec<i64> = clerks
        .iter()
        .filter(|n| n.channel == NotifyChannel::InApp)
        .map(|n| n.id)
        .collect();
    // The clerk names the mediator's notification too: it must stay unread.
    let changed = store
        .mark_read(clerk_id(), Some(vec![in_app[0], mediators[0].id]), at(1))
        .await
        .expect("mark read");
    assert_eq!(changed, 1);
    assert_eq!(store.unread_count(clerk_id()).await.expect("unread"), 1);
    assert_eq!(store.unread_count(mediator_id()).await.expect("unread"), 1);

    store
        .mark_read(clerk_id(), None, at(2))
        .await
        .expect("mark all read");
    assert_eq!(store.unread_count(clerk_id()).await.expect("unread"), 0);
    assert_eq!(store.unread_count(mediator_id()).await.expect("unread"), 1);
    let read = store.notifications(clerk_id(), 10).await.expect("n");
    let first = read.iter().find(|n| n.id == in_app[0]).expect("first");
    assert_eq!(first.read_at, Some(at(1)), "a read time is kept");
}

async fn deliveries_are_claimed_retried_and_sent(db: TestDb) {
    let store = db.store.as_ref();
    store
        .apply_effects(
            Effects {
                notify: vec![sms(clerk_id(), "s"), note(clerk_id(), None, None)],
                ..Effects::default()
            },
            at(0),
        )
        .await
        .expect("notify");
    // Pending deliveries are due from the moment they are written (the caller's time).
    let now = at(0).plus_seconds(1);
    let claimed = store
        .claim_deliveries(now, now.plus_seconds(60), 10)
        .await
        .expect("claim");
    assert_eq!(claimed.len(), 1, "only SMS and e-mail need a sender");
    assert_eq!(claimed[0].notification.channel, NotifyChannel::Sms);
    assert_eq!(claimed[0].notification.attempts, 1);
    assert!(
        store
            .claim_deliveries(now, now.plus_seconds(60), 10)
            .await
            .expect("claim")
            .is_empty()
    );

    let retry_at = now.plus_seconds(600);
    store
        .finish_delivery(
            &claimed[0],
            DeliveryResult::Failed {
                error: "网关忙".into(),
                retry_at: Some(retry_at),
            },
        )
        .await
        .expect("fail");
    assert!(
        store
            .claim_deliveries(now.plus_seconds(300), retry_at, 10)
            .await
            .expect("claim")
            .is_empty(),
        "not claimable before the retry time"
    );
    let again = store
        .claim_deliveries(retry_at, retry_at.plus_seconds(60), 10)
        .await
        .expect("claim");
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].notification.attempts, 2);
    assert_eq!(again[0].notification.last_error.as_deref(), Some("网关忙"));
    store
        .finish_delivery(&again[0], DeliveryResult::Sent { at: retry_at })
        .await
        .expect("sent");
    let stored = store.notifications(clerk_id(), 10).await.expect("n");
    let s = stored.iter().find(|n| n.id == again[0].notification.id);
    assert_eq!(s.map(|n| n.status.as_str()), Some("sent"));
    assert!(
        store
            .claim_deliveries(retry_at.plus_seconds(3600), retry_at.plus_seconds(7200), 10)
            .await
            .expect("claim")
            .is_empty(),
        "a sent message is never claimed again"
    );

    // Giving up marks the delivery failed.
    store
        .apply_effects(
            Effects {
                notify: vec![sms(clerk_id(), "t")],
                ..Effects::default()
            },
            at(0),
        )
        .await
        .expect("notify");
    let now = at(0).plus_seconds(1);
    let third = store
        .claim_deliveries(now, now.plus_seconds(60), 10)
        .await
        .expect("claim");
    assert_eq!(third.len(), 1);
    store
        .finish_delivery(
            &third[0],
            DeliveryResult::Failed {
                error: "号码无效".into(),
                retry_at: None,
            },
        )
        .await
        .expect("failed");
    let stored = store.notifications(clerk_id(), 10).await.expect("n");
    let t = stored.iter().find(|n| n.id == third[0].notification.id);
    assert_eq!(t.map(|n| n.status.as_str()), Some("failed"));
}

async fn stale_delivery_token_changes_nothing(db: TestDb) {
    let store = db.store.as_ref();
    store
        .apply_effects(
            Effects {
                notify: vec![sms(clerk_id(), "s")],
                ..Effects::default()
            },
            at(0),
        )
        .await
        .expect("notify");
    let now = at(0).plus_seconds(1);
    let first = store
        .claim_deliveries(now, now.plus_seconds(60), 10)
        .await
        .expect("claim");
    let later = now.plus_seconds(120);
    let second = store
        .claim_deliveries(later, later.plus_seconds(60), 10)
        .await
        .expect("claim after expiry");
    assert_eq!(second.len(), 1);
    assert_ne!(second[0].token, first[0].token);

    store
        .finish_delivery(&first[0], DeliveryResult::Sent { at: later })
        .await
        .expect("stale finish");
    let n = &store.notifications(clerk_id(), 10).await.expect("n")[0];
    assert_eq!(
        n.status, "pending",
        "the stale claimant's report is ignored"
    );
    store
        .finish_delivery(&second[0], DeliveryResult::Sent { at: later })
        .await
        .expect("finish");
    let n = &store.notifications(clerk_id(), 10).await.expect("n")[0];
    assert_eq!(n.status, "sent");
}

// ---------------------------------------------------------------------------------------------
// Work queues
// ---------------------------------------------------------------------------------------------

async fn work_items_filter_by_holder_and_area(db: TestDb) {
    let store = db.store.as_ref();
    seed(store).await;
    let at_centre = register(store, at(0)).await;
    let at_committee = register(store, at(1)).await;
    advance(store, at_committee.case_id, at(1), 0..2).await;
    let elsewhere = register_with(store, at(2), |r| {
        r.location.division = other_village();
        r.location.grid = None;
    })
    .await
    .expect("register elsewhere");
    let closed = register(store, at(3)).await;
    advance(store, closed.case_id, at(3), 0..6).await;

    let all = work(store, WorkFilter::default()).await;
    assert_eq!(
        case_ids(&all),
        [at_centre.case_id, at_committee.case_id, elsewhere.case_id],
        "open cases only, oldest first"
    );

    let held = work(
        store,
        WorkFilter {
            held_by: vec![committee().id.to_string()],
            ..WorkFilter::default()
        },
    )
    .await;
    assert_eq!(case_ids(&held), [at_committee.case_id]);
    assert_eq!(
        held[0].holder_user_id,
        Some(mediator().id),
        "the assigned mediator"
    );
    let either = work(
        store,
        WorkFilter {
            held_by: vec![committee().id.to_string(), centre().id.to_string()],
            ..WorkFilter::default()
        },
    )
    .await;
    assert_eq!(either.len(), 3, "{:?}", case_ids(&either));

    let within = work(
        store,
        WorkFilter {
            within: Some(other_town()),
            ..WorkFilter::default()
        },
    )
    .await;
    assert_eq!(case_ids(&within), [elsewhere.case_id]);
    let in_town = work(
        store,
        WorkFilter {
            within: Some(town()),
            limit: 1,
            ..WorkFilter::default()
        },
    )
    .await;
    assert_eq!(case_ids(&in_town), [at_centre.case_id], "limit applies");
    assert_eq!(
        all[0].summary,
        store
            .list_cases(&hejie_store::CaseFilter {
                limit: 10,
                ..Default::default()
            })
            .await
            .expect("list")
            .into_iter()
            .find(|s| s.id == at_centre.case_id)
            .expect("listed"),
        "the same summary as the case list"
    );
}

async fn work_items_overdue_only_with_clocks_round_tripped(db: TestDb) {
    let store = db.store.as_ref();
    seed(store).await;
    let on_time = register(store, at(0)).await;
    let late_later = overdue_case(store, 10).await;
    let late_first = overdue_case(store, 5).await;

    let overdue = work(
        store,
        WorkFilter {
            overdue_only: true,
            ..WorkFilter::default()
        },
    )
    .await;
    assert_eq!(
        case_ids(&overdue),
        [late_first.case_id, late_later.case_id],
        "longest overdue first"
    );
    assert_eq!(overdue[0].overdue_since, Some(at(7)));

    let all = work(store, WorkFilter::default()).await;
    assert_eq!(
        case_ids(&all),
        [late_first.case_id, late_later.case_id, on_time.case_id],
        "overdue cases lead the board"
    );
    for item in &all {
        let state = store.load(item.summary.id).await.expect("load");
        let case = state.case().expect("case");
        assert_eq!(item.clocks, case.clocks, "clocks round-trip");
        assert_eq!(item.overdue_since, case.clocks.overdue_since());
    }
    assert!(all[2].overdue_since.is_none());
    assert_intact(store).await;
}

async fn work_items_follow_up_due_before(db: TestDb) {
    let store = db.store.as_ref();
    seed(store).await;
    let schedule = |due: Timestamp| Command::ScheduleFollowUp {
        due,
        reason: "回访协议履行情况".into(),
    };
    let soon = register(store, at(0)).await;
    advance(store, soon.case_id, at(0), 0..6).await;
    service::execute(store, soon.case_id, meta(clerk(), at(8)), schedule(at(48)))
        .await
        .expect("schedule follow-up");
    let later = register(store, at(1)).await;
    advance(store, later.case_id, at(1), 0..6).await;
    service::execute(
        store,
        later.case_id,
        meta(clerk(), at(9)),
        schedule(at(200)),
    )
    .await
    .expect("schedule follow-up");
    let open = register(store, at(2)).await;

    let due = work(
        store,
        WorkFilter {
            follow_up_due_before: Some(at(100)),
            ..WorkFilter::default()
        },
    )
    .await;
    assert_eq!(case_ids(&due), [soon.case_id]);
    assert_eq!(due[0].follow_up_due, Some(at(48)));
    assert_eq!(
        case_ids(&work(store, WorkFilter::default()).await),
        [open.case_id]
    );

    // The follow-up clears it.
    service::execute(store, soon.case_id, meta(clerk(), at(49)), follow_up())
        .await
        .expect("follow up");
    assert!(
        work(
            store,
            WorkFilter {
                follow_up_due_before: Some(at(100)),
                ..WorkFilter::default()
            },
        )
        .await
        .is_empty()
    );
    assert_intact(store).await;
}

async fn migration_backfills_clocks_of_existing_cases(db: TestDb) {
    let store = db.store.as_ref();
    seed(store).await;
    let late = overdue_case(store, 0).await;
    // Back to the schema before migration 5, as an existing database would be.
    db.raw_exec(
        "DROP INDEX cases_overdue; DROP INDEX cases_holder_status; \
         DROP INDEX cases_follow_up_due; ALTER TABLE cases DROP COLUMN clocks; \
         ALTER TABLE cases DROP COLUMN overdue_since; \
         ALTER TABLE cases DROP COLUMN follow_up_due; DROP TABLE jobs; \
         DROP TABLE notifications; DROP TABLE sweeps; \
         DELETE FROM schema_migrations WHERE version = 5;",
    )
    .await
    .expect("undo migration 5");

    store
        .migrate(crate::fixture::at(0))
        .await
        .expect("migrate again");
    assert_intact(store).await;
    let overdue = work(
        store,
        WorkFilter {
            overdue_only: true,
            ..WorkFilter::default()
        },
    )
    .await;
    assert_eq!(case_ids(&overdue), [late.case_id]);
    assert_eq!(overdue[0].overdue_since, Some(at(2)));
}

/// A limit of `hours` working hours on the resolve clock of a new case registered at `at(h)`.
async fn timed_case(store: &dyn Store, h: i64, hours: u32) -> Committed {
    let c = register(store, at(h)).await;
    service::execute(
        store,
        c.case_id,
        meta(clerk(), at(h)),
        Command::SetTimeLimit {
            clock: ClockKind::Resolve,
            limit: Limit {
                amount: hours,
                unit: LimitUnit::WorkingHours,
            },
            basis: "test".into(),
        },
    )
    .await
    .expect("set the limit")
}

/// Five open cases whose urgency order is not their registration order: untimed (registered
/// first), paused, a distant deadline, a near one, and one already overdue (registered last).
async fn five_kinds_of_urgency(store: &dyn Store) -> Vec<CaseId> {
    let untimed = register(store, at(0)).await;
    let paused = timed_case(store, 1, 3).await;
    // Accepted at the same instant: a case is paused once someone works on it.
    advance(store, paused.case_id, at(0), 0..1).await;
    service::execute(
        store,
        paused.case_id,
        meta(clerk(), at(1)),
        Command::Pause {
            reason: hejie_domain::case::PauseReason::AwaitingParty,
            note: "等待当事人补充材料".into(),
        },
    )
    .await
    .expect("pause");
    let distant = timed_case(store, 2, 40).await;
    let near = timed_case(store, 3, 4).await;
    // Its one hour ran out long before the others' deadlines.
    let overdue = overdue_case(store, 4).await;
    vec![
        overdue.case_id,
        near.case_id,
        distant.case_id,
        paused.case_id,
        untimed.case_id,
    ]
}

async fn work_items_come_in_urgency_order_a_page_at_a_time(db: TestDb) {
    let store = db.store.as_ref();
    seed(store).await;
    let expected = five_kinds_of_urgency(store).await;
    let all = work(store, WorkFilter::default()).await;
    assert_eq!(
        case_ids(&all),
        expected,
        "overdue, nearest deadline, later deadline, paused, untimed"
    );
    let mut paged = Vec::new();
    for page in 0..3 {
        let items = work(
            store,
            WorkFilter {
                limit: 2,
                offset: page * 2,
                ..WorkFilter::default()
            },
        )
        .await;
        assert!(items.len() <= 2);
        paged.extend(case_ids(&items));
    }
    assert_eq!(paged, expected, "pages follow the same order");
    assert_eq!(
        store
            .work_count(&WorkFilter {
                limit: 2,
                offset: 4,
                ..WorkFilter::default()
            })
            .await
            .expect("count"),
        5,
        "the count ignores limit and offset"
    );
    let overdue = WorkFilter {
        overdue_only: true,
        ..WorkFilter::default()
    };
    assert_eq!(store.work_count(&overdue).await.expect("count"), 1);
    // The order follows further writes: resumed at 15:00, the paused case's three working hours
    // run out at 09:00 the next morning, after the near deadline (17:30) and long before the
    // distant one.
    service::execute(
        store,
        expected[3],
        meta(clerk(), at(6)),
        Command::Resume { note: None },
    )
    .await
    .expect("resume");
    let all = work(store, WorkFilter::default()).await;
    assert_eq!(
        case_ids(&all),
        [
            expected[0],
            expected[1],
            expected[3],
            expected[2],
            expected[4]
        ]
    );
    assert_intact(store).await;
}

async fn migration_backfills_the_queue_order(db: TestDb) {
    let store = db.store.as_ref();
    seed(store).await;
    let expected = five_kinds_of_urgency(store).await;
    // Back to the schema before migration 7, as an existing database would be (migration 12
    // indexes its columns, so it goes too).
    db.raw_exec(
        "DROP INDEX cases_open_area; DROP INDEX cases_holder_due; DROP INDEX cases_due; \
         ALTER TABLE cases DROP COLUMN due_rank; ALTER TABLE cases DROP COLUMN due_key; \
         DELETE FROM schema_migrations WHERE version IN (7, 12);",
    )
    .await
    .expect("undo migration 7");
    store
        .migrate(crate::fixture::at(0))
        .await
        .expect("migrate again");
    // The audit compares the columns with what the events produce.
    assert_intact(store).await;
    assert_eq!(
        case_ids(&work(store, WorkFilter::default()).await),
        expected
    );
}

async fn a_registration_commits_its_effects_in_the_same_transaction(db: TestDb) {
    let store = db.store.as_ref();
    seed(store).await;
    let check = |id: CaseId| NewJob {
        key: format!("case:{id}"),
        kind: "case".to_owned(),
        due_at: at(8),
        payload: format!(r#"{{"case":"{id}"}}"#),
    };
    let id = new_case_id();
    let mut new = service::new_case(id, meta(clerk(), at(0)), move |n| registration(id, n));
    new.effects = Some(Box::new(move |case, version| {
        assert_eq!((case.id, version), (id, 1));
        Effects {
            schedule: vec![check(case.id)],
            ..Effects::default()
        }
    }));
    store.create_case(new).await.expect("register");
    let job = store
        .job(&format!("case:{id}"))
        .await
        .expect("job")
        .expect("the case's check is scheduled with its registration");
    assert_eq!((job.status.as_str(), job.due_at), ("pending", at(8)));

    // Effects that fail (here: completing a job that was never leased) take the registration
    // down with them.
    let id = new_case_id();
    let mut new = service::new_case(id, meta(clerk(), at(1)), move |n| registration(id, n));
    new.effects = Some(Box::new(move |case, _| Effects {
        schedule: vec![check(case.id)],
        complete: Some(hejie_store::work::JobLease {
            id: 999_999,
            token: "none".to_owned(),
        }),
        ..Effects::default()
    }));
    let err = store.create_case(new).await.expect_err("the effects fail");
    assert!(matches!(err, StoreError::LeaseLost), "{err:?}");
    assert!(store.load(id).await.expect("load").case().is_none());
    assert!(
        store
            .job(&format!("case:{id}"))
            .await
            .expect("job")
            .is_none()
    );
    assert_intact(store).await;
}

// ---------------------------------------------------------------------------------------------
// Sweeps
// ---------------------------------------------------------------------------------------------

fn sweep(id: &str, division: hejie_domain::division::DivisionCode, week: i64) -> SweepTask {
    SweepTask {
        id: id.to_owned(),
        division,
        organisation: Some(committee().id.to_string()),
        period_start: at(week * 168),
        due_at: at(week * 168 + 167),
        completed: None,
    }
}

async fn sweeps_are_idempotent_and_completed_once(db: TestDb) {
    let store = db.store.as_ref();
    let tasks = vec![
        sweep("v-1", village(), 1),
        sweep("v-0", village(), 0),
        sweep("o-0", other_village(), 0),
    ];
    assert_eq!(store.put_sweeps(tasks.clone()).await.expect("put"), 3);
    assert_eq!(store.put_sweeps(tasks.clone()).await.expect("put again"), 0);
    // Another id for an existing (division, period) is left alone too.
    assert_eq!(
        store
            .put_sweeps(vec![sweep("v-0-again", village(), 0)])
            .await
            .expect("put same period"),
        0
    );

    let all = store.sweeps(&SweepFilter::default()).await.expect("sweeps");
    let ids: Vec<&str> = all.iter().map(|s| s.id.as_str()).collect();
    // 东门村 (…100201) sorts before 溪口村 (…101201) within the same week.
    assert_eq!(ids, ["v-0", "o-0", "v-1"], "by due time, then division");
    assert_eq!(all[0], tasks[1], "round-trips");

    let completion = SweepCompletion {
        by: mediator_id(),
        by_name: "吴建国".into(),
        at: at(100),
        findings: "走访12户，发现1起宅基地纠纷苗头，已登记".into(),
        cases: vec![new_case_id()],
    };
    let done = store
        .complete_sweep("v-0", completion.clone())
        .await
        .expect("complete");
    assert_eq!(done.completed, Some(completion.clone()));
    let again = store.complete_sweep("v-0", completion.clone()).await;
    assert!(
        matches!(&again, Err(StoreError::Duplicate(m)) if m == "该排查任务已完成"),
        "{again:?}"
    );
    let missing = store.complete_sweep("nope", completion.clone()).await;
    assert!(matches!(missing, Err(StoreError::NotFound)), "{missing:?}");

    let open = store
        .sweeps(&SweepFilter {
            open_only: true,
            ..SweepFilter::default()
        })
        .await
        .expect("open sweeps");
    let ids: Vec<&str> = open.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(ids, ["o-0", "v-1"]);
    let in_town = store
        .sweeps(&SweepFilter {
            within: Some(town()),
            open_only: true,
            ..SweepFilter::default()
        })
        .await
        .expect("sweeps in town");
    let ids: Vec<&str> = in_town.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(ids, ["v-1"]);
    let by_org = store
        .sweeps(&SweepFilter {
            organisation: Some(centre().id.to_string()),
            ..SweepFilter::default()
        })
        .await
        .expect("sweeps of the centre");
    assert!(by_org.is_empty());
}
