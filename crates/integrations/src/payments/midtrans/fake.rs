//! A local Midtrans for tests, the demo and the browser test, on one base URL: the Snap API
//! (`POST /snap/v1/transactions`, with Midtrans' checks and error bodies), the Core API status
//! (`GET /v2/{order_id}/status`), the Snap payment page (`GET /snap/v2/vtweb/{token}`, plain HTML)
//! and the HTTP notifications of spec/protocols.md §4.4, posted when the customer pays, in the
//! order a [`CallbackMode`] says.

pub use crate::payments::fake::{Behavior, CallbackMode, CallbackSent, Received};
use crate::payments::fake::{
    Dispatcher, Outbound, authorized, digits, escape_html, form_field, json_response, misbehave, page, unix_millis,
    uuid_like, wib_time, with_query,
};
use aglis_core::money::Rupiah;
use aglis_core::payment_gateway::midtrans_signature;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::Response;
use axum::routing::{get, post};
use serde_json::{Value, json};
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

/// The merchant id in the fake's notifications.
pub const MERCHANT_ID: &str = "G141532850";
const ACCESS_DENIED: &str = "Access denied due to unauthorized transaction, please check client or server key";
const NOT_FOUND: &str = "The requested resource is not found";

/// One Snap transaction as the fake holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FakeTransaction {
    pub order_id: String,
    pub token: String,
    pub gross_amount: i64,
    pub customer_name: Option<String>,
    /// `enabled_payments` of the Snap request (empty: all).
    pub enabled_payments: Vec<String>,
    /// `callbacks.finish` of the Snap request.
    pub finish_url: Option<String>,
    /// Where this transaction's notifications go instead of the fake's URL (`X-Override-Notification`).
    pub override_urls: Option<Vec<String>>,
    /// Where they go as well (`X-Append-Notification`).
    pub append_urls: Vec<String>,
    /// Set once the customer picks a method (until then Midtrans answers 404).
    pub transaction_id: Option<String>,
    pub payment_type: Option<String>,
    /// The VA's bank for `bank_transfer`.
    pub bank: Option<String>,
    pub va_number: Option<String>,
    pub transaction_status: Option<String>,
    pub transaction_time: Option<String>,
    pub settlement_time: Option<String>,
}

impl FakeTransaction {
    pub fn is_paid(&self) -> bool {
        matches!(self.transaction_status.as_deref(), Some("settlement" | "capture"))
    }

    /// Whether the Snap request offered `payment_type` (`bank_transfer:bca` style).
    fn offers(&self, payment_type: &str, bank: Option<&str>) -> bool {
        let name = match (payment_type, bank) {
            ("qris", _) => "other_qris",
            ("bank_transfer", Some(bank @ ("bca" | "bni" | "bri" | "permata"))) => {
                return self.enables(&format!("{bank}_va"));
            }
            ("bank_transfer", _) => "other_va",
            (other, _) => other,
        };
        self.enables(name) || (payment_type == "qris" && self.enables("qris"))
    }

    fn enables(&self, name: &str) -> bool {
        self.enabled_payments.is_empty() || self.enabled_payments.iter().any(|e| e == name)
    }

    /// A notification (or status answer) reporting `status`, signed with `key`.
    fn report(&self, status: &str, key: &str) -> Value {
        let status_code = match status {
            "pending" => "201",
            "deny" | "failure" => "202",
            "expire" => "407",
            _ => "200",
        };
        let gross_amount = format!("{}.00", self.gross_amount);
        let mut body = json!({
            "transaction_time": self.transaction_time,
            "transaction_status": status,
            "transaction_id": self.transaction_id,
            "status_message": "midtrans payment notification",
            "status_code": status_code,
            "signature_key": midtrans_signature(&self.order_id, status_code, &gross_amount, key),
            "payment_type": self.payment_type,
            "order_id": self.order_id,
            "merchant_id": MERCHANT_ID,
            "gross_amount": gross_amount,
            "fraud_status": "accept",
            "currency": "IDR",
        });
        if matches!(status, "settlement" | "refund" | "partial_refund") {
            body["settlement_time"] = self.settlement_time.clone().into();
        }
        if matches!(status, "refund" | "partial_refund") {
            body["refund_amount"] = body["gross_amount"].clone();
        }
        match (self.payment_type.as_deref(), self.bank.as_deref()) {
            (Some("bank_transfer"), Some("permata")) => body["permata_va_number"] = self.va_number.clone().into(),
            (Some("bank_transfer"), bank) => {
                body["va_numbers"] = json!([{ "bank": bank.unwrap_or("bca"), "va_number": self.va_number }]);
                body["payment_amounts"] = json!([]);
            }
            (Some("echannel"), _) => {
                body["bill_key"] = self.va_number.clone().into();
                body["biller_code"] = "70012".into();
            }
            (Some("qris"), _) => {
                body["acquirer"] = "gopay".into();
                body["issuer"] = "gopay".into();
            }
            _ => {}
        }
        body
    }
}

struct Inner {
    url: String,
    server_key: String,
    behavior: Behavior,
    mode: CallbackMode,
    notification_url: Option<String>,
    received: Vec<Received>,
    transactions: Vec<FakeTransaction>,
    callbacks: Dispatcher,
}

type Shared = Arc<Mutex<Inner>>;

/// Notifications ready to go: where, after how long, what.
type Plan = (Vec<String>, Duration, Vec<Outbound>);

impl Inner {
    fn find(&mut self, order_id: &str) -> Result<&mut FakeTransaction, String> {
        self.transactions
            .iter_mut()
            .rev()
            .find(|t| t.order_id == order_id)
            .ok_or_else(|| format!("no transaction {order_id}"))
    }

    fn urls(&self, txn: &FakeTransaction) -> Vec<String> {
        match &txn.override_urls {
            Some(urls) => urls.clone(),
            None => self.notification_url.iter().cloned().chain(txn.append_urls.iter().cloned()).collect(),
        }
    }

    /// The key notifications are signed with: the server key, or a wrong one.
    fn signing_key(&self) -> String {
        if self.mode == CallbackMode::WrongSignature {
            format!("{}-WRONG", self.server_key)
        } else {
            self.server_key.clone()
        }
    }

    fn outbound(&self, body: &Value) -> Outbound {
        Outbound { headers: vec![("User-Agent".into(), "Veritrans".into())], body: body.to_string() }
    }

    /// The customer picks `payment_type` (`qris`, `gopay`, `bank_transfer:bca`, `echannel`…):
    /// the transaction gets its id and is pending. Picking again keeps the first choice.
    fn choose(&mut self, order_id: &str, payment_type: &str) -> Result<&mut FakeTransaction, String> {
        let (kind, bank) = match payment_type.split_once(':') {
            Some((kind, bank)) => (kind.trim(), Some(bank.trim().to_ascii_lowercase())),
            None if payment_type.trim() == "bank_transfer" => ("bank_transfer", Some("bca".to_owned())),
            None => (payment_type.trim(), None),
        };
        let txn = self.find(order_id)?;
        if txn.transaction_id.is_some() {
            return match txn.transaction_status.as_deref() {
                Some("pending") | None => Ok(txn),
                Some(status) => Err(format!("transaction {order_id} is already {status}")),
            };
        }
        if kind.is_empty() || !txn.offers(kind, bank.as_deref()) {
            return Err(format!("{payment_type} is not offered for {order_id}"));
        }
        let now = unix_millis();
        txn.transaction_id = Some(uuid_like());
        txn.payment_type = Some(kind.to_owned());
        txn.bank = if kind == "bank_transfer" { bank } else { None };
        txn.va_number = matches!(kind, "bank_transfer" | "echannel").then(|| digits(15));
        txn.transaction_status = Some("pending".into());
        txn.transaction_time = Some(wib_time(now));
        Ok(txn)
    }

    /// Pays `order_id`: `pending` (unless a method was chosen before, which sent it) and
    /// `settlement` notifications, arranged by the mode.
    fn pay(&mut self, order_id: &str, payment_type: &str) -> Result<Plan, String> {
        let key = self.signing_key();
        let mode = self.mode;
        let chosen_before = self.find(order_id)?.transaction_id.is_some();
        let txn = self.choose(order_id, payment_type)?;
        txn.transaction_status = Some("settlement".into());
        txn.settlement_time = Some(wib_time(unix_millis()));
        let txn = txn.clone();
        let mut reports = Vec::with_capacity(2);
        if !chosen_before {
            reports.push(txn.report("pending", &key));
        }
        reports.push(txn.report("settlement", &key));
        if mode == CallbackMode::OutOfOrder {
            reports.reverse();
        }
        let outs = mode.repeated(reports.iter().map(|r| self.outbound(r)).collect());
        Ok((self.urls(&txn), mode.first_delay(), outs))
    }
}

/// The fake Midtrans; clones share the same server.
#[derive(Clone)]
pub struct FakeMidtrans {
    url: String,
    inner: Shared,
}

impl fmt::Debug for FakeMidtrans {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FakeMidtrans").field("url", &self.url).field("server_key", &"[redacted]").finish()
    }
}

impl FakeMidtrans {
    /// Starts on a free port of 127.0.0.1; accepts the server key `server_key`.
    pub async fn start(server_key: &str) -> std::io::Result<Self> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let url = format!("http://{}", listener.local_addr()?);
        let inner = Arc::new(Mutex::new(Inner {
            url: url.clone(),
            server_key: server_key.to_owned(),
            behavior: Behavior::Accept,
            mode: CallbackMode::InOrder,
            notification_url: None,
            received: Vec::new(),
            transactions: Vec::new(),
            callbacks: Dispatcher::new()?,
        }));
        let app = Router::new()
            .route("/snap/v1/transactions", post(snap))
            .route("/v2/{order_id}/status", get(status))
            .route("/snap/v2/vtweb/{token}", get(pay_page))
            .route("/snap/v2/vtweb/{token}/pay", post(pay_form))
            .with_state(inner.clone());
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(Self { url, inner })
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The base URL of both the Snap and the Core API (`http://127.0.0.1:port`).
    pub fn url(&self) -> &str {
        &self.url
    }

    pub fn set_behavior(&self, behavior: Behavior) {
        self.lock().behavior = behavior;
    }

    pub fn set_callbacks(&self, mode: CallbackMode) {
        self.lock().mode = mode;
    }

    /// The dashboard's notification URL; `None`: notifications are never sent (unless a Snap
    /// request named its own with `X-Override-Notification`).
    pub fn set_notification_url(&self, url: Option<String>) {
        self.lock().notification_url = url;
    }

    /// The API requests so far (not the payment page's).
    pub fn received(&self) -> Vec<Received> {
        self.lock().received.clone()
    }

    pub fn callbacks_sent(&self) -> Vec<CallbackSent> {
        let callbacks = self.lock().callbacks.clone();
        callbacks.sent()
    }

    /// Waits until at least `count` notifications went out (or `within` passed); returns all so far.
    pub async fn wait_for_callbacks(&self, count: usize, within: Duration) -> Vec<CallbackSent> {
        let callbacks = self.lock().callbacks.clone();
        callbacks.wait_for(count, within).await
    }

    /// The latest transaction of `order_id`.
    pub fn transaction(&self, order_id: &str) -> Option<FakeTransaction> {
        self.lock().find(order_id).ok().cloned()
    }

    pub fn transactions(&self) -> Vec<FakeTransaction> {
        self.lock().transactions.clone()
    }

    /// The customer pays `order_id` with `payment_type` (`qris`, `gopay`, `shopeepay`,
    /// `bank_transfer:bca`, `echannel`…), as on the page: settled at once, notifications follow.
    pub async fn pay(&self, order_id: &str, payment_type: &str) -> Result<(), String> {
        let (urls, first, outs, callbacks) = {
            let mut g = self.lock();
            let (urls, first, outs) = g.pay(order_id, payment_type)?;
            (urls, first, outs, g.callbacks.clone())
        };
        callbacks.spawn(urls, first, outs);
        Ok(())
    }

    /// The customer picks a method but does not pay yet (a VA number is issued): the status
    /// becomes `pending`, and one `pending` notification is sent (as the mode says).
    pub async fn choose(&self, order_id: &str, payment_type: &str) -> Result<(), String> {
        let (urls, first, outs, callbacks) = {
            let mut g = self.lock();
            let key = g.signing_key();
            let mode = g.mode;
            let txn = g.choose(order_id, payment_type)?.clone();
            let outs = mode.repeated(vec![g.outbound(&txn.report("pending", &key))]);
            (g.urls(&txn), mode.first_delay(), outs, g.callbacks.clone())
        };
        callbacks.spawn(urls, first, outs);
        Ok(())
    }

    /// Moves `order_id` to `transaction_status` (`expire`, `cancel`, `deny`, `refund`,
    /// `settlement`…) and sends that one notification now (signed wrongly only under
    /// [`CallbackMode::WrongSignature`]); answers our server's HTTP status. A transaction
    /// without a method gets `bank_transfer:bca` first.
    pub async fn push(&self, order_id: &str, transaction_status: &str) -> Result<u16, String> {
        let (urls, out, callbacks) = {
            let mut g = self.lock();
            let key = g.signing_key();
            if g.find(order_id)?.transaction_id.is_none() {
                g.choose(order_id, "bank_transfer:bca")?;
            }
            let txn = g.find(order_id)?;
            txn.transaction_status = Some(transaction_status.to_owned());
            if transaction_status == "settlement" && txn.settlement_time.is_none() {
                txn.settlement_time = Some(wib_time(unix_millis()));
            }
            let txn = txn.clone();
            (g.urls(&txn), g.outbound(&txn.report(transaction_status, &key)), g.callbacks.clone())
        };
        let mut result = Err("no notification URL".to_owned());
        for url in urls {
            result = callbacks.post(&url, out.clone()).await;
        }
        result
    }
}

fn snap_error(status: StatusCode, message: &str) -> Response {
    json_response(status, &json!({ "error_messages": [message] }))
}

/// Midtrans' checks of a Snap request: `Err` is the 400 message.
fn validate(body: &Value) -> Result<(String, i64), String> {
    let details = &body["transaction_details"];
    let order_id = details["order_id"].as_str().filter(|s| !s.is_empty());
    let Some(order_id) = order_id else { return Err("transaction_details.order_id is required".into()) };
    if order_id.chars().count() > 50 {
        return Err("transaction_details.order_id too long (max 50 characters)".into());
    }
    if !order_id.chars().all(|c| c.is_ascii_alphanumeric() || "-_~.".contains(c)) {
        return Err("transaction_details.order_id contains invalid characters (allowed: A-Z a-z 0-9 - _ ~ .)".into());
    }
    let Some(gross) = details["gross_amount"].as_i64() else {
        return Err("transaction_details.gross_amount must be an integer without decimals".into());
    };
    if gross < 1 {
        return Err("transaction_details.gross_amount must be greater than or equal to 1".into());
    }
    if let Some(items) = body.get("item_details").filter(|v| !v.is_null()) {
        let items = items.as_array().ok_or("item_details must be an array")?;
        let mut sum = 0_i64;
        for item in items {
            let price = item["price"].as_i64().ok_or("item_details.price must be an integer without decimals")?;
            let quantity =
                item["quantity"].as_i64().filter(|q| *q >= 1).ok_or("item_details.quantity must be at least 1")?;
            if item["name"].as_str().is_some_and(|n| n.chars().count() > 50) {
                return Err("item_details.name too long (max 50 characters)".into());
            }
            sum = sum.saturating_add(price.saturating_mul(quantity));
        }
        if sum != gross {
            return Err("transaction_details.gross_amount is not equal to the sum of item_details".into());
        }
    }
    Ok((order_id.to_owned(), gross))
}

/// The comma-separated URLs of an override/append header (at most 3).
fn header_urls(headers: &HeaderMap, name: &str) -> Option<Vec<String>> {
    let raw = headers.get(name)?.to_str().ok()?;
    Some(raw.split(',').map(str::trim).filter(|u| !u.is_empty()).take(3).map(str::to_owned).collect())
}

async fn snap(State(inner): State<Shared>, method: Method, uri: Uri, headers: HeaderMap, body: Bytes) -> Response {
    let request = Received::new(&method, &uri, &headers, &body);
    let (behavior, key) = {
        let mut g = inner.lock().unwrap_or_else(PoisonError::into_inner);
        g.received.push(request.clone());
        (g.behavior.clone(), g.server_key.clone())
    };
    if let Some(answer) = misbehave(&behavior, |code| {
        json!({ "error_messages": [format!("Sorry, we encountered an error ({code}). Please try again later.")] })
    })
    .await
    {
        return answer;
    }
    if !authorized(request.authorization.as_deref(), &key) {
        return snap_error(StatusCode::UNAUTHORIZED, ACCESS_DENIED);
    }
    if !request.body.is_object() {
        return snap_error(StatusCode::BAD_REQUEST, "the request body must be a JSON object");
    }
    let (order_id, gross) = match validate(&request.body) {
        Ok(ok) => ok,
        Err(message) => return snap_error(StatusCode::BAD_REQUEST, &message),
    };
    let mut g = inner.lock().unwrap_or_else(PoisonError::into_inner);
    let token = match g.find(&order_id) {
        Ok(t) if t.is_paid() => return snap_error(StatusCode::NOT_ACCEPTABLE, "order_id has been paid and utilized"),
        Ok(t) if t.transaction_status.as_deref().is_some_and(|s| s != "pending") => {
            return snap_error(StatusCode::NOT_ACCEPTABLE, "order_id has already been utilized");
        }
        // The same unpaid order again: its existing token.
        Ok(t) => t.token.clone(),
        Err(_) => {
            let b = &request.body;
            let token = uuid_like();
            g.transactions.push(FakeTransaction {
                order_id,
                token: token.clone(),
                gross_amount: gross,
                customer_name: b["customer_details"]["first_name"].as_str().map(str::to_owned),
                enabled_payments: b["enabled_payments"]
                    .as_array()
                    .map(|a| a.iter().filter_map(Value::as_str).map(str::to_owned).collect())
                    .unwrap_or_default(),
                finish_url: b["callbacks"]["finish"].as_str().filter(|u| !u.is_empty()).map(str::to_owned),
                override_urls: header_urls(&headers, "x-override-notification"),
                append_urls: header_urls(&headers, "x-append-notification").unwrap_or_default(),
                transaction_id: None,
                payment_type: None,
                bank: None,
                va_number: None,
                transaction_status: None,
                transaction_time: None,
                settlement_time: None,
            });
            token
        }
    };
    let redirect_url = format!("{}/snap/v2/vtweb/{token}", g.url);
    json_response(StatusCode::CREATED, &json!({ "token": token, "redirect_url": redirect_url }))
}

async fn status(
    State(inner): State<Shared>,
    Path(order_id): Path<String>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let request = Received::new(&method, &uri, &headers, &[]);
    let behavior = {
        let mut g = inner.lock().unwrap_or_else(PoisonError::into_inner);
        g.received.push(request.clone());
        g.behavior.clone()
    };
    if let Some(answer) = misbehave(&behavior, |code| {
        json!({ "status_code": code.to_string(), "status_message": "Sorry, we encountered an error. Please try again later." })
    })
    .await
    {
        return answer;
    }
    let mut g = inner.lock().unwrap_or_else(PoisonError::into_inner);
    if !authorized(request.authorization.as_deref(), &g.server_key) {
        return json_response(
            StatusCode::UNAUTHORIZED,
            &json!({ "status_code": "401", "status_message": ACCESS_DENIED }),
        );
    }
    let key = g.server_key.clone();
    match g.find(&order_id) {
        Ok(txn) if txn.transaction_id.is_some() => {
            let mut body = txn.report(txn.transaction_status.as_deref().unwrap_or("pending"), &key);
            body["status_message"] = "Success, transaction is found".into();
            json_response(StatusCode::OK, &body)
        }
        _ => json_response(StatusCode::NOT_FOUND, &json!({ "status_code": "404", "status_message": NOT_FOUND })),
    }
}

const TITLE: &str = "Midtrans (fake)";

/// The order and amount at the top of the page.
fn summary(txn: &FakeTransaction) -> String {
    format!(
        "<h1>{TITLE}</h1>\n<p>Order <strong id=\"order-id\">{}</strong></p>\n<p class=\"amount\" id=\"amount\">{}</p>",
        escape_html(&txn.order_id),
        Rupiah(txn.gross_amount)
    )
}

fn paid_page(txn: &FakeTransaction) -> Response {
    let finish = txn.finish_url.as_deref().map_or_else(String::new, |url| {
        let href = with_query(
            url,
            &[("order_id", &txn.order_id), ("status_code", "200"), ("transaction_status", "settlement")],
        );
        format!("<p><a id=\"finish\" href=\"{}\">Kembali ke merchant</a></p>", escape_html(&href))
    });
    page(StatusCode::OK, TITLE, &format!("{}\n<p id=\"result\">Pembayaran berhasil</p>\n{finish}", summary(txn)))
}

fn transaction_by_token(inner: &Shared, token: &str) -> Option<FakeTransaction> {
    let g = inner.lock().unwrap_or_else(PoisonError::into_inner);
    g.transactions.iter().find(|t| t.token == token).cloned()
}

fn not_found_page() -> Response {
    page(StatusCode::NOT_FOUND, TITLE, &format!("<h1>{TITLE}</h1>\n<p id=\"result\">Transaksi tidak ditemukan</p>"))
}

async fn pay_page(State(inner): State<Shared>, Path(token): Path<String>) -> Response {
    let Some(txn) = transaction_by_token(&inner, &token) else { return not_found_page() };
    if txn.is_paid() {
        return paid_page(&txn);
    }
    if let Some(status) = txn.transaction_status.as_deref().filter(|s| *s != "pending") {
        let body = format!("{}\n<p id=\"result\">Transaksi {}</p>", summary(&txn), escape_html(status));
        return page(StatusCode::OK, TITLE, &body);
    }
    let buttons: String = [
        ("qris", None, "qris", "QRIS"),
        ("bank_transfer", Some("bca"), "bca_va", "BCA Virtual Account"),
        ("gopay", None, "gopay", "GoPay"),
    ]
    .iter()
    .filter(|(kind, bank, _, _)| txn.offers(kind, *bank))
    .map(|(kind, bank, id, label)| {
        let value = bank.map_or_else(|| (*kind).to_owned(), |b| format!("{kind}:{b}"));
        format!("<button type=\"submit\" name=\"payment_type\" value=\"{value}\" id=\"pay-{id}\">{label}</button>\n")
    })
    .collect();
    let body = format!(
        "{}\n<p>Pilih metode pembayaran:</p>\n<form method=\"post\" action=\"/snap/v2/vtweb/{}/pay\">\n{buttons}</form>",
        summary(&txn),
        escape_html(&token)
    );
    page(StatusCode::OK, TITLE, &body)
}

async fn pay_form(State(inner): State<Shared>, Path(token): Path<String>, body: Bytes) -> Response {
    let Some(txn) = transaction_by_token(&inner, &token) else { return not_found_page() };
    if txn.is_paid() {
        return paid_page(&txn);
    }
    let payment_type = form_field(&body, "payment_type").unwrap_or_default();
    let planned = {
        let mut g = inner.lock().unwrap_or_else(PoisonError::into_inner);
        g.pay(&txn.order_id, &payment_type).map(|plan| (plan, g.callbacks.clone()))
    };
    match planned {
        Ok(((urls, first, outs), callbacks)) => {
            callbacks.spawn(urls, first, outs);
            let txn = transaction_by_token(&inner, &token).unwrap_or(txn);
            paid_page(&txn)
        }
        Err(e) => {
            let body = format!("{}\n<p id=\"result\">Pembayaran gagal: {}</p>", summary(&txn), escape_html(&e));
            page(StatusCode::CONFLICT, TITLE, &body)
        }
    }
}

#[cfg(test)]
mod tests;
