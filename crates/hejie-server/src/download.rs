//! Files handed to a browser as downloads: never shown inline, never sniffed, never cached by
//! anyone but the user, named for people (UTF-8, RFC 5987) with an ASCII fallback.

use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

/// `body` as an attachment of type `content_type`, named `name` (any Unicode) for browsers that
/// read RFC 5987 and `ascii` for those that do not.
pub fn attachment(
    body: impl IntoResponse,
    content_type: &str,
    ascii: &str,
    name: &str,
) -> Response {
    let utf8: String = name
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    let mut res = body.into_response();
    let h = res.headers_mut();
    if let Ok(v) = HeaderValue::from_str(content_type) {
        h.insert(header::CONTENT_TYPE, v);
    }
    if let Ok(v) = HeaderValue::from_str(&format!(
        "attachment; filename=\"{ascii}\"; filename*=UTF-8''{utf8}"
    )) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    res
}
