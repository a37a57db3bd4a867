//! Backups (issue 8), in process, on the engine of the run: a set taken while writes go on
//! restores every committed row into a fresh instance; a damaged set is caught by verification
//! and refused by restore; retention keeps the newest verified set; failures and a missing
//! backup alert the admins through the notification queue.

use crate::helpers::{ClockExt, TestApp, fresh_database_url, spawn_app_with, temp_dir};
use aglis_core::backup::{MANIFEST_FILE, PartKind, TableStat};
use aglis_core::job::JobPriority;
use aglis_core::notification::Channel;
use aglis_core::permission::Role;
use aglis_db::entity::{jobs as job_rows, messages as message_rows};
use aglis_db::repo::backups;
use aglis_db::repo::messages::{self, NewMessage};
use aglis_server::backup::create::{self, BackupLease};
use aglis_server::backup::progress::Silent;
use aglis_server::backup::set::LocalSets;
use aglis_server::backup::{Ctx, Trigger, database, jobs, restore, retention, verify};
use aglis_server::config::Config;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

/// An app whose sets go to a directory of their own (returned).
async fn app_with_backups(extra: &[(&str, &str)]) -> (TestApp, PathBuf) {
    let dir = temp_dir("backups");
    let extra: Vec<(String, String)> = extra.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
    let backup_dir = dir.display().to_string();
    let app = spawn_app_with(move |env| {
        env.insert("AGLIS_BACKUP_DIR".into(), backup_dir);
        env.extend(extra);
    })
    .await;
    (app, dir)
}

/// The configuration of a new, empty installation that reads sets from `backup_dir`.
pub fn fresh_instance(db_url: &str, backup_dir: &Path) -> Config {
    let data_dir = temp_dir("restored");
    // An existing (empty) file, so the restored configuration goes beside it, not into the repo.
    std::fs::write(data_dir.join("aglis.toml"), "").expect("config file");
    let env: BTreeMap<String, String> = [
        ("AGLIS_DATA_DIR", data_dir.display().to_string()),
        ("AGLIS_CONFIG", data_dir.join("aglis.toml").display().to_string()),
        ("AGLIS_DATABASE_URL", db_url.to_owned()),
        ("AGLIS_BACKUP_DIR", backup_dir.display().to_string()),
        ("AGLIS_SECRET_KEY", "test-secret-key-that-is-long-enough-0123456789".to_owned()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    aglis_server::config::load(&env).expect("configuration of the new instance")
}

fn note(i: usize) -> NewMessage {
    NewMessage {
        channel: Channel::Whatsapp,
        recipient: "6281234567890".into(),
        subject: None,
        body: format!("Tagihan Oktober pelanggan #{i}"),
        template_code: None,
        variables: None,
        priority: JobPriority::Normal,
        created_by: None,
    }
}

/// Tables the restore itself writes to afterwards (its own row, its audit record).
fn without_restore_bookkeeping(stats: &[TableStat]) -> Vec<TableStat> {
    stats
        .iter()
        .filter(|t| !["backups", "audit_logs", "audit_head", "audit_words"].contains(&t.table.as_str()))
        .cloned()
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_backup_taken_during_writes_restores_every_committed_row_into_a_fresh_instance() {
    let (app, backup_dir) = app_with_backups(&[]).await;
    app.state.storage.put("tickets/1/foto-odp.jpg", vec![7u8; 50_000].into()).await.expect("upload");
    let acked = Arc::new(Mutex::new(Vec::<i64>::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let (db, acked, stop, clock) = (app.state.db.clone(), acked.clone(), stop.clone(), app.clock.clone());
        tokio::spawn(async move {
            let mut i = 0;
            while !stop.load(Ordering::Relaxed) {
                let m = messages::create(&db, note(i), clock.now_utc()).await.expect("a write");
                acked.lock().expect("lock").push(m.id);
                i += 1;
            }
        })
    };
    while acked.lock().expect("lock").len() < 50 {
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    let before: Vec<i64> = acked.lock().expect("lock").clone();
    let ctx = Ctx::from_state(&app.state);
    let outcome = jobs::run_backup(&ctx, Trigger::Cli, None, Arc::new(Silent)).await.expect("backup");
    let during = acked.lock().expect("lock").len();
    stop.store(true, Ordering::Relaxed);
    writer.await.expect("writer");
    assert!(during > before.len(), "writes went on while the backup ran ({} → {during})", before.len());
    assert!(outcome.verified.ok(), "{:?}", outcome.verified.problems);
    let m = &outcome.manifest;
    assert_eq!(m.files, 1);
    assert!(m.tables.iter().any(|t| t.table == "messages" && t.rows >= before.len() as u64));
    let row = backups::by_name(&app.state.db, &m.name).await.expect("row").expect("recorded");
    assert_eq!((row.status.as_str(), row.verify_status.as_str()), ("complete", "passed"));

    let target_url = fresh_database_url().await;
    let config = fresh_instance(&target_url, &backup_dir);
    let restored = restore::restore(&config, &m.name, true, &|_| false, Arc::new(Silent))
        .await
        .expect("restore into a fresh instance");
    assert_eq!(restored.files, 1);
    let conn = aglis_db::connect(&target_url, 2).await.expect("restored database");
    for id in &before {
        assert!(
            messages::get(&conn, *id).await.expect("read").is_some(),
            "message {id} was committed before the backup"
        );
    }
    let stats = database::stats_of_url(&target_url, &Silent).await.expect("fingerprints");
    assert_eq!(
        without_restore_bookkeeping(&stats),
        without_restore_bookkeeping(&m.tables),
        "every table holds exactly the snapshot's rows"
    );
    let storage = aglis_server::storage::Storage::from_config(&config.storage).expect("storage");
    assert_eq!(storage.get("tickets/1/foto-odp.jpg").await.expect("get").map(|b| b.len()), Some(50_000));
    let row = backups::by_name(&conn, &m.name).await.expect("row").expect("its own row");
    assert_eq!((row.status.as_str(), row.verify_status.as_str()), ("complete", "passed"), "the set knows itself");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_damaged_set_fails_verification_and_restore_refuses_it() {
    let (app, backup_dir) = app_with_backups(&[]).await;
    app.state.storage.put("docs/kontrak.pdf", vec![3u8; 10_000].into()).await.expect("upload");
    let ctx = Ctx::from_state(&app.state);
    let m = jobs::run_backup(&ctx, Trigger::Cli, None, Arc::new(Silent)).await.expect("backup").manifest;
    let local = LocalSets::new(&backup_dir);

    // One flipped byte in the database part.
    let part = local.path(&m.name).join(&m.part(PartKind::Database).expect("database part").file);
    let original = std::fs::read(&part).expect("read");
    let mut damaged = original.clone();
    let middle = damaged.len() / 2;
    damaged[middle] ^= 0xFF;
    std::fs::write(&part, &damaged).expect("damage");
    let v = verify::verify_and_record(&ctx, &local, &m.name, Arc::new(Silent)).await.expect("verification ran");
    assert!(!v.ok());
    assert!(v.problems.iter().any(|p| p.contains("SHA-256")), "{:?}", v.problems);
    let row = backups::by_name(&app.state.db, &m.name).await.expect("row").expect("row");
    assert_eq!(row.verify_status, aglis_core::backup::VerifyStatus::Failed);
    assert!(row.verify_error.unwrap_or_default().contains("damaged"));

    let target_url = fresh_database_url().await;
    let config = fresh_instance(&target_url, &backup_dir);
    let err = restore::restore(&config, &m.name, true, &|_| true, Arc::new(Silent)).await.expect_err("refused");
    assert!(err.to_string().contains("refusing to restore"), "{err:#}");
    let untouched = database::stats_of_url(&target_url, &Silent).await.expect("target");
    assert!(untouched.is_empty(), "nothing was written to the target: {untouched:?}");

    // Intact parts but a manifest whose count is wrong: the scratch restore finds it.
    std::fs::write(&part, &original).expect("repair");
    let manifest_path = local.path(&m.name).join(MANIFEST_FILE);
    let mut json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&manifest_path).expect("read")).expect("json");
    let users =
        json["tables"].as_array_mut().expect("tables").iter_mut().find(|t| t["table"] == "users").expect("users");
    users["rows"] = serde_json::json!(users["rows"].as_u64().expect("rows") + 1);
    std::fs::write(&manifest_path, serde_json::to_vec(&json).expect("json")).expect("write");
    let v = verify::verify_and_record(&ctx, &local, &m.name, Arc::new(Silent)).await.expect("verification ran");
    assert!(
        v.problems.iter().any(|p| p.starts_with("table users:") && p.contains("the manifest says")),
        "{:?}",
        v.problems
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retention_deletes_old_sets_but_never_the_newest_verified_one() {
    let policy =
        [("AGLIS_BACKUP_KEEP_DAILY", "1"), ("AGLIS_BACKUP_KEEP_WEEKLY", "0"), ("AGLIS_BACKUP_KEEP_MONTHLY", "0")];
    let (app, backup_dir) = app_with_backups(&policy).await;
    let ctx = Ctx::from_state(&app.state);
    let local = LocalSets::new(&backup_dir);
    let day = chrono::Duration::days(1);

    let d1 = jobs::run_backup(&ctx, Trigger::Schedule, None, Arc::new(Silent)).await.expect("day 1").manifest.name;
    app.clock.advance(day);
    let d2 = jobs::run_backup(&ctx, Trigger::Schedule, None, Arc::new(Silent)).await.expect("day 2");
    assert_eq!(d2.deleted, vec![d1.clone()], "one day kept: day 1 goes once day 2 is verified");
    assert!(!local.path(&d1).exists());
    let gone = backups::by_name(&app.state.db, &d1).await.expect("row").expect("row");
    assert!(gone.deleted_at.is_some(), "the row remembers the deletion");

    // Day 3's set is not verified (yet): day 2's, the newest verified, stays though the policy keeps one day.
    app.clock.advance(day);
    let lease = BackupLease::acquire(&ctx).await.expect("lease");
    let d3 = create::create(&ctx, &lease, Trigger::Schedule, None, Arc::new(Silent)).await.expect("day 3").name;
    lease.release().await;
    assert!(retention::apply(&ctx, &local, None).await.expect("retention").is_empty());
    assert!(local.path(&d2.manifest.name).exists() && local.path(&d3).exists());

    // Once day 3 is verified, day 2 may go.
    assert!(verify::verify_and_record(&ctx, &local, &d3, Arc::new(Silent)).await.expect("verify").ok());
    assert_eq!(retention::apply(&ctx, &local, None).await.expect("retention"), vec![d2.manifest.name.clone()]);
    let left: Vec<String> = local.complete().expect("list").into_iter().map(|m| m.name).collect();
    assert_eq!(left, vec![d3]);
}

async fn alert_jobs(app: &TestApp) -> Vec<job_rows::Model> {
    job_rows::Entity::find().filter(job_rows::Column::Kind.eq(jobs::ALERT_JOB)).all(&app.state.db).await.expect("jobs")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_backup_alerts_every_admin_by_email_and_whatsapp() {
    // The backup directory cannot be created: it would be inside a file.
    let blocker = temp_dir("blocker").join("a-file");
    std::fs::write(&blocker, "").expect("file");
    let dir = blocker.join("backups").display().to_string();
    let app = spawn_app_with(move |env| {
        env.insert("AGLIS_BACKUP_DIR".into(), dir);
    })
    .await;
    let admin = app.insert_user("admin.backup", Role::Admin).await;
    aglis_db::repo::users::update(
        &app.state.db,
        admin.id,
        aglis_db::repo::users::UserChanges { phone: Some(Some("6281298765432".into())), ..Default::default() },
        app.clock.now_utc(),
    )
    .await
    .expect("phone");
    let ctx = Ctx::from_state(&app.state);
    let err = jobs::run_backup(&ctx, Trigger::Schedule, None, Arc::new(Silent)).await.expect_err("cannot write");
    let row = backups::running(&app.state.db).await.expect("query");
    assert!(row.is_none(), "no row is left running");
    let alerts = alert_jobs(&app).await;
    assert_eq!(alerts.len(), 1, "one alert for {err:#}");
    jobs::alert_job(app.state.clone(), serde_json::from_str(&alerts[0].payload).expect("payload"))
        .await
        .expect("alert");
    let sent = message_rows::Entity::find().all(&app.state.db).await.expect("messages");
    let to_admin: Vec<(&str, &str)> = sent.iter().map(|m| (m.channel.as_str(), m.recipient.as_str())).collect();
    assert!(to_admin.contains(&("email", "admin.backup@example.id")), "{to_admin:?}");
    assert!(to_admin.contains(&("whatsapp", "6281298765432")), "{to_admin:?}");
    assert!(
        sent.iter().all(|m| m.body.contains("Not a directory") || m.body.contains("backups")),
        "the reason is in the alert"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_backup_for_26_hours_alerts_once_a_day() {
    let (app, _dir) = app_with_backups(&[]).await;
    jobs::watch_job(app.state.clone(), serde_json::json!({})).await.expect("watch");
    assert!(alert_jobs(&app).await.is_empty(), "a new installation has 26 hours for its first backup");
    app.clock.advance(chrono::Duration::hours(27));
    jobs::watch_job(app.state.clone(), serde_json::json!({})).await.expect("watch");
    jobs::watch_job(app.state.clone(), serde_json::json!({})).await.expect("watch again");
    assert_eq!(alert_jobs(&app).await.len(), 1, "one alert per day");

    // A backup silences it.
    let ctx = Ctx::from_state(&app.state);
    jobs::run_backup(&ctx, Trigger::Manual, None, Arc::new(Silent)).await.expect("backup");
    app.clock.advance(chrono::Duration::days(1) - chrono::Duration::hours(1));
    jobs::watch_job(app.state.clone(), serde_json::json!({})).await.expect("watch");
    assert_eq!(alert_jobs(&app).await.len(), 1, "a fresh backup: no new alert");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sets_are_copied_to_an_s3_bucket_and_restored_from_it() {
    // Without a local S3 server this fails (it never skips): `cargo xtask test` starts moto.
    let endpoint = crate::storage_s3::s3_endpoint();
    let bucket = crate::storage_s3::create_bucket(&endpoint, "aglis-backups").await;
    let s3 = [
        ("AGLIS_BACKUP_S3_URL", format!("s3://{bucket}/karawang")),
        ("AGLIS_BACKUP_S3_ENDPOINT", endpoint.clone()),
        ("AGLIS_BACKUP_S3_ACCESS_KEY_ID", "testing".into()),
        ("AGLIS_BACKUP_S3_SECRET_ACCESS_KEY", "testing-secret".into()),
        ("AGLIS_BACKUP_PASSPHRASE", "kabel fiber karawang".into()),
    ];
    let pairs: Vec<(&str, &str)> = s3.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (app, backup_dir) = app_with_backups(&pairs).await;
    app.state.storage.put("tickets/9/redaman.jpg", vec![9u8; 20_000].into()).await.expect("upload");
    let ctx = Ctx::from_state(&app.state);
    let outcome = jobs::run_backup(&ctx, Trigger::Manual, None, Arc::new(Silent)).await.expect("backup");
    assert_eq!(outcome.off_site, Some(Ok(())));
    let name = outcome.manifest.name.clone();
    assert!(outcome.manifest.secrets_sealed);
    let row = backups::by_name(&app.state.db, &name).await.expect("row").expect("row");
    assert_eq!(row.remote_status, aglis_core::backup::RemoteStatus::Uploaded);
    let remote =
        aglis_server::backup::remote::Remote::from_config(&ctx.config.backup).expect("remote").expect("configured");
    assert_eq!(remote.list().await.expect("list"), vec![name.clone()]);

    // The machine is lost: a new one with an empty backup directory restores from the bucket.
    let target_url = fresh_database_url().await;
    let mut config = fresh_instance(&target_url, &temp_dir("empty-backups"));
    config.backup = ctx.config.backup.clone();
    config.backup.dir = temp_dir("new-machine-backups");
    let restored = restore::restore(&config, &name, true, &|_| false, Arc::new(Silent)).await.expect("restore from S3");
    assert_eq!(restored.files, 1);
    assert!(restored.secrets_restored, "the passphrase opens the sealed secrets");
    let written = std::fs::read_to_string(&restored.config_file).expect("restored configuration");
    assert!(written.contains("backup_s3_secret_access_key = \"testing-secret\""), "{written}");
    let fetched = LocalSets::new(&config.backup.dir).list().expect("list");
    assert!(
        matches!(fetched.as_slice(), [aglis_server::backup::set::Listed::Complete(m)] if m.name == name),
        "the fetched set is complete in the new directory, nothing half-written: {fetched:?}"
    );
    assert!(!backup_dir.join(".incomplete-".to_owned() + &name).exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_backup_at_a_time_and_the_second_is_not_a_failure() {
    let (app, backup_dir) = app_with_backups(&[]).await;
    let ctx = Ctx::from_state(&app.state);
    let lease = BackupLease::acquire(&ctx).await.expect("the first backup's lease");
    let err = jobs::run_backup(&ctx, Trigger::Manual, None, Arc::new(Silent)).await.expect_err("busy");
    assert!(err.downcast_ref::<create::Busy>().is_some(), "{err:#}");
    // The job of a backup whose lock expired while it still runs stands down quietly.
    jobs::create_job(app.state.clone(), jobs::CreatePayload { trigger: Some("schedule".into()), user_id: None })
        .await
        .expect("skipped, not failed");
    assert!(alert_jobs(&app).await.is_empty(), "no alert for a backup that is running");
    assert!(LocalSets::new(&backup_dir).list().expect("list").is_empty(), "nothing was written");
    lease.release().await;
    assert!(jobs::run_backup(&ctx, Trigger::Manual, None, Arc::new(Silent)).await.is_ok(), "free again");
}
