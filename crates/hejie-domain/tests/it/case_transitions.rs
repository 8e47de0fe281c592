//! Which command is allowed in which status: a table across all eight statuses.

use hejie_domain::case::{
    CaseState, Command, DisputeType, Outcome, Satisfaction, Severity, Status, Track,
};
use hejie_domain::{CommandName, DomainError};

use crate::support::*;

/// One row of the table: a command, the statuses that allow it, and the status it leads to.
struct Row {
    label: &'static str,
    name: CommandName,
    command: fn() -> Command,
    allowed: &'static [Status],
    leads_to: Status,
}

const OPEN: &[Status] = &[
    Status::Registered,
    Status::Accepted,
    Status::Assigned,
    Status::InProgress,
    Status::Mediating,
];

/// The rules of decide.rs, restated independently. Commands are issued by [`mediator`], whose
/// organisation holds the case once it is assigned; reassignments go to [`department`].
fn table() -> Vec<Row> {
    vec![
        Row {
            label: "accept",
            name: CommandName::Accept,
            command: accept_cmd,
            allowed: &[Status::Registered],
            leads_to: Status::Accepted,
        },
        Row {
            label: "decline",
            name: CommandName::Decline,
            command: decline_cmd,
            allowed: &[Status::Registered],
            leads_to: Status::Declined,
        },
        Row {
            label: "assign",
            name: CommandName::Assign,
            command: || assign_cmd(department(), Some(person(&handler()))),
            allowed: &[Status::Accepted, Status::Assigned, Status::InProgress],
            leads_to: Status::Assigned,
        },
        Row {
            label: "acknowledge",
            name: CommandName::Acknowledge,
            command: || acknowledge_cmd(None),
            allowed: &[Status::Assigned],
            leads_to: Status::InProgress,
        },
        Row {
            label: "start mediation",
            name: CommandName::StartMediation,
            command: || start_cmd(true),
            allowed: &[Status::InProgress],
            leads_to: Status::Mediating,
        },
        Row {
            label: "record session",
            name: CommandName::RecordSession,
            command: record_cmd,
            allowed: &[Status::Mediating],
            leads_to: Status::Mediating,
        },
        Row {
            label: "close succeeded",
            name: CommandName::Close,
            command: || close_cmd(succeeded()),
            allowed: &[Status::Mediating],
            leads_to: Status::Closed,
        },
        Row {
            label: "close failed",
            name: CommandName::Close,
            command: || close_cmd(failed(true)),
            allowed: &[Status::Mediating],
            leads_to: Status::Closed,
        },
        Row {
            label: "close withdrawn",
            name: CommandName::Close,
            command: || close_cmd(withdrawn()),
            allowed: OPEN,
            leads_to: Status::Closed,
        },
        Row {
            label: "close referred",
            name: CommandName::Close,
            command: || close_cmd(referred()),
            allowed: &[
                Status::Accepted,
                Status::Assigned,
                Status::InProgress,
                Status::Mediating,
            ],
            leads_to: Status::Closed,
        },
        Row {
            label: "follow up",
            name: CommandName::FollowUp,
            command: || follow_up_cmd(Satisfaction::Satisfied),
            allowed: &[Status::Closed, Status::FollowedUp],
            leads_to: Status::FollowedUp,
        },
    ]
}

#[test]
fn the_histories_reach_every_status() {
    assert_eq!(Status::ALL.len(), 8);
    for &status in Status::ALL {
        let state = CaseState::replay(&history_to(status));
        assert_eq!(state.case().unwrap().status, status, "{status:?}");
    }
}

#[test]
fn every_command_is_allowed_exactly_where_the_rules_say() {
    let (mut allowed, mut refused) = (0, 0);
    for row in table() {
        for &status in Status::ALL {
            let scenario = given(history_to(status))
                .named(format!("{} in {status:?}", row.label))
                .when(meta(mediator(), 100), (row.command)());
            if row.allowed.contains(&status) {
                let (events, state) = scenario.then_ok();
                assert_eq!(events.len(), 1, "{} in {status:?}", row.label);
                assert_eq!(
                    state.case().unwrap().status,
                    row.leads_to,
                    "{} in {status:?}",
                    row.label
                );
                allowed += 1;
            } else {
                scenario.then_error(DomainError::InvalidTransition {
                    command: row.name,
                    status,
                });
                refused += 1;
            }
        }
    }
    // 1+1+3+1+1+1+1+1+5+4+2 allowed pairs out of 11 rows × 8 statuses.
    assert_eq!((allowed, refused), (21, 67));
}

#[test]
fn register_on_an_existing_case_is_refused_in_every_status() {
    for &status in Status::ALL {
        given(history_to(status))
            .named(format!("{status:?}"))
            .when(meta(clerk(), 100), register_cmd(register()))
            .then_error(DomainError::AlreadyRegistered);
    }
}

#[test]
fn every_other_command_needs_a_registered_case() {
    for row in table() {
        given(vec![])
            .named(row.label)
            .when(meta(mediator(), 0), (row.command)())
            .then_error(DomainError::NotRegistered);
    }
}

#[test]
fn the_status_check_comes_before_the_specific_rules() {
    // Each of these would break a specific rule, but the status already forbids the command.
    let cases: Vec<(Status, Command, CommandName)> = vec![
        (
            Status::Accepted,
            Command::Accept {
                dispute_type: DisputeType::Other,
                severity: Severity::Major,
                track: Track::Clinic,
                note: None,
            },
            CommandName::Accept,
        ),
        (
            Status::Accepted,
            Command::Decline {
                reason: " ".to_owned(),
                guidance: String::new(),
            },
            CommandName::Decline,
        ),
        (
            Status::Mediating,
            assign_cmd(committee(), None),
            CommandName::Assign,
        ),
        (
            Status::InProgress,
            acknowledge_cmd(None),
            CommandName::Acknowledge,
        ),
        (
            Status::Registered,
            start_cmd(false),
            CommandName::StartMediation,
        ),
        (
            Status::InProgress,
            close_cmd(succeeded()),
            CommandName::Close,
        ),
        (
            Status::InProgress,
            close_cmd(failed(false)),
            CommandName::Close,
        ),
        (
            Status::Declined,
            close_cmd(Outcome::Withdrawn {
                reason: String::new(),
            }),
            CommandName::Close,
        ),
        (
            Status::Registered,
            close_cmd(referred()),
            CommandName::Close,
        ),
    ];
    for (status, command, name) in cases {
        given(history_to(status))
            .named(format!("{name:?} in {status:?}"))
            // The clerk's organisation never holds the assigned case.
            .when(meta(clerk(), 100), command)
            .then_error(DomainError::InvalidTransition {
                command: name,
                status,
            });
    }
}

#[test]
fn an_invalid_transition_explains_itself_in_chinese() {
    let err = DomainError::InvalidTransition {
        command: CommandName::Accept,
        status: Status::Closed,
    };
    assert_eq!(err.to_string(), "案件当前状态为“已结案”，不能受理");
    assert_eq!(err.code(), "invalid_transition");
}
