//! The durable scheduler with real processes: due `notify` jobs written straight into the store
//! are run by `hejie serve` processes, which write the in-app notification and the SMS outbox row
//! and send the SMS through the built-in log sender (`HEJIE_DELIVERY_LOG`, one JSON line per
//! message with the notification id and the sending process id).
//!
//! * A server killed with SIGKILL while jobs are due, then restarted on the same database, runs
//!   every job once: one in-app notification and one SMS per job, every job `done`.
//! * Two servers on one PostgreSQL database race for 300 due jobs: each is delivered once.

use std::collections::{HashMap, HashSet};
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use hejie_domain::timestamp::Timestamp;
use hejie_domain::user::UserId;
use hejie_store::Store;
use hejie_store::work::{Effects, NewJob, NotifyChannel};

use crate::now;
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::Db;

/// How long any wait of these tests may last before it fails.
const PATIENCE: Duration = Duration::from_secs(90);

/// A `hejie serve` child process with its scheduler on, killed if the test ends early.
#[derive(Debug)]
struct Server {
    child: Child,
    authority: String,
    log: PathBuf,
}

impl Server {
    fn start(db: &Db, dir: &Path, name: &str, delivery_log: &Path, poll_ms: u32) -> Server {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let authority = format!("127.0.0.1:{port}");
        let log = dir.join(format!("{name}.log"));
        let file = std::fs::File::create(&log).expect("server log file");
        let child = Command::new(env!("CARGO_BIN_EXE_hejie"))
            .arg("--database")
            .arg(db.url())
            .args(["serve", "--addr", &authority])
            .args(["--scheduler-poll-ms", &poll_ms.to_string()])
            // A job held by a killed process is taken over after this long.
            .args(["--job-lease-secs", "3"])
            .env("HEJIE_PII_KEY", "7f".repeat(32))
            .env("HEJIE_DELIVERY_LOG", delivery_log)
            .env_remove("HEJIE_DATABASE_URL")
            .stdin(Stdio::null())
            .stdout(file.try_clone().expect("log file"))
            .stderr(file)
            .spawn()
            .expect("start hejie serve");
        Server {
            child,
            authority,
            log,
        }
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }

    fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Waits until `/healthz` answers 200.
    async fn ready(&mut self) {
        let started = Instant::now();
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!(
                    "hejie serve exited ({status}) before it was ready:\n{}",
                    self.log_text()
                );
            }
            if healthy(&self.authority).await {
                return;
            }
            assert!(
                started.elapsed() < PATIENCE,
                "hejie serve did not answer /healthz within {PATIENCE:?}:\n{}",
                self.log_text()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Fails the test if the server died on its own.
    fn assert_alive(&mut self) {
        if let Ok(Some(status)) = self.child.try_wait() {
            panic!("hejie serve exited ({status}):\n{}", self.log_text());
        }
    }

    /// SIGKILL, and reaping.
    fn kill(&mut self) {
        self.child.kill().expect("SIGKILL the server");
        let status = self.child.wait().expect("reap the server");
        assert_eq!(
            status.signal(),
            Some(9),
            "the server should have died of SIGKILL, not {status}"
        );
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn healthy(authority: &str) -> bool {
    let probe = async {
        let mut s = tokio::net::TcpStream::connect(authority).await.ok()?;
        let req =
            format!("GET /healthz HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\n\r\n");
        s.write_all(req.as_bytes()).await.ok()?;
        let mut out = Vec::new();
        s.read_to_end(&mut out).await.ok()?;
        Some(out.starts_with(b"HTTP/1.1 200"))
    };
    matches!(
        tokio::time::timeout(Duration::from_secs(5), probe).await,
        Ok(Some(true))
    )
}

/// One `notify` job of these tests: its own recipient, so its notifications can be found.
#[derive(Debug, Clone)]
struct Planned {
    key: String,
    recipient: UserId,
    due_at: Timestamp,
}

fn plan_jobs(tag: &str, n: usize, due: impl Fn(usize) -> Timestamp) -> Vec<Planned> {
    (0..n)
        .map(|i| Planned {
            key: format!("test:{tag}:{i}"),
            recipient: UserId(uuid::Uuid::now_v7()),
            due_at: due(i),
        })
        .collect()
}

async fn schedule(store: &dyn Store, jobs: &[Planned]) {
    let schedule = jobs
        .iter()
        .map(|j| NewJob {
            key: j.key.clone(),
            kind: "notify".to_owned(),
            due_at: j.due_at,
            payload: serde_json::json!({
                "recipient": j.recipient.0,
                "title": "调解提醒",
                "body": format!("{} 的提醒", j.key),
                "sms": true,
            })
            .to_string(),
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
        .await
        .expect("schedule the jobs");
}

/// A count from SQL that works on both backends.
async fn count(db: &Db, sql: &str) -> usize {
    db.query_text(&format!("SELECT CAST(({sql}) AS TEXT)"))
        .await
        .parse()
        .expect("a count")
}

/// This test's jobs (keys `test:…`) by status: done, pending, other. The server schedules its
/// own sweep job (`sweeps:generate`), which these counts leave out.
async fn test_jobs(db: &Db) -> (usize, usize, usize) {
    let q = |status: &str| {
        format!("SELECT COUNT(*) FROM jobs WHERE key LIKE 'test:%' AND status = '{status}'")
    };
    let done = count(db, &q("done")).await;
    let pending = count(db, &q("pending")).await;
    let all = count(db, "SELECT COUNT(*) FROM jobs WHERE key LIKE 'test:%'").await;
    (done, pending, all - done - pending)
}

/// No job but the test's and the server's own periodic jobs (sweeps, the early-warning scan,
/// the monthly report).
async fn assert_no_other_jobs(db: &Db) {
    assert_eq!(
        count(
            db,
            "SELECT COUNT(*) FROM jobs WHERE key NOT LIKE 'test:%' \
             AND key NOT IN ('sweeps:generate', 'warnings:scan', 'report:monthly')"
        )
        .await,
        0,
        "jobs other than the test's and the server's periodic ones"
    );
}

async fn sms_sent(db: &Db) -> usize {
    count(
        db,
        "SELECT COUNT(*) FROM notifications WHERE channel = 'sms' AND status = 'sent'",
    )
    .await
}

/// One line of the delivery log.
#[derive(Debug, Clone)]
struct Sent {
    id: i64,
    /// The idempotency key the sender was given: the same for every attempt at a notification.
    key: String,
    pid: u32,
    channel: String,
}

fn delivery_lines(path: &Path) -> Vec<Sent> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    text.lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l)
                .unwrap_or_else(|e| panic!("delivery log line {l:?} is not JSON: {e}"));
            Sent {
                id: v["id"].as_i64().expect("id in the delivery log"),
                key: v["key"]
                    .as_str()
                    .expect("key in the delivery log")
                    .to_owned(),
                pid: u32::try_from(v["pid"].as_u64().expect("pid in the delivery log"))
                    .expect("a pid"),
                channel: v["channel"].as_str().unwrap_or_default().to_owned(),
            }
        })
        .collect()
}

/// Waits (bounded) until every job is done and every SMS is sent, checking the servers live.
async fn wait_all_delivered(
    db: &Db,
    store: &dyn Store,
    servers: &mut [&mut Server],
    jobs: usize,
    what: &str,
) {
    let started = Instant::now();
    loop {
        for s in servers.iter_mut() {
            s.assert_alive();
        }
        let counts = store.job_counts().await.expect("job counts");
        let (done, _, _) = test_jobs(db).await;
        let sent = sms_sent(db).await;
        if done >= jobs && sent >= jobs {
            return;
        }
        assert!(
            started.elapsed() < PATIENCE,
            "{what}: after {PATIENCE:?} only {done} of {jobs} jobs are done ({counts:?}) and \
             {sent} of {jobs} SMS sent; server logs:\n{}",
            servers
                .iter()
                .map(|s| s.log_text())
                .collect::<Vec<_>>()
                .join("\n----\n")
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Every job is `done` and wrote exactly one in-app notification and one SMS (sent) for its
/// recipient. Returns the SMS notification ids by job key.
async fn check_jobs(db: &Db, store: &dyn Store, jobs: &[Planned]) -> HashMap<String, i64> {
    let mut sms_ids = HashMap::new();
    for j in jobs {
        let info = store
            .job(&j.key)
            .await
            .expect("read job")
            .unwrap_or_else(|| panic!("job {} is gone", j.key));
        assert_eq!(info.status, "done", "job {}: {info:?}", j.key);
        let notes = store
            .notifications(j.recipient, 10)
            .await
            .expect("notifications");
        if notes.len() != 2 {
            eprintln!(
                "DEBUG {}",
                db.query_text(&format!(
                    "SELECT CAST(COUNT(*) AS TEXT) || ' ' || MIN(recipient) || MIN(channel) FROM notifications WHERE body = '{} 的提醒'",
                    j.key
                ))
                .await
            );
        }
        let in_app: Vec<_> = notes
            .iter()
            .filter(|n| n.channel == NotifyChannel::InApp)
            .collect();
        let sms: Vec<_> = notes
            .iter()
            .filter(|n| n.channel == NotifyChannel::Sms)
            .collect();
        assert_eq!(
            (in_app.len(), sms.len()),
            (1, 1),
            "job {} should have written one in-app notification and one SMS: {notes:?}",
            j.key
        );
        assert_eq!(in_app[0].status, "delivered", "job {}", j.key);
        assert_eq!(sms[0].status, "sent", "job {}: {:?}", j.key, sms[0]);
        sms_ids.insert(j.key.clone(), sms[0].id);
    }
    sms_ids
}

async fn open_store(db: &Db) -> Arc<dyn Store> {
    let store = hejie_store::open(&db.url()).await.expect("open the store");
    store.migrate(now()).await.expect("migrate");
    store
}

/// The ids of the SMS recorded as sent, over the given jobs.
async fn sent_ids(store: &dyn Store, jobs: &[Planned]) -> HashSet<i64> {
    let mut ids = HashSet::new();
    for j in jobs {
        for n in store.notifications(j.recipient, 10).await.expect("notes") {
            if n.channel == NotifyChannel::Sms && n.status == "sent" {
                ids.insert(n.id);
            }
        }
    }
    ids
}

/// A process killed by the test: its pid and the SMS recorded as sent when it died.
#[derive(Debug)]
struct Killed {
    pid: u32,
    sent: HashSet<i64>,
}

/// 200 jobs due (some long ago, some just now) and 20 due a few seconds into the future. The
/// first server is SIGKILLed as soon as it has done a job (while more are due), the second as
/// soon as it has sent an SMS (while more are to send); the third finishes.
async fn due_jobs_fire_once_across_a_restart(db: Db) {
    const PAST: usize = 200;
    const FUTURE: usize = 20;
    const ALL: usize = PAST + FUTURE;
    let dir = tempfile::tempdir().expect("temp dir");
    let delivery_log = dir.path().join("delivery.jsonl");
    let store = open_store(&db).await;
    let t0 = now();
    let mut jobs = plan_jobs("past", PAST, |i| t0.plus_seconds(-(i as i64) * 37));
    jobs.extend(plan_jobs("future", FUTURE, |i| {
        t0.plus_seconds(6 + (i as i64 % 3))
    }));
    schedule(store.as_ref(), &jobs).await;
    assert_eq!(
        store.job_counts().await.expect("job counts").pending,
        ALL as u64
    );
    assert_eq!(test_jobs(&db).await, (0, ALL, 0));

    let mut killed: Vec<Killed> = Vec::new();
    for (name, phase) in [("first", "a job done"), ("second", "an SMS sent")] {
        let mut server = Server::start(&db, dir.path(), name, &delivery_log, 100);
        server.ready().await;
        let (done0, lines0) = (test_jobs(&db).await.0, delivery_lines(&delivery_log).len());
        let started = Instant::now();
        loop {
            server.assert_alive();
            let progressed = if killed.is_empty() {
                test_jobs(&db).await.0 > done0
            } else {
                delivery_lines(&delivery_log).len() > lines0
            };
            if progressed {
                break;
            }
            assert!(
                started.elapsed() < PATIENCE,
                "the {name} server did not get {phase} in {PATIENCE:?}:\n{}",
                server.log_text()
            );
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        let pid = server.pid();
        server.kill();
        let at_kill = test_jobs(&db).await;
        let sent = sent_ids(store.as_ref(), &jobs).await;
        println!(
            "{}: {name} server killed after {phase}: {} of {ALL} jobs done ({} pending), {} SMS \
             recorded as sent, {} log lines",
            db.backend(),
            at_kill.0,
            at_kill.1,
            sent.len(),
            delivery_lines(&delivery_log).len()
        );
        assert!(
            at_kill.0 < ALL,
            "the future jobs cannot be done before they are due"
        );
        killed.push(Killed { pid, sent });
    }

    let mut last = Server::start(&db, dir.path(), "third", &delivery_log, 100);
    last.ready().await;
    let last_pid = last.pid();
    wait_all_delivered(
        &db,
        store.as_ref(),
        &mut [&mut last],
        ALL,
        "after the restarts",
    )
    .await;
    // Let a late duplicate, if the server were to send one, reach the log.
    tokio::time::sleep(Duration::from_millis(500)).await;

    assert_eq!(test_jobs(&db).await, (ALL, 0, 0));
    assert_no_other_jobs(&db).await;
    let sms_ids = check_jobs(&db, store.as_ref(), &jobs).await;
    assert_eq!(
        count(&db, "SELECT COUNT(*) FROM notifications").await,
        2 * ALL,
        "one in-app notification and one SMS per job, nothing else"
    );
    // No job ran before it was due.
    for j in jobs.iter().filter(|j| j.key.starts_with("test:future")) {
        let info = store.job(&j.key).await.expect("job").expect("job");
        let done = info.done_at.expect("done_at");
        assert!(
            done >= j.due_at,
            "job {} was done at {done:?}, before it was due at {:?}",
            j.key,
            j.due_at
        );
    }

    let pids: Vec<u32> = killed.iter().map(|k| k.pid).chain([last_pid]).collect();
    let lines = delivery_lines(&delivery_log);
    let mut by_id: HashMap<i64, Vec<usize>> = HashMap::new();
    for l in &lines {
        assert_eq!(l.channel, "sms", "{l:?}");
        let Some(run) = pids.iter().position(|p| *p == l.pid) else {
            panic!("a line from an unknown process: {l:?}");
        };
        by_id.entry(l.id).or_default().push(run);
    }
    let wanted: HashSet<i64> = sms_ids.values().copied().collect();
    let logged: HashSet<i64> = by_id.keys().copied().collect();
    assert_eq!(
        logged, wanted,
        "the delivery log must name exactly the jobs' SMS notifications"
    );
    // Every attempt at a notification carries its id as the idempotency key, and the built-in
    // sender drops a key it has already sent: a message a killed process had sent but not yet
    // recorded as sent is offered again by the next process, which must not send it twice.
    let mut keys: HashMap<&str, usize> = HashMap::new();
    for l in &lines {
        assert_eq!(
            l.key,
            l.id.to_string(),
            "the key is the notification id: {l:?}"
        );
        *keys.entry(l.key.as_str()).or_default() += 1;
    }
    let twice: Vec<_> = keys.iter().filter(|(_, n)| **n > 1).collect();
    assert!(twice.is_empty(), "keys sent more than once: {twice:?}");
    // And a message recorded as sent before a process was killed was sent by that process or an
    // earlier one, never by a later one.
    for (k, dead) in killed.iter().enumerate() {
        for (id, runs) in &by_id {
            if dead.sent.contains(id) {
                assert!(
                    runs.iter().all(|r| *r <= k),
                    "SMS {id} was recorded as sent before process {} was killed, yet sent \
                     again later: {runs:?}",
                    dead.pid
                );
            }
        }
    }
    println!(
        "{}: {} SMS lines for {ALL} jobs; per process {:?}",
        db.backend(),
        lines.len(),
        pids.iter()
            .map(|p| lines.iter().filter(|l| l.pid == *p).count())
            .collect::<Vec<_>>()
    );
    assert_eq!(lines.len(), ALL, "exactly one delivery per notification");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sqlite_a_due_job_fires_once_after_a_restart() {
    due_jobs_fire_once_across_a_restart(Db::sqlite()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_a_due_job_fires_once_after_a_restart() {
    due_jobs_fire_once_across_a_restart(Db::postgres().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_server_processes_on_one_postgres_database_deliver_a_due_reminder_exactly_once() {
    const JOBS: usize = 300;
    let db = Db::postgres().await;
    let dir = tempfile::tempdir().expect("temp dir");
    let delivery_log = dir.path().join("delivery.jsonl");
    let store = open_store(&db).await;
    let mut a = Server::start(&db, dir.path(), "a", &delivery_log, 50);
    let mut b = Server::start(&db, dir.path(), "b", &delivery_log, 50);
    a.ready().await;
    b.ready().await;
    let (pid_a, pid_b) = (a.pid(), b.pid());

    // Inserted while both poll, so they race for every one of them.
    let t0 = now();
    let jobs = plan_jobs("race", JOBS, |i| t0.plus_seconds(-(i as i64 % 5)));
    schedule(store.as_ref(), &jobs).await;
    wait_all_delivered(
        &db,
        store.as_ref(),
        &mut [&mut a, &mut b],
        JOBS,
        "two servers",
    )
    .await;
    // Both keep polling for a while: nothing may be run or sent a second time.
    tokio::time::sleep(Duration::from_secs(1)).await;
    a.assert_alive();
    b.assert_alive();

    assert_eq!(test_jobs(&db).await, (JOBS, 0, 0));
    assert_no_other_jobs(&db).await;
    let sms_ids = check_jobs(&db, store.as_ref(), &jobs).await;
    assert_eq!(
        count(
            &db,
            "SELECT COUNT(*) FROM notifications WHERE channel = 'in_app'"
        )
        .await,
        JOBS
    );
    assert_eq!(
        count(
            &db,
            "SELECT COUNT(*) FROM notifications WHERE channel = 'sms'"
        )
        .await,
        JOBS
    );
    assert_eq!(sms_sent(&db).await, JOBS);

    let lines = delivery_lines(&delivery_log);
    let distinct: HashSet<i64> = lines.iter().map(|l| l.id).collect();
    assert_eq!(
        lines.len(),
        JOBS,
        "the delivery log should hold one line per job"
    );
    assert_eq!(distinct.len(), JOBS, "an SMS was sent twice");
    let wanted: HashSet<i64> = sms_ids.values().copied().collect();
    assert_eq!(distinct, wanted);
    let by_a = lines.iter().filter(|l| l.pid == pid_a).count();
    let by_b = lines.iter().filter(|l| l.pid == pid_b).count();
    assert_eq!(by_a + by_b, JOBS, "lines from an unknown process");
    println!(
        "two servers: {JOBS} jobs, {JOBS} SMS; process a (pid {pid_a}) sent {by_a}, process b \
         (pid {pid_b}) sent {by_b}"
    );
}
