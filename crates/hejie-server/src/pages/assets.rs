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

/// The field app's script (`/m` only): the offline queue and its sync.
const FIELD_JS: &str = include_str!("../../static/field.js");
const SERVICE_WORKER: &str = include_str!("../../static/sw.js");

static CSS_URL: LazyLock<String> = LazyLock::new(|| versioned("/static/app.css", CSS));
static JS_URL: LazyLock<String> = LazyLock::new(|| versioned("/static/app.js", JS));

static FIELD_JS_URL: LazyLock<String> = LazyLock::new(|| versioned("/static/field.js", FIELD_JS));

/// The service worker with this release's asset URLs, so a release replaces the kept copies.
static WORKER: LazyLock<String> = LazyLock::new(|| {
    let version = hejie_crypto::sm3_hex(format!("{CSS}{FIELD_JS}{SERVICE_WORKER}").as_bytes());
    SERVICE_WORKER
        .replace("__VERSION__", &version[..12])
        .replace("__CSS__", css_url())
        .replace("__JS__", field_js_url())
});

pub fn field_js_url() -> &'static str {
    &FIELD_JS_URL
}

pub fn service_worker() -> &'static str {
    &WORKER
}

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

/// `GET /static/field.js`.
pub async fn field_js() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, CACHE),
        ],
        FIELD_JS,
    )
}
