//! `/admin/ticket-categories`, `/admin/skills`, `/admin/areas`: the master data pages, beside
//! packages and ODPs. Each lists its rows with a form that adds one, or edits the row named by
//! `?edit=ID`; rows are switched off, not deleted.

use crate::audit::{RequestMeta, sites};
use crate::auth::extract::{Staff, perm};
use crate::error::{AppError, AppResult, FieldErrors};
use crate::extract::{ApiForm, ApiQuery, IdPath};
use crate::pages::{Shell, render};
use crate::state::AppState;
use aglis_core::master::{self, RawCategory, RawSkill};
use aglis_core::technician::Specialization;
use aglis_core::ticket::TicketType;
use aglis_db::repo::master_data::{self, CatalogueSkill, ServiceArea, TicketCategory};
use askama::Template;
use axum::Router;
use axum::extract::{RawForm, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/ticket-categories", get(categories_page).post(create_category))
        .route("/admin/ticket-categories/{id}", post(edit_category))
        .route("/admin/skills", get(skills_page).post(create_skill))
        .route("/admin/skills/{id}", post(edit_skill))
        .route("/admin/areas", get(areas_page).post(create_area))
        .route("/admin/areas/{id}", post(edit_area))
}

#[derive(Debug, Deserialize, Default)]
struct EditQuery {
    edit: Option<i64>,
}

/// A form's fields in order, repeated names (the skill's ticket types) kept.
/// NUL is dropped as everywhere else (no text column holds it).
fn fields_of(body: &[u8]) -> Vec<(String, String)> {
    let fields: Vec<(String, String)> = serde_urlencoded::from_bytes(body).unwrap_or_default();
    fields.into_iter().map(|(k, v)| (k.replace('\0', ""), v.replace('\0', ""))).collect()
}

fn one(fields: &[(String, String)], name: &str) -> String {
    fields.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()).unwrap_or_default()
}

fn checked(fields: &[(String, String)], name: &str) -> bool {
    fields.iter().any(|(k, _)| k == name)
}

/// The errors of a refused write, for the form (anything else is the error itself).
fn refused(e: AppError) -> AppResult<FieldErrors> {
    match e {
        AppError::Validation { fields, .. } | AppError::Conflict { fields, .. } if !fields.is_empty() => Ok(fields),
        other => Err(other),
    }
}

fn status_of(errors: &FieldErrors) -> StatusCode {
    if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY }
}

#[derive(Debug, Clone, Default)]
struct CategoryForm {
    ticket_type: String,
    code: String,
    name_id: String,
    name_en: String,
    minutes: String,
    active: bool,
}

#[derive(Template)]
#[template(path = "master/categories.html")]
struct CategoriesPage {
    shell: Shell,
    rows: Vec<TicketCategory>,
    editing: Option<TicketCategory>,
    form: CategoryForm,
    errors: FieldErrors,
}

impl CategoriesPage {
    fn error(&self, field: &str) -> String {
        self.shell.say(&self.errors.get(field).map(|m| m.join(", ")).unwrap_or_default())
    }

    fn name(&self, c: &TicketCategory) -> String {
        super::name_in(&self.shell, &c.name_id, &c.name_en).to_owned()
    }

    fn type_label(&self, t: &TicketType) -> String {
        self.shell.t_prefixed("ticket.type.", t.as_str()).to_owned()
    }
}

async fn categories_view(
    state: &AppState,
    shell: Shell,
    editing: Option<TicketCategory>,
    form: CategoryForm,
    errors: FieldErrors,
) -> AppResult<Response> {
    let rows = master_data::categories(&state.db, false).await?;
    let status = status_of(&errors);
    Ok((status, render(&CategoriesPage { shell, rows, editing, form, errors })?).into_response())
}

async fn categories_page(
    State(state): State<AppState>,
    shell: Shell,
    _s: Staff<perm::MasterDataManage>,
    ApiQuery(q): ApiQuery<EditQuery>,
) -> AppResult<Response> {
    let editing = match q.edit {
        Some(id) => {
            Some(master_data::category(&state.db, id).await?.ok_or_else(|| AppError::not_found("ticket category"))?)
        }
        None => None,
    };
    let form = match &editing {
        Some(c) => CategoryForm {
            ticket_type: c.ticket_type.as_str().into(),
            code: c.code.clone(),
            name_id: c.name_id.clone(),
            name_en: c.name_en.clone(),
            minutes: c.minutes.to_string(),
            active: c.is_active,
        },
        None => {
            CategoryForm { ticket_type: "repair".into(), minutes: "120".into(), active: true, ..Default::default() }
        }
    };
    categories_view(&state, shell, editing, form, FieldErrors::new()).await
}

fn category_form(fields: &[(String, String)]) -> CategoryForm {
    CategoryForm {
        ticket_type: one(fields, "ticket_type"),
        code: one(fields, "code").trim().to_owned(),
        name_id: one(fields, "name_id"),
        name_en: one(fields, "name_en").trim().to_owned(),
        minutes: one(fields, "minutes"),
        active: checked(fields, "is_active"),
    }
}

fn raw_category(f: &CategoryForm) -> RawCategory {
    RawCategory {
        ticket_type: f.ticket_type.clone(),
        code: f.code.clone(),
        name_id: f.name_id.clone(),
        name_en: f.name_en.clone(),
        minutes: f.minutes.trim().parse().unwrap_or(0),
    }
}

async fn create_category(
    State(state): State<AppState>,
    shell: Shell,
    s: Staff<perm::MasterDataManage>,
    meta: RequestMeta,
    RawForm(body): RawForm,
) -> AppResult<Response> {
    let form = category_form(&fields_of(&body));
    let result = match master::check_category(&raw_category(&form)) {
        Ok(c) => super::create_category(&state.db, c, form.active).await,
        Err(p) => Err(super::invalid(&p)),
    };
    match result {
        Ok(c) => {
            sites::master_data(&state, s.auth(), &meta, "ticket_category", c.id, "created").await?;
            Ok(Redirect::to("/admin/ticket-categories").into_response())
        }
        Err(e) => categories_view(&state, shell, None, form, refused(e)?).await,
    }
}

async fn edit_category(
    State(state): State<AppState>,
    shell: Shell,
    s: Staff<perm::MasterDataManage>,
    meta: RequestMeta,
    IdPath(id): IdPath,
    RawForm(body): RawForm,
) -> AppResult<Response> {
    let old = master_data::category(&state.db, id).await?.ok_or_else(|| AppError::not_found("ticket category"))?;
    let mut form = category_form(&fields_of(&body));
    form.ticket_type = old.ticket_type.as_str().into();
    form.code = old.code.clone();
    match master::check_category(&raw_category(&form)) {
        Ok(c) => {
            master_data::update_category(&state.db, id, c, form.active).await?;
            sites::master_data(&state, s.auth(), &meta, "ticket_category", id, "updated").await?;
            Ok(Redirect::to("/admin/ticket-categories").into_response())
        }
        Err(p) => categories_view(&state, shell, Some(old), form, refused(super::invalid(&p))?).await,
    }
}

#[derive(Debug, Clone, Default)]
struct SkillForm {
    code: String,
    name_id: String,
    name_en: String,
    specialization: String,
    ticket_types: Vec<String>,
    active: bool,
}

impl SkillForm {
    fn serves(&self, t: &TicketType) -> bool {
        self.ticket_types.iter().any(|x| x == t.as_str())
    }
}

#[derive(Template)]
#[template(path = "master/skills.html")]
struct SkillsPage {
    shell: Shell,
    rows: Vec<CatalogueSkill>,
    editing: Option<CatalogueSkill>,
    form: SkillForm,
    errors: FieldErrors,
}

impl SkillsPage {
    fn error(&self, field: &str) -> String {
        self.shell.say(&self.errors.get(field).map(|m| m.join(", ")).unwrap_or_default())
    }

    fn name(&self, s: &CatalogueSkill) -> String {
        super::name_in(&self.shell, &s.name_id, &s.name_en).to_owned()
    }

    fn types(&self, s: &CatalogueSkill) -> String {
        master::split_types(&s.ticket_types)
            .iter()
            .map(|t| self.shell.t_prefixed("ticket.type.", t.as_str()))
            .collect::<Vec<_>>()
            .join(", ")
    }

    fn field_label(&self, s: &Specialization) -> String {
        self.shell.t_prefixed("techmgmt.spec.", s.as_str()).to_owned()
    }
}

async fn skills_view(
    state: &AppState,
    shell: Shell,
    editing: Option<CatalogueSkill>,
    form: SkillForm,
    errors: FieldErrors,
) -> AppResult<Response> {
    let rows = master_data::skills(&state.db, false).await?;
    let status = status_of(&errors);
    Ok((status, render(&SkillsPage { shell, rows, editing, form, errors })?).into_response())
}

async fn skills_page(
    State(state): State<AppState>,
    shell: Shell,
    _s: Staff<perm::MasterDataManage>,
    ApiQuery(q): ApiQuery<EditQuery>,
) -> AppResult<Response> {
    let editing = match q.edit {
        Some(id) => Some(master_data::skill(&state.db, id).await?.ok_or_else(|| AppError::not_found("skill"))?),
        None => None,
    };
    let form = match &editing {
        Some(s) => SkillForm {
            code: s.code.clone(),
            name_id: s.name_id.clone(),
            name_en: s.name_en.clone(),
            specialization: s.specialization.as_str().into(),
            ticket_types: master::split_types(&s.ticket_types).iter().map(|t| t.as_str().to_owned()).collect(),
            active: s.is_active,
        },
        None => SkillForm {
            specialization: Specialization::FtthMaintenance.as_str().into(),
            active: true,
            ..Default::default()
        },
    };
    skills_view(&state, shell, editing, form, FieldErrors::new()).await
}

fn skill_form(fields: &[(String, String)]) -> SkillForm {
    SkillForm {
        code: one(fields, "code").trim().to_owned(),
        name_id: one(fields, "name_id"),
        name_en: one(fields, "name_en").trim().to_owned(),
        specialization: one(fields, "specialization"),
        ticket_types: fields.iter().filter(|(k, _)| k == "ticket_types").map(|(_, v)| v.clone()).collect(),
        active: checked(fields, "is_active"),
    }
}

fn raw_skill(f: &SkillForm) -> RawSkill {
    RawSkill {
        code: f.code.clone(),
        name_id: f.name_id.clone(),
        name_en: f.name_en.clone(),
        specialization: f.specialization.clone(),
        ticket_types: f.ticket_types.clone(),
    }
}

async fn create_skill(
    State(state): State<AppState>,
    shell: Shell,
    s: Staff<perm::MasterDataManage>,
    meta: RequestMeta,
    RawForm(body): RawForm,
) -> AppResult<Response> {
    let form = skill_form(&fields_of(&body));
    let result = match master::check_skill(&raw_skill(&form)) {
        Ok(k) => super::create_skill(&state.db, k, form.active).await,
        Err(p) => Err(super::invalid(&p)),
    };
    match result {
        Ok(k) => {
            sites::master_data(&state, s.auth(), &meta, "skill", k.id, "created").await?;
            Ok(Redirect::to("/admin/skills").into_response())
        }
        Err(e) => skills_view(&state, shell, None, form, refused(e)?).await,
    }
}

async fn edit_skill(
    State(state): State<AppState>,
    shell: Shell,
    s: Staff<perm::MasterDataManage>,
    meta: RequestMeta,
    IdPath(id): IdPath,
    RawForm(body): RawForm,
) -> AppResult<Response> {
    let old = master_data::skill(&state.db, id).await?.ok_or_else(|| AppError::not_found("skill"))?;
    let mut form = skill_form(&fields_of(&body));
    form.code = old.code.clone();
    match master::check_skill(&raw_skill(&form)) {
        Ok(k) => {
            master_data::update_skill(&state.db, id, k, form.active).await?;
            sites::master_data(&state, s.auth(), &meta, "skill", id, "updated").await?;
            Ok(Redirect::to("/admin/skills").into_response())
        }
        Err(p) => skills_view(&state, shell, Some(old), form, refused(super::invalid(&p))?).await,
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
struct AreaForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    city: String,
    #[serde(default)]
    is_active: Option<String>,
}

#[derive(Template)]
#[template(path = "master/areas.html")]
struct AreasPage {
    shell: Shell,
    rows: Vec<ServiceArea>,
    editing: Option<ServiceArea>,
    form: AreaForm,
    errors: FieldErrors,
}

impl AreasPage {
    fn error(&self, field: &str) -> String {
        self.shell.say(&self.errors.get(field).map(|m| m.join(", ")).unwrap_or_default())
    }
}

async fn areas_view(
    state: &AppState,
    shell: Shell,
    editing: Option<ServiceArea>,
    form: AreaForm,
    errors: FieldErrors,
) -> AppResult<Response> {
    let rows = master_data::areas(&state.db, false).await?;
    let status = status_of(&errors);
    Ok((status, render(&AreasPage { shell, rows, editing, form, errors })?).into_response())
}

async fn areas_page(
    State(state): State<AppState>,
    shell: Shell,
    _s: Staff<perm::MasterDataManage>,
    ApiQuery(q): ApiQuery<EditQuery>,
) -> AppResult<Response> {
    let editing = match q.edit {
        Some(id) => Some(master_data::area(&state.db, id).await?.ok_or_else(|| AppError::not_found("service area"))?),
        None => None,
    };
    let form = match &editing {
        Some(a) => AreaForm { name: a.name.clone(), city: a.city.clone(), is_active: a.is_active.then(|| "1".into()) },
        None => AreaForm { is_active: Some("1".into()), ..Default::default() },
    };
    areas_view(&state, shell, editing, form, FieldErrors::new()).await
}

async fn create_area(
    State(state): State<AppState>,
    shell: Shell,
    s: Staff<perm::MasterDataManage>,
    meta: RequestMeta,
    ApiForm(form): ApiForm<AreaForm>,
) -> AppResult<Response> {
    let result = match master::check_area(&form.name, &form.city) {
        Ok((name, city)) => super::create_area(&state.db, name, city, form.is_active.is_some()).await,
        Err(p) => Err(super::invalid(&p)),
    };
    match result {
        Ok(a) => {
            sites::master_data(&state, s.auth(), &meta, "service_area", a.id, "created").await?;
            Ok(Redirect::to("/admin/areas").into_response())
        }
        Err(e) => areas_view(&state, shell, None, form, refused(e)?).await,
    }
}

async fn edit_area(
    State(state): State<AppState>,
    shell: Shell,
    s: Staff<perm::MasterDataManage>,
    meta: RequestMeta,
    IdPath(id): IdPath,
    ApiForm(mut form): ApiForm<AreaForm>,
) -> AppResult<Response> {
    let old = master_data::area(&state.db, id).await?.ok_or_else(|| AppError::not_found("service area"))?;
    form.name = old.name.clone();
    match master::check_area(&old.name, &form.city) {
        Ok((_, city)) => {
            master_data::update_area(&state.db, id, city, form.is_active.is_some()).await?;
            sites::master_data(&state, s.auth(), &meta, "service_area", id, "updated").await?;
            Ok(Redirect::to("/admin/areas").into_response())
        }
        Err(p) => areas_view(&state, shell, Some(old), form, refused(super::invalid(&p))?).await,
    }
}
