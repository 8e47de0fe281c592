//! The web UI, rendered on the server in Simplified Chinese.
//!
//! One module per page or resource. Every page goes through the same operations as the API
//! (`crate::cases`, `crate::api::cases::commands::apply`), so authorization is enforced in one
//! place. Forms are plain HTML forms that work without JavaScript; `static/app.js` only adds
//! conveniences (filtering grids by village, showing the fields an outcome needs). Every POST
//! carries a CSRF token: the session's for staff ([`form::CsrfForm`]), a double-submit cookie for
//! the public resident pages ([`form::PublicForm`]).

mod admin;
mod admin_field;
mod admin_flow;
mod admin_model;
mod agreement;
mod apply;
mod assets;
mod board;
mod detail;
mod error;
mod evidence;
mod field;
mod field_app;
mod filing;
mod flow;
pub mod form;
mod home;
mod insight;
mod intake;
mod list;
mod login;
mod notifications;
mod queue;
pub(crate) mod reports;
mod room;
mod sweeps;
mod track;
mod verify;
mod verify_document;
mod view;
mod warnings;

use axum::Router;
use axum::http::Uri;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

pub use error::PageError;
pub use form::{CsrfForm, PageUser, PublicForm};

use crate::error::AppError;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/static/app.css", get(assets::css))
        .route("/static/app.js", get(assets::js))
        .route("/static/field.js", get(assets::field_js))
        .route("/field/ledgers", get(field::ledgers))
        .route("/field/map", get(field::map_page))
        .route("/field/board", get(field::board))
        .route("/field/board/export", get(field::board_export))
        .route("/field/records/{id}", get(field::record))
        .route("/field/records/{id}/follow-up", post(field::follow_up))
        .route("/field/records/{id}/photos/{sha256}", get(field::photo))
        .route("/m", get(field_app::show))
        .route("/m/sw.js", get(field_app::service_worker))
        .route("/m/manifest.webmanifest", get(field_app::manifest))
        .route("/m/icon.svg", get(field_app::icon))
        .route("/login", get(login::show).post(login::submit))
        .route("/logout", post(login::logout))
        .route("/", get(home::show))
        .route("/admin/intake", get(admin::show))
        .route("/admin/intake/rules", post(admin::save_rules))
        .route("/admin/flow", get(admin_flow::show).post(admin_flow::save))
        .route(
            "/admin/field",
            get(admin_field::show).post(admin_field::save),
        )
        .route(
            "/admin/field/areas",
            post(admin_field::import).layer(axum::extract::DefaultBodyLimit::max(
                crate::api::field::FIELD_BODY_LIMIT,
            )),
        )
        .route("/admin/field/areas.geojson", get(admin_field::export))
        .route("/admin/field/assignments", post(admin_field::assign))
        .route("/admin/model", get(admin_model::show))
        .route("/admin/model/retrain", post(admin_model::retrain))
        .route("/intake", get(intake::show).post(intake::submit))
        .route("/intake/link/{id}", post(intake::link))
        .route("/queue", get(queue::show))
        .route("/board", get(board::show))
        .route("/board/{id}/supervise", post(board::supervise))
        .route("/insight", get(insight::show))
        .route("/insight/cases", get(insight::cases))
        .route("/insight/formulas", get(insight::formulas))
        .route("/insight/warnings", get(warnings::show))
        .route("/insight/warnings/{id}/{action}", post(warnings::act))
        .route("/insight/reports", get(reports::show).post(reports::make))
        .route(
            "/insight/reports/{division}/{month}",
            get(reports::download),
        )
        .route("/notifications", get(notifications::show))
        .route("/notifications/read-all", post(notifications::read_all))
        .route("/notifications/{id}/open", post(notifications::open))
        .route("/sweeps", get(sweeps::show))
        .route("/sweeps/{id}/complete", post(sweeps::complete))
        .route("/cases", get(list::show))
        .route("/cases/{id}", get(detail::show))
        .route("/cases/{id}/accept", post(detail::accept))
        .route("/cases/{id}/decline", post(detail::decline))
        .route("/cases/{id}/assign", post(detail::assign))
        .route("/cases/{id}/route", post(detail::route))
        .route("/cases/{id}/acknowledge", post(detail::acknowledge))
        .route("/cases/{id}/start-mediation", post(detail::start_mediation))
        .route("/cases/{id}/sessions", post(detail::record_session))
        .route("/cases/{id}/schedule", post(detail::schedule))
        .route(
            "/cases/{id}/sessions/{number}/ics",
            get(detail::session_ics),
        )
        .route("/cases/{id}/close", post(detail::close))
        .route("/cases/{id}/follow-up", post(detail::follow_up))
        .route("/cases/{id}/personal-data", post(detail::personal_data))
        .route(
            "/cases/{id}/evidence",
            post(evidence::upload).layer(axum::extract::DefaultBodyLimit::max(
                crate::api::cases::evidence::UPLOAD_BODY_LIMIT,
            )),
        )
        .route("/cases/{id}/evidence/{sha256}", get(evidence::download))
        .route("/cases/{id}/filing", post(filing::request))
        .route("/cases/{id}/dossier.zip", get(filing::dossier))
        .route("/cases/{id}/room", get(room::show))
        .route("/cases/{id}/room/ws", get(room::socket))
        .route("/track/room", get(room::party_show))
        .route("/track/room/ws", get(room::party_socket))
        .route("/cases/{id}/agreement", post(agreement::draft))
        .route("/cases/{id}/agreement/sign", post(agreement::sign))
        .route("/cases/{id}/agreement.pdf", get(agreement::pdf))
        .route(
            "/cases/{id}/confirmation",
            post(agreement::apply_confirmation),
        )
        .route("/cases/{id}/confirmation/ruling", post(agreement::ruling))
        .route(
            "/cases/{id}/confirmation.pdf",
            get(agreement::confirmation_pdf),
        )
        .route(
            "/cases/{id}/enforcement.pdf",
            get(agreement::enforcement_pdf),
        )
        .route("/cases/{id}/{action}", post(flow::act))
        .route("/apply", get(apply::show).post(apply::submit))
        .route("/apply/code", post(apply::send_code))
        .route("/apply/done", get(apply::done))
        .route("/track", get(track::show).post(track::submit))
        .route("/track/code", post(track::send_code))
        .route("/track/rating", post(track::rate))
        .route("/track/consent", post(track::consent))
        .route("/track/filing", post(track::request_filing))
        .route("/track/sign-code", post(track::sign_code))
        .route("/track/sign", post(track::sign))
        .route("/track/agreement.pdf", get(track::agreement_pdf))
        .route("/track/session.ics", get(track::session_ics))
        .route(
            "/track/evidence",
            post(track::upload_evidence).layer(axum::extract::DefaultBodyLimit::max(
                crate::api::cases::evidence::UPLOAD_BODY_LIMIT,
            )),
        )
        .route("/track/evidence/{sha256}", get(track::evidence_file))
        .route(
            "/verify-document",
            get(verify_document::show).post(verify_document::check),
        )
        .fallback(not_found)
}

/// Unknown paths: JSON under `/api/`, a page everywhere else.
async fn not_found(uri: Uri) -> Response {
    if uri.path().starts_with("/api/") {
        AppError::NotFound.into_response()
    } else {
        PageError::from(AppError::NotFound).into_response()
    }
}
