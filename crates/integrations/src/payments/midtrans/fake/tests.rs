//! The real Midtrans client against the fake: checkouts, status, errors, notifications, the page.

use super::*;
use crate::fake_callbacks::receiver::{Hit, Receiver};
use crate::payments::midtrans::{Midtrans, read_notification, signature_valid};
use crate::payments::{Checkout, CheckoutRequest, Gateway, GatewayError, PayChannel};
use aglis_core::payment_gateway::GatewayState;

/// spec/protocols.md §10: this key's Basic header is `Basic U0ItTWlkLXNlcnZlci1URVNUS0VZOg==`.
const KEY: &str = "SB-Mid-server-TESTKEY";

fn request(order_id: &str) -> CheckoutRequest {
    CheckoutRequest {
        order_id: order_id.into(),
        amount: 150_000,
        description: "Tagihan INV-202612-000123".into(),
        customer_name: "Budi Santoso".into(),
        email: Some("budi@example.co.id".into()),
        phone: Some("6281234567890".into()),
        channels: vec![],
        expires_in_minutes: 60,
        finish_url: "https://isp.example/bayar/selesai".into(),
    }
}

fn client(fake: &FakeMidtrans, key: &str, timeout: Duration) -> Midtrans {
    Midtrans::new(fake.url(), fake.url(), key, timeout).expect("client")
}

/// A fake whose notifications go to a fresh receiver, and a checkout for `order_id` on it.
async fn checkout(mode: CallbackMode, order_id: &str) -> (FakeMidtrans, Receiver, Midtrans, Checkout) {
    let fake = FakeMidtrans::start(KEY).await.expect("fake");
    let receiver = Receiver::start(200).await;
    fake.set_notification_url(Some(receiver.url.clone()));
    fake.set_callbacks(mode);
    let client = client(&fake, KEY, Duration::from_secs(2));
    let checkout = client.create_checkout(&request(order_id)).await.expect("checkout");
    (fake, receiver, client, checkout)
}

fn statuses(hits: &[Hit]) -> Vec<String> {
    hits.iter().map(|h| h.json()["transaction_status"].as_str().unwrap_or("?").to_owned()).collect()
}

#[tokio::test]
async fn checkout_pay_status_round_trip() {
    let (fake, _receiver, client, checkout) = checkout(CallbackMode::InOrder, "INV-202612-000123-2").await;
    assert!(checkout.pay_url.starts_with(&format!("{}/snap/v2/vtweb/", fake.url())), "{checkout:?}");
    assert!(checkout.pay_url.ends_with(&checkout.gateway_ref));
    let sent = &fake.received()[0];
    assert_eq!((sent.method.as_str(), sent.path.as_str()), ("POST", "/snap/v1/transactions"));
    assert_eq!(sent.authorization.as_deref(), Some("Basic U0ItTWlkLXNlcnZlci1URVNUS0VZOg=="));
    assert_eq!(sent.body["transaction_details"]["gross_amount"], 150_000);
    assert_eq!(sent.body["callbacks"]["finish"], "https://isp.example/bayar/selesai");

    let gateway = Gateway::Midtrans(client);
    assert_eq!(gateway.name(), "midtrans");
    let before = gateway.status("INV-202612-000123-2", &checkout.gateway_ref).await;
    assert_eq!(before, Ok(None), "404 until the customer picks a method");

    fake.pay("INV-202612-000123-2", "bank_transfer:bca").await.expect("paid");
    let report = gateway.status("INV-202612-000123-2", &checkout.gateway_ref).await.expect("ok").expect("known");
    let txn = fake.transaction("INV-202612-000123-2").expect("held");
    assert_eq!(report.state, Some(GatewayState::Paid));
    assert_eq!(report.amount, Some(Rupiah(150_000)));
    assert_eq!(Some(report.transaction_id.clone()), txn.transaction_id);
    assert_eq!((report.order_id.as_str(), report.method.as_str()), ("INV-202612-000123-2", "bank_transfer bca"));
    let status_request = fake.received().into_iter().find(|r| r.method == "GET").expect("status asked");
    assert_eq!(status_request.path, "/v2/INV-202612-000123-2/status");
    assert_eq!(
        fake.pay("INV-202612-000123-2", "qris").await,
        Err("transaction INV-202612-000123-2 is already settlement".into())
    );
}

#[tokio::test]
async fn a_chosen_method_is_pending() {
    let (fake, receiver, client, _) = checkout(CallbackMode::InOrder, "INV-1-1").await;
    fake.choose("INV-1-1", "echannel").await.expect("chosen");
    let report = client.status("INV-1-1").await.expect("ok").expect("known");
    assert_eq!((report.state, report.method.as_str()), (Some(GatewayState::Pending), "echannel"));
    let hits = receiver.wait_for(1).await;
    assert_eq!(statuses(&hits), ["pending"]);
    assert!(hits[0].json()["bill_key"].is_string());
    fake.pay("INV-1-1", "qris").await.expect("paid");
    let hits = receiver.wait_for(2).await;
    assert_eq!(statuses(&hits), ["pending", "settlement"], "the pending one is not sent again");
    let report = client.status("INV-1-1").await.expect("ok").expect("known");
    assert_eq!(
        (report.state, report.method.as_str()),
        (Some(GatewayState::Paid), "echannel"),
        "the chosen method stays"
    );
}

#[tokio::test]
async fn notifications_arrive_signed_pending_then_settlement() {
    let (fake, receiver, _, _) = checkout(CallbackMode::InOrder, "INV-202612-000124-1").await;
    fake.pay("INV-202612-000124-1", "bank_transfer:bca").await.expect("paid");
    let hits = receiver.wait_for(2).await;
    assert_eq!(statuses(&hits), ["pending", "settlement"]);
    let reports: Vec<_> = hits.iter().map(|h| read_notification(&h.json()).expect("readable")).collect();
    assert_eq!(
        reports.iter().map(|r| r.state).collect::<Vec<_>>(),
        [Some(GatewayState::Pending), Some(GatewayState::Paid)]
    );
    assert_eq!(reports[0].transaction_id, reports[1].transaction_id, "one transaction");
    for hit in &hits {
        let body = hit.json();
        assert!(signature_valid(&body, KEY), "{body}");
        assert!(!signature_valid(&body, "SB-Mid-server-OTHER"));
        assert_eq!(hit.content_type.as_deref(), Some("application/json"));
        assert_eq!(hit.header("user-agent"), Some("Veritrans"));
        assert_eq!(body["gross_amount"], "150000.00");
        assert_eq!((body["fraud_status"].as_str(), body["currency"].as_str()), (Some("accept"), Some("IDR")));
        assert_eq!(body["merchant_id"], MERCHANT_ID);
        assert_eq!(body["va_numbers"][0]["bank"], "bca");
        let time = body["transaction_time"].as_str().expect("time");
        assert!(time.len() == 19 && time.as_bytes()[10] == b' ' && time.as_bytes()[4] == b'-', "{time}");
        assert_eq!(body["transaction_id"].as_str().map(|t| t.split('-').count()), Some(5), "a UUID");
    }
    assert_eq!(hits[0].json()["status_code"], "201");
    assert_eq!(hits[1].json()["status_code"], "200");
    assert!(hits[0].json().get("settlement_time").is_none() && hits[1].json()["settlement_time"].is_string());
    let sent = fake.wait_for_callbacks(2, Duration::from_secs(2)).await;
    assert_eq!(sent.iter().map(|c| c.result.clone()).collect::<Vec<_>>(), [Ok(200), Ok(200)]);
    assert_eq!(sent[1].header("user-agent"), Some("Veritrans"));
    assert_eq!(sent[1].json(), hits[1].json());
}

#[tokio::test]
async fn wrong_signature_mode_signs_with_another_key() {
    let (fake, receiver, _, _) = checkout(CallbackMode::WrongSignature, "INV-2-1").await;
    fake.pay("INV-2-1", "qris").await.expect("paid");
    let hits = receiver.wait_for(2).await;
    assert_eq!(hits.len(), 2);
    assert!(hits.iter().all(|h| !signature_valid(&h.json(), KEY)));
    assert!(hits.iter().all(|h| read_notification(&h.json()).is_ok()), "readable, just not genuine");
}

#[tokio::test]
async fn twice_mode_repeats_each_body() {
    let (fake, receiver, _, _) = checkout(CallbackMode::Twice, "INV-3-1").await;
    fake.pay("INV-3-1", "gopay").await.expect("paid");
    let hits = receiver.wait_for(4).await;
    assert_eq!(statuses(&hits), ["pending", "pending", "settlement", "settlement"]);
    assert_eq!(hits[0].body, hits[1].body);
    assert_eq!(hits[2].body, hits[3].body);
    assert!(hits.iter().all(|h| signature_valid(&h.json(), KEY)));
}

#[tokio::test]
async fn out_of_order_mode_settles_before_pending() {
    let (fake, receiver, _, _) = checkout(CallbackMode::OutOfOrder, "INV-4-1").await;
    fake.pay("INV-4-1", "shopeepay").await.expect("paid");
    let hits = receiver.wait_for(2).await;
    assert_eq!(statuses(&hits), ["settlement", "pending"]);
    assert!(hits.iter().all(|h| signature_valid(&h.json(), KEY)));
}

#[tokio::test]
async fn late_mode_waits_and_no_url_sends_nothing() {
    let (fake, receiver, _, _) = checkout(CallbackMode::Late(Duration::from_millis(600)), "INV-5-1").await;
    fake.pay("INV-5-1", "qris").await.expect("paid");
    tokio::time::sleep(Duration::from_millis(150)).await;
    assert!(receiver.hits().is_empty(), "not yet");
    assert_eq!(statuses(&receiver.wait_for(2).await), ["pending", "settlement"]);

    fake.set_notification_url(None);
    let client = client(&fake, KEY, Duration::from_secs(2));
    client.create_checkout(&request("INV-5-2")).await.expect("checkout");
    fake.pay("INV-5-2", "qris").await.expect("paid");
    let sent = fake.wait_for_callbacks(3, Duration::from_millis(400)).await;
    assert_eq!(sent.len(), 2, "callbacks that never arrive: {sent:?}");
    assert_eq!(fake.push("INV-5-2", "refund").await, Err("no notification URL".into()));
}

#[tokio::test]
async fn the_override_header_redirects_notifications() {
    let fake = FakeMidtrans::start(KEY).await.expect("fake");
    let (dashboard, own) = (Receiver::start(200).await, Receiver::start(503).await);
    fake.set_notification_url(Some(dashboard.url.clone()));
    let http = crate::http::client(Duration::from_secs(2)).expect("http");
    let answer = http
        .post(format!("{}/snap/v1/transactions", fake.url()))
        .header("Authorization", crate::payments::basic_auth(KEY))
        .header("X-Override-Notification", own.url.as_str())
        .json(&crate::payments::midtrans::snap_request_body(&request("INV-6-1")))
        .send()
        .await
        .expect("answer");
    assert_eq!(answer.status().as_u16(), 201);
    fake.pay("INV-6-1", "qris").await.expect("paid");
    assert_eq!(own.wait_for(2).await.len(), 2);
    assert!(dashboard.hits().is_empty());
    let sent = fake.wait_for_callbacks(2, Duration::from_secs(2)).await;
    assert_eq!(sent[0].result, Ok(503), "our server's answer is recorded");
}

#[tokio::test]
async fn pushed_notifications_move_the_transaction() {
    let (fake, receiver, client, _) = checkout(CallbackMode::InOrder, "INV-7-1").await;
    assert_eq!(fake.push("INV-7-1", "expire").await, Ok(200));
    let hits = receiver.wait_for(1).await;
    assert_eq!(hits[0].json()["status_code"], "407");
    assert!(signature_valid(&hits[0].json(), KEY));
    assert_eq!(read_notification(&hits[0].json()).map(|r| r.state), Ok(Some(GatewayState::Failed)));
    let report = client.status("INV-7-1").await.expect("ok").expect("known");
    assert_eq!(report.state, Some(GatewayState::Failed));
    assert!(fake.pay("INV-7-1", "qris").await.is_err(), "an expired transaction cannot be paid");
    assert!(fake.push("INV-404", "expire").await.is_err());

    client.create_checkout(&request("INV-7-2")).await.expect("checkout");
    fake.pay("INV-7-2", "qris").await.expect("paid");
    receiver.wait_for(3).await;
    assert_eq!(fake.push("INV-7-2", "refund").await, Ok(200));
    let report = client.status("INV-7-2").await.expect("ok").expect("known");
    assert_eq!(report.state, Some(GatewayState::Refunded));
}

#[tokio::test]
async fn the_gateway_errors_map_to_ours() {
    let fake = FakeMidtrans::start(KEY).await.expect("fake");
    let good = client(&fake, KEY, Duration::from_secs(2));
    let wrong = client(&fake, "SB-Mid-server-WRONG", Duration::from_secs(2));
    let unauthorized = GatewayError::Unauthorized { gateway: "midtrans" };
    assert_eq!(wrong.create_checkout(&request("INV-8-1")).await, Err(unauthorized.clone()));
    assert_eq!(wrong.status("INV-8-1").await, Err(unauthorized));

    let slash = good.create_checkout(&request("INV/2026/12/1")).await;
    assert!(
        matches!(&slash, Err(GatewayError::Refused { detail, .. }) if detail.contains("order_id contains invalid characters")),
        "{slash:?}"
    );
    let long = good.create_checkout(&request(&"A".repeat(51))).await;
    assert!(matches!(&long, Err(GatewayError::Refused { detail, .. }) if detail.contains("too long")), "{long:?}");

    let http = crate::http::client(Duration::from_secs(2)).expect("http");
    let raw = async |body: Value| {
        let answer = http
            .post(format!("{}/snap/v1/transactions", fake.url()))
            .header("Authorization", crate::payments::basic_auth(KEY))
            .json(&body)
            .send()
            .await
            .expect("answer");
        (answer.status().as_u16(), answer.json::<Value>().await.expect("json"))
    };
    let (code, body) = raw(json!({ "transaction_details": { "order_id": "A-1", "gross_amount": 1500.5 } })).await;
    assert_eq!(code, 400, "{body}");
    let mut mismatch = crate::payments::midtrans::snap_request_body(&request("A-2"));
    mismatch["item_details"][0]["price"] = 100.into();
    let (code, body) = raw(mismatch).await;
    assert_eq!(
        (code, body["error_messages"][0].as_str()),
        (400, Some("transaction_details.gross_amount is not equal to the sum of item_details"))
    );

    let first = good.create_checkout(&request("INV-8-2")).await.expect("checkout");
    assert_eq!(good.create_checkout(&request("INV-8-2")).await, Ok(first), "an unpaid order keeps its token");
    fake.pay("INV-8-2", "qris").await.expect("paid");
    assert_eq!(
        good.create_checkout(&request("INV-8-2")).await,
        Err(GatewayError::Refused { gateway: "midtrans", detail: "order_id has been paid and utilized".into() })
    );

    fake.set_behavior(Behavior::HttpError(503));
    assert!(matches!(good.create_checkout(&request("INV-8-3")).await, Err(GatewayError::Unavailable { .. })));
    assert!(matches!(good.status("INV-8-2").await, Err(GatewayError::Unavailable { .. })));
    fake.set_behavior(Behavior::Slow(Duration::from_secs(2)));
    let impatient = client(&fake, KEY, Duration::from_millis(300));
    assert_eq!(
        impatient.create_checkout(&request("INV-8-4")).await,
        Err(GatewayError::Unavailable { gateway: "midtrans", detail: "timed out".into() })
    );
    fake.set_behavior(Behavior::Accept);
    assert!(good.status("INV-8-2").await.expect("ok").is_some());

    let nowhere =
        Midtrans::new("http://127.0.0.1:9", "http://127.0.0.1:9", KEY, Duration::from_secs(1)).expect("client");
    let err = nowhere.create_checkout(&request("INV-8-5")).await;
    assert!(
        matches!(&err, Err(GatewayError::Unavailable { detail, .. }) if detail.starts_with("unreachable") && !detail.contains(KEY)),
        "{err:?}"
    );
}

#[tokio::test]
async fn the_payment_page_pays_and_returns_to_the_merchant() {
    let (fake, receiver, client, checkout) = checkout(CallbackMode::InOrder, "INV-202612-000125-1").await;
    let http = crate::http::client(Duration::from_secs(2)).expect("http");
    let html = http.get(&checkout.pay_url).send().await.expect("page").text().await.expect("html");
    assert!(html.contains("<title>Midtrans (fake)</title>") && html.contains("name=\"viewport\""), "{html}");
    assert!(html.contains("INV-202612-000125-1") && html.contains("Rp 150.000"), "{html}");
    assert!(html.contains(&format!("<form method=\"post\" action=\"/snap/v2/vtweb/{}/pay\">", checkout.gateway_ref)));
    for button in [
        r#"name="payment_type" value="qris" id="pay-qris">QRIS</button>"#,
        r#"value="bank_transfer:bca" id="pay-bca_va""#,
        r#"value="gopay" id="pay-gopay""#,
    ] {
        assert!(html.contains(button), "{button} in {html}");
    }
    assert!(!html.contains("<script"));

    let paid = http
        .post(format!("{}/pay", checkout.pay_url))
        .form(&[("payment_type", "qris")])
        .send()
        .await
        .expect("paid")
        .text()
        .await
        .expect("html");
    assert!(paid.contains("Pembayaran berhasil"), "{paid}");
    let finish = "https://isp.example/bayar/selesai?order_id=INV-202612-000125-1&amp;status_code=200&amp;transaction_status=settlement";
    assert!(paid.contains(&format!("<a id=\"finish\" href=\"{finish}\"")), "{paid}");
    assert_eq!(statuses(&receiver.wait_for(2).await), ["pending", "settlement"]);
    let report = client.status("INV-202612-000125-1").await.expect("ok").expect("known");
    assert_eq!((report.state, report.method.as_str()), (Some(GatewayState::Paid), "qris"));
    let again = http.get(&checkout.pay_url).send().await.expect("page").text().await.expect("html");
    assert!(again.contains("Pembayaran berhasil") && !again.contains("<form"));

    let missing = http.get(format!("{}/snap/v2/vtweb/nope", fake.url())).send().await.expect("page");
    assert_eq!(missing.status().as_u16(), 404);
}

#[tokio::test]
async fn only_the_offered_methods_can_be_used() {
    let fake = FakeMidtrans::start(KEY).await.expect("fake");
    let client = client(&fake, KEY, Duration::from_secs(2));
    let va_only = CheckoutRequest { channels: vec![PayChannel::VirtualAccount], ..request("INV-9-1") };
    let checkout = client.create_checkout(&va_only).await.expect("checkout");
    let http = crate::http::client(Duration::from_secs(2)).expect("http");
    let html = http.get(&checkout.pay_url).send().await.expect("page").text().await.expect("html");
    assert!(
        html.contains("id=\"pay-bca_va\"") && !html.contains("id=\"pay-qris\"") && !html.contains("id=\"pay-gopay\"")
    );
    assert_eq!(fake.pay("INV-9-1", "qris").await, Err("qris is not offered for INV-9-1".into()));
    assert_eq!(fake.pay("INV-9-1", "bank_transfer:bni").await, Ok(()));
    assert_eq!(client.status("INV-9-1").await.map(|r| r.map(|r| r.method)), Ok(Some("bank_transfer bni".into())));
    assert_eq!(fake.transaction("INV-9-1").map(|t| t.enabled_payments.len()), Some(6));
    assert!(!format!("{fake:?}").contains(KEY));
}
