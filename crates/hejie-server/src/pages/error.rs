//! Errors of pages: the same [`AppError`] the API uses, rendered as a friendly Chinese page with
//! the right status, or a redirect to the sign-in page.

use askama::Template;
use axum::extract::rejection::{FormRejection, PathRejection, QueryRejection};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::view::{self, Chrome};
use crate::error::AppError;

#[derive(Debug)]
pub enum PageError {
    /// Something went wrong; shown as an error page.
    App(AppError),
    /// Not signed in (or the session ended): go to the sign-in page, then come back to `next`.
    SignIn { next: String },
}

impl From<AppError> for PageError {
    fn from(e: AppError) -> Self {
        PageError::App(e)
    }
}

impl From<hejie_store::StoreError> for PageError {
    fn from(e: hejie_store::StoreError) -> Self {
        PageError::App(e.into())
    }
}

impl From<QueryRejection> for PageError {
    fn from(r: QueryRejection) -> Self {
        PageError::App(r.into())
    }
}

impl From<PathRejection> for PageError {
    fn from(_: PathRejection) -> Self {
        PageError::App(AppError::NotFound)
    }
}

impl From<FormRejection> for PageError {
    fn from(r: FormRejection) -> Self {
        PageError::App(AppError::validation(
            "form",
            format!("提交的内容无效：{}", r.body_text()),
        ))
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    chrome: Chrome,
    status: u16,
    heading: &'static str,
    message: String,
    hint: &'static str,
}

fn heading(e: &AppError) -> (&'static str, &'static str) {
    match e {
        AppError::Validation { .. } => ("提交的内容有误", "请返回上一页修改后重新提交。"),
        AppError::Unauthorized => ("请先登录", "登录后即可继续办理。"),
        AppError::Forbidden { .. } => (
            "无权进行此操作",
            "如确需办理，请联系本单位负责人或系统管理员。",
        ),
        AppError::NotFound => (
            "未找到",
            "页面或案件不存在，或不在您的辖区内。请检查地址或从案件列表进入。",
        ),
        AppError::Conflict(_) => ("案件已被他人更新", "请刷新页面，核对最新情况后再办理。"),
        AppError::Rule(_) => ("当前不能进行此操作", "请刷新页面查看案件的最新状态。"),
        AppError::Refused { .. } => ("当前不能进行此操作", "请刷新页面查看最新状态。"),
        AppError::Locked(_) => ("账户已锁定", "请稍后再试，或联系系统管理员解锁。"),
        AppError::TooManyRequests => ("请求过于频繁", "请稍等片刻再试。"),
        AppError::Internal(_) => (
            "系统暂时出现问题",
            "请稍后再试。如问题持续，请联系系统管理员。",
        ),
        AppError::Unavailable(_) => (
            "此功能暂不可用",
            "服务器缺少所需的组件，请将上面的提示转告系统管理员。",
        ),
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        match self {
            PageError::SignIn { next } => {
                let to = if next.is_empty() || next == "/" {
                    "/login".to_owned()
                } else {
                    format!("/login?{}", view::query(&[("next", &next)]))
                };
                view::see_other(&to)
            }
            PageError::App(e) => {
                if let AppError::Internal(inner) = &e {
                    tracing::error!(error = ?inner, "internal error on a page");
                }
                let (heading, hint) = heading(&e);
                let page = ErrorPage {
                    chrome: Chrome::public(heading, ""),
                    status: e.status().as_u16(),
                    heading,
                    message: e.to_string(),
                    hint,
                };
                match view::render(&page, e.status()) {
                    Ok(r) => r,
                    Err(_) => (StatusCode::INTERNAL_SERVER_ERROR, "服务器内部错误").into_response(),
                }
            }
        }
    }
}
