//! `/notifications/groups`: the recipient groups, a form to create or change one, and deletion
//! after a confirmation.

use crate::auth::extract::{Staff, perm};
use crate::error::{AppError, AppResult, FieldErrors};
use crate::extract::IdPath;
use crate::notifications::groups;
use crate::pages::{Shell, render};
use crate::state::AppState;
use aglis_core::permission::{Permission, Role};
use aglis_db::repo::recipient_groups::{self, Group};
use askama::Template;
use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/notifications/groups", get(list).post(create))
        .route("/notifications/groups/new", get(new_form))
        .route("/notifications/groups/{id}", get(edit_form).post(edit))
        .route("/notifications/groups/{id}/delete", post(delete))
}

struct Row {
    group: Group,
    whatsapp: usize,
    email: usize,
}

#[derive(Template)]
#[template(path = "notifications/groups/list.html")]
struct ListPage {
    shell: Shell,
    rows: Vec<Row>,
    can_edit: bool,
    can_send: bool,
}

async fn list(
    State(state): State<AppState>,
    shell: Shell,
    staff: Staff<perm::NotificationsView>,
) -> AppResult<Response> {
    let mut rows = Vec::new();
    for group in recipient_groups::list(&state.db).await? {
        let (whatsapp, email) = groups::reach(&state.db, &group).await?;
        rows.push(Row { group, whatsapp, email });
    }
    let role = staff.auth().user.role;
    render(&ListPage {
        shell,
        rows,
        can_edit: role.can(Permission::NotificationsManage),
        can_send: role.can(Permission::NotificationsSend),
    })
}

/// The form's values as typed.
#[derive(Debug, Clone, Default)]
struct GroupForm {
    name: String,
    description: String,
    roles: Vec<String>,
    members: String,
    is_active: bool,
}

impl GroupForm {
    fn parse(body: &[u8]) -> Self {
        let mut f = GroupForm::default();
        for (k, v) in form_urlencoded::parse(body) {
            match k.as_ref() {
                "name" => f.name = v.into_owned(),
                "description" => f.description = v.into_owned(),
                "roles" => f.roles.push(v.into_owned()),
                "members" => f.members = v.into_owned(),
                "is_active" => f.is_active = true,
                _ => {}
            }
        }
        f
    }

    fn from_group(g: &Group) -> Self {
        GroupForm {
            name: g.name.clone(),
            description: g.description.clone(),
            roles: g.roles.iter().map(|r| r.as_str().to_owned()).collect(),
            members: g.members.join("\n"),
            is_active: g.is_active,
        }
    }

    fn has_role(&self, role: &Role) -> bool {
        self.roles.iter().any(|r| r == role.as_str())
    }

    fn fields(&self) -> Result<aglis_db::repo::recipient_groups::GroupFields, FieldErrors> {
        let members: Vec<String> = self.members.split(['\n', ',', ';']).map(str::to_owned).collect();
        groups::parse_fields(&self.name, &self.description, &self.roles, &members, self.is_active)
    }
}

#[derive(Template)]
#[template(path = "notifications/groups/form.html")]
struct FormPage {
    shell: Shell,
    /// None when creating.
    id: Option<i64>,
    form: GroupForm,
    errors: FieldErrors,
    roles: [Role; 6],
}

impl FormPage {
    fn error(&self, field: &str) -> String {
        self.shell.field_error(&self.errors, field)
    }
}

async fn new_form(shell: Shell, _staff: Staff<perm::NotificationsManage>) -> AppResult<Response> {
    let form = GroupForm { is_active: true, ..GroupForm::default() };
    render(&FormPage { shell, id: None, form, errors: FieldErrors::new(), roles: Role::STAFF })
}

fn invalid(shell: Shell, id: Option<i64>, form: GroupForm, errors: FieldErrors) -> AppResult<Response> {
    let page = FormPage { shell, id, form, errors, roles: Role::STAFF };
    Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)?).into_response())
}

async fn create(
    State(state): State<AppState>,
    shell: Shell,
    _staff: Staff<perm::NotificationsManage>,
    body: Bytes,
) -> AppResult<Response> {
    let form = GroupForm::parse(&body);
    let fields = match form.fields() {
        Ok(f) => f,
        Err(errors) => return invalid(shell, None, form, errors),
    };
    match groups::create(&state.db, fields, state.now()).await {
        Ok(g) => Ok(Redirect::to(&format!("/notifications/groups/{}", g.id)).into_response()),
        Err(AppError::Conflict { fields, .. }) => invalid(shell, None, form, fields),
        Err(e) => Err(e),
    }
}

async fn edit_form(
    State(state): State<AppState>,
    shell: Shell,
    _staff: Staff<perm::NotificationsManage>,
    IdPath(id): IdPath,
) -> AppResult<Response> {
    let g = recipient_groups::get(&state.db, id).await?.ok_or_else(|| AppError::not_found("group"))?;
    render(&FormPage {
        shell,
        id: Some(id),
        form: GroupForm::from_group(&g),
        errors: FieldErrors::new(),
        roles: Role::STAFF,
    })
}

async fn edit(
    State(state): State<AppState>,
    shell: Shell,
    _staff: Staff<perm::NotificationsManage>,
    IdPath(id): IdPath,
    body: Bytes,
) -> AppResult<Response> {
    let form = GroupForm::parse(&body);
    let fields = match form.fields() {
        Ok(f) => f,
        Err(errors) => return invalid(shell, Some(id), form, errors),
    };
    match groups::update(&state.db, id, fields, state.now()).await {
        Ok(_) => Ok(Redirect::to("/notifications/groups").into_response()),
        Err(AppError::Conflict { fields, .. }) => invalid(shell, Some(id), form, fields),
        Err(e) => Err(e),
    }
}

async fn delete(
    State(state): State<AppState>,
    _staff: Staff<perm::NotificationsManage>,
    IdPath(id): IdPath,
) -> AppResult<Response> {
    if !recipient_groups::delete(&state.db, id).await? {
        return Err(AppError::not_found("group"));
    }
    Ok(Redirect::to("/notifications/groups").into_response())
}
