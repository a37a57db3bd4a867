//! Security headers on every response: a Content-Security-Policy without inline scripts, no
//! framing, no MIME sniffing, a same-origin referrer, and HSTS when the site is served over https.

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;

/// Scripts and styles only from this origin (`/assets`), no plugins, no framing. Inline `style`
/// attributes stay allowed (`style-src-attr`); inline `<script>` and `<style>` blocks do not.
pub const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; style-src-attr 'unsafe-inline'; \
     img-src 'self' data: blob:; font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; \
     form-action 'self'; frame-ancestors 'none'";

/// The API explorer (`/api/docs`, Swagger UI) ships an inline style block and its initialiser;
/// it gets the same policy with inline styles allowed, and still no framing.
pub const CSP_API_DOCS: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
     img-src 'self' data:; object-src 'none'; base-uri 'self'; frame-ancestors 'none'";

/// A year, sub-domains included: only sent when `AGLIS_BASE_URL` is https.
pub const HSTS: &str = "max-age=31536000; includeSubDomains";

pub async fn add(State(https): State<bool>, req: Request, next: Next) -> Response {
    let docs = req.uri().path().starts_with("/api/docs");
    let mut res = next.run(req).await;
    set_all(res.headers_mut(), docs, https);
    res
}

fn set_all(h: &mut HeaderMap, docs: bool, https: bool) {
    let csp = if docs { CSP_API_DOCS } else { CSP };
    set(h, header::CONTENT_SECURITY_POLICY, csp);
    set(h, header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(h, header::X_FRAME_OPTIONS, "DENY");
    set(h, header::REFERRER_POLICY, "same-origin");
    set(h, HeaderName::from_static("permissions-policy"), "camera=(self), geolocation=(self), microphone=()");
    if https {
        set(h, header::STRICT_TRANSPORT_SECURITY, HSTS);
    }
}

fn set(h: &mut HeaderMap, name: HeaderName, value: &'static str) {
    if !h.contains_key(&name) {
        h.insert(name, HeaderValue::from_static(value));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_get_a_strict_policy_and_hsts_only_over_https() {
        let mut h = HeaderMap::new();
        set_all(&mut h, false, false);
        let csp = h[header::CONTENT_SECURITY_POLICY].to_str().expect("ascii");
        let directive = |name: &str| csp.split(';').map(str::trim).find(|d| d.split(' ').next() == Some(name));
        assert_eq!(directive("script-src"), Some("script-src 'self'"), "{csp}");
        assert_eq!(directive("style-src"), Some("style-src 'self'"), "no inline <style> blocks: {csp}");
        assert_eq!(directive("frame-ancestors"), Some("frame-ancestors 'none'"));
        assert!(!h.contains_key(header::STRICT_TRANSPORT_SECURITY));
        let mut h = HeaderMap::new();
        set_all(&mut h, true, true);
        assert_eq!(h[header::STRICT_TRANSPORT_SECURITY], HSTS);
        assert_eq!(h[header::CONTENT_SECURITY_POLICY], CSP_API_DOCS);
    }
}
