//! Billing runs from the billing page (preview, create after confirmation, progress, history) and
//! the daily schedule that bills the month on and after its billing day.

use crate::billing::{customer, silver, wib};
use crate::helpers::{TestApp, spawn_app};
use aglis_core::billing_run::{RunStatus, RunTrigger};
use aglis_core::customer::CustomerStatus;
use aglis_core::permission::Role;
use aglis_db::entity::invoices;
use aglis_db::repo::billing_runs;
use aglis_server::jobs::{Runner, builtin_registry};
use reqwest::StatusCode;
use sea_orm::{EntityTrait, PaginatorTrait};
use std::sync::Arc;

async fn drain(app: &TestApp) {
    let runner = Runner::new(app.state.clone(), Arc::new(builtin_registry()));
    while runner.run_once().await.expect("run").claimed > 0 {}
}

async fn invoice_count(app: &TestApp) -> u64 {
    invoices::Entity::find().count(&app.state.db).await.expect("count")
}

async fn html(browser: &reqwest::Client, app: &TestApp, path: &str) -> (StatusCode, String) {
    let res = browser.get(app.url(path)).send().await.expect("page");
    (res.status(), res.text().await.expect("html"))
}

/// Three running customers and a prospect not yet connected: November bills three.
async fn customers(app: &TestApp) {
    let package = silver(app).await;
    for n in 1..=3 {
        customer(app, n, package, CustomerStatus::Active, wib(2026, 3, n, 9)).await;
    }
    customer(app, 4, package, CustomerStatus::Prospect, wib(2026, 11, 10, 9)).await;
}

#[tokio::test]
async fn a_manager_previews_creates_and_watches_the_run_then_a_second_run_has_nothing_to_do() {
    let app = spawn_app().await;
    customers(&app).await;
    app.insert_user("rina", Role::Manager).await;
    let manager = app.browser_login("rina").await;

    let (status, page) = html(&manager, &app, "/billing/runs").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains(&app.t("billing.runs.empty")), "no run yet: the empty state");
    assert!(page.contains("value=\"2026-11\"") && page.contains("value=\"2026-12\""), "this month and next");

    // The preview writes nothing and says what the run would write.
    let (status, preview) = html(&manager, &app, "/billing/runs?period=2026-11").await;
    assert_eq!(status, StatusCode::OK);
    assert!(preview.contains(&format!("{} (3)", app.t("billing.runs.create"))), "three invoices to create");
    assert!(preview.contains("data-confirm="), "creating asks for a confirmation first");
    assert_eq!(invoice_count(&app).await, 0);
    // A month a run may not bill is named in the page's language.
    let (status, refused) = html(&manager, &app, "/billing/runs?period=2027-05").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.contains("field-error"), "{refused}");

    let token = crate::helpers::csrf_token(&preview);
    let res = manager
        .post(app.url("/billing/runs"))
        .form(&[("csrf_token", token.as_str()), ("period", "2026-11")])
        .send()
        .await
        .expect("post");
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let to = res.headers()["location"].to_str().expect("location").to_owned();
    let id: i64 = to.rsplit('=').next().and_then(|v| v.parse().ok()).expect("run id");
    let queued = billing_runs::get(&app.state.db, id).await.expect("db").expect("run");
    assert_eq!(
        (queued.status, queued.trigger, queued.period.as_str()),
        (RunStatus::Queued, RunTrigger::Manual, "2026-11")
    );

    // While it waits, the page shows the progress panel that polls.
    let (_, waiting) = html(&manager, &app, &to).await;
    assert!(waiting.contains("hx-get=\"/billing/runs/progress\""), "{waiting}");
    assert!(waiting.contains(&app.t("billing.runs.queued_notice")));
    let panel = manager.get(app.url("/billing/runs/progress")).send().await.expect("panel");
    assert!(panel.headers().get("hx-refresh").is_none(), "a queued run keeps the panel polling");

    drain(&app).await;
    let done = billing_runs::get(&app.state.db, id).await.expect("db").expect("run");
    assert_eq!((done.status, done.created, done.done, done.of_total), (RunStatus::Done, 3, 3, 3));
    assert_eq!(done.total, 3 * 221_889);
    assert_eq!(invoice_count(&app).await, 3);
    let panel = manager.get(app.url("/billing/runs/progress")).send().await.expect("panel");
    assert_eq!(panel.headers()["hx-refresh"], "true", "the finished run reloads the page");
    let (_, finished) = html(&manager, &app, &to).await;
    assert!(finished.contains(&app.t("billing.runs.done_notice")), "{finished}");
    assert!(finished.contains("Rp665.667") || finished.contains("Rp 665.667"), "the total in rupiah: {finished}");
    assert!(finished.contains("Pengguna rina"), "who started it");

    // The same month again: the preview has nothing to create and the run creates nothing.
    let (_, again) = html(&manager, &app, "/billing/runs?period=2026-11").await;
    assert!(again.contains(&app.t("billing.runs.nothing")), "{again}");
    let res = manager
        .post(app.url("/billing/runs"))
        .form(&[("csrf_token", token.as_str()), ("period", "2026-11")])
        .send()
        .await
        .expect("post");
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    drain(&app).await;
    assert_eq!(invoice_count(&app).await, 3, "a second run bills no one twice");
}

#[tokio::test]
async fn only_billing_managers_start_runs_and_the_rest_of_finance_sees_the_history() {
    let app = spawn_app().await;
    customers(&app).await;
    app.insert_user("dewi", Role::CustomerService).await;
    app.insert_user("agus", Role::Technician).await;
    let cs = app.browser_login("dewi").await;
    let (status, page) = html(&cs, &app, "/billing/runs?period=2026-11").await;
    assert_eq!(status, StatusCode::OK);
    assert!(!page.contains("action=\"/billing/runs\" data-confirm"), "no create button for customer service");
    assert!(!page.contains(&format!(">{}</button>", app.t("billing.runs.preview"))), "no preview either");
    let token = crate::helpers::csrf_token(&page);
    let res = cs
        .post(app.url("/billing/runs"))
        .form(&[("csrf_token", token.as_str()), ("period", "2026-11")])
        .send()
        .await
        .expect("post");
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let tech = app.browser_login("agus").await;
    assert_eq!(html(&tech, &app, "/billing/runs").await.0, StatusCode::FORBIDDEN);
    assert_eq!(invoice_count(&app).await, 0);
}

#[tokio::test]
async fn the_daily_schedule_bills_from_the_billing_day_and_records_only_runs_that_wrote() {
    use aglis_server::billing::runs::monthly_job;
    assert!(
        aglis_server::jobs::BUILTIN_SCHEDULES.iter().any(|s| s.name == "billing_monthly_run"),
        "the schedule is installed"
    );
    let app = spawn_app().await;
    customers(&app).await;
    // The billing day is the 20th: on the 18th nothing happens.
    let mut profile = aglis_server::billing::profile::load(&app.state.db).await.expect("profile");
    profile.billing_day = 20;
    aglis_server::billing::profile::save(&app.state.db, &profile, app.state.now()).await.expect("save");
    monthly_job(app.state.clone(), serde_json::json!({})).await.expect("job");
    assert_eq!(invoice_count(&app).await, 0, "before the billing day");
    app.clock.set(wib(2026, 11, 20, 0) + chrono::Duration::minutes(30));
    monthly_job(app.state.clone(), serde_json::json!({})).await.expect("job");
    assert_eq!(invoice_count(&app).await, 3);
    let (runs, total) = billing_runs::page(&app.state.db, 0, 10).await.expect("runs");
    assert_eq!(total, 1);
    assert_eq!((runs[0].trigger, runs[0].status, runs[0].created), (RunTrigger::Schedule, RunStatus::Done, 3));
    // The next night: nothing to write, nothing recorded.
    app.clock.set(wib(2026, 11, 21, 0) + chrono::Duration::minutes(30));
    monthly_job(app.state.clone(), serde_json::json!({})).await.expect("job");
    assert_eq!(billing_runs::page(&app.state.db, 0, 10).await.expect("runs").1, 1);
    assert_eq!(invoice_count(&app).await, 3);
}
