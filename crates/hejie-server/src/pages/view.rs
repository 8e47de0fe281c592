//! What every page shares: the frame around it, select options, field errors, rendering.

use askama::Template;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use hejie_domain::authz::{Action, role_may};
use hejie_domain::division::{DivisionCode, Level};
use hejie_domain::error::CommandName;

use super::PageError;
use super::assets;
use crate::auth::CurrentUser;
use crate::error::AppError;
use crate::state::{AppState, Reference};

/// The frame of a page: title, navigation, who is signed in.
#[derive(Debug, Clone)]
pub struct Chrome {
    pub title: String,
    /// Which navigation entry is current: `home`, `intake`, `cases`, `admin`, `apply`, `track`,
    /// `login`.
    pub nav: &'static str,
    pub user: Option<UserBar>,
    /// The session's CSRF token (for the sign-out form).
    pub csrf: String,
    /// Whether to offer 一窗受理.
    pub may_register: bool,
    /// Whether to offer 智能受理设置 (administrators).
    pub may_administer: bool,
    /// Whether to offer 督办看板 (supervisors, administrators).
    pub may_supervise: bool,
    /// Whether to offer 数据研判 (supervisors, administrators).
    pub may_insight: bool,
    /// Unread in-app notifications (the badge next to 通知).
    pub unread: u64,
}

#[derive(Debug, Clone)]
pub struct UserBar {
    pub name: String,
    pub role: String,
    pub unit: String,
}

impl Chrome {
    pub fn staff(state: &AppState, me: &CurrentUser, title: &str, nav: &'static str) -> Self {
        let r = state.reference();
        let u = &me.user;
        let unit = u
            .organisation
            .and_then(|o| r.orgs.get(&o).map(|o| o.name.clone()))
            .unwrap_or_else(|| {
                r.division(&u.jurisdiction)
                    .map_or_else(|| u.jurisdiction.to_string(), |d| d.name.clone())
            });
        Chrome {
            title: title.to_owned(),
            nav,
            user: Some(UserBar {
                name: u.name.clone(),
                role: u.role.label().to_owned(),
                unit,
            }),
            csrf: me.csrf_token().to_owned(),
            may_register: role_may(u.role, Action::Command(CommandName::Register)),
            may_administer: role_may(u.role, Action::Administer),
            may_supervise: role_may(u.role, Action::Command(CommandName::Supervise)),
            may_insight: role_may(u.role, Action::ViewIndicators),
            unread: 0,
        }
    }

    /// [`Chrome::staff`] with the unread notification count for the badge.
    pub async fn load(state: &AppState, me: &CurrentUser, title: &str, nav: &'static str) -> Self {
        let mut c = Self::staff(state, me, title, nav);
        c.unread = state.store.unread_count(me.user.id).await.unwrap_or(0);
        c
    }

    pub fn public(title: &str, nav: &'static str) -> Self {
        Chrome {
            title: title.to_owned(),
            nav,
            user: None,
            csrf: String::new(),
            may_register: false,
            may_administer: false,
            may_supervise: false,
            may_insight: false,
            unread: 0,
        }
    }

    pub fn css_url(&self) -> &'static str {
        assets::css_url()
    }

    pub fn js_url(&self) -> &'static str {
        assets::js_url()
    }

    pub fn is(&self, nav: &str) -> bool {
        self.nav == nav
    }
}

/// One `<option>`.
#[derive(Debug, Clone)]
pub struct Opt {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

impl Opt {
    pub fn new(value: &str, label: &str, selected: &str) -> Self {
        Opt {
            value: value.to_owned(),
            label: label.to_owned(),
            selected: value == selected,
        }
    }
}

/// Options from `(code, label)` pairs, marking `selected`.
pub fn opts<'a>(items: impl IntoIterator<Item = (&'a str, &'a str)>, selected: &str) -> Vec<Opt> {
    items
        .into_iter()
        .map(|(v, l)| Opt::new(v, l, selected))
        .collect()
}

/// Options for one of the domain's vocabularies (`Channel`, `DisputeType`, …).
macro_rules! vocab {
    ($t:ty, $selected:expr) => {
        $crate::pages::view::opts(<$t>::ALL.iter().map(|v| (v.code(), v.label())), $selected)
    };
}
pub(crate) use vocab;

/// An `<optgroup>`; `key` is what scripts match on (e.g. the village a group of grids is in).
#[derive(Debug, Clone)]
pub struct Group {
    pub label: String,
    pub key: String,
    pub options: Vec<Opt>,
}

/// Villages and communities grouped by township, limited to those `keep` accepts. A division
/// below the village level that `keep` accepts (a grid worker's own grid) is offered itself.
pub fn village_groups(
    r: &Reference,
    keep: impl Fn(&DivisionCode) -> bool,
    selected: &str,
) -> Vec<Group> {
    let mut groups: Vec<Group> = Vec::new();
    for t in r.tree.iter().filter(|d| d.level() == Level::Township) {
        let options: Vec<Opt> = r
            .tree
            .subtree(&t.code)
            .filter(|d| d.level() >= Level::Village && keep(&d.code))
            .filter(|d| {
                // A grid is offered only when its village is not.
                d.level() == Level::Village || d.parent.as_ref().is_none_or(|p| !keep(p))
            })
            .map(|d| Opt::new(d.code.as_str(), &d.name, selected))
            .collect();
        if !options.is_empty() {
            groups.push(Group {
                label: t.name.clone(),
                key: t.code.to_string(),
                options,
            });
        }
    }
    groups
}

/// Grids grouped by village (the group key is the village code), for the villages offered,
/// limited to those `keep` accepts.
pub fn grid_groups(
    r: &Reference,
    villages: &[Group],
    keep: impl Fn(&DivisionCode) -> bool,
    selected: &str,
) -> Vec<Group> {
    villages
        .iter()
        .flat_map(|g| g.options.iter())
        .filter_map(|v| {
            let code = DivisionCode::parse(&v.value).ok()?;
            if code.level() != Level::Village {
                return None;
            }
            let options: Vec<Opt> = r
                .tree
                .children(&code)
                .filter(|d| d.level() == Level::Grid && keep(&d.code))
                .map(|d| Opt::new(d.code.as_str(), &d.name, selected))
                .collect();
            (!options.is_empty()).then(|| Group {
                label: v.label.clone(),
                key: v.value.clone(),
                options,
            })
        })
        .collect()
}

/// The error of a form, attached to the field at fault when there is one.
#[derive(Debug, Clone, Default)]
pub struct Errors {
    pub field: String,
    pub message: String,
}

impl Errors {
    pub fn none() -> Self {
        Self::default()
    }

    pub fn new(field: &str, message: impl Into<String>) -> Self {
        Errors {
            field: field.to_owned(),
            message: message.into(),
        }
    }

    /// From an error, renaming the field with `rename` (API field names to form field names).
    pub fn from_app(e: &AppError, rename: impl Fn(&str) -> String) -> Self {
        match e {
            AppError::Validation { field, message } => Errors::new(&rename(field), message.clone()),
            other => Errors::new("", other.to_string()),
        }
    }

    pub fn any(&self) -> bool {
        !self.message.is_empty()
    }

    /// The message for `field`, if it is the one at fault.
    pub fn on(&self, field: &str) -> Option<&str> {
        (self.any() && self.field == field).then_some(self.message.as_str())
    }

    /// Whether `field` is at fault (for `aria-invalid`).
    pub fn bad(&self, field: &str) -> bool {
        self.on(field).is_some()
    }
}

/// `2026-03-05T14:22:10+08:00` → `2026-03-05 14:22`.
pub fn short_time(rfc3339: &str) -> String {
    rfc3339.get(..16).unwrap_or(rfc3339).replace('T', " ")
}

/// Renders a template as an HTML response that is never cached (pages may show personal data).
pub fn render<T: Template>(t: &T, status: StatusCode) -> Result<Response, PageError> {
    let body = t.render().map_err(AppError::internal)?;
    let mut res = (status, body).into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(res)
}

/// A `303 See Other` to a local path, the answer to every successful form.
pub fn see_other(to: &str) -> Response {
    (StatusCode::SEE_OTHER, [(header::LOCATION, to.to_owned())]).into_response()
}

/// A query string from pairs, leaving out empty values.
pub fn query(pairs: &[(&str, &str)]) -> String {
    let kept: Vec<(&str, &str)> = pairs
        .iter()
        .copied()
        .filter(|(_, v)| !v.is_empty())
        .collect();
    serde_urlencoded::to_string(kept).unwrap_or_default()
}
