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
