//! The authorization policy (`hejie_domain::authz`), table by table: where a user's jurisdiction
//! reaches, which work only the holder's staff may do, and which actions a page offers to whom in
//! each status.

use hejie_domain::CommandName as N;
use hejie_domain::authz::{Action, Denied, authorize, available_commands, in_scope, role_may};
use hejie_domain::case::{Case, CaseState, Location, OrgRef, Status};
use hejie_domain::division::DivisionCode;
use hejie_domain::org::OrganisationId;
use hejie_domain::user::{Role, User, UserId};
use uuid::Uuid;

use crate::support::{
    centre, code, committee, county, foreign_grid, grid, history_to, register, registered_from,
    town, village,
};

fn user(n: u128, role: Role, jurisdiction: DivisionCode, org: Option<&OrgRef>) -> User {
    User::new(
        UserId(Uuid::from_u128(0x5000 + n)),
        &format!("user{n}"),
        "测试用户",
        role,
        jurisdiction,
        org.map(|o| o.id),
    )
    .expect("valid user")
}

/// Another committee of the same township as [`committee`]'s village.
fn township_committee() -> OrgRef {
    OrgRef {
        id: OrganisationId(Uuid::from_u128(0xD4)),
        name: "城关镇人民调解委员会".to_owned(),
        division: town(),
    }
}

/// The case as it stands after the usual road to `status` (held by [`committee`] once assigned).
fn case_at(status: Status) -> Case {
    let st = CaseState::replay(&history_to(status));
    let case = st.case().expect("registered").clone();
    assert_eq!(case.status, status, "fixture reaches {status:?}");
    case
}

/// A registered case at `location`, received by `received_by`.
fn case_located(location: Location, received_by: Option<OrgRef>) -> Case {
    let mut r = register();
    r.location = location;
    r.received_by = received_by;
    let events = crate::support::history(vec![registered_from(r)]);
    CaseState::replay(&events)
        .case()
        .expect("registered")
        .clone()
}

fn at_village(grid: Option<DivisionCode>) -> Location {
    Location {
        division: village(),
        grid,
        point: None,
        address: None,
    }
}

// ---------------------------------------------------------------------------------------------
// Jurisdiction containment
// ---------------------------------------------------------------------------------------------

#[test]
fn jurisdiction_reaches_exactly_the_subtree_and_the_cases_the_unit_holds() {
    let other_town = code("339021101000");
    let other_village = code("339021101001");
    let sibling_grid = code("339021100201002");
    let with_grid = case_located(at_village(Some(grid())), None);
    let without_grid = case_located(at_village(None), None);
    // (who, their jurisdiction, their unit, sees the case in the grid, sees the case without grid)
    let table: Vec<(&str, DivisionCode, Option<OrgRef>, bool, bool)> = vec![
        ("grid worker of the case's grid", grid(), None, true, false),
        (
            "grid worker of a sibling grid",
            sibling_grid,
            None,
            false,
            false,
        ),
        ("village", village(), None, true, true),
        ("township", town(), None, true, true),
        ("county", county(), None, true, true),
        ("other township", other_town.clone(), None, false, false),
        (
            "village of the other township",
            other_village,
            None,
            false,
            false,
        ),
        (
            "grid of the other township",
            foreign_grid(),
            None,
            false,
            false,
        ),
        // The holder's staff reach the case wherever they sit (received_by is the holder at
        // registration).
        (
            "other township, unit holds neither",
            other_town.clone(),
            Some(committee()),
            false,
            false,
        ),
    ];
    for (i, (who, jurisdiction, org, sees_grid_case, sees_plain_case)) in
        table.into_iter().enumerate()
    {
        for role in [Role::WindowClerk, Role::GridWorker, Role::Supervisor] {
            let u = user(i as u128, role, jurisdiction.clone(), org.as_ref());
            for (case, expected) in [
                (&with_grid, sees_grid_case),
                (&without_grid, sees_plain_case),
            ] {
                assert_eq!(
                    in_scope(&u, case),
                    expected,
                    "{who} ({role:?}) and a case with grid {:?}",
                    case.location.grid
                );
                let verdict = authorize(&u, Action::ViewCase, Some(case));
                if expected {
                    assert_eq!(verdict, Ok(()), "{who} ({role:?}) may view");
                } else {
                    assert_eq!(
                        verdict,
                        Err(Denied::OutOfJurisdiction),
                        "{who} ({role:?}) must not even learn the case exists"
                    );
                }
            }
        }
    }
}

#[test]
fn the_holding_unit_reaches_its_case_outside_its_jurisdiction() {
    let other_town = code("339021101000");
    let held_by = |org: OrgRef| case_located(at_village(Some(grid())), Some(org));
    let theirs = OrgRef {
        id: OrganisationId(Uuid::from_u128(0xE5)),
        name: "和安县人力资源和社会保障局".to_owned(),
        division: other_town.clone(),
    };
    let handler = user(
        1,
        Role::DepartmentHandler,
        other_town.clone(),
        Some(&theirs),
    );
    assert!(in_scope(&handler, &held_by(theirs.clone())));
    assert_eq!(
        authorize(&handler, Action::ViewCase, Some(&held_by(theirs))),
        Ok(())
    );
    let stranger = user(
        2,
        Role::DepartmentHandler,
        other_town,
        Some(&township_committee()),
    );
    assert!(!in_scope(&stranger, &held_by(committee())));
    // A user without a unit never matches a case without a holder.
    let lone = user(3, Role::LegalAdvisor, code("339021101000"), None);
    assert!(!in_scope(&lone, &case_located(at_village(None), None)));
}

#[test]
fn jurisdiction_is_checked_before_the_role_so_denials_do_not_reveal_cases() {
    let outside = case_located(at_village(None), None);
    for role in [Role::Resident, Role::System, Role::Supervisor, Role::Admin] {
        let u = user(1, role, code("339021101000"), None);
        for action in [
            Action::ViewCase,
            Action::Command(N::Accept),
            Action::Command(N::Close),
            Action::Command(N::ViewPersonalData),
        ] {
            assert_eq!(
                authorize(&u, action, Some(&outside)),
                Err(Denied::OutOfJurisdiction),
                "{role:?} {action:?}"
            );
        }
    }
    let resident = user(2, Role::Resident, town(), None);
    assert_eq!(
        authorize(&resident, Action::ViewCase, Some(&outside)),
        Err(Denied::Role)
    );
    assert_eq!(Denied::OutOfJurisdiction.code(), "not_found");
}

// ---------------------------------------------------------------------------------------------
// Holder-only commands
// ---------------------------------------------------------------------------------------------

#[test]
fn holder_work_is_reserved_to_the_holders_staff_and_coordinators() {
    let own = user(1, Role::Mediator, village(), Some(&committee()));
    let colleague_elsewhere = user(2, Role::Mediator, town(), Some(&township_committee()));
    let unitless = user(3, Role::Mediator, town(), None);
    let clerk = user(4, Role::WindowClerk, town(), Some(&centre()));
    let advisor = user(5, Role::JudicialGeneralAdvisor, town(), Some(&centre()));
    let admin = user(6, Role::Admin, county(), None);
    let handler = user(
        7,
        Role::DepartmentHandler,
        town(),
        Some(&township_committee()),
    );
    // (command, status it is asked in; the case is held by `committee` in all of them)
    let commands = [
        (N::Acknowledge, Status::Assigned),
        (N::StartMediation, Status::InProgress),
        (N::RecordSession, Status::Mediating),
        (N::Close, Status::Mediating),
    ];
    for (name, status) in commands {
        let case = case_at(status);
        assert_eq!(
            case.holder.as_ref().map(|h| h.organisation.id),
            Some(committee().id)
        );
        let may = |u: &User| authorize(u, Action::Command(name), Some(&case));
        assert_eq!(may(&own), Ok(()), "{name:?}: the holder's mediator");
        assert_eq!(
            may(&colleague_elsewhere),
            Err(Denied::NotHolder),
            "{name:?}: a mediator of another committee in the same township"
        );
        assert_eq!(
            may(&unitless),
            Err(Denied::NotHolder),
            "{name:?}: unitless mediator"
        );
        assert_eq!(
            may(&handler),
            Err(Denied::NotHolder),
            "{name:?}: handler of another unit"
        );
        // Coordinators may mediate and close for the holder, but only the holder signs for
        // receipt (the case rules refuse anyone else, so it must not be offered to them).
        let coordinator = if name == N::Acknowledge {
            Err(Denied::NotHolder)
        } else {
            Ok(())
        };
        assert_eq!(
            may(&advisor),
            coordinator,
            "{name:?}: judicial general advisor"
        );
        assert_eq!(may(&admin), coordinator, "{name:?}: administrator");
        let clerk_verdict = if name == N::Close {
            Err(Denied::NotHolder)
        } else {
            Err(Denied::Role)
        };
        assert_eq!(may(&clerk), clerk_verdict, "{name:?}: clerk");
    }
    // Work that is not the holder's: anyone with the role in the jurisdiction.
    let closed = case_at(Status::Closed);
    assert_eq!(
        authorize(
            &colleague_elsewhere,
            Action::Command(N::FollowUp),
            Some(&closed)
        ),
        Ok(())
    );
    assert_eq!(
        authorize(
            &colleague_elsewhere,
            Action::Command(N::ViewPersonalData),
            Some(&closed)
        ),
        Ok(())
    );
    let accepted = case_at(Status::Accepted);
    assert_eq!(
        authorize(&clerk, Action::Command(N::Assign), Some(&accepted)),
        Ok(())
    );
    assert_eq!(Denied::NotHolder.code(), "not_holder");
    assert_eq!(Denied::Role.code(), "forbidden_role");
}

// ---------------------------------------------------------------------------------------------
// What a page offers
// ---------------------------------------------------------------------------------------------

/// A status, and what the clerk, the mediator, the other committee's mediator and the supervisor
/// are offered in it.
type Row = (
    Status,
    &'static [N],
    &'static [N],
    &'static [N],
    &'static [N],
);

#[test]
fn available_commands_follow_status_role_and_holder() {
    let clerk = user(1, Role::WindowClerk, town(), Some(&centre()));
    let mediator = user(2, Role::Mediator, village(), Some(&committee()));
    let other_mediator = user(3, Role::Mediator, town(), Some(&township_committee()));
    let resident = user(4, Role::Resident, village(), None);
    let supervisor = user(5, Role::Supervisor, town(), Some(&centre()));
    // Until assignment the case is held by the centre that received it, then by the committee.
    #[rustfmt::skip]
    let table: [Row; 8] = [
        // status               clerk                          mediator                          other committee    supervisor
        (Status::Registered, &[N::Accept, N::Decline, N::Close], &[], &[], &[]),
        (Status::Declined,   &[], &[], &[], &[]),
        (Status::Accepted,   &[N::Assign, N::Route, N::Close, N::HandDown, N::ReferOut], &[], &[], &[N::Assign, N::Route, N::HandDown]),
        (Status::Assigned,   &[N::Assign, N::Route, N::HandDown],
                             &[N::Acknowledge, N::Close, N::Escalate, N::Transfer, N::InviteConsultation, N::ReferOut, N::Pause],
                             &[], &[N::Assign, N::Route, N::HandDown, N::Supervise]),
        (Status::InProgress, &[N::Assign, N::Route, N::HandDown],
                             &[N::StartMediation, N::ScheduleSession, N::Close, N::Escalate, N::Transfer, N::InviteConsultation, N::ReferOut, N::Pause],
                             &[], &[N::Assign, N::Route, N::HandDown, N::Supervise]),
        (Status::Mediating,  &[N::HandDown],
                             &[N::ScheduleSession, N::RecordSession, N::Close, N::Escalate, N::Transfer, N::InviteConsultation, N::ReferOut, N::Pause],
                             &[], &[N::HandDown, N::Supervise]),
        // The fixture closes with an agreement that has obligations, so 履行检查 is offered too.
        (Status::Closed,     &[N::FollowUp, N::CheckPerformance], &[N::FollowUp, N::CheckPerformance], &[N::FollowUp, N::CheckPerformance], &[N::FollowUp, N::CheckPerformance]),
        (Status::FollowedUp, &[N::FollowUp, N::CheckPerformance], &[N::FollowUp, N::CheckPerformance], &[N::FollowUp, N::CheckPerformance], &[N::FollowUp, N::CheckPerformance]),
    ];
    for (status, for_clerk, for_mediator, for_other, for_supervisor) in table {
        let case = case_at(status);
        for (who, u, expected) in [
            ("clerk", &clerk, for_clerk),
            ("mediator", &mediator, for_mediator),
            ("mediator of another committee", &other_mediator, for_other),
            ("supervisor", &supervisor, for_supervisor),
            ("resident", &resident, &[][..]),
        ] {
            assert_eq!(
                available_commands(u, &case),
                expected.to_vec(),
                "{who} at {status:?}"
            );
        }
    }
    // Nothing is offered on a case outside the jurisdiction, whatever the role.
    let stranger = user(6, Role::Admin, code("339021101000"), None);
    for status in [Status::Registered, Status::Mediating, Status::Closed] {
        assert_eq!(available_commands(&stranger, &case_at(status)), vec![]);
    }
}

/// After a party refused mediation (人民调解法第十七条), the page no longer offers to start or
/// record it; ending the case stays on offer.
#[test]
fn a_refusal_takes_mediation_off_the_page() {
    let mediator = user(2, Role::Mediator, village(), Some(&committee()));
    for (status, gone) in [
        (Status::InProgress, N::StartMediation),
        (Status::InProgress, N::ScheduleSession),
        (Status::Mediating, N::RecordSession),
        (Status::Mediating, N::ScheduleSession),
    ] {
        let mut case = case_at(status);
        assert!(available_commands(&mediator, &case).contains(&gone));
        case.consents.push((
            1,
            hejie_domain::mediation::ConsentAnswer::Refused { reason: None },
            case.updated_at,
        ));
        let offered = available_commands(&mediator, &case);
        assert!(!offered.contains(&gone), "{status:?}: {offered:?}");
        assert!(offered.contains(&N::Close), "{status:?}: {offered:?}");
    }
}

#[test]
fn indicators_are_for_supervisors_and_administrators_only() {
    // (role, may read the 数据研判 indicators of their jurisdiction)
    let table = [
        (Role::Resident, false),
        (Role::GridWorker, false),
        (Role::Mediator, false),
        (Role::LegalAdvisor, false),
        (Role::JudicialGeneralAdvisor, false),
        (Role::WindowClerk, false),
        (Role::DepartmentHandler, false),
        (Role::Supervisor, true),
        (Role::CourtLiaison, false),
        (Role::Admin, true),
        (Role::System, false),
    ];
    for (role, may) in table {
        assert_eq!(role_may(role, Action::ViewIndicators), may, "{role:?}");
        let u = user(90, role, town(), None);
        assert_eq!(
            authorize(&u, Action::ViewIndicators, None).is_ok(),
            may,
            "{role:?}"
        );
    }
}
