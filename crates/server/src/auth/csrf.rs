//! CSRF protection for every state-changing request that relies on a cookie.
//!
//! Signed-in browsers: the token stored with the session must come back in the form field
//! `csrf_token` or the `X-CSRF-Token` header. Anonymous forms (the login page): the token is an
//! HMAC of the `aglis_csrf` cookie's nonce under the secret key. Bearer-token requests carry no
//! ambient credentials and need no token; neither do cookie-less API calls.
//!
//! No body is buffered whole to find the token: a multipart upload is read only until its
//! `csrf_token` part (pages put it first), and what was read is replayed to the handler. Callers
//! without a session may send at most [`ANON_BODY_BYTES`] (webhooks [`ANON_WEBHOOK_BYTES`]), so
//! anonymous floods of large bodies cost the server nothing.

use crate::auth::session::AuthContext;
use crate::auth::token::{anonymous_csrf, constant_time_eq, random_token};
use crate::error::AppError;
use crate::state::AppState;
use aglis_db::repo::sessions::SessionKind;
use axum::body::{Body, Bytes, to_bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use futures_util::StreamExt;

pub const ANON_COOKIE: &str = "aglis_csrf";
pub const FORM_FIELD: &str = "csrf_token";
pub const HEADER: &str = "x-csrf-token";
const MAX_FORM_BYTES: usize = 1024 * 1024;
/// File uploads (customer imports, ticket photos), signed-in users only.
pub const MAX_UPLOAD_BYTES: usize = 10 * 1024 * 1024;
/// The most a caller without a session may send: the sign-in, sign-up and tracking forms and the
/// JSON sign-in are a few hundred bytes.
pub const ANON_BODY_BYTES: usize = 64 * 1024;
/// The most a provider's webhook call may send (Meta batches several statuses in one call).
pub const ANON_WEBHOOK_BYTES: usize = 256 * 1024;
/// How far into a multipart body the token part is looked for.
const MULTIPART_SCAN_BYTES: usize = 64 * 1024;

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

    // Without a session, a small body or nothing: refused at once when the declared length is
    // over the cap, cut off while it is read when the client lied or sent it in chunks (413).
    let signed_in = req.extensions().get::<AuthContext>().and_then(|c| c.0.as_ref()).is_some();
    if !signed_in {
        let cap = if path.starts_with("/api/webhooks/") { ANON_WEBHOOK_BYTES } else { ANON_BODY_BYTES };
        if declared_length(&req).is_some_and(|len| len > cap as u64) {
            return too_large(&path);
        }
        req = req.map(|body| Body::new(http_body_util::Limited::new(body, cap)));
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
                return too_large(&path);
            };
            let token = form_urlencoded_value(&bytes, FORM_FIELD);
            req = Request::from_parts(parts, Body::from(bytes));
            token
        }
        None if is_multipart(&req) => {
            let (parts, body) = req.into_parts();
            let Ok((token, body)) = multipart_token(body).await else {
                return too_large(&path);
            };
            req = Request::from_parts(parts, body);
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

/// The `Content-Length` the client declared. A larger body than declared fails while it is read.
fn declared_length(req: &Request) -> Option<u64> {
    req.headers().get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok())
}

fn too_large(path: &str) -> Response {
    let what = if path.starts_with("/api/") { "the request body" } else { "the form" };
    AppError::PayloadTooLarge(format!("{what} is larger than this page accepts; sign in to upload files"))
        .into_response()
}

/// Reads the start of a multipart body until the token part is complete (at most
/// [`MULTIPART_SCAN_BYTES`]); returns the token, if found, and a body that replays what was read
/// followed by the rest of the stream. `Err` when the body fails while being read (too large).
async fn multipart_token(body: Body) -> Result<(Option<String>, Body), axum::Error> {
    let mut stream = body.into_data_stream();
    let mut seen: Vec<u8> = Vec::new();
    let mut token = None;
    while seen.len() < MULTIPART_SCAN_BYTES {
        match stream.next().await {
            Some(chunk) => {
                seen.extend_from_slice(&chunk?);
                token = multipart_value(&seen, FORM_FIELD);
                if token.is_some() {
                    break;
                }
            }
            None => break,
        }
    }
    let head = futures_util::stream::once(async move { Ok::<Bytes, axum::Error>(Bytes::from(seen)) });
    Ok((token, Body::from_stream(head.chain(stream))))
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
        // A token part cut off by the end of what was read so far is not a token yet.
        assert_eq!(multipart_value(&body[..60], FORM_FIELD), None);
    }

    #[tokio::test]
    async fn the_token_is_read_from_the_start_and_the_whole_body_replayed() {
        let mut body =
            b"--XYZ\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\nabc123\r\n--XYZ\r\n".to_vec();
        body.extend(std::iter::repeat_n(b'x', 300_000));
        body.extend_from_slice(b"\r\n--XYZ--\r\n");
        // Sent in small chunks, as a slow upload arrives.
        let chunks: Vec<Result<Bytes, std::io::Error>> =
            body.chunks(7).map(|c| Ok(Bytes::copy_from_slice(c))).collect();
        let (token, replay) =
            multipart_token(Body::from_stream(futures_util::stream::iter(chunks))).await.expect("read");
        assert_eq!(token.as_deref(), Some("abc123"));
        let replayed = to_bytes(replay, usize::MAX).await.expect("replay");
        assert_eq!(replayed.as_ref(), body.as_slice());
    }

    #[tokio::test]
    async fn no_token_near_the_start_means_none_without_reading_the_rest() {
        let body = vec![b'y'; 1_000_000];
        let (token, _) = multipart_token(Body::from(body)).await.expect("read");
        assert_eq!(token, None);
    }
}
