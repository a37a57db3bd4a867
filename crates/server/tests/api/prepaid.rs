//! Prepaid customers pay a month ahead: the next term's invoice a week before the paid service
//! ends, service extended when it is paid (however it is paid), on the suspension list from the
//! first unpaid day, never billed by the monthly run; switching modes bills no day twice.

use crate::billing::{customer, day, month, silver, wib};
use crate::helpers::{TestApp, spawn_app};
use aglis_core::customer::CustomerStatus;
use aglis_core::invoice::{InvoiceKind, InvoiceStatus, LineKind};
use aglis_core::permission::Role;
use aglis_db::entity::invoices as invoice_rows;
use aglis_db::repo::customers;
use aglis_db::repo::invoices::{self, Invoice, Line};
use aglis_server::billing::prepaid::write_renewals;
use chrono::NaiveDate;
use reqwest::StatusCode;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde_json::{Value, json};

/// The customer's invoices, oldest first, with their lines.
async fn invoices_of(app: &TestApp, customer_id: i64) -> Vec<(Invoice, Vec<Line>)> {
    let rows = invoice_rows::Entity::find()
        .filter(invoice_rows::Column::CustomerId.eq(customer_id))
        .order_by_asc(invoice_rows::Column::Id)
        .all(&app.state.db)
        .await
        .expect("db");
    let mut out = Vec::new();
    for inv in rows {
        let lines = invoices::lines(&app.state.db, inv.id).await.expect("lines");
        out.push((inv, lines));
    }
    out
}

async fn paid_until(app: &TestApp, id: i64) -> Option<NaiveDate> {
    customers::get(&app.state.db, id).await.expect("db").expect("customer").paid_until
}

/// Customer service (`dewi`) records what is owed by hand and a manager (`bambang`) verifies it,
/// each signed in at the app's clock.
async fn pay(app: &TestApp, invoice: &Invoice) {
    let (cs, manager) = (app.token("dewi").await, app.token("bambang").await);
    let res = app
        .post_json(
            "/api/v1/payments",
            Some(&cs),
            &json!({"invoice_id": invoice.id, "method": "cash", "amount": invoice.total - invoice.paid}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let id = res.json::<Value>().await.expect("json")["id"].as_i64().expect("id");
    let res = app.post_json(&format!("/api/v1/payments/{id}/verify"), Some(&manager), &json!({})).await;
    assert_eq!(res.status(), StatusCode::OK);
}

async fn on_suspension_list(app: &TestApp, id: i64) -> bool {
    on_list_as(app, &app.token("admin").await, id).await
}

async fn on_list_as(app: &TestApp, token: &str, id: i64) -> bool {
    let res = app.get("/api/v1/billing/suspension-list?per_page=200", Some(token)).await;
    assert_eq!(res.status(), StatusCode::OK);
    let list: Value = res.json().await.expect("json");
    assert!(list["total"].as_u64() < Some(200), "one page holds them all: {}", list["total"]);
    list["items"].as_array().expect("items").iter().any(|c| c["customer_id"] == id)
}

#[tokio::test]
async fn a_prepaid_customer_pays_each_month_ahead_and_service_ends_with_the_paid_term() {
    let app = spawn_app().await;
    let silver = silver(&app).await;
    app.clock.set(wib(2026, 12, 7, 9));
    let (_, admin) = app.user_with_token("admin", Role::Admin).await;
    app.insert_user("dewi", Role::CustomerService).await;
    app.insert_user("bambang", Role::Manager).await;
    let res = app
        .post_json(
            "/api/v1/customers",
            Some(&admin),
            &json!({"name": "Siti Rahmawati", "phone": "0813-1111-2222", "address": "Perum Karawang Indah Blok A3",
                "package_id": silver, "status": "active", "billing_mode": "prepaid"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let created: Value = res.json().await.expect("json");
    assert_eq!((created["billing_mode"].as_str(), created["paid_until"].is_null()), (Some("prepaid"), true));
    let id = created["id"].as_i64().expect("id");
    let postpaid = customer(&app, 1, silver, CustomerStatus::Active, wib(2026, 11, 1, 9)).await;

    // The first term from the day service began, with the installation fee, due that day.
    let report = write_renewals(&app.state, app.state.now()).await.expect("renewals");
    assert_eq!(report.written, 1, "{report:?}");
    let again = write_renewals(&app.state, app.state.now()).await.expect("renewals");
    assert_eq!(again.written, 0, "a term is invoiced once");
    let all = invoices_of(&app, id).await;
    let (first, lines) = &all[0];
    assert_eq!(first.kind, InvoiceKind::Prepaid);
    assert_eq!(first.due_on, day(2026, 12, 7));
    let kinds: Vec<(LineKind, i64, Option<NaiveDate>, Option<NaiveDate>)> =
        lines.iter().map(|l| (l.kind, l.amount, l.first_day, l.last_day)).collect();
    assert_eq!(
        kinds,
        [
            (LineKind::Package, 199_900, Some(day(2026, 12, 7)), Some(day(2027, 1, 6))),
            (LineKind::Installation, 250_000, None, None),
        ]
    );
    assert!(first.total > 449_900, "with PPN: {}", first.total);

    // The monthly run bills the postpaid customer and not the prepaid one.
    let dec = month(&app, "2026-12", false).await;
    assert_eq!(dec.created, 1, "{dec:?}");
    assert_eq!(invoices_of(&app, id).await.len(), 1);

    // Unpaid, a prepaid customer has no service: on the suspension list at once (the postpaid
    // customer's invoice is not due yet).
    assert!(on_suspension_list(&app, id).await);
    assert!(!on_suspension_list(&app, postpaid).await);
    pay(&app, first).await;
    assert_eq!(paid_until(&app, id).await, Some(day(2027, 1, 6)));
    assert!(!on_suspension_list(&app, id).await, "paid: off the list");

    // The page says until when.
    let browser = app.browser_login("admin").await;
    let show = browser.get(app.url(&format!("/customers/{id}?lang=id"))).send().await.expect("page");
    let html = show.text().await.expect("html");
    assert!(html.contains("Aktif sampai 06-01-2027"), "{html}");

    // The renewal a week before the paid service ends, not sooner; no installation fee again.
    app.clock.set(wib(2026, 12, 30, 7));
    assert_eq!(write_renewals(&app.state, app.state.now()).await.expect("renewals").written, 0);
    app.clock.set(wib(2026, 12, 31, 7));
    assert_eq!(write_renewals(&app.state, app.state.now()).await.expect("renewals").written, 1);
    let all = invoices_of(&app, id).await;
    let (renewal, lines) = all.last().expect("renewal");
    assert_eq!((renewal.kind, renewal.due_on), (InvoiceKind::Prepaid, day(2027, 1, 7)));
    assert_eq!(lines.len(), 1);
    assert_eq!((lines[0].first_day, lines[0].last_day), (Some(day(2027, 1, 7)), Some(day(2027, 2, 6))));

    // Not paid by the 7th: off service from the first unpaid day. Paid on the 10th, the new
    // month runs from the 10th (the days without service are not sold).
    app.clock.set(wib(2027, 1, 7, 9));
    assert!(on_suspension_list(&app, id).await);
    app.clock.set(wib(2027, 1, 10, 9));
    let renewal = invoices::get(&app.state.db, renewal.id).await.expect("db").expect("invoice");
    pay(&app, &renewal).await;
    assert_eq!(paid_until(&app, id).await, Some(day(2027, 2, 9)));
    let renewal = invoices::get(&app.state.db, renewal.id).await.expect("db").expect("invoice");
    assert_eq!(renewal.status, InvoiceStatus::Paid);
    let history = customers::events(&app.state.db, id).await.expect("events");
    assert!(history.iter().any(|e| e.kind == "paid_until" && e.detail.contains("2027-02-09")), "{history:?}");

    // January's monthly run still leaves them out.
    let jan = month(&app, "2027-01", false).await;
    assert_eq!(jan.created, 1, "only the postpaid customer: {jan:?}");
}

#[tokio::test]
async fn two_renewal_runs_at_once_write_one_invoice_per_term() {
    let app = spawn_app().await;
    let silver = silver(&app).await;
    app.clock.set(wib(2026, 12, 7, 7));
    let mut ids = Vec::new();
    for n in 1..=5 {
        let id = customer(&app, n, silver, CustomerStatus::Active, wib(2026, 12, 1, 9)).await;
        let c = customers::get(&app.state.db, id).await.expect("db").expect("customer");
        aglis_server::billing::prepaid::switch_mode(&app.state.db, c, aglis_core::prepaid::BillingMode::Prepaid)
            .await
            .expect("prepaid");
        ids.push(id);
    }
    let now = app.state.now();
    let (a, b) = tokio::join!(write_renewals(&app.state, now), write_renewals(&app.state, now));
    let (a, b) = (a.expect("one"), b.expect("two"));
    assert_eq!(a.written + b.written, 5, "{a:?} {b:?}");
    for id in ids {
        assert_eq!(invoices_of(&app, id).await.len(), 1);
    }
}

#[tokio::test]
async fn switching_between_postpaid_and_prepaid_bills_no_day_twice() {
    let app = spawn_app().await;
    let silver = silver(&app).await;
    app.insert_user("admin", Role::Admin).await;
    app.insert_user("dewi", Role::CustomerService).await;
    app.insert_user("bambang", Role::Manager).await;
    let moves = customer(&app, 1, silver, CustomerStatus::Active, wib(2026, 11, 1, 9)).await;
    let back = customer(&app, 2, silver, CustomerStatus::Active, wib(2026, 12, 10, 9)).await;
    let put_mode = |id: i64, mode: &'static str| {
        let app = &app;
        async move {
            let admin = app.token("admin").await;
            let current: Value =
                app.get(&format!("/api/v1/customers/{id}"), Some(&admin)).await.json().await.expect("json");
            let body = json!({"name": current["name"], "phone": current["phone"], "address": current["address"],
                "city": current["city"], "package_id": current["package_id"], "billing_mode": mode});
            let res =
                app.send_json(reqwest::Method::PUT, &format!("/api/v1/customers/{id}"), Some(&admin), &body).await;
            assert_eq!(res.status(), StatusCode::OK);
            res.json::<Value>().await.expect("json")
        }
    };

    let c = customers::get(&app.state.db, back).await.expect("db").expect("customer");
    aglis_server::billing::prepaid::switch_mode(&app.state.db, c, aglis_core::prepaid::BillingMode::Prepaid)
        .await
        .expect("prepaid");

    // Postpaid through December (billed on the 1st), prepaid from the 10th: December counts as
    // paid ahead, the first term starts on 1 January.
    app.clock.set(wib(2026, 12, 1, 1));
    assert_eq!(month(&app, "2026-12", false).await.created, 1, "the prepaid one is not billed");
    app.clock.set(wib(2026, 12, 10, 9));
    let now_prepaid = put_mode(moves, "prepaid").await;
    assert_eq!(now_prepaid["paid_until"], "2026-12-31");
    let admin = app.token("admin").await;
    let bad = app
        .send_json(
            reqwest::Method::PUT,
            &format!("/api/v1/customers/{moves}"),
            Some(&admin),
            &json!({"name": "X Y", "phone": "0812-0000-0001", "address": "Jl. Tuparev 1", "package_id": silver, "billing_mode": "prabayar"}),
        )
        .await;
    assert!(bad.status().is_client_error(), "an unknown mode is refused: {}", bad.status());

    // The second customer, prepaid from the start, begins on the 10th and pays their first term.
    write_renewals(&app.state, app.state.now()).await.expect("renewals");
    let (first, _) = invoices_of(&app, back).await.pop().expect("first term");
    pay(&app, &first).await;
    assert_eq!(paid_until(&app, back).await, Some(day(2027, 1, 9)));

    app.clock.set(wib(2026, 12, 25, 7));
    write_renewals(&app.state, app.state.now()).await.expect("renewals");
    let (term, lines) = invoices_of(&app, moves).await.pop().expect("renewal");
    assert_eq!(term.kind, InvoiceKind::Prepaid);
    assert_eq!((lines[0].first_day, lines[0].last_day), (Some(day(2027, 1, 1)), Some(day(2027, 1, 31))));
    assert!(!lines.iter().any(|l| l.kind == LineKind::Installation), "billed before: no installation fee");

    // The second goes back to postpaid on the 20th: January is billed from the 10th.
    app.clock.set(wib(2026, 12, 20, 9));
    let now_postpaid = put_mode(back, "postpaid").await;
    assert_eq!(
        (now_postpaid["billing_mode"].as_str(), now_postpaid["paid_until"].as_str()),
        (Some("postpaid"), Some("2027-01-09"))
    );
    app.clock.set(wib(2027, 1, 1, 1));
    let jan = month(&app, "2027-01", false).await;
    assert_eq!(jan.created, 1, "the prepaid customer is not billed: {jan:?}");
    let (inv, lines) = invoices_of(&app, back).await.pop().expect("january");
    assert_eq!(inv.kind, InvoiceKind::Recurring);
    let package: Vec<(Option<NaiveDate>, i64)> =
        lines.iter().filter(|l| l.kind == LineKind::Package).map(|l| (l.first_day, l.amount)).collect();
    assert_eq!(package, [(Some(day(2027, 1, 10)), (199_900 * 22 + 15) / 31)]);
    let history = customers::events(&app.state.db, back).await.expect("events");
    assert!(history.iter().any(|e| e.detail.contains("billing_mode: prepaid → postpaid")), "{history:?}");
}

#[tokio::test]
async fn the_demo_has_a_customer_paid_ahead_one_with_a_renewal_open_and_one_run_out() {
    let app = crate::helpers::spawn_demo_app(|_| {}).await;
    let today = app.state.now().with_timezone(&aglis_core::schedule::JAKARTA).date_naive();
    let prepaid = aglis_db::entity::customers::Entity::find()
        .filter(aglis_db::entity::customers::Column::BillingMode.eq("prepaid"))
        .all(&app.state.db)
        .await
        .expect("db");
    assert_eq!(prepaid.len(), 3, "{prepaid:?}");
    let login = json!({"username": "admin", "password": aglis_server::demo::DEMO_PASSWORD});
    let res = app.post_json("/api/v1/auth/login", None, &login).await;
    let token = res.json::<Value>().await.expect("json")["token"].as_str().expect("token").to_owned();
    let mut states = Vec::new();
    for c in &prepaid {
        let all = invoices_of(&app, c.id).await;
        assert!(all.len() >= 4, "months of terms: {}", all.len());
        assert!(all.iter().all(|(i, _)| i.kind == InvoiceKind::Prepaid), "never billed by the monthly run");
        let open: Vec<&Invoice> = all.iter().map(|(i, _)| i).filter(|i| i.status != InvoiceStatus::Paid).collect();
        let expired = aglis_core::prepaid::expired(c.paid_until, today);
        states.push(match (expired, open.as_slice()) {
            (false, []) => "paid ahead",
            (false, [next]) if next.due_on > today => "renewal open",
            (true, [due]) if due.status == InvoiceStatus::Overdue => "ran out",
            other => panic!("customer {}: {other:?}", c.id),
        });
        assert_eq!(on_list_as(&app, &token, c.id).await, expired, "customer {}", c.id);
    }
    states.sort_unstable();
    assert_eq!(states, ["paid ahead", "ran out", "renewal open"]);

    // The customer list filters them; the collections page counts them.
    let listed: Value =
        app.get("/api/v1/customers?billing_mode=prepaid", Some(&token)).await.json().await.expect("json");
    assert_eq!(listed["total"], 3, "{listed}");
    assert!(listed["items"].as_array().expect("items").iter().all(|c| c["billing_mode"] == "prepaid"));
    let bad = app.get("/api/v1/customers?billing_mode=prabayar", Some(&token)).await;
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = app.get("/billing?lang=id", Some(&token)).await.text().await.expect("html");
    assert!(page.contains("id=\"kpi-prepaid\"") && page.contains("Prabayar aktif"), "{page}");
}

#[tokio::test]
async fn a_pause_moves_the_paid_term_on_and_cancelling_it_takes_the_days_back() {
    let app = spawn_app().await;
    let silver = silver(&app).await;
    app.clock.set(wib(2026, 12, 7, 9));
    app.insert_user("admin", Role::Admin).await;
    app.insert_user("dewi", Role::CustomerService).await;
    app.insert_user("bambang", Role::Manager).await;
    let id = customer(&app, 1, silver, CustomerStatus::Active, wib(2026, 12, 7, 9)).await;
    let c = customers::get(&app.state.db, id).await.expect("db").expect("customer");
    aglis_server::billing::prepaid::switch_mode(&app.state.db, c, aglis_core::prepaid::BillingMode::Prepaid)
        .await
        .expect("prepaid");
    write_renewals(&app.state, app.state.now()).await.expect("renewals");
    let (first, _) = invoices_of(&app, id).await.pop().expect("first term");
    pay(&app, &first).await;
    assert_eq!(paid_until(&app, id).await, Some(day(2027, 1, 6)));

    // Away 20–26 December: a week of the paid term is not used, so it runs a week longer.
    let admin = app.token("admin").await;
    let res = app
        .post_json(
            &format!("/api/v1/customers/{id}/pauses"),
            Some(&admin),
            &json!({"first_day": "2026-12-20", "last_day": "2026-12-26", "note": "mudik"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let pause = res.json::<Value>().await.expect("json")["id"].as_i64().expect("id");
    assert_eq!(paid_until(&app, id).await, Some(day(2027, 1, 13)));
    // The renewal follows: a week before the 13th, not the 6th.
    app.clock.set(wib(2026, 12, 31, 7));
    assert_eq!(write_renewals(&app.state, app.state.now()).await.expect("renewals").written, 0);
    app.clock.set(wib(2026, 12, 15, 9));

    // Cancelled before it began: the week goes back.
    let admin = app.token("admin").await;
    let res = app.delete(&format!("/api/v1/service-pauses/{pause}"), Some(&admin)).await;
    assert!(res.status().is_success(), "{}", res.status());
    assert_eq!(paid_until(&app, id).await, Some(day(2027, 1, 6)));

    // Entered again and ended early on the 23rd: the 23rd–26th are given back.
    let res = app
        .post_json(
            &format!("/api/v1/customers/{id}/pauses"),
            Some(&admin),
            &json!({"first_day": "2026-12-20", "last_day": "2026-12-26"}),
        )
        .await;
    let pause = res.json::<Value>().await.expect("json")["id"].as_i64().expect("id");
    app.clock.set(wib(2026, 12, 23, 9));
    let admin = app.token("admin").await;
    let res = app.delete(&format!("/api/v1/service-pauses/{pause}"), Some(&admin)).await;
    assert!(res.status().is_success(), "{}", res.status());
    assert_eq!(paid_until(&app, id).await, Some(day(2027, 1, 9)));
}
