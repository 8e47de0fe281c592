//! The demo county the contract tests work in, its organisations and people, and builders for
//! registrations and the commands of a case's life.

use hejie_domain::case::{
    CaseId, CaseNumber, Channel, Command, ContactMethod, DisputeType, Location, Meta, Obligation,
    OrgRef, Outcome, Party, PartyKind, PartyRole, PersonRef, Register, Satisfaction, SessionMode,
    Severity, Track,
};
use hejie_domain::division::{Division, DivisionCode};
use hejie_domain::money::Money;
use hejie_domain::org::{
    CommitteeScope, Department, Organisation, OrganisationId, OrganisationKind, Stationing,
};
use hejie_domain::timestamp::Timestamp;
use hejie_domain::user::{Actor, Role, User, UserId};
use hejie_store::{Committed, Result, Store, service};
use uuid::Uuid;

// ---------------------------------------------------------------------------------------------
// Places
// ---------------------------------------------------------------------------------------------

pub fn code(s: &str) -> DivisionCode {
    DivisionCode::parse(s).expect("valid division code")
}

/// 和安县, the demo county.
pub fn county() -> DivisionCode {
    code("339021000000")
}

/// 城关镇.
pub fn town() -> DivisionCode {
    code("339021100000")
}

/// 东门村, in [`town`].
pub fn village() -> DivisionCode {
    code("339021100201")
}

/// 西门村, in [`town`].
pub fn second_village() -> DivisionCode {
    code("339021100202")
}

/// A grid of [`village`].
pub fn grid() -> DivisionCode {
    code("339021100201001")
}

/// 溪口镇, the county's other township.
pub fn other_town() -> DivisionCode {
    code("339021101000")
}

/// 溪口村, in [`other_town`].
pub fn other_village() -> DivisionCode {
    code("339021101201")
}

/// A township of a neighbouring county (another case-number prefix); not in [`divisions`].
pub fn foreign_town() -> DivisionCode {
    code("339022100000")
}

fn division(c: DivisionCode, name: &str, parent: Option<DivisionCode>, pop: u64) -> Division {
    Division::new(c, name, parent, pop).expect("valid division")
}

/// The demo tree, parents first.
pub fn divisions() -> Vec<Division> {
    vec![
        division(county(), "和安县", None, 320_000),
        division(town(), "城关镇", Some(county()), 86_000),
        division(village(), "东门村", Some(town()), 2_400),
        division(grid(), "东门村第一网格", Some(village()), 410),
        division(second_village(), "西门村", Some(town()), 1_900),
        division(other_town(), "溪口镇", Some(county()), 41_000),
        division(other_village(), "溪口村", Some(other_town()), 1_300),
    ]
}

// ---------------------------------------------------------------------------------------------
// Time
// ---------------------------------------------------------------------------------------------

/// 2026-03-02 09:00 CST.
const BASE_MICROS: i64 = 1_772_413_200_000_000;

/// `hours` after 2026-03-02 09:00 CST.
pub fn at(hours: i64) -> Timestamp {
    Timestamp::from_micros(BASE_MICROS).plus_seconds(hours * 3600)
}

/// 2025-06-02 09:00 CST: a registration in the previous year's series.
pub fn last_year() -> Timestamp {
    at(-273 * 24)
}

// ---------------------------------------------------------------------------------------------
// Organisations and people
// ---------------------------------------------------------------------------------------------

fn organisation(
    n: u128,
    name: &str,
    division: DivisionCode,
    kind: OrganisationKind,
) -> Organisation {
    Organisation::new(OrganisationId(Uuid::from_u128(n)), name, division, kind)
        .expect("valid organisation")
}

/// The township centre whose window registers cases.
pub fn centre() -> Organisation {
    organisation(
        0xA1,
        "城关镇矛盾纠纷调处化解中心",
        town(),
        OrganisationKind::Centre,
    )
}

/// The village mediation committee cases are assigned to.
pub fn committee() -> Organisation {
    organisation(
        0xB2,
        "东门村人民调解委员会",
        village(),
        OrganisationKind::MediationCommittee {
            scope: CommitteeScope::Village,
        },
    )
}

/// A county department.
pub fn department() -> Organisation {
    organisation(
        0xC3,
        "和安县人力资源和社会保障局",
        county(),
        OrganisationKind::Department {
            department: Department::HumanResources,
            stationing: Stationing::Rotating,
        },
    )
}

pub fn organisations() -> Vec<Organisation> {
    vec![centre(), committee(), department()]
}

pub fn org_ref(o: &Organisation) -> OrgRef {
    OrgRef {
        id: o.id,
        name: o.name.clone(),
        division: o.division.clone(),
    }
}

fn user(
    n: u128,
    username: &str,
    name: &str,
    role: Role,
    jurisdiction: DivisionCode,
    org: Option<&Organisation>,
) -> User {
    User::new(
        UserId(Uuid::from_u128(n)),
        username,
        name,
        role,
        jurisdiction,
        org.map(|o| o.id),
    )
    .expect("valid user")
}

/// A window clerk of [`centre`].
pub fn clerk_user() -> User {
    user(
        1,
        "wangfang",
        "王芳",
        Role::WindowClerk,
        town(),
        Some(&centre()),
    )
}

/// A people's mediator of [`committee`].
pub fn mediator_user() -> User {
    user(
        2,
        "wujianguo",
        "吴建国",
        Role::Mediator,
        village(),
        Some(&committee()),
    )
}

/// A handler of [`department`].
pub fn handler_user() -> User {
    user(
        3,
        "chenjing",
        "陈静",
        Role::DepartmentHandler,
        county(),
        Some(&department()),
    )
}

/// The county administrator, who belongs to no organisation.
pub fn admin_user() -> User {
    user(4, "admin", "管理员", Role::Admin, county(), None)
}

pub fn users() -> Vec<User> {
    vec![clerk_user(), mediator_user(), handler_user(), admin_user()]
}

pub fn clerk() -> Actor {
    Actor::of(&clerk_user())
}

pub fn mediator() -> Actor {
    Actor::of(&mediator_user())
}

pub fn person(actor: &Actor) -> PersonRef {
    PersonRef {
        id: actor.id,
        name: actor.name.clone(),
    }
}

/// What `actor` does at `when`, in [`town`].
pub fn meta(actor: Actor, when: Timestamp) -> Meta {
    Meta {
        actor,
        at: when,
        division: town(),
    }
}

/// Puts the whole demo reference data (divisions, organisations, users) into `store`.
pub async fn seed(store: &dyn Store) {
    for d in divisions() {
        store.put_division(&d).await.expect("put division");
    }
    for o in organisations() {
        store.put_organisation(&o).await.expect("put organisation");
    }
    for u in users() {
        store.put_user(&u).await.expect("put user");
    }
}

// ---------------------------------------------------------------------------------------------
// Registration
// ---------------------------------------------------------------------------------------------

/// A party with no personal identifiers on record.
pub fn party(role: PartyRole, name: &str) -> Party {
    Party {
        kind: PartyKind::Person,
        role,
        name: name.to_owned(),
        id_number: None,
        phone: None,
        address: Some("东门村3组".to_owned()),
    }
}

pub const DESCRIPTION: &str = "邻里之间因排水沟堵塞引发争执，要求对方疏通并赔偿损失。";

/// A valid walk-in registration of a neighbours' dispute in [`village`], as case `number`.
pub fn registration(id: CaseId, number: CaseNumber) -> Register {
    Register {
        id,
        number,
        channel: Channel::Visit,
        dispute_type: Some(DisputeType::Neighbour),
        parties: vec![
            party(PartyRole::Applicant, "张三"),
            party(PartyRole::Respondent, "李四"),
        ],
        location: Location {
            division: village(),
            grid: Some(grid()),
            point: None,
            address: Some("东门村3组12号".to_owned()),
        },
        description: DESCRIPTION.to_owned(),
        amount: Some(Money::parse("1200").expect("valid amount")),
        head_count: None,
        received_by: Some(org_ref(&centre())),
    }
}

/// A fresh case id; time-ordered, so ids registered later sort later.
pub fn new_case_id() -> CaseId {
    CaseId(Uuid::now_v7())
}

/// Registers a case through the service as `meta` says, after letting `edit` change the
/// standard [`registration`].
pub async fn register_as(
    store: &dyn Store,
    meta: Meta,
    edit: impl FnOnce(&mut Register) + Send + 'static,
) -> Result<Committed> {
    let id = new_case_id();
    service::register(store, id, meta, move |number| {
        let mut r = registration(id, number);
        edit(&mut r);
        r
    })
    .await
}

/// Registers a case at `when` (by [`clerk`] in [`town`]), after letting `edit` change the
/// standard [`registration`].
pub async fn register_with(
    store: &dyn Store,
    when: Timestamp,
    edit: impl FnOnce(&mut Register) + Send + 'static,
) -> Result<Committed> {
    register_as(store, meta(clerk(), when), edit).await
}

/// Registers the standard case at `when`.
pub async fn register(store: &dyn Store, when: Timestamp) -> Committed {
    register_with(store, when, |_| {})
        .await
        .expect("register a case")
}

// ---------------------------------------------------------------------------------------------
// The life of a case
// ---------------------------------------------------------------------------------------------

pub fn accept() -> Command {
    Command::Accept {
        dispute_type: DisputeType::Neighbour,
        severity: Severity::Ordinary,
        track: Track::Clinic,
        note: Some("事实清楚，适宜调解".to_owned()),
    }
}

pub fn decline() -> Command {
    Command::Decline {
        reason: "属于刑事案件，不属于人民调解范围".to_owned(),
        guidance: "已引导当事人向公安机关报案".to_owned(),
    }
}

pub fn assign_to_committee() -> Command {
    Command::Assign {
        organisation: org_ref(&committee()),
        person: Some(person(&mediator())),
        note: None,
    }
}

pub fn acknowledge() -> Command {
    Command::Acknowledge { person: None }
}

pub fn start_mediation() -> Command {
    Command::StartMediation {
        mediator: person(&mediator()),
        parties_consented: true,
    }
}

pub fn record_session(held_at: Timestamp) -> Command {
    Command::RecordSession {
        held_at,
        mode: SessionMode::InPerson,
        place: "东门村调解室".to_owned(),
        attendees: vec!["张三".to_owned(), "李四".to_owned()],
        minutes: "双方陈述事实，调解员释法说理，双方同意共同疏通排水沟。".to_owned(),
    }
}

pub fn close_succeeded(due: Timestamp) -> Command {
    let money = |s: &str| Some(Money::parse(s).expect("valid amount"));
    Command::Close {
        outcome: Outcome::Succeeded {
            agreement: "李四于三日内疏通排水沟并赔偿张三损失800元。".to_owned(),
            amount: money("800"),
            obligations: vec![Obligation {
                party: "李四".to_owned(),
                duty: "赔偿损失".to_owned(),
                amount: money("800"),
                due: Some(due),
            }],
        },
    }
}

pub fn follow_up() -> Command {
    Command::FollowUp {
        method: ContactMethod::Phone,
        satisfaction: Satisfaction::Satisfied,
        agreement_performed: Some(true),
        note: None,
    }
}

/// The commands of a case's whole life, from acceptance to follow-up, with who issues each
/// and when (hours after the registration at `start`). The acknowledgement comes from the
/// holder's own mediator.
pub fn lifecycle(start: Timestamp) -> Vec<(Meta, Command)> {
    let h = |n: i64| start.plus_seconds(n * 3600);
    vec![
        (meta(clerk(), h(1)), accept()),
        (meta(clerk(), h(2)), assign_to_committee()),
        (meta(mediator(), h(3)), acknowledge()),
        (meta(mediator(), h(4)), start_mediation()),
        (meta(mediator(), h(6)), record_session(h(5))),
        (meta(mediator(), h(7)), close_succeeded(h(100))),
        (meta(clerk(), h(30)), follow_up()),
    ]
}

/// Runs the steps `steps` (indices into [`lifecycle`]) on a case registered at `start`; returns
/// what the last one committed.
pub async fn advance(
    store: &dyn Store,
    case_id: CaseId,
    start: Timestamp,
    steps: std::ops::Range<usize>,
) -> Committed {
    let mut last = None;
    for (meta, command) in lifecycle(start)
        .into_iter()
        .take(steps.end)
        .skip(steps.start)
    {
        last = Some(
            service::execute(store, case_id, meta, command)
                .await
                .expect("execute a lifecycle command"),
        );
    }
    last.expect("advance runs at least one step")
}
