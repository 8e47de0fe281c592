//! The field store (issue 7): boundaries kept with every version, assignments, and the field log,
//! hash-chained per record, with its rows written in the same transaction, on both backends.

use hejie_domain::field::{Command, Event, FieldRecord, Ledger, Meta, NewReport, RecordId, handle};
use hejie_domain::user::{Actor, Role, UserId};
use hejie_store::StoreError;
use hejie_store::field::{Assignment, FieldFilter, FieldRow, NewArea};
use uuid::Uuid;

use crate::fixture::{at, code, grid, other_village, register_with, seed, town, village};
use crate::harness::{TestDb, on_both_backends};

on_both_backends!(
    a_boundary_imported_again_is_a_new_version_and_the_old_one_is_kept,
    assignments_are_found_by_area_and_by_person,
    a_field_record_is_chained_and_its_row_follows_its_events,
    a_record_created_twice_or_appended_to_from_a_stale_version_is_refused,
    field_records_are_filtered_by_area_kind_ledger_and_time,
    an_edited_field_event_is_found_by_the_verification,
    open_cases_are_counted_by_the_grid_they_arose_in
);

const SQUARE: &str = r#"{"type":"Polygon","coordinates":[[[119.64,29.11],[119.66,29.11],[119.66,29.13],[119.64,29.13],[119.64,29.11]]]}"#;
const SMALLER: &str = r#"{"type":"Polygon","coordinates":[[[119.645,29.115],[119.655,29.115],[119.655,29.125],[119.645,29.115]]]}"#;

async fn a_boundary_imported_again_is_a_new_version_and_the_old_one_is_kept(db: TestDb) {
    let store = db.store.as_ref();
    let first = vec![
        NewArea {
            division: village(),
            geometry: SQUARE.to_owned(),
        },
        NewArea {
            division: grid(),
            geometry: SQUARE.to_owned(),
        },
        NewArea {
            division: other_village(),
            geometry: SQUARE.to_owned(),
        },
    ];
    store
        .put_areas(first, "admin", at(1))
        .await
        .expect("import");
    store
        .put_areas(
            vec![NewArea {
                division: grid(),
                geometry: SMALLER.to_owned(),
            }],
            "admin",
            at(2),
        )
        .await
        .expect("import again");
    let in_town: Vec<_> = store
        .areas(&town())
        .await
        .expect("areas")
        .into_iter()
        .map(|a| (a.division.to_string(), a.version))
        .collect();
    // The other township's village is not in this township.
    assert_eq!(
        in_town,
        vec![(village().to_string(), 1), (grid().to_string(), 2)]
    );
    let current = store.area(&grid()).await.expect("area").expect("kept");
    assert_eq!(
        (current.geometry.as_str(), current.updated_at),
        (SMALLER, at(2))
    );
    let versions = db
        .raw_query(
            "SELECT version FROM area_versions WHERE division = '339021100201001' ORDER BY version",
        )
        .await;
    assert_eq!(versions.len(), 2);
    assert!(
        db.raw_exec("UPDATE area_versions SET geometry = '{}'")
            .await
            .is_err(),
        "area versions are append-only"
    );
}

async fn assignments_are_found_by_area_and_by_person(db: TestDb) {
    let store = db.store.as_ref();
    let assignment = |n: u128, kind: &str, division, user: &str, ends: Option<&str>| Assignment {
        id: Uuid::from_u128(n).to_string(),
        kind: kind.to_owned(),
        division,
        user_id: user.to_owned(),
        starts: "2026-01-01".to_owned(),
        ends: ends.map(str::to_owned),
        created_by: "admin".to_owned(),
        created_at: at(0),
    };
    let a = assignment(1, "grid_worker", grid(), "u1", None);
    let b = assignment(2, "legal_advisor", village(), "u2", Some("2026-12-31"));
    let c = assignment(
        3,
        "legal_advisor",
        other_village(),
        "u2",
        Some("2026-12-31"),
    );
    for x in [&a, &b, &c] {
        store.put_assignment(x).await.expect("assign");
    }
    assert_eq!(
        store.assignments(&town()).await.expect("within"),
        vec![b.clone(), a]
    );
    assert_eq!(store.assignments_of("u2").await.expect("of"), vec![b, c]);
}

fn worker() -> Actor {
    Actor {
        id: UserId(Uuid::from_u128(0x61)),
        name: "赵网格".to_owned(),
        role: Role::GridWorker,
        organisation: None,
    }
}

fn report(ledger: Ledger, category: &str, hour: i64) -> NewReport {
    NewReport {
        ledger,
        category: category.to_owned(),
        text: "消防通道被占".to_owned(),
        parties: vec!["张三".to_owned()],
        grid: grid(),
        position: None,
        observed_at: at(hour),
        photos: vec![],
    }
}

fn meta(hour: i64) -> Meta {
    Meta {
        actor: worker(),
        at: at(hour),
        division: grid(),
    }
}

/// Decides `command` on the record as `given` folds it, and the row it would stand as.
fn decide(id: RecordId, given: &[Event], hour: i64, command: Command) -> (Vec<Event>, FieldRow) {
    let events = handle(&FieldRecord::replay(given), id, &meta(hour), command).expect("decided");
    let all: Vec<Event> = given.iter().chain(&events).cloned().collect();
    let state = FieldRecord::replay(&all);
    let row = FieldRow {
        id: id.to_string(),
        kind: "report".to_owned(),
        status: state
            .status
            .map(|s| s.code().to_owned())
            .unwrap_or_default(),
        ledger: state.ledger.map(|l| l.code().to_owned()),
        category: None,
        division: grid().to_string(),
        actor_id: worker().id.to_string(),
        actor_name: worker().name,
        occurred_at: at(hour).micros(),
        ended_at: None,
        lat_e6: None,
        lon_e6: None,
        flagged: false,
        case_number: None,
        summary: "消防通道被占".to_owned(),
        photos: 0,
        version: i64::try_from(state.version).expect("small"),
        updated_at: at(hour).micros(),
    };
    (events, row)
}

fn file(ledger: Ledger, category: &str, hour: i64) -> (RecordId, Vec<Event>, FieldRow) {
    let id = RecordId(Uuid::now_v7());
    let (events, row) = decide(
        id,
        &[],
        hour,
        Command::FileReport(Box::new(report(ledger, category, hour))),
    );
    (id, events, row)
}

async fn a_field_record_is_chained_and_its_row_follows_its_events(db: TestDb) {
    let store = db.store.as_ref();
    let (id, filed, row) = file(Ledger::Hazard, "消防安全", 1);
    store
        .append_field(id, 0, filed.clone(), row.clone(), at(1))
        .await
        .expect("create");
    assert_eq!(store.field_record(id).await.expect("row"), Some(row));
    let (closed, row) = decide(
        id,
        &filed,
        2,
        Command::FollowUp {
            note: "已清理".to_owned(),
            close: true,
        },
    );
    store
        .append_field(id, 1, closed.clone(), row.clone(), at(2))
        .await
        .expect("append");
    let stored = store.field_events(id).await.expect("events");
    let events: Vec<Event> = stored.iter().map(|e| e.event.clone()).collect();
    assert_eq!(events, [filed, closed].concat());
    assert_eq!(stored[1].prev_hash, stored[0].hash);
    assert_eq!(stored[1].version, 2);
    let now = store.field_record(id).await.expect("row").expect("kept");
    assert_eq!((now.status.as_str(), now.version), ("closed", 2));
    assert!(store.verify_field_log().await.expect("verify").is_empty());
}

async fn a_record_created_twice_or_appended_to_from_a_stale_version_is_refused(db: TestDb) {
    let store = db.store.as_ref();
    let (id, filed, row) = file(Ledger::Dispute, "邻里纠纷", 1);
    store
        .append_field(id, 0, filed.clone(), row.clone(), at(1))
        .await
        .expect("create");
    let again = store.append_field(id, 0, filed.clone(), row, at(1)).await;
    assert!(matches!(again, Err(StoreError::Duplicate(_))), "{again:?}");
    let (progress, row) = decide(
        id,
        &filed,
        2,
        Command::FollowUp {
            note: "已联系双方".to_owned(),
            close: false,
        },
    );
    store
        .append_field(id, 1, progress.clone(), row.clone(), at(2))
        .await
        .expect("append");
    let stale = store.append_field(id, 1, progress, row, at(2)).await;
    assert!(
        matches!(
            stale,
            Err(StoreError::Conflict {
                expected: 1,
                actual: 2
            })
        ),
        "{stale:?}"
    );
    assert_eq!(store.field_events(id).await.expect("events").len(), 2);
}

async fn field_records_are_filtered_by_area_kind_ledger_and_time(db: TestDb) {
    let store = db.store.as_ref();
    let mut ids = Vec::new();
    for (ledger, category, hour) in [
        (Ledger::Hazard, "消防安全", 1),
        (Ledger::Dispute, "邻里纠纷", 2),
        (Ledger::Hazard, "用电安全", 3),
    ] {
        let (id, events, row) = file(ledger, category, hour);
        store
            .append_field(id, 0, events, row, at(hour))
            .await
            .expect("create");
        ids.push(id.to_string());
    }
    let list = |f: FieldFilter| async move {
        store
            .field_records(&f)
            .await
            .expect("list")
            .into_iter()
            .map(|r| r.id)
            .collect::<Vec<_>>()
    };
    let all = FieldFilter {
        limit: 50,
        ..FieldFilter::default()
    };
    assert_eq!(
        list(all.clone()).await,
        vec![ids[2].clone(), ids[1].clone(), ids[0].clone()]
    );
    let hazards = FieldFilter {
        ledger: Some("hazard".to_owned()),
        within: Some(town()),
        kind: Some("report".to_owned()),
        ..all.clone()
    };
    assert_eq!(list(hazards).await, vec![ids[2].clone(), ids[0].clone()]);
    let window = FieldFilter {
        from: Some(at(2)),
        to: Some(at(3)),
        ..all.clone()
    };
    assert_eq!(list(window).await, vec![ids[1].clone()]);
    let elsewhere = FieldFilter {
        within: Some(other_village()),
        ..all
    };
    assert!(list(elsewhere).await.is_empty());
    assert_eq!(
        store.report_counts(&town()).await.expect("counts"),
        vec![
            ("dispute".to_owned(), "open".to_owned(), 1),
            ("hazard".to_owned(), "open".to_owned(), 2)
        ]
    );
    assert!(
        store
            .report_counts(&other_village())
            .await
            .expect("counts")
            .is_empty()
    );
}

async fn an_edited_field_event_is_found_by_the_verification(db: TestDb) {
    let store = db.store.as_ref();
    let (id, events, row) = file(Ledger::Livelihood, "为老服务", 1);
    store
        .append_field(id, 0, events, row, at(1))
        .await
        .expect("create");
    assert!(
        db.raw_exec("UPDATE field_events SET body = replace(body, '消防', '防汛')")
            .await
            .is_err(),
        "the field log is append-only"
    );
    let drop = match db.backend() {
        "sqlite" => "DROP TRIGGER field_events_no_update",
        _ => "ALTER TABLE field_events DISABLE TRIGGER USER",
    };
    db.raw_exec(drop)
        .await
        .expect("an attacker drops the guard");
    db.raw_exec("UPDATE field_events SET body = replace(body, '消防', '防汛')")
        .await
        .expect("edit");
    let problems = store.verify_field_log().await.expect("verify");
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(problems[0].contains("内容与哈希不符"), "{problems:?}");
}

async fn open_cases_are_counted_by_the_grid_they_arose_in(db: TestDb) {
    let store = db.store.as_ref();
    seed(store).await;
    register_with(store, at(1), |r| r.location.grid = Some(grid()))
        .await
        .expect("register");
    let counts = store.open_cases_by_place(&town()).await.expect("counts");
    assert_eq!(counts, vec![(grid().to_string(), 1)]);
    assert!(
        store
            .open_cases_by_place(&code("339021101000"))
            .await
            .expect("counts")
            .is_empty()
    );
}
