//! CSRF protection for every state-changing request that relies on a cookie.
//!
//! Signed-in browsers: the token stored with the session must come back in the form field
//! `csrf_token` or the `X-CSRF-Token` header. Anonymous forms (the login page): the token is an
//! HMAC of the `aglis_csrf` cookie's nonce under the secret key. Bearer-token requests carry no
//! ambient credentials and need no token; neither do cookie-less API calls.

use crate::app::AppState;
use crate::auth::session::AuthContext;
use crate::auth::token::{anonymous_csrf, constant_time_eq, random_token};
use crate::error::AppError;
use aglis_db::repo::sessions::SessionKind;
use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};

pub const ANON_COOKIE: &str = "aglis_csrf";
pub const FORM_FIELD: &str = "csrf_token";
pub const HEADER: &str = "x-csrf-token";
const MAX_FORM_BYTES: usize = 1024 * 1024;
/// File uploads (customer imports).
pub const MAX_UPLOAD_BYTES: usize = 10 * 1024 * 1024;

/// The anonymous nonce of this request (from its cookie, or minted for it).
#[derive(Debug, Clone)]
pub struct CsrfNonce(pub String);

/// The token a page must embed in its forms.
pub fn token_for(state: &AppState, ctx: Option<&AuthContext>, nonce: Option<&CsrfNonce>) -> String {
    match ctx.and_then(|c| c.0.as_ref()) {
        Some(auth) => auth.csrf_token.clone(),
        None => nonce.map(|n| anonymous_csrf(state.config.secret_bytes(), &n.0)).unwrap_or_default(),
    }
}

pub async fn protect(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let safe = matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    let path = req.uri().path().to_owned();
    let is_api = path.starts_with("/api/");
    let cookie_nonce = CookieJar::from_headers(req.headers()).get(ANON_COOKIE).map(|c| c.value().to_owned());

    if safe {
        // Mint the anonymous nonce for pages, so the login form can carry a token.
        if is_api || cookie_nonce.is_some() || path.starts_with("/assets/") {
            if let Some(n) = cookie_nonce {
                req.extensions_mut().insert(CsrfNonce(n));
            }
            return next.run(req).await;
        }
        let nonce = random_token();
        req.extensions_mut().insert(CsrfNonce(nonce.clone()));
        let mut response = next.run(req).await;
        let cookie = Cookie::build((ANON_COOKIE, nonce))
            .path("/")
            .http_only(true)
            .same_site(SameSite::Lax)
            .secure(state.config.secure_cookies())
            .build();
        if let Ok(v) = HeaderValue::from_str(&cookie.to_string()) {
            response.headers_mut().append(header::SET_COOKIE, v);
        }
        return response;
    }

    if req.headers().contains_key(header::AUTHORIZATION) || path.starts_with("/api/webhooks/") {
        return next.run(req).await;
    }
    let session = req
        .extensions()
        .get::<AuthContext>()
        .and_then(|c| c.0.as_ref())
        .filter(|a| a.kind == SessionKind::Web)
        .map(|a| a.csrf_token.clone());
    let expected = match (session, is_api) {
        (Some(token), _) => token,
        // A cookie-less API call has no ambient credentials to abuse.
        (None, true) => return next.run(req).await,
        (None, false) => match &cookie_nonce {
            Some(n) => anonymous_csrf(state.config.secret_bytes(), n),
            None => return rejected(),
        },
    };

    let header_token = req.headers().get(HEADER).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let presented = match header_token {
        Some(t) => Some(t),
        None if is_form(&req) => {
            let (parts, body) = req.into_parts();
            let Ok(bytes) = to_bytes(body, MAX_FORM_BYTES).await else {
                return AppError::PayloadTooLarge("the form is larger than 1 MiB".into()).into_response();
            };
            let token = form_urlencoded_value(&bytes, FORM_FIELD);
            req = Request::from_parts(parts, Body::from(bytes));
            token
        }
        None if is_multipart(&req) => {
            let (parts, body) = req.into_parts();
            let Ok(bytes) = to_bytes(body, MAX_UPLOAD_BYTES).await else {
                return AppError::PayloadTooLarge("the upload is larger than 10 MiB".into()).into_response();
            };
            let token = multipart_value(&bytes, FORM_FIELD);
            req = Request::from_parts(parts, Body::from(bytes));
            token
        }
        None => None,
    };
    match presented {
        Some(p) if constant_time_eq(&p, &expected) => {
            if let Some(n) = cookie_nonce {
                req.extensions_mut().insert(CsrfNonce(n));
            }
            next.run(req).await
        }
        _ => rejected(),
    }
}

fn rejected() -> Response {
    AppError::Forbidden("this form has expired or did not come from this site; reload the page and try again".into())
        .into_response()
}

fn is_form(req: &Request) -> bool {
    req.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("application/x-www-form-urlencoded"))
}

fn is_multipart(req: &Request) -> bool {
    req.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("multipart/form-data"))
}

/// The value of a plain (non-file) multipart field: the part whose headers name it, up to the
/// next boundary line. Pages put the token first, so this reads only the start of an upload.
fn multipart_value(body: &[u8], field: &str) -> Option<String> {
    let marker = format!("name=\"{field}\"");
    let start = body.windows(marker.len()).position(|w| w == marker.as_bytes())? + marker.len();
    let rest = &body[start..];
    let value_start = rest.windows(4).position(|w| w == b"\r\n\r\n")? + 4;
    let value = &rest[value_start..];
    let end = value.windows(4).position(|w| w == b"\r\n--")?;
    String::from_utf8(value[..end].to_vec()).ok()
}

fn form_urlencoded_value(body: &[u8], field: &str) -> Option<String> {
    serde_urlencoded::from_bytes::<Vec<(String, String)>>(body)
        .ok()?
        .into_iter()
        .find(|(k, _)| k == field)
        .map(|(_, v)| v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_token_field() {
        assert_eq!(form_urlencoded_value(b"a=1&csrf_token=xyz&b=2", FORM_FIELD), Some("xyz".into()));
        assert_eq!(form_urlencoded_value(b"a=1", FORM_FIELD), None);
        assert_eq!(form_urlencoded_value(b"%%%", FORM_FIELD), None);
    }

    #[test]
    fn finds_the_token_in_a_multipart_upload() {
        let body = b"--XYZ\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\nabc123\r\n--XYZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.csv\"\r\n\r\nnama\r\n--XYZ--\r\n";
        assert_eq!(multipart_value(body, FORM_FIELD), Some("abc123".into()));
        assert_eq!(multipart_value(b"--XYZ--", FORM_FIELD), None);
    }
}
