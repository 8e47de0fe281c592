//! Filing with the court when mediation failed (诉非对接): the filing package, its durable
//! delivery.
//!
//! - **The package** (`hejie.court-filing/v1`, documented in `docs/court-filing-v1.md`): the
//!   parties (with their full ID numbers and phones, which the court needs), the claims, the
//!   facts, the evidence files with their SHA-256, and the mediation record (sessions and how
//!   it ended). It is rebuilt from the case's event log on every attempt, so nothing with
//!   personal data in clear is stored, and it is the same bytes every time (JCS).
//! - **Delivery** is a scheduler job per filing (`filing:<id>`): durable (a row in the jobs
//!   table, leased, taken over when a node dies), retried with exponential backoff up to six
//!   hours between attempts for as long as it takes, never dropped. Each attempt POSTs the
//!   package signed with the platform's SM2 key and carries the filing id as its
//!   `Idempotency-Key`, so a retry after a lost answer files nothing twice; the court's receipt
//!   is recorded as a case event in the same transaction that completes the job.
//! - **The reference receiver** is the `hejie-court-receiver` crate; the wire format both sides
//!   share is `hejie_domain::court`.

use hejie_domain::case::{Case, CaseId, Command, EventBody, Meta, Outcome};
use hejie_domain::mediation::SignatureAlgorithm;
use hejie_domain::timestamp::Timestamp;
use hejie_store::work::{Effects, Job};

use crate::workflow::jobs::{BackgroundJob, JobError};
use hejie_store::{StoreError, StoredEvent};
use serde::{Deserialize, Serialize};

pub use hejie_domain::court::{
    CONFIRMATION_SCHEMA, ConfirmationV1, DutyV1, EvidenceV1, FilingV1, MediationV1, PartyV1,
    Receipt, SCHEMA, SessionV1, SignatureV1,
};

use crate::state::AppState;

/// The scheduler job kind of a filing's delivery.
pub const FILING_JOB: &str = "court_filing";
/// Who signs the packages: the platform's own key.
pub const PLATFORM_SIGNER: &str = "platform:court-filing";
/// The longest wait between two attempts.
const MAX_BACKOFF_SECS: i64 = 6 * 3600;

/// The package of `filing_id`, from the case and its events.
pub fn package(
    state: &AppState,
    case: &Case,
    events: &[StoredEvent],
    filing_id: &str,
) -> Option<FilingV1> {
    let filing = case.filings.iter().find(|f| f.filing_id == filing_id)?;
    let open = |s: &Option<hejie_domain::personal::Sealed>| {
        s.as_ref().and_then(|s| state.sealer.open(s).ok())
    };
    let (outcome, reason, remedies) = match &case.outcome {
        Some(Outcome::Failed {
            reason,
            remedies_informed,
        }) => ("failed", reason.clone(), *remedies_informed),
        Some(Outcome::Referred { reason, .. }) => ("referred", reason.clone(), true),
        _ => ("other", String::new(), false),
    };
    // Up to the request: what the court is sent does not change with later events.
    let upto: Vec<&StoredEvent> = events
        .iter()
        .take_while(|e| {
            !matches!(&e.event.body, EventBody::FilingRequested { filing_id: f, .. } if f == filing_id)
        })
        .collect();
    let sessions = upto
        .iter()
        .filter_map(|e| match &e.event.body {
            EventBody::SessionRecorded {
                held_at,
                mode,
                place,
                attendees,
                minutes,
            } => Some(SessionV1 {
                held_at: crate::present::rfc3339(*held_at),
                mode: mode.code().to_owned(),
                place: place.clone(),
                attendees: attendees.clone(),
                minutes: minutes.clone(),
            }),
            _ => None,
        })
        .collect();
    let head = events
        .iter()
        .find(|e| {
            matches!(&e.event.body, EventBody::FilingRequested { filing_id: f, .. } if f == filing_id)
        })
        .map(|e| e.hash.clone())
        .unwrap_or_default();
    Some(FilingV1 {
        schema: SCHEMA.to_owned(),
        filing_id: filing.filing_id.clone(),
        case_number: case.number.to_string(),
        court: filing.court.clone(),
        requested_at: crate::present::rfc3339(filing.requested_at),
        division: case.location.division.to_string(),
        dispute_type: case.dispute_type.map(|t| t.code().to_owned()),
        parties: case
            .parties
            .iter()
            .map(|p| PartyV1 {
                role: p.role.code().to_owned(),
                kind: p.kind.code().to_owned(),
                name: p.name.clone(),
                id_number: open(&p.id_number),
                phone: open(&p.phone),
                address: p.address.clone(),
            })
            .collect(),
        claims: filing.claims.clone(),
        facts: case.description.clone(),
        amount_yuan: case.amount.map(|m| {
            let fen = m.fen();
            format!("{}.{:02}", fen / 100, fen % 100)
        }),
        evidence: case
            .evidence
            .iter()
            .map(|e| EvidenceV1 {
                name: e.name.clone(),
                sha256: e.sha256.clone(),
                content_type: e.content_type.clone(),
                size: e.size,
                description: e.description.clone(),
            })
            .collect(),
        mediation: MediationV1 {
            organisation: case.holder.as_ref().map(|h| h.organisation.name.clone()),
            mediator: case.mediator.as_ref().map(|m| m.name.clone()),
            sessions,
            outcome: outcome.to_owned(),
            reason,
            remedies_informed: remedies,
        },
        record_head: head,
    })
}

/// The scheduler job kind of an application's delivery.
pub const CONFIRMATION_JOB: &str = "court_confirmation";

/// The application package, from the case.
pub fn confirmation_package(state: &AppState, case: &Case) -> Option<ConfirmationV1> {
    let applied = case.confirmation.as_ref()?;
    let record = case.agreement.as_ref()?;
    let a = record.agreement.draft();
    let open = |s: &Option<hejie_domain::personal::Sealed>| {
        s.as_ref().and_then(|s| state.sealer.open(s).ok())
    };
    let name = |s: hejie_domain::mediation::Signer| match s {
        hejie_domain::mediation::Signer::Party(i) => case
            .parties
            .get(i as usize)
            .map(|p| p.name.clone())
            .unwrap_or_default(),
        hejie_domain::mediation::Signer::Mediator => "调解员".to_owned(),
    };
    Some(ConfirmationV1 {
        schema: CONFIRMATION_SCHEMA.to_owned(),
        application_id: format!("confirmation:{}", case.id),
        case_number: case.number.to_string(),
        court: applied.court.clone(),
        applied_at: crate::present::rfc3339(applied.applied_at),
        deadline: applied.deadline.date_cst().to_string(),
        applicants: applied
            .applicants
            .iter()
            .filter_map(|i| case.parties.get(*i as usize))
            .map(|p| PartyV1 {
                role: p.role.code().to_owned(),
                kind: p.kind.code().to_owned(),
                name: p.name.clone(),
                id_number: open(&p.id_number),
                phone: open(&p.phone),
                address: p.address.clone(),
            })
            .collect(),
        committee: a.committee.clone(),
        mediator: a.mediator.clone(),
        agreement_number: crate::agreement::doc_number(&case.number),
        agreement_version: record.version,
        content_hash: record.content_hash.clone(),
        effective_at: record
            .effective_at
            .map(crate::present::rfc3339)
            .unwrap_or_default(),
        terms: a.terms.clone(),
        duties: a
            .duties
            .iter()
            .map(|d| DutyV1 {
                party: d.party.clone(),
                duty: d.duty.clone(),
                amount_yuan: d.amount.map(|m| {
                    let fen = m.fen();
                    format!("{}.{:02}", fen / 100, fen % 100)
                }),
                manner: d.manner.clone(),
                due: d.due.date_cst().to_string(),
            })
            .collect(),
        signatures: record
            .signing
            .signatures
            .iter()
            .map(|x| SignatureV1 {
                signer: name(x.signer),
                algorithm: serde_json::to_value(x.algorithm)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default(),
                public_key: x.public_key.clone(),
                signature: x.signature.clone(),
                signed_at: crate::present::rfc3339(x.at),
            })
            .collect(),
    })
}

/// The job that delivers an application for judicial confirmation.
pub fn confirmation_job(case: CaseId, due_at: Timestamp) -> hejie_store::work::NewJob {
    hejie_store::work::NewJob {
        key: format!("confirmation:{case}"),
        kind: CONFIRMATION_JOB.to_owned(),
        due_at,
        payload: serde_json::json!({ "case": case.to_string(), "filing": format!("confirmation:{case}") })
            .to_string(),
    }
}

/// The job that delivers a filing.
pub fn job_for(case: CaseId, filing_id: &str, due_at: Timestamp) -> hejie_store::work::NewJob {
    hejie_store::work::NewJob {
        key: format!("filing:{filing_id}"),
        kind: FILING_JOB.to_owned(),
        due_at,
        payload: serde_json::json!({ "case": case.to_string(), "filing": filing_id }).to_string(),
    }
}

/// The wait before attempt `attempts + 1`: one minute, doubling, at most six hours.
pub fn backoff_secs(attempts: u32) -> i64 {
    let exp = attempts.min(20);
    (60_i64.saturating_mul(1_i64 << exp)).min(MAX_BACKOFF_SECS)
}

/// The headers an attempt carries besides the body.
#[derive(Debug, Clone)]
pub struct Signed {
    pub body: Vec<u8>,
    pub idempotency_key: String,
    pub schema: &'static str,
    pub public_key: String,
    pub signature: String,
}

/// The package as bytes (JCS) with the platform's SM2 signature over them.
pub fn sign(state: &AppState, package: &FilingV1) -> Result<Signed, StoreError> {
    sign_as(state, package, &package.filing_id, SCHEMA)
}

/// Any package as bytes (JCS), signed, with its idempotency key and schema.
pub fn sign_as(
    state: &AppState,
    package: &impl Serialize,
    idempotency_key: &str,
    schema: &'static str,
) -> Result<Signed, StoreError> {
    let body = serde_jcs::to_vec(package).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    let key = state
        .keys
        .signing_key(PLATFORM_SIGNER, SignatureAlgorithm::Sm2);
    Ok(Signed {
        signature: key.sign_hex(&body),
        public_key: key.public_hex(),
        idempotency_key: idempotency_key.to_owned(),
        schema,
        body,
    })
}

/// The platform's public key for court filings, for the court to configure.
pub fn platform_public_key(state: &AppState) -> String {
    state
        .keys
        .signing_key(PLATFORM_SIGNER, SignatureAlgorithm::Sm2)
        .public_hex()
}

/// Posts a signed package to `endpoint` (`http://host:port/path`). `Ok(None)` when the court
/// answered but did not take it (to be retried), `Err` when it could not be reached.
pub async fn post(endpoint: &str, signed: &Signed) -> Result<Option<Receipt>, String> {
    use http_body_util::{BodyExt, Full};
    use hyper::body::Bytes;
    let uri: hyper::Uri = endpoint.parse().map_err(|e| format!("bad endpoint: {e}"))?;
    if uri.scheme_str() != Some("http") {
        return Err("only http:// endpoints (behind the deployment's TLS gateway)".to_owned());
    }
    let host = uri.host().ok_or("endpoint without host")?.to_owned();
    let port = uri.port_u16().unwrap_or(80);
    let stream = tokio::time::timeout(
        std::time::Duration::from_secs(10),
        tokio::net::TcpStream::connect((host.as_str(), port)),
    )
    .await
    .map_err(|_| "connecting timed out".to_owned())?
    .map_err(|e| format!("connecting: {e}"))?;
    let (mut sender, conn) =
        hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream))
            .await
            .map_err(|e| format!("handshake: {e}"))?;
    tokio::spawn(conn);
    let path = uri
        .path_and_query()
        .map_or("/", hyper::http::uri::PathAndQuery::as_str)
        .to_owned();
    let req = hyper::Request::post(path)
        .header(hyper::header::HOST, format!("{host}:{port}"))
        .header(hyper::header::CONTENT_TYPE, "application/json")
        .header("idempotency-key", &signed.idempotency_key)
        .header("x-hejie-schema", signed.schema)
        .header("x-hejie-public-key", &signed.public_key)
        .header("x-hejie-signature", &signed.signature)
        .body(Full::new(Bytes::from(signed.body.clone())))
        .map_err(|e| format!("request: {e}"))?;
    let res = tokio::time::timeout(std::time::Duration::from_secs(30), sender.send_request(req))
        .await
        .map_err(|_| "the court did not answer in 30 s".to_owned())?
        .map_err(|e| format!("sending: {e}"))?;
    let status = res.status();
    let body = res
        .into_body()
        .collect()
        .await
        .map_err(|e| format!("reading the answer: {e}"))?
        .to_bytes();
    if !status.is_success() {
        return Ok(None);
    }
    serde_json::from_slice(&body)
        .map(Some)
        .map_err(|e| format!("the court's answer is not a receipt: {e}"))
}

/// One delivery to the court (payload: the case and the filing's id; for an application for
/// judicial confirmation, the application's). `CONFIRMATION` says which of the two documents it
/// carries; each has its own job kind.
#[derive(Debug, Deserialize)]
pub struct CourtDelivery<const CONFIRMATION: bool> {
    case: uuid::Uuid,
    filing: String,
}

/// The delivery of a filing with the court after a failed mediation.
pub type FilingDelivery = CourtDelivery<false>;
/// The delivery of the joint application for judicial confirmation.
pub type ConfirmationDelivery = CourtDelivery<true>;

impl<const CONFIRMATION: bool> BackgroundJob for CourtDelivery<CONFIRMATION> {
    const KIND: &'static str = if CONFIRMATION {
        CONFIRMATION_JOB
    } else {
        FILING_JOB
    };

    async fn run(self, state: &AppState, job: &Job, now: Timestamp) -> Result<(), JobError> {
        deliver(
            state,
            job,
            CaseId(self.case),
            &self.filing,
            CONFIRMATION,
            now,
        )
        .await
    }
}

/// Runs one attempt of a delivery to the court: a filing, or an application for judicial
/// confirmation.
async fn deliver(
    state: &AppState,
    job: &Job,
    case_id: CaseId,
    filing: &str,
    confirmation: bool,
    now: Timestamp,
) -> Result<(), JobError> {
    let st = state.store.load(case_id).await?;
    let case = st
        .case()
        .ok_or_else(|| JobError::Failed(format!("delivery of a missing case {case_id}")))?;
    let done = Effects {
        complete: Some(job.lease.clone()),
        ..Effects::default()
    };
    // Received already (an earlier attempt's answer was recorded): nothing left to do.
    let received = if confirmation {
        case.confirmation
            .as_ref()
            .is_some_and(|c| c.receipt.is_some())
    } else {
        case.filings
            .iter()
            .any(|f| f.filing_id == filing && f.receipt.is_some())
    };
    if received {
        return Ok(state.store.apply_effects(done, now).await?);
    }
    let signed = if confirmation {
        let package = confirmation_package(state, case)
            .ok_or_else(|| JobError::Failed(format!("no confirmation application on {case_id}")))?;
        sign_as(
            state,
            &package,
            &package.application_id,
            CONFIRMATION_SCHEMA,
        )?
    } else {
        let events = state.store.events(case_id).await?;
        let package = package(state, case, &events, filing)
            .ok_or_else(|| JobError::Failed(format!("no filing {filing} on {case_id}")))?;
        sign(state, &package)?
    };
    let attempt = match &state.config.court_endpoint {
        None => Err("no court endpoint is configured (HEJIE_COURT_ENDPOINT)".to_owned()),
        Some(endpoint) => post(endpoint, &signed).await,
    };
    match attempt {
        Ok(Some(receipt)) => {
            let meta = Meta {
                actor: crate::workflow::system_actor(),
                at: now,
                division: case.location.division.clone(),
            };
            let command = if confirmation {
                Command::RecordConfirmationReceipt {
                    receipt: receipt.receipt.clone(),
                }
            } else {
                Command::RecordFilingReceipt {
                    filing_id: filing.to_owned(),
                    receipt: receipt.receipt.clone(),
                }
            };
            Ok(
                crate::workflow::scheduler::commit_with_completion(state, &st, meta, command, job)
                    .await?,
            )
        }
        Ok(None) | Err(_) => {
            let why = match &attempt {
                Err(e) => e.clone(),
                _ => "the court did not accept it".to_owned(),
            };
            let retry = now.plus_seconds(backoff_secs(job.attempts.saturating_sub(1)));
            tracing::warn!(key = %job.key, attempts = job.attempts, error = %why, "delivery to the court failed; will retry");
            Ok(state.store.fail_job(&job.lease, &why, Some(retry)).await?)
        }
    }
}
