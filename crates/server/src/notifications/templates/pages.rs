//! `/notifications/templates`: every event's texts, and an editor with a preview filled with
//! example values. Preview does not save; save refuses unknown variables per field.

use crate::auth::extract::{Staff, perm};
use crate::error::{AppError, AppResult, FieldErrors};
use crate::extract::{ApiForm, IdPath};
use crate::notifications::templates::{self, MAX_TEMPLATE_CHARS, spec_of};
use crate::pages::{Shell, render};
use crate::state::AppState;
use aglis_core::notification_catalog::EventSpec;
use aglis_core::permission::Permission;
use aglis_db::repo::notification_templates::{self, Template};
use askama::Template as Askama;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use serde::Deserialize;
use std::collections::BTreeMap;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/notifications/templates", get(list))
        .route("/notifications/templates/{id}", get(edit_form).post(edit))
}

/// One event with its texts.
struct EventRow {
    code: String,
    variables: Vec<&'static str>,
    texts: Vec<Template>,
}

#[derive(Askama)]
#[template(path = "notifications/templates/list.html")]
struct ListPage {
    shell: Shell,
    events: Vec<EventRow>,
    can_edit: bool,
}

async fn list(
    State(state): State<AppState>,
    shell: Shell,
    staff: Staff<perm::NotificationsView>,
) -> AppResult<Response> {
    let mut events: Vec<EventRow> = Vec::new();
    for t in notification_templates::list(&state.db).await? {
        let spec = spec_of(&t)?;
        match events.last_mut() {
            Some(row) if row.code == t.event => row.texts.push(t),
            _ => events.push(EventRow {
                code: t.event.clone(),
                variables: spec.variables.iter().map(|(n, _)| *n).collect(),
                texts: vec![t],
            }),
        }
    }
    let can_edit = staff.auth().user.role.can(Permission::NotificationsManage);
    render(&ListPage { shell, events, can_edit })
}

#[derive(Debug, Deserialize, Default)]
struct EditForm {
    #[serde(default)]
    subject: String,
    #[serde(default)]
    body: String,
    /// `preview` or `save`.
    #[serde(default)]
    action: String,
}

#[derive(Askama)]
#[template(path = "notifications/templates/edit.html")]
struct EditPage {
    shell: Shell,
    template: Template,
    spec: &'static EventSpec,
    subject: String,
    body: String,
    errors: FieldErrors,
    preview: Option<(String, String)>,
    can_edit: bool,
    saved: bool,
    max_chars: usize,
}

impl EditPage {
    fn error(&self, field: &str) -> String {
        self.shell.field_error(&self.errors, field)
    }
}

async fn load(state: &AppState, id: i64) -> AppResult<(Template, &'static EventSpec)> {
    let t = notification_templates::get(&state.db, id).await?.ok_or_else(|| AppError::not_found("template"))?;
    let spec = spec_of(&t)?;
    Ok((t, spec))
}

#[derive(Debug, Deserialize, Default)]
struct EditQuery {
    saved: Option<String>,
}

async fn edit_form(
    State(state): State<AppState>,
    shell: Shell,
    staff: Staff<perm::NotificationsView>,
    IdPath(id): IdPath,
    crate::extract::ApiQuery(q): crate::extract::ApiQuery<EditQuery>,
) -> AppResult<Response> {
    let (template, spec) = load(&state, id).await?;
    let preview = templates::preview(spec, &template.subject, &template.body, &BTreeMap::new()).ok();
    render(&EditPage {
        shell,
        subject: template.subject.clone(),
        body: template.body.clone(),
        template,
        spec,
        errors: FieldErrors::new(),
        preview,
        can_edit: staff.auth().user.role.can(Permission::NotificationsManage),
        saved: q.saved.is_some(),
        max_chars: MAX_TEMPLATE_CHARS,
    })
}

async fn edit(
    State(state): State<AppState>,
    shell: Shell,
    staff: Staff<perm::NotificationsView>,
    meta: crate::audit::RequestMeta,
    IdPath(id): IdPath,
    ApiForm(form): ApiForm<EditForm>,
) -> AppResult<Response> {
    let (template, spec) = load(&state, id).await?;
    let can_edit = staff.auth().user.role.can(Permission::NotificationsManage);
    let result = if form.action == "save" {
        if !can_edit {
            return Err(AppError::Forbidden("only an administrator can change notification texts".into()));
        }
        let saved = templates::save(&state.db, id, &form.subject, &form.body, staff.auth().user.id, state.now()).await;
        if let Ok(t) = &saved {
            crate::audit::sites::template_saved(&state, staff.auth(), &meta, t).await?;
        }
        saved.map(|_| None)
    } else {
        templates::preview(spec, &form.subject, &form.body, &BTreeMap::new()).map(Some).map_err(AppError::fields)
    };
    let (errors, preview) = match result {
        Ok(None) => return Ok(Redirect::to(&format!("/notifications/templates/{id}?saved=1")).into_response()),
        Ok(Some(p)) => (FieldErrors::new(), Some(p)),
        Err(AppError::Validation { fields, .. }) => (fields, None),
        Err(e) => return Err(e),
    };
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let page = EditPage {
        shell,
        template,
        spec,
        subject: form.subject,
        body: form.body,
        errors,
        preview,
        can_edit,
        saved: false,
        max_chars: MAX_TEMPLATE_CHARS,
    };
    Ok((status, render(&page)?).into_response())
}
