//! The web UI, rendered on the server in Simplified Chinese.

use axum::Router;

use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
}
