//! How cases and events are shown: the wire types of the API (also used by pages), built from
//! domain types. Personal data is always masked here; unmasking is its own audited route.

use hejie_domain::authz::available_commands;
use hejie_domain::case::{Case, EventBody, Outcome};
use hejie_domain::timestamp::Timestamp;
use hejie_domain::user::User;
use hejie_store::{CaseSummary, StoredEvent};
use serde::Serialize;
use time::format_description::well_known::Rfc3339;
use utoipa::ToSchema;

use crate::state::Reference;

pub fn rfc3339(t: Timestamp) -> String {
    t.to_datetime()
        .to_offset(hejie_domain::timestamp::CST)
        .format(&Rfc3339)
        .unwrap_or_default()
}

/// A code with the term people read.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Labelled {
    pub code: String,
    pub label: String,
}

impl Labelled {
    pub fn new(code: &str, label: &str) -> Self {
        Self {
            code: code.to_owned(),
            label: label.to_owned(),
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PartyView {
    pub index: u32,
    pub kind: Labelled,
    pub role: Labelled,
    pub name: String,
    /// Masked, e.g. `110101********1234`.
    pub id_number: Option<String>,
    /// Masked, e.g. `138****5678`.
    pub phone: Option<String>,
    pub address: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct HolderView {
    pub organisation_id: String,
    pub organisation_name: String,
    pub person_name: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CaseView {
    pub id: String,
    pub number: String,
    pub status: Labelled,
    pub channel: Labelled,
    pub dispute_type: Option<Labelled>,
    pub severity: Option<Labelled>,
    pub track: Option<Labelled>,
    pub parties: Vec<PartyView>,
    pub division: String,
    pub division_name: String,
    pub grid: Option<String>,
    pub address: Option<String>,
    pub description: String,
    /// Yuan, e.g. `3500.50元`.
    pub amount: Option<String>,
    pub head_count: Option<u32>,
    pub holder: Option<HolderView>,
    pub mediator: Option<String>,
    pub sessions: u32,
    pub outcome: Option<Labelled>,
    pub follow_ups: u32,
    pub satisfaction: Option<Labelled>,
    pub registered_at: String,
    pub updated_at: String,
    pub closed_at: Option<String>,
    /// The stream version: send it back as `expected_version` to act only on what you saw.
    pub version: u64,
    /// Commands this user may run on this case now (codes of the command routes).
    pub actions: Vec<String>,
}

pub fn command_code(n: hejie_domain::CommandName) -> &'static str {
    use hejie_domain::CommandName as N;
    match n {
        N::Register => "register",
        N::Accept => "accept",
        N::Decline => "decline",
        N::Assign => "assign",
        N::Route => "route",
        N::Acknowledge => "acknowledge",
        N::StartMediation => "start-mediation",
        N::RecordSession => "sessions",
        N::Close => "close",
        N::FollowUp => "follow-up",
        N::ViewPersonalData => "personal-data",
        N::Rate => "rating",
        N::LinkReport => "link-report",
        N::SetTimeLimit => "time-limit",
        N::Escalate => "escalate",
        N::HandDown => "hand-down",
        N::Transfer => "transfer",
        N::InviteConsultation => "invite",
        N::RecordOpinion => "opinion",
        N::ReferOut => "refer",
        N::AnswerReferral => "referral-answer",
        N::Pause => "pause",
        N::Resume => "resume",
        N::Supervise => "supervise",
        N::Remind => "remind",
        N::MarkOverdue => "mark-overdue",
        N::Reopen => "reopen",
        N::ScheduleFollowUp => "schedule-follow-up",
        N::CheckPerformance => "performance-check",
        N::RecordConsent => "consent",
        N::DraftAgreement => "agreement",
        N::SignAgreement => "agreement-sign",
        N::ApplyConfirmation => "confirmation",
        N::RecordConfirmation => "confirmation-ruling",
        N::AddEvidence => "evidence",
        N::UseRoom => "room",
        N::RequestFiling => "filing",
        N::RecordFilingReceipt => "filing-receipt",
        N::ScheduleSession => "schedule",
        N::StatePreference => "preference",
        N::RecordConfirmationReceipt => "confirmation-receipt",
    }
}

pub fn case_view(c: &Case, version: u64, user: Option<&User>, r: &Reference) -> CaseView {
    CaseView {
        id: c.id.to_string(),
        number: c.number.to_string(),
        status: Labelled::new(c.status.code(), c.status.label()),
        channel: Labelled::new(c.channel.code(), c.channel.label()),
        dispute_type: c.dispute_type.map(|t| Labelled::new(t.code(), t.label())),
        severity: c.severity.map(|t| Labelled::new(t.code(), t.label())),
        track: c.track.map(|t| Labelled::new(t.code(), t.label())),
        parties: c
            .parties
            .iter()
            .enumerate()
            .map(|(i, p)| PartyView {
                index: i as u32,
                kind: Labelled::new(p.kind.code(), p.kind.label()),
                role: Labelled::new(p.role.code(), p.role.label()),
                name: p.name.clone(),
                id_number: p.id_number.as_ref().map(|s| s.masked.clone()),
                phone: p.phone.as_ref().map(|s| s.masked.clone()),
                address: p.address.clone(),
            })
            .collect(),
        division: c.location.division.to_string(),
        division_name: r.full_name(&c.location.division),
        grid: c.location.grid.as_ref().map(|g| {
            r.division(g)
                .map_or_else(|| g.to_string(), |d| d.name.clone())
        }),
        address: c.location.address.clone(),
        description: c.description.clone(),
        amount: c.amount.map(|m| m.to_string()),
        head_count: c.head_count,
        holder: c.holder.as_ref().map(|h| HolderView {
            organisation_id: h.organisation.id.to_string(),
            organisation_name: h.organisation.name.clone(),
            person_name: h.person.as_ref().map(|p| p.name.clone()),
        }),
        mediator: c.mediator.as_ref().map(|p| p.name.clone()),
        sessions: c.sessions,
        outcome: c
            .outcome
            .as_ref()
            .map(|o| Labelled::new(o.code(), o.label())),
        follow_ups: c.follow_ups,
        satisfaction: c.satisfaction.map(|s| Labelled::new(s.code(), s.label())),
        registered_at: rfc3339(c.registered_at),
        updated_at: rfc3339(c.updated_at),
        closed_at: c.closed_at.map(rfc3339),
        version,
        actions: user
            .map(|u| {
                available_commands(u, c)
                    .into_iter()
                    .map(|n| command_code(n).to_owned())
                    .collect()
            })
            .unwrap_or_default(),
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CaseListItem {
    pub id: String,
    pub number: String,
    pub status: Labelled,
    pub dispute_type: Option<Labelled>,
    pub division: String,
    pub division_name: String,
    pub holder_name: Option<String>,
    pub party_names: String,
    pub description: String,
    pub registered_at: String,
    pub overdue: bool,
}

pub fn list_item(s: &CaseSummary, r: &Reference, overdue_before: Timestamp) -> CaseListItem {
    let short: String = s.description.chars().take(60).collect();
    CaseListItem {
        id: s.id.to_string(),
        number: s.number.to_string(),
        status: Labelled::new(s.status.code(), s.status.label()),
        dispute_type: s.dispute_type.as_deref().and_then(|t| {
            hejie_domain::case::DisputeType::parse(t)
                .ok()
                .map(|t| Labelled::new(t.code(), t.label()))
        }),
        division: s.division.to_string(),
        division_name: r.full_name(&s.division),
        holder_name: s.holder_org_name.clone(),
        party_names: s.party_names.clone(),
        description: if s.description.chars().count() > 60 {
            format!("{short}…")
        } else {
            short
        },
        registered_at: rfc3339(s.registered_at),
        overdue: s.status.is_open() && s.registered_at < overdue_before,
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct EventView {
    pub version: u64,
    pub kind: String,
    pub label: String,
    pub actor: String,
    pub actor_role: String,
    pub at: String,
    pub division: String,
    pub division_name: String,
    /// What happened, in a sentence.
    pub summary: String,
    pub hash: String,
    pub prev_hash: String,
}

pub fn event_view(e: &StoredEvent, r: &Reference) -> EventView {
    let m = &e.event.meta;
    EventView {
        version: e.version,
        kind: e.event.body.kind().to_owned(),
        label: e.event.body.label().to_owned(),
        actor: m.actor.name.clone(),
        actor_role: m.actor.role.label().to_owned(),
        at: rfc3339(m.at),
        division: m.division.to_string(),
        division_name: r.full_name(&m.division),
        summary: describe(&e.event.body),
        hash: e.hash.clone(),
        prev_hash: e.prev_hash.clone(),
    }
}

/// One sentence in Chinese for the timeline.
pub fn describe(body: &EventBody) -> String {
    use hejie_domain::mediation::ConsentAnswer;
    match body {
        EventBody::Registered {
            channel,
            dispute_type,
            parties,
            ..
        } => format!(
            "经{}登记{}，当事人：{}",
            channel.label(),
            dispute_type
                .map(|t| format!("（{}纠纷）", t.label()))
                .unwrap_or_default(),
            parties
                .iter()
                .map(|p| p.name.as_str())
                .collect::<Vec<_>>()
                .join("、")
        ),
        EventBody::Accepted {
            dispute_type,
            severity,
            track,
            note,
        } => format!(
            "受理：{}纠纷，{}，{}{}",
            dispute_type.label(),
            severity.label(),
            track.label(),
            note.as_ref().map(|n| format!("。{n}")).unwrap_or_default()
        ),
        EventBody::Declined { reason, guidance } => {
            format!("不予受理：{reason}。引导：{guidance}")
        }
        EventBody::Assigned {
            organisation,
            person,
            note,
        } => format!(
            "派单至{}{}{}",
            organisation.name,
            person
                .as_ref()
                .map(|p| format!("（{}）", p.name))
                .unwrap_or_default(),
            note.as_ref().map(|n| format!("：{n}")).unwrap_or_default()
        ),
        EventBody::Routed {
            organisation,
            rule,
            reason,
        } => format!(
            "按分流规则派单至{}：{reason}（规则 {rule}）",
            organisation.name
        ),
        EventBody::Acknowledged { organisation, .. } => format!("{}签收", organisation.name),
        EventBody::MediationStarted { mediator } => {
            format!("经双方当事人同意，由{}开始调解", mediator.name)
        }
        EventBody::ConsentRecorded { party, answer } => match answer {
            ConsentAnswer::Consented => format!("第{}位当事人同意调解", party + 1),
            ConsentAnswer::Refused { reason } => format!(
                "第{}位当事人明确拒绝调解，依法不得继续调解（《人民调解法》第十七条）{}",
                party + 1,
                reason
                    .as_deref()
                    .map(|r| format!("；理由：{r}"))
                    .unwrap_or_default()
            ),
        },
        EventBody::SessionRecorded {
            mode,
            place,
            minutes,
            ..
        } => format!("{}（{}）：{}", mode.label(), place, minutes),
        EventBody::Closed { outcome } => match outcome {
            Outcome::Succeeded {
                agreement, amount, ..
            } => format!(
                "调解成功结案{}：{}",
                amount.map(|a| format!("，涉及金额{a}")).unwrap_or_default(),
                agreement
            ),
            Outcome::Failed { reason, .. } => {
                format!("调解不成，终止调解：{reason}（已告知当事人其他救济途径）")
            }
            Outcome::Withdrawn { reason } => format!("撤回结案：{reason}"),
            Outcome::Referred { target, reason } => {
                format!("移送{}：{reason}", target.label())
            }
        },
        EventBody::FollowedUp {
            method,
            satisfaction,
            agreement_performed,
            note,
        } => format!(
            "{}：{}{}{}",
            method.label(),
            satisfaction.label(),
            match agreement_performed {
                Some(true) => "，协议已履行",
                Some(false) => "，协议未履行",
                None => "",
            },
            note.as_ref().map(|n| format!("。{n}")).unwrap_or_default()
        ),
        EventBody::PersonalDataViewed {
            party,
            field,
            reason,
        } => format!(
            "查看了第{}位当事人的{}，理由：{reason}",
            party + 1,
            match field {
                hejie_domain::personal::PiiKind::IdNumber => "身份证号码",
                hejie_domain::personal::PiiKind::Phone => "手机号码",
            }
        ),
        EventBody::RatedByParty {
            satisfaction,
            comment,
        } => format!(
            "当事人评价：{}{}",
            satisfaction.label(),
            comment
                .as_ref()
                .map(|c| format!("。{c}"))
                .unwrap_or_default()
        ),
        EventBody::ReportLinked {
            channel,
            reporter,
            summary,
        } => format!(
            "同一纠纷再次反映：经{}由{reporter}反映：{summary}",
            channel.label()
        ),
        EventBody::TimeLimitSet {
            clock,
            limit,
            basis,
        } => format!("{}：{}（{basis}）", clock.label(), limit.label()),
        EventBody::Escalated { from, to, reason } => format!(
            "{}上报至{}：{reason}",
            from.as_ref().map_or(String::new(), |f| f.name.clone()),
            to.name
        ),
        EventBody::HandedDown {
            from,
            to,
            instructions,
        } => format!(
            "{}交办至{}，交办意见：{instructions}",
            from.as_ref().map_or(String::new(), |f| f.name.clone()),
            to.name
        ),
        EventBody::Transferred { from, to, reason } => format!(
            "{}移交至{}，理由：{reason}",
            from.as_ref().map_or(String::new(), |f| f.name.clone()),
            to.name
        ),
        EventBody::ConsultationInvited {
            organisation,
            purpose,
        } => format!("邀请{}参加会诊：{purpose}", organisation.name),
        EventBody::OpinionRecorded {
            organisation,
            opinion,
        } => format!("{}会诊意见：{opinion}", organisation.name),
        EventBody::ReferredOut {
            target,
            receiver,
            reason,
            remedies_informed,
        } => format!(
            "引导分流至{}（{receiver}）：{reason}{}",
            target.label(),
            if *remedies_informed {
                "。已告知当事人相关救济途径"
            } else {
                ""
            }
        ),
        EventBody::ReferralAnswered {
            accepted,
            receipt,
            note,
        } => format!(
            "{}{}{}",
            if *accepted {
                "接收单位已接收"
            } else {
                "接收单位未接收，案件退回继续办理"
            },
            receipt
                .as_ref()
                .map(|r| format!("，回执编号{r}"))
                .unwrap_or_default(),
            note.as_ref().map(|n| format!("：{n}")).unwrap_or_default()
        ),
        EventBody::Paused { reason, note } => format!("中止计时（{}）：{note}", reason.label()),
        EventBody::Resumed { note } => format!(
            "恢复计时{}",
            note.as_ref().map(|n| format!("：{n}")).unwrap_or_default()
        ),
        EventBody::Supervised {
            holder,
            limit,
            note,
        } => format!(
            "督办{}：{note}。限{}内办结",
            holder.as_ref().map_or(String::new(), |h| h.name.clone()),
            limit.label()
        ),
        EventBody::Reminded {
            clock, deadline, ..
        } => format!(
            "{}即将届满（{}），已提醒承办单位",
            clock.label(),
            crate::workflow::short_time(*deadline)
        ),
        EventBody::MarkedOverdue {
            clock, deadline, ..
        } => format!(
            "{}已于{}届满，案件超期，已通知上级督办",
            clock.label(),
            crate::workflow::short_time(*deadline)
        ),
        EventBody::Reopened { reason } => format!("重新办理：{reason}"),
        EventBody::FollowUpScheduled { due, reason } => format!(
            "安排回访，{}前完成（{reason}）",
            crate::workflow::short_time(*due)
        ),
        EventBody::PerformanceChecked {
            obligation,
            performed,
            note,
        } => format!(
            "履行检查：第{}项义务{}{}",
            obligation + 1,
            if *performed { "已履行" } else { "未履行" },
            note.as_ref().map(|n| format!("。{n}")).unwrap_or_default()
        ),
        EventBody::AgreementDrafted {
            version,
            agreement,
            content_hash,
        } => format!(
            "起草人民调解协议书第{version}版：协议内容{}条、履行义务{}项；校验码 {}",
            agreement.draft().terms.len(),
            agreement.draft().duties.len(),
            content_hash
        ),
        EventBody::AgreementSigned {
            signature,
            effective,
        } => format!(
            "{}经{}后电子签名（{}，公钥指纹 {}）{}",
            match signature.signer {
                hejie_domain::mediation::Signer::Party(i) => format!("第{}位当事人", i + 1),
                hejie_domain::mediation::Signer::Mediator => "调解员".to_owned(),
            },
            match signature.signer {
                hejie_domain::mediation::Signer::Party(_) => "短信验证码核验身份",
                hejie_domain::mediation::Signer::Mediator => "重新输入密码核验身份",
            },
            match signature.algorithm {
                hejie_domain::mediation::SignatureAlgorithm::Sm2 => "SM2",
                hejie_domain::mediation::SignatureAlgorithm::Ed25519 => "Ed25519",
            },
            crate::agreement::fingerprint(&signature.public_key),
            if *effective {
                "；各方均已签名，调解协议自即日起生效（《人民调解法》第二十九条）"
            } else {
                ""
            }
        ),
        EventBody::ConfirmationApplied {
            applicants,
            court,
            deadline,
        } => format!(
            "{}位当事人共同向{court}申请司法确认（申请期限至{}，《人民调解法》第三十三条）",
            applicants.len(),
            hejie_domain::timestamp::chinese_date(deadline.date_cst())
        ),
        EventBody::FilingRequested {
            court,
            claims,
            party,
            ..
        } => format!(
            "{}申请诉讼对接，向{court}提交起诉材料；诉讼请求：{claims}",
            who_in_room(*party)
        ),
        EventBody::ConfirmationReceived { receipt } => {
            format!("法院已接收司法确认申请，收件编号：{receipt}")
        }
        EventBody::PreferenceStated {
            organisation,
            mediator,
        } => format!(
            "申请人选择{}{}",
            organisation
                .as_ref()
                .map(|o| format!("调解组织：{}", o.name))
                .unwrap_or_default(),
            mediator
                .as_ref()
                .map(|m| format!(
                    "{}调解员：{}",
                    if organisation.is_some() { "；" } else { "" },
                    m.name
                ))
                .unwrap_or_default()
        ),
        EventBody::SessionScheduled {
            number,
            at,
            mode,
            place,
            note,
        } => format!(
            "安排第{number}次调解：{}，{}，{}{}；已短信通知当事人",
            crate::sessions::when(*at),
            mode.label(),
            place,
            note.as_ref().map(|n| format!("。{n}")).unwrap_or_default()
        ),
        EventBody::FilingReceived { receipt, .. } => {
            format!("法院已接收起诉材料，收件编号：{receipt}")
        }
        EventBody::RoomJoined { party } => format!("{}进入在线调解室", who_in_room(*party)),
        EventBody::RoomLeft { party } => format!("{}离开在线调解室", who_in_room(*party)),
        EventBody::RoomMessage { party, text } => {
            format!("{}在在线调解室发言：{text}", who_in_room(*party))
        }
        EventBody::EvidenceAdded { evidence } => format!(
            "{}提交证据材料“{}”（{}，{}）；SHA-256 {}{}",
            evidence
                .party
                .map(|p| format!("第{}位当事人", p + 1))
                .unwrap_or_default(),
            evidence.name,
            evidence.content_type,
            human_size(evidence.size),
            evidence.sha256,
            evidence
                .description
                .as_ref()
                .map(|d| format!("；说明：{d}"))
                .unwrap_or_default()
        ),
        EventBody::ConfirmationRuled {
            confirmed,
            ruling,
            note,
        } => format!(
            "法院{}（{ruling}）{}",
            if *confirmed {
                "裁定调解协议有效"
            } else {
                "裁定驳回司法确认申请"
            },
            note.as_ref().map(|n| format!("。{n}")).unwrap_or_default()
        ),
    }
}

/// A file size as people read it: 12.3 KB, 4.5 MB.
pub fn human_size(bytes: u64) -> String {
    if bytes >= 1024 * 1024 {
        format!("{:.1} MB", bytes as f64 / (1024.0 * 1024.0))
    } else {
        format!("{:.1} KB", bytes as f64 / 1024.0)
    }
}

/// Who did something in the room, as the timeline says it (the actor's name is shown beside).
fn who_in_room(party: Option<u32>) -> String {
    party.map_or_else(String::new, |p| format!("第{}位当事人", p + 1))
}
