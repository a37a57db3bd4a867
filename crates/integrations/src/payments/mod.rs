//! Payment gateways (spec/protocols.md §4 Midtrans Snap, §5 Xendit invoices): a hosted checkout
//! page per invoice attempt, its status, and the callbacks the gateway posts when the customer
//! pays. What a callback *means* (signature, token, state) lives in `aglis_core::payment_gateway`;
//! this module speaks the wire formats.

use aglis_core::money::Rupiah;
use aglis_core::payment_gateway::GatewayState;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;

pub mod midtrans;
pub mod xendit;

#[cfg(feature = "fakes")]
pub mod fake;

/// What the customer may pay with on the gateway's page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PayChannel {
    Qris,
    VirtualAccount,
    Ewallet,
}

/// One checkout (a hosted payment page) for one attempt at paying an invoice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckoutRequest {
    /// Midtrans `order_id` / Xendit `external_id`, e.g. `INV-202612-000123-2` (≤ 50 chars of
    /// `[A-Za-z0-9-_~.]`, new for every attempt: Midtrans refuses a reused one).
    pub order_id: String,
    /// Whole rupiah.
    pub amount: i64,
    /// e.g. `Tagihan INV-202612-000123`
    pub description: String,
    pub customer_name: String,
    pub email: Option<String>,
    /// `628…`
    pub phone: Option<String>,
    /// Empty: everything the gateway offers.
    pub channels: Vec<PayChannel>,
    pub expires_in_minutes: u32,
    /// Where the gateway page sends the customer back (Snap `callbacks.finish`, Xendit
    /// `success_redirect_url` / `failure_redirect_url`).
    pub finish_url: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkout {
    /// Midtrans: the Snap token; Xendit: the invoice `id`.
    pub gateway_ref: String,
    /// The page the customer pays on (Snap `redirect_url`, Xendit `invoice_url`).
    pub pay_url: String,
}

/// A transaction as a callback or a status answer reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransactionReport {
    /// Midtrans `order_id` / Xendit `external_id`.
    pub order_id: String,
    /// The gateway's id of the money movement: Midtrans `transaction_id`, Xendit invoice `id`.
    /// The idempotency key.
    pub transaction_id: String,
    /// None for a state we do not act on.
    pub state: Option<GatewayState>,
    /// Amount paid, whole rupiah (Midtrans `gross_amount`; Xendit `paid_amount`, else `amount`).
    /// None if absent or fractional.
    pub amount: Option<Rupiah>,
    /// How it was paid, for display: Midtrans `payment_type` (+ the bank for a VA, e.g.
    /// `bank_transfer bca`), Xendit `payment_method` + `payment_channel` (e.g. `BANK_TRANSFER MANDIRI`).
    pub method: String,
}

#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum GatewayError {
    /// The gateway refused the request (4xx other than 401/404): fix the request, do not retry.
    /// Carries the gateway's message.
    #[error("{gateway} refused: {detail}")]
    Refused { gateway: &'static str, detail: String },
    /// Wrong keys (401 / INVALID_API_KEY / "Access denied").
    #[error("{gateway} rejected our credentials")]
    Unauthorized { gateway: &'static str },
    /// 5xx, timeout, connection refused, unreadable answer: try again later.
    #[error("{gateway} unavailable: {detail}")]
    Unavailable { gateway: &'static str, detail: String },
}

/// A callback body that cannot be read (missing order id, not JSON…).
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
#[error("unreadable callback: {0}")]
pub struct UnreadableCallback(pub String);

/// The configured gateways behind one interface (Tripay/Duitku can be added as variants).
#[derive(Debug, Clone)]
pub enum Gateway {
    Midtrans(midtrans::Midtrans),
    Xendit(xendit::Xendit),
}

impl Gateway {
    /// `midtrans` | `xendit`
    pub fn name(&self) -> &'static str {
        match self {
            Gateway::Midtrans(_) => midtrans::NAME,
            Gateway::Xendit(_) => xendit::NAME,
        }
    }

    pub async fn create_checkout(&self, req: &CheckoutRequest) -> Result<Checkout, GatewayError> {
        match self {
            Gateway::Midtrans(m) => m.create_checkout(req).await,
            Gateway::Xendit(x) => x.create_checkout(req).await,
        }
    }

    /// The transaction's current state; Ok(None) when the gateway does not know it yet (Midtrans
    /// answers 404 until the customer picks a method). `gateway_ref` is the Checkout's
    /// gateway_ref (Xendit needs its invoice id; Midtrans uses order_id).
    pub async fn status(&self, order_id: &str, gateway_ref: &str) -> Result<Option<TransactionReport>, GatewayError> {
        match self {
            Gateway::Midtrans(m) => m.status(order_id).await,
            Gateway::Xendit(x) => x.status(order_id, gateway_ref).await,
        }
    }
}

/// `Basic base64(key + ":")`: both gateways' auth (the key as user name, no password).
pub(crate) fn basic_auth(key: &str) -> String {
    format!("Basic {}", STANDARD.encode(format!("{key}:")))
}

/// `base` (which may carry a path) with `segments` appended, each percent-encoded.
pub(crate) fn endpoint(base: &str, segments: &[&str]) -> Result<reqwest::Url, String> {
    let mut url = reqwest::Url::parse(base).map_err(|e| format!("bad gateway URL {base:?}: {e}"))?;
    url.path_segments_mut().map_err(|()| format!("bad gateway URL {base:?}"))?.pop_if_empty().extend(segments);
    Ok(url)
}

/// A request that got no answer: the gateway is unavailable for now. The error never carries
/// our keys (they travel in a header, not the URL).
pub(crate) fn transport_error(gateway: &'static str, e: &reqwest::Error) -> GatewayError {
    let detail = if e.is_timeout() { "timed out".to_owned() } else { format!("unreachable: {e}") };
    GatewayError::Unavailable { gateway, detail }
}

/// Sends `request` and reads the answer: the HTTP status and the body as JSON (`Null` when it is
/// not JSON).
pub(crate) async fn send(
    gateway: &'static str,
    request: reqwest::RequestBuilder,
) -> Result<(u16, serde_json::Value), GatewayError> {
    let response = request
        .header(reqwest::header::ACCEPT, "application/json")
        .send()
        .await
        .map_err(|e| transport_error(gateway, &e))?;
    let status = response.status().as_u16();
    let body = response.text().await.map_err(|e| transport_error(gateway, &e))?;
    Ok((status, serde_json::from_str(&body).unwrap_or(serde_json::Value::Null)))
}

/// A JSON value read as text: strings as they are, numbers in their JSON form.
pub(crate) fn text_of(v: &serde_json::Value) -> Option<String> {
    match v {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// An amount as whole rupiah: a `"150000.00"` string, an integer, or a float without fraction.
pub(crate) fn amount_of(v: &serde_json::Value) -> Option<Rupiah> {
    match v {
        serde_json::Value::String(s) => aglis_core::payment_gateway::whole_rupiah(s),
        serde_json::Value::Number(n) => match (n.as_i64(), n.as_f64()) {
            (Some(i), _) if i >= 0 => Some(Rupiah(i)),
            (None, Some(f)) if f >= 0.0 && f.fract() == 0.0 && f < 9.0e15 => {
                aglis_core::payment_gateway::whole_rupiah(&format!("{f:.0}"))
            }
            _ => None,
        },
        _ => None,
    }
}

/// At most `max` characters of `s` (never cutting a character in half).
pub(crate) fn truncate_chars(s: &str, max: usize) -> String {
    s.chars().take(max).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn basic_auth_matches_the_spec_vectors() {
        // spec/protocols.md §10
        assert_eq!(basic_auth("SB-Mid-server-TESTKEY"), "Basic U0ItTWlkLXNlcnZlci1URVNUS0VZOg==");
        assert_eq!(basic_auth("xnd_development_TESTKEY"), "Basic eG5kX2RldmVsb3BtZW50X1RFU1RLRVk6");
    }

    #[test]
    fn endpoints_keep_the_base_path_and_encode_segments() {
        let u = endpoint("http://127.0.0.1:9/", &["v2", "INV-1", "status"]).expect("url");
        assert_eq!(u.as_str(), "http://127.0.0.1:9/v2/INV-1/status");
        let u = endpoint("https://proxy.example/midtrans", &["v2", "a/b c", "status"]).expect("url");
        assert_eq!(u.as_str(), "https://proxy.example/midtrans/v2/a%2Fb%20c/status");
        assert!(endpoint("not a url", &["x"]).is_err());
    }

    #[test]
    fn amounts() {
        assert_eq!(amount_of(&json!("150000.00")), Some(Rupiah(150_000)));
        assert_eq!(amount_of(&json!(150_000)), Some(Rupiah(150_000)));
        assert_eq!(amount_of(&json!(150_000.0)), Some(Rupiah(150_000)));
        assert_eq!(amount_of(&json!(150_000.5)), None);
        assert_eq!(amount_of(&json!("150000.50")), None);
        assert_eq!(amount_of(&json!(-5)), None);
        assert_eq!(amount_of(&json!(null)), None);
    }

    #[test]
    fn truncation_is_by_character() {
        assert_eq!(truncate_chars("Tagihan ✓ bulan ini", 9), "Tagihan ✓");
        assert_eq!(truncate_chars("abc", 50), "abc");
    }

    #[test]
    fn errors_read_well() {
        let e = GatewayError::Refused { gateway: "midtrans", detail: "order_id has been paid and utilized".into() };
        assert_eq!(e.to_string(), "midtrans refused: order_id has been paid and utilized");
        assert_eq!(GatewayError::Unauthorized { gateway: "xendit" }.to_string(), "xendit rejected our credentials");
    }
}
