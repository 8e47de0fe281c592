//! `/login` (登录) and `/logout`.

use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use serde::Deserialize;

use super::PageError;
use super::form::{CsrfForm, PageQuery, PublicForm, PublicToken, safe_next, with_token};
use super::view::{self, Chrome};
use crate::auth;
use crate::error::AppError;
use crate::state::AppState;

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    chrome: Chrome,
    csrf: String,
    username: String,
    next: String,
    error: String,
    notice: String,
}

#[derive(Debug, Deserialize)]
pub struct LoginQuery {
    #[serde(default)]
    next: String,
    #[serde(default)]
    out: String,
}

#[derive(Debug, Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: String,
}

/// `GET /login`.
pub async fn show(
    State(state): State<AppState>,
    token: PublicToken,
    PageQuery(q): PageQuery<LoginQuery>,
) -> Result<Response, PageError> {
    let page = LoginPage {
        chrome: Chrome::public("登录", "login"),
        csrf: token.value.clone(),
        username: String::new(),
        next: safe_next(&q.next),
        error: String::new(),
        notice: if q.out.is_empty() {
            String::new()
        } else {
            "您已安全退出。".to_owned()
        },
    };
    Ok(with_token(
        view::render(&page, StatusCode::OK)?,
        &token,
        &state,
    ))
}

/// `POST /login`: checks the password (with lockout), starts a fresh session, goes to `next`.
pub async fn submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    PublicForm { form, token, .. }: PublicForm<LoginForm>,
) -> Result<Response, PageError> {
    let next = safe_next(&form.next);
    let failed = |message: String, status: StatusCode| {
        let page = LoginPage {
            chrome: Chrome::public("登录", "login"),
            csrf: token.value.clone(),
            username: form.username.trim().to_owned(),
            next: next.clone(),
            error: message,
            notice: String::new(),
        };
        view::render(&page, status)
    };
    if form.username.trim().is_empty() || form.password.is_empty() {
        return failed("请输入用户名和密码".to_owned(), StatusCode::BAD_REQUEST);
    }
    match auth::check_credentials(&state, &form.username, &form.password).await {
        Ok(user) => {
            let previous = auth::cookie_token(&headers);
            let (cookie, _) = auth::start_session(&state, &user, previous.as_deref()).await?;
            let mut res = view::see_other(&next);
            res.headers_mut().append(
                header::SET_COOKIE,
                HeaderValue::from_str(&cookie).map_err(AppError::internal)?,
            );
            Ok(res)
        }
        Err(e @ (AppError::Forbidden { .. } | AppError::Locked(_) | AppError::TooManyRequests)) => {
            failed(e.to_string(), e.status())
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Debug, Deserialize)]
pub struct Empty {}

/// `POST /logout`: ends the session.
pub async fn logout(
    State(state): State<AppState>,
    CsrfForm { user, .. }: CsrfForm<Empty>,
) -> Result<Response, PageError> {
    if let Some(s) = &user.session {
        state.store.delete_session(&s.token_hash).await?;
    }
    let mut res = view::see_other("/login?out=1");
    res.headers_mut().append(
        header::SET_COOKIE,
        HeaderValue::from_str(&auth::session_cookie(&state, "", Some(0)))
            .map_err(AppError::internal)?,
    );
    Ok(res)
}
