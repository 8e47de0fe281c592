//! Scheduled mediation sessions (安排调解): the parties' invitation and the reminder the day
//! before, by SMS through durable scheduler jobs, the staff's reminder, and the session as an
//! iCalendar file (`.ics`, RFC 5545) for any calendar.

use hejie_domain::case::{Case, CaseId, ScheduledSession, SessionMode};
use hejie_domain::timestamp::{CST, Timestamp, chinese_date};
use hejie_store::work::{Effects, Job, NewJob};
use serde::{Deserialize, Serialize};

use crate::state::AppState;
use crate::workflow::jobs::{BackgroundJob, JobError};

/// The job kind that texts a party.
pub const PARTY_SMS_JOB: &str = "party_sms";

/// How long before a session its reminders go out.
pub const REMIND_BEFORE_SECS: i64 = 24 * 3600;

/// 2026年11月21日 14:30 (CST).
pub fn when(t: Timestamp) -> String {
    let d = t.to_datetime().to_offset(CST);
    format!(
        "{} {:02}:{:02}",
        chinese_date(d.date()),
        d.hour(),
        d.minute()
    )
}

fn place_of(s: &ScheduledSession) -> String {
    match s.mode {
        SessionMode::Online => "在线调解室".to_owned(),
        _ => s.place.clone(),
    }
}

/// When a text still makes sense at the time it is due; otherwise it is dropped unsent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "only", rename_all = "snake_case")]
pub enum Still {
    /// An invitation: the party has not answered and mediation has not started.
    Unanswered,
    /// A session's invitation or reminder: the case is still open.
    Open,
    /// A duty's reminder: no check found obligation `obligation` performed.
    Unperformed { obligation: u32 },
}

/// A text to one party of a case (payload: the case, the party, the text, and what must still
/// hold when it is due).
#[derive(Debug, Serialize, Deserialize)]
pub struct PartySms {
    case: uuid::Uuid,
    party: u32,
    text: String,
    #[serde(default)]
    still: Option<Still>,
}

/// A job that texts party `party` of `case` at `due_at`. Only the case and the party are
/// stored; the phone is opened from the record when the text is sent.
pub fn party_sms(
    case: CaseId,
    party: u32,
    key: String,
    due_at: Timestamp,
    text: String,
    still: Still,
) -> NewJob {
    NewJob {
        key,
        kind: PARTY_SMS_JOB.to_owned(),
        due_at,
        payload: serde_json::to_string(&PartySms {
            case: case.0,
            party,
            text,
            still: Some(still),
        })
        .unwrap_or_default(),
    }
}

/// Whether a text is still worth sending to `party` of `case`.
fn still_holds(still: Option<Still>, case: &Case, party: u32) -> bool {
    use hejie_domain::case::Status;
    match still {
        None => true,
        Some(Still::Open) => case.status.is_open(),
        Some(Still::Unanswered) => {
            matches!(
                case.status,
                Status::Registered | Status::Accepted | Status::Assigned | Status::InProgress
            ) && !case.consents.iter().any(|(p, _, _)| *p == party)
        }
        Some(Still::Unperformed { obligation }) => !case
            .performance
            .iter()
            .any(|(i, performed)| *i == obligation && *performed),
    }
}

/// The invitations and reminders a newly scheduled session calls for: each party with a phone
/// is texted now and the day before; the holder's staff are reminded the day before.
pub fn jobs_for(
    case: &Case,
    s: &ScheduledSession,
    staff: &[hejie_domain::user::UserId],
    now: Timestamp,
) -> Vec<NewJob> {
    let org = case
        .holder
        .as_ref()
        .map(|h| h.organisation.name.clone())
        .unwrap_or_else(|| "调解组织".to_owned());
    let remind_at = s.at.plus_seconds(-REMIND_BEFORE_SECS).max(now);
    let mut jobs = Vec::new();
    for (i, p) in case.parties.iter().enumerate() {
        if p.phone.is_none() {
            continue;
        }
        let i = i as u32;
        jobs.push(party_sms(
            case.id,
            i,
            format!("session:{}:{}:invite:{i}", case.id, s.number),
            now,
            format!(
                "【和解】{org}定于{}在{}（{}）调解您的纠纷（案件编号{}）。请准时参加；在“案件查询”凭案件编号和手机验证码可查看详情、把日程加入手机日历。",
                when(s.at),
                place_of(s),
                s.mode.label(),
                case.number
            ),
            Still::Open,
        ));
        jobs.push(party_sms(
            case.id,
            i,
            format!("session:{}:{}:remind:{i}", case.id, s.number),
            remind_at,
            format!(
                "【和解】提醒：您的纠纷（案件编号{}）定于{}在{}调解，请准时参加。",
                case.number,
                when(s.at),
                place_of(s)
            ),
            Still::Open,
        ));
    }
    for u in staff {
        jobs.push(NewJob {
            key: format!("session:{}:{}:staff:{u}", case.id, s.number),
            kind: "notify".to_owned(),
            due_at: remind_at,
            payload: serde_json::json!({
                "recipient": u.0,
                "title": format!("调解提醒 {}", case.number),
                "body": format!("第{}次调解定于{}在{}进行。", s.number, when(s.at), place_of(s)),
            })
            .to_string(),
        });
    }
    jobs
}

/// The invitation to mediate (人民调解法第十七条: mediation needs every party's consent) texted to
/// each party with a phone who has not answered yet, once the case is accepted.
pub fn invitations(state: &AppState, case: &Case, now: Timestamp) -> Vec<NewJob> {
    let applicant = case
        .parties
        .first()
        .map(|p| p.name.clone())
        .unwrap_or_default();
    let link = state.config.public_url.as_ref().map_or_else(
        || "请在和解平台“案件查询”页面".to_owned(),
        |url| {
            format!(
                "请访问 {}/track?number={} ",
                url.trim_end_matches('/'),
                case.number
            )
        },
    );
    case.parties
        .iter()
        .enumerate()
        .filter(|(_, p)| p.phone.is_some())
        .filter(|(i, _)| !case.consents.iter().any(|(p, _, _)| *p as usize == *i))
        .map(|(i, p)| {
            let about = if i == 0 {
                "您申请的纠纷调解".to_owned()
            } else {
                format!("{applicant}申请与您就纠纷进行人民调解")
            };
            party_sms(
                case.id,
                i as u32,
                format!("invite:{}:{i}", case.id),
                now,
                format!(
                    "【和解】{}，{about}（案件编号{}）。调解遵循自愿原则，{link}凭案件编号和本手机号验证后，答复是否同意调解。",
                    p.name, case.number
                ),
                Still::Unanswered,
            )
        })
        .collect()
}

/// How long before a duty's deadline the obliged party is reminded.
pub const DUTY_REMIND_BEFORE_SECS: i64 = 3 * 86_400;

/// The reminders a successful outcome calls for: each obliged party with a phone is texted
/// three days before each of their duties falls due (the staff's check-in after the deadline
/// comes from the closed loop).
pub fn duty_reminders(case: &Case, now: Timestamp) -> Vec<NewJob> {
    let Some(hejie_domain::case::Outcome::Succeeded { obligations, .. }) = &case.outcome else {
        return Vec::new();
    };
    obligations
        .iter()
        .enumerate()
        .filter_map(|(i, o)| {
            let due = o.due.filter(|d| *d > now)?;
            let party = case
                .parties
                .iter()
                .position(|p| p.name == o.party && p.phone.is_some())?;
            Some(party_sms(
                case.id,
                party as u32,
                format!("duty:{}:{i}", case.id),
                due.plus_seconds(-DUTY_REMIND_BEFORE_SECS).max(now),
                format!(
                    "【和解】提醒：按照调解协议（案件编号{}），您应于{}前{}{}。经人民调解委员会调解达成的调解协议具有法律约束力，请按约定履行。",
                    case.number,
                    chinese_date(due.date_cst()),
                    o.duty,
                    o.amount.map(|m| format!("（{m}）")).unwrap_or_default()
                ),
                Still::Unperformed {
                    obligation: i as u32,
                },
            ))
        })
        .collect()
}

impl BackgroundJob for PartySms {
    const KIND: &'static str = PARTY_SMS_JOB;

    async fn run(self, state: &AppState, job: &Job, now: Timestamp) -> Result<(), JobError> {
        send_party_sms(state, job, self, now).await
    }
}

/// Sends one party's text.
async fn send_party_sms(
    state: &AppState,
    job: &Job,
    p: PartySms,
    now: Timestamp,
) -> Result<(), JobError> {
    let id = CaseId(p.case);
    let st = state.store.load(id).await?;
    let phone = st
        .case()
        .filter(|c| still_holds(p.still, c, p.party))
        .and_then(|c| c.parties.get(p.party as usize))
        .and_then(|party| party.phone.as_ref())
        .and_then(|s| state.sealer.open(s).ok());
    if let Some(phone) = phone {
        state
            .sms
            .send(&phone, &p.text)
            .map_err(|e| JobError::Failed(format!("sending SMS: {e}")))?;
    }
    Ok(state
        .store
        .apply_effects(
            Effects {
                complete: Some(job.lease.clone()),
                ..Effects::default()
            },
            now,
        )
        .await?)
}

/// Escapes a text value (RFC 5545 §3.3.11).
fn escape(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace(';', "\\;")
        .replace(',', "\\,")
        .replace('\n', "\\n")
}

/// Folds a content line at 75 octets, never inside a character (RFC 5545 §3.1).
fn fold(line: &str) -> String {
    let mut out = String::new();
    let mut width = 0;
    for c in line.chars() {
        let n = c.len_utf8();
        if width + n > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(c);
        width += n;
    }
    out.push_str("\r\n");
    out
}

fn utc(t: Timestamp) -> String {
    let d = t.to_datetime().to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}{:02}{:02}T{:02}{:02}{:02}Z",
        d.year(),
        u8::from(d.month()),
        d.day(),
        d.hour(),
        d.minute(),
        d.second()
    )
}

/// The session as an iCalendar file.
pub fn ics(case: &Case, s: &ScheduledSession) -> String {
    let org = case
        .holder
        .as_ref()
        .map(|h| h.organisation.name.clone())
        .unwrap_or_default();
    let lines = [
        "BEGIN:VCALENDAR".to_owned(),
        "VERSION:2.0".to_owned(),
        "PRODID:-//hejie//人民调解//ZH".to_owned(),
        "CALSCALE:GREGORIAN".to_owned(),
        "METHOD:PUBLISH".to_owned(),
        "BEGIN:VEVENT".to_owned(),
        format!("UID:{}-{}@hejie", case.id, s.number),
        format!("DTSTAMP:{}", utc(s.scheduled_at)),
        format!("DTSTART:{}", utc(s.at)),
        "DURATION:PT1H".to_owned(),
        format!(
            "SUMMARY:{}",
            escape(&format!("人民调解（案件编号{}）", case.number))
        ),
        format!("LOCATION:{}", escape(&place_of(s))),
        format!(
            "DESCRIPTION:{}",
            escape(&format!(
                "{org}第{}次调解，方式：{}。{}",
                s.number,
                s.mode.label(),
                s.note.clone().unwrap_or_default()
            ))
        ),
        "BEGIN:VALARM".to_owned(),
        "ACTION:DISPLAY".to_owned(),
        "DESCRIPTION:调解提醒".to_owned(),
        "TRIGGER:-PT1H".to_owned(),
        "END:VALARM".to_owned(),
        "END:VEVENT".to_owned(),
        "END:VCALENDAR".to_owned(),
    ];
    lines.iter().map(|l| fold(l)).collect()
}

/// Session `number` of `case` as an `.ics` download.
pub fn ics_download(
    case: &Case,
    number: &str,
) -> Result<axum::response::Response, crate::error::AppError> {
    let s = number
        .parse::<u32>()
        .ok()
        .and_then(|n| case.scheduled.iter().find(|s| s.number == n))
        .ok_or(crate::error::AppError::NotFound)?;
    let name = format!("session-{}-{}.ics", case.number, s.number);
    Ok(crate::download::attachment(
        ics(case, s),
        "text/calendar; charset=utf-8",
        &name,
        &name,
    ))
}

#[cfg(test)]
mod tests {
    use super::{escape, fold};

    #[test]
    fn lines_fold_at_75_octets_without_splitting_a_character() {
        let line = format!("DESCRIPTION:{}", "调解".repeat(40));
        let folded = fold(&line);
        for part in folded.split("\r\n").filter(|p| !p.is_empty()) {
            assert!(part.len() <= 75, "{} octets: {part}", part.len());
        }
        let unfolded = folded.replace("\r\n ", "").replace("\r\n", "");
        assert_eq!(unfolded, line);
    }

    #[test]
    fn text_values_are_escaped() {
        assert_eq!(escape("a;b,c\\d\ne"), "a\\;b\\,c\\\\d\\ne");
    }
}
