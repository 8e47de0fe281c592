//! The extractors of pages: the signed-in user ([`PageUser`]), staff forms checked against the
//! session's CSRF token ([`CsrfForm`]), and public forms checked with a double-submit cookie
//! ([`PublicForm`], [`PublicToken`]).

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, header};
use serde::de::DeserializeOwned;

use super::PageError;
use crate::auth::{self, CurrentUser, constant_time_eq};
use crate::error::AppError;
use crate::state::AppState;

/// The name of the hidden field every POST form carries.
pub const CSRF_FIELD: &str = "csrf";
/// The double-submit cookie of public (signed-out) forms.
pub const FORM_COOKIE: &str = "hejie_form";

/// A local path to return to after signing in; anything else becomes `/`.
pub fn safe_next(next: &str) -> String {
    let ok = next.starts_with('/')
        && !next.starts_with("//")
        && !next.starts_with("/\\")
        && !next.contains(['\\', '\r', '\n', '\t'])
        && !next.starts_with("/login")
        && !next.starts_with("/logout");
    if ok { next.to_owned() } else { "/".to_owned() }
}

/// Where to come back to after signing in: the page itself for reads, and for form posts the
/// page the form was on (the post itself cannot be replayed by a redirect).
fn next_of(parts: &Parts) -> String {
    if matches!(parts.method, Method::GET | Method::HEAD) {
        return parts
            .uri
            .path_and_query()
            .map_or("/", |p| p.as_str())
            .to_owned();
    }
    let host = parts
        .headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    parts
        .headers
        .get(header::REFERER)
        .and_then(|v| v.to_str().ok())
        .and_then(|r| r.split_once("://"))
        .and_then(|(_, rest)| rest.strip_prefix(host))
        .filter(|p| p.starts_with('/'))
        .map_or_else(|| "/".to_owned(), safe_next)
}

/// Query parameters of a page; a malformed query renders the error page.
#[derive(Debug, axum::extract::FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(PageError))]
pub struct PageQuery<T>(pub T);

/// The signed-in staff member of a page. Signed-out requests are sent to `/login?next=…`.
/// Only browser sessions count: a page never acts on a bearer token.
#[derive(Debug, Clone)]
pub struct PageUser(pub CurrentUser);

impl FromRequestParts<AppState> for PageUser {
    type Rejection = PageError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, PageError> {
        let mut headers = parts.headers.clone();
        // Pages use the session cookie only.
        headers.remove(header::AUTHORIZATION);
        match auth::resolve(state, &headers).await {
            Ok(u) if u.session.is_some() => Ok(PageUser(u)),
            Ok(_) | Err(AppError::Unauthorized) => Err(PageError::SignIn {
                next: next_of(parts),
            }),
            Err(e) => Err(e.into()),
        }
    }
}

/// Reads an urlencoded body as pairs, with the CSRF field's value.
async fn read_pairs(
    req: Request,
    state: &AppState,
) -> Result<(Vec<(String, String)>, String), PageError> {
    let bytes = Bytes::from_request(req, state)
        .await
        .map_err(|_| AppError::validation("form", "无法读取提交的内容"))?;
    let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(&bytes)
        .map_err(|_| AppError::validation("form", "提交的内容格式无效"))?;
    let sent = pairs
        .iter()
        .find(|(k, _)| k == CSRF_FIELD)
        .map(|(_, v)| v.clone())
        .unwrap_or_default();
    Ok((pairs, sent))
}

/// A file upload form (multipart): its text fields and its one file. The `csrf` field must come
/// first and equal `expected` before any file is read, so a forged form costs no disk or memory
/// beyond its first field.
#[derive(Debug, Default)]
pub struct Uploaded {
    pub fields: Vec<(String, String)>,
    /// The file's name as sent and its bytes, when one was chosen.
    pub file: Option<(String, Vec<u8>)>,
}

impl Uploaded {
    pub fn field(&self, name: &str) -> String {
        self.fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    }
}

/// Reads an upload form whose `csrf` field must equal `expected`.
pub async fn read_upload(
    req: Request,
    state: &AppState,
    expected: &str,
    max_file: usize,
) -> Result<Uploaded, PageError> {
    let too_large = || {
        PageError::App(AppError::validation(
            "file",
            format!("文件过大，单个文件不能超过{}MB", max_file / (1024 * 1024)),
        ))
    };
    let mut multipart = axum::extract::Multipart::from_request(req, state)
        .await
        .map_err(|_| AppError::validation("form", "无法读取提交的内容"))?;
    let mut out = Uploaded::default();
    let mut checked = false;
    while let Some(field) = multipart.next_field().await.map_err(|_| too_large())? {
        let name = field.name().unwrap_or_default().to_owned();
        if !checked {
            let sent = if name == "csrf" {
                field.text().await.map_err(|_| csrf_failed())?
            } else {
                String::new()
            };
            if expected.is_empty() || !constant_time_eq(&sent, expected) {
                return Err(csrf_failed());
            }
            checked = true;
            continue;
        }
        if name == "file" {
            let file_name = field.file_name().unwrap_or_default().to_owned();
            let bytes = field.bytes().await.map_err(|_| too_large())?;
            if !file_name.is_empty() || !bytes.is_empty() {
                out.file = Some((file_name, bytes.to_vec()));
            }
        } else {
            let value = field.text().await.map_err(|_| too_large())?;
            out.fields.push((name, value));
        }
    }
    if !checked {
        return Err(csrf_failed());
    }
    Ok(out)
}

/// The visitor's form token, read from the cookie (for a public upload form).
pub fn public_token_of(headers: &HeaderMap) -> Option<String> {
    form_cookie_value(headers)
}

fn csrf_failed() -> PageError {
    PageError::App(AppError::Forbidden {
        code: "csrf",
        message: "页面已过期或请求缺少有效的防伪令牌，请返回刷新页面后重新提交".to_owned(),
    })
}

/// Deserializes a form from its pairs (so `T` never sees a body twice).
fn decode<T: DeserializeOwned>(pairs: &[(String, String)]) -> Result<T, PageError> {
    let encoded = serde_urlencoded::to_string(pairs).map_err(AppError::internal)?;
    serde_urlencoded::from_str(&encoded).map_err(|e| {
        tracing::debug!(error = %e, "undecodable form");
        PageError::App(AppError::validation(
            "form",
            "提交的内容不完整或格式无效，请刷新页面后重新填写",
        ))
    })
}

/// A staff form: the signed-in user, the form decoded as `T`, and the raw pairs (to show what was
/// typed again after an error). The `csrf` field must equal the session's token.
#[derive(Debug)]
pub struct CsrfForm<T> {
    pub user: CurrentUser,
    pub form: T,
    pub raw: Vec<(String, String)>,
}

impl<T: DeserializeOwned> FromRequest<AppState> for CsrfForm<T> {
    type Rejection = PageError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, PageError> {
        let (mut parts, body) = req.into_parts();
        let PageUser(user) = PageUser::from_request_parts(&mut parts, state).await?;
        let expected = user
            .session
            .as_ref()
            .map(|s| s.csrf_token.clone())
            .ok_or_else(csrf_failed)?;
        let (raw, sent) = read_pairs(Request::from_parts(parts, body), state).await?;
        if expected.is_empty() || !constant_time_eq(&sent, &expected) {
            return Err(csrf_failed());
        }
        let form = decode(&raw)?;
        Ok(CsrfForm { user, form, raw })
    }
}

/// The double-submit token of a signed-out visitor: the value of the `hejie_form` cookie, or a
/// fresh one that the response must set (see [`PublicToken::cookie`]).
#[derive(Debug, Clone)]
pub struct PublicToken {
    pub value: String,
    pub fresh: bool,
}

fn form_cookie_value(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, v)| *k == FORM_COOKIE && !v.is_empty())
        .map(|(_, v)| v.to_owned())
}

impl PublicToken {
    /// The `Set-Cookie` header value when the token is new.
    pub fn cookie(&self, state: &AppState) -> Option<String> {
        self.fresh.then(|| {
            let mut c = format!(
                "{FORM_COOKIE}={}; Path=/; HttpOnly; SameSite=Strict",
                self.value
            );
            if state.config.secure_cookies {
                c.push_str("; Secure");
            }
            c
        })
    }
}

impl FromRequestParts<AppState> for PublicToken {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        _: &AppState,
    ) -> Result<Self, std::convert::Infallible> {
        Ok(match form_cookie_value(&parts.headers) {
            Some(value) => PublicToken {
                value,
                fresh: false,
            },
            None => PublicToken {
                value: auth::random_token(),
                fresh: true,
            },
        })
    }
}

/// A public form (sign-in, resident self-service): decoded as `T`, with the raw pairs and the
/// visitor's token. The `csrf` field must equal the `hejie_form` cookie.
#[derive(Debug)]
pub struct PublicForm<T> {
    pub form: T,
    pub raw: Vec<(String, String)>,
    pub token: PublicToken,
}

impl<T: DeserializeOwned> FromRequest<AppState> for PublicForm<T> {
    type Rejection = PageError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, PageError> {
        let cookie = form_cookie_value(req.headers()).ok_or_else(csrf_failed)?;
        let (raw, sent) = read_pairs(req, state).await?;
        if !constant_time_eq(&sent, &cookie) {
            return Err(csrf_failed());
        }
        let form = decode(&raw)?;
        Ok(PublicForm {
            form,
            raw,
            token: PublicToken {
                value: cookie,
                fresh: false,
            },
        })
    }
}

/// Adds the token's cookie to a response when it is new.
pub fn with_token(
    mut res: axum::response::Response,
    token: &PublicToken,
    state: &AppState,
) -> axum::response::Response {
    if let Some(c) = token.cookie(state)
        && let Ok(v) = axum::http::HeaderValue::from_str(&c)
    {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    res
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn next_stays_local() {
        assert_eq!(
            safe_next("/cases?status=registered"),
            "/cases?status=registered"
        );
        assert_eq!(safe_next("//evil.example/"), "/");
        assert_eq!(safe_next("/\\evil.example"), "/");
        assert_eq!(safe_next("https://evil.example/"), "/");
        assert_eq!(safe_next("/login?next=/x"), "/");
        assert_eq!(safe_next(""), "/");
    }
}
