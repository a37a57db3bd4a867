use aglis_core::ticket::{Priority, TicketStatus, TicketType};
use aglis_core::ticket_sla::CalendarKind;
use sea_orm::entity::prelude::*;

/// Tickets; SLA targets are fixed at creation, `sla_due_at` is the resolution deadline as last computed.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "tickets")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub number: String,
    pub customer_id: Option<i64>,
    pub registration_id: Option<i64>,
    pub ticket_type: TicketType,
    pub category: String,
    pub priority: Priority,
    pub status: TicketStatus,
    pub title: String,
    pub description: String,
    pub location: String,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub lead_technician_id: Option<i64>,
    pub created_by: Option<i64>,
    pub sla_calendar: CalendarKind,
    pub response_minutes: i32,
    pub resolution_minutes: i32,
    pub sla_due_at: Option<DateTimeUtc>,
    pub first_response_at: Option<DateTimeUtc>,
    pub started_at: Option<DateTimeUtc>,
    pub resolved_at: Option<DateTimeUtc>,
    pub closed_at: Option<DateTimeUtc>,
    pub breached_at: Option<DateTimeUtc>,
    pub escalated_high_at: Option<DateTimeUtc>,
    pub escalated_critical_at: Option<DateTimeUtc>,
    pub completion: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    /// The customer's rating of the visit, 1–5 (portal).
    pub rating: Option<i32>,
    pub rating_comment: Option<String>,
    pub rated_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
