//! Sign-in, sessions and bearer tokens.
//!
//! Passwords are hashed with argon2id. A browser session is a random token in an `HttpOnly;
//! SameSite=Lax` cookie (plus `Secure` behind TLS); the store keeps only its SM3 hash, with a
//! per-session CSRF token. Sessions end after an idle timeout and are replaced at every sign-in.
//! API clients use `Authorization: Bearer <token>`; tokens are also stored hashed. Repeated
//! failures lock the account for a while.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, header};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hejie_domain::user::User;
use hejie_store::Session;
use rand::RngCore;

use crate::error::AppError;
use crate::state::AppState;

pub const SESSION_COOKIE: &str = "hejie_session";
pub const CSRF_HEADER: &str = "x-csrf-token";

/// A fresh random secret, URL-safe.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// How secrets are stored: their SM3 digest.
pub fn token_hash(token: &str) -> String {
    hejie_crypto::sm3_hex(token.as_bytes())
}

pub fn hash_password(password: &str) -> Result<String, AppError> {
    let mut salt = [0u8; 16];
    rand::rng().fill_bytes(&mut salt);
    let salt =
        SaltString::encode_b64(&salt).map_err(|e| AppError::internal(anyhow::anyhow!("{e}")))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| AppError::internal(anyhow::anyhow!("{e}")))
}

fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|h| {
        Argon2::default()
            .verify_password(password.as_bytes(), &h)
            .is_ok()
    })
}

/// A hash to verify against when the username is unknown, so timing does not reveal which
/// usernames exist.
static DUMMY_HASH: std::sync::LazyLock<String> =
    std::sync::LazyLock::new(|| hash_password("not-a-real-password").unwrap_or_default());

/// Checks a username and password, applying the lockout policy. Returns the user on success.
pub async fn check_credentials(
    state: &AppState,
    username: &str,
    password: &str,
) -> Result<User, AppError> {
    let wrong = || AppError::Forbidden {
        code: "bad_credentials",
        message: "用户名或密码错误".to_owned(),
    };
    let info = state.store.login_info(username.trim()).await?;
    let Some(info) = info.filter(|i| i.password_hash.is_some()) else {
        let _ = verify_password(password, &DUMMY_HASH);
        return Err(wrong());
    };
    let at = state.now();
    if let Some(until) = info.locked_until
        && until > at
    {
        return Err(AppError::Locked(format!(
            "登录失败次数过多，账户已锁定，请于 {} 后再试",
            until
        )));
    }
    let hash = info.password_hash.as_deref().unwrap_or(&DUMMY_HASH);
    if verify_password(password, hash) {
        if info.failed_attempts != 0 || info.locked_until.is_some() {
            state.store.set_login_state(info.user.id, 0, None).await?;
        }
        return Ok(info.user);
    }
    let failed = info.failed_attempts + 1;
    if failed >= state.config.max_failed_logins {
        let until = at.plus_seconds(state.config.lockout_secs);
        state
            .store
            .set_login_state(info.user.id, 0, Some(until))
            .await?;
        return Err(AppError::Locked(format!(
            "登录失败次数过多，账户已锁定，请于 {until} 后再试"
        )));
    }
    state
        .store
        .set_login_state(info.user.id, failed, None)
        .await?;
    Err(wrong())
}

/// Starts a session for `user`, ending the one the browser had. Returns the cookie header value.
pub async fn start_session(
    state: &AppState,
    user: &User,
    previous: Option<&str>,
) -> Result<(String, Session), AppError> {
    if let Some(old) = previous {
        state.store.delete_session(&token_hash(old)).await?;
    }
    let token = random_token();
    let at = state.now();
    let session = Session {
        token_hash: token_hash(&token),
        user_id: user.id,
        csrf_token: random_token(),
        created_at: at,
        last_seen_at: at,
    };
    state.store.create_session(&session).await?;
    Ok((session_cookie(state, &token, None), session))
}

/// The `Set-Cookie` value for a session token, or for clearing it when `max_age` is `Some(0)`.
pub fn session_cookie(state: &AppState, token: &str, max_age: Option<i64>) -> String {
    let mut c = format!("{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax");
    if let Some(age) = max_age {
        c.push_str(&format!("; Max-Age={age}"));
    }
    if state.config.secure_cookies {
        c.push_str("; Secure");
    }
    c
}

/// The session token the browser sent, if any.
pub fn cookie_token(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == SESSION_COOKIE)
        .map(|(_, v)| v.to_owned())
}

/// The signed-in user of a request, and how they signed in.
#[derive(Debug, Clone)]
pub struct CurrentUser {
    pub user: User,
    /// Present for browser sessions; `None` for bearer tokens.
    pub session: Option<Session>,
}

impl CurrentUser {
    pub fn csrf_token(&self) -> &str {
        self.session.as_ref().map_or("", |s| s.csrf_token.as_str())
    }
}

fn is_unsafe(m: &Method) -> bool {
    !matches!(*m, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// Resolves the request's user from a bearer token or the session cookie, enforcing the idle
/// timeout. Does not check CSRF; see [`ApiUser`] and the page form extractor.
pub async fn resolve(state: &AppState, headers: &HeaderMap) -> Result<CurrentUser, AppError> {
    if let Some(auth) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    {
        let token = auth
            .strip_prefix("Bearer ")
            .ok_or(AppError::Unauthorized)?
            .trim();
        let user_id = state
            .store
            .api_token_user(&token_hash(token))
            .await?
            .ok_or(AppError::Unauthorized)?;
        let user = state
            .store
            .user(user_id)
            .await?
            .ok_or(AppError::Unauthorized)?;
        return Ok(CurrentUser {
            user,
            session: None,
        });
    }
    let token = cookie_token(headers).ok_or(AppError::Unauthorized)?;
    let hash = token_hash(&token);
    let session = state
        .store
        .session(&hash)
        .await?
        .ok_or(AppError::Unauthorized)?;
    let at = state.now();
    if at.micros() - session.last_seen_at.micros() > state.config.idle_timeout_secs * 1_000_000 {
        state.store.delete_session(&hash).await?;
        return Err(AppError::Unauthorized);
    }
    // Touch at most once a minute, so reads do not each cost a durable write.
    if at.micros() - session.last_seen_at.micros() > 60_000_000 {
        state.store.touch_session(&hash, at).await?;
    }
    let user = state
        .store
        .user(session.user_id)
        .await?
        .ok_or(AppError::Unauthorized)?;
    Ok(CurrentUser {
        user,
        session: Some(session),
    })
}

/// The user of an API request. State-changing requests authenticated by the session cookie must
/// also carry the session's CSRF token in the `X-CSRF-Token` header.
#[derive(Debug, Clone)]
pub struct ApiUser(pub CurrentUser);

impl FromRequestParts<AppState> for ApiUser {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let current = resolve(state, &parts.headers).await?;
        if let Some(session) = &current.session
            && is_unsafe(&parts.method)
        {
            let sent = parts
                .headers
                .get(CSRF_HEADER)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            if !constant_time_eq(sent, &session.csrf_token) {
                return Err(AppError::Forbidden {
                    code: "csrf",
                    message: "请求缺少有效的防伪令牌，请刷新页面后重试".to_owned(),
                });
            }
        }
        Ok(ApiUser(current))
    }
}

/// Compares secrets without an early exit.
pub fn constant_time_eq(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}
