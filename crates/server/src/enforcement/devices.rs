//! Network devices and bindings: checking what staff enter, sealing the password, the "test
//! connection" button, and binding a customer's service to a device and identity.

use super::driver::{Driver, seal_secret};
use crate::error::{AppError, AppResult, FieldErrors};
use crate::i18n::msg;
use crate::state::AppState;
use aglis_core::enforcement::{DeviceKind, Method, check_identity};
use aglis_db::DbError;
use aglis_db::repo::customer_services::{self, Service};
use aglis_db::repo::customers;
use aglis_db::repo::network_devices::{self, Device, DeviceFields};

/// A device as typed into the form or the API.
#[derive(Debug, Clone, Default)]
pub struct DeviceInput {
    pub name: String,
    pub kind: String,
    pub address: String,
    pub username: String,
    /// Empty on an edit: the stored one stays.
    pub secret: String,
    pub insecure_tls: bool,
    pub isolate_profile: String,
    pub isolate_list: String,
    pub dry_run: bool,
    pub enabled: bool,
}

fn push(e: &mut FieldErrors, field: &str, m: String) {
    e.entry(field.to_owned()).or_default().push(m);
}

/// A RouterOS profile, list or RADIUS group name: 1–64 printable characters without spaces.
fn object_name(v: &str) -> bool {
    (1..=64).contains(&v.len()) && v.chars().all(|c| c.is_ascii_graphic())
}

/// Checks the input; `creating` requires the secret.
pub fn check(input: &DeviceInput, creating: bool) -> Result<(DeviceFields, Option<String>), FieldErrors> {
    let mut e = FieldErrors::new();
    let name = input.name.split_whitespace().collect::<Vec<_>>().join(" ");
    if !(2..=100).contains(&name.chars().count()) {
        push(&mut e, "name", msg("val.device.name", &[]));
    }
    let kind = input.kind.trim().parse::<DeviceKind>().ok();
    if kind.is_none() {
        push(&mut e, "kind", msg("val.device.kind", &[]));
    }
    let address = input.address.trim().trim_end_matches('/').to_owned();
    match kind {
        Some(DeviceKind::Routeros) => {
            let host = address.strip_prefix("https://").or_else(|| address.strip_prefix("http://"));
            let ok = address.len() <= 300
                && host.and_then(|h| h.split('/').next()).is_some_and(|h| {
                    !h.is_empty()
                        && h.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'))
                });
            if !ok {
                push(&mut e, "address", msg("val.device.url", &[]));
            }
            if input.username.trim().is_empty() || input.username.trim().len() > 100 {
                push(&mut e, "username", msg("val.device.username", &[]));
            }
        }
        Some(DeviceKind::RouterosApi) => {
            if address.parse::<std::net::SocketAddr>().is_err() {
                push(&mut e, "address", msg("val.device.api", &[]));
            }
            if input.username.trim().is_empty() || input.username.trim().len() > 100 {
                push(&mut e, "username", msg("val.device.username", &[]));
            }
        }
        Some(DeviceKind::Radius) if address.parse::<std::net::SocketAddr>().is_err() => {
            push(&mut e, "address", msg("val.device.nas", &[]));
        }
        Some(DeviceKind::Radius) | None => {}
    }
    let secret = input.secret.trim().to_owned();
    if creating && secret.is_empty() {
        push(&mut e, "secret", msg("val.device.secret", &[]));
    }
    if secret.len() > 200 {
        push(&mut e, "secret", msg("val.device.secret_long", &[]));
    }
    let default_profile = if kind == Some(DeviceKind::Radius) { "isolir" } else { "ISOLIR" };
    let profile = Some(input.isolate_profile.trim()).filter(|p| !p.is_empty()).unwrap_or(default_profile);
    let list = Some(input.isolate_list.trim()).filter(|p| !p.is_empty()).unwrap_or("ISOLIR");
    for (field, v) in [("isolate_profile", profile), ("isolate_list", list)] {
        if !object_name(v) {
            push(&mut e, field, msg("val.device.object", &[]));
        }
    }
    match kind {
        Some(kind) if e.is_empty() => Ok((
            DeviceFields {
                name,
                kind,
                address,
                username: if kind == DeviceKind::Radius { String::new() } else { input.username.trim().to_owned() },
                insecure_tls: input.insecure_tls,
                isolate_profile: profile.to_owned(),
                isolate_list: list.to_owned(),
                dry_run: input.dry_run,
                enabled: input.enabled,
            },
            Some(secret).filter(|s| !s.is_empty()),
        )),
        _ => Err(e),
    }
}

fn name_taken(e: DbError) -> AppError {
    if e.is_unique_on("name") { AppError::taken("name", msg("val.device.taken", &[])) } else { e.into() }
}

pub async fn create(state: &AppState, input: &DeviceInput) -> AppResult<Device> {
    let (fields, secret) = check(input, true).map_err(AppError::fields)?;
    let sealed = seal_secret(state, secret.as_deref().unwrap_or_default()).map_err(AppError::Internal)?;
    network_devices::create(&state.db, fields, sealed, state.now()).await.map_err(name_taken)
}

pub async fn update(state: &AppState, id: i64, input: &DeviceInput) -> AppResult<Device> {
    let (fields, secret) = check(input, false).map_err(AppError::fields)?;
    let sealed = match secret {
        Some(s) => Some(seal_secret(state, &s).map_err(AppError::Internal)?),
        None => None,
    };
    let d = network_devices::update(&state.db, id, fields, sealed, state.now()).await.map_err(name_taken)?;
    let d = d.ok_or_else(|| AppError::not_found("network device"))?;
    // A change (dry run off, a new address) is tried on every bound service at the next sweep.
    customer_services::retry_device(&state.db, d.id, state.now()).await?;
    Ok(d)
}

/// Deletes a device no service is bound to.
pub async fn delete(state: &AppState, id: i64) -> AppResult<()> {
    let bound = customer_services::count_on_device(&state.db, id).await?;
    if bound > 0 {
        return Err(AppError::Conflict {
            detail: format!("{bound} customers' services are bound to this device; move them first"),
            fields: FieldErrors::new(),
        });
    }
    if !network_devices::delete(&state.db, id).await? {
        return Err(AppError::not_found("network device"));
    }
    Ok(())
}

/// "Test connection": asks the device about itself and records the answer.
pub async fn test(state: &AppState, id: i64) -> AppResult<(bool, String)> {
    let d = network_devices::get(&state.db, id).await?.ok_or_else(|| AppError::not_found("network device"))?;
    let result = match Driver::open(state, &d) {
        Ok(drv) => drv.health().await,
        Err(e) => Err(e),
    };
    let (ok, detail) = match result {
        Ok(text) => (true, text),
        Err(e) => (false, e.to_string()),
    };
    network_devices::checked(&state.db, id, ok, &detail, state.now()).await?;
    Ok((ok, detail))
}

/// Binds the customer's service to a device and identity.
pub async fn bind(
    state: &AppState,
    customer_id: i64,
    device_id: i64,
    method: &str,
    identity: &str,
) -> AppResult<Service> {
    customers::get(&state.db, customer_id).await?.ok_or_else(|| AppError::not_found("customer"))?;
    let mut e = FieldErrors::new();
    let device = network_devices::get(&state.db, device_id).await?;
    if device.is_none() {
        push(&mut e, "device_id", msg("val.device.unknown", &[("id", &device_id)]));
    }
    let method = method.trim().parse::<Method>().ok();
    match (method, &device) {
        (None, _) => push(&mut e, "method", msg("val.service.method", &[])),
        (Some(m), Some(d)) if !m.fits(d.kind) => {
            push(&mut e, "method", msg("val.service.method_fit", &[("method", &m), ("kind", &d.kind)]));
        }
        _ => {}
    }
    let identity = match method.map(|m| check_identity(m, identity)) {
        Some(Ok(i)) => Some(i),
        Some(Err(aglis_core::enforcement::IdentityError::Address)) => {
            push(&mut e, "identity", msg("val.service.address", &[]));
            None
        }
        Some(Err(_)) => {
            push(&mut e, "identity", msg("val.service.user", &[]));
            None
        }
        None => None,
    };
    let (Some(method), Some(identity), true) = (method, identity, e.is_empty()) else {
        return Err(AppError::fields(e));
    };
    customer_services::bind(&state.db, customer_id, device_id, method, &identity, state.now()).await.map_err(|e| {
        if e.is_unique_on("identity") { AppError::taken("identity", msg("val.service.taken", &[])) } else { e.into() }
    })
}
