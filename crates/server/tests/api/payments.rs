//! Online payments end to end on the real database: gateway callbacks verified, stored, applied
//! exactly once through the queue, never backwards; the status poll that finds payments whose
//! callback never came; the pay page against the fake Midtrans.

use crate::billing::{customer, day, month, silver, wib};
use crate::helpers::{TestApp, between, csrf_token, problem, spawn_app_with};
use aglis_core::customer::CustomerStatus;
use aglis_core::invoice::InvoiceStatus;
use aglis_core::payment_gateway::midtrans_signature;
use aglis_db::repo::invoices::{self as invoice_repo, Invoice};
use aglis_db::repo::{ledger, payment_checkouts, payments, webhook_events};
use aglis_integrations::payments::fake::CallbackMode;
use aglis_integrations::payments::midtrans::fake::FakeMidtrans;
use aglis_server::jobs::registry::builtin_registry;
use aglis_server::jobs::runner::Runner;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Duration;

const SERVER_KEY: &str = "SB-Mid-server-TESTKEY";
const XENDIT_KEY: &str = "xnd_development_TESTKEY";
const XENDIT_TOKEN: &str = "xendit-callback-token-0123456789";

async fn app_with_gateways(midtrans_url: &str, xendit_url: &str) -> TestApp {
    let (m, x) = (midtrans_url.to_owned(), xendit_url.to_owned());
    spawn_app_with(move |env| {
        env.insert("AGLIS_MIDTRANS_SERVER_KEY".into(), SERVER_KEY.into());
        env.insert("AGLIS_MIDTRANS_SNAP_URL".into(), m.clone());
        env.insert("AGLIS_MIDTRANS_API_URL".into(), m);
        env.insert("AGLIS_XENDIT_SECRET_KEY".into(), XENDIT_KEY.into());
        env.insert("AGLIS_XENDIT_CALLBACK_TOKEN".into(), XENDIT_TOKEN.into());
        env.insert("AGLIS_XENDIT_URL".into(), x);
    })
    .await
}

/// An app with both gateways pointing nowhere (callbacks only), and one open December invoice.
async fn app_with_invoice() -> (TestApp, Invoice) {
    let app = app_with_gateways("http://127.0.0.1:9", "http://127.0.0.1:9").await;
    let invoice = one_invoice(&app).await;
    (app, invoice)
}

async fn one_invoice(app: &TestApp) -> Invoice {
    let pkg = silver(app).await;
    customer(app, 1, pkg, CustomerStatus::Active, wib(2026, 10, 1, 10)).await;
    month(app, "2026-12", false).await;
    invoice_repo::by_number(&app.state.db, "INV-202612-000001").await.expect("db").expect("invoice")
}

fn notification(order_id: &str, status: &str, code: &str, amount: i64, transaction_id: &str, key: &str) -> Value {
    let gross = format!("{amount}.00");
    json!({
        "transaction_time": "2026-12-02 10:15:00",
        "transaction_status": status,
        "transaction_id": transaction_id,
        "status_message": "midtrans payment notification",
        "status_code": code,
        "signature_key": midtrans_signature(order_id, code, &gross, key),
        "settlement_time": "2026-12-02 10:16:00",
        "payment_type": "qris",
        "order_id": order_id,
        "merchant_id": "G141532850",
        "gross_amount": gross,
        "fraud_status": "accept",
        "currency": "IDR",
        "acquirer": "gopay"
    })
}

async fn post_midtrans(app: &TestApp, body: &Value) -> reqwest::Response {
    app.api
        .post(app.url("/api/webhooks/payments/midtrans"))
        .header("user-agent", "Veritrans")
        .json(body)
        .send()
        .await
        .expect("post")
}

async fn drain(app: &TestApp) {
    let runner = Runner::new(app.state.clone(), Arc::new(builtin_registry()));
    while runner.run_once().await.expect("run").claimed > 0 {}
}

async fn reload(app: &TestApp, id: i64) -> Invoice {
    invoice_repo::get(&app.state.db, id).await.expect("db").expect("invoice")
}

#[tokio::test]
async fn a_forged_midtrans_callback_is_401_and_changes_nothing() {
    let (app, inv) = app_with_invoice().await;
    let forged = notification(&inv.number, "settlement", "200", inv.total, "tx-forged", "not-our-key");
    problem(post_midtrans(&app, &forged).await, 401).await;
    // The amount changed after signing: the signature no longer holds.
    let mut altered = notification(&inv.number, "settlement", "200", 1_000, "tx-1", SERVER_KEY);
    altered["gross_amount"] = json!(format!("{}.00", inv.total));
    problem(post_midtrans(&app, &altered).await, 401).await;
    let mut unsigned = notification(&inv.number, "settlement", "200", inv.total, "tx-1", SERVER_KEY);
    unsigned.as_object_mut().expect("object").remove("signature_key");
    problem(post_midtrans(&app, &unsigned).await, 401).await;
    drain(&app).await;
    assert_eq!(reload(&app, inv.id).await.status, InvoiceStatus::Open);
    let (events, _, _) =
        webhook_events::page_of_sources(&app.state.db, &["midtrans"], None, 0, 10, 100).await.expect("db");
    assert!(events.is_empty(), "nothing stored: {events:?}");
    assert!(payments::of_customer(&app.state.db, inv.customer_id).await.expect("db").is_empty());
}

#[tokio::test]
async fn a_settlement_for_the_full_amount_pays_the_invoice_once_however_often_it_comes() {
    let (app, inv) = app_with_invoice().await;
    let settle = notification(&inv.number, "settlement", "200", inv.total, "tx-3f1a", SERVER_KEY);
    for _ in 0..2 {
        let res = post_midtrans(&app, &settle).await;
        assert_eq!(res.status(), StatusCode::OK);
    }
    drain(&app).await;
    // Out of order: a late `pending` and an `expire` after the settlement change nothing.
    post_midtrans(&app, &notification(&inv.number, "pending", "201", inv.total, "tx-3f1a", SERVER_KEY)).await;
    post_midtrans(&app, &notification(&inv.number, "expire", "407", inv.total, "tx-3f1a", SERVER_KEY)).await;
    drain(&app).await;

    let paid = reload(&app, inv.id).await;
    assert_eq!((paid.status, paid.paid), (InvoiceStatus::Paid, inv.total));
    let got = payments::of_customer(&app.state.db, inv.customer_id).await.expect("db");
    assert_eq!(got.len(), 1, "one payment: {got:?}");
    assert_eq!(got[0].gateway_ref.as_deref(), Some("tx-3f1a"));
    assert_eq!(ledger::balance(&app.state.db, inv.customer_id).await.expect("balance"), 0);
    let applied = webhook_events::with_outcome(&app.state.db, "applied").await.expect("db");
    let ignored = webhook_events::with_outcome(&app.state.db, "ignored").await.expect("db");
    assert_eq!((applied.len(), ignored.len()), (1, 3));
    assert!(applied[0].checkout_id.is_some(), "the gateway log links the callback to its checkout");

    // The payment confirmation is queued with the payment.
    let query = aglis_db::repo::messages::MessageQuery { page: 1, per_page: 50, ..Default::default() };
    let msgs = aglis_db::repo::messages::list(&app.state.db, &query).await.expect("messages").items;
    assert!(msgs.iter().any(|m| m.template_code.as_deref() == Some("payment_confirmation")), "{msgs:?}");
}

#[tokio::test]
async fn a_partial_payment_then_the_rest_and_an_overpayment_land_as_credit() {
    let (app, inv) = app_with_invoice().await;
    let part = notification(&format!("{}-2", inv.number), "settlement", "200", 100_000, "tx-a", SERVER_KEY);
    post_midtrans(&app, &part).await;
    drain(&app).await;
    let after = reload(&app, inv.id).await;
    assert_eq!((after.status, after.paid), (InvoiceStatus::Partial, 100_000));
    let rest = inv.total - 100_000 + 50_000;
    post_midtrans(&app, &notification(&format!("{}-3", inv.number), "settlement", "200", rest, "tx-b", SERVER_KEY))
        .await;
    drain(&app).await;
    assert_eq!(reload(&app, inv.id).await.status, InvoiceStatus::Paid);
    assert_eq!(ledger::balance(&app.state.db, inv.customer_id).await.expect("balance"), -50_000, "credit");
    // A refund puts the money back on the invoice it paid last.
    post_midtrans(&app, &notification(&format!("{}-3", inv.number), "refund", "200", rest, "tx-b", SERVER_KEY)).await;
    drain(&app).await;
    assert_eq!(ledger::balance(&app.state.db, inv.customer_id).await.expect("balance"), inv.total - 100_000);
    assert_eq!(reload(&app, inv.id).await.status, InvoiceStatus::Partial);
}

#[tokio::test]
async fn xendit_callbacks_need_the_token_and_pay_once() {
    let (app, inv) = app_with_invoice().await;
    let body = json!({
        "id": "579c8d61f23fa4ca35e52da4", "external_id": inv.number, "user_id": "5781d19b2e2385880609791c",
        "is_high": false, "status": "PAID", "merchant_name": "AGLIS Net", "amount": inv.total,
        "paid_amount": inv.total, "payer_email": "budi@contoh.id", "description": "Tagihan",
        "created": "2026-12-02T03:00:00.000Z", "updated": "2026-12-02T03:05:00.000Z", "currency": "IDR",
        "paid_at": "2026-12-02T03:05:00.000Z", "payment_method": "BANK_TRANSFER", "payment_channel": "BCA",
        "payment_destination": "8808999912345678", "payment_id": "pay-1"
    });
    let post = |token: Option<&str>| {
        let mut req = app.api.post(app.url("/api/webhooks/payments/xendit")).json(&body);
        if let Some(t) = token {
            req = req.header("x-callback-token", t);
        }
        req.send()
    };
    problem(post(None).await.expect("post"), 401).await;
    problem(post(Some("xendit-callback-token-012345678X")).await.expect("post"), 401).await;
    drain(&app).await;
    assert_eq!(reload(&app, inv.id).await.status, InvoiceStatus::Open);
    for _ in 0..2 {
        assert_eq!(post(Some(XENDIT_TOKEN)).await.expect("post").status(), StatusCode::OK);
    }
    drain(&app).await;
    assert_eq!(reload(&app, inv.id).await.status, InvoiceStatus::Paid);
    assert_eq!(payments::of_customer(&app.state.db, inv.customer_id).await.expect("db").len(), 1);
}

#[tokio::test]
async fn a_callback_stored_before_a_crash_is_applied_once_by_the_next_instance() {
    let (app, inv) = app_with_invoice().await;
    let settle = notification(&inv.number, "settlement", "200", inv.total, "tx-crash", SERVER_KEY);
    assert_eq!(post_midtrans(&app, &settle).await.status(), StatusCode::OK);
    // The instance that stored it dies before applying it: its job was claimed, never finished.
    let registry = Arc::new(builtin_registry());
    let claimed =
        aglis_db::jobs::claim(&app.state.db, "dead-instance", 10, chrono::TimeDelta::seconds(60), app.state.now())
            .await
            .expect("claim");
    assert_eq!(claimed.len(), 1, "the apply job was stored with the callback");
    assert_eq!(reload(&app, inv.id).await.status, InvoiceStatus::Open);
    // Another instance on the same database, after the dead one's lock ran out.
    app.clock.advance(chrono::TimeDelta::minutes(5));
    let other = Runner::new(app.state.clone(), registry);
    while other.run_once().await.expect("run").claimed > 0 {}
    while other.run_once().await.expect("run").claimed > 0 {}
    assert_eq!(reload(&app, inv.id).await.status, InvoiceStatus::Paid);
    assert_eq!(payments::of_customer(&app.state.db, inv.customer_id).await.expect("db").len(), 1);
}

#[tokio::test]
async fn the_status_poll_applies_a_payment_whose_callback_never_came() {
    let fake = FakeMidtrans::start(SERVER_KEY).await.expect("fake midtrans");
    fake.set_notification_url(None); // the callback never arrives
    let app = app_with_gateways(fake.url(), "http://127.0.0.1:9").await;
    let inv = one_invoice(&app).await;
    let checkout = aglis_server::billing::online::open_checkout(&app.state, inv.id, vec![]).await.expect("checkout");
    assert_eq!(checkout.order_id, inv.number);
    fake.pay(&checkout.order_id, "qris").await.expect("paid at the gateway");

    // Too early: the poll leaves young checkouts alone.
    aglis_server::billing::reconcile::poll(&app.state).await.expect("poll");
    assert_eq!(reload(&app, inv.id).await.status, InvoiceStatus::Open);
    app.clock.advance(chrono::TimeDelta::minutes(16));
    let report = aglis_server::billing::reconcile::poll(&app.state).await.expect("poll");
    assert_eq!((report.asked, report.applied), (1, 1), "{report:?}");
    assert_eq!(reload(&app, inv.id).await.status, InvoiceStatus::Paid);
    let c = payment_checkouts::get(&app.state.db, checkout.id).await.expect("db").expect("checkout");
    assert!(c.payment_id.is_some() && c.transaction_id.is_some(), "{c:?}");
    // A late callback after the poll changes nothing.
    fake.set_notification_url(Some(app.url("/api/webhooks/payments/midtrans")));
    fake.push(&checkout.order_id, "settlement").await.expect("late callback");
    drain(&app).await;
    assert_eq!(payments::of_customer(&app.state.db, inv.customer_id).await.expect("db").len(), 1);
}

#[tokio::test]
async fn the_pay_page_sends_the_customer_to_midtrans_and_shows_the_invoice_paid_on_return() {
    let fake = FakeMidtrans::start(SERVER_KEY).await.expect("fake midtrans");
    let app = app_with_gateways(fake.url(), "http://127.0.0.1:9").await;
    fake.set_notification_url(Some(app.url("/api/webhooks/payments/midtrans")));
    fake.set_callbacks(CallbackMode::Twice);
    let inv = one_invoice(&app).await;
    let link = aglis_server::billing::online::pay_link(&app.state, &inv.number);
    let path = link.trim_start_matches(&app.state.config.base_url).to_owned();

    let browser = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    // A wrong key shows nothing.
    let wrong = browser.get(app.url(&format!("/pay/{}?k=0000000000000000", inv.number))).send().await.expect("get");
    assert_eq!(wrong.status(), StatusCode::NOT_FOUND);
    let page = browser.get(app.url(&path)).send().await.expect("get").text().await.expect("html");
    assert!(page.contains(&inv.number) && page.contains("QRIS"), "{page}");
    let key = path.split("k=").nth(1).expect("key").to_owned();
    let res = browser
        .post(app.url(&format!("/pay/{}", inv.number)))
        .form(&[("csrf_token", csrf_token(&page).as_str()), ("k", key.as_str()), ("channel", "qris")])
        .send()
        .await
        .expect("post");
    assert_eq!(res.status(), StatusCode::OK);
    let leaving = res.text().await.expect("html");
    let to = between(&leaving, "id=\"to-gateway\" href=\"", "\"").expect("a link to the gateway");
    assert!(to.starts_with(fake.url()), "{to}");
    let sent = fake.received();
    let snap = sent.iter().find(|r| r.path == "/snap/v1/transactions").expect("a Snap request");
    assert_eq!(snap.body["transaction_details"]["gross_amount"], json!(inv.total));
    assert_eq!(snap.body["enabled_payments"], json!(["other_qris"]));

    fake.pay(&inv.number, "qris").await.expect("paid");
    fake.wait_for_callbacks(4, Duration::from_secs(5)).await;
    drain(&app).await;
    let back = browser.get(app.url(&format!("{path}&done=1"))).send().await.expect("get").text().await.expect("html");
    assert!(back.contains("paid-notice"), "{back}");
    assert_eq!(payments::of_customer(&app.state.db, inv.customer_id).await.expect("db").len(), 1);
}

/// The messages queued from `template`, newest first.
async fn queued(app: &TestApp, template: &str) -> Vec<aglis_db::repo::messages::Message> {
    let query = aglis_db::repo::messages::MessageQuery { page: 1, per_page: 100, ..Default::default() };
    let all = aglis_db::repo::messages::list(&app.state.db, &query).await.expect("messages").items;
    all.into_iter().filter(|m| m.template_code.as_deref() == Some(template)).collect()
}

#[tokio::test]
async fn reminders_go_7_3_and_1_days_before_and_when_overdue_once_each_catching_up_a_missed_day() {
    use aglis_server::billing::reminders::send_reminders;
    let (app, inv) = app_with_invoice().await; // due 8 December
    assert_eq!(inv.due_on, day(2026, 12, 8));
    let at = |d: u32| wib(2026, 12, d, 8);

    app.clock.set(at(1));
    assert_eq!(send_reminders(&app.state).await.expect("run").sent, 1, "7 days before");
    assert_eq!(send_reminders(&app.state).await.expect("run").sent, 0, "once a day, once a kind");
    let first = queued(&app, "payment_reminder").await;
    assert_eq!(first.len(), 1);
    assert_eq!(first[0].recipient, "6281200000001");
    assert!(
        first[0].body.contains(&inv.number) && first[0].body.contains("/pay/INV-202612-000001?k="),
        "{}",
        first[0].body
    );
    app.clock.set(at(3));
    assert_eq!(send_reminders(&app.state).await.expect("run").sent, 0, "nothing on a day without a reminder");
    app.clock.set(at(5));
    assert_eq!(send_reminders(&app.state).await.expect("run").sent, 1, "3 days before");
    // The server was down from the 6th to the 8th: on the 9th only the overdue reminder goes.
    app.clock.set(at(9));
    assert_eq!(send_reminders(&app.state).await.expect("run").sent, 1);
    assert_eq!(send_reminders(&app.state).await.expect("run").sent, 0);
    assert_eq!(queued(&app, "payment_reminder").await.len(), 2, "the missed 1-day reminder was not sent late");
    let overdue = queued(&app, "payment_overdue").await;
    assert_eq!(overdue.len(), 1);
    assert!(overdue[0].body.contains("lewat jatuh tempo"), "in the customer's language: {}", overdue[0].body);
    assert_eq!(reload(&app, inv.id).await.status, InvoiceStatus::Overdue, "the run sweeps first");

    // Paid invoices are never reminded.
    let settle = notification(&inv.number, "settlement", "200", inv.total, "tx-r", SERVER_KEY);
    post_midtrans(&app, &settle).await;
    drain(&app).await;
    app.clock.set(at(10));
    assert_eq!(send_reminders(&app.state).await.expect("run").considered, 0);
}

#[tokio::test]
async fn an_invoice_overdue_past_the_grace_period_puts_its_customer_on_the_suspension_list() {
    let (app, inv) = app_with_invoice().await; // due 8 December, grace 7 days
    let (_, token) = app.user_with_token("dian", aglis_core::permission::Role::Manager).await;
    let list = |app: &TestApp, token: String| {
        let url = app.url("/api/v1/billing/suspension-list");
        let client = app.api.clone();
        async move {
            let res = client.get(url).bearer_auth(token).send().await.expect("get");
            assert_eq!(res.status(), StatusCode::OK);
            res.json::<Value>().await.expect("json")
        }
    };
    app.clock.set(wib(2026, 12, 15, 9));
    assert_eq!(list(&app, token.clone()).await["items"], json!([]), "7 days late: still within the grace");
    app.clock.set(wib(2026, 12, 16, 9));
    let page = list(&app, token.clone()).await;
    assert_eq!(page["items"][0]["customer_id"], json!(inv.customer_id), "{page}");
    assert_eq!(page["items"][0]["days_overdue"], json!(8));
    assert_eq!(page["items"][0]["owed"], json!(inv.total));
    // Paid: off the list.
    post_midtrans(&app, &notification(&inv.number, "settlement", "200", inv.total, "tx-s", SERVER_KEY)).await;
    drain(&app).await;
    assert_eq!(list(&app, token).await["items"], json!([]));
}

#[tokio::test]
async fn the_invoice_pdf_is_served_to_staff_and_to_the_customer_with_the_pay_link_key() {
    let (app, inv) = app_with_invoice().await;
    let (_, token) = app.user_with_token("rina", aglis_core::permission::Role::CustomerService).await;
    let res = app.get(&format!("/api/v1/invoices/{}/pdf", inv.id), Some(&token)).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["content-type"], "application/pdf");
    let bytes = res.bytes().await.expect("body");
    assert!(bytes.starts_with(b"%PDF"), "a PDF");
    let missing = app.get("/api/v1/invoices/999999/pdf", Some(&token)).await;
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);

    let link = aglis_server::billing::online::pay_link(&app.state, &inv.number);
    let key = link.split("k=").nth(1).expect("key");
    let mine = app.api.get(app.url(&format!("/pay/{}/pdf?k={key}", inv.number))).send().await.expect("get");
    assert_eq!(mine.status(), StatusCode::OK);
    assert!(mine.bytes().await.expect("body").starts_with(b"%PDF"));
    let guessed =
        app.api.get(app.url(&format!("/pay/{}/pdf?k=0000000000000000", inv.number))).send().await.expect("get");
    assert_eq!(guessed.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_billing_profile_sets_the_runs_rules_and_bad_values_are_named() {
    use aglis_server::billing::profile::{self, BillingProfile};
    let app = app_with_gateways("http://127.0.0.1:9", "http://127.0.0.1:9").await;
    let bad = BillingProfile { billing_day: 30, npwp: "123".into(), ..BillingProfile::default() };
    assert!(profile::save(&app.state.db, &bad, app.state.now()).await.is_err());
    let p = BillingProfile { billing_day: 5, due_days: 10, ppn_enabled: false, ..BillingProfile::default() };
    profile::save(&app.state.db, &p, app.state.now()).await.expect("saved");
    let inv = one_invoice(&app).await;
    assert_eq!((inv.issued_on, inv.due_on), (day(2026, 12, 5), day(2026, 12, 15)));
    assert_eq!((inv.ppn, inv.ppn_rate, inv.total), (0, 0, inv.subtotal), "no PPN when it is off");
}

#[tokio::test]
async fn cs_records_a_payment_on_the_page_and_only_someone_else_verifies_it() {
    use aglis_core::payment::PaymentStatus;
    use aglis_core::permission::Role;
    let (app, inv) = app_with_invoice().await;
    app.insert_user("dewi", Role::CustomerService).await;
    app.insert_user("bambang", Role::Manager).await;
    let cs = app.browser_login("dewi").await;
    let token = app.page_csrf(&cs, &format!("/billing/payments/new?invoice={}", inv.id)).await;
    // A day in the future is refused, in the page's language, and nothing is recorded.
    let refused = cs
        .post(app.url("/billing/payments?lang=id"))
        .form(&[
            ("csrf_token", token.as_str()),
            ("invoice_number", inv.number.as_str()),
            ("method", "bank_transfer"),
            ("amount", "221889"),
            ("received_on", "2027-01-01"),
        ])
        .send()
        .await
        .expect("post");
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.text().await.expect("html").contains("tanggal terima"), "Indonesian message");
    assert!(payments::of_customer(&app.state.db, inv.customer_id).await.expect("db").is_empty());
    let res = cs
        .post(app.url("/billing/payments"))
        .form(&[
            ("csrf_token", token.as_str()),
            ("invoice_number", inv.number.as_str()),
            ("method", "bank_transfer"),
            ("amount", &inv.total.to_string()),
            ("received_on", "2026-11-18"),
            ("note", "BCA ref 88012"),
        ])
        .send()
        .await
        .expect("post");
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let recorded = payments::of_customer(&app.state.db, inv.customer_id).await.expect("db");
    assert_eq!((recorded.len(), recorded[0].status), (1, PaymentStatus::Pending));
    assert_eq!(reload(&app, inv.id).await.status, InvoiceStatus::Open, "not before finance verifies it");
    let id = recorded[0].id;

    // Customer service may not verify; the manager may, once; a blank rejection reason is named.
    let cs_try = cs.post(app.url(&format!("/billing/payments/{id}/verify"))).form(&[("csrf_token", token.as_str())]);
    assert_eq!(cs_try.send().await.expect("post").status(), StatusCode::FORBIDDEN);
    let finance = app.browser_login("bambang").await;
    let ftoken = app.page_csrf(&finance, "/billing/payments?status=pending").await;
    let blank = finance
        .post(app.url(&format!("/billing/payments/{id}/reject?lang=id")))
        .form(&[("csrf_token", ftoken.as_str()), ("reason", "   ")])
        .send()
        .await
        .expect("post");
    assert_eq!(blank.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = blank.text().await.expect("html");
    assert!(html.contains("tulis alasan penolakan") && !html.contains("reason:"), "no field name in English");
    let ok = finance
        .post(app.url(&format!("/billing/payments/{id}/verify")))
        .form(&[("csrf_token", ftoken.as_str())])
        .send()
        .await
        .expect("post");
    assert_eq!(ok.status(), StatusCode::SEE_OTHER);
    assert_eq!(reload(&app, inv.id).await.status, InvoiceStatus::Paid);
    let again = finance
        .post(app.url(&format!("/billing/payments/{id}/verify")))
        .form(&[("csrf_token", ftoken.as_str())])
        .send()
        .await
        .expect("post");
    assert_eq!(again.status(), StatusCode::CONFLICT, "verified once");
    assert_eq!(ledger::balance(&app.state.db, inv.customer_id).await.expect("balance"), 0);
    let audit =
        aglis_db::repo::audit_log::list(&app.state.db, &aglis_db::repo::audit_log::AuditQuery::default(), 1, 50)
            .await
            .expect("audit");
    let events: Vec<&str> = audit.items.iter().map(|r| r.event.as_str()).collect();
    assert!(events.contains(&"payment.entered") && events.contains(&"payment.verified"), "{events:?}");

    // Whoever recorded a payment does not verify it (an admin of a one-person office may).
    let token = app.token("bambang").await;
    let own = app
        .post_json(
            "/api/v1/payments",
            Some(&token),
            &json!({"customer_id": inv.customer_id, "method": "cash", "amount": 50_000}),
        )
        .await;
    assert_eq!(own.status(), StatusCode::CREATED);
    let own_id = own.json::<Value>().await.expect("json")["id"].as_i64().expect("id");
    let verify = format!("/api/v1/payments/{own_id}/verify");
    problem(app.post_json(&verify, Some(&token), &json!({})).await, 409).await;
}
