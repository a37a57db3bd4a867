//! A local Xendit for tests, the demo and the browser test: `POST /v2/invoices` (with Xendit's
//! checks and `{"error_code","message"}` errors), `GET /v2/invoices/{id}`, the hosted invoice page
//! (`GET /web/{id}`, plain HTML) and the invoice callbacks of spec/protocols.md §5.2 with their
//! `x-callback-token`, posted when the customer pays, as a [`CallbackMode`] says.

pub use crate::payments::fake::{Behavior, CallbackMode, CallbackSent, Received};
use crate::payments::fake::{
    Dispatcher, Outbound, authorized, digits, escape_html, form_field, iso_time, json_response, misbehave, object_id,
    page, unix_millis,
};
use crate::payments::xendit::CALLBACK_TOKEN_HEADER;
use aglis_core::money::Rupiah;
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

/// The account (`user_id`) and merchant name in the fake's invoices.
pub const USER_ID: &str = "5f4708b7bd7d1a4a8f9e7c20";
pub const MERCHANT_NAME: &str = "AGLIS Net (fake)";

const BANKS: &[&str] = &["BCA", "BNI", "BRI", "MANDIRI", "PERMATA", "BSI"];
const EWALLETS: &[&str] = &["OVO", "DANA", "SHOPEEPAY", "LINKAJA", "ASTRAPAY"];
const OUTLETS: &[&str] = &["ALFAMART", "INDOMARET"];
const OTHERS: &[&str] = &["QRIS", "CREDIT_CARD"];

/// One invoice as the fake holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FakeInvoice {
    pub id: String,
    pub external_id: String,
    /// `PENDING`, `PAID`, `SETTLED` or `EXPIRED`.
    pub status: String,
    pub amount: i64,
    pub description: Option<String>,
    pub payer_email: Option<String>,
    pub customer: Value,
    /// `payment_methods` of the request (empty: all).
    pub payment_methods: Vec<String>,
    pub success_redirect_url: Option<String>,
    pub failure_redirect_url: Option<String>,
    pub created: String,
    pub updated: String,
    pub expiry_date: String,
    pub paid_at: Option<String>,
    pub paid_amount: Option<i64>,
    pub payment_method: Option<String>,
    pub payment_channel: Option<String>,
    pub payment_destination: Option<String>,
    pub payment_id: Option<String>,
}

impl FakeInvoice {
    fn offers(&self, channel: &str) -> bool {
        if self.payment_methods.is_empty() {
            [BANKS, EWALLETS, OUTLETS, OTHERS].iter().any(|list| list.contains(&channel))
        } else {
            self.payment_methods.iter().any(|m| m == channel)
        }
    }

    fn offered<'a>(&self, list: &[&'a str]) -> Vec<&'a str> {
        list.iter().copied().filter(|c| self.offers(c)).collect()
    }

    /// The invoice as `POST /v2/invoices` and `GET /v2/invoices/{id}` answer it.
    fn to_json(&self, base_url: &str) -> Value {
        let mut body = json!({
            "id": self.id,
            "external_id": self.external_id,
            "user_id": USER_ID,
            "status": self.status,
            "merchant_name": MERCHANT_NAME,
            "merchant_profile_picture_url": "https://du8nwjtfkinx.cloudfront.net/xendit.png",
            "amount": self.amount,
            "description": self.description,
            "expiry_date": self.expiry_date,
            "invoice_url": format!("{base_url}/web/{}", self.id),
            "available_banks": self.offered(BANKS).iter().map(|b| json!({
                "bank_code": b, "collection_type": "POOL", "transfer_amount": self.amount,
                "bank_branch": "Virtual Account", "account_holder_name": MERCHANT_NAME.to_uppercase(), "identity_amount": 0,
            })).collect::<Vec<_>>(),
            "available_retail_outlets": self.offered(OUTLETS).iter().map(|o| json!({ "retail_outlet_name": o })).collect::<Vec<_>>(),
            "available_ewallets": self.offered(EWALLETS).iter().map(|e| json!({ "ewallet_type": e })).collect::<Vec<_>>(),
            "available_qr_codes": self.offered(&["QRIS"]).iter().map(|q| json!({ "qr_code_type": q })).collect::<Vec<_>>(),
            "available_direct_debits": [],
            "available_paylaters": [],
            "should_exclude_credit_card": !self.offers("CREDIT_CARD"),
            "should_send_email": false,
            "created": self.created,
            "updated": self.updated,
            "currency": "IDR",
            "customer": self.customer,
        });
        if let Some(email) = &self.payer_email {
            body["payer_email"] = email.as_str().into();
        }
        for (key, url) in
            [("success_redirect_url", &self.success_redirect_url), ("failure_redirect_url", &self.failure_redirect_url)]
        {
            if let Some(url) = url {
                body[key] = url.as_str().into();
            }
        }
        if self.paid_at.is_some() {
            for (key, value) in self.paid_fields() {
                body[key] = value;
            }
        }
        body
    }

    fn paid_fields(&self) -> Vec<(&'static str, Value)> {
        let mut fields = vec![
            ("paid_amount", self.paid_amount.into()),
            ("paid_at", self.paid_at.clone().into()),
            ("payment_method", self.payment_method.clone().into()),
            ("payment_channel", self.payment_channel.clone().into()),
            ("payment_destination", self.payment_destination.clone().into()),
            ("payment_id", self.payment_id.clone().into()),
        ];
        match self.payment_method.as_deref() {
            Some("BANK_TRANSFER") => fields.push(("bank_code", self.payment_channel.clone().into())),
            Some("EWALLET") => fields.push(("ewallet_type", self.payment_channel.clone().into())),
            Some("RETAIL_OUTLET") => fields.push(("retail_outlet_name", self.payment_channel.clone().into())),
            _ => {}
        }
        fields
    }

    /// The callback body of spec/protocols.md §5.2 reporting `status`.
    fn callback(&self, status: &str) -> Value {
        let mut body = json!({
            "id": self.id,
            "external_id": self.external_id,
            "user_id": USER_ID,
            "is_high": false,
            "status": status,
            "merchant_name": MERCHANT_NAME,
            "amount": self.amount,
            "payer_email": self.payer_email,
            "description": self.description,
            "created": self.created,
            "updated": self.updated,
            "currency": "IDR",
        });
        if status == "PAID" || status == "SETTLED" {
            for (key, value) in self.paid_fields() {
                body[key] = value;
            }
        }
        for (key, url) in
            [("success_redirect_url", &self.success_redirect_url), ("failure_redirect_url", &self.failure_redirect_url)]
        {
            if let Some(url) = url {
                body[key] = url.as_str().into();
            }
        }
        body
    }
}

/// `QRIS`, `BANK_TRANSFER:BCA`, `EWALLET:OVO`, or a bare channel (`BCA`, `OVO`, `ALFAMART`):
/// Xendit's `payment_method` and `payment_channel`.
fn parse_method(method: &str) -> (String, String) {
    let method = method.trim().to_ascii_uppercase();
    if let Some((kind, channel)) = method.split_once(':') {
        return (kind.to_owned(), channel.to_owned());
    }
    let kind = match method.as_str() {
        "QRIS" => "QR_CODE",
        m if BANKS.contains(&m) => "BANK_TRANSFER",
        m if EWALLETS.contains(&m) => "EWALLET",
        m if OUTLETS.contains(&m) => "RETAIL_OUTLET",
        m => m,
    };
    (kind.to_owned(), method)
}

struct Inner {
    url: String,
    secret_key: String,
    callback_token: String,
    behavior: Behavior,
    mode: CallbackMode,
    notification_url: Option<String>,
    received: Vec<Received>,
    invoices: Vec<FakeInvoice>,
    callbacks: Dispatcher,
}

type Shared = Arc<Mutex<Inner>>;

impl Inner {
    /// The latest pending invoice of `external_id`, else its latest one.
    fn by_external_id(&mut self, external_id: &str) -> Result<&mut FakeInvoice, String> {
        let latest = |status: Option<&str>| {
            self.invoices.iter().rposition(|i| i.external_id == external_id && status.is_none_or(|s| i.status == s))
        };
        let index =
            latest(Some("PENDING")).or_else(|| latest(None)).ok_or_else(|| format!("no invoice {external_id}"))?;
        Ok(&mut self.invoices[index])
    }

    fn outbound(&self, body: &Value) -> Outbound {
        let token = if self.mode == CallbackMode::WrongSignature {
            format!("{}-wrong", self.callback_token)
        } else {
            self.callback_token.clone()
        };
        Outbound { headers: vec![(CALLBACK_TOKEN_HEADER.into(), token)], body: body.to_string() }
    }

    /// Pays invoice `index` with `method`; the callbacks as the mode arranges them.
    fn pay(&mut self, index: usize, method: &str) -> Result<(Vec<String>, Duration, Vec<Outbound>), String> {
        let (kind, channel) = parse_method(method);
        let invoice = &mut self.invoices[index];
        if invoice.status != "PENDING" {
            return Err(format!("invoice {} is {}", invoice.external_id, invoice.status));
        }
        let offered_as = if kind == "QR_CODE" { "QRIS" } else { channel.as_str() };
        if channel.is_empty() || !invoice.offers(offered_as) {
            return Err(format!("{method} is not offered on invoice {}", invoice.external_id));
        }
        settle(invoice, &kind, &channel);
        let invoice = invoice.clone();
        let mut bodies = vec![invoice.callback("PAID")];
        if self.mode == CallbackMode::OutOfOrder {
            bodies.push(invoice.callback("EXPIRED"));
        }
        let outs = self.mode.repeated(bodies.iter().map(|b| self.outbound(b)).collect());
        Ok((self.notification_url.iter().cloned().collect(), self.mode.first_delay(), outs))
    }
}

/// Marks `invoice` paid with `kind` / `channel`.
fn settle(invoice: &mut FakeInvoice, kind: &str, channel: &str) {
    let now = iso_time(unix_millis());
    invoice.status = "PAID".into();
    invoice.paid_amount = Some(invoice.amount);
    invoice.paid_at = Some(now.clone());
    invoice.updated = now;
    invoice.payment_method = Some(kind.to_owned());
    invoice.payment_channel = Some(channel.to_owned());
    invoice.payment_destination = (kind == "BANK_TRANSFER").then(|| format!("88608{}", digits(8)));
    invoice.payment_id = Some(object_id());
}

/// The fake Xendit; clones share the same server.
#[derive(Clone)]
pub struct FakeXendit {
    url: String,
    inner: Shared,
}

impl fmt::Debug for FakeXendit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FakeXendit")
            .field("url", &self.url)
            .field("secret_key", &"[redacted]")
            .field("callback_token", &"[redacted]")
            .finish()
    }
}

impl FakeXendit {
    /// Starts on a free port of 127.0.0.1; accepts `secret_key` and signs callbacks with
    /// `callback_token` (the dashboard's verification token).
    pub async fn start(secret_key: &str, callback_token: &str) -> std::io::Result<Self> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let url = format!("http://{}", listener.local_addr()?);
        let inner = Arc::new(Mutex::new(Inner {
            url: url.clone(),
            secret_key: secret_key.to_owned(),
            callback_token: callback_token.to_owned(),
            behavior: Behavior::Accept,
            mode: CallbackMode::InOrder,
            notification_url: None,
            received: Vec::new(),
            invoices: Vec::new(),
            callbacks: Dispatcher::new()?,
        }));
        let app = Router::new()
            .route("/v2/invoices", post(create))
            .route("/v2/invoices/{id}", get(read))
            .route("/web/{id}", get(invoice_page))
            .route("/web/{id}/pay", post(pay_form))
            .with_state(inner.clone());
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(Self { url, inner })
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The base URL of the API and the hosted pages (`http://127.0.0.1:port`).
    pub fn url(&self) -> &str {
        &self.url
    }

    pub fn set_behavior(&self, behavior: Behavior) {
        self.lock().behavior = behavior;
    }

    pub fn set_callbacks(&self, mode: CallbackMode) {
        self.lock().mode = mode;
    }

    /// The dashboard's invoice callback URL; `None`: callbacks are never sent.
    pub fn set_notification_url(&self, url: Option<String>) {
        self.lock().notification_url = url;
    }

    /// The API requests so far (not the hosted page's).
    pub fn received(&self) -> Vec<Received> {
        self.lock().received.clone()
    }

    pub fn callbacks_sent(&self) -> Vec<CallbackSent> {
        let callbacks = self.lock().callbacks.clone();
        callbacks.sent()
    }

    /// Waits until at least `count` callbacks went out (or `within` passed); returns all so far.
    pub async fn wait_for_callbacks(&self, count: usize, within: Duration) -> Vec<CallbackSent> {
        let callbacks = self.lock().callbacks.clone();
        callbacks.wait_for(count, within).await
    }

    /// The latest invoice of `external_id` (the pending one if there is one).
    pub fn transaction(&self, external_id: &str) -> Option<FakeInvoice> {
        self.lock().by_external_id(external_id).ok().cloned()
    }

    /// Invoice `id`.
    pub fn invoice(&self, id: &str) -> Option<FakeInvoice> {
        self.lock().invoices.iter().find(|i| i.id == id).cloned()
    }

    /// The customer pays the pending invoice of `external_id` with `method` (`QRIS`,
    /// `BANK_TRANSFER:BCA`, `EWALLET:OVO`, or a bare `BCA`/`OVO`), as on the hosted page.
    pub async fn pay(&self, external_id: &str, method: &str) -> Result<(), String> {
        let (urls, first, outs, callbacks) = {
            let mut g = self.lock();
            let id = g.by_external_id(external_id)?.id.clone();
            let index = g.invoices.iter().position(|i| i.id == id).ok_or("no invoice")?;
            let (urls, first, outs) = g.pay(index, method)?;
            (urls, first, outs, g.callbacks.clone())
        };
        callbacks.spawn(urls, first, outs);
        Ok(())
    }

    /// Moves the invoice of `external_id` to `status` (`EXPIRED`, `PAID`, `SETTLED`) and sends
    /// that one callback now (with a wrong token only under [`CallbackMode::WrongSignature`]);
    /// answers our server's HTTP status. `PAID` without a payment pays by `BANK_TRANSFER:BCA`.
    pub async fn push(&self, external_id: &str, status: &str) -> Result<u16, String> {
        let (url, out, callbacks) = {
            let mut g = self.lock();
            let url = g.notification_url.clone();
            let invoice = g.by_external_id(external_id)?;
            if matches!(status, "PAID" | "SETTLED") && invoice.paid_at.is_none() {
                settle(invoice, "BANK_TRANSFER", "BCA");
            }
            invoice.status = status.to_owned();
            invoice.updated = iso_time(unix_millis());
            let body = invoice.callback(status);
            (url, g.outbound(&body), g.callbacks.clone())
        };
        let url = url.ok_or("no callback URL")?;
        callbacks.post(&url, out).await
    }
}

fn xendit_error(status: StatusCode, code: &str, message: &str) -> Response {
    json_response(status, &json!({ "error_code": code, "message": message }))
}

/// Xendit's checks of an invoice request: `Err` is the 400's (error_code, message).
fn validate(body: &Value) -> Result<(String, i64), (&'static str, String)> {
    let invalid = |m: &str| ("API_VALIDATION_ERROR", m.to_owned());
    let external_id = body["external_id"].as_str().filter(|s| !s.trim().is_empty());
    let external_id = external_id.ok_or_else(|| invalid("\"external_id\" is required"))?;
    let amount = &body["amount"];
    if !amount.is_number() {
        return Err(invalid("\"amount\" is required and must be a number"));
    }
    let amount = amount.as_i64().ok_or_else(|| invalid("\"amount\" must be a whole number for IDR"))?;
    if amount < 1 {
        return Err(invalid("\"amount\" must be larger than or equal to 1"));
    }
    if let Some(currency) = body["currency"].as_str().filter(|c| *c != "IDR") {
        return Err(("UNSUPPORTED_CURRENCY", format!("Currency {currency} is not supported for this business")));
    }
    if body["payer_email"].as_str().is_some_and(|e| !e.contains('@')) {
        return Err(("EMAIL_FORMAT_ERROR", "payer_email is not a valid email".into()));
    }
    if body.get("invoice_duration").is_some_and(|d| d.as_u64().is_none_or(|d| d < 1)) {
        return Err(invalid("\"invoice_duration\" must be a positive number of seconds"));
    }
    if let Some(methods) = body.get("payment_methods").filter(|m| !m.is_null()) {
        let known = |m: &str| [BANKS, EWALLETS, OUTLETS, OTHERS].iter().any(|list| list.contains(&m));
        let methods = methods.as_array().ok_or_else(|| invalid("\"payment_methods\" must be an array"))?;
        if let Some(bad) = methods.iter().find(|m| !m.as_str().is_some_and(known)) {
            return Err(("UNAVAILABLE_PAYMENT_METHOD_ERROR", format!("The payment method {bad} is not available")));
        }
    }
    Ok((external_id.to_owned(), amount))
}

/// Records the request and applies the behaviour; `Err` is the answer to give instead.
async fn prologue(inner: &Shared, request: &Received) -> Result<(), Response> {
    let (behavior, key) = {
        let mut g = inner.lock().unwrap_or_else(PoisonError::into_inner);
        g.received.push(request.clone());
        (g.behavior.clone(), g.secret_key.clone())
    };
    let error =
        |code: u16| json!({ "error_code": "SERVER_ERROR", "message": format!("Something went wrong ({code})") });
    if let Some(answer) = misbehave(&behavior, error).await {
        return Err(answer);
    }
    if !authorized(request.authorization.as_deref(), &key) {
        return Err(xendit_error(StatusCode::UNAUTHORIZED, "INVALID_API_KEY", "API key is invalid"));
    }
    Ok(())
}

async fn create(State(inner): State<Shared>, method: Method, uri: Uri, headers: HeaderMap, body: Bytes) -> Response {
    let request = Received::new(&method, &uri, &headers, &body);
    if let Err(answer) = prologue(&inner, &request).await {
        return answer;
    }
    let b = &request.body;
    if !b.is_object() {
        return xendit_error(StatusCode::BAD_REQUEST, "API_VALIDATION_ERROR", "The request body must be a JSON object");
    }
    let (external_id, amount) = match validate(b) {
        Ok(ok) => ok,
        Err((code, message)) => return xendit_error(StatusCode::BAD_REQUEST, code, &message),
    };
    let now = unix_millis();
    let duration_ms = b["invoice_duration"].as_u64().unwrap_or(86_400).saturating_mul(1000);
    let text = |key: &str| b[key].as_str().filter(|s| !s.is_empty()).map(str::to_owned);
    let invoice = FakeInvoice {
        id: object_id(),
        external_id,
        status: "PENDING".into(),
        amount,
        description: text("description"),
        payer_email: text("payer_email"),
        customer: b.get("customer").cloned().unwrap_or(Value::Null),
        payment_methods: b["payment_methods"]
            .as_array()
            .map(|a| a.iter().filter_map(Value::as_str).map(str::to_owned).collect())
            .unwrap_or_default(),
        success_redirect_url: text("success_redirect_url"),
        failure_redirect_url: text("failure_redirect_url"),
        created: iso_time(now),
        updated: iso_time(now),
        expiry_date: iso_time(now.saturating_add(duration_ms)),
        paid_at: None,
        paid_amount: None,
        payment_method: None,
        payment_channel: None,
        payment_destination: None,
        payment_id: None,
    };
    let mut g = inner.lock().unwrap_or_else(PoisonError::into_inner);
    let answer = invoice.to_json(&g.url);
    g.invoices.push(invoice);
    json_response(StatusCode::OK, &answer)
}

async fn read(
    State(inner): State<Shared>,
    Path(id): Path<String>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let request = Received::new(&method, &uri, &headers, &[]);
    if let Err(answer) = prologue(&inner, &request).await {
        return answer;
    }
    let g = inner.lock().unwrap_or_else(PoisonError::into_inner);
    match g.invoices.iter().find(|i| i.id == id) {
        Some(invoice) => json_response(StatusCode::OK, &invoice.to_json(&g.url)),
        None => xendit_error(StatusCode::NOT_FOUND, "INVOICE_NOT_FOUND_ERROR", "Could not find invoice"),
    }
}

const TITLE: &str = "Xendit (fake)";

fn summary(invoice: &FakeInvoice) -> String {
    format!(
        "<h1>{TITLE}</h1>\n<p>{}</p>\n<p>Invoice <strong id=\"external-id\">{}</strong></p>\n<p class=\"amount\" id=\"amount\">{}</p>",
        escape_html(MERCHANT_NAME),
        escape_html(&invoice.external_id),
        Rupiah(invoice.amount)
    )
}

/// The page for a paid or expired invoice, with the way back to the merchant.
fn final_page(invoice: &FakeInvoice) -> Response {
    let (message, url) = if invoice.paid_at.is_some() && invoice.status != "EXPIRED" {
        ("Pembayaran berhasil", &invoice.success_redirect_url)
    } else {
        ("Invoice kedaluwarsa", &invoice.failure_redirect_url)
    };
    let back = url.as_deref().map_or_else(String::new, |url| {
        format!("<p><a id=\"finish\" href=\"{}\">Kembali ke merchant</a></p>", escape_html(url))
    });
    page(StatusCode::OK, TITLE, &format!("{}\n<p id=\"result\">{message}</p>\n{back}", summary(invoice)))
}

fn invoice_by_id(inner: &Shared, id: &str) -> Option<FakeInvoice> {
    inner.lock().unwrap_or_else(PoisonError::into_inner).invoices.iter().find(|i| i.id == id).cloned()
}

fn not_found_page() -> Response {
    page(StatusCode::NOT_FOUND, TITLE, &format!("<h1>{TITLE}</h1>\n<p id=\"result\">Invoice tidak ditemukan</p>"))
}

async fn invoice_page(State(inner): State<Shared>, Path(id): Path<String>) -> Response {
    let Some(invoice) = invoice_by_id(&inner, &id) else { return not_found_page() };
    if invoice.status != "PENDING" {
        return final_page(&invoice);
    }
    let buttons: String = [
        ("QRIS", "QRIS", "qris", "QRIS"),
        ("BCA", "BANK_TRANSFER:BCA", "bca", "BCA Virtual Account"),
        ("OVO", "EWALLET:OVO", "ovo", "OVO"),
    ]
    .iter()
    .filter(|(channel, ..)| invoice.offers(channel))
    .map(|(_, value, id, label)| {
        format!("<button type=\"submit\" name=\"method\" value=\"{value}\" id=\"pay-{id}\">{label}</button>\n")
    })
    .collect();
    let description =
        invoice.description.as_deref().map_or_else(String::new, |d| format!("<p>{}</p>\n", escape_html(d)));
    let body = format!(
        "{}\n{description}<p>Pilih metode pembayaran:</p>\n<form method=\"post\" action=\"/web/{}/pay\">\n{buttons}</form>",
        summary(&invoice),
        escape_html(&invoice.id)
    );
    page(StatusCode::OK, TITLE, &body)
}

async fn pay_form(State(inner): State<Shared>, Path(id): Path<String>, body: Bytes) -> Response {
    let Some(invoice) = invoice_by_id(&inner, &id) else { return not_found_page() };
    if invoice.status != "PENDING" {
        return final_page(&invoice);
    }
    let method = form_field(&body, "method").unwrap_or_default();
    let planned = {
        let mut g = inner.lock().unwrap_or_else(PoisonError::into_inner);
        let index = g.invoices.iter().position(|i| i.id == id);
        index
            .ok_or_else(|| "no invoice".to_owned())
            .and_then(|i| g.pay(i, &method))
            .map(|plan| (plan, g.callbacks.clone()))
    };
    match planned {
        Ok(((urls, first, outs), callbacks)) => {
            callbacks.spawn(urls, first, outs);
            final_page(&invoice_by_id(&inner, &id).unwrap_or(invoice))
        }
        Err(e) => {
            let body = format!("{}\n<p id=\"result\">Pembayaran gagal: {}</p>", summary(&invoice), escape_html(&e));
            page(StatusCode::CONFLICT, TITLE, &body)
        }
    }
}

#[cfg(test)]
mod tests;
