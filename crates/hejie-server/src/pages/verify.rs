//! Phone verification for residents: a 6-digit code sent by SMS, valid for 10 minutes, at most 5
//! wrong tries, one use. The store keeps only hashes: the key is derived from the phone's keyed
//! hash and the purpose, the code is hashed with the key.
//!
//! The same store also keeps short-lived grants: after a resident has proved their phone on the
//! tracking page, a random grant lets them rate that case without a second code.

use hejie_domain::case::CaseId;
use hejie_domain::personal::{PhoneNumber, PiiKind};
use hejie_store::Verification;
use rand::Rng;

use crate::auth::{self, constant_time_eq};
use crate::error::AppError;
use crate::state::AppState;

const CODE_TTL_SECS: i64 = 10 * 60;
const RESEND_AFTER_SECS: i64 = 60;
const MAX_ATTEMPTS: i64 = 5;
const GRANT_TTL_SECS: i64 = 30 * 60;

/// What a code is for; a code asked for one purpose does not work for another.
#[derive(Debug, Clone, Copy)]
pub enum Purpose {
    Apply,
    Track,
    /// Re-verifying a party just before they sign an agreement.
    Sign,
}

impl Purpose {
    fn as_str(self) -> &'static str {
        match self {
            Purpose::Apply => "apply",
            Purpose::Track => "track",
            Purpose::Sign => "sign",
        }
    }
}

fn key(state: &AppState, purpose: Purpose, phone: &PhoneNumber) -> String {
    let phone_hash = state.sealer.keyed_hash(PiiKind::Phone, phone.as_str());
    auth::token_hash(&format!("verify:{}:{phone_hash}", purpose.as_str()))
}

fn code_hash(key: &str, code: &str) -> String {
    auth::token_hash(&format!("{key}:{code}"))
}

fn wrong(message: impl Into<String>) -> AppError {
    AppError::validation("code", message)
}

/// Sends a fresh code to `phone`, unless one was sent in the last minute.
pub async fn send(state: &AppState, purpose: Purpose, phone: &PhoneNumber) -> Result<(), AppError> {
    let key = key(state, purpose, phone);
    let at = state.now();
    if let Some(v) = state.store.verification(&key).await? {
        let sent_at = v.expires_at.plus_seconds(-CODE_TTL_SECS);
        let wait = (sent_at.micros() - at.micros()) / 1_000_000 + RESEND_AFTER_SECS;
        if wait > 0 && v.expires_at > at {
            return Err(wrong(format!(
                "验证码已发送，请查收短信；如未收到，请{wait}秒后重新获取"
            )));
        }
    }
    let code = format!("{:06}", rand::rng().random_range(0..1_000_000u32));
    state
        .store
        .put_verification(
            &key,
            &Verification {
                code_hash: code_hash(&key, &code),
                expires_at: at.plus_seconds(CODE_TTL_SECS),
                attempts: 0,
            },
        )
        .await?;
    state
        .sms
        .send(
            phone.as_str(),
            &match purpose {
                Purpose::Sign => format!(
                    "【和解】您正在电子签署人民调解协议书，验证码{code}，10分钟内有效，请勿告诉他人"
                ),
                Purpose::Apply | Purpose::Track => {
                    format!("【和解】您的验证码是{code}，10分钟内有效")
                }
            },
        )
        .map_err(|e| AppError::internal(anyhow::anyhow!("sending SMS: {e}")))?;
    Ok(())
}

/// Checks a code without using it up (see [`consume`]); a wrong code costs one of five tries.
pub async fn check(
    state: &AppState,
    purpose: Purpose,
    phone: &PhoneNumber,
    code: &str,
) -> Result<(), AppError> {
    let code = code.trim();
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return Err(wrong("请输入短信中的6位数字验证码"));
    }
    let key = key(state, purpose, phone);
    let Some(v) = state.store.verification(&key).await? else {
        return Err(wrong("请先获取验证码"));
    };
    if v.expires_at < state.now() {
        state.store.delete_verification(&key).await?;
        return Err(wrong("验证码已过期，请重新获取"));
    }
    if v.attempts >= MAX_ATTEMPTS {
        state.store.delete_verification(&key).await?;
        return Err(wrong("验证码错误次数过多，请重新获取"));
    }
    if !constant_time_eq(&code_hash(&key, code), &v.code_hash) {
        state.store.bump_verification(&key).await?;
        let left = MAX_ATTEMPTS - v.attempts - 1;
        if left <= 0 {
            state.store.delete_verification(&key).await?;
            return Err(wrong("验证码错误次数过多，请重新获取"));
        }
        return Err(wrong(format!("验证码不正确，还可尝试{left}次")));
    }
    Ok(())
}

/// Uses up the code of `phone` for `purpose`.
pub async fn consume(
    state: &AppState,
    purpose: Purpose,
    phone: &PhoneNumber,
) -> Result<(), AppError> {
    Ok(state
        .store
        .delete_verification(&key(state, purpose, phone))
        .await?)
}

fn grant_key(grant: &str) -> String {
    auth::token_hash(&format!("grant:{grant}"))
}

fn grant_binding(case: CaseId, party: u32) -> String {
    auth::token_hash(&format!("{case}:{party}"))
}

/// A grant for party `party` of `case`, valid for half an hour.
pub async fn grant(state: &AppState, case: CaseId, party: u32) -> Result<String, AppError> {
    let token = auth::random_token();
    state
        .store
        .put_verification(
            &grant_key(&token),
            &Verification {
                code_hash: grant_binding(case, party),
                expires_at: state.now().plus_seconds(GRANT_TTL_SECS),
                attempts: 0,
            },
        )
        .await?;
    Ok(token)
}

/// Whether `grant` is a live grant for party `party` of `case`.
pub async fn check_grant(
    state: &AppState,
    grant: &str,
    case: CaseId,
    party: u32,
) -> Result<(), AppError> {
    let expired = || AppError::Forbidden {
        code: "grant_expired",
        message: "查询已超时，请重新验证手机号后再评价".to_owned(),
    };
    if grant.is_empty() {
        return Err(expired());
    }
    let v = state
        .store
        .verification(&grant_key(grant))
        .await?
        .ok_or_else(expired)?;
    if v.expires_at < state.now() || !constant_time_eq(&v.code_hash, &grant_binding(case, party)) {
        return Err(expired());
    }
    Ok(())
}
