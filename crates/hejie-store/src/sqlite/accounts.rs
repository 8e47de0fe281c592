//! [`AccountStore`] on SQLite.

use async_trait::async_trait;
use hejie_domain::timestamp::Timestamp;
use hejie_domain::user::{User, UserId};
use rusqlite::OptionalExtension;

use super::{SqliteStore, exec};
use crate::accounts::{self as q, AccountStore, LoginInfo, Session, Verification};
use crate::sql::{Bind, for_sqlite};
use crate::{Result, rows};

fn text(s: &str) -> Bind {
    Bind::Text(s.to_owned())
}

fn opt_int(t: Option<Timestamp>) -> Bind {
    t.map_or(Bind::NullInt, |t| Bind::Int(t.micros()))
}

type UserRow = (String, String, String, String, String, Option<String>);

fn user_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<UserRow> {
    Ok((
        r.get(0)?,
        r.get(1)?,
        r.get(2)?,
        r.get(3)?,
        r.get(4)?,
        r.get(5)?,
    ))
}

fn to_user(u: UserRow) -> Result<User> {
    rows::user_from_row(&u.0, &u.1, &u.2, &u.3, &u.4, u.5.as_deref())
}

impl SqliteStore {
    async fn write_sql(&self, sql: &'static str, binds: Vec<Bind>) -> Result<()> {
        self.writer
            .write(move |conn| exec(conn, sql, &binds).map(|_| ()))
            .await
    }
}

#[async_trait]
impl AccountStore for SqliteStore {
    async fn user(&self, id: UserId) -> Result<Option<User>> {
        let row = self
            .read(move |conn| {
                Ok(conn
                    .prepare_cached(&for_sqlite(q::USER_BY_ID))?
                    .query_row([id.to_string()], user_row)
                    .optional()?)
            })
            .await?;
        row.map(to_user).transpose()
    }

    async fn set_password(&self, user: UserId, hash: &str) -> Result<()> {
        self.write_sql(q::SET_PASSWORD, vec![text(&user.to_string()), text(hash)])
            .await
    }

    async fn login_info(&self, username: &str) -> Result<Option<LoginInfo>> {
        let username = username.to_owned();
        let row = self
            .read(move |conn| {
                Ok(conn
                    .prepare_cached(&for_sqlite(q::LOGIN_INFO))?
                    .query_row([username], |r| {
                        Ok((
                            user_row(r)?,
                            r.get::<_, Option<String>>(6)?,
                            r.get::<_, i64>(7)?,
                            r.get::<_, Option<i64>>(8)?,
                        ))
                    })
                    .optional()?)
            })
            .await?;
        row.map(|(u, hash, failed, locked)| {
            Ok(LoginInfo {
                user: to_user(u)?,
                password_hash: hash,
                failed_attempts: failed,
                locked_until: locked.map(Timestamp::from_micros),
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
        self.write_sql(
            q::SET_LOGIN_STATE,
            vec![
                Bind::Int(failed),
                opt_int(locked_until),
                text(&user.to_string()),
            ],
        )
        .await
    }

    async fn create_session(&self, s: &Session) -> Result<()> {
        self.write_sql(
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
        let token_hash = token_hash.to_owned();
        let row: Option<(String, String, String, i64, i64)> = self
            .read(move |conn| {
                Ok(conn
                    .prepare_cached(&for_sqlite(q::SELECT_SESSION))?
                    .query_row([token_hash], |r| {
                        Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
                    })
                    .optional()?)
            })
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
        self.write_sql(
            q::TOUCH_SESSION,
            vec![Bind::Int(at.micros()), text(token_hash)],
        )
        .await
    }

    async fn delete_session(&self, token_hash: &str) -> Result<()> {
        self.write_sql(q::DELETE_SESSION, vec![text(token_hash)])
            .await
    }

    async fn create_api_token(
        &self,
        token_hash: &str,
        user: UserId,
        name: &str,
        at: Timestamp,
    ) -> Result<()> {
        self.write_sql(
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
        let token_hash = token_hash.to_owned();
        let id: Option<String> = self
            .read(move |conn| {
                Ok(conn
                    .prepare_cached(&for_sqlite(q::API_TOKEN_USER))?
                    .query_row([token_hash], |r| r.get(0))
                    .optional()?)
            })
            .await?;
        id.map(|s| rows::parse_case_id(&s).map(|c| UserId(c.0)))
            .transpose()
    }

    async fn put_verification(&self, key_hash: &str, v: &Verification) -> Result<()> {
        self.write_sql(
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
        let key_hash = key_hash.to_owned();
        let row: Option<(String, i64, i64)> = self
            .read(move |conn| {
                Ok(conn
                    .prepare_cached(&for_sqlite(q::SELECT_VERIFICATION))?
                    .query_row([key_hash], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
                    .optional()?)
            })
            .await?;
        Ok(row.map(|(code_hash, exp, attempts)| Verification {
            code_hash,
            expires_at: Timestamp::from_micros(exp),
            attempts,
        }))
    }

    async fn bump_verification(&self, key_hash: &str) -> Result<()> {
        self.write_sql(q::BUMP_VERIFICATION, vec![text(key_hash)])
            .await
    }

    async fn delete_verification(&self, key_hash: &str) -> Result<()> {
        self.write_sql(q::DELETE_VERIFICATION, vec![text(key_hash)])
            .await
    }
}
