//! The time-limit policy and working calendar as a deployment edits them (时限规则与工作日历):
//! one TOML document, stored as the setting [`TIME_LIMITS`], validated completely before it is
//! put in force, and rendered back to the same text so the default is a readable starting point.
//!
//! Values are written the way people in the field say them (`"办理时限"`, `"村(社区)"`,
//! `"劳动争议"`, `"10个工作日"`); the stable codes (`"resolve"`, `"village"`, `"labour"`,
//! `"10wd"`) are accepted too. A change never touches cases already running: each case records
//! the limit it was given as an event (see `hejie_domain::limits`).

use hejie_domain::calendar::{CalendarConfig, WorkCalendar};
use hejie_domain::case::{Channel, ClockKind, DisputeType, Track};
use hejie_domain::clock::Limit;
use hejie_domain::division::Level;
use hejie_domain::limits::{AutoEscalation, LimitPolicy, LimitRule};
use serde::Deserialize;

use super::Flow;

/// The setting's name in the store.
pub const TIME_LIMITS: &str = "time_limits";

/// Why a time-limit document was refused, in Chinese, with the line when the TOML itself is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}{message}", line.map(|l| format!("第{l}行：")).unwrap_or_default())]
pub struct SettingsError {
    pub line: Option<usize>,
    pub message: String,
}

impl SettingsError {
    fn new(message: impl Into<String>) -> Self {
        Self {
            line: None,
            message: message.into(),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Doc {
    remind_at_percent: u8,
    follow_up_percent: u8,
    follow_up_after_days: u32,
    calendar: CalendarDoc,
    #[serde(default)]
    auto_escalation: Vec<EscalationDoc>,
    #[serde(default)]
    rules: Vec<RuleDoc>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CalendarDoc {
    hours: Vec<String>,
    #[serde(default)]
    holidays: Vec<String>,
    #[serde(default)]
    workdays: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct EscalationDoc {
    level: String,
    after: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleDoc {
    clock: String,
    #[serde(default)]
    intake: bool,
    level: Option<String>,
    dispute_type: Option<String>,
    track: Option<String>,
    channel: Option<String>,
    limit: String,
    basis: String,
}

const HEADER: &str = "\
# 时限规则与工作日历（hejie）
#
# 保存后立即生效，只影响此后开始计时的环节；已在计时的案件沿用当时记录的时限。
#
# remind_at_percent     时限用去该比例时提醒承办人（1至99）
# follow_up_percent     一般案件结案后抽取回访的比例（0至100）；重大矛盾纠纷一律回访
# follow_up_after_days  结案后第几日回访
#
# [calendar] 工作日历
#   hours     每个工作日的工作时段，如 \"08:30-12:00\"
#   holidays  法定节假日（不计入工作日），\"YYYY-MM-DD\"
#   workdays  调休上班日（周末但计入工作日），\"YYYY-MM-DD\"
#
# [[auto_escalation]] 自动上报：该层级承办的案件超期后再过 after 仍未办结，自动上报上一级
#   level     网格 / 村(社区) / 乡镇(街道) / 县(区)
#   after     如 \"2个工作日\"
#
# [[rules]] 时限规则：每条规则为一个时钟规定时限；案件同时符合多条规则时，条件最多的一条生效，
# 条件一样多时后写的生效。每个时钟都必须有一条不带条件的规则兜底。
#   clock         签收时限 / 办理时限 / 总时限
#   intake        true：受理分流阶段（登记后、派单前）的办理时限
#   level         承办单位所在层级：网格 / 村(社区) / 乡镇(街道) / 县(区) / 市
#   dispute_type  纠纷类型，如 劳动争议、婚姻家庭、道路交通事故
#   track         门诊 / 急诊 / 会诊
#   channel       受理渠道，如 信访、12345热线、网上申请
#   limit         时限：\"4个工作小时\"、\"10个工作日\"、\"30日\"（自然日，含节假日）
#   basis         依据：法律条文或本地规定，写入案件时间线
";

/// A level by its code (`village`) or its label (`村(社区)`).
fn level_of(s: &str) -> Result<Level, SettingsError> {
    let t = s.trim();
    Level::parse(t)
        .ok()
        .or_else(|| {
            std::iter::successors(Some(Level::City), |l| l.child()).find(|l| l.label() == t)
        })
        .ok_or_else(|| {
            SettingsError::new(format!(
                "无法识别的层级“{t}”，应为 网格、村(社区)、乡镇(街道)、县(区) 或 市"
            ))
        })
}

/// Parses one vocabulary value (code or label) of rule `n`, naming the field on failure.
fn vocab<T>(
    n: usize,
    what: &str,
    value: Option<&String>,
    parse: impl Fn(&str) -> Result<T, hejie_domain::ValidationError>,
) -> Result<Option<T>, SettingsError> {
    value
        .map(|v| {
            parse(v).map_err(|_| {
                SettingsError::new(format!("第{n}条时限规则的{what}“{}”无法识别", v.trim()))
            })
        })
        .transpose()
}

/// Reads and validates a document; nothing about it is in force until this succeeds.
pub fn parse(text: &str) -> Result<Flow, SettingsError> {
    let doc: Doc = toml::from_str(text).map_err(|e| SettingsError {
        line: e
            .span()
            .map(|s| text[..s.start.min(text.len())].matches('\n').count() + 1),
        message: format!("格式有误：{}", e.message()),
    })?;
    let calendar = WorkCalendar::from_config(&CalendarConfig {
        hours: doc.calendar.hours,
        holidays: doc.calendar.holidays,
        workdays: doc.calendar.workdays,
    })
    .map_err(|e| SettingsError::new(format!("工作日历：{}", e.message)))?;
    let mut rules = Vec::with_capacity(doc.rules.len());
    for (i, r) in doc.rules.iter().enumerate() {
        let n = i + 1;
        let clock = ClockKind::parse(&r.clock).map_err(|_| {
            SettingsError::new(format!(
                "第{n}条时限规则的时钟“{}”无法识别，应为 签收时限、办理时限 或 总时限",
                r.clock.trim()
            ))
        })?;
        let limit = Limit::parse(&r.limit)
            .map_err(|e| SettingsError::new(format!("第{n}条时限规则：{}", e.message)))?;
        rules.push(LimitRule {
            clock,
            intake: r.intake,
            level: r
                .level
                .as_deref()
                .map(level_of)
                .transpose()
                .map_err(|e| SettingsError::new(format!("第{n}条时限规则：{}", e.message)))?,
            dispute_type: vocab(n, "纠纷类型", r.dispute_type.as_ref(), DisputeType::parse)?,
            track: vocab(n, "办理方式", r.track.as_ref(), Track::parse)?,
            channel: vocab(n, "受理渠道", r.channel.as_ref(), Channel::parse)?,
            limit,
            basis: r.basis.trim().to_owned(),
        });
    }
    let mut auto_escalation = Vec::with_capacity(doc.auto_escalation.len());
    for a in &doc.auto_escalation {
        auto_escalation.push(AutoEscalation {
            level: level_of(&a.level)
                .map_err(|e| SettingsError::new(format!("自动上报：{}", e.message)))?,
            after: Limit::parse(&a.after)
                .map_err(|e| SettingsError::new(format!("自动上报：{}", e.message)))?,
        });
    }
    let policy = LimitPolicy {
        rules,
        remind_at_percent: doc.remind_at_percent,
        auto_escalation,
        follow_up_percent: doc.follow_up_percent,
        follow_up_after_days: doc.follow_up_after_days,
    };
    policy
        .validate()
        .map_err(|e| SettingsError::new(e.message))?;
    Ok(Flow { policy, calendar })
}

/// A TOML string literal (quoted and escaped).
fn quoted(s: &str) -> String {
    toml::Value::String(s.to_owned()).to_string()
}

fn date_list(out: &mut String, key: &str, days: &[String]) {
    if days.is_empty() {
        out.push_str(&format!("{key} = []\n"));
        return;
    }
    out.push_str(&format!("{key} = [\n"));
    for chunk in days.chunks(6) {
        let line: Vec<String> = chunk.iter().map(|d| quoted(d)).collect();
        out.push_str(&format!("  {},\n", line.join(", ")));
    }
    out.push_str("]\n");
}

/// The document for `flow`, with the explanatory header; [`parse`] reads it back to `flow`.
pub fn render(flow: &Flow) -> String {
    let p = &flow.policy;
    let cal = flow.calendar.to_config();
    let mut out = String::from(HEADER);
    out.push_str(&format!(
        "\nremind_at_percent = {}\nfollow_up_percent = {}\nfollow_up_after_days = {}\n",
        p.remind_at_percent, p.follow_up_percent, p.follow_up_after_days
    ));
    out.push_str("\n[calendar]\n");
    let hours: Vec<String> = cal.hours.iter().map(|h| quoted(h)).collect();
    out.push_str(&format!("hours = [{}]\n", hours.join(", ")));
    date_list(&mut out, "holidays", &cal.holidays);
    date_list(&mut out, "workdays", &cal.workdays);
    for a in &p.auto_escalation {
        out.push_str(&format!(
            "\n[[auto_escalation]]\nlevel = {}\nafter = {}\n",
            quoted(a.level.label()),
            quoted(&a.after.label())
        ));
    }
    for r in &p.rules {
        out.push_str(&format!(
            "\n[[rules]]\nclock = {}\n",
            quoted(r.clock.label())
        ));
        if r.intake {
            out.push_str("intake = true\n");
        }
        if let Some(l) = r.level {
            out.push_str(&format!("level = {}\n", quoted(l.label())));
        }
        if let Some(t) = r.dispute_type {
            out.push_str(&format!("dispute_type = {}\n", quoted(t.label())));
        }
        if let Some(t) = r.track {
            out.push_str(&format!("track = {}\n", quoted(t.label())));
        }
        if let Some(c) = r.channel {
            out.push_str(&format!("channel = {}\n", quoted(c.label())));
        }
        out.push_str(&format!(
            "limit = {}\nbasis = {}\n",
            quoted(&r.limit.label()),
            quoted(&r.basis)
        ));
    }
    out
}

/// The text of the built-in policy and calendar.
pub fn default_text() -> String {
    render(&Flow::default())
}
