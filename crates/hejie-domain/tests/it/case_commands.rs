//! The accepted path of every case command: what it records and where it leaves the case.

use hejie_domain::DomainError;
use hejie_domain::case::{
    Command, ContactMethod, DisputeType, EventBody, Holder, Obligation, Outcome, Satisfaction,
    SessionMode, Severity, Status, Track,
};
use hejie_domain::money::Money;

use crate::support::*;

#[test]
fn register_records_the_case_and_the_receiving_window_holds_it() {
    let state = given(vec![])
        .when(meta(clerk(), 0), register_cmd(register()))
        .then_events(vec![registered()]);
    let case = state.case().unwrap();
    assert_eq!(case.status, Status::Registered);
    assert_eq!(case.id, case_id());
    assert_eq!(case.number, case_number());
    assert_eq!(case.dispute_type, Some(DisputeType::Neighbour));
    assert_eq!(case.parties.len(), 2);
    assert_eq!(
        case.holder,
        Some(Holder {
            organisation: centre(),
            person: None
        })
    );
    assert_eq!(case.registered_at, at(0));
    assert_eq!(case.updated_at, at(0));
    assert_eq!(case.closed_at, None);
    assert_eq!(state.version(), 1);
}

#[test]
fn register_without_a_receiving_window_leaves_the_case_unheld() {
    let mut r = register();
    r.received_by = None;
    let state = given(vec![])
        .when(meta(clerk(), 0), register_cmd(r.clone()))
        .then_events(vec![registered_from(r)]);
    assert_eq!(state.case().unwrap().holder, None);
}

#[test]
fn register_trims_free_text_and_drops_blank_optional_text() {
    let mut r = register();
    r.description = "  邻里纠纷 \n".to_owned();
    r.parties[0].name = " 张三 ".to_owned();
    r.parties[0].address = Some("   ".to_owned());
    r.parties[1].address = Some(" 东门村5组 ".to_owned());
    r.location.address = Some("\t东门村3组12号 ".to_owned());

    let mut expected = register();
    expected.description = "邻里纠纷".to_owned();
    expected.parties[0].address = None;
    expected.parties[1].address = Some("东门村5组".to_owned());

    given(vec![])
        .when(meta(clerk(), 0), register_cmd(r))
        .then_events(vec![registered_from(expected)]);
}

#[test]
fn register_accepts_a_group_dispute_and_a_grid_inside_a_wider_division() {
    let mut r = register();
    r.head_count = Some(2);
    r.location.division = town();
    r.location.grid = Some(grid());
    r.location.point = None;
    r.location.address = None;
    r.amount = None;
    r.dispute_type = None;
    let state = given(vec![])
        .when(meta(clerk(), 0), register_cmd(r.clone()))
        .then_events(vec![registered_from(r)]);
    let case = state.case().unwrap();
    assert_eq!(case.head_count, Some(2));
    assert_eq!(case.dispute_type, None);
}

#[test]
fn accept_confirms_type_severity_and_track() {
    let state = given(history_to(Status::Registered))
        .when(
            meta(clerk(), 1),
            Command::Accept {
                dispute_type: DisputeType::HousingHomestead,
                severity: Severity::Significant,
                track: Track::Clinic,
                note: Some("  事实基本清楚 ".to_owned()),
            },
        )
        .then_events(vec![EventBody::Accepted {
            dispute_type: DisputeType::HousingHomestead,
            severity: Severity::Significant,
            track: Track::Clinic,
            note: Some("事实基本清楚".to_owned()),
        }]);
    let case = state.case().unwrap();
    assert_eq!(case.status, Status::Accepted);
    assert_eq!(case.dispute_type, Some(DisputeType::HousingHomestead));
    assert_eq!(case.severity, Some(Severity::Significant));
    assert_eq!(case.track, Some(Track::Clinic));
    assert_eq!(case.updated_at, at(1));
    // The window still holds it until dispatch.
    assert_eq!(case.holder.as_ref().unwrap().organisation, centre());
}

#[test]
fn accept_takes_a_major_case_on_the_urgent_tracks() {
    for track in [Track::Emergency, Track::Consultation] {
        given(history_to(Status::Registered))
            .named(format!("{track:?}"))
            .when(
                meta(clerk(), 1),
                Command::Accept {
                    dispute_type: DisputeType::LandRequisition,
                    severity: Severity::Major,
                    track,
                    note: Some("   ".to_owned()),
                },
            )
            .then_events(vec![EventBody::Accepted {
                dispute_type: DisputeType::LandRequisition,
                severity: Severity::Major,
                track,
                note: None,
            }]);
    }
}

#[test]
fn decline_records_reason_and_guidance_and_ends_the_case() {
    let state = given(history_to(Status::Registered))
        .when(
            meta(clerk(), 1),
            Command::Decline {
                reason: " 属于刑事案件，不属于人民调解范围 ".to_owned(),
                guidance: "已引导当事人向公安机关报案\n".to_owned(),
            },
        )
        .then_events(vec![declined()]);
    let case = state.case().unwrap();
    assert_eq!(case.status, Status::Declined);
    assert!(!case.status.is_open());
    assert_eq!(case.holder, None);
    assert_eq!(case.closed_at, Some(at(1)));
}

#[test]
fn assign_dispatches_an_accepted_case() {
    let state = given(history_to(Status::Accepted))
        .when(
            meta(clerk(), 2),
            Command::Assign {
                organisation: committee(),
                person: Some(person(&mediator())),
                note: Some(" 请三日内联系当事人 ".to_owned()),
            },
        )
        .then_events(vec![EventBody::Assigned {
            organisation: committee(),
            person: Some(person(&mediator())),
            note: Some("请三日内联系当事人".to_owned()),
        }]);
    let case = state.case().unwrap();
    assert_eq!(case.status, Status::Assigned);
    assert_eq!(
        case.holder,
        Some(Holder {
            organisation: committee(),
            person: Some(person(&mediator())),
        })
    );
}

#[test]
fn assign_may_dispatch_to_the_window_that_received_the_case() {
    // At acceptance the receiving window is the holder, yet dispatching to it is legitimate.
    let state = given(history_to(Status::Accepted))
        .when(meta(clerk(), 2), assign_cmd(centre(), None))
        .then_events(vec![assigned(centre(), None)]);
    assert_eq!(state.case().unwrap().status, Status::Assigned);
}

#[test]
fn assign_redispatches_an_assigned_or_in_progress_case_to_another_organisation() {
    for status in [Status::Assigned, Status::InProgress] {
        let state = given(history_to(status))
            .named(format!("{status:?}"))
            .when(
                meta(clerk(), 20),
                assign_cmd(department(), Some(person(&handler()))),
            )
            .then_events(vec![assigned(department(), Some(person(&handler())))]);
        let case = state.case().unwrap();
        assert_eq!(case.status, Status::Assigned);
        assert_eq!(
            case.holder,
            Some(Holder {
                organisation: department(),
                person: Some(person(&handler())),
            })
        );
    }
}

#[test]
fn acknowledge_by_the_holder_starts_the_work_and_keeps_the_assigned_person() {
    let state = given(history_to(Status::Assigned))
        .when(meta(mediator(), 3), acknowledge_cmd(None))
        .then_events(vec![acknowledged(committee(), None)]);
    let case = state.case().unwrap();
    assert_eq!(case.status, Status::InProgress);
    assert_eq!(
        case.holder,
        Some(Holder {
            organisation: committee(),
            person: Some(person(&mediator())),
        })
    );
}

#[test]
fn acknowledge_may_name_another_person_of_the_holder() {
    let state = given(history_to(Status::Assigned))
        .when(
            meta(second_mediator(), 3),
            acknowledge_cmd(Some(person(&second_mediator()))),
        )
        .then_events(vec![acknowledged(
            committee(),
            Some(person(&second_mediator())),
        )]);
    assert_eq!(
        state.case().unwrap().holder.as_ref().unwrap().person,
        Some(person(&second_mediator()))
    );
}

#[test]
fn acknowledge_records_the_holder_organisation_not_the_actors_view_of_it() {
    // Assigned without a person; the event names the organisation from the case's holder.
    let events = history(vec![registered(), accepted(), assigned(department(), None)]);
    let state = given(events)
        .when(meta(handler(), 3), acknowledge_cmd(None))
        .then_events(vec![acknowledged(department(), None)]);
    assert_eq!(
        state.case().unwrap().holder,
        Some(Holder {
            organisation: department(),
            person: None
        })
    );
}

#[test]
fn start_mediation_with_consent_names_the_mediator() {
    let state = given(history_to(Status::InProgress))
        .when(meta(mediator(), 4), start_cmd(true))
        .then_events(vec![mediation_started()]);
    let case = state.case().unwrap();
    assert_eq!(case.status, Status::Mediating);
    assert_eq!(case.mediator, Some(person(&mediator())));
    assert_eq!(case.sessions, 0);
}

#[test]
fn record_session_records_trimmed_minutes_and_counts_sessions() {
    let mut history_events = bodies_to(Status::InProgress);
    history_events.push(mediation_started());
    let state = given(history(history_events.clone()))
        .when(
            meta(mediator(), 5),
            Command::RecordSession {
                held_at: at(5),
                mode: SessionMode::Online,
                place: " 线上 ".to_owned(),
                attendees: vec![" 张三".to_owned(), "李四 ".to_owned()],
                minutes: "\n第一次调解 ".to_owned(),
            },
        )
        .then_events(vec![EventBody::SessionRecorded {
            held_at: at(5),
            mode: SessionMode::Online,
            place: "线上".to_owned(),
            attendees: vec!["张三".to_owned(), "李四".to_owned()],
            minutes: "第一次调解".to_owned(),
        }]);
    assert_eq!(state.case().unwrap().status, Status::Mediating);
    assert_eq!(state.case().unwrap().sessions, 1);

    // A second session on top of the first one.
    history_events.push(session_recorded());
    let state = given(history(history_events))
        .when(meta(mediator(), 6), record_cmd())
        .then_events(vec![session_recorded()]);
    assert_eq!(state.case().unwrap().status, Status::Mediating);
    assert_eq!(state.case().unwrap().sessions, 2);
}

#[test]
fn close_succeeded_records_the_agreement() {
    let state = given(history_to(Status::Mediating))
        .when(
            meta(mediator(), 7),
            close_cmd(Outcome::Succeeded {
                agreement: "  李四于三日内疏通排水沟。 ".to_owned(),
                amount: Some(Money::parse("800").unwrap()),
                obligations: vec![Obligation {
                    party: "李四".to_owned(),
                    duty: "疏通排水沟".to_owned(),
                    amount: None,
                    due: Some(at(80)),
                }],
            }),
        )
        .then_events(vec![closed(Outcome::Succeeded {
            agreement: "李四于三日内疏通排水沟。".to_owned(),
            amount: Some(Money::parse("800").unwrap()),
            obligations: vec![Obligation {
                party: "李四".to_owned(),
                duty: "疏通排水沟".to_owned(),
                amount: None,
                due: Some(at(80)),
            }],
        })]);
    let case = state.case().unwrap();
    assert_eq!(case.status, Status::Closed);
    assert_eq!(case.closed_at, Some(at(7)));
    assert!(matches!(case.outcome, Some(Outcome::Succeeded { .. })));
}

#[test]
fn close_failed_after_a_session_with_remedies_informed() {
    let state = given(history_to(Status::Mediating))
        .when(
            meta(mediator(), 7),
            close_cmd(Outcome::Failed {
                reason: " 双方对赔偿金额分歧较大 ".to_owned(),
                remedies_informed: true,
            }),
        )
        .then_events(vec![closed(failed(true))]);
    let case = state.case().unwrap();
    assert_eq!(case.status, Status::Closed);
    assert_eq!(case.outcome, Some(failed(true)));
    assert_eq!(case.closed_at, Some(at(7)));
}

#[test]
fn close_withdrawn_right_after_registration() {
    let state = given(history_to(Status::Registered))
        .when(
            meta(clerk(), 1),
            close_cmd(Outcome::Withdrawn {
                reason: " 申请人撤回调解申请 ".to_owned(),
            }),
        )
        .then_events(vec![closed(withdrawn())]);
    let case = state.case().unwrap();
    assert_eq!(case.status, Status::Closed);
    assert_eq!(case.outcome, Some(withdrawn()));
    assert_eq!(case.closed_at, Some(at(1)));
}

#[test]
fn close_withdrawn_during_mediation_needs_no_session() {
    let mut bodies = bodies_to(Status::InProgress);
    bodies.push(mediation_started());
    let state = given(history(bodies))
        .when(meta(mediator(), 5), close_cmd(withdrawn()))
        .then_events(vec![closed(withdrawn())]);
    assert_eq!(state.case().unwrap().sessions, 0);
    assert_eq!(state.case().unwrap().status, Status::Closed);
}

#[test]
fn close_referred_sends_an_accepted_case_elsewhere() {
    let state = given(history_to(Status::Accepted))
        .when(meta(clerk(), 2), close_cmd(referred()))
        .then_events(vec![closed(referred())]);
    let case = state.case().unwrap();
    assert_eq!(case.status, Status::Closed);
    assert_eq!(case.outcome, Some(referred()));
    assert_eq!(case.closed_at, Some(at(2)));
}

#[test]
fn follow_up_after_closing_and_again_after_a_follow_up() {
    let state = given(history_to(Status::Closed))
        .when(
            meta(mediator(), 40),
            Command::FollowUp {
                method: ContactMethod::Visit,
                satisfaction: Satisfaction::Satisfied,
                agreement_performed: None,
                note: Some(" 协议已履行 ".to_owned()),
            },
        )
        .then_events(vec![EventBody::FollowedUp {
            method: ContactMethod::Visit,
            satisfaction: Satisfaction::Satisfied,
            agreement_performed: None,
            note: Some("协议已履行".to_owned()),
        }]);
    let case = state.case().unwrap();
    assert_eq!(case.status, Status::FollowedUp);
    assert_eq!(case.follow_ups, 1);
    assert_eq!(case.satisfaction, Some(Satisfaction::Satisfied));

    // history_to(FollowedUp) already has one follow-up (fairly satisfied).
    let state = given(history_to(Status::FollowedUp))
        .when(
            meta(mediator(), 50),
            follow_up_cmd(Satisfaction::Dissatisfied),
        )
        .then_events(vec![followed_up(Satisfaction::Dissatisfied)]);
    let case = state.case().unwrap();
    assert_eq!(case.status, Status::FollowedUp);
    assert_eq!(case.follow_ups, 2);
    assert_eq!(case.satisfaction, Some(Satisfaction::Dissatisfied));
    // Following up does not reopen or re-close the case.
    let closed_hour = i64::try_from(bodies_to(Status::Closed).len() - 1).unwrap();
    assert_eq!(case.closed_at, Some(at(closed_hour)));
}

#[test]
fn route_records_the_rule_that_fired_and_hands_the_case_over() {
    let rule_routed = EventBody::Routed {
        organisation: committee(),
        rule: "ordinary-village".to_owned(),
        reason: "邻里，一般，转东门村人民调解委员会（规则 ordinary-village）".to_owned(),
    };
    let state = given(history_to(Status::Accepted))
        .when(
            meta(clerk(), 3),
            Command::Route {
                organisation: committee(),
                rule: " ordinary-village ".to_owned(),
                reason: "邻里，一般，转东门村人民调解委员会（规则 ordinary-village）".to_owned(),
            },
        )
        .then_events(vec![rule_routed]);
    let case = state.case().unwrap();
    assert_eq!(case.status, Status::Assigned);
    assert_eq!(case.holder.as_ref().unwrap().organisation, committee());
    // Routing again to the organisation that already holds the case is refused.
    given(history_to(Status::Assigned))
        .when(
            meta(clerk(), 9),
            Command::Route {
                organisation: committee(),
                rule: "ordinary-village".to_owned(),
                reason: "重复".to_owned(),
            },
        )
        .then_error(DomainError::AlreadyHeld);
    // A rule must be named.
    given(history_to(Status::Accepted))
        .when(
            meta(clerk(), 3),
            Command::Route {
                organisation: committee(),
                rule: " ".to_owned(),
                reason: "理由".to_owned(),
            },
        )
        .then_invalid("rule");
}

// ---------------------------------------------------------------------------------------------
// 一案一码: a further report of the same dispute is linked to the open case
// ---------------------------------------------------------------------------------------------

fn link_cmd(summary: &str) -> Command {
    Command::LinkReport {
        channel: hejie_domain::case::Channel::Phone,
        reporter: " 李四 ".to_owned(),
        summary: summary.to_owned(),
    }
}

#[test]
fn a_further_report_is_linked_to_an_open_case_without_changing_its_status() {
    for status in [
        Status::Registered,
        Status::Accepted,
        Status::Assigned,
        Status::InProgress,
        Status::Mediating,
    ] {
        let before = given(history_to(status)).named(format!("{status:?}"));
        let version = hejie_domain::case::CaseState::replay(&history_to(status)).version();
        let state = before
            .when(meta(clerk(), 40), link_cmd(" 邻居又来堵路 "))
            .then_events(vec![EventBody::ReportLinked {
                channel: hejie_domain::case::Channel::Phone,
                reporter: "李四".to_owned(),
                summary: "邻居又来堵路".to_owned(),
            }]);
        assert_eq!(state.case().unwrap().status, status);
        assert_eq!(state.version(), version + 1);
    }
}

#[test]
fn a_report_cannot_be_linked_to_a_finished_case() {
    for status in [Status::Declined, Status::Closed, Status::FollowedUp] {
        given(history_to(status))
            .named(format!("{status:?}"))
            .when(meta(clerk(), 40), link_cmd("邻居又来堵路"))
            .then_error(DomainError::InvalidTransition {
                command: hejie_domain::CommandName::LinkReport,
                status,
            });
    }
}

#[test]
fn a_linked_report_needs_a_summary() {
    let r = given(history_to(Status::Accepted)).when(meta(clerk(), 40), link_cmd("  \n"));
    r.then_error(DomainError::Validation(hejie_domain::ValidationError::new(
        "summary",
        "不能为空".to_owned(),
    )));
}
