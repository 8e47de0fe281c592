//! End-to-end tests of the `hejie` binary against real SQLite files and a real PostgreSQL server.

mod audit;
mod backup;
mod browser;
mod crash;
mod documents;
mod insight;
mod retrain;
mod scheduler;

use std::path::PathBuf;
use std::process::{Command, Output};

use sqlx::Row;

/// The wall clock. These tests run the real binary, whose clock is the system's, so what they
/// schedule for it is timed by the same clock.
pub fn now() -> hejie_domain::timestamp::Timestamp {
    use hejie_server::clock::{Clock, SystemClock};
    SystemClock.now()
}

/// A fresh database for one test: a SQLite file in a temp dir, or a PostgreSQL schema.
#[derive(Debug)]
pub enum Db {
    Sqlite { dir: tempfile::TempDir },
    Postgres { admin: String, schema: String },
}

pub fn pg_admin_url() -> String {
    std::env::var("DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned())
}

impl Db {
    pub fn sqlite() -> Self {
        Db::Sqlite {
            dir: tempfile::tempdir().expect("temp dir"),
        }
    }

    pub async fn postgres() -> Self {
        let admin = pg_admin_url();
        let schema = format!("cli_{}", uuid::Uuid::now_v7().simple());
        let pool = sqlx::PgPool::connect(&admin)
            .await
            .expect("PostgreSQL must be reachable at $DATABASE_URL for these tests");
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {schema}")))
            .execute(&pool)
            .await
            .expect("create schema");
        Db::Postgres { admin, schema }
    }

    pub fn backend(&self) -> &'static str {
        match self {
            Db::Sqlite { .. } => "sqlite",
            Db::Postgres { .. } => "postgres",
        }
    }

    pub fn sqlite_path(&self) -> PathBuf {
        match self {
            Db::Sqlite { dir } => dir.path().join("hejie.db"),
            Db::Postgres { .. } => PathBuf::new(),
        }
    }

    /// The `--database` URL the binary is given.
    pub fn url(&self) -> String {
        match self {
            Db::Sqlite { .. } => format!("sqlite:{}", self.sqlite_path().display()),
            Db::Postgres { admin, schema } => {
                let sep = if admin.contains('?') { '&' } else { '?' };
                format!("{admin}{sep}options=-c%20search_path%3D{schema}")
            }
        }
    }

    /// Runs `hejie` with this database and a fixed personal-data key.
    pub fn hejie(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_hejie"))
            .arg("--database")
            .arg(self.url())
            .args(args)
            .env("HEJIE_PII_KEY", "7f".repeat(32))
            .env_remove("HEJIE_DATABASE_URL")
            .output()
            .expect("run hejie")
    }

    /// Runs raw SQL statements, as someone with direct database access would.
    pub async fn raw(&self, sql: &str) {
        match self {
            Db::Sqlite { .. } => {
                let conn = rusqlite::Connection::open(self.sqlite_path()).expect("open sqlite");
                conn.execute_batch(sql).expect("raw sql");
            }
            Db::Postgres { .. } => {
                let pool = self.pool().await;
                sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_owned()))
                    .execute(&pool)
                    .await
                    .expect("raw sql");
            }
        }
    }

    /// One text column of the first row of a query.
    pub async fn query_text(&self, sql: &str) -> String {
        match self {
            Db::Sqlite { .. } => {
                let conn = rusqlite::Connection::open(self.sqlite_path()).expect("open sqlite");
                conn.query_row(sql, [], |r| r.get(0)).expect("query")
            }
            Db::Postgres { .. } => {
                let pool = self.pool().await;
                sqlx::query(sqlx::AssertSqlSafe(sql.to_owned()))
                    .fetch_one(&pool)
                    .await
                    .expect("query")
                    .try_get(0)
                    .expect("text column")
            }
        }
    }

    async fn pool(&self) -> sqlx::PgPool {
        let Db::Postgres { admin, schema } = self else {
            panic!("not PostgreSQL");
        };
        let opts: sqlx::postgres::PgConnectOptions = admin.parse().expect("url");
        sqlx::postgres::PgPoolOptions::new()
            .max_connections(1)
            .connect_with(opts.options([("search_path", schema.as_str())]))
            .await
            .expect("connect")
    }
}

impl Drop for Db {
    fn drop(&mut self) {
        if let Db::Postgres { admin, schema } = self {
            let (admin, schema) = (admin.clone(), schema.clone());
            // Dropping runs on its own thread and runtime, so it works inside or outside tokio.
            let _ = std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("runtime");
                rt.block_on(async {
                    if let Ok(pool) = sqlx::PgPool::connect(&admin).await {
                        let _ = sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
                            "DROP SCHEMA IF EXISTS {schema} CASCADE"
                        )))
                        .execute(&pool)
                        .await;
                    }
                });
            })
            .join();
        }
    }
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Asserts the command succeeded, showing its output when it did not.
pub fn ok(o: Output) -> Output {
    assert!(
        o.status.success(),
        "hejie failed ({}):\n{}\n{}",
        o.status,
        stdout(&o),
        stderr(&o)
    );
    o
}
