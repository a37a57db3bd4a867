//! Xendit invoices (spec/protocols.md §5): `POST {base}/v2/invoices` makes a hosted invoice page,
//! `GET {base}/v2/invoices/{id}` reads it back, and Xendit posts a callback (authenticated only by
//! the static `x-callback-token` header, see `aglis_core::payment_gateway::xendit_token_ok`) when
//! it is paid or expires. Requests authenticate with `Basic base64(secret_key + ":")`; errors come
//! as `{"error_code", "message"}`.

use super::{Checkout, CheckoutRequest, GatewayError, PayChannel, TransactionReport, UnreadableCallback};
use super::{amount_of, basic_auth, endpoint, send, text_of};
use aglis_core::payment_gateway::GatewayState;
use serde_json::{Value, json};
use std::fmt;
use std::time::Duration;

pub const DEFAULT_URL: &str = "https://api.xendit.co";

pub(crate) const NAME: &str = "xendit";

/// The callback header carrying the account's verification token.
pub const CALLBACK_TOKEN_HEADER: &str = "x-callback-token";

#[derive(Clone)]
pub struct Xendit {
    client: reqwest::Client,
    base_url: String,
    secret_key: String,
}

impl fmt::Debug for Xendit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Xendit").field("base_url", &self.base_url).field("secret_key", &"[redacted]").finish()
    }
}

/// `payment_methods` for the channels (empty: everything the account offers).
pub fn payment_methods(channels: &[PayChannel]) -> Vec<&'static str> {
    let mut out = Vec::new();
    for channel in channels {
        let names: &[&str] = match channel {
            PayChannel::Qris => &["QRIS"],
            PayChannel::VirtualAccount => &["BCA", "BNI", "BRI", "MANDIRI", "PERMATA"],
            PayChannel::Ewallet => &["OVO", "DANA", "SHOPEEPAY", "LINKAJA"],
        };
        for name in names {
            if !out.contains(name) {
                out.push(*name);
            }
        }
    }
    out
}

/// The invoice request body of spec/protocols.md §5.1. Xendit wants the customer's mobile number
/// in E.164 (`+628…`).
pub fn invoice_request_body(req: &CheckoutRequest) -> Value {
    let mut customer = json!({ "given_names": req.customer_name });
    if let Some(email) = &req.email {
        customer["email"] = email.as_str().into();
    }
    if let Some(phone) = req.phone.as_deref().filter(|p| !p.is_empty()) {
        let e164 = if phone.starts_with('+') { phone.to_owned() } else { format!("+{phone}") };
        customer["mobile_number"] = e164.into();
    }
    let mut body = json!({
        "external_id": req.order_id,
        "amount": req.amount,
        "description": req.description,
        "invoice_duration": u64::from(req.expires_in_minutes) * 60,
        "customer": customer,
        "success_redirect_url": req.finish_url,
        "failure_redirect_url": req.finish_url,
        "currency": "IDR",
    });
    if let Some(email) = &req.email {
        body["payer_email"] = email.as_str().into();
    }
    let methods = payment_methods(&req.channels);
    if !methods.is_empty() {
        body["payment_methods"] = methods.into();
    }
    body
}

/// An error for an answer that is not a success.
fn error_of(http_status: u16, body: &Value) -> GatewayError {
    let code = body["error_code"].as_str().unwrap_or_default();
    let message = body["message"].as_str().unwrap_or_default();
    if http_status == 401 || code == "INVALID_API_KEY" || code == "REQUEST_FORBIDDEN_ERROR" {
        return GatewayError::Unauthorized { gateway: NAME };
    }
    let detail = match (code, message) {
        ("", "") => format!("HTTP {http_status}"),
        ("", m) | (m, "") => m.to_owned(),
        (c, m) => format!("{c}: {m}"),
    };
    if http_status == 429 || !(400..500).contains(&http_status) {
        GatewayError::Unavailable { gateway: NAME, detail: format!("HTTP {http_status}: {detail}") }
    } else {
        GatewayError::Refused { gateway: NAME, detail }
    }
}

/// Interprets an invoice creation answer: `id` and `invoice_url`.
pub fn parse_invoice_response(http_status: u16, body: &Value) -> Result<Checkout, GatewayError> {
    if !(200..300).contains(&http_status) {
        return Err(error_of(http_status, body));
    }
    match (body["id"].as_str(), body["invoice_url"].as_str()) {
        (Some(id), Some(url)) if !id.is_empty() && !url.is_empty() => {
            Ok(Checkout { gateway_ref: id.to_owned(), pay_url: url.to_owned() })
        }
        _ => Err(GatewayError::Unavailable {
            gateway: NAME,
            detail: format!("HTTP {http_status}, unreadable answer (no invoice id)"),
        }),
    }
}

/// Interprets an invoice read: 404 is an invoice Xendit does not know. An invoice of another
/// `external_id` than `order_id` is refused (never applied to the wrong order).
pub fn parse_invoice_status(
    http_status: u16,
    body: &Value,
    order_id: &str,
) -> Result<Option<TransactionReport>, GatewayError> {
    if http_status == 404 {
        return Ok(None);
    }
    if !(200..300).contains(&http_status) {
        return Err(error_of(http_status, body));
    }
    let report = read_callback(body).map_err(|e| GatewayError::Unavailable {
        gateway: NAME,
        detail: format!("HTTP {http_status}, unreadable answer: {}", e.0),
    })?;
    if report.order_id != order_id {
        return Err(GatewayError::Refused {
            gateway: NAME,
            detail: format!("invoice {} belongs to {}, not {order_id}", report.transaction_id, report.order_id),
        });
    }
    Ok(Some(report))
}

impl Xendit {
    pub fn new(base_url: &str, secret_key: &str, timeout: Duration) -> Result<Self, reqwest::Error> {
        Ok(Self {
            client: crate::http::client(timeout)?,
            base_url: base_url.trim_end_matches('/').to_owned(),
            secret_key: secret_key.to_owned(),
        })
    }

    /// An invoice and its hosted page.
    pub async fn create_checkout(&self, req: &CheckoutRequest) -> Result<Checkout, GatewayError> {
        if req.amount <= 0 {
            return Err(GatewayError::Refused { gateway: NAME, detail: "the amount must be positive".into() });
        }
        let url = endpoint(&self.base_url, &["v2", "invoices"])
            .map_err(|detail| GatewayError::Refused { gateway: NAME, detail })?;
        let request = self
            .client
            .post(url)
            .header(reqwest::header::AUTHORIZATION, basic_auth(&self.secret_key))
            .json(&invoice_request_body(req));
        let (status, body) = send(NAME, request).await?;
        parse_invoice_response(status, &body)
    }

    /// Invoice `invoice_id` (the checkout's `gateway_ref`) as Xendit knows it now.
    pub async fn status(&self, order_id: &str, invoice_id: &str) -> Result<Option<TransactionReport>, GatewayError> {
        if invoice_id.is_empty() {
            return Ok(None);
        }
        let url = endpoint(&self.base_url, &["v2", "invoices", invoice_id])
            .map_err(|detail| GatewayError::Refused { gateway: NAME, detail })?;
        let request = self.client.get(url).header(reqwest::header::AUTHORIZATION, basic_auth(&self.secret_key));
        let (status, body) = send(NAME, request).await?;
        parse_invoice_status(status, &body, order_id)
    }
}

/// Reads an invoice callback (or an invoice read back; same fields). Lenient: unknown fields
/// ignored. Check the `x-callback-token` header first.
pub fn read_callback(body: &Value) -> Result<TransactionReport, UnreadableCallback> {
    if !body.is_object() {
        return Err(UnreadableCallback("not a JSON object".into()));
    }
    let required = |name: &str| {
        text_of(&body[name]).filter(|s| !s.trim().is_empty()).ok_or_else(|| UnreadableCallback(format!("no {name}")))
    };
    let order_id = required("external_id")?;
    let transaction_id = required("id")?;
    let state = body["status"].as_str().and_then(GatewayState::from_xendit);
    let amount = match body.get("paid_amount") {
        Some(paid) if !paid.is_null() => amount_of(paid),
        _ => amount_of(&body["amount"]),
    };
    let method = [&body["payment_method"], &body["payment_channel"]]
        .iter()
        .filter_map(|v| v.as_str())
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    Ok(TransactionReport { order_id, transaction_id, state, amount, method })
}

#[cfg(feature = "fakes")]
pub mod fake;

#[cfg(test)]
mod tests {
    use super::*;
    use aglis_core::money::Rupiah;

    fn request() -> CheckoutRequest {
        CheckoutRequest {
            order_id: "INV-202612-000123-1".into(),
            amount: 221_889,
            description: "Tagihan INV-202612-000123".into(),
            customer_name: "Siti Aminah".into(),
            email: Some("siti@example.co.id".into()),
            phone: Some("6281298765432".into()),
            channels: vec![PayChannel::Qris, PayChannel::VirtualAccount],
            expires_in_minutes: 60,
            finish_url: "https://isp.example/bayar/selesai".into(),
        }
    }

    /// A callback as spec/protocols.md §5.2 lists it.
    fn paid() -> Value {
        json!({
            "id": "579c8d61f23fa4ca35e52da4",
            "external_id": "INV-202612-000123-1",
            "user_id": "5781d19b2e2385880609791c",
            "is_high": true,
            "payment_method": "BANK_TRANSFER",
            "status": "PAID",
            "merchant_name": "Xendit",
            "amount": 221_889,
            "paid_amount": 221_889,
            "bank_code": "MANDIRI",
            "paid_at": "2016-10-12T08:15:03.404Z",
            "payer_email": "siti@example.co.id",
            "description": "Tagihan INV-202612-000123",
            "adjusted_received_amount": 217_889,
            "fees_paid_amount": 0,
            "updated": "2016-10-10T08:15:03.404Z",
            "created": "2016-10-10T08:15:03.404Z",
            "currency": "IDR",
            "payment_channel": "MANDIRI",
            "payment_destination": "8860846853111"
        })
    }

    #[test]
    fn the_invoice_request_has_the_documented_shape() {
        let body = invoice_request_body(&request());
        assert_eq!(body["external_id"], "INV-202612-000123-1");
        assert_eq!(body["amount"], 221_889);
        assert_eq!(body["invoice_duration"], 3600);
        assert_eq!(body["payer_email"], "siti@example.co.id");
        assert_eq!(
            body["customer"],
            json!({ "given_names": "Siti Aminah", "email": "siti@example.co.id", "mobile_number": "+6281298765432" })
        );
        assert_eq!(body["success_redirect_url"], "https://isp.example/bayar/selesai");
        assert_eq!(body["failure_redirect_url"], "https://isp.example/bayar/selesai");
        assert_eq!(body["currency"], "IDR");
        assert_eq!(body["payment_methods"], json!(["QRIS", "BCA", "BNI", "BRI", "MANDIRI", "PERMATA"]));
        let plain = invoice_request_body(&CheckoutRequest { channels: vec![], email: None, phone: None, ..request() });
        assert!(plain.get("payment_methods").is_none() && plain.get("payer_email").is_none());
        assert_eq!(payment_methods(&[PayChannel::Ewallet]), ["OVO", "DANA", "SHOPEEPAY", "LINKAJA"]);
    }

    #[test]
    fn invoice_answers() {
        let ok = json!({ "id": "5f4708b7bd7d1a4a8f9e7c21", "invoice_url": "https://checkout-staging.xendit.co/web/5f4708b7bd7d1a4a8f9e7c21", "status": "PENDING" });
        assert_eq!(
            parse_invoice_response(200, &ok),
            Ok(Checkout {
                gateway_ref: "5f4708b7bd7d1a4a8f9e7c21".into(),
                pay_url: "https://checkout-staging.xendit.co/web/5f4708b7bd7d1a4a8f9e7c21".into()
            })
        );
        let bad_key =
            json!({ "error_code": "INVALID_API_KEY", "message": "API key is not authorized for this API service" });
        assert_eq!(parse_invoice_response(401, &bad_key), Err(GatewayError::Unauthorized { gateway: "xendit" }));
        assert_eq!(parse_invoice_response(400, &bad_key), Err(GatewayError::Unauthorized { gateway: "xendit" }));
        let invalid =
            json!({ "error_code": "API_VALIDATION_ERROR", "message": "\"amount\" must be a positive number" });
        assert_eq!(
            parse_invoice_response(400, &invalid),
            Err(GatewayError::Refused {
                gateway: "xendit",
                detail: "API_VALIDATION_ERROR: \"amount\" must be a positive number".into()
            })
        );
        assert!(matches!(parse_invoice_response(500, &Value::Null), Err(GatewayError::Unavailable { .. })));
        assert!(matches!(parse_invoice_response(200, &json!({ "id": "x" })), Err(GatewayError::Unavailable { .. })));
    }

    #[test]
    fn invoice_reads() {
        let not_found = json!({ "error_code": "INVOICE_NOT_FOUND_ERROR", "message": "Invoice not found" });
        assert_eq!(parse_invoice_status(404, &not_found, "INV-202612-000123-1"), Ok(None));
        let report = parse_invoice_status(200, &paid(), "INV-202612-000123-1").expect("ok").expect("known");
        assert_eq!(report.state, Some(GatewayState::Paid));
        assert!(matches!(parse_invoice_status(200, &paid(), "INV-202612-000999-1"), Err(GatewayError::Refused { .. })));
        assert!(matches!(parse_invoice_status(503, &Value::Null, "x"), Err(GatewayError::Unavailable { .. })));
    }

    #[test]
    fn callbacks_are_read() {
        assert_eq!(
            read_callback(&paid()),
            Ok(TransactionReport {
                order_id: "INV-202612-000123-1".into(),
                transaction_id: "579c8d61f23fa4ca35e52da4".into(),
                state: Some(GatewayState::Paid),
                amount: Some(Rupiah(221_889)),
                method: "BANK_TRANSFER MANDIRI".into(),
            })
        );
        let expired = json!({ "id": "i1", "external_id": "A-1", "status": "EXPIRED", "amount": 50_000 });
        let expired = read_callback(&expired).expect("readable");
        assert_eq!(
            (expired.state, expired.amount, expired.method.as_str()),
            (Some(GatewayState::Failed), Some(Rupiah(50_000)), "")
        );
        let odd = json!({ "id": "i1", "external_id": "A-1", "status": "SOMETHING_NEW", "amount": 50_000.5 });
        assert_eq!(read_callback(&odd).map(|r| (r.state, r.amount)), Ok((None, None)));
        assert_eq!(read_callback(&json!({ "id": "i1" })), Err(UnreadableCallback("no external_id".into())));
        assert_eq!(read_callback(&json!({ "external_id": "A-1" })), Err(UnreadableCallback("no id".into())));
        assert!(read_callback(&Value::Null).is_err());
    }

    #[test]
    fn debug_never_shows_the_secret_key() {
        let x = Xendit::new(DEFAULT_URL, "xnd_development_RAHASIA", Duration::from_secs(1)).expect("client");
        let shown = format!("{:?}", super::super::Gateway::Xendit(x));
        assert!(!shown.contains("RAHASIA") && shown.contains("[redacted]"), "{shown}");
    }
}
