//! The one error type at the HTTP boundary.
//!
//! Every failure a handler can meet becomes an [`AppError`], which renders as JSON
//! `{code, message, field?}` with the right status. Pages wrap it in [`crate::pages::PageError`]
//! to render the same information as HTML.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use hejie_domain::authz::Denied;
use hejie_domain::{DomainError, ValidationError};
use hejie_store::StoreError;
use serde::Serialize;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("{message}")]
    Validation { field: String, message: String },
    #[error("请先登录")]
    Unauthorized,
    #[error("{message}")]
    Forbidden { code: &'static str, message: String },
    #[error("未找到")]
    NotFound,
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    Rule(DomainError),
    /// A step the record's state does not allow, outside the case workflow (e.g. acting on a
    /// closed early warning), with its own stable code.
    #[error("{message}")]
    Refused { code: &'static str, message: String },
    #[error("{0}")]
    Locked(String),
    #[error("请求过于频繁，请稍后再试")]
    TooManyRequests,
    #[error("服务器内部错误")]
    Internal(#[source] anyhow::Error),
    /// Something the server needs is missing on this machine (e.g. the CJK fonts for PDFs);
    /// the message says what and how to fix it.
    #[error("{0}")]
    Unavailable(String),
}

/// The JSON body of every error response.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    /// Stable machine-readable code, e.g. `validation`, `invalid_transition`, `conflict`.
    pub code: String,
    /// What went wrong, in Chinese, for people.
    pub message: String,
    /// The request field at fault, for validation errors.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

impl AppError {
    pub fn validation(field: &str, message: impl Into<String>) -> Self {
        AppError::Validation {
            field: field.to_owned(),
            message: message.into(),
        }
    }

    pub fn internal(e: impl Into<anyhow::Error>) -> Self {
        AppError::Internal(e.into())
    }

    pub fn status(&self) -> StatusCode {
        match self {
            AppError::Validation { .. } => StatusCode::BAD_REQUEST,
            AppError::Unauthorized => StatusCode::UNAUTHORIZED,
            AppError::Forbidden { .. } => StatusCode::FORBIDDEN,
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::Conflict(_) => StatusCode::CONFLICT,
            AppError::Rule(_) | AppError::Refused { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::Locked(_) => StatusCode::LOCKED,
            AppError::TooManyRequests => StatusCode::TOO_MANY_REQUESTS,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            AppError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    pub fn body(&self) -> ErrorBody {
        let (code, field) = match self {
            AppError::Validation { field, .. } => ("validation".to_owned(), Some(field.clone())),
            AppError::Unauthorized => ("unauthorized".to_owned(), None),
            AppError::Forbidden { code, .. } => ((*code).to_owned(), None),
            AppError::NotFound => ("not_found".to_owned(), None),
            AppError::Conflict(_) => ("conflict".to_owned(), None),
            AppError::Rule(e) => (e.code().to_owned(), None),
            AppError::Refused { code, .. } => ((*code).to_owned(), None),
            AppError::Locked(_) => ("account_locked".to_owned(), None),
            AppError::TooManyRequests => ("too_many_requests".to_owned(), None),
            AppError::Internal(_) => ("internal".to_owned(), None),
            AppError::Unavailable(_) => ("unavailable".to_owned(), None),
        };
        ErrorBody {
            code,
            message: self.to_string(),
            field,
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        if let AppError::Internal(e) = &self {
            tracing::error!(error = ?e, "internal error");
        }
        (self.status(), Json(self.body())).into_response()
    }
}

impl From<ValidationError> for AppError {
    fn from(e: ValidationError) -> Self {
        AppError::Validation {
            field: e.field.to_owned(),
            message: e.message,
        }
    }
}

impl From<DomainError> for AppError {
    fn from(e: DomainError) -> Self {
        match e {
            DomainError::Validation(v)
            | DomainError::Mediation(hejie_domain::mediation::MediationError::Validation(v)) => {
                v.into()
            }
            other => AppError::Rule(other),
        }
    }
}

impl From<Denied> for AppError {
    fn from(d: Denied) -> Self {
        match d {
            Denied::OutOfJurisdiction => AppError::NotFound,
            other => AppError::Forbidden {
                code: other.code(),
                message: other.to_string(),
            },
        }
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Conflict { .. } => AppError::Conflict(e.to_string()),
            StoreError::NotFound => AppError::NotFound,
            StoreError::Duplicate(_) => AppError::Conflict("记录已存在".to_owned()),
            StoreError::Domain(d) => d.into(),
            other => AppError::Internal(other.into()),
        }
    }
}
