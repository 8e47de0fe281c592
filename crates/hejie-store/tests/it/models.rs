//! Models: a named document round-trips and a second write replaces the first.

use crate::fixture::at;
use crate::harness::{TestDb, on_both_backends};

on_both_backends!(model_round_trips, model_is_overwritten);

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
