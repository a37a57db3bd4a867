//! `/api/v1/network/devices` (the routers and NASes), `/api/v1/network/actions` (what was done on
//! them) and `/api/v1/customers/{id}/service` (a customer's desired and applied state; suspend or
//! restore by hand; the binding to a device).

use super::devices::{self, DeviceInput};
use super::service::{Requester, set_service};
use crate::audit::{Entry, RequestMeta, record};
use crate::auth::extract::{Staff, perm};
use crate::auth::session::Authenticated;
use crate::error::{AppError, AppResult, Problem};
use crate::extract::{ApiJson, ApiQuery, IdPath};
use crate::i18n::msg;
use crate::listing::{Page, PageQuery, Paging};
use crate::state::AppState;
use aglis_core::audit::{AuditEvent, AuditResult};
use aglis_core::customer::CustomerStatus;
use aglis_core::enforcement::{DeviceKind, Method, ServiceState, SuspendReason, desired_for};
use aglis_db::repo::customer_services::{self, Action};
use aglis_db::repo::customers;
use aglis_db::repo::network_devices::{self, Device};
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
        .routes(routes!(list_devices, create_device))
        .routes(routes!(show_device, update_device, delete_device))
        .routes(routes!(test_device))
        .routes(routes!(list_actions))
        .routes(routes!(show_service, change_service))
        .routes(routes!(bind_service))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DeviceOut {
    pub id: i64,
    pub name: String,
    pub kind: DeviceKind,
    /// RouterOS: base URL; RADIUS: the NAS's ip:port.
    pub address: String,
    pub username: String,
    pub insecure_tls: bool,
    pub isolate_profile: String,
    pub isolate_list: String,
    /// Only reads the device and logs what it would change.
    pub dry_run: bool,
    pub enabled: bool,
    pub checked_at: Option<DateTime<Utc>>,
    pub check_ok: Option<bool>,
    pub check_detail: String,
    /// Customers' services bound to it.
    pub services: i64,
    /// Of those, isolated on the device now.
    pub suspended: i64,
}

fn device_out(d: Device, counts: &[(i64, i64, i64)]) -> DeviceOut {
    let (services, suspended) = counts.iter().find(|c| c.0 == d.id).map_or((0, 0), |c| (c.1, c.2));
    DeviceOut {
        id: d.id,
        name: d.name,
        kind: d.kind,
        address: d.address,
        username: d.username,
        insecure_tls: d.insecure_tls,
        isolate_profile: d.isolate_profile,
        isolate_list: d.isolate_list,
        dry_run: d.dry_run,
        enabled: d.enabled,
        checked_at: d.checked_at,
        check_ok: d.check_ok,
        check_detail: d.check_detail,
        services,
        suspended,
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeviceIn {
    #[schema(example = "Router OLT Karawang", min_length = 2, max_length = 100)]
    pub name: String,
    pub kind: DeviceKind,
    /// RouterOS 7: `https://10.10.0.1`; RouterOS 6 (API): `10.10.0.1:8728`; RADIUS: the NAS's
    /// `ip:port` (`10.10.0.1:3799`).
    #[schema(example = "https://10.10.0.1", max_length = 300)]
    pub address: String,
    /// RouterOS user (a group with read, write, rest-api).
    #[serde(default)]
    #[schema(max_length = 100)]
    pub username: String,
    /// RouterOS password or RADIUS shared secret; required when adding, empty keeps the stored one.
    #[serde(default)]
    #[schema(max_length = 200)]
    pub secret: String,
    #[serde(default)]
    pub insecure_tls: bool,
    /// PPP profile / RADIUS group of isolated customers (default `ISOLIR` / `isolir`).
    #[serde(default)]
    #[schema(max_length = 64)]
    pub isolate_profile: String,
    /// Firewall address list of isolated static customers (default `ISOLIR`).
    #[serde(default)]
    #[schema(max_length = 64)]
    pub isolate_list: String,
    /// Default on: a new device only says what it would do until staff switch it off.
    pub dry_run: Option<bool>,
    pub enabled: Option<bool>,
}

impl DeviceIn {
    fn input(self) -> DeviceInput {
        DeviceInput {
            name: self.name,
            kind: self.kind.as_str().to_owned(),
            address: self.address,
            username: self.username,
            secret: self.secret,
            insecure_tls: self.insecure_tls,
            isolate_profile: self.isolate_profile,
            isolate_list: self.isolate_list,
            dry_run: self.dry_run.unwrap_or(true),
            enabled: self.enabled.unwrap_or(true),
        }
    }
}

pub async fn audit_network(
    state: &AppState,
    auth: &Authenticated,
    meta: &RequestMeta,
    what: String,
    details: serde_json::Value,
) -> AppResult<()> {
    record(
        state,
        Entry::new(AuditEvent::NetworkChanged, AuditResult::Success)
            .by(auth)
            .meta(meta)
            .resource(what)
            .details(details),
    )
    .await
}

/// The network devices.
#[utoipa::path(get, path = "/api/v1/network/devices", tag = "network", params(PageQuery),
    security(("bearer" = [])), responses((status = 200, body = Page<DeviceOut>)))]
async fn list_devices(
    State(state): State<AppState>,
    _staff: Staff<perm::NetworkView>,
    paging: Paging,
) -> AppResult<Json<Page<DeviceOut>>> {
    let counts = customer_services::device_counts(&state.db).await?;
    let all = network_devices::all(&state.db).await?.into_iter().map(|d| device_out(d, &counts)).collect();
    Ok(Json(Page::of_all(all, paging)))
}

/// Adds a device (in dry run unless `dry_run` is false).
#[utoipa::path(post, path = "/api/v1/network/devices", tag = "network", request_body = DeviceIn,
    security(("bearer" = [])), responses((status = 201, body = DeviceOut)))]
async fn create_device(
    State(state): State<AppState>,
    staff: Staff<perm::NetworkManage>,
    meta: RequestMeta,
    ApiJson(req): ApiJson<DeviceIn>,
) -> AppResult<(StatusCode, Json<DeviceOut>)> {
    let d = devices::create(&state, &req.input()).await?;
    let details =
        serde_json::json!({ "action": "created", "name": d.name, "kind": d.kind.as_str(), "dry_run": d.dry_run });
    audit_network(&state, staff.auth(), &meta, format!("network_device:{}", d.id), details).await?;
    Ok((StatusCode::CREATED, Json(device_out(d, &[]))))
}

async fn get_device(state: &AppState, id: i64) -> AppResult<Device> {
    network_devices::get(&state.db, id).await?.ok_or_else(|| AppError::not_found("network device"))
}

#[utoipa::path(get, path = "/api/v1/network/devices/{id}", tag = "network",
    params(("id" = i64, Path, description = "Device id")), security(("bearer" = [])),
    responses((status = 200, body = DeviceOut), (status = 404, body = Problem, content_type = "application/problem+json")))]
async fn show_device(
    State(state): State<AppState>,
    _staff: Staff<perm::NetworkView>,
    IdPath(id): IdPath,
) -> AppResult<Json<DeviceOut>> {
    let counts = customer_services::device_counts(&state.db).await?;
    Ok(Json(device_out(get_device(&state, id).await?, &counts)))
}

/// Changes a device; an empty `secret` keeps the stored one.
#[utoipa::path(put, path = "/api/v1/network/devices/{id}", tag = "network", request_body = DeviceIn,
    params(("id" = i64, Path, description = "Device id")), security(("bearer" = [])),
    responses((status = 200, body = DeviceOut), (status = 404, body = Problem, content_type = "application/problem+json")))]
async fn update_device(
    State(state): State<AppState>,
    staff: Staff<perm::NetworkManage>,
    meta: RequestMeta,
    IdPath(id): IdPath,
    ApiJson(req): ApiJson<DeviceIn>,
) -> AppResult<Json<DeviceOut>> {
    let secret_changed = !req.secret.trim().is_empty();
    let d = devices::update(&state, id, &req.input()).await?;
    let details = serde_json::json!({ "action": "updated", "name": d.name, "dry_run": d.dry_run, "enabled": d.enabled, "secret_changed": secret_changed });
    audit_network(&state, staff.auth(), &meta, format!("network_device:{}", d.id), details).await?;
    let counts = customer_services::device_counts(&state.db).await?;
    Ok(Json(device_out(d, &counts)))
}

/// Removes a device no service is bound to (409 otherwise).
#[utoipa::path(delete, path = "/api/v1/network/devices/{id}", tag = "network",
    params(("id" = i64, Path, description = "Device id")), security(("bearer" = [])),
    responses((status = 204, description = "Removed"), (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json")))]
async fn delete_device(
    State(state): State<AppState>,
    staff: Staff<perm::NetworkManage>,
    meta: RequestMeta,
    IdPath(id): IdPath,
) -> AppResult<StatusCode> {
    devices::delete(&state, id).await?;
    audit_network(
        &state,
        staff.auth(),
        &meta,
        format!("network_device:{id}"),
        serde_json::json!({ "action": "deleted" }),
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TestOut {
    pub ok: bool,
    /// What the device said (`RouterOS 7.16.2 on CCR2004…`) or why it failed.
    pub detail: String,
}

/// "Test connection": asks the device about itself.
#[utoipa::path(post, path = "/api/v1/network/devices/{id}/test", tag = "network",
    params(("id" = i64, Path, description = "Device id")), security(("bearer" = [])),
    responses((status = 200, body = TestOut), (status = 404, body = Problem, content_type = "application/problem+json")))]
async fn test_device(
    State(state): State<AppState>,
    _staff: Staff<perm::NetworkManage>,
    IdPath(id): IdPath,
) -> AppResult<Json<TestOut>> {
    let (ok, detail) = devices::test(&state, id).await?;
    Ok(Json(TestOut { ok, detail }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ActionOut {
    pub id: i64,
    pub customer_id: i64,
    pub device_id: Option<i64>,
    /// `suspend`, `restore`, `drift`.
    pub action: String,
    pub requested_by: String,
    pub dry_run: bool,
    pub ok: bool,
    /// The writes in order (none: the device was already right).
    pub steps: Vec<String>,
    pub error: String,
    pub created_at: DateTime<Utc>,
}

impl From<Action> for ActionOut {
    fn from(a: Action) -> Self {
        ActionOut {
            id: a.id,
            customer_id: a.customer_id,
            device_id: a.device_id,
            action: a.action,
            requested_by: a.requested_by,
            dry_run: a.dry_run,
            ok: a.ok,
            steps: a.steps.lines().filter(|l| !l.is_empty()).map(str::to_owned).collect(),
            error: a.error,
            created_at: a.created_at,
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ActionParams {
    pub customer_id: Option<i64>,
    pub device_id: Option<i64>,
}

/// The enforcement log, newest first.
#[utoipa::path(get, path = "/api/v1/network/actions", tag = "network", params(ActionParams, PageQuery),
    security(("bearer" = [])), responses((status = 200, body = Page<ActionOut>)))]
async fn list_actions(
    State(state): State<AppState>,
    _staff: Staff<perm::NetworkView>,
    ApiQuery(q): ApiQuery<ActionParams>,
    paging: Paging,
) -> AppResult<Json<Page<ActionOut>>> {
    let (rows, total) =
        customer_services::actions(&state.db, q.customer_id, q.device_id, paging.offset(), paging.per_page).await?;
    Ok(Json(Page::new(rows.into_iter().map(ActionOut::from).collect(), total, paging)))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ServiceDevice {
    pub id: i64,
    pub name: String,
    pub dry_run: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ServiceOut {
    pub customer_id: i64,
    /// What the customer should have: `active` only while the customer is active.
    pub desired: ServiceState,
    /// What the device does, as last read or written; `null` before the first look or without a device.
    pub applied: Option<ServiceState>,
    /// Whether the device does what is desired.
    pub in_sync: bool,
    pub status: CustomerStatus,
    /// Why a suspended customer is (`overdue` is lifted by paying).
    pub reason: Option<SuspendReason>,
    pub device: Option<ServiceDevice>,
    pub method: Option<Method>,
    /// PPPoE/RADIUS user name or IPv4 address.
    pub identity: Option<String>,
    /// The plan profile or group restored on payment.
    pub paid_profile: Option<String>,
    pub desired_since: Option<DateTime<Utc>>,
    pub applied_at: Option<DateTime<Utc>>,
    pub checked_at: Option<DateTime<Utc>>,
    pub failures: i32,
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub last_error: String,
}

/// The customer's service as the API and the customer page show it.
pub async fn service_out(state: &AppState, customer_id: i64) -> AppResult<ServiceOut> {
    let c = customers::get(&state.db, customer_id).await?.ok_or_else(|| AppError::not_found("customer"))?;
    let desired = desired_for(c.status);
    let s = customer_services::get(&state.db, c.id).await?;
    let device = match &s {
        Some(s) => network_devices::get(&state.db, s.device_id).await?,
        None => None,
    };
    Ok(ServiceOut {
        customer_id: c.id,
        desired,
        applied: s.as_ref().and_then(|s| s.applied),
        in_sync: s.as_ref().is_some_and(|s| s.applied == Some(desired)),
        status: c.status,
        reason: c.suspend_reason.filter(|_| c.status == CustomerStatus::Suspended),
        device: device.map(|d| ServiceDevice { id: d.id, name: d.name, dry_run: d.dry_run }),
        method: s.as_ref().map(|s| s.method),
        identity: s.as_ref().map(|s| s.identity.clone()),
        paid_profile: s.as_ref().and_then(|s| s.paid_profile.clone()),
        desired_since: s.as_ref().map(|s| s.desired_since),
        applied_at: s.as_ref().and_then(|s| s.applied_at),
        checked_at: s.as_ref().and_then(|s| s.checked_at),
        failures: s.as_ref().map_or(0, |s| s.failures),
        next_attempt_at: s.as_ref().and_then(|s| s.next_attempt_at),
        last_error: s.map(|s| s.last_error).unwrap_or_default(),
    })
}

/// The customer's service: desired (their status) and applied (the device).
#[utoipa::path(get, path = "/api/v1/customers/{id}/service", tag = "network",
    params(("id" = i64, Path, description = "Customer id")), security(("bearer" = [])),
    responses((status = 200, body = ServiceOut), (status = 404, body = Problem, content_type = "application/problem+json")))]
async fn show_service(
    State(state): State<AppState>,
    _staff: Staff<perm::NetworkView>,
    IdPath(id): IdPath,
) -> AppResult<Json<ServiceOut>> {
    Ok(Json(service_out(&state, id).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ServiceIn {
    pub state: ServiceState,
    /// Why, for the customer's notice and the log; required to suspend.
    #[serde(default)]
    #[schema(example = "permintaan pelanggan", max_length = 500)]
    pub reason: String,
    /// The kind of suspension (default `manual`); only `overdue` is lifted by a payment.
    pub kind: Option<SuspendReason>,
}

/// Suspends or restores the customer's service by hand; the device follows within a minute.
#[utoipa::path(post, path = "/api/v1/customers/{id}/service", tag = "network", request_body = ServiceIn,
    params(("id" = i64, Path, description = "Customer id")), security(("bearer" = [])),
    responses((status = 202, body = ServiceOut), (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The customer's status does not allow it (terminated, prospect)", body = Problem, content_type = "application/problem+json")))]
async fn change_service(
    State(state): State<AppState>,
    staff: Staff<perm::ServiceSuspend>,
    IdPath(id): IdPath,
    ApiJson(req): ApiJson<ServiceIn>,
) -> AppResult<(StatusCode, Json<ServiceOut>)> {
    change(&state, staff.auth(), id, req.state, req.kind.unwrap_or(SuspendReason::Manual), &req.reason).await?;
    Ok((StatusCode::ACCEPTED, Json(service_out(&state, id).await?)))
}

/// Staff's suspend or restore, shared with the customer page.
pub async fn change(
    state: &AppState,
    auth: &Authenticated,
    id: i64,
    want: ServiceState,
    kind: SuspendReason,
    reason: &str,
) -> AppResult<()> {
    if want == ServiceState::Suspended && reason.trim().is_empty() {
        return Err(AppError::field("reason", msg("val.status.reason", &[])));
    }
    if reason.chars().count() > 500 {
        return Err(AppError::field("reason", msg("val.service.reason_long", &[])));
    }
    let by = Requester::Staff(auth.user.id, auth.user.username.clone());
    set_service(state, id, want, kind, reason, &by).await?;
    Ok(())
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BindingIn {
    pub device_id: i64,
    pub method: Method,
    /// PPPoE secret / RADIUS user name, or the IPv4 address for `address_list`.
    #[schema(example = "budi.ktw", max_length = 64)]
    pub identity: String,
}

/// Binds the customer's service to a device and identity; the device is read at once.
#[utoipa::path(put, path = "/api/v1/customers/{id}/service/binding", tag = "network", request_body = BindingIn,
    params(("id" = i64, Path, description = "Customer id")), security(("bearer" = [])),
    responses((status = 200, body = ServiceOut), (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Another customer has this identity on the device", body = Problem, content_type = "application/problem+json")))]
async fn bind_service(
    State(state): State<AppState>,
    staff: Staff<perm::ServiceSuspend>,
    meta: RequestMeta,
    IdPath(id): IdPath,
    ApiJson(req): ApiJson<BindingIn>,
) -> AppResult<Json<ServiceOut>> {
    let s = devices::bind(&state, id, req.device_id, req.method.as_str(), &req.identity).await?;
    super::reconcile::enqueue_apply(&state.db, id, state.now(), state.now()).await?;
    let details = serde_json::json!({ "action": "bound", "device_id": s.device_id, "method": s.method.as_str(), "identity": s.identity });
    audit_network(&state, staff.auth(), &meta, format!("customer:{id}"), details).await?;
    Ok(Json(service_out(&state, id).await?))
}
