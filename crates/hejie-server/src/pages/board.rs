//! `/board` 督办看板 (supervisors and administrators): overdue cases in the jurisdiction, counted
//! per division one level down, longest overdue first, each with an inline 督办 form that sets a
//! note and a new limit for the holder.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use hejie_domain::case::Command;
use serde::Deserialize;

use super::PageError;
use super::form::{CsrfForm, PageQuery, PageUser};
use super::queue::{self, QueueRow};
use super::view::{self, Chrome, Errors};
use crate::api::cases::parse_id;
use crate::auth::CurrentUser;
use crate::cases;
use crate::error::AppError;
use crate::state::AppState;
use crate::workflow;

/// One bar of the chart.
#[derive(Debug)]
struct Bar {
    name: String,
    count: usize,
    /// Bar length in percent of the longest.
    width: usize,
    y: usize,
}

/// One overdue case with its form.
#[derive(Debug)]
struct BoardRow {
    row: QueueRow,
    version: u64,
    limit: String,
    note: String,
    err: Errors,
}

#[derive(Template)]
#[template(path = "board.html")]
struct BoardPage {
    chrome: Chrome,
    scope: String,
    bars: Vec<Bar>,
    chart_height: usize,
    total: usize,
    rows: Vec<BoardRow>,
    notice: String,
    alert: String,
}

/// What a refused 督办 form had typed.
#[derive(Debug, Default)]
struct Refused {
    case: String,
    limit: String,
    note: String,
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
    let (divisions, entries) = workflow::queue::board_for(state, &me.user, now).await?;
    let r = state.reference();
    let max = divisions
        .iter()
        .map(|d| d.overdue)
        .max()
        .unwrap_or(1)
        .max(1);
    let bars = divisions
        .iter()
        .enumerate()
        .map(|(i, d)| Bar {
            name: r
                .division(&d.division)
                .map_or_else(|| d.division_name.clone(), |x| x.name.clone()),
            count: d.overdue,
            width: d.overdue * 100 / max,
            y: i * 34,
        })
        .collect::<Vec<_>>();
    let rows = entries
        .iter()
        .map(|e| {
            let row = queue::row(state, e, now);
            let mine = refused.case == row.id;
            BoardRow {
                version: e.item.summary.version,
                limit: if mine {
                    refused.limit.clone()
                } else {
                    "3".to_owned()
                },
                note: if mine {
                    refused.note.clone()
                } else {
                    String::new()
                },
                err: if mine {
                    refused.err.clone()
                } else {
                    Errors::none()
                },
                row,
            }
        })
        .collect::<Vec<_>>();
    let alert = if refused.err.any() {
        format!("未能督办：{}", refused.err.message)
    } else {
        String::new()
    };
    let page = BoardPage {
        chrome: Chrome::load(state, me, "督办看板", "board").await,
        scope: r.full_name(&me.user.jurisdiction),
        chart_height: bars.len() * 34,
        total: rows.len(),
        bars,
        rows,
        notice,
        alert,
    };
    view::render(&page, status)
}

#[derive(Debug, Deserialize)]
pub struct BoardQuery {
    #[serde(default)]
    done: String,
}

/// `GET /board`.
pub async fn show(
    State(state): State<AppState>,
    PageUser(me): PageUser,
    PageQuery(q): PageQuery<BoardQuery>,
) -> Result<Response, PageError> {
    let notice = if q.done.is_empty() {
        String::new()
    } else {
        format!(
            "已对案件 {} 督办，承办单位已收到通知和新的办理期限。",
            q.done
        )
    };
    render(&state, &me, notice, Refused::default(), StatusCode::OK).await
}

#[derive(Debug, Deserialize)]
pub struct SuperviseForm {
    #[serde(default)]
    pub expected_version: Option<u64>,
    #[serde(default)]
    pub limit: String,
    #[serde(default)]
    pub note: String,
}

/// Parses the form into the 督办 command.
pub fn supervise_command(form: &SuperviseForm) -> Result<Command, AppError> {
    let limit =
        workflow::parse_limit(&form.limit).map_err(|e| AppError::validation("limit", e.message))?;
    Ok(Command::Supervise {
        limit,
        note: form.note.trim().to_owned(),
    })
}

/// `POST /board/{id}/supervise`: 督办 from the board; back to the board.
pub async fn supervise(
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm { user, form, .. }: CsrfForm<SuperviseForm>,
) -> Result<Response, PageError> {
    let case_id = parse_id(&id)?;
    let result = match supervise_command(&form) {
        Ok(cmd) => cases::run(&state, &user.user, case_id, form.expected_version, cmd).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(_) => {
            let st = cases::load_visible(&state, &user.user, case_id).await?;
            let number = st.case().map(|c| c.number.to_string()).unwrap_or_default();
            Ok(view::see_other(&format!(
                "/board?{}",
                view::query(&[("done", &number)])
            )))
        }
        Err(e @ (AppError::Internal(_) | AppError::NotFound | AppError::Unauthorized)) => {
            Err(e.into())
        }
        Err(e) => {
            let status = e.status();
            let refused = Refused {
                case: case_id.to_string(),
                limit: form.limit,
                note: form.note,
                err: Errors::from_app(&e, str::to_owned),
            };
            render(&state, &user, String::new(), refused, status).await
        }
    }
}
