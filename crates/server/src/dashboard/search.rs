//! `/search`: the top bar's box. Finds customers by code, phone or name and tickets by number or
//! words, from anywhere, each list limited to what the reader may see.

use crate::auth::extract::{Staff, perm};
use crate::error::AppResult;
use crate::extract::ApiQuery;
use crate::pages::{Shell, render};
use crate::state::AppState;
use aglis_core::permission::{Permission, Role};
use aglis_core::ticket::{TicketScope, TicketSearch};
use aglis_db::repo::customers::{self, Customer, CustomerQuery};
use aglis_db::repo::tickets::{self, Ticket, TicketQuery};
use askama::Template;
use axum::extract::State;
use axum::response::Response;
use serde::Deserialize;

/// Most hits of each kind shown.
const HITS: u64 = 10;

#[derive(Debug, Deserialize, Default)]
pub struct SearchForm {
    q: Option<String>,
}

#[derive(Template)]
#[template(path = "dashboard/search.html")]
struct SearchPage {
    shell: Shell,
    q: String,
    /// The text holds nothing to search by.
    too_short: bool,
    customers: Vec<Customer>,
    tickets: Vec<Ticket>,
}

pub async fn page(
    State(state): State<AppState>,
    shell: Shell,
    staff: Staff<perm::DashboardView>,
    ApiQuery(f): ApiQuery<SearchForm>,
) -> AppResult<Response> {
    let q: String = f.q.unwrap_or_default().trim().chars().take(100).collect();
    let searchable = q.chars().filter(|c| c.is_alphanumeric()).count() >= 2;
    let user = &staff.auth().user;
    let (mut found_customers, mut found_tickets) = (Vec::new(), Vec::new());
    if searchable {
        if user.role.can(Permission::CustomersView) {
            let cq = CustomerQuery { q: Some(q.clone()), page: 1, per_page: HITS, ..Default::default() };
            found_customers = customers::list(&state.reads, &cq).await?.items;
        }
        if user.role.can(Permission::TicketsView) && TicketSearch::parse(&q).is_some() {
            let member = if user.role == Role::Technician {
                Some(aglis_db::repo::technicians::by_user(&state.reads, user.id).await?.map_or(-1, |t| t.id))
            } else {
                None
            };
            let tq = TicketQuery {
                search: Some(q.clone()),
                scope: Some(TicketScope::All),
                member,
                page: 1,
                per_page: HITS,
                ..Default::default()
            };
            found_tickets = tickets::list(&state.reads, &tq).await?.0;
        }
    }
    render(&SearchPage { shell, too_short: !searchable, q, customers: found_customers, tickets: found_tickets })
}
