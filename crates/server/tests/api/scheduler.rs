//! The scheduler lease and the built-in hourly session purge.

use crate::helpers::{TestApp, spawn_app};
use aglis_core::job::JobStatus;
use aglis_core::permission::Role;
use aglis_db::jobs;
use aglis_db::leases;
use aglis_server::jobs::{Runner, Scheduler, builtin_registry};
use chrono::{Duration, DurationRound};
use std::sync::Arc;

/// Leaves only the hourly purge enabled (the minute's SLA check would fire in every test).
async fn only_the_purge(app: &TestApp) {
    for s in aglis_db::schedules::list(&app.state.db).await.expect("schedules") {
        if s.name != "purge_expired_sessions" {
            let off = aglis_db::schedules::ScheduleChanges { enabled: Some(false), ..Default::default() };
            aglis_db::schedules::update(&app.state.db, s.id, off, app.state.now()).await.expect("disable");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn only_one_instance_holds_the_scheduler_lease() {
    let app = spawn_app().await;
    let mut schedulers = Vec::new();
    for _ in 0..3 {
        let db = aglis_db::connect(&app.db_url, 2).await.expect("connection");
        schedulers.push(Arc::new(Scheduler::new(aglis_server::state::AppState { db, ..app.state.clone() })));
    }
    for round in 0..20 {
        let mut handles = Vec::new();
        for s in &schedulers {
            let s = s.clone();
            handles.push(tokio::spawn(async move { s.tick().await.expect("tick").holds_lease }));
        }
        let mut holders = 0;
        for h in handles {
            holders += usize::from(h.await.expect("task"));
        }
        assert_eq!(holders, 1, "round {round}: exactly one holder");
        app.clock.advance(Duration::seconds(5));
    }
    let holder = leases::current_holder(&app.state.db, "scheduler", app.state.now()).await.expect("db").expect("held");
    // The holder stops heart-beating; another takes over only after the lease expires.
    let others: Vec<_> = schedulers.iter().filter(|s| s.holder() != holder).collect();
    app.clock.advance(Duration::seconds(20));
    assert!(!others[0].tick().await.expect("tick").holds_lease, "lease still valid");
    app.clock.advance(Duration::seconds(11));
    assert!(others[0].tick().await.expect("tick").holds_lease, "expired lease taken over");
    assert!(!others[1].tick().await.expect("tick").holds_lease);
}

#[tokio::test]
async fn the_hourly_purge_runs_from_its_schedule_and_deletes_expired_sessions() {
    let app = spawn_app().await;
    app.insert_user("andi", Role::Admin).await;
    let _old = app.token("andi").await;
    app.clock.advance(Duration::days(31)); // that API token has expired
    let fresh = app.token("andi").await;
    assert_eq!(aglis_db::repo::sessions::count(&app.state.db).await.expect("count"), 2);
    only_the_purge(&app).await;

    let scheduler = Scheduler::new(app.state.clone());
    let runner = Runner::new(app.state.clone(), Arc::new(builtin_registry()));
    // move to just past the next full hour: the schedule is due
    let next_hour = app.state.now().duration_trunc(Duration::hours(1)).expect("trunc") + Duration::hours(1);
    app.clock.set(next_hour + Duration::seconds(1));
    let tick = scheduler.tick().await.expect("tick");
    assert!(tick.holds_lease);
    assert_eq!(tick.fired, 1);
    assert_eq!(scheduler.tick().await.expect("tick").fired, 0, "one job per occurrence");
    let r = runner.run_once().await.expect("run");
    assert_eq!((r.claimed, r.done), (1, 1));
    assert_eq!(aglis_db::repo::sessions::count(&app.state.db).await.expect("count"), 1, "expired token purged");
    assert_eq!(app.get("/api/v1/me", Some(&fresh)).await.status(), reqwest::StatusCode::OK);
    let (done, _) = jobs::list(&app.state.db, JobStatus::Done, 1, 10).await.expect("list");
    assert_eq!(done[0].kind, "sessions.purge_expired");
    assert!(done[0].dedup_key.as_deref().is_some_and(|k| k.starts_with("schedule:purge_expired_sessions:")));

    // the next occurrence is an hour later
    let rows = aglis_db::schedules::list(&app.state.db).await.expect("schedules");
    let purge = rows.iter().find(|s| s.name == "purge_expired_sessions").expect("installed");
    assert_eq!(purge.next_run_at, next_hour + Duration::hours(1));
}

#[tokio::test]
async fn two_holders_racing_still_enqueue_each_occurrence_once() {
    let app = spawn_app().await;
    only_the_purge(&app).await;
    let next_hour = app.state.now().duration_trunc(Duration::hours(1)).expect("trunc") + Duration::hours(1);
    app.clock.set(next_hour);
    let a = aglis_db::schedules::fire_due(&app.state.db, app.state.now());
    let b = aglis_db::schedules::fire_due(&app.state.db, app.state.now());
    let (a, b) = tokio::join!(a, b);
    assert_eq!(a.expect("a") + b.expect("b"), 1);
}

#[tokio::test]
async fn admins_edit_schedules_with_validation_and_disabled_ones_do_not_fire() {
    use reqwest::Method;
    use serde_json::{Value, json};
    let app = spawn_app().await;
    let (_, admin) = app.user_with_token("andi", Role::Admin).await;
    let (_, sup) = app.user_with_token("siti", Role::Supervisor).await;
    only_the_purge(&app).await;
    let list: Value = app.get("/api/v1/schedules", Some(&sup)).await.json().await.expect("json");
    let purge = list["items"].as_array().and_then(|l| l.iter().find(|s| s["name"] == "purge_expired_sessions"));
    let id = purge.and_then(|s| s["id"].as_i64()).expect("id");
    let path = format!("/api/v1/schedules/{id}");
    crate::helpers::problem(app.send_json(Method::PATCH, &path, Some(&sup), &json!({"enabled": false})).await, 403)
        .await;
    let body = crate::helpers::problem(
        app.send_json(Method::PATCH, &path, Some(&admin), &json!({"cron": "61 * * * *"})).await,
        422,
    )
    .await;
    assert!(body["errors"]["cron"].is_array(), "{body}");
    let body = crate::helpers::problem(
        app.send_json(Method::PATCH, &path, Some(&admin), &json!({"timezone": "Asia/Bandung"})).await,
        422,
    )
    .await;
    assert!(body["errors"]["timezone"].is_array(), "{body}");
    crate::helpers::problem(
        app.send_json(Method::PATCH, "/api/v1/schedules/99999", Some(&admin), &json!({})).await,
        404,
    )
    .await;

    // daily at 18:00 WIB = 11:00 UTC
    let res = app.send_json(Method::PATCH, &path, Some(&admin), &json!({"cron": "0 18 * * *"})).await;
    assert_eq!(res.status(), reqwest::StatusCode::OK);
    let body: Value = res.json().await.expect("json");
    let next: chrono::DateTime<chrono::Utc> = body["next_run_at"].as_str().expect("time").parse().expect("rfc3339");
    assert_eq!(next.format("%H:%M").to_string(), "11:00");

    let res = app.send_json(Method::PATCH, &path, Some(&admin), &json!({"enabled": false})).await;
    assert_eq!(res.status(), reqwest::StatusCode::OK);
    app.clock.set(next + Duration::minutes(1));
    assert_eq!(aglis_db::schedules::fire_due(&app.state.db, app.state.now()).await.expect("fire"), 0);
}

#[tokio::test]
async fn the_sla_check_runs_every_minute_from_its_schedule() {
    let app = spawn_app().await;
    let rows = aglis_db::schedules::list(&app.state.db).await.expect("schedules");
    let sla = rows.iter().find(|s| s.name == "sla_check").expect("installed");
    assert_eq!(sla.cron, "* * * * *");
    let runner = Runner::new(app.state.clone(), Arc::new(builtin_registry()));
    let scheduler = Scheduler::new(app.state.clone());
    app.clock.advance(Duration::minutes(1));
    assert!(scheduler.tick().await.expect("tick").fired >= 1);
    let r = runner.run_once().await.expect("run");
    // The SLA check, the alert evaluation and the network reconciler all run every minute.
    assert_eq!((r.claimed, r.done), (3, 3));
    let (done, _) = jobs::list(&app.state.db, JobStatus::Done, 1, 10).await.expect("list");
    let mut kinds: Vec<&str> = done.iter().map(|j| j.kind.as_str()).collect();
    kinds.sort_unstable();
    assert_eq!(kinds, ["monitoring.evaluate", "network.reconcile", "tickets.sla_check"]);
}
