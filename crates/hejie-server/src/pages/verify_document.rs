//! `/verify-document` 文书核验: anyone holding a copy of a document the platform made (an
//! agreement, an application for judicial confirmation, a report) uploads it and learns whether
//! it is byte for byte what was made, and for an agreement whether its content hash and every
//! signature hold against the case record. Checking changes nothing, so the form needs no CSRF
//! token; the upload is read into memory within the server's request body limit.

use askama::Template;
use axum::extract::{Multipart, State};
use axum::http::StatusCode;
use axum::response::Response;

use super::PageError;
use super::view::{self, Chrome};
use crate::agreement::{self, Finding};
use crate::state::AppState;

#[derive(Debug)]
struct Outcome {
    ok: bool,
    found: bool,
    file: String,
    digest: String,
    title: String,
    case_number: String,
    findings: Vec<Finding>,
}

#[derive(Template)]
#[template(path = "verify_document.html")]
struct VerifyPage {
    chrome: Chrome,
    error: String,
    result: Option<Outcome>,
}

fn render(error: &str, result: Option<Outcome>, status: StatusCode) -> Result<Response, PageError> {
    view::render(
        &VerifyPage {
            chrome: Chrome::public("文书核验", "verify-document"),
            error: error.to_owned(),
            result,
        },
        status,
    )
}

/// `GET /verify-document`.
pub async fn show() -> Result<Response, PageError> {
    render("", None, StatusCode::OK)
}

/// `POST /verify-document`: the uploaded file, checked against the record.
pub async fn check(
    State(state): State<AppState>,
    mut multipart: Multipart,
) -> Result<Response, PageError> {
    let mut upload = None;
    loop {
        match multipart.next_field().await {
            Ok(Some(field)) if field.name() == Some("file") => {
                let name = field.file_name().unwrap_or("").to_owned();
                match field.bytes().await {
                    Ok(bytes) => upload = Some((name, bytes)),
                    Err(_) => {
                        return render(
                            "文件过大或上传中断，请重新选择文件",
                            None,
                            StatusCode::PAYLOAD_TOO_LARGE,
                        );
                    }
                }
            }
            Ok(Some(_)) => {}
            Ok(None) => break,
            Err(_) => {
                return render(
                    "文件过大或上传中断，请重新选择文件",
                    None,
                    StatusCode::BAD_REQUEST,
                );
            }
        }
    }
    let Some((name, bytes)) = upload.filter(|(_, b)| !b.is_empty()) else {
        return render(
            "请选择要核验的文书（PDF 文件）",
            None,
            StatusCode::BAD_REQUEST,
        );
    };
    let checked = agreement::verify_document(state.store.as_ref(), &bytes).await?;
    let digest = hejie_store::documents::digest(&bytes);
    let file: String = name.chars().take(100).collect();
    let result = match checked {
        Some(c) => Outcome {
            ok: c.ok(),
            found: true,
            file,
            digest,
            title: c.title,
            case_number: c.case_number.unwrap_or_default(),
            findings: c.findings,
        },
        None => Outcome {
            ok: false,
            found: false,
            file,
            digest,
            title: String::new(),
            case_number: String::new(),
            findings: Vec::new(),
        },
    };
    render("", Some(result), StatusCode::OK)
}
