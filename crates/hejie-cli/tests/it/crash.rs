//! Crash test with real processes: while 50 clients register cases through the API, the server is
//! killed with SIGKILL. After a restart on the same database every registration that was answered
//! 2xx is there with its number, status and registration event; no case is half-written (a case
//! row always has its parties and its event, whether or not its answer got out); case numbers are
//! still unique, also for the next registration; and `hejie audit verify` passes.

use std::collections::{HashMap, HashSet};
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::client::conn::http1::SendRequest;
use hyper::{Method, Request, StatusCode, header};
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};

use crate::{Db, ok, stdout};

const CLIENTS: usize = 50;
/// Every description written by this test starts with this, so its cases can be told apart.
const MARK: &str = "崩溃测试";
/// Load runs at least this long before the kill…
const MIN_LOAD: Duration = Duration::from_millis(1500);
/// …and at most this long while waiting for the first answers.
const MAX_LOAD: Duration = Duration::from_secs(60);
const REQUEST_TIMEOUT: Duration = Duration::from_secs(15);

/// A `hejie serve` child process, killed if the test ends early.
#[derive(Debug)]
struct Server {
    child: Child,
    authority: String,
    log: PathBuf,
}

impl Server {
    fn start(db: &Db, logs: &Path, name: &str) -> Server {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let authority = format!("127.0.0.1:{port}");
        let log = logs.join(format!("{name}.log"));
        let file = std::fs::File::create(&log).expect("server log file");
        let child = Command::new(env!("CARGO_BIN_EXE_hejie"))
            .arg("--database")
            .arg(db.url())
            .args(["serve", "--addr", &authority])
            .env("HEJIE_PII_KEY", "7f".repeat(32))
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
            if let Ok((StatusCode::OK, _, _)) =
                once(&self.authority, Method::GET, "/healthz", &[], None).await
            {
                return;
            }
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "hejie serve did not answer /healthz within 60 s:\n{}",
                self.log_text()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// SIGKILL (what `Child::kill` sends on Unix), and reaping.
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

type Conn = SendRequest<Full<Bytes>>;

async fn connect(authority: &str) -> Result<Conn, String> {
    let stream = tokio::net::TcpStream::connect(authority)
        .await
        .map_err(|e| format!("connect: {e}"))?;
    let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| format!("handshake: {e}"))?;
    tokio::spawn(async move {
        let _ = conn.await;
    });
    Ok(sender)
}

/// One request on an open connection, with a timeout; the body is parsed as JSON when it is.
async fn exchange(
    conn: &mut Conn,
    authority: &str,
    method: Method,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<&Value>,
) -> Result<(StatusCode, hyper::HeaderMap, Value), String> {
    let mut req = Request::builder()
        .method(method.clone())
        .uri(path)
        .header(header::HOST, authority);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let bytes = match body {
        Some(b) => {
            req = req.header(header::CONTENT_TYPE, "application/json");
            Bytes::from(serde_json::to_vec(b).map_err(|e| e.to_string())?)
        }
        None => Bytes::new(),
    };
    let req = req.body(Full::new(bytes)).map_err(|e| e.to_string())?;
    let work = async {
        conn.ready().await.map_err(|e| format!("connection: {e}"))?;
        let res = conn
            .send_request(req)
            .await
            .map_err(|e| format!("send: {e}"))?;
        let (parts, body) = res.into_parts();
        let body = body
            .collect()
            .await
            .map_err(|e| format!("body: {e}"))?
            .to_bytes();
        let value = serde_json::from_slice(&body)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&body).into_owned()));
        Ok((parts.status, parts.headers, value))
    };
    tokio::time::timeout(REQUEST_TIMEOUT, work)
        .await
        .map_err(|_| format!("{method} {path}: no answer within {REQUEST_TIMEOUT:?}"))?
}

/// One request on a fresh connection.
async fn once(
    authority: &str,
    method: Method,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<&Value>,
) -> Result<(StatusCode, hyper::HeaderMap, Value), String> {
    let mut conn = connect(authority).await?;
    exchange(&mut conn, authority, method, path, headers, body).await
}

/// A request that must succeed with `want`; returns the JSON body.
async fn expect(
    authority: &str,
    method: Method,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<&Value>,
    want: StatusCode,
) -> Value {
    let (status, _, value) = once(authority, method.clone(), path, headers, body)
        .await
        .unwrap_or_else(|e| panic!("{method} {path}: {e}"));
    assert_eq!(status, want, "{method} {path} answered {value}");
    value
}

/// Signs in as the demo clerk and creates a bearer token.
async fn bearer_token(authority: &str) -> String {
    let (status, headers, body) = once(
        authority,
        Method::POST,
        "/api/v1/auth/login",
        &[],
        Some(&json!({"username": "clerk", "password": "demo1234"})),
    )
    .await
    .expect("sign in");
    assert_eq!(status, StatusCode::OK, "sign-in answered {body}");
    let cookie = headers
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| v.split(';').next())
        .find(|kv| kv.starts_with("hejie_session="))
        .expect("a session cookie")
        .to_owned();
    let csrf = body["csrf_token"].as_str().expect("csrf_token").to_owned();
    let token = expect(
        authority,
        Method::POST,
        "/api/v1/auth/tokens",
        &[("cookie", &cookie), ("x-csrf-token", &csrf)],
        Some(&json!({"name": "崩溃测试"})),
        StatusCode::CREATED,
    )
    .await;
    format!("Bearer {}", token["token"].as_str().expect("token"))
}

/// Every case the clerk can list, by id, following the cursor.
async fn all_cases(authority: &str, auth: &str) -> HashMap<String, Value> {
    let mut out = HashMap::new();
    let mut cursor = String::new();
    loop {
        let path = if cursor.is_empty() {
            "/api/v1/cases?limit=200".to_owned()
        } else {
            format!("/api/v1/cases?limit=200&cursor={cursor}")
        };
        let page = expect(
            authority,
            Method::GET,
            &path,
            &[("authorization", auth)],
            None,
            StatusCode::OK,
        )
        .await;
        for item in page["items"].as_array().expect("items") {
            let id = item["id"].as_str().expect("id").to_owned();
            out.insert(id, item.clone());
        }
        match page["next_cursor"].as_str() {
            Some(c) => cursor = c.to_owned(),
            None => return out,
        }
    }
}

fn registration(village: &str, client: usize, seq: u64) -> Value {
    json!({
        "channel": "visit",
        "dispute_type": "neighbour",
        "division": village,
        "parties": [
            {"name": format!("申请人{client}"), "phone": format!("138{:04}{:04}", client, seq % 10_000)},
            {"name": format!("被申请人{client}-{seq}"), "phone": format!("139{:04}{:04}", client, seq % 10_000)},
        ],
        "description": format!("{MARK} c{client} #{seq}：邻居装修噪音扰民，双方多次争吵，申请调解。"),
    })
}

/// A registration the server answered 2xx.
#[derive(Debug, Clone)]
struct Acked {
    id: String,
    number: String,
    description: String,
}

#[derive(Debug, Default)]
struct ClientEnd {
    /// Answers other than 2xx, which valid registrations should never get.
    refused: Vec<String>,
    /// 2xx answers that did not look like a case.
    malformed: Vec<String>,
}

/// Registers cases one after another on one keep-alive connection until told to stop or the
/// connection dies (the server was killed).
async fn register_loop(
    authority: String,
    auth: String,
    village: String,
    client: usize,
    stop: Arc<AtomicBool>,
    acked: Arc<Mutex<Vec<Acked>>>,
    answered: Arc<AtomicUsize>,
) -> ClientEnd {
    let mut end = ClientEnd::default();
    let Ok(mut conn) = connect(&authority).await else {
        return end;
    };
    let mut seq = 0;
    while !stop.load(Ordering::SeqCst) {
        seq += 1;
        let body = registration(&village, client, seq);
        let sent = exchange(
            &mut conn,
            &authority,
            Method::POST,
            "/api/v1/cases",
            &[("authorization", &auth)],
            Some(&body),
        )
        .await;
        match sent {
            Ok((status, _, case)) if status.is_success() => {
                match (case["id"].as_str(), case["number"].as_str()) {
                    (Some(id), Some(number)) => {
                        acked.lock().expect("acked").push(Acked {
                            id: id.to_owned(),
                            number: number.to_owned(),
                            description: body["description"].as_str().unwrap_or("").to_owned(),
                        });
                        answered.fetch_add(1, Ordering::SeqCst);
                    }
                    _ => end.malformed.push(format!("{status}: {case}")),
                }
            }
            Ok((status, _, answer)) => end.refused.push(format!("{status}: {answer}")),
            // The connection died: the server is gone.
            Err(_) => break,
        }
    }
    end
}

/// Checks that a case is complete: readable, registered, with one registration event.
async fn check_case(authority: &str, auth: &str, id: &str, want: Option<&Acked>) -> String {
    let headers = [("authorization", auth)];
    let path = format!("/api/v1/cases/{id}");
    let (status, _, case) = once(authority, Method::GET, &path, &headers, None)
        .await
        .unwrap_or_else(|e| panic!("GET {path}: {e}"));
    assert_eq!(
        status,
        StatusCode::OK,
        "case {id} {} is missing after the restart: {case}",
        want.map_or("(committed, unanswered)", |a| a.number.as_str())
    );
    let number = case["number"].as_str().unwrap_or_default().to_owned();
    if let Some(a) = want {
        assert_eq!(number, a.number, "case {id} changed its number");
        assert_eq!(
            case["description"].as_str(),
            Some(a.description.as_str()),
            "case {id} changed its description"
        );
    }
    assert_eq!(
        case["status"]["code"], "registered",
        "case {id} {number} should be registered: {case}"
    );
    // A registration is two events, written together: 登记 and its 受理时限 (ADR 0009).
    assert_eq!(
        case["version"], 2,
        "case {id} {number} should be at version 2"
    );
    assert_eq!(
        case["parties"].as_array().map(Vec::len),
        Some(2),
        "case {id} {number} lost parties: {case}"
    );
    let events = expect(
        authority,
        Method::GET,
        &format!("{path}/events"),
        &headers,
        None,
        StatusCode::OK,
    )
    .await;
    let events = events.as_array().expect("events list");
    assert_eq!(
        events.len(),
        2,
        "case {id} {number} should have exactly its registration and its time limit: {events:?}"
    );
    assert_eq!(events[0]["kind"], "registered", "case {id} {number}");
    assert_eq!(events[0]["version"], 1, "case {id} {number}");
    assert_eq!(events[1]["kind"], "time_limit_set", "case {id} {number}");
    assert_eq!(
        events[0]["hash"].as_str().map(str::len),
        Some(64),
        "case {id} {number} has no event hash: {}",
        events[0]
    );
    number
}

/// A text holding a count, from SQL that works on both backends.
async fn count(db: &Db, sql: &str) -> usize {
    db.query_text(&format!("SELECT CAST(({sql}) AS TEXT)"))
        .await
        .parse()
        .expect("a count")
}

async fn crash_while_registering(db: Db) {
    let logs = tempfile::tempdir().expect("log dir");
    ok(db.hejie(&["demo", "--no-serve", "--cases", "20"]));
    let mut server = Server::start(&db, logs.path(), "before-kill");
    server.ready().await;
    let authority = server.authority.clone();
    let auth = bearer_token(&authority).await;
    let divisions = expect(
        &authority,
        Method::GET,
        "/api/v1/divisions",
        &[("authorization", &auth)],
        None,
        StatusCode::OK,
    )
    .await;
    let village = divisions
        .as_array()
        .expect("divisions")
        .iter()
        .find(|d| d["level"] == "village")
        .and_then(|d| d["code"].as_str())
        .expect("a village in the demo county")
        .to_owned();
    let seeded = all_cases(&authority, &auth).await;
    assert!(!seeded.is_empty(), "the demo seeded no cases");

    // Load, then SIGKILL in the middle of it.
    let stop = Arc::new(AtomicBool::new(false));
    let acked = Arc::new(Mutex::new(Vec::new()));
    let answered = Arc::new(AtomicUsize::new(0));
    let clients: Vec<_> = (0..CLIENTS)
        .map(|c| {
            tokio::spawn(register_loop(
                authority.clone(),
                auth.clone(),
                village.clone(),
                c,
                stop.clone(),
                acked.clone(),
                answered.clone(),
            ))
        })
        .collect();
    let started = Instant::now();
    while started.elapsed() < MIN_LOAD || answered.load(Ordering::SeqCst) < CLIENTS {
        assert!(
            started.elapsed() < MAX_LOAD,
            "only {} registrations were answered in {MAX_LOAD:?}; server log:\n{}",
            answered.load(Ordering::SeqCst),
            server.log_text()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    server.kill();
    let load = started.elapsed();
    stop.store(true, Ordering::SeqCst);
    let mut refused = Vec::new();
    let mut malformed = Vec::new();
    for c in clients {
        let end = tokio::time::timeout(Duration::from_secs(60), c)
            .await
            .expect("a client hung after the kill")
            .expect("client task");
        refused.extend(end.refused);
        malformed.extend(end.malformed);
    }
    let first_log = server.log_text();
    assert!(
        refused.is_empty(),
        "{} valid registrations were refused, e.g. {:?}; server log:\n{first_log}",
        refused.len(),
        &refused[..refused.len().min(5)]
    );
    assert!(
        malformed.is_empty(),
        "2xx answers without a case: {malformed:?}"
    );
    let acked = acked.lock().expect("acked").clone();
    let mut numbers = HashSet::new();
    for a in &acked {
        assert!(
            numbers.insert(a.number.clone()),
            "number {} was answered twice",
            a.number
        );
    }

    // Restart on the same database.
    let mut server = Server::start(&db, logs.path(), "after-restart");
    server.ready().await;
    let authority = server.authority.clone();

    // Every answered registration is there, complete.
    let checks: Vec<_> = acked
        .chunks(acked.len().div_ceil(8).max(1))
        .map(|chunk| {
            let (authority, auth, chunk) = (authority.clone(), auth.clone(), chunk.to_vec());
            tokio::spawn(async move {
                for a in &chunk {
                    check_case(&authority, &auth, &a.id, Some(a)).await;
                }
            })
        })
        .collect();
    for c in checks {
        c.await.expect("checking answered registrations");
    }

    // Every case the load wrote, answered or not, is complete; nothing else appeared.
    let after = all_cases(&authority, &auth).await;
    let acked_ids: HashSet<&str> = acked.iter().map(|a| a.id.as_str()).collect();
    let mut unanswered = 0;
    for (id, item) in &after {
        if seeded.contains_key(id) {
            continue;
        }
        let description = item["description"].as_str().unwrap_or_default();
        assert!(
            description.starts_with(MARK),
            "an unexpected case appeared: {item}"
        );
        if !acked_ids.contains(id.as_str()) {
            unanswered += 1;
            let number = check_case(&authority, &auth, id, None).await;
            assert!(
                numbers.insert(number.clone()),
                "number {number} of an unanswered registration is also another case's"
            );
        }
    }
    for id in seeded.keys() {
        assert!(after.contains_key(id), "seeded case {id} disappeared");
    }
    let written = after.len() - seeded.len();
    assert_eq!(written, acked.len() + unanswered);

    // The same, in the tables: each case row has its two parties and its two events (登记 and
    // its 受理时限).
    let mark = format!("description LIKE '{MARK}%'");
    assert_eq!(count(&db, "SELECT COUNT(*) FROM cases").await, after.len());
    assert_eq!(
        count(&db, &format!("SELECT COUNT(*) FROM cases WHERE {mark}")).await,
        written
    );
    assert_eq!(
        count(
            &db,
            &format!(
                "SELECT COUNT(*) FROM events WHERE case_id IN (SELECT id FROM cases WHERE {mark})"
            )
        )
        .await,
        2 * written,
        "events of the load's cases"
    );
    assert_eq!(
        count(
            &db,
            &format!(
                "SELECT COUNT(*) FROM case_parties WHERE case_id IN (SELECT id FROM cases WHERE {mark})"
            )
        )
        .await,
        2 * written,
        "parties of the load's cases"
    );

    // Numbering carries on without reusing a number.
    let next = expect(
        &authority,
        Method::POST,
        "/api/v1/cases",
        &[("authorization", &auth)],
        Some(&registration(&village, CLIENTS, 1)),
        StatusCode::CREATED,
    )
    .await;
    let next_number = next["number"].as_str().expect("number").to_owned();
    assert!(
        numbers.insert(next_number.clone()),
        "the first registration after the restart reused number {next_number}"
    );
    drop(server);

    let verified = ok(db.hejie(&["audit", "verify"]));
    assert!(
        stdout(&verified).contains("OK: the case log is intact"),
        "{}",
        stdout(&verified)
    );
    eprintln!(
        "{}: {CLIENTS} clients for {load:.1?}, SIGKILL; {} registrations answered 2xx, \
         {unanswered} committed without an answer; all complete after restart; audit OK",
        db.backend(),
        acked.len()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sqlite_sigkill_during_concurrent_registration_loses_nothing_answered() {
    crash_while_registering(Db::sqlite()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_sigkill_during_concurrent_registration_loses_nothing_answered() {
    crash_while_registering(Db::postgres().await).await;
}
