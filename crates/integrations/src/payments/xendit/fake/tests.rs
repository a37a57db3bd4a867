//! The real Xendit client against the fake: invoices, status, errors, callbacks, the hosted page.

use super::*;
use crate::fake_callbacks::receiver::{Hit, Receiver};
use crate::payments::xendit::{Xendit, read_callback};
use crate::payments::{Checkout, CheckoutRequest, Gateway, GatewayError, PayChannel};
use aglis_core::payment_gateway::{GatewayState, xendit_token_ok};

/// spec/protocols.md §10: this key's Basic header is `Basic eG5kX2RldmVsb3BtZW50X1RFU1RLRVk6`.
const KEY: &str = "xnd_development_TESTKEY";
const TOKEN: &str = "callback-token-test";

fn request(order_id: &str) -> CheckoutRequest {
    CheckoutRequest {
        order_id: order_id.into(),
        amount: 150_000,
        description: "Tagihan INV-202612-000123".into(),
        customer_name: "Siti Aminah".into(),
        email: Some("siti@example.co.id".into()),
        phone: Some("6281298765432".into()),
        channels: vec![],
        expires_in_minutes: 60,
        finish_url: "https://isp.example/bayar/selesai".into(),
    }
}

fn client(fake: &FakeXendit, key: &str, timeout: Duration) -> Xendit {
    Xendit::new(fake.url(), key, timeout).expect("client")
}

async fn checkout(mode: CallbackMode, order_id: &str) -> (FakeXendit, Receiver, Xendit, Checkout) {
    let fake = FakeXendit::start(KEY, TOKEN).await.expect("fake");
    let receiver = Receiver::start(200).await;
    fake.set_notification_url(Some(receiver.url.clone()));
    fake.set_callbacks(mode);
    let client = client(&fake, KEY, Duration::from_secs(2));
    let checkout = client.create_checkout(&request(order_id)).await.expect("checkout");
    (fake, receiver, client, checkout)
}

fn statuses(hits: &[Hit]) -> Vec<String> {
    hits.iter().map(|h| h.json()["status"].as_str().unwrap_or("?").to_owned()).collect()
}

#[tokio::test]
async fn invoice_pay_status_round_trip() {
    let (fake, _receiver, client, checkout) = checkout(CallbackMode::InOrder, "INV-202612-000123-1").await;
    assert_eq!(checkout.pay_url, format!("{}/web/{}", fake.url(), checkout.gateway_ref));
    let sent = &fake.received()[0];
    assert_eq!((sent.method.as_str(), sent.path.as_str()), ("POST", "/v2/invoices"));
    assert_eq!(sent.authorization.as_deref(), Some("Basic eG5kX2RldmVsb3BtZW50X1RFU1RLRVk6"));
    assert_eq!(sent.body["invoice_duration"], 3600);
    assert_eq!(sent.body["customer"]["mobile_number"], "+6281298765432");

    let gateway = Gateway::Xendit(client);
    assert_eq!(gateway.name(), "xendit");
    let before = gateway.status("INV-202612-000123-1", &checkout.gateway_ref).await.expect("ok").expect("known");
    assert_eq!((before.state, before.method.as_str()), (Some(GatewayState::Pending), ""));

    fake.pay("INV-202612-000123-1", "BANK_TRANSFER:MANDIRI").await.expect("paid");
    let report = gateway.status("INV-202612-000123-1", &checkout.gateway_ref).await.expect("ok").expect("known");
    assert_eq!(report.state, Some(GatewayState::Paid));
    assert_eq!(report.amount, Some(Rupiah(150_000)));
    assert_eq!(report.transaction_id, checkout.gateway_ref);
    assert_eq!(report.method, "BANK_TRANSFER MANDIRI");
    assert_eq!(fake.received().last().map(|r| r.path.clone()), Some(format!("/v2/invoices/{}", checkout.gateway_ref)));
    assert_eq!(gateway.status("INV-202612-000123-1", "5f4708b7bd7d1a4a8f9e7c99").await, Ok(None));
    assert!(fake.pay("INV-202612-000123-1", "QRIS").await.is_err(), "paid once");
}

#[tokio::test]
async fn the_callback_carries_the_token_and_the_documented_fields() {
    let (fake, receiver, _, checkout) = checkout(CallbackMode::InOrder, "INV-2-1").await;
    fake.pay("INV-2-1", "QRIS").await.expect("paid");
    let hits = receiver.wait_for(1).await;
    assert_eq!(hits.len(), 1, "one PAID callback");
    let hit = &hits[0];
    assert_eq!(hit.header("x-callback-token"), Some(TOKEN));
    assert!(xendit_token_ok(TOKEN, hit.header("x-callback-token").unwrap_or_default()));
    assert_eq!(hit.content_type.as_deref(), Some("application/json"));
    let body = hit.json();
    for field in [
        "id",
        "external_id",
        "user_id",
        "is_high",
        "status",
        "merchant_name",
        "amount",
        "paid_amount",
        "payer_email",
        "description",
        "created",
        "updated",
        "currency",
        "paid_at",
        "payment_method",
        "payment_channel",
        "payment_id",
    ] {
        assert!(body.get(field).is_some_and(|v| !v.is_null()), "{field} in {body}");
    }
    let report = read_callback(&body).expect("readable");
    assert_eq!(report.order_id, "INV-2-1");
    assert_eq!(report.transaction_id, checkout.gateway_ref);
    assert_eq!(report.state, Some(GatewayState::Paid));
    assert_eq!(report.amount, Some(Rupiah(150_000)));
    assert_eq!(report.method, "QR_CODE QRIS");
    let sent = fake.wait_for_callbacks(1, Duration::from_secs(2)).await;
    assert_eq!(sent[0].result, Ok(200));
    assert_eq!(sent[0].header("x-callback-token"), Some(TOKEN));
}

#[tokio::test]
async fn a_bank_transfer_names_its_destination() {
    let (fake, receiver, _, _) = checkout(CallbackMode::InOrder, "INV-2-2").await;
    fake.pay("INV-2-2", "BCA").await.expect("paid");
    let body = receiver.wait_for(1).await[0].json();
    assert_eq!((body["payment_method"].as_str(), body["bank_code"].as_str()), (Some("BANK_TRANSFER"), Some("BCA")));
    assert!(body["payment_destination"].as_str().is_some_and(|d| d.len() == 13));
}

#[tokio::test]
async fn wrong_signature_mode_sends_another_token() {
    let (fake, receiver, _, _) = checkout(CallbackMode::WrongSignature, "INV-3-1").await;
    fake.pay("INV-3-1", "EWALLET:OVO").await.expect("paid");
    let hits = receiver.wait_for(1).await;
    let token = hits[0].header("x-callback-token").unwrap_or_default();
    assert!(!token.is_empty() && !xendit_token_ok(TOKEN, token), "{token}");
}

#[tokio::test]
async fn twice_and_out_of_order_modes() {
    let (fake, receiver, _, _) = checkout(CallbackMode::Twice, "INV-4-1").await;
    fake.pay("INV-4-1", "QRIS").await.expect("paid");
    let hits = receiver.wait_for(2).await;
    assert_eq!(statuses(&hits), ["PAID", "PAID"]);
    assert_eq!(hits[0].body, hits[1].body);

    let (fake, receiver, client, checkout) = checkout(CallbackMode::OutOfOrder, "INV-4-2").await;
    fake.pay("INV-4-2", "QRIS").await.expect("paid");
    let hits = receiver.wait_for(2).await;
    assert_eq!(statuses(&hits), ["PAID", "EXPIRED"]);
    let states: Vec<_> = hits.iter().map(|h| read_callback(&h.json()).map(|r| r.state)).collect();
    assert_eq!(states, [Ok(Some(GatewayState::Paid)), Ok(Some(GatewayState::Failed))]);
    let now = client.status("INV-4-2", &checkout.gateway_ref).await.expect("ok").expect("known");
    assert_eq!(now.state, Some(GatewayState::Paid), "the stale EXPIRED changes nothing at Xendit");
}

#[tokio::test]
async fn late_mode_waits_and_no_url_sends_nothing() {
    let (fake, receiver, client, _) = checkout(CallbackMode::Late(Duration::from_millis(600)), "INV-5-1").await;
    fake.pay("INV-5-1", "QRIS").await.expect("paid");
    tokio::time::sleep(Duration::from_millis(150)).await;
    assert!(receiver.hits().is_empty(), "not yet");
    assert_eq!(statuses(&receiver.wait_for(1).await), ["PAID"]);

    fake.set_notification_url(None);
    client.create_checkout(&request("INV-5-2")).await.expect("checkout");
    fake.pay("INV-5-2", "QRIS").await.expect("paid");
    assert_eq!(fake.wait_for_callbacks(2, Duration::from_millis(400)).await.len(), 1);
    assert_eq!(fake.push("INV-5-2", "EXPIRED").await, Err("no callback URL".into()));
}

#[tokio::test]
async fn an_expired_invoice_cannot_be_paid() {
    let (fake, receiver, client, checkout) = checkout(CallbackMode::InOrder, "INV-6-1").await;
    assert_eq!(fake.push("INV-6-1", "EXPIRED").await, Ok(200));
    let hits = receiver.wait_for(1).await;
    assert_eq!(read_callback(&hits[0].json()).map(|r| r.state), Ok(Some(GatewayState::Failed)));
    assert_eq!(hits[0].header("x-callback-token"), Some(TOKEN));
    let report = client.status("INV-6-1", &checkout.gateway_ref).await.expect("ok").expect("known");
    assert_eq!(report.state, Some(GatewayState::Failed));
    assert_eq!(fake.pay("INV-6-1", "QRIS").await, Err("invoice INV-6-1 is EXPIRED".into()));
}

#[tokio::test]
async fn the_gateway_errors_map_to_ours() {
    let fake = FakeXendit::start(KEY, TOKEN).await.expect("fake");
    let good = client(&fake, KEY, Duration::from_secs(2));
    let wrong = client(&fake, "xnd_development_WRONG", Duration::from_secs(2));
    let unauthorized = GatewayError::Unauthorized { gateway: "xendit" };
    assert_eq!(wrong.create_checkout(&request("INV-7-1")).await, Err(unauthorized.clone()));
    assert_eq!(wrong.status("INV-7-1", "abc").await, Err(unauthorized));

    let bad_email = CheckoutRequest { email: Some("siti-at-example".into()), ..request("INV-7-2") };
    assert_eq!(
        good.create_checkout(&bad_email).await,
        Err(GatewayError::Refused {
            gateway: "xendit",
            detail: "EMAIL_FORMAT_ERROR: payer_email is not a valid email".into()
        })
    );
    assert_eq!(
        good.create_checkout(&CheckoutRequest { amount: 0, ..request("INV-7-3") }).await,
        Err(GatewayError::Refused { gateway: "xendit", detail: "the amount must be positive".into() })
    );
    let http = crate::http::client(Duration::from_secs(2)).expect("http");
    let answer = http
        .post(format!("{}/v2/invoices", fake.url()))
        .header("Authorization", crate::payments::basic_auth(KEY))
        .json(&json!({ "amount": -5 }))
        .send()
        .await
        .expect("answer");
    assert_eq!(answer.status().as_u16(), 400);
    let body: Value = answer.json().await.expect("json");
    assert_eq!(body["error_code"], "API_VALIDATION_ERROR");
    let answer = http
        .post(format!("{}/v2/invoices", fake.url()))
        .header("Authorization", crate::payments::basic_auth(KEY))
        .json(&json!({ "external_id": "A-1", "amount": -5 }))
        .send()
        .await
        .expect("answer");
    assert_eq!(answer.status().as_u16(), 400);

    fake.set_behavior(Behavior::HttpError(503));
    assert!(matches!(good.create_checkout(&request("INV-7-4")).await, Err(GatewayError::Unavailable { .. })));
    assert!(matches!(good.status("INV-7-4", "abc").await, Err(GatewayError::Unavailable { .. })));
    fake.set_behavior(Behavior::Slow(Duration::from_secs(2)));
    let impatient = client(&fake, KEY, Duration::from_millis(300));
    assert_eq!(
        impatient.create_checkout(&request("INV-7-5")).await,
        Err(GatewayError::Unavailable { gateway: "xendit", detail: "timed out".into() })
    );
    fake.set_behavior(Behavior::Accept);
    let made = good.create_checkout(&request("INV-7-6")).await.expect("checkout");
    assert!(
        matches!(good.status("INV-7-999", &made.gateway_ref).await, Err(GatewayError::Refused { .. })),
        "another order's invoice"
    );
    assert!(!format!("{fake:?}").contains(KEY) && !format!("{fake:?}").contains(TOKEN));
}

#[tokio::test]
async fn the_hosted_page_pays_and_returns_to_the_merchant() {
    let (fake, receiver, client, checkout) = checkout(CallbackMode::InOrder, "INV-202612-000125-1").await;
    let http = crate::http::client(Duration::from_secs(2)).expect("http");
    let html = http.get(&checkout.pay_url).send().await.expect("page").text().await.expect("html");
    assert!(html.contains("<title>Xendit (fake)</title>") && html.contains("name=\"viewport\""), "{html}");
    assert!(html.contains("INV-202612-000125-1") && html.contains("Rp 150.000"), "{html}");
    assert!(html.contains(&format!("<form method=\"post\" action=\"/web/{}/pay\">", checkout.gateway_ref)));
    for id in ["pay-qris", "pay-bca", "pay-ovo"] {
        assert!(html.contains(&format!("id=\"{id}\"")), "{id} in {html}");
    }
    assert!(!html.contains("<script"));
    let paid = http
        .post(format!("{}/pay", checkout.pay_url))
        .form(&[("method", "BANK_TRANSFER:BCA")])
        .send()
        .await
        .expect("paid")
        .text()
        .await
        .expect("html");
    assert!(paid.contains("Pembayaran berhasil"), "{paid}");
    assert!(paid.contains("<a id=\"finish\" href=\"https://isp.example/bayar/selesai\""), "{paid}");
    assert_eq!(statuses(&receiver.wait_for(1).await), ["PAID"]);
    let report = client.status("INV-202612-000125-1", &checkout.gateway_ref).await.expect("ok").expect("known");
    assert_eq!((report.state, report.method.as_str()), (Some(GatewayState::Paid), "BANK_TRANSFER BCA"));
    let missing = http.get(format!("{}/web/nope", fake.url())).send().await.expect("page");
    assert_eq!(missing.status().as_u16(), 404);
}

#[tokio::test]
async fn only_the_offered_methods_can_be_used() {
    let fake = FakeXendit::start(KEY, TOKEN).await.expect("fake");
    let client = client(&fake, KEY, Duration::from_secs(2));
    let qris_only = CheckoutRequest { channels: vec![PayChannel::Qris], ..request("INV-9-1") };
    let checkout = client.create_checkout(&qris_only).await.expect("checkout");
    let invoice = fake.invoice(&checkout.gateway_ref).expect("held");
    assert_eq!(invoice.payment_methods, ["QRIS"]);
    let http = crate::http::client(Duration::from_secs(2)).expect("http");
    let html = http.get(&checkout.pay_url).send().await.expect("page").text().await.expect("html");
    assert!(html.contains("id=\"pay-qris\"") && !html.contains("id=\"pay-bca\"") && !html.contains("id=\"pay-ovo\""));
    assert_eq!(fake.pay("INV-9-1", "BCA").await, Err("BCA is not offered on invoice INV-9-1".into()));
    assert_eq!(fake.pay("INV-9-1", "QRIS").await, Ok(()));
    assert_eq!(fake.transaction("INV-9-1").map(|i| i.status), Some("PAID".into()));
}
