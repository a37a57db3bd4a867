//! `/admin/sla` and `/api/v1/sla/targets`, `/api/v1/holidays`: the SLA table (first response and
//! resolution per ticket type and priority, each on a calendar) and the public holidays that
//! business-hours clocks skip, for admins and supervisors (`master_data.manage`).
//!
//! Edits take effect at once, as nothing is cached: a ticket reads the table when it is created
//! (and keeps those promises), the SLA check reads the holidays on every run. A changed holiday
//! also moves the stored deadline of the active business-hours tickets it concerns. While no
//! holiday is stored the built-in Indonesian list applies; the first edit stores that list, so
//! the admin edits the list in use.

pub mod api;
pub mod pages;
pub mod service;

/// `/api/v1/sla/targets`, `/api/v1/holidays`.
pub fn api_router() -> utoipa_axum::router::OpenApiRouter<crate::state::AppState> {
    api::api_router()
}

/// `/admin/sla`.
pub fn router() -> axum::Router<crate::state::AppState> {
    pages::router()
}
