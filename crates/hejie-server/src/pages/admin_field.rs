//! `/admin/field` 基层走访设置, for administrators: the "四个至少" quotas and the 星级网格 scoring
//! as TOML (validated before anything is saved, every change kept with who and when), and the
//! grids' and villages' boundaries: a GeoJSON import (each feature's `code` property names the
//! division) and the export of what is stored.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use hejie_domain::division::Level;
use hejie_domain::user::Role;
use hejie_store::models::SettingChange;
use serde::Deserialize;

use super::PageError;
use super::admin::{HistoryRow, admin_only, history};
use super::form::{CsrfForm, PageQuery, PageUser};
use super::view::{self, Chrome, Errors};
use crate::areas;
use crate::auth::CurrentUser;
use crate::duties::{Duties, FIELD_DUTIES};
use crate::error::AppError;
use crate::state::AppState;

const TITLE: &str = "基层走访设置";

#[derive(Template)]
#[template(path = "admin_field.html")]
struct FieldSettingsPage {
    chrome: Chrome,
    tab: &'static str,
    text: String,
    default_text: String,
    err: Errors,
    notice: String,
    geojson: String,
    geo_err: Errors,
    areas: usize,
    grids: usize,
    villages: usize,
    history: Vec<HistoryRow>,
    assignments: Vec<AssignmentRow>,
    people: Vec<(String, String)>,
    places: Vec<(String, String)>,
    assign_err: Errors,
}

#[derive(Debug)]
struct AssignmentRow {
    who: String,
    role: String,
    place: String,
    period: String,
}

#[derive(Debug, Deserialize, Default)]
pub struct ShowQuery {
    #[serde(default)]
    saved: Option<String>,
    #[serde(default)]
    imported: Option<usize>,
    #[serde(default)]
    assigned: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct TextForm {
    #[serde(default)]
    text: String,
}

#[derive(Debug, Deserialize)]
pub struct AssignForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    division: String,
    #[serde(default)]
    starts: String,
    #[serde(default)]
    ends: String,
}

#[derive(Debug, Deserialize)]
pub struct GeoForm {
    #[serde(default)]
    geojson: String,
}

async fn current_text(state: &AppState) -> Result<String, AppError> {
    Ok(match state.store.model(FIELD_DUTIES).await? {
        Some((text, _)) => text,
        None => Duties::default().to_text(),
    })
}

/// What the page shows besides what is stored: the duties' text (as typed when refused), and
/// the notice or the refusal of whichever form was sent.
#[derive(Debug, Default)]
struct Shown {
    text: String,
    err: Errors,
    notice: String,
    geojson: String,
    geo_err: Errors,
    assign_err: Errors,
}

async fn page(
    state: &AppState,
    me: &CurrentUser,
    shown: Shown,
    status: StatusCode,
) -> Result<Response, PageError> {
    let Shown {
        text,
        err,
        notice,
        geojson,
        geo_err,
        assign_err,
    } = shown;
    let stored = state.store.areas(&me.user.jurisdiction).await?;
    let r = state.reference();
    let assignments = state
        .store
        .assignments(&me.user.jurisdiction)
        .await?
        .into_iter()
        .map(|a| {
            let who = r.users.iter().find(|u| u.id.to_string() == a.user_id);
            AssignmentRow {
                who: who.map_or_else(
                    || a.user_id.clone(),
                    |u| format!("{}（{}）", u.name, u.username),
                ),
                role: who.map_or("", |u| u.role.label()).to_owned(),
                place: r
                    .division(&a.division)
                    .map_or_else(|| a.division.to_string(), |d| d.name.clone()),
                period: format!("{} 至 {}", a.starts, a.ends.as_deref().unwrap_or("长期")),
            }
        })
        .collect();
    let people = r
        .users
        .iter()
        .filter(|u| {
            matches!(
                u.role,
                Role::GridWorker | Role::LegalAdvisor | Role::JudicialGeneralAdvisor
            ) && me.user.jurisdiction.contains(&u.jurisdiction)
        })
        .map(|u| {
            (
                u.username.clone(),
                format!("{} · {}（{}）", u.name, u.role.label(), u.username),
            )
        })
        .collect();
    let places = r
        .tree
        .subtree(&me.user.jurisdiction)
        .filter(|d| matches!(d.code.level(), Level::Village | Level::Grid))
        .map(|d| (d.code.to_string(), format!("{} {}", d.name, d.code)))
        .collect();
    let p = FieldSettingsPage {
        chrome: Chrome::load(state, me, TITLE, "admin").await,
        tab: "field",
        text,
        default_text: Duties::default().to_text(),
        err,
        notice,
        geojson,
        geo_err,
        areas: stored.len(),
        grids: stored
            .iter()
            .filter(|a| a.division.level() == Level::Grid)
            .count(),
        villages: stored
            .iter()
            .filter(|a| a.division.level() == Level::Village)
            .count(),
        history: history(state, FIELD_DUTIES).await?,
        assignments,
        people,
        places,
        assign_err,
    };
    view::render(&p, status)
}

/// `GET /admin/field`.
pub async fn show(
    State(state): State<AppState>,
    PageUser(me): PageUser,
    PageQuery(q): PageQuery<ShowQuery>,
) -> Result<Response, PageError> {
    admin_only(&me)?;
    let notice = match (q.saved, q.imported, q.assigned) {
        (Some(_), _, _) => "考核与评分规则已保存并生效。".to_owned(),
        (None, Some(n), _) => format!("已导入{n}个边界。"),
        (None, None, Some(_)) => "派驻已保存。".to_owned(),
        _ => String::new(),
    };
    let text = current_text(&state).await?;
    let shown = Shown {
        text,
        notice,
        ..Shown::default()
    };
    page(&state, &me, shown, StatusCode::OK).await
}

/// `POST /admin/field`: validate and put the duties in force.
pub async fn save(
    State(state): State<AppState>,
    form: CsrfForm<TextForm>,
) -> Result<Response, PageError> {
    let me = form.user;
    admin_only(&me)?;
    let text = form.form.text.replace("\r\n", "\n");
    match Duties::parse(&text) {
        Ok(_) => {
            state
                .store
                .put_setting(&SettingChange {
                    name: FIELD_DUTIES.to_owned(),
                    body: text,
                    digest: String::new(),
                    changed_by: me.user.id.to_string(),
                    changed_by_name: me.user.name.clone(),
                    at: state.now(),
                })
                .await?;
            tracing::info!(user = %me.user.username, "field duties changed");
            Ok(view::see_other("/admin/field?saved=1"))
        }
        Err(e) => {
            let err = Errors::new("text", e);
            let shown = Shown {
                text,
                err,
                ..Shown::default()
            };
            page(&state, &me, shown, StatusCode::BAD_REQUEST).await
        }
    }
}

/// `POST /admin/field/areas`: import boundaries from GeoJSON text.
pub async fn import(
    State(state): State<AppState>,
    form: CsrfForm<GeoForm>,
) -> Result<Response, PageError> {
    let me = form.user;
    admin_only(&me)?;
    match areas::import(&state, &me.user, &form.form.geojson).await {
        Ok(n) => Ok(view::see_other(&format!("/admin/field?imported={n}"))),
        Err(AppError::Validation { message, .. }) => {
            let text = current_text(&state).await?;
            let shown = Shown {
                text,
                geojson: form.form.geojson,
                geo_err: Errors::new("geojson", message),
                ..Shown::default()
            };
            page(&state, &me, shown, StatusCode::BAD_REQUEST).await
        }
        Err(e) => Err(e.into()),
    }
}

/// `POST /admin/field/assignments`: put a grid worker in a grid or an advisor in a village.
pub async fn assign(
    State(state): State<AppState>,
    form: CsrfForm<AssignForm>,
) -> Result<Response, PageError> {
    let me = form.user;
    admin_only(&me)?;
    let input = crate::field::AssignInput {
        username: form.form.username,
        division: form.form.division,
        starts: form.form.starts,
        ends: form.form.ends,
    };
    match crate::field::assign(&state, &me.user, &input).await {
        Ok(_) => Ok(view::see_other("/admin/field?assigned=1")),
        Err(AppError::Validation { field, message }) => {
            let text = current_text(&state).await?;
            let shown = Shown {
                text,
                assign_err: Errors::new(&field, message),
                ..Shown::default()
            };
            page(&state, &me, shown, StatusCode::BAD_REQUEST).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Debug, Deserialize, Default)]
pub struct ExportQuery {
    #[serde(default)]
    division: String,
}

/// `GET /admin/field/areas.geojson`: the stored boundaries inside the user's jurisdiction.
pub async fn export(
    State(state): State<AppState>,
    PageUser(me): PageUser,
    PageQuery(q): PageQuery<ExportQuery>,
) -> Result<Response, PageError> {
    let within = crate::field::area_in_scope(&me.user, Some(&q.division))?;
    let body = areas::export(&state, &within).await?;
    Ok(crate::download::attachment(
        body,
        "application/geo+json",
        &format!("areas-{within}.geojson"),
        &format!("网格边界-{within}.geojson"),
    )
    .into_response())
}
