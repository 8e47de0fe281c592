//! `/api/v1/divisions` and `/api/v1/organisations`: the reference tree.

use axum::Json;
use axum::extract::State;
use serde::Serialize;
use utoipa::ToSchema;

use crate::auth::ApiUser;
use crate::state::AppState;

#[derive(Debug, Serialize, ToSchema)]
pub struct DivisionView {
    pub code: String,
    pub name: String,
    pub level: String,
    pub level_label: String,
    pub parent: Option<String>,
    pub population: u64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OrganisationView {
    pub id: String,
    pub name: String,
    pub division: String,
    pub kind: String,
}

/// All divisions, parents before children.
#[utoipa::path(get, path = "/api/v1/divisions", tag = "reference",
    responses((status = 200, body = [DivisionView]), (status = 401, body = crate::error::ErrorBody)))]
pub async fn divisions(State(state): State<AppState>, _me: ApiUser) -> Json<Vec<DivisionView>> {
    let r = state.reference();
    let mut out: Vec<DivisionView> = r
        .tree
        .iter()
        .map(|d| DivisionView {
            code: d.code.to_string(),
            name: d.name.clone(),
            level: d.level().as_str().to_owned(),
            level_label: d.level().label().to_owned(),
            parent: d.parent.as_ref().map(ToString::to_string),
            population: d.population,
        })
        .collect();
    out.sort_by(|a, b| (a.code.len(), &a.code).cmp(&(b.code.len(), &b.code)));
    Json(out)
}

/// All organisations with their kind.
#[utoipa::path(get, path = "/api/v1/organisations", tag = "reference",
    responses((status = 200, body = [OrganisationView]), (status = 401, body = crate::error::ErrorBody)))]
pub async fn organisations(
    State(state): State<AppState>,
    _me: ApiUser,
) -> Json<Vec<OrganisationView>> {
    let r = state.reference();
    let mut out: Vec<OrganisationView> = r
        .orgs
        .values()
        .map(|o| OrganisationView {
            id: o.id.to_string(),
            name: o.name.clone(),
            division: o.division.to_string(),
            kind: o.kind.label(),
        })
        .collect();
    out.sort_by(|a, b| (&a.division, &a.name).cmp(&(&b.division, &b.name)));
    Json(out)
}
