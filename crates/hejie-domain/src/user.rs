//! Users, their roles and their jurisdiction.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::division::DivisionCode;
use crate::error::ValidationError;
use crate::org::OrganisationId;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct UserId(pub Uuid);

impl std::fmt::Display for UserId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Resident,
    GridWorker,
    Mediator,
    LegalAdvisor,
    JudicialGeneralAdvisor,
    WindowClerk,
    DepartmentHandler,
    Supervisor,
    CourtLiaison,
    Admin,
    /// Automated actors: importers, the data generator, scheduled jobs.
    System,
}

impl Role {
    pub fn label(self) -> &'static str {
        match self {
            Role::Resident => "当事人",
            Role::GridWorker => "网格员",
            Role::Mediator => "人民调解员",
            Role::LegalAdvisor => "法律顾问",
            Role::JudicialGeneralAdvisor => "司法总顾问",
            Role::WindowClerk => "窗口受理员",
            Role::DepartmentHandler => "职能部门经办人",
            Role::Supervisor => "督办人",
            Role::CourtLiaison => "法院对接人",
            Role::Admin => "管理员",
            Role::System => "系统",
        }
    }
}

/// A staff member or resident account. The jurisdiction bounds everything the user may see or do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    pub id: UserId,
    pub username: String,
    pub name: String,
    pub role: Role,
    pub jurisdiction: DivisionCode,
    pub organisation: Option<OrganisationId>,
}

impl User {
    pub fn new(
        id: UserId,
        username: &str,
        name: &str,
        role: Role,
        jurisdiction: DivisionCode,
        organisation: Option<OrganisationId>,
    ) -> Result<Self, ValidationError> {
        let username = username.trim();
        if username.is_empty()
            || username.len() > 32
            || !username
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.' || b == b'-')
        {
            return Err(ValidationError::new(
                "username",
                "用户名应为1至32位字母、数字、下划线、点或连字符".to_owned(),
            ));
        }
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 32 {
            return Err(ValidationError::new(
                "name",
                "姓名不能为空且不超过32字".to_owned(),
            ));
        }
        Ok(Self {
            id,
            username: username.to_owned(),
            name: name.to_owned(),
            role,
            jurisdiction,
            organisation,
        })
    }

    /// Whether something located in `division` lies inside this user's jurisdiction.
    pub fn covers(&self, division: &DivisionCode) -> bool {
        self.jurisdiction.contains(division)
    }
}

/// Who did something, as the record remembers it (a snapshot, not a reference that can change).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actor {
    pub id: UserId,
    pub name: String,
    pub role: Role,
    pub organisation: Option<OrganisationId>,
}

impl Actor {
    pub fn of(user: &User) -> Self {
        Self {
            id: user.id,
            name: user.name.clone(),
            role: user.role,
            organisation: user.organisation,
        }
    }

    /// The actor for automated work (generator, importers, jobs).
    pub fn system(name: &str) -> Self {
        Self {
            id: UserId(Uuid::nil()),
            name: name.to_owned(),
            role: Role::System,
            organisation: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jurisdiction_covers_only_the_subtree() {
        let town = DivisionCode::parse("339021100000").unwrap();
        let u = User::new(
            UserId(Uuid::nil()),
            "clerk1",
            "王芳",
            Role::WindowClerk,
            town,
            None,
        )
        .unwrap();
        assert!(u.covers(&DivisionCode::parse("339021100201001").unwrap()));
        assert!(!u.covers(&DivisionCode::parse("339021101001").unwrap()));
        assert!(!u.covers(&DivisionCode::parse("339021000000").unwrap()));
    }

    #[test]
    fn usernames_are_validated() {
        let d = DivisionCode::parse("339021000000").unwrap();
        let mk = |n: &str| User::new(UserId(Uuid::nil()), n, "王芳", Role::Admin, d.clone(), None);
        assert!(mk("wang.fang-1").is_ok());
        assert!(mk("").is_err());
        assert!(mk("王芳").is_err());
        assert!(mk(&"a".repeat(33)).is_err());
    }
}
