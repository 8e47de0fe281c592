//! The rules of law online mediation must respect (人民调解法), as pure values and functions:
//! both parties' consent before mediating (Art. 17), the written agreement and what it must
//! state (Art. 29), its signatures and when it takes effect, and the joint application for
//! judicial confirmation within 30 days (Art. 33).
//!
//! The case aggregate records each step as an event of the case (issue 6, ADR 0012); the rules
//! live here so they are decided in one place and tested without it. Cryptography stays out: a
//! signature arrives already verified by the application layer (`hejie-crypto`), and this module
//! checks what the law and the record need of it: who signed, over which version of the
//! document, after re-verifying their identity, and whether everybody has.

use serde::{Deserialize, Serialize};
use time::{Date, Duration};

use crate::calendar::WorkCalendar;
use crate::error::ValidationError;
use crate::money::Money;
use crate::timestamp::{Timestamp, chinese_date};

/// Why a step of online mediation was refused. Messages are for people, in Chinese, and name
/// the article they apply.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MediationError {
    #[error("{0}")]
    Validation(#[from] ValidationError),
    #[error("当事人{0}明确拒绝调解，不得调解（《人民调解法》第十七条）")]
    ConsentRefused(String),
    #[error("尚待{0}同意调解，双方同意后方可开始（《人民调解法》第十七条）")]
    ConsentPending(String),
    #[error("该当事人已拒绝调解，本次在线调解已终止，如需调解请重新申请")]
    AlreadyRefused,
    #[error("没有该当事人")]
    NoSuchParty,
    #[error("签名所对应的协议版本与当前协议书不一致，请阅读最新版本后重新签名")]
    DocumentChanged,
    #[error("签名前须重新验证身份（短信验证码）")]
    IdentityNotVerified,
    #[error("{0}已签名，不能重复签名")]
    AlreadySigned(String),
    #[error("调解协议书尚未经各方当事人和调解员签名，尚未生效（《人民调解法》第二十九条）")]
    NotEffective,
    #[error("司法确认须由双方当事人共同申请，尚缺{0}（《人民调解法》第三十三条）")]
    NotJoint(String),
    #[error(
        "调解协议自{effective}生效，申请司法确认的期限已于{deadline}届满（《人民调解法》第三十三条）"
    )]
    TooLate { effective: String, deadline: String },
    #[error("尚未起草调解协议书")]
    NoAgreement,
    #[error("调解协议已经生效，不能再修改；如需变更，应由当事人另行达成协议")]
    AlreadyEffective,
    #[error("只有本案的调解员才能以调解员身份签名")]
    NotTheMediator,
    #[error("当事人本人才能以当事人身份签名")]
    NotTheParty,
    #[error("已经申请司法确认，不能重复申请")]
    AlreadyApplied,
    #[error("尚未申请司法确认")]
    NotApplied,
    #[error("法院已就司法确认申请作出裁定")]
    AlreadyRuled,
    #[error("文书校验码应为64位十六进制数")]
    BadHash,
}

impl MediationError {
    /// A stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            MediationError::Validation(_) => "validation",
            MediationError::ConsentRefused(_) => "consent_refused",
            MediationError::ConsentPending(_) => "consent_pending",
            MediationError::AlreadyRefused => "already_refused",
            MediationError::NoSuchParty => "no_such_party",
            MediationError::DocumentChanged => "document_changed",
            MediationError::IdentityNotVerified => "identity_not_verified",
            MediationError::AlreadySigned(_) => "already_signed",
            MediationError::NotEffective => "not_effective",
            MediationError::NotJoint(_) => "not_joint",
            MediationError::TooLate { .. } => "too_late",
            MediationError::NoAgreement => "no_agreement",
            MediationError::AlreadyEffective => "already_effective",
            MediationError::NotTheMediator => "not_the_mediator",
            MediationError::NotTheParty => "not_the_party",
            MediationError::AlreadyApplied => "already_applied",
            MediationError::NotApplied => "not_applied",
            MediationError::AlreadyRuled => "already_ruled",
            MediationError::BadHash => "bad_hash",
        }
    }
}

/// A party's answer to the invitation to mediate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "answer", rename_all = "snake_case")]
pub enum ConsentAnswer {
    Consented,
    /// An explicit refusal: mediation must not go on (Art. 17).
    Refused {
        reason: Option<String>,
    },
}

/// The parties' answers, by party index (the case's party order), latest answer last.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Consents {
    /// The parties' names, in the case's order.
    pub parties: Vec<String>,
    pub answers: Vec<(u32, ConsentAnswer, Timestamp)>,
}

impl Consents {
    pub fn new(parties: Vec<String>) -> Self {
        Self {
            parties,
            answers: Vec::new(),
        }
    }

    /// Records a party's answer. A party who consented may still refuse later (consent can be
    /// withdrawn until the agreement is signed); once anybody has refused, the online path has
    /// ended and no later answer revives it.
    pub fn answer(
        &mut self,
        party: u32,
        answer: ConsentAnswer,
        at: Timestamp,
    ) -> Result<(), MediationError> {
        self.name(party)?;
        if self.refused_by().is_some() {
            return Err(MediationError::AlreadyRefused);
        }
        if let ConsentAnswer::Refused { reason } = &answer
            && reason.as_ref().is_some_and(|r| r.chars().count() > 500)
        {
            return Err(
                ValidationError::new("consent.reason", "拒绝理由不能超过500字".to_owned()).into(),
            );
        }
        self.answers.push((party, answer, at));
        Ok(())
    }

    /// The first party who refused, if anybody did.
    pub fn refused_by(&self) -> Option<u32> {
        self.answers
            .iter()
            .find(|(_, a, _)| matches!(a, ConsentAnswer::Refused { .. }))
            .map(|(p, _, _)| *p)
    }

    /// Whether mediation may start: every party consented and nobody refused (Art. 17).
    pub fn may_mediate(&self) -> Result<(), MediationError> {
        if let Some(p) = self.refused_by() {
            return Err(MediationError::ConsentRefused(self.name(p)?.to_owned()));
        }
        let waiting: Vec<&str> = (0..self.parties.len())
            .filter(|i| {
                !self
                    .answers
                    .iter()
                    .any(|(p, a, _)| *p as usize == *i && *a == ConsentAnswer::Consented)
            })
            .map(|i| self.parties[i].as_str())
            .collect();
        if waiting.is_empty() {
            Ok(())
        } else {
            Err(MediationError::ConsentPending(waiting.join("、")))
        }
    }

    fn name(&self, party: u32) -> Result<&str, MediationError> {
        self.parties
            .get(party as usize)
            .map(String::as_str)
            .ok_or(MediationError::NoSuchParty)
    }
}

/// A party as the agreement states them (their basic information, Art. 29).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgreementParty {
    pub name: String,
    /// 申请人 / 被申请人, as the document prints it.
    pub role: String,
    /// The masked ID number: the full one is never printed on a document that circulates.
    pub id_masked: Option<String>,
    pub address: Option<String>,
}

/// One obligation: who does what, how and by when (Art. 29: 履行方式、时限).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Duty {
    /// The party who must perform, by name (one of the agreement's parties).
    pub party: String,
    pub duty: String,
    pub amount: Option<Money>,
    /// How it is performed, e.g. 银行转账至申请人账户.
    pub manner: String,
    /// The deadline of performance (like every instant in the record, microseconds UTC).
    pub due: Timestamp,
}

/// A drafted 人民调解协议书, before it is checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgreementDraft {
    pub parties: Vec<AgreementParty>,
    /// 纠纷的主要事实.
    pub facts: String,
    /// 争议事项.
    pub disputed_points: String,
    /// 各方当事人的责任.
    pub liability: String,
    /// 当事人达成调解协议的内容, one term per item.
    pub terms: Vec<String>,
    pub duties: Vec<Duty>,
    pub mediator: String,
    /// The people's mediation committee whose seal the agreement bears.
    pub committee: String,
}

/// An agreement that states everything Art. 29 requires.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Agreement(AgreementDraft);

impl Agreement {
    pub fn draft(&self) -> &AgreementDraft {
        &self.0
    }
}

const TEXT_MAX: usize = 5000;

fn required(field: &'static str, what: &str, value: &str) -> Result<String, ValidationError> {
    let v = value.trim();
    if v.is_empty() {
        return Err(ValidationError::new(
            field,
            format!("调解协议书应载明{what}（《人民调解法》第二十九条）"),
        ));
    }
    if v.chars().count() > TEXT_MAX {
        return Err(ValidationError::new(
            field,
            format!("{what}不能超过{TEXT_MAX}字"),
        ));
    }
    Ok(v.to_owned())
}

impl AgreementDraft {
    /// Checks that the agreement states everything Art. 29 requires: the parties' basic
    /// information, the main facts, the disputed points and each side's liability, the agreed
    /// terms, and for each obligation its manner and deadline of performance.
    pub fn check(mut self) -> Result<Agreement, ValidationError> {
        if self.parties.len() < 2 {
            return Err(ValidationError::new(
                "agreement.parties",
                "调解协议书应载明双方当事人的基本情况（《人民调解法》第二十九条）".to_owned(),
            ));
        }
        for p in &mut self.parties {
            p.name = required("agreement.parties.name", "当事人姓名或名称", &p.name)?;
            p.role = required("agreement.parties.role", "当事人的身份", &p.role)?;
        }
        self.facts = required("agreement.facts", "纠纷的主要事实", &self.facts)?;
        self.disputed_points = required(
            "agreement.disputed_points",
            "争议事项",
            &self.disputed_points,
        )?;
        self.liability = required("agreement.liability", "各方当事人的责任", &self.liability)?;
        self.terms = self
            .terms
            .iter()
            .map(|t| t.trim().to_owned())
            .filter(|t| !t.is_empty())
            .collect();
        if self.terms.is_empty() {
            return Err(ValidationError::new(
                "agreement.terms",
                "调解协议书应载明当事人达成调解协议的内容（《人民调解法》第二十九条）".to_owned(),
            ));
        }
        for d in &mut self.duties {
            if !self.parties.iter().any(|p| p.name == d.party.trim()) {
                return Err(ValidationError::new(
                    "agreement.duties.party",
                    format!("履行义务人“{}”不是本协议的当事人", d.party.trim()),
                ));
            }
            d.party = d.party.trim().to_owned();
            d.duty = required("agreement.duties.duty", "履行的义务", &d.duty)?;
            d.manner = required("agreement.duties.manner", "履行方式", &d.manner)?;
        }
        self.mediator = required("agreement.mediator", "调解员", &self.mediator)?;
        self.committee = required("agreement.committee", "人民调解委员会", &self.committee)?;
        Ok(Agreement(self))
    }
}

/// Who signs an agreement: each party, and the mediator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "signer", content = "party", rename_all = "snake_case")]
pub enum Signer {
    Party(u32),
    Mediator,
}

/// The digital signature schemes an agreement may be signed with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SignatureAlgorithm {
    Sm2,
    Ed25519,
}

/// One signature, verified by the application layer before it is offered here.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Signature {
    pub signer: Signer,
    /// The SHA-256 (hex) of the agreement document that was signed.
    pub document_hash: String,
    pub algorithm: SignatureAlgorithm,
    pub public_key: String,
    pub signature: String,
    /// The signer re-verified their identity (an SMS code) just before signing.
    pub identity_verified: bool,
    pub at: Timestamp,
}

/// The signatures collected on one version of an agreement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Signing {
    pub parties: Vec<String>,
    pub document_hash: String,
    pub signatures: Vec<Signature>,
}

impl Signing {
    pub fn new(parties: Vec<String>, document_hash: String) -> Self {
        Self {
            parties,
            document_hash,
            signatures: Vec::new(),
        }
    }

    /// Adds a signature. Returns when the agreement took effect, if this was the last
    /// signature it needed (every party and the mediator, Art. 29).
    pub fn sign(&mut self, s: Signature) -> Result<Option<Timestamp>, MediationError> {
        let who = self.label(s.signer)?;
        if s.document_hash != self.document_hash {
            return Err(MediationError::DocumentChanged);
        }
        if !s.identity_verified {
            return Err(MediationError::IdentityNotVerified);
        }
        if self.signatures.iter().any(|x| x.signer == s.signer) {
            return Err(MediationError::AlreadySigned(who));
        }
        let at = s.at;
        self.signatures.push(s);
        Ok(self.missing().is_empty().then_some(at))
    }

    /// Who has not signed yet, parties first.
    pub fn missing(&self) -> Vec<Signer> {
        (0..self.parties.len() as u32)
            .map(Signer::Party)
            .chain([Signer::Mediator])
            .filter(|s| !self.signatures.iter().any(|x| x.signer == *s))
            .collect()
    }

    /// When the last needed signature was given: the agreement took effect then.
    pub fn effective_at(&self) -> Option<Timestamp> {
        if self.missing().is_empty() {
            self.signatures.iter().map(|s| s.at).max()
        } else {
            None
        }
    }

    fn label(&self, s: Signer) -> Result<String, MediationError> {
        match s {
            Signer::Party(i) => self
                .parties
                .get(i as usize)
                .cloned()
                .ok_or(MediationError::NoSuchParty),
            Signer::Mediator => Ok("调解员".to_owned()),
        }
    }
}

/// Days after the agreement takes effect within which the parties may apply for judicial
/// confirmation (Art. 33).
pub const CONFIRMATION_DAYS: i64 = 30;

/// The last day the parties may apply for judicial confirmation of an agreement that took effect
/// at `effective`: 30 days counted from the next day, and when that day is not a working day,
/// the first working day after it (the civil procedure law's rule for periods).
pub fn confirmation_deadline(effective: Timestamp, calendar: &WorkCalendar) -> Date {
    let mut d = effective.date_cst() + Duration::days(CONFIRMATION_DAYS);
    while !calendar.is_working_day(d) {
        d += Duration::days(1);
    }
    d
}

/// Checks an application for judicial confirmation made at `now` by the parties `applicants`
/// (indices into `signing.parties`): the agreement must have taken effect, every party must
/// join (a joint application), and it must come by the deadline (Art. 33). Returns the deadline.
pub fn check_confirmation(
    signing: &Signing,
    applicants: &[u32],
    now: Timestamp,
    calendar: &WorkCalendar,
) -> Result<Date, MediationError> {
    let effective = signing.effective_at().ok_or(MediationError::NotEffective)?;
    if applicants
        .iter()
        .any(|a| *a as usize >= signing.parties.len())
    {
        return Err(MediationError::NoSuchParty);
    }
    let missing: Vec<&str> = signing
        .parties
        .iter()
        .enumerate()
        .filter(|(i, _)| !applicants.contains(&(*i as u32)))
        .map(|(_, n)| n.as_str())
        .collect();
    if !missing.is_empty() {
        return Err(MediationError::NotJoint(missing.join("、")));
    }
    let deadline = confirmation_deadline(effective, calendar);
    if now.date_cst() > deadline {
        return Err(MediationError::TooLate {
            effective: chinese_date(effective.date_cst()),
            deadline: chinese_date(deadline),
        });
    }
    Ok(deadline)
}

/// Whether `s` is a SHA-256 digest written as 64 lowercase hex characters.
pub fn is_sha256_hex(s: &str) -> bool {
    s.len() == 64
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// The agreement as the case keeps it: its current version, the signatures given on that
/// version, and when it took effect. A new draft replaces an unsigned or partly signed version
/// (the earlier versions stay in the log); an agreement in effect is never replaced.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgreementRecord {
    pub version: u32,
    pub agreement: Agreement,
    /// SHA-256 (hex) of the canonical agreement, the case number and the version: what is
    /// signed, and what every page of the PDF prints.
    pub content_hash: String,
    pub drafted_at: Timestamp,
    pub signing: Signing,
    pub effective_at: Option<Timestamp>,
}

impl AgreementRecord {
    /// A new version, with no signatures yet: signatures on an earlier version do not count.
    pub fn new(
        parties: Vec<String>,
        version: u32,
        agreement: Agreement,
        content_hash: String,
        at: Timestamp,
    ) -> Self {
        Self {
            version,
            signing: Signing::new(parties, content_hash.clone()),
            agreement,
            content_hash,
            drafted_at: at,
            effective_at: None,
        }
    }
}

/// The joint application for judicial confirmation (Art. 33) and, once it came, the court's
/// ruling.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfirmationRecord {
    pub applicants: Vec<u32>,
    pub court: String,
    /// The last day the application could be made, as that day's midnight (CST).
    pub deadline: Timestamp,
    pub applied_at: Timestamp,
    pub ruling: Option<ConfirmationRuling>,
    /// The court's receipt of the application the platform delivered, and when it came.
    #[serde(default)]
    pub receipt: Option<(String, Timestamp)>,
}

/// What the court decided on an application for judicial confirmation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfirmationRuling {
    /// 确认有效 (true) or 驳回申请 (false).
    pub confirmed: bool,
    /// The ruling's number (民事裁定书文号).
    pub ruling: String,
    pub note: Option<String>,
    pub at: Timestamp,
}

/// A file put into the case's record as evidence (证据材料): what it is by content, never by the
/// name it came with. The bytes live in the application's file store under their SHA-256; the
/// record keeps the hash, so a file produced later can be checked against it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evidence {
    /// SHA-256 of the bytes, 64 lowercase hex characters.
    pub sha256: String,
    /// The name to show and to offer for download, already cleaned by the application.
    pub name: String,
    /// The media type the content was recognised as (e.g. `image/jpeg`), not what was claimed.
    pub content_type: String,
    pub size: u64,
    pub description: Option<String>,
    /// The party who submitted it, when a party did; staff otherwise.
    pub party: Option<u32>,
}

/// What happened in a case's online mediation room (在线调解室).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "activity", rename_all = "snake_case")]
pub enum RoomActivity {
    Joined,
    Left,
    /// A chat message, kept in the record as said.
    Message {
        text: String,
    },
}

/// The longest chat message, in characters.
pub const ROOM_MESSAGE_MAX: usize = 1000;

/// A request to file the dispute with the court after mediation failed (诉非对接), and the
/// court's receipt once it came.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Filing {
    /// The filing's id: also the idempotency key of its delivery, so the court files it once.
    pub filing_id: String,
    pub court: String,
    /// What the requesting party asks the court for (诉讼请求).
    pub claims: String,
    /// The party who asked for it, when a party did through the platform.
    pub party: Option<u32>,
    pub requested_at: Timestamp,
    /// The court's receipt number and when it was recorded.
    pub receipt: Option<(String, Timestamp)>,
}
