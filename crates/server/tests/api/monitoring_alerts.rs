//! The alert rules end to end: each fires on a controlled input, notifies the admin once by
//! e-mail (fake SMTP) and WhatsApp (fake Fonnte) through the queue, and resolves once the input
//! is gone. The database rule is the watchdog's: it alerts directly while the database is down.

use crate::helpers::{ClockExt, TestApp, on_postgres, spawn_app_with, temp_dir};
use aglis_core::alerting::{AlertStatus, RuleCode};
use aglis_core::permission::Role;
use aglis_db::repo::alerts::{self, RuleSettings};
use aglis_integrations::email::fake::FakeSmtp;
use aglis_integrations::whatsapp::fonnte::fake::{Behavior, FakeFonnte};
use aglis_server::jobs::{Runner, builtin_registry};
use aglis_server::monitoring::alerting::{Evaluation, evaluate};
use aglis_server::monitoring::watchdog::Tick;
use chrono::Duration;
use reqwest::StatusCode;
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};
use std::sync::Arc;

const TOKEN: &str = "fonnte-alerts-token";
const ADMIN_PHONE: &str = "6281298765432";

struct Rig {
    app: TestApp,
    smtp: FakeSmtp,
    fonnte: FakeFonnte,
    admin: String,
}

async fn rig_with(extra: impl FnOnce(&mut std::collections::BTreeMap<String, String>) + Send + 'static) -> Rig {
    let smtp = FakeSmtp::start().await.expect("fake smtp");
    let fonnte = FakeFonnte::start(TOKEN).await.expect("fake fonnte");
    let (host, port, url) = (smtp.host.clone(), smtp.port, fonnte.url.clone());
    let app = spawn_app_with(move |env| {
        env.insert("AGLIS_SMTP_HOST".into(), host);
        env.insert("AGLIS_SMTP_PORT".into(), port.to_string());
        env.insert("AGLIS_SMTP_TLS".into(), "none".into());
        env.insert("AGLIS_SMTP_FROM".into(), "AGLIS <noc@isp.co.id>".into());
        env.insert("AGLIS_FONNTE_TOKEN".into(), TOKEN.into());
        env.insert("AGLIS_FONNTE_URL".into(), url);
        env.insert("AGLIS_WHATSAPP_RATE_PER_MIN".into(), "0".into());
        extra(env);
    })
    .await;
    let (admin, token) = app.user_with_token("admin.noc", Role::Admin).await;
    let phone = aglis_db::repo::users::UserChanges { phone: Some(Some(ADMIN_PHONE.into())), ..Default::default() };
    aglis_db::repo::users::update(&app.state.db, admin.id, phone, app.clock.now_utc()).await.expect("phone");
    Rig { app, smtp, fonnte, admin: token }
}

async fn rig() -> Rig {
    rig_with(|_| {}).await
}

impl Rig {
    /// Flushes the figures, evaluates every rule, then sends what was queued.
    async fn evaluate(&self) -> Evaluation {
        self.app.state.monitor.flush(&self.app.state.db).await.expect("flush");
        let e = evaluate(&self.app.state).await.expect("evaluate");
        self.drain().await;
        e
    }

    async fn drain(&self) {
        let runner = Runner::new(self.app.state.clone(), Arc::new(builtin_registry()));
        for _ in 0..50 {
            if runner.run_once().await.expect("run").claimed == 0 {
                return;
            }
        }
        panic!("the queue did not drain");
    }

    /// Mails whose subject or text contains `word`.
    fn mails(&self, word: &str) -> usize {
        self.smtp
            .received()
            .iter()
            .filter(|m| m.header("Subject").unwrap_or_default().contains(word) || m.text().contains(word))
            .count()
    }

    /// WhatsApp messages to the admin whose text contains `word`.
    fn whatsapps(&self, word: &str) -> usize {
        self.fonnte
            .received()
            .iter()
            .filter(|r| format!("{r:?}").contains(ADMIN_PHONE) && format!("{r:?}").contains(word))
            .count()
    }

    /// (firing, resolved) notices about `rule`, by e-mail and by WhatsApp.
    fn notices(&self, rule: &str) -> ((usize, usize), (usize, usize)) {
        let firing = format!("PERINGATAN: {rule}");
        let resolved = format!("PULIH: {rule}");
        let wa_firing = format!("PERINGATAN — {rule}");
        let wa_resolved = format!("PULIH — {rule}");
        ((self.mails(&firing), self.mails(&resolved)), (self.whatsapps(&wa_firing), self.whatsapps(&wa_resolved)))
    }

    fn advance(&self, minutes: i64) {
        self.app.clock.advance(Duration::minutes(minutes));
    }

    async fn history(&self, code: RuleCode) -> Vec<alerts::Alert> {
        alerts::history(&self.app.state.db, Some(code), 1, 50).await.expect("history").0
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn induced_500s_fire_the_error_rate_alert_once_and_it_resolves_once() {
    let rig = rig().await;
    assert_eq!(rig.app.get("/api/v1/packages", Some(&rig.admin)).await.status(), StatusCode::OK);
    // A real fault: the table the route reads is gone.
    rig.app.state.db.execute_unprepared("ALTER TABLE packages RENAME TO packages_gone").await.expect("rename");
    for _ in 0..25 {
        let res = rig.app.get("/api/v1/packages", Some(&rig.admin)).await;
        assert_eq!(res.status(), StatusCode::INTERNAL_SERVER_ERROR);
    }
    let e = rig.evaluate().await;
    assert_eq!(e.fired, vec![RuleCode::ErrorRate], "{e:?}");
    rig.advance(1);
    assert!(rig.evaluate().await.fired.is_empty(), "still the same incident");
    assert_eq!(rig.notices("Tingkat error"), ((1, 0), (1, 0)));

    // The 500s are in the error inbox, grouped under the route template.
    let (groups, _) = aglis_db::repo::error_groups::list(&rig.app.state.db, None, None, 1, 10).await.expect("inbox");
    let group = groups.iter().find(|g| g.route == "/api/v1/packages").expect("a group for the route");
    assert_eq!((group.source.as_str(), group.count), ("http", 25), "{group:?}");

    rig.app.state.db.execute_unprepared("ALTER TABLE packages_gone RENAME TO packages").await.expect("repair");
    rig.advance(6);
    for _ in 0..25 {
        assert_eq!(rig.app.get("/api/v1/packages", Some(&rig.admin)).await.status(), StatusCode::OK);
    }
    assert_eq!(rig.evaluate().await.resolved, vec![RuleCode::ErrorRate]);
    rig.advance(1);
    let e = rig.evaluate().await;
    assert!(e.fired.is_empty() && e.resolved.is_empty(), "{e:?}");
    assert_eq!(rig.notices("Tingkat error"), ((1, 1), (1, 1)), "one notice each way");
    let history = rig.history(RuleCode::ErrorRate).await;
    assert_eq!(history.len(), 1);
    assert_eq!(history[0].status, AlertStatus::Resolved);
    assert!(history[0].value.ends_with('%'), "{}", history[0].value);
}

/// Holds a write lock on the database from another connection for `hold`.
async fn hold_write_lock(db_url: &str, hold: std::time::Duration) -> tokio::task::JoinHandle<()> {
    use sea_orm::TransactionTrait;
    let conn = sea_orm::Database::connect(db_url).await.expect("second connection");
    let txn = conn.begin().await.expect("begin");
    if on_postgres() {
        txn.execute_unprepared("LOCK TABLE messages IN ACCESS EXCLUSIVE MODE").await.expect("lock");
    } else {
        txn.execute_unprepared("UPDATE users SET is_active = is_active").await.expect("take the write lock");
    }
    tokio::spawn(async move {
        tokio::time::sleep(hold).await;
        txn.commit().await.expect("release");
        let _ = conn.close().await;
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slowed_route_fires_the_response_time_alert() {
    let rig = rig().await;
    rig.advance(10); // the sign-in's request leaves the window
    let release = hold_write_lock(&rig.app.db_url, std::time::Duration::from_millis(3400)).await;
    let started = std::time::Instant::now();
    let res = rig
        .app
        .post_json(
            "/api/v1/notifications",
            Some(&rig.admin),
            &json!({"channel": "email", "to": "cs@isp.co.id", "body": "Tes"}),
        )
        .await;
    assert!(res.status().is_success(), "{}", res.status());
    assert!(started.elapsed() >= std::time::Duration::from_secs(3), "the request waited for the lock");
    release.await.expect("released");
    let e = rig.evaluate().await;
    assert_eq!(e.fired, vec![RuleCode::ResponseTime], "{e:?}");
    let active = alerts::active(&rig.app.state.db).await.expect("active");
    assert!(active[0].value.ends_with("ms") && active[0].detail.contains("average"), "{active:?}");
    rig.advance(6);
    assert_eq!(rig.evaluate().await.resolved, vec![RuleCode::ResponseTime]);
    assert_eq!(rig.notices("Waktu respons"), ((1, 1), (1, 1)));
}

async fn send_whatsapp(rig: &Rig, n: usize) {
    for i in 0..n {
        let body =
            json!({"channel": "whatsapp", "to": format!("0857-2233-44{i:02}"), "body": "Tagihan Anda sudah terbit"});
        let res = rig.app.post_json("/api/v1/notifications", Some(&rig.admin), &body).await;
        assert_eq!(res.status(), StatusCode::ACCEPTED);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_whatsapp_provider_fires_the_whatsapp_alert_and_it_resolves_after_the_window() {
    let rig = rig().await;
    rig.fonnte.set_behavior(Behavior::HttpError(502));
    send_whatsapp(&rig, 6).await;
    rig.drain().await;
    let e = rig.evaluate().await;
    assert_eq!(e.fired, vec![RuleCode::Whatsapp], "{e:?}");
    // The e-mail arrives at once; the WhatsApp copy waits for the provider.
    assert_eq!(rig.notices("Pengiriman WhatsApp"), ((1, 0), (0, 0)));

    rig.fonnte.set_behavior(Behavior::Accept);
    rig.advance(61);
    rig.drain().await; // the retries go out now, the alert's WhatsApp copy among them
    assert_eq!(rig.notices("Pengiriman WhatsApp").1, (1, 0), "the alert reached WhatsApp once the provider was back");
    let e = rig.evaluate().await;
    assert_eq!(e.resolved, vec![RuleCode::Whatsapp], "{e:?}");
    rig.advance(1);
    assert!(rig.evaluate().await.fired.is_empty());
    assert_eq!(rig.notices("Pengiriman WhatsApp"), ((1, 1), (1, 1)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_breached_ticket_fires_the_sla_alert_until_it_is_closed() {
    let rig = rig().await;
    let pkg = rig
        .app
        .post_json(
            "/api/v1/packages",
            Some(&rig.admin),
            &json!({"name": "Paket 50", "speed_mbps": 50, "monthly_price": 250_000, "installation_fee": 0}),
        )
        .await
        .json::<Value>()
        .await
        .expect("json");
    let customer = rig
        .app
        .post_json(
            "/api/v1/customers",
            Some(&rig.admin),
            &json!({"name": "Siti Rahayu", "phone": "0857-2233-4455", "address": "Perum Bumi Telukjambe Blok D 12", "package_id": pkg["id"]}),
        )
        .await
        .json::<Value>()
        .await
        .expect("json");
    let ticket = rig
        .app
        .post_json(
            "/api/v1/tickets",
            Some(&rig.admin),
            &json!({"customer_id": customer["id"], "type": "repair", "priority": "high", "description": "Internet mati sejak pagi"}),
        )
        .await
        .json::<Value>()
        .await
        .expect("json");
    assert!(rig.evaluate().await.fired.is_empty(), "not breached yet");
    rig.advance(60 * 24 * 14);
    aglis_server::tickets::escalation::check(&rig.app.state).await.expect("sla check");
    let e = rig.evaluate().await;
    assert_eq!(e.fired, vec![RuleCode::SlaBreaches], "{e:?}");
    let number = ticket["number"].as_str().expect("number");
    assert!(alerts::active(&rig.app.state.db).await.expect("active")[0].detail.contains(number));

    let id = ticket["id"].as_i64().expect("id");
    let res = rig
        .app
        .post_json(
            &format!("/api/v1/tickets/{id}/transitions"),
            Some(&rig.admin),
            &json!({"to": "cancelled", "note": "Pelanggan membatalkan"}),
        )
        .await;
    assert!(res.status().is_success(), "{}: {}", res.status(), res.text().await.unwrap_or_default());
    rig.advance(1);
    assert_eq!(rig.evaluate().await.resolved, vec![RuleCode::SlaBreaches]);
    assert_eq!(rig.notices("Pelanggaran SLA"), ((1, 1), (1, 1)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_backup_fires_the_backup_alert_until_a_good_backup_follows() {
    use aglis_server::backup::{Ctx, Trigger, jobs, progress::Silent};
    let blocker = temp_dir("alert-blocker").join("a-file");
    std::fs::write(&blocker, "").expect("file");
    let bad_dir = blocker.join("backups").display().to_string();
    let rig = rig_with(move |env| {
        env.insert("AGLIS_BACKUP_DIR".into(), bad_dir);
    })
    .await;
    jobs::run_backup(&Ctx::from_state(&rig.app.state), Trigger::Schedule, None, Arc::new(Silent))
        .await
        .expect_err("fails");
    let e = rig.evaluate().await;
    assert_eq!(e.fired, vec![RuleCode::BackupFailed], "{e:?}");

    let mut config = (*rig.app.state.config).clone();
    config.backup.dir = temp_dir("alert-backups");
    let good = aglis_server::state::AppState { config: Arc::new(config), ..rig.app.state.clone() };
    jobs::run_backup(&Ctx::from_state(&good), Trigger::Manual, None, Arc::new(Silent)).await.expect("backup");
    rig.advance(1);
    assert_eq!(rig.evaluate().await.resolved, vec![RuleCode::BackupFailed]);
    assert_eq!(rig.notices("Backup gagal"), ((1, 1), (1, 1)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_job_fires_the_dead_letter_alert_and_lands_in_the_error_inbox() {
    let rig = rig().await;
    let now = rig.app.clock.now_utc();
    let job = aglis_db::jobs::NewJob::new("reports.nightly_export", json!({})).max_attempts(1);
    aglis_db::jobs::enqueue(&rig.app.state.db, job, now).await.expect("enqueue");
    let e = rig.evaluate().await; // the drain runs the job: no handler, one attempt, dead
    assert!(e.fired.is_empty(), "evaluated before the job ran: {e:?}");
    rig.advance(1);
    assert_eq!(rig.evaluate().await.fired, vec![RuleCode::DeadLetters]);
    let (groups, _) =
        aglis_db::repo::error_groups::list(&rig.app.state.db, None, Some("nightly"), 1, 10).await.expect("inbox");
    assert_eq!(groups.len(), 1, "{groups:?}");
    assert_eq!(groups[0].source, aglis_core::alerting::ErrorSource::Job);
    rig.advance(61);
    assert_eq!(rig.evaluate().await.resolved, vec![RuleCode::DeadLetters]);
    assert_eq!(rig.notices("Job mati"), ((1, 1), (1, 1)));
}

async fn set_threshold(rig: &Rig, code: RuleCode, threshold: f64, renotify: i32) {
    let rule = alerts::rule(&rig.app.state.db, code).await.expect("db").expect("rule");
    let settings = RuleSettings {
        enabled: true,
        threshold,
        window_minutes: rule.window_minutes,
        renotify_minutes: renotify,
        recipients: rule.recipients,
    };
    alerts::update_rule(&rig.app.state.db, code, &settings, None, rig.app.clock.now_utc()).await.expect("update");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_disk_alert_follows_its_editable_threshold_renotifies_until_acknowledged_and_mutes() {
    let rig = rig().await;
    set_threshold(&rig, RuleCode::Disk, 0.001, 60).await;
    assert_eq!(rig.evaluate().await.fired, vec![RuleCode::Disk]);
    rig.advance(30);
    assert!(rig.evaluate().await.renotified.is_empty(), "not before the interval");
    rig.advance(30);
    assert_eq!(rig.evaluate().await.renotified, vec![RuleCode::Disk]);
    assert_eq!(rig.mails("masih aktif: Ruang disk"), 1, "one reminder");
    let active = alerts::active(&rig.app.state.db).await.expect("active");
    alerts::acknowledge(&rig.app.state.db, active[0].id, None, rig.app.clock.now_utc()).await.expect("ack");
    rig.advance(120);
    assert!(rig.evaluate().await.renotified.is_empty(), "acknowledged: no more reminders");

    set_threshold(&rig, RuleCode::Disk, 99.999, 60).await;
    assert_eq!(rig.evaluate().await.resolved, vec![RuleCode::Disk]);
    assert_eq!(rig.notices("Ruang disk"), ((1, 1), (1, 1)));

    // Muted: the incident is recorded, nobody is woken.
    let until = rig.app.clock.now_utc() + Duration::hours(4);
    alerts::mute(&rig.app.state.db, RuleCode::Disk, Some(until), None, rig.app.clock.now_utc()).await.expect("mute");
    set_threshold(&rig, RuleCode::Disk, 0.001, 60).await;
    assert_eq!(rig.evaluate().await.fired, vec![RuleCode::Disk]);
    assert_eq!(rig.notices("Ruang disk"), ((1, 1), (1, 1)), "muted: nothing sent");
    assert_eq!(rig.history(RuleCode::Disk).await.len(), 2);
}

/// Makes the database unreachable for this app: the SQLite file moves away, or PostgreSQL stops
/// accepting connections to the test database and drops the open ones.
pub async fn break_database(
    app: &TestApp,
) -> Box<dyn FnOnce() -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>> + Send> {
    if on_postgres() {
        let server = std::env::var("AGLIS_TEST_DATABASE_URL").expect("server");
        let name = app.db_url.rsplit_once('/').map(|(_, n)| n.to_owned()).expect("db name");
        let admin = sea_orm::Database::connect(&server).await.expect("admin connection");
        admin
            .execute_unprepared(&format!("ALTER DATABASE \"{name}\" ALLOW_CONNECTIONS false"))
            .await
            .expect("disallow");
        admin
            .execute_unprepared(&format!(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}' AND pid <> pg_backend_pid()"
            ))
            .await
            .expect("terminate");
        Box::new(move || {
            Box::pin(async move {
                admin
                    .execute_unprepared(&format!("ALTER DATABASE \"{name}\" ALLOW_CONNECTIONS true"))
                    .await
                    .expect("allow");
            })
        })
    } else {
        let file = aglis_db::sqlite_path(&app.db_url).expect("sqlite file");
        let away = file.with_extension("moved");
        std::fs::rename(&file, &away).expect("move the database file away");
        Box::new(move || {
            Box::pin(async move {
                std::fs::rename(&away, &file).expect("put it back");
            })
        })
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_database_is_alerted_directly_and_recorded_once_it_is_back() {
    let rig = rig().await;
    let watchdog = &rig.app.state.monitor.watchdog;
    assert_eq!(watchdog.tick(&rig.app.state).await, Tick::Up, "learns the recipients");
    let repair = break_database(&rig.app).await;
    assert_eq!(watchdog.tick(&rig.app.state).await, Tick::Failing, "one failure is a blip");
    assert_eq!(watchdog.tick(&rig.app.state).await, Tick::Notified(2), "e-mail and WhatsApp, directly");
    assert_eq!(watchdog.tick(&rig.app.state).await, Tick::Failing, "once, not every tick");
    assert_eq!(rig.mails("PERINGATAN: Database tidak terjangkau"), 1);
    assert_eq!(rig.whatsapps("PERINGATAN — Database tidak terjangkau"), 1);

    repair().await;
    assert_eq!(watchdog.tick(&rig.app.state).await, Tick::Recovered);
    assert_eq!(watchdog.tick(&rig.app.state).await, Tick::Up);
    rig.drain().await;
    assert_eq!(rig.notices("Database tidak terjangkau"), ((1, 1), (1, 1)));
    let history = rig.history(RuleCode::Database).await;
    assert_eq!(history.len(), 1, "recorded once");
    assert!(
        history[0].direct && history[0].status == AlertStatus::Resolved && history[0].notifications == 1,
        "{history:?}"
    );
    // The direct notice never went through the queue.
    let queued = aglis_db::entity::messages::Entity::find().all(&rig.app.state.db).await.expect("messages");
    assert!(queued.iter().all(|m| !m.body.contains("PERINGATAN — Database")), "{queued:?}");
}

use sea_orm::EntityTrait;
