//! Folding events: the state a whole history leaves, and what every event remembers.

use hejie_domain::case::{
    CaseState, Command, ContactMethod, DisputeType, Event, EventBody, Holder, Meta, Outcome,
    Satisfaction, Severity, Status, Track,
};
use hejie_domain::division::DivisionCode;
use hejie_domain::user::Actor;

use crate::support::*;

fn meta_in(actor: Actor, hour: i64, division: DivisionCode) -> Meta {
    Meta {
        actor,
        at: at(hour),
        division,
    }
}

/// Runs commands one after another, each against the events recorded so far.
fn run(steps: Vec<(Meta, Command)>) -> Vec<Event> {
    let mut events: Vec<Event> = Vec::new();
    for (i, (m, command)) in steps.into_iter().enumerate() {
        let (recorded, _) = given(events.clone())
            .named(format!("step {i}"))
            .when(m, command)
            .then_ok();
        events.extend(recorded);
    }
    events
}

fn happy_path() -> Vec<(Meta, Command)> {
    vec![
        (meta_in(clerk(), 0, town()), register_cmd(register())),
        (
            meta_in(clerk(), 1, town()),
            Command::Accept {
                dispute_type: DisputeType::Neighbour,
                severity: Severity::Significant,
                track: Track::Consultation,
                note: None,
            },
        ),
        (
            meta_in(clerk(), 2, town()),
            assign_cmd(committee(), Some(person(&mediator()))),
        ),
        (
            meta_in(second_mediator(), 3, village()),
            acknowledge_cmd(None),
        ),
        (meta_in(mediator(), 4, village()), start_cmd(true)),
        (meta_in(mediator(), 5, village()), record_cmd()),
        (meta_in(mediator(), 6, village()), record_cmd()),
        (meta_in(mediator(), 7, village()), close_cmd(succeeded())),
        (
            meta_in(clerk(), 30, town()),
            follow_up_cmd(Satisfaction::Satisfied),
        ),
    ]
}

#[test]
fn a_full_happy_path_leaves_the_expected_state() {
    let events = run(happy_path());
    let kinds: Vec<&str> = events.iter().map(|e| e.body.kind()).collect();
    assert_eq!(
        kinds,
        [
            "registered",
            "accepted",
            "assigned",
            "acknowledged",
            "mediation_started",
            "session_recorded",
            "session_recorded",
            "closed",
            "followed_up",
        ]
    );

    let state = CaseState::replay(&events);
    assert_eq!(state.version(), 9);
    let case = state.case().unwrap();
    assert_eq!(case.status, Status::FollowedUp);
    assert_eq!(case.severity, Some(Severity::Significant));
    assert_eq!(case.track, Some(Track::Consultation));
    assert_eq!(
        case.holder,
        Some(Holder {
            organisation: committee(),
            person: Some(person(&mediator())),
        })
    );
    assert_eq!(case.mediator, Some(person(&mediator())));
    assert_eq!(case.sessions, 2);
    assert_eq!(case.outcome, Some(succeeded()));
    assert_eq!(case.follow_ups, 1);
    assert_eq!(case.satisfaction, Some(Satisfaction::Satisfied));
    assert_eq!(case.registered_at, at(0));
    assert_eq!(case.closed_at, Some(at(7)));
    assert_eq!(case.updated_at, at(30));
}

#[test]
fn applying_one_by_one_equals_replaying() {
    let events = run(happy_path());
    let mut state = CaseState::default();
    for (n, e) in events.iter().enumerate() {
        state.apply(e);
        assert_eq!(state, CaseState::replay(&events[..=n]));
        assert_eq!(state.version(), n as u64 + 1);
    }
}

#[test]
fn every_event_carries_the_actor_time_and_division_of_its_command() {
    let steps = happy_path();
    let metas: Vec<Meta> = steps.iter().map(|(m, _)| m.clone()).collect();
    let events = run(steps);
    assert_eq!(events.len(), metas.len());
    for (event, m) in events.iter().zip(&metas) {
        assert_eq!(event.meta.actor, m.actor, "{}", event.body.kind());
        assert_eq!(event.meta.at, m.at, "{}", event.body.kind());
        assert_eq!(event.meta.division, m.division, "{}", event.body.kind());
    }
    // The scenario really uses different actors, instants and divisions.
    assert_ne!(events[0].meta.actor, events[3].meta.actor);
    assert_ne!(events[0].meta.division, events[3].meta.division);
    assert!(events.windows(2).all(|w| w[0].meta.at < w[1].meta.at));
}

#[test]
fn a_declined_case_is_ended_and_unheld() {
    let events = run(vec![
        (meta(clerk(), 0), register_cmd(register())),
        (meta(clerk(), 2), decline_cmd()),
    ]);
    let state = CaseState::replay(&events);
    let case = state.case().unwrap();
    assert_eq!(case.status, Status::Declined);
    assert_eq!(case.holder, None);
    assert_eq!(case.closed_at, Some(at(2)));
    assert_eq!(case.outcome, None);
    assert_eq!(case.follow_ups, 0);
    assert_eq!(case.satisfaction, None);
}

#[test]
fn a_reassigned_case_is_held_by_the_new_organisation_until_it_acknowledges() {
    let events = run(vec![
        (meta(clerk(), 0), register_cmd(register())),
        (meta(clerk(), 1), accept_cmd()),
        (meta(clerk(), 2), assign_cmd(committee(), None)),
        (
            meta(mediator(), 3),
            acknowledge_cmd(Some(person(&mediator()))),
        ),
        (
            meta(clerk(), 4),
            assign_cmd(department(), Some(person(&handler()))),
        ),
    ]);
    let state = CaseState::replay(&events);
    let case = state.case().unwrap();
    assert_eq!(case.status, Status::Assigned);
    assert_eq!(
        case.holder,
        Some(Holder {
            organisation: department(),
            person: Some(person(&handler())),
        })
    );

    let (_, state) = given(events)
        .when(meta(handler(), 5), acknowledge_cmd(None))
        .then_ok();
    assert_eq!(state.case().unwrap().status, Status::InProgress);
    assert_eq!(
        state.case().unwrap().holder,
        Some(Holder {
            organisation: department(),
            person: Some(person(&handler())),
        })
    );
}

#[test]
fn a_referred_case_keeps_its_holder_and_can_be_followed_up() {
    let events = run(vec![
        (meta(clerk(), 0), register_cmd(register())),
        (meta(clerk(), 1), accept_cmd()),
        (meta(clerk(), 2), close_cmd(referred())),
        (
            meta(clerk(), 9),
            Command::FollowUp {
                method: ContactMethod::Phone,
                satisfaction: Satisfaction::FairlySatisfied,
                agreement_performed: None,
                note: None,
            },
        ),
    ]);
    let state = CaseState::replay(&events);
    let case = state.case().unwrap();
    assert_eq!(case.status, Status::FollowedUp);
    assert!(matches!(case.outcome, Some(Outcome::Referred { .. })));
    assert_eq!(case.holder.as_ref().unwrap().organisation, centre());
    assert_eq!(case.closed_at, Some(at(2)));
    assert_eq!(case.updated_at, at(9));
    assert_eq!(case.sessions, 0);
}

#[test]
fn recorded_events_survive_a_json_round_trip() {
    let mut events = run(happy_path());
    events.extend(history(vec![
        declined(),
        closed(failed(true)),
        closed(withdrawn()),
        closed(referred()),
    ]));
    for e in &events {
        let json = serde_json::to_value(e).unwrap();
        assert_eq!(json["body"]["type"], e.body.kind(), "{json}");
        let back: Event = serde_json::from_value(json).unwrap();
        assert_eq!(&back, e);
    }
    let closed_json = serde_json::to_value(closed(failed(true))).unwrap();
    assert_eq!(closed_json["outcome"]["result"], "failed");
}

#[test]
fn event_bodies_name_themselves() {
    let bodies: Vec<EventBody> = bodies_to(Status::FollowedUp);
    let labels: Vec<&str> = bodies.iter().map(EventBody::label).collect();
    assert_eq!(
        labels,
        [
            "登记",
            "受理",
            "派单",
            "签收",
            "开始调解",
            "调解记录",
            "结案",
            "回访"
        ]
    );
}
