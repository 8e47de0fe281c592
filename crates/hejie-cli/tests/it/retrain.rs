//! `hejie retrain`: on a database without closed cases it stores nothing and exits 1 with the
//! reason in Chinese. Training on real data is covered in-process by the server's tests.

use crate::{Db, ok, stderr, stdout};

#[tokio::test]
async fn retrain_without_closed_cases_exits_nonzero_in_chinese() {
    let db = Db::sqlite();
    ok(db.hejie(&["migrate"]));
    let out = db.hejie(&["retrain"]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    assert!(
        stderr(&out).contains("尚无已结案件，无法训练升级风险模型"),
        "{}",
        stderr(&out)
    );
    assert_eq!(
        db.query_text("SELECT CAST(COUNT(*) AS TEXT) FROM models WHERE name = 'escalation'")
            .await,
        "0",
        "nothing stored"
    );

    let out = db.hejie(&["retrain", "--red", "0.2", "--orange", "0.5"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("预警阈值"), "{}", stderr(&out));
}

/// The demo county is big enough to train the escalation model on, and `hejie demo` trains it,
/// so the demo's case pages show 升级风险 from the start. Reusing the database trains nothing.
#[tokio::test]
async fn the_demo_trains_the_escalation_model_on_its_cases() {
    let db = Db::sqlite();
    let out = ok(db.hejie(&["demo", "--no-serve"]));
    let text = stdout(&out);
    assert!(text.contains("升级风险模型已训练"), "{text}");
    assert!(text.contains("留出检验期 AUC 0."), "{text}");
    assert_eq!(
        db.query_text("SELECT CAST(COUNT(*) AS TEXT) FROM models WHERE name = 'escalation'")
            .await,
        "1"
    );
    let out = ok(db.hejie(&["demo", "--no-serve"]));
    assert!(stdout(&out).contains("使用已有的演示数据库"));
    assert!(!stdout(&out).contains("升级风险模型已训练"));
}
