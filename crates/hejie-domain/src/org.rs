//! Organisations attached to divisions: centres, mediation committees, brand rooms, departments.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::division::DivisionCode;
use crate::error::ValidationError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct OrganisationId(pub Uuid);

impl std::fmt::Display for OrganisationId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// Which people's mediation committee (人民调解委员会) this is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CommitteeScope {
    Village,
    Township,
    /// Industry or sector committees (行业性、专业性调委会), e.g. labour, medical, traffic.
    Industry,
}

/// Departments that take part in dispute resolution (职能部门).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Department {
    Police,
    Court,
    Procuratorate,
    HumanResources,
    Housing,
    NaturalResources,
    LettersAndVisits,
    CivilAffairs,
    WomensFederation,
    Justice,
    MarketRegulation,
    Health,
    Agriculture,
    Environment,
    Transport,
    Other,
}

impl Department {
    pub fn label(self) -> &'static str {
        match self {
            Department::Police => "公安",
            Department::Court => "法院",
            Department::Procuratorate => "检察院",
            Department::HumanResources => "人社",
            Department::Housing => "住建",
            Department::NaturalResources => "自然资源",
            Department::LettersAndVisits => "信访",
            Department::CivilAffairs => "民政",
            Department::WomensFederation => "妇联",
            Department::Justice => "司法行政",
            Department::MarketRegulation => "市场监管",
            Department::Health => "卫健",
            Department::Agriculture => "农业农村",
            Department::Environment => "生态环境",
            Department::Transport => "交通运输",
            Department::Other => "其他部门",
        }
    }
}

/// How a department is present at a centre.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stationing {
    /// 常驻
    Permanent,
    /// 轮驻
    Rotating,
    /// 随叫随驻
    OnCall,
}

impl Stationing {
    pub fn label(self) -> &'static str {
        match self {
            Stationing::Permanent => "常驻",
            Stationing::Rotating => "轮驻",
            Stationing::OnCall => "随叫随驻",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum OrganisationKind {
    /// 矛盾纠纷调处化解中心 (or a village's 调解工作室) at the division's level.
    Centre,
    /// 人民调解委员会.
    MediationCommittee { scope: CommitteeScope },
    /// 品牌调解室, e.g. 老吴调解室.
    BrandRoom,
    Department {
        department: Department,
        stationing: Stationing,
    },
}

impl OrganisationKind {
    pub fn label(&self) -> String {
        match self {
            OrganisationKind::Centre => "调处化解中心".to_owned(),
            OrganisationKind::MediationCommittee { scope } => match scope {
                CommitteeScope::Village => "村(社区)人民调解委员会",
                CommitteeScope::Township => "乡镇(街道)人民调解委员会",
                CommitteeScope::Industry => "行业性专业性人民调解委员会",
            }
            .to_owned(),
            OrganisationKind::BrandRoom => "品牌调解室".to_owned(),
            OrganisationKind::Department {
                department,
                stationing,
            } => format!("{}（{}）", department.label(), stationing.label()),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Organisation {
    pub id: OrganisationId,
    pub name: String,
    pub division: DivisionCode,
    pub kind: OrganisationKind,
}

impl Organisation {
    pub fn new(
        id: OrganisationId,
        name: &str,
        division: DivisionCode,
        kind: OrganisationKind,
    ) -> Result<Self, ValidationError> {
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 64 {
            return Err(ValidationError::new(
                "name",
                "单位名称不能为空且不超过64字".to_owned(),
            ));
        }
        Ok(Self {
            id,
            name: name.to_owned(),
            division,
            kind,
        })
    }
}
