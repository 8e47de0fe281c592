//! What both backends write and read, prepared without touching a database: the event rows of an
//! append with their chain, the projection rows, checkpoints, and reference-data rows.

use hejie_domain::case::{Case, CaseId, CaseState, Event};
use hejie_domain::division::{Division, DivisionCode};
use hejie_domain::org::{Organisation, OrganisationId, OrganisationKind};
use hejie_domain::timestamp::Timestamp;
use hejie_domain::user::{Role, User, UserId};
use uuid::Uuid;

use crate::chain::{EventRow, GENESIS, checkpoint_hash};
use crate::sql::{Bind, CaseRow};
use crate::{Checkpoint, Committed, Result, StoreError};

/// Everything one write puts in the database.
#[derive(Debug)]
pub struct WritePlan {
    pub events: Vec<EventRow>,
    pub case: CaseRow,
    /// `case_parties` rows; only written when a case is created.
    pub parties: Vec<Vec<Bind>>,
    /// The indicator cells the write changes (ADR 0010), written in the same transaction.
    pub cells: crate::insight::CellPlan,
    pub committed: Committed,
}

fn chain(
    case_id: CaseId,
    first_version: u64,
    prev: &str,
    events: &[Event],
    now: Timestamp,
) -> Result<(Vec<EventRow>, String)> {
    let mut rows = Vec::with_capacity(events.len());
    let mut prev = prev.to_owned();
    for (i, e) in events.iter().enumerate() {
        let row = EventRow::seal(case_id, first_version + i as u64, &prev, e, now)?;
        prev.clone_from(&row.hash);
        rows.push(row);
    }
    Ok((rows, prev))
}

/// Plans the creation of a case from its first events (the first must be its registration).
/// The effects a registration asks for, derived from the new case its events make.
pub(crate) fn registration_effects(
    effects: Option<crate::CaseEffects>,
    events: &[Event],
) -> Option<crate::work::Effects> {
    let f = effects?;
    let state = CaseState::replay(events);
    state.case().map(|c| f(c, state.version()))
}

pub fn plan_create(case_id: CaseId, events: &[Event], now: Timestamp) -> Result<WritePlan> {
    let state = CaseState::replay(events);
    let case = state
        .case()
        .filter(|c| c.id == case_id)
        .ok_or_else(|| StoreError::Corrupt("a new case must start with its registration".into()))?;
    let (rows, head) = chain(case_id, 1, GENESIS, events, now)?;
    let parties = case
        .parties
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let opt = |v: Option<&str>| v.map_or(Bind::Null, |s| Bind::Text(s.to_owned()));
            vec![
                Bind::Text(case_id.to_string()),
                Bind::Int(i as i64),
                Bind::Text(p.kind.code().to_owned()),
                Bind::Text(p.role.code().to_owned()),
                Bind::Text(p.name.clone()),
                opt(p.id_number.as_ref().map(|s| s.ciphertext.as_str())),
                opt(p.id_number.as_ref().map(|s| s.keyed_hash.as_str())),
                opt(p.id_number.as_ref().map(|s| s.masked.as_str())),
                opt(p.phone.as_ref().map(|s| s.ciphertext.as_str())),
                opt(p.phone.as_ref().map(|s| s.keyed_hash.as_str())),
                opt(p.phone.as_ref().map(|s| s.masked.as_str())),
            ]
        })
        .collect();
    Ok(WritePlan {
        cells: crate::insight::plan_cells(
            &case_id.to_string(),
            &std::collections::BTreeMap::new(),
            case,
        ),
        case: CaseRow::from_case(case, state.version(), &head),
        committed: Committed {
            case_id,
            number: case.number.clone(),
            version: state.version(),
            head_hash: head,
        },
        events: rows,
        parties,
    })
}

/// Plans an append at `expected` onto a stream that is at `current` with head `head_hash`;
/// `before` is the case's stored indicator contributions (its `agg_case_cells` rows).
#[expect(
    clippy::too_many_arguments,
    reason = "a write plan needs every one of these, and a struct would only rename them"
)]
pub fn plan_append(
    case_id: CaseId,
    expected: u64,
    current: i64,
    head_hash: &str,
    events: &[Event],
    state: &Case,
    before: &std::collections::BTreeMap<crate::insight::CellKey, i64>,
    now: Timestamp,
) -> Result<WritePlan> {
    let actual = u64::try_from(current).unwrap_or(0);
    if actual != expected {
        return Err(StoreError::Conflict { expected, actual });
    }
    if state.id != case_id || events.is_empty() {
        return Err(StoreError::Corrupt("append does not match its case".into()));
    }
    let (rows, head) = chain(case_id, expected + 1, head_hash, events, now)?;
    let version = expected + events.len() as u64;
    Ok(WritePlan {
        cells: crate::insight::plan_cells(&case_id.to_string(), before, state),
        case: CaseRow::from_case(state, version, &head),
        committed: Committed {
            case_id,
            number: state.number.clone(),
            version,
            head_hash: head,
        },
        events: rows,
        parties: Vec::new(),
    })
}

/// A checkpoint ready to insert: its row, its head rows, and what it is.
#[derive(Debug)]
pub struct CheckpointPlan {
    pub row: Vec<Bind>,
    pub heads: Vec<Vec<Bind>>,
    pub checkpoint: Checkpoint,
}

/// Plans the checkpoint after `last` (id, max_seq, hash) over `heads` (case, version, hash).
pub fn plan_checkpoint(
    last: Option<(i64, i64, String)>,
    at: Timestamp,
    max_seq: i64,
    events: i64,
    heads: Vec<(String, i64, String)>,
) -> Result<CheckpointPlan> {
    let id = last.as_ref().map_or(1, |l| l.0 + 1);
    let prev = last.map_or_else(|| GENESIS.to_owned(), |l| l.2);
    let hash = checkpoint_hash(id, at.micros(), max_seq, events, &prev, &heads)?;
    let n = heads.len() as i64;
    Ok(CheckpointPlan {
        row: vec![
            Bind::Int(id),
            Bind::Int(at.micros()),
            Bind::Int(max_seq),
            Bind::Int(events),
            Bind::Int(n),
            Bind::Text(prev),
            Bind::Text(hash.clone()),
        ],
        heads: heads
            .into_iter()
            .map(|(c, v, h)| vec![Bind::Int(id), Bind::Text(c), Bind::Int(v), Bind::Text(h)])
            .collect(),
        checkpoint: Checkpoint {
            id,
            created_at: at,
            max_seq,
            events,
            heads: n,
            hash,
        },
    })
}

pub fn division_binds(d: &Division) -> Vec<Bind> {
    vec![
        Bind::Text(d.code.to_string()),
        Bind::Text(d.name.clone()),
        Bind::Text(d.level().as_str().to_owned()),
        d.parent
            .as_ref()
            .map_or(Bind::Null, |p| Bind::Text(p.to_string())),
        Bind::Int(i64::try_from(d.population).unwrap_or(i64::MAX)),
    ]
}

pub fn division_from_row(
    code: &str,
    name: &str,
    parent: Option<&str>,
    pop: i64,
) -> Result<Division> {
    Division::new(
        parse_code(code)?,
        name,
        parent.map(parse_code).transpose()?,
        u64::try_from(pop).unwrap_or(0),
    )
    .map_err(|e| StoreError::Corrupt(e.to_string()))
}

pub fn organisation_binds(o: &Organisation) -> Result<Vec<Bind>> {
    Ok(vec![
        Bind::Text(o.id.to_string()),
        Bind::Text(o.name.clone()),
        Bind::Text(o.division.to_string()),
        Bind::Text(serde_json::to_string(&o.kind)?),
    ])
}

pub fn organisation_from_row(
    id: &str,
    name: &str,
    division: &str,
    kind: &str,
) -> Result<Organisation> {
    let kind: OrganisationKind = serde_json::from_str(kind)?;
    Organisation::new(
        OrganisationId(parse_uuid(id)?),
        name,
        parse_code(division)?,
        kind,
    )
    .map_err(|e| StoreError::Corrupt(e.to_string()))
}

pub fn user_binds(u: &User) -> Vec<Bind> {
    vec![
        Bind::Text(u.id.to_string()),
        Bind::Text(u.username.clone()),
        Bind::Text(u.name.clone()),
        Bind::Text(role_code(u.role)),
        Bind::Text(u.jurisdiction.to_string()),
        u.organisation
            .map_or(Bind::Null, |o| Bind::Text(o.to_string())),
    ]
}

pub fn user_from_row(
    id: &str,
    username: &str,
    name: &str,
    role: &str,
    jurisdiction: &str,
    organisation: Option<&str>,
) -> Result<User> {
    let role: Role = serde_json::from_value(serde_json::Value::String(role.to_owned()))
        .map_err(|_| StoreError::Corrupt(format!("bad role {role}")))?;
    User::new(
        UserId(parse_uuid(id)?),
        username,
        name,
        role,
        parse_code(jurisdiction)?,
        organisation
            .map(parse_uuid)
            .transpose()?
            .map(OrganisationId),
    )
    .map_err(|e| StoreError::Corrupt(e.to_string()))
}

fn role_code(r: Role) -> String {
    match serde_json::to_value(r) {
        Ok(serde_json::Value::String(s)) => s,
        _ => "system".to_owned(),
    }
}

fn parse_code(s: &str) -> Result<DivisionCode> {
    DivisionCode::parse(s).map_err(|_| StoreError::Corrupt(format!("bad division code {s}")))
}

pub fn parse_case_id(s: &str) -> Result<CaseId> {
    parse_uuid(s).map(CaseId)
}

fn parse_uuid(s: &str) -> Result<Uuid> {
    Uuid::parse_str(s).map_err(|_| StoreError::Corrupt(format!("bad id {s}")))
}

/// Parses `(status code, count)` rows.
pub fn status_counts(rows: Vec<(String, i64)>) -> Result<Vec<(hejie_domain::case::Status, u64)>> {
    rows.into_iter()
        .map(|(s, n)| {
            let status = hejie_domain::case::Status::parse(&s)
                .map_err(|_| StoreError::Corrupt(format!("bad status {s}")))?;
            Ok((status, u64::try_from(n).unwrap_or(0)))
        })
        .collect()
}
