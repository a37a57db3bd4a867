//! The monitoring pages and API (issue 9): the overview with health, firing alerts and charts,
//! acknowledging alerts, the error inbox, the alert rules with their checks and mute, and the
//! demo gateway's switch. Viewing needs `monitoring.view`, changing `monitoring.manage`.

use crate::helpers::{ClockExt, TestApp, problem, spawn_app, spawn_demo_app};
use aglis_core::alerting::{ErrorSource, RuleCode, fingerprint};
use aglis_core::audit::AuditEvent;
use aglis_core::permission::Role;
use aglis_core::schedule::JAKARTA;
use aglis_db::repo::audit_log::{self, AuditQuery};
use aglis_db::repo::error_groups::{self, Occurrence};
use aglis_db::repo::{alerts, metrics};
use chrono::{DateTime, Duration, DurationRound, Utc};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

async fn json_of(res: reqwest::Response) -> Value {
    res.json().await.expect("json")
}

async fn html_of(browser: &reqwest::Client, app: &TestApp, path: &str) -> (StatusCode, String) {
    let res = browser.get(app.url(path)).send().await.expect("page");
    (res.status(), res.text().await.expect("html"))
}

/// A signed-in browser of a new user of `role`, and the CSRF token of its forms.
async fn browser_of(app: &TestApp, username: &str, role: Role) -> (reqwest::Client, String) {
    app.insert_user(username, role).await;
    let browser = app.browser_login(username).await;
    let csrf = app.page_csrf(&browser, "/account/security").await;
    (browser, csrf)
}

fn wib(t: DateTime<Utc>) -> String {
    t.with_timezone(&JAKARTA).format("%d-%m-%Y %H:%M WIB").to_string()
}

fn location(res: &reqwest::Response) -> String {
    res.headers().get("location").and_then(|l| l.to_str().ok()).unwrap_or_default().to_owned()
}

async fn audit_count(app: &TestApp, event: AuditEvent) -> u64 {
    let q = AuditQuery { event: Some(event), ..AuditQuery::default() };
    audit_log::list(&app.state.db, &q, 1, 10).await.expect("audit").total
}

/// Records an occurrence of a new error group seen at the app's clock.
async fn error_group(app: &TestApp, source: ErrorSource, title: &str, route: &str) -> i64 {
    let o = Occurrence {
        fingerprint: fingerprint(source, route, title),
        source,
        title: title.to_owned(),
        route: route.to_owned(),
        request_id: Some("req-7f3a9c".to_owned()),
        user_id: Some(42),
        detail: format!("{title}\n\nStack backtrace:\n   0: aglis_server::handler\n   1: <tokio::task>"),
    };
    error_groups::record(&app.state.db, o, app.clock.now_utc()).await.expect("record").id
}

#[tokio::test]
async fn the_page_renders_for_the_noc_and_is_refused_to_customer_service() {
    let app = spawn_app().await;
    let (noc, _) = browser_of(&app, "nina.noc", Role::Noc).await;
    let (status, html) = html_of(&noc, &app, "/admin/monitoring").await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(html.contains("href=\"/admin/monitoring\""), "the menu entry");
    for check in ["database", "queue", "whatsapp", "disk", "backup"] {
        assert!(html.contains(&format!("id=\"check-{check}\"")), "the {check} check");
    }
    assert!(html.contains(&app.t("monitoring.no_alerts")), "nothing firing");
    assert!(html.contains(&app.t("monitoring.no_open_errors")), "no open errors");
    assert!(html.contains("hx-get=\"/admin/monitoring/live\"") && html.contains("every 30s"), "the panel refreshes");
    for chart in ["requests", "errors", "latency", "queue"] {
        assert!(html.contains(&format!("id=\"chart-{chart}\"")), "the {chart} chart");
    }
    assert!(!html.contains("id=\"demo-gateway\""), "no demo switch outside the demo");
    assert!(!html.contains(" style=") && !html.contains("<script>"), "nothing the CSP refuses");

    let res = noc.get(app.url("/admin/monitoring/live")).header("hx-request", "true").send().await.expect("poll");
    assert_eq!(res.status(), StatusCode::OK);
    let fragment = res.text().await.expect("html");
    assert!(fragment.starts_with("<section id=\"monitoring-live\"") && !fragment.contains("<html"), "{fragment}");

    for path in ["/admin/monitoring/errors", "/admin/monitoring/alerts", "/admin/monitoring/rules"] {
        assert_eq!(html_of(&noc, &app, path).await.0, StatusCode::OK, "{path}");
    }
    let (status, en) = html_of(&noc, &app, "/admin/monitoring?lang=en").await;
    assert_eq!(status, StatusCode::OK);
    assert!(en.contains("<title>Monitoring") && en.contains("All quiet"), "English");

    let (cs, _) = browser_of(&app, "dewi.cs", Role::CustomerService).await;
    for path in ["/admin/monitoring", "/admin/monitoring/live", "/admin/monitoring/errors", "/admin/monitoring/rules"] {
        assert_eq!(html_of(&cs, &app, path).await.0, StatusCode::FORBIDDEN, "{path}");
    }
    let (_, html) = html_of(&cs, &app, "/").await;
    assert!(!html.contains("href=\"/admin/monitoring\""), "no menu entry for customer service");
    let (_, cs_token) = app.user_with_token("dewi.api", Role::CustomerService).await;
    for path in ["/api/v1/monitoring/alerts", "/api/v1/monitoring/rules", "/api/v1/monitoring/errors"] {
        problem(app.get(path, Some(&cs_token)).await, 403).await;
        problem(app.get(path, None).await, 401).await;
    }
}

#[tokio::test]
async fn an_alert_is_acknowledged_through_the_page_and_the_api() {
    let app = spawn_app().await;
    let now = app.clock.now_utc();
    let fired = alerts::open(&app.state.db, RuleCode::ErrorRate, "3.5 %", "7 of 200 requests answered 5xx", now)
        .await
        .expect("open")
        .expect("a new alert");
    let disk = alerts::open(&app.state.db, RuleCode::Disk, "93 %", "the data disk is 93 % full", now)
        .await
        .expect("open")
        .expect("a new alert");
    app.clock.advance(Duration::minutes(65));

    let (noc, csrf) = browser_of(&app, "nina.noc", Role::Noc).await;
    let (_, html) = html_of(&noc, &app, "/admin/monitoring").await;
    assert!(html.contains("3.5 %") && html.contains("7 of 200 requests answered 5xx"), "the firing alert");
    assert!(html.contains(&app.t("monitoring.rule.error_rate")));
    assert!(html.contains(&wib(now)), "since, in WIB");
    assert!(html.contains("1 jam 5 mnt"), "how long it has been firing");
    let form = format!("action=\"/admin/monitoring/alerts/{}/acknowledge\"", fired.id);
    assert!(html.contains(&form), "the acknowledge button");

    // A supervisor sees it without the button.
    let (spv, spv_csrf) = browser_of(&app, "sari.spv", Role::Supervisor).await;
    let (status, html) = html_of(&spv, &app, "/admin/monitoring").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("3.5 %") && !html.contains(&form) && html.contains(&app.t("monitoring.not_acked")));
    let url = app.url(&format!("/admin/monitoring/alerts/{}/acknowledge", fired.id));
    let res = spv.post(&url).form(&[("csrf_token", spv_csrf.as_str())]).send().await.expect("post");
    assert_eq!(res.status(), StatusCode::FORBIDDEN);

    // The form needs its token; then it acknowledges and goes back where it came from.
    let res = noc.post(&url).form(&[("back", "/admin/monitoring")]).send().await.expect("post");
    assert_eq!(res.status(), StatusCode::FORBIDDEN, "no CSRF token");
    let back = "/admin/monitoring/alerts?rule=error_rate&page=1";
    let res = noc.post(&url).form(&[("csrf_token", csrf.as_str()), ("back", back)]).send().await.expect("post");
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res), format!("{back}&done=acknowledged"));
    let stored = alerts::get(&app.state.db, fired.id).await.expect("db").expect("alert");
    assert!(stored.acknowledged_at.is_some() && stored.acknowledged_by.is_some());
    let (_, html) = html_of(&noc, &app, &location(&res)).await;
    assert!(html.contains(&app.t("monitoring.done.acknowledged")));
    assert!(html.contains("nina.noc"), "who acknowledged it");
    assert!(!html.contains(&form), "no second button");
    let res = noc
        .post(&url)
        .form(&[("csrf_token", csrf.as_str()), ("back", "https://evil.example/")])
        .send()
        .await
        .expect("post");
    assert_eq!(location(&res), "/admin/monitoring?done=acknowledged", "only monitoring pages to go back to");
    assert_eq!(audit_count(&app, AuditEvent::AlertAcknowledged).await, 1, "acknowledging again changes nothing");

    // The API.
    let (_, admin) = app.user_with_token("andi.admin", Role::Admin).await;
    let (_, supervisor) = app.user_with_token("sari.api", Role::Supervisor).await;
    let body = json_of(app.get("/api/v1/monitoring/alerts?active=true", Some(&supervisor)).await).await;
    assert_eq!(body["total"], 2, "{body}");
    let body = json_of(app.get("/api/v1/monitoring/alerts?rule=disk", Some(&supervisor)).await).await;
    assert_eq!((body["total"].as_u64(), body["items"][0]["id"].as_i64()), (Some(1), Some(disk.id)));
    assert_eq!(body["items"][0]["duration_secs"], 65 * 60);
    assert_eq!(body["items"][0]["acknowledged_at"], Value::Null);
    let path = format!("/api/v1/monitoring/alerts/{}/acknowledge", disk.id);
    problem(app.post_json(&path, Some(&supervisor), &json!({})).await, 403).await;
    let res = app.post_json(&path, Some(&admin), &json!({})).await;
    assert_eq!(res.status(), StatusCode::OK);
    let acked = json_of(res).await;
    assert!(acked["acknowledged_at"].is_string() && acked["acknowledged_by"].is_i64(), "{acked}");
    let again = json_of(app.post_json(&path, Some(&admin), &json!({})).await).await;
    assert_eq!(again["acknowledged_at"], acked["acknowledged_at"], "idempotent");
    assert_eq!(audit_count(&app, AuditEvent::AlertAcknowledged).await, 2);

    // A resolved alert cannot be acknowledged; unknown ones are 404.
    let later = alerts::open(&app.state.db, RuleCode::DeadLetters, "3 jobs", "", app.clock.now_utc())
        .await
        .expect("open")
        .expect("alert");
    alerts::resolve(&app.state.db, later.id, app.clock.now_utc()).await.expect("resolve");
    let path = format!("/api/v1/monitoring/alerts/{}/acknowledge", later.id);
    problem(app.post_json(&path, Some(&admin), &json!({})).await, 409).await;
    problem(app.post_json("/api/v1/monitoring/alerts/987654/acknowledge", Some(&admin), &json!({})).await, 404).await;
    problem(app.post_json("/api/v1/monitoring/alerts/abc/acknowledge", Some(&admin), &json!({})).await, 404).await;
    let res = noc
        .post(app.url("/admin/monitoring/alerts/987654/acknowledge"))
        .form(&[("csrf_token", csrf.as_str())])
        .send()
        .await
        .expect("post");
    assert_eq!(res.status(), StatusCode::NOT_FOUND);

    // History: newest first, by rule, with paging.
    let body = json_of(app.get("/api/v1/monitoring/alerts?per_page=2", Some(&admin)).await).await;
    assert_eq!((body["total"].as_u64(), body["items"].as_array().map(Vec::len)), (Some(3), Some(2)));
    assert_eq!(body["items"][0]["id"], later.id);
    assert_eq!(body["items"][0]["status"], "resolved");
    for bad in ["rule=nope", "page=0", "per_page=201", "active=maybe"] {
        problem(app.get(&format!("/api/v1/monitoring/alerts?{bad}"), Some(&admin)).await, 422).await;
    }
    let (status, html) = html_of(&noc, &app, "/admin/monitoring/alerts?rule=dead_letters").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("3 jobs") && !html.contains("3.5 %"), "filtered by rule");
    assert!(html.contains(&app.t("monitoring.alert_status.resolved")));
    assert_eq!(html_of(&noc, &app, "/admin/monitoring/alerts?rule=nope").await.0, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn the_error_inbox_lists_searches_pages_and_changes_status() {
    let app = spawn_app().await;
    let first_seen = app.clock.now_utc();
    let invoice =
        error_group(&app, ErrorSource::Job, "invoice generation failed: no such table", "billing.generate").await;
    app.clock.advance(Duration::minutes(1));
    error_group(&app, ErrorSource::Panic, "handler panicked: invoice total overflow", "/api/v1/invoices/{id}").await;
    for i in 0..28 {
        app.clock.advance(Duration::minutes(1));
        let title = format!("timeout talking to OLT {}", ["alpha", "beta", "gamma", "delta"][i % 4]);
        error_group(&app, ErrorSource::Http, &format!("{title} on port {i}x"), &format!("/api/v1/olts/{i}")).await;
    }
    // The first group happens again: counted, last seen now.
    app.clock.advance(Duration::minutes(5));
    let last_seen = app.clock.now_utc();
    error_group(&app, ErrorSource::Job, "invoice generation failed: no such table", "billing.generate").await;

    let (_, admin) = app.user_with_token("andi.admin", Role::Admin).await;
    let (_, supervisor) = app.user_with_token("sari.spv", Role::Supervisor).await;
    let body = json_of(app.get("/api/v1/monitoring/errors?per_page=10", Some(&supervisor)).await).await;
    assert_eq!((body["total"].as_u64(), body["items"].as_array().map(Vec::len)), (Some(30), Some(10)));
    assert_eq!(body["items"][0]["id"], invoice, "most recently seen first");
    assert_eq!(body["items"][0]["count"], 2);
    assert!(body["items"][0].get("detail").is_none(), "no detail in the list");
    let body = json_of(app.get("/api/v1/monitoring/errors?per_page=10&page=3", Some(&supervisor)).await).await;
    assert_eq!(body["items"].as_array().map(Vec::len), Some(10));
    let body = json_of(app.get("/api/v1/monitoring/errors?q=INVOICE", Some(&supervisor)).await).await;
    assert_eq!(body["total"], 2, "title search, any case");
    let body = json_of(app.get("/api/v1/monitoring/errors?q=olts", Some(&supervisor)).await).await;
    assert_eq!(body["total"], 28, "route search");
    for bad in ["status=zombie", "page=0", "per_page=0"] {
        problem(app.get(&format!("/api/v1/monitoring/errors?{bad}"), Some(&admin)).await, 422).await;
    }
    let one = json_of(app.get(&format!("/api/v1/monitoring/errors/{invoice}"), Some(&supervisor)).await).await;
    assert_eq!(one["source"], "job");
    assert!(one["detail"].as_str().is_some_and(|d| d.contains("Stack backtrace")), "{one}");
    problem(app.get("/api/v1/monitoring/errors/abc", Some(&admin)).await, 404).await;
    problem(app.get("/api/v1/monitoring/errors/987654", Some(&admin)).await, 404).await;

    // Transitions through the API.
    let path = format!("/api/v1/monitoring/errors/{invoice}/transitions");
    problem(app.post_json(&path, Some(&supervisor), &json!({"to": "resolved"})).await, 403).await;
    let res = app.post_json(&path, Some(&admin), &json!({"to": "resolved"})).await;
    assert_eq!(res.status(), StatusCode::OK);
    let resolved = json_of(res).await;
    assert_eq!(resolved["status"], "resolved");
    assert!(resolved["resolved_at"].is_string() && resolved["resolved_by"].is_i64(), "{resolved}");
    problem(app.post_json(&path, Some(&admin), &json!({"to": "resolved"})).await, 409).await;
    assert!(
        problem(app.post_json(&path, Some(&admin), &json!({"to": "zombie"})).await, 422).await["errors"]["to"]
            .is_array()
    );
    problem(app.post_json(&path, Some(&admin), &json!({})).await, 422).await;
    let body = json_of(app.post_json(&path, Some(&admin), &json!({"to": "ignored"})).await).await;
    assert_eq!((body["status"].as_str(), body["resolved_at"].as_str()), (Some("ignored"), None));
    let body = json_of(app.get("/api/v1/monitoring/errors?status=open", Some(&admin)).await).await;
    assert_eq!(body["total"], 29);
    assert_eq!(json_of(app.post_json(&path, Some(&admin), &json!({"to": "open"})).await).await["status"], "open");
    problem(
        app.post_json("/api/v1/monitoring/errors/987654/transitions", Some(&admin), &json!({"to": "open"})).await,
        404,
    )
    .await;
    assert_eq!(audit_count(&app, AuditEvent::ErrorGroupChanged).await, 3);

    // The pages.
    let (noc, csrf) = browser_of(&app, "nina.noc", Role::Noc).await;
    let (status, html) = html_of(&noc, &app, "/admin/monitoring/errors").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("invoice generation failed: no such table") && html.contains("2×"));
    assert!(html.contains("href=\"/admin/monitoring/errors/") && html.contains("class=\"pager\""), "25 a page");
    let (_, html) = html_of(&noc, &app, "/admin/monitoring/errors?q=invoice").await;
    assert!(html.contains("handler panicked: invoice total overflow") && !html.contains("timeout talking to OLT"));
    let (_, html) = html_of(&noc, &app, "/admin/monitoring/errors?q=olt&per_page=10&page=3").await;
    assert!(html.contains("timeout talking to OLT") && !html.contains("invoice generation"));
    assert!(html.contains("Halaman 3 dari 3"), "the pager: {html}");
    let prev = crate::helpers::between(&html, "class=\"pager\"", "</nav>").expect("pager");
    assert!(prev.contains("q=olt&#38;per_page=10&amp;page=2"), "the pager keeps the search: {prev}");
    let (_, html) = html_of(&noc, &app, "/admin/monitoring/errors?q=zzz-nothing").await;
    assert!(html.contains(&app.t("monitoring.errors_empty_search")));
    assert_eq!(html_of(&noc, &app, "/admin/monitoring/errors?status=zombie").await.0, StatusCode::UNPROCESSABLE_ENTITY);

    let detail = format!("/admin/monitoring/errors/{invoice}");
    let (status, html) = html_of(&noc, &app, &detail).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains(&wib(first_seen)) && html.contains(&wib(last_seen)), "first and last seen in WIB");
    assert!(html.contains("req-7f3a9c") && html.contains("<code>42</code>") && html.contains("billing.generate"));
    assert!(html.contains("<pre class=\"error-detail\">") && html.contains("Stack backtrace"));
    assert!(html.contains(&app.t("monitoring.to.resolved")) && html.contains(&app.t("monitoring.to.ignored")));
    assert_eq!(html_of(&noc, &app, "/admin/monitoring/errors/abc").await.0, StatusCode::NOT_FOUND);

    let url = app.url(&format!("{detail}/transitions"));
    let res = noc.post(&url).form(&[("to", "resolved")]).send().await.expect("post");
    assert_eq!(res.status(), StatusCode::FORBIDDEN, "no CSRF token");
    for (to, done) in [
        ("resolved", "monitoring.done.resolved"),
        ("ignored", "monitoring.done.ignored"),
        ("open", "monitoring.done.reopened"),
    ] {
        let res = noc.post(&url).form(&[("csrf_token", csrf.as_str()), ("to", to)]).send().await.expect("post");
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "{to}");
        assert_eq!(location(&res), format!("{detail}?done={to}"));
        let (_, html) = html_of(&noc, &app, &location(&res)).await;
        assert!(html.contains(&app.t(done)), "{to}");
        let stored = error_groups::get(&app.state.db, invoice).await.expect("db").expect("group");
        assert_eq!(stored.status.as_str(), to);
    }
    let res = noc.post(&url).form(&[("csrf_token", csrf.as_str()), ("to", "open")]).send().await.expect("post");
    assert_eq!(res.status(), StatusCode::CONFLICT, "open already");
    let res = noc.post(&url).form(&[("csrf_token", csrf.as_str()), ("to", "zombie")]).send().await.expect("post");
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);

    let (spv, spv_csrf) = browser_of(&app, "sari.web", Role::Supervisor).await;
    let (_, html) = html_of(&spv, &app, &detail).await;
    assert!(html.contains(&app.t("monitoring.view_only")) && !html.contains("/transitions\""));
    let res = spv.post(&url).form(&[("csrf_token", spv_csrf.as_str()), ("to", "ignored")]).send().await.expect("post");
    assert_eq!(res.status(), StatusCode::FORBIDDEN);

    // The overview lists the open ones.
    let (_, html) = html_of(&noc, &app, "/admin/monitoring").await;
    assert!(html.contains(&format!("href=\"/admin/monitoring/errors/{invoice}\"")));
    assert!(html.contains(&app.t("monitoring.more_errors")), "more than ten open");
}

#[tokio::test]
async fn rule_settings_are_checked_and_saved_through_the_api_and_the_page() {
    let app = spawn_app().await;
    let (_, admin) = app.user_with_token("andi.admin", Role::Admin).await;
    let (_, supervisor) = app.user_with_token("sari.spv", Role::Supervisor).await;
    let body = json_of(app.get("/api/v1/monitoring/rules", Some(&supervisor)).await).await;
    let codes: Vec<&str> = body["items"].as_array().expect("items").iter().filter_map(|r| r["code"].as_str()).collect();
    assert_eq!(codes.len(), RuleCode::ALL.len());
    assert_eq!(body["total"], RuleCode::ALL.len());
    let error_rate = &body["items"][0];
    assert_eq!((error_rate["code"].as_str(), error_rate["unit"].as_str()), (Some("error_rate"), Some("%")));
    assert_eq!((error_rate["threshold"].as_f64(), error_rate["window_minutes"].as_i64()), (Some(1.0), Some(5)));

    let path = "/api/v1/monitoring/rules/error_rate";
    let good = json!({"enabled": true, "threshold": 2.5, "window_minutes": 10, "renotify_minutes": 30,
        "recipients": ["NOC@Aglis.id", "0812-3456-7890", ""]});
    problem(app.send_json(Method::PUT, path, Some(&supervisor), &good).await, 403).await;
    let res = app.send_json(Method::PUT, path, Some(&admin), &good).await;
    assert_eq!(res.status(), StatusCode::OK);
    let rule = json_of(res).await;
    assert_eq!(rule["threshold"], 2.5);
    assert_eq!((rule["window_minutes"].as_i64(), rule["renotify_minutes"].as_i64()), (Some(10), Some(30)));
    assert_eq!(rule["recipients"], json!(["noc@aglis.id", "6281234567890"]));
    let stored = alerts::rule(&app.state.db, RuleCode::ErrorRate).await.expect("db").expect("rule");
    assert_eq!(stored.recipients, "noc@aglis.id\n6281234567890");
    assert_eq!(audit_count(&app, AuditEvent::AlertRuleChanged).await, 1);

    let bad =
        json!({"threshold": 150, "window_minutes": 0, "renotify_minutes": 99999, "recipients": ["budi", "ok@isp.id"]});
    let p = problem(app.send_json(Method::PUT, "/api/v1/monitoring/rules/disk", Some(&admin), &bad).await, 422).await;
    for field in ["threshold", "window_minutes", "renotify_minutes", "recipients"] {
        assert!(p["errors"][field].is_array(), "{field}: {p}");
    }
    assert!(p["errors"]["recipients"][0].as_str().is_some_and(|m| m.contains("budi")), "{p}");
    for body in [
        json!({"threshold": -1}),
        json!({"threshold": "x"}),
        json!({"window": 5}),
        json!([]),
        json!({"window_minutes": 1e30}),
    ] {
        problem(app.send_json(Method::PUT, path, Some(&admin), &body).await, 422).await;
    }
    problem(app.send_json(Method::PUT, "/api/v1/monitoring/rules/nope", Some(&admin), &good).await, 404).await;
    let stored_disk = alerts::rule(&app.state.db, RuleCode::Disk).await.expect("db").expect("rule");
    assert_eq!(stored_disk.threshold, 90.0, "nothing stored from a refused request");
    // Yes/no rules keep their threshold.
    let res = app
        .send_json(
            Method::PUT,
            "/api/v1/monitoring/rules/database",
            Some(&admin),
            &json!({"threshold": 5, "renotify_minutes": 0}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(json_of(res).await["threshold"], 0.0);

    // The page: refused values stay in the form with their messages.
    let (noc, csrf) = browser_of(&app, "nina.noc", Role::Noc).await;
    let (status, html) = html_of(&noc, &app, "/admin/monitoring/rules").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("id=\"rule-response_time\"") && html.contains("action=\"/admin/monitoring/rules/disk/mute\"")
    );
    assert!(html.contains("0812-3456-7890"), "numbers as people write them");
    let url = app.url("/admin/monitoring/rules/response_time");
    let typed = [
        ("csrf_token", csrf.as_str()),
        ("rule_form", "1"),
        ("enabled", "on"),
        ("threshold", "cepat"),
        ("window_minutes", "0"),
        ("renotify_minutes", "5"),
        ("recipients", "budi\r\nnoc@aglis.id"),
    ];
    let res = noc.post(&url).form(&typed).send().await.expect("post");
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.expect("html");
    assert!(html.contains(&app.t("monitoring.err.threshold")) && html.contains(&app.t("monitoring.err.window")));
    assert!(html.contains(&format!("{} budi", app.t("monitoring.err.recipient"))), "the wrong line is named");
    assert!(html.contains("value=\"cepat\""), "what was typed is kept");
    assert!(!html.contains(&app.t("monitoring.err.renotify")));
    let stored = alerts::rule(&app.state.db, RuleCode::ResponseTime).await.expect("db").expect("rule");
    assert_eq!((stored.threshold, stored.window_minutes), (3000.0, 5), "nothing stored");
    let percent = [("csrf_token", csrf.as_str()), ("rule_form", "1"), ("threshold", "100,5")];
    let res = noc.post(app.url("/admin/monitoring/rules/whatsapp")).form(&percent).send().await.expect("post");
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.expect("html").contains(&app.t("monitoring.err.percent")));

    // Valid: saved (an unticked box disables the rule), a decimal comma read.
    let valid = [
        ("csrf_token", csrf.as_str()),
        ("rule_form", "1"),
        ("threshold", "2500,5"),
        ("window_minutes", "10"),
        ("renotify_minutes", "0"),
        ("recipients", "0857 2233 4455\n"),
    ];
    let res = noc.post(&url).form(&valid).send().await.expect("post");
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res), "/admin/monitoring/rules?done=saved#rule-response_time");
    let stored = alerts::rule(&app.state.db, RuleCode::ResponseTime).await.expect("db").expect("rule");
    assert_eq!(
        (stored.enabled, stored.threshold, stored.window_minutes, stored.renotify_minutes, stored.recipients.as_str()),
        (false, 2500.5, 10, 0, "6285722334455")
    );
    let (_, html) = html_of(&noc, &app, "/admin/monitoring/rules?done=saved").await;
    assert!(html.contains(&app.t("monitoring.done.saved")) && html.contains("0857-2233-4455"));
    assert!(html.contains("value=\"2500,5\""), "a decimal comma in Indonesian");
    let res = noc.post(app.url("/admin/monitoring/rules/nope")).form(&valid).send().await.expect("post");
    assert_eq!(res.status(), StatusCode::NOT_FOUND);

    // A supervisor reads the settings but cannot save them.
    let (spv, spv_csrf) = browser_of(&app, "sari.web", Role::Supervisor).await;
    let (status, html) = html_of(&spv, &app, "/admin/monitoring/rules").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains(" disabled") && !html.contains(&format!(">{}</button>", app.t("monitoring.save"))));
    let res = spv.post(&url).form(&[("csrf_token", spv_csrf.as_str()), ("threshold", "1")]).send().await.expect("post");
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn rules_are_muted_and_unmuted() {
    let app = spawn_app().await;
    let (noc, csrf) = browser_of(&app, "nina.noc", Role::Noc).await;
    let now = app.clock.now_utc();
    let url = app.url("/admin/monitoring/rules/disk/mute");
    let res = noc.post(&url).form(&[("minutes", "240")]).send().await.expect("post");
    assert_eq!(res.status(), StatusCode::FORBIDDEN, "no CSRF token");
    let res = noc.post(&url).form(&[("csrf_token", csrf.as_str()), ("minutes", "240")]).send().await.expect("post");
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res), "/admin/monitoring/rules?done=muted#rule-disk");
    let stored = alerts::rule(&app.state.db, RuleCode::Disk).await.expect("db").expect("rule");
    assert_eq!(stored.muted_until, Some(now + Duration::hours(4)));
    let (_, html) = html_of(&noc, &app, "/admin/monitoring/rules?done=muted").await;
    assert!(html.contains(&app.t("monitoring.done.muted")));
    assert!(html.contains(&wib(now + Duration::hours(4))), "muted until, in WIB");
    assert!(html.contains("name=\"minutes\" value=\"0\""), "the unmute button");
    let res = noc.post(&url).form(&[("csrf_token", csrf.as_str()), ("minutes", "lama")]).send().await.expect("post");
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let res = noc.post(&url).form(&[("csrf_token", csrf.as_str()), ("minutes", "0")]).send().await.expect("post");
    assert_eq!(location(&res), "/admin/monitoring/rules?done=unmuted#rule-disk");
    assert_eq!(alerts::rule(&app.state.db, RuleCode::Disk).await.expect("db").expect("rule").muted_until, None);

    let (_, admin) = app.user_with_token("andi.admin", Role::Admin).await;
    let path = "/api/v1/monitoring/rules/whatsapp/mute";
    let body = json_of(app.post_json(path, Some(&admin), &json!({"minutes": 60})).await).await;
    assert_eq!(body["muted"], true);
    let until: DateTime<Utc> = body["muted_until"].as_str().expect("until").parse().expect("time");
    assert_eq!(until, now + Duration::hours(1));
    app.clock.advance(Duration::minutes(61));
    let rules = json_of(app.get("/api/v1/monitoring/rules", Some(&admin)).await).await;
    let whatsapp =
        rules["items"].as_array().expect("items").iter().find(|r| r["code"] == "whatsapp").expect("rule").clone();
    assert_eq!(whatsapp["muted"], false, "a mute ends by itself");
    let body = json_of(app.post_json(path, Some(&admin), &json!({"minutes": 0})).await).await;
    assert_eq!((body["muted"].as_bool(), body["muted_until"].is_null()), (Some(false), true));
    for bad in [json!({"minutes": -1}), json!({"minutes": 10081}), json!({}), json!({"minutes": "1h"})] {
        problem(app.post_json(path, Some(&admin), &bad).await, 422).await;
    }
    problem(app.post_json("/api/v1/monitoring/rules/nope/mute", Some(&admin), &json!({"minutes": 5})).await, 404).await;
    let (_, supervisor) = app.user_with_token("sari.spv", Role::Supervisor).await;
    problem(app.post_json(path, Some(&supervisor), &json!({"minutes": 5})).await, 403).await;
    assert_eq!(audit_count(&app, AuditEvent::AlertRuleChanged).await, 4);
}

#[tokio::test]
async fn the_charts_draw_the_recorded_figures() {
    let app = spawn_app().await;
    let now = app.clock.now_utc();
    let minute = |ago: i64| (now - Duration::minutes(ago)).duration_trunc(Duration::minutes(1)).expect("minute");
    for (ago, requests, errors, avg, max) in [(5, 120, 6, 180, 2400), (95, 60, 0, 90, 300), (600, 30, 1, 40, 120)] {
        let f = metrics::MinuteFigures { requests, errors, latency_ms_sum: avg * requests, latency_ms_max: max };
        metrics::add_minute(&app.state.db, "test-node-1", minute(ago), f).await.expect("figures");
    }
    // A second instance's figures for the same minute add up.
    let f = metrics::MinuteFigures { requests: 80, errors: 2, latency_ms_sum: 80 * 180, latency_ms_max: 900 };
    metrics::add_minute(&app.state.db, "test-node-2", minute(5), f).await.expect("figures");
    for (ago, depth) in [(7, 12), (300, 3)] {
        let s = metrics::QueueSample { minute: minute(ago), depth, dead: 0, oldest_due_secs: 0 };
        metrics::record_queue_sample(&app.state.db, s).await.expect("sample");
    }
    // Older than a day: not drawn.
    let old = metrics::MinuteFigures { requests: 9999, errors: 0, latency_ms_sum: 9999, latency_ms_max: 1 };
    metrics::add_minute(&app.state.db, "test-node-1", minute(60 * 26), old).await.expect("figures");

    let (noc, _) = browser_of(&app, "nina.noc", Role::Noc).await;
    let (status, html) = html_of(&noc, &app, "/admin/monitoring").await;
    assert_eq!(status, StatusCode::OK);
    let chart =
        |key: &str| crate::helpers::between(&html, &format!("id=\"chart-{key}\""), "</section>").expect("chart");
    let requests = chart("requests");
    assert!(requests.contains("<svg") && requests.matches("<rect").count() >= 3, "{requests}");
    assert!(requests.contains("200 permintaan, 8 5xx"), "both instances summed: {requests}");
    assert!(!requests.contains("9999"), "older than 24 hours");
    let errors = chart("errors");
    assert_eq!(errors.matches("class=\"point\"").count(), 3, "{errors}");
    assert!(errors.contains(": 4 %"), "8 of 200: {errors}");
    let latency = chart("latency");
    assert!(latency.contains(": 180 ms") && latency.contains(": 2400 ms"), "average and slowest: {latency}");
    let queue = chart("queue");
    assert_eq!(queue.matches("class=\"point\"").count(), 2);
    assert!(queue.contains(": 12 job"), "{queue}");
    assert!(!html.contains(&app.t("monitoring.chart_empty")));

    let fresh = spawn_app().await;
    let (browser, _) = browser_of(&fresh, "nina.noc", Role::Noc).await;
    let (_, html) = html_of(&browser, &fresh, "/admin/monitoring").await;
    let requests = crate::helpers::between(&html, "id=\"chart-requests\"", "</section>").expect("chart");
    assert!(requests.contains(&fresh.t("monitoring.chart_empty")) && !requests.contains("<svg"), "{requests}");
}

#[tokio::test]
async fn the_demo_gateway_is_broken_and_repaired_only_in_the_demo() {
    let app = spawn_demo_app(|_| {}).await;
    assert!(app.state.monitor.demo_gateway.is_some(), "the demo runs its own gateway");
    let (noc, csrf) = browser_of(&app, "uji.noc", Role::Noc).await;
    let (status, html) = html_of(&noc, &app, "/admin/monitoring").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("id=\"demo-gateway\"") && html.contains(&app.t("monitoring.demo.working")));
    assert!(html.contains(&format!("data-confirm=\"{}\"", app.t("monitoring.demo.confirm_break"))), "asks first");

    let url = app.url("/admin/monitoring/demo-gateway");
    let res = noc.post(&url).form(&[("action", "break")]).send().await.expect("post");
    assert_eq!(res.status(), StatusCode::FORBIDDEN, "no CSRF token");
    let res = noc.post(&url).form(&[("csrf_token", csrf.as_str()), ("action", "break")]).send().await.expect("post");
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res), "/admin/monitoring?done=broken#demo-gateway");
    assert!(app.state.monitor.demo_gateway.as_ref().is_some_and(|g| g.is_broken()));
    let (_, html) = html_of(&noc, &app, "/admin/monitoring?done=broken").await;
    assert!(html.contains(&app.t("monitoring.demo.broken")) && html.contains(&app.t("monitoring.demo.repair")));
    assert!(html.contains(&app.t("monitoring.done.broken")));
    let res = noc.post(&url).form(&[("csrf_token", csrf.as_str()), ("action", "explode")]).send().await.expect("post");
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let res = noc.post(&url).form(&[("csrf_token", csrf.as_str()), ("action", "repair")]).send().await.expect("post");
    assert_eq!(location(&res), "/admin/monitoring?done=repaired#demo-gateway");
    assert!(app.state.monitor.demo_gateway.as_ref().is_some_and(|g| !g.is_broken()));
    assert_eq!(audit_count(&app, AuditEvent::DemoGatewayToggled).await, 2);

    let (spv, spv_csrf) = browser_of(&app, "uji.spv", Role::Supervisor).await;
    let res =
        spv.post(&url).form(&[("csrf_token", spv_csrf.as_str()), ("action", "break")]).send().await.expect("post");
    assert_eq!(res.status(), StatusCode::FORBIDDEN);

    let plain = spawn_app().await;
    let (noc, csrf) = browser_of(&plain, "nina.noc", Role::Noc).await;
    let res = noc
        .post(plain.url("/admin/monitoring/demo-gateway"))
        .form(&[("csrf_token", csrf.as_str()), ("action", "break")])
        .send()
        .await
        .expect("post");
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
}
