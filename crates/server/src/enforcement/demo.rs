//! `aglis demo`'s network: a local fake MikroTik (RouterOS REST) and a fake RADIUS NAS on
//! 127.0.0.1, never a real address. The first run adds three devices (the Karawang router and the
//! Bekasi NAS live, a new Cikarang router still in dry run), binds every installed customer to
//! one, and writes a little history. Every start points the devices at this run's fakes and gives
//! the fakes the state the database says they have (their tables live in memory).

use crate::state::AppState;
use aglis_core::customer::CustomerStatus;
use aglis_core::enforcement::{DeviceKind, Method, ServiceState, SuspendReason};
use aglis_db::repo::customer_services::{self, NewAction};
use aglis_db::repo::network_devices::{self, DeviceFields};
use aglis_db::repo::{customers, packages, radius_groups};
use aglis_integrations::network::radius_fake::FakeNas;
use aglis_integrations::network::routeros_fake::FakeRouterOs;
use chrono::Duration;
use std::net::Ipv4Addr;

const ROUTER_USER: &str = "aglis-billing";
const ROUTER_PASSWORD: &str = "demo-router-rahasia";
const NAS_SECRET: &str = "demo-radius-rahasia";
const KARAWANG: &str = "MikroTik CCR2004 Karawang";
const BEKASI: &str = "NAS RADIUS Bekasi Timur";
const CIKARANG: &str = "MikroTik Cikarang (baru)";

/// The demo's fake devices, kept alive with the instance.
#[derive(Debug)]
pub struct DemoNetwork {
    pub router: FakeRouterOs,
    pub nas: FakeNas,
}

impl DemoNetwork {
    pub async fn start() -> std::io::Result<Self> {
        let router = FakeRouterOs::start(ROUTER_USER, ROUTER_PASSWORD).await?;
        let nas = FakeNas::start(NAS_SECRET).await?;
        tracing::info!(router = %router.url(), nas = %nas.addr(), "demo network devices (local fakes)");
        Ok(Self { router, nas })
    }
}

fn user_name(name: &str, id: i64) -> String {
    let base: String = name
        .to_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '.' })
        .collect::<String>()
        .split('.')
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(".");
    format!("{}.{id}", base.chars().take(40).collect::<String>())
}

/// First run: the devices, the bindings and a history.
pub async fn seed(state: &AppState, net: &DemoNetwork) -> anyhow::Result<()> {
    let now = state.now();
    let sealed = |s: &str| super::driver::seal_secret(state, s);
    let router = |name: &str, dry_run: bool| DeviceFields {
        name: name.to_owned(),
        kind: DeviceKind::Routeros,
        address: net.router.url(),
        username: ROUTER_USER.into(),
        insecure_tls: false,
        isolate_profile: "ISOLIR".into(),
        isolate_list: "ISOLIR".into(),
        dry_run,
        enabled: true,
    };
    let karawang = network_devices::create(&state.db, router(KARAWANG, false), sealed(ROUTER_PASSWORD)?, now).await?;
    let cikarang = network_devices::create(&state.db, router(CIKARANG, true), sealed(ROUTER_PASSWORD)?, now).await?;
    let nas = DeviceFields {
        name: BEKASI.into(),
        kind: DeviceKind::Radius,
        address: net.nas.addr().to_string(),
        username: String::new(),
        insecure_tls: false,
        isolate_profile: "isolir".into(),
        isolate_list: "ISOLIR".into(),
        dry_run: false,
        enabled: true,
    };
    let bekasi = network_devices::create(&state.db, nas, sealed(NAS_SECRET)?, now).await?;
    let profiles: Vec<(i64, String)> =
        packages::list(&state.db, false).await?.into_iter().map(|p| (p.id, format!("{}M", p.speed_mbps))).collect();
    let ids: Vec<i64> = (1..=400).collect();
    let all = customers::by_ids(&state.db, &ids).await?;
    let (mut bekasi_n, mut statics) = (0u32, 0u32);
    // One suspension the router has not been told of yet: the reconciler carries it out within a
    // minute of the first start, so the log shows a live entry.
    let mut left_for_the_reconciler = false;
    for c in all.iter().filter(|c| matches!(c.status, CustomerStatus::Active | CustomerStatus::Suspended)) {
        let plan = profiles.iter().find(|(id, _)| *id == c.package_id).map_or("10M".to_owned(), |(_, p)| p.clone());
        let (device, method, identity) = if c.city == "Bekasi" {
            bekasi_n += 1;
            if bekasi_n % 3 == 0 {
                (&cikarang, Method::PppoeProfile, user_name(&c.name, c.id))
            } else {
                (&bekasi, Method::Radius, c.code.to_lowercase())
            }
        } else if c.id % 10 == 5 {
            statics += 1;
            (&karawang, Method::AddressList, format!("10.20.{}.{}", statics / 200, 10 + statics % 200))
        } else {
            (&karawang, Method::PppoeProfile, user_name(&c.name, c.id))
        };
        let s = customer_services::bind(&state.db, c.id, device.id, method, &identity, now).await?;
        let suspended = c.status == CustomerStatus::Suspended;
        if suspended {
            customers::set_suspend_reason(&state.db, c.id, SuspendReason::Overdue).await?;
        }
        if method == Method::Radius {
            let group = if suspended { "isolir".to_owned() } else { format!("plan_{plan}") };
            radius_groups::set_group(&state.db, &identity, &group).await?;
        }
        let pending = suspended && method == Method::PppoeProfile && !left_for_the_reconciler;
        left_for_the_reconciler |= pending;
        let applied = if suspended && !pending { ServiceState::Suspended } else { ServiceState::Active };
        let paid = if method == Method::Radius { format!("plan_{plan}") } else { plan };
        customer_services::record_applied(&state.db, &s, applied, Some(paid), now).await?;
        if pending {
            customer_services::desired_changed(&state.db, c.id, now).await?;
        }
        if suspended && !pending {
            let steps = match method {
                Method::AddressList => vec![format!("address-list ISOLIR + {identity}")],
                Method::Radius => {
                    vec![format!("radusergroup {identity}: plan → isolir"), format!("Disconnect-Request {identity}")]
                }
                _ => {
                    vec![format!("ppp/secret {identity}: profile → ISOLIR"), format!("ppp/active ({identity}) removed")]
                }
            };
            let at = now - Duration::days(2) + Duration::minutes(c.id % 50);
            let entry = NewAction {
                customer_id: c.id,
                device_id: Some(device.id),
                action: "suspend",
                requested_by: "policy".into(),
                reason: "tagihan lewat jatuh tempo".into(),
                dry_run: false,
                ok: true,
                steps,
                error: String::new(),
            };
            customer_services::add_action(&state.db, entry, at).await?;
        }
    }
    by_staff(state, &all, bekasi.id, cikarang.id).await?;
    customer_services::add_run(&state.db, 9, 9, false, "", now - Duration::days(3)).await?;
    customer_services::add_run(&state.db, 41, 0, true, "MikroTik CCR2004 Karawang: 41/158", now - Duration::days(20))
        .await?;
    Ok(())
}

/// Two Bekasi customers isolated by staff on request (RADIUS, done), a Cikarang one for abuse
/// (the new router is still in dry run: the log says what it would do), and a restore after a
/// payment two days ago.
async fn by_staff(state: &AppState, all: &[customers::Customer], bekasi: i64, cikarang: i64) -> anyhow::Result<()> {
    let now = state.now();
    let active_on = |device: i64| {
        let all = all.iter().filter(|c| c.status == CustomerStatus::Active).map(|c| c.id).collect::<Vec<_>>();
        async move {
            let mut ids = Vec::new();
            for (c, d) in customer_services::devices_of(&state.db, &all).await? {
                if d == device {
                    ids.push(c);
                }
            }
            anyhow::Ok(ids)
        }
    };
    let noc = "user:noc";
    for id in active_on(bekasi).await?.into_iter().take(2) {
        customers::set_status(
            &state.db,
            id,
            CustomerStatus::Suspended,
            "Permintaan pelanggan: renovasi rumah 2 minggu",
            None,
            now - Duration::hours(5),
        )
        .await?;
        let Some(s) = customer_services::get(&state.db, id).await? else { continue };
        radius_groups::set_group(&state.db, &s.identity, "isolir").await?;
        customer_services::record_applied(&state.db, &s, ServiceState::Suspended, None, now).await?;
        let entry = NewAction {
            customer_id: id,
            device_id: Some(bekasi),
            action: "suspend",
            requested_by: noc.into(),
            reason: "renovasi rumah".into(),
            dry_run: false,
            ok: true,
            steps: vec![
                format!("radusergroup {}: plan → isolir", s.identity),
                format!("Disconnect-Request {}", s.identity),
            ],
            error: String::new(),
        };
        customer_services::add_action(&state.db, entry, now - Duration::hours(5)).await?;
    }
    if let Some(id) = active_on(cikarang).await?.first().copied() {
        customers::set_status(
            &state.db,
            id,
            CustomerStatus::Suspended,
            "Modem dipindah ke rumah lain tanpa izin",
            None,
            now,
        )
        .await?;
        customers::set_suspend_reason(&state.db, id, SuspendReason::Fraud).await?;
    }
    if let Some(id) = active_on(bekasi).await?.get(5).copied() {
        let Some(s) = customer_services::get(&state.db, id).await? else { return Ok(()) };
        for (action, by, hours, steps) in [
            ("suspend", "policy", 60, vec![format!("radusergroup {}: plan → isolir", s.identity)]),
            ("restore", "payment", 48, vec![format!("radusergroup {}: isolir → plan", s.identity)]),
        ] {
            let entry = NewAction {
                customer_id: id,
                device_id: Some(bekasi),
                action,
                requested_by: by.into(),
                reason: String::new(),
                dry_run: false,
                ok: true,
                steps,
                error: String::new(),
            };
            customer_services::add_action(&state.db, entry, now - Duration::hours(hours)).await?;
        }
    }
    Ok(())
}

/// Every start: the devices point at this run's fakes, and the fakes hold what the database
/// says the devices do (a secret per PPPoE customer, sessions of those let on, the isolation
/// list, RADIUS sessions).
pub async fn attach(state: &AppState, net: &DemoNetwork) -> anyhow::Result<()> {
    net.router.seed_isolation();
    let now = state.now();
    for d in network_devices::all(&state.db).await? {
        let address = match (d.name.as_str(), d.kind) {
            (KARAWANG | CIKARANG, DeviceKind::Routeros) => net.router.url(),
            (BEKASI, DeviceKind::Radius) => net.nas.addr().to_string(),
            _ => continue,
        };
        let fields = DeviceFields {
            name: d.name.clone(),
            kind: d.kind,
            address,
            username: d.username.clone(),
            insecure_tls: d.insecure_tls,
            isolate_profile: d.isolate_profile.clone(),
            isolate_list: d.isolate_list.clone(),
            dry_run: d.dry_run,
            enabled: d.enabled,
        };
        network_devices::update(&state.db, d.id, fields, None, now).await?;
    }
    let services = customer_services::all(&state.db).await?;
    for (n, s) in services.iter().enumerate() {
        let ip = Ipv4Addr::new(10, 30, u8::try_from(n / 250).unwrap_or(255), u8::try_from(2 + n % 250).unwrap_or(255));
        let suspended = s.applied == Some(ServiceState::Suspended);
        let paid = s.paid_profile.clone().unwrap_or_else(|| "10M".into());
        match s.method {
            Method::PppoeProfile | Method::PppoeDisable => {
                let profile = if suspended && s.method == Method::PppoeProfile { "ISOLIR" } else { paid.as_str() };
                let disabled = if suspended && s.method == Method::PppoeDisable { "true" } else { "false" };
                let comment = format!("aglis:cid={}", s.customer_id);
                let password = format!("pw{:06}", s.customer_id * 7919 % 1_000_000);
                net.router.add(
                    "ppp/secret",
                    &[
                        ("name", &s.identity),
                        ("password", &password),
                        ("service", "pppoe"),
                        ("profile", profile),
                        ("disabled", disabled),
                        ("comment", &comment),
                    ],
                );
                let mac = format!("E4:8D:8C:{:02X}:{:02X}:{:02X}", n % 256, (n / 256) % 256, s.customer_id % 256);
                net.router.add(
                    "ppp/active",
                    &[("name", &s.identity), ("service", "pppoe"), ("address", &ip.to_string()), ("caller-id", &mac)],
                );
            }
            Method::AddressList => {
                if suspended {
                    let comment = format!("aglis:cid={}", s.customer_id);
                    net.router.add(
                        "ip/firewall/address-list",
                        &[("list", "ISOLIR"), ("address", &s.identity), ("comment", &comment)],
                    );
                }
            }
            Method::Radius => net.nas.add_session(&s.identity, &format!("8100{:04X}", n), ip),
        }
    }
    Ok(())
}
