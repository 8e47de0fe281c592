//! Models: a named document round-trips and a second write replaces the first. Settings: each
//! change is put in force and appended to the setting's history with who, when and a digest.

use crate::fixture::at;
use crate::harness::{TestDb, on_both_backends};

use hejie_store::models::{SettingChange, digest};

on_both_backends!(
    model_round_trips,
    model_is_overwritten,
    setting_changes_are_in_force_and_kept_in_history
);

async fn model_round_trips(db: TestDb) {
    let store = db.store.as_ref();
    assert_eq!(store.model("classifier").await.expect("read"), None);

    let body = r#"{"version":1,"docs":{"labour":3},"features":{"工资":{"labour":2}}}"#;
    store
        .put_model("classifier", body, at(1))
        .await
        .expect("put");
    assert_eq!(
        store.model("classifier").await.expect("read"),
        Some((body.to_owned(), at(1)))
    );
    assert_eq!(store.model("other").await.expect("read"), None);
}

async fn model_is_overwritten(db: TestDb) {
    let store = db.store.as_ref();
    store
        .put_model("classifier", "first", at(1))
        .await
        .expect("put");
    store.put_model("router", "kept", at(2)).await.expect("put");
    store
        .put_model("classifier", "第二版", at(3))
        .await
        .expect("overwrite");
    assert_eq!(
        store.model("classifier").await.expect("read"),
        Some(("第二版".to_owned(), at(3)))
    );
    assert_eq!(
        store.model("router").await.expect("read"),
        Some(("kept".to_owned(), at(2)))
    );
}

fn change(name: &str, body: &str, by: &str, t: i64) -> SettingChange {
    SettingChange {
        name: name.to_owned(),
        body: body.to_owned(),
        digest: String::new(),
        changed_by: format!("id-{by}"),
        changed_by_name: by.to_owned(),
        at: at(t),
    }
}

async fn setting_changes_are_in_force_and_kept_in_history(db: TestDb) {
    let store = db.store.as_ref();
    assert!(
        store
            .setting_history("time_limits", 10)
            .await
            .expect("history")
            .is_empty()
    );
    store
        .put_setting(&change("time_limits", "第一版", "张管理", 1))
        .await
        .expect("first");
    store
        .put_setting(&change("routing_rules", "规则", "李管理", 2))
        .await
        .expect("other setting");
    store
        .put_setting(&change("time_limits", "第二版", "王管理", 3))
        .await
        .expect("second");

    // The newest text is in force, like any model.
    assert_eq!(
        store.model("time_limits").await.expect("read"),
        Some(("第二版".to_owned(), at(3)))
    );
    // The history keeps every version of this setting only, newest first, with its digest.
    let history = store
        .setting_history("time_limits", 10)
        .await
        .expect("history");
    let seen: Vec<(&str, &str, i64)> = history
        .iter()
        .map(|c| (c.body.as_str(), c.changed_by_name.as_str(), c.at.micros()))
        .collect();
    assert_eq!(
        seen,
        vec![
            ("第二版", "王管理", at(3).micros()),
            ("第一版", "张管理", at(1).micros())
        ]
    );
    assert_eq!(history[0].changed_by, "id-王管理");
    assert_eq!(history[0].digest, digest("第二版"));
    assert_ne!(history[0].digest, history[1].digest);
    // The limit is honoured.
    assert_eq!(
        store
            .setting_history("time_limits", 1)
            .await
            .expect("history")
            .len(),
        1
    );
}
