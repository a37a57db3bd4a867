//! Fonnte (spec/protocols.md §1): `POST {base}/send` with the raw device token in `Authorization`
//! (no `Bearer`), form fields `target`, `message`, `countryCode`. Errors often come with HTTP 200
//! and `"status": false`, so the body decides; the `status` key is read case-insensitively.
//! The status check asks `POST {base}/device` (§1.2), which sends nothing.

use crate::notify::{Outgoing, ProbeFuture, Provider, Receipt, SendError, SendFuture};
use aglis_core::notification::Channel;
use std::fmt;
use std::time::Duration;

pub const DEFAULT_BASE_URL: &str = "https://api.fonnte.com";

#[derive(Clone)]
pub struct Fonnte {
    client: reqwest::Client,
    base_url: String,
    token: String,
}

impl fmt::Debug for Fonnte {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Fonnte").field("base_url", &self.base_url).field("token", &"[redacted]").finish()
    }
}

impl Fonnte {
    pub fn new(base_url: &str, token: &str, timeout: Duration) -> Result<Self, reqwest::Error> {
        Ok(Self {
            client: crate::http::client(timeout)?,
            base_url: base_url.trim_end_matches('/').to_owned(),
            token: token.to_owned(),
        })
    }
}

/// The `status` key of an answer, read case-insensitively; `false` when missing.
fn status_of(json: &serde_json::Value) -> bool {
    json.as_object()
        .and_then(|o| o.iter().find(|(k, _)| k.eq_ignore_ascii_case("status")))
        .and_then(|(_, v)| v.as_bool())
        .unwrap_or(false)
}

/// Reasons after which another try with the same message is pointless. Anything else, e.g.
/// `device disconnected` or `token invalid`, is fixed outside the message, so a later try can
/// succeed.
const FINAL_REASONS: &[&str] = &["target invalid", "input invalid", "url invalid", "file format not supported"];

/// Interprets a `/send` answer.
pub fn parse_send_response(http_status: u16, body: &str) -> Result<Receipt, SendError> {
    let transient = |detail: String| SendError::Transient { provider: "fonnte".into(), detail };
    if http_status == 429 || http_status >= 500 {
        return Err(transient(format!("HTTP {http_status}")));
    }
    let json: serde_json::Value =
        serde_json::from_str(body).map_err(|_| transient(format!("HTTP {http_status}, unreadable answer")))?;
    if status_of(&json) {
        let id = json["id"].as_array().and_then(|ids| ids.first()).map(|v| match v {
            serde_json::Value::String(s) => s.clone(),
            other => other.to_string(),
        });
        return Ok(Receipt { provider: "fonnte".into(), provider_message_id: id });
    }
    let reason = json["reason"].as_str().unwrap_or("no reason given").to_owned();
    if FINAL_REASONS.iter().any(|r| reason.eq_ignore_ascii_case(r)) {
        Err(SendError::Rejected { provider: "fonnte".into(), detail: reason })
    } else {
        Err(transient(reason))
    }
}

/// Interprets a `/device` answer: `Ok` only for `"status": true` with `"device_status": "connect"`;
/// otherwise a short reason for people (never the token, which Fonnte does not echo).
pub fn parse_device_response(http_status: u16, body: &str) -> Result<(), String> {
    let json = serde_json::from_str::<serde_json::Value>(body).ok().filter(serde_json::Value::is_object);
    let reason = json.as_ref().and_then(|j| j["reason"].as_str()).filter(|r| !r.is_empty());
    if !(200..300).contains(&http_status) {
        return Err(match (http_status, reason) {
            (_, Some(reason)) => format!("HTTP {http_status}: {reason}"),
            (429, None) => "HTTP 429: too many status checks".into(),
            _ => format!("HTTP {http_status}"),
        });
    }
    let Some(json) = &json else { return Err(format!("HTTP {http_status}, unreadable answer")) };
    if !status_of(json) {
        return Err(reason.unwrap_or("no reason given").to_owned());
    }
    match json["device_status"].as_str().map(str::trim) {
        Some(s) if s.eq_ignore_ascii_case("connect") => Ok(()),
        Some(s) if s.eq_ignore_ascii_case("disconnect") => Err("device disconnected".into()),
        Some(other) => Err(format!("device status `{}`", other.chars().take(40).collect::<String>())),
        None => Err("no device status in the answer".into()),
    }
}

impl Provider for Fonnte {
    fn name(&self) -> &str {
        "fonnte"
    }

    fn channels(&self) -> &[Channel] {
        &[Channel::Whatsapp]
    }

    fn send<'a>(&'a self, message: &'a Outgoing) -> SendFuture<'a> {
        Box::pin(async move {
            let form =
                [("target", message.recipient.as_str()), ("message", message.body.as_str()), ("countryCode", "62")];
            let response = self
                .client
                .post(format!("{}/send", self.base_url))
                .header("Authorization", &self.token)
                .form(&form)
                .send()
                .await
                .map_err(|e| SendError::Transient {
                    provider: "fonnte".into(),
                    detail: if e.is_timeout() { "timed out".into() } else { format!("unreachable: {e}") },
                })?;
            let status = response.status().as_u16();
            let body = response.text().await.unwrap_or_default();
            parse_send_response(status, &body)
        })
    }

    fn probe(&self) -> Option<ProbeFuture<'_>> {
        Some(Box::pin(async move {
            let response = self
                .client
                .post(format!("{}/device", self.base_url))
                .header("Authorization", &self.token)
                .send()
                .await
                .map_err(|e| if e.is_timeout() { "timed out".to_owned() } else { format!("unreachable: {e}") })?;
            let status = response.status().as_u16();
            let body = response.text().await.unwrap_or_default();
            parse_device_response(status, &body)
        }))
    }
}

#[cfg(feature = "fakes")]
pub mod fake;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_documented_answers() {
        let ok = r#"{"detail":"success! message in queue","id":["80367170"],"process":"pending","requestid":2937124,"status":true,"target":["6282227097005"]}"#;
        assert_eq!(parse_send_response(200, ok).map(|r| r.provider_message_id), Ok(Some("80367170".into())));
        let capital = r#"{"Status":true,"id":[80367171]}"#;
        assert_eq!(parse_send_response(200, capital).map(|r| r.provider_message_id), Ok(Some("80367171".into())));
        assert!(matches!(
            parse_send_response(200, r#"{"status":false,"reason":"target invalid"}"#),
            Err(SendError::Rejected { .. })
        ));
        assert!(matches!(
            parse_send_response(200, r#"{"status":false,"reason":"token invalid"}"#),
            Err(SendError::Transient { .. })
        ));
        assert!(matches!(
            parse_send_response(200, r#"{"status":false,"reason":"insufficient quota"}"#),
            Err(SendError::Transient { .. })
        ));
        assert!(matches!(parse_send_response(502, "<html>bad gateway</html>"), Err(SendError::Transient { .. })));
        assert!(matches!(parse_send_response(429, ""), Err(SendError::Transient { .. })));
        assert!(matches!(parse_send_response(200, "not json"), Err(SendError::Transient { .. })));
    }

    #[test]
    fn a_disconnected_device_is_worth_another_try() {
        let r = parse_send_response(200, r#"{"status":false,"reason":"device disconnected"}"#);
        assert_eq!(r, Err(SendError::Transient { provider: "fonnte".into(), detail: "device disconnected".into() }));
        let r = parse_send_response(200, r#"{"Status":false,"reason":"Target invalid"}"#);
        assert!(matches!(r, Err(SendError::Rejected { .. })), "{r:?}");
    }

    #[test]
    fn reads_the_device_answers() {
        let connected = r#"{"device":"6282227097005","device_status":"connect","expired":"18 November 2029","messages":16785,"name":"AGLIS","package":"Reguler","quota":"78","status":true}"#;
        assert_eq!(parse_device_response(200, connected), Ok(()));
        assert_eq!(parse_device_response(200, r#"{"Status":true,"device_status":"CONNECT"}"#), Ok(()));
        let disconnected = connected.replace(r#""connect""#, r#""disconnect""#);
        assert_eq!(parse_device_response(200, &disconnected), Err("device disconnected".into()));
        assert_eq!(
            parse_device_response(200, r#"{"reason":"token invalid","status":false}"#),
            Err("token invalid".into())
        );
        assert_eq!(parse_device_response(200, r#"{"status":false}"#), Err("no reason given".into()));
        assert_eq!(parse_device_response(200, r#"{"status":true}"#), Err("no device status in the answer".into()));
        assert_eq!(
            parse_device_response(200, r#"{"status":true,"device_status":"banned"}"#),
            Err("device status `banned`".into())
        );
        assert_eq!(parse_device_response(502, "<html>bad gateway</html>"), Err("HTTP 502".into()));
        assert_eq!(parse_device_response(429, ""), Err("HTTP 429: too many status checks".into()));
        assert_eq!(
            parse_device_response(403, r#"{"status":false,"reason":"access denied"}"#),
            Err("HTTP 403: access denied".into())
        );
        assert_eq!(parse_device_response(200, "not json"), Err("HTTP 200, unreadable answer".into()));
        // a device that says it is connected but an HTTP error around it is not fine
        assert_eq!(parse_device_response(500, connected), Err("HTTP 500".into()));
    }

    #[test]
    fn debug_never_shows_the_token() {
        let f = Fonnte::new("http://127.0.0.1:1", "rahasia-token", Duration::from_secs(1)).expect("client");
        assert!(!format!("{f:?}").contains("rahasia-token"));
    }
}
