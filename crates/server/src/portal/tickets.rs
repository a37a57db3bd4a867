//! A customer's own tickets: report a problem, follow it, comment, confirm the fix or reopen it,
//! and rate the visit. Every function finds the ticket among the customer's own and answers 404
//! for any other id, so nothing about another customer's ticket leaks.

use super::extract::PortalCustomer;
use crate::error::{AppError, AppResult, FieldErrors};
use crate::i18n::msg;
use crate::state::AppState;
use crate::tickets::service::{self, StepInput};
use aglis_core::portal::{self, Problem, RatingRefused};
use aglis_core::ticket::{Priority, TicketStatus, TicketType};
use aglis_core::ticket_draft;
use aglis_db::repo::tickets::{self, NewTicket, Ticket, TicketQuery};
use aglis_db::{DbError, TransactionTrait};
use serde::Deserialize;
use utoipa::ToSchema;

/// What a customer reports. Either `problem` (the portal's choices) or `type`; `priority` may
/// lower or raise it but never to critical.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReportIn {
    /// no_connection, slow, los_red, relocation, upgrade, downgrade or dismantle.
    #[schema(value_type = Option<String>, example = "no_connection")]
    pub problem: Option<Problem>,
    /// repair, upgrade, downgrade, dismantle, survey or wifi_setup (when no `problem` is given).
    #[serde(rename = "type")]
    #[schema(value_type = Option<String>, example = "repair")]
    pub ticket_type: Option<TicketType>,
    /// low, normal or high.
    #[schema(value_type = Option<String>, example = "normal")]
    pub priority: Option<Priority>,
    #[schema(example = "Internet mati sejak pagi, lampu LOS merah")]
    pub description: String,
    pub title: Option<String>,
}

const CUSTOMER_TYPES: [TicketType; 6] = [
    TicketType::Repair,
    TicketType::Upgrade,
    TicketType::Downgrade,
    TicketType::Dismantle,
    TicketType::Survey,
    TicketType::WifiSetup,
];

/// Opens a ticket for the customer's own service.
pub async fn report(state: &AppState, pc: &PortalCustomer, input: ReportIn) -> AppResult<Ticket> {
    let mut errors = FieldErrors::new();
    let (ticket_type, mut priority, title) = match (input.problem, input.ticket_type) {
        (Some(p), _) => {
            let (ty, pr) = p.ticket();
            (ty, pr, p.title().to_owned())
        }
        (None, Some(ty)) if CUSTOMER_TYPES.contains(&ty) => (ty, Priority::Normal, String::new()),
        (None, Some(_)) => {
            errors.entry("type".into()).or_default().push(msg("val.portal.type", &[]));
            (TicketType::Repair, Priority::Normal, String::new())
        }
        (None, None) => {
            errors.entry("problem".into()).or_default().push(msg("val.portal.problem", &[]));
            (TicketType::Repair, Priority::Normal, String::new())
        }
    };
    if let Some(p) = input.priority {
        if portal::customer_priority(p) {
            priority = p;
        } else {
            errors.entry("priority".into()).or_default().push(msg("val.portal.priority", &[]));
        }
    }
    let c = &pc.customer;
    let typed_title = input.title.as_deref().map(str::trim).filter(|t| !t.is_empty());
    let draft = ticket_draft::Draft {
        ticket_type: Some(ticket_type),
        description: &input.description,
        title: typed_title.unwrap_or(&title),
        location: "",
        customer_address: Some(format!("{}, {}", c.address, c.city)),
    };
    let text = ticket_draft::check(&draft);
    if let Err(problems) = &text {
        for p in problems {
            errors.entry(p.field().to_owned()).or_default().push(msg(p.key(), &[]));
        }
    }
    let text = match text {
        Ok(t) if errors.is_empty() => t,
        _ => return Err(AppError::fields(errors)),
    };
    let new = NewTicket {
        customer_id: Some(c.id),
        registration_id: None,
        ticket_type,
        category: input.problem.map(|p| p.as_str().to_owned()).unwrap_or_else(|| "portal".into()),
        priority,
        title: text.title,
        description: text.description,
        location: text.location,
        latitude: c.latitude,
        longitude: c.longitude,
    };
    service::create(state, new, Some(pc.auth.user.id)).await
}

/// The customer's own ticket `id`, else 404.
pub async fn own(state: &AppState, pc: &PortalCustomer, id: i64) -> AppResult<Ticket> {
    tickets::get(&state.reads, id)
        .await?
        .filter(|t| t.customer_id == Some(pc.customer.id))
        .ok_or_else(|| AppError::not_found("ticket"))
}

/// The customer's tickets, newest first.
pub async fn list(
    state: &AppState,
    pc: &PortalCustomer,
    status: Option<TicketStatus>,
    page: u64,
    per_page: u64,
) -> AppResult<(Vec<Ticket>, u64, bool)> {
    let q = TicketQuery {
        status,
        priority: None,
        technician_id: None,
        customer_id: Some(pc.customer.id),
        member: None,
        search: None,
        scope: None,
        sort: None,
        page,
        per_page,
    };
    Ok(tickets::list(&state.reads, &q).await?)
}

/// "It works again": a resolved ticket is closed.
pub async fn confirm(state: &AppState, pc: &PortalCustomer, id: i64) -> AppResult<Ticket> {
    let t = own(state, pc, id).await?;
    if t.status != TicketStatus::Resolved {
        return Err(AppError::conflict(msg("val.portal.confirm_not_resolved", &[])));
    }
    service::step(state, t.id, TicketStatus::Closed, StepInput::default(), &pc.auth).await
}

/// "Still broken": a resolved or closed ticket is reopened, with the customer's reason.
pub async fn reopen(state: &AppState, pc: &PortalCustomer, id: i64, reason: &str) -> AppResult<Ticket> {
    let t = own(state, pc, id).await?;
    if reason.trim().chars().count() < 3 {
        return Err(AppError::field("reason", msg("val.portal.reopen_reason", &[])));
    }
    if !matches!(t.status, TicketStatus::Resolved | TicketStatus::Closed) {
        return Err(AppError::conflict(msg("val.portal.reopen_not_done", &[])));
    }
    let note: String = reason.trim().chars().take(500).collect();
    service::step(state, t.id, TicketStatus::Reopened, StepInput { note: Some(note), completion: None }, &pc.auth).await
}

/// Rates the visit once: 1–5 stars and a comment, shown to supervisors per technician.
pub async fn rate(state: &AppState, pc: &PortalCustomer, id: i64, stars: i32, comment: &str) -> AppResult<Ticket> {
    let t = own(state, pc, id).await?;
    portal::check_rating(stars, t.status, t.rating.is_some()).map_err(|e| match e {
        RatingRefused::OutOfRange => AppError::field("stars", msg("val.portal.stars", &[])),
        RatingRefused::NotFinished => AppError::conflict(msg("val.portal.rate_not_done", &[])),
        RatingRefused::AlreadyRated => AppError::conflict(msg("val.portal.rated", &[])),
    })?;
    let comment: String = comment.trim().chars().take(1_000).collect();
    let now = state.now();
    let txn = state.db.begin().await.map_err(DbError::from)?;
    if !tickets::set_rating(&txn, t.id, stars, &comment, now).await? {
        return Err(AppError::conflict(msg("val.portal.rated", &[])));
    }
    let detail = if comment.is_empty() { format!("{stars}/5") } else { format!("{stars}/5: {comment}") };
    tickets::add_event(&txn, t.id, "rating", None, &detail, Some(pc.auth.user.id), now).await?;
    txn.commit().await.map_err(DbError::from)?;
    own(state, pc, id).await
}
