//! `/insight/reports` 研判预警专报 (supervisors and administrators): the monthly reports kept for
//! the areas of their jurisdiction, newest first, each downloadable as PDF, and a form to make
//! (or make again) the report of an area and month. The scheduler makes last month's reports on
//! the 1st (`report::run`); this page is for a month or area it did not cover, or a remake after
//! late corrections (a new version; earlier ones are kept).

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use hejie_domain::division::DivisionCode;
use hejie_domain::timestamp::CST;
use serde::Deserialize;

use super::PageError;
use super::form::{CsrfForm, PageQuery, PageUser};
use super::view::{self, Chrome, Errors, Opt};
use crate::auth::CurrentUser;
use crate::error::AppError;
use crate::insight::{self, add_months, month_text};
use crate::report;
use crate::state::AppState;

#[derive(Debug)]
struct ReportLine {
    title: String,
    area: String,
    month: String,
    version: i64,
    made: String,
    by: String,
    size: String,
    digest: String,
    href: String,
}

#[derive(Template)]
#[template(path = "reports.html")]
struct ReportsPage {
    chrome: Chrome,
    lines: Vec<ReportLine>,
    areas: Vec<Opt>,
    month: String,
    max_month: String,
    err: Errors,
}

#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    division: String,
    #[serde(default)]
    month: String,
}

fn size_text(n: i64) -> String {
    if n >= 1024 * 1024 {
        format!("{:.1} MB", n as f64 / 1024.0 / 1024.0)
    } else {
        format!("{} KB", (n + 1023) / 1024)
    }
}

async fn render(
    state: &AppState,
    me: &CurrentUser,
    division: &str,
    month: &str,
    err: Errors,
    status: StatusCode,
) -> Result<Response, PageError> {
    insight::authorize(&me.user)?;
    let r = state.reference();
    let kept = state
        .store
        .documents(report::MONTHLY_KIND, &me.user.jurisdiction, 200)
        .await
        .map_err(AppError::from)?;
    let users = &r.users;
    let lines = kept
        .into_iter()
        .map(|d| ReportLine {
            area: r.full_name(&d.division),
            href: format!("/insight/reports/{}/{}", d.division, d.period),
            month: d.period.clone(),
            title: d.title.clone(),
            version: d.version,
            made: d.created_at.to_datetime().to_offset(CST).date().to_string(),
            by: if d.created_by == "system" {
                "系统（每月1日自动生成）".to_owned()
            } else {
                users
                    .iter()
                    .find(|u| u.id.to_string() == d.created_by)
                    .map_or_else(|| d.created_by.clone(), |u| u.name.clone())
            },
            size: size_text(d.size),
            digest: d.digest.chars().take(16).collect(),
        })
        .collect();
    let today = state.now().to_datetime().to_offset(CST).date();
    let last_month = month_text(add_months(insight::month_start(today), -1));
    let chosen = if division.is_empty() {
        me.user.jurisdiction.to_string()
    } else {
        division.to_owned()
    };
    let areas = r
        .tree
        .subtree(&me.user.jurisdiction)
        .filter(|d| d.level() <= hejie_domain::division::Level::Township)
        .map(|d| Opt::new(d.code.as_str(), &r.full_name(&d.code), &chosen))
        .collect();
    let page = ReportsPage {
        chrome: Chrome::load(state, me, "研判预警专报", "insight").await,
        lines,
        areas,
        month: if month.is_empty() {
            last_month
        } else {
            month.to_owned()
        },
        max_month: month_text(today),
        err,
    };
    view::render(&page, status)
}

/// `GET /insight/reports`.
pub async fn show(
    State(state): State<AppState>,
    PageUser(me): PageUser,
    PageQuery(q): PageQuery<ListQuery>,
) -> Result<Response, PageError> {
    render(
        &state,
        &me,
        &q.division,
        &q.month,
        Errors::none(),
        StatusCode::OK,
    )
    .await
}

#[derive(Debug, Deserialize)]
pub struct MakeForm {
    #[serde(default)]
    division: String,
    #[serde(default)]
    month: String,
}

/// `POST /insight/reports`: makes the report, keeps it, and sends the browser to its download.
pub async fn make(
    State(state): State<AppState>,
    CsrfForm { user, form, .. }: CsrfForm<MakeForm>,
) -> Result<Response, PageError> {
    let made = async {
        let division = insight::area(&state, &user.user, &form.division)?;
        let first = report::parse_month(&form.month)?;
        report::make_and_keep(&state, &division, first, &user.user.id.to_string()).await
    }
    .await;
    match made {
        Ok((info, _)) => Ok(view::see_other(&format!(
            "/insight/reports/{}/{}",
            info.division, info.period
        ))),
        Err(e @ AppError::Validation { .. }) => {
            let status = e.status();
            let err = Errors::from_app(&e, str::to_owned);
            render(&state, &user, &form.division, &form.month, err, status).await
        }
        Err(e) => Err(e.into()),
    }
}

/// `GET /insight/reports/{division}/{month}`: the latest version of a kept report, as a PDF
/// download. Outside the user's jurisdiction it does not exist.
pub async fn download(
    State(state): State<AppState>,
    PageUser(me): PageUser,
    Path((division, month)): Path<(String, String)>,
) -> Result<Response, PageError> {
    let division = insight::area(&state, &me.user, &division)?;
    let first = report::parse_month(&month).map_err(|_| AppError::NotFound)?;
    let key = report::monthly_key(&division, &month_text(first));
    let (info, body) = state
        .store
        .document(&key)
        .await
        .map_err(AppError::from)?
        .ok_or(AppError::NotFound)?;
    Ok(pdf_response(
        &info.title,
        &info.period,
        &info.division,
        body,
    ))
}

/// A PDF as an attachment named after the report (ASCII fallback for old clients).
pub fn pdf_response(title: &str, period: &str, division: &DivisionCode, body: Vec<u8>) -> Response {
    pdf_attachment(&format!("report-{division}-{period}.pdf"), title, body)
}

/// A PDF as an attachment named `title`.pdf, with `ascii` for clients without RFC 5987.
pub fn pdf_attachment(ascii: &str, title: &str, body: Vec<u8>) -> Response {
    crate::download::attachment(body, "application/pdf", ascii, &format!("{title}.pdf"))
}
