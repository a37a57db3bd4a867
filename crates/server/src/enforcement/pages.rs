//! `/network`: the enforcement overview (devices with their state, customers whose device does
//! not yet do what they should, the policy's runs, the log), the device form with "test
//! connection", and the customer page's network card actions (suspend or restore with a reason,
//! bind to a device).

use super::api::{ServiceOut, audit_network, change, service_out};
use super::devices::{self, DeviceInput};
use crate::audit::RequestMeta;
use crate::auth::extract::{Staff, perm};
use crate::error::{AppError, AppResult, FieldErrors};
use crate::extract::{ApiForm, ApiQuery, IdPath};
use crate::listing::Paging;
use crate::pages::{Shell, render};
use crate::state::AppState;
use aglis_core::enforcement::{DeviceKind, Method, ServiceState, SuspendReason};
use aglis_core::permission::Permission;
use aglis_db::repo::customer_services::{self, Action, Run};
use aglis_db::repo::customers;
use aglis_db::repo::network_devices::{self, Device};
use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/network", get(overview))
        .route("/network/devices/new", get(new_device))
        .route("/network/devices", post(create_device))
        .route("/network/devices/{id}", get(edit_device).post(update_device))
        .route("/network/devices/{id}/delete", post(delete_device))
        .route("/network/devices/{id}/test", post(test_device))
        .route("/customers/{id}/service", post(change_service))
        .route("/customers/{id}/service/binding", post(bind_service))
        .route("/isolir", get(super::isolir::page).post(super::isolir::find))
}

/// A device with its counts, for the overview.
pub struct DeviceRow {
    pub device: Device,
    pub services: i64,
    pub suspended: i64,
}

/// A customer whose device does not do what it should yet.
pub struct Pending {
    pub customer_id: i64,
    pub code: String,
    pub name: String,
    pub service: ServiceOut,
}

#[derive(Template)]
#[template(path = "network/enforcement.html")]
struct OverviewPage {
    shell: Shell,
    devices: Vec<DeviceRow>,
    pending: Vec<Pending>,
    runs: Vec<Run>,
    actions: Vec<(Action, String)>,
    page: u64,
    pages: u64,
    can_manage: bool,
    tested: Option<(i64, bool, String)>,
    auto_suspend: bool,
    grace_days: u32,
    max_share: u32,
}

#[derive(Debug, Deserialize, Default)]
struct OverviewQuery {
    tested: Option<i64>,
}

async fn overview(
    State(state): State<AppState>,
    shell: Shell,
    staff: Staff<perm::NetworkView>,
    ApiQuery(q): ApiQuery<OverviewQuery>,
    paging: Paging,
) -> AppResult<Response> {
    let counts = customer_services::device_counts(&state.db).await?;
    let devices: Vec<DeviceRow> = network_devices::all(&state.db)
        .await?
        .into_iter()
        .map(|device| {
            let (services, suspended) = counts.iter().find(|c| c.0 == device.id).map_or((0, 0), |c| (c.1, c.2));
            DeviceRow { device, services, suspended }
        })
        .collect();
    let mut pending = Vec::new();
    for (s, _) in customer_services::out_of_sync(&state.db, 20).await? {
        let Some(c) = customers::get(&state.db, s.customer_id).await? else { continue };
        pending.push(Pending {
            customer_id: c.id,
            code: c.code,
            name: c.name,
            service: service_out(&state, s.customer_id).await?,
        });
    }
    let runs = customer_services::recent_runs(&state.db, 5).await?;
    let per_page = 20;
    let (rows, total) =
        customer_services::actions(&state.db, None, None, (paging.page.max(1) - 1) * per_page, per_page).await?;
    let names = customers::names(&state.db, &rows.iter().map(|a| a.customer_id).collect::<Vec<_>>()).await?;
    let actions = rows
        .into_iter()
        .map(|a| {
            let name = names.iter().find(|(id, _)| *id == a.customer_id).map_or_else(String::new, |(_, n)| n.clone());
            (a, name)
        })
        .collect();
    let tested = match q.tested {
        Some(id) => {
            network_devices::get(&state.db, id).await?.and_then(|d| d.check_ok.map(|ok| (d.id, ok, d.check_detail)))
        }
        None => None,
    };
    let page = OverviewPage {
        shell,
        devices,
        pending,
        runs,
        actions,
        page: paging.page,
        pages: total.div_ceil(per_page).max(1),
        can_manage: staff.auth().user.role.can(Permission::NetworkManage),
        tested,
        auto_suspend: state.config.enforcement.auto_suspend,
        grace_days: state.config.payments.grace_days,
        max_share: state.config.enforcement.max_share_pct,
    };
    render(&page)
}

#[derive(Debug, Deserialize, Default, Clone)]
struct DeviceForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    address: String,
    #[serde(default)]
    username: String,
    #[serde(default)]
    secret: String,
    #[serde(default)]
    insecure_tls: Option<String>,
    #[serde(default)]
    isolate_profile: String,
    #[serde(default)]
    isolate_list: String,
    #[serde(default)]
    dry_run: Option<String>,
    #[serde(default)]
    enabled: Option<String>,
}

impl DeviceForm {
    fn input(&self) -> DeviceInput {
        DeviceInput {
            name: self.name.clone(),
            kind: self.kind.clone(),
            address: self.address.clone(),
            username: self.username.clone(),
            secret: self.secret.clone(),
            insecure_tls: self.insecure_tls.is_some(),
            isolate_profile: self.isolate_profile.clone(),
            isolate_list: self.isolate_list.clone(),
            dry_run: self.dry_run.is_some(),
            enabled: self.enabled.is_some(),
        }
    }

    fn of(d: &Device) -> Self {
        DeviceForm {
            name: d.name.clone(),
            kind: d.kind.as_str().to_owned(),
            address: d.address.clone(),
            username: d.username.clone(),
            secret: String::new(),
            insecure_tls: d.insecure_tls.then(|| "1".into()),
            isolate_profile: d.isolate_profile.clone(),
            isolate_list: d.isolate_list.clone(),
            dry_run: d.dry_run.then(|| "1".into()),
            enabled: d.enabled.then(|| "1".into()),
        }
    }
}

#[derive(Template)]
#[template(path = "network/device_form.html")]
struct DevicePage {
    shell: Shell,
    editing: Option<Device>,
    form: DeviceForm,
    errors: FieldErrors,
    kinds: &'static [DeviceKind],
}

impl DevicePage {
    fn error(&self, field: &str) -> String {
        self.shell.field_error(&self.errors, field)
    }
}

fn device_page(shell: Shell, editing: Option<Device>, form: DeviceForm, errors: FieldErrors) -> AppResult<Response> {
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    Ok((status, render(&DevicePage { shell, editing, form, errors, kinds: DeviceKind::ALL })?).into_response())
}

async fn new_device(shell: Shell, _s: Staff<perm::NetworkManage>) -> AppResult<Response> {
    let form = DeviceForm {
        kind: DeviceKind::Routeros.as_str().into(),
        isolate_profile: "ISOLIR".into(),
        isolate_list: "ISOLIR".into(),
        dry_run: Some("1".into()),
        enabled: Some("1".into()),
        ..DeviceForm::default()
    };
    device_page(shell, None, form, FieldErrors::new())
}

fn form_errors<T>(result: AppResult<T>) -> Result<Result<T, FieldErrors>, AppError> {
    match result {
        Ok(v) => Ok(Ok(v)),
        Err(AppError::Validation { fields, .. } | AppError::Conflict { fields, .. }) if !fields.is_empty() => {
            Ok(Err(fields))
        }
        Err(e) => Err(e),
    }
}

async fn create_device(
    State(state): State<AppState>,
    shell: Shell,
    s: Staff<perm::NetworkManage>,
    meta: RequestMeta,
    ApiForm(form): ApiForm<DeviceForm>,
) -> AppResult<Response> {
    match form_errors(devices::create(&state, &form.input()).await)? {
        Ok(d) => {
            let details = serde_json::json!({ "action": "created", "name": d.name, "kind": d.kind.as_str(), "dry_run": d.dry_run });
            audit_network(&state, s.auth(), &meta, format!("network_device:{}", d.id), details).await?;
            Ok(Redirect::to("/network").into_response())
        }
        Err(errors) => device_page(shell, None, form, errors),
    }
}

async fn edit_device(
    State(state): State<AppState>,
    shell: Shell,
    _s: Staff<perm::NetworkManage>,
    IdPath(id): IdPath,
) -> AppResult<Response> {
    let d = network_devices::get(&state.db, id).await?.ok_or_else(|| AppError::not_found("network device"))?;
    let form = DeviceForm::of(&d);
    device_page(shell, Some(d), form, FieldErrors::new())
}

async fn update_device(
    State(state): State<AppState>,
    shell: Shell,
    s: Staff<perm::NetworkManage>,
    meta: RequestMeta,
    IdPath(id): IdPath,
    ApiForm(form): ApiForm<DeviceForm>,
) -> AppResult<Response> {
    let existing = network_devices::get(&state.db, id).await?.ok_or_else(|| AppError::not_found("network device"))?;
    match form_errors(devices::update(&state, id, &form.input()).await)? {
        Ok(d) => {
            let details = serde_json::json!({ "action": "updated", "name": d.name, "dry_run": d.dry_run, "enabled": d.enabled, "secret_changed": !form.secret.trim().is_empty() });
            audit_network(&state, s.auth(), &meta, format!("network_device:{id}"), details).await?;
            Ok(Redirect::to("/network").into_response())
        }
        Err(errors) => device_page(shell, Some(existing), form, errors),
    }
}

async fn delete_device(
    State(state): State<AppState>,
    s: Staff<perm::NetworkManage>,
    meta: RequestMeta,
    IdPath(id): IdPath,
) -> AppResult<Response> {
    devices::delete(&state, id).await?;
    audit_network(&state, s.auth(), &meta, format!("network_device:{id}"), serde_json::json!({ "action": "deleted" }))
        .await?;
    Ok(Redirect::to("/network").into_response())
}

async fn test_device(
    State(state): State<AppState>,
    _s: Staff<perm::NetworkManage>,
    IdPath(id): IdPath,
) -> AppResult<Response> {
    devices::test(&state, id).await?;
    Ok(Redirect::to(&format!("/network?tested={id}#device-{id}")).into_response())
}

#[derive(Debug, Deserialize)]
struct ServiceForm {
    #[serde(default)]
    state: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    kind: String,
}

async fn change_service(
    State(state): State<AppState>,
    shell: Shell,
    s: Staff<perm::ServiceSuspend>,
    IdPath(id): IdPath,
    ApiForm(f): ApiForm<ServiceForm>,
) -> AppResult<Response> {
    let result = match f.state.parse::<ServiceState>() {
        Ok(want) => {
            let kind = f.kind.parse::<SuspendReason>().unwrap_or(SuspendReason::Manual);
            change(&state, s.auth(), id, want, kind, &f.reason).await
        }
        Err(_) => Err(AppError::field("state", crate::i18n::msg("val.service.state", &[]))),
    };
    crate::customers::pages::after_action(&state, shell, id, result).await
}

#[derive(Debug, Deserialize)]
struct BindingForm {
    #[serde(default)]
    device_id: String,
    #[serde(default)]
    method: String,
    #[serde(default)]
    identity: String,
}

async fn bind_service(
    State(state): State<AppState>,
    shell: Shell,
    s: Staff<perm::ServiceSuspend>,
    meta: RequestMeta,
    IdPath(id): IdPath,
    ApiForm(f): ApiForm<BindingForm>,
) -> AppResult<Response> {
    let device_id = f.device_id.trim().parse::<i64>().unwrap_or(0);
    let result = devices::bind(&state, id, device_id, &f.method, &f.identity).await;
    if let Ok(svc) = &result {
        super::reconcile::enqueue_apply(&state.db, id, state.now(), state.now()).await?;
        let details = serde_json::json!({ "action": "bound", "device_id": svc.device_id, "method": svc.method.as_str(), "identity": svc.identity });
        audit_network(&state, s.auth(), &meta, format!("customer:{id}"), details).await?;
    }
    crate::customers::pages::after_action(&state, shell, id, result).await
}

/// The customer page's network card.
pub struct NetworkCard {
    pub service: ServiceOut,
    pub actions: Vec<Action>,
    pub devices: Vec<Device>,
    pub methods: &'static [Method],
    pub can_switch: bool,
}

/// The card for staff who may see it; `None` for the others.
pub async fn card(
    state: &AppState,
    role: aglis_core::permission::Role,
    customer_id: i64,
) -> AppResult<Option<NetworkCard>> {
    if !role.can(Permission::NetworkView) {
        return Ok(None);
    }
    let service = service_out(state, customer_id).await?;
    let (actions, _) = customer_services::actions(&state.db, Some(customer_id), None, 0, 5).await?;
    let can_switch = role.can(Permission::ServiceSuspend);
    let devices = if can_switch { network_devices::all(&state.db).await? } else { Vec::new() };
    Ok(Some(NetworkCard { service, actions, devices, methods: Method::ALL, can_switch }))
}
