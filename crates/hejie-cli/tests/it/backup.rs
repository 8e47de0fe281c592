//! Online backup and restore of the SQLite database, and what the CLI says on PostgreSQL.

use crate::{Db, ok, stderr, stdout};

#[tokio::test]
async fn backup_then_restore_brings_back_the_backed_up_state() {
    let db = Db::sqlite();
    ok(db.hejie(&["gen", "--cases", "25", "--quiet"]));
    let backup = db.sqlite_path().with_file_name("backup.db");
    let backup_arg = backup.to_str().expect("utf-8 path");
    ok(db.hejie(&["backup", backup_arg]));
    assert!(backup.exists());

    // Work continues after the backup; restoring must bring back exactly the backed-up cases.
    ok(db.hejie(&["gen", "--cases", "10", "--quiet"]));
    assert_eq!(
        db.query_text("SELECT CAST(COUNT(*) AS TEXT) FROM cases")
            .await,
        "35"
    );
    let out = ok(db.hejie(&["restore", backup_arg]));
    assert!(stdout(&out).contains("25 cases"), "{}", stdout(&out));
    assert!(stdout(&out).contains("audit intact"), "{}", stdout(&out));
    assert_eq!(
        db.query_text("SELECT CAST(COUNT(*) AS TEXT) FROM cases")
            .await,
        "25"
    );
    assert!(stdout(&ok(db.hejie(&["audit", "verify"]))).contains("intact"));
}

#[tokio::test]
async fn backup_refuses_to_overwrite_and_restore_refuses_garbage() {
    let db = Db::sqlite();
    ok(db.hejie(&["migrate"]));
    let existing = db.sqlite_path().with_file_name("exists.db");
    std::fs::write(&existing, b"keep me").expect("write");
    let out = db.hejie(&["backup", existing.to_str().expect("utf-8")]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("refusing to overwrite"),
        "{}",
        stderr(&out)
    );
    assert_eq!(std::fs::read(&existing).expect("read"), b"keep me");

    let out = db.hejie(&["restore", existing.to_str().expect("utf-8")]);
    assert_eq!(out.status.code(), Some(2));
    // The live database is untouched by a failed restore.
    assert!(stdout(&ok(db.hejie(&["audit", "verify"]))).contains("intact"));
}

#[tokio::test]
async fn postgres_backup_points_to_pg_dump() {
    let db = Db::postgres().await;
    let out = db.hejie(&["backup", "/tmp/never-written.db"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("pg_dump"), "{}", stderr(&out));
}

#[tokio::test]
async fn gen_writes_no_plaintext_personal_data_and_keeps_the_key_outside() {
    let db = Db::sqlite();
    // Without HEJIE_PII_KEY the key is created next to the database, readable by its owner only.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_hejie"))
        .args(["--database", &db.url(), "gen", "--cases", "5", "--quiet"])
        .env_remove("HEJIE_PII_KEY")
        .output()
        .expect("run");
    assert!(out.status.success(), "{}", stderr(&out));
    let key = db.sqlite_path().with_file_name("hejie.db.pii-key");
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&key)
        .expect("key file")
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
    let key_hex = std::fs::read_to_string(&key).expect("key");
    let bytes = std::fs::read(db.sqlite_path()).expect("db file");
    let text = String::from_utf8_lossy(&bytes);
    assert!(
        !text.contains(key_hex.trim()),
        "the key leaked into the database"
    );
    // Every masked ID number in the database; none of the full numbers may appear anywhere.
    let masked = db
        .query_text("SELECT id_masked FROM case_parties WHERE id_masked IS NOT NULL LIMIT 1")
        .await;
    assert!(masked.contains("********"), "{masked}");
    assert!(
        !regex_like_full_id(&text),
        "a full ID number is stored in plain text"
    );
}

/// Whether `text` contains 17 digits followed by a digit or X that pass the GB 11643 check.
fn regex_like_full_id(text: &str) -> bool {
    let b = text.as_bytes();
    b.windows(18).any(|w| {
        w[..17].iter().all(u8::is_ascii_digit)
            && (w[17].is_ascii_digit() || w[17] == b'X')
            && hejie_id_valid(w)
    })
}

fn hejie_id_valid(w: &[u8]) -> bool {
    std::str::from_utf8(w).is_ok_and(|s| hejie_domain::personal::IdNumber::parse(s).is_ok())
}
