//! `/pay/{number}?k=…`: the page a customer pays an invoice on, without signing in (the link in
//! reminders, on the PDF's QR and in the portal). The key is an HMAC of the number, so a link
//! cannot be guessed for another invoice. The customer picks QRIS, a virtual account or an
//! e-wallet and is sent to the gateway; back from it, the page asks the gateway at once (no
//! "check payment" button to press) and refreshes itself until the payment shows.

use super::online;
use crate::error::{AppError, AppResult};
use crate::extract::{ApiForm, ApiQuery};
use crate::pages::{Shell, render};
use crate::state::AppState;
use aglis_core::invoice::InvoiceStatus;
use aglis_core::payment_gateway::GatewayState;
use aglis_db::repo::invoices::{self, Invoice};
use aglis_db::repo::payment_checkouts::{self, Checkout};
use aglis_integrations::payments::PayChannel;
use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new().route("/pay/{number}", get(show).post(pay))
}

#[derive(Debug, Deserialize)]
struct PayQuery {
    #[serde(default)]
    k: String,
    #[serde(default)]
    done: Option<String>,
}

#[derive(Debug, Deserialize)]
struct PayForm {
    #[serde(default)]
    k: String,
    #[serde(default)]
    channel: String,
}

#[derive(Template)]
#[template(path = "billing/pay.html")]
struct PayPage {
    shell: Shell,
    invoice: Invoice,
    customer_name: String,
    key: String,
    owed: i64,
    /// The latest checkout still waiting for the gateway, if any.
    waiting: Option<Checkout>,
    /// Back from the gateway: refresh until the payment shows.
    returned: bool,
    error: Option<String>,
    online: bool,
}

impl PayPage {
    fn is_paid(&self) -> bool {
        self.invoice.status == InvoiceStatus::Paid
    }
}

#[derive(Template)]
#[template(path = "billing/pay_leaving.html")]
struct LeavingPage {
    shell: Shell,
    pay_url: String,
    gateway: String,
}

/// The invoice `number` names when `key` is its pay-link key; otherwise 404 (a wrong key says
/// nothing about whether the number exists).
pub(super) async fn invoice_for(state: &AppState, number: &str, key: &str) -> AppResult<Invoice> {
    let expected = crate::auth::token::pay_link_key(state.config.secret_bytes(), number);
    let not_found = || AppError::NotFound("no invoice at this link; check the link in your message".into());
    if !crate::auth::token::constant_time_eq(&expected, key) {
        return Err(not_found());
    }
    invoices::by_number(&state.reads, number).await?.ok_or_else(not_found)
}

async fn page(state: &AppState, shell: Shell, invoice: Invoice, key: String, returned: bool) -> AppResult<PayPage> {
    let customer = aglis_db::repo::customers::get(&state.reads, invoice.customer_id).await?;
    let checkouts = payment_checkouts::of_invoice(&state.reads, invoice.id).await?;
    let waiting = checkouts.into_iter().find(|c| c.state == GatewayState::Pending);
    Ok(PayPage {
        shell,
        owed: (invoice.total - invoice.paid).max(0),
        customer_name: customer.map(|c| c.name).unwrap_or_default(),
        invoice,
        key,
        waiting,
        returned,
        error: None,
        online: state.config.payments.any_gateway(),
    })
}

async fn show(
    State(state): State<AppState>,
    shell: Shell,
    Path(number): Path<String>,
    ApiQuery(q): ApiQuery<PayQuery>,
) -> AppResult<Response> {
    let mut invoice = invoice_for(&state, &number, &q.k).await?;
    let returned = q.done.is_some();
    if returned && invoice.status != InvoiceStatus::Paid {
        // Back from the gateway: ask it now rather than wait for its callback.
        if let Some(c) = payment_checkouts::of_invoice(&state.db, invoice.id)
            .await?
            .into_iter()
            .find(|c| c.state == GatewayState::Pending)
            && let Some(gateway) = online::gateway_named(&state, &c.gateway)?
        {
            match gateway.status(&c.order_id, &c.gateway_ref).await {
                Ok(Some(report)) => {
                    online::apply(&state, gateway.name(), &report).await?;
                }
                Ok(None) => {}
                Err(e) => tracing::warn!(order_id = %c.order_id, error = %e, "status check on return failed"),
            }
        }
        // Read again whether or not a checkout was still pending: the callback may have been
        // applied between reading the invoice and reading its checkouts.
        invoice = invoices::get(&state.db, invoice.id).await?.unwrap_or(invoice);
    }
    render(&page(&state, shell, invoice, q.k, returned).await?)
}

async fn pay(
    State(state): State<AppState>,
    shell: Shell,
    Path(number): Path<String>,
    ApiForm(f): ApiForm<PayForm>,
) -> AppResult<Response> {
    let invoice = invoice_for(&state, &number, &f.k).await?;
    let channels = match f.channel.as_str() {
        "qris" => vec![PayChannel::Qris],
        "va" => vec![PayChannel::VirtualAccount],
        "ewallet" => vec![PayChannel::Ewallet],
        _ => vec![],
    };
    match online::open_checkout(&state, invoice.id, channels).await {
        // A page that moves on to the gateway rather than a redirect: the Content-Security-Policy's
        // `form-action 'self'` forbids a form's answer to redirect to another site.
        Ok(checkout) => render(&LeavingPage { shell, pay_url: checkout.pay_url, gateway: checkout.gateway }),
        Err(e @ (AppError::Conflict { .. } | AppError::Unavailable(_))) => {
            let status = e.status();
            let mut p = page(&state, shell, invoice, f.k, false).await?;
            p.error = Some(p.shell.say(&e.to_string()));
            Ok((status, render(&p)?).into_response())
        }
        Err(e) => Err(e),
    }
}
