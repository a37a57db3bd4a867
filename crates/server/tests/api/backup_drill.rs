//! Backups through the real `aglis` binary (the stable contract: `aglis backup create|list|
//! verify|restore` with the same `AGLIS_*` settings as `serve`, while it runs, non-zero on
//! failure): a SIGKILL in the middle of a backup leaves no set that claims to be complete, and the
//! disaster-recovery drill of the README, from a populated instance to a new one.

use crate::helpers::{TINY_PNG, fresh_database_url, on_postgres, spawn_demo_app, temp_dir, upload_file};
use aglis_core::clock::ManualClock;
use aglis_db::repo::backups;
use aglis_server::app::Application;
use aglis_server::backup::set::{Listed, LocalSets, check_parts};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

const SECRET: &str = "drill-secret-key-that-is-long-enough-0123456789";

/// `aglis` with only the given settings (none of the test process's own `AGLIS_*`), run in `cwd`.
fn aglis(args: &[&str], env: &BTreeMap<&str, String>, cwd: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_aglis"));
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("AGLIS_") {
            cmd.env_remove(key);
        }
    }
    cmd.args(args).envs(env.iter().map(|(k, v)| (*k, v.as_str()))).env("AGLIS_LOG", "warn").current_dir(cwd);
    cmd
}

fn run(args: &[&str], env: &BTreeMap<&str, String>, cwd: &Path) -> Output {
    aglis(args, env, cwd).stdin(Stdio::null()).output().expect("run aglis")
}

fn text(out: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

fn settings(data_dir: &Path, db_url: &str, backup_dir: &Path) -> BTreeMap<&'static str, String> {
    BTreeMap::from([
        ("AGLIS_DATA_DIR", data_dir.display().to_string()),
        ("AGLIS_DATABASE_URL", db_url.to_owned()),
        ("AGLIS_BACKUP_DIR", backup_dir.display().to_string()),
        ("AGLIS_SECRET_KEY", SECRET.to_owned()),
    ])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_during_a_backup_leaves_no_set_that_claims_to_be_complete() {
    let (data_dir, backup_dir) = (temp_dir("kill-data"), temp_dir("kill-backups"));
    let db_url = fresh_database_url().await;
    let env = settings(&data_dir, &db_url, &backup_dir);
    let seeded = run(&["seed", "--customers", "3000", "--tickets", "20000"], &env, &data_dir);
    assert!(seeded.status.success(), "seed: {}", text(&seeded));

    // The seed's demo data comes with its own first set.
    let complete_names =
        |local: &LocalSets| -> Vec<String> { local.complete().expect("list").into_iter().map(|m| m.name).collect() };
    let before = complete_names(&LocalSets::new(&backup_dir));
    let mut child = aglis(&["backup", "create"], &env, &data_dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start");
    let local = LocalSets::new(&backup_dir);
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let building = local.list().expect("list").iter().any(|l| matches!(l, Listed::Incomplete { .. }));
        if building {
            break;
        }
        assert!(child.try_wait().expect("poll").is_none(), "the backup ended before it could be killed");
        assert!(Instant::now() < deadline, "no backup started within 60 s");
        std::thread::sleep(Duration::from_millis(2));
    }
    child.kill().expect("SIGKILL");
    child.wait().expect("reap");

    let after = local.list().expect("list");
    assert_eq!(complete_names(&local), before, "the killed backup left no set: {after:?}");
    assert!(after.iter().any(|l| matches!(l, Listed::Incomplete { .. })), "only its incomplete folder: {after:?}");
    let listed = run(&["backup", "list"], &env, &data_dir);
    assert!(listed.status.success(), "{}", text(&listed));
    assert!(text(&listed).contains("incomplete"), "{}", text(&listed));
    let db = aglis_db::connect(&db_url, 2).await.expect("db");
    let killed = backups::running(&db).await.expect("row").expect("the killed backup's row");

    // The next backup clears up after it and succeeds.
    let again = run(&["backup", "create"], &env, &data_dir);
    assert!(again.status.success(), "{}", text(&again));
    let sets = local.list().expect("list");
    assert!(sets.iter().all(|l| matches!(l, Listed::Complete(_))), "the leftover is gone: {sets:?}");
    let new: Vec<_> = local.complete().expect("list").into_iter().filter(|m| !before.contains(&m.name)).collect();
    let [m] = new.as_slice() else { panic!("one new complete set: {sets:?}") };
    assert!(check_parts(&local.path(&m.name), m, &aglis_server::backup::progress::Silent).expect("check").is_empty());
    let row = backups::by_name(&db, &killed.name).await.expect("row").expect("row");
    assert_eq!(row.status, aglis_core::backup::BackupStatus::Interrupted);
}

async fn login(client: &reqwest::Client, base: &str, username: &str, password: &str) -> String {
    let res = client
        .post(format!("{base}/api/v1/auth/login"))
        .json(&json!({"username": username, "password": password}))
        .send()
        .await
        .expect("login");
    assert_eq!(res.status(), StatusCode::OK, "login of {username}");
    res.json::<Value>().await.expect("json")["token"].as_str().expect("token").to_owned()
}

async fn total(client: &reqwest::Client, base: &str, token: &str, path: &str) -> u64 {
    let res = client.get(format!("{base}{path}")).bearer_auth(token).send().await.expect("list");
    assert_eq!(res.status(), StatusCode::OK, "{path}");
    res.json::<Value>().await.expect("json")["total"].as_u64().expect("total")
}

/// The README's drill: a populated instance (demo data and an uploaded photo) is backed up by the
/// command line while it runs, destroyed, restored into a new data directory and database, and
/// started; the admin logs in and finds the same customers, tickets and photo.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn disaster_recovery_drill_from_a_set_to_a_running_instance() {
    let backup_dir = temp_dir("drill-backups");
    let dir = backup_dir.display().to_string();
    let old = spawn_demo_app(move |env| {
        env.insert("AGLIS_BACKUP_DIR".into(), dir);
        env.insert("AGLIS_SECRET_KEY".into(), SECRET.into());
    })
    .await;
    let token = login(&old.api, &old.address, "admin", aglis_server::demo::DEMO_PASSWORD).await;
    let customers = total(&old.api, &old.address, &token, "/api/v1/customers").await;
    let tickets = total(&old.api, &old.address, &token, "/api/v1/tickets").await;
    assert!(customers > 0 && tickets > 0, "the demo is populated");
    let res = old.api.get(old.url("/api/v1/tickets?per_page=1")).bearer_auth(&token).send().await.expect("tickets");
    let ticket_id = res.json::<Value>().await.expect("json")["items"][0]["id"].as_i64().expect("a ticket");
    let res =
        upload_file(&old, &token, ticket_id, "document", "odp-karawang.png", "image/png", TINY_PNG.to_vec()).await;
    assert_eq!(res.status(), StatusCode::CREATED, "{}", res.text().await.unwrap_or_default());
    let photo_url = res.json::<Value>().await.expect("json")["url"].as_str().expect("url").to_owned();

    // Backed up by the command line while the server runs.
    let old_data = old.state.config.data_dir.clone();
    let env = settings(&old_data, &old.db_url, &backup_dir);
    let started = Instant::now();
    let created = run(&["backup", "create"], &env, &old_data);
    let backup_secs = started.elapsed().as_secs_f64();
    assert!(created.status.success(), "{}", text(&created));
    let name = LocalSets::new(&backup_dir).complete().expect("sets").pop().expect("a set").name;

    // Disaster: the database and the data directory are gone.
    if on_postgres() {
        use sea_orm::ConnectionTrait;
        let server = std::env::var("AGLIS_TEST_DATABASE_URL").expect("server");
        let admin = sea_orm::Database::connect(&server).await.expect("server");
        let db = old.db_url.rsplit('/').next().expect("name").to_owned();
        admin.execute_unprepared(&format!("DROP DATABASE \"{db}\" WITH (FORCE)")).await.expect("drop");
    }
    std::fs::remove_dir_all(&old_data).expect("data directory destroyed");
    if let Some(path) = old.db_url.strip_prefix("sqlite://").and_then(|p| p.split('?').next()) {
        let _ = std::fs::remove_file(path);
    }

    // A new machine: new data directory and database, the set from the backup directory.
    let started = Instant::now();
    let new_data = temp_dir("drill-new");
    let new_db = fresh_database_url().await;
    let env = settings(&new_data, &new_db, &backup_dir);
    let restored = run(&["backup", "restore", &name, "--yes"], &env, &new_data);
    assert!(restored.status.success(), "{}", text(&restored));
    assert!(new_data.join("aglis.toml").is_file(), "the configuration came back");
    let mut config_env: BTreeMap<String, String> = env.iter().map(|(k, v)| ((*k).to_owned(), v.clone())).collect();
    config_env.insert("AGLIS_CONFIG".into(), new_data.join("none.toml").display().to_string());
    std::fs::write(new_data.join("none.toml"), "").expect("empty config");
    config_env.insert("AGLIS_BIND".into(), "127.0.0.1:0".into());
    config_env.insert("AGLIS_RUN_WORKERS".into(), "false".into());
    config_env.insert("AGLIS_REQUIRE_2FA".into(), "false".into());
    let config = aglis_server::config::load(&config_env).expect("config");
    let app = Application::build(config, Arc::new(ManualClock::new(chrono::Utc::now()))).await.expect("start");
    let base = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until(std::future::pending()));
    let client = reqwest::Client::new();
    let token = login(&client, &base, "admin", aglis_server::demo::DEMO_PASSWORD).await;
    let rto = started.elapsed().as_secs_f64();
    assert_eq!(total(&client, &base, &token, "/api/v1/customers").await, customers);
    assert_eq!(total(&client, &base, &token, "/api/v1/tickets").await, tickets);
    let photo = client.get(format!("{base}{photo_url}")).bearer_auth(&token).send().await.expect("photo");
    assert_eq!(photo.status(), StatusCode::OK);
    assert_eq!(photo.bytes().await.expect("bytes").as_ref(), TINY_PNG, "the uploaded photo came back");
    eprintln!(
        "DR drill ({}): backup {backup_secs:.1} s; restore + start + first login (RTO) {rto:.1} s",
        if on_postgres() { "postgres" } else { "sqlite" }
    );
}
