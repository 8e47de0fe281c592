//! The wire format of 诉非对接, the contract between the platform and a court's system
//! (`docs/court-filing-v1.md`, `docs/schemas/court-filing-v1.schema.json`): the filing package
//! after a failed mediation, the joint application for judicial confirmation, and the court's
//! receipt. Plain data, shared by the platform that sends and the reference receiver that takes.

use serde::{Deserialize, Serialize};

/// The package's schema name and version.
pub const SCHEMA: &str = "hejie.court-filing/v1";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartyV1 {
    /// `applicant`, `respondent` or `third_party`.
    pub role: String,
    /// `person` or `organisation`.
    pub kind: String,
    pub name: String,
    pub id_number: Option<String>,
    pub phone: Option<String>,
    pub address: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EvidenceV1 {
    pub name: String,
    pub sha256: String,
    pub content_type: String,
    pub size: u64,
    pub description: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionV1 {
    /// RFC 3339.
    pub held_at: String,
    /// `in_person`, `online` or `phone`.
    pub mode: String,
    pub place: String,
    pub attendees: Vec<String>,
    pub minutes: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MediationV1 {
    pub organisation: Option<String>,
    pub mediator: Option<String>,
    pub sessions: Vec<SessionV1>,
    /// `failed` (调解不成) or `referred` (引导至诉讼).
    pub outcome: String,
    pub reason: String,
    /// The parties were told of their other remedies (人民调解法第二十六条).
    pub remedies_informed: bool,
}

/// The filing package, version 1.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FilingV1 {
    pub schema: String,
    /// The filing's id and idempotency key.
    pub filing_id: String,
    pub case_number: String,
    pub court: String,
    /// When the filing was requested (RFC 3339).
    pub requested_at: String,
    /// The 12-digit code of the division where the dispute arose.
    pub division: String,
    pub dispute_type: Option<String>,
    pub parties: Vec<PartyV1>,
    /// 诉讼请求.
    pub claims: String,
    /// 事实与理由: the dispute as registered.
    pub facts: String,
    pub amount_yuan: Option<String>,
    pub evidence: Vec<EvidenceV1>,
    pub mediation: MediationV1,
    /// The SHA-256 of the case's latest event when the package was made: where in the
    /// hash-chained record it comes from.
    pub record_head: String,
}

/// The schema of an application for judicial confirmation delivered to the court.
pub const CONFIRMATION_SCHEMA: &str = "hejie.confirmation-application/v1";

/// One signature on the agreement, for the court to check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignatureV1 {
    /// The party's name, or 调解员.
    pub signer: String,
    /// `sm2` or `ed25519`.
    pub algorithm: String,
    pub public_key: String,
    /// Over the agreement's `content_hash` as 64 lowercase hex characters.
    pub signature: String,
    pub signed_at: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DutyV1 {
    pub party: String,
    pub duty: String,
    pub amount_yuan: Option<String>,
    pub manner: String,
    pub due: String,
}

/// The joint application for judicial confirmation (人民调解法第三十三条), version 1: the
/// applicants, and the agreement with everything needed to check it (its content hash and every
/// signature over it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfirmationV1 {
    pub schema: String,
    /// The application's id and idempotency key: `confirmation:<case id>`.
    pub application_id: String,
    pub case_number: String,
    pub court: String,
    pub applied_at: String,
    /// The last day the application could be made (`YYYY-MM-DD`).
    pub deadline: String,
    pub applicants: Vec<PartyV1>,
    pub committee: String,
    pub mediator: String,
    pub agreement_number: String,
    pub agreement_version: u32,
    /// SHA-256 of the canonical agreement, what every signature signs.
    pub content_hash: String,
    pub effective_at: String,
    pub terms: Vec<String>,
    pub duties: Vec<DutyV1>,
    pub signatures: Vec<SignatureV1>,
}

/// The court's answer to a delivered filing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Receipt {
    pub receipt: String,
    pub received_at: String,
}
