//! What a technician must record to resolve a ticket (spec §2.8 `completion_data`), per type.
//! Photos (OTDR trace, power meter, modem label) come as attachments; [`required_photos`] says
//! which a type needs.

use crate::attachment::AttachmentKind;
use crate::ticket::TicketType;
use serde_json::Value;

/// The completion photos a ticket of type `t` needs before it can be resolved (spec §2.8: an
/// installation needs all three; a repair's power-meter photo is optional, so nothing else needs one).
/// Readings that are the customer's secrets (their Wi-Fi password).
pub const SECRET_READINGS: &[&str] = &["wifi_password"];

/// Whether `actor` may read the secret readings: the team that set them up, supervisors and
/// admins, and the customer; not customer service, NOC or managers.
pub fn may_see_secrets(actor: crate::ticket::Actor) -> bool {
    use crate::permission::Role;
    actor.on_team || actor.own_customer || matches!(actor.role, Role::Admin | Role::Supervisor)
}

/// `completion` without the secret readings.
pub fn without_secrets(completion: &Value) -> Value {
    match completion {
        Value::Object(map) => Value::Object(
            map.iter()
                .filter(|(k, _)| !SECRET_READINGS.contains(&k.as_str()))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        ),
        other => other.clone(),
    }
}

pub fn required_photos(t: TicketType) -> &'static [AttachmentKind] {
    match t {
        TicketType::Installation => &[AttachmentKind::Otdr, AttachmentKind::Attenuation, AttachmentKind::ModemSn],
        TicketType::Repair
        | TicketType::Maintenance
        | TicketType::Upgrade
        | TicketType::Downgrade
        | TicketType::WifiSetup
        | TicketType::Dismantle
        | TicketType::Survey => &[],
    }
}

/// The photos of [`required_photos`] not among `have`, in the order they are asked for.
pub fn missing_photos(t: TicketType, have: &[AttachmentKind]) -> Vec<AttachmentKind> {
    required_photos(t).iter().copied().filter(|k| !have.contains(k)).collect()
}

/// The keys a type needs.
pub fn required(t: TicketType) -> &'static [&'static str] {
    match t {
        TicketType::Installation => {
            &["odp_id", "odp_port", "final_attenuation", "modem_serial", "wifi_name", "wifi_password"]
        }
        TicketType::Repair | TicketType::Maintenance => &["odp_id", "final_attenuation"],
        TicketType::Upgrade | TicketType::Downgrade => &["new_package_id"],
        TicketType::WifiSetup => &["wifi_name", "wifi_password"],
        TicketType::Dismantle | TicketType::Survey => &[],
    }
}

/// Checks `data` for a ticket of type `t`: every required key present and each known key
/// plausible. The error names the key (`completion.final_attenuation`) and says what is wrong.
pub fn check(t: TicketType, data: Option<&Value>) -> Result<(), (String, String)> {
    let empty = serde_json::Map::new();
    let map = match data {
        None | Some(Value::Null) => &empty,
        Some(Value::Object(m)) => m,
        Some(_) => return Err(("completion".into(), "must be an object of readings".into())),
    };
    for key in required(t) {
        let missing = match map.get(*key) {
            None | Some(Value::Null) => true,
            Some(Value::String(s)) => s.trim().is_empty(),
            Some(_) => false,
        };
        if missing {
            return Err((format!("completion.{key}"), format!("{key} is needed to resolve a {t} ticket")));
        }
    }
    let number = |k: &str| map.get(k).and_then(|v| v.as_f64().or_else(|| v.as_str()?.replace(',', ".").parse().ok()));
    if map.contains_key("final_attenuation") {
        match number("final_attenuation") {
            // Received optical power at the ONT, in dBm: -8 (too hot) … -27 (the usual GPON limit).
            Some(db) if (-40.0..=0.0).contains(&db) => {}
            Some(db) => {
                return Err((
                    "completion.final_attenuation".into(),
                    format!("{db} dBm is not a reading a power meter gives at the customer (0 to -40 dBm)"),
                ));
            }
            None => {
                return Err(("completion.final_attenuation".into(), "give the reading in dBm, e.g. -19.5".into()));
            }
        }
    }
    for key in ["odp_id", "odp_port", "new_package_id"] {
        if map.contains_key(key) && !number(key).is_some_and(|n| n >= 1.0 && n.fract() == 0.0) {
            return Err((format!("completion.{key}"), format!("{key} must be a whole number from 1")));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_wifi_password_is_for_the_team_supervisors_admins_and_the_customer() {
        use crate::permission::Role;
        use crate::ticket::Actor;
        let who = |role, on_team, own_customer| may_see_secrets(Actor { role, on_team, own_customer });
        assert!(
            who(Role::Technician, true, false) && who(Role::Supervisor, false, false) && who(Role::Admin, false, false)
        );
        assert!(who(Role::Customer, false, true));
        for role in [Role::CustomerService, Role::Noc, Role::Manager, Role::Technician] {
            assert!(!who(role, false, false), "{role:?}");
        }
        let kept = without_secrets(&json!({"wifi_name": "Rina_Home", "wifi_password": "marlina2026"}));
        assert_eq!(kept, json!({"wifi_name": "Rina_Home"}));
    }

    #[test]
    fn an_installation_needs_its_readings() {
        let good = json!({"odp_id": 3, "odp_port": 7, "final_attenuation": "-19,5", "modem_serial": "ZTEG1A2B3C4D",
            "wifi_name": "Rahayu_Home", "wifi_password": "rahasia123"});
        assert_eq!(check(TicketType::Installation, Some(&good)), Ok(()));
        let err = check(TicketType::Installation, None).expect_err("empty");
        assert_eq!(err.0, "completion.odp_id");
        let mut hot = good.clone();
        hot["final_attenuation"] = json!(5);
        assert_eq!(check(TicketType::Installation, Some(&hot)).expect_err("hot").0, "completion.final_attenuation");
        let mut port = good;
        port["odp_port"] = json!(0);
        assert_eq!(check(TicketType::Installation, Some(&port)).expect_err("port").0, "completion.odp_port");
    }

    #[test]
    fn an_installation_needs_three_photos_a_repair_none() {
        use AttachmentKind::*;
        assert_eq!(missing_photos(TicketType::Installation, &[]), vec![Otdr, Attenuation, ModemSn]);
        assert_eq!(missing_photos(TicketType::Installation, &[ModemSn, Before, Otdr]), vec![Attenuation]);
        assert!(missing_photos(TicketType::Installation, &[Otdr, Attenuation, ModemSn]).is_empty());
        for t in [TicketType::Repair, TicketType::Maintenance, TicketType::WifiSetup] {
            assert!(missing_photos(t, &[]).is_empty(), "{t}");
        }
    }

    #[test]
    fn other_types_need_less() {
        assert_eq!(check(TicketType::Dismantle, None), Ok(()));
        assert!(check(TicketType::Repair, Some(&json!({"odp_id": 2}))).is_err());
        assert_eq!(check(TicketType::Repair, Some(&json!({"odp_id": 2, "final_attenuation": -21.3}))), Ok(()));
        assert!(check(TicketType::WifiSetup, Some(&json!("wifi"))).is_err());
    }
}
