//! The specific rules of the case aggregate, and validation of what commands carry.

use hejie_domain::DomainError;
use hejie_domain::case::{
    Command, ContactMethod, DisputeType, Obligation, Outcome, PartyKind, PartyRole, ReferralTarget,
    Register, Satisfaction, SessionMode, Severity, Status, Track,
};
use hejie_domain::user::Actor;

use crate::support::*;

// ---------------------------------------------------------------------------------------------
// Rules
// ---------------------------------------------------------------------------------------------

#[test]
fn a_case_cannot_be_registered_twice() {
    given(history_to(Status::Registered))
        .when(meta(clerk(), 1), register_cmd(register()))
        .then_error(DomainError::AlreadyRegistered);
}

#[test]
fn commands_on_an_unknown_case_are_refused_even_when_invalid() {
    // NotRegistered wins over validation.
    given(vec![])
        .when(
            meta(clerk(), 0),
            Command::Decline {
                reason: String::new(),
                guidance: String::new(),
            },
        )
        .then_error(DomainError::NotRegistered);
}

#[test]
fn a_major_case_cannot_take_the_clinic_track() {
    given(history_to(Status::Registered))
        .when(
            meta(clerk(), 1),
            Command::Accept {
                dispute_type: DisputeType::LandRequisition,
                severity: Severity::Major,
                track: Track::Clinic,
                note: None,
            },
        )
        .then_error(DomainError::MajorCaseNeedsUrgentTrack);
}

#[test]
fn only_the_holder_organisation_may_acknowledge() {
    let system = Actor::system("导入程序");
    let no_org = Actor {
        organisation: None,
        ..mediator()
    };
    // Assigned to the committee: the centre's clerk, a department handler, the system and a
    // mediator without organisation are all refused.
    for actor in [clerk(), handler(), system, no_org] {
        given(history_to(Status::Assigned))
            .named(actor.name.clone())
            .when(meta(actor, 3), acknowledge_cmd(None))
            .then_error(DomainError::NotHolder);
    }
}

#[test]
fn after_a_reassignment_only_the_new_holder_may_acknowledge() {
    let mut bodies = bodies_to(Status::InProgress);
    bodies.push(assigned(department(), None));
    given(history(bodies.clone()))
        .when(meta(mediator(), 10), acknowledge_cmd(None))
        .then_error(DomainError::NotHolder);
    given(history(bodies))
        .when(meta(handler(), 10), acknowledge_cmd(None))
        .then_events(vec![acknowledged(department(), None)]);
}

#[test]
fn the_receiving_window_cannot_acknowledge_a_case_assigned_elsewhere() {
    // The centre held the case from registration; after dispatch it no longer does.
    given(history_to(Status::Assigned))
        .when(meta(clerk(), 3), acknowledge_cmd(Some(person(&clerk()))))
        .then_error(DomainError::NotHolder);
}

#[test]
fn a_case_cannot_be_reassigned_to_the_organisation_that_holds_it() {
    for status in [Status::Assigned, Status::InProgress] {
        // Same organisation, with or without another person.
        for person_ref in [None, Some(person(&second_mediator()))] {
            given(history_to(status))
                .named(format!("{status:?} {person_ref:?}"))
                .when(meta(clerk(), 20), assign_cmd(committee(), person_ref))
                .then_error(DomainError::AlreadyHeld);
        }
    }
}

#[test]
fn mediation_needs_both_parties_consent() {
    given(history_to(Status::InProgress))
        .when(meta(mediator(), 4), start_cmd(false))
        .then_error(DomainError::ConsentRequired);
}

#[test]
fn success_or_failure_needs_a_recorded_session() {
    let mut bodies = bodies_to(Status::InProgress);
    bodies.push(mediation_started());
    for outcome in [succeeded(), failed(true), failed(false)] {
        given(history(bodies.clone()))
            .named(outcome.code())
            .when(meta(mediator(), 6), close_cmd(outcome))
            .then_error(DomainError::NoSessionRecorded);
    }
}

/// 人民调解法第二十六条: mediation that fails is terminated with the parties told of their other
/// remedies (arbitration, administrative and judicial channels); the record says they were.
#[test]
fn art26_termination_requires_the_parties_be_told_of_other_remedies() {
    let err = given(history_to(Status::Mediating))
        .when(meta(mediator(), 7), close_cmd(failed(false)))
        .then_err();
    assert_eq!(err, DomainError::RemediesNotInformed);
    assert!(err.to_string().contains("第二十六条"), "{err}");
    given(history_to(Status::Mediating))
        .when(meta(mediator(), 7), close_cmd(failed(true)))
        .then_events(vec![closed(failed(true))]);
}

// ---------------------------------------------------------------------------------------------
// Validation
// ---------------------------------------------------------------------------------------------

fn register_fails_on(field: &str, change: impl FnOnce(&mut Register)) {
    let mut r = register();
    change(&mut r);
    given(vec![])
        .named(field)
        .when(meta(clerk(), 0), register_cmd(r))
        .then_invalid(field);
}

#[test]
fn registration_needs_a_description() {
    register_fails_on("description", |r| r.description = String::new());
    register_fails_on("description", |r| r.description = " \n\t ".to_owned());
}

#[test]
fn registration_limits_the_description_to_5000_characters() {
    register_fails_on("description", |r| r.description = "纠".repeat(5001));
    let mut r = register();
    r.description = "纠".repeat(5000);
    given(vec![])
        .when(meta(clerk(), 0), register_cmd(r.clone()))
        .then_events(vec![registered_from(r)]);
}

#[test]
fn registration_needs_at_least_one_party_with_a_name() {
    register_fails_on("parties", |r| r.parties.clear());
    register_fails_on("parties.name", |r| r.parties[1].name = "  ".to_owned());
    register_fails_on("parties.name", |r| r.parties[0].name = "张".repeat(65));
    register_fails_on("parties.address", |r| {
        r.parties[0].address = Some("址".repeat(201));
    });
}

#[test]
fn registration_accepts_a_single_organisation_party() {
    let mut r = register();
    r.parties = vec![party(PartyRole::Applicant, "和安县某建筑公司")];
    r.parties[0].kind = PartyKind::Organisation;
    r.parties[0].id_number = None;
    given(vec![])
        .when(meta(clerk(), 0), register_cmd(r.clone()))
        .then_events(vec![registered_from(r)]);
}

#[test]
fn the_grid_must_lie_inside_the_division() {
    register_fails_on("location.grid", |r| r.location.grid = Some(foreign_grid()));
    // A "grid" that is really a wider division does not lie inside the village either.
    register_fails_on("location.grid", |r| r.location.grid = Some(town()));
    register_fails_on("location.address", |r| {
        r.location.address = Some("址".repeat(201));
    });
}

#[test]
fn a_group_dispute_involves_at_least_two_people_and_all_parties() {
    register_fails_on("head_count", |r| r.head_count = Some(0));
    register_fails_on("head_count", |r| r.head_count = Some(1));
    // One person is no group, even when there is only one party.
    register_fails_on("head_count", |r| {
        r.parties.truncate(1);
        r.head_count = Some(1);
    });
    register_fails_on("head_count", |r| {
        r.parties.push(party(PartyRole::ThirdParty, "王五"));
        r.head_count = Some(2);
    });
    let mut r = register();
    r.parties.push(party(PartyRole::ThirdParty, "王五"));
    r.head_count = Some(3);
    given(vec![])
        .when(meta(clerk(), 0), register_cmd(r.clone()))
        .then_events(vec![registered_from(r)]);
}

#[test]
fn accept_limits_the_note() {
    given(history_to(Status::Registered))
        .when(
            meta(clerk(), 1),
            Command::Accept {
                dispute_type: DisputeType::Neighbour,
                severity: Severity::Ordinary,
                track: Track::Clinic,
                note: Some("注".repeat(5001)),
            },
        )
        .then_invalid("note");
}

#[test]
fn decline_needs_a_reason_and_guidance() {
    for (reason, guidance, field) in [
        ("", "已引导至派出所", "reason"),
        ("  \n", "已引导至派出所", "reason"),
        ("刑事案件", " ", "guidance"),
    ] {
        given(history_to(Status::Registered))
            .when(
                meta(clerk(), 1),
                Command::Decline {
                    reason: reason.to_owned(),
                    guidance: guidance.to_owned(),
                },
            )
            .then_invalid(field);
    }
}

#[test]
fn assign_limits_the_note() {
    given(history_to(Status::Accepted))
        .when(
            meta(clerk(), 2),
            Command::Assign {
                organisation: committee(),
                person: None,
                note: Some("注".repeat(5001)),
            },
        )
        .then_invalid("note");
}

fn session(place: &str, attendees: &[&str], minutes: &str) -> Command {
    Command::RecordSession {
        held_at: at(5),
        mode: SessionMode::Phone,
        place: place.to_owned(),
        attendees: attendees.iter().map(|a| (*a).to_owned()).collect(),
        minutes: minutes.to_owned(),
    }
}

#[test]
fn a_session_needs_attendees_a_place_and_minutes() {
    for (command, field) in [
        (session("调解室", &[], "记录"), "attendees"),
        (session("调解室", &["张三", " "], "记录"), "attendees"),
        (session(" ", &["张三"], "记录"), "place"),
        (session("调解室", &["张三"], ""), "minutes"),
    ] {
        given(history_to(Status::Mediating))
            .named(field)
            .when(meta(mediator(), 8), command)
            .then_invalid(field);
    }
}

#[test]
fn an_agreement_needs_text_and_complete_obligations() {
    let with = |agreement: &str, party: &str, duty: &str| {
        close_cmd(Outcome::Succeeded {
            agreement: agreement.to_owned(),
            amount: None,
            obligations: vec![Obligation {
                party: party.to_owned(),
                duty: duty.to_owned(),
                amount: None,
                due: None,
            }],
        })
    };
    for (command, field) in [
        (with(" ", "李四", "赔偿"), "agreement"),
        (with("协议", "", "赔偿"), "obligations.party"),
        (with("协议", "李四", "  "), "obligations.duty"),
    ] {
        given(history_to(Status::Mediating))
            .named(field)
            .when(meta(mediator(), 8), command)
            .then_invalid(field);
    }
}

#[test]
fn closing_needs_a_reason() {
    let cases = [
        (
            Status::Mediating,
            Outcome::Failed {
                reason: " ".to_owned(),
                remedies_informed: true,
            },
        ),
        (
            Status::Registered,
            Outcome::Withdrawn {
                reason: String::new(),
            },
        ),
        (
            Status::Accepted,
            Outcome::Referred {
                target: ReferralTarget::LabourArbitration,
                reason: "\t".to_owned(),
            },
        ),
    ];
    for (status, outcome) in cases {
        given(history_to(status))
            .named(outcome.code())
            .when(meta(mediator(), 8), close_cmd(outcome))
            .then_invalid("reason");
    }
}

#[test]
fn follow_up_limits_the_note() {
    given(history_to(Status::Closed))
        .when(
            meta(mediator(), 40),
            Command::FollowUp {
                method: ContactMethod::Online,
                satisfaction: Satisfaction::Satisfied,
                agreement_performed: Some(false),
                note: Some("注".repeat(5001)),
            },
        )
        .then_invalid("note");
}

#[test]
fn validation_errors_carry_their_field_in_the_message() {
    let err = given(vec![])
        .when(
            meta(clerk(), 0),
            register_cmd(Register {
                description: String::new(),
                ..register()
            }),
        )
        .then_invalid("description");
    assert_eq!(err.to_string(), "description: 不能为空");
    assert_eq!(DomainError::from(err).code(), "validation");
}

#[test]
fn a_session_must_lie_between_registration_and_its_recording() {
    let mut events = bodies_to(Status::InProgress);
    events.push(mediation_started());
    // History events are stamped at hours 0, 1, 2, …; registration is at hour 0.
    let before_registration = Command::RecordSession {
        held_at: at(-1),
        mode: SessionMode::InPerson,
        place: "调解室".to_owned(),
        attendees: vec!["张三".to_owned()],
        minutes: "记录".to_owned(),
    };
    given(history(events.clone()))
        .when(meta(mediator(), 10), before_registration)
        .then_invalid("held_at");
    let in_the_future = Command::RecordSession {
        held_at: at(11),
        mode: SessionMode::InPerson,
        place: "调解室".to_owned(),
        attendees: vec!["张三".to_owned()],
        minutes: "记录".to_owned(),
    };
    given(history(events))
        .when(meta(mediator(), 10), in_the_future)
        .then_invalid("held_at");
}

#[test]
fn performance_is_only_followed_up_for_an_agreement() {
    let mut events = bodies_to(Status::Accepted);
    events.push(closed(referred()));
    given(history(events))
        .when(
            meta(clerk(), 20),
            Command::FollowUp {
                method: ContactMethod::Phone,
                satisfaction: Satisfaction::Satisfied,
                agreement_performed: Some(true),
                note: None,
            },
        )
        .then_invalid("agreement_performed");
}
