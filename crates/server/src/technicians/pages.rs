//! `/technicians`: the field team for supervisors. A list with search, filters (availability, area,
//! skill, specialisation, active) and pages, each row with an availability badge and a load bar
//! (active tickets led / tickets a day); a technician's page (profile, skills with levels, areas,
//! work hours and days, linked account, availability); the create/edit form; deactivation behind a
//! confirmation page (refused while they lead active tickets).
//!
//! Access: `technicians.view` (every staff role) reads; `technicians.edit` changes profiles; a
//! technician may set their own availability. Customers get 403.

use super::form::{Fields, TechForm};
use super::service::{self, Full};
use crate::auth::extract::{Staff, perm};
use crate::error::{AppError, AppResult, FieldErrors};
use crate::extract::{ApiForm, ApiQuery, IdPath};
use crate::listing::Paging;
use crate::pages::{Shell, render};
use crate::state::AppState;
use aglis_core::permission::{Permission, Role};
use aglis_core::technician::{self as rules, Availability, TechnicianError};
use aglis_db::repo::master_data;
use aglis_db::repo::technicians::{self, TechnicianQuery};
use aglis_db::repo::users::{self, User, UserQuery};
use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use std::collections::BTreeMap;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/technicians", get(list).post(create))
        .route("/technicians/new", get(new_form))
        .route("/technicians/{id}", get(show))
        .route("/technicians/{id}/edit", get(edit_form).post(edit))
        .route("/technicians/{id}/availability", post(set_availability))
        .route("/technicians/{id}/deactivate", get(confirm_deactivate).post(deactivate))
        .route("/technicians/{id}/reactivate", post(reactivate))
}

/// Labels and badges the technician templates share.
trait Labels {
    /// The catalogue's skill names in the page's language, by code (pages that show skills).
    fn skill_names(&self) -> Option<&BTreeMap<String, String>> {
        None
    }

    /// A skill's name: the catalogue's for its codes, the code itself otherwise.
    fn skill_label(&self, code: &str) -> String {
        self.skill_names().and_then(|n| n.get(code)).cloned().unwrap_or_else(|| code.to_owned())
    }

    /// The badge's classes for an availability.
    fn avail_class(&self, a: &Availability) -> &'static str {
        match a {
            Availability::Available => "pill ok avail-available",
            Availability::Busy => "pill prio-high avail-busy",
            Availability::Break => "pill tkt-open avail-break",
            Availability::Offline => "pill off avail-offline",
            Availability::OnLeave => "pill tkt-assigned avail-on_leave",
        }
    }

    /// The load bar's colour: `warn` from three quarters, `late` when full.
    fn load_class(&self, f: &Full) -> &'static str {
        if !rules::has_room(f.load, f.t.max_daily_tickets) {
            " late"
        } else if f.load_percent() >= 75 {
            " warn"
        } else {
            ""
        }
    }
}

macro_rules! labels {
    ($($page:ty),*) => {$(
        impl Labels for $page {}
    )*};
    (named: $($page:ty),*) => {$(
        impl Labels for $page {
            fn skill_names(&self) -> Option<&BTreeMap<String, String>> {
                Some(&self.skill_names)
            }
        }
    )*};
}

labels!(FormPage, ConfirmPage);
labels!(named: ListPage, ShowPage);

/// The catalogue's skills (switched off ones too): code → name in the page's language.
async fn skill_names(state: &AppState, shell: &Shell) -> AppResult<BTreeMap<String, String>> {
    Ok(master_data::skills(&state.reads, false)
        .await?
        .into_iter()
        .map(|k| {
            let name = crate::master::name_in(shell, &k.name_id, &k.name_en).to_owned();
            (k.code, name)
        })
        .collect())
}

fn field_error(errors: &FieldErrors, field: &str) -> String {
    errors.get(field).map(|m| m.join(", ")).unwrap_or_default()
}

#[derive(Debug, Deserialize, Default)]
struct ListForm {
    q: Option<String>,
    availability: Option<String>,
    area: Option<String>,
    skill: Option<String>,
    specialization: Option<String>,
    /// `active` (the default), `inactive` or `all`.
    active: Option<String>,
    page: Option<u64>,
}

#[derive(Template)]
#[template(path = "technicians/list.html")]
struct ListPage {
    shell: Shell,
    rows: Vec<Full>,
    total: u64,
    /// Active technicians by availability, for the summary.
    counts: Vec<(Availability, usize)>,
    page: u64,
    pages: u64,
    base_query: String,
    q: String,
    availability: String,
    area: String,
    skill: String,
    specialization: String,
    active: String,
    /// The area filter's choices.
    areas: Vec<String>,
    /// The skill filter's choices.
    skills: Vec<String>,
    can_edit: bool,
    /// Whether any filter is set (the empty state says so).
    filtered: bool,
    /// The catalogue's skill names by code.
    skill_names: BTreeMap<String, String>,
}

async fn list(
    State(state): State<AppState>,
    shell: Shell,
    staff: Staff<perm::TechniciansView>,
    ApiQuery(f): ApiQuery<ListForm>,
) -> AppResult<Response> {
    let paging = Paging::parse(f.page, None)?;
    let text = |v: Option<String>| v.map(|s| rules::tidy(&s)).unwrap_or_default();
    let (q, availability, area, skill, specialization) =
        (text(f.q), text(f.availability), text(f.area), text(f.skill), text(f.specialization));
    let active = match text(f.active).as_str() {
        "inactive" => "inactive",
        "all" => "all",
        _ => "active",
    }
    .to_owned();
    let query = TechnicianQuery {
        q: Some(q.chars().take(100).collect()),
        availability: availability.parse().ok(),
        area: Some(area.clone()),
        skill: Some(skill.clone()),
        min_level: None,
        specialization: specialization.parse().ok(),
        active: match active.as_str() {
            "inactive" => Some(false),
            "all" => None,
            _ => Some(true),
        },
        paging: Some((paging.page, paging.per_page)),
    };
    let (rows, total) = service::list(&state, &query).await?;
    let everyone = technicians::list(&state.reads, None, None).await?;
    let counts = Availability::ALL
        .iter()
        .map(|a| (*a, everyone.iter().filter(|t| t.is_active && t.availability == *a).count()))
        .collect();
    let skill_names = skill_names(&state, &shell).await?;
    let mut skills: Vec<String> = skill_names.keys().cloned().collect();
    for (_, code, _) in technicians::all_skills(&state.reads).await? {
        if !skills.contains(&code) {
            skills.push(code);
        }
    }
    let base_query = serde_urlencoded::to_string([
        ("q", &q),
        ("availability", &availability),
        ("area", &area),
        ("skill", &skill),
        ("specialization", &specialization),
        ("active", &active),
    ])
    .unwrap_or_default();
    let filtered = !(q.is_empty()
        && availability.is_empty()
        && area.is_empty()
        && skill.is_empty()
        && specialization.is_empty()
        && active == "active");
    render(&ListPage {
        shell,
        rows,
        total,
        counts,
        page: paging.page,
        pages: paging.pages(total),
        base_query,
        q,
        availability,
        area,
        skill,
        specialization,
        active,
        areas: technicians::areas_in_use(&state.reads).await?,
        skills,
        skill_names,
        can_edit: staff.auth().user.role.can(Permission::TechniciansEdit),
        filtered,
    })
}

#[derive(Template)]
#[template(path = "technicians/show.html")]
struct ShowPage {
    shell: Shell,
    f: Full,
    user: Option<User>,
    can_edit: bool,
    /// Editors and the technician themself.
    can_set_availability: bool,
    errors: FieldErrors,
    /// Customers' ratings of this technician's visits (the dispatch desk sees them): the count,
    /// the average ×100 and the latest few.
    ratings: Option<(i64, i64, Vec<aglis_db::repo::tickets::Ticket>)>,
    skill_names: BTreeMap<String, String>,
}

impl ShowPage {
    /// An average ×100 as `4,5`.
    fn stars(&self, avg100: &i64) -> String {
        format!("{},{}", avg100 / 100, (avg100 % 100) / 10)
    }

    fn error(&self, field: &str) -> String {
        field_error(&self.errors, field)
    }

    /// A skill level as a share of the top level, for its bar.
    fn level_percent(&self, level: &i32) -> i32 {
        level * 100 / rules::MAX_SKILL
    }
}

async fn show_page(
    state: &AppState,
    shell: Shell,
    role: Role,
    me: i64,
    id: i64,
    errors: FieldErrors,
) -> AppResult<ShowPage> {
    let f = service::full(&state.db, id).await?;
    let user = service::linked_user(state, &f).await?;
    let ratings = if role.can(Permission::TicketsAssign) {
        let (count, avg) = aglis_db::repo::tickets::rating_of_lead(&state.reads, f.t.id).await?;
        let latest = aglis_db::repo::tickets::ratings_of_lead(&state.reads, f.t.id, 5).await?;
        Some((count, avg, latest))
    } else {
        None
    };
    Ok(ShowPage {
        skill_names: skill_names(state, &shell).await?,
        ratings,
        can_edit: role.can(Permission::TechniciansEdit),
        can_set_availability: service::may_set_availability(role, me, &f.t),
        shell,
        f,
        user,
        errors,
    })
}

async fn show(
    State(state): State<AppState>,
    shell: Shell,
    staff: Staff<perm::TechniciansView>,
    IdPath(id): IdPath,
) -> AppResult<Response> {
    let me = &staff.auth().user;
    render(&show_page(&state, shell, me.role, me.id, id, FieldErrors::new()).await?)
}

#[derive(Debug, Deserialize)]
struct AvailabilityForm {
    #[serde(default)]
    availability: String,
}

async fn set_availability(
    State(state): State<AppState>,
    shell: Shell,
    staff: Staff<perm::TechniciansView>,
    IdPath(id): IdPath,
    ApiForm(form): ApiForm<AvailabilityForm>,
) -> AppResult<Response> {
    let me = &staff.auth().user;
    match service::set_availability(&state, me.role, me.id, id, &form.availability).await? {
        Ok(()) => Ok(Redirect::to(&format!("/technicians/{id}")).into_response()),
        Err(e) => {
            let errors = FieldErrors::from([("availability".to_owned(), vec![message(&shell, &e)])]);
            let page = show_page(&state, shell, me.role, me.id, id, errors).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)?).into_response())
        }
    }
}

/// A rule's message in the page's language, naming the value it is about.
pub(super) fn message(shell: &Shell, e: &TechnicianError) -> String {
    let text = shell.t_prefixed("techmgmt.err.", e.code());
    match e.subject().filter(|s| !s.is_empty()) {
        Some(s) => format!("{text} ({s})"),
        None => text.to_owned(),
    }
}

#[derive(Template)]
#[template(path = "technicians/form.html")]
struct FormPage {
    shell: Shell,
    /// The technician being edited; `None` when adding one.
    editing: Option<Full>,
    form: TechForm,
    /// Technician accounts that may be linked (not linked elsewhere).
    accounts: Vec<User>,
    /// The catalogue's skills the form rates: (code, name in the page's language).
    skill_rows: Vec<(String, String)>,
    /// The active service areas, offered for the zone and further areas.
    service_areas: Vec<String>,
    errors: FieldErrors,
}

impl FormPage {
    fn error(&self, field: &str) -> String {
        self.shell.say(&field_error(&self.errors, field))
    }
}

async fn form_page(
    state: &AppState,
    shell: Shell,
    editing: Option<Full>,
    form: TechForm,
    errors: FieldErrors,
) -> AppResult<Response> {
    let query =
        UserQuery { role: Some(Role::Technician), active: Some(true), page: 1, per_page: 500, ..UserQuery::default() };
    let (all, _) = users::list(&state.db, &query).await?;
    let linked: BTreeMap<i64, i64> = technicians::linked_users(&state.db).await?.into_iter().collect();
    let this = editing.as_ref().map(|f| f.t.id);
    let accounts = all.into_iter().filter(|u| linked.get(&u.id).is_none_or(|t| Some(*t) == this)).collect();
    // Switched-off skills stay on a profile that has them.
    let skill_rows = master_data::skills(&state.reads, false)
        .await?
        .into_iter()
        .filter(|k| k.is_active || !form.level_of(&k.code).is_empty())
        .map(|k| {
            let name = crate::master::name_in(&shell, &k.name_id, &k.name_en).to_owned();
            (k.code, name)
        })
        .collect();
    let service_areas = master_data::areas(&state.reads, true).await?.into_iter().map(|a| a.name).collect();
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let page = FormPage { shell, editing, form, accounts, skill_rows, service_areas, errors };
    Ok((status, render(&page)?).into_response())
}

/// A refusal from the shared write path, as the form's errors (or the error itself).
fn refused(e: AppError) -> AppResult<FieldErrors> {
    match e {
        AppError::Validation { fields, .. } => Ok(fields),
        AppError::Conflict { detail, .. } => Ok(FieldErrors::from([("form".to_owned(), vec![detail])])),
        other => Err(other),
    }
}

async fn new_form(
    State(state): State<AppState>,
    shell: Shell,
    _staff: Staff<perm::TechniciansEdit>,
) -> AppResult<Response> {
    form_page(&state, shell, None, TechForm::blank(), FieldErrors::new()).await
}

async fn create(
    State(state): State<AppState>,
    shell: Shell,
    _staff: Staff<perm::TechniciansEdit>,
    ApiForm(fields): ApiForm<Fields>,
) -> AppResult<Response> {
    let form = TechForm::from_fields(&fields);
    let (profile, user_id, availability) = match form.check(&state, &shell, None).await? {
        Ok(ok) => ok,
        Err(errors) => return form_page(&state, shell, None, form, errors).await,
    };
    match service::create_technician(&state, &profile, user_id, Some(availability)).await {
        Ok(t) => Ok(Redirect::to(&format!("/technicians/{}", t.id)).into_response()),
        Err(e) => form_page(&state, shell, None, form, refused(e)?).await,
    }
}

async fn edit_form(
    State(state): State<AppState>,
    shell: Shell,
    _staff: Staff<perm::TechniciansEdit>,
    IdPath(id): IdPath,
) -> AppResult<Response> {
    let f = service::full(&state.db, id).await?;
    let catalogue: Vec<String> = master_data::skills(&state.reads, false).await?.into_iter().map(|k| k.code).collect();
    let form = TechForm::from_full(&f, &catalogue);
    form_page(&state, shell, Some(f), form, FieldErrors::new()).await
}

async fn edit(
    State(state): State<AppState>,
    shell: Shell,
    _staff: Staff<perm::TechniciansEdit>,
    IdPath(id): IdPath,
    ApiForm(fields): ApiForm<Fields>,
) -> AppResult<Response> {
    let f = service::full(&state.db, id).await?;
    let form = TechForm::from_fields(&fields);
    let (profile, user_id, availability) = match form.check(&state, &shell, Some(id)).await? {
        Ok(ok) => ok,
        Err(errors) => return form_page(&state, shell, Some(f), form, errors).await,
    };
    match service::update_technician(&state, id, &profile, user_id, Some(availability)).await {
        Ok(_) => Ok(Redirect::to(&format!("/technicians/{id}")).into_response()),
        Err(e) => form_page(&state, shell, Some(f), form, refused(e)?).await,
    }
}

#[derive(Template)]
#[template(path = "technicians/confirm.html")]
struct ConfirmPage {
    shell: Shell,
    f: Full,
    /// Why it was refused, when it was.
    refusal: String,
}

async fn confirm_deactivate(
    State(state): State<AppState>,
    shell: Shell,
    _staff: Staff<perm::TechniciansEdit>,
    IdPath(id): IdPath,
) -> AppResult<Response> {
    let f = service::full(&state.db, id).await?;
    render(&ConfirmPage { shell, f, refusal: String::new() })
}

async fn deactivate(
    State(state): State<AppState>,
    shell: Shell,
    _staff: Staff<perm::TechniciansEdit>,
    IdPath(id): IdPath,
) -> AppResult<Response> {
    match service::deactivate_technician(&state, id).await {
        Ok(_) => Ok(Redirect::to(&format!("/technicians/{id}")).into_response()),
        Err(AppError::Conflict { .. }) => {
            let f = service::full(&state.db, id).await?;
            let refusal = shell.t("techmgmt.deactivate_refused").replace("{n}", &f.load.to_string());
            Ok((StatusCode::CONFLICT, render(&ConfirmPage { shell, f, refusal })?).into_response())
        }
        Err(e) => Err(e),
    }
}

async fn reactivate(
    State(state): State<AppState>,
    _staff: Staff<perm::TechniciansEdit>,
    IdPath(id): IdPath,
) -> AppResult<Response> {
    service::reactivate(&state, id).await?;
    Ok(Redirect::to(&format!("/technicians/{id}")).into_response())
}
