//! What a resident applying online sees of the mediation organisations and mediators they may
//! choose: each people's mediation committee and brand mediation room (品牌调解室) with its
//! place, its mediators, and their record from the case projection (closed cases, how many
//! mediated successfully, and the dispute types they mediated most successfully: 擅长).

use std::collections::HashMap;

use hejie_domain::case::DisputeType;
use hejie_domain::org::{Organisation, OrganisationKind};
use hejie_domain::user::Role;

use crate::error::AppError;
use crate::state::AppState;

/// A record of closed cases.
#[derive(Debug, Clone, Default)]
pub struct Record {
    pub closed: i64,
    pub succeeded: i64,
    /// Successful mediations by dispute type.
    by_type: HashMap<String, i64>,
}

impl Record {
    fn add(&mut self, dispute_type: Option<&str>, outcome: Option<&str>, cases: i64) {
        self.closed += cases;
        if outcome == Some("succeeded") {
            self.succeeded += cases;
            if let Some(t) = dispute_type {
                *self.by_type.entry(t.to_owned()).or_default() += cases;
            }
        }
    }

    /// 调解成功率 as people read it, or "—" before any case closed.
    pub fn rate(&self) -> String {
        if self.closed == 0 {
            "—".to_owned()
        } else {
            format!("{:.0}%", self.succeeded as f64 * 100.0 / self.closed as f64)
        }
    }

    /// The three dispute types mediated successfully most often, most first.
    pub fn strengths(&self) -> Vec<String> {
        let mut types: Vec<(&String, &i64)> = self.by_type.iter().collect();
        types.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        types
            .into_iter()
            .take(3)
            .filter_map(|(code, _)| DisputeType::parse(code).ok())
            .map(|t| t.label().to_owned())
            .collect()
    }
}

/// A mediator as offered to applicants.
#[derive(Debug, Clone)]
pub struct MediatorProfile {
    pub id: String,
    pub name: String,
    pub record: Record,
}

/// A mediation organisation as offered to applicants.
#[derive(Debug, Clone)]
pub struct OrgProfile {
    pub id: String,
    pub name: String,
    pub kind: String,
    pub brand: bool,
    pub place: String,
    pub record: Record,
    pub mediators: Vec<MediatorProfile>,
}

/// Whether applicants may choose this organisation: people's mediation committees and brand
/// rooms (centres and departments receive and coordinate; they are not chosen).
pub fn choosable(o: &Organisation) -> bool {
    matches!(
        o.kind,
        OrganisationKind::MediationCommittee { .. } | OrganisationKind::BrandRoom
    )
}

/// Every choosable organisation with its mediators and record, brand rooms first, then by place
/// and name.
pub async fn all(state: &AppState) -> Result<Vec<OrgProfile>, AppError> {
    let rows = state.store.handling_records().await?;
    let mut by_org: HashMap<String, Record> = HashMap::new();
    let mut by_person: HashMap<String, Record> = HashMap::new();
    for r in &rows {
        by_org.entry(r.organisation.clone()).or_default().add(
            r.dispute_type.as_deref(),
            r.outcome.as_deref(),
            r.cases,
        );
        if let Some(p) = &r.person {
            by_person.entry(p.clone()).or_default().add(
                r.dispute_type.as_deref(),
                r.outcome.as_deref(),
                r.cases,
            );
        }
    }
    let reference = state.reference();
    let mut out: Vec<OrgProfile> = reference
        .orgs
        .values()
        .filter(|o| choosable(o))
        .map(|o| {
            let id = o.id.to_string();
            let mut mediators: Vec<MediatorProfile> = reference
                .users
                .iter()
                .filter(|u| u.organisation == Some(o.id) && u.role == Role::Mediator)
                .map(|u| MediatorProfile {
                    id: u.id.to_string(),
                    name: u.name.clone(),
                    record: by_person
                        .get(&u.id.to_string())
                        .cloned()
                        .unwrap_or_default(),
                })
                .collect();
            mediators.sort_by(|a, b| a.name.cmp(&b.name));
            OrgProfile {
                record: by_org.get(&id).cloned().unwrap_or_default(),
                id,
                name: o.name.clone(),
                kind: o.kind.label(),
                brand: o.kind == OrganisationKind::BrandRoom,
                place: reference.full_name(&o.division),
                mediators,
            }
        })
        .collect();
    out.sort_by(|a, b| {
        b.brand
            .cmp(&a.brand)
            .then(a.place.cmp(&b.place))
            .then(a.name.cmp(&b.name))
    });
    Ok(out)
}
