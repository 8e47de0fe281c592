//! The 人民调解协议书 of a case and the application for its judicial confirmation (issue 6,
//! ADR 0012): the draft built from the case's record and what the mediator wrote, the content
//! hash every signature and every page carries, the PDFs (kept as documents, so every copy
//! handed out can be recognised later), signatures with the keys the platform holds for each
//! signer, and checking a PDF against the record.
//!
//! The rules (what the agreement must state, who signs, when it takes effect, the joint
//! application within 30 days) are the domain's; this module gathers what they need and turns
//! what they decided into documents.

use std::sync::Arc;

use hejie_crypto::sign::{self, SigningKey};
use hejie_domain::CommandName;
use hejie_domain::case::{Case, CaseId, CaseNumber, CaseState, Command, EventBody, Meta};
use hejie_domain::mediation::{
    AgreementDraft, AgreementParty, AgreementRecord, Duty, MediationError, Signature,
    SignatureAlgorithm, Signer,
};
use hejie_domain::money::Money;
use hejie_domain::personal::{PhoneNumber, PiiKind};
use hejie_domain::timestamp::{Timestamp, chinese_date};
use hejie_domain::user::User;
use hejie_store::documents::{DocumentInfo, NewDocument, digest};
use hejie_store::{Committed, Store};
use serde::Serialize;

use crate::cases;
use crate::error::AppError;
use crate::state::AppState;

const AGREEMENT_TEMPLATE: &str = include_str!("../templates/agreement/agreement.typ");
const CONFIRMATION_TEMPLATE: &str = include_str!("../templates/agreement/confirmation.typ");
const ENFORCEMENT_TEMPLATE: &str = include_str!("../templates/agreement/enforcement.typ");

/// The algorithm the platform signs with: SM2, the national standard (GB/T 32918).
pub const ALGORITHM: SignatureAlgorithm = SignatureAlgorithm::Sm2;

/// Document kinds in the document store.
pub const AGREEMENT_KIND: &str = "agreement";
pub const CONFIRMATION_KIND: &str = "confirmation_application";
pub const ENFORCEMENT_KIND: &str = "enforcement_application";

/// What the mediator writes; the parties, the mediator and the committee come from the case.
#[derive(Debug, Clone, Default)]
pub struct DraftInput {
    pub facts: String,
    pub disputed_points: String,
    pub liability: String,
    /// One agreed term per item; blank items are dropped.
    pub terms: Vec<String>,
    pub duties: Vec<DutyInput>,
}

/// One obligation as typed: the party by their position in the case, the amount in yuan, the
/// deadline as `YYYY-MM-DD`.
#[derive(Debug, Clone, Default)]
pub struct DutyInput {
    pub party: String,
    pub duty: String,
    pub amount: String,
    pub manner: String,
    pub due: String,
}

impl DutyInput {
    fn is_blank(&self) -> bool {
        [&self.duty, &self.amount, &self.manner, &self.due]
            .iter()
            .all(|s| s.trim().is_empty())
    }
}

/// The SHA-256 (hex) of the JCS canonical JSON of the agreement, the case number and the
/// version: what each signature signs and every page of the PDF prints.
pub fn content_hash(
    number: &CaseNumber,
    version: u32,
    agreement: &AgreementDraft,
) -> Result<String, AppError> {
    canonical_hash(&serde_json::json!({
        "case_number": number.as_str(),
        "version": version,
        "agreement": agreement,
    }))
}

fn canonical_hash(value: &impl Serialize) -> Result<String, AppError> {
    let bytes = serde_jcs::to_vec(value)
        .map_err(|e| AppError::internal(anyhow::anyhow!("canonical JSON: {e}")))?;
    Ok(hejie_crypto::sha256_hex(&bytes))
}

fn parse_day(field: &str, s: &str) -> Result<time::Date, AppError> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    time::Date::parse(s.trim(), &format)
        .map_err(|_| AppError::validation(field, "请填写履行期限（年-月-日）"))
}

/// The agreement the mediator's text makes on this case, checked against Art. 29.
pub fn build(case: &Case, input: &DraftInput) -> Result<AgreementDraft, AppError> {
    let parties = case
        .parties
        .iter()
        .map(|p| AgreementParty {
            name: p.name.clone(),
            role: p.role.label().to_owned(),
            id_masked: p.id_number.as_ref().map(|s| s.masked.clone()),
            address: p.address.clone(),
        })
        .collect();
    let mut duties = Vec::new();
    for d in input.duties.iter().filter(|d| !d.is_blank()) {
        let party = d
            .party
            .trim()
            .parse::<usize>()
            .ok()
            .and_then(|i| case.parties.get(i))
            .ok_or_else(|| AppError::validation("duties.party", "请选择履行义务的当事人"))?;
        let amount = if d.amount.trim().is_empty() {
            None
        } else {
            Some(
                Money::parse(&d.amount)
                    .map_err(|e| AppError::validation("duties.amount", e.message))?,
            )
        };
        let due = parse_day("duties.due", &d.due)?;
        duties.push(Duty {
            party: party.name.clone(),
            duty: d.duty.clone(),
            amount,
            manner: d.manner.clone(),
            due: Timestamp::midnight_cst(due),
        });
    }
    let draft = AgreementDraft {
        parties,
        facts: input.facts.clone(),
        disputed_points: input.disputed_points.clone(),
        liability: input.liability.clone(),
        terms: input.terms.clone(),
        duties,
        mediator: case
            .mediator
            .as_ref()
            .map(|m| m.name.clone())
            .unwrap_or_default(),
        committee: case
            .holder
            .as_ref()
            .map(|h| h.organisation.name.clone())
            .unwrap_or_default(),
    };
    Ok(draft.check()?.draft().clone())
}

fn no_agreement() -> AppError {
    hejie_domain::DomainError::Mediation(MediationError::NoAgreement).into()
}

/// Drafts the next version of the case's agreement.
pub async fn draft(
    state: &AppState,
    user: &User,
    id: CaseId,
    input: &DraftInput,
    expected_version: Option<u64>,
) -> Result<Committed, AppError> {
    let st = cases::prepare(
        state,
        user,
        id,
        CommandName::DraftAgreement,
        expected_version,
    )
    .await?;
    let case = st.case().ok_or(AppError::NotFound)?;
    let agreement = build(case, input)?;
    let version = case.agreement.as_ref().map_or(1, |a| a.version + 1);
    let content_hash = content_hash(&case.number, version, &agreement)?;
    let command = Command::DraftAgreement {
        agreement,
        content_hash,
    };
    cases::commit(state, &st, cases::meta_for(state, user), command).await
}

/// Signs `hash` with `key` and checks the result before it goes anywhere near the record.
fn signature(
    key: &SigningKey,
    signer: Signer,
    hash: &str,
    at: Timestamp,
) -> Result<Signature, AppError> {
    let signed = key.sign_hex(hash.as_bytes());
    sign::verify(key.algorithm(), &key.public_hex(), hash.as_bytes(), &signed)
        .map_err(|e| AppError::internal(anyhow::anyhow!("a fresh signature failed: {e}")))?;
    Ok(Signature {
        signer,
        document_hash: hash.to_owned(),
        algorithm: key.algorithm(),
        public_key: key.public_hex(),
        signature: signed,
        identity_verified: true,
        at,
    })
}

/// The mediator signs the current version, after re-entering their password (the staff
/// account's re-verification; parties re-verify by SMS code).
pub async fn sign_as_mediator(
    state: &AppState,
    user: &User,
    id: CaseId,
    password: &str,
    expected_version: Option<u64>,
) -> Result<Committed, AppError> {
    let st = cases::prepare(
        state,
        user,
        id,
        CommandName::SignAgreement,
        expected_version,
    )
    .await?;
    let wrong = || AppError::validation("password", "密码不正确，请重新输入");
    let again = crate::auth::check_credentials(state, &user.username, password)
        .await
        .map_err(|e| match e {
            AppError::Forbidden { .. } => wrong(),
            other => other,
        })?;
    if again.id != user.id {
        return Err(wrong());
    }
    let case = st.case().ok_or(AppError::NotFound)?;
    let record = case.agreement.as_ref().ok_or_else(no_agreement)?;
    let key = state
        .keys
        .signing_key(&format!("user:{}", user.id), ALGORITHM);
    let meta = cases::meta_for(state, user);
    let signature = signature(&key, Signer::Mediator, &record.content_hash, meta.at)?;
    cases::commit(state, &st, meta, Command::SignAgreement { signature }).await
}

/// Party `party` signs the current version; the caller has just re-verified their phone by SMS
/// code (`verify::check` with `Purpose::Sign`).
pub async fn sign_as_party(
    state: &AppState,
    st: &CaseState,
    party: u32,
    phone: &PhoneNumber,
) -> Result<Committed, AppError> {
    let case = st.case().ok_or(AppError::NotFound)?;
    let p = case.parties.get(party as usize).ok_or(AppError::NotFound)?;
    let record = case.agreement.as_ref().ok_or_else(no_agreement)?;
    let holder = format!(
        "party:{}",
        state.sealer.keyed_hash(PiiKind::Phone, phone.as_str())
    );
    let key = state.keys.signing_key(&holder, ALGORITHM);
    let at = state.now();
    let signature = signature(&key, Signer::Party(party), &record.content_hash, at)?;
    let meta = Meta {
        actor: cases::resident_actor(state, &p.name, phone),
        at,
        division: case.location.division.clone(),
    };
    cases::commit(state, st, meta, Command::SignAgreement { signature }).await
}

/// Records the parties' joint application for judicial confirmation (Art. 33).
pub async fn apply_confirmation(
    state: &AppState,
    user: &User,
    id: CaseId,
    applicants: Vec<u32>,
    court: &str,
    expected_version: Option<u64>,
) -> Result<Committed, AppError> {
    let calendar = Box::new(state.flow().calendar.clone());
    cases::run(
        state,
        user,
        id,
        expected_version,
        Command::ApplyConfirmation {
            applicants,
            court: court.to_owned(),
            calendar,
        },
    )
    .await
}

// ---------------------------------------------------------------------------------------------
// Documents
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Serialize)]
struct PartyData {
    role: String,
    name: String,
    gender: Option<String>,
    id_masked: Option<String>,
    address: Option<String>,
    phone_masked: Option<String>,
}

#[derive(Debug, Serialize)]
struct DutyData {
    party: String,
    duty: String,
    amount: Option<String>,
    manner: String,
    due: String,
}

#[derive(Debug, Serialize)]
struct SignatureData {
    who: String,
    signed: bool,
    at: Option<String>,
    algorithm: Option<String>,
    key: Option<String>,
}

#[derive(Debug, Serialize)]
struct AgreementData {
    title: &'static str,
    case_number: String,
    doc_number: String,
    version: u32,
    content_hash: String,
    committee: String,
    parties: Vec<PartyData>,
    facts: String,
    disputed_points: String,
    liability: String,
    terms: Vec<String>,
    duties: Vec<DutyData>,
    duties_note: Option<String>,
    mediator: String,
    made_on: String,
    effective_on: Option<String>,
    signatures: Vec<SignatureData>,
}

/// 和调字〔2026〕第000123号: the agreement's document number, from the case number's year and
/// series.
pub fn doc_number(number: &CaseNumber) -> String {
    let parts: Vec<&str> = number.as_str().split('-').collect();
    match parts.as_slice() {
        [_, year, serial] => format!("和调字〔{year}〕第{serial}号"),
        _ => format!("和调字第{}号", number.as_str()),
    }
}

/// 2026年11月21日 10:20 (CST).
fn minute_cst(t: Timestamp) -> String {
    let d = t.to_datetime().to_offset(hejie_domain::timestamp::CST);
    format!(
        "{} {:02}:{:02}",
        chinese_date(d.date()),
        d.hour(),
        d.minute()
    )
}

fn party_data(case: &Case) -> Vec<PartyData> {
    case.parties
        .iter()
        .map(|p| PartyData {
            role: p.role.label().to_owned(),
            name: p.name.clone(),
            gender: None,
            id_masked: p.id_number.as_ref().map(|s| s.masked.clone()),
            address: p.address.clone(),
            phone_masked: p.phone.as_ref().map(|s| s.masked.clone()),
        })
        .collect()
}

fn signer_label(case: &Case, record: &AgreementRecord, s: Signer) -> String {
    match s {
        Signer::Party(i) => case
            .parties
            .get(i as usize)
            .map(|p| format!("{} {}", p.role.label(), p.name))
            .unwrap_or_default(),
        Signer::Mediator => format!("调解员 {}", record.agreement.draft().mediator),
    }
}

/// A public key's short fingerprint for print: the first 16 hex digits of its SM3.
pub fn fingerprint(public_key: &str) -> String {
    hejie_crypto::sm3_hex(public_key.as_bytes())[..16].to_owned()
}

fn algorithm_label(a: SignatureAlgorithm) -> &'static str {
    match a {
        SignatureAlgorithm::Sm2 => "SM2",
        SignatureAlgorithm::Ed25519 => "Ed25519",
    }
}

fn agreement_data(case: &Case, record: &AgreementRecord) -> AgreementData {
    let a = record.agreement.draft();
    let signers = (0..case.parties.len() as u32)
        .map(Signer::Party)
        .chain([Signer::Mediator]);
    let signatures = signers
        .map(|s| {
            let given = record.signing.signatures.iter().find(|x| x.signer == s);
            SignatureData {
                who: signer_label(case, record, s),
                signed: given.is_some(),
                at: given.map(|g| minute_cst(g.at)),
                algorithm: given.map(|g| algorithm_label(g.algorithm).to_owned()),
                key: given.map(|g| fingerprint(&g.public_key)),
            }
        })
        .collect();
    AgreementData {
        title: "人民调解协议书",
        case_number: case.number.to_string(),
        doc_number: doc_number(&case.number),
        version: record.version,
        content_hash: record.content_hash.clone(),
        committee: a.committee.clone(),
        parties: party_data(case),
        facts: a.facts.clone(),
        disputed_points: a.disputed_points.clone(),
        liability: a.liability.clone(),
        terms: a.terms.clone(),
        duties: a
            .duties
            .iter()
            .map(|d| DutyData {
                party: d.party.clone(),
                duty: d.duty.clone(),
                amount: d.amount.map(|m| m.to_string()),
                manner: d.manner.clone(),
                due: chinese_date(d.due.date_cst()),
            })
            .collect(),
        duties_note: None,
        mediator: a.mediator.clone(),
        made_on: chinese_date(record.drafted_at.date_cst()),
        effective_on: record.effective_at.map(|t| chinese_date(t.date_cst())),
        signatures,
    }
}

#[derive(Debug, Serialize)]
struct ConfirmationData {
    title: &'static str,
    case_number: String,
    version: u32,
    content_hash: String,
    court: String,
    applicants: Vec<PartyData>,
    committee: String,
    mediator: String,
    agreement_number: String,
    agreement_hash: String,
    agreement_effective_on: String,
    deadline: String,
    summary: String,
    made_on: String,
}

async fn typeset(
    state: &AppState,
    template: &'static str,
    data: &impl Serialize,
    day: time::Date,
    ident: String,
) -> Result<Vec<u8>, AppError> {
    let fonts = crate::report::fonts(state).await?;
    let json = serde_json::to_vec(data)
        .map_err(|e| AppError::internal(anyhow::anyhow!("document data: {e}")))?;
    let today = (day.year(), u8::from(day.month()), day.day());
    tokio::task::spawn_blocking(move || {
        hejie_pdf::render(
            &fonts,
            &hejie_pdf::Document {
                template,
                data: json,
                files: Vec::new(),
                today,
                ident,
            },
        )
    })
    .await
    .map_err(|e| AppError::internal(anyhow::anyhow!("typesetting: {e}")))?
    .map_err(|e| AppError::internal(anyhow::anyhow!("{e}")))
}

/// Keeps `body` under `key` unless the latest version there is these very bytes: a document
/// handed out is always kept, and handing out the same one again adds nothing.
async fn keep(
    store: &Arc<dyn Store>,
    mut doc: NewDocument,
) -> Result<(DocumentInfo, Vec<u8>), AppError> {
    if let Some((info, body)) = store.document(&doc.key).await?
        && info.digest == digest(&doc.body)
    {
        return Ok((info, body));
    }
    let body = std::mem::take(&mut doc.body);
    let info = store
        .put_document(NewDocument {
            body: body.clone(),
            ..doc
        })
        .await?;
    Ok((info, body))
}

/// Keeps a case's PDF (`key`, `kind`, `period` as the document store names them) unless the
/// latest version under its key has these very bytes.
async fn keep_pdf(
    state: &AppState,
    case: &Case,
    (key, kind, period): (&str, &str, &str),
    title: &str,
    made_by: &str,
    body: Vec<u8>,
) -> Result<(DocumentInfo, Vec<u8>), AppError> {
    keep(
        &state.store,
        NewDocument {
            key: key.to_owned(),
            kind: kind.to_owned(),
            division: case.location.division.clone(),
            period: period.to_owned(),
            title: title.to_owned(),
            content_type: "application/pdf".to_owned(),
            created_by: made_by.to_owned(),
            created_at: state.now(),
            body,
        },
    )
    .await
}

/// The PDFs a case has, for the routes that hand them out.
#[derive(Debug, Clone, Copy)]
pub enum Pdf {
    Agreement,
    Confirmation,
    Enforcement,
}

impl Pdf {
    /// Makes (and keeps) the PDF; returns it with a file name for clients without RFC 5987.
    pub async fn make(
        self,
        state: &AppState,
        case: &Case,
        made_by: &str,
    ) -> Result<axum::response::Response, AppError> {
        let (info, body, ascii) = match self {
            Pdf::Agreement => {
                let (info, body) = agreement_pdf(state, case, made_by).await?;
                let ascii = format!("agreement-{}-{}.pdf", case.number, info.period);
                (info, body, ascii)
            }
            Pdf::Confirmation => {
                let (info, body) = confirmation_pdf(state, case, made_by).await?;
                (info, body, format!("confirmation-{}.pdf", case.number))
            }
            Pdf::Enforcement => {
                let (info, body) = enforcement_pdf(state, case, made_by).await?;
                (info, body, format!("enforcement-{}.pdf", case.number))
            }
        };
        Ok(crate::pages::reports::pdf_attachment(
            &ascii,
            &info.title,
            body,
        ))
    }

    /// The case's PDF for a staff member who may see the case ("not found" otherwise); made by
    /// them.
    pub async fn for_staff(
        self,
        state: &AppState,
        user: &User,
        id: CaseId,
    ) -> Result<axum::response::Response, AppError> {
        let st = crate::cases::load_visible(state, user, id).await?;
        let case = st.case().ok_or(AppError::NotFound)?;
        self.make(state, case, &user.id.to_string()).await
    }
}

/// The agreement's current version as PDF, with its signatures so far.
pub async fn agreement_pdf(
    state: &AppState,
    case: &Case,
    made_by: &str,
) -> Result<(DocumentInfo, Vec<u8>), AppError> {
    let record = case.agreement.as_ref().ok_or_else(no_agreement)?;
    let data = agreement_data(case, record);
    let ident = format!("{}-agreement-{}", case.number, record.version);
    let body = typeset(
        state,
        AGREEMENT_TEMPLATE,
        &data,
        record.drafted_at.date_cst(),
        ident,
    )
    .await?;
    keep_pdf(
        state,
        case,
        (
            &format!("agreement:{}:{}", case.id, record.version),
            AGREEMENT_KIND,
            &format!("v{}", record.version),
        ),
        &format!("人民调解协议书（{}，第{}版）", case.number, record.version),
        made_by,
        body,
    )
    .await
}

/// The 司法确认申请书 the parties jointly made, as PDF.
pub async fn confirmation_pdf(
    state: &AppState,
    case: &Case,
    made_by: &str,
) -> Result<(DocumentInfo, Vec<u8>), AppError> {
    let record = case.agreement.as_ref().ok_or_else(no_agreement)?;
    let applied = case.confirmation.as_ref().ok_or_else(|| {
        AppError::from(hejie_domain::DomainError::Mediation(
            MediationError::NotApplied,
        ))
    })?;
    let a = record.agreement.draft();
    let effective = record.effective_at.ok_or_else(|| {
        AppError::from(hejie_domain::DomainError::Mediation(
            MediationError::NotEffective,
        ))
    })?;
    let parties = party_data(case);
    let applicants = applied
        .applicants
        .iter()
        .filter_map(|i| parties.get(*i as usize))
        .map(|p| PartyData {
            role: "申请人".to_owned(),
            name: p.name.clone(),
            gender: None,
            id_masked: p.id_masked.clone(),
            address: p.address.clone(),
            phone_masked: p.phone_masked.clone(),
        })
        .collect();
    let mut data = ConfirmationData {
        title: "司法确认申请书",
        case_number: case.number.to_string(),
        version: 1,
        content_hash: String::new(),
        court: applied.court.clone(),
        applicants,
        committee: a.committee.clone(),
        mediator: a.mediator.clone(),
        agreement_number: doc_number(&case.number),
        agreement_hash: record.content_hash.clone(),
        agreement_effective_on: chinese_date(effective.date_cst()),
        deadline: chinese_date(applied.deadline.date_cst()),
        summary: a
            .terms
            .iter()
            .map(|t| t.trim_end_matches(['。', '；', ';']))
            .collect::<Vec<_>>()
            .join("；"),
        made_on: chinese_date(applied.applied_at.date_cst()),
    };
    data.content_hash = canonical_hash(&data)?;
    let body = typeset(
        state,
        CONFIRMATION_TEMPLATE,
        &data,
        applied.applied_at.date_cst(),
        format!("{}-confirmation", case.number),
    )
    .await?;
    keep_pdf(
        state,
        case,
        (
            &format!("confirmation:{}", case.id),
            CONFIRMATION_KIND,
            "v1",
        ),
        &format!("司法确认申请书（{}）", case.number),
        made_by,
        body,
    )
    .await
}

#[derive(Debug, Serialize)]
struct EnforcementData {
    title: &'static str,
    case_number: String,
    content_hash: String,
    applicants: Vec<PartyData>,
    respondents: Vec<PartyData>,
    court: String,
    ruling: String,
    committee: String,
    agreement_number: String,
    agreement_hash: String,
    effective_on: String,
    requests: Vec<String>,
    checked_on: String,
    unperformed: String,
}

fn not_enforceable() -> AppError {
    AppError::Refused {
        code: "not_enforceable",
        message: "只有经人民法院裁定确认有效、且履行检查记录为未履行的调解协议，才能申请强制执行"
            .to_owned(),
    }
}

/// A draft 强制执行申请书 for a judicially confirmed agreement whose obligations a performance
/// check found unperformed (人民调解法第三十三条第二款): the owed parties apply against the
/// obliged ones for what was not done.
pub async fn enforcement_pdf(
    state: &AppState,
    case: &Case,
    made_by: &str,
) -> Result<(DocumentInfo, Vec<u8>), AppError> {
    let record = case.agreement.as_ref().ok_or_else(not_enforceable)?;
    let confirmation = case.confirmation.as_ref().ok_or_else(not_enforceable)?;
    let ruling = confirmation
        .ruling
        .as_ref()
        .filter(|r| r.confirmed)
        .ok_or_else(not_enforceable)?;
    let Some(hejie_domain::case::Outcome::Succeeded { obligations, .. }) = &case.outcome else {
        return Err(not_enforceable());
    };
    // The latest check of each obligation decides.
    let mut latest: std::collections::BTreeMap<u32, bool> = std::collections::BTreeMap::new();
    for (i, performed) in &case.performance {
        latest.insert(*i, *performed);
    }
    let unperformed: Vec<&hejie_domain::case::Obligation> = latest
        .iter()
        .filter(|(_, performed)| !**performed)
        .filter_map(|(i, _)| obligations.get(*i as usize))
        .collect();
    if unperformed.is_empty() {
        return Err(not_enforceable());
    }
    let events = state.store.events(case.id).await?;
    let checked_at = events
        .iter()
        .rev()
        .find(|e| {
            matches!(
                e.event.body,
                EventBody::PerformanceChecked {
                    performed: false,
                    ..
                }
            )
        })
        .map_or(case.updated_at, |e| e.event.meta.at);
    let obligors: Vec<&str> = unperformed.iter().map(|o| o.party.as_str()).collect();
    let parties = party_data(case);
    let (respondents, applicants): (Vec<PartyData>, Vec<PartyData>) = parties
        .into_iter()
        .partition(|p| obligors.contains(&p.name.as_str()));
    let a = record.agreement.draft();
    let describe = |o: &hejie_domain::case::Obligation| {
        format!(
            "{}{}{}",
            o.duty,
            o.amount.map(|m| format!("，金额{m}")).unwrap_or_default(),
            o.due
                .map(|d| format!("（履行期限{}）", chinese_date(d.date_cst())))
                .unwrap_or_default()
        )
    };
    let mut data = EnforcementData {
        title: "强制执行申请书",
        case_number: case.number.to_string(),
        content_hash: String::new(),
        applicants,
        respondents,
        court: confirmation.court.clone(),
        ruling: ruling.ruling.clone(),
        committee: a.committee.clone(),
        agreement_number: doc_number(&case.number),
        agreement_hash: record.content_hash.clone(),
        effective_on: record
            .effective_at
            .map(|t| chinese_date(t.date_cst()))
            .unwrap_or_default(),
        requests: unperformed
            .iter()
            .map(|o| format!("责令被执行人{}履行：{}", o.party, describe(o)))
            .collect(),
        checked_on: chinese_date(checked_at.date_cst()),
        unperformed: unperformed
            .iter()
            .map(|o| format!("{}未履行{}", o.party, describe(o)))
            .collect::<Vec<_>>()
            .join("；"),
    };
    data.content_hash = canonical_hash(&data)?;
    let body = typeset(
        state,
        ENFORCEMENT_TEMPLATE,
        &data,
        checked_at.date_cst(),
        format!("{}-enforcement", case.number),
    )
    .await?;
    keep_pdf(
        state,
        case,
        (
            &format!("enforcement:{}", case.id),
            ENFORCEMENT_KIND,
            "draft",
        ),
        &format!("强制执行申请书（草稿，{}）", case.number),
        made_by,
        body,
    )
    .await
}

// ---------------------------------------------------------------------------------------------
// Verification
// ---------------------------------------------------------------------------------------------

/// One thing checked about a document, in Chinese.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Finding {
    pub ok: bool,
    pub text: String,
}

/// What checking a document against the record found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Checked {
    /// The document's title, as kept.
    pub title: String,
    pub case_number: Option<String>,
    /// When this copy was made (RFC 3339).
    pub made_at: String,
    /// SM3 of the file's bytes, as kept.
    pub digest: String,
    pub findings: Vec<Finding>,
}

impl Checked {
    /// Whether every check passed.
    pub fn ok(&self) -> bool {
        self.findings.iter().all(|f| f.ok)
    }
}

/// Checks a file against the record: is it a document this system made and kept, and for an
/// agreement, does the record's content hash follow from the recorded agreement and is every
/// signature on it valid. `None`: no document with these bytes was ever made here (a changed
/// byte is enough).
pub async fn verify_document(store: &dyn Store, bytes: &[u8]) -> Result<Option<Checked>, AppError> {
    let found = store.documents_by_digest(&digest(bytes)).await?;
    let Some(info) = found.into_iter().next() else {
        return Ok(None);
    };
    let mut findings = vec![Finding {
        ok: true,
        text: format!(
            "文件与本系统于{}生成并留存的《{}》逐字节一致",
            minute_cst(info.created_at),
            info.title
        ),
    }];
    let mut case_number = None;
    if info.kind == AGREEMENT_KIND || info.kind == CONFIRMATION_KIND {
        let id = info
            .key
            .split(':')
            .nth(1)
            .and_then(|s| uuid::Uuid::parse_str(s).ok())
            .map(CaseId)
            .ok_or_else(|| AppError::internal(anyhow::anyhow!("document key {}", info.key)))?;
        let events = store.events(id).await?;
        let st = CaseState::replay(events.iter().map(|e| &e.event));
        let case = st.case().ok_or(AppError::NotFound)?;
        case_number = Some(case.number.to_string());
        if info.kind == AGREEMENT_KIND {
            let version: u32 = info
                .key
                .rsplit(':')
                .next()
                .and_then(|v| v.parse().ok())
                .unwrap_or(0);
            agreement_findings(case, &events, version, &mut findings)?;
        }
    }
    Ok(Some(Checked {
        title: info.title,
        case_number,
        made_at: crate::present::rfc3339(info.created_at),
        digest: info.digest,
        findings,
    }))
}

fn agreement_findings(
    case: &Case,
    events: &[hejie_store::StoredEvent],
    version: u32,
    findings: &mut Vec<Finding>,
) -> Result<(), AppError> {
    let drafted = events.iter().find_map(|e| match &e.event.body {
        EventBody::AgreementDrafted {
            version: v,
            agreement,
            content_hash,
        } if *v == version => Some((agreement, content_hash)),
        _ => None,
    });
    let Some((agreement, recorded)) = drafted else {
        findings.push(Finding {
            ok: false,
            text: format!("案件记录中没有第{version}版调解协议书"),
        });
        return Ok(());
    };
    let computed = content_hash(&case.number, version, agreement.draft())?;
    findings.push(Finding {
        ok: computed == *recorded,
        text: if computed == *recorded {
            format!("协议内容与案件记录一致（校验码 {recorded}）")
        } else {
            format!("协议内容的校验码与案件记录不符（记录为 {recorded}，重算为 {computed}）")
        },
    });
    let parties: Vec<String> = case.parties.iter().map(|p| p.name.clone()).collect();
    let mut effective = None;
    for e in events {
        if let EventBody::AgreementSigned {
            signature: s,
            effective: eff,
        } = &e.event.body
            && s.document_hash == *recorded
        {
            let who = match s.signer {
                Signer::Party(i) => parties.get(i as usize).cloned().unwrap_or_default(),
                Signer::Mediator => format!("调解员{}", agreement.draft().mediator),
            };
            let valid = sign::verify(
                s.algorithm,
                &s.public_key,
                s.document_hash.as_bytes(),
                &s.signature,
            )
            .is_ok();
            findings.push(Finding {
                ok: valid,
                text: format!(
                    "{who}于{}以{}电子签名（公钥指纹 {}）：{}",
                    minute_cst(s.at),
                    algorithm_label(s.algorithm),
                    fingerprint(&s.public_key),
                    if valid {
                        "签名有效"
                    } else {
                        "签名无效"
                    }
                ),
            });
            if *eff {
                effective = Some(e.event.meta.at);
            }
        }
    }
    findings.push(Finding {
        ok: true,
        text: match effective {
            Some(t) => format!("各方当事人和调解员均已签名，协议于{}生效", minute_cst(t)),
            None => "尚未经各方当事人和调解员签名，协议尚未生效".to_owned(),
        },
    });
    Ok(())
}
