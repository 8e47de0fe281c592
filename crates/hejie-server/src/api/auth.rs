//! `/api/v1/auth`: sign in and out, the current user, API tokens.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::Body;
use crate::auth::{self, ApiUser};
use crate::error::AppError;
use crate::state::AppState;

#[derive(Debug, Deserialize, ToSchema)]
pub struct LoginRequest {
    pub username: String,
    pub password: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UserView {
    pub id: String,
    pub username: String,
    pub name: String,
    pub role: String,
    pub role_label: String,
    pub jurisdiction: String,
    pub jurisdiction_name: String,
    pub organisation: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LoginResponse {
    pub user: UserView,
    /// Send this as `X-CSRF-Token` on state-changing requests made with the session cookie.
    pub csrf_token: String,
}

pub fn user_view(state: &AppState, u: &hejie_domain::user::User) -> UserView {
    let r = state.reference();
    UserView {
        id: u.id.to_string(),
        username: u.username.clone(),
        name: u.name.clone(),
        role: serde_json::to_value(u.role)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default(),
        role_label: u.role.label().to_owned(),
        jurisdiction: u.jurisdiction.to_string(),
        jurisdiction_name: r.full_name(&u.jurisdiction),
        organisation: u
            .organisation
            .and_then(|o| r.orgs.get(&o).map(|o| o.name.clone())),
    }
}

/// Sign in with username and password; sets the session cookie.
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth", request_body = LoginRequest,
    responses((status = 200, body = LoginResponse), (status = 403, body = crate::error::ErrorBody),
              (status = 423, body = crate::error::ErrorBody)))]
pub async fn login(
    State(state): State<AppState>,
    headers: HeaderMap,
    Body(req): Body<LoginRequest>,
) -> Result<Response, AppError> {
    let user = auth::check_credentials(&state, &req.username, &req.password).await?;
    let previous = auth::cookie_token(&headers);
    let (cookie, session) = auth::start_session(&state, &user, previous.as_deref()).await?;
    let body = LoginResponse {
        user: user_view(&state, &user),
        csrf_token: session.csrf_token,
    };
    Ok(([(header::SET_COOKIE, cookie)], Json(body)).into_response())
}

/// Sign out: ends the session.
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth",
    responses((status = 204), (status = 401, body = crate::error::ErrorBody)))]
pub async fn logout(
    State(state): State<AppState>,
    ApiUser(me): ApiUser,
) -> Result<Response, AppError> {
    if let Some(s) = &me.session {
        state.store.delete_session(&s.token_hash).await?;
    }
    Ok((
        StatusCode::NO_CONTENT,
        [(
            header::SET_COOKIE,
            auth::session_cookie(&state, "", Some(0)),
        )],
    )
        .into_response())
}

/// The signed-in user.
#[utoipa::path(get, path = "/api/v1/me", tag = "auth",
    responses((status = 200, body = UserView), (status = 401, body = crate::error::ErrorBody)))]
pub async fn me(State(state): State<AppState>, ApiUser(me): ApiUser) -> Json<UserView> {
    Json(user_view(&state, &me.user))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct TokenRequest {
    /// What the token is for, e.g. `12345热线对接`.
    pub name: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TokenResponse {
    /// Shown once; use as `Authorization: Bearer <token>`.
    pub token: String,
}

/// Create a bearer token acting as the signed-in user (for integrations).
#[utoipa::path(post, path = "/api/v1/auth/tokens", tag = "auth", request_body = TokenRequest,
    responses((status = 201, body = TokenResponse), (status = 401, body = crate::error::ErrorBody)))]
pub async fn create_token(
    State(state): State<AppState>,
    ApiUser(me): ApiUser,
    Body(req): Body<TokenRequest>,
) -> Result<(StatusCode, Json<TokenResponse>), AppError> {
    let name = req.name.trim();
    if name.is_empty() || name.chars().count() > 64 {
        return Err(AppError::validation("name", "请填写令牌用途（不超过64字）"));
    }
    let token = auth::random_token();
    state
        .store
        .create_api_token(&auth::token_hash(&token), me.user.id, name, state.now())
        .await?;
    Ok((StatusCode::CREATED, Json(TokenResponse { token })))
}
