//! Documents: kept with their digest, made again as a new version (never replaced), listed per
//! area and kind, and protected from UPDATE and DELETE by the schema.

use crate::fixture::{at, code};
use crate::harness::{TestDb, on_both_backends};

use hejie_store::documents::{NewDocument, digest};

on_both_backends!(
    document_round_trips_with_its_digest,
    making_a_document_again_adds_a_version,
    documents_are_listed_by_area_and_kind,
    documents_cannot_be_changed_in_sql,
    a_copy_is_found_by_its_digest_and_a_changed_byte_finds_nothing
);

fn doc(division: &str, period: &str, body: &[u8], t: i64) -> NewDocument {
    NewDocument {
        key: format!("monthly:{division}:{period}"),
        kind: "monthly_report".to_owned(),
        division: code(division),
        period: period.to_owned(),
        title: format!("研判预警专报 {period}"),
        content_type: "application/pdf".to_owned(),
        created_by: "system".to_owned(),
        created_at: at(t),
        body: body.to_vec(),
    }
}

async fn document_round_trips_with_its_digest(db: TestDb) {
    let store = db.store.as_ref();
    assert!(
        store
            .document("monthly:330102000000:2026-10")
            .await
            .expect("read")
            .is_none()
    );
    let body = b"%PDF-1.7 \x00\xff binary";
    let kept = store
        .put_document(doc("330102000000", "2026-10", body, 5))
        .await
        .expect("put");
    assert_eq!(kept.version, 1);
    assert_eq!(kept.digest, digest(body));
    assert_eq!(kept.size, body.len() as i64);
    let (info, bytes) = store
        .document("monthly:330102000000:2026-10")
        .await
        .expect("read")
        .expect("kept");
    assert_eq!(info, kept);
    assert_eq!(bytes, body);
    assert_eq!(info.created_at, at(5));
}

async fn making_a_document_again_adds_a_version(db: TestDb) {
    let store = db.store.as_ref();
    store
        .put_document(doc("330102000000", "2026-10", b"first", 1))
        .await
        .expect("put");
    let second = store
        .put_document(doc("330102000000", "2026-10", b"second", 2))
        .await
        .expect("put again");
    assert_eq!(second.version, 2);
    let (info, bytes) = store
        .document("monthly:330102000000:2026-10")
        .await
        .expect("read")
        .expect("kept");
    assert_eq!((info.version, bytes.as_slice()), (2, &b"second"[..]));
    // The first version is still there.
    let rows = db
        .raw_query("SELECT version FROM documents ORDER BY version")
        .await;
    assert_eq!(rows.len(), 2);
}

async fn documents_are_listed_by_area_and_kind(db: TestDb) {
    let store = db.store.as_ref();
    for (d, p, t) in [
        ("330102000000", "2026-09", 1),
        ("330102000000", "2026-10", 2),
        ("330102001000", "2026-10", 3),
        ("330103000000", "2026-10", 4),
    ] {
        store.put_document(doc(d, p, b"x", t)).await.expect("put");
    }
    store
        .put_document(doc("330102000000", "2026-10", b"y", 5))
        .await
        .expect("second version");
    let mut other = doc("330102000000", "2026-10", b"z", 6);
    other.kind = "dossier".to_owned();
    other.key = "dossier:1".to_owned();
    store.put_document(other).await.expect("other kind");

    let listed = store
        .documents("monthly_report", &code("330102000000"), 10)
        .await
        .expect("list");
    let keys: Vec<(String, i64)> = listed.iter().map(|d| (d.key.clone(), d.version)).collect();
    // Newest period first, one row per key (its latest version), only inside 330102.
    assert_eq!(
        keys,
        vec![
            ("monthly:330102000000:2026-10".to_owned(), 2),
            ("monthly:330102001000:2026-10".to_owned(), 1),
            ("monthly:330102000000:2026-09".to_owned(), 1),
        ]
    );
    let limited = store
        .documents("monthly_report", &code("330102000000"), 1)
        .await
        .expect("list");
    assert_eq!(limited.len(), 1);
}

async fn documents_cannot_be_changed_in_sql(db: TestDb) {
    let store = db.store.as_ref();
    store
        .put_document(doc("330102000000", "2026-10", b"kept", 1))
        .await
        .expect("put");
    assert!(
        db.raw_exec("UPDATE documents SET title = 'changed'")
            .await
            .is_err()
    );
    assert!(db.raw_exec("DELETE FROM documents").await.is_err());
    let (info, _) = store
        .document("monthly:330102000000:2026-10")
        .await
        .expect("read")
        .expect("kept");
    assert_eq!(info.title, "研判预警专报 2026-10");
}

async fn a_copy_is_found_by_its_digest_and_a_changed_byte_finds_nothing(db: TestDb) {
    let store = db.store.as_ref();
    let body = b"%PDF-1.7 agreement".to_vec();
    let first = store
        .put_document(doc("330102000000", "2026-10", &body, 1))
        .await
        .expect("put");
    store
        .put_document(doc("330102000000", "2026-11", b"other", 2))
        .await
        .expect("put another");
    // The same bytes kept again under another key: both are found, oldest first.
    let again = store
        .put_document(doc("330102001000", "2026-10", &body, 3))
        .await
        .expect("put the same bytes");
    let found = store
        .documents_by_digest(&digest(&body))
        .await
        .expect("lookup");
    assert_eq!(found, vec![first, again]);
    let mut changed = body;
    changed[3] ^= 1;
    assert!(
        store
            .documents_by_digest(&digest(&changed))
            .await
            .expect("lookup")
            .is_empty()
    );
}
