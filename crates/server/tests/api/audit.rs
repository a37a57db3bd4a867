//! The security audit log (issue 7): one unbroken hash chain under concurrent appends, tampering
//! found by the repository and by `aglis audit verify`, the retention purge with its anchor, the
//! admin API, page and CSV export, and the records other features make.

use crate::helpers::{TestApp, problem, spawn_app, spawn_app_with};
use aglis_core::audit::{AuditEvent, AuditResult, ChainBreak, GENESIS_HASH};
use aglis_core::permission::Role;
use aglis_db::repo::audit_log::{self, AuditQuery, Verification};
use aglis_server::audit::{Entry, RequestMeta, record};
use chrono::Duration;
use reqwest::StatusCode;
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};
use std::process::{Command, Output};

fn meta(ip: &str) -> RequestMeta {
    RequestMeta { ip: ip.into(), user_agent: Some("Mozilla/5.0 (test)".into()) }
}

/// Records `n` sign-ins of `user` from a Karawang office address.
async fn logins(app: &TestApp, n: usize, user: (i64, &str)) {
    for i in 0..n {
        let e = Entry::new(AuditEvent::LoginSucceeded, AuditResult::Success)
            .actor(user.0, user.1)
            .meta(&meta(&format!("103.147.9.{}", 10 + i)))
            .details(json!({ "n": i }));
        record(&app.state, e).await.expect("record");
    }
}

async fn verify(app: &TestApp) -> Verification {
    audit_log::verify(&app.state.db).await.expect("verify")
}

async fn sql(app: &TestApp, statement: &str) {
    app.state.db.execute_unprepared(statement).await.expect(statement);
}

/// `aglis audit verify` against the test database, as an operator runs it.
fn cli_verify(app: &TestApp) -> (bool, String) {
    let data_dir = std::env::temp_dir().join(format!("aglis-audit-cli-{}", uuid::Uuid::new_v4().simple()));
    let out: Output = Command::new(env!("CARGO_BIN_EXE_aglis"))
        .args(["audit", "verify"])
        .env("AGLIS_DATA_DIR", &data_dir)
        .env("AGLIS_DATABASE_URL", &app.db_url)
        .env("AGLIS_LOG", "warn")
        .output()
        .expect("run aglis");
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (out.status.success(), text)
}

/// Every record of `event` through the API, newest first.
async fn api_records(app: &TestApp, token: &str, query: &str) -> Vec<Value> {
    let res = app.get(&format!("/api/v1/audit-logs?per_page=200&{query}"), Some(token)).await;
    assert_eq!(res.status(), StatusCode::OK, "{query}");
    let body: Value = res.json().await.expect("json");
    body["items"].as_array().expect("items").clone()
}

async fn records_of(app: &TestApp, event: AuditEvent) -> Vec<aglis_core::audit::AuditRecord> {
    let q = AuditQuery { event: Some(event), ..AuditQuery::default() };
    audit_log::list(&app.state.db, &q, 1, 200).await.expect("list").items
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_appends_from_two_instances_form_one_unbroken_chain() {
    let app = spawn_app().await;
    // A second "instance": its own pool on the same database.
    let other = aglis_db::connect(&app.db_url, 5).await.expect("second pool");
    let mut tasks = Vec::new();
    for i in 0..50 {
        let state = app.state.clone();
        let other = other.clone();
        tasks.push(tokio::spawn(async move {
            let e = Entry::new(AuditEvent::SensitiveViewed, AuditResult::Success)
                .actor(7, "dewi")
                .meta(&meta("36.91.214.19"))
                .resource(format!("customer:{i}"));
            if i % 2 == 0 {
                record(&state, e).await.expect("record");
            } else {
                let new = audit_log::NewRecord {
                    event: e.event,
                    result: e.result,
                    user_id: Some(7),
                    username: Some("dewi".into()),
                    ip: e.ip,
                    user_agent: e.user_agent,
                    resource: e.resource,
                    details: e.details,
                };
                audit_log::append(&other, new, state.now()).await.expect("append");
            }
        }));
    }
    for t in tasks {
        t.await.expect("task");
    }
    match verify(&app).await {
        Verification::Intact { checked, .. } => assert_eq!(checked, 50),
        broken => panic!("{broken:?}"),
    }
    let all = records_of(&app, AuditEvent::SensitiveViewed).await;
    let mut ids: Vec<i64> = all.iter().map(|r| r.id).collect();
    ids.sort_unstable();
    assert_eq!(ids, (1..=50).collect::<Vec<_>>(), "one record per append, consecutive ids");
    assert!(all.iter().all(|r| r.at.timestamp_subsec_nanos() % 1000 == 0), "whole microseconds");
}

#[tokio::test]
async fn an_edited_row_is_found_by_verify_and_the_cli() {
    let app = spawn_app().await;
    logins(&app, 5, (3, "budi")).await;
    let (ok, out) = cli_verify(&app);
    assert!(ok, "{out}");
    assert!(out.contains("5 records checked"), "{out}");

    sql(&app, r#"UPDATE audit_logs SET details = '{"n":99}' WHERE id = 3"#).await;
    match verify(&app).await {
        Verification::Broken { at, record, checked } => {
            assert_eq!((at, checked), (ChainBreak::Altered { id: 3 }, 2));
            assert_eq!(record.map(|r| r.event), Some("login.success".to_owned()));
        }
        intact => panic!("{intact:?}"),
    }
    let (ok, out) = cli_verify(&app);
    assert!(!ok, "a broken chain exits non-zero: {out}");
    assert!(out.contains("record 3 (") && out.contains("login.success") && out.contains("edited"), "{out}");
    assert!(out.contains(" WIB"), "names the time: {out}");
}

#[tokio::test]
async fn deleted_and_inserted_rows_are_found() {
    let app = spawn_app().await;
    logins(&app, 5, (3, "budi")).await;

    sql(&app, "DELETE FROM audit_logs WHERE id = 3").await;
    assert!(matches!(verify(&app).await, Verification::Broken { at: ChainBreak::Unlinked { id: 4 }, .. }));
    let (ok, out) = cli_verify(&app);
    assert!(!ok && out.contains("record 4 ("), "{out}");

    let app = spawn_app().await;
    logins(&app, 5, (3, "budi")).await;
    sql(&app, "DELETE FROM audit_logs WHERE id = 5").await;
    assert!(matches!(verify(&app).await, Verification::Broken { at: ChainBreak::Missing { id: 5 }, .. }));
    let (ok, out) = cli_verify(&app);
    assert!(!ok && out.contains("record 5 (missing)"), "{out}");

    let app = spawn_app().await;
    logins(&app, 5, (3, "budi")).await;
    let last = audit_log::get(&app.state.db, 5).await.expect("db").expect("record 5");
    let forged = aglis_core::audit::AuditRecord { id: 6, prev_hash: last.hash.clone(), ..last }.sealed();
    let model = aglis_db::entity::audit_logs::ActiveModel {
        id: sea_orm::Set(forged.id),
        at: sea_orm::Set(forged.at),
        user_id: sea_orm::Set(forged.user_id),
        username: sea_orm::Set(forged.username.clone()),
        ip: sea_orm::Set(forged.ip.clone()),
        user_agent: sea_orm::Set(forged.user_agent.clone()),
        event: sea_orm::Set(forged.event.clone()),
        resource: sea_orm::Set(forged.resource.clone()),
        result: sea_orm::Set(forged.result.clone()),
        details: sea_orm::Set(forged.details.clone()),
        prev_hash: sea_orm::Set(forged.prev_hash.clone()),
        hash: sea_orm::Set(forged.hash.clone()),
    };
    sea_orm::ActiveModelTrait::insert(model, &app.state.db).await.expect("insert a forged row");
    assert!(matches!(verify(&app).await, Verification::Broken { at: ChainBreak::Unexpected { id: 6 }, .. }));
    let (ok, out) = cli_verify(&app);
    assert!(!ok && out.contains("record 6 (") && out.contains("inserted"), "{out}");
}

#[tokio::test]
async fn the_purge_keeps_the_retention_and_a_verifiable_chain() {
    let app = spawn_app().await;
    let schedules = aglis_db::schedules::list(&app.state.db).await.expect("schedules");
    let s = schedules.iter().find(|s| s.name == "audit_purge").expect("built-in schedule");
    assert_eq!(
        (s.cron.as_str(), s.timezone.as_str(), s.job_kind.as_str()),
        ("30 2 * * *", "Asia/Jakarta", "audit.purge")
    );

    logins(&app, 3, (3, "budi")).await;
    app.clock.advance(Duration::days(60));
    logins(&app, 2, (3, "budi")).await;
    app.clock.advance(Duration::days(31)); // the first three are 91 days old, the last two 31
    assert_eq!(aglis_server::audit::purge::run(&app.state).await.expect("purge"), 3);
    assert_eq!(aglis_server::audit::purge::run(&app.state).await.expect("again"), 0, "nothing more is that old");

    match verify(&app).await {
        Verification::Intact { checked, anchor } => assert_eq!((checked, anchor.id), (3, 3), "two kept + the purge"),
        broken => panic!("{broken:?}"),
    }
    let purged = records_of(&app, AuditEvent::AuditPurged).await;
    assert_eq!(purged.len(), 1);
    let details: Value = serde_json::from_str(&purged[0].details).expect("json");
    assert_eq!((details["removed"].as_u64(), details["retention_days"].as_u64()), (Some(3), Some(90)));
    let (ok, out) = cli_verify(&app);
    assert!(ok && out.contains("3 records checked") && out.contains("anchor"), "{out}");

    // The scheduled job runs the same purge through the queue.
    app.clock.advance(Duration::days(60)); // now the two kept ones are 91 days old
    let now = app.state.now();
    aglis_db::jobs::enqueue(&app.state.db, aglis_db::jobs::NewJob::new("audit.purge", json!({})), now)
        .await
        .expect("job");
    let runner =
        aglis_server::jobs::Runner::new(app.state.clone(), std::sync::Arc::new(aglis_server::jobs::builtin_registry()));
    let r = runner.run_once().await.expect("run");
    assert_eq!((r.claimed, r.done), (1, 1));
    match verify(&app).await {
        Verification::Intact { checked, anchor } => assert_eq!((checked, anchor.id), (2, 5), "the two purge records"),
        broken => panic!("{broken:?}"),
    }

    // A changed anchor is found.
    sql(&app, &format!("UPDATE audit_head SET anchor_hash = '{GENESIS_HASH}'")).await;
    assert!(matches!(verify(&app).await, Verification::Broken { at: ChainBreak::Unlinked { id: 6 }, .. }));
    let (ok, out) = cli_verify(&app);
    assert!(!ok && out.contains("record 6 (") && out.contains("audit.purged") && out.contains("anchor"), "{out}");
}

#[tokio::test]
async fn admins_read_and_filter_the_log_and_no_one_else_may() {
    let app = spawn_app().await;
    let (admin_user, admin) = app.user_with_token("andi", Role::Admin).await;
    let (_, cs) = app.user_with_token("dewi", Role::CustomerService).await;
    let (budi, _) = app.user_with_token("budi", Role::Noc).await;
    let start = app.state.now();
    logins(&app, 2, (budi.id, "budi")).await;
    let failed = Entry::new(AuditEvent::LoginFailed, AuditResult::Failure)
        .attempted("BUDI")
        .meta(&meta("114.124.183.7"))
        .details(json!({ "reason": "wrong_password", "password": "rahasia-bocor" }));
    record(&app.state, failed).await.expect("record");
    app.clock.advance(Duration::days(3));
    let later = Entry::new(AuditEvent::SettingChanged, AuditResult::Success)
        .actor(admin_user.id, "andi")
        .meta(&meta("103.147.9.10"))
        .resource("setting:holidays")
        .details(json!({ "action": "added", "date": "2026-12-24" }));
    record(&app.state, later).await.expect("record");

    problem(app.get("/api/v1/audit-logs", None).await, 401).await;
    problem(app.get("/api/v1/audit-logs", Some(&cs)).await, 403).await;
    problem(app.get("/api/v1/audit-logs/export.csv", Some(&cs)).await, 403).await;

    let all = api_records(&app, &admin, "").await;
    assert!(all.len() >= 4, "{all:?}");
    let times: Vec<&str> = all.iter().filter_map(|r| r["at"].as_str()).collect();
    assert!(times.windows(2).all(|w| w[0] >= w[1]), "newest first: {times:?}");
    assert_eq!(all[0]["event"], "setting.changed");
    assert_eq!(all[0]["details"]["date"], "2026-12-24", "details are JSON");

    let failures = api_records(&app, &admin, "event=login.failure").await;
    assert_eq!(failures.len(), 1);
    assert_eq!((failures[0]["username"].as_str(), failures[0]["user_id"].as_i64()), (Some("BUDI"), None));
    assert_eq!(failures[0]["details"]["password"], "[redacted]", "never a secret");
    assert_eq!(api_records(&app, &admin, "result=failure").await.len(), 1);
    let by_name = api_records(&app, &admin, "user=budi&event=login.success").await;
    let by_id = api_records(&app, &admin, &format!("user={}&event=login.success", budi.id)).await;
    assert_eq!(by_id.len(), by_name.len());
    assert!(by_name.len() >= 2 && by_name.iter().all(|r| r["user_id"] == budi.id), "{by_name:?}");
    assert_eq!(api_records(&app, &admin, "user=budi&event=login.failure").await.len(), 1, "any case");
    assert_eq!(api_records(&app, &admin, "q=114.124").await.len(), 1, "search in the address");
    assert_eq!(api_records(&app, &admin, "q=SETTING:HOLI").await.len(), 1, "search in the resource");
    assert_eq!(api_records(&app, &admin, "q=wrong_password").await.len(), 1, "search in the details");

    let day = |t: chrono::DateTime<chrono::Utc>| {
        t.with_timezone(&aglis_core::schedule::JAKARTA).format("%Y-%m-%d").to_string()
    };
    let today = day(app.state.now());
    let recent = api_records(&app, &admin, &format!("from={today}")).await;
    assert_eq!(recent.len(), 1, "only the later record: {recent:?}");
    let early = api_records(&app, &admin, &format!("to={}", day(start))).await;
    assert!(early.iter().all(|r| r["event"] != "setting.changed") && early.len() >= 3, "{early:?}");
    let exact = format!("from={}", (start + Duration::days(1)).to_rfc3339().replace('+', "%2B"));
    assert_eq!(api_records(&app, &admin, &exact).await.len(), 1, "RFC 3339 times");

    let res = app.get("/api/v1/audit-logs?per_page=2&page=2", Some(&admin)).await;
    let body: Value = res.json().await.expect("json");
    assert_eq!((body["page"].as_u64(), body["per_page"].as_u64()), (Some(2), Some(2)));
    assert!(body["total"].as_u64().is_some_and(|t| t >= 4));

    for (query, field) in [
        ("event=login", "event"),
        ("result=ok", "result"),
        ("from=2026-13-01", "from"),
        ("to=yesterday", "to"),
        ("page=0", "page"),
        ("per_page=1000", "per_page"),
        ("page=abc", "page"),
    ] {
        let body = problem(app.get(&format!("/api/v1/audit-logs?{query}"), Some(&admin)).await, 422).await;
        assert!(body["errors"][field].is_array(), "{query}: {body}");
    }
    problem(app.get("/api/v1/audit-logs/export.csv?event=nope", Some(&admin)).await, 422).await;
}

#[tokio::test]
async fn the_csv_export_has_the_filtered_rows_and_is_itself_recorded() {
    let app = spawn_app().await;
    let (admin_user, admin) = app.user_with_token("andi", Role::Admin).await;
    logins(&app, 3, (9, "budi")).await;
    record(&app.state, Entry::new(AuditEvent::LoginFailed, AuditResult::Failure).attempted("=cmd|' /C calc'!A0"))
        .await
        .expect("record");

    let res = app.get("/api/v1/audit-logs/export.csv?user=budi&event=login.success", Some(&admin)).await;
    assert_eq!(res.status(), StatusCode::OK);
    let ct = res.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    assert!(ct.starts_with("text/csv"), "{ct}");
    let disposition = res.headers().get("content-disposition").and_then(|v| v.to_str().ok()).unwrap_or_default();
    assert!(disposition.starts_with("attachment; filename=\"audit-log-"), "{disposition}");
    let text = res.text().await.expect("csv");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 4, "a header and three rows: {text}");
    assert!(lines[0].starts_with("id,at_utc,at_wib,user_id,username,ip,user_agent,event,resource,result,details"));
    assert!(lines[1..].iter().all(|l| l.contains(",budi,") && l.contains("login.success")), "{text}");

    let all =
        app.get("/api/v1/audit-logs/export.csv?event=login.failure", Some(&admin)).await.text().await.expect("csv");
    assert!(all.contains(",'=cmd|"), "a formula is defused: {all}");

    let exports = records_of(&app, AuditEvent::DataExported).await;
    assert_eq!(exports.len(), 2);
    let first = exports.iter().find(|r| r.details.contains("\"rows\":3")).expect("the first export");
    assert_eq!((first.user_id, first.resource.as_deref()), (Some(admin_user.id), Some("audit_log")));
    let details: Value = serde_json::from_str(&first.details).expect("json");
    assert_eq!(details["filters"], json!({"event": "login.success", "user": "budi"}));
    assert!(first.ip.is_some(), "the address is recorded");
}

#[tokio::test]
async fn the_page_lists_filters_and_verifies_on_demand() {
    let app = spawn_app().await;
    app.insert_user("andi", Role::Admin).await;
    app.insert_user("dewi", Role::CustomerService).await;
    logins(&app, 2, (9, "budi")).await;
    let admin = app.browser_login("andi").await;
    let page = |q: &'static str| {
        let admin = admin.clone();
        let url = app.url(&format!("/admin/audit{q}"));
        async move { admin.get(url).send().await.expect("page") }
    };

    let res = page("").await;
    assert_eq!(res.status(), StatusCode::OK);
    let html = res.text().await.expect("html");
    assert!(html.contains(&app.t("audit.title")) && html.contains("budi"), "records are listed");
    assert!(html.contains(" WIB") && html.contains("pill audit-success"), "times in WIB, result badges");
    assert!(html.contains("/api/v1/audit-logs/export.csv?"), "the export link");
    assert!(html.contains(&app.t("audit.chain_not_checked")));
    assert!(!html.contains("<script>") && !html.contains("style=\""), "no inline script or style");

    let html = page("?verify=1").await.text().await.expect("html");
    assert!(html.contains(&app.t("audit.chain_ok")), "verified on demand");
    sql(&app, r#"UPDATE audit_logs SET username = 'bukan-budi' WHERE id = 1"#).await;
    let html = page("?verify=1").await.text().await.expect("html");
    assert!(html.contains(&format!("{} #1 (", app.t("audit.chain_broken"))), "names the record");

    let html = page("?event=audit.purged").await.text().await.expect("html");
    assert!(html.contains(&app.t("audit.empty_filtered")), "an empty result says so");
    let res = page("?event=nope&from=kemarin").await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.expect("html");
    assert!(html.contains(&app.t("audit.err.event")) && html.contains(&app.t("audit.err.from")));

    let cs = app.browser_login("dewi").await;
    assert_eq!(cs.get(app.url("/admin/audit")).send().await.expect("page").status(), StatusCode::FORBIDDEN);
    assert_eq!(app.browser().get(app.url("/admin/audit")).send().await.expect("page").status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn customer_reads_and_setting_changes_are_recorded() {
    let app = spawn_app().await;
    let (admin_user, admin) = app.user_with_token("andi", Role::Admin).await;
    let res = app
        .post_json(
            "/api/v1/packages",
            Some(&admin),
            &json!({"name": "Home 50M", "speed_mbps": 50, "monthly_price": 199_900, "installation_fee": "100.000"}),
        )
        .await;
    let pkg = res.json::<Value>().await.expect("json")["id"].as_i64().expect("package");
    let res = app
        .post_json(
            "/api/v1/customers",
            Some(&admin),
            &json!({"name": "Budi Santoso", "phone": "0812-3456-7890", "address": "Perum Galuh Mas C2/7", "package_id": pkg}),
        )
        .await;
    let id = res.json::<Value>().await.expect("json")["id"].as_i64().expect("customer");
    assert!(records_of(&app, AuditEvent::SensitiveViewed).await.is_empty(), "creating is not reading");

    assert_eq!(app.get(&format!("/api/v1/customers/{id}"), Some(&admin)).await.status(), StatusCode::OK);
    let browser = app.browser_login("andi").await;
    let page = browser.get(app.url(&format!("/customers/{id}"))).send().await.expect("page");
    assert_eq!(page.status(), StatusCode::OK);
    let viewed = records_of(&app, AuditEvent::SensitiveViewed).await;
    assert_eq!(viewed.len(), 2, "the API and the page");
    let expected = format!("customer:{id}");
    assert!(
        viewed.iter().all(|r| r.resource.as_deref() == Some(expected.as_str()) && r.user_id == Some(admin_user.id))
    );

    let rows = json!({"rows": [{"ticket_type": "repair", "priority": "high", "response_minutes": 30, "resolution_minutes": 240, "calendar": "24x7"}]});
    let res = app.send_json(reqwest::Method::PUT, "/api/v1/sla/targets", Some(&admin), &rows).await;
    assert_eq!(res.status(), StatusCode::OK);
    let res = app
        .post_json("/api/v1/holidays", Some(&admin), &json!({"date": "2026-12-24", "name": "Cuti bersama Natal"}))
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let res = app.send_json(reqwest::Method::DELETE, "/api/v1/holidays/2026-12-24", Some(&admin), &json!({})).await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let bad = app.post_json("/api/v1/holidays", Some(&admin), &json!({"date": "2026-02-30", "name": "x"})).await;
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);

    let list: Value = app.get("/api/v1/notification-templates", Some(&admin)).await.json().await.expect("json");
    let template = list["items"][0]["id"].as_i64().expect("a template");
    let same = json!({"subject": list["items"][0]["subject"], "body": list["items"][0]["body"]});
    let path = format!("/api/v1/notification-templates/{template}");
    let res = app.send_json(reqwest::Method::PUT, &path, Some(&admin), &same).await;
    assert_eq!(res.status(), StatusCode::OK);

    let schedules: Value = app.get("/api/v1/schedules", Some(&admin)).await.json().await.expect("json");
    let purge =
        schedules["items"].as_array().and_then(|l| l.iter().find(|s| s["name"] == "audit_purge")).expect("schedule");
    let path = format!("/api/v1/schedules/{}", purge["id"]);
    let res = app.send_json(reqwest::Method::PATCH, &path, Some(&admin), &json!({"cron": "0 3 * * *"})).await;
    assert_eq!(res.status(), StatusCode::OK);

    let changes = records_of(&app, AuditEvent::SettingChanged).await;
    let resources: Vec<&str> = changes.iter().rev().filter_map(|r| r.resource.as_deref()).collect();
    let expected_package = format!("package:{pkg}");
    let expected_template = format!("setting:notification_template:{template}");
    assert_eq!(
        resources,
        [
            expected_package.as_str(),
            "setting:sla_targets",
            "setting:holidays",
            "setting:holidays",
            expected_template.as_str(),
            "setting:schedule:audit_purge"
        ]
    );
    assert!(changes.iter().all(|r| r.user_id == Some(admin_user.id)));
    assert!(changes[0].details.contains("0 3 * * *"), "{}", changes[0].details);
    let sla: Value = serde_json::from_str(&changes[4].details).expect("json");
    assert_eq!(sla["rows"][0]["resolution_minutes"], 240, "what changed: {sla}");
    let holiday: Value = serde_json::from_str(&changes[3].details).expect("json");
    assert_eq!((holiday["action"].as_str(), holiday["date"].as_str()), (Some("added"), Some("2026-12-24")));
}

#[tokio::test]
async fn refused_webhooks_are_recorded_with_the_provider_and_address() {
    let app = spawn_app_with(|env| {
        env.insert("AGLIS_META_APP_SECRET".into(), "app-secret-test".into());
        env.insert("AGLIS_META_VERIFY_TOKEN".into(), "verify-me-123".into());
    })
    .await;
    let res = app
        .api
        .post(app.url("/api/webhooks/whatsapp/meta"))
        .header("x-hub-signature-256", "sha256=00ff")
        .header("content-type", "application/json")
        .body(r#"{"object":"whatsapp_business_account","entry":[]}"#)
        .send()
        .await
        .expect("post");
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let res =
        app.get("/api/webhooks/whatsapp/meta?hub.mode=subscribe&hub.verify_token=tebakan&hub.challenge=1", None).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let ok = app
        .get("/api/webhooks/whatsapp/meta?hub.mode=subscribe&hub.verify_token=verify-me-123&hub.challenge=1", None)
        .await;
    assert_eq!(ok.status(), StatusCode::OK);

    // Counted, not written on the request path: the log gets them at the next flush.
    assert!(records_of(&app, AuditEvent::WebhookSignatureFailed).await.is_empty());
    assert_eq!(aglis_server::audit::refusals::flush(&app.state).await.expect("flush"), 1);
    let refused = records_of(&app, AuditEvent::WebhookSignatureFailed).await;
    assert_eq!(refused.len(), 1, "one record per source and minute; the good token is not counted");
    let r = &refused[0];
    assert_eq!(
        (r.result.as_str(), r.ip.as_deref(), r.resource.as_deref()),
        ("denied", Some("127.0.0.1"), Some("webhook:meta"))
    );
    let details: Value = serde_json::from_str(&r.details).expect("json");
    assert_eq!((details["provider"].as_str(), details["calls"].as_u64()), (Some("meta"), Some(2)), "{details}");
    assert_eq!(details["reasons"][0], json!({"reason": "missing or invalid X-Hub-Signature-256", "calls": 1}));
    assert!(!r.details.contains("tebakan") && !r.details.contains("00ff"), "no secrets");
}

#[tokio::test]
async fn a_flood_of_forged_webhooks_does_not_hold_up_audited_staff_actions() {
    let app = spawn_app_with(|env| {
        env.insert("AGLIS_META_APP_SECRET".into(), "app-secret-test".into());
        env.insert("AGLIS_TRUST_FORWARDED_FOR".into(), "true".into());
    })
    .await;
    let (_, token) = app.user_with_token("andi", Role::Admin).await;
    let total = || async { audit_log::list(&app.state.db, &AuditQuery::default(), 1, 1).await.expect("count").total };
    let before = total().await;
    // 300 forged calls from 300 addresses, all at once.
    let mut calls = tokio::task::JoinSet::new();
    for i in 0..300 {
        let call = app
            .api
            .post(app.url("/api/webhooks/whatsapp/meta"))
            .header("x-forwarded-for", format!("198.51.{}.{}", i / 250, i % 250))
            .header("x-hub-signature-256", "sha256=00ff")
            .header("content-type", "application/json")
            .body(r#"{"object":"whatsapp_business_account","entry":[]}"#)
            .send();
        calls.spawn(call);
    }
    while let Some(res) = calls.join_next().await {
        assert_eq!(res.expect("task").expect("post").status(), StatusCode::UNAUTHORIZED);
    }
    // Nothing was written for them on the request path …
    assert_eq!(total().await, before);
    // … so an audited staff action goes straight through.
    let res = app.post_json("/api/v1/auth/logout", Some(&token), &serde_json::json!({})).await;
    assert!(res.status().is_success(), "{}", res.status());
    // The flush writes 20 sources one by one and sums the other 280 in one record.
    assert_eq!(aglis_server::audit::refusals::flush(&app.state).await.expect("flush"), 21);
    let refused = records_of(&app, AuditEvent::WebhookSignatureFailed).await;
    let calls: u64 = refused
        .iter()
        .map(|r| serde_json::from_str::<Value>(&r.details).expect("json")["calls"].as_u64().expect("calls"))
        .sum();
    assert_eq!(calls, 300);
    assert!(matches!(verify(&app).await, Verification::Intact { .. }));
}

#[tokio::test]
async fn the_demo_log_goes_through_the_chain() {
    let app = spawn_app().await;
    let admin = app.insert_user("admin", Role::Admin).await;
    app.insert_user("cs", Role::CustomerService).await;
    aglis_server::audit::seed_demo(&app.state).await.expect("seed");
    match verify(&app).await {
        Verification::Intact { checked, .. } => assert!(checked > 100, "{checked}"),
        broken => panic!("{broken:?}"),
    }
    for event in [
        AuditEvent::LoginSucceeded,
        AuditEvent::LoginFailed,
        AuditEvent::Logout,
        AuditEvent::DataExported,
        AuditEvent::SettingChanged,
        AuditEvent::WebhookSignatureFailed,
    ] {
        assert!(!records_of(&app, event).await.is_empty(), "{event}");
    }
    let page = audit_log::list(&app.state.db, &AuditQuery::default(), 1, 200).await.expect("list").items;
    assert!(page.iter().all(|r| r.at < app.state.now()), "dated in the past weeks");
    assert!(page.windows(2).all(|w| w[0].id > w[1].id), "appended oldest first");
    let logins = records_of(&app, AuditEvent::LoginSucceeded).await;
    assert!(
        logins.iter().any(|r| r.user_id == Some(admin.id) && r.ip.as_deref().is_some_and(|ip| ip.starts_with("103.")))
    );
}
