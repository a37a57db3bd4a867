//! The job queue through the real runner, on whichever engine this run uses.

use crate::helpers::{problem, spawn_app};
use aglis_core::job::{JobPriority, JobStatus};
use aglis_core::permission::Role;
use aglis_db::jobs::Job;
use aglis_db::jobs::{self, Enqueued, NewJob};
use aglis_db::{ConnectionTrait, DbError, TransactionTrait};
use aglis_server::jobs::{Registry, Runner, builtin_registry};
use chrono::Duration;
use reqwest::StatusCode;
use sea_orm::Statement;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

#[tokio::test]
async fn a_job_exists_only_if_its_transaction_commits() {
    let app = spawn_app().await;
    let now = app.state.now();
    let txn = app.state.db.begin().await.expect("begin");
    jobs::enqueue(&txn, NewJob::new("x.rolled_back", json!({})), now).await.expect("enqueue");
    txn.rollback().await.expect("rollback");
    let txn = app.state.db.begin().await.expect("begin");
    let kept = jobs::enqueue(&txn, NewJob::new("x.committed", json!({})), now).await.expect("enqueue");
    txn.commit().await.expect("commit");
    assert_eq!(jobs::count(&app.state.db, JobStatus::Queued).await.expect("count"), 1);
    let Enqueued::Created(id) = kept else { panic!("created") };
    assert_eq!(jobs::get(&app.state.db, id).await.expect("get").expect("job").kind, "x.committed");
}

#[tokio::test]
async fn a_dedup_key_admits_one_job() {
    let app = spawn_app().await;
    let now = app.state.now();
    let first =
        jobs::enqueue(&app.state.db, NewJob::new("k", json!({})).dedup_key("once"), now).await.expect("enqueue");
    let second =
        jobs::enqueue(&app.state.db, NewJob::new("k", json!({})).dedup_key("once"), now).await.expect("enqueue");
    assert!(matches!(first, Enqueued::Created(_)));
    assert_eq!(second, Enqueued::Duplicate);
}

#[tokio::test]
async fn claims_follow_priority_then_due_time_and_skip_future_jobs() {
    let app = spawn_app().await;
    let now = app.state.now();
    let db = &app.state.db;
    jobs::enqueue(db, NewJob::new("low", json!({})).priority(JobPriority::Low), now).await.expect("e");
    jobs::enqueue(db, NewJob::new("normal", json!({})), now).await.expect("e");
    jobs::enqueue(
        db,
        NewJob::new("later", json!({})).priority(JobPriority::Critical).run_at(now + Duration::minutes(5)),
        now,
    )
    .await
    .expect("e");
    jobs::enqueue(db, NewJob::new("critical", json!({})).priority(JobPriority::Critical), now).await.expect("e");
    jobs::enqueue(db, NewJob::new("high", json!({})).priority(JobPriority::High), now).await.expect("e");
    let claimed = jobs::claim(db, "w", 2, Duration::minutes(1), now).await.expect("claim");
    let kinds: Vec<_> = claimed.iter().map(|j| j.kind.as_str()).collect();
    assert_eq!(kinds, ["critical", "high"]);
    let rest = jobs::claim(db, "w", 10, Duration::minutes(1), now).await.expect("claim");
    let kinds: Vec<_> = rest.iter().map(|j| j.kind.as_str()).collect();
    assert_eq!(kinds, ["normal", "low"], "the future job is not due");
    assert!(rest.iter().all(|j| j.status == JobStatus::Running && j.attempts == 1));
}

#[tokio::test]
async fn failures_back_off_exponentially_then_dead_letter_then_requeue_from_the_api() {
    let app = spawn_app().await;
    let (_, admin) = app.user_with_token("andi", Role::Admin).await;
    let registry = Arc::new(builtin_registry());
    let runner = Runner::new(app.state.clone(), registry);
    let now = app.state.now();
    let Enqueued::Created(id) =
        jobs::enqueue(&app.state.db, NewJob::new("no.such_kind", json!({"n": 1})).max_attempts(3), now)
            .await
            .expect("e")
    else {
        panic!("created")
    };

    let r = runner.run_once().await.expect("run");
    assert_eq!((r.claimed, r.retried), (1, 1));
    let job = jobs::get(&app.state.db, id).await.expect("get").expect("job");
    assert_eq!(job.status, JobStatus::Queued);
    assert_eq!(job.run_at, now + Duration::seconds(30), "first retry after 30 s");
    assert!(job.last_error.as_deref().is_some_and(|e| e.contains("no handler")));

    // not due yet
    app.clock.advance(Duration::seconds(29));
    assert_eq!(runner.run_once().await.expect("run").claimed, 0);
    app.clock.advance(Duration::seconds(1));
    assert_eq!(runner.run_once().await.expect("run").retried, 1);
    let job = jobs::get(&app.state.db, id).await.expect("get").expect("job");
    assert_eq!(job.run_at, app.state.now() + Duration::seconds(60), "second retry after 60 s");

    app.clock.advance(Duration::seconds(60));
    let r = runner.run_once().await.expect("run");
    assert_eq!(r.dead, 1);
    let job = jobs::get(&app.state.db, id).await.expect("get").expect("job");
    assert_eq!((job.status, job.attempts), (JobStatus::Dead, 3));

    // visible as dead, then re-queued through the API with fresh attempts
    let list: Value = app.get("/api/v1/jobs?status=dead", Some(&admin)).await.json().await.expect("json");
    assert_eq!(list["total"], 1);
    assert_eq!(list["items"][0]["id"], id);
    let res = app.post_json(&format!("/api/v1/jobs/{id}/requeue"), Some(&admin), &json!({})).await;
    assert_eq!(res.status(), StatusCode::OK);
    let body: Value = res.json().await.expect("json");
    assert_eq!((body["status"].as_str(), body["attempts"].as_i64()), (Some("queued"), Some(0)));
    problem(app.post_json(&format!("/api/v1/jobs/{id}/requeue"), Some(&admin), &json!({})).await, 409).await;
    problem(app.post_json("/api/v1/jobs/987654/requeue", Some(&admin), &json!({})).await, 404).await;

    // with a handler for it the job now succeeds
    let mut registry = Registry::default();
    registry.register("no.such_kind", |_state, _payload| async { Ok::<(), String>(()) });
    let fixed = Runner::new(app.state.clone(), Arc::new(registry));
    assert_eq!(fixed.run_once().await.expect("run").done, 1);
    assert_eq!(jobs::get(&app.state.db, id).await.expect("get").expect("job").status, JobStatus::Done);
}

#[tokio::test]
async fn a_crashed_runners_job_is_recovered_when_its_lock_expires() {
    let app = spawn_app().await;
    let db = &app.state.db;
    let now = app.state.now();
    let Enqueued::Created(id) = jobs::enqueue(db, NewJob::new("k", json!({})), now).await.expect("e") else { panic!() };
    // runner A claims, then "crashes" (never completes)
    let claimed = jobs::claim(db, "runner-a", 10, Duration::minutes(5), now).await.expect("claim");
    assert_eq!(claimed.len(), 1);
    assert!(jobs::claim(db, "runner-b", 10, Duration::minutes(5), now).await.expect("claim").is_empty(), "locked");
    app.clock.advance(Duration::minutes(5) + Duration::seconds(1));
    let later = app.state.now();
    let taken = jobs::claim(db, "runner-b", 10, Duration::minutes(5), later).await.expect("claim");
    assert_eq!(taken.iter().map(|j| (j.id, j.attempts)).collect::<Vec<_>>(), [(id, 2)]);
    // A wakes up: its completion no longer counts; B's does
    assert!(!jobs::complete(db, id, "runner-a", later).await.expect("complete"));
    assert!(jobs::complete(db, id, "runner-b", later).await.expect("complete"));
    assert_eq!(jobs::get(db, id).await.expect("get").expect("job").status, JobStatus::Done);
}

#[tokio::test]
async fn a_job_whose_lock_expires_on_its_last_attempt_is_dead() {
    let app = spawn_app().await;
    let db = &app.state.db;
    let now = app.state.now();
    let Enqueued::Created(id) = jobs::enqueue(db, NewJob::new("k", json!({})).max_attempts(1), now).await.expect("e")
    else {
        panic!()
    };
    jobs::claim(db, "runner-a", 10, Duration::minutes(1), now).await.expect("claim");
    app.clock.advance(Duration::minutes(2));
    assert!(jobs::claim(db, "runner-b", 10, Duration::minutes(1), app.state.now()).await.expect("claim").is_empty());
    let job = jobs::get(db, id).await.expect("get").expect("job");
    assert_eq!(job.status, JobStatus::Dead);
    assert!(job.last_error.is_some_and(|e| e.contains("lock expired")));
}

#[tokio::test]
async fn a_panicking_handler_is_a_failed_attempt() {
    let app = spawn_app().await;
    let mut registry = Registry::default();
    registry.register("boom", |_s, _p| async { panic!("kaboom") as Result<(), String> });
    let runner = Runner::new(app.state.clone(), Arc::new(registry));
    jobs::enqueue(&app.state.db, NewJob::new("boom", json!({})), app.state.now()).await.expect("e");
    let r = runner.run_once().await.expect("run");
    assert_eq!(r.retried, 1);
}

/// A job whose payload is not what its kind takes is dead at once, saying why; a database error
/// in a handler is a failed attempt that keeps its cause.
#[tokio::test]
async fn a_malformed_payload_is_dead_at_once_and_says_why() {
    let app = spawn_app().await;
    let runner = Runner::new(app.state.clone(), Arc::new(builtin_registry()));
    let now = app.state.now();
    let kind = aglis_server::notifications::service::SEND_JOB;
    let Enqueued::Created(id) =
        jobs::enqueue(&app.state.db, NewJob::new(kind, json!({"message": "12"})).max_attempts(5), now)
            .await
            .expect("e")
    else {
        panic!("not created");
    };
    let r = runner.run_once().await.expect("run");
    assert_eq!((r.dead, r.retried), (1, 0), "{r:?}");
    let job = jobs::get(&app.state.db, id).await.expect("db").expect("job");
    assert_eq!(job.status, JobStatus::Dead);
    let why = job.last_error.unwrap_or_default();
    assert!(why.contains("payload") && why.contains("message_id"), "{why}");
}

/// Two runners with their own connections drain 1,000 jobs concurrently: each runs exactly once.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_runners_never_run_the_same_job() {
    let app = spawn_app().await;
    let now = app.state.now();
    let txn = app.state.db.begin().await.expect("begin");
    for i in 0..1000 {
        jobs::enqueue(&txn, NewJob::new("count", json!({"i": i})), now).await.expect("enqueue");
    }
    txn.commit().await.expect("commit");

    let runs: Arc<Mutex<HashMap<i64, u32>>> = Arc::default();
    let mut handles = Vec::new();
    for _ in 0..2 {
        let db = aglis_db::connect(&app.db_url, 4).await.expect("second connection");
        let state = aglis_server::state::AppState { db, ..app.state.clone() };
        let mut registry = Registry::default();
        let runs = runs.clone();
        registry.register("count", move |_s, payload| {
            let runs = runs.clone();
            async move {
                let i = payload["i"].as_i64().ok_or("payload without i")?;
                *runs.lock().map_err(|e| e.to_string())?.entry(i).or_default() += 1;
                Ok::<(), String>(())
            }
        });
        let runner = Runner::new(state, Arc::new(registry));
        handles.push(tokio::spawn(async move {
            let mut done = 0;
            loop {
                let r = runner.run_once().await.expect("run");
                if r.claimed == 0 {
                    break done;
                }
                done += r.done;
            }
        }));
    }
    let mut per_runner = Vec::new();
    for h in handles {
        per_runner.push(h.await.expect("runner task"));
    }
    let runs = runs.lock().expect("lock").clone();
    assert_eq!(runs.len(), 1000, "every job ran");
    assert!(runs.values().all(|n| *n == 1), "no job ran twice");
    assert_eq!(per_runner.iter().sum::<usize>(), 1000);
    assert!(per_runner.iter().all(|n| *n > 0), "both runners took part: {per_runner:?}");
    assert_eq!(jobs::count(&app.state.db, JobStatus::Done).await.expect("count"), 1000);
}

#[tokio::test]
async fn the_jobs_page_lists_by_state_and_requeues() {
    let app = spawn_app().await;
    app.insert_user("andi", Role::Admin).await;
    let now = app.state.now();
    let Enqueued::Created(id) =
        jobs::enqueue(&app.state.db, NewJob::new("report.legacy", json!({})).max_attempts(1), now).await.expect("e")
    else {
        panic!()
    };
    Runner::new(app.state.clone(), Arc::new(Registry::default())).run_once().await.expect("run");
    let browser = app.browser_login("andi").await;
    let html = browser.get(app.url("/admin/jobs")).send().await.expect("page").text().await.expect("html");
    assert!(html.contains("report.legacy") && html.contains("no handler"), "dead job shown with its error");
    let token = crate::helpers::csrf_token(&html);
    let res = browser
        .post(app.url(&format!("/admin/jobs/{id}/requeue")))
        .form(&[("csrf_token", token.as_str())])
        .send()
        .await
        .expect("post");
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(jobs::get(&app.state.db, id).await.expect("get").expect("job").status, JobStatus::Queued);
}

#[tokio::test]
async fn supervisors_see_the_queue_but_only_admins_requeue_and_technicians_see_nothing() {
    let app = spawn_app().await;
    let (_, sup) = app.user_with_token("siti", Role::Supervisor).await;
    let (_, tech) = app.user_with_token("agus", Role::Technician).await;
    assert_eq!(app.get("/api/v1/jobs/counts", Some(&sup)).await.status(), StatusCode::OK);
    problem(app.post_json("/api/v1/jobs/1/requeue", Some(&sup), &json!({})).await, 403).await;
    problem(app.get("/api/v1/jobs", Some(&tech)).await, 403).await;
}

/// The stored form of job `id`: `(priority, status)` as the columns hold them.
async fn stored(app: &crate::helpers::TestApp, id: i64) -> (i16, String) {
    let db = &app.state.db;
    let sql = format!("SELECT priority, status FROM jobs WHERE id = {id}");
    let row =
        db.query_one_raw(Statement::from_string(db.get_database_backend(), sql)).await.expect("select").expect("row");
    (row.try_get("", "priority").expect("priority"), row.try_get("", "status").expect("status"))
}

#[tokio::test]
async fn statuses_are_stored_as_text_priorities_as_rank_and_both_read_back_typed() {
    let app = spawn_app().await;
    let now = app.state.now();
    let Enqueued::Created(id) =
        jobs::enqueue(&app.state.db, NewJob::new("x", json!({})).priority(JobPriority::High), now).await.expect("e")
    else {
        panic!("created")
    };
    assert_eq!(stored(&app, id).await, (1, "queued".to_owned()));
    let job: Job = jobs::get(&app.state.db, id).await.expect("get").expect("job");
    assert_eq!((job.priority, job.status), (JobPriority::High, JobStatus::Queued));
    jobs::claim(&app.state.db, "w", 1, Duration::minutes(1), now).await.expect("claim");
    assert_eq!(stored(&app, id).await, (1, "running".to_owned()));
}

#[tokio::test]
async fn an_unknown_stored_status_is_an_error_naming_it_not_a_default() {
    let app = spawn_app().await;
    let now = app.state.now();
    let Enqueued::Created(id) = jobs::enqueue(&app.state.db, NewJob::new("x", json!({})), now).await.expect("e") else {
        panic!("created")
    };
    app.state.db.execute_unprepared(&format!("UPDATE jobs SET status = 'exploded' WHERE id = {id}")).await.expect("u");
    match jobs::get(&app.state.db, id).await {
        Err(DbError::Corrupt(msg)) => assert!(msg.contains("exploded"), "{msg}"),
        other => panic!("expected a corrupt-value error, got {other:?}"),
    }
}

#[tokio::test]
async fn a_payload_that_is_not_json_fails_its_job_alone() {
    let app = spawn_app().await;
    let now = app.state.now();
    let mut registry = Registry::default();
    registry.register("x", |_state, _payload| async { Ok::<(), String>(()) });
    let runner = Runner::new(app.state.clone(), Arc::new(registry));
    let enqueue = |n: i64| jobs::enqueue(&app.state.db, NewJob::new("x", json!({ "n": n })), now);
    let (Enqueued::Created(bad), Enqueued::Created(good)) =
        (enqueue(1).await.expect("e"), enqueue(2).await.expect("e"))
    else {
        panic!("created")
    };
    app.state.db.execute_unprepared(&format!("UPDATE jobs SET payload = 'n=1' WHERE id = {bad}")).await.expect("u");
    let r = runner.run_once().await.expect("the claim does not fail");
    assert_eq!((r.claimed, r.done, r.dead), (2, 1, 1));
    let bad = jobs::get(&app.state.db, bad).await.expect("get").expect("job");
    assert_eq!((bad.status, bad.attempts), (JobStatus::Dead, 1), "no retry can fix it");
    assert!(bad.last_error.as_deref().is_some_and(|e| e.contains("not JSON")), "{:?}", bad.last_error);
    assert_eq!(jobs::get(&app.state.db, good).await.expect("get").expect("job").status, JobStatus::Done);
}
