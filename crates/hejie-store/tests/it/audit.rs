//! The audit: an untouched log is intact; every kind of tampering done directly in SQL (once the
//! append-only guards are out of the way) is found and pinned to the right case and event; the
//! guards themselves refuse edits; checkpoints chain.

use hejie_store::chain::GENESIS;
use hejie_store::{AuditReport, Checkpoint, Committed, Problem, Store};

use crate::fixture::*;
use crate::harness::{TestDb, on_both_backends};

/// The log every audit test starts from. Before the checkpoint: A at v6 (mediating, one
/// session), B at v3 (assigned), C at v1. After it: A closes (v7), C is accepted (v2), D is
/// registered (v1).
#[derive(Debug)]
struct History {
    a: Committed,
    b: Committed,
    c: Committed,
    d: Committed,
    checkpoint: Checkpoint,
}

const EVENTS_BEFORE_CHECKPOINT: u64 = 6 + 3 + 1;
const EVENTS_AFTER_CHECKPOINT: u64 = 3;

async fn history(store: &dyn Store) -> History {
    seed(store).await;
    let a = register(store, at(0)).await;
    let b = register(store, at(1)).await;
    let c = register(store, at(2)).await;
    advance(store, a.case_id, at(0), 0..5).await;
    let b = advance(store, b.case_id, at(1), 0..2).await;
    let checkpoint = store
        .checkpoint(at(10))
        .await
        .expect("checkpoint")
        .expect("there is something to checkpoint");
    let a = advance(store, a.case_id, at(0), 5..6).await;
    let c = advance(store, c.case_id, at(2), 0..1).await;
    let d = register(store, at(11)).await;
    History {
        a,
        b,
        c,
        d,
        checkpoint,
    }
}

impl History {
    /// Replaces `{A}`…`{D}` with the case ids.
    fn fill(&self, sql: &str) -> String {
        sql.replace("{A}", &self.a.case_id.to_string())
            .replace("{B}", &self.b.case_id.to_string())
            .replace("{C}", &self.c.case_id.to_string())
            .replace("{D}", &self.d.case_id.to_string())
    }

    fn case(&self, name: char) -> &Committed {
        match name {
            'A' => &self.a,
            'B' => &self.b,
            'C' => &self.c,
            'D' => &self.d,
            _ => panic!("no case {name}"),
        }
    }
}

async fn audit(store: &dyn Store) -> AuditReport {
    store.audit().await.expect("audit")
}

async fn untouched_log_is_intact(db: TestDb) {
    let store = db.store.as_ref();
    let h = history(store).await;
    assert_eq!(h.checkpoint.id, 1);
    assert_eq!(h.checkpoint.events, EVENTS_BEFORE_CHECKPOINT as i64);
    assert_eq!(h.checkpoint.heads, 3);
    assert_eq!(h.checkpoint.created_at, at(10));
    assert_eq!((h.a.version, h.b.version, h.c.version), (7, 3, 2));

    let report = audit(store).await;
    assert!(
        report.is_intact(),
        "{}: {:#?}",
        db.backend(),
        report.problems
    );
    assert_eq!(report.cases, 4);
    assert_eq!(
        report.events,
        EVENTS_BEFORE_CHECKPOINT + EVENTS_AFTER_CHECKPOINT
    );
    assert_eq!(report.checkpoints, 1);
    assert_eq!(report.latest_checkpoint, Some(h.checkpoint.hash.clone()));
    assert_eq!(report.uncheckpointed_events, EVENTS_AFTER_CHECKPOINT);

    // Checkpointing again covers the rest.
    store
        .checkpoint(at(20))
        .await
        .expect("checkpoint")
        .expect("new events");
    let report = audit(store).await;
    assert!(report.is_intact(), "{:#?}", report.problems);
    assert_eq!(report.uncheckpointed_events, 0);
    assert_eq!(report.checkpoints, 2);
}
on_both_backends!(untouched_log_is_intact);

/// What the audit must say first about a piece of tampering.
#[derive(Debug, Clone, Copy)]
struct Expect {
    /// The case the first problem names (`A`…`D`), if it names one.
    case: Option<char>,
    /// The event version it names, if any.
    version: Option<i64>,
    /// A fragment of its message.
    message: &'static str,
    /// A fragment some other problem must carry too, if any.
    also: Option<&'static str>,
}

const fn expect(case: Option<char>, version: Option<i64>, message: &'static str) -> Expect {
    Expect {
        case,
        version,
        message,
        also: None,
    }
}

/// Builds the [`history`], disables the append-only guards, runs `sql` (with `{A}`…`{D}` filled
/// in) directly against the database, and checks that the audit reports it as `expected`.
async fn tamper_case(db: &TestDb, sql: &str, expected: Expect) -> AuditReport {
    let store = db.store.as_ref();
    let h = history(store).await;
    let before = audit(store).await;
    assert!(before.is_intact(), "{:#?}", before.problems);

    db.disable_append_only_guards().await;
    let sql = h.fill(sql);
    db.raw_exec(&sql)
        .await
        .unwrap_or_else(|e| panic!("{}: tampering with `{sql}` failed: {e}", db.backend()));

    let report = audit(store).await;
    let context = format!("{} after `{sql}`: {:#?}", db.backend(), report.problems);
    let first: &Problem = report
        .problems
        .first()
        .unwrap_or_else(|| panic!("{context}\nthe tampering went unnoticed"));
    assert!(!report.is_intact());
    assert!(
        first.message.contains(expected.message),
        "{context}\nfirst problem should say “{}”",
        expected.message
    );
    let case = expected.case.map(|c| h.case(c));
    assert_eq!(
        first.case_id,
        case.map(|c| c.case_id.to_string()),
        "{context}\nfirst problem names the wrong case"
    );
    assert_eq!(
        first.version, expected.version,
        "{context}\nfirst problem names the wrong version"
    );
    if let (Some(c), Some(n)) = (case, &first.case_number) {
        assert_eq!(n, c.number.as_str(), "{context}");
    }
    if let Some(also) = expected.also {
        assert!(
            report.problems.iter().any(|p| p.message.contains(also)),
            "{context}\nsome problem should say “{also}”"
        );
    }
    report
}

async fn edited_event_body_is_detected(db: TestDb) {
    tamper_case(
        &db,
        "UPDATE events SET body = replace(body, '邻里', '合同') WHERE case_id = '{B}' AND version = 1",
        expect(Some('B'), Some(1), "edited"),
    )
    .await;
}
on_both_backends!(edited_event_body_is_detected);

async fn edited_event_meta_in_the_middle_is_detected(db: TestDb) {
    let report = tamper_case(
        &db,
        "UPDATE events SET meta = replace(meta, '吴建国', '王芳') WHERE case_id = '{A}' AND version = 4",
        expect(Some('A'), Some(4), "edited"),
    )
    .await;
    assert!(
        report.problems[0].case_number.is_some(),
        "names the case number"
    );
}
on_both_backends!(edited_event_meta_in_the_middle_is_detected);

async fn deleted_middle_event_is_detected(db: TestDb) {
    tamper_case(
        &db,
        "DELETE FROM events WHERE case_id = '{A}' AND version = 3",
        Expect {
            also: Some("checkpoint #1 covered 10 events; 9 of them remain"),
            ..expect(Some('A'), Some(4), "event v3 is missing")
        },
    )
    .await;
}
on_both_backends!(deleted_middle_event_is_detected);

async fn swapped_events_are_detected(db: TestDb) {
    tamper_case(
        &db,
        "UPDATE events SET version = 1000 WHERE case_id = '{A}' AND version = 2; \
         UPDATE events SET version = 2 WHERE case_id = '{A}' AND version = 3; \
         UPDATE events SET version = 3 WHERE case_id = '{A}' AND version = 1000;",
        expect(Some('A'), Some(2), "does not chain"),
    )
    .await;
}
on_both_backends!(swapped_events_are_detected);

async fn deleted_case_is_detected(db: TestDb) {
    tamper_case(
        &db,
        "DELETE FROM events WHERE case_id = '{B}'; \
         DELETE FROM case_parties WHERE case_id = '{B}'; \
         DELETE FROM cases WHERE id = '{B}';",
        Expect {
            also: Some("case number was allocated but the case is gone"),
            ..expect(Some('B'), Some(3), "recorded in checkpoint #1 is missing")
        },
    )
    .await;
}
on_both_backends!(deleted_case_is_detected);

async fn deleted_last_event_is_detected_through_the_projection(db: TestDb) {
    // A's v7 came after the checkpoint, so nothing but the projection still knows of it.
    tamper_case(
        &db,
        "DELETE FROM events WHERE case_id = '{A}' AND version = 7",
        expect(
            Some('A'),
            None,
            "current-state row is at version 7 but the log has 6 events",
        ),
    )
    .await;
}
on_both_backends!(deleted_last_event_is_detected_through_the_projection);

async fn edited_projection_is_detected(db: TestDb) {
    tamper_case(
        &db,
        "UPDATE cases SET status = 'closed' WHERE id = '{B}'",
        expect(
            Some('B'),
            None,
            "current-state row differs from what its events produce",
        ),
    )
    .await;
}
on_both_backends!(edited_projection_is_detected);

async fn edited_checkpoint_is_detected(db: TestDb) {
    tamper_case(
        &db,
        "UPDATE checkpoints SET created_at = created_at + 1 WHERE id = 1",
        expect(None, None, "checkpoint #1 hash does not match its content"),
    )
    .await;
}
on_both_backends!(edited_checkpoint_is_detected);

/// Every stored column of an event is covered by its hash or its place in the chain: editing
/// any one of them (here on A's v4) is found, each on a fresh database.
async fn every_event_column_is_covered(db: TestDb) {
    let zero = "00000000-0000-0000-0000-000000000000";
    let cases: Vec<(String, Expect)> = vec![
        (
            "kind = 'accepted'".to_owned(),
            expect(Some('A'), Some(4), "edited"),
        ),
        (
            "occurred_at = occurred_at + 1".to_owned(),
            expect(Some('A'), Some(4), "edited"),
        ),
        (
            format!("actor_id = '{zero}'"),
            expect(Some('A'), Some(4), "edited"),
        ),
        (
            "division = '339021101000'".to_owned(),
            expect(Some('A'), Some(4), "edited"),
        ),
        (
            "recorded_at = recorded_at - 1".to_owned(),
            expect(Some('A'), Some(4), "edited"),
        ),
        (
            "body = replace(body, 'acknowledged', 'accepted')".to_owned(),
            expect(Some('A'), Some(4), "edited"),
        ),
        (
            format!("hash = '{GENESIS}'"),
            expect(Some('A'), Some(4), "edited"),
        ),
        (
            format!("prev_hash = '{GENESIS}'"),
            expect(Some('A'), Some(4), "does not chain"),
        ),
        (
            "version = 40".to_owned(),
            expect(Some('A'), Some(5), "event v4 is missing"),
        ),
    ];
    let backend = db.backend();
    let mut given = Some(db);
    for (set, expected) in cases {
        let db = match given.take() {
            Some(db) => db,
            None => TestDb::new(backend).await,
        };
        let sql = format!("UPDATE events SET {set} WHERE case_id = '{{A}}' AND version = 4");
        tamper_case(&db, &sql, expected).await;
    }
}
on_both_backends!(every_event_column_is_covered);

async fn append_only_guards_refuse_edits(db: TestDb) {
    let store = db.store.as_ref();
    let h = history(store).await;
    let count = |r: &AuditReport| (r.events, r.checkpoints);
    let before = audit(store).await;
    for sql in [
        "UPDATE events SET body = replace(body, '邻里', '合同')",
        "UPDATE events SET version = version + 100 WHERE case_id = '{A}'",
        "DELETE FROM events WHERE case_id = '{A}' AND version = 7",
        "DELETE FROM events",
        "UPDATE checkpoints SET created_at = 0",
        "DELETE FROM checkpoints",
    ] {
        let sql = h.fill(sql);
        let refused = db.raw_exec(&sql).await;
        match refused {
            Err(e) => assert!(
                e.contains("append-only"),
                "{}: `{sql}` refused for another reason: {e}",
                db.backend()
            ),
            Ok(()) => panic!("{}: `{sql}` was allowed", db.backend()),
        }
    }
    if db.backend() == "postgres" {
        let refused = db.raw_exec("TRUNCATE events").await;
        assert!(
            refused.as_ref().is_err_and(|e| e.contains("append-only")),
            "TRUNCATE events: {refused:?}"
        );
    }
    let after = audit(store).await;
    assert!(after.is_intact(), "{:#?}", after.problems);
    assert_eq!(count(&after), count(&before));
    assert_eq!(
        store.events(h.a.case_id).await.expect("events").len(),
        7,
        "nothing was deleted"
    );
}
on_both_backends!(append_only_guards_refuse_edits);

// ---------------------------------------------------------------------------------------------
// Checkpoints
// ---------------------------------------------------------------------------------------------

async fn checkpoints_cover_what_is_new_and_chain(db: TestDb) {
    let store = db.store.as_ref();
    seed(store).await;
    assert_eq!(
        store.checkpoint(at(0)).await.expect("checkpoint"),
        None,
        "an empty log has nothing to checkpoint"
    );
    let a = register(store, at(0)).await;
    let b = register(store, at(1)).await;
    let a = advance(store, a.case_id, at(0), 0..2).await;

    let first = store
        .checkpoint(at(10))
        .await
        .expect("checkpoint")
        .expect("4 new events");
    let a_events = store.events(a.case_id).await.expect("events");
    let b_events = store.events(b.case_id).await.expect("events");
    let max_seq = a_events.iter().chain(&b_events).map(|e| e.seq).max();
    assert_eq!(first.id, 1);
    assert_eq!(first.events, 4);
    assert_eq!(first.heads, 2);
    assert_eq!(Some(first.max_seq), max_seq);
    assert_eq!(first.hash.len(), 64);
    assert_eq!(
        store.checkpoint(at(11)).await.expect("checkpoint"),
        None,
        "nothing new since the last checkpoint"
    );

    let b = advance(store, b.case_id, at(1), 0..1).await;
    let c = register(store, at(12)).await;
    let second = store
        .checkpoint(at(13))
        .await
        .expect("checkpoint")
        .expect("2 new events");
    assert_eq!(second.id, 2);
    assert_eq!(second.events, 6, "events counts the whole log");
    assert_eq!(second.heads, 2, "only B and C changed");
    assert!(second.max_seq > first.max_seq);
    assert_ne!(second.hash, first.hash);

    let rows = db
        .raw_query("SELECT CAST(id AS TEXT), prev_hash, hash FROM checkpoints ORDER BY id")
        .await;
    assert_eq!(
        rows,
        [
            ["1".to_owned(), GENESIS.to_owned(), first.hash.clone()],
            ["2".to_owned(), first.hash.clone(), second.hash.clone()],
        ],
        "{}: the second checkpoint chains to the first",
        db.backend()
    );
    let mut heads = db
        .raw_query(
            "SELECT case_id, CAST(version AS TEXT), hash FROM checkpoint_heads \
             WHERE checkpoint_id = 2",
        )
        .await;
    heads.sort();
    let mut expected = vec![
        vec![b.case_id.to_string(), "2".to_owned(), b.head_hash.clone()],
        vec![c.case_id.to_string(), "1".to_owned(), c.head_hash.clone()],
    ];
    expected.sort();
    assert_eq!(heads, expected);

    let report = audit(store).await;
    assert!(report.is_intact(), "{:#?}", report.problems);
    assert_eq!(report.checkpoints, 2);
    assert_eq!(report.latest_checkpoint, Some(second.hash.clone()));
    assert_eq!(report.uncheckpointed_events, 0);

    advance(store, a.case_id, at(0), 2..3).await;
    let report = audit(store).await;
    assert!(report.is_intact(), "{:#?}", report.problems);
    assert_eq!(report.uncheckpointed_events, 1);
}
on_both_backends!(checkpoints_cover_what_is_new_and_chain);
