//! Routing rules (分流规则): which organisation a case is sent to, by dispute type, place, severity,
//! track, head count and whether it crosses divisions.
//!
//! Rules are configuration in TOML. A built-in default set ([`DEFAULT_RULES_TOML`], 属地管理: the
//! village first) is compiled in, and an administrator may replace it with their own text, which
//! [`RoutingRules::from_toml`] validates. Rules are tried in order; the first whose conditions hold
//! *and* whose target names an existing organisation fires, so a rule aimed at a village committee
//! is passed over in a village that has none. The last rule is always the fallback.
//!
//! A target is a kind of organisation at a level relative to the case's place: the organisation
//! must sit exactly at the case's enclosing division of that level (the village committee of the
//! case's village, the centre of its township, …). Industry committees (行业性专业性调委会) carry no
//! industry in the domain model, so a target may name an `industry` text that the organisation's
//! name must contain (the default rules use 劳动, 医疗 and 交通). When several organisations are
//! eligible, the one with the fewest open cases is chosen, ties by name.

use std::collections::{HashMap, HashSet};

use hejie_domain::case::{DisputeType, OrgRef, Severity, Track};
use hejie_domain::division::{DivisionCode, Level};
use hejie_domain::org::{
    CommitteeScope, Department, Organisation, OrganisationId, OrganisationKind,
};
use serde::{Deserialize, Serialize};

use crate::risk::GROUP_HEAD_COUNT;

/// The default rule set, written for this project; the text an administrator starts from.
pub const DEFAULT_RULES_TOML: &str = include_str!("../data/routing.toml");

/// Why a rule set could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RoutingError {
    /// The text is not TOML of the expected shape.
    #[error("分流规则无法解析：{0}")]
    Syntax(String),
    /// There are no rules at all.
    #[error("分流规则不能为空")]
    Empty,
    /// A rule has an empty id or name.
    #[error("第 {0} 条分流规则缺少编号或名称")]
    Unnamed(usize),
    /// Two rules share an id.
    #[error("分流规则编号“{0}”重复")]
    DuplicateId(String),
    /// A condition names a dispute type, severity or track that does not exist.
    #[error("分流规则“{rule}”的{field}含有未知的取值“{value}”")]
    UnknownCode {
        rule: String,
        field: &'static str,
        value: String,
    },
    /// A rule other than the fallback has no condition, or a clause states none.
    #[error("分流规则“{0}”缺少匹配条件（只有最后的兜底规则可以无条件）")]
    NoCondition(String),
    /// The fallback rule has conditions.
    #[error("兜底规则“{0}”不能有匹配条件")]
    ConditionalFallback(String),
    /// The last rule is not a fallback.
    #[error("最后一条分流规则必须是兜底规则（fallback = true）")]
    NoFallback,
    /// A fallback rule stands before the end, making the rules after it unreachable.
    #[error("兜底规则“{0}”必须是最后一条规则")]
    FallbackNotLast(String),
    /// A rule's target is missing or inconsistent.
    #[error("分流规则“{rule}”的去向不正确：{reason}")]
    Target { rule: String, reason: String },
}

/// The kind of organisation a target names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TargetKind {
    /// 矛盾纠纷调处化解中心.
    Centre,
    /// 人民调解委员会 of the given scope.
    Committee,
    /// 品牌调解室.
    BrandRoom,
    /// A department (职能部门).
    Department,
}

/// One kind of organisation at one level relative to the case's place.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Target {
    pub kind: TargetKind,
    pub level: Level,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<CommitteeScope>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub department: Option<Department>,
    /// Text the organisation's name must contain (how industry committees are told apart).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub industry: Option<String>,
}

impl Target {
    /// Whether `org` is this target for a case in `place`.
    fn selects(&self, org: &Organisation, place: &DivisionCode) -> bool {
        let Some(at) = place.ancestor_at(self.level) else {
            return false;
        };
        let kind = match (self.kind, org.kind) {
            (TargetKind::Centre, OrganisationKind::Centre)
            | (TargetKind::BrandRoom, OrganisationKind::BrandRoom) => true,
            (TargetKind::Committee, OrganisationKind::MediationCommittee { scope }) => {
                self.scope == Some(scope)
            }
            (TargetKind::Department, OrganisationKind::Department { department, .. }) => {
                self.department == Some(department)
            }
            _ => false,
        };
        kind && org.division == at
            && self
                .industry
                .as_deref()
                .is_none_or(|text| org.name.contains(text))
    }

    fn check(&self) -> Result<(), String> {
        match self.kind {
            TargetKind::Committee if self.scope.is_none() => {
                return Err("调委会须写明 scope（village/township/industry）".to_owned());
            }
            TargetKind::Department if self.department.is_none() => {
                return Err("职能部门须写明 department".to_owned());
            }
            _ => {}
        }
        if self.scope.is_some() && self.kind != TargetKind::Committee {
            return Err("只有调委会可以写 scope".to_owned());
        }
        if self.department.is_some() && self.kind != TargetKind::Department {
            return Err("只有职能部门可以写 department".to_owned());
        }
        if self
            .industry
            .as_deref()
            .is_some_and(|s| s.trim().is_empty())
        {
            return Err("industry 不能为空".to_owned());
        }
        Ok(())
    }
}

/// One clause of a rule's conditions: every condition it states must hold. An empty list or an
/// absent flag places no condition.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Condition {
    pub types: Vec<DisputeType>,
    pub severities: Vec<Severity>,
    pub tracks: Vec<Track>,
    pub group: Option<bool>,
    pub cross_division: Option<bool>,
}

impl Condition {
    fn holds(&self, facts: &CaseFacts) -> bool {
        (self.types.is_empty() || self.types.contains(&facts.dispute_type))
            && (self.severities.is_empty() || self.severities.contains(&facts.severity))
            && (self.tracks.is_empty() || self.tracks.contains(&facts.track))
            && self.group.is_none_or(|g| g == facts.is_group())
            && self
                .cross_division
                .is_none_or(|c| c == facts.cross_division)
    }

    fn is_empty(&self) -> bool {
        self.types.is_empty()
            && self.severities.is_empty()
            && self.tracks.is_empty()
            && self.group.is_none()
            && self.cross_division.is_none()
    }
}

/// One routing rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Rule {
    /// Stable id, e.g. `labour-township`; recorded with every decision.
    pub id: String,
    /// What the rule says, in Chinese.
    pub name: String,
    /// The rule that always matches; only the last rule is one.
    pub fallback: bool,
    /// The rule matches when any clause holds (the fallback has none and always matches).
    pub when: Vec<Condition>,
    /// Tiers of targets tried in order; within the first tier that names an organisation the
    /// least-loaded one is chosen.
    pub targets: Vec<Vec<Target>>,
}

impl Rule {
    fn matches(&self, facts: &CaseFacts) -> bool {
        self.fallback || self.when.iter().any(|c| c.holds(facts))
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRules {
    #[serde(default)]
    rules: Vec<RawRule>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    id: String,
    name: String,
    #[serde(default)]
    fallback: bool,
    #[serde(default)]
    when: Vec<RawCondition>,
    #[serde(default)]
    targets: Vec<Vec<Target>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCondition {
    #[serde(default)]
    types: Vec<String>,
    #[serde(default)]
    severities: Vec<String>,
    #[serde(default)]
    tracks: Vec<String>,
    group: Option<bool>,
    cross_division: Option<bool>,
}

fn codes<T>(
    rule: &str,
    field: &'static str,
    values: &[String],
    parse: impl Fn(&str) -> Option<T>,
) -> Result<Vec<T>, RoutingError> {
    values
        .iter()
        .map(|v| {
            parse(v).ok_or_else(|| RoutingError::UnknownCode {
                rule: rule.to_owned(),
                field,
                value: v.clone(),
            })
        })
        .collect()
}

/// What the router needs to know about a case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseFacts {
    /// Where the dispute arose: a village or grid for most cases.
    pub division: DivisionCode,
    pub dispute_type: DisputeType,
    pub severity: Severity,
    pub track: Track,
    /// People on one side, when known; from five it is a group dispute (as in the risk hints).
    pub head_count: Option<u32>,
    /// Whether the dispute spans several divisions (跨区域).
    pub cross_division: bool,
}

impl CaseFacts {
    /// Whether this is a group dispute (群体性纠纷).
    pub fn is_group(&self) -> bool {
        self.head_count.is_some_and(|n| n >= GROUP_HEAD_COUNT)
    }

    fn describe(&self) -> String {
        let mut parts = vec![
            self.dispute_type.label().to_owned(),
            self.severity.label().to_owned(),
        ];
        if self.track != Track::Clinic {
            parts.push(self.track.label().to_owned());
        }
        if self.is_group() {
            parts.push(format!(
                "群体性纠纷（{}人）",
                self.head_count.unwrap_or_default()
            ));
        }
        if self.cross_division {
            parts.push("跨区域".to_owned());
        }
        parts.join("，")
    }
}

/// Where a case goes and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Decision {
    pub organisation: OrgRef,
    /// The id of the rule that fired, recorded with the routing event.
    pub rule_id: String,
    pub rule_name: String,
    /// Why, in Chinese, e.g. "劳动争议，较大，转县劳动争议人民调解委员会（规则 labour-county）".
    pub reason: String,
}

/// An ordered, validated set of routing rules whose last rule is the fallback.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RoutingRules {
    rules: Vec<Rule>,
}

impl Default for RoutingRules {
    fn default() -> Self {
        Self::default_rules()
    }
}

impl RoutingRules {
    /// The built-in rule set ([`DEFAULT_RULES_TOML`]).
    pub fn default_rules() -> Self {
        match Self::from_toml(DEFAULT_RULES_TOML) {
            Ok(rules) => rules,
            // The compiled-in text is checked by the tests; it cannot fail at run time.
            Err(e) => unreachable!("默认分流规则无效：{e}"),
        }
    }

    /// Reads and validates a rule set: unique ids, known type, severity and track codes (or
    /// their Chinese names), consistent targets, conditions on every rule but the last, and a
    /// last rule that is the fallback.
    pub fn from_toml(text: &str) -> Result<Self, RoutingError> {
        let raw: RawRules =
            toml::from_str(text).map_err(|e| RoutingError::Syntax(e.message().to_owned()))?;
        if raw.rules.is_empty() {
            return Err(RoutingError::Empty);
        }
        let last = raw.rules.len() - 1;
        let mut seen = HashSet::new();
        let mut rules = Vec::with_capacity(raw.rules.len());
        for (i, r) in raw.rules.into_iter().enumerate() {
            let id = r.id.trim().to_owned();
            let name = r.name.trim().to_owned();
            if id.is_empty() || name.is_empty() {
                return Err(RoutingError::Unnamed(i + 1));
            }
            if !seen.insert(id.clone()) {
                return Err(RoutingError::DuplicateId(id));
            }
            if r.fallback && i != last {
                return Err(RoutingError::FallbackNotLast(id));
            }
            if !r.fallback && i == last {
                return Err(RoutingError::NoFallback);
            }
            if r.fallback && !r.when.is_empty() {
                return Err(RoutingError::ConditionalFallback(id));
            }
            if !r.fallback && r.when.is_empty() {
                return Err(RoutingError::NoCondition(id));
            }
            let mut when = Vec::with_capacity(r.when.len());
            for c in &r.when {
                let condition = Condition {
                    types: codes(&id, "纠纷类型", &c.types, |s| {
                        DisputeType::parse(s).ok()
                    })?,
                    severities: codes(&id, "严重程度", &c.severities, |s| {
                        Severity::parse(s).ok()
                    })?,
                    tracks: codes(&id, "分诊", &c.tracks, |s| Track::parse(s).ok())?,
                    group: c.group,
                    cross_division: c.cross_division,
                };
                if condition.is_empty() {
                    return Err(RoutingError::NoCondition(id));
                }
                when.push(condition);
            }
            if r.targets.is_empty() || r.targets.iter().any(Vec::is_empty) {
                return Err(RoutingError::Target {
                    rule: id,
                    reason: "须至少有一个去向，且每一级去向不能为空".to_owned(),
                });
            }
            for t in r.targets.iter().flatten() {
                t.check().map_err(|reason| RoutingError::Target {
                    rule: id.clone(),
                    reason,
                })?;
            }
            rules.push(Rule {
                id,
                name,
                fallback: r.fallback,
                when,
                targets: r.targets,
            });
        }
        Ok(Self { rules })
    }

    /// The rules in the order they are tried.
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// Chooses the organisation for a case: the first rule whose conditions hold and whose
    /// target names one of `orgs` fires; among several eligible organisations the one with the
    /// fewest open cases in `load` (absent counts as 0) wins, ties by name. `None` only when not
    /// even the fallback names an existing organisation.
    pub fn route(
        &self,
        facts: &CaseFacts,
        orgs: &[Organisation],
        load: &HashMap<OrganisationId, u32>,
    ) -> Option<Decision> {
        let open = |o: &Organisation| load.get(&o.id).copied().unwrap_or(0);
        let mut passed_over = Vec::new();
        for rule in self.rules.iter().filter(|r| r.matches(facts)) {
            let pool = rule.targets.iter().find_map(|tier| {
                let pool: Vec<&Organisation> = orgs
                    .iter()
                    .filter(|o| tier.iter().any(|t| t.selects(o, &facts.division)))
                    .collect();
                (!pool.is_empty()).then_some(pool)
            });
            let Some(pool) = pool else {
                passed_over.push(rule.id.as_str());
                continue;
            };
            let chosen = pool
                .iter()
                .copied()
                .min_by(|a, b| (open(a), &a.name, a.id).cmp(&(open(b), &b.name, b.id)))?;
            let mut note = format!("规则 {}", rule.id);
            if pool.len() > 1 {
                note.push_str(&format!(
                    "；{} 个可选单位中在办案件最少（{} 件）",
                    pool.len(),
                    open(chosen)
                ));
            }
            if !passed_over.is_empty() {
                note.push_str(&format!("；{} 在本地无对应单位", passed_over.join("、")));
            }
            return Some(Decision {
                organisation: OrgRef::of(chosen),
                rule_id: rule.id.clone(),
                rule_name: rule.name.clone(),
                reason: format!("{}，转{}（{note}）", facts.describe(), chosen.name),
            });
        }
        None
    }
}
