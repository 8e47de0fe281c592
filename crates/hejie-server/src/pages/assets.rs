//! Our own stylesheet and script, compiled into the binary. Pages link them with a content hash
//! in the query string, so they can be cached for a long time and still change with a release.

use std::sync::LazyLock;

use axum::http::header;
use axum::response::IntoResponse;

const CSS: &str = include_str!("../../static/app.css");
/// One script for every page: the shared behaviours, then the online room (which does nothing
/// on a page without one).
const JS: &str = concat!(
    include_str!("../../static/app.js"),
    include_str!("../../static/room.js")
);

fn versioned(path: &str, content: &str) -> String {
    let hash = hejie_crypto::sm3_hex(content.as_bytes());
    format!("{path}?v={}", &hash[..12])
}

static CSS_URL: LazyLock<String> = LazyLock::new(|| versioned("/static/app.css", CSS));
static JS_URL: LazyLock<String> = LazyLock::new(|| versioned("/static/app.js", JS));

pub fn css_url() -> &'static str {
    &CSS_URL
}

pub fn js_url() -> &'static str {
    &JS_URL
}

const CACHE: &str = "public, max-age=31536000, immutable";

/// `GET /static/app.css`.
pub async fn css() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, CACHE),
        ],
        CSS,
    )
}

/// `GET /static/app.js`.
pub async fn js() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, CACHE),
        ],
        JS,
    )
}
