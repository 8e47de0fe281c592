//! `/admin/intake` 智能受理设置, for administrators only: the routing rules as TOML text they may
//! edit (validated before anything is saved, kept in the store, in force at once), a readable
//! table of the rules in force, and the accuracy of the classifier as it stands now (with every
//! correction learned so far) on the held-out set that is never trained on.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use hejie_domain::authz::{Action, role_may};
use hejie_domain::case::DisputeType;
use hejie_domain::org::CommitteeScope;
use hejie_intake::{Classifier, Condition, DEFAULT_RULES_TOML, RoutingRules, Target, TargetKind};
use serde::Deserialize;

use super::PageError;
use super::form::{CsrfForm, PageQuery, PageUser};
use super::view::{self, Chrome, Errors};
use crate::auth::CurrentUser;
use crate::error::AppError;
use crate::state::AppState;

const TITLE: &str = "智能受理设置";

/// The one check of this page: only administrators may see or change it.
pub(super) fn admin_only(me: &CurrentUser) -> Result<(), PageError> {
    if role_may(me.user.role, Action::Administer) {
        Ok(())
    } else {
        Err(AppError::Forbidden {
            code: "forbidden",
            message: "只有系统管理员可以查看和修改系统设置".to_owned(),
        }
        .into())
    }
}

/// One saved version of a setting: when, by whom, and the start of its SM3 digest.
#[derive(Debug, Clone)]
pub struct HistoryRow {
    pub at: String,
    pub by: String,
    pub digest: String,
}

/// The latest changes of the setting `name`, newest first.
pub(super) async fn history(state: &AppState, name: &str) -> Result<Vec<HistoryRow>, AppError> {
    Ok(state
        .store
        .setting_history(name, 20)
        .await?
        .into_iter()
        .map(|c| HistoryRow {
            at: super::admin_flow::when(c.at),
            by: c.changed_by_name,
            digest: c.digest.chars().take(16).collect(),
        })
        .collect())
}

/// One rule, as the table shows it.
#[derive(Debug, Clone)]
pub struct RuleRow {
    pub id: String,
    pub name: String,
    pub when: String,
    pub targets: String,
}

/// Recall of one dispute type on the held-out set.
#[derive(Debug, Clone)]
pub struct RecallRow {
    pub label: String,
    pub hits: u32,
    pub total: u32,
    pub percent: String,
}

/// How the current classifier does on the held-out set.
#[derive(Debug, Clone)]
pub struct Accuracy {
    pub texts: usize,
    pub top1: String,
    pub top3: String,
    pub documents: u32,
    pub recall: Vec<RecallRow>,
}

#[derive(Template)]
#[template(path = "admin_intake.html")]
struct AdminPage {
    chrome: Chrome,
    tab: &'static str,
    text: String,
    default_text: &'static str,
    err: Errors,
    saved: bool,
    rules: Vec<RuleRow>,
    acc: Accuracy,
    history: Vec<HistoryRow>,
}

#[derive(Debug, Deserialize, Default)]
pub struct ShowQuery {
    #[serde(default)]
    saved: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct RulesForm {
    #[serde(default)]
    rules: String,
}

/// `GET /admin/intake`.
pub async fn show(
    State(state): State<AppState>,
    PageUser(me): PageUser,
    PageQuery(q): PageQuery<ShowQuery>,
) -> Result<Response, PageError> {
    admin_only(&me)?;
    let text = state.routing_text().await?;
    let saved = q.saved.is_some();
    page(&state, &me, text, Errors::none(), saved, StatusCode::OK).await
}

/// `POST /admin/intake/rules`: validate, store and put in force the typed rules; invalid text
/// comes back with the reason next to the field and nothing saved.
pub async fn save_rules(
    State(state): State<AppState>,
    form: CsrfForm<RulesForm>,
) -> Result<Response, PageError> {
    let me = form.user;
    admin_only(&me)?;
    let text = form.form.rules.replace("\r\n", "\n");
    match state.set_routing(&text, &me.user).await? {
        Ok(()) => {
            tracing::info!(user = %me.user.username, "routing rules changed");
            Ok(view::see_other("/admin/intake?saved=1"))
        }
        Err(e) => {
            let err = Errors::new("rules", e.to_string());
            page(&state, &me, text, err, false, StatusCode::BAD_REQUEST).await
        }
    }
}

async fn page(
    state: &AppState,
    me: &CurrentUser,
    text: String,
    err: Errors,
    saved: bool,
    status: StatusCode,
) -> Result<Response, PageError> {
    let rules = rule_rows(&state.routing_rules());
    let model = state
        .classifier
        .read()
        .map_or_else(|poisoned| poisoned.into_inner().clone(), |c| c.clone());
    let acc = tokio::task::spawn_blocking(move || evaluate(&model))
        .await
        .map_err(AppError::internal)?;
    let p = AdminPage {
        chrome: Chrome::load(state, me, TITLE, "admin").await,
        tab: "intake",
        text,
        default_text: DEFAULT_RULES_TOML,
        err,
        saved,
        rules,
        acc,
        history: history(state, crate::state::ROUTING_RULES).await?,
    };
    view::render(&p, status)
}

fn percent(hits: u32, total: u32) -> String {
    if total == 0 {
        return "—".to_owned();
    }
    format!("{:.1}%", f64::from(hits) * 100.0 / f64::from(total))
}

/// Top-1 and top-3 accuracy and per-type recall of `model` on the held-out set.
pub fn evaluate(model: &Classifier) -> Accuracy {
    let test = hejie_intake::heldout_examples();
    let (mut top1, mut top3) = (0u32, 0u32);
    let mut per: Vec<(DisputeType, u32, u32)> =
        DisputeType::ALL.iter().map(|&t| (t, 0, 0)).collect();
    for (text, truth) in &test {
        let c = model.classify(text);
        if let Some(row) = per.iter_mut().find(|r| r.0 == *truth) {
            row.2 += 1;
            if c.best() == *truth {
                row.1 += 1;
            }
        }
        if c.best() == *truth {
            top1 += 1;
        }
        if c.proposes(*truth) {
            top3 += 1;
        }
    }
    let n = u32::try_from(test.len()).unwrap_or(u32::MAX);
    Accuracy {
        texts: test.len(),
        top1: percent(top1, n),
        top3: percent(top3, n),
        documents: model.documents(),
        recall: per
            .into_iter()
            .map(|(t, hits, total)| RecallRow {
                label: t.label().to_owned(),
                hits,
                total,
                percent: percent(hits, total),
            })
            .collect(),
    }
}

fn rule_rows(rules: &RoutingRules) -> Vec<RuleRow> {
    rules
        .rules()
        .iter()
        .map(|r| RuleRow {
            id: r.id.clone(),
            name: r.name.clone(),
            when: if r.fallback {
                "兜底（其余所有案件）".to_owned()
            } else {
                r.when.iter().map(clause).collect::<Vec<_>>().join("；或 ")
            },
            targets: r
                .targets
                .iter()
                .map(|tier| tier.iter().map(target).collect::<Vec<_>>().join("、"))
                .collect::<Vec<_>>()
                .join(" → 否则 "),
        })
        .collect()
}

fn clause(c: &Condition) -> String {
    let mut parts = Vec::new();
    let join = |labels: Vec<&str>| labels.join("/");
    if !c.types.is_empty() {
        parts.push(join(c.types.iter().map(|t| t.label()).collect()));
    }
    if !c.severities.is_empty() {
        parts.push(join(c.severities.iter().map(|s| s.label()).collect()));
    }
    if !c.tracks.is_empty() {
        parts.push(join(c.tracks.iter().map(|t| t.label()).collect()));
    }
    match c.group {
        Some(true) => parts.push("群体性".to_owned()),
        Some(false) => parts.push("非群体性".to_owned()),
        None => {}
    }
    match c.cross_division {
        Some(true) => parts.push("跨区域".to_owned()),
        Some(false) => parts.push("不跨区域".to_owned()),
        None => {}
    }
    parts.join("，")
}

fn target(t: &Target) -> String {
    let what = match t.kind {
        TargetKind::Centre => "矛盾纠纷调处化解中心".to_owned(),
        TargetKind::BrandRoom => "品牌调解室".to_owned(),
        TargetKind::Committee if t.scope == Some(CommitteeScope::Industry) => {
            "行业性专业性人民调解委员会".to_owned()
        }
        TargetKind::Committee => "人民调解委员会".to_owned(),
        TargetKind::Department => t
            .department
            .map_or_else(|| "职能部门".to_owned(), |d| format!("{}部门", d.label())),
    };
    let industry = t
        .industry
        .as_deref()
        .map(|i| format!("（名称含“{i}”）"))
        .unwrap_or_default();
    format!("{}级{what}{industry}", t.level.label())
}
