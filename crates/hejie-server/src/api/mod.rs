//! The JSON API under `/api/v1`, one module per resource, and its OpenAPI document.

pub mod auth;
pub mod cases;
pub mod field;
pub mod insight;
pub mod intake;
pub mod reference;
pub mod warnings;
pub mod work;

use axum::Router;
use axum::extract::FromRequest;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::routing::{get, post};
use utoipa::OpenApi;

use crate::error::AppError;
use crate::state::AppState;

/// A JSON request body whose rejections are [`AppError`]s (JSON `{code, message}`), not text.
#[derive(Debug, FromRequest)]
#[from_request(via(axum::Json), rejection(AppError))]
pub struct Body<T>(pub T);

/// Query parameters whose rejections are [`AppError`]s.
#[derive(Debug, axum::extract::FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(AppError))]
pub struct Params<T>(pub T);

impl From<JsonRejection> for AppError {
    fn from(r: JsonRejection) -> Self {
        AppError::validation("body", format!("请求内容无效：{}", r.body_text()))
    }
}

impl From<QueryRejection> for AppError {
    fn from(r: QueryRejection) -> Self {
        AppError::validation("query", format!("查询参数无效：{}", r.body_text()))
    }
}

#[derive(Debug, OpenApi)]
#[openapi(
    info(title = "hejie 和解 API", description = "一站式矛盾纠纷多元化解平台接口"),
    paths(
        auth::login, auth::logout, auth::me, auth::create_token,
        reference::divisions, reference::organisations,
        cases::register, cases::list, cases::get, cases::events,
        cases::commands::accept, cases::commands::decline, cases::commands::assign,
        cases::commands::route,
        cases::commands::acknowledge, cases::commands::consent, cases::commands::start_mediation,
        cases::commands::record_session, cases::commands::close, cases::commands::follow_up,
        cases::commands::link_report, cases::commands::personal_data,
        cases::commands::schedule, cases::commands::session_ics,
        cases::flow::escalate, cases::flow::hand_down, cases::flow::transfer,
        cases::flow::invite, cases::flow::opinion, cases::flow::refer,
        cases::flow::referral_answer, cases::flow::pause, cases::flow::resume,
        cases::flow::supervise, cases::flow::reopen, cases::flow::performance_check,
        cases::flow::clocks,
        cases::agreement::get, cases::agreement::draft, cases::agreement::sign,
        cases::agreement::pdf, cases::agreement::apply_confirmation, cases::agreement::ruling,
        cases::agreement::confirmation_pdf, cases::agreement::verify,
        cases::agreement::enforcement_pdf,
        cases::evidence::list, cases::evidence::upload, cases::evidence::download,
        cases::filing::list, cases::filing::request, cases::filing::dossier,
        work::my_queue, work::board, work::notifications, work::mark_read,
        work::sweep_list, work::complete_sweep,
        intake::suggest, intake::corrections,
        insight::indicators, insight::cases, insight::export,
        warnings::list_warnings, warnings::act_on_warning,
        field::file_report, field::list, field::get, field::follow_up, field::log_patrol,
        field::check_in, field::add_photo, field::check_out, field::log_consultation,
        field::log_activity, field::photo, field::export_areas, field::import_areas,
        field::compliance, field::assignments, field::assign,
        crate::open311::services_json, crate::open311::services_xml,
        crate::open311::list_requests_json, crate::open311::create_request_json,
        crate::open311::list_requests_xml, crate::open311::create_request_xml,
        crate::open311::one_request,
    ),
    tags((name = "auth", description = "登录与令牌"), (name = "reference", description = "区划与单位"),
         (name = "cases", description = "案件"),
         (name = "agreements", description = "调解协议书、电子签名、司法确认与文书核验"), (name = "intake", description = "智能受理"),
         (name = "work", description = "待办、督办看板、通知与排查 (queue, board, notifications, sweeps)"),
         (name = "field", description = "基层走访：网格上报、巡查、法律顾问进村签到、咨询与活动 (field work)"),
         (name = "insight", description = "数据研判：指标、案件清单与导出 (indicators, drill-down, exports)"))
)]
pub struct ApiDoc;

/// Every API route. The OpenAPI document is checked against this list in the tests.
pub fn router() -> Router<AppState> {
    use cases::commands as c;
    use cases::flow as f;
    Router::new()
        .route("/api/v1/auth/login", post(auth::login))
        .route("/api/v1/auth/logout", post(auth::logout))
        .route("/api/v1/auth/tokens", post(auth::create_token))
        .route("/api/v1/me", get(auth::me))
        .route("/api/v1/divisions", get(reference::divisions))
        .route("/api/v1/organisations", get(reference::organisations))
        .route("/api/v1/cases", post(cases::register).get(cases::list))
        .route("/api/v1/cases/{id}", get(cases::get))
        .route("/api/v1/cases/{id}/events", get(cases::events))
        .route("/api/v1/cases/{id}/accept", post(c::accept))
        .route("/api/v1/cases/{id}/decline", post(c::decline))
        .route("/api/v1/cases/{id}/assign", post(c::assign))
        .route("/api/v1/cases/{id}/route", post(c::route))
        .route("/api/v1/cases/{id}/acknowledge", post(c::acknowledge))
        .route("/api/v1/cases/{id}/consent", post(c::consent))
        .route(
            "/api/v1/cases/{id}/start-mediation",
            post(c::start_mediation),
        )
        .route("/api/v1/cases/{id}/sessions", post(c::record_session))
        .route("/api/v1/cases/{id}/close", post(c::close))
        .route("/api/v1/cases/{id}/schedule", post(c::schedule))
        .route(
            "/api/v1/cases/{id}/sessions/{number}/ics",
            get(c::session_ics),
        )
        .route("/api/v1/cases/{id}/follow-up", post(c::follow_up))
        .route("/api/v1/cases/{id}/link-report", post(c::link_report))
        .route("/api/v1/cases/{id}/personal-data", post(c::personal_data))
        .route("/api/v1/cases/{id}/escalate", post(f::escalate))
        .route("/api/v1/cases/{id}/hand-down", post(f::hand_down))
        .route("/api/v1/cases/{id}/transfer", post(f::transfer))
        .route("/api/v1/cases/{id}/invite", post(f::invite))
        .route("/api/v1/cases/{id}/opinion", post(f::opinion))
        .route("/api/v1/cases/{id}/refer", post(f::refer))
        .route(
            "/api/v1/cases/{id}/referral-answer",
            post(f::referral_answer),
        )
        .route("/api/v1/cases/{id}/pause", post(f::pause))
        .route("/api/v1/cases/{id}/resume", post(f::resume))
        .route("/api/v1/cases/{id}/supervise", post(f::supervise))
        .route("/api/v1/cases/{id}/reopen", post(f::reopen))
        .route(
            "/api/v1/cases/{id}/performance-check",
            post(f::performance_check),
        )
        .route("/api/v1/cases/{id}/clocks", get(f::clocks))
        .route(
            "/api/v1/cases/{id}/agreement",
            get(cases::agreement::get).post(cases::agreement::draft),
        )
        .route(
            "/api/v1/cases/{id}/agreement/sign",
            post(cases::agreement::sign),
        )
        .route(
            "/api/v1/cases/{id}/agreement/pdf",
            get(cases::agreement::pdf),
        )
        .route(
            "/api/v1/cases/{id}/confirmation",
            post(cases::agreement::apply_confirmation),
        )
        .route(
            "/api/v1/cases/{id}/confirmation/ruling",
            post(cases::agreement::ruling),
        )
        .route(
            "/api/v1/cases/{id}/confirmation/pdf",
            get(cases::agreement::confirmation_pdf),
        )
        .route("/api/v1/documents/verify", post(cases::agreement::verify))
        .route(
            "/api/v1/cases/{id}/enforcement/pdf",
            get(cases::agreement::enforcement_pdf),
        )
        .route(
            "/api/v1/cases/{id}/evidence",
            get(cases::evidence::list)
                .post(cases::evidence::upload)
                .layer(axum::extract::DefaultBodyLimit::max(
                    cases::evidence::UPLOAD_BODY_LIMIT,
                )),
        )
        .route("/api/v1/cases/{id}/dossier", get(cases::filing::dossier))
        .route(
            "/api/v1/cases/{id}/filing",
            get(cases::filing::list).post(cases::filing::request),
        )
        .route(
            "/api/v1/cases/{id}/evidence/{sha256}",
            get(cases::evidence::download),
        )
        .route("/api/v1/indicators", get(insight::indicators))
        .route("/api/v1/indicators/cases", get(insight::cases))
        .route("/api/v1/indicators/export", get(insight::export))
        .route("/api/v1/warnings", get(warnings::list_warnings))
        .route(
            "/api/v1/warnings/{id}/actions",
            post(warnings::act_on_warning),
        )
        .route("/api/v1/queue", get(work::my_queue))
        .route("/api/v1/board", get(work::board))
        .route("/api/v1/notifications", get(work::notifications))
        .route("/api/v1/notifications/read", post(work::mark_read))
        .route("/api/v1/sweeps", get(work::sweep_list))
        .route("/api/v1/sweeps/{id}/complete", post(work::complete_sweep))
        .route(
            "/api/v1/field/reports",
            post(field::file_report).layer(axum::extract::DefaultBodyLimit::max(
                field::FIELD_BODY_LIMIT,
            )),
        )
        .route("/api/v1/field/records", get(field::list))
        .route("/api/v1/field/compliance", get(field::compliance))
        .route(
            "/api/v1/field/assignments",
            get(field::assignments).post(field::assign),
        )
        .route(
            "/api/v1/areas",
            get(field::export_areas).post(field::import_areas).layer(
                axum::extract::DefaultBodyLimit::max(field::FIELD_BODY_LIMIT),
            ),
        )
        .route("/api/v1/field/records/{id}", get(field::get))
        .route(
            "/api/v1/field/records/{id}/follow-up",
            post(field::follow_up),
        )
        .route(
            "/api/v1/field/records/{id}/photos/{sha256}",
            get(field::photo),
        )
        .route("/api/v1/field/patrols", post(field::log_patrol))
        .route(
            "/api/v1/field/visits",
            post(field::check_in).layer(axum::extract::DefaultBodyLimit::max(
                field::FIELD_BODY_LIMIT,
            )),
        )
        .route(
            "/api/v1/field/visits/{id}/photos",
            post(field::add_photo).layer(axum::extract::DefaultBodyLimit::max(
                field::FIELD_BODY_LIMIT,
            )),
        )
        .route(
            "/api/v1/field/visits/{id}/check-out",
            post(field::check_out),
        )
        .route("/api/v1/field/consultations", post(field::log_consultation))
        .route(
            "/api/v1/field/activities",
            post(field::log_activity).layer(axum::extract::DefaultBodyLimit::max(
                field::FIELD_BODY_LIMIT,
            )),
        )
        .route("/api/v1/intake/suggest", post(intake::suggest))
        .route("/api/v1/intake/corrections", post(intake::corrections))
        .route("/api/openapi.json", get(openapi))
}

/// `GET /api/openapi.json`: the OpenAPI document, generated from the code.
pub async fn openapi() -> axum::Json<utoipa::openapi::OpenApi> {
    axum::Json(ApiDoc::openapi())
}
