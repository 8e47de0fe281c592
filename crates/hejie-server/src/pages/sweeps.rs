//! `/sweeps` 排查任务: the periodic sweeps of the user's jurisdiction (villages weekly, townships
//! every half month, counties monthly). An open one is completed by recording what was found,
//! "无新情况" included, with the numbers of cases registered from it; a sweep past its period
//! is shown overdue.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;

use super::PageError;
use super::form::{CsrfForm, PageQuery, PageUser};
use super::view::{self, Chrome, Errors};
use crate::auth::CurrentUser;
use crate::error::AppError;
use crate::state::AppState;
use crate::workflow::{short_time, sweeps};

#[derive(Debug)]
struct SweepRow {
    id: String,
    division: String,
    cadence: &'static str,
    period: String,
    due: String,
    overdue: bool,
    done: Option<Done>,
    findings: String,
    cases: String,
    err: Errors,
}

#[derive(Debug)]
struct Done {
    by: String,
    at: String,
    findings: String,
    cases: usize,
}

#[derive(Template)]
#[template(path = "sweeps.html")]
struct SweepsPage {
    chrome: Chrome,
    open: Vec<SweepRow>,
    done: Vec<SweepRow>,
    overdue: usize,
    notice: String,
}

#[derive(Debug, Default)]
struct Refused {
    id: String,
    findings: String,
    cases: String,
    err: Errors,
}

async fn render(
    state: &AppState,
    me: &CurrentUser,
    notice: String,
    refused: Refused,
    status: StatusCode,
) -> Result<Response, PageError> {
    let now = state.now();
    let r = state.reference();
    let tasks = sweeps::visible(state, &me.user, false).await?;
    let (mut open, mut done) = (Vec::new(), Vec::new());
    for t in tasks {
        let mine = refused.id == t.id;
        let row = SweepRow {
            division: r.full_name(&t.division),
            cadence: sweeps::cadence(&t.division),
            period: format!(
                "{} 至 {}",
                short_time(t.period_start),
                short_time(t.due_at.plus_seconds(-60))
            ),
            due: short_time(t.due_at),
            overdue: sweeps::overdue(&t, now),
            done: t.completed.as_ref().map(|c| Done {
                by: c.by_name.clone(),
                at: short_time(c.at),
                findings: c.findings.clone(),
                cases: c.cases.len(),
            }),
            findings: if mine {
                refused.findings.clone()
            } else {
                String::new()
            },
            cases: if mine {
                refused.cases.clone()
            } else {
                String::new()
            },
            err: if mine {
                refused.err.clone()
            } else {
                Errors::none()
            },
            id: t.id,
        };
        if row.done.is_some() {
            done.push(row);
        } else {
            open.push(row);
        }
    }
    done.reverse();
    let page = SweepsPage {
        chrome: Chrome::load(state, me, "排查任务", "sweeps").await,
        overdue: open.iter().filter(|s| s.overdue).count(),
        open,
        done,
        notice,
    };
    view::render(&page, status)
}

#[derive(Debug, Deserialize)]
pub struct SweepsQuery {
    #[serde(default)]
    done: String,
}

/// `GET /sweeps`.
pub async fn show(
    State(state): State<AppState>,
    PageUser(me): PageUser,
    PageQuery(q): PageQuery<SweepsQuery>,
) -> Result<Response, PageError> {
    let notice = if q.done.is_empty() {
        String::new()
    } else {
        "排查情况已记录。".to_owned()
    };
    render(&state, &me, notice, Refused::default(), StatusCode::OK).await
}

#[derive(Debug, Deserialize)]
pub struct CompleteForm {
    #[serde(default)]
    findings: String,
    #[serde(default)]
    cases: String,
    /// Set by the 无新情况 button.
    #[serde(default)]
    nothing: String,
}

/// `POST /sweeps/{id}/complete`.
pub async fn complete(
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm { user, form, .. }: CsrfForm<CompleteForm>,
) -> Result<Response, PageError> {
    let findings = if !form.nothing.is_empty() && form.findings.trim().is_empty() {
        "无新情况".to_owned()
    } else {
        form.findings.clone()
    };
    let numbers: Vec<String> = form
        .cases
        .split([',', '，', '、', ' ', '\n'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect();
    match sweeps::complete(&state, &user.user, &id, &findings, &numbers).await {
        Ok(_) => Ok(view::see_other("/sweeps?done=1")),
        Err(e @ (AppError::Internal(_) | AppError::NotFound | AppError::Unauthorized)) => {
            Err(e.into())
        }
        Err(e) => {
            let status = e.status();
            let refused = Refused {
                id,
                findings: form.findings,
                cases: form.cases,
                err: Errors::from_app(&e, str::to_owned),
            };
            render(&state, &user, String::new(), refused, status).await
        }
    }
}
