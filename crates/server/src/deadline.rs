//! How long a request may take before it is answered 503: 30 s, except uploads (multipart
//! forms: ticket photos, customer imports), which a phone on a slow mobile link may need minutes
//! to send.

use crate::error::AppError;
use axum::extract::Request;
use axum::http::{HeaderMap, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::time::Duration;

pub const REQUEST: Duration = Duration::from_secs(30);
/// 5 MB at 256 kbit/s takes about 160 s.
pub const UPLOAD: Duration = Duration::from_secs(300);

/// The time allowed for a request with `headers`.
pub fn limit_for(headers: &HeaderMap) -> Duration {
    let multipart = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.trim_start().to_ascii_lowercase().starts_with("multipart/form-data"));
    if multipart { UPLOAD } else { REQUEST }
}

pub async fn enforce(req: Request, next: Next) -> Response {
    let limit = limit_for(req.headers());
    match tokio::time::timeout(limit, next.run(req)).await {
        Ok(response) => response,
        Err(_) => AppError::Unavailable(format!(
            "the request took longer than {} s; try again (a large upload needs a steadier connection)",
            limit.as_secs()
        ))
        .into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn uploads_get_minutes_and_everything_else_thirty_seconds() {
        let mut h = HeaderMap::new();
        assert_eq!(limit_for(&h), REQUEST);
        h.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/x-www-form-urlencoded"));
        assert_eq!(limit_for(&h), REQUEST);
        h.insert(header::CONTENT_TYPE, HeaderValue::from_static("Multipart/Form-Data; boundary=x"));
        assert_eq!(limit_for(&h), UPLOAD);
    }
}
