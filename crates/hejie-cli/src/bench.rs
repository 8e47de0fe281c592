//! `hejie bench`: durable registrations per second on SQLite and PostgreSQL, with one writer and
//! with concurrent writers, the throughput of `gen`, and classifications per second of the intake
//! classifier. Prints a table; asserts nothing.

use std::path::PathBuf;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Instant;

use crate::now;
use anyhow::{Context, Result};
use hejie_crypto::{KeyedSealer, MasterKey};
use hejie_store::Store;
use hejie_store::postgres::PgStore;
use hejie_store::sqlite::SqliteStore;
use rand::SeedableRng;
use rand::rngs::StdRng;
use sqlx::postgres::PgConnectOptions;

use crate::synth;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Registrations per scenario (0 skips the registration scenarios).
    #[arg(long, default_value_t = 4000)]
    registrations: u64,
    /// Cases for the `gen` throughput run, each with its whole life of events (0 skips it).
    #[arg(long, default_value_t = 5000)]
    gen_cases: u64,
    /// Scheduled jobs for the scheduler run (10% due now); 0 skips it.
    #[arg(long, default_value_t = 0)]
    jobs: usize,
    /// Open cases held by one village committee for the work-queue run; 0 skips it.
    #[arg(long, default_value_t = 0)]
    queue_cases: usize,
    /// Queued field reports (each with a photo thumbnail) one phone syncs and re-sends; 0 skips.
    #[arg(long, default_value_t = 0)]
    field_reports: usize,
    /// Grids of the county whose SVG map is built and rendered; 0 skips.
    #[arg(long, default_value_t = 0)]
    map_grids: usize,
    /// Skip the intake classifier run.
    #[arg(long)]
    skip_classifier: bool,
    /// PostgreSQL server to measure (a scratch schema is created and dropped).
    #[arg(
        long,
        env = "DATABASE_URL",
        default_value = "postgres://postgres@127.0.0.1:5432/test"
    )]
    postgres: String,
    /// Measure SQLite only.
    #[arg(long)]
    skip_postgres: bool,
    /// Directory for the scratch SQLite files (on the disk you want to measure).
    #[arg(long, default_value = "target/bench")]
    dir: PathBuf,
}

struct Scenario {
    name: &'static str,
    writers: usize,
    batch: usize,
}

const SCENARIOS: &[Scenario] = &[
    Scenario {
        name: "1 writer, 1 registration per commit",
        writers: 1,
        batch: 1,
    },
    Scenario {
        name: "8 concurrent writers",
        writers: 8,
        batch: 1,
    },
    Scenario {
        name: "64 concurrent writers",
        writers: 64,
        batch: 1,
    },
    Scenario {
        name: "1 writer, 100 registrations per commit",
        writers: 1,
        batch: 100,
    },
];

pub async fn run(args: Args) -> Result<()> {
    std::fs::create_dir_all(&args.dir)
        .with_context(|| format!("creating {}", args.dir.display()))?;
    let sealer = Arc::new(KeyedSealer::new(&MasterKey::generate()));
    println!(
        "hejie bench — {} registrations per scenario, {} cores",
        args.registrations,
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    println!(
        "SQLite: WAL, synchronous=FULL (fsync on every commit); files in {}",
        args.dir.display()
    );
    let mut pg_schemas = Vec::new();
    if args.registrations > 0 {
        registration_scenarios(&args, &sealer, &mut pg_schemas).await?;
    }
    if args.gen_cases > 0 {
        println!();
        println!("gen (whole case lives through the domain, batches of 500 per commit):");
        let path = args
            .dir
            .join(format!("bench-{}-gen.db", std::process::id()));
        let store: Arc<dyn Store> = Arc::new(SqliteStore::open(&path)?);
        store.migrate(now()).await?;
        gen_rate(store.as_ref(), sealer.as_ref(), args.gen_cases, "sqlite").await?;
        remove_db(&path);
        if !args.skip_postgres {
            let (store, schema) = pg_scratch(&args.postgres).await?;
            pg_schemas.push(schema);
            gen_rate(store.as_ref(), sealer.as_ref(), args.gen_cases, "postgres").await?;
        }
    }
    if args.field_reports > 0 {
        println!();
        println!("field report sync (SQLite, real HTTP server in this process):");
        crate::bench_field::sync(&args.dir, args.field_reports).await?;
    }
    if args.map_grids > 0 {
        println!();
        println!("grid map (SQLite):");
        crate::bench_field::map(&args.dir, args.map_grids).await?;
    }
    if args.jobs > 0 || args.queue_cases > 0 {
        println!();
        println!(
            "scheduler and work queue ({} jobs, {} queue cases):",
            args.jobs, args.queue_cases
        );
        println!(
            "{:<10} {:<53} {:>12} {:>10}",
            "backend", "measure", "value", ""
        );
        let mut backends = vec!["sqlite"];
        if !args.skip_postgres {
            backends.push("postgres");
        }
        for backend in backends {
            for which in ["jobs", "queue"] {
                let n = if which == "jobs" {
                    args.jobs
                } else {
                    args.queue_cases
                };
                if n == 0 {
                    continue;
                }
                let path = args
                    .dir
                    .join(format!("bench-{}-{which}.db", std::process::id()));
                let store: Arc<dyn Store> = if backend == "sqlite" {
                    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(&path)?);
                    store.migrate(now()).await?;
                    store
                } else {
                    let (store, schema) = pg_scratch(&args.postgres).await?;
                    pg_schemas.push(schema);
                    store
                };
                if which == "jobs" {
                    crate::bench_work::scheduler(backend, store, sealer.clone(), n).await?;
                } else {
                    crate::bench_work::queue(backend, store, sealer.clone(), n).await?;
                }
                if backend == "sqlite" {
                    remove_db(&path);
                }
            }
        }
    }
    if !pg_schemas.is_empty() {
        let pool = sqlx::PgPool::connect(&args.postgres).await?;
        for schema in pg_schemas {
            sqlx::raw_sql(sqlx::AssertSqlSafe(format!("DROP SCHEMA {schema} CASCADE")))
                .execute(&pool)
                .await?;
        }
    }
    if !args.skip_classifier {
        println!();
        classification_rate()?;
    }
    Ok(())
}

/// Registrations per second in every scenario, on SQLite and (unless skipped) PostgreSQL.
async fn registration_scenarios(
    args: &Args,
    sealer: &Arc<KeyedSealer>,
    pg_schemas: &mut Vec<String>,
) -> Result<()> {
    println!();
    println!(
        "{:<10} {:<42} {:>12} {:>10}",
        "backend", "scenario", "regs/s", "p-commit"
    );
    for (i, s) in SCENARIOS.iter().enumerate() {
        let path = args
            .dir
            .join(format!("bench-{}-{i}.db", std::process::id()));
        let store: Arc<dyn Store> = Arc::new(SqliteStore::open(&path)?);
        store.migrate(now()).await?;
        let rate = registrations(store, sealer.clone(), s, args.registrations).await?;
        println!(
            "{:<10} {:<42} {:>12.0} {:>10}",
            "sqlite",
            s.name,
            rate,
            if s.batch > 1 { "batched" } else { "each" }
        );
        remove_db(&path);
    }
    if !args.skip_postgres {
        let sync: String = {
            let pool = sqlx::PgPool::connect(&args.postgres)
                .await
                .context("connecting to PostgreSQL")?;
            let v = sqlx::query_scalar("SHOW synchronous_commit")
                .fetch_one(&pool)
                .await?;
            pool.close().await;
            v
        };
        println!("{:<10} (synchronous_commit={sync})", "postgres");
        for s in SCENARIOS {
            let (store, schema) = pg_scratch(&args.postgres).await?;
            pg_schemas.push(schema);
            let rate = registrations(store, sealer.clone(), s, args.registrations).await?;
            println!(
                "{:<10} {:<42} {:>12.0} {:>10}",
                "postgres",
                s.name,
                rate,
                if s.batch > 1 { "batched" } else { "each" }
            );
        }
    }
    Ok(())
}

/// The held-out texts of the intake classifier (never trained on), classified in a loop.
const HELDOUT_TSV: &str = include_str!("../../hejie-intake/data/heldout.tsv");

/// How long the classification run lasts, at least.
const CLASSIFY_FOR: std::time::Duration = std::time::Duration::from_secs(2);

/// Classifications per second of the seeded intake classifier on one thread, over the held-out
/// texts, with its top-1 accuracy on them for context.
fn classification_rate() -> Result<()> {
    let started = Instant::now();
    let model = hejie_intake::Classifier::seeded();
    let trained = started.elapsed();
    let texts = hejie_intake::parse_tsv(HELDOUT_TSV).context("reading the held-out texts")?;
    anyhow::ensure!(!texts.is_empty(), "no held-out texts");
    let correct = texts
        .iter()
        .filter(|(text, t)| model.classify(text).best() == *t)
        .count();
    let started = Instant::now();
    let mut done = 0u64;
    while started.elapsed() < CLASSIFY_FOR {
        for (text, _) in &texts {
            std::hint::black_box(model.classify(std::hint::black_box(text)));
        }
        done += texts.len() as u64;
    }
    let rate = done as f64 / started.elapsed().as_secs_f64();
    println!(
        "intake classifier (naive Bayes, seeded in {:.0} ms, {} documents):",
        trained.as_secs_f64() * 1000.0,
        model.documents()
    );
    println!(
        "{:<53} {:>12.0} {:>10}",
        "classifications per second (single thread)", rate, "held-out"
    );
    println!(
        "{:<53} {:>11.1}% {:>10}",
        format!("top-1 accuracy on {} held-out texts", texts.len()),
        correct as f64 * 100.0 / texts.len() as f64,
        ""
    );
    Ok(())
}

fn remove_db(path: &std::path::Path) {
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
}

async fn pg_scratch(url: &str) -> Result<(Arc<dyn Store>, String)> {
    let schema = format!("bench_{}", uuid::Uuid::now_v7().simple());
    let pool = sqlx::PgPool::connect(url).await?;
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {schema}")))
        .execute(&pool)
        .await?;
    pool.close().await;
    let opts = PgConnectOptions::from_str(url)?.options([("search_path", schema.as_str())]);
    let store: Arc<dyn Store> = Arc::new(PgStore::connect_with(opts).await?);
    store.migrate(now()).await?;
    Ok((store, schema))
}

async fn registrations(
    store: Arc<dyn Store>,
    sealer: Arc<KeyedSealer>,
    s: &Scenario,
    n: u64,
) -> Result<f64> {
    let mut rng = StdRng::seed_from_u64(7);
    let county = Arc::new(synth::county::build(&mut rng, usize::MAX)?);
    synth::county::save(store.as_ref(), &county).await?;
    let per_writer = n / s.writers as u64;
    let from = now().plus_seconds(-86_400 * 30);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for w in 0..s.writers {
        let (store, sealer, county) = (store.clone(), sealer.clone(), county.clone());
        let batch = s.batch;
        tasks.push(tokio::spawn(async move {
            let mut rng = StdRng::seed_from_u64(w as u64);
            let mut done = 0u64;
            while done < per_writer {
                let take = (batch as u64).min(per_writer - done);
                let mut plans = Vec::with_capacity(take as usize);
                for _ in 0..take {
                    plans.push(
                        synth::cases::plan(&mut rng, &county, sealer.as_ref(), from, now(), false)
                            .new_case,
                    );
                }
                if batch == 1 {
                    for p in plans {
                        store.create_case(p).await?;
                    }
                } else {
                    for r in store.create_cases(plans).await? {
                        r?;
                    }
                }
                done += take;
            }
            Ok::<_, hejie_store::StoreError>(done)
        }));
    }
    let mut total = 0;
    for t in tasks {
        total += t.await.context("writer task")??;
    }
    Ok(total as f64 / started.elapsed().as_secs_f64())
}

async fn gen_rate(store: &dyn Store, sealer: &KeyedSealer, n: u64, backend: &str) -> Result<()> {
    let from = now().plus_seconds(-86_400 * 365 * 3);
    let started = Instant::now();
    let s = synth::run(
        store,
        sealer,
        synth::Spec {
            cases: n,
            townships: usize::MAX,
            seed: 1,
            from,
            now: now(),
            progress: false,
        },
    )
    .await?;
    let secs = started.elapsed().as_secs_f64();
    println!(
        "{:<10} {} cases, {} events in {:.2}s: {:.0} cases/s, {:.0} events/s",
        backend,
        s.cases,
        s.events,
        secs,
        s.cases as f64 / secs,
        s.events as f64 / secs
    );
    Ok(())
}
