//! Fonnte (spec/protocols.md §1): `POST {base}/send` with the raw device token in `Authorization`
//! (no `Bearer`), form fields `target`, `message`, `countryCode`. Errors often come with HTTP 200
//! and `"status": false`, so the body decides; the `status` key is read case-insensitively.

use crate::notify::{Outgoing, Provider, Receipt, SendError, SendFuture};
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

/// Reasons after which another try with the same message is pointless.
const FINAL_REASONS: &[&str] = &["target invalid", "input invalid", "url invalid", "file format not supported"];

/// Interprets a `/send` answer.
pub fn parse_send_response(http_status: u16, body: &str) -> Result<Receipt, SendError> {
    let transient = |detail: String| SendError::Transient { provider: "fonnte".into(), detail };
    if http_status == 429 || http_status >= 500 {
        return Err(transient(format!("HTTP {http_status}")));
    }
    let json: serde_json::Value =
        serde_json::from_str(body).map_err(|_| transient(format!("HTTP {http_status}, unreadable answer")))?;
    let status = json
        .as_object()
        .and_then(|o| o.iter().find(|(k, _)| k.eq_ignore_ascii_case("status")))
        .and_then(|(_, v)| v.as_bool())
        .unwrap_or(false);
    if status {
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
    fn debug_never_shows_the_token() {
        let f = Fonnte::new("http://127.0.0.1:1", "rahasia-token", Duration::from_secs(1)).expect("client");
        assert!(!format!("{f:?}").contains("rahasia-token"));
    }
}
