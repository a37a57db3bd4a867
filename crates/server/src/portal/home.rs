//! What the customer reads: their record with package, service status and what is owed, and
//! their tickets as a customer follows them (the time the SLA promises, the technician, a
//! timeline without staff-only entries). The API and the pages both build from here.

use super::extract::PortalCustomer;
use super::tickets as own_tickets;
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::tickets::attachments::AttachmentOut;
use aglis_core::customer::CustomerStatus;
use aglis_core::prepaid::BillingMode;
use aglis_core::ticket::TicketStatus;
use aglis_db::repo::customers::{self, Customer};
use aglis_db::repo::invoices::{self, Invoice};
use aglis_db::repo::tickets::Ticket;
use aglis_db::repo::{ledger as ledger_repo, packages, technicians, ticket_attachments, ticket_detail, users};
use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use std::collections::HashMap;
use utoipa::ToSchema;

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PackageOut {
    pub id: i64,
    pub name: String,
    pub speed_mbps: i32,
    /// Whole rupiah a month, before PPN.
    pub monthly_price: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MeOut {
    pub id: i64,
    /// The customer code (`AGLS…`), also a way to sign in.
    pub code: String,
    pub name: String,
    /// `628…`.
    pub phone: String,
    pub email: Option<String>,
    pub address: String,
    pub city: String,
    /// prospect, active, suspended or terminated.
    #[schema(value_type = String)]
    pub status: CustomerStatus,
    /// Why the service is suspended, as recorded.
    pub status_note: Option<String>,
    /// `id` or `en`.
    pub language: String,
    #[schema(value_type = String)]
    pub billing_mode: BillingMode,
    /// Prepaid: the last day paid for.
    pub paid_until: Option<NaiveDate>,
    pub package: Option<PackageOut>,
    /// What is owed now, whole rupiah (negative: in credit).
    pub balance: i64,
    /// Unpaid invoices, the oldest due first.
    pub unpaid_invoices: Vec<i64>,
    pub open_tickets: u64,
}

/// The customer as the portal shows them.
pub async fn me(state: &AppState, c: &Customer) -> AppResult<MeOut> {
    let package = packages::get(&state.reads, c.package_id).await?.map(|p| PackageOut {
        id: p.id,
        name: p.name,
        speed_mbps: p.speed_mbps,
        monthly_price: p.monthly_price,
    });
    let status_note = if c.status == CustomerStatus::Suspended {
        // The newest status event reads `suspended: <the reason staff gave>`: the reason only.
        customers::events(&state.reads, c.id)
            .await?
            .into_iter()
            .find(|e| e.kind == "status")
            .and_then(|e| e.detail.split_once(": ").map(|(_, why)| why.trim().to_owned()))
            .filter(|why| !why.is_empty())
    } else {
        None
    };
    let unpaid = invoices::unpaid_of_customer(&state.reads, c.id).await?;
    let open_tickets = open_ticket_count(state, c.id).await?;
    Ok(MeOut {
        id: c.id,
        code: c.code.clone(),
        name: c.name.clone(),
        phone: c.phone.clone(),
        email: c.email.clone(),
        address: c.address.clone(),
        city: c.city.clone(),
        status: c.status,
        status_note,
        language: c.language.as_str().to_owned(),
        billing_mode: c.billing_mode,
        paid_until: c.paid_until,
        package,
        balance: ledger_repo::balance(&state.reads, c.id).await?,
        unpaid_invoices: unpaid.iter().map(|i| i.id).collect(),
        open_tickets,
    })
}

async fn open_ticket_count(state: &AppState, customer_id: i64) -> AppResult<u64> {
    Ok(aglis_db::repo::ticket_stats::open_of_customer(&state.reads, customer_id).await?)
}

/// The customer's own invoice `id` (not a draft), else 404.
pub async fn own_invoice(state: &AppState, pc: &PortalCustomer, id: i64) -> AppResult<Invoice> {
    invoices::get(&state.reads, id)
        .await?
        .filter(|i| i.customer_id == pc.customer.id && i.status != aglis_core::invoice::InvoiceStatus::Draft)
        .ok_or_else(|| AppError::not_found("invoice"))
}

/// The customer's unpaid invoices, the oldest due first.
pub async fn unpaid(state: &AppState, c: &Customer) -> AppResult<Vec<Invoice>> {
    Ok(invoices::unpaid_of_customer(&state.reads, c.id).await?)
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TechnicianOut {
    pub name: String,
    /// `628…`, to call or message.
    pub phone: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PortalTicket {
    pub id: i64,
    pub number: String,
    #[serde(rename = "type")]
    pub ticket_type: String,
    pub priority: String,
    pub status: String,
    pub title: String,
    pub description: String,
    pub created_at: DateTime<Utc>,
    /// When the SLA says it will be fixed (none once resolved or while waiting on the customer).
    pub expected_by: Option<DateTime<Utc>>,
    pub resolved_at: Option<DateTime<Utc>>,
    /// The lead technician, once assigned.
    pub technician: Option<TechnicianOut>,
    pub rating: Option<i32>,
    pub rating_comment: Option<String>,
    /// It is resolved: the customer may confirm it or reopen it.
    pub can_confirm: bool,
    pub can_reopen: bool,
    pub can_rate: bool,
}

/// Tickets as the customer sees them (technicians read in one pass).
pub async fn portal_tickets(state: &AppState, list: Vec<Ticket>) -> AppResult<Vec<PortalTicket>> {
    let mut techs: HashMap<i64, TechnicianOut> = HashMap::new();
    for id in list.iter().filter_map(|t| t.lead_technician_id) {
        if let std::collections::hash_map::Entry::Vacant(slot) = techs.entry(id)
            && let Some(t) = technicians::get(&state.reads, id).await?
        {
            slot.insert(TechnicianOut { name: t.full_name, phone: t.phone });
        }
    }
    Ok(list
        .into_iter()
        .map(|t| {
            let done = matches!(t.status, TicketStatus::Resolved | TicketStatus::Closed);
            PortalTicket {
                technician: t.lead_technician_id.and_then(|id| techs.get(&id).cloned()),
                id: t.id,
                number: t.number,
                ticket_type: t.ticket_type.as_str().to_owned(),
                priority: t.priority.as_str().to_owned(),
                status: t.status.as_str().to_owned(),
                title: t.title,
                description: t.description,
                created_at: t.created_at,
                expected_by: t.sla_due_at.filter(|_| t.status.is_active() && t.status != TicketStatus::Resolved),
                resolved_at: t.resolved_at,
                can_confirm: t.status == TicketStatus::Resolved,
                can_reopen: done,
                can_rate: done && t.rating.is_none(),
                rating: t.rating,
                rating_comment: t.rating_comment,
            }
        })
        .collect())
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TimelineEntry {
    /// created, status, assigned, comment, attachment or rating.
    pub kind: String,
    /// For a status step: the status reached.
    pub status: Option<String>,
    /// A comment's text, a step's reason, the rating.
    pub text: String,
    /// `you`, `staff` or `technician`.
    pub by: String,
    pub by_name: Option<String>,
    pub at: DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PortalTicketDetail {
    #[serde(flatten)]
    pub ticket: PortalTicket,
    /// Oldest first.
    pub timeline: Vec<TimelineEntry>,
    pub attachments: Vec<AttachmentOut>,
}

/// What a customer reads of the history: staff-only entries (escalations, SLA breaches, edits)
/// are left out.
const SHOWN: [&str; 6] = ["created", "status", "assigned", "comment", "attachment", "rating"];

pub async fn ticket_detail(state: &AppState, pc: &PortalCustomer, id: i64) -> AppResult<PortalTicketDetail> {
    let t = own_tickets::own(state, pc, id).await?;
    let children = ticket_detail::children(&state.reads, t.id).await?;
    let actor_ids: Vec<i64> = children.events.iter().filter_map(|e| e.actor_id).collect();
    let people = users::full_names(&state.reads, &actor_ids).await?;
    let roles: HashMap<i64, aglis_core::permission::Role> = {
        let mut m = HashMap::new();
        for id in &actor_ids {
            if !m.contains_key(id)
                && let Some(u) = users::get(&state.reads, *id).await?
            {
                m.insert(*id, u.role);
            }
        }
        m
    };
    let mut timeline: Vec<TimelineEntry> = children
        .events
        .iter()
        .filter(|e| SHOWN.contains(&e.kind.as_str()))
        .map(|e| {
            let by = match e.actor_id {
                Some(a) if a == pc.auth.user.id => "you",
                Some(a) if roles.get(&a) == Some(&aglis_core::permission::Role::Technician) => "technician",
                _ => "staff",
            };
            let text = match e.kind.as_str() {
                "comment" | "rating" => e.detail.clone(),
                // `assigned → on_the_way: the reason`: the reason only.
                "status" => e.detail.split_once(": ").map(|(_, why)| why.to_owned()).unwrap_or_default(),
                _ => String::new(),
            };
            TimelineEntry {
                kind: e.kind.clone(),
                status: e.to_status.map(|s| s.as_str().to_owned()),
                text,
                by: by.to_owned(),
                by_name: e.actor_id.filter(|_| by != "you").and_then(|a| people.get(&a).cloned()),
                at: e.at,
            }
        })
        .collect();
    // Read newest first; a stable sort by time keeps the order of entries of one moment.
    timeline.reverse();
    timeline.sort_by_key(|e| e.at);
    let attachments = ticket_attachments::list(&state.reads, t.id)
        .await?
        .into_iter()
        .map(|a| {
            let mut out = AttachmentOut::from(a);
            out.url = format!("/api/v1/portal/tickets/{}/attachments/{}", out.ticket_id, out.id);
            out
        })
        .collect();
    let ticket = portal_tickets(state, vec![t]).await?.pop().ok_or_else(|| AppError::not_found("ticket"))?;
    Ok(PortalTicketDetail { ticket, timeline, attachments })
}
