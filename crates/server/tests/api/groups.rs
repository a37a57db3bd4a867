//! Recipient groups: admins edit them; a send to a group makes one message per member who has a
//! number (or address), greeting each by name when the template has `{{name}}`.

use crate::helpers::{ClockExt, csrf_token, problem, spawn_app};
use aglis_core::permission::Role;
use aglis_db::repo::messages::{self, MessageQuery};
use aglis_db::repo::users::{self, NewUser};
use reqwest::StatusCode;
use serde_json::{Value, json};

/// A staff member with a phone and no login.
async fn staff(app: &crate::helpers::TestApp, username: &str, name: &str, role: Role, phone: Option<&str>) {
    let new = NewUser {
        username: username.into(),
        email: Some(format!("{username}@aglis.test")),
        full_name: name.into(),
        phone: phone.map(str::to_owned),
        role,
        password_hash: "not-a-login".into(),
    };
    users::create(&app.state.db, new, app.clock.now_utc()).await.expect("user");
}

#[tokio::test]
async fn a_group_send_reaches_each_member_with_a_number_once_by_name() {
    let app = spawn_app().await;
    let (_, admin) = app.user_with_token("andi", Role::Admin).await;
    staff(&app, "dedi", "Dedi Kurniawan", Role::Technician, Some("6285710000011")).await;
    staff(&app, "eko", "Eko Saputra", Role::Technician, Some("6285710000012")).await;
    staff(&app, "joko", "Joko Susilo", Role::Technician, None).await;
    staff(&app, "siti", "Siti Nurhaliza", Role::Supervisor, Some("6281210000002")).await;

    let res = app
        .post_json(
            "/api/v1/recipient-groups",
            Some(&admin),
            &json!({"name": "Teknisi Karawang", "roles": ["technician"], "members": ["0857-1000-0012", "0813-9999-0001"]}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let group: Value = res.json().await.expect("json");
    assert_eq!(group["whatsapp_recipients"], 4, "Dedi, Eko, and two extra numbers (Joko has none)");
    assert_eq!(group["members"], json!(["6285710000012", "6281399990001"]));

    let vars = json!({"title": "Rapat pagi", "text": "Kumpul di kantor Karawang pukul 07.30 WIB."});
    let res = app
        .post_json(
            "/api/v1/notifications",
            Some(&admin),
            &json!({"channel": "whatsapp", "group": "teknisi karawang", "template": "announcement", "variables": vars}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::ACCEPTED);
    let accepted: Value = res.json().await.expect("json");
    assert_eq!(accepted["ids"].as_array().map(Vec::len), Some(3), "Eko's number is in the group twice: one message");

    let q = MessageQuery { page: 1, per_page: 50, ..MessageQuery::default() };
    let sent = messages::list(&app.state.db, &q).await.expect("list").items;
    let mut to: Vec<&str> = sent.iter().map(|m| m.recipient.as_str()).collect();
    to.sort_unstable();
    assert_eq!(to, ["6281399990001", "6285710000011", "6285710000012"]);
    let dedi = sent.iter().find(|m| m.recipient == "6285710000011").expect("Dedi's message");
    assert!(dedi.body.starts_with("Halo Dedi Kurniawan,"), "{}", dedi.body);
    let extra = sent.iter().find(|m| m.recipient == "6281399990001").expect("extra member's message");
    assert!(extra.body.contains("Kumpul di kantor Karawang"), "{}", extra.body);

    // By id too, and by e-mail: every technician has an address.
    let gid = group["id"].as_i64().expect("id");
    let res = app
        .post_json(
            "/api/v1/notifications",
            Some(&admin),
            &json!({"channel": "email", "group": gid, "subject": "Info", "body": "Jadwal piket terlampir."}),
        )
        .await;
    assert_eq!(res.json::<Value>().await.expect("json")["ids"].as_array().map(Vec::len), Some(3));
}

#[tokio::test]
async fn unusable_groups_are_named_in_the_error() {
    let app = spawn_app().await;
    let (_, admin) = app.user_with_token("andi", Role::Admin).await;
    let create = async |body: Value| app.post_json("/api/v1/recipient-groups", Some(&admin), &body).await;
    assert_eq!(create(json!({"name": "NOC", "roles": ["noc"]})).await.status(), StatusCode::CREATED);
    problem(create(json!({"name": "noc", "roles": ["noc"]})).await, 409).await;
    let p = problem(create(json!({"name": "", "roles": ["penyihir"], "members": ["12"]})).await, 422).await;
    for field in ["name", "roles", "members"] {
        assert!(p["errors"][field].is_array(), "{field}: {p}");
    }

    let send = async |group: Value| {
        let body = json!({"channel": "whatsapp", "group": group, "body": "Tes"});
        app.post_json("/api/v1/notifications", Some(&admin), &body).await
    };
    let p = problem(send(json!("Tidak Ada")).await, 404).await;
    assert!(p["errors"]["group"].is_array(), "{p}");
    let p = problem(send(json!("NOC")).await, 422).await;
    assert!(p["errors"]["group"][0].as_str().is_some_and(|m| m.contains("nobody")), "no NOC user has a number: {p}");
}

#[tokio::test]
async fn only_admins_edit_groups_and_staff_can_list_them() {
    let app = spawn_app().await;
    let (_, admin) = app.user_with_token("andi", Role::Admin).await;
    let (_, cs) = app.user_with_token("dewi", Role::CustomerService).await;
    problem(app.post_json("/api/v1/recipient-groups", Some(&cs), &json!({"name": "X", "roles": ["noc"]})).await, 403)
        .await;
    let res = app
        .post_json("/api/v1/recipient-groups", Some(&admin), &json!({"name": "CS", "roles": ["customer_service"]}))
        .await;
    let id = res.json::<Value>().await.expect("json")["id"].as_i64().expect("id");
    let list: Value = app.get("/api/v1/recipient-groups", Some(&cs)).await.json().await.expect("json");
    assert_eq!((list["total"].as_u64(), list["items"].as_array().map(Vec::len)), (Some(1), Some(1)));
    let path = format!("/api/v1/recipient-groups/{id}");
    let res = app
        .send_json(
            reqwest::Method::PUT,
            &path,
            Some(&admin),
            &json!({"name": "CS Team", "roles": ["customer_service"], "is_active": false}),
        )
        .await;
    assert_eq!(res.json::<Value>().await.expect("json")["is_active"], false);
    let p = problem(
        app.post_json("/api/v1/notifications", Some(&cs), &json!({"channel": "whatsapp", "group": id, "body": "x"}))
            .await,
        422,
    )
    .await;
    assert!(p["errors"]["group"][0].as_str().is_some_and(|m| m.contains("switched off")), "{p}");
    problem(app.send_json(reqwest::Method::DELETE, &path, Some(&cs), &json!({})).await, 403).await;
    assert_eq!(
        app.send_json(reqwest::Method::DELETE, &path, Some(&admin), &json!({})).await.status(),
        StatusCode::NO_CONTENT
    );
    problem(app.get(&path, Some(&admin)).await, 404).await;
}

#[tokio::test]
async fn staff_compose_to_a_group_on_the_page_with_a_preview() {
    let app = spawn_app().await;
    app.insert_user("andi", Role::Admin).await;
    staff(&app, "dedi", "Dedi Kurniawan", Role::Technician, Some("6285710000011")).await;
    staff(&app, "eko", "Eko Saputra", Role::Technician, Some("6285710000012")).await;
    let browser = app.browser_login("andi").await;

    // The admin creates the group on its form (two roles ticked, one extra number).
    let csrf = app.page_csrf(&browser, "/notifications/groups/new").await;
    let res = browser
        .post(app.url("/notifications/groups"))
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("name", "Semua Teknisi"),
            ("description", "Tim lapangan"),
            ("roles", "technician"),
            ("roles", "noc"),
            ("members", "0813-9999-0001\n"),
            ("is_active", "1"),
        ])
        .send()
        .await
        .expect("create");
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let list = browser.get(app.url("/notifications/groups")).send().await.expect("page").text().await.expect("html");
    assert!(list.contains("Semua Teknisi"));
    let gid = aglis_db::repo::recipient_groups::find_by_name(&app.state.db, "Semua Teknisi")
        .await
        .expect("db")
        .expect("group")
        .id;

    let page = browser
        .get(app.url(&format!("/notifications/new?group={gid}")))
        .send()
        .await
        .expect("compose")
        .text()
        .await
        .expect("html");
    assert!(page.contains(&format!("<option value=\"{gid}\" selected>")), "the group is preselected");
    let csrf = csrf_token(&page);
    let form = |action: &'static str| {
        vec![
            ("csrf_token", csrf.clone()),
            ("channel", "whatsapp".into()),
            ("target", "group".into()),
            ("group", gid.to_string()),
            ("template", "announcement".into()),
            ("language", "id".into()),
            ("var.title", "Libur nasional".into()),
            ("var.text", "Kantor tutup 25 Desember.".into()),
            ("priority", "high".into()),
            ("action", action.into()),
        ]
    };
    let res = browser.post(app.url("/notifications")).form(&form("preview")).send().await.expect("preview");
    assert_eq!(res.status(), StatusCode::OK);
    let html = res.text().await.expect("html");
    assert!(html.contains("<strong>3</strong>"), "three messages would go out");
    assert!(html.contains("Halo Dedi Kurniawan,"), "the first one is shown, by name");
    assert_eq!(
        messages::list(&app.state.db, &MessageQuery { page: 1, per_page: 10, ..Default::default() })
            .await
            .expect("db")
            .total,
        0
    );

    let res = browser.post(app.url("/notifications")).form(&form("send")).send().await.expect("send");
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(res.headers()["location"], "/notifications/queue?queued=3");
    let queue =
        browser.get(app.url("/notifications/queue?queued=3")).send().await.expect("queue").text().await.expect("html");
    assert!(queue.contains("3 "), "the dashboard confirms the queued messages");
    let listed =
        messages::list(&app.state.db, &MessageQuery { page: 1, per_page: 10, ..Default::default() }).await.expect("db");
    let (sent, total) = (listed.items, listed.total);
    assert_eq!(total, 3);
    assert!(sent.iter().all(|m| m.priority.as_str() == "high"));
}

#[tokio::test]
async fn a_user_is_reached_at_their_own_number_or_address() {
    let app = spawn_app().await;
    let (_, token) = app.user_with_token("siti", Role::Supervisor).await;
    staff(&app, "dedi", "Dedi Kurniawan", Role::Technician, Some("6285710000011")).await;
    staff(&app, "joko", "Joko Susilo", Role::Technician, None).await;
    let id_of =
        async |username: &str| users::find_credentials(&app.state.db, username).await.expect("db").expect("user").0.id;
    let (dedi, joko) = (id_of("dedi").await, id_of("joko").await);
    let res = app
        .post_json(
            "/api/v1/notifications",
            Some(&token),
            &json!({"channel": "whatsapp", "user": dedi, "body": "Cek ODP KRW-07."}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::ACCEPTED);
    let mid = res.json::<Value>().await.expect("json")["id"].as_i64().expect("id");
    assert_eq!(messages::get(&app.state.db, mid).await.expect("db").expect("message").recipient, "6285710000011");

    let p = problem(
        app.post_json(
            "/api/v1/notifications",
            Some(&token),
            &json!({"channel": "whatsapp", "user": joko, "body": "x"}),
        )
        .await,
        422,
    )
    .await;
    assert!(p["errors"]["user"][0].as_str().is_some_and(|m| m.contains("Joko Susilo")), "{p}");
    let res = app
        .post_json(
            "/api/v1/notifications",
            Some(&token),
            &json!({"channel": "email", "user": joko, "body": "Jadwal piket."}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::ACCEPTED, "Joko has an address");
    problem(
        app.post_json(
            "/api/v1/notifications",
            Some(&token),
            &json!({"channel": "email", "user": 999_999, "body": "x"}),
        )
        .await,
        404,
    )
    .await;
}
