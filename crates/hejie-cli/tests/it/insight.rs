//! `hejie rebuild-aggregates [--verify]` and `hejie import population|litigation` (ADR 0010).

use crate::{Db, ok, stderr, stdout};

async fn rebuild_and_verify(db: Db) {
    ok(db.hejie(&["gen", "--cases", "40", "--quiet", "--seed", "8"]));
    let out = ok(db.hejie(&["rebuild-aggregates", "--verify"]));
    let text = stdout(&out);
    assert!(text.contains("40 个案件"), "{text}");
    assert!(text.contains("件/秒"), "{text}");
    assert!(text.contains("核对一致"), "{text}");

    db.raw("UPDATE agg_cells SET value = value + 1 WHERE metric = 'registered'")
        .await;
    let out = db.hejie(&["rebuild-aggregates", "--verify"]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}{}", stderr(&out));
    assert!(text.contains("处差异"), "{text}");
    assert!(text.contains(" registered "), "{text}");

    let out = ok(db.hejie(&["rebuild-aggregates", "--verify"]));
    assert!(
        stdout(&out).contains("核对一致"),
        "the rebuild fixed the cells"
    );
}

async fn count(db: &Db, table: &str) -> String {
    db.query_text(&format!("SELECT CAST(COUNT(*) AS TEXT) FROM {table}"))
        .await
}

async fn imports(db: Db) {
    ok(db.hejie(&["migrate"]));
    let dir = tempfile::tempdir().expect("temp dir");
    let write = |name: &str, text: &str| {
        let path = dir.path().join(name);
        std::fs::write(&path, text).expect("write csv");
        path.display().to_string()
    };

    let bad = write(
        "pop-bad.csv",
        "division,year,population\n339021100201,2026,2400\n339021100202,2026,1900\n339021100203,二〇二六,100\n",
    );
    let out = db.hejie(&["import", "population", &bad]);
    assert!(!out.status.success(), "{}", stdout(&out));
    assert!(stderr(&out).contains("第 4 行"), "{}", stderr(&out));
    assert!(stderr(&out).contains("未导入任何数据"), "{}", stderr(&out));
    assert_eq!(count(&db, "population").await, "0", "nothing written");

    let good = write(
        "pop.csv",
        "\u{feff}division,year,population\n339021100201,2026,2400\n\n339021100202,2026,1900\n339021101000,2026,41000\n",
    );
    let out = ok(db.hejie(&["import", "population", &good]));
    assert!(stdout(&out).contains("已导入 3 条"), "{}", stdout(&out));
    assert_eq!(count(&db, "population").await, "3");

    let bad = write(
        "lit-bad.csv",
        "division,month,filings\n339021000000,2026-01,12\n339021000000,2026/02,9\n12345,2026-03,-1\n",
    );
    let out = db.hejie(&["import", "litigation", &bad]);
    assert!(!out.status.success(), "{}", stdout(&out));
    let err = stderr(&out);
    assert!(err.contains("第 3 行") && err.contains("2026/02"), "{err}");
    assert!(err.contains("第 4 行"), "{err}");
    assert_eq!(count(&db, "litigation").await, "0", "nothing written");

    let good = write(
        "lit.csv",
        "division,month,filings\n339021000000,2026-01,12\n339021000000,2026-02,9\n",
    );
    let out = ok(db.hejie(&["import", "litigation", &good]));
    assert!(stdout(&out).contains("已导入 2 条"), "{}", stdout(&out));
    assert_eq!(count(&db, "litigation").await, "2");
}

#[tokio::test]
async fn sqlite_rebuild_and_verify() {
    rebuild_and_verify(Db::sqlite()).await;
}

#[tokio::test]
async fn postgres_rebuild_and_verify() {
    rebuild_and_verify(Db::postgres().await).await;
}

#[tokio::test]
async fn sqlite_imports() {
    imports(Db::sqlite()).await;
}

#[tokio::test]
async fn postgres_imports() {
    imports(Db::postgres().await).await;
}
