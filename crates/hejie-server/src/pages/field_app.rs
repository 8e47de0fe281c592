//! `/m` 网格通: the field app for a phone (issue 7). One page, installable (a web manifest and a
//! service worker that keeps it for offline use), whose script queues what is composed offline
//! in IndexedDB and syncs it through `/api/v1/field/…` (`static/field.js`). Grid workers report
//! into the four ledgers and log patrols; legal advisors check in and out of villages, log
//! consultations and activities.

use askama::Template;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use hejie_domain::division::{DivisionCode, Level};
use hejie_domain::field::{Ledger, RecordKind, RecordStatus};
use hejie_domain::user::{Role, User};
use hejie_store::field::FieldFilter;

use super::PageError;
use super::assets;
use super::form::PageUser;
use super::view;
use crate::state::AppState;
use crate::workflow::short_time;

#[derive(Debug)]
struct Place {
    code: String,
    name: String,
}

#[derive(Debug)]
struct Recent {
    kind: String,
    status: String,
    summary: String,
    when: String,
    flagged: bool,
    case_number: Option<String>,
}

#[derive(Debug)]
struct OpenVisit {
    id: String,
    village: String,
    since: String,
    fence: String,
    flagged: bool,
}

#[derive(Template)]
#[template(path = "field_app.html")]
struct FieldApp {
    css_url: &'static str,
    js_url: &'static str,
    csrf: String,
    name: String,
    role: String,
    grid_worker: bool,
    advisor: bool,
    grids: Vec<Place>,
    villages: Vec<Place>,
    ledgers: Vec<(&'static str, &'static str)>,
    categories: String,
    recent: Vec<Recent>,
    open_visit: Option<OpenVisit>,
}

/// The places a user works in at `level`: their assignments, else the places of that level in
/// their jurisdiction (a grid worker's jurisdiction is usually the grid itself).
async fn places(state: &AppState, user: &User, level: Level) -> Result<Vec<Place>, PageError> {
    let r = state.reference();
    let today = crate::field::day_of(state.now());
    let mut codes: Vec<DivisionCode> = state
        .store
        .assignments_of(&user.id.to_string())
        .await?
        .into_iter()
        .filter(|a| a.division.level() == level)
        .filter(|a| a.runs_on(&today))
        .map(|a| a.division)
        .collect();
    if codes.is_empty() {
        codes = r
            .tree
            .subtree(&user.jurisdiction)
            .filter(|d| d.code.level() == level)
            .map(|d| d.code.clone())
            .collect();
    }
    codes.sort();
    codes.dedup();
    Ok(codes
        .into_iter()
        .map(|c| Place {
            // Grid names already carry their village's (东门社区第1网格).
            name: r
                .division(&c)
                .map_or_else(|| r.full_name(&c), |d| d.name.clone()),
            code: c.to_string(),
        })
        .collect())
}

/// `GET /m`.
pub async fn show(
    State(state): State<AppState>,
    PageUser(me): PageUser,
) -> Result<Response, PageError> {
    let user = &me.user;
    let grid_worker = matches!(user.role, Role::GridWorker);
    let advisor = matches!(user.role, Role::LegalAdvisor | Role::JudicialGeneralAdvisor);
    let grids = if grid_worker {
        places(&state, user, Level::Grid).await?
    } else {
        Vec::new()
    };
    let villages = if advisor {
        places(&state, user, Level::Village).await?
    } else {
        Vec::new()
    };
    let mine = state
        .store
        .field_records(&FieldFilter {
            actor_id: Some(user.id.to_string()),
            limit: 20,
            ..FieldFilter::default()
        })
        .await?;
    let r = state.reference();
    let open_visit = mine
        .iter()
        .find(|row| row.kind == "visit" && row.status == "checked_in")
        .map(|row| OpenVisit {
            id: row.id.clone(),
            village: DivisionCode::parse(&row.division)
                .map(|d| r.full_name(&d))
                .unwrap_or_else(|_| row.division.clone()),
            since: short_time(hejie_domain::timestamp::Timestamp::from_micros(
                row.occurred_at,
            )),
            fence: row.summary.clone(),
            flagged: row.flagged,
        });
    let recent = mine
        .iter()
        .map(|row| Recent {
            kind: row
                .ledger
                .as_deref()
                .and_then(|l| Ledger::parse(l).ok())
                .map(Ledger::label)
                .or_else(|| RecordKind::parse(&row.kind).ok().map(RecordKind::label))
                .unwrap_or_default()
                .to_owned(),
            status: RecordStatus::parse(&row.status)
                .map(RecordStatus::label)
                .unwrap_or_default()
                .to_owned(),
            summary: row.summary.clone(),
            when: short_time(hejie_domain::timestamp::Timestamp::from_micros(
                row.occurred_at,
            )),
            flagged: row.flagged,
            case_number: row.case_number.clone(),
        })
        .collect();
    let categories: serde_json::Map<String, serde_json::Value> = Ledger::ALL
        .iter()
        .map(|l| (l.code().to_owned(), serde_json::json!(l.categories())))
        .collect();
    let page = FieldApp {
        css_url: assets::css_url(),
        js_url: assets::field_js_url(),
        csrf: me.csrf_token().to_owned(),
        name: user.name.clone(),
        role: user.role.label().to_owned(),
        grid_worker,
        advisor,
        grids,
        villages,
        ledgers: Ledger::ALL.iter().map(|l| (l.code(), l.label())).collect(),
        categories: serde_json::Value::Object(categories).to_string(),
        recent,
        open_visit,
    };
    let mut res = view::render(&page, axum::http::StatusCode::OK)?;
    // The page carries the session's form token; it must not be kept by shared caches.
    res.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("private, no-cache"),
    );
    Ok(res)
}

/// `GET /m/manifest.webmanifest`: what makes 网格通 installable on a phone's home screen.
pub async fn manifest() -> impl IntoResponse {
    let body = serde_json::json!({
        "name": "网格通 · 和解",
        "short_name": "网格通",
        "description": "网格员上报、巡查与法律顾问进村走访，离线可用",
        "lang": "zh-CN",
        "start_url": "/m",
        "scope": "/m",
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": "#b3261e",
        "icons": [
            {"src": "/m/icon.svg", "sizes": "any", "type": "image/svg+xml", "purpose": "any"}
        ]
    });
    (
        [(
            header::CONTENT_TYPE,
            "application/manifest+json; charset=utf-8",
        )],
        body.to_string(),
    )
}

/// `GET /m/sw.js`: the service worker, served from `/m/` so its scope is the app.
pub async fn service_worker() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            // A new release's worker must be seen at once.
            (header::CACHE_CONTROL, "no-cache"),
            // The app's address is `/m`, one step above the worker's own directory.
            (
                header::HeaderName::from_static("service-worker-allowed"),
                "/m",
            ),
        ],
        assets::service_worker(),
    )
}

/// `GET /m/icon.svg`.
pub async fn icon() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "image/svg+xml"),
            (header::CACHE_CONTROL, "public, max-age=86400"),
        ],
        include_str!("../../static/icon.svg"),
    )
}
