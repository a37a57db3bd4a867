//! The monthly billing run on the real database: once per customer and month however often and
//! from however many instances it runs, prorated, with PPN, and its charge in the ledger.

use crate::helpers::{TestApp, problem, spawn_app};
use aglis_core::customer::CustomerStatus;
use aglis_core::invoice::{InvoiceStatus, LineKind};
use aglis_core::notification_catalog::Language;
use aglis_core::payment::PaymentMethod;
use aglis_core::permission::Role;
use aglis_core::proration::Period;
use aglis_db::TransactionTrait;
use aglis_db::entity::invoices;
use aglis_db::repo::customers::{self, Profile};
use aglis_db::repo::packages::{self, PackageFields};
use aglis_db::repo::payments::{self, NewPayment};
use aglis_db::repo::{invoices as invoice_repo, ledger};
use aglis_server::billing::run::{RunReport, run};
use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use reqwest::StatusCode;
use sea_orm::{EntityTrait, PaginatorTrait};
use serde_json::{Value, json};

pub(crate) fn wib(y: i32, m: u32, d: u32, h: u32) -> DateTime<Utc> {
    aglis_core::schedule::JAKARTA.with_ymd_and_hms(y, m, d, h, 0, 0).single().expect("time").with_timezone(&Utc)
}

pub(crate) fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("date")
}

pub(crate) async fn silver(app: &TestApp) -> i64 {
    let f = PackageFields {
        name: "Home Silver 50M".into(),
        speed_mbps: 50,
        monthly_price: 199_900,
        installation_fee: 250_000,
        description: String::new(),
        is_active: true,
    };
    packages::create(&app.state.db, f, app.state.now()).await.expect("package").id
}

pub(crate) async fn customer(app: &TestApp, n: u32, package_id: i64, status: CustomerStatus, at: DateTime<Utc>) -> i64 {
    let p = Profile {
        name: format!("Pelanggan {n}"),
        phone: format!("62812{n:08}"),
        email: None,
        ktp: None,
        address: "Perum Bumi Telukjambe Blok D 12".into(),
        city: "Karawang".into(),
        latitude: None,
        longitude: None,
        package_id,
        notes: String::new(),
        language: Language::Id,
    };
    customers::create(&app.state.db, &format!("AGLS{n:08}"), p, status, None, at).await.expect("customer").id
}

pub(crate) async fn month(app: &TestApp, period: &str, dry_run: bool) -> RunReport {
    let period = Period::parse(period).expect("period");
    run(&app.state, period, dry_run, None, None).await.expect("run")
}

async fn invoice_count(app: &TestApp) -> u64 {
    invoices::Entity::find().count(&app.state.db).await.expect("count")
}

#[tokio::test]
async fn the_monthly_run_bills_each_customer_once_prorated_with_ppn() {
    let app = spawn_app().await;
    let pkg = silver(&app).await;
    let andi = customer(&app, 1, pkg, CustomerStatus::Active, wib(2026, 11, 18, 10)).await;
    customer(&app, 2, pkg, CustomerStatus::Prospect, wib(2026, 11, 18, 10)).await;
    let away = customer(&app, 3, pkg, CustomerStatus::Active, wib(2026, 10, 1, 10)).await;
    customers::set_status(&app.state.db, away, CustomerStatus::Suspended, "", None, wib(2026, 11, 20, 9))
        .await
        .expect("suspend");

    // A dry run says what it would do and writes nothing.
    let plan = month(&app, "2026-12", true).await;
    assert_eq!((plan.customers, plan.created, plan.nothing_to_bill, plan.total), (2, 1, 1, 221_889), "{plan:?}");
    assert_eq!(invoice_count(&app).await, 0);

    let done = month(&app, "2026-12", false).await;
    assert_eq!((done.created, done.total, done.already_billed), (1, 221_889, 0), "{done:?}");
    let inv = invoice_repo::by_number(&app.state.db, "INV-202612-000001").await.expect("db").expect("invoice");
    assert_eq!((inv.customer_id, inv.total, inv.ppn, inv.dpp_nilai_lain), (andi, 221_889, 21_989, Some(183_242)));
    assert_eq!((inv.status, inv.issued_on, inv.due_on), (InvoiceStatus::Open, day(2026, 12, 1), day(2026, 12, 8)));
    assert_eq!(ledger::balance(&app.state.db, andi).await.expect("balance"), 221_889, "the charge is in the ledger");

    // Again: nothing new.
    let again = month(&app, "2026-12", false).await;
    assert_eq!((again.created, again.already_billed), (0, 1), "{again:?}");
    assert_eq!(invoice_count(&app).await, 1);

    // November: from the 18th (13 of 30 days) plus the installation fee; the suspended customer
    // is billed up to the day before the suspension (19 days).
    let nov = month(&app, "2026-11", false).await;
    assert_eq!(nov.created, 2, "{nov:?}");
    let first = invoice_repo::list(
        &app.state.db,
        &invoice_repo::InvoiceQuery {
            customer_id: Some(andi),
            period: Period::parse("2026-11"),
            page: 1,
            per_page: 10,
            ..Default::default()
        },
    )
    .await
    .expect("list")
    .0
    .remove(0);
    let lines = invoice_repo::lines(&app.state.db, first.id).await.expect("lines");
    assert_eq!(lines.len(), 2);
    assert_eq!((lines[0].kind, lines[0].days, lines[0].amount), (LineKind::Package, Some(13), 86_623));
    assert_eq!((lines[1].kind, lines[1].amount), (LineKind::Installation, 250_000));
    assert_eq!((first.subtotal, first.ppn, first.total), (336_623, 37_029, 373_652));
    assert_eq!(first.issued_on, day(2026, 11, 18), "not before the service began");
    let numbers: Vec<String> =
        invoices::Entity::find().all(&app.state.db).await.expect("all").into_iter().map(|i| i.number).collect();
    assert!(
        numbers.contains(&"INV-202611-000001".to_owned()) && numbers.contains(&"INV-202611-000002".to_owned()),
        "{numbers:?}"
    );
    assert_eq!(ledger::balance(&app.state.db, andi).await.expect("balance"), 221_889 + 373_652);
}

#[tokio::test]
async fn suspended_days_are_not_billed() {
    let app = spawn_app().await;
    let pkg = silver(&app).await;
    let id = customer(&app, 1, pkg, CustomerStatus::Active, wib(2026, 1, 5, 10)).await;
    customers::set_status(&app.state.db, id, CustomerStatus::Suspended, "", None, wib(2026, 12, 5, 10))
        .await
        .expect("s");
    customers::set_status(&app.state.db, id, CustomerStatus::Active, "", None, wib(2026, 12, 15, 16)).await.expect("a");
    let done = month(&app, "2026-12", false).await;
    // 31 − 10 days (5th to 14th) = 21: 199 900 × 21 / 31 = 135 416, PPN 14 896.
    assert_eq!((done.created, done.total), (1, 150_312), "{done:?}");
}

#[tokio::test]
async fn two_runs_at_once_still_bill_each_customer_once_without_gaps() {
    let app = spawn_app().await;
    let pkg = silver(&app).await;
    for n in 1..=30 {
        customer(&app, n, pkg, CustomerStatus::Active, wib(2026, 6, 1, 10)).await;
    }
    let period = Period::parse("2026-12").expect("period");
    let (a, b) = tokio::join!(run(&app.state, period, false, None, None), run(&app.state, period, false, None, None));
    let (a, b) = (a.expect("first run"), b.expect("second run"));
    assert_eq!(a.created + b.created, 30, "{a:?} {b:?}");
    assert_eq!(a.created + a.already_billed, 30);
    assert_eq!(invoice_count(&app).await, 30);
    let mut numbers: Vec<String> =
        invoices::Entity::find().all(&app.state.db).await.expect("all").into_iter().map(|i| i.number).collect();
    numbers.sort();
    let expected: Vec<String> = (1..=30).map(|n| format!("INV-202612-{n:06}")).collect();
    assert_eq!(numbers, expected, "one series, no gaps");
}

#[tokio::test]
async fn the_api_runs_a_month_and_lists_shows_and_states_what_it_wrote() {
    let app = spawn_app().await;
    let (_, admin) = app.user_with_token("andi", Role::Admin).await;
    let (_, cs) = app.user_with_token("citra", Role::CustomerService).await;
    let (_, tech) = app.user_with_token("teguh", Role::Technician).await;
    let pkg = silver(&app).await;
    let andi = customer(&app, 1, pkg, CustomerStatus::Active, wib(2026, 10, 3, 10)).await;

    // The test clock is 18 November 2026: December may be billed, January not yet.
    let dry = app.post_json("/api/v1/billing/runs", Some(&admin), &json!({"period": "2026-12", "dry_run": true})).await;
    assert_eq!(dry.status(), StatusCode::OK);
    let dry: Value = dry.json().await.expect("json");
    assert_eq!(
        (dry["created"].as_u64(), dry["total"].as_i64(), dry["dry_run"].as_bool()),
        (Some(1), Some(221_889), Some(true))
    );
    assert_eq!(invoice_count(&app).await, 0);
    for bad in ["2027-01", "2026-13", "26-12", "1999-12"] {
        let p = problem(app.post_json("/api/v1/billing/runs", Some(&admin), &json!({"period": bad})).await, 422).await;
        assert!(p["errors"]["period"].is_array(), "{bad}: {p}");
    }
    problem(app.post_json("/api/v1/billing/runs", Some(&cs), &json!({"period": "2026-12"})).await, 403).await;

    let done: Value = app
        .post_json("/api/v1/billing/runs", Some(&admin), &json!({"period": "2026-12"}))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(done["created"], 1, "{done}");
    let again: Value = app
        .post_json("/api/v1/billing/runs", Some(&admin), &json!({"period": "2026-12"}))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!((again["created"].as_u64(), again["already_billed"].as_u64()), (Some(0), Some(1)));

    let list: Value = app.get("/api/v1/invoices?period=2026-12", Some(&cs)).await.json().await.expect("json");
    assert_eq!((list["total"].as_u64(), list["page"].as_u64()), (Some(1), Some(1)), "{list}");
    let inv = &list["items"][0];
    assert_eq!((inv["number"].as_str(), inv["status"].as_str()), (Some("INV-202612-000001"), Some("open")));
    assert_eq!(
        (inv["customer_id"].as_i64(), inv["total"].as_i64(), inv["outstanding"].as_i64()),
        (Some(andi), Some(221_889), Some(221_889))
    );
    let found: Value = app.get("/api/v1/invoices?q=inv-202612", Some(&cs)).await.json().await.expect("json");
    assert_eq!(found["total"], 1, "{found}");
    let none: Value = app.get("/api/v1/invoices?status=paid", Some(&cs)).await.json().await.expect("json");
    assert_eq!(none["total"], 0);
    problem(app.get("/api/v1/invoices?period=2026-7", Some(&cs)).await, 422).await;
    problem(app.get("/api/v1/invoices?customer_id=0", Some(&cs)).await, 422).await;
    problem(app.get("/api/v1/invoices", Some(&tech)).await, 403).await;

    let id = inv["id"].as_i64().expect("id");
    let one: Value = app.get(&format!("/api/v1/invoices/{id}"), Some(&cs)).await.json().await.expect("json");
    assert_eq!(
        (one["status"].as_str(), one["total"].as_i64(), one["customer_id"].as_i64()),
        (Some("open"), Some(221_889), Some(andi))
    );
    assert_eq!(one["lines"][0]["description"], "Langganan Home Silver 50M Desember 2026");
    assert_eq!((one["ppn_rate"].as_i64(), one["dpp_nilai_lain"].as_i64()), (Some(12), Some(183_242)));
    problem(app.get("/api/v1/invoices/987654", Some(&cs)).await, 404).await;

    let st: Value =
        app.get(&format!("/api/v1/customers/{andi}/statement"), Some(&cs)).await.json().await.expect("json");
    assert_eq!(st["balance"], 221_889, "{st}");
    assert_eq!(
        (st["entries"][0]["kind"].as_str(), st["entries"][0]["invoice_id"].as_i64()),
        (Some("charge"), Some(id))
    );
    problem(app.get("/api/v1/customers/987654/statement", Some(&cs)).await, 404).await;
}

async fn pay(app: &TestApp, customer_id: i64, invoice_id: Option<i64>, amount: i64) -> i64 {
    let p = NewPayment {
        customer_id,
        invoice_id,
        method: PaymentMethod::BankTransfer,
        amount,
        gateway: None,
        entered_by: None,
        received_at: app.state.now(),
        note: "transfer BCA".into(),
    };
    payments::insert(&app.state.db, p, app.state.now()).await.expect("payment").id
}

async fn complete(app: &TestApp, id: i64, today: NaiveDate) -> Option<payments::Applied> {
    let txn = app.state.db.begin().await.expect("begin");
    let applied = payments::complete(&txn, id, None, today, app.state.now()).await.expect("complete");
    txn.commit().await.expect("commit");
    applied
}

#[tokio::test]
async fn payments_pay_the_oldest_invoice_first_part_pay_and_leave_credit_once() {
    let app = spawn_app().await;
    let pkg = silver(&app).await;
    let id = customer(&app, 1, pkg, CustomerStatus::Active, wib(2026, 8, 1, 10)).await;
    month(&app, "2026-11", false).await;
    month(&app, "2026-12", false).await;
    let invoice = |n: &str| {
        let db = app.state.db.clone();
        let n = n.to_owned();
        async move { invoice_repo::by_number(&db, &n).await.expect("db").expect("invoice") }
    };
    let (nov, dec) = (invoice("INV-202611-000001").await, invoice("INV-202612-000001").await);
    assert_eq!((nov.total, dec.total), (221_889, 221_889));

    // 100 000 pays part of November, the older one.
    let first = pay(&app, id, None, 100_000).await;
    let applied = complete(&app, first, day(2026, 11, 20)).await.expect("applied");
    assert_eq!((applied.invoices, applied.credit), (vec![(nov.id, 100_000)], 0));
    assert_eq!(invoice("INV-202611-000001").await.status, InvoiceStatus::Overdue, "due 8 November, part paid");
    // Completing it again changes nothing: no second entry, no second application.
    assert_eq!(complete(&app, first, day(2026, 11, 20)).await, None);
    assert_eq!(ledger::balance(&app.state.db, id).await.expect("balance"), 2 * 221_889 - 100_000);

    // 400 000 naming December pays December first, then the rest of November, then credit.
    let second = pay(&app, id, Some(dec.id), 400_000).await;
    let applied = complete(&app, second, day(2026, 11, 20)).await.expect("applied");
    assert_eq!(applied.invoices, vec![(dec.id, 221_889), (nov.id, 121_889)]);
    assert_eq!(applied.credit, 56_222);
    let (nov, dec) = (invoice("INV-202611-000001").await, invoice("INV-202612-000001").await);
    assert_eq!(
        (nov.status, nov.paid, dec.status, dec.paid),
        (InvoiceStatus::Paid, 221_889, InvoiceStatus::Paid, 221_889)
    );
    assert_eq!(ledger::balance(&app.state.db, id).await.expect("balance"), -56_222, "in credit");

    // A rejected payment never reaches the ledger.
    let third = pay(&app, id, None, 50_000).await;
    assert!(payments::reject(&app.state.db, third, 1, app.state.now()).await.expect("reject"));
    assert_eq!(complete(&app, third, day(2026, 11, 20)).await, None);
    assert_eq!(ledger::balance(&app.state.db, id).await.expect("balance"), -56_222);

    // The credit settles part of the next invoice the run writes, from the payment it came from.
    app.clock.set(wib(2026, 12, 20, 10));
    month(&app, "2027-01", false).await;
    let jan = invoice("INV-202701-000001").await;
    assert_eq!((jan.paid, jan.status), (56_222, InvoiceStatus::Partial), "{jan:?}");
    let parts = payments::of_invoice(&app.state.db, jan.id).await.expect("parts");
    assert_eq!(parts.iter().map(|p| (p.payment.id, p.amount)).collect::<Vec<_>>(), vec![(second, 56_222)]);
    assert_eq!(ledger::balance(&app.state.db, id).await.expect("balance"), 221_889 - 56_222);
    // Used once: the next month finds no credit.
    month(&app, "2027-02", false).await;
    assert_eq!(invoice("INV-202702-000001").await.paid, 0);
}

#[tokio::test]
async fn the_demo_has_a_year_of_invoices_open_overdue_and_paid_through_every_method() {
    let app = crate::helpers::spawn_demo_app(|_| {}).await;
    let db = &app.state.db;
    let all = invoices::Entity::find().all(db).await.expect("invoices");
    let periods: std::collections::BTreeSet<_> = all.iter().filter_map(|i| i.period.clone()).collect();
    assert!(periods.len() >= 12, "a year of months: {periods:?}");
    for status in [InvoiceStatus::Open, InvoiceStatus::Overdue, InvoiceStatus::Paid] {
        assert!(all.iter().any(|i| i.status == status), "some {status}");
    }
    let paid = aglis_db::entity::payments::Entity::find().all(db).await.expect("payments");
    for method in [
        PaymentMethod::BankTransfer,
        PaymentMethod::Cash,
        PaymentMethod::Qris,
        PaymentMethod::Midtrans,
        PaymentMethod::Xendit,
    ] {
        assert!(paid.iter().any(|p| p.method == method), "paid by {method}");
    }
    // Two customers moved up a package in the middle of last month: this month's invoices put
    // the second half of it right.
    let changes = aglis_db::entity::package_changes::Entity::find().all(db).await.expect("changes");
    assert_eq!(changes.len(), 2, "{changes:?}");
    for change in &changes {
        assert!(change.to_price > change.from_price, "{change:?}");
        let this_month = all
            .iter()
            .filter(|i| i.customer_id == change.customer_id)
            .max_by_key(|i| i.period.clone())
            .expect("this month's invoice");
        let lines = invoice_repo::lines(db, this_month.id).await.expect("lines");
        let adjustment = lines.iter().find(|l| l.kind == LineKind::Adjustment).expect("an adjustment line");
        assert!(adjustment.amount > 0, "an upgrade costs more: {adjustment:?}");
    }
    // Every customer's ledger says what their invoices still owe.
    for customer_id in all.iter().map(|i| i.customer_id).collect::<std::collections::BTreeSet<_>>() {
        let owed: i64 = all.iter().filter(|i| i.customer_id == customer_id).map(|i| i.total - i.paid).sum();
        assert_eq!(ledger::balance(db, customer_id).await.expect("balance"), owed, "customer {customer_id}");
    }
}

#[tokio::test]
async fn every_morning_unpaid_invoices_past_their_due_day_become_overdue() {
    let app = spawn_app().await;
    let rows = aglis_db::schedules::list(&app.state.db).await.expect("schedules");
    let sweep = rows.iter().find(|s| s.name == "billing_overdue").expect("installed");
    assert_eq!((sweep.cron.as_str(), sweep.job_kind.as_str()), ("0 8 * * *", aglis_server::billing::OVERDUE_JOB));
    let pkg = silver(&app).await;
    let (a, b) = (
        customer(&app, 1, pkg, CustomerStatus::Active, wib(2026, 8, 1, 10)).await,
        customer(&app, 2, pkg, CustomerStatus::Active, wib(2026, 8, 1, 10)).await,
    );
    month(&app, "2026-11", false).await; // due 8 November; the clock is at 18 November
    let paid = pay(&app, b, None, 221_889).await;
    complete(&app, paid, day(2026, 11, 7)).await.expect("applied");
    aglis_server::billing::overdue_job(app.state.clone(), json!({})).await.expect("sweep");
    let status = |c: i64| {
        let db = app.state.db.clone();
        async move {
            let q = invoice_repo::InvoiceQuery { customer_id: Some(c), page: 1, per_page: 5, ..Default::default() };
            invoice_repo::list(&db, &q).await.expect("list").0.remove(0).status
        }
    };
    assert_eq!((status(a).await, status(b).await), (InvoiceStatus::Overdue, InvoiceStatus::Paid));
}
