//! `/api/v1/portal/…`: the customer's API. Sign in with a WhatsApp code, then read and act on
//! nothing but one's own record. A staff token here is 403; a portal token on a staff route is
//! 403 too (`crate::auth::extract::CurrentUser`).

use super::extract::PortalCustomer;
use super::{home, login, tickets as own_tickets};
use crate::audit::RequestMeta;
use crate::auth::session::bearer_token;
use crate::billing::api::{InvoiceOut, LineOut, StatementOut, statement_of};
use crate::billing::payments_api::PaymentOut;
use crate::error::{AppError, AppResult, Problem};
use crate::extract::{ApiJson, ApiQuery, ClientIp, IdPath};
use crate::listing::{Page, PageQuery, Paging};
use crate::state::AppState;
use crate::tickets::attachments::{self, AttachmentOut, AttachmentPath};
use crate::tickets::comments;
use aglis_core::ticket::TicketStatus;
use aglis_db::repo::invoices::{self, InvoiceQuery};
use aglis_db::repo::payments::{self, PaymentQuery};
use aglis_db::repo::sessions::SessionKind;
use axum::Json;
use axum::extract::multipart::MultipartRejection;
use axum::extract::{DefaultBodyLimit, Multipart, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn api_router() -> OpenApiRouter<AppState> {
    let uploads =
        OpenApiRouter::new().routes(routes!(upload)).layer(DefaultBodyLimit::max(attachments::UPLOAD_BODY_LIMIT));
    OpenApiRouter::new()
        .routes(routes!(request_code))
        .routes(routes!(sign_in))
        .routes(routes!(sign_out))
        .routes(routes!(sign_out_everywhere))
        .routes(routes!(me))
        .routes(routes!(list_invoices))
        .routes(routes!(show_invoice))
        .routes(routes!(list_payments))
        .routes(routes!(statement))
        .routes(routes!(list_tickets, report))
        .routes(routes!(show_ticket))
        .routes(routes!(comment))
        .routes(routes!(confirm))
        .routes(routes!(reopen))
        .routes(routes!(rate))
        .routes(routes!(download))
        .merge(uploads)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CodeRequest {
    /// The phone number on the subscription (`0812-3456-7890`) or the customer code (`AGLS…`).
    #[schema(example = "0812-3456-7890")]
    pub phone: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CodeSent {
    pub message: String,
}

/// Sends a 6-digit sign-in code by WhatsApp to the customer's number (valid 10 minutes, 5
/// tries). The answer is the same whether or not the number belongs to a customer.
#[utoipa::path(post, path = "/api/v1/portal/auth/code", tag = "portal", request_body = CodeRequest,
    responses(
        (status = 202, description = "A code is on its way if the number or code is a customer's", body = CodeSent),
        (status = 429, description = "Too many codes for this number or from this address (see Retry-After)", body = Problem, content_type = "application/problem+json"),
    ))]
async fn request_code(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    ApiJson(req): ApiJson<CodeRequest>,
) -> AppResult<(StatusCode, Json<CodeSent>)> {
    login::request_code(&state, &req.phone, &ip).await?;
    let message = "if this is a customer's number or code, a WhatsApp message with the code is on its way".into();
    Ok((StatusCode::ACCEPTED, Json(CodeSent { message })))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PortalLogin {
    #[schema(example = "0812-3456-7890")]
    pub phone: String,
    #[schema(example = "482913")]
    pub code: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PortalToken {
    /// Send as `Authorization: Bearer <token>`; good for 7 days.
    pub token: String,
    pub expires_at: DateTime<Utc>,
    pub customer: home::MeOut,
}

/// Exchanges the WhatsApp code for a token of 7 days.
#[utoipa::path(post, path = "/api/v1/portal/auth/login", tag = "portal", request_body = PortalLogin,
    responses(
        (status = 200, description = "Signed in", body = PortalToken),
        (status = 401, description = "The code is wrong (the tries left are said) or expired", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The account is switched off", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Five wrong codes: ask for a new one", body = Problem, content_type = "application/problem+json"),
    ))]
async fn sign_in(
    State(state): State<AppState>,
    meta: RequestMeta,
    ApiJson(req): ApiJson<PortalLogin>,
) -> AppResult<Json<PortalToken>> {
    let (signed, customer) = login::login(&state, &req.phone, &req.code, SessionKind::Api, &meta, None).await?;
    let customer = home::me(&state, &customer).await?;
    Ok(Json(PortalToken { token: signed.token, expires_at: signed.expires_at, customer }))
}

/// Ends this token's session.
#[utoipa::path(post, path = "/api/v1/portal/auth/logout", tag = "portal", security(("bearer" = [])),
    responses((status = 204, description = "Signed out"),))]
async fn sign_out(
    State(state): State<AppState>,
    pc: PortalCustomer,
    meta: RequestMeta,
    headers: HeaderMap,
) -> AppResult<StatusCode> {
    if let Some(token) = bearer_token(&headers) {
        crate::auth::service::logout(&state, Some(&pc.auth.user), token, &meta).await?;
    }
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Ended {
    /// Sessions ended, this one included.
    pub sessions: u64,
}

/// Ends every session of the customer (every phone and browser), this one included.
#[utoipa::path(post, path = "/api/v1/portal/auth/logout-all", tag = "portal", security(("bearer" = [])),
    responses((status = 200, body = Ended),))]
async fn sign_out_everywhere(
    State(state): State<AppState>,
    pc: PortalCustomer,
    meta: RequestMeta,
) -> AppResult<Json<Ended>> {
    let sessions = crate::auth::service::logout_all(&state, &pc.auth, &meta).await?;
    Ok(Json(Ended { sessions }))
}

/// The customer: package, service status (and the way back when suspended), what is owed.
#[utoipa::path(get, path = "/api/v1/portal/me", tag = "portal", security(("bearer" = [])),
    responses((status = 200, body = home::MeOut),))]
async fn me(State(state): State<AppState>, pc: PortalCustomer) -> AppResult<Json<home::MeOut>> {
    Ok(Json(home::me(&state, &pc.customer).await?))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PortalInvoice {
    #[serde(flatten)]
    pub invoice: InvoiceOut,
    /// Where to pay it online (QRIS, virtual account, e-wallet).
    pub pay_url: String,
    pub pdf_url: String,
}

impl PortalInvoice {
    pub fn new(state: &AppState, i: invoices::Invoice) -> Self {
        let key = crate::auth::token::pay_link_key(state.config.secret_bytes(), &i.number);
        PortalInvoice {
            pay_url: crate::billing::online::pay_link(state, &i.number),
            pdf_url: format!("{}/pay/{}/pdf?k={key}", state.config.base_url.trim_end_matches('/'), i.number),
            invoice: i.into(),
        }
    }
}

/// The customer's invoices, newest first (drafts not yet issued are not shown).
#[utoipa::path(get, path = "/api/v1/portal/invoices", tag = "portal", params(PageQuery), security(("bearer" = [])),
    responses((status = 200, body = Page<PortalInvoice>),))]
async fn list_invoices(
    State(state): State<AppState>,
    pc: PortalCustomer,
    paging: Paging,
) -> AppResult<Json<Page<PortalInvoice>>> {
    let q = InvoiceQuery {
        customer_id: Some(pc.customer.id),
        issued_only: true,
        page: paging.page,
        per_page: paging.per_page,
        ..InvoiceQuery::default()
    };
    let (items, total, exact) = invoices::list(&state.reads, &q).await?;
    let items = items.into_iter().map(|i| PortalInvoice::new(&state, i)).collect();
    Ok(Json(Page::capped(items, total, exact, paging)))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PortalInvoiceDetail {
    #[serde(flatten)]
    pub invoice: PortalInvoice,
    pub lines: Vec<LineOut>,
}

/// One of the customer's invoices with its lines (404 for any other id).
#[utoipa::path(get, path = "/api/v1/portal/invoices/{id}", tag = "portal", params(("id" = i64, Path,)),
    security(("bearer" = [])), responses((status = 200, body = PortalInvoiceDetail),))]
async fn show_invoice(
    State(state): State<AppState>,
    pc: PortalCustomer,
    IdPath(id): IdPath,
) -> AppResult<Json<PortalInvoiceDetail>> {
    let inv = home::own_invoice(&state, &pc, id).await?;
    let lines = invoices::lines(&state.reads, inv.id).await?.into_iter().map(LineOut::from).collect();
    Ok(Json(PortalInvoiceDetail { invoice: PortalInvoice::new(&state, inv), lines }))
}

/// The customer's payments, newest first.
#[utoipa::path(get, path = "/api/v1/portal/payments", tag = "portal", params(PageQuery), security(("bearer" = [])),
    responses((status = 200, body = Page<PaymentOut>),))]
async fn list_payments(
    State(state): State<AppState>,
    pc: PortalCustomer,
    paging: Paging,
) -> AppResult<Json<Page<PaymentOut>>> {
    let q = PaymentQuery {
        status: None,
        method: None,
        customer_id: Some(pc.customer.id),
        customer_ids: None,
        page: paging.page,
        per_page: paging.per_page,
    };
    let (items, total, exact) = payments::list(&state.reads, &q).await?;
    Ok(Json(Page::capped(items.into_iter().map(PaymentOut::from).collect(), total, exact, paging)))
}

/// The customer's statement: every charge, payment and credit with the running balance.
#[utoipa::path(get, path = "/api/v1/portal/statement", tag = "portal", security(("bearer" = [])),
    responses((status = 200, body = StatementOut),))]
async fn statement(State(state): State<AppState>, pc: PortalCustomer) -> AppResult<Json<StatementOut>> {
    Ok(Json(statement_of(&state.reads, pc.customer.id).await?))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TicketParams {
    #[param(value_type = Option<String>)]
    pub status: Option<TicketStatus>,
}

/// The customer's tickets, newest first, with the time the SLA promises.
#[utoipa::path(get, path = "/api/v1/portal/tickets", tag = "portal", params(TicketParams, PageQuery),
    security(("bearer" = [])), responses((status = 200, body = Page<home::PortalTicket>),))]
async fn list_tickets(
    State(state): State<AppState>,
    pc: PortalCustomer,
    ApiQuery(p): ApiQuery<TicketParams>,
    paging: Paging,
) -> AppResult<Json<Page<home::PortalTicket>>> {
    let (items, total, exact) = own_tickets::list(&state, &pc, p.status, paging.page, paging.per_page).await?;
    let items = home::portal_tickets(&state, items).await?;
    Ok(Json(Page::capped(items, total, exact, paging)))
}

/// Reports a problem: `problem` (no_connection, slow, los_red, relocation, upgrade, downgrade,
/// dismantle) or a `type`, and a description. The customer is told the number by WhatsApp.
#[utoipa::path(post, path = "/api/v1/portal/tickets", tag = "portal", request_body = own_tickets::ReportIn,
    security(("bearer" = [])), responses((status = 201, body = home::PortalTicket),))]
async fn report(
    State(state): State<AppState>,
    pc: PortalCustomer,
    ApiJson(req): ApiJson<own_tickets::ReportIn>,
) -> AppResult<(StatusCode, Json<home::PortalTicket>)> {
    let t = own_tickets::report(&state, &pc, req).await?;
    let mut out = home::portal_tickets(&state, vec![t]).await?;
    let one = out.pop().ok_or_else(|| AppError::Internal(anyhow::anyhow!("the new ticket vanished")))?;
    Ok((StatusCode::CREATED, Json(one)))
}

/// One of the customer's tickets with its timeline, technician and photos (404 for any other id).
#[utoipa::path(get, path = "/api/v1/portal/tickets/{id}", tag = "portal", params(("id" = i64, Path,)),
    security(("bearer" = [])), responses((status = 200, body = home::PortalTicketDetail),))]
async fn show_ticket(
    State(state): State<AppState>,
    pc: PortalCustomer,
    IdPath(id): IdPath,
) -> AppResult<Json<home::PortalTicketDetail>> {
    Ok(Json(home::ticket_detail(&state, &pc, id).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PortalComment {
    #[schema(example = "Saya di rumah setelah jam 4 sore")]
    pub body: String,
}

/// Adds a comment to one of the customer's tickets.
#[utoipa::path(post, path = "/api/v1/portal/tickets/{id}/comments", tag = "portal", params(("id" = i64, Path,)),
    request_body = PortalComment, security(("bearer" = [])), responses((status = 201, description = "Added"),))]
async fn comment(
    State(state): State<AppState>,
    pc: PortalCustomer,
    IdPath(id): IdPath,
    ApiJson(req): ApiJson<PortalComment>,
) -> AppResult<StatusCode> {
    let t = own_tickets::own(&state, &pc, id).await?;
    comments::add_comment(&state, &pc.auth, t.id, &req.body).await?;
    Ok(StatusCode::CREATED)
}

/// "It works again": closes a resolved ticket.
#[utoipa::path(post, path = "/api/v1/portal/tickets/{id}/confirm", tag = "portal", params(("id" = i64, Path,)),
    security(("bearer" = [])), responses((status = 200, body = home::PortalTicket),))]
async fn confirm(
    State(state): State<AppState>,
    pc: PortalCustomer,
    IdPath(id): IdPath,
) -> AppResult<Json<home::PortalTicket>> {
    let t = own_tickets::confirm(&state, &pc, id).await?;
    first(home::portal_tickets(&state, vec![t]).await?)
}

fn first(mut v: Vec<home::PortalTicket>) -> AppResult<Json<home::PortalTicket>> {
    v.pop().map(Json).ok_or_else(|| AppError::Internal(anyhow::anyhow!("the ticket vanished")))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReopenIn {
    #[schema(example = "Internet mati lagi sejak semalam")]
    pub reason: String,
}

/// "Still not working": reopens a resolved or closed ticket, with the reason.
#[utoipa::path(post, path = "/api/v1/portal/tickets/{id}/reopen", tag = "portal", params(("id" = i64, Path,)),
    request_body = ReopenIn, security(("bearer" = [])), responses((status = 200, body = home::PortalTicket),))]
async fn reopen(
    State(state): State<AppState>,
    pc: PortalCustomer,
    IdPath(id): IdPath,
    ApiJson(req): ApiJson<ReopenIn>,
) -> AppResult<Json<home::PortalTicket>> {
    let t = own_tickets::reopen(&state, &pc, id, &req.reason).await?;
    first(home::portal_tickets(&state, vec![t]).await?)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RatingIn {
    /// 1 to 5.
    #[schema(minimum = 1, maximum = 5, example = 5)]
    pub stars: i32,
    #[serde(default)]
    #[schema(example = "Teknisi ramah dan cepat")]
    pub comment: String,
}

/// Rates the visit of a resolved ticket (once): 1–5 stars and a comment.
#[utoipa::path(post, path = "/api/v1/portal/tickets/{id}/rating", tag = "portal", params(("id" = i64, Path,)),
    request_body = RatingIn, security(("bearer" = [])), responses((status = 200, body = home::PortalTicket),))]
async fn rate(
    State(state): State<AppState>,
    pc: PortalCustomer,
    IdPath(id): IdPath,
    ApiJson(req): ApiJson<RatingIn>,
) -> AppResult<Json<home::PortalTicket>> {
    let t = own_tickets::rate(&state, &pc, id, req.stars, &req.comment).await?;
    first(home::portal_tickets(&state, vec![t]).await?)
}

/// Adds a photo of the problem to one of the customer's tickets (multipart `file`, and `kind`
/// `before` or `document`). 413 over 5 MB, 415 for anything not a photo or PDF.
#[utoipa::path(post, path = "/api/v1/portal/tickets/{id}/attachments", tag = "portal",
    params(("id" = i64, Path,)), security(("bearer" = [])),
    request_body(content = attachments::UploadForm, content_type = "multipart/form-data"),
    responses((status = 201, body = AttachmentOut),))]
async fn upload(
    State(state): State<AppState>,
    pc: PortalCustomer,
    IdPath(id): IdPath,
    multipart: Result<Multipart, MultipartRejection>,
) -> AppResult<(StatusCode, Json<AttachmentOut>)> {
    let t = own_tickets::own(&state, &pc, id).await?;
    let mut up = attachments::read_upload(multipart).await?;
    if up.kind.trim().is_empty() {
        up.kind = "before".into();
    }
    let a = attachments::add(&state, &pc.auth, t.id, up).await?;
    let mut out = AttachmentOut::from(a);
    out.url = format!("/api/v1/portal/tickets/{}/attachments/{}", out.ticket_id, out.id);
    Ok((StatusCode::CREATED, Json(out)))
}

/// A photo or document of one of the customer's tickets.
#[utoipa::path(get, path = "/api/v1/portal/tickets/{id}/attachments/{attachment_id}", tag = "portal",
    params(("id" = i64, Path,), ("attachment_id" = i64, Path,)), security(("bearer" = [])),
    responses((status = 200, description = "The file", content_type = "application/octet-stream"),))]
async fn download(
    State(state): State<AppState>,
    pc: PortalCustomer,
    AttachmentPath(id, aid): AttachmentPath,
) -> AppResult<Response> {
    let t = own_tickets::own(&state, &pc, id).await?;
    let (a, bytes) = attachments::fetch(&state, &pc.auth, t.id, aid).await?;
    Ok(attachments::file_response(&a, bytes))
}
