//! `hejie audit verify` on an intact log and after tampering directly in SQL.

use crate::{Db, ok, stdout};

/// How to tamper, and what the report must then name.
#[derive(Debug, Clone, Copy)]
enum Tamper {
    /// Edit one field of the third event's body.
    EditField,
    /// Delete the second event.
    DeleteRow,
    /// Swap the second and third events' positions in the stream.
    SwapRows,
    /// Delete every row of a whole case after a checkpoint.
    DeleteCase,
}

async fn disable_append_only(db: &Db) {
    match db {
        Db::Sqlite { .. } => {
            db.raw(
                "DROP TRIGGER events_no_update; DROP TRIGGER events_no_delete;
                 DROP TRIGGER checkpoints_no_update; DROP TRIGGER checkpoints_no_delete;",
            )
            .await
        }
        Db::Postgres { .. } => {
            db.raw(
                "ALTER TABLE events DISABLE TRIGGER USER;
                 ALTER TABLE checkpoints DISABLE TRIGGER USER;",
            )
            .await
        }
    }
}

async fn check(db: Db, tamper: Tamper) {
    ok(db.hejie(&["gen", "--cases", "40", "--quiet", "--seed", "5"]));
    let verified = ok(db.hejie(&["audit", "verify"]));
    assert!(
        stdout(&verified).contains("OK: the case log is intact"),
        "{}",
        stdout(&verified)
    );

    // A case with at least four events, and its number.
    let case_id = db
        .query_text(
            "SELECT case_id FROM events GROUP BY case_id HAVING COUNT(*) >= 4 ORDER BY case_id LIMIT 1",
        )
        .await;
    let number = db
        .query_text(&format!("SELECT number FROM cases WHERE id = '{case_id}'"))
        .await;
    disable_append_only(&db).await;
    let expect: &[&str] = match tamper {
        Tamper::EditField => {
            db.raw(&format!(
                "UPDATE events SET meta = replace(meta, '\"name\":\"', '\"name\":\"假') \
                 WHERE case_id = '{case_id}' AND version = 3"
            ))
            .await;
            &["event v3", "edited"]
        }
        Tamper::DeleteRow => {
            db.raw(&format!(
                "DELETE FROM events WHERE case_id = '{case_id}' AND version = 2"
            ))
            .await;
            &["event v3", "event v2 is missing"]
        }
        Tamper::SwapRows => {
            db.raw(&format!(
                "UPDATE events SET version = -2 WHERE case_id = '{case_id}' AND version = 2;
                 UPDATE events SET version = 2 WHERE case_id = '{case_id}' AND version = 3;
                 UPDATE events SET version = 3 WHERE case_id = '{case_id}' AND version = -2;"
            ))
            .await;
            &["event v2", "prev_hash"]
        }
        Tamper::DeleteCase => {
            db.raw(&format!(
                "DELETE FROM events WHERE case_id = '{case_id}';
                 DELETE FROM case_parties WHERE case_id = '{case_id}';
                 DELETE FROM cases WHERE id = '{case_id}';"
            ))
            .await;
            &["missing", "checkpoint #1"]
        }
    };
    let out = db.hejie(&["audit", "verify"]);
    let text = stdout(&out);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{tamper:?} on {}: {text}",
        db.backend()
    );
    let first = text
        .lines()
        .find(|l| l.starts_with("TAMPERED: first bad event:"))
        .unwrap_or_else(|| panic!("no TAMPERED line: {text}"));
    assert!(
        first.contains(&case_id),
        "{tamper:?}: first problem names another case: {first}"
    );
    if !matches!(tamper, Tamper::DeleteCase) {
        assert!(first.contains(&number), "{tamper:?}: {first}");
    }
    for e in expect {
        assert!(
            text.contains(e),
            "{tamper:?} on {}: expected {e:?} in:\n{text}",
            db.backend()
        );
    }
}

#[tokio::test]
async fn sqlite_edit_field() {
    check(Db::sqlite(), Tamper::EditField).await;
}

#[tokio::test]
async fn sqlite_delete_row() {
    check(Db::sqlite(), Tamper::DeleteRow).await;
}

#[tokio::test]
async fn sqlite_swap_rows() {
    check(Db::sqlite(), Tamper::SwapRows).await;
}

#[tokio::test]
async fn sqlite_delete_case() {
    check(Db::sqlite(), Tamper::DeleteCase).await;
}

#[tokio::test]
async fn postgres_edit_field() {
    check(Db::postgres().await, Tamper::EditField).await;
}

#[tokio::test]
async fn postgres_delete_row() {
    check(Db::postgres().await, Tamper::DeleteRow).await;
}

#[tokio::test]
async fn postgres_swap_rows() {
    check(Db::postgres().await, Tamper::SwapRows).await;
}

#[tokio::test]
async fn postgres_delete_case() {
    check(Db::postgres().await, Tamper::DeleteCase).await;
}

#[tokio::test]
async fn append_only_triggers_refuse_edits_without_tampering_first() {
    for db in [Db::sqlite(), Db::postgres().await] {
        ok(db.hejie(&["gen", "--cases", "3", "--quiet"]));
        let url = db.url();
        let refused = match &db {
            Db::Sqlite { .. } => rusqlite::Connection::open(db.sqlite_path())
                .expect("open")
                .execute_batch("DELETE FROM events")
                .is_err(),
            Db::Postgres { .. } => {
                let pool = sqlx::PgPool::connect(&url).await.expect("connect");
                sqlx::raw_sql("UPDATE events SET kind = 'x'")
                    .execute(&pool)
                    .await
                    .is_err()
            }
        };
        assert!(refused, "{} allowed editing the log", db.backend());
        assert!(stdout(&ok(db.hejie(&["audit", "verify"]))).contains("intact"));
    }
}
