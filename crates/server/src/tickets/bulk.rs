//! Bulk actions on tickets (issue 22): assign a lead technician, set another priority, or close
//! resolved tickets, many at once — `POST /api/v1/tickets/bulk` and the bar of the ticket list.
//! Each ticket goes through the single-ticket use case (`service::assign`, `service::step`,
//! [`reprioritise`]) with its own rules and history, and is reported and audited.

use crate::audit::RequestMeta;
use crate::auth::extract::{Staff, perm};
use crate::auth::session::Authenticated;
use crate::bulk::pages::{BulkForm, answer};
use crate::bulk::{BulkReport, ReaderLang, audit_item, ids, refusal_text, refused_by};
use crate::error::{AppError, AppResult, Problem};
use crate::extract::ApiJson;
use crate::i18n::{Lang, msg};
use crate::pages::Shell;
use crate::state::AppState;
use crate::tickets::service;
use aglis_core::bulk::{Outcome, Refusal, TicketAction, fits, ticket_refusal};
use aglis_core::permission::Permission;
use aglis_core::technician::Availability;
use aglis_core::ticket::{Priority, TicketStatus};
use aglis_db::repo::technicians;
use aglis_db::repo::tickets::{self, Ticket};
use aglis_db::{DbError, TransactionTrait};
use axum::body::Bytes;
use axum::extract::State;
use axum::response::Response;
use axum::routing::post;
use axum::{Json, Router};
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn api_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(bulk))
}

pub fn router() -> Router<AppState> {
    Router::new().route("/tickets/bulk", post(page))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TicketBulkRequest {
    /// `assign` (needs `technician_id`), `reprioritise` (needs `priority`) or `close` (resolved tickets).
    #[schema(inline, example = "assign")]
    pub action: TicketAction,
    /// The tickets, at most 500.
    #[schema(min_items = 1, max_items = 500, example = json!([1, 2, 3]))]
    pub ids: Vec<i64>,
    /// `assign`: the technician who leads each ticket.
    pub technician_id: Option<i64>,
    /// `reprioritise`: the new priority.
    #[schema(inline)]
    pub priority: Option<Priority>,
    /// Only say what would happen to each ticket; nothing changes.
    #[serde(default)]
    pub preview: bool,
}

/// A checked bulk request on tickets.
#[derive(Debug, Clone)]
pub struct Command {
    pub action: TicketAction,
    pub ids: Vec<i64>,
    pub technician_id: Option<i64>,
    pub priority: Option<Priority>,
    pub preview: bool,
}

/// The permission an action needs, as for one ticket.
fn needs(action: TicketAction) -> Permission {
    match action {
        TicketAction::Assign | TicketAction::Reprioritise => Permission::TicketsAssign,
        TicketAction::Close => Permission::TicketsClose,
    }
}

/// Sets another priority on one ticket, with its history; only while it is worked on.
pub async fn reprioritise(state: &AppState, t: &Ticket, to: Priority, auth: &Authenticated) -> AppResult<Ticket> {
    if !auth.user.role.can(Permission::TicketsAssign) {
        return Err(AppError::Forbidden(format!("{} may not change priorities", auth.user.role)));
    }
    if let Some(r) = ticket_refusal(TicketAction::Reprioritise, t.status, t.priority, Some(to), false) {
        return Err(AppError::conflict(refusal_text(Lang::En, r)));
    }
    let now = state.now();
    let txn = state.db.begin().await.map_err(DbError::from)?;
    if !tickets::set_priority(&txn, t, to, now).await? {
        return Err(AppError::conflict("someone else changed this ticket just now; reload it"));
    }
    let detail = format!("{} → {to}", t.priority);
    tickets::add_event(&txn, t.id, "priority", None, &detail, Some(auth.user.id), now).await?;
    txn.commit().await.map_err(DbError::from)?;
    tickets::get(&state.db, t.id).await?.ok_or_else(|| AppError::not_found("ticket"))
}

/// The lead technician of an assignment: active, available, and their current load.
async fn lead(state: &AppState, id: Option<i64>) -> AppResult<(i64, i32, i64)> {
    let id = id.ok_or_else(|| AppError::field("technician_id", msg("val.bulk.technician", &[])))?;
    let tech = technicians::get(&state.db, id)
        .await?
        .ok_or_else(|| AppError::field("technician_id", msg("val.unknown.technician", &[("id", &id)])))?;
    if !tech.is_active || tech.availability != Availability::Available {
        let why = msg("val.bulk.technician_away", &[("name", &tech.full_name)]);
        return Err(AppError::field("technician_id", why));
    }
    let load = tickets::active_load(&state.db, &[id]).await?.first().map_or(0, |(_, n)| *n);
    Ok((id, tech.max_daily_tickets, load))
}

/// Runs (or previews) `cmd` on each ticket as `auth`; reasons in `lang`.
pub async fn run(
    state: &AppState,
    auth: &Authenticated,
    meta: &RequestMeta,
    lang: Lang,
    cmd: Command,
) -> AppResult<BulkReport> {
    if !auth.user.role.can(needs(cmd.action)) {
        return Err(AppError::Forbidden(format!("your role may not {} tickets", cmd.action)));
    }
    let ids = ids(&cmd.ids)?;
    let mut assignee = None;
    match cmd.action {
        TicketAction::Assign => assignee = Some(lead(state, cmd.technician_id).await?),
        TicketAction::Reprioritise if cmd.priority.is_none() => {
            return Err(AppError::field("priority", msg("val.bulk.priority", &[])));
        }
        _ => {}
    }
    let mut report = BulkReport::new(cmd.action.as_str(), cmd.preview);
    for id in ids {
        let t = match tickets::get(&state.db, id).await? {
            Some(t) if service::may_see(&state.db, auth, &t).await? => t,
            _ => {
                report.push(id, "", Outcome::Refused, Some(refusal_text(lang, Refusal::Missing)));
                if !cmd.preview
                    && let Some(item) = report.items.last()
                {
                    audit_item(state, auth, meta, format!("ticket:{id}"), cmd.action.as_str(), item).await?;
                }
                continue;
            }
        };
        let same_lead = assignee.is_some_and(|(lead, _, _)| t.lead_technician_id == Some(lead));
        let mut refusal = ticket_refusal(cmd.action, t.status, t.priority, cmd.priority, same_lead);
        if let Some((_, max, load)) = assignee
            && refusal.is_none()
            && !fits(load, max)
        {
            refusal = Some(Refusal::TechnicianFull { max });
        }
        let outcome = match refusal {
            Some(r) => Err(refusal_text(lang, r)),
            None if cmd.preview => Ok(Outcome::WouldDo),
            None => {
                let done = match (cmd.action, assignee, cmd.priority) {
                    (TicketAction::Assign, Some((lead, _, _)), _) => service::assign(state, id, lead, &[], auth).await,
                    (TicketAction::Reprioritise, _, Some(p)) => reprioritise(state, &t, p, auth).await,
                    _ => {
                        let input = service::StepInput::default();
                        service::step(state, id, TicketStatus::Closed, input, auth).await
                    }
                };
                match done {
                    Ok(_) => Ok(Outcome::Done),
                    Err(e) => Err(refused_by(lang, e)?),
                }
            }
        };
        // The lead's load grows with each ticket they take (or would take).
        if outcome.is_ok()
            && let Some(a) = assignee.as_mut()
        {
            a.2 += 1;
        }
        match outcome {
            Ok(o) => report.push(id, t.number.clone(), o, None),
            Err(why) => report.push(id, t.number.clone(), Outcome::Refused, Some(why)),
        }
        if !cmd.preview
            && let Some(item) = report.items.last()
        {
            audit_item(state, auth, meta, format!("ticket:{id}"), cmd.action.as_str(), item).await?;
        }
    }
    Ok(report)
}

/// Assigns, re-prioritises or closes many tickets; each is done or refused with the reason (in
/// the reader's language: `?lang=`, `Accept-Language`, Indonesian by default). With `preview`,
/// says what would happen and changes nothing. 403 when the role may not take the action at all.
#[utoipa::path(
    post,
    path = "/api/v1/tickets/bulk",
    tag = "tickets",
    request_body = TicketBulkRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "What became (or would become) of each ticket", body = BulkReport),
        (status = 422, description = "No ids or more than 500, or the action's technician or priority missing, unknown or unavailable", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn bulk(
    State(state): State<AppState>,
    staff: Staff<perm::TicketsView>,
    meta: RequestMeta,
    ReaderLang(lang): ReaderLang,
    ApiJson(req): ApiJson<TicketBulkRequest>,
) -> AppResult<Json<BulkReport>> {
    let cmd = Command {
        action: req.action,
        ids: req.ids,
        technician_id: req.technician_id,
        priority: req.priority,
        preview: req.preview,
    };
    Ok(Json(run(&state, staff.auth(), &meta, lang, cmd).await?))
}

/// The ticket list's bulk bar: the first post previews, the confirmed one runs.
async fn page(
    State(state): State<AppState>,
    shell: Shell,
    staff: Staff<perm::TicketsView>,
    meta: RequestMeta,
    body: Bytes,
) -> AppResult<Response> {
    let form = BulkForm::parse(&body);
    let result = match form.field("action").parse::<TicketAction>() {
        Ok(action) => {
            let cmd = Command {
                action,
                ids: form.ids.clone(),
                technician_id: form.field("technician_id").parse().ok(),
                priority: form.field("priority").parse().ok(),
                preview: !form.confirmed,
            };
            run(&state, staff.auth(), &meta, shell.lang, cmd).await
        }
        Err(_) => Err(AppError::field("action", msg("val.bulk.action", &[]))),
    };
    answer(shell, "bulk.tickets", "/tickets", "/tickets/bulk", &form, result)
}
