//! WhatsApp Cloud API (Meta, spec/protocols.md §2): `POST {base}/{version}/{phone-number-id}/messages`
//! with `Authorization: Bearer <token>` and a JSON text message. Success carries the message's
//! `wamid`; failures are Graph errors, classified by their `code` (never by their wording). The
//! status check reads the phone number (`GET {base}/{version}/{phone-number-id}`), sending nothing.

use crate::notify::{Outgoing, ProbeFuture, Provider, Receipt, SendError, SendFuture};
use aglis_core::notification::Channel;
use std::fmt;
use std::time::Duration;

pub const DEFAULT_BASE_URL: &str = "https://graph.facebook.com";
pub const DEFAULT_VERSION: &str = "v21.0";

#[derive(Clone)]
pub struct MetaCloud {
    client: reqwest::Client,
    base_url: String,
    version: String,
    phone_number_id: String,
    token: String,
}

impl fmt::Debug for MetaCloud {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MetaCloud")
            .field("base_url", &self.base_url)
            .field("version", &self.version)
            .field("phone_number_id", &self.phone_number_id)
            .field("token", &"[redacted]")
            .finish()
    }
}

impl MetaCloud {
    pub fn new(
        base_url: &str,
        version: &str,
        phone_number_id: &str,
        token: &str,
        timeout: Duration,
    ) -> Result<Self, reqwest::Error> {
        Ok(Self {
            client: crate::http::client(timeout)?,
            base_url: base_url.trim_end_matches('/').to_owned(),
            version: version.trim_matches('/').to_owned(),
            phone_number_id: phone_number_id.trim_matches('/').to_owned(),
            token: token.to_owned(),
        })
    }

    /// `{base}/{version}/{phone_number_id}/messages`
    pub fn messages_url(&self) -> String {
        format!("{}/messages", self.phone_number_url())
    }

    /// `{base}/{version}/{phone_number_id}`: the phone number, read by the status check.
    pub fn phone_number_url(&self) -> String {
        format!("{}/{}/{}", self.base_url, self.version, self.phone_number_id)
    }
}

/// Worth another try, here or with another provider: Graph's own trouble, rate limits
/// (130429 throughput, 131056 pair rate, 80007, 4, 17), and a bad or expired token (190), which an
/// operator fixes without the message being at fault.
const TRANSIENT_CODES: &[i64] = &[1, 2, 4, 17, 190, 80007, 130429, 131000, 131016, 131056, 133004];

/// Also not the message's fault: the account or number can't send right now (permissions 3, 10,
/// 200–299; 368 temporarily blocked; 131005 access denied; 131031 account locked; 131042 payment
/// issue; 131045 certificate; 131048 spam rate limit; 131057 maintenance; 133010 number not
/// registered). Another provider may still deliver the message.
const ACCOUNT_CODES: &[i64] = &[0, 3, 10, 368, 131005, 131031, 131042, 131045, 131048, 131057, 133010];

/// Final for this message as it is: 100 invalid parameter, 131008 parameter missing, 131009 bad
/// parameter value, 131026 undeliverable, 131047 outside the 24-hour window, 131051 unsupported
/// type; 132000–132069 are template errors.
const REJECTED_CODES: &[i64] = &[100, 131008, 131009, 131026, 131047, 131051];

fn code_is_transient(code: i64) -> Option<bool> {
    if TRANSIENT_CODES.contains(&code) || ACCOUNT_CODES.contains(&code) || (200..=299).contains(&code) {
        Some(true)
    } else if REJECTED_CODES.contains(&code) || (132_000..=132_069).contains(&code) {
        Some(false)
    } else {
        None
    }
}

/// `131047: Re-engagement message (details…) [fbtrace_id …]`; Graph's `(#code) ` prefix dropped.
fn describe(error: &serde_json::Value, http_status: u16) -> String {
    let code = error["code"].as_i64();
    let message = error["message"].as_str().unwrap_or("no message");
    let message = match code {
        Some(c) => message.strip_prefix(&format!("(#{c}) ")).unwrap_or(message),
        None => message,
    };
    let mut detail = match code {
        Some(c) => format!("{c}: {message}"),
        None => format!("HTTP {http_status}: {message}"),
    };
    if let Some(sub) = error["error_subcode"].as_i64() {
        detail.push_str(&format!(" (subcode {sub})"));
    }
    if let Some(details) = error["error_data"]["details"].as_str().filter(|d| !d.is_empty() && *d != message) {
        detail.push_str(&format!(" ({details})"));
    }
    if let Some(trace) = error["fbtrace_id"].as_str() {
        detail.push_str(&format!(" [fbtrace_id {trace}]"));
    }
    detail
}

/// Interprets a `/messages` answer.
pub fn parse_send_response(http_status: u16, body: &str) -> Result<Receipt, SendError> {
    let transient = |detail: String| SendError::Transient { provider: "meta".into(), detail };
    let retryable_status = http_status == 429 || http_status >= 500;
    let Ok(json) = serde_json::from_str::<serde_json::Value>(body) else {
        return Err(transient(format!("HTTP {http_status}, unreadable answer")));
    };
    if let Some(error) = json.get("error").filter(|e| e.is_object()) {
        let detail = describe(error, http_status);
        let is_transient = error["code"].as_i64().and_then(code_is_transient).unwrap_or(retryable_status);
        return Err(if is_transient {
            transient(detail)
        } else {
            SendError::Rejected { provider: "meta".into(), detail }
        });
    }
    if retryable_status || !(200..300).contains(&http_status) {
        return Err(transient(format!("HTTP {http_status} without a Graph error")));
    }
    let id = json["messages"][0]["id"].as_str().map(str::to_owned);
    Ok(Receipt { provider: "meta".into(), provider_message_id: id })
}

/// Interprets the answer to reading the phone number: any 2xx is fine; otherwise the Graph
/// error's code and message (`190: Invalid OAuth access token…`), or the HTTP status.
pub fn parse_probe_response(http_status: u16, body: &str) -> Result<(), String> {
    if (200..300).contains(&http_status) {
        return Ok(());
    }
    let json = serde_json::from_str::<serde_json::Value>(body).unwrap_or_default();
    match json.get("error").filter(|e| e.is_object()) {
        Some(error) => Err(describe(error, http_status)),
        None => Err(format!("HTTP {http_status}")),
    }
}

/// The JSON body of a plain text message (links are not previewed).
pub fn text_message(to: &str, body: &str) -> serde_json::Value {
    serde_json::json!({
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": to,
        "type": "text",
        "text": { "preview_url": false, "body": body },
    })
}

impl Provider for MetaCloud {
    fn name(&self) -> &str {
        "meta"
    }

    fn channels(&self) -> &[Channel] {
        &[Channel::Whatsapp]
    }

    fn send<'a>(&'a self, message: &'a Outgoing) -> SendFuture<'a> {
        Box::pin(async move {
            let response = self
                .client
                .post(self.messages_url())
                .bearer_auth(&self.token)
                .json(&text_message(&message.recipient, &message.body))
                .send()
                .await
                .map_err(|e| SendError::Transient {
                    provider: "meta".into(),
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
                .get(self.phone_number_url())
                .bearer_auth(&self.token)
                .send()
                .await
                .map_err(|e| if e.is_timeout() { "timed out".to_owned() } else { format!("unreachable: {e}") })?;
            let status = response.status().as_u16();
            let body = response.text().await.unwrap_or_default();
            parse_probe_response(status, &body)
        }))
    }
}

#[cfg(feature = "fakes")]
pub mod fake;

#[cfg(test)]
mod tests {
    use super::*;

    fn graph_error(code: i64, message: &str) -> String {
        serde_json::json!({"error": {
            "message": message, "type": "OAuthException", "code": code,
            "error_data": {"messaging_product": "whatsapp", "details": "More about it."},
            "fbtrace_id": "AbCdEf123"
        }})
        .to_string()
    }

    fn kind(result: &Result<Receipt, SendError>) -> &'static str {
        match result {
            Ok(_) => "ok",
            Err(SendError::Transient { .. }) => "transient",
            Err(SendError::Rejected { .. }) => "rejected",
        }
    }

    #[test]
    fn success_gives_the_wamid() {
        let ok = r#"{"messaging_product":"whatsapp","contacts":[{"input":"6281234567890","wa_id":"6281234567890"}],"messages":[{"id":"wamid.HBgNNjI4MTIzNDU2Nzg5MBUCABIYFjNFQjA="}]}"#;
        assert_eq!(
            parse_send_response(200, ok),
            Ok(Receipt {
                provider: "meta".into(),
                provider_message_id: Some("wamid.HBgNNjI4MTIzNDU2Nzg5MBUCABIYFjNFQjA=".into())
            })
        );
    }

    #[test]
    fn graph_errors_are_classified_by_code() {
        let transient = [
            (500, 1),
            (503, 2),
            (400, 4),
            (400, 17),
            (400, 80007),
            (400, 130429),
            (503, 131016),
            (400, 131056),
            (500, 131000),
            (503, 133004),
            (401, 190),
            (403, 10),
            (403, 200),
            (400, 131031),
        ];
        for (http, code) in transient {
            let r = parse_send_response(http, &graph_error(code, "whatever it says"));
            assert_eq!(kind(&r), "transient", "HTTP {http} code {code}: {r:?}");
        }
        let rejected = [
            (400, 100),
            (400, 131026),
            (400, 131047),
            (400, 131051),
            (400, 131008),
            (400, 131009),
            (400, 132000),
            (400, 132001),
            (400, 132069),
            (400, 131021), // not listed: a 4xx Graph error is final
            (404, 803),
            // the code decides even when the HTTP status looks retryable
            (500, 100),
        ];
        for (http, code) in rejected {
            let r = parse_send_response(http, &graph_error(code, "whatever it says"));
            assert_eq!(kind(&r), "rejected", "HTTP {http} code {code}: {r:?}");
        }
        // unknown codes follow the HTTP status
        assert_eq!(kind(&parse_send_response(503, &graph_error(99_999, "new"))), "transient");
        assert_eq!(kind(&parse_send_response(429, &graph_error(99_999, "new"))), "transient");
        assert_eq!(kind(&parse_send_response(400, &graph_error(132_070, "just past templates"))), "rejected");
        // a Graph error without a code
        assert_eq!(kind(&parse_send_response(400, r#"{"error":{"message":"odd"}}"#)), "rejected");
        assert_eq!(kind(&parse_send_response(502, r#"{"error":{"message":"odd"}}"#)), "transient");
    }

    #[test]
    fn the_detail_names_code_and_message() {
        let r = parse_send_response(400, &graph_error(131047, "Re-engagement message"));
        let Err(SendError::Rejected { provider, detail }) = r else { panic!("rejected expected, got {r:?}") };
        assert_eq!(provider, "meta");
        assert!(detail.starts_with("131047: Re-engagement message"), "{detail}");
        assert!(detail.contains("More about it."), "{detail}");
        assert!(detail.contains("AbCdEf123"), "{detail}");
        // Graph's `(#code) ` prefix is not repeated
        let r = parse_send_response(400, &graph_error(100, "(#100) The parameter to is required."));
        let Err(SendError::Rejected { detail, .. }) = r else { panic!("rejected expected, got {r:?}") };
        assert!(detail.starts_with("100: The parameter to is required."), "{detail}");
        let with_sub = r#"{"error":{"message":"Error validating access token","type":"OAuthException","code":190,"error_subcode":463}}"#;
        let Err(SendError::Transient { detail, .. }) = parse_send_response(401, with_sub) else { panic!("transient") };
        assert_eq!(detail, "190: Error validating access token (subcode 463)");
    }

    #[test]
    fn answers_without_a_graph_error() {
        assert_eq!(kind(&parse_send_response(502, "<html>Bad Gateway</html>")), "transient");
        assert_eq!(kind(&parse_send_response(429, "")), "transient");
        assert_eq!(kind(&parse_send_response(200, "not json")), "transient");
        assert_eq!(kind(&parse_send_response(404, "<html>not found</html>")), "transient");
        assert_eq!(kind(&parse_send_response(503, r#"{"messages":[{"id":"wamid.X"}]}"#)), "transient");
        // accepted, but no id to follow: still accepted (retrying could send it twice)
        assert_eq!(
            parse_send_response(200, r#"{"messaging_product":"whatsapp"}"#),
            Ok(Receipt { provider: "meta".into(), provider_message_id: None })
        );
    }

    #[test]
    fn the_probe_reads_graph_errors() {
        let number = r#"{"verified_name":"AGLIS Net","code_verification_status":"VERIFIED","display_phone_number":"+62 811-0000-0000","quality_rating":"GREEN","id":"106540352242922"}"#;
        assert_eq!(parse_probe_response(200, number), Ok(()));
        assert_eq!(parse_probe_response(204, ""), Ok(()));
        let expired = r#"{"error":{"message":"Error validating access token: Session has expired","type":"OAuthException","code":190,"error_subcode":463,"fbtrace_id":"AbC"}}"#;
        assert_eq!(
            parse_probe_response(401, expired),
            Err("190: Error validating access token: Session has expired (subcode 463) [fbtrace_id AbC]".into())
        );
        assert_eq!(
            parse_probe_response(400, &graph_error(100, "(#100) Unsupported get request.")),
            Err("100: Unsupported get request. (More about it.) [fbtrace_id AbCdEf123]".into())
        );
        assert_eq!(parse_probe_response(502, "<html>Bad Gateway</html>"), Err("HTTP 502".into()));
        assert_eq!(parse_probe_response(404, ""), Err("HTTP 404".into()));
    }

    #[test]
    fn the_request_body_is_a_text_message() {
        assert_eq!(
            text_message("6281234567890", "Halo"),
            serde_json::json!({"messaging_product":"whatsapp","recipient_type":"individual","to":"6281234567890",
                "type":"text","text":{"preview_url":false,"body":"Halo"}})
        );
    }

    #[test]
    fn debug_never_shows_the_token_and_urls_join_cleanly() {
        let m =
            MetaCloud::new("https://graph.example/", "/v21.0/", "1055", "EAAG-rahasia-token", Duration::from_secs(1))
                .expect("client");
        assert!(!format!("{m:?}").contains("EAAG-rahasia-token"));
        assert!(format!("{m:?}").contains("1055"));
        assert_eq!(m.messages_url(), "https://graph.example/v21.0/1055/messages");
        assert_eq!(m.phone_number_url(), "https://graph.example/v21.0/1055");
        assert_eq!(m.name(), "meta");
        assert_eq!(m.channels(), &[Channel::Whatsapp]);
    }
}
