//! Ticket attachments, comments and the first-response clock through the API and the ticket
//! page: an upload/download round trip, the 5 MB and file-type limits, who may see and add
//! files, the completion photos an installation needs to be resolved.

use crate::helpers::{TINY_PNG, TestApp, problem, spawn_app, upload_file};
use aglis_core::permission::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn customer(app: &TestApp, admin: &str, name: &str, phone: &str) -> i64 {
    let pkg: Value = app
        .post_json(
            "/api/v1/packages",
            Some(admin),
            &json!({"name": format!("Paket {name}"), "speed_mbps": 50, "monthly_price": 250_000, "installation_fee": 0}),
        )
        .await
        .json()
        .await
        .expect("json");
    let res = app
        .post_json(
            "/api/v1/customers",
            Some(admin),
            &json!({"name": name, "phone": phone, "address": "Perum Galuh Mas Blok F3 No. 21", "package_id": pkg["id"]}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    res.json::<Value>().await.expect("json")["id"].as_i64().expect("id")
}

async fn technician(app: &TestApp, admin: &str, user_id: i64, name: &str, phone: &str) -> i64 {
    let res = app
        .post_json(
            "/api/v1/technicians",
            Some(admin),
            &json!({"full_name": name, "phone": phone, "user_id": user_id, "work_zone": "Karawang Barat",
                "max_daily_tickets": 5, "skills": {"ftth_basic_install": 4}}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    res.json::<Value>().await.expect("json")["id"].as_i64().expect("id")
}

async fn ticket(app: &TestApp, token: &str, customer_id: i64, ticket_type: &str) -> i64 {
    let res = app
        .post_json(
            "/api/v1/tickets",
            Some(token),
            &json!({"customer_id": customer_id, "type": ticket_type, "priority": "high",
                "description": "Pemasangan baru, pelanggan minta sore hari"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    res.json::<Value>().await.expect("json")["id"].as_i64().expect("id")
}

async fn detail(app: &TestApp, token: &str, id: i64) -> Value {
    let res = app.get(&format!("/api/v1/tickets/{id}"), Some(token)).await;
    assert_eq!(res.status(), StatusCode::OK);
    res.json().await.expect("json")
}

/// A JPEG-looking body of `n` bytes.
fn jpeg(n: usize) -> Vec<u8> {
    let mut b = vec![0xFF, 0xD8, 0xFF, 0xE0];
    b.resize(n, 0x5A);
    b
}

#[tokio::test]
async fn a_photo_goes_up_comes_back_identical_and_bad_files_are_refused() {
    let app = spawn_app().await;
    let (_, admin) = app.user_with_token("andi", Role::Admin).await;
    let cid = customer(&app, &admin, "Rina Marlina", "0813-2222-3333").await;
    let id = ticket(&app, &admin, cid, "repair").await;

    let body = jpeg(300_000);
    let res = upload_file(&app, &admin, id, "before", "../../etc/IMG 0012.JPG", "image/jpeg", body.clone()).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let a: Value = res.json().await.expect("json");
    assert_eq!((a["kind"].as_str(), a["content_type"].as_str()), (Some("before"), Some("image/jpeg")));
    assert_eq!(a["filename"], "IMG 0012.jpg", "the path is dropped from the client's name");
    assert_eq!(a["size"], 300_000);
    let list: Value =
        app.get(&format!("/api/v1/tickets/{id}/attachments"), Some(&admin)).await.json().await.expect("json");
    assert_eq!(list["total"], 1);
    assert_eq!(list["items"][0]["id"], a["id"]);

    let res = app.get(a["url"].as_str().expect("url"), Some(&admin)).await;
    assert_eq!(res.status(), StatusCode::OK);
    let header = |name: &str| res.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    assert_eq!(header("content-type"), "image/jpeg");
    assert_eq!(header("x-content-type-options"), "nosniff");
    assert!(
        header("content-disposition").starts_with("inline; filename=\"IMG 0012.jpg\""),
        "{}",
        header("content-disposition")
    );
    assert_eq!(res.bytes().await.expect("bytes").to_vec(), body, "the same bytes come back");

    // The stored object is named by the server, inside the storage directory.
    let files = app.state.config.data_dir.join("files").join(format!("tickets/{id}"));
    let names: Vec<String> = std::fs::read_dir(&files)
        .map(|d| d.filter_map(|e| e.ok()).map(|e| e.file_name().to_string_lossy().into_owned()).collect())
        .unwrap_or_default();
    assert!(
        names.len() == 1 && names[0].ends_with(".jpg") && !names[0].contains("IMG"),
        "{names:?} in {}",
        files.display()
    );

    // 5 MB is the limit; one byte more is a 413 the client can read (not a reset connection).
    let limit = 5 * 1024 * 1024;
    let res = upload_file(&app, &admin, id, "after", "besar.jpg", "image/jpeg", jpeg(limit + 1)).await;
    let p = problem(res, 413).await;
    assert!(p["detail"].as_str().is_some_and(|d| d.contains("5 MB")), "{p}");
    let res = upload_file(&app, &admin, id, "after", "pas.jpg", "image/jpeg", jpeg(limit)).await;
    assert_eq!(res.status(), StatusCode::CREATED, "exactly 5 MB is accepted");

    // The type comes from the bytes, whatever the name and the claimed type say.
    let exe = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff".to_vec();
    let p = problem(upload_file(&app, &admin, id, "after", "foto.png", "image/png", exe).await, 415).await;
    assert!(p["detail"].as_str().is_some_and(|d| d.contains("JPEG")), "{p}");
    let text = b"ini bukan gambar, hanya teks".to_vec();
    problem(upload_file(&app, &admin, id, "after", "foto.png", "image/png", text).await, 415).await;
    problem(upload_file(&app, &admin, id, "otdr", "trace.pdf", "application/pdf", b"%PDF-1.7\n".to_vec()).await, 415)
        .await;
    let pdf = upload_file(&app, &admin, id, "document", "surat.pdf", "application/pdf", b"%PDF-1.7\n%%EOF".to_vec());
    assert_eq!(pdf.await.status(), StatusCode::CREATED, "a PDF is a document");
    let p = problem(upload_file(&app, &admin, id, "selfie", "a.png", "image/png", TINY_PNG.to_vec()).await, 422).await;
    assert!(p["errors"]["kind"].is_array(), "{p}");
    let res = app
        .api
        .post(app.url(&format!("/api/v1/tickets/{id}/attachments")))
        .bearer_auth(&admin)
        .json(&json!({"file": "x"}))
        .send()
        .await
        .expect("json upload");
    problem(res, 415).await;
    let list: Value =
        app.get(&format!("/api/v1/tickets/{id}/attachments"), Some(&admin)).await.json().await.expect("json");
    assert_eq!(list["total"], 3, "only the accepted files are recorded: {list}");
    let history = detail(&app, &admin, id).await["history"].clone();
    assert!(history.as_array().expect("history").iter().any(|e| e["kind"] == "attachment"), "{history}");

    // Removal: the row and the object go.
    let del = app.api.delete(app.url(a["url"].as_str().expect("url"))).bearer_auth(&admin).send().await.expect("del");
    assert_eq!(del.status(), StatusCode::NO_CONTENT);
    problem(app.get(a["url"].as_str().expect("url"), Some(&admin)).await, 404).await;
    problem(app.get(&format!("/api/v1/tickets/{id}/attachments/abc"), Some(&admin)).await, 404).await;
}

#[tokio::test]
async fn files_and_comments_are_seen_as_the_ticket_is() {
    let app = spawn_app().await;
    let (_, admin) = app.user_with_token("andi", Role::Admin).await;
    let (agus_user, agus) = app.user_with_token("agus", Role::Technician).await;
    let (budi_user, budi) = app.user_with_token("budi", Role::Technician).await;
    let agus_id = technician(&app, &admin, agus_user.id, "Agus Setiawan", "0812-7777-1001").await;
    technician(&app, &admin, budi_user.id, "Budi Santoso", "0812-7777-1002").await;
    let siti = customer(&app, &admin, "Siti Rahayu", "0857-2233-4455").await;
    let joko = customer(&app, &admin, "Joko Widodo", "0857-9988-7766").await;
    let sitis = ticket(&app, &admin, siti, "repair").await;
    let jokos = ticket(&app, &admin, joko, "repair").await;
    let res = app
        .post_json(&format!("/api/v1/tickets/{sitis}/assign"), Some(&admin), &json!({"technician_id": agus_id}))
        .await;
    assert_eq!(res.status(), StatusCode::OK);

    // The technician on the ticket adds photos; another technician cannot reach it.
    let res = upload_file(&app, &agus, sitis, "during", "kabel.png", "image/png", TINY_PNG.to_vec()).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let photo: Value = res.json().await.expect("json");
    let url = photo["url"].as_str().expect("url").to_owned();
    problem(upload_file(&app, &budi, sitis, "during", "x.png", "image/png", TINY_PNG.to_vec()).await, 404).await;
    problem(app.get(&url, Some(&budi)).await, 404).await;

    // A customer sees their own ticket's files (through the portal) and may add a photo of the
    // problem, not evidence.
    let (siti_user, siti_token) = app.user_with_token("siti.portal", Role::Customer).await;
    aglis_db::repo::customers::set_user(&app.state.db, siti, Some(siti_user.id)).await.expect("link");
    let portal = |url: &str| url.replace("/api/v1/tickets/", "/api/v1/portal/tickets/");
    assert_eq!(app.get(&portal(&url), Some(&siti_token)).await.status(), StatusCode::OK);
    problem(app.get(&url, Some(&siti_token)).await, 403).await;
    let portal_upload = async |id: i64, kind: &str| {
        let part = reqwest::multipart::Part::bytes(TINY_PNG.to_vec())
            .file_name("lampu_los.png")
            .mime_str("image/png")
            .expect("mime");
        let form = reqwest::multipart::Form::new().text("kind", kind.to_owned()).part("file", part);
        app.api
            .post(app.url(&format!("/api/v1/portal/tickets/{id}/attachments")))
            .bearer_auth(&siti_token)
            .multipart(form)
            .send()
            .await
            .expect("upload")
    };
    let own = portal_upload(sitis, "before").await;
    assert_eq!(own.status(), StatusCode::CREATED);
    problem(portal_upload(sitis, "otdr").await, 403).await;
    // Another customer's ticket does not exist for her, nor its files.
    let jokos_photo = upload_file(&app, &admin, jokos, "before", "rumah.png", "image/png", TINY_PNG.to_vec()).await;
    let jokos_url = jokos_photo.json::<Value>().await.expect("json")["url"].as_str().expect("url").to_owned();
    problem(app.get(&portal(&jokos_url), Some(&siti_token)).await, 404).await;
    problem(portal_upload(jokos, "before").await, 404).await;
    let comment = async |token: &str, id: i64, body: &str| {
        let path = if token == siti_token {
            format!("/api/v1/portal/tickets/{id}/comments")
        } else {
            format!("/api/v1/tickets/{id}/comments")
        };
        app.post_json(&path, Some(token), &json!({"body": body})).await
    };
    problem(comment(&siti_token, jokos, "halo").await, 404).await;
    // An attachment id of one ticket under another ticket's address is not found either.
    let crossed = jokos_url.replace(&format!("/tickets/{jokos}/"), &format!("/tickets/{sitis}/"));
    problem(app.get(&crossed, Some(&admin)).await, 404).await;

    // Comments land in the history, newest first, with who wrote them.
    let res = comment(&agus, sitis, "  Kabel drop putus di tiang depan, perlu 80 m kabel baru.  ").await;
    assert_eq!(res.status(), StatusCode::CREATED);
    assert_eq!(comment(&siti_token, sitis, "Saya di rumah setelah jam 13.00").await.status(), StatusCode::CREATED);
    problem(comment(&agus, sitis, "   ").await, 422).await;
    problem(comment(&agus, sitis, &"x".repeat(2001)).await, 422).await;
    let history = detail(&app, &admin, sitis).await["history"].clone();
    let comments: Vec<(&str, i64)> = history
        .as_array()
        .expect("history")
        .iter()
        .filter(|e| e["kind"] == "comment")
        .map(|e| (e["detail"].as_str().unwrap_or_default(), e["actor_id"].as_i64().unwrap_or_default()))
        .collect();
    assert_eq!(
        comments,
        [
            ("Saya di rumah setelah jam 13.00", siti_user.id),
            ("Kabel drop putus di tiang depan, perlu 80 m kabel baru.", agus_user.id)
        ]
    );

    // Only the uploader (while the ticket is worked) or a supervisor removes a file.
    let own_url = own.json::<Value>().await.expect("json")["url"].as_str().expect("url").replace("/portal/", "/");
    let del = |token: &str, u: &str| app.api.delete(app.url(u)).bearer_auth(token.to_owned()).send();
    problem(del(&agus, &own_url).await.expect("del"), 403).await;
    assert_eq!(del(&agus, &url).await.expect("del").status(), StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn an_installation_resolves_only_with_its_three_photos() {
    let app = spawn_app().await;
    let (_, admin) = app.user_with_token("andi", Role::Admin).await;
    let (agus_user, agus) = app.user_with_token("agus", Role::Technician).await;
    let agus_id = technician(&app, &admin, agus_user.id, "Agus Setiawan", "0812-7777-1001").await;
    let cid = customer(&app, &admin, "Wulan Sari", "0812-9999-1234").await;
    let id = ticket(&app, &admin, cid, "installation").await;
    app.post_json(&format!("/api/v1/tickets/{id}/assign"), Some(&admin), &json!({"technician_id": agus_id})).await;
    let step =
        async |body: Value| app.post_json(&format!("/api/v1/tickets/{id}/transitions"), Some(&agus), &body).await;
    assert_eq!(step(json!({"to": "in_progress"})).await.status(), StatusCode::OK);
    let resolve = json!({"to": "resolved", "completion": {"odp_id": 2, "odp_port": 5, "final_attenuation": -19.6,
        "modem_serial": "ZTEGC8F1A2B3", "wifi_name": "Wulan_Home", "wifi_password": "galuhmas2026"}});

    let p = problem(step(resolve.clone()).await, 422).await;
    for kind in ["otdr", "attenuation", "modem_sn"] {
        assert!(p["errors"][format!("photo.{kind}")].is_array(), "{kind} is named: {p}");
    }
    for kind in ["otdr", "modem_sn"] {
        let res = upload_file(&app, &agus, id, kind, "foto.png", "image/png", TINY_PNG.to_vec()).await;
        assert_eq!(res.status(), StatusCode::CREATED);
    }
    let p = problem(step(resolve.clone()).await, 422).await;
    let named: Vec<&String> = p["errors"].as_object().expect("errors").keys().collect();
    assert_eq!(named, ["photo.attenuation"], "only the missing photo: {p}");
    assert!(p["detail"].as_str().is_some_and(|d| d.contains("power meter")), "{p}");
    let res = upload_file(&app, &agus, id, "attenuation", "redaman.png", "image/png", TINY_PNG.to_vec()).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let res = step(resolve).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.json::<Value>().await.expect("json")["status"], "resolved");

    // Resolved, the photos are the record of the work: the technician can no longer remove them.
    let list: Value =
        app.get(&format!("/api/v1/tickets/{id}/attachments"), Some(&agus)).await.json().await.expect("json");
    let url = list["items"][0]["url"].as_str().expect("url").to_owned();
    problem(app.api.delete(app.url(&url)).bearer_auth(&agus).send().await.expect("del"), 403).await;

    // A repair needs no photo.
    let repair = ticket(&app, &admin, cid, "repair").await;
    app.post_json(&format!("/api/v1/tickets/{repair}/assign"), Some(&admin), &json!({"technician_id": agus_id})).await;
    let step =
        async |body: Value| app.post_json(&format!("/api/v1/tickets/{repair}/transitions"), Some(&agus), &body).await;
    assert_eq!(step(json!({"to": "in_progress"})).await.status(), StatusCode::OK);
    let res = step(json!({"to": "resolved", "completion": {"odp_id": 2, "final_attenuation": -20.1}})).await;
    assert_eq!(res.status(), StatusCode::OK);
}

#[tokio::test]
async fn the_first_response_is_the_first_staff_action() {
    let app = spawn_app().await;
    let (_, admin) = app.user_with_token("andi", Role::Admin).await;
    let (agus_user, _) = app.user_with_token("agus", Role::Technician).await;
    let agus_id = technician(&app, &admin, agus_user.id, "Agus Setiawan", "0812-7777-1001").await;
    let cid = customer(&app, &admin, "Dewi Lestari", "0812-1000-2000").await;
    let (siti_user, siti_token) = app.user_with_token("dewi.portal", Role::Customer).await;
    aglis_db::repo::customers::set_user(&app.state.db, cid, Some(siti_user.id)).await.expect("link");
    let id = ticket(&app, &admin, cid, "repair").await;

    let fr = detail(&app, &admin, id).await["first_response"].clone();
    assert_eq!((fr["state"].as_str(), fr["responded_at"].as_str()), (Some("pending"), None), "{fr}");
    assert_eq!(
        (fr["target_minutes"].as_i64(), fr["minutes_left"].as_i64()),
        (Some(30), Some(30)),
        "high: 30 min, 24/7"
    );
    assert!(fr["due_at"].is_string());

    // The customer's own comment is not a response.
    app.clock.advance(chrono::Duration::minutes(5));
    let res = app
        .post_json(&format!("/api/v1/portal/tickets/{id}/comments"), Some(&siti_token), &json!({"body": "Masih mati"}))
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    assert_eq!(detail(&app, &admin, id).await["first_response"]["state"], "pending");

    // The assignment 12 minutes in is.
    app.clock.advance(chrono::Duration::minutes(7));
    let assigned_at = crate::helpers::ClockExt::now_utc(&app.clock);
    let res =
        app.post_json(&format!("/api/v1/tickets/{id}/assign"), Some(&admin), &json!({"technician_id": agus_id})).await;
    assert_eq!(res.status(), StatusCode::OK);
    app.clock.advance(chrono::Duration::hours(2));
    let fr = detail(&app, &admin, id).await["first_response"].clone();
    assert_eq!(
        (fr["state"].as_str(), fr["met"].as_bool(), fr["minutes_left"].as_i64()),
        (Some("met"), Some(true), Some(18))
    );
    let at = fr["responded_at"].as_str().and_then(|s| chrono::DateTime::parse_from_rfc3339(s).ok()).expect("at");
    assert_eq!(at, assigned_at);

    // A ticket nobody answers breaches its first response.
    let silent = ticket(&app, &admin, cid, "repair").await;
    app.clock.advance(chrono::Duration::minutes(31));
    let fr = detail(&app, &admin, silent).await["first_response"].clone();
    assert_eq!((fr["state"].as_str(), fr["breached"].as_bool()), (Some("breached"), Some(true)), "{fr}");
    // A staff comment answers a ticket.
    let third = ticket(&app, &admin, cid, "repair").await;
    app.post_json(&format!("/api/v1/tickets/{third}/comments"), Some(&admin), &json!({"body": "Sudah kami cek"})).await;
    assert_eq!(detail(&app, &admin, third).await["first_response"]["state"], "met");
}

/// Posts a multipart form through the page with the browser's CSRF token first, as the page does.
async fn page_upload(
    app: &TestApp,
    browser: &reqwest::Client,
    id: i64,
    kind: &str,
    bytes: Vec<u8>,
) -> reqwest::Response {
    let csrf = app.page_csrf(browser, &format!("/tickets/{id}")).await;
    let part = reqwest::multipart::Part::bytes(bytes).file_name("foto.jpg").mime_str("image/jpeg").expect("mime");
    let form =
        reqwest::multipart::Form::new().text("csrf_token", csrf).text("kind", kind.to_owned()).part("file", part);
    browser.post(app.url(&format!("/tickets/{id}/attachments"))).multipart(form).send().await.expect("upload")
}

#[tokio::test]
async fn the_ticket_page_uploads_comments_and_shows_the_first_response() {
    let app = spawn_app().await;
    let (_, admin) = app.user_with_token("andi", Role::Admin).await;
    let agus_user = app.insert_user("agus", Role::Technician).await;
    let agus_id = technician(&app, &admin, agus_user.id, "Agus Setiawan", "0812-7777-1001").await;
    let cid = customer(&app, &admin, "Wulan Sari", "0812-9999-1234").await;
    let id = ticket(&app, &admin, cid, "installation").await;
    app.post_json(&format!("/api/v1/tickets/{id}/assign"), Some(&admin), &json!({"technician_id": agus_id})).await;

    let browser = app.browser_login("agus").await;
    let html = browser.get(app.url(&format!("/tickets/{id}"))).send().await.expect("page").text().await.expect("html");
    assert!(html.contains(&app.t("ticket.fr.title")) && html.contains(&app.t("ticket.fr.met")), "first response shown");
    assert!(html.contains(&app.t("ticket.att.empty")), "the empty state");
    assert!(html.contains("enctype=\"multipart/form-data\"") && html.contains("name=\"body\""));

    let res = page_upload(&app, &browser, id, "otdr", jpeg(2_000)).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(res.headers()["location"], format!("/tickets/{id}#files"));
    let res = page_upload(&app, &browser, id, "modem_sn", jpeg(5 * 1024 * 1024 + 1)).await;
    assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert!(res.text().await.expect("html").contains(&app.t("ticket.att.err_large")), "the page says why");
    let res = page_upload(&app, &browser, id, "modem_sn", b"GIF? no, text".to_vec()).await;
    assert_eq!(res.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);

    let csrf = app.page_csrf(&browser, &format!("/tickets/{id}")).await;
    let res = browser
        .post(app.url(&format!("/tickets/{id}/comments")))
        .form(&[("csrf_token", csrf.as_str()), ("body", "ODP penuh, pakai port 8 di ODP sebelah")])
        .send()
        .await
        .expect("comment");
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let res = browser
        .post(app.url(&format!("/tickets/{id}/comments")))
        .form(&[("csrf_token", csrf.as_str()), ("body", " ")])
        .send()
        .await
        .expect("comment");
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = browser.get(app.url(&format!("/tickets/{id}"))).send().await.expect("page").text().await.expect("html");
    assert!(html.contains("ODP penuh, pakai port 8 di ODP sebelah"), "the comment is in the history");
    assert!(html.contains(&app.t("ticket.att.kind.otdr")) && html.contains("foto.jpg"), "the file is listed");
    let list: Value =
        app.get(&format!("/api/v1/tickets/{id}/attachments"), Some(&admin)).await.json().await.expect("json");
    assert_eq!(list["total"], 1);
    let aid = list["items"][0]["id"].as_i64().expect("id");
    assert!(html.contains(&format!("<img src=\"/tickets/{id}/attachments/{aid}\"")), "a thumbnail");
    let res = browser.get(app.url(&format!("/tickets/{id}/attachments/{aid}"))).send().await.expect("file");
    assert_eq!(res.headers()["content-type"], "image/jpeg");
    assert_eq!(res.bytes().await.expect("bytes").len(), 2_000);

    // Removing needs the CSRF token; with it the uploader removes the file.
    let res = browser.post(app.url(&format!("/tickets/{id}/attachments/{aid}/delete"))).send().await.expect("post");
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let res = browser
        .post(app.url(&format!("/tickets/{id}/attachments/{aid}/delete")))
        .form(&[("csrf_token", csrf.as_str())])
        .send()
        .await
        .expect("post");
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let list: Value =
        app.get(&format!("/api/v1/tickets/{id}/attachments"), Some(&admin)).await.json().await.expect("json");
    assert_eq!(list["total"], 0);
}

#[tokio::test]
async fn a_file_whose_row_cannot_be_written_does_not_stay_in_storage() {
    use sea_orm::ConnectionTrait;
    let app = spawn_app().await;
    let (_, admin) = app.user_with_token("andi", Role::Admin).await;
    let cid = customer(&app, &admin, "Rina Marlina", "0813-2222-3333").await;
    let id = ticket(&app, &admin, cid, "repair").await;
    let dir = app.state.config.data_dir.join("files").join(format!("tickets/{id}"));
    let stored = || std::fs::read_dir(&dir).map(|d| d.count()).unwrap_or(0);
    let res = upload_file(&app, &admin, id, "before", "a.png", "image/png", TINY_PNG.to_vec()).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    assert_eq!(stored(), 1, "the object is written");
    // A trigger refuses new rows: the insert fails after the object was written.
    let refuse = if crate::helpers::on_postgres() {
        "CREATE FUNCTION refuse_rows() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'refused'; END $$ LANGUAGE plpgsql;
         CREATE TRIGGER refuse_rows BEFORE INSERT ON ticket_attachments FOR EACH ROW EXECUTE FUNCTION refuse_rows();"
    } else {
        "CREATE TRIGGER refuse_rows BEFORE INSERT ON ticket_attachments BEGIN SELECT RAISE(ABORT, 'refused'); END;"
    };
    app.state.db.execute_unprepared(refuse).await.expect("trigger");
    let res = upload_file(&app, &admin, id, "after", "b.png", "image/png", TINY_PNG.to_vec()).await;
    assert_eq!(res.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(stored(), 1, "the second object was removed again");
}

#[tokio::test]
async fn the_demo_tickets_have_comments_and_photos() {
    use aglis_core::ticket::{TicketStatus, TicketType};
    use aglis_db::repo::{ticket_attachments, tickets};
    let app = spawn_app().await;
    aglis_server::demo::seed(&app.state).await.expect("demo");
    let q = tickets::TicketQuery { page: 1, per_page: 100, ..Default::default() };
    let (all, _, _) = tickets::list(&app.state.db, &q).await.expect("tickets");
    let mut files = 0;
    for t in &all {
        files += ticket_attachments::count(&app.state.db, t.id).await.expect("count");
    }
    if files == 0 {
        // Until the demo calls it itself.
        aglis_server::tickets::attachments::seed_demo(&app.state).await.expect("seed");
    }
    let working = all
        .iter()
        .find(|t| t.ticket_type == TicketType::Installation && t.status == TicketStatus::InProgress)
        .expect("an installation being worked");
    let kinds: Vec<String> = ticket_attachments::list(&app.state.db, working.id)
        .await
        .expect("list")
        .iter()
        .map(|a| a.kind.to_string())
        .collect();
    assert!(kinds.contains(&"otdr".to_owned()) && !kinds.contains(&"modem_sn".to_owned()), "{kinds:?}");
    let events = tickets::events(&app.state.db, working.id).await.expect("events");
    assert!(events.iter().any(|e| e.kind == "comment" && e.detail.contains("Redaman")), "an Indonesian comment");

    // Every stored photo downloads as a PNG, and the page shows the first response.
    let admin = app.browser();
    let page = admin.get(app.url("/login")).send().await.expect("login").text().await.expect("html");
    let token = crate::helpers::csrf_token(&page);
    let form = [("username", "supervisor"), ("password", aglis_server::demo::DEMO_PASSWORD), ("csrf_token", &token)];
    admin.post(app.url("/login")).form(&form).send().await.expect("login");
    for a in ticket_attachments::list(&app.state.db, working.id).await.expect("list") {
        let res =
            admin.get(app.url(&format!("/tickets/{}/attachments/{}", working.id, a.id))).send().await.expect("get");
        assert_eq!(res.status(), StatusCode::OK);
        let bytes = res.bytes().await.expect("bytes");
        assert_eq!(aglis_core::attachment::FileType::sniff(&bytes), Some(aglis_core::attachment::FileType::Png));
    }
    let html =
        admin.get(app.url(&format!("/tickets/{}", working.id))).send().await.expect("page").text().await.expect("html");
    assert!(html.contains(&app.t("ticket.fr.title")) && html.contains("otdr_trace.png"), "the page shows the files");
}
