//! Early warnings: a subject is one warning however often it is raised, a more urgent finding
//! raises its level, every step is checked and recorded in an append-only history, the list is
//! scoped to a subtree, the stats count what was raised and how it ended, and parties in
//! several cases are found by their ID-number hash.

use std::sync::Arc;

use hejie_crypto::{KeyedSealer, MasterKey};
use hejie_domain::case::{Party, PartyRole};
use hejie_domain::division::DivisionCode;
use hejie_domain::personal::IdNumber;
use hejie_store::warnings::{
    ActError, NewWarning, WarningAction, WarningFilter, WarningKind, WarningLevel, WarningOutcome,
    WarningRefusal, WarningStatus, WarningStep,
};
use hejie_store::{Store, StoreError};

use crate::fixture::*;
use crate::harness::{TestDb, on_both_backends};

on_both_backends!(
    raising_again_never_duplicates_and_only_a_higher_level_escalates,
    steps_follow_the_workflow_and_are_recorded_append_only,
    the_list_is_scoped_filtered_and_paged,
    stats_count_outcomes_and_the_median_time_to_acknowledge,
    parties_in_several_cases_are_found_by_hash
);

fn warning(
    key: &str,
    kind: WarningKind,
    level: WarningLevel,
    division: DivisionCode,
) -> NewWarning {
    NewWarning {
        subject_key: key.to_owned(),
        kind,
        level,
        division,
        dispute_type: (kind == WarningKind::Spike).then(|| "neighbour".to_owned()),
        case_id: None,
        title: format!("{key} {}", level.label()),
        detail: format!(r#"{{"level":"{}"}}"#, level.code()),
    }
}

fn step(step: WarningStep, who: &str, t: i64, note: &str) -> WarningAction {
    WarningAction {
        step,
        actor_id: format!("id-{who}"),
        actor_name: who.to_owned(),
        at: at(t),
        note: note.to_owned(),
    }
}

async fn id_of(store: &dyn Store, key: &str) -> i64 {
    let (all, _) = store
        .warnings(&WarningFilter {
            limit: 500,
            ..WarningFilter::default()
        })
        .await
        .expect("list");
    all.iter()
        .find(|w| w.subject_key == key)
        .unwrap_or_else(|| panic!("no warning {key}"))
        .id
}

async fn raising_again_never_duplicates_and_only_a_higher_level_escalates(db: TestDb) {
    let store = db.store.as_ref();
    let spike = warning(
        "spike:v:neighbour:2026-03-02",
        WarningKind::Spike,
        WarningLevel::Yellow,
        village(),
    );
    let case = warning("case:x", WarningKind::Case, WarningLevel::Orange, town());
    let new = store
        .raise_warnings(vec![spike.clone(), case.clone()], at(0))
        .await
        .expect("raise");
    assert_eq!(new, 2);
    assert_eq!(
        store
            .raise_warnings(vec![spike.clone(), case.clone()], at(1))
            .await
            .expect("again"),
        0
    );
    // Lower than stored: nothing changes.
    let lower = NewWarning {
        level: WarningLevel::Yellow,
        ..case.clone()
    };
    assert_eq!(
        store
            .raise_warnings(vec![lower], at(2))
            .await
            .expect("lower"),
        0
    );
    // Higher: the level rises with an action row; still one warning.
    let higher = NewWarning {
        level: WarningLevel::Red,
        title: "升级".to_owned(),
        ..spike.clone()
    };
    assert_eq!(
        store
            .raise_warnings(vec![higher], at(3))
            .await
            .expect("higher"),
        0
    );
    let (all, n) = store
        .warnings(&WarningFilter::default())
        .await
        .expect("list");
    assert_eq!(n, 2);
    assert_eq!(all.len(), 2);
    let id = id_of(store, &spike.subject_key).await;
    let (w, history) = store.warning(id).await.expect("read").expect("exists");
    assert_eq!(w.level, WarningLevel::Red);
    assert_eq!(w.title, "升级");
    assert_eq!(w.raised_at, at(0));
    assert_eq!(w.status, WarningStatus::Open);
    assert_eq!(w.dispute_type.as_deref(), Some("neighbour"));
    let actions: Vec<(i64, &str, Option<WarningLevel>)> = history
        .iter()
        .map(|e| (e.seq, e.action.as_str(), e.level))
        .collect();
    assert_eq!(
        actions,
        vec![
            (1, "raised", Some(WarningLevel::Yellow)),
            (2, "escalated", Some(WarningLevel::Red))
        ]
    );
    assert_eq!(history[1].at, at(3));
    let case_id = id_of(store, &case.subject_key).await;
    let (c, history) = store.warning(case_id).await.expect("read").expect("exists");
    assert_eq!(c.level, WarningLevel::Orange);
    assert_eq!(history.len(), 1);
    assert_eq!(store.warning(id + case_id + 100).await.expect("read"), None);
}

async fn steps_follow_the_workflow_and_are_recorded_append_only(db: TestDb) {
    let store = db.store.as_ref();
    let w = warning("case:y", WarningKind::Case, WarningLevel::Red, village());
    store
        .raise_warnings(vec![w.clone()], at(0))
        .await
        .expect("raise");
    let id = id_of(store, &w.subject_key).await;

    let refused = |r: Result<_, ActError>| match r {
        Err(ActError::Refused(x)) => x,
        other => panic!("expected a refusal, got {other:?}"),
    };
    assert_eq!(
        refused(
            store
                .act_on_warning(id, step(WarningStep::Act, "甲", 1, "走访"))
                .await
        ),
        WarningRefusal::NotAcknowledged
    );
    assert_eq!(
        refused(
            store
                .act_on_warning(
                    id,
                    step(WarningStep::Outcome(WarningOutcome::Confirmed), "甲", 1, "")
                )
                .await
        ),
        WarningRefusal::NotAcknowledged
    );
    let after = store
        .act_on_warning(id, step(WarningStep::Acknowledge, "甲", 2, ""))
        .await
        .expect("acknowledge");
    assert_eq!(after.status, WarningStatus::Acknowledged);
    assert_eq!(
        refused(
            store
                .act_on_warning(id, step(WarningStep::Acknowledge, "乙", 3, ""))
                .await
        ),
        WarningRefusal::AlreadyAcknowledged
    );
    assert_eq!(
        refused(
            store
                .act_on_warning(id, step(WarningStep::Act, "甲", 3, " "))
                .await
        ),
        WarningRefusal::NoteRequired
    );
    let after = store
        .act_on_warning(id, step(WarningStep::Act, "甲", 4, "已约谈双方当事人"))
        .await
        .expect("act");
    assert_eq!(after.status, WarningStatus::Acted);
    let after = store
        .act_on_warning(
            id,
            step(
                WarningStep::Outcome(WarningOutcome::FalseAlarm),
                "乙",
                5,
                "经核实为误报",
            ),
        )
        .await
        .expect("outcome");
    assert_eq!(after.status, WarningStatus::Closed);
    assert_eq!(after.outcome, Some(WarningOutcome::FalseAlarm));
    assert_eq!(after.updated_at, at(5));
    assert_eq!(
        refused(
            store
                .act_on_warning(id, step(WarningStep::Act, "甲", 6, "再处置"))
                .await
        ),
        WarningRefusal::Closed
    );
    assert!(matches!(
        store
            .act_on_warning(id + 1000, step(WarningStep::Acknowledge, "甲", 6, ""))
            .await,
        Err(ActError::Store(StoreError::NotFound))
    ));

    let (_, history) = store.warning(id).await.expect("read").expect("exists");
    let seen: Vec<(i64, &str, &str, &str, Option<WarningOutcome>)> = history
        .iter()
        .map(|e| {
            (
                e.seq,
                e.action.as_str(),
                e.actor_name.as_str(),
                e.note.as_str(),
                e.outcome,
            )
        })
        .collect();
    assert_eq!(
        seen,
        vec![
            (1, "raised", "系统", w.title.as_str(), None),
            (2, "acknowledged", "甲", "", None),
            (3, "acted", "甲", "已约谈双方当事人", None),
            (
                4,
                "outcome",
                "乙",
                "经核实为误报",
                Some(WarningOutcome::FalseAlarm)
            ),
        ]
    );
    assert_eq!(history[3].actor_id, "id-乙");

    // A closed warning found again at a more urgent level opens again, recorded as such; here
    // it is already red, so nothing happens.
    store
        .raise_warnings(vec![w.clone()], at(7))
        .await
        .expect("again");
    let (closed, _) = store.warning(id).await.expect("read").expect("exists");
    assert_eq!(closed.status, WarningStatus::Closed);

    // The history cannot be rewritten.
    assert!(
        db.raw_exec("UPDATE warning_actions SET note = 'x'")
            .await
            .is_err(),
        "{}: warning_actions must refuse updates",
        db.backend()
    );
    assert!(
        db.raw_exec("DELETE FROM warning_actions").await.is_err(),
        "{}: warning_actions must refuse deletes",
        db.backend()
    );
    let rows = db.raw_query("SELECT COUNT(*) FROM warning_actions").await;
    assert_eq!(rows, vec![vec!["4".to_owned()]]);
}

async fn the_list_is_scoped_filtered_and_paged(db: TestDb) {
    let store = db.store.as_ref();
    store
        .raise_warnings(
            vec![
                warning("a", WarningKind::Spike, WarningLevel::Yellow, village()),
                warning("b", WarningKind::Party, WarningLevel::Red, second_village()),
                warning("c", WarningKind::Case, WarningLevel::Orange, town()),
                warning("d", WarningKind::Case, WarningLevel::Red, other_village()),
                warning("e", WarningKind::Spike, WarningLevel::Red, county()),
            ],
            at(0),
        )
        .await
        .expect("raise");
    let keys = |ws: &[hejie_store::warnings::Warning]| -> Vec<String> {
        ws.iter().map(|w| w.subject_key.clone()).collect()
    };
    let (in_town, n) = store
        .warnings(&WarningFilter {
            within: Some(town()),
            ..WarningFilter::default()
        })
        .await
        .expect("town");
    // Most urgent first.
    assert_eq!(keys(&in_town), ["b", "c", "a"]);
    assert_eq!(n, 3);
    let (red, n) = store
        .warnings(&WarningFilter {
            level: Some(WarningLevel::Red),
            ..WarningFilter::default()
        })
        .await
        .expect("red");
    assert_eq!(n, 3);
    assert_eq!(red.len(), 3);
    let (cases, _) = store
        .warnings(&WarningFilter {
            kind: Some(WarningKind::Case),
            within: Some(county()),
            ..WarningFilter::default()
        })
        .await
        .expect("cases");
    assert_eq!(keys(&cases), ["d", "c"]);
    let id = id_of(store, "b").await;
    store
        .act_on_warning(id, step(WarningStep::Acknowledge, "甲", 1, ""))
        .await
        .expect("ack");
    let (open, n) = store
        .warnings(&WarningFilter {
            statuses: vec![WarningStatus::Open],
            ..WarningFilter::default()
        })
        .await
        .expect("open");
    assert_eq!(n, 4);
    assert!(!keys(&open).contains(&"b".to_owned()));
    let (page, n) = store
        .warnings(&WarningFilter {
            offset: 2,
            limit: 2,
            ..WarningFilter::default()
        })
        .await
        .expect("page");
    assert_eq!(n, 5);
    assert_eq!(page.len(), 2);
    // By when they were raised: a later one is in its window, the first five are not.
    store
        .raise_warnings(
            vec![warning(
                "f",
                WarningKind::Spike,
                WarningLevel::Yellow,
                town(),
            )],
            at(48),
        )
        .await
        .expect("raise later");
    let (later, n) = store
        .warnings(&WarningFilter {
            raised_in: Some((at(24), at(72))),
            ..WarningFilter::default()
        })
        .await
        .expect("window");
    assert_eq!((keys(&later), n), (vec!["f".to_owned()], 1));
    let (earlier, n) = store
        .warnings(&WarningFilter {
            raised_in: Some((at(0), at(48))),
            ..WarningFilter::default()
        })
        .await
        .expect("window");
    assert_eq!(n, 5, "[from, to): the one raised at `to` is out");
    assert!(!keys(&earlier).contains(&"f".to_owned()));
}

async fn stats_count_outcomes_and_the_median_time_to_acknowledge(db: TestDb) {
    let store = db.store.as_ref();
    let ws = vec![
        warning("s1", WarningKind::Spike, WarningLevel::Red, village()),
        warning("s2", WarningKind::Spike, WarningLevel::Red, village()),
        warning(
            "s3",
            WarningKind::Spike,
            WarningLevel::Red,
            second_village(),
        ),
        warning("p1", WarningKind::Party, WarningLevel::Yellow, town()),
        warning("x", WarningKind::Case, WarningLevel::Red, other_village()),
    ];
    store.raise_warnings(ws, at(0)).await.expect("raise");
    // Raised later, outside the period asked for.
    store
        .raise_warnings(
            vec![warning(
                "late",
                WarningKind::Spike,
                WarningLevel::Red,
                village(),
            )],
            at(100),
        )
        .await
        .expect("raise late");
    for (key, hours) in [("s1", 2), ("s2", 6), ("s3", 1), ("p1", 3)] {
        let id = id_of(store, key).await;
        store
            .act_on_warning(id, step(WarningStep::Acknowledge, "甲", hours, ""))
            .await
            .expect("ack");
    }
    let s1 = id_of(store, "s1").await;
    store
        .act_on_warning(s1, step(WarningStep::Act, "甲", 7, "约谈"))
        .await
        .expect("act");
    store
        .act_on_warning(
            s1,
            step(WarningStep::Outcome(WarningOutcome::Confirmed), "甲", 8, ""),
        )
        .await
        .expect("outcome");
    let s2 = id_of(store, "s2").await;
    store
        .act_on_warning(
            s2,
            step(
                WarningStep::Outcome(WarningOutcome::FalseAlarm),
                "甲",
                8,
                "",
            ),
        )
        .await
        .expect("outcome");
    let s3 = id_of(store, "s3").await;
    store
        .act_on_warning(
            s3,
            step(WarningStep::Outcome(WarningOutcome::Confirmed), "甲", 8, ""),
        )
        .await
        .expect("outcome");

    let stats = store
        .warning_stats(&town(), at(-1), at(50))
        .await
        .expect("stats");
    assert_eq!(stats.rows.len(), 2, "{stats:?}");
    let spikes = &stats.rows[0];
    assert_eq!(spikes.kind, Some(WarningKind::Spike));
    assert_eq!(spikes.level, Some(WarningLevel::Red));
    assert_eq!(
        (
            spikes.raised,
            spikes.acknowledged,
            spikes.acted,
            spikes.confirmed,
            spikes.false_alarm
        ),
        (3, 3, 1, 2, 1)
    );
    assert_eq!(spikes.median_hours_to_acknowledge, Some(2.0));
    assert_eq!(spikes.hit_rate(), Some(2.0 / 3.0));
    let party = &stats.rows[1];
    assert_eq!(party.kind, Some(WarningKind::Party));
    assert_eq!((party.raised, party.acknowledged), (1, 1));
    assert_eq!(party.hit_rate(), None);
    assert_eq!(stats.total.raised, 4);
    assert_eq!(stats.total.median_hours_to_acknowledge, Some(2.5));
    let county_stats = store
        .warning_stats(&county(), at(-1), at(200))
        .await
        .expect("stats");
    assert_eq!(county_stats.total.raised, 6);
}

async fn parties_in_several_cases_are_found_by_hash(db: TestDb) {
    let store = db.store.as_ref();
    seed(store).await;
    let sealer = Arc::new(KeyedSealer::new(&MasterKey::generate()));
    let sealed = IdNumber::parse("11010519491231002X")
        .expect("valid id number")
        .seal(sealer.as_ref());
    let mut ids = Vec::new();
    for h in 0..3 {
        let sealed = sealed.clone();
        let c = register_with(store, at(h), move |r| {
            r.parties = vec![
                Party {
                    id_number: Some(sealed.clone()),
                    ..party(PartyRole::Applicant, "张三")
                },
                // The same person named twice in one case still makes one case.
                Party {
                    id_number: Some(sealed),
                    ..party(PartyRole::Respondent, "张三")
                },
            ];
        })
        .await
        .expect("register");
        ids.push(c.case_id);
    }
    // Someone else, once; and the same person before the window.
    register(store, at(4)).await;
    let found = store.repeat_parties(at(0), 3).await.expect("parties");
    assert_eq!(found.len(), 1, "{found:?}");
    let p = &found[0];
    assert_eq!(p.name, "张三");
    assert_eq!(p.id_masked.as_deref(), Some("110105********002X"));
    assert_eq!(p.cases.iter().map(|c| c.case_id).collect::<Vec<_>>(), ids);
    assert_eq!(p.cases[0].division, village());
    assert_eq!(p.cases[0].status, "registered");
    assert!(
        store
            .repeat_parties(at(1), 3)
            .await
            .expect("parties")
            .is_empty()
    );
    assert_eq!(
        store.repeat_parties(at(1), 2).await.expect("parties").len(),
        1
    );
}
