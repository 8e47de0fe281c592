//! `hejie bench --jobs N --queue-cases N`: the durable scheduler and the work queue at scale.
//!
//! * Scheduling: N `notify` jobs written in batches of 10,000 through `apply_effects`, 10% due
//!   now and 90% due a month or more ahead (so claims must skip far-future rows).
//! * Processing: the server's own `scheduler::tick` (claims of 50, one transaction per job that
//!   completes it and writes its in-app notification) with 1 and then 4 concurrent workers.
//! * Claiming: the latency of one claim of 200 on the full table, and of an idle poll (nothing
//!   due) once the due jobs are done.
//! * Queue page: a village committee holding N open cases with time limits; `queue_for` (what
//!   the page calls) against the store query `work_items` alone.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use crate::now;
use anyhow::{Context, Result, anyhow};
use hejie_crypto::KeyedSealer;
use hejie_domain::DomainError;
use hejie_domain::case::{
    CaseId, CaseState, Channel, Command, DisputeType, Event, Location, Meta, Party, PartyKind,
    PartyRole, Register, Severity, Track, handle,
};
use hejie_domain::limits::LimitPolicy;
use hejie_domain::timestamp::Timestamp;
use hejie_store::work::{Effects, NewJob, WorkFilter};
use hejie_store::{NewCase, Store};
use rand::SeedableRng;
use rand::rngs::StdRng;

use crate::synth;

/// Jobs per `apply_effects` when scheduling.
const BATCH: usize = 10_000;
/// A phase of processing stops after this long; the rate so far is reported.
const PHASE_CAP: Duration = Duration::from_secs(120);

/// The server state over `store`, as `hejie serve` builds it, with the scheduler loop off.
async fn app_state(
    store: Arc<dyn Store>,
    sealer: Arc<KeyedSealer>,
) -> Result<hejie_server::AppState> {
    hejie_server::AppState::new(
        store,
        sealer,
        Arc::new(hejie_server::sms::ConsoleSms),
        hejie_server::Config {
            scheduler_poll_ms: 0,
            ..hejie_server::Config::default()
        },
    )
    .await
    .map_err(|e| anyhow!("{e}"))
    .context("building the server state")
}

pub(crate) fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

/// When due job `j` of `due` is due: spread over `due` milliseconds ending a day ago, oldest
/// first, so a cutoff processes a known prefix of them.
fn due_time(base: Timestamp, j: usize) -> Timestamp {
    Timestamp::from_micros(base.micros() + j as i64 * 1000)
}

/// Scheduling, processing and claiming with `n` jobs on one backend.
pub async fn scheduler(
    backend: &str,
    store: Arc<dyn Store>,
    sealer: Arc<KeyedSealer>,
    n: usize,
) -> Result<()> {
    let t0 = now();
    let due_count = n / 10;
    let base = t0.plus_seconds(-86_400 - (due_count as i64 / 1000) - 1);
    let recipient = uuid::Uuid::now_v7();
    let started = Instant::now();
    let mut due_seen = 0;
    for chunk in (0..n).collect::<Vec<_>>().chunks(BATCH) {
        let schedule = chunk
            .iter()
            .map(|&i| {
                let due_at = if i % 10 == 0 {
                    due_seen += 1;
                    due_time(base, i / 10)
                } else {
                    t0.plus_seconds(30 * 86_400 + i as i64)
                };
                NewJob {
                    key: format!("bench:{i}"),
                    kind: "notify".to_owned(),
                    due_at,
                    payload: serde_json::json!({
                        "recipient": recipient,
                        "title": "时限提醒",
                        "body": format!("第{i}号提醒"),
                    })
                    .to_string(),
                }
            })
            .collect();
        store
            .apply_effects(
                Effects {
                    schedule,
                    ..Effects::default()
                },
                now(),
            )
            .await?;
    }
    let secs = started.elapsed().as_secs_f64();
    println!(
        "{:<10} {:<53} {:>12.0} {:>10}",
        backend,
        format!("schedule {n} jobs ({due_seen} due), batches of {BATCH}"),
        n as f64 / secs,
        format!("{secs:.1} s")
    );

    // One claim of 200 on the full table (then released by failing them back to the same time,
    // so processing still finds them).
    let mut claims = Vec::new();
    for _ in 0..5 {
        let at = Instant::now();
        let jobs = store.claim_jobs(t0, t0.plus_seconds(60), 200).await?;
        claims.push(at.elapsed());
        anyhow::ensure!(jobs.len() == 200.min(due_count), "claimed {}", jobs.len());
        for j in &jobs {
            store.fail_job(&j.lease, "bench", Some(j.due_at)).await?;
        }
    }
    claims.sort();
    println!(
        "{:<10} {:<53} {:>12} {:>10}",
        backend,
        format!("claim 200 due of {n} rows (p50 | max of 5)"),
        ms(percentile(&claims, 0.5)),
        ms(claims[claims.len() - 1])
    );

    let state = app_state(store.clone(), sealer).await?;
    // Phase 1: one worker, the first half of the due jobs.
    let half = due_count / 2;
    let cutoff = due_time(base, half.saturating_sub(1));
    let rate1 = process(&state, 1, cutoff, half, base).await?;
    println!(
        "{:<10} {:<53} {:>12.0} {:>10}",
        backend,
        format!("run due jobs, 1 worker ({} jobs)", rate1.1),
        rate1.0,
        "jobs/s"
    );
    let rate4 = process(&state, 4, due_time(base, due_count), due_count - half, base).await?;
    println!(
        "{:<10} {:<53} {:>12.0} {:>10}",
        backend,
        format!("run due jobs, 4 workers ({} jobs)", rate4.1),
        rate4.0,
        "jobs/s"
    );

    // An idle poll: nothing due among the far-future rows.
    let mut polls = Vec::new();
    let idle_at = due_time(base, due_count);
    let pending = store.job_counts().await?.pending;
    if rate1.1 + rate4.1 >= due_count {
        for _ in 0..20 {
            let at = Instant::now();
            let jobs = store
                .claim_jobs(idle_at, idle_at.plus_seconds(60), 50)
                .await?;
            polls.push(at.elapsed());
            anyhow::ensure!(jobs.is_empty(), "an idle poll claimed {}", jobs.len());
        }
        polls.sort();
        println!(
            "{:<10} {:<53} {:>12} {:>10}",
            backend,
            format!("idle poll, nothing due, {pending} pending (p50 of 20)"),
            ms(percentile(&polls, 0.5)),
            ms(percentile(&polls, 0.95))
        );
    }
    Ok(())
}

/// Runs `tick` from `workers` tasks over slices of the due jobs until `want` are done or the
/// phase cap passes; returns jobs per second and how many were done.
async fn process(
    state: &hejie_server::AppState,
    workers: usize,
    cutoff: Timestamp,
    want: usize,
    base: Timestamp,
) -> Result<(f64, usize)> {
    const SLICE: usize = 2_000;
    let done = Arc::new(AtomicUsize::new(0));
    let slice = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let first = usize::try_from((cutoff.micros() - base.micros()) / 1000).unwrap_or(0) + 1;
    let start_index = first.saturating_sub(want);
    let mut tasks = Vec::new();
    for _ in 0..workers {
        let (state, done, slice) = (state.clone(), done.clone(), slice.clone());
        tasks.push(tokio::spawn(async move {
            loop {
                if started.elapsed() > PHASE_CAP || done.load(Ordering::SeqCst) >= want {
                    return Ok::<_, anyhow::Error>(());
                }
                let k = slice.fetch_add(1, Ordering::SeqCst);
                let end = (start_index + (k + 1) * SLICE).min(first);
                let until = Timestamp::from_micros(
                    base.micros() + i64::try_from(end).unwrap_or(0) * 1000 - 1,
                );
                let r = hejie_server::workflow::scheduler::tick(&state, until).await?;
                done.fetch_add(r.jobs, Ordering::SeqCst);
                if end >= first && r.jobs == 0 {
                    return Ok(());
                }
            }
        }));
    }
    for t in tasks {
        t.await.context("worker")??;
    }
    let n = done.load(Ordering::SeqCst);
    Ok((n as f64 / started.elapsed().as_secs_f64(), n))
}

/// One open case registered at the township centre and assigned to the village committee, with
/// the time limits the default policy records (resolve, acknowledge, overall).
fn queue_case(
    county: &synth::county::County,
    policy: &LimitPolicy,
    i: usize,
    registered_at: Timestamp,
) -> NewCase {
    let village = &county.villages[0];
    let township = &county.townships[village.township];
    let reception = township.centre.clone();
    let committee = village.committee.clone();
    let policy = policy.clone();
    let id = CaseId(uuid::Uuid::now_v7());
    let meta = |unit: &synth::county::Unit, at: Timestamp| Meta {
        actor: unit.staff.clone(),
        at,
        division: unit.org.division.clone(),
    };
    let reg_meta = meta(&reception, registered_at);
    let prefix = reg_meta.division.county_prefix().to_owned();
    let year = registered_at.year_cst();
    let location = Location {
        division: village.code.clone(),
        grid: None,
        point: None,
        address: Some(format!("{}{}号", village.name, i % 300 + 1)),
    };
    let build = move |number| -> Result<Vec<Event>, DomainError> {
        let mut state = CaseState::default();
        let mut events = Vec::new();
        // A command, then what the policy records with it (as `workflow::plan` does).
        let mut run = |state: &mut CaseState, meta: Meta, command: Command| {
            let first = events.len();
            for e in handle(state, meta.clone(), command)? {
                state.apply(&e);
                events.push(e);
            }
            if let Some(after) = state.case().cloned() {
                for c in policy.companions(&after, &events[first..]) {
                    for e in handle(state, meta.clone(), c)? {
                        state.apply(&e);
                        events.push(e);
                    }
                }
            }
            Ok::<_, DomainError>(())
        };
        let party = |role, name: String| Party {
            kind: PartyKind::Person,
            role,
            name,
            id_number: None,
            phone: None,
            address: None,
        };
        run(
            &mut state,
            reg_meta.clone(),
            Command::Register(Box::new(Register {
                id,
                number,
                channel: Channel::Visit,
                dispute_type: Some(DisputeType::Neighbour),
                parties: vec![
                    party(PartyRole::Applicant, format!("申请人{i}")),
                    party(PartyRole::Respondent, format!("被申请人{i}")),
                ],
                location,
                description: format!("邻里纠纷第{i}号：宅基地边界争议，申请调解。"),
                amount: None,
                head_count: None,
                received_by: Some(reception.org.clone()),
            })),
        )?;
        run(
            &mut state,
            meta(&reception, registered_at.plus_seconds(600)),
            Command::Accept {
                dispute_type: DisputeType::Neighbour,
                severity: Severity::Ordinary,
                track: Track::Clinic,
                note: None,
            },
        )?;
        run(
            &mut state,
            meta(&reception, registered_at.plus_seconds(1200)),
            Command::Assign {
                organisation: committee.org.clone(),
                person: None,
                note: Some("请按时限签收办理".to_owned()),
            },
        )?;
        Ok(events)
    };
    NewCase {
        id,
        prefix,
        year,
        at: now(),
        build: Box::new(build),
        effects: None,
    }
}

/// The queue page's cost with `n` open cases held by one village committee.
pub async fn queue(
    backend: &str,
    store: Arc<dyn Store>,
    sealer: Arc<KeyedSealer>,
    n: usize,
) -> Result<()> {
    let mut rng = StdRng::seed_from_u64(11);
    let county = synth::county::build(&mut rng, usize::MAX)?;
    synth::county::save(store.as_ref(), &county).await?;
    let policy = LimitPolicy::default();
    let t0 = now();
    let started = Instant::now();
    let mut made = 0;
    while made < n {
        let take = 500.min(n - made);
        let plans = (made..made + take)
            .map(|i| {
                // Registered over the last 30 days: some within their limits, many overdue.
                let at = t0.plus_seconds(-((i as i64 * 2_591) % (30 * 86_400)) - 3_600);
                queue_case(&county, &policy, i, at)
            })
            .collect();
        for r in store.create_cases(plans).await? {
            r?;
        }
        made += take;
    }
    let secs = started.elapsed().as_secs_f64();
    println!(
        "{:<10} {:<53} {:>12.0} {:>10}",
        backend,
        format!("register {n} cases for one village committee"),
        n as f64 / secs,
        "cases/s"
    );
    let committee = county.villages[0].committee.org.id;
    let user = county
        .users
        .iter()
        .find(|u| u.organisation == Some(committee))
        .cloned()
        .context("no staff account for the village committee")?;
    let state = app_state(store.clone(), sealer).await?;
    let filter = WorkFilter {
        held_by: vec![committee.to_string()],
        limit: 20_000,
        ..WorkFilter::default()
    };
    let mut store_times = Vec::new();
    let mut rows = 0;
    for _ in 0..20 {
        let at = Instant::now();
        rows = store.work_items(&filter).await?.len();
        store_times.push(at.elapsed());
    }
    let mut page_times = Vec::new();
    let mut entries = 0;
    let mut total = 0;
    let mut overdue = 0;
    for _ in 0..20 {
        let at = Instant::now();
        let q = hejie_server::workflow::queue::queue_for(&state, &user, now(), 1)
            .await
            .map_err(|e| anyhow!("{e:?}"))?;
        page_times.push(at.elapsed());
        entries = q.entries.len();
        total = q.total;
        overdue = q.overdue;
    }
    store_times.sort();
    page_times.sort();
    println!(
        "{:<10} {:<53} {:>12} {:>10}",
        backend,
        format!("store work_items: {rows} rows (p50 | p95 of 20)"),
        ms(percentile(&store_times, 0.5)),
        ms(percentile(&store_times, 0.95))
    );
    println!(
        "{:<10} {:<53} {:>12} {:>10}",
        backend,
        format!("queue_for page 1: {entries} of {total}, {overdue} overdue (p50 | p95)"),
        ms(percentile(&page_times, 0.5)),
        ms(percentile(&page_times, 0.95))
    );
    anyhow::ensure!(rows == n, "work_items returned {rows} of {n} open cases");
    Ok(())
}
