//! Fixtures and the given/when/then harness shared by the case tests.

use hejie_domain::case::{
    CaseId, CaseNumber, CaseState, Channel, Command, ContactMethod, DisputeType, Event, EventBody,
    GeoPoint, Location, Meta, Obligation, OrgRef, Outcome, Party, PartyKind, PartyRole, PersonRef,
    ReferralTarget, Register, Satisfaction, SessionMode, Severity, Status, Track, handle,
};
use hejie_domain::division::DivisionCode;
use hejie_domain::money::Money;
use hejie_domain::org::OrganisationId;
use hejie_domain::personal::{PiiKind, Sealed};
use hejie_domain::timestamp::Timestamp;
use hejie_domain::user::{Actor, Role, UserId};
use hejie_domain::{DomainError, ValidationError};
use uuid::Uuid;

// ---------------------------------------------------------------------------------------------
// Places and time
// ---------------------------------------------------------------------------------------------

pub fn code(s: &str) -> DivisionCode {
    DivisionCode::parse(s).expect("valid division code")
}

pub fn county() -> DivisionCode {
    code("339021000000")
}

pub fn town() -> DivisionCode {
    code("339021100000")
}

pub fn village() -> DivisionCode {
    code("339021100201")
}

pub fn grid() -> DivisionCode {
    code("339021100201001")
}

/// A grid in a village of another township: outside [`village`] and [`town`].
pub fn foreign_grid() -> DivisionCode {
    code("339021101001002")
}

/// 2026-03-02 09:00 CST.
const BASE_MICROS: i64 = 1_772_413_200_000_000;

/// `hours` after a fixed instant.
pub fn at(hours: i64) -> Timestamp {
    Timestamp::from_micros(BASE_MICROS).plus_seconds(hours * 3600)
}

// ---------------------------------------------------------------------------------------------
// Organisations and people
// ---------------------------------------------------------------------------------------------

fn org(n: u128, name: &str, division: DivisionCode) -> OrgRef {
    OrgRef {
        id: OrganisationId(Uuid::from_u128(n)),
        name: name.to_owned(),
        division,
    }
}

/// The township centre whose window receives cases.
pub fn centre() -> OrgRef {
    org(0xA1, "城关镇矛盾纠纷调处化解中心", town())
}

/// The village mediation committee that cases are usually assigned to.
pub fn committee() -> OrgRef {
    org(0xB2, "东门村人民调解委员会", village())
}

/// A county department, used for reassignments.
pub fn department() -> OrgRef {
    org(0xC3, "和安县人力资源和社会保障局", county())
}

fn actor(n: u128, name: &str, role: Role, organisation: Option<&OrgRef>) -> Actor {
    Actor {
        id: UserId(Uuid::from_u128(n)),
        name: name.to_owned(),
        role,
        organisation: organisation.map(|o| o.id),
    }
}

/// A window clerk of [`centre`].
pub fn clerk() -> Actor {
    actor(1, "王芳", Role::WindowClerk, Some(&centre()))
}

/// A people's mediator of [`committee`].
pub fn mediator() -> Actor {
    actor(2, "吴建国", Role::Mediator, Some(&committee()))
}

/// A handler of [`department`].
pub fn handler() -> Actor {
    actor(3, "陈静", Role::DepartmentHandler, Some(&department()))
}

/// A mediator of the same committee as [`mediator`].
pub fn second_mediator() -> Actor {
    actor(4, "林小红", Role::Mediator, Some(&committee()))
}

pub fn person(actor: &Actor) -> PersonRef {
    PersonRef {
        id: actor.id,
        name: actor.name.clone(),
    }
}

pub fn meta(actor: Actor, hour: i64) -> Meta {
    Meta {
        actor,
        at: at(hour),
        division: town(),
    }
}

// ---------------------------------------------------------------------------------------------
// Registration
// ---------------------------------------------------------------------------------------------

pub fn sealed(kind: PiiKind, masked: &str) -> Sealed {
    Sealed {
        kind,
        ciphertext: "test".into(),
        keyed_hash: "h".into(),
        masked: masked.into(),
    }
}

pub fn party(role: PartyRole, name: &str) -> Party {
    Party {
        kind: PartyKind::Person,
        role,
        name: name.to_owned(),
        id_number: Some(sealed(PiiKind::IdNumber, "110105********002X")),
        phone: Some(sealed(PiiKind::Phone, "138****5678")),
        address: Some("东门村3组".to_owned()),
    }
}

pub fn case_id() -> CaseId {
    CaseId(Uuid::from_u128(0xCA5E))
}

pub fn case_number() -> CaseNumber {
    CaseNumber::new("339021", 2026, 42).expect("valid case number")
}

/// A valid registration, already in normalised form (nothing to trim).
pub fn register() -> Register {
    Register {
        id: case_id(),
        number: case_number(),
        channel: Channel::Visit,
        dispute_type: Some(DisputeType::Neighbour),
        parties: vec![
            party(PartyRole::Applicant, "张三"),
            party(PartyRole::Respondent, "李四"),
        ],
        location: Location {
            division: village(),
            grid: Some(grid()),
            point: Some(GeoPoint::parse(29.123_456, 119.654_321).expect("valid point")),
            address: Some("东门村3组12号".to_owned()),
        },
        description: "两户因排水沟堵塞引发争执，要求对方疏通并赔偿损失。".to_owned(),
        amount: Some(Money::parse("1200").expect("valid amount")),
        head_count: None,
        received_by: Some(centre()),
    }
}

pub fn register_cmd(r: Register) -> Command {
    Command::Register(Box::new(r))
}

/// The event a registration records: its fields as given.
pub fn registered_from(r: Register) -> EventBody {
    EventBody::Registered {
        id: r.id,
        number: r.number,
        channel: r.channel,
        dispute_type: r.dispute_type,
        parties: r.parties,
        location: r.location,
        description: r.description,
        amount: r.amount,
        head_count: r.head_count,
        received_by: r.received_by,
    }
}

pub fn registered() -> EventBody {
    registered_from(register())
}

// ---------------------------------------------------------------------------------------------
// Commands and the events they record
// ---------------------------------------------------------------------------------------------

pub fn accept_cmd() -> Command {
    Command::Accept {
        dispute_type: DisputeType::Neighbour,
        severity: Severity::Ordinary,
        track: Track::Clinic,
        note: None,
    }
}

pub fn accepted() -> EventBody {
    EventBody::Accepted {
        dispute_type: DisputeType::Neighbour,
        severity: Severity::Ordinary,
        track: Track::Clinic,
        note: None,
    }
}

pub fn decline_cmd() -> Command {
    Command::Decline {
        reason: "属于刑事案件，不属于人民调解范围".to_owned(),
        guidance: "已引导当事人向公安机关报案".to_owned(),
    }
}

pub fn declined() -> EventBody {
    EventBody::Declined {
        reason: "属于刑事案件，不属于人民调解范围".to_owned(),
        guidance: "已引导当事人向公安机关报案".to_owned(),
    }
}

pub fn assign_cmd(organisation: OrgRef, person: Option<PersonRef>) -> Command {
    Command::Assign {
        organisation,
        person,
        note: None,
    }
}

pub fn assigned(organisation: OrgRef, person: Option<PersonRef>) -> EventBody {
    EventBody::Assigned {
        organisation,
        person,
        note: None,
    }
}

pub fn acknowledge_cmd(person: Option<PersonRef>) -> Command {
    Command::Acknowledge { person }
}

pub fn acknowledged(organisation: OrgRef, person: Option<PersonRef>) -> EventBody {
    EventBody::Acknowledged {
        organisation,
        person,
    }
}

pub fn start_cmd(parties_consented: bool) -> Command {
    Command::StartMediation {
        mediator: person(&mediator()),
        parties_consented,
    }
}

pub fn mediation_started() -> EventBody {
    EventBody::MediationStarted {
        mediator: person(&mediator()),
    }
}

pub fn record_cmd() -> Command {
    Command::RecordSession {
        held_at: at(1),
        mode: SessionMode::InPerson,
        place: "东门村调解室".to_owned(),
        attendees: vec!["张三".to_owned(), "李四".to_owned()],
        minutes: "双方陈述事实，调解员释法说理，双方同意共同疏通排水沟。".to_owned(),
    }
}

pub fn session_recorded() -> EventBody {
    EventBody::SessionRecorded {
        held_at: at(1),
        mode: SessionMode::InPerson,
        place: "东门村调解室".to_owned(),
        attendees: vec!["张三".to_owned(), "李四".to_owned()],
        minutes: "双方陈述事实，调解员释法说理，双方同意共同疏通排水沟。".to_owned(),
    }
}

pub fn succeeded() -> Outcome {
    Outcome::Succeeded {
        agreement: "李四于三日内疏通排水沟并赔偿张三损失800元。".to_owned(),
        amount: Some(Money::parse("800").expect("valid amount")),
        obligations: vec![Obligation {
            party: "李四".to_owned(),
            duty: "赔偿损失".to_owned(),
            amount: Some(Money::parse("800").expect("valid amount")),
            due: Some(at(100)),
        }],
    }
}

pub fn failed(remedies_informed: bool) -> Outcome {
    Outcome::Failed {
        reason: "双方对赔偿金额分歧较大".to_owned(),
        remedies_informed,
    }
}

pub fn withdrawn() -> Outcome {
    Outcome::Withdrawn {
        reason: "申请人撤回调解申请".to_owned(),
    }
}

pub fn referred() -> Outcome {
    Outcome::Referred {
        target: ReferralTarget::Court,
        reason: "当事人坚持诉讼".to_owned(),
    }
}

pub fn close_cmd(outcome: Outcome) -> Command {
    Command::Close { outcome }
}

pub fn closed(outcome: Outcome) -> EventBody {
    EventBody::Closed { outcome }
}

pub fn follow_up_cmd(satisfaction: Satisfaction) -> Command {
    Command::FollowUp {
        method: ContactMethod::Phone,
        satisfaction,
        agreement_performed: Some(true),
        note: None,
    }
}

pub fn followed_up(satisfaction: Satisfaction) -> EventBody {
    EventBody::FollowedUp {
        method: ContactMethod::Phone,
        satisfaction,
        agreement_performed: Some(true),
        note: None,
    }
}

// ---------------------------------------------------------------------------------------------
// Histories
// ---------------------------------------------------------------------------------------------

/// Turns bodies into recorded events, one hour apart, starting at [`at`]`(0)`.
pub fn history(bodies: Vec<EventBody>) -> Vec<Event> {
    bodies
        .into_iter()
        .zip(0..)
        .map(|(body, hour)| Event {
            meta: meta(clerk(), hour),
            body,
        })
        .collect()
}

/// The event bodies of the usual road to `status`. A case reaching `Mediating` has had one
/// session; the case is assigned to and held by [`committee`], with [`mediator`] as its person.
pub fn bodies_to(status: Status) -> Vec<EventBody> {
    if status == Status::Declined {
        return vec![registered(), declined()];
    }
    let road = [
        (Status::Registered, registered()),
        (Status::Accepted, accepted()),
        (
            Status::Assigned,
            assigned(committee(), Some(person(&mediator()))),
        ),
        (Status::InProgress, acknowledged(committee(), None)),
        (Status::Mediating, mediation_started()),
        (Status::Mediating, session_recorded()),
        (Status::Closed, closed(succeeded())),
        (
            Status::FollowedUp,
            followed_up(Satisfaction::FairlySatisfied),
        ),
    ];
    let last = road
        .iter()
        .rposition(|(s, _)| *s == status)
        .expect("every status but Declined lies on the road");
    road.into_iter()
        .take(last + 1)
        .map(|(_, body)| body)
        .collect()
}

pub fn history_to(status: Status) -> Vec<Event> {
    history(bodies_to(status))
}

// ---------------------------------------------------------------------------------------------
// Given / when / then
// ---------------------------------------------------------------------------------------------

#[derive(Debug)]
pub struct Given {
    state: CaseState,
    context: String,
}

/// The case as these recorded events leave it.
pub fn given(events: Vec<Event>) -> Given {
    Given {
        state: CaseState::replay(&events),
        context: String::new(),
    }
}

impl Given {
    /// Names the scenario in failure messages (useful in table-driven tests).
    pub fn named(mut self, context: impl Into<String>) -> Self {
        self.context = context.into();
        self
    }

    pub fn when(self, meta: Meta, command: Command) -> When {
        let result = handle(&self.state, meta.clone(), command);
        When {
            state: self.state,
            context: self.context,
            meta,
            result,
        }
    }
}

#[derive(Debug)]
pub struct When {
    state: CaseState,
    context: String,
    meta: Meta,
    result: Result<Vec<Event>, DomainError>,
}

impl When {
    /// Asserts the command was accepted and every event carries the command's meta; returns the
    /// state after applying the events.
    #[track_caller]
    pub fn then_ok(self) -> (Vec<Event>, CaseState) {
        let events = match self.result {
            Ok(events) => events,
            Err(e) => panic!("{}: expected events, got error {e:?}", self.context),
        };
        for e in &events {
            assert_eq!(
                e.meta, self.meta,
                "{}: event does not carry the command's meta",
                self.context
            );
        }
        let mut state = self.state;
        let version = state.version();
        for e in &events {
            state.apply(e);
        }
        assert_eq!(state.version(), version + events.len() as u64);
        (events, state)
    }

    /// Asserts exactly these event bodies were recorded; returns the state after them.
    #[track_caller]
    pub fn then_events(self, expected: Vec<EventBody>) -> CaseState {
        let context = self.context.clone();
        let (events, state) = self.then_ok();
        let bodies: Vec<EventBody> = events.into_iter().map(|e| e.body).collect();
        assert_eq!(bodies, expected, "{context}");
        state
    }

    /// The error the command was refused with.
    #[track_caller]
    pub fn then_err(self) -> DomainError {
        match self.result {
            Ok(events) => panic!("{}: expected an error, got events {events:?}", self.context),
            Err(e) => e,
        }
    }

    #[track_caller]
    pub fn then_error(self, expected: DomainError) {
        match self.result {
            Ok(events) => panic!(
                "{}: expected error {expected:?}, got events {events:?}",
                self.context
            ),
            Err(e) => assert_eq!(e, expected, "{}", self.context),
        }
    }

    /// Asserts the command failed validation on `field`.
    #[track_caller]
    pub fn then_invalid(self, field: &str) -> ValidationError {
        match self.result {
            Err(DomainError::Validation(v)) => {
                assert_eq!(v.field, field, "{}: {v}", self.context);
                assert!(!v.message.is_empty());
                v
            }
            other => panic!(
                "{}: expected a validation error on {field}, got {other:?}",
                self.context
            ),
        }
    }
}
