//! [`AccountStore`] on PostgreSQL.

use async_trait::async_trait;
use hejie_domain::timestamp::Timestamp;
use hejie_domain::user::{User, UserId};

use super::{PgStore, bind_all};
use crate::accounts::{self as q, AccountStore, LoginInfo, Session, Verification};
use crate::sql::Bind;
use crate::{Result, rows};

fn text(s: &str) -> Bind {
    Bind::Text(s.to_owned())
}

type UserRow = (String, String, String, String, String, Option<String>);

fn to_user(u: UserRow) -> Result<User> {
    rows::user_from_row(&u.0, &u.1, &u.2, &u.3, &u.4, u.5.as_deref())
}

impl PgStore {
    async fn run(&self, sql: &'static str, binds: Vec<Bind>) -> Result<()> {
        bind_all(sqlx::query(sql), &binds)
            .execute(self.pool())
            .await?;
        Ok(())
    }
}

#[async_trait]
impl AccountStore for PgStore {
    async fn user(&self, id: UserId) -> Result<Option<User>> {
        let row: Option<UserRow> = sqlx::query_as(q::USER_BY_ID)
            .bind(id.to_string())
            .fetch_optional(self.pool())
            .await?;
        row.map(to_user).transpose()
    }

    async fn set_password(&self, user: UserId, hash: &str) -> Result<()> {
        self.run(q::SET_PASSWORD, vec![text(&user.to_string()), text(hash)])
            .await
    }

    async fn login_info(&self, username: &str) -> Result<Option<LoginInfo>> {
        type Row = (
            String,
            String,
            String,
            String,
            String,
            Option<String>,
            Option<String>,
            i64,
            Option<i64>,
        );
        let row: Option<Row> = sqlx::query_as(q::LOGIN_INFO)
            .bind(username)
            .fetch_optional(self.pool())
            .await?;
        row.map(|r| {
            Ok(LoginInfo {
                user: to_user((r.0, r.1, r.2, r.3, r.4, r.5))?,
                password_hash: r.6,
                failed_attempts: r.7,
                locked_until: r.8.map(Timestamp::from_micros),
            })
        })
        .transpose()
    }

    async fn set_login_state(
        &self,
        user: UserId,
        failed: i64,
        locked_until: Option<Timestamp>,
    ) -> Result<()> {
        self.run(
            q::SET_LOGIN_STATE,
            vec![
                Bind::Int(failed),
                locked_until.map_or(Bind::NullInt, |t| Bind::Int(t.micros())),
                text(&user.to_string()),
            ],
        )
        .await
    }

    async fn create_session(&self, s: &Session) -> Result<()> {
        self.run(
            q::CREATE_SESSION,
            vec![
                text(&s.token_hash),
                text(&s.user_id.to_string()),
                text(&s.csrf_token),
                Bind::Int(s.created_at.micros()),
                Bind::Int(s.last_seen_at.micros()),
            ],
        )
        .await
    }

    async fn session(&self, token_hash: &str) -> Result<Option<Session>> {
        let row: Option<(String, String, String, i64, i64)> = sqlx::query_as(q::SELECT_SESSION)
            .bind(token_hash)
            .fetch_optional(self.pool())
            .await?;
        row.map(|(t, u, c, created, seen)| {
            Ok(Session {
                token_hash: t,
                user_id: UserId(rows::parse_case_id(&u)?.0),
                csrf_token: c,
                created_at: Timestamp::from_micros(created),
                last_seen_at: Timestamp::from_micros(seen),
            })
        })
        .transpose()
    }

    async fn touch_session(&self, token_hash: &str, at: Timestamp) -> Result<()> {
        self.run(
            q::TOUCH_SESSION,
            vec![Bind::Int(at.micros()), text(token_hash)],
        )
        .await
    }

    async fn delete_session(&self, token_hash: &str) -> Result<()> {
        self.run(q::DELETE_SESSION, vec![text(token_hash)]).await
    }

    async fn create_api_token(
        &self,
        token_hash: &str,
        user: UserId,
        name: &str,
        at: Timestamp,
    ) -> Result<()> {
        self.run(
            q::CREATE_API_TOKEN,
            vec![
                text(token_hash),
                text(&user.to_string()),
                text(name),
                Bind::Int(at.micros()),
            ],
        )
        .await
    }

    async fn api_token_user(&self, token_hash: &str) -> Result<Option<UserId>> {
        let id: Option<String> = sqlx::query_scalar(q::API_TOKEN_USER)
            .bind(token_hash)
            .fetch_optional(self.pool())
            .await?;
        id.map(|s| rows::parse_case_id(&s).map(|c| UserId(c.0)))
            .transpose()
    }

    async fn put_verification(&self, key_hash: &str, v: &Verification) -> Result<()> {
        self.run(
            q::PUT_VERIFICATION,
            vec![
                text(key_hash),
                text(&v.code_hash),
                Bind::Int(v.expires_at.micros()),
            ],
        )
        .await
    }

    async fn verification(&self, key_hash: &str) -> Result<Option<Verification>> {
        let row: Option<(String, i64, i64)> = sqlx::query_as(q::SELECT_VERIFICATION)
            .bind(key_hash)
            .fetch_optional(self.pool())
            .await?;
        Ok(row.map(|(code_hash, exp, attempts)| Verification {
            code_hash,
            expires_at: Timestamp::from_micros(exp),
            attempts,
        }))
    }

    async fn bump_verification(&self, key_hash: &str) -> Result<()> {
        self.run(q::BUMP_VERIFICATION, vec![text(key_hash)]).await
    }

    async fn delete_verification(&self, key_hash: &str) -> Result<()> {
        self.run(q::DELETE_VERIFICATION, vec![text(key_hash)]).await
    }
}
