//! The reference court receiver (诉非对接): what a court's system must do with what the platform
//! sends, small enough to run in tests and as `hejie court-receiver`. It checks the platform's
//! SM2 signature and the schema, takes each idempotency key once, and answers a repeat with the
//! same receipt; in tests it can lose its answers to prove the platform's delivery retries
//! without filing twice.

use std::sync::{Arc, Mutex};

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use hejie_domain::court::{CONFIRMATION_SCHEMA, ConfirmationV1, FilingV1, Receipt, SCHEMA};
use hejie_domain::mediation::SignatureAlgorithm;

/// The filings the receiver took, by idempotency key (in memory: a court's own system keeps
/// them durably), and its behaviour in tests.
#[derive(Debug, Default)]
pub struct Court {
    /// The platform's public key (hex), as configured at the court.
    pub public_key: String,
    pub filed: Mutex<Vec<(String, FilingV1, Receipt)>>,
    /// Applications for judicial confirmation taken, by idempotency key.
    pub confirmations: Mutex<Vec<(String, ConfirmationV1, Receipt)>>,
    /// How many times the same key was presented again.
    pub repeats: Mutex<u32>,
    /// Answer with an error after filing the next this many requests, as if the answer
    /// were lost on the way back.
    pub lose_answers: Mutex<u32>,
    pub court_code: String,
}

impl Court {
    pub fn new(public_key: &str) -> Arc<Self> {
        Arc::new(Court {
            public_key: public_key.to_owned(),
            court_code: "浙0121".to_owned(),
            ..Court::default()
        })
    }

    /// How many distinct filings were taken.
    pub fn count(&self) -> usize {
        self.filed.lock().map(|f| f.len()).unwrap_or(0)
    }
}

pub fn router(court: Arc<Court>) -> axum::Router {
    axum::Router::new()
        .route("/filings", post(take))
        .with_state(court)
}

/// The year of an RFC 3339 time, which numbers the court's receipts (（2026）浙0121民特1号).
fn year_of(rfc3339: &str) -> Option<&str> {
    rfc3339
        .get(..4)
        .filter(|y| y.bytes().all(|b| b.is_ascii_digit()))
        .filter(|_| rfc3339.as_bytes().get(4) == Some(&b'-'))
}

fn refuse(status: StatusCode, message: &str) -> Response {
    (status, Json(serde_json::json!({ "error": message }))).into_response()
}

async fn take(
    State(court): State<Arc<Court>>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    let key = header("idempotency-key");
    if key.is_empty() {
        return refuse(StatusCode::BAD_REQUEST, "missing Idempotency-Key");
    }
    if header("x-hejie-public-key") != court.public_key
        || hejie_crypto::sign::verify(
            SignatureAlgorithm::Sm2,
            &court.public_key,
            &body,
            &header("x-hejie-signature"),
        )
        .is_err()
    {
        return refuse(StatusCode::UNAUTHORIZED, "signature does not verify");
    }
    let schema = header("x-hejie-schema");
    if schema == CONFIRMATION_SCHEMA {
        let Ok(app) = serde_json::from_slice::<ConfirmationV1>(&body) else {
            return refuse(StatusCode::UNPROCESSABLE_ENTITY, "not an application");
        };
        if app.application_id != key {
            return refuse(StatusCode::UNPROCESSABLE_ENTITY, "key mismatch");
        }
        let Ok(mut taken) = court.confirmations.lock() else {
            return refuse(StatusCode::INTERNAL_SERVER_ERROR, "poisoned");
        };
        let Some(year) = year_of(&app.applied_at) else {
            return refuse(StatusCode::UNPROCESSABLE_ENTITY, "applied_at is not a date");
        };
        let receipt = match taken.iter().find(|(k, _, _)| *k == key) {
            Some((_, _, r)) => r.clone(),
            None => {
                let n = taken.len() + 1;
                let r = Receipt {
                    receipt: format!("（{year}）{}民特{n}号", court.court_code),
                    received_at: app.applied_at.clone(),
                };
                taken.push((key, app, r.clone()));
                r
            }
        };
        return (StatusCode::OK, Json(receipt)).into_response();
    }
    let Ok(package) = serde_json::from_slice::<FilingV1>(&body) else {
        return refuse(StatusCode::UNPROCESSABLE_ENTITY, "not a filing package");
    };
    if package.schema != SCHEMA || package.filing_id != key {
        return refuse(
            StatusCode::UNPROCESSABLE_ENTITY,
            "unknown schema or key mismatch",
        );
    }
    let Some(year) = year_of(&package.requested_at) else {
        return refuse(
            StatusCode::UNPROCESSABLE_ENTITY,
            "requested_at is not a date",
        );
    };
    let Ok(mut filed) = court.filed.lock() else {
        return refuse(StatusCode::INTERNAL_SERVER_ERROR, "poisoned");
    };
    let receipt = if let Some((_, _, r)) = filed.iter().find(|(k, _, _)| *k == key) {
        if let Ok(mut n) = court.repeats.lock() {
            *n += 1;
        }
        r.clone()
    } else {
        let n = filed.len() + 1;
        let r = Receipt {
            receipt: format!("（{year}）{}诉前调{n}号", court.court_code),
            received_at: package.requested_at.clone(),
        };
        tracing::info!(filing = %key, case = %package.case_number, receipt = %r.receipt, "court filing received");
        filed.push((key, package, r.clone()));
        r
    };
    drop(filed);
    if let Ok(mut lose) = court.lose_answers.lock()
        && *lose > 0
    {
        *lose -= 1;
        return refuse(StatusCode::BAD_GATEWAY, "the answer was lost on the way");
    }
    (StatusCode::OK, Json(receipt)).into_response()
}

#[cfg(test)]
mod tests {
    use super::year_of;

    #[test]
    fn receipts_are_numbered_by_the_year_of_an_rfc3339_time_and_nothing_else() {
        let check = |time: &str, expected: Option<&str>| {
            assert_eq!(year_of(time), expected, "{time}");
        };
        check("2028-01-24T09:30:00+08:00", Some("2028"));
        check("2026-12-07T21:00:00Z", Some("2026"));
        check("", None);
        check("202", None);
        check("二〇二六年", None);
        check("20261207", None);
    }
}
