//! `hejie bench --field-reports N --map-grids N`: field work at scale (issue 7).
//!
//! * Sync: one grid worker's phone sends N queued reports, each with a ~40 KB photo thumbnail,
//!   one after another over one keep-alive HTTP/1.1 connection to the real server (as
//!   `static/field.js` does), then sends them all again as a phone whose answers were lost
//!   would. Reported: time, rate, latency percentiles, the server process's resident memory
//!   before, after and at its peak, and that the retry recorded nothing.
//! * Map: a county of N grids (10 townships × villages × 10 grids) with boundaries; the time to
//!   build and render the SVG map of the county (units: townships) and of one township (units:
//!   villages), and its size.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::now;
use anyhow::{Context, Result, anyhow, bail};
use hejie_crypto::{KeyedSealer, MasterKey};
use hejie_domain::division::{Division, DivisionCode};
use hejie_domain::user::{Role, User, UserId};
use hejie_store::Store;
use hejie_store::field::{FieldFilter, NewArea};
use hejie_store::sqlite::SqliteStore;
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::{Method, Request};
use hyper_util::rt::TokioIo;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::bench_work::percentile;

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

/// A line of `/proc/self/status` in MiB (`VmRSS`, `VmHWM`).
fn memory(field: &str) -> String {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map_or_else(|| "?".to_owned(), |kb| format!("{:.1} MiB", kb / 1024.0))
}

async fn state_over(store: Arc<dyn Store>, files: &Path) -> Result<hejie_server::AppState> {
    hejie_server::AppState::new(
        store,
        Arc::new(KeyedSealer::new(&MasterKey::generate())),
        Arc::new(hejie_server::sms::ConsoleSms),
        hejie_server::Config {
            scheduler_poll_ms: 0,
            files_dir: Some(files.to_path_buf()),
            ..hejie_server::Config::default()
        },
    )
    .await
    .map_err(|e| anyhow!("{e}"))
    .context("building the server state")
}

const BOUNDARY: &str = "hejieBenchBoundary";

/// A report as the phone's script sends it, with a JPEG-shaped thumbnail of random bytes (so
/// no two photos are stored as one).
fn report_body(rng: &mut StdRng, id: &str, grid: &str, photo_bytes: usize) -> Vec<u8> {
    let fields = [
        ("id", id.to_owned()),
        ("ledger", "hazard".to_owned()),
        ("category", "消防安全".to_owned()),
        (
            "text",
            "楼道堆放杂物，堵塞消防通道，已提醒住户清理".to_owned(),
        ),
        ("grid", grid.to_owned()),
        ("lat", format!("{:.6}", 29.0 + rng.random_range(0.0..0.1))),
        ("lon", format!("{:.6}", 119.5 + rng.random_range(0.0..0.1))),
        ("accuracy", "12".to_owned()),
        ("observed_at", (now().micros() / 1000).to_string()),
    ];
    let mut body = Vec::with_capacity(photo_bytes + 2048);
    for (k, v) in fields {
        body.extend_from_slice(
            format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n")
                .as_bytes(),
        );
    }
    body.extend_from_slice(
        format!(
            "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"photo\"; filename=\"photo-1.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n"
        )
        .as_bytes(),
    );
    let mut photo = vec![
        0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, b'J', b'F', b'I', b'F', 0x00, 0x01,
    ];
    photo.extend((0..photo_bytes).map(|_| rng.random::<u8>()));
    body.extend_from_slice(&photo);
    body.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
    body
}

/// N reports synced and then re-sent.
pub async fn sync(dir: &Path, n: usize) -> Result<()> {
    let path = dir.join(format!("bench-{}-field.db", std::process::id()));
    let files = dir.join(format!("bench-{}-files", std::process::id()));
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(&path)?);
    store.migrate(now()).await?;
    // One township, one village, one grid and its worker.
    let county = DivisionCode::parse("339021000000")?;
    let town = DivisionCode::parse("339021100000")?;
    let village = DivisionCode::parse("339021100201")?;
    let grid = DivisionCode::parse("339021100201001")?;
    for (code, name, parent) in [
        (&county, "和安县", None),
        (&town, "城关镇", Some(&county)),
        (&village, "东门村", Some(&town)),
        (&grid, "东门村第1网格", Some(&village)),
    ] {
        store
            .put_division(&Division::new(code.clone(), name, parent.cloned(), 1000)?)
            .await?;
    }
    let worker = User::new(
        UserId(uuid::Uuid::now_v7()),
        "bench-grid",
        "赵网格",
        Role::GridWorker,
        grid.clone(),
        None,
    )?;
    store.put_user(&worker).await?;
    let token = hejie_server::auth::random_token();
    store
        .create_api_token(
            &hejie_server::auth::token_hash(&token),
            worker.id,
            "bench",
            now(),
        )
        .await?;
    let state = state_over(store.clone(), &files).await?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let app = hejie_server::app(state);
    let server = tokio::spawn(async move { axum::serve(listener, app).await });

    let stream = tokio::net::TcpStream::connect(addr).await?;
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
    tokio::spawn(conn);
    let mut rng = StdRng::seed_from_u64(7);
    let ids: Vec<String> = (0..n).map(|_| uuid::Uuid::now_v7().to_string()).collect();
    let bodies: Vec<Vec<u8>> = ids
        .iter()
        .map(|id| report_body(&mut rng, id, grid.as_str(), 40 * 1024))
        .collect();
    let bytes: usize = bodies.iter().map(Vec::len).sum();
    println!(
        "  {n} reports, {:.1} MiB in all (one ~40 KB photo each), one phone, one keep-alive connection",
        bytes as f64 / 1024.0 / 1024.0
    );
    let rss_before = memory("VmRSS:");
    let mut send_all = async |expect: u16| -> Result<(Duration, Vec<Duration>)> {
        let mut latencies = Vec::with_capacity(n);
        let started = Instant::now();
        for body in &bodies {
            let req = Request::builder()
                .method(Method::POST)
                .uri(format!("http://{addr}/api/v1/field/reports"))
                .header("host", addr.to_string())
                .header("authorization", format!("Bearer {token}"))
                .header(
                    "content-type",
                    format!("multipart/form-data; boundary={BOUNDARY}"),
                )
                .body(Full::new(Bytes::from(body.clone())))?;
            let t = Instant::now();
            sender.ready().await?;
            let res = sender.send_request(req).await?;
            let status = res.status().as_u16();
            let answer = res.into_body().collect().await?.to_bytes();
            latencies.push(t.elapsed());
            if status != expect {
                bail!(
                    "expected {expect}, got {status}: {}",
                    String::from_utf8_lossy(&answer)
                );
            }
        }
        let total = started.elapsed();
        latencies.sort();
        Ok((total, latencies))
    };
    let (total, lat) = send_all(201).await?;
    let rss_after = memory("VmRSS:");
    println!(
        "  first sync:  {:>8.2} s, {:>6.0} reports/s; latency p50 {}, p95 {}, p99 {}, max {}",
        total.as_secs_f64(),
        n as f64 / total.as_secs_f64(),
        ms(percentile(&lat, 0.5)),
        ms(percentile(&lat, 0.95)),
        ms(percentile(&lat, 0.99)),
        ms(percentile(&lat, 1.0)),
    );
    let (total, lat) = send_all(200).await?;
    println!(
        "  resent (lost answers): {:>8.2} s, {:>6.0} reports/s; latency p50 {}, p95 {}",
        total.as_secs_f64(),
        n as f64 / total.as_secs_f64(),
        ms(percentile(&lat, 0.5)),
        ms(percentile(&lat, 0.95)),
    );
    let kept = store
        .field_records(&FieldFilter {
            limit: u32::try_from(n * 2).unwrap_or(u32::MAX),
            ..FieldFilter::default()
        })
        .await?
        .len();
    let problems = store.verify_field_log().await?;
    println!(
        "  recorded: {kept} records after {} sends (duplicates: {}); field log verified: {}",
        2 * n,
        kept.saturating_sub(n),
        if problems.is_empty() {
            "intact".to_owned()
        } else {
            format!("{} problems", problems.len())
        }
    );
    println!(
        "  server process memory (in-process server): RSS {rss_before} before, {rss_after} after the sync, peak {}",
        memory("VmHWM:")
    );
    server.abort();
    drop(store);
    let _ = std::fs::remove_dir_all(&files);
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
    Ok(())
}

/// A county of about `grids` grids with boundaries, and the map's build and render times.
pub async fn map(dir: &Path, grids: usize) -> Result<()> {
    let path = dir.join(format!("bench-{}-map.db", std::process::id()));
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(&path)?);
    store.migrate(now()).await?;
    let townships = 10_usize;
    let per_village = 10_usize;
    let villages_per_town = grids.div_ceil(townships * per_village).max(1);
    let county = DivisionCode::parse("339021000000")?;
    store
        .put_division(&Division::new(county.clone(), "和安县", None, 500_000)?)
        .await?;
    let mut areas = Vec::new();
    let cell = 0.02;
    let square = |x: f64, y: f64, w: f64, h: f64| {
        format!(
            r#"{{"type":"Polygon","coordinates":[[[{x:.6},{y:.6}],[{:.6},{y:.6}],[{:.6},{:.6}],[{x:.6},{:.6}],[{x:.6},{y:.6}]]]}}"#,
            x + w,
            x + w,
            y + h,
            y + h
        )
    };
    let mut made = 0;
    for t in 0..townships {
        let town = DivisionCode::parse(&format!("339021{:03}000", 100 + t))?;
        store
            .put_division(&Division::new(
                town.clone(),
                &format!("第{}镇", t + 1),
                Some(county.clone()),
                50_000,
            )?)
            .await?;
        for v in 0..villages_per_town {
            let village = DivisionCode::parse(&format!("{}{:03}", &town.as_str()[..9], 201 + v))?;
            store
                .put_division(&Division::new(
                    village.clone(),
                    &format!("第{}村", v + 1),
                    Some(town.clone()),
                    2_000,
                )?)
                .await?;
            let (x, y) = (
                119.5 + (t * 5 + v % 5) as f64 * cell,
                29.0 + (v / 5) as f64 * cell,
            );
            areas.push(NewArea {
                division: village.clone(),
                geometry: square(x, y, cell, cell),
            });
            for g in 0..per_village {
                if made >= grids {
                    break;
                }
                let grid = DivisionCode::parse(&format!("{village}{:03}", g + 1))?;
                store
                    .put_division(&Division::new(
                        grid.clone(),
                        &format!("第{}村第{}网格", v + 1, g + 1),
                        Some(village.clone()),
                        200,
                    )?)
                    .await?;
                let w = cell / per_village as f64;
                areas.push(NewArea {
                    division: grid,
                    geometry: square(x + g as f64 * w, y, w, cell),
                });
                made += 1;
            }
        }
    }
    store.put_areas(areas, "bench", now()).await?;
    let files = dir.join(format!("bench-{}-mapfiles", std::process::id()));
    let state = state_over(store.clone(), &files).await?;
    println!(
        "  {made} grids in {townships} townships ({villages_per_town} villages each), boundaries stored"
    );
    let first_town = DivisionCode::parse("339021100000")?;
    for (label, area) in [
        ("county (units: townships)", &county),
        ("township (units: villages)", &first_town),
    ] {
        let mut times = Vec::new();
        let mut size = 0;
        let mut shapes = 0;
        for _ in 0..10 {
            let t = Instant::now();
            let data = hejie_server::map::data(&state, area, "cases")
                .await
                .map_err(|e| anyhow!("{e}"))?;
            let svg = hejie_server::map::render(
                &data.shapes,
                &data.outlines,
                &data.units,
                "bench",
                "在办案件",
            );
            times.push(t.elapsed());
            size = svg.len();
            shapes = data.shapes.len();
        }
        times.sort();
        println!(
            "  {label:<28} {shapes:>5} grid shapes: build + render p50 {}, max {}; SVG {:.0} KiB",
            ms(percentile(&times, 0.5)),
            ms(percentile(&times, 1.0)),
            size as f64 / 1024.0
        );
    }
    // Rendering alone, the part that grows with the shapes drawn.
    let data = hejie_server::map::data(&state, &county, "cases")
        .await
        .map_err(|e| anyhow!("{e}"))?;
    let t = Instant::now();
    for _ in 0..10 {
        let _ = hejie_server::map::render(
            &data.shapes,
            &data.outlines,
            &data.units,
            "bench",
            "在办案件",
        );
    }
    println!("  render alone (county): {}", ms(t.elapsed() / 10));
    drop(state);
    drop(store);
    let _ = std::fs::remove_dir_all(&files);
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
    Ok(())
}
