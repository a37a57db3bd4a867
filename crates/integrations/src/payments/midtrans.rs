//! Midtrans (spec/protocols.md §4): a Snap checkout (`POST {snap}/snap/v1/transactions`), the
//! Core API status (`GET {api}/v2/{order_id}/status`) and the HTTP notification Midtrans posts.
//! Both requests authenticate with `Basic base64(server_key + ":")`. The body's `status_code` (a
//! string) is authoritative, whatever the HTTP code: a Snap transaction answers `"404"` until the
//! customer picks a method, and `≥ 401` other than `407` (expired) is an error even on HTTP 200.

use super::{Checkout, CheckoutRequest, GatewayError, PayChannel, TransactionReport, UnreadableCallback};
use super::{amount_of, basic_auth, endpoint, send, text_of, truncate_chars};
use aglis_core::payment_gateway::{GatewayState, midtrans_signature_ok};
use serde_json::{Value, json};
use std::fmt;
use std::time::Duration;

pub const DEFAULT_SNAP_URL: &str = "https://app.midtrans.com";
pub const DEFAULT_API_URL: &str = "https://api.midtrans.com";
/// The sandbox hosts (keys `SB-Mid-server-…`).
pub const SANDBOX_SNAP_URL: &str = "https://app.sandbox.midtrans.com";
pub const SANDBOX_API_URL: &str = "https://api.sandbox.midtrans.com";

pub(crate) const NAME: &str = "midtrans";

/// The longest `item_details[].name` Midtrans takes.
const MAX_ITEM_NAME: usize = 50;

#[derive(Clone)]
pub struct Midtrans {
    client: reqwest::Client,
    snap_url: String,
    api_url: String,
    server_key: String,
}

impl fmt::Debug for Midtrans {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Midtrans")
            .field("snap_url", &self.snap_url)
            .field("api_url", &self.api_url)
            .field("server_key", &"[redacted]")
            .finish()
    }
}

/// `enabled_payments` for the channels (empty: everything the account offers).
pub fn enabled_payments(channels: &[PayChannel]) -> Vec<&'static str> {
    let mut out = Vec::new();
    for channel in channels {
        let names: &[&str] = match channel {
            PayChannel::Qris => &["other_qris"],
            PayChannel::VirtualAccount => &["bca_va", "bni_va", "bri_va", "permata_va", "echannel", "other_va"],
            PayChannel::Ewallet => &["gopay", "shopeepay"],
        };
        for name in names {
            if !out.contains(name) {
                out.push(*name);
            }
        }
    }
    out
}

/// The Snap request body of spec/protocols.md §4.1. No `expiry.start_time`: the clock then starts
/// when the customer picks a method.
pub fn snap_request_body(req: &CheckoutRequest) -> Value {
    let mut customer = json!({ "first_name": req.customer_name });
    if let Some(email) = &req.email {
        customer["email"] = email.as_str().into();
    }
    if let Some(phone) = &req.phone {
        customer["phone"] = phone.as_str().into();
    }
    let mut body = json!({
        "transaction_details": { "order_id": req.order_id, "gross_amount": req.amount },
        "customer_details": customer,
        "item_details": [{
            "id": truncate_chars(&req.order_id, 50),
            "price": req.amount,
            "quantity": 1,
            "name": truncate_chars(&req.description, MAX_ITEM_NAME),
        }],
        "expiry": { "unit": "minute", "duration": req.expires_in_minutes },
        "callbacks": { "finish": req.finish_url },
    });
    let enabled = enabled_payments(&req.channels);
    if !enabled.is_empty() {
        body["enabled_payments"] = enabled.into();
    }
    body
}

/// The messages of an error answer: `error_messages[]` (Snap) or `status_message` (Core API).
fn message_of(http_status: u16, body: &Value) -> String {
    let messages: Vec<&str> =
        body["error_messages"].as_array().map(|a| a.iter().filter_map(Value::as_str).collect()).unwrap_or_default();
    if !messages.is_empty() {
        return messages.join("; ");
    }
    body["status_message"].as_str().map_or_else(|| format!("HTTP {http_status}"), str::to_owned)
}

/// An error for an answer that is not a success, by HTTP status `code` (or the body's).
fn error_of(code: u16, body: &Value) -> GatewayError {
    let detail = message_of(code, body);
    if code == 401 || detail.to_ascii_lowercase().contains("access denied") {
        GatewayError::Unauthorized { gateway: NAME }
    } else if code == 429 || code >= 500 || !(400..500).contains(&code) {
        GatewayError::Unavailable { gateway: NAME, detail: format!("HTTP {code}: {detail}") }
    } else {
        GatewayError::Refused { gateway: NAME, detail }
    }
}

/// Interprets a Snap answer: 201 (or any 2xx) with `token` and `redirect_url`.
pub fn parse_snap_response(http_status: u16, body: &Value) -> Result<Checkout, GatewayError> {
    if !(200..300).contains(&http_status) {
        return Err(error_of(http_status, body));
    }
    match (body["token"].as_str(), body["redirect_url"].as_str()) {
        (Some(token), Some(url)) if !token.is_empty() && !url.is_empty() => {
            Ok(Checkout { gateway_ref: token.to_owned(), pay_url: url.to_owned() })
        }
        _ => Err(GatewayError::Unavailable {
            gateway: NAME,
            detail: format!("HTTP {http_status}, unreadable answer (no token)"),
        }),
    }
}

/// Interprets a status answer: the body's `status_code` decides. `"404"` (or an HTTP 404 without
/// one) is a transaction Midtrans does not know yet.
pub fn parse_status_response(http_status: u16, body: &Value) -> Result<Option<TransactionReport>, GatewayError> {
    let body_code = text_of(&body["status_code"]).and_then(|c| c.parse::<u16>().ok());
    match body_code {
        Some(404) => return Ok(None),
        None if http_status == 404 => return Ok(None),
        _ => {}
    }
    if !(200..300).contains(&http_status) && http_status != 407 {
        return Err(error_of(http_status, body));
    }
    match body_code {
        Some(code) if code >= 401 && code != 407 => Err(error_of(code, body)),
        _ => read_notification(body).map(Some).map_err(|e| GatewayError::Unavailable {
            gateway: NAME,
            detail: format!("HTTP {http_status}, unreadable answer: {}", e.0),
        }),
    }
}

impl Midtrans {
    pub fn new(snap_url: &str, api_url: &str, server_key: &str, timeout: Duration) -> Result<Self, reqwest::Error> {
        Ok(Self {
            client: crate::http::client(timeout)?,
            snap_url: snap_url.trim_end_matches('/').to_owned(),
            api_url: api_url.trim_end_matches('/').to_owned(),
            server_key: server_key.to_owned(),
        })
    }

    /// Whether a notification body carries this account's signature (see [`signature_valid`]).
    pub fn signature_valid(&self, body: &Value) -> bool {
        signature_valid(body, &self.server_key)
    }

    /// A Snap token and its payment page.
    pub async fn create_checkout(&self, req: &CheckoutRequest) -> Result<Checkout, GatewayError> {
        if req.amount <= 0 {
            return Err(GatewayError::Refused { gateway: NAME, detail: "the amount must be positive".into() });
        }
        let url = endpoint(&self.snap_url, &["snap", "v1", "transactions"])
            .map_err(|detail| GatewayError::Refused { gateway: NAME, detail })?;
        let request = self
            .client
            .post(url)
            .header(reqwest::header::AUTHORIZATION, basic_auth(&self.server_key))
            .json(&snap_request_body(req));
        let (status, body) = send(NAME, request).await?;
        parse_snap_response(status, &body)
    }

    /// The transaction of `order_id` as Midtrans knows it now; `None` before the customer picks
    /// a method on the Snap page.
    pub async fn status(&self, order_id: &str) -> Result<Option<TransactionReport>, GatewayError> {
        let url = endpoint(&self.api_url, &["v2", order_id, "status"])
            .map_err(|detail| GatewayError::Refused { gateway: NAME, detail })?;
        let request = self.client.get(url).header(reqwest::header::AUTHORIZATION, basic_auth(&self.server_key));
        let (status, body) = send(NAME, request).await?;
        parse_status_response(status, &body)
    }
}

/// Whether a notification body's `signature_key` is right (reads `order_id`, `status_code`,
/// `gross_amount` exactly as received as strings). False for unreadable bodies.
pub fn signature_valid(body: &Value, server_key: &str) -> bool {
    let field = |name: &str| body.get(name).and_then(Value::as_str);
    match (field("order_id"), field("status_code"), field("gross_amount"), field("signature_key")) {
        (Some(order_id), Some(status_code), Some(gross_amount), Some(signature)) => {
            midtrans_signature_ok(order_id, status_code, gross_amount, server_key, signature)
        }
        _ => false,
    }
}

/// How a transaction was paid: `payment_type`, plus the bank for a VA (`bank_transfer bca`).
fn method_of(body: &Value) -> String {
    let payment_type = body["payment_type"].as_str().unwrap_or_default();
    let bank = body["va_numbers"]
        .as_array()
        .and_then(|v| v.first())
        .and_then(|v| v["bank"].as_str())
        .or_else(|| body.get("permata_va_number").map(|_| "permata"))
        .or_else(|| body["bank"].as_str());
    match bank {
        Some(bank) if payment_type == "bank_transfer" && !bank.is_empty() => format!("{payment_type} {bank}"),
        _ => payment_type.to_owned(),
    }
}

/// Reads a notification (or a status answer; same fields). Lenient: unknown fields ignored.
pub fn read_notification(body: &Value) -> Result<TransactionReport, UnreadableCallback> {
    if !body.is_object() {
        return Err(UnreadableCallback("not a JSON object".into()));
    }
    let required = |name: &str| {
        text_of(&body[name]).filter(|s| !s.trim().is_empty()).ok_or_else(|| UnreadableCallback(format!("no {name}")))
    };
    let order_id = required("order_id")?;
    let transaction_id = required("transaction_id")?;
    let status_code = text_of(&body["status_code"]).unwrap_or_default();
    let state = body["transaction_status"]
        .as_str()
        .and_then(|status| GatewayState::from_midtrans(&status_code, status, body["fraud_status"].as_str()));
    Ok(TransactionReport {
        order_id,
        transaction_id,
        state,
        amount: amount_of(&body["gross_amount"]),
        method: method_of(body),
    })
}

#[cfg(feature = "fakes")]
pub mod fake;

#[cfg(test)]
mod tests {
    use super::*;
    use aglis_core::money::Rupiah;

    const KEY: &str = "SB-Mid-server-TESTKEY";
    /// spec/protocols.md §10
    const VECTOR_SIGNATURE: &str = "74fc6d396189e0612fb3b6e1e2a0373a645f2892e382779ccf9c8bb520bdb532f0f4f75fc4d56fa344a340039d182ef528b80d0025285e8060b6ef8faa9b8c4b";

    fn request() -> CheckoutRequest {
        CheckoutRequest {
            order_id: "INV-202612-000123-2".into(),
            amount: 150_000,
            description: "Tagihan INV-202612-000123 untuk layanan internet bulan Desember 2026".into(),
            customer_name: "Budi Santoso".into(),
            email: Some("budi@example.co.id".into()),
            phone: Some("6281234567890".into()),
            channels: vec![PayChannel::Qris, PayChannel::Ewallet],
            expires_in_minutes: 1440,
            finish_url: "https://isp.example/bayar/selesai".into(),
        }
    }

    fn settlement() -> Value {
        json!({
            "transaction_time": "2025-01-10 10:00:00",
            "transaction_status": "settlement",
            "transaction_id": "b4f1c7e2-3a51-4d1e-9c43-1f2a3b4c5d6e",
            "status_message": "midtrans payment notification",
            "status_code": "200",
            "signature_key": VECTOR_SIGNATURE,
            "settlement_time": "2025-01-10 10:01:00",
            "payment_type": "bank_transfer",
            "order_id": "INV-202501-0001",
            "merchant_id": "G123456789",
            "gross_amount": "150000.00",
            "fraud_status": "accept",
            "currency": "IDR",
            "va_numbers": [{ "bank": "bca", "va_number": "812785002530231" }],
            "a_field_added_next_year": { "x": 1 }
        })
    }

    #[test]
    fn the_snap_request_has_the_documented_shape() {
        let body = snap_request_body(&request());
        assert_eq!(body["transaction_details"], json!({ "order_id": "INV-202612-000123-2", "gross_amount": 150_000 }));
        assert_eq!(
            body["customer_details"],
            json!({ "first_name": "Budi Santoso", "email": "budi@example.co.id", "phone": "6281234567890" })
        );
        let item = &body["item_details"][0];
        assert_eq!(item["price"], 150_000);
        assert_eq!(item["quantity"], 1);
        assert_eq!(item["id"], "INV-202612-000123-2");
        assert_eq!(item["name"].as_str().map(|n| n.chars().count()), Some(50));
        assert_eq!(body["enabled_payments"], json!(["other_qris", "gopay", "shopeepay"]));
        assert_eq!(body["expiry"], json!({ "unit": "minute", "duration": 1440 }));
        assert_eq!(body["callbacks"]["finish"], "https://isp.example/bayar/selesai");

        let everything = CheckoutRequest { channels: vec![], email: None, phone: None, ..request() };
        let body = snap_request_body(&everything);
        assert!(body.get("enabled_payments").is_none(), "empty channels: all the account offers");
        assert_eq!(body["customer_details"], json!({ "first_name": "Budi Santoso" }));
        assert_eq!(
            enabled_payments(&[PayChannel::VirtualAccount, PayChannel::VirtualAccount]),
            ["bca_va", "bni_va", "bri_va", "permata_va", "echannel", "other_va"]
        );
    }

    #[test]
    fn snap_answers() {
        let ok = json!({ "token": "66e4fa55-fdac-4ef9-91b5-733b97d1b862", "redirect_url": "https://app.midtrans.com/snap/v2/vtweb/66e4fa55-fdac-4ef9-91b5-733b97d1b862" });
        assert_eq!(
            parse_snap_response(201, &ok),
            Ok(Checkout {
                gateway_ref: "66e4fa55-fdac-4ef9-91b5-733b97d1b862".into(),
                pay_url: "https://app.midtrans.com/snap/v2/vtweb/66e4fa55-fdac-4ef9-91b5-733b97d1b862".into()
            })
        );
        let denied = json!({ "error_messages": ["Access denied due to unauthorized transaction, please check client or server key"] });
        assert_eq!(parse_snap_response(401, &denied), Err(GatewayError::Unauthorized { gateway: "midtrans" }));
        let bad =
            json!({ "error_messages": ["transaction_details.gross_amount is not equal to the sum of item_details"] });
        assert_eq!(
            parse_snap_response(400, &bad),
            Err(GatewayError::Refused {
                gateway: "midtrans",
                detail: "transaction_details.gross_amount is not equal to the sum of item_details".into()
            })
        );
        let used = json!({ "error_messages": ["order_id has been paid and utilized"] });
        assert!(
            matches!(parse_snap_response(406, &used), Err(GatewayError::Refused { detail, .. }) if detail.contains("utilized"))
        );
        assert!(matches!(parse_snap_response(503, &Value::Null), Err(GatewayError::Unavailable { .. })));
        assert!(matches!(parse_snap_response(429, &Value::Null), Err(GatewayError::Unavailable { .. })));
        assert!(matches!(parse_snap_response(201, &json!({"token": ""})), Err(GatewayError::Unavailable { .. })));
    }

    #[test]
    fn the_status_body_decides() {
        let unknown = json!({ "status_code": "404", "status_message": "The requested resource is not found" });
        assert_eq!(parse_status_response(200, &unknown), Ok(None));
        assert_eq!(parse_status_response(404, &unknown), Ok(None));
        assert_eq!(parse_status_response(404, &Value::Null), Ok(None));
        let denied =
            json!({ "status_code": "401", "status_message": "Access denied, please check client or server key" });
        assert_eq!(parse_status_response(200, &denied), Err(GatewayError::Unauthorized { gateway: "midtrans" }));
        assert!(matches!(
            parse_status_response(200, &json!({ "status_code": "500", "status_message": "Sorry" })),
            Err(GatewayError::Unavailable { .. })
        ));
        assert!(matches!(parse_status_response(502, &Value::Null), Err(GatewayError::Unavailable { .. })));
        assert!(
            matches!(
                parse_status_response(200, &json!({ "status_code": "200" })),
                Err(GatewayError::Unavailable { .. })
            ),
            "no order id: unreadable"
        );
        let paid = parse_status_response(200, &settlement()).expect("ok").expect("known");
        assert_eq!(paid.state, Some(GatewayState::Paid));
        let mut expired = settlement();
        expired["status_code"] = "407".into();
        expired["transaction_status"] = "expire".into();
        let expired = parse_status_response(200, &expired).expect("407 is not an error").expect("known");
        assert_eq!(expired.state, Some(GatewayState::Failed));
    }

    #[test]
    fn the_spec_vector_through_a_json_body() {
        let body = settlement();
        assert!(signature_valid(&body, KEY));
        assert!(!signature_valid(&body, "SB-Mid-server-OTHER"));
        let mut number = body.clone();
        number["gross_amount"] = json!(150_000);
        assert!(!signature_valid(&number, KEY), "the amount must be the string as received");
        let mut changed = body.clone();
        changed["status_code"] = "201".into();
        assert!(!signature_valid(&changed, KEY));
        let mut unsigned = body.clone();
        unsigned.as_object_mut().map(|o| o.remove("signature_key"));
        assert!(!signature_valid(&unsigned, KEY));
        assert!(!signature_valid(&json!([1, 2]), KEY));
        assert!(!signature_valid(&Value::Null, KEY));
    }

    #[test]
    fn notifications_are_read() {
        let report = read_notification(&settlement()).expect("readable");
        assert_eq!(
            report,
            TransactionReport {
                order_id: "INV-202501-0001".into(),
                transaction_id: "b4f1c7e2-3a51-4d1e-9c43-1f2a3b4c5d6e".into(),
                state: Some(GatewayState::Paid),
                amount: Some(Rupiah(150_000)),
                method: "bank_transfer bca".into(),
            }
        );
        let mut permata = settlement();
        permata.as_object_mut().map(|o| o.remove("va_numbers"));
        permata["permata_va_number"] = "8562000087926752".into();
        assert_eq!(read_notification(&permata).map(|r| r.method), Ok("bank_transfer permata".into()));
        let qris = json!({ "order_id": "A-1", "transaction_id": "t1", "status_code": "201", "transaction_status": "pending", "payment_type": "qris", "gross_amount": "10000.50" });
        let qris = read_notification(&qris).expect("readable");
        assert_eq!((qris.state, qris.amount, qris.method.as_str()), (Some(GatewayState::Pending), None, "qris"));
        let odd = json!({ "order_id": "A-1", "transaction_id": "t1", "status_code": "200", "transaction_status": "authorize" });
        assert_eq!(read_notification(&odd).map(|r| r.state), Ok(None));
        assert_eq!(
            read_notification(&json!({ "transaction_id": "t1" })),
            Err(UnreadableCallback("no order_id".into()))
        );
        assert_eq!(
            read_notification(&json!({ "order_id": " " , "transaction_id": "t1"})),
            Err(UnreadableCallback("no order_id".into()))
        );
        assert_eq!(
            read_notification(&json!({ "order_id": "A-1" })),
            Err(UnreadableCallback("no transaction_id".into()))
        );
        assert!(read_notification(&json!("settlement")).is_err());
    }

    #[test]
    fn debug_never_shows_the_server_key() {
        let m = Midtrans::new(SANDBOX_SNAP_URL, SANDBOX_API_URL, "SB-Mid-server-RAHASIA", Duration::from_secs(1))
            .expect("client");
        let shown = format!("{:?}", super::super::Gateway::Midtrans(m));
        assert!(!shown.contains("RAHASIA") && shown.contains("[redacted]"), "{shown}");
    }
}
