//! The customer portal's content and profile: staff write the help and the announcements (each
//! customer reads those for their city), and a customer changes their number by a code, the
//! messages they get and a password.

use crate::helpers::{ClockExt, TestApp, csrf_token};
use crate::portal::{Portal, code_sent_to, setup, sign_in};
use aglis_core::permission::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};

#[tokio::test]
async fn staff_write_the_help_and_announcements_and_each_customer_reads_those_for_their_city() {
    let p = setup().await;
    let app = &p.app;
    // Rina lives in Karawang; Yuliana moves to Bekasi.
    let other = aglis_db::repo::customers::get(&app.state.db, p.other).await.expect("db").expect("customer");
    let mut moved = aglis_db::repo::customers::Profile::from(&other);
    moved.city = "Bekasi".into();
    aglis_db::repo::customers::update_profile(&app.state.db, p.other, moved, "city", None, app.clock.now_utc())
        .await
        .expect("move");
    app.insert_user("sari.spv", Role::Supervisor).await;
    let desk = app.browser_login("sari.spv").await;
    let page = desk.get(app.url("/admin/portal")).send().await.expect("page").text().await.expect("html");
    assert!(page.contains("Bagaimana cara membayar tagihan?"), "the default questions are there to edit: {page}");
    let csrf = csrf_token(&page);
    let post = async |form: &[(&str, &str)]| {
        let mut all = vec![("csrf_token", csrf.as_str())];
        all.extend_from_slice(form);
        desk.post(app.url("/admin/portal")).form(&all).send().await.expect("post")
    };
    let res = post(&[
        ("kind", "announcement"),
        ("city", "karawang"),
        ("title_id", "Gangguan kabel Karawang Barat"),
        ("body_id", "Tim kami sedang memperbaiki kabel putus di Jl. Tuparev."),
        ("title_en", "Cable cut in West Karawang"),
        ("body_en", "Our team is repairing a cut cable on Jl. Tuparev."),
        ("ends_on", ""),
    ])
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let res = post(&[
        ("kind", "faq"),
        ("title_id", "Berapa lama pemasangan baru?"),
        ("body_id", "Biasanya 3–5 hari kerja setelah survei."),
    ])
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let res = post(&[("kind", "announcement"), ("title_id", "x"), ("body_id", "isi"), ("ends_on", "2020-01-01")]).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.expect("html");
    assert!(
        html.contains("tanggal terakhir tidak boleh sebelum hari ini") && html.contains("harus 3–200 karakter"),
        "{html}"
    );

    let rina = sign_in(&p, "0813-1000-0015", "6281310000015").await;
    let yuli = sign_in(&p, "0813-1000-0016", "6281310000016").await;
    let page_of = async |token: &str, path: &str| {
        app.api.get(app.url(path)).bearer_auth(token).send().await.expect("page").text().await.expect("html")
    };
    // The pages read the portal token as they read a browser's session.
    let home = page_of(&rina, "/portal?lang=en").await;
    assert!(home.contains("Cable cut in West Karawang"), "Karawang's customer reads it in English: {home}");
    let home = page_of(&yuli, "/portal").await;
    assert!(!home.contains("Gangguan kabel"), "Bekasi's customer does not");
    let help = page_of(&yuli, "/portal/help").await;
    assert!(help.contains("Berapa lama pemasangan baru?") && help.contains("Bagaimana cara membayar tagihan?"));
    let help = page_of(&yuli, "/portal/help?lang=en").await;
    assert!(
        help.contains("How do I pay my bill?") && help.contains("Berapa lama pemasangan baru?"),
        "no English: Indonesian stands in"
    );

    // A question is changed in place: its English text added.
    let page = desk.get(app.url("/admin/portal")).send().await.expect("page").text().await.expect("html");
    let faq = page.split("id=\"faq\"").nth(1).expect("the questions");
    let qid =
        faq.split("/admin/portal?edit=").nth(1).and_then(|s| s.split('"').next()).expect("an edit link").to_owned();
    let form =
        desk.get(app.url(&format!("/admin/portal?edit={qid}"))).send().await.expect("form").text().await.expect("html");
    assert!(form.contains(&format!("action=\"/admin/portal/{qid}\"")), "the form changes that question");
    let res = desk
        .post(app.url(&format!("/admin/portal/{qid}")))
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("kind", "faq"),
            ("title_id", "Internet mati, apa yang harus saya lakukan?"),
            ("body_id", "Matikan modem 1 menit lalu nyalakan lagi."),
            ("title_en", "Internet down: what now?"),
            ("body_en", "Switch the modem off for a minute."),
        ])
        .send()
        .await
        .expect("update");
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let help = page_of(&yuli, "/portal/help?lang=en").await;
    assert!(help.contains("Internet down: what now?"), "{help}");
    let res = desk
        .post(app.url("/admin/portal/987654"))
        .form(&[("csrf_token", csrf.as_str()), ("kind", "faq"), ("title_id", "Pertanyaan"), ("body_id", "Jawaban")])
        .send()
        .await
        .expect("update");
    assert_eq!(res.status(), StatusCode::NOT_FOUND);

    // Removed, it is gone from the portal.
    let page = desk.get(app.url("/admin/portal")).send().await.expect("page").text().await.expect("html");
    let id = page.split("/admin/portal/").nth(1).and_then(|s| s.split('/').next()).expect("an id");
    let res = desk
        .post(app.url(&format!("/admin/portal/{id}/delete")))
        .form(&[("csrf_token", csrf.as_str())])
        .send()
        .await
        .expect("delete");
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let home = page_of(&rina, "/portal").await;
    assert!(!home.contains("Gangguan kabel"), "{home}");
    // A customer may not edit the portal.
    assert_eq!(
        app.api.get(app.url("/admin/portal")).bearer_auth(&rina).send().await.expect("get").status(),
        StatusCode::FORBIDDEN
    );
}

/// A browser signed in to the portal as the customer with `phone`, and its CSRF token.
async fn portal_browser(p: &Portal, phone: &str, wa: &str) -> (reqwest::Client, String) {
    let app = &p.app;
    let browser = app.browser();
    let page = browser.get(app.url("/portal/login")).send().await.expect("page").text().await.expect("html");
    let csrf = csrf_token(&page);
    let res = browser
        .post(app.url("/portal/login"))
        .form(&[("csrf_token", csrf.as_str()), ("phone", phone)])
        .send()
        .await
        .expect("post");
    assert_eq!(res.status(), StatusCode::OK);
    let code = code_sent_to(p, wa).await.expect("code");
    let res = browser
        .post(app.url("/portal/login/code"))
        .form(&[("csrf_token", csrf.as_str()), ("phone", phone), ("code", code.as_str())])
        .send()
        .await
        .expect("post");
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let page = browser.get(app.url("/portal/profile")).send().await.expect("page").text().await.expect("html");
    (browser, csrf_token(&page))
}

async fn queued(app: &TestApp, event: &str, phone: &str) -> usize {
    use aglis_db::entity::messages::{Column, Entity};
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    Entity::find()
        .filter(Column::TemplateCode.eq(event))
        .filter(Column::Recipient.eq(phone))
        .all(&app.state.db)
        .await
        .expect("db")
        .len()
}

#[tokio::test]
async fn a_customer_changes_their_number_by_code_their_messages_and_a_password() {
    let p = setup().await;
    let app = &p.app;
    let (b, csrf) = portal_browser(&p, "0813-1000-0015", "6281310000015").await;
    let post = async |path: &str, form: &[(&str, &str)]| {
        let mut all = vec![("csrf_token", csrf.as_str())];
        all.extend_from_slice(form);
        let res = b.post(app.url(path)).form(&all).send().await.expect("post");
        (res.status(), res.text().await.expect("html"))
    };
    // E-mail: a bad one is named in Indonesian.
    let (status, html) = post("/portal/profile/email", &[("value", "rina@")]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("alamat e-mail ini tidak valid"), "{html}");
    let (status, _) = post("/portal/profile/email", &[("value", "rina.marlina@contoh.id")]).await;
    assert_eq!(status, StatusCode::OK);

    // A number: another customer's is refused; a new one needs the code sent to it.
    let (status, html) = post("/portal/profile/phone", &[("value", "0813-1000-0016")]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("sudah dipakai pelanggan lain"), "{html}");
    let (status, html) = post("/portal/profile/phone", &[("value", "0857-7777-8888")]).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("id=\"phone-confirm\""), "{html}");
    let code = code_sent_to(&p, "6285777778888").await.expect("a code to the new number");
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let (status, html) = post("/portal/profile/phone/confirm", &[("value", wrong)]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("kode salah; sisa 4 kali percobaan"), "{html}");
    let c = aglis_db::repo::customers::get(&app.state.db, p.mine).await.expect("db").expect("c");
    assert_eq!(c.phone, "6281310000015", "nothing changes before the code");
    let (status, html) = post("/portal/profile/phone/confirm", &[("value", code.as_str())]).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Nomor HP Anda sudah diganti") && html.contains("0857-7777-8888"), "{html}");
    let c = aglis_db::repo::customers::get(&app.state.db, p.mine).await.expect("db").expect("c");
    assert_eq!((c.phone.as_str(), c.email.as_deref()), ("6285777778888", Some("rina.marlina@contoh.id")));
    sign_in(&p, "0857-7777-8888", "6285777778888").await;

    // Messages: ticket news turned off is not queued; a receipt-like message still is.
    let (status, _) = post("/portal/profile/messages", &[("topic", "reminders"), ("topic", "news")]).await;
    assert_eq!(status, StatusCode::OK);
    let res = app
        .post_json(
            "/api/v1/tickets",
            Some(&p.admin),
            &json!({"customer_id": p.mine, "type": "repair", "priority": "normal", "description": "Internet lambat malam hari"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    assert_eq!(queued(app, "ticket_created", "6285777778888").await, 0, "turned off");
    let res = app
        .post_json(
            "/api/v1/tickets",
            Some(&p.admin),
            &json!({"customer_id": p.other, "type": "repair", "priority": "normal", "description": "Internet lambat malam hari"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    assert_eq!(queued(app, "ticket_created", "6281310000016").await, 1, "the other customer still hears");
    let page = b.get(app.url("/portal/profile")).send().await.expect("page").text().await.expect("html");
    assert!(!page.contains("id=\"topic-tickets\" checked") && page.contains("id=\"topic-news\" checked"), "{page}");

    // A password: then /login works with the customer code as the username.
    let (status, html) =
        post("/portal/profile/password", &[("value", "rahasia-portal"), ("again", "rahasia-lain")]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("kedua kata sandi tidak sama"));
    let (status, _) =
        post("/portal/profile/password", &[("value", "rahasia-portal"), ("again", "rahasia-portal")]).await;
    assert_eq!(status, StatusCode::OK);
    let username = c.code.to_lowercase();
    let res =
        app.post_json("/api/v1/auth/login", None, &json!({"username": username, "password": "rahasia-portal"})).await;
    assert_eq!(res.status(), StatusCode::OK);
    let token = res.json::<Value>().await.expect("json")["token"].as_str().expect("token").to_owned();
    assert_eq!(app.get("/api/v1/portal/me", Some(&token)).await.status(), StatusCode::OK);
}
