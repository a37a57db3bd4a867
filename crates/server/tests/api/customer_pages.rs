//! The customer and network pages as staff use them: search, create with errors shown per field,
//! status and port actions, packages and ODPs.

use crate::helpers::{csrf_token, spawn_app};
use aglis_core::permission::Role;
use reqwest::StatusCode;

async fn page(browser: &reqwest::Client, url: String) -> (StatusCode, String) {
    let res = browser.get(url).send().await.expect("page");
    (res.status(), res.text().await.expect("html"))
}

#[tokio::test]
async fn staff_set_up_the_network_and_a_customer_on_the_pages() {
    let app = spawn_app().await;
    app.insert_user("andi", Role::Admin).await;
    let browser = app.browser_login("andi").await;

    // A package, with a bad price first.
    let (_, html) = page(&browser, app.url("/admin/packages")).await;
    assert!(html.contains(&app.t("net.no_packages")), "empty state");
    let csrf = csrf_token(&html);
    let post = async |path: &str, form: &[(&str, &str)]| {
        let mut fields: Vec<(&str, &str)> = vec![("csrf_token", csrf.as_str())];
        fields.extend_from_slice(form);
        browser.post(app.url(path)).form(&fields).send().await.expect("post")
    };
    let res = post(
        "/admin/packages",
        &[
            ("name", "Home Silver 50M"),
            ("speed_mbps", "50"),
            ("monthly_price", "murah"),
            ("installation_fee", "100000"),
            ("is_active", "1"),
        ],
    )
    .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let res = post(
        "/admin/packages",
        &[
            ("name", "Home Silver 50M"),
            ("speed_mbps", "50"),
            ("monthly_price", "199.900"),
            ("installation_fee", "100.000"),
            ("is_active", "1"),
        ],
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, html) = page(&browser, app.url("/admin/packages")).await;
    assert!(html.contains("Rp 199.900"), "prices shown the Indonesian way");

    // An ODP.
    let res = post(
        "/admin/odps",
        &[
            ("code", "ODP-TJB-001-A03"),
            ("area", "Telukjambe Timur"),
            ("location", "Perum Galuh Mas tiang 1"),
            ("total_ports", "8"),
            ("status", "active"),
        ],
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let res = post(
        "/admin/odps",
        &[
            ("code", "ODP-TJB-001-A03"),
            ("area", "Telukjambe Timur"),
            ("location", "Duplikat"),
            ("total_ports", "8"),
            ("status", "active"),
        ],
    )
    .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "the code is taken");
    let (_, html) = page(&browser, app.url("/admin/odps?q=tjb")).await;
    assert!(html.contains("ODP-TJB-001-A03") && html.contains("0 / 8"));

    // A customer: errors per field, then created, activated and connected.
    let package_id = aglis_db::repo::packages::list(&app.state.db, true).await.expect("db")[0].id.to_string();
    let res = post(
        "/customers",
        &[("name", "W"), ("phone", "123"), ("address", "Jl. Kenanga No. 5"), ("package_id", &package_id)],
    )
    .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.expect("html");
    assert!(html.contains("Jl. Kenanga No. 5"), "what was typed is kept");
    let res = post(
        "/customers",
        &[
            ("name", "Wulan Sari"),
            ("phone", "0812 9999 1234"),
            ("address", "Perum Galuh Mas Blok F3 No. 21"),
            ("city", "Karawang"),
            ("package_id", &package_id),
            ("latitude", "-6,3227"),
            ("longitude", "107.2985"),
        ],
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let location = res.headers()["location"].to_str().expect("location").to_owned();
    let id = location.rsplit('/').next().expect("id").to_owned();

    let res = post(&format!("/customers/{id}/status"), &[("status", "suspended"), ("reason", "")]).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "a prospect cannot be suspended");
    assert_eq!(post(&format!("/customers/{id}/status"), &[("status", "active")]).await.status(), StatusCode::SEE_OTHER);
    let odp_id = aglis_db::repo::odps::with_free_ports(&app.state.db).await.expect("db")[0].id.to_string();
    assert_eq!(
        post(&format!("/customers/{id}/port"), &[("odp_id", &odp_id), ("port", "")]).await.status(),
        StatusCode::SEE_OTHER
    );
    let (status, html) = page(&browser, app.url(&location)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("ODP-TJB-001-A03") && html.contains("0812-9999-1234"),
        "the customer page shows port and phone"
    );
    assert!(html.contains("-6.3227"), "a decimal comma is read as a point");

    let (_, html) = page(&browser, app.url("/customers?q=wulan")).await;
    assert!(html.contains("Wulan Sari"));
    let (_, html) = page(&browser, app.url("/customers?q=zzzz")).await;
    assert!(html.contains(&app.t("cust.empty")), "the empty state helps");
}

#[tokio::test]
async fn technicians_see_customers_but_cannot_change_them_or_the_network() {
    let app = spawn_app().await;
    app.insert_user("agus", Role::Technician).await;
    let browser = app.browser_login("agus").await;
    assert_eq!(page(&browser, app.url("/customers")).await.0, StatusCode::OK);
    assert_eq!(page(&browser, app.url("/customers/new")).await.0, StatusCode::FORBIDDEN);
    assert_eq!(page(&browser, app.url("/admin/packages")).await.0, StatusCode::FORBIDDEN);
    assert_eq!(page(&browser, app.url("/admin/odps")).await.0, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_file_is_checked_then_imported_from_the_page() {
    let app = spawn_app().await;
    app.insert_user("andi", Role::Admin).await;
    let browser = app.browser_login("andi").await;
    let token = app.token("andi").await;
    app.post_json(
        "/api/v1/packages",
        Some(&token),
        &serde_json::json!({"name": "Home Bronze 30M", "speed_mbps": 30, "monthly_price": 149_900, "installation_fee": 100_000}),
    )
    .await;
    let csv = "nama;no_hp;alamat;kota;paket\nHendra Gunawan;0813-2222-3333;Jl. Pahlawan No. 9;Bekasi;Home Bronze 30M\n";
    let upload = async |action: &'static str, csrf: String| {
        let form = reqwest::multipart::Form::new()
            .text("csrf_token", csrf)
            .part("file", reqwest::multipart::Part::bytes(csv.as_bytes().to_vec()).file_name("pelanggan.csv"))
            .text("action", action);
        browser.post(app.url("/customers/import")).multipart(form).send().await.expect("upload")
    };
    let csrf = app.page_csrf(&browser, "/customers/import").await;
    let res = upload("check", csrf.clone()).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.text().await.expect("html").contains(&app.t("imp.clean")));
    let res = upload("import", csrf.clone()).await;
    assert!(res.text().await.expect("html").contains(&app.t("imp.done")));
    let (_, html) = page(&browser, app.url("/customers?q=hendra")).await;
    assert!(html.contains("Hendra Gunawan"));
    // A bad row is named in the page's language (Indonesian by default).
    let bad = "nama;no_hp;alamat;kota;paket\nDewi Lestari;0813;Jl. Kertabumi 3;Karawang;Paket Tidak Ada\n";
    let form = reqwest::multipart::Form::new()
        .text("csrf_token", csrf.clone())
        .part("file", reqwest::multipart::Part::bytes(bad.as_bytes().to_vec()).file_name("salah.csv"))
        .text("action", "check");
    let res = browser.post(app.url("/customers/import")).multipart(form).send().await.expect("upload");
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.expect("html");
    assert!(html.contains("tidak ada paket `Paket Tidak Ada`") && !html.contains("@val."), "{html}");
    let forged = upload("import", "not-the-token".into()).await;
    assert_eq!(forged.status(), StatusCode::FORBIDDEN, "uploads need the CSRF token too");
}
