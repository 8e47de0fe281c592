//! Accounts: password hashes and lockout, sessions, API tokens and phone verification codes.
//! Secrets are stored only as hashes; the policy (lockout thresholds, idle timeouts) lives in the
//! server, the store only keeps state.

use async_trait::async_trait;
use hejie_domain::timestamp::Timestamp;
use hejie_domain::user::{User, UserId};

use crate::Result;

/// What sign-in needs to know about a username.
#[derive(Debug, Clone)]
pub struct LoginInfo {
    pub user: User,
    pub password_hash: Option<String>,
    pub failed_attempts: i64,
    pub locked_until: Option<Timestamp>,
}

/// A signed-in browser session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub token_hash: String,
    pub user_id: UserId,
    pub csrf_token: String,
    pub created_at: Timestamp,
    pub last_seen_at: Timestamp,
}

/// A one-time code sent to a phone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verification {
    pub code_hash: String,
    pub expires_at: Timestamp,
    pub attempts: i64,
}

#[async_trait]
pub trait AccountStore: Send + Sync {
    async fn user(&self, id: UserId) -> Result<Option<User>>;
    async fn set_password(&self, user: UserId, password_hash: &str) -> Result<()>;
    async fn login_info(&self, username: &str) -> Result<Option<LoginInfo>>;
    async fn set_login_state(
        &self,
        user: UserId,
        failed_attempts: i64,
        locked_until: Option<Timestamp>,
    ) -> Result<()>;

    async fn create_session(&self, session: &Session) -> Result<()>;
    async fn session(&self, token_hash: &str) -> Result<Option<Session>>;
    async fn touch_session(&self, token_hash: &str, at: Timestamp) -> Result<()>;
    async fn delete_session(&self, token_hash: &str) -> Result<()>;

    async fn create_api_token(
        &self,
        token_hash: &str,
        user: UserId,
        name: &str,
        at: Timestamp,
    ) -> Result<()>;
    async fn api_token_user(&self, token_hash: &str) -> Result<Option<UserId>>;

    async fn put_verification(&self, key_hash: &str, v: &Verification) -> Result<()>;
    async fn verification(&self, key_hash: &str) -> Result<Option<Verification>>;
    async fn bump_verification(&self, key_hash: &str) -> Result<()>;
    async fn delete_verification(&self, key_hash: &str) -> Result<()>;
}

pub const USER_BY_ID: &str =
    "SELECT id, username, name, role, jurisdiction, organisation FROM users WHERE id = $1";

pub const SET_PASSWORD: &str = "INSERT INTO credentials (user_id, password_hash, failed_attempts) \
     VALUES ($1, $2, 0) ON CONFLICT (user_id) DO UPDATE SET password_hash = excluded.password_hash, \
     failed_attempts = 0, locked_until = NULL";

pub const LOGIN_INFO: &str = "SELECT u.id, u.username, u.name, u.role, u.jurisdiction, \
     u.organisation, c.password_hash, COALESCE(c.failed_attempts, 0), c.locked_until \
     FROM users u LEFT JOIN credentials c ON c.user_id = u.id WHERE u.username = $1";

pub const SET_LOGIN_STATE: &str =
    "UPDATE credentials SET failed_attempts = $1, locked_until = $2 WHERE user_id = $3";

pub const CREATE_SESSION: &str = "INSERT INTO sessions (token_hash, user_id, csrf_token, \
     created_at, last_seen_at) VALUES ($1, $2, $3, $4, $5)";

pub const SELECT_SESSION: &str = "SELECT token_hash, user_id, csrf_token, created_at, \
     last_seen_at FROM sessions WHERE token_hash = $1";

pub const TOUCH_SESSION: &str = "UPDATE sessions SET last_seen_at = $1 WHERE token_hash = $2";

pub const DELETE_SESSION: &str = "DELETE FROM sessions WHERE token_hash = $1";

pub const CREATE_API_TOKEN: &str =
    "INSERT INTO api_tokens (token_hash, user_id, name, created_at) VALUES ($1, $2, $3, $4)";

pub const API_TOKEN_USER: &str = "SELECT user_id FROM api_tokens WHERE token_hash = $1";

pub const PUT_VERIFICATION: &str = "INSERT INTO verification_codes (key_hash, code_hash, \
     expires_at, attempts) VALUES ($1, $2, $3, 0) ON CONFLICT (key_hash) DO UPDATE SET \
     code_hash = excluded.code_hash, expires_at = excluded.expires_at, attempts = 0";

pub const SELECT_VERIFICATION: &str =
    "SELECT code_hash, expires_at, attempts FROM verification_codes WHERE key_hash = $1";

pub const BUMP_VERIFICATION: &str =
    "UPDATE verification_codes SET attempts = attempts + 1 WHERE key_hash = $1";

pub const DELETE_VERIFICATION: &str = "DELETE FROM verification_codes WHERE key_hash = $1";
