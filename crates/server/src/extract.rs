//! Request extractors whose failures are [`AppError`]s with messages a person can act on:
//! malformed JSON → 400, a value of the wrong type → 422 naming the field, no JSON content type → 415.

use crate::error::{AppError, FieldErrors};
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use serde::de::DeserializeOwned;

/// A JSON body.
#[derive(Debug, Clone)]
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, AppError> {
        let is_json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .is_some_and(|mime| {
                let mime = mime.trim().to_ascii_lowercase();
                mime == "application/json" || (mime.starts_with("application/") && mime.ends_with("+json"))
            });
        if !is_json {
            return Err(AppError::UnsupportedMediaType(
                "send the body as JSON with the header Content-Type: application/json".into(),
            ));
        }
        let bytes = Bytes::from_request(req, state).await.map_err(body_error)?;
        parse_json(&bytes).map(ApiJson)
    }
}

fn body_error(e: BytesRejection) -> AppError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        AppError::PayloadTooLarge("the request body is too large".into())
    } else {
        AppError::BadRequest(format!("the request body could not be read: {e}"))
    }
}

/// Deserialises JSON, telling syntax errors (400) from values of the wrong shape (422, by field).
/// Before the shape is checked the document is normalised ([`normalise`]): NUL characters are
/// dropped from strings (no text column can hold them, PostgreSQL refuses them) and whole numbers
/// written as decimals (`93.0`, valid JSON Schema integers) count as integers.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, AppError> {
    let mut value: serde_json::Value =
        serde_json::from_slice(bytes).map_err(|e| AppError::BadRequest(format!("the body is not valid JSON: {e}")))?;
    normalise(&mut value);
    match serde_path_to_error::deserialize::<_, T>(value) {
        Ok(v) => Ok(v),
        Err(err) => {
            let path = err.path().to_string();
            Err(field_error(&path, &err.into_inner().to_string()))
        }
    }
}

/// See [`parse_json`].
fn normalise(value: &mut serde_json::Value) {
    use serde_json::Value;
    match value {
        Value::String(s) if s.contains('\0') => s.retain(|c| c != '\0'),
        Value::Number(n) => {
            if let Some(f) = n.as_f64().filter(|f| n.is_f64() && f.fract() == 0.0 && f.abs() < 9.0e15) {
                // Exact: |f| < 2^53.
                *value = Value::from(f as i64);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(normalise),
        Value::Object(map) => {
            let keys: Vec<String> = map.keys().filter(|k| k.contains('\0')).cloned().collect();
            for k in keys {
                if let Some(v) = map.remove(&k) {
                    map.insert(k.replace('\0', ""), v);
                }
            }
            map.values_mut().for_each(normalise);
        }
        Value::String(_) | Value::Null | Value::Bool(_) => {}
    }
}

/// A 422 for a deserialisation failure at `path` (`.` for the top level).
fn field_error(path: &str, message: &str) -> AppError {
    // serde reports a message with " at line 1 column 12" appended; the field name says more.
    let message = message.split(" at line ").next().unwrap_or(message).to_owned();
    let field = if path == "." || path.is_empty() {
        // "missing field `name`" names the field only in its message.
        message.split('`').nth(1).filter(|_| message.starts_with("missing field")).unwrap_or("body").to_owned()
    } else {
        path.to_owned()
    };
    let mut fields = FieldErrors::new();
    fields.insert(field.clone(), vec![message.clone()]);
    AppError::Validation { detail: format!("{field}: {message}"), fields }
}

/// Query-string parameters.
#[derive(Debug, Clone)]
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, AppError> {
        let query = parts.uri.query().unwrap_or_default();
        let query = without_nul(query.as_bytes());
        let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(&query));
        serde_path_to_error::deserialize::<_, T>(de)
            .map(ApiQuery)
            .map_err(|e| field_error(&e.path().to_string(), &e.into_inner().to_string()))
    }
}

/// A query string or form body with NUL characters dropped from its names and values (see
/// [`parse_json`]), re-encoded only when it holds one.
fn without_nul(input: &[u8]) -> std::borrow::Cow<'_, [u8]> {
    let has_nul = input.contains(&0) || input.windows(3).any(|w| w.eq_ignore_ascii_case(b"%00"));
    if !has_nul {
        return std::borrow::Cow::Borrowed(input);
    }
    let mut out = form_urlencoded::Serializer::new(String::new());
    for (k, v) in form_urlencoded::parse(input) {
        out.append_pair(&k.replace('\0', ""), &v.replace('\0', ""));
    }
    std::borrow::Cow::Owned(out.finish().into_bytes())
}

/// A form body (`application/x-www-form-urlencoded`).
#[derive(Debug, Clone)]
pub struct ApiForm<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiForm<T> {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, AppError> {
        let bytes = Bytes::from_request(req, state).await.map_err(body_error)?;
        let bytes = without_nul(&bytes);
        let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(&bytes));
        serde_path_to_error::deserialize::<_, T>(de)
            .map(ApiForm)
            .map_err(|e| field_error(&e.path().to_string(), &e.into_inner().to_string()))
    }
}

/// The client's IP address, for per-address limits and the audit log: the peer, or, behind
/// `AGLIS_TRUST_FORWARDED_FOR` trusted proxies, the `X-Forwarded-For` entry the nearest of them
/// added (see [`forwarded_client`]).
#[derive(Debug, Clone)]
pub struct ClientIp(pub String);

impl FromRequestParts<crate::state::AppState> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &crate::state::AppState) -> Result<Self, Self::Rejection> {
        let peer = parts.extensions.get::<axum::extract::ConnectInfo<std::net::SocketAddr>>().map(|c| c.0.ip());
        let hops = state.config.trusted_proxy_hops;
        if hops > 0 {
            let headers: Vec<&str> =
                parts.headers.get_all("x-forwarded-for").iter().filter_map(|v| v.to_str().ok()).collect();
            if let Some(ip) = forwarded_client(&headers, hops) {
                return Ok(ClientIp(ip.to_string()));
            }
        }
        Ok(ClientIp(peer.map_or_else(|| "unknown".into(), |ip| ip.to_string())))
    }
}

/// The client address behind `hops` trusted proxies, from the `X-Forwarded-For` header lines in
/// the order received. Every proxy appends the address it saw, so the right-most `hops` entries
/// were written by proxies we trust and the `hops`-th from the right is the client as the
/// outermost trusted proxy saw it; everything left of it is whatever the client wrote. With fewer
/// entries than hops, the left-most one (a trusted proxy added it too). `None` when the header is
/// missing or that entry is not an address, so the caller falls back to the peer.
pub fn forwarded_client(headers: &[&str], hops: usize) -> Option<std::net::IpAddr> {
    let entries: Vec<&str> =
        headers.iter().flat_map(|line| line.split(',')).map(str::trim).filter(|e| !e.is_empty()).collect();
    if hops == 0 || entries.is_empty() {
        return None;
    }
    let index = entries.len().saturating_sub(hops);
    entries[index].parse().ok()
}

/// A numeric id in the path: anything else is a 404, as no such record can exist.
#[derive(Debug, Clone, Copy)]
pub struct IdPath(pub i64);

impl<S: Send + Sync> FromRequestParts<S> for IdPath {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, AppError> {
        let axum::extract::Path(raw) = axum::extract::Path::<String>::from_request_parts(parts, state)
            .await
            .map_err(|_| AppError::NotFound("no such record".into()))?;
        raw.parse::<i64>()
            .ok()
            .filter(|id| *id > 0)
            .map(IdPath)
            .ok_or_else(|| AppError::NotFound(format!("no record has the id `{raw}`")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Login {
        username: String,
        password: String,
    }

    #[test]
    fn the_client_is_the_entry_the_nearest_trusted_proxy_added() {
        let ip = |h: &[&str], hops| forwarded_client(h, hops).map(|ip| ip.to_string());
        // The client wrote the first entry itself; the load balancer appended the real address.
        assert_eq!(ip(&["6.6.6.6, 203.0.113.7"], 1).as_deref(), Some("203.0.113.7"));
        assert_eq!(ip(&["203.0.113.7"], 1).as_deref(), Some("203.0.113.7"));
        // Two proxies: the outer one saw the client, the inner one saw the outer proxy.
        assert_eq!(ip(&["1.1.1.1, 203.0.113.7, 10.0.0.2"], 2).as_deref(), Some("203.0.113.7"));
        // Several header lines count as one list, in order.
        assert_eq!(ip(&["1.1.1.1", "203.0.113.7"], 1).as_deref(), Some("203.0.113.7"));
        // Fewer entries than proxies: the left-most, which a trusted proxy wrote.
        assert_eq!(ip(&["203.0.113.7"], 3).as_deref(), Some("203.0.113.7"));
        assert_eq!(ip(&["2001:db8::1"], 1).as_deref(), Some("2001:db8::1"));
        // Garbage where the proxy's entry should be, no header, or no trust: the peer instead.
        assert_eq!(ip(&["1.1.1.1, not-an-ip"], 1), None);
        assert_eq!(ip(&[], 1), None);
        assert_eq!(ip(&[" , "], 1), None);
        assert_eq!(ip(&["203.0.113.7"], 0), None);
    }

    #[test]
    fn syntax_errors_are_400_shape_errors_422_by_field() {
        assert!(matches!(parse_json::<Login>(b"{not json"), Err(AppError::BadRequest(_))));
        match parse_json::<Login>(br#"{"username": 5, "password": "x"}"#) {
            Err(AppError::Validation { fields, .. }) => assert!(fields.contains_key("username"), "{fields:?}"),
            other => panic!("expected 422, got {other:?}"),
        }
        match parse_json::<Login>(br#"{"username": "x"}"#) {
            Err(AppError::Validation { fields, .. }) => assert!(fields.contains_key("password"), "{fields:?}"),
            other => panic!("expected 422, got {other:?}"),
        }
        match parse_json::<Login>(b"[]") {
            Err(AppError::Validation { fields, .. }) => assert!(fields.contains_key("body"), "{fields:?}"),
            other => panic!("expected 422, got {other:?}"),
        }
    }

    #[test]
    fn nul_characters_leave_query_strings_and_forms() {
        assert_eq!(without_nul(b"q=budi&page=2").as_ref(), b"q=budi&page=2");
        assert_eq!(without_nul(b"q=bu%00di&x%00=1").as_ref(), b"q=budi&x=1");
    }

    #[test]
    fn nul_characters_are_dropped_and_whole_decimals_are_integers() {
        #[derive(Debug, Deserialize, PartialEq)]
        struct Item {
            name: String,
            speed: i32,
            tags: Vec<String>,
        }
        let item: Item = parse_json(br#"{"name": "Bu\u0000di", "speed": 93.0, "tags": ["a\u0000"]}"#).expect("parsed");
        assert_eq!(item, Item { name: "Budi".into(), speed: 93, tags: vec!["a".into()] });
        assert!(matches!(
            parse_json::<Item>(br#"{"name": "x", "speed": 93.5, "tags": []}"#),
            Err(AppError::Validation { .. })
        ));
    }
}
