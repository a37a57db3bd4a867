//! One device, one service: read what the device does for a customer and converge it to a wanted
//! state, through the device's own protocol (spec/network-enforcement.md §3, §4). RouterOS goes
//! over REST; RADIUS changes the user's row in `radusergroup` (read by FreeRADIUS) and then cuts
//! the session with a Disconnect-Request so the modem re-dials into its new group.

use super::router::Router;
use crate::auth::sealed;
use crate::state::AppState;
use aglis_core::enforcement::{DeviceKind, Method, ServiceState};
use aglis_db::repo::customer_services::Service;
use aglis_db::repo::network_devices::Device;
use aglis_db::repo::radius_groups;
use aglis_integrations::network::radius::{self, Disconnected, NasConfig, Session};
use aglis_integrations::network::routeros::{RouterOs, RouterOsConfig};
use aglis_integrations::network::routeros_api::{ApiConfig, RouterOsApi};
use aglis_integrations::network::{NetError, Outcome};
use std::time::Duration;

/// What device secrets are sealed for.
const PURPOSE: &[u8] = b"aglis:device-secret:v1";
const AAD: &str = "aglis:network-device";
/// A RouterOS call that takes longer is treated as "unknown outcome" and re-read.
const ROUTER_TIMEOUT: Duration = Duration::from_secs(10);

pub fn seal_secret(state: &AppState, secret: &str) -> anyhow::Result<String> {
    sealed::seal_for(state.config.secret_bytes(), PURPOSE, AAD, secret.as_bytes())
}

fn open_secret(state: &AppState, device: &Device) -> Result<String, NetError> {
    let bytes = sealed::open_for(state.config.secret_bytes(), PURPOSE, AAD, &device.secret_sealed).map_err(|_| {
        NetError::Auth("the stored password cannot be opened (was AGLIS_SECRET_KEY changed?); enter it again".into())
    })?;
    String::from_utf8(bytes).map_err(|_| NetError::Auth("the stored password is damaged; enter it again".into()))
}

/// A device ready to talk to.
pub enum Driver {
    Router(Router),
    Radius(NasConfig),
}

/// The host a device address names: the URL's host, or the ip of `ip:port`.
fn host_of(address: &str) -> &str {
    let rest = address.strip_prefix("https://").or_else(|| address.strip_prefix("http://")).unwrap_or(address);
    let authority = rest.split('/').next().unwrap_or_default();
    let authority = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    if let Some(v6) = authority.strip_prefix('[') {
        return v6.split(']').next().unwrap_or_default();
    }
    authority.rsplit_once(':').map_or(authority, |(h, _)| h)
}

/// Whether `address` is on this machine: a loopback address or `localhost`.
pub fn is_loopback(address: &str) -> bool {
    let host = host_of(address);
    host.eq_ignore_ascii_case("localhost") || host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

impl Driver {
    pub fn open(state: &AppState, device: &Device) -> Result<Self, NetError> {
        if state.config.enforcement.loopback_only(state.config.demo) && !is_loopback(&device.address) {
            return Err(NetError::Refused(format!(
                "{} is not on this machine, and this installation contacts local devices only (AGLIS_DEVICES_LOOPBACK_ONLY)",
                device.address
            )));
        }
        let secret = open_secret(state, device)?;
        match device.kind {
            DeviceKind::Routeros => Ok(Driver::Router(Router::Rest(RouterOs::new(RouterOsConfig {
                base_url: device.address.clone(),
                username: device.username.clone(),
                password: secret,
                timeout: ROUTER_TIMEOUT,
                insecure_tls: device.insecure_tls,
            })?))),
            DeviceKind::RouterosApi => Ok(Driver::Router(Router::Api(RouterOsApi::new(ApiConfig {
                address: device.address.clone(),
                username: device.username.clone(),
                password: secret,
                timeout: ROUTER_TIMEOUT,
            })?))),
            DeviceKind::Radius => {
                let addr = device
                    .address
                    .parse()
                    .map_err(|_| NetError::Refused(format!("`{}` is not an ip:port", device.address)))?;
                Ok(Driver::Radius(NasConfig { addr, secret, timeout: Duration::from_secs(3), tries: 3 }))
            }
        }
    }

    /// The "test connection" button: what the device says about itself.
    pub async fn health(&self) -> Result<String, NetError> {
        match self {
            Driver::Router(r) => {
                let info = r.health().await?;
                Ok(format!("RouterOS {} on {} (up {})", info.version, info.board, info.uptime))
            }
            // A Disconnect for a user nobody is: a NAS that answers at all (ACK or NAK) is
            // reachable and shares our secret; a wrong secret is silence.
            Driver::Radius(nas) => {
                let probe =
                    Session { user_name: "aglis-connection-test".into(), acct_session_id: None, framed_ip: None };
                radius::disconnect(nas, &probe).await?;
                Ok(format!("the NAS at {} answers Disconnect-Requests", nas.addr))
            }
        }
    }
}

/// What the device does for the service now, and the plan profile or group it shows when that
/// is not the isolation one (the profile to restore later).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seen {
    pub state: ServiceState,
    pub plan: Option<String>,
}

/// Reads the service's state from the device.
pub async fn observe(state: &AppState, drv: &Driver, device: &Device, s: &Service) -> Result<Seen, NetError> {
    let isolate = device.isolate_profile.as_str();
    match (drv, s.method) {
        (Driver::Router(r), Method::PppoeProfile | Method::PppoeDisable) => {
            let ppp = r
                .ppp_state(&s.identity)
                .await?
                .ok_or_else(|| NetError::Refused(format!("the router has no PPP secret named {}", s.identity)))?;
            let suspended = if s.method == Method::PppoeProfile { ppp.profile == isolate } else { ppp.disabled };
            let plan = (ppp.profile != isolate).then_some(ppp.profile);
            Ok(Seen { state: if suspended { ServiceState::Suspended } else { ServiceState::Active }, plan })
        }
        (Driver::Router(r), Method::AddressList) => {
            let listed = r.listed(&device.isolate_list, &s.identity).await?;
            Ok(Seen { state: if listed { ServiceState::Suspended } else { ServiceState::Active }, plan: None })
        }
        (Driver::Radius(_), Method::Radius) => {
            let group = radius_groups::group_of(&state.db, &s.identity).await.map_err(db_error)?;
            let suspended = group.as_deref() == Some(isolate);
            Ok(Seen {
                state: if suspended { ServiceState::Suspended } else { ServiceState::Active },
                plan: group.filter(|g| g != isolate),
            })
        }
        _ => Err(mismatch(device, s)),
    }
}

fn mismatch(device: &Device, s: &Service) -> NetError {
    NetError::Refused(format!("a {} device cannot carry out {}", device.kind, s.method))
}

fn db_error(e: aglis_db::DbError) -> NetError {
    NetError::Unexpected(format!("the RADIUS tables: {e}"))
}

/// Converges the device to `want` for the service; `plan` is the profile or group to restore.
pub async fn converge(
    state: &AppState,
    drv: &Driver,
    device: &Device,
    s: &Service,
    want: ServiceState,
    plan: Option<&str>,
) -> Result<Outcome, NetError> {
    let dry = device.dry_run;
    let suspend = want == ServiceState::Suspended;
    let plan_needed = || {
        plan.filter(|p| !p.is_empty()).ok_or_else(|| {
            NetError::Refused(format!(
                "the plan profile of {} is not known; set the secret's profile on the router by hand once",
                s.identity
            ))
        })
    };
    match (drv, s.method) {
        (Driver::Router(r), Method::PppoeProfile) => {
            let profile = if suspend { device.isolate_profile.as_str() } else { plan_needed()? };
            r.ensure_ppp_profile(&s.identity, profile, dry).await
        }
        (Driver::Router(r), Method::PppoeDisable) => r.ensure_ppp_disabled(&s.identity, suspend, dry).await,
        (Driver::Router(r), Method::AddressList) => {
            let comment = format!("aglis:cid={}", s.customer_id);
            r.ensure_listed(&device.isolate_list, &s.identity, &comment, suspend, dry).await
        }
        (Driver::Radius(nas), Method::Radius) => {
            let group = if suspend { device.isolate_profile.as_str() } else { plan_needed()? };
            let before = radius_groups::group_of(&state.db, &s.identity).await.map_err(db_error)?;
            let mut out = Outcome { previous: before.clone(), ..Outcome::default() };
            if before.as_deref() == Some(group) {
                return Ok(out);
            }
            out.changed = true;
            out.steps.push(format!("radusergroup {}: {} → {group}", s.identity, before.as_deref().unwrap_or("(none)")));
            out.steps.push(format!("Disconnect-Request {} to {}", s.identity, nas.addr));
            if dry {
                return Ok(out);
            }
            radius_groups::set_group(&state.db, &s.identity, group).await.map_err(db_error)?;
            let session = Session { user_name: s.identity.clone(), acct_session_id: None, framed_ip: None };
            match radius::disconnect(nas, &session).await? {
                Disconnected::Acked => {}
                Disconnected::NoSession => out.steps.push(format!("{}: no session was up", s.identity)),
            }
            Ok(out)
        }
        _ => Err(mismatch(device, s)),
    }
}

/// After an earlier try changed the device but failed before the session was cut (the kick or the
/// Disconnect-Request did not get through), the device already shows `want` while the customer's
/// session still runs under the old profile or group: cut it now. Address lists need no cut.
pub async fn cut_session(drv: &Driver, device: &Device, s: &Service) -> Result<Outcome, NetError> {
    match (drv, s.method) {
        (Driver::Router(r), Method::PppoeProfile | Method::PppoeDisable) => r.kick(&s.identity, device.dry_run).await,
        (Driver::Radius(nas), Method::Radius) => {
            let out = Outcome {
                changed: true,
                steps: vec![format!("Disconnect-Request {} to {}", s.identity, nas.addr)],
                previous: None,
            };
            if !device.dry_run {
                let session = Session { user_name: s.identity.clone(), acct_session_id: None, framed_ip: None };
                radius::disconnect(nas, &session).await?;
            }
            Ok(out)
        }
        _ => Ok(Outcome::default()),
    }
}

#[cfg(test)]
mod tests {
    use super::is_loopback;

    #[test]
    fn only_addresses_on_this_machine_are_loopback() {
        for local in [
            "http://127.0.0.1:8728",
            "https://localhost/rest",
            "127.0.0.1:3799",
            "http://[::1]:80",
            "http://u@127.0.0.5",
        ] {
            assert!(is_loopback(local), "{local}");
        }
        for remote in [
            "https://192.168.88.1",
            "10.0.0.1:3799",
            "http://router.example",
            "http://127.0.0.1.example.com",
            "http://[2001:db8::1]:443",
        ] {
            assert!(!is_loopback(remote), "{remote}");
        }
    }
}
