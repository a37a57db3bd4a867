//! The backup admin page and API (issue 8): the sets with their verification and table counts,
//! "back up now" queuing one job a minute, the progress panel, admins only.

use crate::helpers::{ClockExt, TestApp, csrf_token, problem, spawn_app};
use aglis_core::audit::AuditEvent;
use aglis_core::backup::{MANIFEST_FORMAT, Manifest, Part, PartKind, TableStat, Trigger, set_name};
use aglis_core::job::JobStatus;
use aglis_core::permission::Role;
use aglis_db::repo::audit_log::{self, AuditQuery};
use aglis_db::repo::backups::{self, NewBackup};
use chrono::Duration;
use reqwest::StatusCode;
use serde_json::{Value, json};

const MB: u64 = 1024 * 1024;

/// A complete set taken at the app's clock (then advanced an hour), with `customers` rows.
async fn complete_set(app: &TestApp, customers: u64, size: u64) -> String {
    let started = app.clock.now_utc();
    let name = set_name(started);
    let new = NewBackup { name: &name, trigger: Trigger::Schedule, host: "noc-karawang-1", created_by: None };
    backups::start(&app.state.db, new, started).await.expect("start");
    let finished = started + Duration::seconds(72);
    let manifest = Manifest {
        format: MANIFEST_FORMAT,
        name: name.clone(),
        app_version: "0.1.0".into(),
        engine: "sqlite".into(),
        schema_version: "m0020_backups".into(),
        migrations: 20,
        started_at: started,
        finished_at: finished,
        trigger: "schedule".into(),
        parts: vec![
            Part {
                kind: PartKind::Database,
                file: "database.sqlite.zst".into(),
                size: size - MB,
                raw_size: size * 4,
                sha256: "ab".repeat(32),
            },
            Part {
                kind: PartKind::Files,
                file: "files.tar.zst".into(),
                size: MB,
                raw_size: MB,
                sha256: "cd".repeat(32),
            },
        ],
        tables: vec![
            TableStat { table: "customers".into(), rows: customers, hash: "0".repeat(32) },
            TableStat { table: "tickets".into(), rows: customers * 3, hash: "1".repeat(32) },
        ],
        files: 7,
        secrets_sealed: false,
    };
    let json = serde_json::to_string(&manifest).expect("manifest json");
    backups::complete(&app.state.db, &name, &json, size, finished).await.expect("complete");
    app.clock.advance(Duration::hours(1));
    name
}

/// A set that failed with `error`.
async fn failed_set(app: &TestApp, error: &str) -> String {
    let started = app.clock.now_utc();
    let name = set_name(started);
    let new = NewBackup { name: &name, trigger: Trigger::Manual, host: "noc-karawang-1", created_by: None };
    let row = backups::start(&app.state.db, new, started).await.expect("start");
    backups::fail(&app.state.db, row.id, error, started + Duration::seconds(5)).await.expect("fail");
    app.clock.advance(Duration::hours(1));
    name
}

/// Queued `backup.create` jobs.
async fn backup_jobs(app: &TestApp) -> usize {
    let (jobs, _) = aglis_db::jobs::list(&app.state.db, JobStatus::Queued, 1, 200).await.expect("jobs");
    jobs.iter().filter(|j| j.kind == "backup.create").count()
}

async fn json_of(res: reqwest::Response) -> Value {
    res.json().await.expect("json")
}

#[tokio::test]
async fn the_list_api_pages_the_sets_newest_first_with_their_table_counts() {
    let app = spawn_app().await;
    let (_, admin) = app.user_with_token("andi.admin", Role::Admin).await;
    let oldest = complete_set(&app, 120, 40 * MB).await;
    let middle = complete_set(&app, 125, 42 * MB).await;
    backups::record_verify(&app.state.db, &middle, None, 3_400, app.clock.now_utc()).await.expect("verify");
    let failed = failed_set(&app, "pg_dump: connection to server refused").await;
    let newest = complete_set(&app, 131, 44 * MB).await;

    let body = json_of(app.get("/api/v1/backups?per_page=2", Some(&admin)).await).await;
    assert_eq!((body["total"].as_u64(), body["page"].as_u64(), body["per_page"].as_u64()), (Some(4), Some(1), Some(2)));
    let names: Vec<&str> = body["items"].as_array().expect("items").iter().filter_map(|i| i["name"].as_str()).collect();
    assert_eq!(names, [newest.as_str(), failed.as_str()]);
    let top = &body["items"][0];
    assert_eq!(top["status"], "complete");
    assert_eq!(top["size_bytes"], 44 * MB);
    assert_eq!(top["database_bytes"], 43 * MB);
    assert_eq!(top["files"], 7);
    assert_eq!(top["duration_ms"], 72_000);
    assert_eq!(top["verify_status"], "pending");
    assert_eq!(top["tables"], json!([{"table": "customers", "rows": 131}, {"table": "tickets", "rows": 393}]));
    let f = &body["items"][1];
    assert_eq!(
        (f["status"].as_str(), f["error"].as_str()),
        (Some("failed"), Some("pg_dump: connection to server refused"))
    );
    assert_eq!(f["tables"], json!([]), "no manifest, no tables");

    let body = json_of(app.get("/api/v1/backups?per_page=2&page=2", Some(&admin)).await).await;
    let names: Vec<&str> = body["items"].as_array().expect("items").iter().filter_map(|i| i["name"].as_str()).collect();
    assert_eq!(names, [middle.as_str(), oldest.as_str()]);
    assert_eq!(body["items"][0]["verify_status"], "passed");
    assert_eq!(body["items"][0]["verify_ms"], 3_400);
    assert_eq!(body["items"][0]["tables"][0]["rows"], 125);

    let body = json_of(app.get("/api/v1/backups", Some(&admin)).await).await;
    assert_eq!((body["per_page"].as_u64(), body["items"].as_array().map(Vec::len)), (Some(25), Some(4)), "defaults");
    for bad in ["per_page=0", "per_page=201", "page=0", "page=dua"] {
        problem(app.get(&format!("/api/v1/backups?{bad}"), Some(&admin)).await, 422).await;
    }
}

#[tokio::test]
async fn back_up_now_queues_one_job_a_minute_and_is_recorded() {
    let app = spawn_app().await;
    let (_, admin) = app.user_with_token("andi.admin", Role::Admin).await;
    let res = app.post_json("/api/v1/backups", Some(&admin), &json!({})).await;
    assert_eq!(res.status(), StatusCode::ACCEPTED);
    let body = json_of(res).await;
    assert_eq!(body["queued"], true, "{body}");
    assert!(body.get("next_run_at").is_some(), "{body}");
    assert_eq!(backup_jobs(&app).await, 1);

    // Again in the same minute, this time without a body: nothing new.
    let res = app.api.post(app.url("/api/v1/backups")).bearer_auth(&admin).send().await.expect("post");
    assert_eq!(res.status(), StatusCode::ACCEPTED);
    assert_eq!(json_of(res).await["queued"], false);
    assert_eq!(backup_jobs(&app).await, 1);

    app.clock.advance(Duration::minutes(1));
    assert_eq!(json_of(app.post_json("/api/v1/backups", Some(&admin), &json!({})).await).await["queued"], true);
    assert_eq!(backup_jobs(&app).await, 2);

    let q = AuditQuery { event: Some(AuditEvent::BackupRequested), ..AuditQuery::default() };
    let listed = audit_log::list(&app.state.db, &q, 1, 10).await.expect("audit");
    let (records, total) = (listed.items, listed.total);
    assert_eq!(total, 3, "every request is recorded");
    assert_eq!(records[0].username.as_deref(), Some("andi.admin"));
}

#[tokio::test]
async fn only_admins_see_or_request_backups() {
    let app = spawn_app().await;
    let (_, tech) = app.user_with_token("agus.tek", Role::Technician).await;
    let (_, supervisor) = app.user_with_token("sari.spv", Role::Supervisor).await;
    for token in [&tech, &supervisor] {
        problem(app.get("/api/v1/backups", Some(token)).await, 403).await;
        problem(app.post_json("/api/v1/backups", Some(token), &json!({})).await, 403).await;
    }
    problem(app.get("/api/v1/backups", None).await, 401).await;
    problem(app.post_json("/api/v1/backups", None, &json!({})).await, 401).await;
    assert_eq!(backup_jobs(&app).await, 0);

    app.insert_user("agus.web", Role::Technician).await;
    let browser = app.browser_login("agus.web").await;
    let res = browser.get(app.url("/admin/backups")).send().await.expect("page");
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let html = browser.get(app.url("/")).send().await.expect("dashboard").text().await.expect("html");
    assert!(!html.contains("href=\"/admin/backups\""), "no menu entry for a technician");
}

#[tokio::test]
async fn the_page_shows_the_sets_the_failure_and_the_size_chart() {
    let app = spawn_app().await;
    app.insert_user("andi.admin", Role::Admin).await;
    let first = complete_set(&app, 120, 40 * MB).await;
    let failed = failed_set(&app, "disk penuh: no space left on device").await;
    let last = complete_set(&app, 131, 44 * MB).await;
    backups::record_verify(&app.state.db, &last, Some("row count of tickets differs"), 2_100, app.clock.now_utc())
        .await
        .expect("verify");

    let browser = app.browser_login("andi.admin").await;
    let res = browser.get(app.url("/admin/backups")).send().await.expect("page");
    assert_eq!(res.status(), StatusCode::OK);
    let html = res.text().await.expect("html");
    for name in [&first, &failed, &last] {
        assert!(html.contains(name.as_str()), "{name} listed");
    }
    assert!(html.contains("disk penuh: no space left on device"), "the failure text");
    assert!(html.contains("row count of tickets differs"), "the verification failure");
    assert!(html.contains("<svg") && html.contains("<rect"), "the size chart");
    assert!(html.contains("href=\"/admin/backups\""), "the menu entry");
    assert!(html.contains(&app.t("backups.now")) && html.contains("action=\"/admin/backups\""));
    assert!(html.contains("44,0 MB"), "human sizes");
    assert!(!html.contains(&app.t("backups.empty")));
    assert!(!html.contains("hx-get=\"/admin/backups/progress\""), "nothing running: no polling");

    let en = browser.get(app.url("/admin/backups?lang=en")).send().await.expect("page").text().await.expect("html");
    assert!(en.contains("<title>Backups") && en.contains("Back up now") && en.contains("44.0 MB"), "English");
}

#[tokio::test]
async fn a_fresh_installation_shows_the_empty_state() {
    let app = spawn_app().await;
    app.insert_user("andi.admin", Role::Admin).await;
    let browser = app.browser_login("andi.admin").await;
    let html = browser.get(app.url("/admin/backups")).send().await.expect("page").text().await.expect("html");
    assert!(html.contains(&app.t("backups.empty")), "{html}");
    assert!(html.contains(&app.t("backups.chart_empty")));
    assert!(html.contains(&app.t("backups.never")));
    assert!(!html.contains("<svg"));
}

#[tokio::test]
async fn the_form_needs_its_csrf_token_and_the_panel_follows_the_backup() {
    let app = spawn_app().await;
    app.insert_user("andi.admin", Role::Admin).await;
    let browser = app.browser_login("andi.admin").await;
    let res = browser.post(app.url("/admin/backups")).form(&[("x", "1")]).send().await.expect("post");
    assert_eq!(res.status(), StatusCode::FORBIDDEN, "no CSRF token");
    assert_eq!(backup_jobs(&app).await, 0);

    let html = browser.get(app.url("/admin/backups")).send().await.expect("page").text().await.expect("html");
    let token = csrf_token(&html);
    let res =
        browser.post(app.url("/admin/backups")).form(&[("csrf_token", token.as_str())]).send().await.expect("post");
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(res.headers()["location"], "/admin/backups?queued=1");
    assert_eq!(backup_jobs(&app).await, 1);
    let res =
        browser.post(app.url("/admin/backups")).form(&[("csrf_token", token.as_str())]).send().await.expect("post");
    assert_eq!(res.headers()["location"], "/admin/backups?queued=0", "already queued this minute");

    // Queued: the page says so and polls the panel.
    let html = browser.get(app.url("/admin/backups?queued=1")).send().await.expect("page").text().await.expect("html");
    assert!(html.contains(&app.t("backups.queued")));
    assert!(html.contains("hx-get=\"/admin/backups/progress\"") && html.contains(&app.t("backups.waiting")));

    // Running: the step and its percent.
    let name = set_name(app.clock.now_utc());
    let new = NewBackup { name: &name, trigger: Trigger::Manual, host: "noc-karawang-1", created_by: None };
    let row = backups::start(&app.state.db, new, app.clock.now_utc()).await.expect("start");
    backups::progress(&app.state.db, row.id, "files", 40).await.expect("progress");
    let poll = || browser.get(app.url("/admin/backups/progress")).header("hx-request", "true").send();
    let res = poll().await.expect("poll");
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.headers().get("hx-redirect").is_none());
    let panel = res.text().await.expect("html");
    assert!(panel.contains(&app.t("backups.stage.files")) && panel.contains("value=\"40\""), "{panel}");
    assert!(panel.contains(&name) && panel.contains("hx-trigger=\"every 2s\""), "{panel}");

    // Finished (and the jobs done): the poll reloads the page.
    backups::complete(&app.state.db, &name, "{}", MB, app.clock.now_utc()).await.expect("complete");
    use sea_orm::ConnectionTrait;
    app.state.db.execute_unprepared("UPDATE jobs SET status = 'done'").await.expect("jobs done");
    let res = poll().await.expect("poll");
    assert_eq!(res.headers().get("hx-redirect").map(|v| v.as_bytes()), Some(&b"/admin/backups"[..]));
}
