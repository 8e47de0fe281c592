//! `/admin/model` 升级风险模型, for administrators only: how the escalation model trained on this
//! deployment's own closed cases does on the later period it was never trained on (AUC), how
//! many cases and escalations each period had, when it was trained, what it learned most, and a
//! button to train it again from the record as it stands now.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;

use super::PageError;
use super::admin::admin_only;
use super::form::{CsrfForm, PageQuery, PageUser};
use super::view::{self, Chrome};
use crate::auth::CurrentUser;
use crate::error::AppError;
use crate::escalation::{self, ModelReport, RetrainConfig, RetrainError};
use crate::state::AppState;

const TITLE: &str = "升级风险模型";

/// How many of the strongest weights the page lists.
const WEIGHTS_SHOWN: usize = 10;

/// One period of the split, as the page shows it.
#[derive(Debug, Clone)]
pub struct PeriodRow {
    pub name: &'static str,
    pub from: String,
    pub to: String,
    pub cases: usize,
    pub positives: usize,
    pub rate: String,
}

/// One learned weight.
#[derive(Debug, Clone)]
pub struct WeightRow {
    pub name: String,
    pub weight: String,
    pub raises: bool,
}

/// The stored model, as the page shows it.
#[derive(Debug, Clone)]
pub struct ModelView {
    pub auc: String,
    pub trained_at: String,
    pub periods: Vec<PeriodRow>,
    pub weights: Vec<WeightRow>,
    pub red: String,
    pub orange: String,
    pub yellow: String,
}

#[derive(Template)]
#[template(path = "admin_model.html")]
struct ModelPage {
    chrome: Chrome,
    tab: &'static str,
    model: Option<ModelView>,
    trained: bool,
    alert: String,
}

#[derive(Debug, Deserialize, Default)]
pub struct ShowQuery {
    #[serde(default)]
    trained: Option<String>,
}

/// The retrain form carries nothing but its CSRF token.
#[derive(Debug, Deserialize)]
pub struct RetrainForm {}

/// `GET /admin/model`.
pub async fn show(
    State(state): State<AppState>,
    PageUser(me): PageUser,
    PageQuery(q): PageQuery<ShowQuery>,
) -> Result<Response, PageError> {
    admin_only(&me)?;
    page(
        &state,
        &me,
        q.trained.is_some(),
        String::new(),
        StatusCode::OK,
    )
    .await
}

/// `POST /admin/model/retrain`: train on the closed cases as they stand now, keeping the
/// thresholds in force. Too little data stores nothing and says why.
pub async fn retrain(
    State(state): State<AppState>,
    form: CsrfForm<RetrainForm>,
) -> Result<Response, PageError> {
    let me = form.user;
    admin_only(&me)?;
    let thresholds = escalation::load(state.store.as_ref())
        .await?
        .map(|r| r.thresholds)
        .unwrap_or_default();
    let cfg = RetrainConfig {
        thresholds,
        ..RetrainConfig::default()
    };
    match escalation::retrain(state.store.clone(), state.now(), &cfg).await {
        Ok(r) => {
            tracing::info!(user = %me.user.username, auc = r.auc, "escalation model retrained");
            Ok(view::see_other("/admin/model?trained=1"))
        }
        Err(RetrainError::Refused(message)) => {
            page(
                &state,
                &me,
                false,
                format!("未重新训练：{message}"),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(RetrainError::Store(e)) => Err(AppError::from(e).into()),
    }
}

async fn page(
    state: &AppState,
    me: &CurrentUser,
    trained: bool,
    alert: String,
    status: StatusCode,
) -> Result<Response, PageError> {
    let model = escalation::load(state.store.as_ref()).await?.map(view_of);
    let p = ModelPage {
        chrome: Chrome::load(state, me, TITLE, "admin").await,
        tab: "model",
        model,
        trained,
        alert,
    };
    view::render(&p, status)
}

fn percent(p: f64) -> String {
    format!("{:.0}%", p * 100.0)
}

fn view_of(r: ModelReport) -> ModelView {
    let row = |name: &'static str, p: &escalation::Period| PeriodRow {
        name,
        from: p.from.clone(),
        to: p.to.clone(),
        cases: p.cases,
        positives: p.positives,
        rate: if p.cases == 0 {
            "—".to_owned()
        } else {
            format!("{:.1}%", p.positives as f64 * 100.0 / p.cases as f64)
        },
    };
    ModelView {
        auc: format!("{:.3}", r.auc),
        trained_at: super::admin_flow::when(r.trained_at),
        periods: vec![row("训练期", &r.train), row("留出检验期", &r.held_out)],
        weights: r
            .model
            .strongest(WEIGHTS_SHOWN)
            .into_iter()
            .map(|(name, w)| WeightRow {
                name,
                weight: format!("{w:+.3}"),
                raises: w > 0.0,
            })
            .collect(),
        red: percent(r.thresholds.red),
        orange: percent(r.thresholds.orange),
        yellow: percent(r.thresholds.yellow),
    }
}
