//! Routing a case to the responsible organisation with the configured rules
//! (`hejie_intake::routing`), balancing by the organisations' open cases.

use std::collections::HashMap;

use hejie_domain::org::{Organisation, OrganisationId};
use hejie_intake::{CaseFacts, Decision};

use crate::error::AppError;
use crate::state::AppState;

/// The organisation the rules send a case with these facts to, and the rule that fired.
pub async fn decide(state: &AppState, facts: &CaseFacts) -> Result<Option<Decision>, AppError> {
    let load: HashMap<OrganisationId, u32> = state
        .store
        .open_load()
        .await?
        .into_iter()
        .filter_map(|(id, n)| {
            uuid::Uuid::parse_str(&id)
                .ok()
                .map(|u| (OrganisationId(u), u32::try_from(n).unwrap_or(u32::MAX)))
        })
        .collect();
    let orgs: Vec<Organisation> = state.reference().orgs.values().cloned().collect();
    Ok(state.routing_rules().route(facts, &orgs, &load))
}
