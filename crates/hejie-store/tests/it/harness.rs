//! One fresh, migrated database per test, on either backend, plus raw SQL access to it for
//! tampering and inspection.
//!
//! - SQLite: a file in a fresh temporary directory.
//! - PostgreSQL: a fresh, uniquely named schema in `$DATABASE_URL` (default
//!   [`DEFAULT_DATABASE_URL`]), dropped again when the [`TestDb`] goes away. An unreachable
//!   server fails the test: the contract is never silently skipped.

use std::path::PathBuf;
use std::str::FromStr;
use std::sync::Arc;

use hejie_store::Store;
use hejie_store::postgres::PgStore;
use hejie_store::sqlite::SqliteStore;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{AssertSqlSafe, Connection, PgConnection, PgPool, Row};
use tempfile::TempDir;
use uuid::Uuid;

pub const DEFAULT_DATABASE_URL: &str = "postgres://postgres@127.0.0.1:5432/test";

/// Generates, for each named `async fn name(db: TestDb)`, a module `name` with two tests,
/// `sqlite` and `postgres`, that run it on a fresh database of that backend.
macro_rules! on_both_backends {
    ($($name:ident),+ $(,)?) => {
        $(
            mod $name {
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    super::$name($crate::harness::TestDb::sqlite().await).await;
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    super::$name($crate::harness::TestDb::postgres().await).await;
                }
            }
        )+
    };
}

pub(crate) use on_both_backends;

#[derive(Debug)]
enum Backend {
    Sqlite {
        /// Keeps the directory (and the database file) alive for the test.
        _dir: TempDir,
        path: PathBuf,
    },
    Postgres {
        /// A separate pool on the same schema, outside the store.
        raw: PgPool,
        /// Drops the schema when the test is over (after the store: fields drop in order).
        _schema: SchemaGuard,
    },
}

/// Owns a test schema; dropping it drops the schema with everything in it.
#[derive(Debug)]
struct SchemaGuard {
    url: String,
    schema: String,
}

/// A fresh, migrated store and raw access to the database underneath it.
#[derive(Debug)]
pub struct TestDb {
    pub store: Arc<dyn Store>,
    backend: Backend,
}

impl TestDb {
    /// A fresh database of the named backend (`sqlite` or `postgres`).
    pub async fn new(backend: &str) -> Self {
        match backend {
            "sqlite" => Self::sqlite().await,
            "postgres" => Self::postgres().await,
            other => panic!("unknown backend {other}"),
        }
    }

    pub async fn sqlite() -> Self {
        let dir = tempfile::tempdir().expect("create a temporary directory");
        let path = dir.path().join("t.db");
        let store = SqliteStore::open(&path).expect("open the SQLite store");
        store
            .migrate(crate::fixture::at(0))
            .await
            .expect("migrate the SQLite store");
        Self {
            store: Arc::new(store),
            backend: Backend::Sqlite { _dir: dir, path },
        }
    }

    pub async fn postgres() -> Self {
        let url = std::env::var("DATABASE_URL").unwrap_or_else(|_| DEFAULT_DATABASE_URL.to_owned());
        let schema = format!("t_{}", Uuid::now_v7().simple());
        let mut admin = PgConnection::connect(&url).await.unwrap_or_else(|e| {
            panic!("PostgreSQL is required for the contract tests but {url} is unreachable: {e}")
        });
        sqlx::raw_sql(AssertSqlSafe(format!("CREATE SCHEMA {schema}")))
            .execute(&mut admin)
            .await
            .expect("create the test schema");
        admin.close().await.expect("close the admin connection");
        let opts = PgConnectOptions::from_str(&url)
            .expect("parse DATABASE_URL")
            .options([("search_path", schema.as_str())]);
        // From here on the schema is dropped whatever happens.
        let guard = SchemaGuard { url, schema };
        let raw = PgPoolOptions::new()
            .max_connections(2)
            .connect_lazy_with(opts.clone());
        let backend = Backend::Postgres {
            raw,
            _schema: guard,
        };
        let store = PgStore::connect_with(opts)
            .await
            .expect("connect the PostgreSQL store");
        let db = Self {
            store: Arc::new(store),
            backend,
        };
        db.store
            .migrate(crate::fixture::at(0))
            .await
            .expect("migrate the PostgreSQL store");
        db
    }

    pub fn backend(&self) -> &'static str {
        self.store.backend()
    }

    /// Runs SQL (one or more statements) directly against the database, outside the store.
    pub async fn raw_exec(&self, sql: &str) -> Result<(), String> {
        match &self.backend {
            Backend::Sqlite { path, .. } => {
                let path = path.clone();
                let sql = sql.to_owned();
                tokio::task::spawn_blocking(move || {
                    let conn = raw_sqlite(&path).map_err(|e| e.to_string())?;
                    conn.execute_batch(&sql).map_err(|e| e.to_string())
                })
                .await
                .expect("raw SQLite task")
            }
            Backend::Postgres { raw, .. } => sqlx::raw_sql(AssertSqlSafe(sql.to_owned()))
                .execute(raw)
                .await
                .map(|_| ())
                .map_err(|e| e.to_string()),
        }
    }

    /// Runs a query directly against the database; every value is rendered as text (`NULL` for
    /// null).
    pub async fn raw_query(&self, sql: &str) -> Vec<Vec<String>> {
        match &self.backend {
            Backend::Sqlite { path, .. } => {
                let path = path.clone();
                let sql = sql.to_owned();
                tokio::task::spawn_blocking(move || {
                    let conn = raw_sqlite(&path).expect("open a raw SQLite connection");
                    sqlite_rows(&conn, &sql).expect("raw SQLite query")
                })
                .await
                .expect("raw SQLite task")
            }
            Backend::Postgres { raw, .. } => sqlx::raw_sql(AssertSqlSafe(sql.to_owned()))
                .fetch_all(raw)
                .await
                .expect("raw PostgreSQL query")
                .iter()
                .map(|row| (0..row.len()).map(|i| pg_text(row, i)).collect())
                .collect(),
        }
    }

    /// Everything the database stores, as text: what an attacker with a copy of it could read.
    ///
    /// SQLite: the bytes of the database file and its write-ahead log (lossily decoded), then the
    /// text of every row of every table. PostgreSQL: the text of every row of every table in the
    /// test's schema.
    pub async fn raw_dump(&self) -> String {
        match &self.backend {
            Backend::Sqlite { path, .. } => {
                let path = path.clone();
                tokio::task::spawn_blocking(move || {
                    let mut out = String::new();
                    for file in [
                        path.clone(),
                        PathBuf::from(format!("{}-wal", path.display())),
                    ] {
                        if let Ok(bytes) = std::fs::read(&file) {
                            out.push_str(&String::from_utf8_lossy(&bytes));
                            out.push('\n');
                        }
                    }
                    let conn = raw_sqlite(&path).expect("open a raw SQLite connection");
                    let tables = sqlite_rows(
                        &conn,
                        "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name",
                    )
                    .expect("list SQLite tables");
                    for table in tables.iter().flatten() {
                        let rows = sqlite_rows(&conn, &format!("SELECT * FROM \"{table}\""))
                            .expect("dump a SQLite table");
                        for row in rows {
                            out.push_str(table);
                            out.push_str(": ");
                            out.push_str(&row.join(" | "));
                            out.push('\n');
                        }
                    }
                    out
                })
                .await
                .expect("raw SQLite task")
            }
            Backend::Postgres { raw, .. } => {
                let tables: Vec<String> = sqlx::query_scalar(
                    "SELECT tablename::text FROM pg_tables WHERE schemaname = current_schema() \
                     ORDER BY tablename",
                )
                .fetch_all(raw)
                .await
                .expect("list PostgreSQL tables");
                assert!(
                    tables.iter().any(|t| t == "events"),
                    "the dump must see the store's tables, found {tables:?}"
                );
                let mut out = String::new();
                for table in tables {
                    let rows: Vec<String> = sqlx::query_scalar(AssertSqlSafe(format!(
                        "SELECT t::text FROM \"{table}\" t"
                    )))
                    .fetch_all(raw)
                    .await
                    .expect("dump a PostgreSQL table");
                    for row in rows {
                        out.push_str(&table);
                        out.push_str(": ");
                        out.push_str(&row);
                        out.push('\n');
                    }
                }
                out
            }
        }
    }

    /// Disables the append-only guards on `events` and `checkpoints`, as an attacker with
    /// database access could.
    pub async fn disable_append_only_guards(&self) {
        let sql = match self.backend() {
            "sqlite" => {
                "DROP TRIGGER events_no_update; DROP TRIGGER events_no_delete; \
                 DROP TRIGGER checkpoints_no_update; DROP TRIGGER checkpoints_no_delete;"
            }
            _ => {
                "ALTER TABLE events DISABLE TRIGGER USER; \
                 ALTER TABLE checkpoints DISABLE TRIGGER USER;"
            }
        };
        self.raw_exec(sql)
            .await
            .expect("disable the append-only triggers");
    }
}

impl Drop for SchemaGuard {
    /// Runs on its own thread and runtime: `Drop` cannot await, and the test's runtime may be
    /// shutting down.
    fn drop(&mut self) {
        let (url, schema) = (self.url.clone(), self.schema.clone());
        let dropper = std::thread::spawn(move || -> Result<(), String> {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| e.to_string())?;
            rt.block_on(async {
                let mut conn = PgConnection::connect(&url)
                    .await
                    .map_err(|e| e.to_string())?;
                sqlx::raw_sql(AssertSqlSafe(format!(
                    "SET lock_timeout = '20s'; DROP SCHEMA IF EXISTS {schema} CASCADE"
                )))
                .execute(&mut conn)
                .await
                .map_err(|e| e.to_string())?;
                conn.close().await.map_err(|e| e.to_string())
            })
        });
        match dropper.join() {
            Ok(Ok(())) => {}
            Ok(Err(e)) => eprintln!("could not drop test schema: {e}"),
            Err(_) => eprintln!("the thread dropping the test schema panicked"),
        }
    }
}

fn raw_sqlite(path: &std::path::Path) -> rusqlite::Result<rusqlite::Connection> {
    let conn = rusqlite::Connection::open(path)?;
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    Ok(conn)
}

fn sqlite_rows(conn: &rusqlite::Connection, sql: &str) -> rusqlite::Result<Vec<Vec<String>>> {
    use rusqlite::types::ValueRef;
    let mut stmt = conn.prepare(sql)?;
    let n = stmt.column_count();
    let mut rows = stmt.query([])?;
    let mut out = Vec::new();
    while let Some(row) = rows.next()? {
        let mut values = Vec::with_capacity(n);
        for i in 0..n {
            values.push(match row.get_ref(i)? {
                ValueRef::Null => "NULL".to_owned(),
                ValueRef::Integer(v) => v.to_string(),
                ValueRef::Real(v) => v.to_string(),
                ValueRef::Text(t) | ValueRef::Blob(t) => String::from_utf8_lossy(t).into_owned(),
            });
        }
        out.push(values);
    }
    Ok(out)
}

/// A PostgreSQL value as text, for the column types the schema uses (TEXT and integers).
fn pg_text(row: &sqlx::postgres::PgRow, i: usize) -> String {
    if let Ok(v) = row.try_get::<Option<String>, _>(i) {
        return v.unwrap_or_else(|| "NULL".to_owned());
    }
    if let Ok(v) = row.try_get::<Option<i64>, _>(i) {
        return v.map_or_else(|| "NULL".to_owned(), |v| v.to_string());
    }
    if let Ok(v) = row.try_get::<Option<i32>, _>(i) {
        return v.map_or_else(|| "NULL".to_owned(), |v| v.to_string());
    }
    panic!("column {i} has a type raw_query cannot render; cast it to text in the query")
}
