//! The demo's audit log: three weeks of office life in Karawang and Bekasi — sign-ins (a few
//! failed), customer records opened, SLA and message-text changes, an export and a refused
//! webhook — appended through the chain like any record, oldest first.

use crate::state::AppState;
use aglis_core::audit::{AuditEvent as E, AuditResult as R};
use aglis_core::schedule::JAKARTA;
use aglis_db::repo::audit_log::{self, NewRecord};
use aglis_db::repo::{customers, users};
use chrono::{DateTime, Duration, NaiveTime, Utc};
use serde_json::json;

const DESKTOP: &str =
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36";
const PHONE: &str = "Mozilla/5.0 (Linux; Android 13; SM-A145F) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Mobile Safari/537.36";
/// The Karawang office (Telukjambe) and the Bekasi office (Cikarang), and the technicians' phones.
const KARAWANG: &str = "103.147.9.";
const BEKASI: &str = "36.91.214.";
const MOBILE: &str = "114.124.183.";

/// (username, address prefix, browser, sign-in hour)
const STAFF: &[(&str, &str, &str, u32)] = &[
    ("admin", KARAWANG, DESKTOP, 8),
    ("supervisor", KARAWANG, DESKTOP, 7),
    ("cs", KARAWANG, DESKTOP, 8),
    ("cs.cikarang", BEKASI, DESKTOP, 8),
    ("noc", BEKASI, DESKTOP, 7),
    ("technician", MOBILE, PHONE, 7),
    ("teknisi.bekasi1", MOBILE, PHONE, 8),
];

/// Days of history.
const DAYS: i64 = 21;

/// The records collected, appended oldest first at the end.
struct Seeder {
    ids: std::collections::HashMap<&'static str, i64>,
    records: Vec<(DateTime<Utc>, NewRecord)>,
}

impl Seeder {
    fn add(
        &mut self,
        at: DateTime<Utc>,
        who: Option<&str>,
        (ip, ua): (String, &str),
        (event, result): (E, R),
        resource: Option<String>,
        details: serde_json::Value,
    ) {
        let new = NewRecord {
            event,
            result,
            user_id: who.and_then(|w| self.ids.get(w).copied()),
            username: who.map(str::to_owned),
            ip: Some(ip),
            user_agent: Some(ua.to_owned()),
            resource,
            details,
        };
        self.records.push((at, new));
    }
}

/// Appends the demo records (call once, on the demo database's first run, before anything else
/// is recorded: they are dated in the past).
pub async fn seed_demo(state: &AppState) -> anyhow::Result<()> {
    let mut ids = std::collections::HashMap::new();
    for (name, ..) in STAFF {
        if let Some((u, _)) = users::find_credentials(&state.db, name).await? {
            ids.insert(*name, u.id);
        }
    }
    let customer_ids: Vec<i64> =
        customers::names(&state.db, &(1..=40).collect::<Vec<_>>()).await?.into_iter().map(|(id, _)| id).collect();
    let mut s = Seeder { ids, records: Vec::new() };
    let today = state.now().with_timezone(&JAKARTA).date_naive();
    let at = |days_ago: i64, h: u32, m: u32| {
        let day = today - Duration::days(days_ago);
        day.and_time(NaiveTime::from_hms_opt(h, m, 0).unwrap_or(NaiveTime::MIN))
            .and_local_timezone(JAKARTA)
            .earliest()
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_else(|| state.now() - Duration::days(days_ago))
    };
    let n = |v: i64| u32::try_from(v).unwrap_or(0);
    for d in (1..=DAYS).rev() {
        if (today - Duration::days(d)).format("%u").to_string() == "7" {
            continue; // the offices are closed on Sunday
        }
        for (i, (name, net, ua, hour)) in (0i64..).zip(STAFF) {
            let minute = n((i * 7 + d * 3) % 50);
            let ip = format!("{net}{}", 10 + i * 3 + d % 4);
            if (d + i) % 9 == 0 {
                let typo = json!({ "reason": "wrong_password" });
                s.add(at(d, *hour, minute), Some(name), (ip.clone(), ua), (E::LoginFailed, R::Failure), None, typo);
            }
            s.add(at(d, *hour, minute + 1), Some(name), (ip, ua), (E::LoginSucceeded, R::Success), None, json!({}));
        }
        // Customer service opens customer records through the day.
        for k in 0..3 {
            let Some(c) = customer_ids.get(usize::try_from((d * 3 + k) % 40).unwrap_or(0)).copied() else { continue };
            let (who, ip) =
                if k % 2 == 0 { ("cs", format!("{KARAWANG}13")) } else { ("cs.cikarang", format!("{BEKASI}19")) };
            let resource = Some(format!("customer:{c}"));
            s.add(
                at(d, 9 + n(k) * 2, 15),
                Some(who),
                (ip, DESKTOP),
                (E::SensitiveViewed, R::Success),
                resource,
                json!({}),
            );
        }
        s.add(
            at(d, 17, 5),
            Some("admin"),
            (format!("{KARAWANG}10"), DESKTOP),
            (E::Logout, R::Success),
            None,
            json!({}),
        );
    }
    // Someone guessing the admin password from outside, and an unknown account.
    for (k, user) in (0i64..).zip(["admin", "admin", "admin", "administrator"]) {
        let reason = if user == "admin" { "wrong_password" } else { "unknown_user" };
        let new = NewRecord {
            event: E::LoginFailed,
            result: R::Failure,
            user_id: None,
            username: Some(user.to_owned()),
            ip: Some("45.148.10.77".into()),
            user_agent: Some("python-requests/2.31".into()),
            resource: None,
            details: json!({ "reason": reason }),
        };
        s.records.push((at(12, 2, 10 + n(k)), new));
    }
    let admin = Some("admin");
    let office = || (format!("{KARAWANG}10"), DESKTOP);
    let changed = (E::SettingChanged, R::Success);
    let sla = json!({ "rows": [{ "ticket_type": "repair", "priority": "high", "response_minutes": 30,
        "resolution_minutes": 240, "calendar": "24x7" }] });
    s.add(at(15, 10, 20), admin, office(), changed, Some("setting:sla_targets".into()), sla);
    let holiday = json!({ "action": "added", "date": "2026-12-24", "name": "Cuti bersama Natal" });
    s.add(at(11, 14, 2), admin, office(), changed, Some("setting:holidays".into()), holiday);
    let text = json!({ "event": "ticket_created", "language": "id", "channel": "whatsapp" });
    s.add(at(8, 11, 40), admin, office(), changed, Some("setting:notification_template:3".into()), text);
    let export = json!({ "format": "csv", "rows": 412, "filters": { "event": "login.failure" } });
    s.add(at(5, 15, 30), admin, office(), (E::DataExported, R::Success), Some("audit_log".into()), export);
    let hook = json!({ "provider": "fonnte", "reason": "wrong or missing callback token" });
    let from = ("185.191.171.12".to_owned(), "Go-http-client/1.1");
    s.add(at(3, 21, 47), None, from, (E::WebhookSignatureFailed, R::Denied), Some("webhook:fonnte".into()), hook);

    s.records.sort_by_key(|(t, _)| *t);
    for (t, new) in s.records {
        audit_log::append(&state.db, new, t).await?;
    }
    Ok(())
}
