//! `/api/v1/tickets`: create, list, read (with team, history and SLA clock), status transitions
//! and assignment. Technicians see open tickets and their own; customers only their own.

use crate::auth::extract::{CurrentUser, Staff, perm};
use crate::error::{AppError, AppResult, FieldErrors};
use crate::extract::{ApiJson, ApiQuery, IdPath};
use crate::listing::{Page, PageQuery, Paging};
use crate::state::AppState;
use crate::tickets::service::{self, StepInput};
use aglis_core::permission::Role;
use aglis_core::technician::Availability;
use aglis_core::ticket::{Priority, TicketScope, TicketSort, TicketStatus, TicketType};
use aglis_core::ticket_draft;
use aglis_db::repo::tickets::{self, NewTicket, Ticket, TicketQuery};
use aglis_db::repo::{customers, master_data, technicians};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn api_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(show))
        .routes(routes!(transition))
        .routes(routes!(assign))
        .routes(routes!(suggestions))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TicketOut {
    pub id: i64,
    /// `TKTyyyymmddNNN`.
    pub number: String,
    pub customer_id: Option<i64>,
    #[serde(rename = "type")]
    pub ticket_type: String,
    pub category: String,
    pub priority: String,
    pub status: String,
    pub title: String,
    pub description: String,
    pub location: String,
    pub lead_technician_id: Option<i64>,
    /// Resolution deadline as last computed (none while paused or once resolved).
    pub sla_due_at: Option<DateTime<Utc>>,
    pub breached_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub resolved_at: Option<DateTime<Utc>>,
    /// The statuses it can move to next.
    pub next: Vec<String>,
}

impl From<Ticket> for TicketOut {
    fn from(t: Ticket) -> Self {
        TicketOut {
            next: t.status.next().iter().map(|s| s.as_str().to_owned()).collect(),
            id: t.id,
            number: t.number,
            customer_id: t.customer_id,
            ticket_type: t.ticket_type.as_str().to_owned(),
            category: t.category,
            priority: t.priority.as_str().to_owned(),
            status: t.status.as_str().to_owned(),
            title: t.title,
            description: t.description,
            location: t.location,
            lead_technician_id: t.lead_technician_id,
            sla_due_at: t.sla_due_at,
            breached_at: t.breached_at,
            created_at: t.created_at,
            resolved_at: t.resolved_at,
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    #[param(inline)]
    pub status: Option<TicketStatus>,
    #[param(inline)]
    pub priority: Option<Priority>,
    pub technician_id: Option<i64>,
    pub customer_id: Option<i64>,
    /// A ticket number or its start (`TKT20261125`), or words of the title or the customer's
    /// name, each matched from its start (`siti red`).
    pub q: Option<String>,
    /// Without `status`: `open` (still to be worked: the default without `q`), `done` (resolved,
    /// closed, cancelled) or `all` (the default of a search).
    #[param(inline)]
    pub scope: Option<TicketScope>,
    /// `urgent` (default: past the SLA first, then the SLA time left, then priority; a list that
    /// may hold finished tickets is newest first), `newest` or `oldest`. A text search lists
    /// newest first.
    #[param(inline)]
    pub sort: Option<TicketSort>,
}

/// How deep a ticket list pages: past it, a filter or a search narrows the list (the total is
/// counted that far too).
pub const DEEPEST_ROW: u64 = tickets::TOTAL_CAP;

/// `paging` when it stays within [`DEEPEST_ROW`], else the 422 that says how to narrow the list.
pub fn check_depth(paging: Paging) -> AppResult<Paging> {
    if paging.offset() + paging.per_page > DEEPEST_ROW {
        return Err(AppError::field(
            "page",
            format!(
                "the list pages only through its first {DEEPEST_ROW} tickets: narrow it with a status, a \
                 technician or a search"
            ),
        ));
    }
    Ok(paging)
}

/// The search box's text: `Err` when it holds nothing to search by (one letter, punctuation),
/// which no ticket matches.
fn search_text(q: Option<String>) -> Result<Option<String>, ()> {
    match q.filter(|q| !q.trim().is_empty()) {
        Some(q) if aglis_core::ticket::TicketSearch::parse(&q).is_none() => Err(()),
        q => Ok(q),
    }
}

/// Tickets, the most urgent first and only those still worked unless asked (`scope`, `sort`). A
/// technician gets the tickets they lead or work on; a customer theirs.
#[utoipa::path(get, path = "/api/v1/tickets", tag = "tickets", params(ListParams, PageQuery), security(("bearer" = [])),
    responses((status = 200, body = Page<TicketOut>),))]
async fn list(
    State(state): State<AppState>,
    CurrentUser(auth): CurrentUser,
    ApiQuery(p): ApiQuery<ListParams>,
    paging: Paging,
) -> AppResult<Json<Page<TicketOut>>> {
    let paging = check_depth(paging)?;
    let Ok(search) = search_text(p.q) else {
        return Ok(Json(Page::new(Vec::new(), 0, paging)));
    };
    let default_scope = if search.is_some() { TicketScope::All } else { TicketScope::Open };
    let mut q = TicketQuery {
        status: p.status,
        priority: p.priority,
        technician_id: p.technician_id,
        customer_id: p.customer_id,
        member: None,
        search,
        // A search finds a ticket whatever its state; the list alone is the work to do.
        scope: Some(p.scope.unwrap_or(default_scope)),
        sort: Some(p.sort.unwrap_or(TicketSort::Urgent)),
        page: paging.page,
        per_page: paging.per_page,
    };
    match auth.user.role {
        Role::Technician => {
            let me = technicians::by_user(&state.reads, auth.user.id).await?;
            q.member = Some(me.map_or(-1, |t| t.id));
        }
        Role::Customer => {
            let me = customers::by_user(&state.reads, auth.user.id).await?;
            q.customer_id = Some(me.map_or(-1, |c| c.id));
        }
        _ if !auth.user.role.can(aglis_core::permission::Permission::TicketsView) => {
            return Err(AppError::Forbidden("your role may not see tickets".into()));
        }
        _ => {}
    }
    let (items, total, total_exact) = tickets::list(&state.reads, &q).await?;
    Ok(Json(Page::capped(items.into_iter().map(TicketOut::from).collect(), total, total_exact, paging)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TicketIn {
    pub customer_id: Option<i64>,
    /// installation, repair, maintenance, upgrade, downgrade, wifi_setup, dismantle or survey.
    #[serde(rename = "type")]
    #[schema(inline, example = "repair")]
    pub ticket_type: TicketType,
    /// low, normal, high or critical.
    #[schema(value_type = String, example = "high")]
    pub priority: TicketPriorityIn,
    #[schema(example = "Internet mati sejak pagi, lampu LOS merah")]
    pub description: String,
    /// A short summary (defaults to the description's start).
    pub title: Option<String>,
    pub category: Option<String>,
    /// Where the work is (defaults to the customer's address).
    pub location: Option<String>,
}

/// `priority` as sent (kept apart so the schema documents it as text).
pub type TicketPriorityIn = Priority;

/// Opens a ticket. The customer (if any) is told its number by WhatsApp.
#[utoipa::path(post, path = "/api/v1/tickets", tag = "tickets", request_body = TicketIn, security(("bearer" = [])),
    responses((status = 201, body = TicketOut),))]
async fn create(
    State(state): State<AppState>,
    staff: Staff<perm::TicketsCreate>,
    ApiJson(req): ApiJson<TicketIn>,
) -> AppResult<(StatusCode, Json<TicketOut>)> {
    let customer =
        match req.customer_id {
            Some(id) => Some(customers::get(&state.db, id).await?.ok_or_else(|| {
                AppError::field("customer_id", crate::i18n::msg("val.unknown.customer", &[("id", &id)]))
            })?),
            None => None,
        };
    let draft = ticket_draft::Draft {
        ticket_type: Some(req.ticket_type),
        description: &req.description,
        title: req.title.as_deref().unwrap_or_default(),
        location: req.location.as_deref().unwrap_or_default(),
        customer_address: customer.as_ref().map(|c| format!("{}, {}", c.address, c.city)),
    };
    let text = ticket_draft::check(&draft).map_err(|problems| {
        let mut fields = FieldErrors::new();
        for p in problems {
            fields.entry(p.field().to_owned()).or_default().push(p.message().to_owned());
        }
        AppError::fields(fields)
    })?;
    let category =
        crate::master::ticket_category(&state.db, req.ticket_type, req.category.as_deref().unwrap_or_default()).await?;
    let new = NewTicket {
        customer_id: customer.as_ref().map(|c| c.id),
        registration_id: None,
        ticket_type: req.ticket_type,
        category,
        priority: req.priority,
        title: text.title,
        description: text.description,
        location: text.location,
        latitude: customer.as_ref().and_then(|c| c.latitude),
        longitude: customer.as_ref().and_then(|c| c.longitude),
    };
    let t = service::create(&state, new, Some(staff.0.user.id)).await?;
    Ok((StatusCode::CREATED, Json(t.into())))
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(as = TicketEventOut)]
pub struct EventOut {
    pub kind: String,
    pub from_status: Option<String>,
    pub to_status: Option<String>,
    pub detail: String,
    pub actor_id: Option<i64>,
    pub at: DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SlaOut {
    pub target_minutes: i64,
    pub elapsed_minutes: i64,
    pub percent_elapsed: u32,
    pub paused: bool,
    pub breached: bool,
    pub due_at: Option<DateTime<Utc>>,
    /// `24x7` or `business`.
    pub calendar: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MemberOut {
    pub technician_id: i64,
    /// `lead` or `member`.
    pub role: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TicketDetail {
    #[serde(flatten)]
    pub ticket: TicketOut,
    pub team: Vec<MemberOut>,
    pub sla: SlaOut,
    pub completion: Option<serde_json::Value>,
    /// The first-response promise: the first assignment, status step or comment by staff.
    pub first_response: crate::tickets::first_response::FirstResponseOut,
    /// Newest first (comments are entries of kind `comment`).
    pub history: Vec<EventOut>,
}

/// One ticket with its team, SLA clock and history (404 for a ticket the caller may not see).
#[utoipa::path(get, path = "/api/v1/tickets/{id}", tag = "tickets",
    params(("id" = i64, Path, description = "Ticket id")), security(("bearer" = [])),
    responses((status = 200, body = TicketDetail),))]
async fn show(
    State(state): State<AppState>,
    CurrentUser(auth): CurrentUser,
    IdPath(id): IdPath,
) -> AppResult<Json<TicketDetail>> {
    let v = crate::tickets::view::view(&state, &state.reads, &auth, id).await?;
    let team = v.team.into_iter().map(|(technician_id, role)| MemberOut { technician_id, role }).collect();
    let history = v
        .events
        .into_iter()
        .map(|e| EventOut {
            kind: e.kind,
            from_status: e.from_status.map(|s| s.as_str().to_owned()),
            to_status: e.to_status.map(|s| s.as_str().to_owned()),
            detail: e.detail,
            actor_id: e.actor_id,
            at: e.at,
        })
        .collect();
    let sla = SlaOut {
        target_minutes: v.clock.target.num_minutes(),
        elapsed_minutes: v.clock.elapsed.num_minutes(),
        percent_elapsed: v.clock.percent_elapsed(),
        paused: v.clock.paused,
        breached: v.clock.breached(),
        due_at: v.clock.due_at,
        calendar: v.t.targets().calendar.as_str().to_owned(),
    };
    let (first_response, completion) = (v.first_response.into(), v.completion);
    Ok(Json(TicketDetail { ticket: v.t.into(), team, sla, completion, first_response, history }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TransitionIn {
    /// The next status (see the ticket's `next`).
    #[schema(inline, example = "in_progress")]
    pub to: TicketStatus,
    /// Why (needed to cancel, reopen, wait for the customer or for parts).
    pub note: Option<String>,
    /// Resolving: the readings the ticket's type needs (e.g. `odp_id`, `odp_port`, `final_attenuation`).
    #[schema(value_type = Option<Object>)]
    pub completion: Option<serde_json::Value>,
}

/// Moves a ticket along its life cycle: 409 when the step is not allowed from its status, 403
/// when the caller's role may not take it, 422 when something the step needs is missing.
#[utoipa::path(post, path = "/api/v1/tickets/{id}/transitions", tag = "tickets", request_body = TransitionIn,
    params(("id" = i64, Path, description = "Ticket id")), security(("bearer" = [])),
    responses((status = 200, body = TicketOut),))]
async fn transition(
    State(state): State<AppState>,
    CurrentUser(auth): CurrentUser,
    IdPath(id): IdPath,
    ApiJson(req): ApiJson<TransitionIn>,
) -> AppResult<Json<TicketOut>> {
    if req.note.as_ref().is_some_and(|n| n.chars().count() > 2_000) {
        return Err(AppError::field("note", "at most 2000 characters"));
    }
    let input = StepInput { note: req.note, completion: req.completion };
    Ok(Json(service::step(&state, id, req.to, input, &auth).await?.into()))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssignIn {
    /// The lead technician.
    pub technician_id: i64,
    /// Other technicians on the team, at most 10.
    #[serde(default)]
    #[schema(max_items = 10)]
    pub members: Vec<i64>,
}

/// Puts a lead technician (and team) on a ticket; an open one becomes assigned.
#[utoipa::path(post, path = "/api/v1/tickets/{id}/assign", tag = "tickets", request_body = AssignIn,
    params(("id" = i64, Path, description = "Ticket id")), security(("bearer" = [])),
    responses((status = 200, body = TicketOut),))]
async fn assign(
    State(state): State<AppState>,
    staff: Staff<perm::TicketsAssign>,
    IdPath(id): IdPath,
    ApiJson(req): ApiJson<AssignIn>,
) -> AppResult<Json<TicketOut>> {
    if req.members.len() > 10 {
        return Err(AppError::field("members", "at most 10 technicians on a team"));
    }
    Ok(Json(service::assign(&state, id, req.technician_id, &req.members, &staff.0).await?.into()))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SuggestionOut {
    pub technician_id: i64,
    pub employee_id: String,
    pub full_name: String,
    pub work_zone: String,
    #[schema(inline)]
    pub availability: Availability,
    pub load: i64,
    pub max_daily_tickets: i32,
    /// Sum of their levels in the skills the ticket's type calls for.
    pub skill: i64,
    pub same_area: bool,
    /// Available with spare capacity.
    pub assignable: bool,
    pub score: i64,
}

/// Technicians ranked for a ticket: skill match, area, availability and load (best first;
/// those who cannot take it now come last, so the reason shows).
#[utoipa::path(get, path = "/api/v1/tickets/{id}/suggestions", tag = "tickets",
    params(PageQuery, ("id" = i64, Path, description = "Ticket id")), security(("bearer" = [])),
    responses((status = 200, body = Page<SuggestionOut>),))]
async fn suggestions(
    State(state): State<AppState>,
    _staff: Staff<perm::TicketsAssign>,
    IdPath(id): IdPath,
    paging: Paging,
) -> AppResult<Json<Page<SuggestionOut>>> {
    use aglis_core::ticket_assign::{Candidate, Place, rank};
    let t = tickets::get(&state.reads, id).await?.ok_or_else(|| AppError::not_found("ticket"))?;
    let techs: Vec<_> =
        technicians::list(&state.reads, None, None).await?.into_iter().filter(|t| t.is_active).collect();
    let ids: Vec<i64> = techs.iter().map(|t| t.id).collect();
    // By technician, so that ranking is linear in the team's size.
    let loads: std::collections::HashMap<i64, i64> =
        tickets::active_load(&state.reads, &ids).await?.into_iter().collect();
    let mut skills: std::collections::HashMap<i64, Vec<(String, _)>> = std::collections::HashMap::new();
    for (tech, skill, level) in technicians::all_skills(&state.reads).await? {
        skills.entry(tech).or_default().push((skill, level));
    }
    let mut areas: std::collections::HashMap<i64, Vec<String>> = std::collections::HashMap::new();
    for (tech, area) in technicians::all_areas(&state.reads).await? {
        areas.entry(tech).or_default().push(area);
    }
    let load_of = |id: i64| loads.get(&id).copied().unwrap_or(0);
    let candidates: Vec<Candidate> = techs
        .iter()
        .map(|x| Candidate {
            id: x.id,
            work_zone: x.work_zone.clone(),
            areas: areas.remove(&x.id).unwrap_or_default(),
            available: x.availability == Availability::Available,
            load: load_of(x.id),
            capacity: i64::from(x.max_daily_tickets),
            skills: skills.remove(&x.id).unwrap_or_default(),
        })
        .collect();
    let by_id: std::collections::HashMap<i64, _> = techs.iter().map(|x| (x.id, x)).collect();
    // What the ticket calls for and where it is, from the master data.
    let catalogue = master_data::skill_types(&state.reads).await?;
    let wanted = aglis_core::master::skills_for(t.ticket_type, &catalogue);
    let area = crate::master::area_of(&t.location, &master_data::areas(&state.reads, true).await?);
    let ranked = rank(&wanted, Place { area: area.as_deref(), location: &t.location }, &candidates);
    let all = ranked
        .into_iter()
        .filter_map(|r| {
            let x = by_id.get(&r.id)?;
            Some(SuggestionOut {
                technician_id: x.id,
                employee_id: x.employee_id.clone(),
                full_name: x.full_name.clone(),
                work_zone: x.work_zone.clone(),
                availability: x.availability,
                load: load_of(x.id),
                max_daily_tickets: x.max_daily_tickets,
                skill: r.skill,
                same_area: r.same_area,
                assignable: r.assignable,
                score: r.score,
            })
        })
        .collect();
    Ok(Json(Page::of_all(all, paging)))
}
