//! The portal in a real browser on a phone (390 px): a customer signs in with the code the fake
//! WhatsApp gateway received, reports a problem with a photo, sees the technician assigned on
//! the timeline, pays the bill on the fake Midtrans page, confirms the fix and rates the visit.

use crate::browser::{Browser, Driver, PHONE};
use crate::helpers::{TINY_PNG, spawn_app_with};
use aglis_core::customer::CustomerStatus;
use aglis_core::permission::Role;
use aglis_integrations::payments::midtrans::fake::FakeMidtrans;
use aglis_integrations::whatsapp::fonnte::fake::FakeFonnte;
use aglis_server::jobs::{Runner, builtin_registry};
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::{Duration, Instant};

const KEY: &str = "SB-Mid-server-PORTAL";

/// Scrolls `css` to the middle of the screen and presses it, as a thumb does: the portal's bar of
/// links stays fixed at the bottom, over whatever is scrolled to the screen's very edge.
async fn press(b: &Browser, css: &str) {
    let script = "const e = document.querySelector(arguments[0]); if (e) { e.scrollIntoView({block: 'center'}); }";
    b.call(reqwest::Method::POST, "/execute/sync", json!({"script": script, "args": [css]})).await;
    b.click(css).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_customer_reports_pays_and_rates_in_the_portal_on_a_phone() {
    let wa = FakeFonnte::start("token-portal-browser").await.expect("fake fonnte");
    let midtrans = FakeMidtrans::start(KEY).await.expect("fake midtrans");
    let (wa_url, mt_url) = (wa.url.clone(), midtrans.url().to_owned());
    let app = spawn_app_with(move |env| {
        env.insert("AGLIS_FONNTE_TOKEN".into(), "token-portal-browser".into());
        env.insert("AGLIS_FONNTE_URL".into(), wa_url);
        env.insert("AGLIS_MIDTRANS_SERVER_KEY".into(), KEY.into());
        env.insert("AGLIS_MIDTRANS_SNAP_URL".into(), mt_url.clone());
        env.insert("AGLIS_MIDTRANS_API_URL".into(), mt_url);
    })
    .await;
    midtrans.set_notification_url(Some(app.url("/api/webhooks/payments/midtrans")));
    let pkg = crate::billing::silver(&app).await;
    let customer =
        crate::billing::customer(&app, 7, pkg, CustomerStatus::Active, crate::billing::wib(2026, 10, 1, 10)).await;
    crate::billing::month(&app, "2026-12", false).await;
    let (_, admin) = app.user_with_token("andi", Role::Admin).await;
    let (tech_user, tech) = app.user_with_token("agus", Role::Technician).await;
    let technician: Value = app
        .post_json(
            "/api/v1/technicians",
            Some(&admin),
            &json!({"full_name": "Agus Setiawan", "phone": "0812-7777-1001", "user_id": tech_user.id,
                "work_zone": "Telukjambe", "skills": {"fiber_splicing": 4}}),
        )
        .await
        .json()
        .await
        .expect("json");
    // The queue runs as on a live server: WhatsApp goes out, payment callbacks are applied.
    let worker = {
        let state = app.state.clone();
        tokio::spawn(async move {
            let runner = Runner::new(state, Arc::new(builtin_registry()));
            loop {
                while runner.run_once().await.map(|r| r.claimed).unwrap_or(0) > 0 {}
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        })
    };
    let photo = crate::helpers::temp_dir("portal-photo").join("lampu_los.png");
    std::fs::write(&photo, TINY_PNG).expect("photo file");

    let driver = Driver::start().await;
    let b = Browser::open_sized(&driver, "id", PHONE).await;
    // Sign in with the code WhatsApp brought.
    b.go(&app.url("/portal?lang=id")).await;
    b.wait_url("/portal/login").await;
    b.fill("#phone", "0812-0000-0007").await;
    press(&b, "#send-code").await;
    b.wait_text("#code-sent", "kode 6 angka").await;
    let deadline = Instant::now() + Duration::from_secs(10);
    let code = loop {
        let got = wa
            .received()
            .iter()
            .rev()
            .find(|m| m.fields["target"] == "6281200000007")
            .map(|m| m.fields["message"].clone());
        if let Some(text) = got {
            break text.split('*').nth(1).expect("code between stars").to_owned();
        }
        assert!(Instant::now() < deadline, "the code reached WhatsApp");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    b.fill("#code", &code).await;
    press(&b, "#sign-in").await;
    b.wait_text("#owed", "Rp").await;
    b.fits().await;

    // Report a red LOS light with a photo of the modem.
    press(&b, "#report").await;
    b.wait_url("/portal/tickets/new").await;
    press(&b, "#problem-los_red").await;
    b.fill("#description", "Lampu LOS merah sejak subuh, internet mati").await;
    b.fill("#photo", photo.to_str().expect("path")).await;
    press(&b, "#send-report").await;
    b.wait_text("#timeline", "Foto ditambahkan").await;
    let at = b.url().await;
    let id: i64 = at.rsplit('/').next().and_then(|s| s.parse().ok()).expect("ticket id in the address");
    b.wait_text("#ticket-status", "dibuka").await;

    // The desk assigns Agus: the timeline says so, with his number.
    let res = app
        .post_json(&format!("/api/v1/tickets/{id}/assign"), Some(&admin), &json!({"technician_id": technician["id"]}))
        .await;
    assert_eq!(res.status(), reqwest::StatusCode::OK);
    b.go(&at).await;
    b.wait_text("#timeline", "ditugaskan — Agus Setiawan").await;
    b.wait_text("#technician", "Agus Setiawan").await;

    // Pay the bill from the home page on the fake Midtrans page.
    b.go(&app.url("/portal")).await;
    press(&b, "#bill a.button").await;
    b.wait_text("#invoice-status", "belum dibayar").await;
    b.click("#pay-qris").await;
    b.wait_url(&midtrans.url()[7..]).await;
    b.click("#pay-qris").await;
    b.wait_text("body", "Pembayaran berhasil").await;
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        b.go(&app.url("/portal")).await;
        if b.text("#bill").await.contains("Tidak ada tagihan") {
            break;
        }
        assert!(Instant::now() < deadline, "the payment reached the portal: {}", b.text("#bill").await);
        tokio::time::sleep(Duration::from_millis(300)).await;
    }

    // Agus fixes it; the customer confirms and rates the visit.
    let path = format!("/api/v1/tickets/{id}/transitions");
    assert_eq!(
        app.post_json(&path, Some(&tech), &json!({"to": "in_progress"})).await.status(),
        reqwest::StatusCode::OK
    );
    crate::helpers::upload_completion_photos(&app, &tech, id).await;
    let done = json!({"to": "resolved", "completion": {"odp_id": 2, "final_attenuation": "-21,4"}});
    assert_eq!(app.post_json(&path, Some(&tech), &done).await.status(), reqwest::StatusCode::OK);
    b.go(&at).await;
    press(&b, "#confirm").await;
    b.wait_text("#ticket-status", "ditutup").await;
    press(&b, "#stars-5").await;
    b.fill("#rate-comment", "Cepat dan ramah").await;
    press(&b, "#send-rating").await;
    b.wait_text("#rated", "5/5").await;
    b.close().await;
    worker.abort();

    let ratings = aglis_db::repo::tickets::ratings_by_lead(&app.state.db).await.expect("ratings");
    assert_eq!(ratings, vec![(technician["id"].as_i64().expect("id"), 1, 500)]);
    let payments = aglis_db::repo::payments::of_customer(&app.state.db, customer).await.expect("db");
    assert_eq!(payments.len(), 1, "{payments:?}");
}
