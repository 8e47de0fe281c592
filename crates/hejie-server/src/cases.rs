//! Case operations as the server performs them for a signed-in user. Every route, API or page,
//! goes through these functions, and these go through [`hejie_domain::authz::authorize`]: the
//! one place where jurisdiction and role permissions are enforced.

use hejie_domain::authz::{Action, Denied, authorize};
use hejie_domain::case::{
    CaseId, CaseNumber, CaseState, Channel, Command, DisputeType, GeoPoint, Location, Meta, OrgRef,
    Party, PartyKind, PartyRole, Register,
};
use hejie_domain::division::DivisionCode;
use hejie_domain::error::CommandName;
use hejie_domain::money::Money;
use hejie_domain::personal::{IdNumber, PhoneNumber, PiiKind};
use hejie_domain::timestamp::CST;
use hejie_domain::user::{Actor, Role, User};
use hejie_intake::{Assessment, Classification};
use hejie_store::{CaseFilter, CaseSummary, Committed};
use uuid::Uuid;

use crate::error::AppError;
use crate::state::{AppState, CLASSIFIER_MODEL};

/// Where an action by `user` happens: their organisation's division, or their jurisdiction.
pub fn meta_for(state: &AppState, user: &User) -> Meta {
    let division = user
        .organisation
        .and_then(|o| state.reference().orgs.get(&o).map(|o| o.division.clone()))
        .unwrap_or_else(|| user.jurisdiction.clone());
    Meta {
        actor: Actor::of(user),
        at: state.now(),
        division,
    }
}

/// Loads a case the user may see; anything else is "not found".
pub async fn load_visible(
    state: &AppState,
    user: &User,
    id: CaseId,
) -> Result<CaseState, AppError> {
    let st = state.store.load(id).await?;
    let case = st.case().ok_or(AppError::NotFound)?;
    authorize(user, Action::ViewCase, Some(case))?;
    Ok(st)
}

/// Runs a command on a case for a user, optionally only if the case is still at
/// `expected_version` (so a form submitted against a stale page is refused, not applied).
pub async fn run(
    state: &AppState,
    user: &User,
    id: CaseId,
    expected_version: Option<u64>,
    command: Command,
) -> Result<Committed, AppError> {
    let st = prepare(state, user, id, command.name(), expected_version).await?;
    commit(state, &st, meta_for(state, user), command).await
}

/// What every command checks before it is decided: the case is visible to the user, the user
/// may run `name` on it, and it is still at `expected_version`. For commands whose input is
/// built from the case (the agreement), so nothing is read for a user who may not act.
pub async fn prepare(
    state: &AppState,
    user: &User,
    id: CaseId,
    name: hejie_domain::CommandName,
    expected_version: Option<u64>,
) -> Result<CaseState, AppError> {
    let st = load_visible(state, user, id).await?;
    authorize(user, Action::Command(name), st.case())?;
    if let Some(v) = expected_version
        && v != st.version()
    {
        return Err(AppError::Conflict(format!(
            "案件已被他人更新（您看到的是第 {v} 版，当前为第 {} 版），请刷新后重试",
            st.version()
        )));
    }
    Ok(st)
}

/// Decides a command with what the time-limit policy records alongside it, and commits the
/// events with their notifications and the case's next scheduled check in one transaction.
/// Authorization is the caller's business.
pub async fn commit(
    state: &AppState,
    st: &CaseState,
    meta: Meta,
    command: Command,
) -> Result<Committed, AppError> {
    let flow = state.flow();
    let now = meta.at;
    let (events, next) = crate::workflow::plan(&flow, st, meta, command)?;
    let case = next.case().cloned().ok_or(AppError::NotFound)?;
    let fx = crate::workflow::effects(state, &flow, &case, &events, st.version() + 1, now);
    Ok(state
        .store
        .append_with(case.id, st.version(), events, case, fx, now)
        .await?)
}

/// One party as typed at a window or in a form; validated and sealed by [`parse_party`].
#[derive(Debug, Clone, Default)]
pub struct PartyInput {
    pub kind: String,
    pub role: String,
    pub name: String,
    pub id_number: String,
    pub phone: String,
    pub address: String,
}

/// A registration as typed; validated by [`register`].
#[derive(Debug, Clone, Default)]
pub struct RegisterInput {
    pub channel: String,
    pub dispute_type: String,
    pub parties: Vec<PartyInput>,
    pub division: String,
    pub grid: String,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub address: String,
    pub description: String,
    pub amount: String,
    pub head_count: Option<u32>,
}

fn blank(s: &str) -> Option<&str> {
    let t = s.trim();
    (!t.is_empty()).then_some(t)
}

fn prefixed(prefix: &str, e: hejie_domain::ValidationError) -> AppError {
    AppError::validation(&format!("{prefix}.{}", e.field), e.message)
}

pub fn parse_party(state: &AppState, i: usize, p: &PartyInput) -> Result<Party, AppError> {
    let at = format!("parties[{i}]");
    let kind = match blank(&p.kind) {
        None => PartyKind::Person,
        Some(k) => PartyKind::parse(k).map_err(|e| prefixed(&at, e))?,
    };
    let role = match blank(&p.role) {
        None if i == 0 => PartyRole::Applicant,
        None => PartyRole::Respondent,
        Some(r) => PartyRole::parse(r).map_err(|e| prefixed(&at, e))?,
    };
    let id_number = blank(&p.id_number)
        .map(|s| IdNumber::parse(s).map(|id| id.seal(state.sealer.as_ref())))
        .transpose()
        .map_err(|e| prefixed(&at, e))?;
    let phone = blank(&p.phone)
        .map(|s| PhoneNumber::parse(s).map(|ph| ph.seal(state.sealer.as_ref())))
        .transpose()
        .map_err(|e| prefixed(&at, e))?;
    if blank(&p.name).is_none() {
        return Err(AppError::validation(
            &format!("{at}.name"),
            "请填写当事人姓名或名称",
        ));
    }
    Ok(Party {
        kind,
        role,
        name: p.name.trim().to_owned(),
        id_number,
        phone,
        address: blank(&p.address).map(str::to_owned),
    })
}

/// The validated pieces of a [`Register`]: channel, type, parties, location, amount.
pub type Registration = (
    Channel,
    Option<DisputeType>,
    Vec<Party>,
    Location,
    Option<Money>,
);

/// Validates a registration into the pieces of a [`Register`] (everything but id and number).
pub fn parse_registration(
    state: &AppState,
    input: &RegisterInput,
) -> Result<Registration, AppError> {
    let channel = Channel::parse(&input.channel)
        .map_err(|_| AppError::validation("channel", "请选择受理渠道"))?;
    let dispute_type = blank(&input.dispute_type)
        .map(DisputeType::parse)
        .transpose()
        .map_err(|_| AppError::validation("dispute_type", "请选择纠纷类型"))?;
    let division = DivisionCode::parse(&input.division)
        .map_err(|e| AppError::validation("division", e.message))?;
    let reference = state.reference();
    if reference.division(&division).is_none() {
        return Err(AppError::validation("division", "所选区划不存在"));
    }
    let grid = blank(&input.grid)
        .map(DivisionCode::parse)
        .transpose()
        .map_err(|e| AppError::validation("grid", e.message))?;
    let point = match (input.latitude, input.longitude) {
        (Some(lat), Some(lon)) => Some(GeoPoint::parse(lat, lon)?),
        _ => None,
    };
    let amount = blank(&input.amount).map(Money::parse).transpose()?;
    let parties = input
        .parties
        .iter()
        .enumerate()
        .filter(|(i, p)| *i == 0 || blank(&p.name).is_some())
        .map(|(i, p)| parse_party(state, i, p))
        .collect::<Result<Vec<_>, _>>()?;
    let location = Location {
        division,
        grid,
        point,
        address: blank(&input.address).map(str::to_owned),
    };
    Ok((channel, dispute_type, parties, location, amount))
}

/// Registers a case for a staff user (window intake, grid report, API).
pub async fn register(
    state: &AppState,
    user: &User,
    input: &RegisterInput,
) -> Result<Committed, AppError> {
    let (channel, dispute_type, parties, location, amount) = parse_registration(state, input)?;
    may_register(user)?;
    // A grid worker's jurisdiction is the grid, and a case reported from a grid is located in
    // its village with the grid alongside (the case rules check that the grid lies there).
    let inside =
        user.covers(&location.division) || location.grid.as_ref().is_some_and(|g| user.covers(g));
    if !inside {
        return Err(AppError::Forbidden {
            code: "out_of_jurisdiction",
            message: "所选区划不在您的辖区内".to_owned(),
        });
    }
    // Staff without a unit (grid workers, legal advisors) report to the nearest centre, so the
    // case lands in a queue.
    let received_by = user
        .organisation
        .and_then(|o| state.reference().orgs.get(&o).map(OrgRef::of))
        .or_else(|| nearest_centre(state, &location.division));
    let chosen = dispute_type;
    let parsed = (channel, dispute_type, parties, location, amount);
    let committed = record(state, meta_for(state, user), parsed, input, received_by).await?;
    if let Some(t) = chosen {
        learn_if_corrected(state, &input.description, t).await;
    }
    Ok(committed)
}

/// Refuses users whose role may not register cases. Registration and the intake aids
/// (suggestions while typing, corrections of the classifier) share this one permission.
fn may_register(user: &User) -> Result<(), AppError> {
    if hejie_domain::authz::role_may(user.role, Action::Command(CommandName::Register)) {
        Ok(())
    } else {
        Err(Denied::Role.into())
    }
}

/// The longest complaint text the intake aids read, in characters.
const MAX_INTAKE_TEXT: usize = 10_000;

/// Validates the complaint text given to the intake aids.
fn intake_text(text: &str) -> Result<&str, AppError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(AppError::validation("text", "请填写纠纷情况"));
    }
    if text.chars().count() > MAX_INTAKE_TEXT {
        return Err(AppError::validation(
            "text",
            format!("纠纷情况不能超过 {MAX_INTAKE_TEXT} 字"),
        ));
    }
    Ok(text)
}

/// What the window is told about a complaint while it is typed: the likeliest dispute types
/// and why, and the risk and triage hints.
#[derive(Debug, Clone)]
pub struct Suggestion {
    pub classification: Classification,
    pub assessment: Assessment,
}

/// Suggests type, severity and track for a complaint text as typed by a user who may register
/// cases. `amount` is in yuan as typed (blank for none).
pub fn suggest(
    state: &AppState,
    user: &User,
    text: &str,
    head_count: Option<u32>,
    amount: Option<&str>,
) -> Result<Suggestion, AppError> {
    may_register(user)?;
    let text = intake_text(text)?;
    let amount = amount
        .and_then(blank)
        .map(Money::parse)
        .transpose()
        .map_err(|e| AppError::validation("amount", e.message))?;
    let classification = state
        .classifier
        .read()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .classify(text);
    let month = u8::from(state.now().to_datetime().to_offset(CST).month());
    let assessment = hejie_intake::assess(text, head_count, amount.map(Money::fen), month, 0);
    Ok(Suggestion {
        classification,
        assessment,
    })
}

/// Teaches the classifier that `text` is of `dispute_type` (code or name), as a clerk's
/// correction, and stores the updated model.
pub async fn correct(
    state: &AppState,
    user: &User,
    text: &str,
    dispute_type: &str,
) -> Result<(), AppError> {
    may_register(user)?;
    let text = intake_text(text)?;
    let t = DisputeType::parse(dispute_type.trim())
        .map_err(|_| AppError::validation("dispute_type", "请选择纠纷类型"))?;
    learn(state, text, t).await
}

/// Learns from a registration whose type the clerk chose, but only when the classifier would
/// have proposed another first (a correction): agreeing texts teach little and would only grow
/// the model. A failure to store the model is logged, not reported: the case is registered.
async fn learn_if_corrected(state: &AppState, description: &str, chosen: DisputeType) {
    let Some(text) = blank(description) else {
        return;
    };
    if text.chars().count() > MAX_INTAKE_TEXT {
        return;
    }
    let proposed = state
        .classifier
        .read()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .classify(text)
        .best();
    if proposed != chosen
        && let Err(e) = learn(state, text, chosen).await
    {
        tracing::warn!(error = ?e, "could not store the corrected classifier");
    }
}

/// Adds one labelled text to the classifier and stores the model. Corrections take turns, so
/// the stored model always includes every correction learned before it.
async fn learn(state: &AppState, text: &str, t: DisputeType) -> Result<(), AppError> {
    let _turn = state.model_writes.lock().await;
    let body = {
        let mut model = state
            .classifier
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        model.learn(text, t);
        model.to_json().map_err(AppError::internal)?
    };
    state
        .store
        .put_model(CLASSIFIER_MODEL, &body, state.now())
        .await?;
    Ok(())
}

/// The 调处化解中心 at or nearest above `division` (the village's, else the township's, else the
/// county's).
fn nearest_centre(state: &AppState, division: &DivisionCode) -> Option<OrgRef> {
    let reference = state.reference();
    reference
        .tree
        .path(division)
        .iter()
        .rev()
        .find_map(|d| {
            reference.orgs.values().find(|o| {
                o.division == d.code
                    && matches!(o.kind, hejie_domain::org::OrganisationKind::Centre)
            })
        })
        .map(OrgRef::of)
}

/// Records a validated registration with a fresh id and the next case number.
async fn record(
    state: &AppState,
    meta: Meta,
    (channel, dispute_type, parties, location, amount): Registration,
    input: &RegisterInput,
    received_by: Option<OrgRef>,
) -> Result<Committed, AppError> {
    let description = input.description.clone();
    let head_count = input.head_count;
    let id = CaseId(Uuid::now_v7());
    let register = move |number| Register {
        id,
        number,
        channel,
        dispute_type,
        parties,
        location,
        description,
        amount,
        head_count,
        received_by,
    };
    let flow = state.flow();
    let now = meta.at;
    let plan_flow = flow.clone();
    let app = state.clone();
    let new = hejie_store::NewCase {
        id,
        prefix: meta.division.county_prefix().to_owned(),
        year: meta.at.year_cst(),
        at: now,
        build: Box::new(move |number| {
            let first = CaseState::default();
            crate::workflow::plan(
                &plan_flow,
                &first,
                meta,
                Command::Register(Box::new(register(number))),
            )
            .map(|(events, _)| events)
            .map_err(|e| match e {
                hejie_store::StoreError::Domain(d) => d,
                other => hejie_domain::DomainError::Validation(hejie_domain::ValidationError::new(
                    "case",
                    other.to_string(),
                )),
            })
        }),
        // The first scheduled check (受理时限) commits with the registration, so no case is
        // ever registered without it.
        effects: Some(Box::new(move |case, version| {
            crate::workflow::effects(&app, &flow, case, &[], version, now)
        })),
    };
    Ok(state.store.create_case(new).await?)
}

/// Registers a resident's own online application (网上申请), made through self-service with no
/// staff account. The caller must already have verified `phone` (the applicant's, first party).
///
/// The actor is [`resident_actor`], the channel is always `online`, the event happens in the
/// division the resident chose, and the case is received by the nearest 调处化解中心 at or above
/// that division (the township's, else the county's), which holds it until it is accepted and
/// dispatched, so it appears in that centre's queue.
pub async fn register_online(
    state: &AppState,
    name: &str,
    phone: &PhoneNumber,
    input: &RegisterInput,
) -> Result<Committed, AppError> {
    let input = RegisterInput {
        channel: Channel::Online.code().to_owned(),
        ..input.clone()
    };
    let (channel, dispute_type, parties, location, amount) = parse_registration(state, &input)?;
    let received_by = nearest_centre(state, &location.division);
    let meta = Meta {
        actor: resident_actor(state, name, phone),
        at: state.now(),
        division: location.division.clone(),
    };
    let parsed = (channel, dispute_type, parties, location, amount);
    record(state, meta, parsed, &input, received_by).await
}

/// Lists the cases a user may see, narrowed by `filter`.
pub async fn list(
    state: &AppState,
    user: &User,
    mut filter: CaseFilter,
) -> Result<Vec<CaseSummary>, AppError> {
    scope(user, &mut filter)?;
    Ok(state.store.list_cases(&filter).await?)
}

/// Counts by status of the cases a user may see.
pub async fn counts(
    state: &AppState,
    user: &User,
    mut filter: CaseFilter,
) -> Result<Vec<(hejie_domain::case::Status, u64)>, AppError> {
    scope(user, &mut filter)?;
    Ok(state.store.count_by_status(&filter).await?)
}

/// Narrows a filter to the user's jurisdiction (plus cases their organisation holds).
fn scope(user: &User, filter: &mut CaseFilter) -> Result<(), AppError> {
    if !hejie_domain::authz::role_may(user.role, Action::ViewCase) {
        return Err(Denied::Role.into());
    }
    match &filter.within {
        Some(d) if !user.covers(d) => {
            return Err(AppError::Forbidden {
                code: "out_of_jurisdiction",
                message: "所选区划不在您的辖区内".to_owned(),
            });
        }
        Some(_) => {}
        None => {
            filter.within = Some(user.jurisdiction.clone());
            filter.or_held_by = user.organisation.map(|o| o.to_string());
        }
    }
    Ok(())
}

/// Opens a sealed personal datum for a user with the permission, recording why they looked.
pub async fn unmask(
    state: &AppState,
    user: &User,
    id: CaseId,
    party: u32,
    field: PiiKind,
    reason: String,
) -> Result<String, AppError> {
    let st = load_visible(state, user, id).await?;
    let sealed = st
        .case()
        .and_then(|c| c.parties.get(party as usize))
        .and_then(|p| match field {
            PiiKind::IdNumber => p.id_number.clone(),
            PiiKind::Phone => p.phone.clone(),
        })
        .ok_or_else(|| AppError::validation("party", "该当事人没有这项个人信息"))?;
    run(
        state,
        user,
        id,
        None,
        Command::ViewPersonalData {
            party,
            field,
            reason,
        },
    )
    .await?;
    state
        .sealer
        .open(&sealed)
        .map_err(|e| AppError::internal(anyhow::anyhow!("{e}")))
}

/// Finds a case by number for self-service, where the phone must match one of its parties.
pub async fn find_for_party(
    state: &AppState,
    number: &str,
    phone: &PhoneNumber,
) -> Result<CaseState, AppError> {
    let number =
        CaseNumber::parse(number).map_err(|e| AppError::validation("number", e.message))?;
    let id = state
        .store
        .find_by_number(&number)
        .await?
        .ok_or(AppError::NotFound)?;
    let st = state.store.load(id).await?;
    let hash = state.sealer.keyed_hash(PiiKind::Phone, phone.as_str());
    let is_party = st.case().is_some_and(|c| {
        c.parties
            .iter()
            .any(|p| p.phone.as_ref().is_some_and(|s| s.keyed_hash == hash))
    });
    if !is_party {
        return Err(AppError::NotFound);
    }
    Ok(st)
}

/// The actor for a resident acting through self-service, identified by their phone.
pub fn resident_actor(state: &AppState, name: &str, phone: &PhoneNumber) -> Actor {
    let hash = state.sealer.keyed_hash(PiiKind::Phone, phone.as_str());
    let mut bytes = [0u8; 16];
    for (i, b) in bytes.iter_mut().enumerate() {
        *b = u8::from_str_radix(hash.get(i * 2..i * 2 + 2).unwrap_or("00"), 16).unwrap_or(0);
    }
    Actor {
        id: hejie_domain::user::UserId(uuid::Builder::from_random_bytes(bytes).into_uuid()),
        name: name.to_owned(),
        role: Role::Resident,
        organisation: None,
    }
}
