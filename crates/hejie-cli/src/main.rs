//! `hejie`: the one binary of hejie (和解).

mod bench;
mod bench_field;
mod bench_work;
mod config;
mod demo;
mod import;
mod loadtest;
mod report;
mod retrain;
mod synth;

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand};
use hejie_domain::timestamp::Timestamp;
use hejie_store::Store;
use time::macros::datetime;

#[derive(Debug, Parser)]
#[command(name = "hejie", version, about = "和解 — 一站式矛盾纠纷多元化解平台")]
struct Cli {
    /// Database: `sqlite:path/to/file.db` or `postgres://user@host/db`.
    #[arg(
        long,
        global = true,
        env = "HEJIE_DATABASE_URL",
        default_value = "sqlite:hejie.db"
    )]
    database: String,
    /// File holding the 64-hex-digit key for personal data (see `HEJIE_PII_KEY`).
    #[arg(long, global = true, env = "HEJIE_PII_KEY_FILE")]
    pii_key_file: Option<PathBuf>,
    /// Directory for evidence files (default: beside a SQLite database, `<db>.files`).
    #[arg(long, global = true, env = "HEJIE_FILES_DIR")]
    files_dir: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Create or update the database schema.
    Migrate,
    /// Verify or checkpoint the tamper-evident case log.
    Audit {
        #[command(subcommand)]
        action: AuditAction,
    },
    /// Copy a live SQLite database to a file (online backup).
    Backup { file: PathBuf },
    /// Replace the SQLite database with a backup (stop the server first).
    Restore { file: PathBuf },
    /// Generate the demo county and synthetic cases through the real command path.
    Gen {
        /// Number of cases to generate.
        #[arg(long, default_value_t = 1000)]
        cases: u64,
        /// Seed for reproducible data.
        #[arg(long, default_value_t = 2026)]
        seed: u64,
        /// First year cases are registered in.
        #[arg(long, default_value_t = 2023)]
        from_year: i32,
        /// Do not draw a progress bar.
        #[arg(long)]
        quiet: bool,
    },
    /// Serve the web UI and the API.
    Serve {
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:8080")]
        addr: std::net::SocketAddr,
        /// Mark cookies `Secure` (when served behind TLS).
        #[arg(long)]
        secure_cookies: bool,
        #[command(flatten)]
        scheduler: SchedulerArgs,
    },
    /// Create (or reuse) the demo county (青溪市和安县) with cases in every state, and serve it.
    Demo {
        #[arg(long, default_value = "127.0.0.1:8080")]
        addr: std::net::SocketAddr,
        /// Cases to generate when the database is new (enough for the escalation model to be
        /// trained on them).
        #[arg(long, default_value_t = 4000)]
        cases: u64,
        /// Only create the database; do not serve.
        #[arg(long)]
        no_serve: bool,
        #[command(flatten)]
        scheduler: SchedulerArgs,
    },
    /// Recompute every indicator cell from the case log (ADR 0010); with `--verify`, first
    /// report every cell the incremental aggregate got wrong (exit 1 if any was).
    RebuildAggregates {
        #[arg(long)]
        verify: bool,
    },
    /// Import reference figures for the indicators from a CSV file.
    Import {
        #[command(subcommand)]
        what: ImportWhat,
    },
    /// Check a document (an agreement's PDF, a report) against the record: was it made here,
    /// byte for byte, and for an agreement, do its content hash and every signature hold. Exit
    /// 1 when it does not.
    VerifyDocument { file: PathBuf },
    /// Run the reference court receiver (诉非对接) for trying a deployment: it accepts filing
    /// packages signed with this database's platform key, files each idempotency key once and
    /// prints what it took. Point `HEJIE_COURT_ENDPOINT` at `http://ADDR/filings`.
    CourtReceiver {
        #[arg(long, default_value = "127.0.0.1:8090")]
        addr: std::net::SocketAddr,
    },
    /// Make a document: `report monthly [--division CODE] --month YYYY-MM --out FILE.pdf`.
    Report {
        #[command(subcommand)]
        what: report::What,
    },
    /// Train the escalation model on the closed cases, measure its AUC on the later held-out
    /// period and store it; exit 1 with the reason when there is too little data.
    Retrain(retrain::Args),
    /// Measure registration and generation throughput on SQLite and PostgreSQL.
    Bench(bench::Args),
    /// Drive a running server with many concurrent HTTP clients; report throughput and latency.
    Loadtest(loadtest::Args),
}

/// The durable scheduler of a serving process (reminders, overdue marks, notifications).
#[derive(Debug, Clone, Copy, clap::Args)]
struct SchedulerArgs {
    /// How often to look for due jobs and deliveries, in milliseconds; 0 disables the scheduler
    /// in this process (another process on the same database may run it).
    #[arg(long, default_value_t = 2000)]
    scheduler_poll_ms: u64,
    /// How long a claimed job or delivery is leased, in seconds, before another process may take
    /// it over (after this process died mid-job).
    #[arg(long, default_value_t = 60, value_parser = clap::value_parser!(i64).range(1..=86_400))]
    job_lease_secs: i64,
}

#[derive(Debug, Subcommand)]
enum ImportWhat {
    /// Population per division and year: columns `division,year,population`.
    Population { file: PathBuf },
    /// First-instance civil and commercial filings per division and month, as the court
    /// reports them: columns `division,month,filings` (month as `YYYY-MM`).
    Litigation { file: PathBuf },
}

#[derive(Debug, Subcommand)]
enum AuditAction {
    /// Walk every chain, checkpoint and projection; exit 1 naming the first bad event.
    Verify,
    /// Record a checkpoint over the heads of all cases changed since the last one.
    Checkpoint,
}

/// The wall clock, read here and nowhere else in the binary: the commands that run outside a
/// server (migrations, checkpoints, generation, benchmarks) stamp what they record with it, and
/// `serve` hands the same source to the application's clock.
pub(crate) fn now() -> hejie_domain::timestamp::Timestamp {
    use hejie_server::clock::{Clock, SystemClock};
    SystemClock.now()
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("HEJIE_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn,hejie_server=info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::from(2);
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}

async fn open(url: &str) -> Result<std::sync::Arc<dyn Store>> {
    let store = hejie_store::open(url)
        .await
        .with_context(|| format!("opening database {url}"))?;
    store.migrate(now()).await.context("migrating the schema")?;
    Ok(store)
}

async fn run(cli: Cli) -> Result<ExitCode> {
    match cli.command {
        Command::Migrate => {
            open(&cli.database).await?;
            println!("schema is up to date");
        }
        Command::Audit { action } => {
            let store = open(&cli.database).await?;
            match action {
                AuditAction::Verify => return audit_verify(store.as_ref()).await,
                AuditAction::Checkpoint => match store.checkpoint(now()).await? {
                    Some(cp) => println!(
                        "checkpoint #{} over {} case heads ({} events): {}",
                        cp.id, cp.heads, cp.events, cp.hash
                    ),
                    None => println!("nothing new since the last checkpoint"),
                },
            }
        }
        Command::Backup { file } => {
            let Some(_) = config::sqlite_path(&cli.database) else {
                bail!(
                    "backup is for SQLite; for PostgreSQL use `pg_dump --format=custom --file=<file> <database>` (see README)"
                );
            };
            if file.exists() {
                bail!(
                    "{} already exists; refusing to overwrite it",
                    file.display()
                );
            }
            let store = hejie_store::sqlite::SqliteStore::open(
                config::sqlite_path(&cli.database).unwrap_or_default(),
            )?;
            store.migrate(now()).await?;
            store.backup_to(&file).await.context("online backup")?;
            println!("backed up to {}", file.display());
        }
        Command::Restore { file } => {
            let Some(target) = config::sqlite_path(&cli.database) else {
                bail!(
                    "restore is for SQLite; for PostgreSQL use `pg_restore --clean --dbname=<database> <file>` (see README)"
                );
            };
            hejie_store::sqlite::restore(&file, &target)
                .with_context(|| format!("restoring {}", file.display()))?;
            let store = open(&cli.database).await?;
            let report = store.audit().await?;
            println!(
                "restored {} ({} cases, {} events; audit {})",
                target.display(),
                report.cases,
                report.events,
                if report.is_intact() {
                    "intact"
                } else {
                    "FAILED"
                }
            );
        }
        Command::Gen {
            cases,
            seed,
            from_year,
            quiet,
        } => {
            let sealer = config::sealer(&cli.database, cli.pii_key_file.as_ref())?;
            let store = open(&cli.database).await?;
            let from = Timestamp::from_datetime(
                datetime!(2023-01-01 00:00 +8)
                    .replace_year(from_year)
                    .context("--from-year")?,
            );
            let started = std::time::Instant::now();
            let spec = synth::Spec {
                cases,
                townships: usize::MAX,
                seed,
                from,
                now: now(),
                progress: !quiet,
            };
            let summary = synth::run(store.as_ref(), &sealer, spec).await?;
            let secs = started.elapsed().as_secs_f64();
            let cp = store.checkpoint(now()).await?;
            println!(
                "generated {} cases ({} events) in {:.1}s: {:.0} cases/s, {:.0} events/s{}",
                summary.cases,
                summary.events,
                secs,
                summary.cases as f64 / secs,
                summary.events as f64 / secs,
                cp.map(|c| format!("; checkpoint #{}", c.id))
                    .unwrap_or_default()
            );
            if summary.rejected > 0 {
                bail!("{} generated cases were rejected", summary.rejected);
            }
        }
        Command::Serve {
            addr,
            secure_cookies,
            scheduler,
        } => {
            let sealer = config::sealer(&cli.database, cli.pii_key_file.as_ref())?;
            let store = open(&cli.database).await?;
            let files = config::files_dir(&cli.database, cli.files_dir.as_ref());
            serve(store, sealer, files, addr, secure_cookies, scheduler).await?;
        }
        Command::Demo {
            addr,
            cases,
            no_serve,
            scheduler,
        } => {
            let sealer = config::sealer(&cli.database, cli.pii_key_file.as_ref())?;
            let store = open(&cli.database).await?;
            if demo::seed(store.as_ref(), &sealer, cases).await? {
                demo::train(store.clone()).await?;
            }
            if !no_serve {
                println!("演示系统已启动：http://{addr}/ （按 Ctrl+C 停止）");
                let files = config::files_dir(&cli.database, cli.files_dir.as_ref());
                serve(store, sealer, files, addr, false, scheduler).await?;
            }
        }
        Command::RebuildAggregates { verify } => {
            let store = open(&cli.database).await?;
            return rebuild_aggregates(store.as_ref(), verify).await;
        }
        Command::Import { what } => {
            let store = open(&cli.database).await?;
            match what {
                ImportWhat::Population { file } => {
                    import::population(store.as_ref(), &file).await?
                }
                ImportWhat::Litigation { file } => {
                    import::litigation(store.as_ref(), &file).await?
                }
            }
        }
        Command::Report { what } => {
            let sealer = config::sealer(&cli.database, cli.pii_key_file.as_ref())?;
            let store = open(&cli.database).await?;
            report::run(store, sealer, what).await?;
        }
        Command::CourtReceiver { addr } => {
            let sealer = config::sealer(&cli.database, cli.pii_key_file.as_ref())?;
            let public_key = sealer
                .signing_key(
                    hejie_server::court::PLATFORM_SIGNER,
                    hejie_domain::mediation::SignatureAlgorithm::Sm2,
                )
                .public_hex();
            let court = hejie_court_receiver::Court::new(&public_key);
            let listener = tokio::net::TcpListener::bind(addr)
                .await
                .with_context(|| format!("listening on {addr}"))?;
            println!("参考法院接收端已启动：http://{addr}/filings （平台公钥 {public_key}）");
            axum::serve(listener, hejie_court_receiver::router(court))
                .await
                .context("serving the court receiver")?;
        }
        Command::VerifyDocument { file } => {
            let bytes =
                std::fs::read(&file).with_context(|| format!("reading {}", file.display()))?;
            let store = open(&cli.database).await?;
            return verify_document(store.as_ref(), &bytes).await;
        }
        Command::Retrain(args) => return retrain::run(open(&cli.database).await?, args).await,
        Command::Bench(args) => bench::run(args).await?,
        Command::Loadtest(args) => loadtest::run(args).await?,
    }
    Ok(ExitCode::SUCCESS)
}

async fn serve(
    store: std::sync::Arc<dyn Store>,
    sealer: hejie_crypto::KeyedSealer,
    files_dir: PathBuf,
    addr: std::net::SocketAddr,
    secure_cookies: bool,
    scheduler: SchedulerArgs,
) -> Result<()> {
    std::fs::create_dir_all(&files_dir)
        .with_context(|| format!("creating the files directory {}", files_dir.display()))?;
    let ice_servers = match std::env::var("HEJIE_ICE_SERVERS") {
        Ok(json) => serde_json::from_str(&json).context(
            "HEJIE_ICE_SERVERS: a JSON array like [{\"urls\":\"stun:stun.example.org:3478\"}]",
        )?,
        Err(_) => Vec::new(),
    };
    let config = hejie_server::Config {
        files_dir: Some(files_dir),
        ice_servers,
        court_endpoint: std::env::var("HEJIE_COURT_ENDPOINT").ok(),
        public_url: std::env::var("HEJIE_PUBLIC_URL").ok(),
        secure_cookies,
        scheduler_poll_ms: scheduler.scheduler_poll_ms,
        job_lease_secs: scheduler.job_lease_secs,
        ..hejie_server::Config::default()
    };
    let state = hejie_server::AppState::new(
        store,
        std::sync::Arc::new(sealer),
        std::sync::Arc::new(hejie_server::sms::ConsoleSms),
        config,
    )
    .await
    .map_err(|e| anyhow::anyhow!("{e}"))
    .context("loading reference data")?;
    hejie_server::serve(state, addr).await
}

async fn verify_document(store: &dyn Store, bytes: &[u8]) -> Result<ExitCode> {
    let checked = hejie_server::agreement::verify_document(store, bytes)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let Some(doc) = checked else {
        println!("核验未通过：本系统没有生成过与该文件逐字节一致的文书（文件可能被修改）。");
        return Ok(ExitCode::from(1));
    };
    println!("《{}》", doc.title);
    if let Some(n) = &doc.case_number {
        println!("案件编号：{n}");
    }
    for f in &doc.findings {
        println!("{} {}", if f.ok { "✓" } else { "✗" }, f.text);
    }
    if doc.ok() {
        println!("核验通过。");
        Ok(ExitCode::SUCCESS)
    } else {
        println!("核验未通过。");
        Ok(ExitCode::from(1))
    }
}

async fn rebuild_aggregates(store: &dyn Store, verify: bool) -> Result<ExitCode> {
    let started = std::time::Instant::now();
    let report = store
        .rebuild_aggregates(verify)
        .await
        .context("rebuilding the indicator cells")?;
    let secs = started.elapsed().as_secs_f64().max(1e-6);
    println!(
        "重建完成：{} 个案件，{} 个事件，写入 {} 个统计单元，用时 {secs:.1} 秒（{:.0} 件/秒）",
        report.cases,
        report.events,
        report.cells,
        report.cases as f64 / secs
    );
    if !verify {
        return Ok(ExitCode::SUCCESS);
    }
    if report.differences.is_empty() {
        println!("核对一致：增量统计与重建结果无差异");
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "发现 {} 处差异（区划 日期 类型 指标 原值 重建值），已按重建结果更正：",
        report.differences.len()
    );
    for d in report.differences.iter().take(50) {
        println!("  {d}");
    }
    if report.differences.len() > 50 {
        println!("  ……另有 {} 处", report.differences.len() - 50);
    }
    // Drift means something wrote cells outside the store's append path; the exit code lets
    // a scheduled check notice even though the cells are now right.
    Ok(ExitCode::from(1))
}

async fn audit_verify(store: &dyn Store) -> Result<ExitCode> {
    let report = store.audit().await.context("auditing the case log")?;
    println!(
        "{} cases, {} events, {} checkpoints ({} events not yet checkpointed)",
        report.cases, report.events, report.checkpoints, report.uncheckpointed_events
    );
    if let Some(h) = &report.latest_checkpoint {
        println!("latest checkpoint hash: {h}");
    }
    // The field log (grid workers' and advisors' records) is chained the same way.
    let field = store
        .verify_field_log()
        .await
        .context("verifying the field log")?;
    if field.is_empty() {
        println!("OK: the field log is intact");
    } else {
        println!("TAMPERED: field log: {}", field[0]);
        for p in field.iter().skip(1).take(20) {
            println!("  also: {p}");
        }
    }
    if report.is_intact() {
        println!("OK: the case log is intact");
        return Ok(if field.is_empty() {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(1)
        });
    }
    let first = &report.problems[0];
    println!("TAMPERED: first bad event: {first}");
    for p in report.problems.iter().skip(1).take(20) {
        println!("  also: {p}");
    }
    if report.problems.len() > 21 {
        println!("  … and {} more", report.problems.len() - 21);
    }
    Ok(ExitCode::from(1))
}
