//! The indicators' storage (ADR 0010): cells kept with every append equal a rebuild from the
//! log, at every level, and the cases behind a figure are exactly the ones it counts.

use hejie_domain::case::{ClockKind, Command, DisputeType, Outcome, Satisfaction, Severity, Track};
use hejie_domain::clock::{Limit, LimitUnit};
use hejie_domain::division::DivisionCode;
use hejie_domain::user::Actor;
use hejie_insight::cst_day;
use hejie_store::insight::{
    CellGroup, CellQuery, CellRow, Litigation, MetricCasesQuery, Population, day_number,
    split_months,
};
use hejie_store::{Committed, Store, service};

use crate::fixture::*;
use crate::harness::{TestDb, on_both_backends};

on_both_backends!(
    scripted_history_counts_at_every_level,
    incremental_cells_equal_a_rebuild_and_verify_finds_tampering,
    metric_cases_lists_the_cases_behind_a_count,
    population_is_own_or_the_sum_of_children,
    litigation_sums_months_of_a_subtree,
    open_and_overdue_reads_the_queue_key,
    migration_backfills_cells_from_the_log,
    concurrent_writers_keep_cells_equal_to_a_rebuild,
    whole_months_are_read_from_month_cells_that_a_rebuild_verifies,
);

fn day(h: i64) -> i64 {
    day_number(cst_day(at(h)))
}

fn query(division: DivisionCode, group: CellGroup) -> CellQuery {
    CellQuery {
        division,
        from_day: day(0),
        to_day: day(96),
        dispute_type: None,
        metrics: Vec::new(),
        group,
    }
}

async fn cells(store: &dyn Store, division: DivisionCode, group: CellGroup) -> Vec<CellRow> {
    store
        .cells(&query(division, group))
        .await
        .expect("read cells")
}

/// The value of one metric in one group; absent cells are zero.
fn value(rows: &[CellRow], group: &str, metric: &str) -> i64 {
    rows.iter()
        .find(|r| r.group == group && r.metric == metric)
        .map_or(0, |r| r.value)
}

async fn run(store: &dyn Store, case: &Committed, actor: Actor, h: i64, command: Command) {
    service::execute(store, case.case_id, meta(actor, at(h)), command)
        .await
        .expect("execute a command");
}

fn accept_as(t: DisputeType) -> Command {
    Command::Accept {
        dispute_type: t,
        severity: Severity::Ordinary,
        track: Track::Clinic,
        note: None,
    }
}

fn dissatisfied_follow_up() -> Command {
    Command::FollowUp {
        method: hejie_domain::case::ContactMethod::Phone,
        satisfaction: Satisfaction::Dissatisfied,
        agreement_performed: None,
        note: None,
    }
}

/// Assigns to the village committee, acknowledges, starts mediation and records a session,
/// from hour `h` to `h + 3`.
async fn mediate(store: &dyn Store, case: &Committed, h: i64) {
    run(store, case, clerk(), h, assign_to_committee()).await;
    run(store, case, mediator(), h + 1, acknowledge()).await;
    run(store, case, mediator(), h + 2, start_mediation()).await;
    run(store, case, mediator(), h + 3, record_session(at(h + 3))).await;
}

/// The history the tests share, in the demo county:
///
/// - A (东门村, in its grid): registered untyped on day 0, accepted as a neighbours' dispute,
///   mediated and closed successfully on day 0, followed up (dissatisfied) on day 1, reopened
///   on day 2 and closed successfully again on day 3 (74 hours after registration: 4 days).
/// - B (西门村): registered as a neighbours' dispute on day 1, re-typed as 山林土地 at
///   acceptance, mediation failed the same day (6 hours: 1 day).
/// - C (东门村): registered on day 0, escalated to the county department, which mediated it
///   successfully on day 0 (9 hours: 1 day): resolved, but not locally.
/// - D (溪口村, the other township): registered on day 0 and still open.
struct History {
    a: Committed,
    b: Committed,
    c: Committed,
    d: Committed,
}

async fn history(db: &TestDb) -> History {
    let store = db.store.as_ref();
    seed(store).await;
    let a = register_with(store, at(0), |r| r.dispute_type = None)
        .await
        .expect("register A");
    let untyped = CellQuery {
        dispute_type: Some(String::new()),
        ..query(village(), CellGroup::Total)
    };
    let rows = store.cells(&untyped).await.expect("cells");
    assert_eq!(value(&rows, "", "registered"), 1, "untyped registration");
    run(store, &a, clerk(), 1, accept_as(DisputeType::Neighbour)).await;
    let rows = store.cells(&untyped).await.expect("cells");
    assert_eq!(
        value(&rows, "", "registered"),
        0,
        "acceptance moves the registration to its type: {rows:?}"
    );
    mediate(store, &a, 2).await;
    run(store, &a, mediator(), 7, close_succeeded(at(100))).await;
    run(store, &a, clerk(), 30, dissatisfied_follow_up()).await;
    let rows = cells(store, village(), CellGroup::Day).await;
    assert_eq!(value(&rows, "2026-03-02", "followed_up"), 1, "{rows:?}");
    run(
        store,
        &a,
        clerk(),
        48,
        Command::Reopen {
            reason: "当事人对调解结果不满意，要求重新办理".to_owned(),
        },
    )
    .await;
    let rows = cells(store, village(), CellGroup::Day).await;
    assert_eq!(
        value(&rows, "2026-03-02", "closed"),
        0,
        "reopening withdraws the outcome: {rows:?}"
    );
    run(store, &a, mediator(), 49, start_mediation()).await;
    run(store, &a, mediator(), 50, record_session(at(50))).await;
    run(store, &a, mediator(), 74, close_succeeded(at(150))).await;

    let b = register_with(store, at(24), |r| {
        r.location.division = second_village();
        r.location.grid = None;
    })
    .await
    .expect("register B");
    run(store, &b, clerk(), 25, accept_as(DisputeType::ForestLand)).await;
    mediate(store, &b, 26).await;
    run(
        store,
        &b,
        mediator(),
        30,
        Command::Close {
            outcome: Outcome::Failed {
                reason: "双方分歧较大，调解不成".to_owned(),
                remedies_informed: true,
            },
        },
    )
    .await;

    let c = register(store, at(0)).await;
    run(store, &c, clerk(), 1, accept()).await;
    run(store, &c, clerk(), 2, assign_to_committee()).await;
    run(store, &c, mediator(), 3, acknowledge()).await;
    run(
        store,
        &c,
        mediator(),
        4,
        Command::Escalate {
            to: org_ref(&department()),
            reason: "涉及劳动保障政策，需县级部门处理".to_owned(),
        },
    )
    .await;
    let handler = Actor::of(&handler_user());
    run(store, &c, handler.clone(), 5, acknowledge()).await;
    run(store, &c, handler.clone(), 6, start_mediation()).await;
    run(store, &c, handler.clone(), 7, record_session(at(7))).await;
    run(store, &c, handler, 9, close_succeeded(at(100))).await;

    let d = register_with(store, at(0), |r| {
        r.location.division = other_village();
        r.location.grid = None;
    })
    .await
    .expect("register D");
    History { a, b, c, d }
}

async fn scripted_history_counts_at_every_level(db: TestDb) {
    history(&db).await;
    let store = db.store.as_ref();

    let county_total = cells(store, county(), CellGroup::Total).await;
    let expect = [
        ("registered", 4),
        ("closed", 3),
        ("mediated", 3),
        ("succeeded", 2),
        ("resolved", 2),
        ("resolved_locally", 1),
        ("civil_mediated", 3),
        ("followed_up", 0),
        ("ratings", 0),
        ("declined", 0),
        ("close_days_sum", 6),
        ("close_days_1", 2),
        ("close_days_4", 1),
    ];
    for (metric, n) in expect {
        assert_eq!(
            value(&county_total, "", metric),
            n,
            "county {metric}: {county_total:?}"
        );
    }

    let town_total = cells(store, town(), CellGroup::Total).await;
    for (metric, n) in [
        ("registered", 3),
        ("closed", 3),
        ("mediated", 3),
        ("succeeded", 2),
        ("resolved_locally", 1),
        ("close_days_sum", 6),
    ] {
        assert_eq!(value(&town_total, "", metric), n, "town {metric}");
    }

    let village_total = cells(store, village(), CellGroup::Total).await;
    for (metric, n) in [
        ("registered", 2),
        ("closed", 2),
        ("mediated", 2),
        ("succeeded", 2),
        ("resolved_locally", 1),
        ("close_days_sum", 5),
    ] {
        assert_eq!(value(&village_total, "", metric), n, "village {metric}");
    }

    let children = cells(store, town(), CellGroup::Child).await;
    let (east, west) = (village().to_string(), second_village().to_string());
    assert_eq!(value(&children, &east, "registered"), 2);
    assert_eq!(value(&children, &west, "registered"), 1);
    assert_eq!(value(&children, &west, "mediated"), 1);
    assert_eq!(value(&children, &west, "succeeded"), 0);
    let counties_children = cells(store, county(), CellGroup::Child).await;
    assert_eq!(value(&counties_children, town().as_str(), "registered"), 3);
    assert_eq!(
        value(&counties_children, other_town().as_str(), "registered"),
        1
    );

    let days = cells(store, town(), CellGroup::Day).await;
    assert_eq!(value(&days, "2026-03-02", "registered"), 2, "{days:?}");
    assert_eq!(value(&days, "2026-03-03", "registered"), 1);
    assert_eq!(value(&days, "2026-03-02", "closed"), 1, "C closed on day 0");
    assert_eq!(value(&days, "2026-03-03", "closed"), 1, "B closed on day 1");
    assert_eq!(
        value(&days, "2026-03-05", "closed"),
        1,
        "A closed again on day 3"
    );
    assert_eq!(value(&days, "2026-03-02", "followed_up"), 0);

    let months = cells(store, county(), CellGroup::Month).await;
    assert_eq!(value(&months, "2026-03", "registered"), 4, "{months:?}");

    let types = cells(store, town(), CellGroup::DisputeType).await;
    assert_eq!(value(&types, "neighbour", "registered"), 2, "{types:?}");
    assert_eq!(value(&types, "forest_land", "registered"), 1);
    assert_eq!(value(&types, "", "registered"), 0);

    // A narrower query: one type, one metric, one day.
    let narrow = store
        .cells(&CellQuery {
            division: county(),
            from_day: day(0),
            to_day: day(0),
            dispute_type: Some("neighbour".to_owned()),
            metrics: vec!["registered".to_owned(), "closed".to_owned()],
            group: CellGroup::Total,
        })
        .await
        .expect("cells");
    assert_eq!(
        narrow,
        vec![
            CellRow {
                group: String::new(),
                metric: "closed".to_owned(),
                value: 1
            },
            CellRow {
                group: String::new(),
                metric: "registered".to_owned(),
                value: 3
            },
        ]
    );
}

async fn case_cells(db: &TestDb) -> Vec<Vec<String>> {
    db.raw_query(
        "SELECT case_id, metric, day, division, dispute_type, value FROM agg_case_cells \
         ORDER BY case_id, metric, day",
    )
    .await
}

async fn incremental_cells_equal_a_rebuild_and_verify_finds_tampering(db: TestDb) {
    history(&db).await;
    let store = db.store.as_ref();
    let before = cells(store, county(), CellGroup::Day).await;
    let rows_before = case_cells(&db).await;
    assert!(!rows_before.is_empty());

    let report = store.rebuild_aggregates(true).await.expect("rebuild");
    assert_eq!(report.cases, 4);
    assert!(report.events > 20, "{report:?}");
    assert!(report.cells > 0);
    assert!(
        report.differences.is_empty(),
        "incremental cells differ from the rebuild: {:?}",
        report.differences
    );
    assert_eq!(cells(store, county(), CellGroup::Day).await, before);
    assert_eq!(
        case_cells(&db).await,
        rows_before,
        "case rows equal the rebuild"
    );

    db.raw_exec(&format!(
        "UPDATE agg_cells SET value = value + 5 WHERE division = '{}' AND metric = 'registered'",
        county()
    ))
    .await
    .expect("tamper with a cell");
    let tampered = cells(store, county(), CellGroup::Total).await;
    assert_eq!(value(&tampered, "", "registered"), 14, "two days, +5 each");

    let report = store.rebuild_aggregates(true).await.expect("rebuild");
    assert_eq!(report.differences.len(), 2, "{:?}", report.differences);
    assert!(
        report
            .differences
            .iter()
            .any(|d| d == "339021000000 2026-03-02 neighbour registered 8 3"),
        "{:?}",
        report.differences
    );
    assert_eq!(
        cells(store, county(), CellGroup::Day).await,
        before,
        "fixed"
    );
    let again = store.rebuild_aggregates(true).await.expect("rebuild");
    assert!(again.differences.is_empty(), "{:?}", again.differences);

    // A case row deleted behind the store's back is restored by the rebuild too.
    db.raw_exec("DELETE FROM agg_case_cells WHERE metric = 'registered'")
        .await
        .expect("tamper with case rows");
    store.rebuild_aggregates(false).await.expect("rebuild");
    assert_eq!(case_cells(&db).await, rows_before);
}

fn cases_query(metric: &str, division: DivisionCode, offset: u32, limit: u32) -> MetricCasesQuery {
    MetricCasesQuery {
        metric: metric.to_owned(),
        division,
        from_day: day(0),
        to_day: day(96),
        dispute_type: None,
        offset,
        limit,
    }
}

async fn metric_cases_lists_the_cases_behind_a_count(db: TestDb) {
    let h = history(&db).await;
    let store = db.store.as_ref();
    let ids = |cases: &[hejie_store::CaseSummary]| {
        let mut v: Vec<_> = cases.iter().map(|c| c.id).collect();
        v.sort();
        v
    };
    let sorted = |mut v: Vec<hejie_domain::case::CaseId>| {
        v.sort();
        v
    };

    let (page, total) = store
        .metric_cases(&cases_query("registered", county(), 0, 3))
        .await
        .expect("first page");
    assert_eq!(total, 4);
    assert_eq!(page.len(), 3);
    assert_eq!(page[0].id, h.b.case_id, "newest day first");
    let (rest, total) = store
        .metric_cases(&cases_query("registered", county(), 3, 3))
        .await
        .expect("second page");
    assert_eq!(total, 4);
    assert_eq!(rest.len(), 1);
    let mut all = page.clone();
    all.extend(rest);
    assert_eq!(
        ids(&all),
        sorted(vec![h.a.case_id, h.b.case_id, h.c.case_id, h.d.case_id])
    );

    let (succeeded, total) = store
        .metric_cases(&cases_query("succeeded", county(), 0, 50))
        .await
        .expect("succeeded");
    assert_eq!(total, 2);
    assert_eq!(ids(&succeeded), sorted(vec![h.a.case_id, h.c.case_id]));

    let (local, _) = store
        .metric_cases(&cases_query("resolved_locally", town(), 0, 50))
        .await
        .expect("resolved locally");
    assert_eq!(ids(&local), vec![h.a.case_id]);

    let (forest, total) = store
        .metric_cases(&MetricCasesQuery {
            dispute_type: Some("forest_land".to_owned()),
            ..cases_query("mediated", county(), 0, 50)
        })
        .await
        .expect("by type");
    assert_eq!((ids(&forest), total), (vec![h.b.case_id], 1));

    let (other, total) = store
        .metric_cases(&cases_query("registered", other_town(), 0, 50))
        .await
        .expect("other town");
    assert_eq!((ids(&other), total), (vec![h.d.case_id], 1));

    // Every count has exactly its cases behind it.
    let totals = cells(store, county(), CellGroup::Total).await;
    for row in &totals {
        if row.metric == "close_days_sum" {
            continue;
        }
        let (_, n) = store
            .metric_cases(&cases_query(&row.metric, county(), 0, 1000))
            .await
            .expect("cases");
        assert_eq!(n as i64, row.value, "{}", row.metric);
    }
}

async fn population_is_own_or_the_sum_of_children(db: TestDb) {
    let store = db.store.as_ref();
    let p = |division: DivisionCode, population: i64| Population {
        division,
        year: 2026,
        population,
    };
    let n = store
        .put_population(&[p(village(), 2_400), p(second_village(), 1_900)])
        .await
        .expect("put");
    assert_eq!(n, 2);
    assert_eq!(
        store.population(&village(), 2026).await.expect("read"),
        Some(2_400)
    );
    assert_eq!(
        store.population(&town(), 2026).await.expect("read"),
        Some(4_300)
    );
    assert_eq!(store.population(&town(), 2025).await.expect("read"), None);
    assert_eq!(
        store.population(&other_town(), 2026).await.expect("read"),
        None
    );
    store
        .put_population(&[p(other_town(), 41_000), p(village(), 2_500)])
        .await
        .expect("put");
    assert_eq!(
        store.population(&county(), 2026).await.expect("read"),
        Some(2_500 + 1_900 + 41_000),
        "children's sums, each their own or their children's"
    );
    store
        .put_population(&[p(county(), 320_000)])
        .await
        .expect("put");
    assert_eq!(
        store.population(&county(), 2026).await.expect("read"),
        Some(320_000),
        "a division's own figure wins"
    );
}

async fn litigation_sums_months_of_a_subtree(db: TestDb) {
    let store = db.store.as_ref();
    let l = |division: DivisionCode, month: &str, filings: i64| Litigation {
        division,
        month: month.to_owned(),
        filings,
    };
    store
        .put_litigation(&[
            l(town(), "2026-01", 10),
            l(town(), "2026-02", 5),
            l(town(), "2026-03", 7),
            l(other_town(), "2026-02", 3),
            l(other_town(), "2025-12", 100),
        ])
        .await
        .expect("put");
    let sum = |d: DivisionCode, from: &'static str, to: &'static str| {
        let store = db.store.clone();
        async move { store.litigation(&d, from, to).await.expect("read") }
    };
    assert_eq!(sum(county(), "2026-02", "2026-03").await, 15);
    assert_eq!(sum(town(), "2026-01", "2026-02").await, 15);
    assert_eq!(sum(county(), "2025-01", "2026-12").await, 125);
    assert_eq!(sum(village(), "2026-01", "2026-12").await, 0);
    // A re-import replaces the month.
    store
        .put_litigation(&[l(town(), "2026-03", 9)])
        .await
        .expect("put");
    assert_eq!(sum(county(), "2026-03", "2026-03").await, 9);
    assert!(
        store
            .put_litigation(&[l(town(), "2026-13", 1)])
            .await
            .is_err(),
        "a malformed month is refused"
    );
}

async fn open_and_overdue_reads_the_queue_key(db: TestDb) {
    let h = history(&db).await;
    let store = db.store.as_ref();
    run(
        store,
        &h.d,
        clerk(),
        0,
        Command::SetTimeLimit {
            clock: ClockKind::Resolve,
            limit: Limit {
                amount: 1,
                unit: LimitUnit::WorkingHours,
            },
            basis: "测试".into(),
        },
    )
    .await;
    assert_eq!(
        store
            .open_and_overdue(&county(), at(0))
            .await
            .expect("read"),
        (1, 0)
    );
    assert_eq!(
        store
            .open_and_overdue(&county(), at(3))
            .await
            .expect("read"),
        (1, 1)
    );
    assert_eq!(
        store
            .open_and_overdue(&other_town(), at(3))
            .await
            .expect("read"),
        (1, 1)
    );
    assert_eq!(
        store.open_and_overdue(&town(), at(3)).await.expect("read"),
        (0, 0)
    );
    // An open case in a grid counts in its village.
    let e = register(store, at(5)).await;
    assert_eq!(
        store
            .open_and_overdue(&village(), at(6))
            .await
            .expect("read"),
        (1, 0)
    );
    let _ = e;
}

/// A database with cases from before migration 8 gets its cells folded from the log when it
/// migrates: simulated by dropping the tables and forgetting the migration.
async fn migration_backfills_cells_from_the_log(db: TestDb) {
    history(&db).await;
    let store = db.store.as_ref();
    let before = cells(store, county(), CellGroup::Day).await;
    let rows_before = case_cells(&db).await;
    db.raw_exec(
        "DROP TABLE agg_cells; DROP TABLE agg_case_cells; DROP TABLE population; \
         DROP TABLE litigation; DROP TABLE agg_month_cells; \
         DELETE FROM schema_migrations WHERE version IN (8, 11);",
    )
    .await
    .expect("go back to version 7");
    store.migrate(crate::fixture::at(0)).await.expect("migrate");
    assert_eq!(cells(store, county(), CellGroup::Day).await, before);
    assert_eq!(case_cells(&db).await, rows_before);
    let report = store.rebuild_aggregates(true).await.expect("verify");
    assert!(report.differences.is_empty(), "{:?}", report.differences);
}

/// Batches registered concurrently in opposite day orders, and concurrent appends to cases of
/// one village, all add to the same upper-level cells: none may deadlock or lose an add.
async fn concurrent_writers_keep_cells_equal_to_a_rebuild(db: TestDb) {
    seed(db.store.as_ref()).await;
    let mut tasks = Vec::new();
    for w in 0..4i64 {
        let store = db.store.clone();
        tasks.push(tokio::spawn(async move {
            for round in 0..3i64 {
                let mut hours: Vec<i64> = (0..5).map(|d| d * 24 + round).collect();
                if w % 2 == 1 {
                    hours.reverse();
                }
                let batch = hours
                    .into_iter()
                    .map(|h| {
                        let id = new_case_id();
                        service::new_case(id, meta(clerk(), at(h)), move |number| {
                            registration(id, number)
                        })
                    })
                    .collect();
                for r in store.create_cases(batch).await.expect("create cases") {
                    let c = r.expect("registered");
                    service::execute(store.as_ref(), c.case_id, meta(clerk(), at(120)), accept())
                        .await
                        .expect("accept");
                }
            }
        }));
    }
    for t in tasks {
        t.await.expect("writer task");
    }
    let store = db.store.as_ref();
    let totals = cells(store, county(), CellGroup::Total).await;
    assert_eq!(value(&totals, "", "registered"), 60, "{totals:?}");
    let report = store.rebuild_aggregates(true).await.expect("verify");
    assert_eq!(report.cases, 60);
    assert!(report.differences.is_empty(), "{:?}", report.differences);
}

fn date_day(y: i32, m: u8, d: u8) -> i64 {
    let month = time::Month::try_from(m).expect("a month");
    day_number(time::Date::from_calendar_date(y, month, d).expect("a date"))
}

/// `split_months(from, to)` as dates: the whole months (first days) and the day ranges left.
#[test]
fn periods_split_into_whole_months_and_ragged_days() {
    type Ymd = (i32, u8, u8);
    fn check(from: Ymd, to: Ymd, months: Option<(Ymd, Ymd)>, days: &[(Ymd, Ymd)]) {
        let d = |(y, m, dd): Ymd| date_day(y, m, dd);
        let got = split_months(d(from), d(to));
        let want = (
            months.map(|(a, b)| (d(a), d(b))),
            days.iter().map(|&(a, b)| (d(a), d(b))).collect::<Vec<_>>(),
        );
        assert_eq!(got, want, "{from:?}..{to:?}");
    }
    // A whole month, a whole year, and a leap February.
    check(
        (2026, 10, 1),
        (2026, 10, 31),
        Some(((2026, 10, 1), (2026, 10, 1))),
        &[],
    );
    check(
        (2026, 1, 1),
        (2026, 12, 31),
        Some(((2026, 1, 1), (2026, 12, 1))),
        &[],
    );
    check(
        (2024, 2, 1),
        (2024, 2, 29),
        Some(((2024, 2, 1), (2024, 2, 1))),
        &[],
    );
    // This month so far: no whole month, all days.
    check(
        (2026, 11, 1),
        (2026, 11, 21),
        None,
        &[((2026, 11, 1), (2026, 11, 21))],
    );
    // This year so far: January to October whole, November's days.
    check(
        (2026, 1, 1),
        (2026, 11, 21),
        Some(((2026, 1, 1), (2026, 10, 1))),
        &[((2026, 11, 1), (2026, 11, 21))],
    );
    // Ragged at both ends, across a year end.
    check(
        (2025, 12, 15),
        (2026, 3, 10),
        Some(((2026, 1, 1), (2026, 2, 1))),
        &[
            ((2025, 12, 15), (2025, 12, 31)),
            ((2026, 3, 1), (2026, 3, 10)),
        ],
    );
    // Within one month, and a single day.
    check(
        (2026, 3, 2),
        (2026, 3, 28),
        None,
        &[((2026, 3, 2), (2026, 3, 28))],
    );
    check(
        (2026, 3, 31),
        (2026, 3, 31),
        None,
        &[((2026, 3, 31), (2026, 3, 31))],
    );
    // Two partial months with no whole one between them.
    check(
        (2026, 3, 15),
        (2026, 4, 10),
        None,
        &[((2026, 3, 15), (2026, 4, 10))],
    );
}

/// The scripted history is in March 2026: a query over whole months reads the month cells and
/// gives the same sums as the day cells; a tampered month cell shows in whole-month queries
/// only, and the verifying rebuild names and fixes it.
async fn whole_months_are_read_from_month_cells_that_a_rebuild_verifies(db: TestDb) {
    history(&db).await;
    let store = db.store.as_ref();
    let by_days = cells(store, county(), CellGroup::Total).await;
    let span = |from: i64, to: i64, group: CellGroup| CellQuery {
        division: county(),
        from_day: from,
        to_day: to,
        dispute_type: None,
        metrics: Vec::new(),
        group,
    };
    let quarter = span(
        date_day(2026, 1, 1),
        date_day(2026, 3, 31),
        CellGroup::Total,
    );
    let ragged = span(
        date_day(2026, 2, 10),
        date_day(2026, 4, 20),
        CellGroup::Total,
    );
    assert_eq!(store.cells(&quarter).await.expect("quarter"), by_days);
    assert_eq!(store.cells(&ragged).await.expect("ragged"), by_days);
    let months = store
        .cells(&span(
            date_day(2026, 1, 1),
            date_day(2026, 12, 31),
            CellGroup::Month,
        ))
        .await
        .expect("by month");
    assert!(months.iter().all(|r| r.group == "2026-03"), "{months:?}");
    assert_eq!(value(&months, "2026-03", "registered"), 4);
    let by_type = store
        .cells(&CellQuery {
            dispute_type: Some("forest_land".to_owned()),
            ..quarter.clone()
        })
        .await
        .expect("by type");
    assert_eq!(value(&by_type, "", "mediated"), 1);
    let rows = db
        .raw_query("SELECT COUNT(*) FROM agg_month_cells WHERE metric = 'registered'")
        .await;
    assert_ne!(rows[0][0], "0", "month cells are written with the events");

    db.raw_exec(&format!(
        "UPDATE agg_month_cells SET value = value + 7 WHERE division = '{}' \
         AND metric = 'registered' AND dispute_type = 'neighbour'",
        county()
    ))
    .await
    .expect("tamper with a month cell");
    assert_eq!(
        value(
            &store.cells(&quarter).await.expect("quarter"),
            "",
            "registered"
        ),
        11
    );
    assert_eq!(
        value(
            &cells(store, county(), CellGroup::Total).await,
            "",
            "registered"
        ),
        4,
        "day cells are untouched"
    );
    let report = store.rebuild_aggregates(true).await.expect("rebuild");
    assert_eq!(report.differences.len(), 1, "{:?}", report.differences);
    assert!(
        report.differences[0].starts_with(&format!("{} 2026-03月 neighbour registered", county())),
        "{:?}",
        report.differences
    );
    assert_eq!(store.cells(&quarter).await.expect("fixed"), by_days);
}
