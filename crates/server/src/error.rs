//! `AppError`: every failure a handler can return, mapped to HTTP in one exhaustive match.
//!
//! The response carries an [`ErrorInfo`] extension; the `finish_errors` middleware turns it into
//! `application/problem+json` under `/api` and into an HTML error page everywhere else, adding the
//! request id. A 500 means a bug: it is logged with its cause chain and the client sees only the id.

use aglis_db::DbError;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use std::collections::BTreeMap;

/// Field name → messages, for validation errors.
pub type FieldErrors = BTreeMap<String, Vec<String>>;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("{0}")]
    BadRequest(String),
    #[error("{detail}")]
    Validation { detail: String, fields: FieldErrors },
    #[error("{0}")]
    Unauthorized(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    MethodNotAllowed(String),
    #[error("{detail}")]
    Conflict { detail: String, fields: FieldErrors },
    #[error("{0}")]
    PayloadTooLarge(String),
    #[error("{0}")]
    UnsupportedMediaType(String),
    #[error("{detail}")]
    TooManyRequests { detail: String, retry_after_secs: u64 },
    #[error("{0}")]
    Unavailable(String),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl AppError {
    /// A 422 with one field error.
    pub fn field(field: &str, message: impl Into<String>) -> Self {
        let message = message.into();
        let mut fields = FieldErrors::new();
        fields.insert(field.to_owned(), vec![message.clone()]);
        AppError::Validation { detail: format!("{field}: {message}"), fields }
    }

    /// A 422 from collected field errors.
    pub fn fields(fields: FieldErrors) -> Self {
        let detail = fields.iter().map(|(f, msgs)| format!("{f}: {}", msgs.join(", "))).collect::<Vec<_>>().join("; ");
        AppError::Validation { detail, fields }
    }

    /// A 409 that names no field.
    pub fn conflict(detail: impl Into<String>) -> Self {
        AppError::Conflict { detail: detail.into(), fields: FieldErrors::new() }
    }

    /// A 409 naming the field whose value is taken.
    pub fn taken(field: &str, message: impl Into<String>) -> Self {
        let message = message.into();
        let mut fields = FieldErrors::new();
        fields.insert(field.to_owned(), vec![message.clone()]);
        AppError::Conflict { detail: message, fields }
    }

    pub fn not_found(what: &str) -> Self {
        AppError::NotFound(format!("{what} not found"))
    }

    pub fn status(&self) -> StatusCode {
        match self {
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::Validation { fields, .. } if only_unknown_references(fields) => StatusCode::NOT_FOUND,
            AppError::Validation { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            AppError::Forbidden(_) => StatusCode::FORBIDDEN,
            AppError::NotFound(_) => StatusCode::NOT_FOUND,
            AppError::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            AppError::Conflict { .. } => StatusCode::CONFLICT,
            AppError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            AppError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            AppError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

/// The message-token prefix of a field that names a record that does not exist (`package_id: 0`):
/// `val.unknown.<what>`.
pub const UNKNOWN_REFERENCE: &str = "@val.unknown.";

/// Whether every field error says the request names a record that does not exist. Such a
/// request is well formed; what it asks for is not there, so it answers 404 (with the fields),
/// like a path naming a missing record, rather than 422.
fn only_unknown_references(fields: &FieldErrors) -> bool {
    !fields.is_empty() && fields.values().flatten().all(|m| m.starts_with(UNKNOWN_REFERENCE))
}

/// A core validation error that names the field it is about; its `Display` is the API's English
/// message. Each converts into a 422 in one place ([`From`] below) instead of at every call site.
pub trait FieldProblem: std::fmt::Display {
    fn field(&self) -> &'static str;
}

impl FieldProblem for aglis_core::sla_input::SlaInputError {
    fn field(&self) -> &'static str {
        aglis_core::sla_input::SlaInputError::field(*self)
    }
}

impl FieldProblem for aglis_core::technician::TechnicianError {
    fn field(&self) -> &'static str {
        aglis_core::technician::TechnicianError::field(self)
    }
}

/// `errors` by field, each field's name after `prefix` (`rows[2].`), in English.
pub fn field_problems<E: FieldProblem>(prefix: &str, errors: &[E]) -> FieldErrors {
    let mut fields = FieldErrors::new();
    for e in errors {
        fields.entry(format!("{prefix}{}", e.field())).or_default().push(e.to_string());
    }
    fields
}

impl<E: FieldProblem> From<Vec<E>> for AppError {
    fn from(errors: Vec<E>) -> Self {
        AppError::fields(field_problems("", &errors))
    }
}

macro_rules! one_field_problem {
    ($($error:ty),*) => {$(
        impl From<$error> for AppError {
            fn from(e: $error) -> Self {
                AppError::from(vec![e])
            }
        }
    )*};
}

one_field_problem!(aglis_core::sla_input::SlaInputError, aglis_core::technician::TechnicianError);

impl From<DbError> for AppError {
    fn from(e: DbError) -> Self {
        use sea_orm::DbErr;
        match e {
            DbError::Unique(msg) => {
                tracing::info!(%msg, "unique violation not mapped to a field");
                AppError::Conflict { detail: "this record already exists".into(), fields: FieldErrors::new() }
            }
            DbError::Db(DbErr::ConnectionAcquire(err)) => {
                tracing::error!(error = %err, "database unavailable");
                AppError::Unavailable("the database is unavailable; try again shortly".into())
            }
            DbError::Db(DbErr::Conn(err)) => {
                tracing::error!(error = %err, "database unavailable");
                AppError::Unavailable("the database is unavailable; try again shortly".into())
            }
            other => AppError::Internal(anyhow::Error::new(other)),
        }
    }
}

impl From<aglis_core::codes::SeriesFull> for AppError {
    fn from(e: aglis_core::codes::SeriesFull) -> Self {
        AppError::Conflict { detail: format!("{e}; try again tomorrow"), fields: FieldErrors::new() }
    }
}

impl From<askama::Error> for AppError {
    fn from(e: askama::Error) -> Self {
        AppError::Internal(anyhow::Error::new(e).context("rendering a template"))
    }
}

/// What the error middleware needs to render the final response.
#[derive(Debug, Clone, Serialize)]
pub struct ErrorInfo {
    pub status: u16,
    pub title: String,
    pub detail: String,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub errors: FieldErrors,
}

/// The problem+json body (RFC 9457).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Problem {
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// Field name → messages, present on validation errors.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub errors: FieldErrors,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let status = self.status();
        let title = status.canonical_reason().unwrap_or("Error").to_owned();
        let mut retry_after = None;
        let mut cause = None;
        let (detail, errors) = match self {
            AppError::BadRequest(d)
            | AppError::Unauthorized(d)
            | AppError::Forbidden(d)
            | AppError::NotFound(d)
            | AppError::MethodNotAllowed(d)
            | AppError::PayloadTooLarge(d)
            | AppError::UnsupportedMediaType(d)
            | AppError::Unavailable(d) => (d, FieldErrors::new()),
            AppError::Validation { detail, fields } | AppError::Conflict { detail, fields } => (detail, fields),
            AppError::TooManyRequests { detail, retry_after_secs } => {
                retry_after = Some(retry_after_secs);
                (detail, FieldErrors::new())
            }
            AppError::Internal(err) => {
                tracing::error!(error = ?err, "internal error");
                let backtrace = match err.backtrace().status() {
                    std::backtrace::BacktraceStatus::Captured => err.backtrace().to_string(),
                    _ => std::backtrace::Backtrace::force_capture().to_string(),
                };
                cause = Some(crate::monitoring::errors::Cause {
                    panic: false,
                    title: err.to_string(),
                    detail: format!("{err:#}"),
                    backtrace: Some(backtrace),
                });
                ("an unexpected error occurred; it has been logged with the request id".to_owned(), FieldErrors::new())
            }
        };
        // Message tokens (validation rules) read in English in the API; pages render the field
        // errors in their own language before they get here.
        let lang = crate::i18n::Lang::En;
        let detail = lang.render(&detail);
        let errors = errors.into_iter().map(|(k, msgs)| (k, msgs.iter().map(|m| lang.render(m)).collect())).collect();
        let info = ErrorInfo { status: status.as_u16(), title, detail, errors };
        let mut response = problem_response(&info, None);
        if let Some(secs) = retry_after {
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        response.extensions_mut().insert(info);
        if let Some(cause) = cause {
            response.extensions_mut().insert(cause);
        }
        response
    }
}

/// Renders `info` as problem+json.
pub fn problem_response(info: &ErrorInfo, request_id: Option<String>) -> Response {
    let status = StatusCode::from_u16(info.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let body = Problem {
        kind: "about:blank".into(),
        title: info.title.clone(),
        status: info.status,
        detail: info.detail.clone(),
        errors: info.errors.clone(),
        request_id,
    };
    let json = serde_json::to_vec(&body).unwrap_or_else(|_| b"{}".to_vec());
    let mut response = (status, json).into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/problem+json"));
    response
}

pub type AppResult<T> = Result<T, AppError>;
