//! `/portal/tickets…`: the customer's tickets, reporting a problem with a photo, and one ticket's
//! timeline with the customer's actions (comment, confirm, reopen, rate).

use super::extract::PortalCustomer;
use super::home::{self, PortalTicket, PortalTicketDetail};
use super::tickets::{self as own, ReportIn};
use crate::error::{AppError, AppResult, FieldErrors};
use crate::extract::{ApiForm, IdPath};
use crate::pages::{Shell, render};
use crate::state::AppState;
use crate::tickets::attachments::{self, Upload};
use aglis_core::portal::Problem;
use axum::Router;
use axum::body::Bytes;
use axum::extract::multipart::MultipartRejection;
use axum::extract::{DefaultBodyLimit, Multipart, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use std::collections::BTreeMap;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/portal/tickets", get(list).post(create).layer(DefaultBodyLimit::max(attachments::UPLOAD_BODY_LIMIT)))
        .route("/portal/tickets/new", get(new_form))
        .route("/portal/tickets/{id}", get(show))
        .route("/portal/tickets/{id}/comment", post(comment))
        .route("/portal/tickets/{id}/confirm", post(confirm))
        .route("/portal/tickets/{id}/reopen", post(reopen))
        .route("/portal/tickets/{id}/rate", post(rate))
        .route("/portal/tickets/{id}/photos/{attachment_id}", get(photo))
}

#[derive(Template)]
#[template(path = "portal/tickets.html")]
struct ListPage {
    shell: Shell,
    tickets: Vec<PortalTicket>,
}

use askama::Template;

async fn list(State(state): State<AppState>, shell: Shell, pc: PortalCustomer) -> AppResult<Response> {
    let (items, _, _) = own::list(&state, &pc, None, 1, 30).await?;
    let tickets = home::portal_tickets(&state, items).await?;
    render(&ListPage { shell, tickets })
}

#[derive(Template)]
#[template(path = "portal/ticket_new.html")]
struct NewPage {
    shell: Shell,
    problems: &'static [Problem],
    chosen: String,
    description: String,
    errors: FieldErrors,
}

async fn new_form(shell: Shell, _pc: PortalCustomer) -> AppResult<Response> {
    let page = NewPage {
        shell,
        problems: Problem::ALL,
        chosen: String::new(),
        description: String::new(),
        errors: FieldErrors::new(),
    };
    render(&page)
}

/// The report form as sent: its text fields and the photo, if one was chosen.
async fn read_report(
    multipart: Result<Multipart, MultipartRejection>,
) -> AppResult<(BTreeMap<String, String>, Option<Upload>)> {
    let mut multipart = multipart.map_err(|e| AppError::BadRequest(e.body_text()))?;
    let broken = |e: axum::extract::multipart::MultipartError| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            AppError::PayloadTooLarge("@ticket.att.err_large".into())
        } else {
            AppError::BadRequest(format!("the form could not be read: {}", e.body_text()))
        }
    };
    let mut fields = BTreeMap::new();
    let mut photo = None;
    while let Some(mut field) = multipart.next_field().await.map_err(broken)? {
        let name = field.name().unwrap_or_default().to_owned();
        if name == "photo" {
            let filename = field.file_name().unwrap_or_default().to_owned();
            let mut kept = Vec::new();
            let mut size = 0u64;
            while let Some(chunk) = field.chunk().await.map_err(broken)? {
                size += chunk.len() as u64;
                if size <= aglis_core::attachment::MAX_BYTES {
                    kept.extend_from_slice(&chunk);
                }
            }
            if size > 0 {
                photo = Some(Upload { kind: "before".into(), filename, bytes: Bytes::from(kept), size });
            }
        } else {
            let text = field.text().await.map_err(broken)?;
            fields.insert(name, text.chars().take(6_000).collect());
        }
    }
    Ok((fields, photo))
}

async fn create(
    State(state): State<AppState>,
    shell: Shell,
    pc: PortalCustomer,
    multipart: Result<Multipart, MultipartRejection>,
) -> AppResult<Response> {
    let (fields, photo) = read_report(multipart).await?;
    let chosen = fields.get("problem").cloned().unwrap_or_default();
    let description = fields.get("description").cloned().unwrap_or_default();
    let mut errors = FieldErrors::new();
    if let Some(p) = &photo
        && let Err(e) = aglis_core::attachment::check(aglis_core::attachment::AttachmentKind::Before, p.size, &p.bytes)
    {
        let key = match e {
            aglis_core::attachment::Refused::TooLarge { .. } => "ticket.att.err_large",
            _ => "ticket.att.err_type",
        };
        errors.insert("photo".into(), vec![shell.t(key).to_owned()]);
    }
    let input = ReportIn { problem: chosen.parse().ok(), description: description.clone(), ..ReportIn::default() };
    let created = if errors.is_empty() { Some(own::report(&state, &pc, input).await) } else { None };
    let t = match created {
        Some(Ok(t)) => t,
        Some(Err(AppError::Validation { fields: e, .. })) => {
            errors.extend(e);
            return refuse(shell, chosen, description, errors);
        }
        Some(Err(e)) => return Err(e),
        None => return refuse(shell, chosen, description, errors),
    };
    if let Some(p) = photo {
        attachments::add(&state, &pc.auth, t.id, p).await?;
    }
    Ok(Redirect::to(&format!("/portal/tickets/{}", t.id)).into_response())
}

fn refuse(shell: Shell, chosen: String, description: String, errors: FieldErrors) -> AppResult<Response> {
    let page = NewPage { shell, problems: Problem::ALL, chosen, description, errors };
    Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)?).into_response())
}

#[derive(Template)]
#[template(path = "portal/ticket.html")]
struct ShowPage {
    shell: Shell,
    d: PortalTicketDetail,
    error: Option<String>,
}

impl ShowPage {
    /// A photo's address on the page (the same file as the API's, under the portal's pages).
    fn photo_url(&self, a: &crate::tickets::attachments::AttachmentOut) -> String {
        format!("/portal/tickets/{}/photos/{}", a.ticket_id, a.id)
    }
}

async fn show_page(
    state: &AppState,
    shell: Shell,
    pc: &PortalCustomer,
    id: i64,
    error: Option<String>,
) -> AppResult<Response> {
    let d = home::ticket_detail(state, pc, id).await?;
    let status = if error.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    Ok((status, render(&ShowPage { shell, d, error })?).into_response())
}

async fn show(
    State(state): State<AppState>,
    shell: Shell,
    pc: PortalCustomer,
    IdPath(id): IdPath,
) -> AppResult<Response> {
    show_page(&state, shell, &pc, id, None).await
}

/// After an action: back to the ticket, or the ticket with the refusal in the page's words.
async fn after(
    state: &AppState,
    shell: Shell,
    pc: &PortalCustomer,
    id: i64,
    result: AppResult<()>,
) -> AppResult<Response> {
    match result {
        Ok(()) => Ok(Redirect::to(&format!("/portal/tickets/{id}")).into_response()),
        Err(AppError::Validation { fields, .. }) => {
            let message = shell.all_errors(&fields);
            show_page(state, shell, pc, id, Some(message)).await
        }
        Err(AppError::Conflict { detail, .. }) => {
            let message = shell.say(&detail);
            show_page(state, shell, pc, id, Some(message)).await
        }
        Err(e) => Err(e),
    }
}

#[derive(Debug, Deserialize)]
struct TextForm {
    #[serde(default)]
    body: String,
}

async fn comment(
    State(state): State<AppState>,
    shell: Shell,
    pc: PortalCustomer,
    IdPath(id): IdPath,
    ApiForm(f): ApiForm<TextForm>,
) -> AppResult<Response> {
    let t = own::own(&state, &pc, id).await?;
    let result = crate::tickets::comments::add_comment(&state, &pc.auth, t.id, &f.body).await;
    after(&state, shell, &pc, id, result).await
}

async fn confirm(
    State(state): State<AppState>,
    shell: Shell,
    pc: PortalCustomer,
    IdPath(id): IdPath,
) -> AppResult<Response> {
    let result = own::confirm(&state, &pc, id).await.map(|_| ());
    after(&state, shell, &pc, id, result).await
}

async fn reopen(
    State(state): State<AppState>,
    shell: Shell,
    pc: PortalCustomer,
    IdPath(id): IdPath,
    ApiForm(f): ApiForm<TextForm>,
) -> AppResult<Response> {
    let result = own::reopen(&state, &pc, id, &f.body).await.map(|_| ());
    after(&state, shell, &pc, id, result).await
}

#[derive(Debug, Deserialize)]
struct RateForm {
    #[serde(default)]
    stars: String,
    #[serde(default)]
    comment: String,
}

async fn rate(
    State(state): State<AppState>,
    shell: Shell,
    pc: PortalCustomer,
    IdPath(id): IdPath,
    ApiForm(f): ApiForm<RateForm>,
) -> AppResult<Response> {
    let stars = f.stars.trim().parse::<i32>().unwrap_or(0);
    let result = own::rate(&state, &pc, id, stars, &f.comment).await.map(|_| ());
    after(&state, shell, &pc, id, result).await
}

async fn photo(
    State(state): State<AppState>,
    pc: PortalCustomer,
    crate::tickets::attachments::AttachmentPath(id, aid): crate::tickets::attachments::AttachmentPath,
) -> AppResult<Response> {
    let t = own::own(&state, &pc, id).await?;
    let (a, bytes) = attachments::fetch(&state, &pc.auth, t.id, aid).await?;
    Ok(attachments::file_response(&a, bytes))
}
