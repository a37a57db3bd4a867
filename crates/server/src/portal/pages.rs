//! The portal's pages, phone first: `/portal/login` (number or customer code → WhatsApp code),
//! `/portal` (home), `/portal/bills`, `/portal/help`; the tickets are in [`super::ticket_pages`],
//! the profile in [`super::profile_pages`]. Each page is plain HTML and the shared stylesheet, no script needed.

use super::extract::PortalCustomer;
use super::home::{self, MeOut, PortalTicket};
use super::login;
use crate::audit::RequestMeta;
use crate::auth::pages::session_cookie;
use crate::auth::session::cookie_token;
use crate::error::{AppError, AppResult, FieldErrors};
use crate::extract::{ApiForm, ApiQuery, ClientIp};
use crate::pages::{Shell, render};
use crate::state::AppState;
use aglis_db::repo::invoices::{self, Invoice, InvoiceQuery};
use aglis_db::repo::payments::{self, Payment, PaymentQuery};
use aglis_db::repo::sessions::SessionKind;
use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum_extra::extract::cookie::CookieJar;
use serde::Deserialize;

pub const HOME: &str = "/portal";
pub const LOGIN: &str = "/portal/login";

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/portal", get(home_page))
        .route("/portal/login", get(login_form).post(send_code))
        .route("/portal/login/code", post(check_code))
        .route("/portal/logout", post(logout))
        .route("/portal/bills", get(bills))
        .route("/portal/logout-all", post(logout_all))
        .route("/portal/help", get(help))
        .merge(super::ticket_pages::router())
        .merge(super::profile_pages::router())
}

/// A local path under the portal to go on to after signing in.
fn portal_next(next: Option<&str>) -> String {
    match next {
        Some(n) if n.starts_with("/portal") && !n.starts_with("//") && !n.contains('\\') => n.to_owned(),
        _ => HOME.to_owned(),
    }
}

#[derive(Template)]
#[template(path = "portal/login.html")]
struct LoginPage {
    shell: Shell,
    /// The code has been sent: ask for it.
    code_step: bool,
    phone: String,
    next: String,
    error: Option<String>,
    demo: bool,
}

#[derive(Debug, Deserialize, Default)]
struct NextQuery {
    next: Option<String>,
}

async fn login_form(
    State(state): State<AppState>,
    shell: Shell,
    ApiQuery(q): ApiQuery<NextQuery>,
) -> AppResult<Response> {
    if shell.user.as_ref().is_some_and(|u| u.role == aglis_core::permission::Role::Customer) {
        return Ok(Redirect::to(&portal_next(q.next.as_deref())).into_response());
    }
    let next = portal_next(q.next.as_deref());
    render(&LoginPage { shell, code_step: false, phone: String::new(), next, error: None, demo: state.config.demo })
}

#[derive(Debug, Deserialize)]
struct PhoneForm {
    #[serde(default)]
    phone: String,
    #[serde(default)]
    next: String,
}

/// The message of a refusal in the page's language, and its status.
fn refusal(shell: &Shell, e: AppError) -> AppResult<(StatusCode, String)> {
    let first = |fields: &FieldErrors| shell.all_errors(fields);
    Ok(match e {
        AppError::Validation { fields, .. } => (StatusCode::UNPROCESSABLE_ENTITY, first(&fields)),
        AppError::Unauthorized(m) => (StatusCode::UNAUTHORIZED, shell.say(&m)),
        AppError::Forbidden(m) => (StatusCode::FORBIDDEN, shell.say(&m)),
        AppError::TooManyRequests { detail, .. } => (StatusCode::TOO_MANY_REQUESTS, shell.say(&detail)),
        other => return Err(other),
    })
}

async fn send_code(
    State(state): State<AppState>,
    shell: Shell,
    ClientIp(ip): ClientIp,
    ApiForm(f): ApiForm<PhoneForm>,
) -> AppResult<Response> {
    let next = portal_next(Some(&f.next));
    match login::request_code(&state, &f.phone, &ip).await {
        Ok(()) => {
            render(&LoginPage { shell, code_step: true, phone: f.phone, next, error: None, demo: state.config.demo })
        }
        Err(e) => {
            let (status, message) = refusal(&shell, e)?;
            let page = LoginPage {
                shell,
                code_step: false,
                phone: f.phone,
                next,
                error: Some(message),
                demo: state.config.demo,
            };
            Ok((status, render(&page)?).into_response())
        }
    }
}

#[derive(Debug, Deserialize)]
struct CodeForm {
    #[serde(default)]
    phone: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    next: String,
}

async fn check_code(
    State(state): State<AppState>,
    shell: Shell,
    meta: RequestMeta,
    headers: HeaderMap,
    jar: CookieJar,
    ApiForm(f): ApiForm<CodeForm>,
) -> AppResult<Response> {
    let next = portal_next(Some(&f.next));
    let previous = cookie_token(&headers);
    match login::login(&state, &f.phone, &f.code, SessionKind::Web, &meta, previous.as_deref()).await {
        Ok((signed, _)) => Ok((jar.add(session_cookie(&state, signed.token)), Redirect::to(&next)).into_response()),
        Err(e) => {
            let (status, message) = refusal(&shell, e)?;
            let page = LoginPage {
                shell,
                code_step: true,
                phone: f.phone,
                next,
                error: Some(message),
                demo: state.config.demo,
            };
            Ok((status, render(&page)?).into_response())
        }
    }
}

async fn logout(
    State(state): State<AppState>,
    pc: PortalCustomer,
    meta: RequestMeta,
    jar: CookieJar,
) -> AppResult<Response> {
    if let Some(c) = jar.get(crate::auth::session::SESSION_COOKIE) {
        crate::auth::service::logout(&state, Some(&pc.auth.user), c.value(), &meta).await?;
    }
    let jar = jar.remove(axum_extra::extract::cookie::Cookie::build(crate::auth::session::SESSION_COOKIE).path("/"));
    Ok((jar, Redirect::to(LOGIN)).into_response())
}

async fn logout_all(
    State(state): State<AppState>,
    pc: PortalCustomer,
    meta: RequestMeta,
    jar: CookieJar,
) -> AppResult<Response> {
    crate::auth::service::logout_all(&state, &pc.auth, &meta).await?;
    let jar = jar.remove(axum_extra::extract::cookie::Cookie::build(crate::auth::session::SESSION_COOKIE).path("/"));
    Ok((jar, Redirect::to(LOGIN)).into_response())
}

/// An invoice with the links a customer uses.
pub struct Bill {
    pub inv: Invoice,
    pub pay_url: String,
    pub pdf_url: String,
}

impl Bill {
    fn new(state: &AppState, inv: Invoice) -> Self {
        let key = crate::auth::token::pay_link_key(state.config.secret_bytes(), &inv.number);
        Bill {
            pay_url: format!("/pay/{}?k={key}", inv.number),
            pdf_url: format!("/pay/{}/pdf?k={key}", inv.number),
            inv,
        }
    }

    pub fn owed(&self) -> i64 {
        (self.inv.total - self.inv.paid).max(0)
    }
}

#[derive(Template)]
#[template(path = "portal/home.html")]
struct HomePage {
    shell: Shell,
    me: MeOut,
    /// Announcements for everyone or the customer's city, in the page's language.
    news: Vec<super::notices::Localised>,
    unpaid: Vec<Bill>,
    tickets: Vec<PortalTicket>,
}

impl HomePage {
    fn owed(&self) -> i64 {
        self.unpaid.iter().map(Bill::owed).sum()
    }
}

async fn home_page(State(state): State<AppState>, shell: Shell, pc: PortalCustomer) -> AppResult<Response> {
    let me = home::me(&state, &pc.customer).await?;
    let unpaid = home::unpaid(&state, &pc.customer).await?.into_iter().map(|i| Bill::new(&state, i)).collect();
    let open = aglis_db::repo::tickets::active_of_customer(&state.reads, pc.customer.id, 5).await?;
    let tickets = home::portal_tickets(&state, open).await?;
    let today = state.now().with_timezone(&aglis_core::schedule::JAKARTA).date_naive();
    let news = aglis_db::repo::portal_notices::for_customer(&state.reads, &pc.customer.city, today)
        .await?
        .iter()
        .map(|n| super::notices::localise(n, shell.lang))
        .collect();
    render(&HomePage { shell, me, news, unpaid, tickets })
}

#[derive(Template)]
#[template(path = "portal/bills.html")]
struct BillsPage {
    shell: Shell,
    bills: Vec<Bill>,
    payments: Vec<Payment>,
    statement: crate::billing::api::StatementOut,
}

async fn bills(State(state): State<AppState>, shell: Shell, pc: PortalCustomer) -> AppResult<Response> {
    let q = InvoiceQuery {
        customer_id: Some(pc.customer.id),
        issued_only: true,
        page: 1,
        per_page: 24,
        ..Default::default()
    };
    let (list, _, _) = invoices::list(&state.reads, &q).await?;
    let bills = list.into_iter().map(|i| Bill::new(&state, i)).collect();
    let pq = PaymentQuery {
        status: None,
        method: None,
        customer_id: Some(pc.customer.id),
        customer_ids: None,
        page: 1,
        per_page: 12,
    };
    let (payments, _, _) = payments::list(&state.reads, &pq).await?;
    let mut statement = crate::billing::api::statement_of(&state.reads, pc.customer.id).await?;
    // The newest twelve entries are what a phone screen can show; the PDF invoices hold the rest.
    let keep = statement.entries.len().saturating_sub(12);
    statement.entries.drain(..keep);
    statement.entries.reverse();
    render(&BillsPage { shell, bills, payments, statement })
}

#[derive(Template)]
#[template(path = "portal/help.html")]
struct HelpPage {
    shell: Shell,
    profile: crate::billing::profile::BillingProfile,
    faq: Vec<super::notices::Localised>,
}

async fn help(State(state): State<AppState>, shell: Shell, _pc: PortalCustomer) -> AppResult<Response> {
    let profile = crate::billing::profile::load(&state.reads).await?;
    let faq = aglis_db::repo::portal_notices::all(&state.reads, aglis_db::repo::portal_notices::FAQ)
        .await?
        .iter()
        .map(|n| super::notices::localise(n, shell.lang))
        .collect();
    render(&HelpPage { shell, profile, faq })
}
