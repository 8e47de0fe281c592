//! `hejie loadtest`: drives a running server over HTTP/1.1 with many concurrent clients, each on
//! its own keep-alive connection sending its next request as soon as the last one is answered
//! (a closed loop, like wrk), and reports throughput, latency percentiles and errors per scenario.
//!
//! Scenarios: the case list (`GET /api/v1/cases?limit=20`), case detail (`GET
//! /api/v1/cases/{id}` over ids gathered from the list) and registration (`POST /api/v1/cases`).
//! It signs in with a username and password and then uses a bearer token (or, with `--cookie`,
//! the session cookie and its CSRF token). Registration writes real cases into the database.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::client::conn::http1::SendRequest;
use hyper::header::{self, HeaderName, HeaderValue};
use hyper::{Method, Request, StatusCode};
use hyper_util::rt::TokioIo;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Scenario {
    /// `GET /api/v1/cases?limit=20`.
    List,
    /// `GET /api/v1/cases/{id}` over a pool of ids from the list.
    Detail,
    /// `POST /api/v1/cases` (writes cases).
    Register,
    /// `POST /api/v1/intake/suggest` with varied complaint texts and a village.
    Suggest,
    /// `GET /insight` (数据研判) for the user's area, each township and some villages, this
    /// month and this year, in turn. Needs a supervisor or administrator.
    Dashboard,
    /// `GET /insight/cases` (the cases behind a figure) for every counting metric of those
    /// areas over this year, first and second page, in turn.
    Drilldown,
}

impl Scenario {
    fn label(self) -> &'static str {
        match self {
            Scenario::List => "case list",
            Scenario::Detail => "case detail",
            Scenario::Register => "registration",
            Scenario::Suggest => "intake suggest",
            Scenario::Dashboard => "insight dashboard",
            Scenario::Drilldown => "insight drill-down",
        }
    }
}

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Base URL of a running server (plain HTTP).
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    url: String,
    /// Account to sign in with.
    #[arg(long, default_value = "clerk")]
    username: String,
    #[arg(long, default_value = "demo1234")]
    password: String,
    /// Concurrent clients, each with its own keep-alive connection.
    #[arg(long, default_value_t = 200)]
    clients: usize,
    /// Measured seconds per scenario.
    #[arg(long, default_value_t = 10)]
    duration: u64,
    /// Unmeasured seconds of load before each scenario's measurement.
    #[arg(long, default_value_t = 2)]
    warmup: u64,
    /// Scenarios to run, in order.
    #[arg(
        long,
        value_enum,
        value_delimiter = ',',
        default_value = "list,detail,register"
    )]
    scenarios: Vec<Scenario>,
    /// How many case ids to gather from the list for the detail scenario.
    #[arg(long, default_value_t = 1000)]
    pool: usize,
    /// Authenticate with the session cookie and CSRF header instead of a bearer token.
    #[arg(long)]
    cookie: bool,
    /// Seconds before a request counts as failed.
    #[arg(long, default_value_t = 10)]
    timeout: u64,
    /// Offer this many requests per second in total, spread evenly over the clients, instead of
    /// as many as the server can answer. Latency then counts from when each request was due, so
    /// time spent waiting behind a slow answer is included (no coordinated omission).
    #[arg(long)]
    rate: Option<f64>,
}

/// Where to send requests and how to authenticate them.
#[derive(Debug)]
struct Target {
    /// `host:port`, for connecting and for the `Host` header.
    authority: String,
    auth: Vec<(HeaderName, HeaderValue)>,
    timeout: Duration,
}

impl Target {
    fn request(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
    ) -> Result<Request<Full<Bytes>>> {
        let mut b = Request::builder()
            .method(method)
            .uri(path)
            .header(header::HOST, &self.authority);
        for (k, v) in &self.auth {
            b = b.header(k, v);
        }
        let body = match body {
            Some(v) => {
                b = b.header(header::CONTENT_TYPE, "application/json");
                Bytes::from(serde_json::to_vec(v)?)
            }
            None => Bytes::new(),
        };
        Ok(b.body(Full::new(body))?)
    }

    async fn connect(&self) -> Result<SendRequest<Full<Bytes>>> {
        let stream = tokio::net::TcpStream::connect(&self.authority)
            .await
            .with_context(|| format!("connecting to {}", self.authority))?;
        stream.set_nodelay(true)?;
        let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
        tokio::spawn(async move {
            let _ = conn.await;
        });
        Ok(sender)
    }
}

/// Sends one request on a connection and reads the whole response.
async fn send(
    conn: &mut SendRequest<Full<Bytes>>,
    req: Request<Full<Bytes>>,
) -> Result<(StatusCode, hyper::HeaderMap, Bytes)> {
    conn.ready().await?;
    let res = conn.send_request(req).await?;
    let (parts, body) = res.into_parts();
    let bytes = body.collect().await?.to_bytes();
    Ok((parts.status, parts.headers, bytes))
}

/// One request on a fresh connection, for setting up; fails on a non-2xx status.
async fn call(target: &Target, req: Request<Full<Bytes>>) -> Result<(hyper::HeaderMap, Value)> {
    let what = format!("{} {}", req.method(), req.uri());
    let mut conn = target.connect().await?;
    let (status, headers, body) = tokio::time::timeout(target.timeout, send(&mut conn, req))
        .await
        .map_err(|_| anyhow!("{what}: timed out"))??;
    if !status.is_success() {
        bail!("{what}: {status}: {}", String::from_utf8_lossy(&body));
    }
    let value = if body.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&body).with_context(|| format!("{what}: response is not JSON"))?
    };
    Ok((headers, value))
}

/// What every client of a scenario shares.
#[derive(Debug)]
struct Plan {
    target: Target,
    scenario: Scenario,
    /// Case ids for the detail scenario.
    ids: Vec<String>,
    /// Village codes in the user's jurisdiction, for registrations.
    villages: Vec<String>,
    /// Paths the dashboard and drill-down scenarios go through in turn.
    dashboards: Vec<String>,
    drilldowns: Vec<String>,
}

impl Plan {
    fn next(&self, rng: &mut StdRng, client: usize, seq: u64) -> Result<Request<Full<Bytes>>> {
        match self.scenario {
            Scenario::List => self
                .target
                .request(Method::GET, "/api/v1/cases?limit=20", None),
            Scenario::Detail => {
                let id = &self.ids[rng.random_range(0..self.ids.len())];
                self.target
                    .request(Method::GET, &format!("/api/v1/cases/{id}"), None)
            }
            Scenario::Register => {
                let village = &self.villages[rng.random_range(0..self.villages.len())];
                let phone =
                    |rng: &mut StdRng| format!("139{:08}", rng.random_range(0..100_000_000u32));
                let body = json!({
                    "channel": "visit",
                    "dispute_type": "neighbour",
                    "division": village,
                    "parties": [
                        {"name": format!("压测申请人{client}"), "phone": phone(rng)},
                        {"name": format!("压测被申请人{seq}"), "phone": phone(rng)},
                    ],
                    "description": format!(
                        "压测登记 {client}-{seq}：邻居装修噪音扰民，双方多次协商未果，申请调解。"
                    ),
                });
                self.target
                    .request(Method::POST, "/api/v1/cases", Some(&body))
            }
            Scenario::Suggest => {
                let pick = |rng: &mut StdRng, words: &[&'static str]| {
                    words[rng.random_range(0..words.len())]
                };
                let text = format!(
                    "{}{}{}（{client}-{seq}）",
                    pick(rng, &SUGGEST_WHO),
                    pick(rng, &SUGGEST_WHAT),
                    pick(rng, &SUGGEST_ASK)
                );
                let village = &self.villages[rng.random_range(0..self.villages.len())];
                let body = json!({ "text": text, "division": village });
                self.target
                    .request(Method::POST, "/api/v1/intake/suggest", Some(&body))
            }
            Scenario::Dashboard | Scenario::Drilldown => {
                let paths = if self.scenario == Scenario::Dashboard {
                    &self.dashboards
                } else {
                    &self.drilldowns
                };
                // Each client walks the whole list from its own starting point.
                let k = (client + usize::try_from(seq).unwrap_or(0)) % paths.len().max(1);
                let path = paths.get(k).ok_or_else(|| anyhow!("no insight paths"))?;
                self.target.request(Method::GET, path, None)
            }
        }
    }
}

/// Openings, matters and demands the suggest scenario combines into complaint texts.
const SUGGEST_WHO: [&str; 6] = [
    "村民反映：",
    "网格员上报：",
    "来电称",
    "申请人张某来访，",
    "我家",
    "群众来信：",
];
const SUGGEST_WHAT: [&str; 12] = [
    "包工头拖欠二十多个工人三个月工资，快过年了还不给",
    "邻居装修噪音很大，晚上十一点还在施工",
    "与隔壁因宅基地边界和围墙位置发生争执",
    "在网上买的冰箱收到就坏了，商家拒绝退货",
    "小区物业费上涨，业主认为服务没有改善",
    "儿子不肯支付老人赡养费，母亲生活困难",
    "电动车与小轿车在路口相撞，对方不肯赔偿医药费",
    "化工厂排放废水污染了鱼塘，鱼大量死亡",
    "在镇卫生院做手术后出现感染，怀疑医疗过错",
    "合同约定的货款八万元对方一直没有支付",
    "征地补偿款分配不公，村民意见很大",
    "夫妻感情破裂，就孩子抚养和财产分割协商不成",
];
const SUGGEST_ASK: [&str; 5] = [
    "，请求调解。",
    "，多次协商未果。",
    "，扬言要去县政府上访。",
    "，希望尽快处理。",
    "。",
];

/// What one client saw while measuring.
#[derive(Debug, Default)]
struct Tally {
    /// Latencies of successful responses, in microseconds.
    latencies: Vec<u32>,
    /// Non-2xx responses by status.
    statuses: BTreeMap<u16, u64>,
    /// Timeouts and connection errors.
    transport: u64,
    first_error: Option<String>,
}

/// When one client sends: as soon as its last answer is in, or on a fixed schedule.
#[derive(Debug, Clone, Copy)]
struct Pace {
    measure_from: Instant,
    until: Instant,
    /// Time between one client's requests, when paced.
    interval: Option<Duration>,
}

async fn client(plan: Arc<Plan>, index: usize, clients: usize, pace: Pace) -> Tally {
    let Pace {
        measure_from,
        until,
        interval,
    } = pace;
    let mut rng = StdRng::seed_from_u64(index as u64 ^ 0x0068_656a_6965);
    let mut tally = Tally::default();
    let mut conn: Option<SendRequest<Full<Bytes>>> = None;
    let mut seq = 0u64;
    // Paced clients start staggered over one interval.
    let mut due = interval.map(|i| Instant::now() + i.mul_f64(index as f64 / clients as f64));
    while Instant::now() < until {
        if let (Some(d), Some(i)) = (due.as_mut(), interval) {
            tokio::time::sleep_until((*d).into()).await;
            if *d >= until {
                break;
            }
            *d += i;
        }
        seq += 1;
        let req = match plan.next(&mut rng, index, seq) {
            Ok(r) => r,
            Err(e) => {
                tally.transport += 1;
                tally.first_error.get_or_insert_with(|| format!("{e:#}"));
                break;
            }
        };
        let started = match (due, interval) {
            (Some(d), Some(i)) => d - i,
            _ => Instant::now(),
        };
        let measured = started >= measure_from;
        let result = async {
            let c = match &mut conn {
                Some(c) => c,
                None => conn.insert(plan.target.connect().await?),
            };
            send(c, req).await
        };
        match tokio::time::timeout(plan.target.timeout, result).await {
            Ok(Ok((status, _, body))) => {
                if !measured {
                    continue;
                }
                if status.is_success() {
                    let us = started.elapsed().as_micros();
                    tally.latencies.push(u32::try_from(us).unwrap_or(u32::MAX));
                } else {
                    *tally.statuses.entry(status.as_u16()).or_default() += 1;
                    tally.first_error.get_or_insert_with(|| {
                        format!("{status}: {}", String::from_utf8_lossy(&body))
                    });
                }
            }
            Ok(Err(e)) => {
                conn = None;
                if measured {
                    tally.transport += 1;
                    tally.first_error.get_or_insert_with(|| format!("{e:#}"));
                }
            }
            Err(_) => {
                conn = None;
                if measured {
                    tally.transport += 1;
                    tally
                        .first_error
                        .get_or_insert_with(|| "request timed out".to_owned());
                }
            }
        }
    }
    tally
}

/// The value below which a fraction `q` of the sorted samples lie.
fn percentile(sorted: &[u32], q: f64) -> u32 {
    if sorted.is_empty() {
        return 0;
    }
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

fn ms(us: u32) -> String {
    format!("{:.1}ms", f64::from(us) / 1000.0)
}

async fn run_scenario(
    plan: Arc<Plan>,
    clients: usize,
    warmup: Duration,
    duration: Duration,
    interval: Option<Duration>,
) -> Tally {
    let start = Instant::now();
    let measure_from = start + warmup;
    let pace = Pace {
        measure_from,
        until: measure_from + duration,
        interval,
    };
    let handles: Vec<_> = (0..clients)
        .map(|i| tokio::spawn(client(plan.clone(), i, clients, pace)))
        .collect();
    let mut all = Tally::default();
    for h in handles {
        match h.await {
            Ok(t) => {
                all.latencies.extend(t.latencies);
                for (s, n) in t.statuses {
                    *all.statuses.entry(s).or_default() += n;
                }
                all.transport += t.transport;
                if all.first_error.is_none() {
                    all.first_error = t.first_error;
                }
            }
            Err(e) => {
                all.transport += 1;
                all.first_error
                    .get_or_insert_with(|| format!("client task: {e}"));
            }
        }
    }
    all.latencies.sort_unstable();
    all
}

/// Signs in and returns the headers that authenticate later requests, and the user.
async fn sign_in(target: &Target, args: &Args) -> Result<(Vec<(HeaderName, HeaderValue)>, Value)> {
    let login = target.request(
        Method::POST,
        "/api/v1/auth/login",
        Some(&json!({ "username": args.username, "password": args.password })),
    )?;
    let (headers, body) = call(target, login).await.context("signing in")?;
    let cookie = headers
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| v.split(';').next())
        .find(|kv| kv.starts_with("hejie_session="))
        .ok_or_else(|| anyhow!("sign-in set no session cookie"))?
        .to_owned();
    let csrf = body["csrf_token"]
        .as_str()
        .ok_or_else(|| anyhow!("sign-in returned no csrf_token"))?
        .to_owned();
    let session = vec![
        (header::COOKIE, HeaderValue::from_str(&cookie)?),
        (
            HeaderName::from_static("x-csrf-token"),
            HeaderValue::from_str(&csrf)?,
        ),
    ];
    if args.cookie {
        return Ok((session, body["user"].clone()));
    }
    let with_session = Target {
        authority: target.authority.clone(),
        auth: session,
        timeout: target.timeout,
    };
    let req = with_session.request(
        Method::POST,
        "/api/v1/auth/tokens",
        Some(&json!({ "name": "hejie loadtest" })),
    )?;
    let (_, token) = call(&with_session, req).await.context("creating a token")?;
    let token = token["token"]
        .as_str()
        .ok_or_else(|| anyhow!("no token in the response"))?;
    Ok((
        vec![(
            header::AUTHORIZATION,
            HeaderValue::from_str(&format!("Bearer {token}"))?,
        )],
        body["user"].clone(),
    ))
}

/// Villages inside `jurisdiction`, from `GET /api/v1/divisions`.
async fn villages(target: &Target, jurisdiction: &str) -> Result<Vec<String>> {
    let (_, divisions) = call(
        target,
        target.request(Method::GET, "/api/v1/divisions", None)?,
    )
    .await
    .context("reading divisions")?;
    let all = divisions
        .as_array()
        .ok_or_else(|| anyhow!("divisions are not a list"))?;
    let parent: HashMap<&str, &str> = all
        .iter()
        .filter_map(|d| Some((d["code"].as_str()?, d["parent"].as_str()?)))
        .collect();
    let inside = |code: &str| {
        let mut c = code;
        loop {
            if c == jurisdiction {
                return true;
            }
            match parent.get(c) {
                Some(p) => c = p,
                None => return false,
            }
        }
    };
    Ok(all
        .iter()
        .filter(|d| d["level"] == "village")
        .filter_map(|d| d["code"].as_str())
        .filter(|c| inside(c))
        .map(str::to_owned)
        .collect())
}

/// The counting metrics the drill-down scenario lists the cases of.
const DRILL_METRICS: [&str; 8] = [
    "registered",
    "found_by_sweep",
    "mediated",
    "succeeded",
    "closed",
    "followed_up",
    "resolved_locally",
    "satisfied",
];

/// The areas the insight scenarios look at: the user's jurisdiction, every area one level down,
/// and the first three villages.
async fn insight_paths(target: &Target, jurisdiction: &str) -> Result<(Vec<String>, Vec<String>)> {
    let (_, divisions) = call(
        target,
        target.request(Method::GET, "/api/v1/divisions", None)?,
    )
    .await
    .context("reading divisions")?;
    let all = divisions
        .as_array()
        .ok_or_else(|| anyhow!("divisions are not a list"))?;
    let mut areas = vec![jurisdiction.to_owned()];
    areas.extend(
        all.iter()
            .filter(|d| d["parent"].as_str() == Some(jurisdiction))
            .filter_map(|d| d["code"].as_str().map(str::to_owned)),
    );
    areas.extend(villages(target, jurisdiction).await?.into_iter().take(3));
    areas.dedup();
    let mut dashboards = Vec::new();
    let mut drilldowns = Vec::new();
    for a in &areas {
        for period in ["month", "year"] {
            dashboards.push(format!("/insight?division={a}&period={period}"));
        }
        for m in DRILL_METRICS {
            for offset in [0, 50] {
                drilldowns.push(format!(
                    "/insight/cases?division={a}&period=year&metric={m}&offset={offset}"
                ));
            }
        }
    }
    Ok((dashboards, drilldowns))
}

/// Case ids from the newest pages of the list.
async fn case_ids(target: &Target, want: usize) -> Result<Vec<String>> {
    let mut ids = Vec::new();
    let mut cursor: Option<String> = None;
    while ids.len() < want {
        let path = match &cursor {
            Some(c) => format!("/api/v1/cases?limit=200&cursor={c}"),
            None => "/api/v1/cases?limit=200".to_owned(),
        };
        let (_, page) = call(target, target.request(Method::GET, &path, None)?)
            .await
            .context("listing cases")?;
        let items = page["items"].as_array().cloned().unwrap_or_default();
        ids.extend(
            items
                .iter()
                .filter_map(|i| i["id"].as_str().map(str::to_owned)),
        );
        match page["next_cursor"].as_str() {
            Some(c) if !items.is_empty() => cursor = Some(c.to_owned()),
            _ => break,
        }
    }
    ids.truncate(want);
    Ok(ids)
}

pub async fn run(args: Args) -> Result<()> {
    let authority = args
        .url
        .strip_prefix("http://")
        .ok_or_else(|| anyhow!("--url must start with http://"))?
        .trim_end_matches('/')
        .to_owned();
    if authority.contains('/') {
        bail!("--url must be the server's root, e.g. http://127.0.0.1:8080");
    }
    if args.clients == 0 || args.duration == 0 {
        bail!("--clients and --duration must be positive");
    }
    let interval = match args.rate {
        Some(r) if r.is_finite() && r > 0.0 => {
            Some(Duration::from_secs_f64(args.clients as f64 / r))
        }
        Some(_) => bail!("--rate must be a positive number of requests per second"),
        None => None,
    };
    let mut target = Target {
        authority,
        auth: Vec::new(),
        timeout: Duration::from_secs(args.timeout.max(1)),
    };
    let (_, health) = call(&target, target.request(Method::GET, "/healthz", None)?)
        .await
        .context("checking /healthz; is the server running?")?;
    let (auth, user) = sign_in(&target, &args).await?;
    target.auth = auth;
    let jurisdiction = user["jurisdiction"].as_str().unwrap_or_default().to_owned();
    let needs = |s| args.scenarios.contains(&s);
    let ids = if needs(Scenario::Detail) {
        let ids = case_ids(&target, args.pool.max(1)).await?;
        if ids.is_empty() {
            bail!("the detail scenario needs cases, and the list is empty");
        }
        ids
    } else {
        Vec::new()
    };
    let villages = if needs(Scenario::Register) || needs(Scenario::Suggest) {
        let v = villages(&target, &jurisdiction).await?;
        if v.is_empty() {
            bail!("no village in the jurisdiction of {}", args.username);
        }
        v
    } else {
        Vec::new()
    };
    let (dashboards, drilldowns) = if needs(Scenario::Dashboard) || needs(Scenario::Drilldown) {
        if !args.cookie {
            bail!("the insight scenarios are web pages: add --cookie");
        }
        insight_paths(&target, &jurisdiction).await?
    } else {
        (Vec::new(), Vec::new())
    };
    println!(
        "hejie loadtest: {} ({}), user {} ({}), {} clients, {}s warm-up + {}s per scenario, auth by {}",
        args.url,
        health["database"].as_str().unwrap_or("?"),
        args.username,
        user["jurisdiction_name"].as_str().unwrap_or(&jurisdiction),
        args.clients,
        args.warmup,
        args.duration,
        if args.cookie {
            "session cookie"
        } else {
            "bearer token"
        },
    );
    match args.rate {
        Some(r) => println!(
            "paced: {r} requests/s offered in total; latency counts from when a request was due"
        ),
        None => {
            println!("closed loop: each client sends its next request when the last is answered")
        }
    }
    if needs(Scenario::Detail) {
        println!("detail pool: {} case ids from the list", ids.len());
    }
    let mut plan = Arc::new(Plan {
        target,
        scenario: Scenario::List,
        ids,
        villages,
        dashboards,
        drilldowns,
    });
    println!(
        "{:<18} {:>8} {:>7} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9}",
        "scenario", "ok", "errors", "req/s", "p50", "p90", "p95", "p99", "max"
    );
    let mut failed = false;
    for &scenario in &args.scenarios {
        match Arc::get_mut(&mut plan) {
            Some(p) => p.scenario = scenario,
            None => bail!("a client of the previous scenario is still running"),
        }
        let t = run_scenario(
            plan.clone(),
            args.clients,
            Duration::from_secs(args.warmup),
            Duration::from_secs(args.duration),
            interval,
        )
        .await;
        let errors: u64 = t.statuses.values().sum::<u64>() + t.transport;
        let ok = t.latencies.len();
        let l = &t.latencies;
        println!(
            "{:<18} {:>8} {:>7} {:>9.1} {:>9} {:>9} {:>9} {:>9} {:>9}",
            scenario.label(),
            ok,
            errors,
            ok as f64 / args.duration as f64,
            ms(percentile(l, 0.50)),
            ms(percentile(l, 0.90)),
            ms(percentile(l, 0.95)),
            ms(percentile(l, 0.99)),
            ms(l.last().copied().unwrap_or(0)),
        );
        if errors > 0 {
            failed = true;
            let by_status: Vec<String> =
                t.statuses.iter().map(|(s, n)| format!("{n}×{s}")).collect();
            println!(
                "  errors: {} transport/timeouts{}{}; first: {}",
                t.transport,
                if by_status.is_empty() { "" } else { ", " },
                by_status.join(", "),
                t.first_error.as_deref().unwrap_or("?"),
            );
        }
    }
    if failed {
        bail!("some requests failed");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::percentile;

    #[test]
    fn percentiles_are_nearest_rank() {
        let v: Vec<u32> = (1..=100).collect();
        assert_eq!(percentile(&v, 0.5), 50);
        assert_eq!(percentile(&v, 0.99), 99);
        assert_eq!(percentile(&v, 1.0), 100);
        assert_eq!(percentile(&[7], 0.99), 7);
        assert_eq!(percentile(&[], 0.5), 0);
    }
}
