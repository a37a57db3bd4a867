//! `GET /api/v1/<list>/export?format=xlsx|csv` for customers, registrations, tickets,
//! technicians, users, messages (`/api/v1/notifications/export`) and the audit log
//! (`/api/v1/audit-logs/export`).
//!
//! Each route takes the list's own filter parameters (its `ListParams`), builds the list's own
//! repository query from them and reads it page by page, so the file holds exactly the rows of
//! the list, in its order; each row is the list's API item (`CustomerOut`, …) as cells.
//!
//! Who may export: the list's view permission **and** an export permission, so exporting is a
//! right of its own (a file leaves the system, where no permission follows it):
//! - customers: `customers.view` + `customers.export` (admin, supervisor, manager);
//! - registrations: `registrations.view` + `registrations.export` (admin, supervisor, manager);
//! - tickets, technicians, messages and users: the view permission + `reports.export` (admin,
//!   supervisor): these lists are reporting material without an export permission of their own;
//! - the audit log: `audit.view` (admins), like its older `export.csv`.

use super::{Cell, Column, Export, Fetch, FormatParam, PAGE_ROWS, Row, col, respond};
use crate::audit::RequestMeta;
use crate::auth::extract::{Staff, perm};
use crate::auth::session::Authenticated;
use crate::error::{AppError, AppResult};
use crate::i18n::Lang;
use crate::state::AppState;
use aglis_core::permission::Permission;
use aglis_core::ticket::{TicketScope, TicketSort};
use aglis_db::repo::{audit_log, customers, messages, packages, registrations, tickets, users};
use axum::extract::{FromRequestParts, RawQuery, State};
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use std::collections::HashMap;
use std::sync::Arc;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn api_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(export_customers))
        .routes(routes!(export_registrations))
        .routes(routes!(export_tickets))
        .routes(routes!(export_technicians))
        .routes(routes!(export_users))
        .routes(routes!(export_messages))
        .routes(routes!(export_audit_log))
}

/// The permission each list's export needs besides the list's own view permission (see the
/// module's documentation); `None` for the audit log, whose view permission is enough.
pub fn export_permission(list: &str) -> Option<Permission> {
    match list {
        "customers" => Some(Permission::CustomersExport),
        "registrations" => Some(Permission::RegistrationsExport),
        "audit_log" => None,
        _ => Some(Permission::ReportsExport),
    }
}

/// Whether `auth`'s role may export `list` (also what decides the pages' Export buttons).
pub fn may_export(role: aglis_core::permission::Role, view: Permission, list: &str) -> bool {
    role.can(view) && export_permission(list).is_none_or(|p| role.can(p))
}

fn require(auth: &Authenticated, list: &str) -> AppResult<()> {
    match export_permission(list) {
        Some(p) if !auth.user.role.can(p) => {
            Err(AppError::Forbidden(format!("your role ({}) does not have the permission {p}", auth.user.role)))
        }
        _ => Ok(()),
    }
}

/// Query parameters of an export: the list's filters (and `format`), as strict as the list's
/// (an empty value is refused as the list refuses it). A wrong value is a 422 naming the
/// parameter. The pages' Export buttons go through [`page_router`], which tidies their forms'
/// query first.
pub struct Filters<T>(pub T);

/// `GET /export/{list}`: where the list pages' Export buttons submit their filter form. The forms
/// send every field, the empty ones too (`status=` for "any"), and their own spellings (the user
/// list's `status=active|inactive`, the technician list's `active=active|inactive|all`): this
/// answers 303 to the API's export with the query as the API takes it ([`normalise`]).
pub fn page_router() -> axum::Router<AppState> {
    axum::Router::new().route("/export/{list}", axum::routing::get(from_page))
}

async fn from_page(
    _staff: Staff<perm::DashboardView>,
    axum::extract::Path(list): axum::extract::Path<String>,
    RawQuery(query): RawQuery,
) -> AppResult<axum::response::Response> {
    const LISTS: [&str; 7] =
        ["customers", "registrations", "tickets", "technicians", "users", "notifications", "audit-logs"];
    if !LISTS.contains(&list.as_str()) {
        return Err(AppError::not_found("list"));
    }
    let path = format!("/api/v1/{list}/export");
    let query = normalise(&path, query.as_deref().unwrap_or_default());
    let to = if query.is_empty() { path } else { format!("{path}?{query}") };
    Ok(axum::response::Redirect::to(&to).into_response())
}

/// The query string `raw` as the list's API parameters (see [`Filters`]).
pub fn normalise(path: &str, raw: &str) -> String {
    let users = path.starts_with("/api/v1/users/");
    let technicians = path.starts_with("/api/v1/technicians/");
    let mut out = form_urlencoded::Serializer::new(String::new());
    for (k, v) in form_urlencoded::parse(raw.as_bytes()) {
        let (k, v) = (k.replace('\0', ""), v.replace('\0', ""));
        let (k, v) = match (k.as_str(), v.as_str()) {
            (_, "") => continue,
            ("status", "active") if users => ("active".to_owned(), "true".to_owned()),
            ("status", "inactive") if users => ("active".to_owned(), "false".to_owned()),
            ("active", "active") if technicians => (k, "true".to_owned()),
            ("active", "inactive") if technicians => (k, "false".to_owned()),
            ("active", "all") if technicians => continue,
            _ => (k, v),
        };
        out.append_pair(&k, &v);
    }
    out.finish()
}

impl<T: serde::de::DeserializeOwned, S: Send + Sync> FromRequestParts<S> for Filters<T> {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, AppError> {
        // NUL characters go, as the lists' own query extractor drops them (PostgreSQL refuses
        // them in text: a search for "a\0b" would be a 500).
        let pairs: Vec<(String, String)> = form_urlencoded::parse(parts.uri.query().unwrap_or_default().as_bytes())
            .map(|(k, v)| (k.replace('\0', ""), v.replace('\0', "")))
            .collect();
        let query = form_urlencoded::Serializer::new(String::new()).extend_pairs(&pairs).finish();
        let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
        serde_path_to_error::deserialize::<_, T>(de).map(Filters).map_err(|e| {
            let path = e.path().to_string();
            let field = if path.is_empty() || path == "." { "query".to_owned() } else { path };
            AppError::field(&field, e.into_inner().to_string())
        })
    }
}

/// The view permission of each list's page, for its Export buttons.
pub fn view_permission(list: &str) -> Option<Permission> {
    Some(match list {
        "customers" => Permission::CustomersView,
        "registrations" => Permission::RegistrationsView,
        "tickets" => Permission::TicketsView,
        "technicians" => Permission::TechniciansView,
        "users" => Permission::UsersView,
        "messages" => Permission::NotificationsView,
        "audit_log" => Permission::AuditView,
        _ => return None,
    })
}

/// The request's language (see [`crate::i18n::negotiate`]).
pub struct ReqLang(pub Lang);

impl<S: Send + Sync> FromRequestParts<S> for ReqLang {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(ReqLang(parts.extensions.get::<Lang>().copied().unwrap_or_default()))
    }
}

/// What every export route receives besides its filters.
struct Ctx {
    state: AppState,
    auth: Authenticated,
    meta: RequestMeta,
    lang: Lang,
    format: super::Format,
    query: Option<String>,
}

impl Ctx {
    async fn send(self, what: &'static str, columns: &'static [Column], fetch: Fetch) -> AppResult<Response> {
        let ex = Export { what, columns, format: self.format, lang: self.lang, query: self.query };
        respond(self.state, self.auth, self.meta, ex, fetch).await
    }
}

/// Wraps a page reader as a [`Fetch`].
fn fetcher<F, Fut>(f: F) -> Fetch
where
    F: Fn(u64) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = AppResult<Vec<Row>>> + Send + 'static,
{
    Box::new(move |page| Box::pin(f(page)))
}

fn joined(items: &[String]) -> Cell {
    Cell::Text(items.join(", "))
}

const EXPORT_OK: &str = "The file (xlsx or csv), streamed";

// --- customers ---------------------------------------------------------------------------------

const CUSTOMER_COLUMNS: &[Column] = &[
    col("export.col.id", 8),
    col("export.col.customer_code", 18),
    col("export.col.name", 28),
    col("export.col.phone", 16),
    col("export.col.email", 24),
    col("export.col.ktp", 18),
    col("export.col.address", 40),
    col("export.col.city", 16),
    col("export.col.latitude", 11),
    col("export.col.longitude", 11),
    col("export.col.package_id", 8),
    col("export.col.package", 20),
    col("export.col.monthly_price", 14),
    col("export.col.odp_id", 8),
    col("export.col.odp_port", 8),
    col("export.col.status", 12),
    col("export.col.portal_account", 10),
    col("export.col.notes", 30),
    col("export.col.language", 8),
    col("export.col.tax_exempt", 10),
    col("export.col.billing_mode", 12),
    col("export.col.paid_until", 12),
    col("export.col.registered_at", 17),
    col("export.col.activated_at", 17),
    col("export.col.suspended_at", 17),
    col("export.col.terminated_at", 17),
];

fn customer_row(c: crate::customers::api::CustomerOut, packages: &HashMap<i64, (String, i64)>) -> Row {
    let package = packages.get(&c.package_id);
    vec![
        c.id.into(),
        c.code.into(),
        c.name.into(),
        c.phone.into(),
        c.email.into(),
        c.ktp.into(),
        c.address.into(),
        c.city.into(),
        c.latitude.into(),
        c.longitude.into(),
        c.package_id.into(),
        package.map(|p| p.0.clone()).into(),
        package.map_or(Cell::Empty, |p| Cell::Money(p.1)),
        c.odp_id.into(),
        c.odp_port.into(),
        c.status.into(),
        c.has_portal_account.into(),
        c.notes.into(),
        c.language.into(),
        c.tax_exempt.into(),
        c.billing_mode.into(),
        c.paid_until.into(),
        c.registered_at.into(),
        c.activated_at.into(),
        c.suspended_at.into(),
        c.terminated_at.into(),
    ]
}

/// The customer list (`GET /api/v1/customers`) with the same filters and sort, as an Excel
/// workbook or CSV: every match, not a page. With the package's name and monthly price.
#[utoipa::path(get, path = "/api/v1/customers/export", tag = "customers",
    params(FormatParam, crate::customers::api::ListParams), security(("bearer" = [])),
    responses((status = 200, description = EXPORT_OK, content(
        (String = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"), (String = "text/csv")))))]
async fn export_customers(
    State(state): State<AppState>,
    staff: Staff<perm::CustomersView>,
    meta: RequestMeta,
    ReqLang(lang): ReqLang,
    RawQuery(query): RawQuery,
    Filters(f): Filters<FormatParam>,
    Filters(p): Filters<crate::customers::api::ListParams>,
) -> AppResult<Response> {
    require(staff.auth(), "customers")?;
    let base = customers::CustomerQuery {
        q: p.q,
        status: p.status,
        package_id: p.package_id,
        odp_id: p.odp_id,
        billing_mode: p.billing_mode,
        sort: crate::customers::service::parse_sort(p.sort.as_deref())?,
        page: 1,
        per_page: PAGE_ROWS,
    };
    let prices: Arc<HashMap<i64, (String, i64)>> = Arc::new(
        packages::list(&state.reads, false).await?.into_iter().map(|p| (p.id, (p.name, p.monthly_price))).collect(),
    );
    let db = state.reads.clone();
    let fetch = fetcher(move |page| {
        let (db, q, prices) = (db.clone(), customers::CustomerQuery { page, ..base.clone() }, prices.clone());
        async move {
            let listed = customers::list(&db, &q).await?;
            Ok(listed.items.into_iter().map(|c| customer_row(c.into(), &prices)).collect())
        }
    });
    let ctx = Ctx { state, auth: staff.0, meta, lang, format: f.format.unwrap_or_default(), query };
    ctx.send("customers", CUSTOMER_COLUMNS, fetch).await
}

// --- registrations -----------------------------------------------------------------------------

const REGISTRATION_COLUMNS: &[Column] = &[
    col("export.col.id", 8),
    col("export.col.registration_number", 18),
    col("export.col.name", 28),
    col("export.col.phone", 16),
    col("export.col.email", 24),
    col("export.col.address", 40),
    col("export.col.city", 16),
    col("export.col.latitude", 11),
    col("export.col.longitude", 11),
    col("export.col.package_id", 8),
    col("export.col.status", 14),
    col("export.col.reason", 24),
    col("export.col.survey_at", 17),
    col("export.col.survey_feasible", 10),
    col("export.col.odp_id", 8),
    col("export.col.installation_at", 17),
    col("export.col.customer_id", 8),
    col("export.col.created_at", 17),
];

/// The registration list (`GET /api/v1/registrations`) with the same filters, newest first, as
/// an Excel workbook or CSV.
#[utoipa::path(get, path = "/api/v1/registrations/export", tag = "registrations",
    params(FormatParam, crate::registrations::api::ListParams), security(("bearer" = [])),
    responses((status = 200, description = EXPORT_OK, content(
        (String = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"), (String = "text/csv")))))]
async fn export_registrations(
    State(state): State<AppState>,
    staff: Staff<perm::RegistrationsView>,
    meta: RequestMeta,
    ReqLang(lang): ReqLang,
    RawQuery(query): RawQuery,
    Filters(f): Filters<FormatParam>,
    Filters(p): Filters<crate::registrations::api::ListParams>,
) -> AppResult<Response> {
    require(staff.auth(), "registrations")?;
    let base = registrations::RegistrationQuery { status: p.status, q: p.q, page: 1, per_page: PAGE_ROWS };
    let db = state.db.clone();
    let fetch = fetcher(move |page| {
        let (db, q) = (db.clone(), registrations::RegistrationQuery { page, ..base.clone() });
        async move {
            let (items, _) = registrations::list(&db, &q).await?;
            Ok(items
                .into_iter()
                .map(|r| {
                    let r = crate::registrations::api::RegistrationOut::from(r);
                    vec![
                        r.id.into(),
                        r.number.into(),
                        r.full_name.into(),
                        r.phone.into(),
                        r.email.into(),
                        r.address.into(),
                        r.city.into(),
                        r.latitude.into(),
                        r.longitude.into(),
                        r.package_id.into(),
                        r.status.into(),
                        r.reason.into(),
                        r.survey_at.into(),
                        r.survey_feasible.into(),
                        r.odp_id.into(),
                        r.installation_at.into(),
                        r.customer_id.into(),
                        r.created_at.into(),
                    ]
                })
                .collect())
        }
    });
    let ctx = Ctx { state, auth: staff.0, meta, lang, format: f.format.unwrap_or_default(), query };
    ctx.send("registrations", REGISTRATION_COLUMNS, fetch).await
}

// --- tickets -----------------------------------------------------------------------------------

const TICKET_COLUMNS: &[Column] = &[
    col("export.col.id", 8),
    col("export.col.ticket_number", 18),
    col("export.col.customer_id", 8),
    col("export.col.type", 14),
    col("export.col.category", 16),
    col("export.col.priority", 10),
    col("export.col.status", 12),
    col("export.col.title", 32),
    col("export.col.description", 40),
    col("export.col.location", 28),
    col("export.col.lead_technician_id", 8),
    col("export.col.sla_due_at", 17),
    col("export.col.breached_at", 17),
    col("export.col.created_at", 17),
    col("export.col.resolved_at", 17),
];

/// The ticket list (`GET /api/v1/tickets`) with the same filters and order, as an Excel
/// workbook or CSV.
#[utoipa::path(get, path = "/api/v1/tickets/export", tag = "tickets",
    params(FormatParam, crate::tickets::api::ListParams), security(("bearer" = [])),
    responses((status = 200, description = EXPORT_OK, content(
        (String = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"), (String = "text/csv")))))]
async fn export_tickets(
    State(state): State<AppState>,
    staff: Staff<perm::TicketsView>,
    meta: RequestMeta,
    ReqLang(lang): ReqLang,
    RawQuery(query): RawQuery,
    Filters(f): Filters<FormatParam>,
    Filters(p): Filters<crate::tickets::api::ListParams>,
) -> AppResult<Response> {
    require(staff.auth(), "tickets")?;
    // As the list: a search text with nothing to search by (one letter, punctuation) matches
    // no ticket.
    let search = p.q.filter(|q| !q.trim().is_empty());
    let nothing = search.as_deref().is_some_and(|q| aglis_core::ticket::TicketSearch::parse(q).is_none());
    let base = tickets::TicketQuery {
        status: p.status,
        priority: p.priority,
        technician_id: p.technician_id,
        customer_id: p.customer_id,
        // The list's own defaults: the work to do, most urgent first; a search finds any state.
        scope: Some(p.scope.unwrap_or(if search.is_some() { TicketScope::All } else { TicketScope::Open })),
        sort: Some(p.sort.unwrap_or(TicketSort::Urgent)),
        search,
        page: 1,
        per_page: PAGE_ROWS,
        ..Default::default()
    };
    let db = state.reads.clone();
    let fetch = fetcher(move |page| {
        let (db, q) = (db.clone(), tickets::TicketQuery { page, ..base.clone() });
        async move {
            if nothing {
                return Ok(Vec::new());
            }
            let (items, _, _) = tickets::list(&db, &q).await?;
            Ok(items
                .into_iter()
                .map(|t| {
                    let t = crate::tickets::api::TicketOut::from(t);
                    vec![
                        t.id.into(),
                        t.number.into(),
                        t.customer_id.into(),
                        t.ticket_type.into(),
                        t.category.into(),
                        t.priority.into(),
                        t.status.into(),
                        t.title.into(),
                        t.description.into(),
                        t.location.into(),
                        t.lead_technician_id.into(),
                        t.sla_due_at.into(),
                        t.breached_at.into(),
                        t.created_at.into(),
                        t.resolved_at.into(),
                    ]
                })
                .collect())
        }
    });
    let ctx = Ctx { state, auth: staff.0, meta, lang, format: f.format.unwrap_or_default(), query };
    ctx.send("tickets", TICKET_COLUMNS, fetch).await
}

// --- technicians -------------------------------------------------------------------------------

const TECHNICIAN_COLUMNS: &[Column] = &[
    col("export.col.id", 8),
    col("export.col.employee_id", 12),
    col("export.col.user_id", 8),
    col("export.col.name", 28),
    col("export.col.phone", 16),
    col("export.col.skill_level", 12),
    col("export.col.work_zone", 16),
    col("export.col.areas", 24),
    col("export.col.specializations", 28),
    col("export.col.skills", 32),
    col("export.col.max_daily_tickets", 10),
    col("export.col.work_start", 8),
    col("export.col.work_end", 8),
    col("export.col.work_days", 24),
    col("export.col.availability", 12),
    col("export.col.active", 8),
    col("export.col.load", 8),
];

/// The technician list (`GET /api/v1/technicians`) with the same filters, by name, as an Excel
/// workbook or CSV. Skills are `code:level` pairs.
#[utoipa::path(get, path = "/api/v1/technicians/export", tag = "technicians",
    params(FormatParam, crate::technicians::api::ListParams), security(("bearer" = [])),
    responses((status = 200, description = EXPORT_OK, content(
        (String = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"), (String = "text/csv")))))]
async fn export_technicians(
    State(state): State<AppState>,
    staff: Staff<perm::TechniciansView>,
    meta: RequestMeta,
    ReqLang(lang): ReqLang,
    RawQuery(query): RawQuery,
    Filters(f): Filters<FormatParam>,
    Filters(p): Filters<crate::technicians::api::ListParams>,
) -> AppResult<Response> {
    require(staff.auth(), "technicians")?;
    let base = p.query(crate::listing::Paging { page: 1, per_page: PAGE_ROWS })?;
    let st = state.clone();
    let fetch = fetcher(move |page| {
        let mut q = base.clone();
        q.paging = Some((page, PAGE_ROWS));
        let st = st.clone();
        async move {
            let (all, _) = crate::technicians::service::list(&st, &q).await?;
            Ok(all
                .into_iter()
                .map(|f| {
                    let t = crate::technicians::api::TechnicianOut::from(f);
                    let skills: Vec<String> = t.skills.iter().map(|s| format!("{}:{}", s.skill, s.level)).collect();
                    vec![
                        t.id.into(),
                        t.employee_id.into(),
                        t.user_id.into(),
                        t.full_name.into(),
                        t.phone.into(),
                        t.skill_level.as_str().into(),
                        t.work_zone.into(),
                        joined(&t.areas),
                        joined(&t.specializations),
                        joined(&skills),
                        t.max_daily_tickets.into(),
                        t.work_start.into(),
                        t.work_end.into(),
                        joined(&t.work_days),
                        t.availability.as_str().into(),
                        t.is_active.into(),
                        t.load.into(),
                    ]
                })
                .collect())
        }
    });
    let ctx = Ctx { state, auth: staff.0, meta, lang, format: f.format.unwrap_or_default(), query };
    ctx.send("technicians", TECHNICIAN_COLUMNS, fetch).await
}

// --- users -------------------------------------------------------------------------------------

const USER_COLUMNS: &[Column] = &[
    col("export.col.id", 8),
    col("export.col.username", 18),
    col("export.col.name", 28),
    col("export.col.email", 24),
    col("export.col.phone", 16),
    col("export.col.role", 16),
    col("export.col.active", 8),
    col("export.col.last_login_at", 17),
    col("export.col.created_at", 17),
    col("export.col.updated_at", 17),
    col("export.col.two_factor", 10),
    col("export.col.failed_logins", 8),
    col("export.col.locked_until", 17),
    col("export.col.locked_permanently", 10),
];

/// The user list (`GET /api/v1/users`) with the same filters and order, as an Excel workbook or
/// CSV (never a password hash or a secret).
#[utoipa::path(get, path = "/api/v1/users/export", tag = "users",
    params(FormatParam, crate::users::api::ListParams), security(("bearer" = [])),
    responses((status = 200, description = EXPORT_OK, content(
        (String = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"), (String = "text/csv")))))]
async fn export_users(
    State(state): State<AppState>,
    staff: Staff<perm::UsersView>,
    meta: RequestMeta,
    ReqLang(lang): ReqLang,
    RawQuery(query): RawQuery,
    Filters(f): Filters<FormatParam>,
    Filters(p): Filters<crate::users::api::ListParams>,
) -> AppResult<Response> {
    require(staff.auth(), "users")?;
    let base = users::UserQuery { q: p.q, role: p.role, active: p.active, page: 1, per_page: PAGE_ROWS };
    let db = state.db.clone();
    let fetch = fetcher(move |page| {
        let (db, q) = (db.clone(), users::UserQuery { page, ..base.clone() });
        async move {
            let (items, _) = users::list(&db, &q).await?;
            Ok(items
                .iter()
                .map(|u| {
                    let u = crate::users::api::UserOut::from(u);
                    vec![
                        u.id.into(),
                        u.username.into(),
                        u.full_name.into(),
                        u.email.into(),
                        u.phone.into(),
                        u.role.as_str().into(),
                        u.is_active.into(),
                        u.last_login_at.into(),
                        u.created_at.into(),
                        u.updated_at.into(),
                        u.two_factor_enabled.into(),
                        u.failed_logins.into(),
                        u.locked_until.into(),
                        u.locked_permanently.into(),
                    ]
                })
                .collect())
        }
    });
    let ctx = Ctx { state, auth: staff.0, meta, lang, format: f.format.unwrap_or_default(), query };
    ctx.send("users", USER_COLUMNS, fetch).await
}

// --- messages ----------------------------------------------------------------------------------

const MESSAGE_COLUMNS: &[Column] = &[
    col("export.col.id", 8),
    col("export.col.channel", 10),
    col("export.col.recipient", 22),
    col("export.col.subject", 24),
    col("export.col.body", 48),
    col("export.col.priority", 10),
    col("export.col.status", 12),
    col("export.col.provider", 12),
    col("export.col.provider_message_id", 20),
    col("export.col.attempts", 8),
    col("export.col.last_error", 28),
    col("export.col.created_at", 17),
    col("export.col.sent_at", 17),
    col("export.col.delivered_at", 17),
    col("export.col.read_at", 17),
];

/// The message history (`GET /api/v1/notifications`) with the same filters, newest first, as an
/// Excel workbook or CSV.
#[utoipa::path(get, path = "/api/v1/notifications/export", tag = "notifications",
    params(FormatParam, crate::notifications::api::ListParams), security(("bearer" = [])),
    responses((status = 200, description = EXPORT_OK, content(
        (String = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"), (String = "text/csv")))))]
async fn export_messages(
    State(state): State<AppState>,
    staff: Staff<perm::NotificationsView>,
    meta: RequestMeta,
    ReqLang(lang): ReqLang,
    RawQuery(query): RawQuery,
    Filters(f): Filters<FormatParam>,
    Filters(p): Filters<crate::notifications::api::ListParams>,
) -> AppResult<Response> {
    require(staff.auth(), "messages")?;
    let base = messages::MessageQuery { status: p.status, channel: p.channel, q: p.q, page: 1, per_page: PAGE_ROWS };
    let db = state.reads.clone();
    let fetch = fetcher(move |page| {
        let (db, q) = (db.clone(), messages::MessageQuery { page, ..base.clone() });
        async move {
            let listed = messages::list(&db, &q).await?;
            Ok(listed
                .items
                .into_iter()
                .map(|m| {
                    let m = crate::notifications::api::MessageOut::from(m);
                    vec![
                        m.id.into(),
                        m.channel.into(),
                        m.to.into(),
                        m.subject.into(),
                        m.body.into(),
                        m.priority.into(),
                        m.status.into(),
                        m.provider.into(),
                        m.provider_message_id.into(),
                        m.attempts.into(),
                        m.last_error.into(),
                        m.created_at.into(),
                        m.sent_at.into(),
                        m.delivered_at.into(),
                        m.read_at.into(),
                    ]
                })
                .collect())
        }
    });
    let ctx = Ctx { state, auth: staff.0, meta, lang, format: f.format.unwrap_or_default(), query };
    ctx.send("messages", MESSAGE_COLUMNS, fetch).await
}

// --- audit log ---------------------------------------------------------------------------------

const AUDIT_COLUMNS: &[Column] = &[
    col("export.col.id", 8),
    col("export.col.at", 17),
    col("export.col.user_id", 8),
    col("export.col.username", 18),
    col("export.col.ip", 15),
    col("export.col.user_agent", 24),
    col("export.col.event", 18),
    col("export.col.resource", 20),
    col("export.col.result", 10),
    col("export.col.details", 40),
    col("export.col.hash", 20),
];

/// The audit log (`GET /api/v1/audit-logs`) with the same filters, newest first, as an Excel
/// workbook or CSV (admins). Unlike `export.csv`, every match, streamed.
#[utoipa::path(get, path = "/api/v1/audit-logs/export", tag = "audit",
    params(FormatParam, crate::audit::filter::AuditParams), security(("bearer" = [])),
    responses((status = 200, description = EXPORT_OK, content(
        (String = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"), (String = "text/csv")))))]
async fn export_audit_log(
    State(state): State<AppState>,
    staff: Staff<perm::AuditView>,
    meta: RequestMeta,
    ReqLang(lang): ReqLang,
    RawQuery(query): RawQuery,
    Filters(f): Filters<FormatParam>,
    Filters(p): Filters<crate::audit::filter::AuditParams>,
) -> AppResult<Response> {
    require(staff.auth(), "audit_log")?;
    let base = p.checked()?;
    let db = state.reads.clone();
    let fetch = fetcher(move |page| {
        let (db, q) = (db.clone(), base.clone());
        async move {
            let listed = audit_log::list(&db, &q, page, PAGE_ROWS).await?;
            Ok(listed
                .items
                .into_iter()
                .map(|r| {
                    let r = crate::audit::api::AuditLogOut::from(r);
                    vec![
                        r.id.into(),
                        r.at.into(),
                        r.user_id.into(),
                        r.username.into(),
                        r.ip.into(),
                        r.user_agent.into(),
                        r.event.into(),
                        r.resource.into(),
                        r.result.into(),
                        Cell::Text(r.details.to_string()),
                        r.hash.into(),
                    ]
                })
                .collect())
        }
    });
    let ctx = Ctx { state, auth: staff.0, meta, lang, format: f.format.unwrap_or_default(), query };
    ctx.send("audit_log", AUDIT_COLUMNS, fetch).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use aglis_core::permission::Role;

    #[test]
    fn the_pages_filter_forms_become_api_filters() {
        assert_eq!(
            normalise("/api/v1/customers/export", "q=&status=active&package_id=&format=csv"),
            "status=active&format=csv"
        );
        assert_eq!(normalise("/api/v1/users/export", "status=inactive&role=noc"), "active=false&role=noc");
        assert_eq!(normalise("/api/v1/technicians/export", "active=all&q=budi"), "q=budi");
        assert_eq!(normalise("/api/v1/technicians/export", "active=inactive"), "active=false");
        assert_eq!(normalise("/api/v1/customers/export", "status=inactive"), "status=inactive");
    }

    #[test]
    fn who_may_export_what() {
        let v = Permission::CustomersView;
        assert!(may_export(Role::Manager, v, "customers"));
        assert!(!may_export(Role::CustomerService, v, "customers"));
        assert!(!may_export(Role::Technician, v, "customers"));
        assert!(may_export(Role::Supervisor, Permission::TicketsView, "tickets"));
        assert!(!may_export(Role::Noc, Permission::TicketsView, "tickets"));
        assert!(may_export(Role::Admin, Permission::AuditView, "audit_log"));
        assert!(!may_export(Role::Supervisor, Permission::AuditView, "audit_log"));
    }

    #[test]
    fn every_header_is_in_both_languages() {
        for cols in [
            CUSTOMER_COLUMNS,
            REGISTRATION_COLUMNS,
            TICKET_COLUMNS,
            TECHNICIAN_COLUMNS,
            USER_COLUMNS,
            MESSAGE_COLUMNS,
            AUDIT_COLUMNS,
        ] {
            for c in cols {
                assert_ne!(Lang::Id.t(c.key), c.key, "{} missing in id.yml", c.key);
                assert_ne!(Lang::En.t(c.key), c.key, "{} missing in en.yml", c.key);
            }
        }
        for what in ["customers", "registrations", "tickets", "technicians", "users", "messages", "audit_log"] {
            let key = format!("export.{what}");
            assert_ne!(Lang::Id.t(&key), key);
        }
    }
}
