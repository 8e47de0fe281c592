//! The time-limit policy (时限规则): which limit each clock gets, by level, dispute type, track
//! and channel, and what the application records alongside a command because of it.
//!
//! Limits are configuration. The defaults follow DOMAIN.md: people's mediation within about one
//! month (人民调解工作若干规定), labour-dispute mediation within 15 days (劳动争议调解仲裁法
//! Art. 14), letters and visits handled within 60 days (信访工作条例), plus working-hour limits for
//! signing for a case (签收) and working-day limits per level for the holder's stage. The limit a
//! case gets is recorded as an event (with the rule that gave it), so a later change of policy
//! never rewrites an existing case's deadlines.

use serde::{Deserialize, Serialize};

use crate::case::{
    Case, Channel, ClockKind, Command, DisputeType, Event, EventBody, Severity, Status, Track,
};
use crate::clock::Limit;
use crate::division::Level;
use crate::error::ValidationError;
use crate::timestamp::Timestamp;

/// One rule: a limit for a clock, applying when every given condition matches. The most
/// specific matching rule wins (most conditions); among equals, the later one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LimitRule {
    pub clock: ClockKind,
    /// For the resolve clock: the stage before acceptance and dispatch (受理时限).
    #[serde(default)]
    pub intake: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub level: Option<Level>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dispute_type: Option<DisputeType>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub track: Option<Track>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<Channel>,
    pub limit: Limit,
    /// Why, in words people recognise (the legal basis or the local rule).
    pub basis: String,
}

/// Automatic escalation (自动上报) of an overdue case held at `level`, once it has been overdue
/// for `after`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AutoEscalation {
    pub level: Level,
    pub after: Limit,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LimitPolicy {
    pub rules: Vec<LimitRule>,
    /// Remind the holder once this share of a clock's budget is used (e.g. 75).
    pub remind_at_percent: u8,
    pub auto_escalation: Vec<AutoEscalation>,
    /// Share of ordinary closed cases sampled for follow-up (重大 cases always are).
    pub follow_up_percent: u8,
    /// How long after closing the follow-up is due, in calendar days.
    pub follow_up_after_days: u32,
}

/// What a rule is matched against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LimitContext {
    pub intake: bool,
    pub level: Option<Level>,
    pub dispute_type: Option<DisputeType>,
    pub track: Option<Track>,
    pub channel: Channel,
}

impl LimitContext {
    /// The context of a case in its current stage.
    pub fn of(case: &Case) -> Self {
        Self {
            intake: matches!(case.status, Status::Registered | Status::Accepted),
            level: case
                .holder
                .as_ref()
                .map(|h| h.organisation.division.level()),
            dispute_type: case.dispute_type,
            track: case.track,
            channel: case.channel,
        }
    }
}

fn rule(clock: ClockKind, limit: Limit, basis: &str) -> LimitRule {
    LimitRule {
        clock,
        intake: false,
        level: None,
        dispute_type: None,
        track: None,
        channel: None,
        limit,
        basis: basis.to_owned(),
    }
}

impl Default for LimitPolicy {
    fn default() -> Self {
        use ClockKind::{Acknowledge, Overall, Resolve};
        let mut rules = vec![
            LimitRule {
                intake: true,
                ..rule(
                    Resolve,
                    Limit::working_days(1),
                    "受理分流：1个工作日内受理并派单",
                )
            },
            LimitRule {
                intake: true,
                channel: Some(Channel::Petition),
                ..rule(
                    Resolve,
                    Limit::calendar_days(15),
                    "《信访工作条例》：15日内决定是否受理",
                )
            },
            rule(
                Acknowledge,
                Limit::working_hours(4),
                "派单后4个工作小时内签收",
            ),
            rule(Resolve, Limit::working_days(10), "承办单位10个工作日内办结"),
            rule(
                Overall,
                Limit::calendar_days(30),
                "人民调解一般在一个月内调结",
            ),
            LimitRule {
                dispute_type: Some(DisputeType::Labour),
                ..rule(
                    Overall,
                    Limit::calendar_days(15),
                    "《劳动争议调解仲裁法》第十四条：15日",
                )
            },
            LimitRule {
                channel: Some(Channel::Petition),
                ..rule(
                    Overall,
                    Limit::calendar_days(60),
                    "《信访工作条例》：60日内办结",
                )
            },
            LimitRule {
                track: Some(Track::Emergency),
                ..rule(
                    Acknowledge,
                    Limit::working_hours(1),
                    "急诊：1个工作小时内签收",
                )
            },
            LimitRule {
                track: Some(Track::Emergency),
                ..rule(
                    Resolve,
                    Limit::working_days(3),
                    "急诊：3个工作日内化解或上报",
                )
            },
        ];
        for (level, days, basis) in [
            (Level::Grid, 3, "微事不出网格：3个工作日"),
            (Level::Village, 7, "小事不出村：7个工作日"),
            (Level::Township, 10, "大事不出镇：10个工作日"),
            (Level::County, 15, "县级：15个工作日"),
        ] {
            rules.push(LimitRule {
                level: Some(level),
                ..rule(Resolve, Limit::working_days(days), basis)
            });
        }
        Self {
            rules,
            remind_at_percent: 75,
            auto_escalation: vec![AutoEscalation {
                level: Level::Village,
                after: Limit::working_days(2),
            }],
            follow_up_percent: 30,
            follow_up_after_days: 7,
        }
    }
}

/// The largest amount a limit may have (ten years of days).
pub const MAX_LIMIT_AMOUNT: u32 = 3650;

/// What makes two rules the same rule: the clock and every condition.
type RuleKey = (
    ClockKind,
    bool,
    Option<Level>,
    Option<DisputeType>,
    Option<Track>,
    Option<Channel>,
);

impl LimitRule {
    fn conditions(&self) -> RuleKey {
        (
            self.clock,
            self.intake,
            self.level,
            self.dispute_type,
            self.track,
            self.channel,
        )
    }

    /// How many conditions the rule has, if it matches the context.
    fn specificity(&self, clock: ClockKind, ctx: &LimitContext) -> Option<u8> {
        if self.clock != clock || (clock == ClockKind::Resolve && self.intake != ctx.intake) {
            return None;
        }
        let mut n = 0;
        let mut check = |cond: bool, given: bool| {
            if given {
                n += 1;
            }
            !given || cond
        };
        let ok = check(self.level == ctx.level, self.level.is_some())
            & check(
                self.dispute_type == ctx.dispute_type,
                self.dispute_type.is_some(),
            )
            & check(self.track == ctx.track, self.track.is_some())
            & check(self.channel == Some(ctx.channel), self.channel.is_some());
        ok.then_some(n)
    }
}

impl LimitPolicy {
    /// Checks a policy before it is put in force: shares and periods in range, every rule with a
    /// basis and a limit in range, no two rules with the same conditions (the later would
    /// silently win), a rule without conditions for every clock (so every case gets a limit),
    /// and automatic escalation at most once per level and never from the top.
    pub fn validate(&self) -> Result<(), ValidationError> {
        use ClockKind::{Acknowledge, Overall, Resolve};
        let bad = |field, message: String| Err(ValidationError::new(field, message));
        if !(1..=99).contains(&self.remind_at_percent) {
            return bad(
                "remind_at_percent",
                "到期提醒比例应为1至99（时限用去该比例时提醒承办人）".to_owned(),
            );
        }
        if self.follow_up_percent > 100 {
            return bad("follow_up_percent", "回访抽取比例应为0至100".to_owned());
        }
        if !(1..=365).contains(&self.follow_up_after_days) {
            return bad(
                "follow_up_after_days",
                "回访时间应为结案后1至365日".to_owned(),
            );
        }
        for (i, r) in self.rules.iter().enumerate() {
            let n = i + 1;
            if r.basis.trim().is_empty() {
                return bad("rules", format!("第{n}条时限规则缺少依据（basis）"));
            }
            if r.intake && r.clock != Resolve {
                return bad(
                    "rules",
                    format!("第{n}条时限规则：只有办理时限可以限定为受理阶段（intake）"),
                );
            }
            if !(1..=MAX_LIMIT_AMOUNT).contains(&r.limit.amount) {
                return bad(
                    "rules",
                    format!("第{n}条时限规则的时限数量应为1至{MAX_LIMIT_AMOUNT}"),
                );
            }
            let key = r.conditions();
            if let Some(j) = self.rules[..i].iter().position(|o| o.conditions() == key) {
                return bad(
                    "rules",
                    format!(
                        "第{}条与第{n}条时限规则的时钟和适用条件完全相同，请删除其中一条",
                        j + 1
                    ),
                );
            }
        }
        for (clock, intake, what) in [
            (Acknowledge, false, "签收时限"),
            (Resolve, true, "受理阶段的办理时限"),
            (Resolve, false, "办理时限"),
            (Overall, false, "总时限"),
        ] {
            let base = (clock, intake, None, None, None, None);
            if !self.rules.iter().any(|r| r.conditions() == base) {
                return bad(
                    "rules",
                    format!("缺少不带适用条件的{what}规则：没有它，不符合其他规则的案件将没有时限"),
                );
            }
        }
        for (i, a) in self.auto_escalation.iter().enumerate() {
            if a.level == Level::City {
                return bad(
                    "auto_escalation",
                    "市级是最高层级，不能设置自动上报".to_owned(),
                );
            }
            if !(1..=MAX_LIMIT_AMOUNT).contains(&a.after.amount) {
                return bad(
                    "auto_escalation",
                    format!("自动上报的等待时限数量应为1至{MAX_LIMIT_AMOUNT}"),
                );
            }
            if self.auto_escalation[..i].iter().any(|o| o.level == a.level) {
                return bad(
                    "auto_escalation",
                    format!("{}级的自动上报设置重复", a.level.label()),
                );
            }
        }
        Ok(())
    }

    /// The rule that sets `clock` in this context, if any.
    pub fn rule_for(&self, clock: ClockKind, ctx: &LimitContext) -> Option<&LimitRule> {
        self.rules
            .iter()
            .enumerate()
            .filter_map(|(i, r)| r.specificity(clock, ctx).map(|s| ((s, i), r)))
            .max_by_key(|(k, _)| *k)
            .map(|(_, r)| r)
    }

    fn set(&self, clock: ClockKind, ctx: &LimitContext) -> Option<Command> {
        self.rule_for(clock, ctx).map(|r| Command::SetTimeLimit {
            clock,
            limit: r.limit,
            basis: r.basis.clone(),
        })
    }

    /// After how long overdue a case held at `level` is escalated automatically.
    pub fn auto_escalate_after(&self, level: Level) -> Option<Limit> {
        self.auto_escalation
            .iter()
            .find(|a| a.level == level)
            .map(|a| a.after)
    }

    /// The commands the application records together with `events`, given the case after them:
    /// time limits for every new stage and the overall clock, and the follow-up of a closed case.
    pub fn companions(&self, after: &Case, events: &[Event]) -> Vec<Command> {
        let ctx = LimitContext::of(after);
        let mut out = Vec::new();
        for e in events {
            match &e.body {
                EventBody::Registered { .. } => out.extend(self.set(ClockKind::Resolve, &ctx)),
                EventBody::Accepted { .. } if after.clocks.overall.is_none() => {
                    out.extend(self.set(ClockKind::Overall, &ctx));
                }
                EventBody::Assigned { .. }
                | EventBody::Routed { .. }
                | EventBody::Escalated { .. }
                | EventBody::HandedDown { .. }
                | EventBody::Transferred { .. } => {
                    out.extend(self.set(ClockKind::Acknowledge, &ctx));
                    out.extend(self.set(ClockKind::Resolve, &ctx));
                }
                EventBody::Reopened { .. } => out.extend(self.set(ClockKind::Resolve, &ctx)),
                EventBody::Closed { .. } | EventBody::ReferralAnswered { accepted: true, .. } => {
                    out.extend(self.follow_up(after, e.meta.at));
                }
                _ => {}
            }
        }
        out
    }

    /// 回访: every major case, and a fixed share of the others chosen by the case id (so the
    /// choice is reproducible and not up to the person closing).
    fn follow_up(&self, case: &Case, closed_at: Timestamp) -> Option<Command> {
        let due = closed_at.plus_seconds(86_400 * i64::from(self.follow_up_after_days));
        if case.severity == Some(Severity::Major) {
            return Some(Command::ScheduleFollowUp {
                due,
                reason: "重大矛盾纠纷结案后必须回访".to_owned(),
            });
        }
        let bucket = case
            .id
            .0
            .as_bytes()
            .iter()
            .fold(0u32, |a, b| a.wrapping_mul(31).wrapping_add(u32::from(*b)))
            % 100;
        (bucket < u32::from(self.follow_up_percent)).then(|| Command::ScheduleFollowUp {
            due,
            reason: format!("按{}%比例抽取回访", self.follow_up_percent),
        })
    }
}
