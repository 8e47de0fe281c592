//! Administrative divisions (行政区划) and the grid level beneath villages.
//!
//! National statistical division codes (统计用区划代码) have 12 digits: province (2), city (2),
//! county (2), township (3), village (3). Grids (网格) have no national code, so a grid code is
//! its village's 12-digit code followed by a 3-digit grid serial (15 digits). See
//! `docs/adr/0003-division-and-grid-codes.md`.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::error::ValidationError;

/// The five levels hejie works with, from the top down.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    City,
    County,
    Township,
    Village,
    Grid,
}

impl Level {
    /// The name people in the field use for the level.
    pub fn label(self) -> &'static str {
        match self {
            Level::City => "市",
            Level::County => "县(区)",
            Level::Township => "乡镇(街道)",
            Level::Village => "村(社区)",
            Level::Grid => "网格",
        }
    }

    /// The level directly above, if any.
    pub fn parent(self) -> Option<Level> {
        match self {
            Level::City => None,
            Level::County => Some(Level::City),
            Level::Township => Some(Level::County),
            Level::Village => Some(Level::Township),
            Level::Grid => Some(Level::Village),
        }
    }

    /// The level directly below, if any.
    pub fn child(self) -> Option<Level> {
        match self {
            Level::City => Some(Level::County),
            Level::County => Some(Level::Township),
            Level::Township => Some(Level::Village),
            Level::Village => Some(Level::Grid),
            Level::Grid => None,
        }
    }

    /// Number of leading code digits that identify a division of this level.
    fn prefix_len(self) -> usize {
        match self {
            Level::City => 4,
            Level::County => 6,
            Level::Township => 9,
            Level::Village => 12,
            Level::Grid => 15,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Level::City => "city",
            Level::County => "county",
            Level::Township => "township",
            Level::Village => "village",
            Level::Grid => "grid",
        }
    }

    pub fn parse(s: &str) -> Result<Self, ValidationError> {
        Ok(match s {
            "city" => Level::City,
            "county" => Level::County,
            "township" => Level::Township,
            "village" => Level::Village,
            "grid" => Level::Grid,
            _ => {
                return Err(ValidationError::new("level", format!("未知的层级“{s}”")));
            }
        })
    }
}

/// Province-level prefixes in use in GB/T 2260 (mainland, plus Taiwan, Hong Kong and Macao).
const PROVINCES: &[&str] = &[
    "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37", "41",
    "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64", "65", "71",
    "81", "82",
];

pub(crate) fn is_province_prefix(p: &str) -> bool {
    PROVINCES.contains(&p)
}

/// A validated division code: 12 digits for 市/县/乡镇/村, 15 digits for a grid.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct DivisionCode {
    code: String,
    level: Level,
}

impl DivisionCode {
    pub fn parse(input: &str) -> Result<Self, ValidationError> {
        let code = input.trim();
        let err = |msg: &str| ValidationError::new("division_code", msg.to_owned());
        if !code.bytes().all(|b| b.is_ascii_digit()) {
            return Err(err("区划代码只能由数字组成"));
        }
        if code.len() != 12 && code.len() != 15 {
            return Err(err("区划代码应为12位（网格为15位）"));
        }
        if !is_province_prefix(&code[0..2]) {
            return Err(err("区划代码的省级代码不存在"));
        }
        let zero = |r: std::ops::Range<usize>| code[r].bytes().all(|b| b == b'0');
        let level = if code.len() == 15 {
            if zero(9..12) || zero(12..15) {
                return Err(err("网格代码应为所属村(社区)代码加3位非零网格序号"));
            }
            Level::Grid
        } else if zero(2..4) {
            return Err(err("暂不支持省级区划，请使用市级及以下区划代码"));
        } else if zero(4..6) {
            if !zero(6..12) {
                return Err(err("区划代码层级不连续"));
            }
            Level::City
        } else if zero(6..9) {
            if !zero(9..12) {
                return Err(err("区划代码层级不连续"));
            }
            Level::County
        } else if zero(9..12) {
            Level::Township
        } else {
            Level::Village
        };
        Ok(Self {
            code: code.to_owned(),
            level,
        })
    }

    pub fn as_str(&self) -> &str {
        &self.code
    }

    pub fn level(&self) -> Level {
        self.level
    }

    /// The significant prefix: two codes are in the same subtree exactly when one's prefix
    /// starts with the other's.
    pub fn prefix(&self) -> &str {
        &self.code[..self.level.prefix_len()]
    }

    /// Whether `other` lies inside this division's subtree (a division contains itself).
    pub fn contains(&self, other: &DivisionCode) -> bool {
        other.level >= self.level && other.code.starts_with(self.prefix())
    }

    /// The code of the enclosing division at `level`, if `level` is this one or above it.
    pub fn ancestor_at(&self, level: Level) -> Option<DivisionCode> {
        if level > self.level {
            return None;
        }
        if level == self.level {
            return Some(self.clone());
        }
        let keep = level.prefix_len();
        let mut code: String = self.code[..keep.min(12)].to_owned();
        while code.len() < 12 {
            code.push('0');
        }
        Some(DivisionCode { code, level })
    }

    /// The 6-digit county-level prefix used in case numbers.
    pub fn county_prefix(&self) -> &str {
        &self.code[..6]
    }
}

impl fmt::Display for DivisionCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.code)
    }
}

impl TryFrom<String> for DivisionCode {
    type Error = ValidationError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<DivisionCode> for String {
    fn from(value: DivisionCode) -> Self {
        value.code
    }
}

/// One node of the division tree.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Division {
    pub code: DivisionCode,
    pub name: String,
    pub parent: Option<DivisionCode>,
    /// Registered population, used for per-10,000 rates.
    pub population: u64,
}

impl Division {
    /// Builds a division, checking that its parent sits exactly one level above and encloses it.
    pub fn new(
        code: DivisionCode,
        name: &str,
        parent: Option<DivisionCode>,
        population: u64,
    ) -> Result<Self, ValidationError> {
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 64 {
            return Err(ValidationError::new(
                "name",
                "区划名称不能为空且不超过64字".to_owned(),
            ));
        }
        if let Some(p) = &parent
            && (Some(p.level()) != code.level().parent() || !p.contains(&code))
        {
            return Err(ValidationError::new(
                "parent",
                format!("{} 不是 {} 的上一级区划", p, code),
            ));
        }
        Ok(Self {
            code,
            name: name.to_owned(),
            parent,
            population,
        })
    }

    pub fn level(&self) -> Level {
        self.code.level()
    }
}

/// The whole division tree of a deployment, checked for consistency.
#[derive(Debug, Clone, Default)]
pub struct DivisionTree {
    nodes: BTreeMap<DivisionCode, Division>,
}

impl DivisionTree {
    /// Builds the tree; every parent must be present, and there must be no duplicates.
    pub fn build(divisions: Vec<Division>) -> Result<Self, ValidationError> {
        let mut nodes = BTreeMap::new();
        for d in divisions {
            if nodes.contains_key(&d.code) {
                return Err(ValidationError::new(
                    "division_code",
                    format!("区划代码 {} 重复", d.code),
                ));
            }
            nodes.insert(d.code.clone(), d);
        }
        for d in nodes.values() {
            if let Some(p) = &d.parent
                && !nodes.contains_key(p)
            {
                return Err(ValidationError::new(
                    "parent",
                    format!("{}（{}）的上级区划 {} 不存在", d.name, d.code, p),
                ));
            }
        }
        Ok(Self { nodes })
    }

    pub fn get(&self, code: &DivisionCode) -> Option<&Division> {
        self.nodes.get(code)
    }

    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = &Division> {
        self.nodes.values()
    }

    pub fn children<'a>(&'a self, code: &'a DivisionCode) -> impl Iterator<Item = &'a Division> {
        self.nodes
            .values()
            .filter(move |d| d.parent.as_ref() == Some(code))
    }

    /// All divisions inside `code`'s subtree, including itself.
    pub fn subtree<'a>(&'a self, code: &'a DivisionCode) -> impl Iterator<Item = &'a Division> {
        self.nodes.values().filter(move |d| code.contains(&d.code))
    }

    /// The chain from the root down to `code`.
    pub fn path(&self, code: &DivisionCode) -> Vec<&Division> {
        let mut out = Vec::new();
        let mut cur = self.nodes.get(code);
        while let Some(d) = cur {
            out.push(d);
            cur = d.parent.as_ref().and_then(|p| self.nodes.get(p));
        }
        out.reverse();
        out
    }

    /// Full name from the top, e.g. `青溪市和安县城关镇东门社区`.
    pub fn full_name(&self, code: &DivisionCode) -> String {
        self.path(code).iter().map(|d| d.name.as_str()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(input: &str, expected: Result<Level, &str>) {
        let got = DivisionCode::parse(input).map(|c| c.level());
        match (got, expected) {
            (Ok(l), Ok(e)) => assert_eq!(l, e, "{input}"),
            (Err(err), Err(e)) => assert!(err.message.contains(e), "{input}: {err}"),
            (got, expected) => panic!("{input}: got {got:?}, expected {expected:?}"),
        }
    }

    #[test]
    fn parses_codes_at_every_level() {
        check("339000000000", Ok(Level::City));
        check("339021000000", Ok(Level::County));
        check("339021100000", Ok(Level::Township));
        check("339021100201", Ok(Level::Village));
        check("339021100201001", Ok(Level::Grid));
        check(" 110101001001 ", Ok(Level::Village));
    }

    #[test]
    fn rejects_malformed_codes() {
        check("33902110020", Err("12位"));
        check("33902110020a", Err("数字"));
        check("999021100201", Err("省级代码不存在"));
        check("330000000000", Err("省级"));
        check("339000100000", Err("不连续"));
        check("339021000201", Err("不连续"));
        check("339021100201000", Err("网格"));
        check("339021100000001", Err("网格"));
        check("", Err("12位"));
    }

    #[test]
    fn containment_follows_the_code_prefix() {
        let county = DivisionCode::parse("339021000000").unwrap();
        let town = DivisionCode::parse("339021100000").unwrap();
        let village = DivisionCode::parse("339021100201").unwrap();
        let grid = DivisionCode::parse("339021100201002").unwrap();
        let other_town = DivisionCode::parse("339021101000").unwrap();
        assert!(county.contains(&grid));
        assert!(town.contains(&village));
        assert!(town.contains(&town));
        assert!(!town.contains(&county));
        assert!(!other_town.contains(&village));
        assert!(!village.contains(&town));
        assert_eq!(grid.ancestor_at(Level::Township), Some(town));
        assert_eq!(grid.ancestor_at(Level::County), Some(county));
        assert_eq!(village.ancestor_at(Level::Grid), None);
    }

    #[test]
    fn tree_requires_parents_one_level_up() {
        let c = |s: &str| DivisionCode::parse(s).unwrap();
        assert!(Division::new(c("339021100201"), "东门村", Some(c("339021000000")), 1).is_err());
        assert!(Division::new(c("339021100201"), "东门村", Some(c("339021101000")), 1).is_err());
        let county = Division::new(c("339021000000"), "和安县", None, 100).unwrap();
        let village =
            Division::new(c("339021100201"), "东门村", Some(c("339021100000")), 10).unwrap();
        let err = DivisionTree::build(vec![county.clone(), village.clone()]).unwrap_err();
        assert!(err.message.contains("不存在"));
        let town = Division::new(c("339021100000"), "城关镇", Some(c("339021000000")), 50).unwrap();
        let tree = DivisionTree::build(vec![county, town, village]).unwrap();
        assert_eq!(tree.full_name(&c("339021100201")), "和安县城关镇东门村");
        assert_eq!(tree.subtree(&c("339021100000")).count(), 2);
    }
}
