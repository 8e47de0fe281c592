//! The HTTP server of hejie: the JSON API (`/api/v1`, described at `/api/openapi.json`), the
//! Chinese web UI rendered on the server, sign-in and sessions, and the one authorization check
//! every request goes through (`cases.rs` → `hejie_domain::authz`).

pub mod agreement;
pub mod api;
pub mod areas;
pub mod auth;
pub mod cases;
pub mod charts;
pub mod clock;
pub mod court;
pub mod dossier;
pub mod download;
pub mod duties;
pub mod error;
pub mod escalation;
pub mod evidence;
pub mod export;
pub mod field;
pub mod insight;
pub mod map;
pub mod metrics;
pub mod middleware;
pub mod open311;
pub mod pages;
pub mod present;
pub mod profiles;
pub mod report;
pub mod room;
pub mod routing;
pub mod sessions;
pub mod sms;
pub mod state;
pub mod warnings;
pub mod workflow;

use std::net::SocketAddr;
use std::time::Duration;

use anyhow::Context;
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::get;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

pub use state::{AppState, Config, IceServer};

/// The whole application as one router.
pub fn app(state: AppState) -> Router {
    Router::new()
        .merge(api::router())
        .merge(pages::router())
        .merge(open311::router())
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics::metrics))
        .layer(axum::middleware::from_fn(middleware::security::same_origin))
        .layer(axum::middleware::from_fn(middleware::security::headers))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            metrics::record,
        ))
        .layer(DefaultBodyLimit::max(1024 * 1024))
        .layer(TimeoutLayer::with_status_code(
            axum::http::StatusCode::REQUEST_TIMEOUT,
            Duration::from_secs(30),
        ))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

/// `GET /healthz`.
async fn healthz(
    axum::extract::State(state): axum::extract::State<AppState>,
) -> axum::Json<serde_json::Value> {
    axum::Json(serde_json::json!({ "status": "ok", "database": state.store.backend() }))
}

/// Serves until SIGINT or SIGTERM, then stops accepting connections and lets requests in
/// flight finish (each write is one transaction, so none is left half-done).
pub async fn serve(state: AppState, addr: SocketAddr) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("binding {addr}"))?;
    tracing::info!(%addr, "hejie is serving");
    if let Err(e) = workflow::sweeps::ensure_scheduled(&state).await {
        tracing::warn!(error = %e, "could not schedule the sweep job");
    }
    if let Err(e) = warnings::ensure_scheduled(&state).await {
        tracing::warn!(error = %e, "could not schedule the early-warning scan");
    }
    if let Err(e) = report::ensure_scheduled(&state).await {
        tracing::warn!(error = %e, "could not schedule the monthly report job");
    }
    workflow::scheduler::spawn(state.clone());
    axum::serve(listener, app(state))
        .with_graceful_shutdown(shutdown_signal())
        .await
        .context("serving")?;
    tracing::info!("hejie stopped");
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}
