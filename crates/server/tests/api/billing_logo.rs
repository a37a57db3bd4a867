//! The invoice logo: uploaded on the billing settings page (PNG, JPEG or SVG that typst can
//! print), printed on every PDF, served sandboxed for the preview, removable; audited.

use crate::billing::{customer, month, silver, wib};
use crate::helpers::{csrf_token, spawn_app};
use aglis_core::customer::CustomerStatus;
use aglis_core::permission::Role;
use reqwest::StatusCode;
use reqwest::multipart::{Form, Part};
use serde_json::Value;

/// A valid 2×1 PNG (red, blue).
fn png() -> Vec<u8> {
    use std::io::Write;
    let chunk = |kind: &[u8], data: &[u8]| {
        let mut out = (u32::try_from(data.len()).expect("len")).to_be_bytes().to_vec();
        let mut body = kind.to_vec();
        body.extend_from_slice(data);
        out.extend_from_slice(&body);
        out.extend_from_slice(&crc32(&body).to_be_bytes());
        out
    };
    let mut ihdr = Vec::new();
    ihdr.write_all(&2u32.to_be_bytes()).and_then(|()| ihdr.write_all(&1u32.to_be_bytes())).expect("write");
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    // Stored (uncompressed) deflate block of one scanline: filter 0, red, blue.
    let raw = [0u8, 255, 0, 0, 0, 0, 255];
    let mut idat = vec![0x78, 0x01, 0x01, 7, 0, !7u8, 0xFF];
    idat.extend_from_slice(&raw);
    idat.extend_from_slice(&adler32(&raw).to_be_bytes());
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    png.extend(chunk(b"IHDR", &ihdr));
    png.extend(chunk(b"IDAT", &idat));
    png.extend(chunk(b"IEND", &[]));
    png
}

fn crc32(data: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
        }
    }
    !crc
}

fn adler32(data: &[u8]) -> u32 {
    let (mut a, mut b) = (1u32, 0u32);
    for &x in data {
        a = (a + u32::from(x)) % 65_521;
        b = (b + a) % 65_521;
    }
    (b << 16) | a
}

#[tokio::test]
async fn a_manager_uploads_a_logo_the_pdf_prints_it_and_a_wrong_file_is_named_in_indonesian() {
    let app = spawn_app().await;
    let package = silver(&app).await;
    let id = customer(&app, 1, package, CustomerStatus::Active, wib(2026, 3, 1, 9)).await;
    month(&app, "2026-11", false).await;
    let (_, token) = app.user_with_token("rina", Role::Manager).await;
    let list: Value =
        app.get(&format!("/api/v1/invoices?customer_id={id}"), Some(&token)).await.json().await.expect("json");
    let inv = list["items"][0]["id"].as_i64().expect("invoice");
    let pdf = |app: &crate::helpers::TestApp| {
        let (url, token) = (app.url(&format!("/api/v1/invoices/{inv}/pdf")), token.clone());
        let client = app.api.clone();
        async move { client.get(url).bearer_auth(token).send().await.expect("pdf").bytes().await.expect("bytes").len() }
    };
    let plain = pdf(&app).await;

    let browser = app.browser_login("rina").await;
    let page = browser.get(app.url("/billing/settings")).send().await.expect("page").text().await.expect("html");
    assert!(page.contains(&app.t("logo.none")), "no logo yet");
    let csrf = csrf_token(&page);
    let upload = |bytes: Vec<u8>, name: &'static str| {
        let form = Form::new().text("csrf_token", csrf.clone()).part("logo", Part::bytes(bytes).file_name(name));
        browser.post(app.url("/billing/settings/logo")).multipart(form).send()
    };

    let res = upload(b"bukan gambar".to_vec(), "logo.png").await.expect("post");
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.expect("html").contains("logo harus PNG, JPEG atau SVG"), "by content, in Indonesian");
    let mut damaged = png();
    let last = damaged.len() - 20;
    damaged[last] ^= 0xFF;
    let res = upload(damaged, "logo.png").await.expect("post");
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "typst cannot print it: refused now");
    let res = upload(vec![b'x'; 300 * 1024], "besar.png").await.expect("post");
    assert!(res.text().await.expect("html").contains("256 KB"));

    let res = upload(png(), "logo.png").await.expect("post");
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let preview = browser.get(app.url("/billing/settings/logo")).send().await.expect("logo");
    assert_eq!(preview.headers()["content-type"], "image/png");
    assert!(preview.headers()["content-security-policy"].to_str().expect("csp").starts_with("sandbox"));
    assert!(pdf(&app).await > plain, "the PDF carries the image");
    let audit: Value = app
        .get("/api/v1/audit-logs?event=setting.changed", Some(&app.user_with_token("andi", Role::Admin).await.1))
        .await
        .json()
        .await
        .expect("json");
    assert!(
        audit["items"].as_array().is_some_and(|a| a.iter().any(|e| e["details"]["logo"] == "image/png")),
        "{audit}"
    );

    let form = Form::new().text("csrf_token", csrf.clone()).text("remove", "1");
    let res = browser.post(app.url("/billing/settings/logo")).multipart(form).send().await.expect("post");
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        browser.get(app.url("/billing/settings/logo")).send().await.expect("logo").status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(pdf(&app).await, plain, "back to the name only");
}
