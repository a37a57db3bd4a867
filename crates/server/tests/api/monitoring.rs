//! Health checks and `/metrics`: the health contract (statuses for anyone, figures for staff or
//! the token, 503 naming the failing check), the load balancer's probes, and Prometheus text a
//! real parser reads.

use crate::helpers::{spawn_app, spawn_app_with};
use crate::monitoring_alerts::break_database;
use aglis_core::permission::Role;
use reqwest::StatusCode;
use serde_json::Value;

const TOKEN: &str = "monitoring-token-0123456789";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_names_every_check_details_need_staff_or_the_token_and_a_lost_database_is_a_503() {
    let app = spawn_app_with(|env| {
        env.insert("AGLIS_MONITORING_TOKEN".into(), TOKEN.into());
    })
    .await;
    let res = app.get("/api/health", None).await;
    assert_eq!(res.status(), StatusCode::OK);
    let body: Value = res.json().await.expect("json");
    for check in ["database", "queue", "whatsapp", "disk", "backup"] {
        assert!(body["checks"][check]["status"].is_string(), "{check} in {body}");
    }
    assert_eq!(body["checks"]["database"]["status"], "ok");
    assert!(
        body.get("version").is_none() && body["checks"]["queue"].get("figures").is_none(),
        "anonymous: statuses only"
    );

    let (_, staff) = app.user_with_token("rina.noc", Role::Noc).await;
    let body: Value = app.get("/api/health", Some(&staff)).await.json().await.expect("json");
    assert_eq!(body["version"], env!("CARGO_PKG_VERSION"));
    assert!(body["uptime_secs"].is_u64());
    assert!(body["checks"]["queue"]["figures"]["dead"].is_u64(), "{body}");
    assert!(body["checks"]["disk"]["figures"]["data_used_pct"].is_number(), "{body}");
    let body: Value = app.get("/api/health", Some(TOKEN)).await.json().await.expect("json");
    assert!(body["version"].is_string(), "the monitoring token sees the details");

    assert_eq!(app.get("/api/health/live", None).await.status(), StatusCode::OK);
    assert_eq!(app.get("/api/health/ready", None).await.status(), StatusCode::OK);

    let repair = break_database(&app).await;
    let res = app.get("/api/health", Some(TOKEN)).await;
    assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
    let body: Value = res.json().await.expect("json");
    assert_eq!(body["status"], "fail");
    assert_eq!(body["checks"]["database"]["status"], "fail", "{body}");
    assert!(body["checks"]["database"]["message"].is_string());
    assert_eq!(app.get("/api/health/ready", None).await.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(app.get("/api/health/live", None).await.status(), StatusCode::OK, "the process is still up");

    repair().await;
    let mut status = StatusCode::SERVICE_UNAVAILABLE;
    for _ in 0..20 {
        status = app.get("/api/health", None).await.status();
        if status == StatusCode::OK {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
    assert_eq!(status, StatusCode::OK, "healthy again once the database is back");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_degraded_check_is_200_unless_configured_otherwise() {
    // A WhatsApp provider nobody answers for: the status check fails, the instance still serves.
    let strict = spawn_app_with(|env| {
        env.insert("AGLIS_FONNTE_TOKEN".into(), "token-nowhere".into());
        env.insert("AGLIS_FONNTE_URL".into(), "http://127.0.0.1:9".into());
        env.insert("AGLIS_HEALTH_DEGRADED_OK".into(), "false".into());
    })
    .await;
    let (_, staff) = strict.user_with_token("rina.noc", Role::Noc).await;
    let res = strict.get("/api/health", Some(&staff)).await;
    let status = res.status();
    let body: Value = res.json().await.expect("json");
    assert_eq!(body["checks"]["whatsapp"]["status"], "degraded", "an unreachable provider degrades: {body}");
    assert_eq!(body["status"], "degraded");
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "degraded is not acceptable here");
    let lenient = spawn_app_with(|env| {
        env.insert("AGLIS_FONNTE_TOKEN".into(), "token-nowhere".into());
        env.insert("AGLIS_FONNTE_URL".into(), "http://127.0.0.1:9".into());
    })
    .await;
    assert_eq!(lenient.get("/api/health", None).await.status(), StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_are_prometheus_text_with_routes_latency_queue_and_pool_and_the_token_guards_them() {
    let app = spawn_app_with(|env| {
        env.insert("AGLIS_MONITORING_TOKEN".into(), TOKEN.into());
    })
    .await;
    let (_, staff) = app.user_with_token("rina.noc", Role::Noc).await;
    for _ in 0..3 {
        assert_eq!(app.get("/api/v1/packages", Some(&staff)).await.status(), StatusCode::OK);
    }
    assert_eq!(app.get("/api/v1/customers/999999", Some(&staff)).await.status(), StatusCode::NOT_FOUND);
    let job = aglis_db::jobs::NewJob::new("notifications.send", serde_json::json!({"message_id": 0}));
    aglis_db::jobs::enqueue(&app.state.db, job, crate::helpers::ClockExt::now_utc(&app.clock)).await.expect("job");

    assert_eq!(app.get("/metrics", None).await.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(app.get("/metrics", Some("wrong-token-0123456789")).await.status(), StatusCode::UNAUTHORIZED);
    let res = app.get("/metrics", Some(TOKEN)).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.headers()["content-type"].to_str().expect("ct").starts_with("text/plain"));
    let text = res.text().await.expect("body");
    let lines = text.lines().map(|l| Ok(l.to_owned()));
    let scrape = prometheus_parse::Scrape::parse(lines).expect("valid Prometheus text");
    let sample = |name: &str, labels: &[(&str, &str)]| {
        scrape
            .samples
            .iter()
            .find(|s| s.metric == name && labels.iter().all(|(k, v)| s.labels.get(k) == Some(*v)))
            .map(|s| s.value.clone())
    };
    match sample("aglis_http_requests_total", &[("route", "/api/v1/packages"), ("status", "200")]) {
        Some(prometheus_parse::Value::Counter(n)) => assert!(n >= 3.0, "{n}"),
        other => panic!("requests by route template: {other:?}\n{text}"),
    }
    // (prometheus-parse 0.2 splits label values at `}`, so this one is read from the text.)
    assert!(
        text.contains(r#"aglis_http_requests_total{route="/api/v1/customers/{id}",method="GET",status="404"} 1"#),
        "route templates, never ids"
    );
    assert!(
        scrape.samples.iter().any(|s| s.metric == "aglis_http_request_duration_seconds"
            && matches!(s.value, prometheus_parse::Value::Histogram(_))),
        "latency histogram"
    );
    match sample("aglis_jobs_waiting", &[("kind", "notifications.send")]) {
        Some(prometheus_parse::Value::Gauge(n)) => assert!(n >= 1.0),
        other => panic!("queue depth per kind: {other:?}"),
    }
    assert!(sample("aglis_db_pool_connections", &[("state", "idle")]).is_some());

    // The job runs (and fails, to be retried later): a later scrape says 0, not the old depth.
    let runner =
        aglis_server::jobs::Runner::new(app.state.clone(), std::sync::Arc::new(aglis_server::jobs::builtin_registry()));
    runner.run_once().await.expect("run");
    let text = app.get("/metrics", Some(TOKEN)).await.text().await.expect("body");
    let scrape = prometheus_parse::Scrape::parse(text.lines().map(|l| Ok(l.to_owned()))).expect("valid");
    let waiting = scrape
        .samples
        .iter()
        .find(|s| s.metric == "aglis_jobs_waiting" && s.labels.get("kind") == Some("notifications.send"))
        .map(|s| s.value.clone());
    assert!(matches!(waiting, Some(prometheus_parse::Value::Gauge(n)) if n == 0.0), "{waiting:?}");
    assert!(sample("aglis_uptime_seconds", &[]).is_some());

    // The per-minute figures reach the database for the alert rules and charts.
    app.state.monitor.flush(&app.state.db).await.expect("flush");
    let now = crate::helpers::ClockExt::now_utc(&app.clock);
    let t = aglis_db::repo::metrics::totals(
        &app.state.db,
        now - chrono::Duration::minutes(5),
        now + chrono::Duration::minutes(1),
    )
    .await
    .expect("totals");
    assert!(t.requests >= 4, "{t:?}");
    assert_eq!(t.errors, 0);
}

#[tokio::test]
async fn without_a_token_metrics_are_open() {
    let app = spawn_app().await;
    assert_eq!(app.get("/metrics", None).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn every_instance_adds_its_own_figures_and_the_rules_read_the_sum() {
    let app = spawn_app().await;
    let now = crate::helpers::ClockExt::now_utc(&app.clock);
    // A second instance on the same database: its own monitor, its own rows.
    let other = aglis_server::monitoring::Monitor::new(&app.state.config, now).expect("monitor");
    assert_ne!(other.instance, app.state.monitor.instance);
    for ms in [100, 300] {
        app.state.monitor.figures.record(now, false, std::time::Duration::from_millis(ms));
        other.figures.record(now, true, std::time::Duration::from_millis(ms * 10));
    }
    app.state.monitor.flush(&app.state.db).await.expect("flush a");
    other.flush(&app.state.db).await.expect("flush b");
    other.figures.record(now, false, std::time::Duration::from_millis(50));
    other.flush(&app.state.db).await.expect("flush b again: added to its row");
    let minute = chrono::Duration::minutes(1);
    let t = aglis_db::repo::metrics::totals(&app.state.db, now - minute, now + minute).await.expect("totals");
    assert_eq!((t.requests, t.errors), (5, 2));
    assert_eq!(t.latency_ms_sum, 100 + 300 + 1000 + 3000 + 50);
    assert_eq!(t.latency_ms_max, 3000);
    let series = aglis_db::repo::metrics::series(&app.state.db, now - minute).await.expect("series");
    assert_eq!(series.len(), 1, "one minute, summed over both instances");
}
