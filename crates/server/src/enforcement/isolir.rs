//! `/isolir`: what a customer whose service is isolated sees when the router redirects their web
//! traffic here ("layanan Anda diisolir"). The customer is found by the address the request
//! comes from (a static address in the isolation list, or the address of a PPPoE session on one of
//! the routers); otherwise they type their customer code and the last four digits of their phone
//! number. Either way the page shows what is open and a pay button per invoice, without a login.

use super::driver::Driver;
use crate::audit::RequestMeta;
use crate::billing::online::pay_link;
use crate::error::{AppError, AppResult};
use crate::extract::ApiForm;
use crate::i18n::msg;
use crate::pages::{Shell, render};
use crate::state::AppState;
use aglis_core::customer::CustomerStatus;
use aglis_db::repo::customer_services;
use aglis_db::repo::customers::{self, Customer};
use aglis_db::repo::invoices;
use aglis_db::repo::network_devices;
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

/// Look-ups by code per address and hour (the last four digits are a weak secret).
const FINDS_PER_HOUR: u32 = 10;

/// An open invoice with its pay link.
pub struct OpenInvoice {
    pub number: String,
    pub due_on: chrono::NaiveDate,
    pub owed: i64,
    pub pay_url: String,
}

#[derive(Template)]
#[template(path = "isolir.html")]
struct IsolirPage {
    shell: Shell,
    /// The customer's first name, when found.
    name: Option<String>,
    suspended: bool,
    invoices: Vec<OpenInvoice>,
    total: i64,
    code: String,
    error: Option<String>,
}

fn first_name(c: &Customer) -> String {
    c.name.split_whitespace().next().unwrap_or_default().to_owned()
}

async fn view(
    state: &AppState,
    shell: Shell,
    c: Option<Customer>,
    code: String,
    error: Option<String>,
) -> AppResult<Response> {
    let mut page = IsolirPage { shell, name: None, suspended: true, invoices: Vec::new(), total: 0, code, error };
    if let Some(c) = c {
        page.name = Some(first_name(&c));
        page.suspended = c.status != CustomerStatus::Active;
        for inv in invoices::unpaid_of_customer(&state.db, c.id).await? {
            let owed = (inv.total - inv.paid).max(0);
            page.total += owed;
            page.invoices.push(OpenInvoice {
                pay_url: pay_link(state, &inv.number),
                number: inv.number,
                due_on: inv.due_on,
                owed,
            });
        }
    }
    let status = if page.error.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    Ok((status, render(&page)?).into_response())
}

/// The customer behind `ip`: a static address bound to a service, else the user of a PPPoE
/// session with that address on one of the routers (each asked briefly; one that does not answer
/// is skipped).
async fn by_address(state: &AppState, ip: &str) -> AppResult<Option<Customer>> {
    if ip.parse::<std::net::Ipv4Addr>().is_err() {
        return Ok(None);
    }
    if let Some(s) = customer_services::by_identity(&state.db, None, ip).await? {
        return Ok(customers::get(&state.db, s.customer_id).await?);
    }
    for d in network_devices::all(&state.db).await?.into_iter().filter(|d| d.enabled && d.kind.is_router()) {
        let Ok(Driver::Router(router)) = Driver::open(state, &d) else { continue };
        let Ok(Some(user)) = router.session_user(ip).await else { continue };
        if let Some(s) = customer_services::by_identity(&state.db, Some(d.id), &user).await? {
            return Ok(customers::get(&state.db, s.customer_id).await?);
        }
    }
    Ok(None)
}

pub async fn page(State(state): State<AppState>, shell: Shell, meta: RequestMeta) -> AppResult<Response> {
    let c = by_address(&state, &meta.ip).await?;
    view(&state, shell, c, String::new(), None).await
}

#[derive(Debug, Deserialize)]
pub struct FindForm {
    #[serde(default)]
    code: String,
    #[serde(default)]
    phone_end: String,
}

/// The customer code and the last four digits of the phone number.
pub async fn find(
    State(state): State<AppState>,
    shell: Shell,
    meta: RequestMeta,
    ApiForm(f): ApiForm<FindForm>,
) -> AppResult<Response> {
    let code = f.code.trim().to_uppercase();
    let end: String = f.phone_end.chars().filter(char::is_ascii_digit).collect();
    if code.is_empty() || end.len() != 4 {
        let error = shell.lang.render(&msg("val.isolir.input", &[]));
        return view(&state, shell, None, code, Some(error)).await;
    }
    if let Err(AppError::TooManyRequests { detail, .. }) = crate::portal::login::limit_saying(
        &state,
        &format!("isolir-ip:{}", meta.ip),
        FINDS_PER_HOUR,
        "val.isolir.too_many",
    )
    .await
    {
        let error = shell.lang.render(&detail);
        return Ok((StatusCode::TOO_MANY_REQUESTS, view(&state, shell, None, code, Some(error)).await?).into_response());
    }
    let found = customers::by_code(&state.db, &code).await?.filter(|c| c.phone.ends_with(&end));
    let error = found.is_none().then(|| shell.lang.render(&msg("val.isolir.not_found", &[])));
    view(&state, shell, found, code, error).await
}
