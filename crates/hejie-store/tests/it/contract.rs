//! What every [`Store`] must do: schema, reference data, case numbers, the event stream and its
//! projection, optimistic concurrency, personal data at rest, the case list and bulk
//! registration.

use std::collections::BTreeSet;
use std::sync::Arc;

use hejie_crypto::{KeyedSealer, MasterKey};
use hejie_domain::DomainError;
use hejie_domain::case::{
    CaseId, CaseNumber, CaseState, Command, Event, EventBody, Party, PartyRole, Register, Status,
    handle,
};
use hejie_domain::org::OrganisationKind;
use hejie_domain::personal::{IdNumber, PhoneNumber, PiiKind, PiiSealer};
use hejie_domain::timestamp::Timestamp;
use hejie_domain::user::Role;
use hejie_store::chain::GENESIS;
use hejie_store::{CaseFilter, CaseSummary, Committed, Store, StoreError, service};
use tokio::sync::Barrier;

use crate::fixture::*;
use crate::harness::{TestDb, on_both_backends};

fn number(s: &str) -> CaseNumber {
    CaseNumber::parse(s).expect("valid case number")
}

async fn list(store: &dyn Store, filter: CaseFilter) -> Vec<CaseSummary> {
    store.list_cases(&filter).await.expect("list cases")
}

async fn all_cases(store: &dyn Store) -> Vec<CaseSummary> {
    list(
        store,
        CaseFilter {
            limit: 1000,
            ..CaseFilter::default()
        },
    )
    .await
}

fn ids(cases: &[CaseSummary]) -> BTreeSet<CaseId> {
    cases.iter().map(|c| c.id).collect()
}

async fn assert_intact(store: &dyn Store) {
    let report = store.audit().await.expect("audit");
    assert!(
        report.is_intact(),
        "{}: {:#?}",
        store.backend(),
        report.problems
    );
}

// ---------------------------------------------------------------------------------------------
// Schema
// ---------------------------------------------------------------------------------------------

async fn migrate_is_idempotent(db: TestDb) {
    let store = db.store.as_ref();
    seed(store).await;
    let first = register(store, at(0)).await;

    store
        .migrate(crate::fixture::at(0))
        .await
        .expect("second migrate");
    store
        .migrate(crate::fixture::at(0))
        .await
        .expect("third migrate");

    let mut versions: Vec<i64> = db
        .raw_query("SELECT CAST(version AS TEXT) FROM schema_migrations")
        .await
        .iter()
        .map(|r| r[0].parse().expect("a version"))
        .collect();
    versions.sort_unstable();
    assert_eq!(
        versions,
        (1..=14).collect::<Vec<i64>>(),
        "each migration is recorded once"
    );
    assert_eq!(store.divisions().await.expect("divisions"), divisions());
    assert_eq!(store.users().await.expect("users").len(), users().len());
    assert_eq!(
        store.find_by_number(&first.number).await.expect("find"),
        Some(first.case_id)
    );
    assert_eq!(store.events(first.case_id).await.expect("events").len(), 1);
    // The number series survived too.
    let second = register(store, at(1)).await;
    assert_eq!(second.number.as_str(), "339021-2026-00002");
    assert_intact(store).await;
}
on_both_backends!(migrate_is_idempotent);

// ---------------------------------------------------------------------------------------------
// Reference data
// ---------------------------------------------------------------------------------------------

async fn reference_data_round_trips_and_upserts(db: TestDb) {
    let store = db.store.as_ref();
    assert!(store.divisions().await.expect("divisions").is_empty());
    seed(store).await;

    let by_code = |mut v: Vec<hejie_domain::division::Division>| {
        v.sort_by(|a, b| a.code.as_str().cmp(b.code.as_str()));
        v
    };
    let by_id_o = |mut v: Vec<hejie_domain::org::Organisation>| {
        v.sort_by_key(|o| o.id);
        v
    };
    let by_id_u = |mut v: Vec<hejie_domain::user::User>| {
        v.sort_by_key(|u| u.id);
        v
    };
    assert_eq!(
        store.divisions().await.expect("divisions"),
        by_code(divisions()),
        "divisions come back as put, ordered by code"
    );
    assert_eq!(
        by_id_o(store.organisations().await.expect("organisations")),
        by_id_o(organisations())
    );
    assert_eq!(
        by_id_u(store.users().await.expect("users")),
        by_id_u(users())
    );

    // Upserts replace, they do not add.
    let mut renamed = divisions()[2].clone();
    renamed.name = "东门社区".to_owned();
    renamed.population = 2_650;
    store.put_division(&renamed).await.expect("upsert division");
    let mut org = committee();
    org.name = "老吴调解室".to_owned();
    org.kind = OrganisationKind::BrandRoom;
    store.put_organisation(&org).await.expect("upsert org");
    let mut user = mediator_user();
    user.username = "wu.jianguo".to_owned();
    user.name = "吴建国（退休法官）".to_owned();
    user.role = Role::LegalAdvisor;
    user.organisation = None;
    store.put_user(&user).await.expect("upsert user");

    let expect_divisions = by_code(
        divisions()
            .into_iter()
            .map(|d| {
                if d.code == renamed.code {
                    renamed.clone()
                } else {
                    d
                }
            })
            .collect(),
    );
    let expect_orgs = by_id_o(
        organisations()
            .into_iter()
            .map(|o| if o.id == org.id { org.clone() } else { o })
            .collect(),
    );
    let expect_users = by_id_u(
        users()
            .into_iter()
            .map(|u| if u.id == user.id { user.clone() } else { u })
            .collect(),
    );
    assert_eq!(
        store.divisions().await.expect("divisions"),
        expect_divisions
    );
    assert_eq!(
        by_id_o(store.organisations().await.expect("organisations")),
        expect_orgs
    );
    assert_eq!(by_id_u(store.users().await.expect("users")), expect_users);

    // A second account cannot take a username that is in use.
    let mut thief = admin_user();
    thief.id = hejie_domain::user::UserId(uuid::Uuid::from_u128(99));
    thief.username = clerk_user().username;
    match store.put_user(&thief).await {
        Err(StoreError::Duplicate(_)) => {}
        other => panic!("{}: expected Duplicate, got {other:?}", db.backend()),
    }
    assert_eq!(by_id_u(store.users().await.expect("users")), expect_users);
}
on_both_backends!(reference_data_round_trips_and_upserts);

// ---------------------------------------------------------------------------------------------
// Case numbers
// ---------------------------------------------------------------------------------------------

async fn case_numbers_are_sequential_per_series_without_gaps(db: TestDb) {
    let store = db.store.as_ref();
    seed(store).await;

    let first = register(store, at(0)).await;
    let second = register(store, at(1)).await;
    let previous_year = register(store, last_year()).await;
    // The prefix comes from the division where the registration happens.
    let mut neighbour_meta = meta(clerk(), at(2));
    neighbour_meta.division = foreign_town();
    let neighbour_county = register_as(store, neighbour_meta, |r| {
        r.location.division = code("339022100201");
        r.location.grid = None;
    })
    .await
    .expect("register in the neighbouring county");

    // The domain refuses these; the store must neither record them nor burn their numbers.
    type Edit = Box<dyn FnOnce(&mut Register) + Send>;
    let rejections: [(&str, Edit); 2] = [
        (
            "description",
            Box::new(|r| r.description = "   ".to_owned()),
        ),
        ("parties", Box::new(|r| r.parties.clear())),
    ];
    for (field, edit) in rejections {
        match register_with(store, at(3), edit).await {
            Err(StoreError::Domain(DomainError::Validation(v))) => assert_eq!(v.field, field),
            other => panic!("{}: expected a domain error, got {other:?}", db.backend()),
        }
    }
    let third = register(store, at(4)).await;
    // 2025-12-31 16:30 UTC is already 2026 in China: the number follows China Standard Time.
    let new_years_eve = register(store, Timestamp::from_micros(1_767_198_600_000_000)).await;

    let expected = [
        (&first, "339021-2026-00001"),
        (&second, "339021-2026-00002"),
        (&previous_year, "339021-2025-00001"),
        (&neighbour_county, "339022-2026-00001"),
        (&third, "339021-2026-00003"),
        (&new_years_eve, "339021-2026-00004"),
    ];
    for (committed, n) in expected {
        assert_eq!(committed.number.as_str(), n, "{}", db.backend());
        assert_eq!(committed.version, 1);
        assert_eq!(
            store.find_by_number(&number(n)).await.expect("find"),
            Some(committed.case_id),
            "{n}"
        );
    }
    assert_eq!(
        store
            .find_by_number(&number("339021-2026-00005"))
            .await
            .expect("find"),
        None
    );
    assert_eq!(all_cases(store).await.len(), expected.len());
    assert_intact(store).await;
}
on_both_backends!(case_numbers_are_sequential_per_series_without_gaps);

// ---------------------------------------------------------------------------------------------
// The stream and its projection
// ---------------------------------------------------------------------------------------------

async fn a_whole_life_is_chained_projected_and_replayed(db: TestDb) {
    let store = db.store.as_ref();
    seed(store).await;
    let start = at(0);
    let registered = register(store, start).await;
    let id = registered.case_id;

    // An independent model: the domain deciding on our own copy of the state.
    let register_meta = meta(clerk(), start);
    let mut expected_events = handle(
        &CaseState::default(),
        register_meta,
        Command::Register(Box::new(registration(id, registered.number.clone()))),
    )
    .expect("registration");
    let mut model = CaseState::replay(&expected_events);
    let mut head = registered.head_hash.clone();

    for (meta, command) in lifecycle(start) {
        let (events, next) =
            service::decide(&model, meta.clone(), command.clone()).expect("model decides");
        let committed = service::execute(store, id, meta, command)
            .await
            .expect("execute");
        assert_eq!(committed.case_id, id);
        assert_eq!(committed.number, registered.number);
        assert_eq!(committed.version, next.version());
        assert_ne!(committed.head_hash, head, "each append moves the head");
        head = committed.head_hash;
        expected_events.extend(events);
        model = next;
    }

    let stored = store.events(id).await.expect("events");
    assert_eq!(stored.len(), 8);
    let mut prev = GENESIS.to_owned();
    let mut prev_seq = 0;
    for (i, e) in stored.iter().enumerate() {
        assert_eq!(e.version, i as u64 + 1, "versions run 1..n");
        assert_eq!(e.prev_hash, prev, "v{} chains to v{}", e.version, i);
        assert_eq!(e.hash.len(), 64);
        assert!(e.hash.bytes().all(|b| b.is_ascii_hexdigit()));
        assert!(e.seq > prev_seq, "seq grows in append order");
        prev.clone_from(&e.hash);
        prev_seq = e.seq;
    }
    assert_eq!(stored[0].prev_hash, GENESIS);
    assert_eq!(prev, head, "the last event's hash is the committed head");
    let events: Vec<Event> = stored.iter().map(|e| e.event.clone()).collect();
    assert_eq!(
        events, expected_events,
        "events come back exactly as decided"
    );

    let loaded = store.load(id).await.expect("load");
    assert_eq!(
        loaded, model,
        "replaying the stream yields the model's state"
    );
    let case = loaded.case().expect("registered");
    assert_eq!(case.status, Status::FollowedUp);
    assert_eq!(case.sessions, 1);

    let listed = all_cases(store).await;
    assert_eq!(listed.len(), 1);
    let s = &listed[0];
    assert_eq!(s.id, id);
    assert_eq!(s.number, registered.number);
    assert_eq!(s.status, Status::FollowedUp);
    assert_eq!(s.version, 8);
    assert_eq!(s.channel, "visit");
    assert_eq!(s.dispute_type.as_deref(), Some("neighbour"));
    assert_eq!(s.severity.as_deref(), Some("ordinary"));
    assert_eq!(s.division, village());
    assert_eq!(s.holder_org, Some(committee().id.to_string()));
    assert_eq!(s.holder_org_name, Some(committee().name));
    assert_eq!(s.description, DESCRIPTION);
    assert_eq!(s.party_names, "张三、李四");
    assert_eq!(s.registered_at, start);
    assert_eq!(s.updated_at, start.plus_seconds(30 * 3600));

    // A command the domain refuses records nothing.
    match service::execute(store, id, meta(clerk(), at(40)), accept()).await {
        Err(StoreError::Domain(DomainError::InvalidTransition { .. })) => {}
        other => panic!("expected an invalid transition, got {other:?}"),
    }
    assert_eq!(store.events(id).await.expect("events").len(), 8);
    // So does a command on a case that does not exist.
    let ghost = new_case_id();
    assert!(matches!(
        service::execute(store, ghost, meta(clerk(), at(40)), accept()).await,
        Err(StoreError::NotFound)
    ));
    assert!(store.events(ghost).await.expect("events").is_empty());
    assert_intact(store).await;
}
on_both_backends!(a_whole_life_is_chained_projected_and_replayed);

// ---------------------------------------------------------------------------------------------
// Optimistic concurrency
// ---------------------------------------------------------------------------------------------

async fn racing_writers_at_one_version_yield_one_event_and_one_conflict(db: TestDb) {
    let store = db.store.as_ref();
    seed(store).await;
    const ROUNDS: usize = 20;
    let mut accepted_wins = 0;
    for round in 0..ROUNDS {
        let when = at(round as i64);
        let id = register(store, when).await.case_id;
        let state = store.load(id).await.expect("load");
        assert_eq!(state.version(), 1);

        let barrier = Arc::new(Barrier::new(2));
        let racer = |command: Command| {
            let (store, state, barrier) = (db.store.clone(), state.clone(), barrier.clone());
            let meta = meta(clerk(), when.plus_seconds(60));
            tokio::spawn(async move {
                barrier.wait().await;
                service::execute_on(store.as_ref(), &state, meta, command).await
            })
        };
        let (a, b) = tokio::join!(racer(accept()), racer(decline()));
        let (a, b) = (a.expect("accept task"), b.expect("decline task"));
        let (winner, status) = match (&a, &b) {
            (Ok(w), Err(StoreError::Conflict { expected, actual })) => {
                assert_eq!((*expected, *actual), (1, 2));
                accepted_wins += 1;
                (w, Status::Accepted)
            }
            (Err(StoreError::Conflict { expected, actual }), Ok(w)) => {
                assert_eq!((*expected, *actual), (1, 2));
                (w, Status::Declined)
            }
            _ => panic!(
                "{} round {round}: expected one Ok and one Conflict, got {a:?} and {b:?}",
                db.backend()
            ),
        };
        assert_eq!(winner.version, 2);

        let stream = store.events(id).await.expect("events");
        assert_eq!(stream.len(), 2, "round {round}: exactly one new event");
        assert_eq!(stream[1].hash, winner.head_hash);
        let kind = stream[1].event.body.kind();
        assert_eq!(
            kind,
            if status == Status::Accepted {
                "accepted"
            } else {
                "declined"
            }
        );
        let loaded = store.load(id).await.expect("load");
        assert_eq!(loaded.case().map(|c| c.status), Some(status));
        let projected = all_cases(store)
            .await
            .into_iter()
            .find(|c| c.id == id)
            .expect("the case is listed");
        assert_eq!((projected.status, projected.version), (status, 2));

        // A writer still holding the old version is refused, and writes nothing.
        let (events, next) =
            service::decide(&state, meta(clerk(), when.plus_seconds(120)), accept())
                .expect("decide");
        let stale = store
            .append(
                id,
                1,
                events,
                next.case().cloned().expect("case"),
                when.plus_seconds(120),
            )
            .await;
        assert!(
            matches!(
                stale,
                Err(StoreError::Conflict {
                    expected: 1,
                    actual: 2
                })
            ),
            "{}: stale append gave {stale:?}",
            db.backend()
        );
        assert_eq!(store.events(id).await.expect("events").len(), 2);
    }
    let cases = all_cases(store).await;
    assert_eq!(cases.len(), ROUNDS);
    assert!(cases.iter().all(|c| c.version == 2));
    assert_eq!(
        cases
            .iter()
            .filter(|c| c.status == Status::Accepted)
            .count(),
        accepted_wins
    );
    let report = store.audit().await.expect("audit");
    assert!(report.is_intact(), "{:#?}", report.problems);
    assert_eq!(report.events, 2 * ROUNDS as u64);
}
on_both_backends!(racing_writers_at_one_version_yield_one_event_and_one_conflict);

// ---------------------------------------------------------------------------------------------
// Personal data
// ---------------------------------------------------------------------------------------------

const ID_NUMBER: &str = "11010519491231002X";
const PHONE: &str = "13812345678";
const OTHER_PHONE: &str = "13900001111";

async fn personal_data_is_sealed_at_rest_and_found_by_keyed_hash(db: TestDb) {
    let store = db.store.as_ref();
    seed(store).await;
    let sealer = Arc::new(KeyedSealer::new(&MasterKey::generate()));
    let id_number = IdNumber::parse(ID_NUMBER).expect("valid id number");
    let phone = PhoneNumber::parse(PHONE).expect("valid phone");
    let applicant = Party {
        id_number: Some(id_number.seal(sealer.as_ref())),
        phone: Some(phone.seal(sealer.as_ref())),
        ..party(PartyRole::Applicant, "张三")
    };
    let target = register_with(store, at(0), move |r| {
        r.parties = vec![applicant, party(PartyRole::Respondent, "李四")];
    })
    .await
    .expect("register the target case");
    let other_phone = PhoneNumber::parse(OTHER_PHONE)
        .expect("valid phone")
        .seal(sealer.as_ref());
    let other = register_with(store, at(1), move |r| {
        r.parties = vec![
            Party {
                phone: Some(other_phone),
                ..party(PartyRole::Applicant, "王五")
            },
            party(PartyRole::Respondent, "赵六"),
        ];
    })
    .await
    .expect("register another case");
    advance(store, target.case_id, at(0), 0..3).await;

    let dump = db.raw_dump().await;
    assert!(
        dump.contains(DESCRIPTION) && dump.contains(target.number.as_str()),
        "{}: the dump must include the stored rows",
        db.backend()
    );
    for secret in [
        ID_NUMBER,
        "11010519491231002x",
        PHONE,
        OTHER_PHONE,
        "19491231",
    ] {
        assert!(
            !dump.contains(secret),
            "{}: {secret} is stored in plain text",
            db.backend()
        );
    }
    for masked in ["110105********002X", "138****5678", "139****1111"] {
        assert!(
            dump.contains(masked),
            "{}: the masked form {masked} should be stored for display",
            db.backend()
        );
    }

    let by_hash = |kind: PiiKind, plain: &str| CaseFilter {
        party_hash: Some(sealer.keyed_hash(kind, plain)),
        ..CaseFilter::default()
    };
    let found = list(store, by_hash(PiiKind::Phone, PHONE)).await;
    assert_eq!(ids(&found), BTreeSet::from([target.case_id]));
    assert_eq!(found[0].version, 4);
    let found = list(store, by_hash(PiiKind::IdNumber, ID_NUMBER)).await;
    assert_eq!(ids(&found), BTreeSet::from([target.case_id]));
    let found = list(store, by_hash(PiiKind::Phone, OTHER_PHONE)).await;
    assert_eq!(ids(&found), BTreeSet::from([other.case_id]));
    // Hashes are keyed by kind: a phone number looked up as an ID number matches nothing.
    assert!(
        list(store, by_hash(PiiKind::IdNumber, PHONE))
            .await
            .is_empty()
    );
    assert!(
        list(store, by_hash(PiiKind::Phone, "13700000000"))
            .await
            .is_empty()
    );

    let stream = store.events(target.case_id).await.expect("events");
    let EventBody::Registered { parties, .. } = &stream[0].event.body else {
        panic!("the first event is the registration");
    };
    let sealed_id = parties[0].id_number.as_ref().expect("sealed id number");
    let sealed_phone = parties[0].phone.as_ref().expect("sealed phone");
    assert_eq!(sealed_id.masked, "110105********002X");
    assert_eq!(sealed_phone.masked, "138****5678");
    assert_eq!(sealer.open(sealed_id).expect("open id number"), ID_NUMBER);
    assert_eq!(sealer.open(sealed_phone).expect("open phone"), PHONE);
    // Another key opens nothing.
    let stranger = KeyedSealer::new(&MasterKey::generate());
    assert!(stranger.open(sealed_phone).is_err());
}
on_both_backends!(personal_data_is_sealed_at_rest_and_found_by_keyed_hash);

// ---------------------------------------------------------------------------------------------
// The case list
// ---------------------------------------------------------------------------------------------

/// Registers cases in the demo county; some share a registration instant, some are accepted.
/// Returns (where, when, id, accepted) per case.
async fn spread_cases(
    store: &dyn Store,
) -> Vec<(
    hejie_domain::division::DivisionCode,
    Timestamp,
    CaseId,
    bool,
)> {
    let plan = [
        (village(), 0, false),
        (second_village(), 1, true),
        (other_village(), 2, false),
        (village(), 2, false),
        (other_village(), 3, true),
        (village(), 4, true),
        (second_village(), 4, false),
        (village(), 5, false),
        (other_village(), 5, false),
    ];
    let mut out = Vec::new();
    for (place, hour, accepted) in plan {
        let when = at(hour);
        let in_grid = place == village();
        let division = place.clone();
        let c = register_with(store, when, move |r| {
            r.location.division = division;
            if !in_grid {
                r.location.grid = None;
            }
        })
        .await
        .expect("register");
        if accepted {
            advance(store, c.case_id, when, 0..1).await;
        }
        out.push((place, when, c.case_id, accepted));
    }
    out
}

async fn list_filters_and_cursor_pagination(db: TestDb) {
    let store = db.store.as_ref();
    seed(store).await;
    let cases = spread_cases(store).await;
    let expect = |keep: &dyn Fn(&(_, Timestamp, CaseId, bool)) -> bool| -> BTreeSet<CaseId> {
        cases.iter().filter(|c| keep(c)).map(|c| c.2).collect()
    };

    let within = |d: hejie_domain::division::DivisionCode| CaseFilter {
        within: Some(d),
        ..CaseFilter::default()
    };
    for area in [county(), town(), other_town(), village(), second_village()] {
        let got = list(store, within(area.clone())).await;
        assert_eq!(
            ids(&got),
            expect(&|c| area.contains(&c.0)),
            "{}: within {area}",
            db.backend()
        );
        assert!(got.iter().all(|s| area.contains(&s.division)));
    }
    assert!(
        list(store, within(code("339021102000"))).await.is_empty(),
        "a township with no cases"
    );
    // Intake's duplicate check looks for the same address where the dispute arose.
    let at_address = |a: &str| CaseFilter {
        address: Some(a.to_owned()),
        limit: 100,
        ..CaseFilter::default()
    };
    assert_eq!(
        ids(&list(store, at_address("东门村3组12号")).await),
        expect(&|_| true),
        "{}: by address",
        db.backend()
    );
    assert!(list(store, at_address("东门村3组13号")).await.is_empty());
    // A grid worker's jurisdiction is a grid: its cases are the ones reported inside it.
    assert_eq!(
        ids(&list(store, within(grid())).await),
        expect(&|c| c.0 == village()),
        "{}: within the grid",
        db.backend()
    );

    let by_status = |s: Status| CaseFilter {
        status: Some(s),
        ..CaseFilter::default()
    };
    assert_eq!(
        ids(&list(store, by_status(Status::Accepted)).await),
        expect(&|c| c.3)
    );
    assert_eq!(
        ids(&list(store, by_status(Status::Registered)).await),
        expect(&|c| !c.3)
    );
    assert!(list(store, by_status(Status::Closed)).await.is_empty());
    let accepted_in_town = CaseFilter {
        within: Some(town()),
        status: Some(Status::Accepted),
        ..CaseFilter::default()
    };
    assert_eq!(
        ids(&list(store, accepted_in_town).await),
        expect(&|c| c.3 && town().contains(&c.0))
    );

    // Registration time: from is inclusive, to is exclusive.
    let window = CaseFilter {
        registered_from: Some(at(2)),
        registered_to: Some(at(4)),
        ..CaseFilter::default()
    };
    assert_eq!(
        ids(&list(store, window).await),
        expect(&|c| c.1 >= at(2) && c.1 < at(4))
    );
    let since = CaseFilter {
        registered_from: Some(at(4)),
        ..CaseFilter::default()
    };
    assert_eq!(ids(&list(store, since).await), expect(&|c| c.1 >= at(4)));

    // Newest first, ties broken by id, also descending.
    let mut order: Vec<(Timestamp, String, CaseId)> =
        cases.iter().map(|c| (c.1, c.2.to_string(), c.2)).collect();
    order.sort();
    order.reverse();
    let newest_first: Vec<CaseId> = order.iter().map(|o| o.2).collect();
    let everything = all_cases(store).await;
    assert_eq!(
        everything.iter().map(|s| s.id).collect::<Vec<_>>(),
        newest_first,
        "{}: list order",
        db.backend()
    );

    for (filter, page) in [
        (CaseFilter::default(), 2),
        (CaseFilter::default(), 3),
        (within(town()), 2),
        (within(other_town()), 1),
    ] {
        let wanted: Vec<CaseId> = everything
            .iter()
            .filter(|s| {
                filter
                    .within
                    .as_ref()
                    .is_none_or(|w| w.contains(&s.division))
            })
            .map(|s| s.id)
            .collect();
        let mut walked: Vec<CaseId> = Vec::new();
        let mut cursor = None;
        for _ in 0..=cases.len() {
            let got = list(
                store,
                CaseFilter {
                    before: cursor,
                    limit: page,
                    ..filter.clone()
                },
            )
            .await;
            assert!(got.len() <= page as usize);
            let Some(last) = got.last() else {
                break;
            };
            cursor = Some((last.registered_at, last.id));
            walked.extend(got.iter().map(|s| s.id));
        }
        assert_eq!(
            walked,
            wanted,
            "{}: paging by {page} through {:?}",
            db.backend(),
            filter.within
        );
    }
}
on_both_backends!(list_filters_and_cursor_pagination);

// ---------------------------------------------------------------------------------------------
// Bulk registration
// ---------------------------------------------------------------------------------------------

async fn a_batch_commits_the_valid_and_refuses_the_invalid_without_gaps(db: TestDb) {
    let store = db.store.as_ref();
    seed(store).await;
    let batch_of = |spec: &[Option<CaseId>]| -> (Vec<hejie_store::NewCase>, Vec<CaseId>) {
        // `None` is an invalid registration (no parties); `Some(id)` a valid one with that id.
        let mut new = Vec::new();
        let mut ids = Vec::new();
        for (i, s) in spec.iter().enumerate() {
            let id = s.unwrap_or_else(new_case_id);
            let valid = s.is_some();
            ids.push(id);
            new.push(service::new_case(
                id,
                meta(clerk(), at(i as i64)),
                move |n| {
                    let mut r = registration(id, n);
                    if !valid {
                        r.parties.clear();
                    }
                    r
                },
            ));
        }
        (new, ids)
    };

    let valid: Vec<CaseId> = (0..4).map(|_| new_case_id()).collect();
    let (batch, _) = batch_of(&[
        Some(valid[0]),
        Some(valid[1]),
        None,
        Some(valid[2]),
        Some(valid[3]),
    ]);
    let results = store.create_cases(batch).await.expect("create cases");
    assert_eq!(results.len(), 5);
    assert!(
        matches!(
            &results[2],
            Err(StoreError::Domain(DomainError::Validation(v))) if v.field == "parties"
        ),
        "{}: {:?}",
        db.backend(),
        results[2]
    );
    let committed: Vec<&Committed> = results.iter().filter_map(|r| r.as_ref().ok()).collect();
    assert_eq!(committed.len(), 4);
    for (i, c) in committed.iter().enumerate() {
        assert_eq!(c.case_id, valid[i], "results keep the batch's order");
        assert_eq!(c.number.as_str(), format!("339021-2026-{:05}", i + 1));
        assert_eq!(
            store.find_by_number(&c.number).await.expect("find"),
            Some(c.case_id)
        );
        assert_eq!(store.events(c.case_id).await.expect("events").len(), 1);
    }

    // A store-level failure (an id already used) is refused on its own as well.
    let fresh = new_case_id();
    let (batch, _) = batch_of(&[Some(valid[1]), None, Some(fresh)]);
    let results = store.create_cases(batch).await.expect("create cases");
    assert!(
        matches!(&results[0], Err(StoreError::Duplicate(_))),
        "{}: reusing a case id gave {:?}",
        db.backend(),
        results[0]
    );
    assert!(matches!(&results[1], Err(StoreError::Domain(_))));
    let last = results[2].as_ref().expect("the valid one commits");
    assert_eq!(last.case_id, fresh);
    assert_eq!(last.number.as_str(), "339021-2026-00005");
    assert_eq!(
        store.events(valid[1]).await.expect("events").len(),
        1,
        "the case whose id was reused is untouched"
    );

    // The same id twice in one batch: the first registers, the second is refused.
    let twice = new_case_id();
    let (batch, _) = batch_of(&[Some(twice), Some(twice)]);
    let results = store.create_cases(batch).await.expect("create cases");
    assert_eq!(
        results[0]
            .as_ref()
            .expect("the first commits")
            .number
            .as_str(),
        "339021-2026-00006"
    );
    assert!(
        matches!(&results[1], Err(StoreError::Duplicate(_))),
        "{}: an id repeated within the batch gave {:?}",
        db.backend(),
        results[1]
    );

    assert_eq!(all_cases(store).await.len(), 6);
    assert_eq!(
        register(store, at(9)).await.number.as_str(),
        "339021-2026-00007"
    );
    assert_intact(store).await;
}
on_both_backends!(a_batch_commits_the_valid_and_refuses_the_invalid_without_gaps);
