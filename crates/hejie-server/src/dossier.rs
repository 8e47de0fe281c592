//! 卷宗一键生成: the case's file as one ZIP, made from its event log alone: `dossier.pdf` (cover,
//! contents, basic facts, the course of handling, the minutes, the agreement, judicial
//! confirmation, filing with the court, the evidence list), the agreement's and the
//! application's PDFs when there are any, the evidence files, `manifest.json` and `SHA256SUMS`
//! (checkable with `sha256sum -c`).
//!
//! The same log makes the same bytes: every date printed or stamped (the PDF's, each ZIP
//! entry's) is the time of the case's last event, entries are in a fixed order, and the
//! documents are typeset deterministically.

use std::io::Write;

use hejie_domain::case::{Case, CaseId, CaseState, EventBody, Outcome};
use hejie_domain::mediation::Signer;
use hejie_domain::timestamp::{Timestamp, chinese_date};
use serde::Serialize;

use crate::error::AppError;
use crate::state::AppState;

const TEMPLATE: &str = include_str!("../templates/dossier/dossier.typ");

#[derive(Debug, Serialize)]
struct Fact {
    label: &'static str,
    value: String,
}

#[derive(Debug, Serialize)]
struct PartyRow {
    role: String,
    name: String,
    id_masked: Option<String>,
    address: Option<String>,
}

#[derive(Debug, Serialize)]
struct Step {
    at: String,
    label: String,
    actor: String,
    summary: String,
}

#[derive(Debug, Serialize)]
struct Session {
    held_at: String,
    mode: String,
    place: String,
    attendees: String,
    minutes: String,
}

#[derive(Debug, Serialize)]
struct Duty {
    party: String,
    duty: String,
    amount: Option<String>,
    manner: String,
    due: String,
}

#[derive(Debug, Serialize)]
struct SignatureRow {
    who: String,
    status: String,
}

#[derive(Debug, Serialize)]
struct AgreementPart {
    doc_number: String,
    version: u32,
    content_hash: String,
    terms: Vec<String>,
    duties: Vec<Duty>,
    signatures: Vec<SignatureRow>,
    effective_on: Option<String>,
}

#[derive(Debug, Serialize)]
struct FilingRow {
    at: String,
    court: String,
    claims: String,
    receipt: String,
}

#[derive(Debug, Serialize)]
struct EvidenceRow {
    n: usize,
    name: String,
    kind: String,
    size: String,
    sha256: String,
}

#[derive(Debug, Serialize)]
struct Data {
    title: &'static str,
    case_number: String,
    dispute_type: String,
    parties_line: String,
    organisation: String,
    mediator: Option<String>,
    registered_on: String,
    closed_on: Option<String>,
    outcome: String,
    outcome_detail: String,
    event_count: usize,
    head_short: String,
    made_on: String,
    facts: Vec<Fact>,
    parties: Vec<PartyRow>,
    description: String,
    timeline: Vec<Step>,
    sessions: Vec<Session>,
    agreement: Option<AgreementPart>,
    confirmation: Option<String>,
    filings: Vec<FilingRow>,
    evidence: Vec<EvidenceRow>,
}

/// 2026年11月21日 10:20 (CST).
fn minute(t: Timestamp) -> String {
    let d = t.to_datetime().to_offset(hejie_domain::timestamp::CST);
    format!(
        "{} {:02}:{:02}",
        chinese_date(d.date()),
        d.hour(),
        d.minute()
    )
}

fn outcome_text(case: &Case) -> (String, String) {
    match &case.outcome {
        None => ("办理中".to_owned(), "本案尚未结案。".to_owned()),
        Some(o) => {
            let detail = match o {
                Outcome::Succeeded { agreement, .. } => format!("调解成功。协议内容：{agreement}"),
                Outcome::Failed { reason, .. } => format!(
                    "调解不成，已告知当事人可依法通过仲裁、行政、司法等途径维护权利（《人民调解法》第二十六条）。原因：{reason}"
                ),
                Outcome::Withdrawn { reason } => format!("当事人撤回。{reason}"),
                Outcome::Referred { target, reason } => {
                    format!("引导至{}。{reason}", target.label())
                }
            };
            (o.label().to_owned(), detail)
        }
    }
}

fn data(state: &AppState, case: &Case, events: &[hejie_store::StoredEvent]) -> Data {
    let r = state.reference();
    let last = events
        .last()
        .map(|e| e.event.meta.at)
        .unwrap_or(case.registered_at);
    let (outcome, outcome_detail) = outcome_text(case);
    let mediator = case.mediator.as_ref().map(|m| m.name.clone());
    let organisation = case
        .holder
        .as_ref()
        .map(|h| h.organisation.name.clone())
        .unwrap_or_default();
    let mut facts = vec![
        Fact {
            label: "受理渠道",
            value: case.channel.label().to_owned(),
        },
        Fact {
            label: "发生地",
            value: r.full_name(&case.location.division),
        },
    ];
    if let Some(a) = &case.location.address {
        facts.push(Fact {
            label: "详细地址",
            value: a.clone(),
        });
    }
    if let Some(m) = case.amount {
        facts.push(Fact {
            label: "涉及金额",
            value: m.to_string(),
        });
    }
    if let Some(n) = case.head_count {
        facts.push(Fact {
            label: "涉及人数",
            value: format!("{n}人"),
        });
    }
    facts.push(Fact {
        label: "调解次数",
        value: format!("{}次", case.sessions),
    });
    let agreement = case.agreement.as_ref().map(|rec| {
        let a = rec.agreement.draft();
        let who = |s: Signer| match s {
            Signer::Party(i) => case
                .parties
                .get(i as usize)
                .map(|p| format!("{} {}", p.role.label(), p.name))
                .unwrap_or_default(),
            Signer::Mediator => format!("调解员 {}", a.mediator),
        };
        AgreementPart {
            doc_number: crate::agreement::doc_number(&case.number),
            version: rec.version,
            content_hash: rec.content_hash.clone(),
            terms: a.terms.clone(),
            duties: a
                .duties
                .iter()
                .map(|d| Duty {
                    party: d.party.clone(),
                    duty: d.duty.clone(),
                    amount: d.amount.map(|m| m.to_string()),
                    manner: d.manner.clone(),
                    due: chinese_date(d.due.date_cst()),
                })
                .collect(),
            signatures: (0..case.parties.len() as u32)
                .map(Signer::Party)
                .chain([Signer::Mediator])
                .map(|s| SignatureRow {
                    who: who(s),
                    status: rec
                        .signing
                        .signatures
                        .iter()
                        .find(|x| x.signer == s)
                        .map_or_else(
                            || "未签名".to_owned(),
                            |x| {
                                format!(
                                    "{} 电子签名（公钥指纹 {}）",
                                    minute(x.at),
                                    crate::agreement::fingerprint(&x.public_key)
                                )
                            },
                        ),
                })
                .collect(),
            effective_on: rec.effective_at.map(|t| chinese_date(t.date_cst())),
        }
    });
    let confirmation = case.confirmation.as_ref().map(|c| {
        let names: Vec<&str> = c
            .applicants
            .iter()
            .filter_map(|i| case.parties.get(*i as usize))
            .map(|p| p.name.as_str())
            .collect();
        let ruling = c.ruling.as_ref().map_or_else(
            || "法院尚未作出裁定。".to_owned(),
            |r| {
                format!(
                    "法院{}（{}）。",
                    if r.confirmed {
                        "裁定调解协议有效"
                    } else {
                        "裁定驳回申请"
                    },
                    r.ruling
                )
            },
        );
        format!(
            "{}于{}共同向{}申请司法确认（申请期限至{}）。{ruling}",
            names.join("、"),
            minute(c.applied_at),
            c.court,
            chinese_date(c.deadline.date_cst())
        )
    });
    Data {
        title: "人民调解卷宗",
        case_number: case.number.to_string(),
        dispute_type: case
            .dispute_type
            .map_or_else(|| "待定".to_owned(), |t| format!("{}纠纷", t.label())),
        parties_line: case
            .parties
            .iter()
            .map(|p| p.name.as_str())
            .collect::<Vec<_>>()
            .join("、"),
        organisation,
        mediator,
        registered_on: chinese_date(case.registered_at.date_cst()),
        closed_on: case.closed_at.map(|t| chinese_date(t.date_cst())),
        outcome,
        outcome_detail,
        event_count: events.len(),
        head_short: events
            .last()
            .map(|e| e.hash.chars().take(16).collect())
            .unwrap_or_default(),
        made_on: chinese_date(last.date_cst()),
        facts,
        parties: case
            .parties
            .iter()
            .map(|p| PartyRow {
                role: p.role.label().to_owned(),
                name: p.name.clone(),
                id_masked: p.id_number.as_ref().map(|s| s.masked.clone()),
                address: p.address.clone(),
            })
            .collect(),
        description: case.description.clone(),
        timeline: events
            .iter()
            .map(|e| Step {
                at: minute(e.event.meta.at),
                label: e.event.body.label().to_owned(),
                actor: e.event.meta.actor.name.clone(),
                summary: shorten_hashes(&crate::present::describe(&e.event.body)),
            })
            .collect(),
        sessions: events
            .iter()
            .filter_map(|e| match &e.event.body {
                EventBody::SessionRecorded {
                    held_at,
                    mode,
                    place,
                    attendees,
                    minutes,
                } => Some(Session {
                    held_at: minute(*held_at),
                    mode: mode.label().to_owned(),
                    place: place.clone(),
                    attendees: attendees.join("、"),
                    minutes: minutes.clone(),
                }),
                _ => None,
            })
            .collect(),
        agreement,
        confirmation,
        filings: case
            .filings
            .iter()
            .map(|f| FilingRow {
                at: minute(f.requested_at),
                court: f.court.clone(),
                claims: f.claims.clone(),
                receipt: f
                    .receipt
                    .as_ref()
                    .map_or_else(|| "待法院接收".to_owned(), |(r, _)| r.clone()),
            })
            .collect(),
        evidence: case
            .evidence
            .iter()
            .enumerate()
            .map(|(i, e)| EvidenceRow {
                n: i + 1,
                name: e.name.clone(),
                kind: crate::evidence::sniff_label(&e.content_type).to_owned(),
                size: crate::present::human_size(e.size),
                sha256: e.sha256.clone(),
            })
            .collect(),
    }
}

/// Long hex runs (hashes, keys) cut to their first 16 digits, so a table cell can wrap; the
/// full values are in the record, the agreement and the manifest.
fn shorten_hashes(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut run = String::new();
    let flush = |run: &mut String, out: &mut String| {
        if run.len() >= 32 {
            out.push_str(&run[..16]);
            out.push('…');
        } else {
            out.push_str(run);
        }
        run.clear();
    };
    for c in s.chars() {
        if c.is_ascii_hexdigit() {
            run.push(c);
        } else {
            flush(&mut run, &mut out);
            out.push(c);
        }
    }
    flush(&mut run, &mut out);
    out
}

/// One file of the ZIP.
#[derive(Debug, Serialize)]
struct Entry {
    path: String,
    sha256: String,
    size: usize,
    title: String,
}

#[derive(Debug, Serialize)]
struct Manifest {
    schema: &'static str,
    case_number: String,
    /// How many events the dossier was made from, and the last one's hash.
    events: usize,
    record_head: String,
    files: Vec<Entry>,
}

fn evidence_path(n: usize, e: &hejie_domain::mediation::Evidence) -> String {
    let ext = e
        .name
        .rsplit('.')
        .next()
        .filter(|x| x.len() <= 5 && x.chars().all(|c| c.is_ascii_alphanumeric()) && *x != e.name)
        .unwrap_or("bin")
        .to_ascii_lowercase();
    format!("evidence/{n:02}-{}.{ext}", &e.sha256[..16])
}

/// The dossier of case `id` as a ZIP, with its file name.
pub async fn make(state: &AppState, id: CaseId) -> Result<(String, Vec<u8>), AppError> {
    let events = state.store.events(id).await?;
    let st = CaseState::replay(events.iter().map(|e| &e.event));
    let case = st.case().ok_or(AppError::NotFound)?;
    let last = events
        .last()
        .map(|e| e.event.meta.at)
        .unwrap_or(case.registered_at);
    let day = last.date_cst();
    let fonts = crate::report::fonts(state).await?;
    let json = serde_json::to_vec(&data(state, case, &events))
        .map_err(|e| AppError::internal(anyhow::anyhow!("dossier data: {e}")))?;
    let ident = format!("{}-dossier-{}", case.number, events.len());
    let pdf = tokio::task::spawn_blocking(move || {
        hejie_pdf::render(
            &fonts,
            &hejie_pdf::Document {
                template: TEMPLATE,
                data: json,
                files: Vec::new(),
                today: (day.year(), u8::from(day.month()), day.day()),
                ident,
            },
        )
    })
    .await
    .map_err(|e| AppError::internal(anyhow::anyhow!("typesetting: {e}")))?
    .map_err(|e| AppError::internal(anyhow::anyhow!("{e}")))?;

    let mut files: Vec<(String, String, Vec<u8>)> =
        vec![("dossier.pdf".to_owned(), "人民调解卷宗".to_owned(), pdf)];
    if case.agreement.is_some() {
        let (info, body) = crate::agreement::agreement_pdf(state, case, "dossier").await?;
        files.push(("agreement.pdf".to_owned(), info.title, body));
    }
    if case.confirmation.is_some() {
        let (info, body) = crate::agreement::confirmation_pdf(state, case, "dossier").await?;
        files.push(("confirmation.pdf".to_owned(), info.title, body));
    }
    for (i, e) in case.evidence.iter().enumerate() {
        let (_, bytes) = crate::evidence::read(state, &st, &e.sha256)?;
        files.push((evidence_path(i + 1, e), e.name.clone(), bytes));
    }
    let entries: Vec<Entry> = files
        .iter()
        .map(|(path, title, bytes)| Entry {
            path: path.clone(),
            sha256: hejie_crypto::sha256_hex(bytes),
            size: bytes.len(),
            title: title.clone(),
        })
        .collect();
    let sums: String = entries
        .iter()
        .map(|e| format!("{}  {}\n", e.sha256, e.path))
        .collect();
    let manifest = Manifest {
        schema: "hejie.dossier/v1",
        case_number: case.number.to_string(),
        events: events.len(),
        record_head: events.last().map(|e| e.hash.clone()).unwrap_or_default(),
        files: entries,
    };
    let manifest = serde_json::to_vec_pretty(&manifest)
        .map_err(|e| AppError::internal(anyhow::anyhow!("manifest: {e}")))?;
    files.push(("manifest.json".to_owned(), String::new(), manifest));
    files.push(("SHA256SUMS".to_owned(), String::new(), sums.into_bytes()));
    let zip =
        write_zip(&files, last).map_err(|e| AppError::internal(anyhow::anyhow!("zip: {e}")))?;
    Ok((format!("dossier-{}.zip", case.number), zip))
}

/// The ZIP, every entry stamped with `at` (CST), in the given order.
fn write_zip(
    files: &[(String, String, Vec<u8>)],
    at: Timestamp,
) -> zip::result::ZipResult<Vec<u8>> {
    let d = at.to_datetime().to_offset(hejie_domain::timestamp::CST);
    let stamp = zip::DateTime::from_date_and_time(
        u16::try_from(d.year()).unwrap_or(1980),
        u8::from(d.month()),
        d.day(),
        d.hour(),
        d.minute(),
        d.second(),
    )
    .unwrap_or_default();
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .last_modified_time(stamp)
        .unix_permissions(0o644);
    let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (path, _, bytes) in files {
        out.start_file(path.as_str(), options)?;
        out.write_all(bytes)?;
    }
    Ok(out.finish()?.into_inner())
}

#[cfg(test)]
mod tests {
    use super::shorten_hashes;

    #[test]
    fn long_hex_runs_are_cut_and_the_rest_is_kept() {
        let hash = "ab".repeat(32);
        let check = |input: &str, expected: &str| assert_eq!(shorten_hashes(input), expected);
        check(
            &format!("校验码 {hash}；SM2"),
            &format!("校验码 {}…；SM2", &hash[..16]),
        );
        check(
            "第1版，2026年12月31日，3200元",
            "第1版，2026年12月31日，3200元",
        );
        check("deadbeef", "deadbeef");
    }
}
