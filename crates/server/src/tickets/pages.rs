//! `/tickets`: the staff list, the new-ticket form and a ticket's page (SLA clock, team, readings,
//! history, status steps, assignment); `/my/tickets`: a technician's queue, sized for a phone.
//!
//! Access: roles with `tickets.view` (every staff role) reach these pages, customers get 403. A
//! technician sees open tickets and their own (anything else is a 404), and the list narrows to
//! the tickets they lead, as the API does.

use crate::auth::extract::{Staff, perm};
use crate::auth::session::Authenticated;
use crate::error::{AppError, AppResult, FieldErrors};
use crate::extract::{ApiForm, ApiQuery, IdPath};
use crate::listing::Paging;
use crate::pages::{Shell, render};
use crate::state::AppState;
use crate::tickets::service::{self, StepInput};
use aglis_core::attachment::{self, AttachmentKind};
use aglis_core::permission::{Permission, Role};
use aglis_core::technician::Availability;
use aglis_core::ticket::{self, Priority, StepFacts, StepRefused, TicketScope, TicketSort, TicketStatus, TicketType};
use aglis_core::ticket_completion;
use aglis_core::ticket_draft;
use aglis_core::ticket_response::FirstResponse;
use aglis_db::repo::customers::{self, Customer, CustomerQuery};
use aglis_db::repo::master_data::{self, TicketCategory};
use aglis_db::repo::technicians::{self, Technician};
use aglis_db::repo::tickets::{self, NewTicket, Ticket, TicketQuery};
use aglis_db::repo::users;
use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chrono::{DateTime, Duration, Utc};
use serde::Deserialize;
use std::collections::BTreeMap;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/tickets", get(list).post(create))
        .route("/tickets/new", get(new_form))
        .route("/tickets/{id}", get(show))
        .route("/tickets/{id}/step", post(step))
        .route("/tickets/{id}/assign", post(assign))
        .route("/my/tickets", get(queue))
}

/// Past its resolution deadline (recorded, or due and still worked).
fn overdue(t: &Ticket, now: DateTime<Utc>) -> bool {
    t.breached_at.is_some() || (t.status.is_active() && t.sla_due_at.is_some_and(|d| d < now))
}

/// The field's messages, joined.
fn field_error(errors: &FieldErrors, field: &str) -> String {
    errors.get(field).map(|m| m.join(", ")).unwrap_or_default()
}

/// Customers' names by id, in one query.
async fn customer_names(state: &AppState, list: &[Ticket]) -> AppResult<BTreeMap<i64, String>> {
    let ids: Vec<i64> = list.iter().filter_map(|t| t.customer_id).collect();
    Ok(customers::names(&state.reads, &ids).await?.into_iter().collect())
}

/// A ticket row of the list or the queue.
struct Row {
    t: Ticket,
    customer: String,
    lead: String,
    overdue: bool,
    /// "2 j 15 mnt lagi", "lewat 40 mnt"; empty without a running clock.
    left: String,
}

#[derive(Debug, Deserialize, Default)]
struct ListForm {
    q: Option<String>,
    status: Option<String>,
    priority: Option<String>,
    technician_id: Option<String>,
    scope: Option<String>,
    sort: Option<String>,
    page: Option<u64>,
}

#[derive(Template)]
#[template(path = "tickets/list.html")]
struct ListPage {
    shell: Shell,
    rows: Vec<Row>,
    /// "2417", or "10000+" when the total was counted only that far.
    total: String,
    page: u64,
    pages: u64,
    base_query: String,
    q: String,
    status: String,
    priority: String,
    technician_id: String,
    scope: TicketScope,
    sort: TicketSort,
    /// The technician filter (empty for a technician, whose list is their own).
    technicians: Vec<Technician>,
    can_create: bool,
    /// The search box holds nothing to search by (one letter, punctuation): nothing is listed.
    unsearchable: bool,
}

async fn list(
    State(state): State<AppState>,
    shell: Shell,
    staff: Staff<perm::TicketsView>,
    ApiQuery(f): ApiQuery<ListForm>,
) -> AppResult<Response> {
    let paging = crate::tickets::api::check_depth(Paging::parse(f.page, None)?)?;
    let q = f.q.unwrap_or_default().trim().to_owned();
    // A search finds a ticket whatever its state; the list alone is the work to do.
    let default_scope = if q.is_empty() { TicketScope::Open } else { TicketScope::All };
    let scope = f.scope.as_deref().and_then(|s| s.parse().ok()).unwrap_or(default_scope);
    let sort = f.sort.as_deref().and_then(|s| s.parse().ok()).unwrap_or(TicketSort::Urgent);
    let status = f.status.unwrap_or_default();
    let priority = f.priority.unwrap_or_default();
    let mut technician_id = f.technician_id.unwrap_or_default();
    let auth = staff.auth();
    let is_technician = auth.user.role == Role::Technician;
    if is_technician {
        let me = technicians::by_user(&state.reads, auth.user.id).await?;
        technician_id = me.map_or(-1, |t| t.id).to_string();
    }
    let query = TicketQuery {
        status: status.parse().ok(),
        priority: priority.parse().ok(),
        technician_id: technician_id.parse().ok(),
        customer_id: None,
        member: None,
        search: Some(q.clone()).filter(|q| !q.is_empty()),
        scope: Some(scope),
        sort: Some(sort),
        page: paging.page,
        per_page: paging.per_page,
    };
    // Text that searches for nothing lists nothing (as the API refuses it), not every ticket.
    let unsearchable = !q.is_empty() && aglis_core::ticket::TicketSearch::parse(&q).is_none();
    let (items, total, exact) =
        if unsearchable { (Vec::new(), 0, true) } else { tickets::list(&state.reads, &query).await? };
    let all_technicians = technicians::list(&state.reads, None, None).await?;
    let lead_names: BTreeMap<i64, String> = all_technicians.iter().map(|t| (t.id, t.full_name.clone())).collect();
    let customer_names = customer_names(&state, &items).await?;
    let now = state.now();
    let rows = items
        .into_iter()
        .map(|t| Row {
            customer: t.customer_id.and_then(|c| customer_names.get(&c).cloned()).unwrap_or_default(),
            lead: t.lead_technician_id.and_then(|l| lead_names.get(&l).cloned()).unwrap_or_default(),
            overdue: overdue(&t, now),
            left: t.sla_due_at.filter(|_| t.status.is_active()).map(|d| shell.time_left(&d, &now)).unwrap_or_default(),
            t,
        })
        .collect();
    let filter_technician = if is_technician { String::new() } else { technician_id.clone() };
    let base_query = serde_urlencoded::to_string([
        ("q", &q),
        ("status", &status),
        ("priority", &priority),
        ("technician_id", &filter_technician),
        ("scope", &scope.as_str().to_owned()),
        ("sort", &sort.as_str().to_owned()),
    ])
    .unwrap_or_default();
    render(&ListPage {
        shell,
        rows,
        total: if exact { total.to_string() } else { format!("{total}+") },
        page: paging.page,
        pages: paging.pages(total),
        base_query,
        q,
        status,
        priority,
        technician_id: filter_technician,
        scope,
        sort,
        technicians: if is_technician { Vec::new() } else { all_technicians },
        can_create: auth.user.role.can(Permission::TicketsCreate),
        unsearchable,
    })
}

/// The new-ticket form as typed.
#[derive(Debug, Deserialize, Default, Clone)]
struct TicketForm {
    #[serde(default)]
    customer_id: String,
    #[serde(default, rename = "type")]
    ticket_type: String,
    /// A category code of the type (empty: none).
    #[serde(default)]
    category: String,
    #[serde(default)]
    priority: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    location: String,
}

impl TicketForm {
    /// The ticket to open, or the errors per field (the API's rules, in the page's language).
    fn check(&self, shell: &Shell, customer: Option<&Customer>) -> Result<NewTicket, FieldErrors> {
        let mut errors = FieldErrors::new();
        let mut fail = |field: &str, key: &str| {
            errors.entry(field.to_owned()).or_default().push(shell.t(key).to_owned());
        };
        let ticket_type = self.ticket_type.parse::<TicketType>().ok();
        if ticket_type.is_none() {
            fail("type", "ticket.err.type");
        }
        let priority = self.priority.parse::<Priority>().ok();
        if priority.is_none() {
            fail("priority", "ticket.err.priority");
        }
        let customer_id = self.customer_id.trim();
        if !customer_id.is_empty() && customer.is_none() {
            fail("customer_id", "ticket.err.no_customer");
        }
        let draft = ticket_draft::Draft {
            ticket_type,
            description: &self.description,
            title: &self.title,
            location: &self.location,
            customer_address: customer.map(|c| format!("{}, {}", c.address, c.city)),
        };
        let text = ticket_draft::check(&draft).map_err(|problems| {
            for p in problems {
                // A typed id that names no customer already says so.
                if p != ticket_draft::Problem::NoCustomer || customer_id.is_empty() {
                    fail(p.field(), p.key());
                }
            }
        });
        match (ticket_type, priority, text) {
            (Some(ticket_type), Some(priority), Ok(text)) if errors.is_empty() => Ok(NewTicket {
                customer_id: customer.map(|c| c.id),
                registration_id: None,
                ticket_type,
                category: String::new(),
                priority,
                title: text.title,
                description: text.description,
                location: text.location,
                latitude: customer.and_then(|c| c.latitude),
                longitude: customer.and_then(|c| c.longitude),
            }),
            _ => Err(errors),
        }
    }
}

#[derive(Template)]
#[template(path = "tickets/form.html")]
struct FormPage {
    shell: Shell,
    form: TicketForm,
    /// The customer the typed id names.
    customer: Option<Customer>,
    /// The customer search (`cq`) and its first matches.
    cq: String,
    matches: Vec<Customer>,
    /// The categories offered, grouped by ticket type in the form's select.
    categories: Vec<TicketCategory>,
    errors: FieldErrors,
}

impl FormPage {
    fn error(&self, field: &str) -> String {
        self.shell.say(&field_error(&self.errors, field))
    }

    /// The offered categories of type `t`, with their names in the page's language.
    fn categories_of(&self, t: &TicketType) -> Vec<(String, String)> {
        self.categories
            .iter()
            .filter(|c| c.ticket_type == *t)
            .map(|c| (c.code.clone(), crate::master::name_in(&self.shell, &c.name_id, &c.name_en).to_owned()))
            .collect()
    }

    fn types(&self) -> &'static [TicketType] {
        TicketType::ALL
    }

    fn priorities(&self) -> &'static [Priority] {
        Priority::ALL
    }
}

async fn customer_of(state: &AppState, raw: &str) -> AppResult<Option<Customer>> {
    match raw.trim().parse::<i64>() {
        Ok(id) if id > 0 => Ok(customers::get(&state.db, id).await?),
        _ => Ok(None),
    }
}

async fn form_page(
    state: &AppState,
    shell: Shell,
    form: TicketForm,
    cq: String,
    errors: FieldErrors,
) -> AppResult<Response> {
    let customer = customer_of(state, &form.customer_id).await?;
    let matches = if cq.trim().is_empty() {
        Vec::new()
    } else {
        let query = CustomerQuery { q: Some(cq.clone()), page: 1, per_page: 10, ..CustomerQuery::default() };
        customers::list(&state.reads, &query).await?.items
    };
    let categories = master_data::categories(&state.reads, true).await?;
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    Ok((status, render(&FormPage { shell, form, customer, cq, matches, categories, errors })?).into_response())
}

#[derive(Debug, Deserialize, Default)]
struct NewQuery {
    cq: Option<String>,
    customer_id: Option<String>,
}

async fn new_form(
    State(state): State<AppState>,
    shell: Shell,
    _staff: Staff<perm::TicketsCreate>,
    ApiQuery(q): ApiQuery<NewQuery>,
) -> AppResult<Response> {
    let form = TicketForm {
        customer_id: q.customer_id.unwrap_or_default(),
        ticket_type: TicketType::Repair.as_str().into(),
        priority: Priority::Normal.as_str().into(),
        ..TicketForm::default()
    };
    form_page(&state, shell, form, q.cq.unwrap_or_default(), FieldErrors::new()).await
}

async fn create(
    State(state): State<AppState>,
    shell: Shell,
    staff: Staff<perm::TicketsCreate>,
    ApiForm(form): ApiForm<TicketForm>,
) -> AppResult<Response> {
    let customer = customer_of(&state, &form.customer_id).await?;
    let mut new = match form.check(&shell, customer.as_ref()) {
        Ok(n) => n,
        Err(errors) => return form_page(&state, shell, form, String::new(), errors).await,
    };
    new.category = match crate::master::ticket_category(&state.db, new.ticket_type, &form.category).await {
        Ok(code) => code,
        Err(AppError::Validation { fields, .. }) => return form_page(&state, shell, form, String::new(), fields).await,
        Err(e) => return Err(e),
    };
    match service::create(&state, new, Some(staff.auth().user.id)).await {
        Ok(t) => Ok(Redirect::to(&format!("/tickets/{}", t.id)).into_response()),
        Err(AppError::Validation { fields, .. }) => form_page(&state, shell, form, String::new(), fields).await,
        Err(e) => Err(e),
    }
}

/// The resolution clock as the page shows it.
struct SlaView {
    target: String,
    elapsed: String,
    percent: u32,
    /// The bar's width (at most 100).
    bar: u32,
    paused: bool,
    breached: bool,
    /// When the target was (or will be) reached.
    due_at: Option<DateTime<Utc>>,
    breached_at: Option<DateTime<Utc>>,
    /// Working time left, while not breached.
    left: String,
    calendar: &'static str,
    stopped: bool,
}

/// A file of the ticket as the page lists it.
struct FileRow {
    a: aglis_db::repo::ticket_attachments::Attachment,
    /// Who added it.
    by: String,
    can_delete: bool,
}

/// The first-response promise as the page shows it.
struct ResponseView {
    /// `pending`, `met` or `breached`.
    state: &'static str,
    target: String,
    due_at: Option<DateTime<Utc>>,
    responded_at: Option<DateTime<Utc>>,
    /// Time left, or how early / late the answer came.
    left: String,
}

/// A history entry with who made it.
struct EventRow {
    at: DateTime<Utc>,
    kind: String,
    /// What happened, in the page's language (statuses by name).
    title: String,
    detail: String,
    actor: String,
}

#[derive(Template)]
#[template(path = "tickets/show.html")]
struct ShowPage {
    shell: Shell,
    t: Ticket,
    customer: Option<Customer>,
    /// The category's name in the page's language (its code when it left the list; empty: none).
    category: String,
    sla: SlaView,
    /// (technician, `lead` or `member`)
    team: Vec<(Technician, String)>,
    readings: Vec<(String, String)>,
    history: Vec<EventRow>,
    /// The steps this person may take from here (besides resolving, which has its own form).
    steps: Vec<TicketStatus>,
    can_resolve: bool,
    /// The readings resolving needs for this type.
    needed: &'static [&'static str],
    /// Readings chosen from a list (the ODP, the new package): value and label of each option.
    choices: BTreeMap<&'static str, Vec<(String, String)>>,
    /// The option chosen before anything is typed (the customer's own ODP).
    preselected: BTreeMap<&'static str, String>,
    can_assign: bool,
    /// Active technicians with their load, for the assignment form.
    candidates: Vec<(Technician, i64)>,
    /// What was typed in a refused form.
    typed: BTreeMap<String, String>,
    /// A refusal that names no field.
    message: String,
    errors: FieldErrors,
    /// Where "back" goes: the queue for a technician.
    back: &'static str,
    files: Vec<FileRow>,
    /// The kinds this person may add (empty: no upload form).
    upload_kinds: Vec<AttachmentKind>,
    /// The completion photos resolving needs, with the file of each kind if there is one.
    photos: Vec<(AttachmentKind, Option<i64>)>,
    first: ResponseView,
    comment_max: usize,
}

impl ShowPage {
    fn error(&self, field: &str) -> String {
        field_error(&self.errors, field)
    }

    fn typed(&self, field: &str) -> &str {
        self.typed.get(field).map_or("", String::as_str)
    }

    fn typed_reading(&self, key: &str) -> &str {
        self.typed(&format!("completion.{key}"))
    }

    /// The options of a reading chosen from a list.
    fn choices(&self, key: &str) -> Option<&Vec<(String, String)>> {
        self.choices.get(key)
    }

    fn is_chosen(&self, key: &str, value: &str) -> bool {
        let typed = self.typed_reading(key);
        if typed.is_empty() { self.preselected.get(key).is_some_and(|v| v == value) } else { typed == value }
    }

    fn reading_error(&self, key: &str) -> String {
        self.error(&format!("completion.{key}"))
    }

    fn is_member(&self, id: &i64) -> bool {
        self.team.iter().any(|(t, role)| t.id == *id && role == "member")
    }

    fn is_lead(&self, id: &i64) -> bool {
        self.t.lead_technician_id == Some(*id)
    }

    fn overdue(&self) -> bool {
        self.sla.breached
    }

    /// Steps that need a reason in the history.
    fn needs_note(&self, s: &TicketStatus) -> bool {
        matches!(
            s,
            TicketStatus::Cancelled
                | TicketStatus::Reopened
                | TicketStatus::WaitingCustomer
                | TicketStatus::PendingParts
        )
    }

    /// The steps that move the work forward (shown as the main button).
    fn forward(&self, s: &TicketStatus) -> bool {
        matches!(s, TicketStatus::OnTheWay | TicketStatus::InProgress | TicketStatus::Closed)
    }

    /// Readings typed as numbers.
    fn numeric(&self, key: &str) -> bool {
        matches!(key, "odp_id" | "odp_port" | "new_package_id" | "final_attenuation")
    }

    fn photo_error(&self, kind: &AttachmentKind) -> String {
        self.error(&format!("photo.{kind}"))
    }

    /// "1,2 MB" / "340 KB".
    fn size(&self, bytes: &i64) -> String {
        if *bytes >= 1024 * 1024 {
            format!("{:.1} MB", *bytes as f64 / 1024.0 / 1024.0).replace('.', self.shell.t("ticket.att.decimal"))
        } else {
            format!("{} KB", (*bytes + 1023) / 1024)
        }
    }

    fn missing_photos(&self) -> bool {
        self.photos.iter().any(|(_, f)| f.is_none())
    }
}

/// `5j 12m` / `5h 12m`.
fn span(shell: &Shell, d: Duration) -> String {
    let m = d.num_minutes().abs();
    let (h, m) = (m / 60, m % 60);
    if h > 0 {
        format!("{h}{} {m}{}", shell.t("ticket.unit_h"), shell.t("ticket.unit_m"))
    } else {
        format!("{m}{}", shell.t("ticket.unit_m"))
    }
}

/// A completion photo the ticket's type needs, and the newest file of that kind.
type CompletionPhoto = (AttachmentKind, Option<i64>);

/// The ticket's files for the page (`name` gives an uploader's name), the kinds `auth` may add,
/// and its completion photos.
fn files_of(
    auth: &Authenticated,
    t: &Ticket,
    on_team: bool,
    list: Vec<aglis_db::repo::ticket_attachments::Attachment>,
    name: impl Fn(i64) -> String,
) -> (Vec<FileRow>, Vec<AttachmentKind>, Vec<CompletionPhoto>) {
    let mut files = Vec::new();
    for a in list {
        let by = a.uploaded_by.map(&name).unwrap_or_default();
        let mine = a.uploaded_by == Some(auth.user.id);
        let can_delete = attachment::may_delete(auth.user.role, mine, t.status.is_active());
        files.push(FileRow { a, by, can_delete });
    }
    let upload_kinds: Vec<AttachmentKind> =
        AttachmentKind::ALL.iter().copied().filter(|k| attachment::may_add(auth.user.role, on_team, *k)).collect();
    let photos = ticket_completion::required_photos(t.ticket_type)
        .iter()
        .map(|k| (*k, files.iter().rev().find(|f| f.a.kind == *k).map(|f| f.a.id)))
        .collect();
    (files, upload_kinds, photos)
}

fn response_view(shell: &Shell, r: &FirstResponse) -> ResponseView {
    ResponseView {
        state: r.state.as_str(),
        target: span(shell, r.target),
        due_at: r.due_at,
        responded_at: r.responded_at,
        left: span(shell, r.left),
    }
}

async fn show_page(
    state: &AppState,
    shell: Shell,
    auth: &Authenticated,
    id: i64,
    typed: BTreeMap<String, String>,
    errors: FieldErrors,
) -> AppResult<ShowPage> {
    let v = crate::tickets::view::view(state, &state.db, auth, id).await?;
    let (t, clock, who) = (v.t, v.clock, v.who);
    let sla = SlaView {
        target: span(&shell, clock.target),
        elapsed: span(&shell, clock.elapsed),
        percent: clock.percent_elapsed(),
        bar: clock.percent_elapsed().min(100),
        paused: clock.paused,
        breached: clock.breached() || t.breached_at.is_some(),
        due_at: clock.due_at,
        breached_at: t.breached_at.or(if clock.breached() { clock.due_at } else { None }),
        left: span(&shell, clock.remaining()),
        calendar: shell.t_prefixed("ticket.calendar.", t.targets().calendar.as_str()),
        stopped: !t.status.is_active(),
    };
    let customer = match t.customer_id {
        Some(c) => customers::get(&state.db, c).await?,
        None => None,
    };
    let ids: Vec<i64> = v.team.iter().map(|(tech, _)| *tech).collect();
    let mut found = technicians::get_many(&state.db, &ids).await?;
    let team: Vec<(Technician, String)> = v
        .team
        .into_iter()
        .filter_map(|(tech, role)| found.iter().position(|x| x.id == tech).map(|i| (found.swap_remove(i), role)))
        .collect();
    // The names of everyone in the history and of every uploader, in one query.
    let files = aglis_db::repo::ticket_attachments::list(&state.db, t.id).await?;
    let mut people: Vec<i64> =
        v.events.iter().filter_map(|e| e.actor_id).chain(files.iter().filter_map(|a| a.uploaded_by)).collect();
    people.sort_unstable();
    people.dedup();
    let names = users::full_names(&state.db, &people).await?;
    let name = |id: Option<i64>| id.and_then(|i| names.get(&i).cloned()).unwrap_or_default();
    let history = v
        .events
        .into_iter()
        .map(|e| {
            let change = e.from_status.zip(e.to_status).map(|(from, to)| (from.as_str(), to.as_str()));
            let said = crate::tickets::history::describe(shell.lang, &e.kind, change, &e.detail);
            EventRow { at: e.at, actor: name(e.actor_id), kind: e.kind, title: said.title, detail: said.detail }
        })
        .collect();
    // The steps the person's role allows from here; assignment from open has its own form.
    let readings = readings_view(state, &shell, t.completion_readings().as_ref(), who).await?;
    let needed = ticket_completion::required(t.ticket_type);
    let facts = StepFacts { has_lead: true, has_reason: true };
    let allowed =
        |to: TicketStatus| !matches!(ticket::check_step(t.status, to, who, facts), Err(StepRefused::Role { .. }));
    let can_assign = auth.user.role.can(Permission::TicketsAssign) && t.status.is_active();
    let steps: Vec<TicketStatus> = t
        .status
        .next()
        .iter()
        .copied()
        .filter(|s| *s != TicketStatus::Resolved && allowed(*s))
        .filter(|s| !(*s == TicketStatus::Assigned && matches!(t.status, TicketStatus::Open | TicketStatus::Reopened)))
        .collect();
    let can_resolve = t.status.next().contains(&TicketStatus::Resolved) && allowed(TicketStatus::Resolved);
    let candidates = if can_assign {
        let techs: Vec<Technician> =
            technicians::list(&state.db, None, None).await?.into_iter().filter(|x| x.is_active).collect();
        let ids: Vec<i64> = techs.iter().map(|x| x.id).collect();
        let loads: BTreeMap<i64, i64> = tickets::active_load(&state.db, &ids).await?.into_iter().collect();
        let mut c: Vec<(Technician, i64)> =
            techs.into_iter().map(|x| (x.id, x)).map(|(id, x)| (x, loads.get(&id).copied().unwrap_or(0))).collect();
        c.sort_by_key(|(x, load)| (x.availability != Availability::Available, *load >= i64::from(x.max_daily_tickets)));
        c
    } else {
        Vec::new()
    };
    let (choices, preselected) =
        if can_resolve { reading_choices(state, needed, customer.as_ref()).await? } else { Default::default() };
    let (files, upload_kinds, photos) = files_of(auth, &t, who.on_team, files, |id| name(Some(id)));
    let first = response_view(&shell, &v.first_response);
    let category = match master_data::category_of(&state.reads, t.ticket_type, &t.category).await? {
        Some(c) => crate::master::name_in(&shell, &c.name_id, &c.name_en).to_owned(),
        None => t.category.clone(),
    };
    // Errors no form on the page shows by its field go in the message at the top.
    let shown = |field: &str| {
        (field == "note" && !steps.is_empty())
            || (field.starts_with("completion") && can_resolve)
            || (field.starts_with("photo.") && can_resolve)
            || field == "comment"
            || (matches!(field, "technician_id" | "members") && can_assign)
    };
    let message =
        errors.iter().filter(|(f, _)| !shown(f)).flat_map(|(_, m)| m.iter().cloned()).collect::<Vec<_>>().join(", ");
    Ok(ShowPage {
        category,
        needed,
        choices,
        preselected,
        files,
        upload_kinds,
        photos,
        first,
        comment_max: crate::tickets::comments::COMMENT_MAX,
        back: if auth.user.role == Role::Technician { "/my/tickets" } else { "/tickets" },
        shell,
        customer,
        sla,
        team,
        readings,
        history,
        steps,
        can_resolve,
        can_assign,
        candidates,
        typed,
        message,
        errors,
        t,
    })
}

async fn show(
    State(state): State<AppState>,
    shell: Shell,
    staff: Staff<perm::TicketsView>,
    IdPath(id): IdPath,
) -> AppResult<Response> {
    render(&show_page(&state, shell, staff.auth(), id, BTreeMap::new(), FieldErrors::new()).await?)
}

/// A refused action re-shows the ticket with the message (422, 409, 403, 413 or 415); success
/// goes back to it (at `#anchor` when given).
pub(crate) async fn after_action<T>(
    state: &AppState,
    shell: Shell,
    auth: &Authenticated,
    id: i64,
    typed: BTreeMap<String, String>,
    result: AppResult<T>,
    anchor: &str,
) -> AppResult<Response> {
    let (status, errors) = match result {
        Ok(_) if anchor.is_empty() => return Ok(Redirect::to(&format!("/tickets/{id}")).into_response()),
        Ok(_) => return Ok(Redirect::to(&format!("/tickets/{id}#{anchor}")).into_response()),
        Err(AppError::Validation { fields, .. }) => (StatusCode::UNPROCESSABLE_ENTITY, fields),
        Err(AppError::Conflict { detail, mut fields }) => {
            if fields.is_empty() {
                fields.insert("form".into(), vec![detail]);
            }
            (StatusCode::CONFLICT, fields)
        }
        Err(AppError::Forbidden(detail)) => (StatusCode::FORBIDDEN, FieldErrors::from([("form".into(), vec![detail])])),
        Err(AppError::PayloadTooLarge(detail)) => {
            (StatusCode::PAYLOAD_TOO_LARGE, FieldErrors::from([("file".into(), vec![detail])]))
        }
        Err(AppError::UnsupportedMediaType(detail)) => {
            (StatusCode::UNSUPPORTED_MEDIA_TYPE, FieldErrors::from([("file".into(), vec![detail])]))
        }
        Err(e) => return Err(e),
    };
    let page = show_page(state, shell, auth, id, typed, errors).await?;
    Ok((status, render(&page)?).into_response())
}

/// A form's fields in order, repeated names kept (`members`).
type Fields = Vec<(String, String)>;

fn one(fields: &Fields, name: &str) -> String {
    fields.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()).unwrap_or_default()
}

/// The typed readings as the service takes them: whole numbers and dBm as numbers, blanks left out.
/// The lists the resolve form offers for readings that name a record: ODPs with a free port
/// (and the customer's own, chosen first) and the packages on sale.
async fn reading_choices(
    state: &AppState,
    needed: &[&str],
    customer: Option<&Customer>,
) -> AppResult<(BTreeMap<&'static str, Vec<(String, String)>>, BTreeMap<&'static str, String>)> {
    let mut choices = BTreeMap::new();
    let mut preselected = BTreeMap::new();
    if needed.contains(&"odp_id") {
        let mut odps = aglis_db::repo::odps::with_free_ports(&state.db).await?;
        if let Some(own) = customer.and_then(|c| c.odp_id) {
            if !odps.iter().any(|o| o.id == own)
                && let Some(o) = aglis_db::repo::odps::get(&state.db, own).await?
            {
                odps.insert(0, o);
            }
            preselected.insert("odp_id", own.to_string());
        }
        choices.insert(
            "odp_id",
            odps.into_iter().map(|o| (o.id.to_string(), format!("{} · {}", o.code, o.area))).collect(),
        );
    }
    if needed.contains(&"new_package_id") {
        let packages = aglis_db::repo::packages::list(&state.db, true).await?;
        choices.insert("new_package_id", packages.into_iter().map(|p| (p.id.to_string(), p.name)).collect());
    }
    Ok((choices, preselected))
}

/// The readings as people read them: the ODP by its code, the package by its name, and the
/// Wi-Fi password only for those who may see it.
async fn readings_view(
    state: &AppState,
    shell: &Shell,
    completion: Option<&serde_json::Value>,
    who: ticket::Actor,
) -> AppResult<Vec<(String, String)>> {
    let Some(serde_json::Value::Object(m)) = completion else { return Ok(Vec::new()) };
    let mut out = Vec::new();
    for (k, v) in m {
        let text = v.as_str().map_or_else(|| v.to_string(), str::to_owned);
        let id = v.as_i64().or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()));
        let row = match (k.as_str(), id) {
            ("odp_id", Some(id)) => {
                let code = aglis_db::repo::odps::get(&state.db, id).await?.map_or(text, |o| o.code);
                ("odp_id".to_owned(), code)
            }
            ("new_package_id", Some(id)) => {
                let name = aglis_db::repo::packages::get(&state.db, id).await?.map_or(text, |p| p.name);
                ("new_package_id".to_owned(), name)
            }
            (k, _) if ticket_completion::SECRET_READINGS.contains(&k) && !ticket_completion::may_see_secrets(who) => {
                (k.to_owned(), shell.t("ticket.reading.hidden").to_owned())
            }
            (k, _) => (k.to_owned(), text),
        };
        out.push(row);
    }
    Ok(out)
}

fn readings(fields: &Fields) -> Option<serde_json::Value> {
    let mut map = serde_json::Map::new();
    for (k, v) in fields {
        let Some(key) = k.strip_prefix("completion.") else { continue };
        let v = v.trim();
        if v.is_empty() {
            continue;
        }
        let value = match key {
            "odp_id" | "odp_port" | "new_package_id" => v.parse::<i64>().map(serde_json::Value::from).ok(),
            "final_attenuation" => v.replace(',', ".").parse::<f64>().ok().map(serde_json::Value::from),
            _ => None,
        };
        map.insert(key.to_owned(), value.unwrap_or_else(|| v.to_owned().into()));
    }
    (!map.is_empty()).then_some(serde_json::Value::Object(map))
}

async fn step(
    State(state): State<AppState>,
    shell: Shell,
    staff: Staff<perm::TicketsView>,
    IdPath(id): IdPath,
    ApiForm(fields): ApiForm<Fields>,
) -> AppResult<Response> {
    let auth = staff.auth();
    let note = one(&fields, "note");
    let typed: BTreeMap<String, String> =
        fields.iter().filter(|(k, _)| k == "note" || k.starts_with("completion.")).cloned().collect();
    let result = match one(&fields, "to").parse::<TicketStatus>() {
        Err(e) => Err(AppError::field("to", e.to_string())),
        Ok(_) if note.chars().count() > 2_000 => Err(AppError::field("note", "at most 2000 characters")),
        Ok(to) => {
            let completion = if to == TicketStatus::Resolved { readings(&fields) } else { None };
            service::step(&state, id, to, StepInput { note: Some(note), completion }, auth).await
        }
    };
    after_action(&state, shell, auth, id, typed, result, "").await
}

async fn assign(
    State(state): State<AppState>,
    shell: Shell,
    staff: Staff<perm::TicketsAssign>,
    IdPath(id): IdPath,
    ApiForm(fields): ApiForm<Fields>,
) -> AppResult<Response> {
    let auth = staff.auth();
    let members: Vec<i64> = fields.iter().filter(|(k, _)| k == "members").filter_map(|(_, v)| v.parse().ok()).collect();
    let result = match one(&fields, "technician_id").parse::<i64>() {
        Err(_) => Err(AppError::field("technician_id", shell.t("ticket.err.technician"))),
        Ok(_) if members.len() > 10 => Err(AppError::field("members", "at most 10 technicians on a team")),
        Ok(lead) => service::assign(&state, id, lead, &members, auth).await,
    };
    after_action(&state, shell, auth, id, BTreeMap::new(), result, "").await
}

#[derive(Template)]
#[template(path = "tickets/queue.html")]
struct QueuePage {
    shell: Shell,
    /// `None`: the user has no technician profile.
    profile: Option<Technician>,
    rows: Vec<Row>,
}

async fn queue(State(state): State<AppState>, shell: Shell, staff: Staff<perm::TicketsView>) -> AppResult<Response> {
    let Some(me) = technicians::by_user(&state.db, staff.auth().user.id).await? else {
        return render(&QueuePage { shell, profile: None, rows: Vec::new() });
    };
    // Their active tickets, one small indexed query per working status.
    let mut mine = Vec::new();
    for s in TicketStatus::ALL.iter().filter(|s| s.is_active() && **s != TicketStatus::Open) {
        let q =
            TicketQuery { status: Some(*s), technician_id: Some(me.id), page: 1, per_page: 100, ..Default::default() };
        mine.extend(tickets::list(&state.db, &q).await?.0);
    }
    mine.sort_by_key(|t| (t.sla_due_at.is_none(), t.sla_due_at, t.id));
    let names = customer_names(&state, &mine).await?;
    let now = state.now();
    let rows = mine
        .into_iter()
        .map(|t| Row {
            customer: t.customer_id.and_then(|c| names.get(&c).cloned()).unwrap_or_default(),
            lead: me.full_name.clone(),
            overdue: overdue(&t, now),
            left: t.sla_due_at.map(|d| shell.time_left(&d, &now)).unwrap_or_default(),
            t,
        })
        .collect();
    render(&QueuePage { shell, profile: Some(me), rows })
}
