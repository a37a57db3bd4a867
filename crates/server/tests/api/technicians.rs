//! Technician management: the profile round trip through the API (skills with levels, areas,
//! specialisations, hours and days, availability, load, linked account), the list's filters,
//! search and pages, validation by field, deactivation refused while leading active tickets,
//! who may change what, and the pages with their forms.

use crate::helpers::{TestApp, problem, spawn_app};
use aglis_core::permission::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn create(app: &TestApp, token: &str, body: Value) -> Value {
    let res = app.post_json("/api/v1/technicians", Some(token), &body).await;
    assert_eq!(res.status(), StatusCode::CREATED, "create {body}");
    res.json().await.expect("json")
}

async fn put(app: &TestApp, token: &str, id: i64, body: &Value) -> reqwest::Response {
    app.send_json(reqwest::Method::PUT, &format!("/api/v1/technicians/{id}"), Some(token), body).await
}

async fn delete(app: &TestApp, token: &str, id: i64) -> reqwest::Response {
    app.send_json(reqwest::Method::DELETE, &format!("/api/v1/technicians/{id}"), Some(token), &json!({})).await
}

/// The page of the list `token` sees at `query`, and how many match.
async fn list(app: &TestApp, token: &str, query: &str) -> (Vec<Value>, u64) {
    let res = app.get(&format!("/api/v1/technicians{query}"), Some(token)).await;
    assert_eq!(res.status(), StatusCode::OK, "{query}");
    let page: Value = res.json().await.expect("json");
    (page["items"].as_array().expect("items").clone(), page["total"].as_u64().expect("total"))
}

fn names(items: &[Value]) -> Vec<&str> {
    items.iter().map(|t| t["full_name"].as_str().expect("name")).collect()
}

fn id(v: &Value) -> i64 {
    v["id"].as_i64().expect("id")
}

async fn customer_and_ticket(app: &TestApp, admin: &str) -> i64 {
    let pkg: Value = app
        .post_json(
            "/api/v1/packages",
            Some(admin),
            &json!({"name": "Home 50M", "speed_mbps": 50, "monthly_price": 250_000, "installation_fee": 0}),
        )
        .await
        .json()
        .await
        .expect("json");
    let c: Value = app
        .post_json(
            "/api/v1/customers",
            Some(admin),
            &json!({"name": "Siti Rahayu", "phone": "0857-2233-4455", "address": "Perum Galuh Mas Blok C 7",
                "package_id": pkg["id"]}),
        )
        .await
        .json()
        .await
        .expect("json");
    let t: Value = app
        .post_json(
            "/api/v1/tickets",
            Some(admin),
            &json!({"customer_id": c["id"], "type": "repair", "priority": "high",
                "description": "Internet mati sejak pagi, lampu LOS merah"}),
        )
        .await
        .json()
        .await
        .expect("json");
    id(&t)
}

#[tokio::test]
async fn a_profile_is_created_read_updated_and_listed() {
    let app = spawn_app().await;
    let (_, admin) = app.user_with_token("andi", Role::Admin).await;
    let agus = app.insert_user("agus", Role::Technician).await;
    let t = create(
        &app,
        &admin,
        json!({"full_name": "Agus Setiawan", "phone": "0812-7777-1001", "user_id": agus.id, "skill_level": "senior",
            "work_zone": "Karawang Barat", "areas": ["Telukjambe", "karawang barat", "Klari"],
            "specializations": ["ftth_maintenance", "ftth_installation"], "max_daily_tickets": 6,
            "work_start": "07:30", "work_end": "16:00", "work_days": ["sat", "mon", "tue"],
            "skills": {"fiber_splicing": 4, "speed_testing": 2}}),
    )
    .await;
    assert_eq!(t["employee_id"], "TEC0001");
    assert_eq!(t["phone"], "6281277771001");
    assert_eq!(t["availability"], "available");
    assert_eq!(t["areas"], json!(["Klari", "Telukjambe"]), "the home zone is not repeated: {t}");

    let tid = id(&t);
    let detail: Value = app.get(&format!("/api/v1/technicians/{tid}"), Some(&admin)).await.json().await.expect("json");
    assert_eq!(detail["full_name"], "Agus Setiawan");
    assert_eq!(detail["skill_level"], "senior");
    assert_eq!(
        detail["skills"],
        json!([{"skill": "fiber_splicing", "level": 4}, {"skill": "speed_testing", "level": 2}])
    );
    assert_eq!(detail["areas"], json!(["Klari", "Telukjambe"]));
    assert_eq!(detail["specializations"], json!(["ftth_installation", "ftth_maintenance"]));
    assert_eq!((detail["work_start"].as_str(), detail["work_end"].as_str()), (Some("07:30"), Some("16:00")));
    assert_eq!(detail["work_days"], json!(["mon", "tue", "sat"]));
    assert_eq!(detail["max_daily_tickets"], 6);
    assert_eq!((detail["load"].as_i64(), detail["load_percent"].as_u64()), (Some(0), Some(0)));
    assert_eq!(detail["assignable"], true);
    assert_eq!(detail["user"]["username"], "agus");
    assert_eq!(detail["user"]["role"], "technician");

    // A replace: what is left out takes its default; availability given here changes too.
    let res = put(
        &app,
        &admin,
        tid,
        &json!({"full_name": "Agus Setiawan S.T.", "phone": "+62 812 7777 1009", "user_id": agus.id,
            "skill_level": "expert", "work_zone": "Telukjambe", "areas": ["Karawang Timur"],
            "work_start": "08:00", "work_end": "17:00", "skills": {"olt_management": 5},
            "availability": "on_leave"}),
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    let updated: Value = res.json().await.expect("json");
    assert_eq!(updated["full_name"], "Agus Setiawan S.T.");
    assert_eq!(updated["phone"], "6281277771009");
    assert_eq!(updated["skill_level"], "expert");
    assert_eq!(updated["work_zone"], "Telukjambe");
    assert_eq!(updated["areas"], json!(["Karawang Timur"]));
    assert_eq!(updated["skills"], json!([{"skill": "olt_management", "level": 5}]));
    assert_eq!(updated["specializations"], json!([]));
    assert_eq!(updated["work_days"], json!(["mon", "tue", "wed", "thu", "fri", "sat"]), "the default week");
    assert_eq!(updated["max_daily_tickets"], 8);
    assert_eq!(updated["availability"], "on_leave");
    assert_eq!(updated["assignable"], false, "on leave");
    assert_eq!(updated["employee_id"], "TEC0001", "the employee id stays");
    // Without `availability` it stays as it is.
    let res = put(
        &app,
        &admin,
        tid,
        &json!({"full_name": "Agus Setiawan", "phone": "0812-7777-1001", "work_zone": "Telukjambe"}),
    )
    .await;
    let again: Value = res.json().await.expect("json");
    assert_eq!(again["availability"], "on_leave");
    assert!(again["user"].is_null() && again["user_id"].is_null(), "the account was unlinked: {again}");

    let (items, total) = list(&app, &admin, "").await;
    assert_eq!((items.len(), total), (1, 1));
    assert_eq!((items[0]["work_zone"].as_str(), &items[0]["areas"]), (Some("Telukjambe"), &json!([])), "replaced");
    problem(app.get("/api/v1/technicians/999", Some(&admin)).await, 404).await;
    problem(put(&app, &admin, 999, &json!({"full_name": "X Y", "phone": "0812-1", "work_zone": "Z"})).await, 404).await;
}

#[tokio::test]
async fn the_list_filters_searches_and_pages() {
    let app = spawn_app().await;
    let (_, admin) = app.user_with_token("andi", Role::Admin).await;
    let agus = create(
        &app,
        &admin,
        json!({"full_name": "Agus Setiawan", "phone": "0812-7777-1001", "work_zone": "Karawang Barat",
            "areas": ["Telukjambe"], "specializations": ["ftth_installation"],
            "skills": {"fiber_splicing": 4, "ftth_basic_install": 5}}),
    )
    .await;
    let budi = create(
        &app,
        &admin,
        json!({"full_name": "Budi Hartono", "phone": "0813-2222-3003", "work_zone": "Bekasi Timur",
            "areas": ["Tambun Selatan"], "specializations": ["wireless_services"], "skills": {"wifi_setup": 3},
            "availability": "busy"}),
    )
    .await;
    let cahya = create(
        &app,
        &admin,
        json!({"full_name": "Cahya Nugraha", "phone": "0857-1111-0002", "work_zone": "Telukjambe",
            "skills": {"fiber_splicing": 2}, "availability": "on_leave"}),
    )
    .await;
    let dedi = create(
        &app,
        &admin,
        json!({"full_name": "Dedi Kurniawan", "phone": "0821-4444-5005", "work_zone": "Cikarang",
            "specializations": ["network_infrastructure", "ftth_installation"]}),
    )
    .await;
    assert_eq!(budi["availability"], "busy");
    assert_eq!(delete(&app, &admin, id(&dedi)).await.status(), StatusCode::OK);

    let (all, total) = list(&app, &admin, "").await;
    assert_eq!(names(&all), ["Agus Setiawan", "Budi Hartono", "Cahya Nugraha", "Dedi Kurniawan"], "by name");
    assert_eq!(total, 4);
    let (l, _) = list(&app, &admin, "?availability=busy").await;
    assert_eq!(names(&l), ["Budi Hartono"]);
    let (l, _) = list(&app, &admin, "?zone=telukjambe").await;
    assert_eq!(names(&l), ["Agus Setiawan", "Cahya Nugraha"], "home zone or further area, any case");
    let (l, _) = list(&app, &admin, "?area=Tambun%20Selatan").await;
    assert_eq!(names(&l), ["Budi Hartono"]);
    let (l, _) = list(&app, &admin, "?skill=fiber_splicing").await;
    assert_eq!(names(&l), ["Agus Setiawan", "Cahya Nugraha"]);
    let (l, _) = list(&app, &admin, "?skill=fiber_splicing&min_level=3").await;
    assert_eq!(names(&l), ["Agus Setiawan"]);
    let (l, _) = list(&app, &admin, "?specialization=ftth_installation").await;
    assert_eq!(names(&l), ["Agus Setiawan", "Dedi Kurniawan"]);
    let (l, _) = list(&app, &admin, "?specialization=ftth_installation&active=true").await;
    assert_eq!(names(&l), ["Agus Setiawan"]);
    let (l, _) = list(&app, &admin, "?active=false").await;
    assert_eq!(names(&l), ["Dedi Kurniawan"]);
    let (l, _) = list(&app, &admin, "?q=hartono").await;
    assert_eq!(names(&l), ["Budi Hartono"], "by name, any case");
    let (l, _) = list(&app, &admin, &format!("?q={}", cahya["employee_id"].as_str().expect("code"))).await;
    assert_eq!(names(&l), ["Cahya Nugraha"], "by employee id");
    let (l, _) = list(&app, &admin, "?q=0812-7777").await;
    assert_eq!(names(&l), ["Agus Setiawan"], "by phone as people type it");
    let (l, _) = list(&app, &admin, "?q=%2B62%20821%204444").await;
    assert_eq!(names(&l), ["Dedi Kurniawan"], "by phone with the country code");
    let (l, total) = list(&app, &admin, "?q=zzz").await;
    assert!(l.is_empty() && total == 0);
    let (l, _) = list(&app, &admin, "?zone=Karawang%20Barat&availability=available&skill=ftth_basic_install").await;
    assert_eq!(names(&l), ["Agus Setiawan"], "filters combine");
    assert_eq!(id(&l[0]), id(&agus));

    let (page2, total) = list(&app, &admin, "?per_page=3&page=2").await;
    assert_eq!((names(&page2), total), (vec!["Dedi Kurniawan"], 4));
    let (page1, _) = list(&app, &admin, "?page=1&per_page=2").await;
    assert_eq!(names(&page1), ["Agus Setiawan", "Budi Hartono"]);

    for bad in ["?availability=cuti", "?specialization=cooking", "?min_level=9", "?page=0", "?per_page=500"] {
        let p = problem(app.get(&format!("/api/v1/technicians{bad}"), Some(&admin)).await, 422).await;
        assert!(p["errors"].as_object().is_some_and(|e| !e.is_empty()), "{bad}: {p}");
    }
    let p = problem(app.get("/api/v1/technicians?availability=cuti", Some(&admin)).await, 422).await;
    assert!(p["errors"]["availability"][0].as_str().is_some_and(|m| m.contains("on_leave")), "{p}");
}

#[tokio::test]
async fn bad_input_is_refused_by_field_with_a_message() {
    let app = spawn_app().await;
    let (_, admin) = app.user_with_token("andi", Role::Admin).await;
    let rina = app.insert_user("rina.cs", Role::CustomerService).await;
    let agus = app.insert_user("agus", Role::Technician).await;
    let res = app
        .post_json(
            "/api/v1/technicians",
            Some(&admin),
            &json!({"full_name": "A", "phone": "12345", "work_zone": "Karawang", "skill_level": "guru",
                "max_daily_tickets": 0, "work_start": "17:00", "work_end": "08:00",
                "skills": {"fiber_splicing": 6}, "specializations": ["cooking"], "work_days": [],
                "availability": "cuti"}),
        )
        .await;
    let p = problem(res, 422).await;
    for field in [
        "full_name",
        "phone",
        "skill_level",
        "max_daily_tickets",
        "work_end",
        "skills",
        "specializations",
        "work_days",
        "availability",
    ] {
        let msg = p["errors"][field][0].as_str().unwrap_or_default();
        assert!(!msg.is_empty(), "{field} is named: {p}");
    }
    assert_eq!(p["errors"]["work_end"][0], "must be after work_start");
    assert!(p["errors"]["skills"][0].as_str().is_some_and(|m| m.contains("fiber_splicing") && m.contains("1 to 5")));
    assert!(p["errors"].get("work_zone").is_none(), "a valid field is not named: {p}");
    let p = problem(
        app.post_json(
            "/api/v1/technicians",
            Some(&admin),
            &json!({"full_name": "Agus", "phone": "0812-7777-1001", "work_zone": "K", "work_start": "8 pagi"}),
        )
        .await,
        422,
    )
    .await;
    assert!(p["errors"]["work_start"][0].as_str().is_some_and(|m| m.contains("8 pagi")), "{p}");
    assert!(p["errors"]["work_zone"].is_array());

    let ok = json!({"full_name": "Agus Setiawan", "phone": "0812-7777-1001", "work_zone": "Karawang Barat"});
    let with_user = |uid: i64| {
        let mut b = ok.clone();
        b["user_id"] = json!(uid);
        b
    };
    let p = problem(app.post_json("/api/v1/technicians", Some(&admin), &with_user(rina.id)).await, 422).await;
    assert!(p["errors"]["user_id"][0].as_str().is_some_and(|m| m.contains("not a technician")), "{p}");
    problem(app.post_json("/api/v1/technicians", Some(&admin), &with_user(424242)).await, 422).await;
    let first = create(&app, &admin, with_user(agus.id)).await;
    let p = problem(app.post_json("/api/v1/technicians", Some(&admin), &with_user(agus.id)).await, 422).await;
    assert!(p["errors"]["user_id"][0].as_str().is_some_and(|m| m.contains("TEC0001")), "{p}");
    let other =
        create(&app, &admin, json!({"full_name": "Budi", "phone": "0813-2222-3003", "work_zone": "Bekasi"})).await;
    assert_eq!(other["employee_id"], "TEC0002");
    problem(put(&app, &admin, id(&other), &with_user(agus.id)).await, 422).await;
    // Keeping one's own account is fine.
    assert_eq!(put(&app, &admin, id(&first), &with_user(agus.id)).await.status(), StatusCode::OK);
    let p = problem(put(&app, &admin, id(&first), &json!({"full_name": "Agus"})).await, 422).await;
    assert!(p["errors"]["phone"].is_array(), "missing fields are named: {p}");
    problem(
        put(
            &app,
            &admin,
            id(&first),
            &json!({"full_name": "Agus", "phone": "0812-7777-1001", "work_zone": "K", "bonus": 1}),
        )
        .await,
        422,
    )
    .await;
}

#[tokio::test]
async fn deactivation_waits_until_they_lead_no_active_ticket() {
    let app = spawn_app().await;
    let (_, admin) = app.user_with_token("andi", Role::Admin).await;
    let t = create(
        &app,
        &admin,
        json!({"full_name": "Agus Setiawan", "phone": "0812-7777-1001", "work_zone": "Karawang Barat"}),
    )
    .await;
    let tid = id(&t);
    let ticket = customer_and_ticket(&app, &admin).await;
    let res =
        app.post_json(&format!("/api/v1/tickets/{ticket}/assign"), Some(&admin), &json!({"technician_id": tid})).await;
    assert_eq!(res.status(), StatusCode::OK);
    let detail: Value = app.get(&format!("/api/v1/technicians/{tid}"), Some(&admin)).await.json().await.expect("json");
    assert_eq!((detail["load"].as_i64(), detail["load_percent"].as_u64()), (Some(1), Some(12)), "1 of 8");

    let p = problem(delete(&app, &admin, tid).await, 409).await;
    assert!(p["detail"].as_str().is_some_and(|d| d.contains("leads 1 active ticket")), "{p}");
    assert_eq!(p["errors"]["active_tickets"][0], "1");
    let still: Value = app.get(&format!("/api/v1/technicians/{tid}"), Some(&admin)).await.json().await.expect("json");
    assert_eq!(still["is_active"], true);

    let res = app
        .post_json(
            &format!("/api/v1/tickets/{ticket}/transitions"),
            Some(&admin),
            &json!({"to": "cancelled", "note": "Pelanggan membatalkan"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let res = delete(&app, &admin, tid).await;
    assert_eq!(res.status(), StatusCode::OK);
    let gone: Value = res.json().await.expect("json");
    assert_eq!(gone["is_active"], false);
    let (active, _) = list(&app, &admin, "?active=true").await;
    assert!(active.is_empty());
    let (all, _) = list(&app, &admin, "").await;
    assert_eq!(all.len(), 1, "kept, not deleted");
    problem(delete(&app, &admin, 999).await, 404).await;

    let res = app.post_json(&format!("/api/v1/technicians/{tid}/reactivate"), Some(&admin), &json!({})).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.json::<Value>().await.expect("json")["is_active"], true);
}

#[tokio::test]
async fn only_supervisors_change_profiles_and_technicians_their_own_availability() {
    let app = spawn_app().await;
    let (_, admin) = app.user_with_token("andi", Role::Admin).await;
    let (_, supervisor) = app.user_with_token("sari.spv", Role::Supervisor).await;
    let (_, cs) = app.user_with_token("rina.cs", Role::CustomerService).await;
    let (agus_user, agus) = app.user_with_token("agus", Role::Technician).await;
    let (_, customer) = app.user_with_token("siti.portal", Role::Customer).await;
    let body = json!({"full_name": "Agus Setiawan", "phone": "0812-7777-1001", "work_zone": "Karawang Barat",
        "user_id": agus_user.id});
    let mine = id(&create(&app, &supervisor, body.clone()).await);
    let other =
        id(&create(&app, &admin, json!({"full_name": "Budi", "phone": "0813-2222-3003", "work_zone": "Bekasi"})).await);

    for token in [&agus, &cs, &customer] {
        problem(app.post_json("/api/v1/technicians", Some(token), &body).await, 403).await;
        problem(put(&app, token, mine, &body).await, 403).await;
        problem(delete(&app, token, mine).await, 403).await;
        problem(app.post_json(&format!("/api/v1/technicians/{mine}/reactivate"), Some(token), &json!({})).await, 403)
            .await;
    }
    assert_eq!(app.get("/api/v1/technicians", Some(&agus)).await.status(), StatusCode::OK, "staff may look");
    assert_eq!(app.get(&format!("/api/v1/technicians/{other}"), Some(&cs)).await.status(), StatusCode::OK);
    problem(app.get("/api/v1/technicians", Some(&customer)).await, 403).await;
    problem(app.get(&format!("/api/v1/technicians/{mine}"), Some(&customer)).await, 403).await;
    problem(app.get("/api/v1/technicians", None).await, 401).await;

    let set = async |token: &str, tid: i64, a: &str| {
        app.post_json(&format!("/api/v1/technicians/{tid}/availability"), Some(token), &json!({"availability": a}))
            .await
    };
    assert_eq!(set(&agus, mine, "break").await.status(), StatusCode::NO_CONTENT, "their own");
    problem(set(&agus, other, "offline").await, 403).await;
    assert_eq!(set(&supervisor, other, "offline").await.status(), StatusCode::NO_CONTENT);
    problem(set(&supervisor, other, "cuti").await, 422).await;
    let (l, _) = list(&app, &admin, "?availability=break").await;
    assert_eq!(names(&l), ["Agus Setiawan"]);
}

// ---- pages ----

async fn page(browser: &reqwest::Client, url: String) -> (StatusCode, String) {
    let res = browser.get(url).send().await.expect("page");
    (res.status(), res.text().await.expect("html"))
}

/// Posts a form with the browser's CSRF token.
async fn post(app: &TestApp, browser: &reqwest::Client, path: &str, form: &[(&str, &str)]) -> reqwest::Response {
    let csrf = app.page_csrf(browser, "/technicians").await;
    let mut fields: Vec<(&str, &str)> = vec![("csrf_token", csrf.as_str())];
    fields.extend_from_slice(form);
    browser.post(app.url(path)).form(&fields).send().await.expect("post")
}

fn location(res: &reqwest::Response) -> String {
    res.headers().get("location").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned()
}

#[tokio::test]
async fn a_supervisor_manages_technicians_on_the_pages() {
    let app = spawn_app().await;
    let (_, admin) = app.user_with_token("andi", Role::Admin).await;
    app.insert_user("sari.spv", Role::Supervisor).await;
    let agus = app.insert_user("agus", Role::Technician).await;
    let browser = app.browser_login("sari.spv").await;

    let (status, html) = page(&browser, app.url("/technicians")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains(&app.t("techmgmt.empty")), "the empty state");
    assert!(html.contains("href=\"/technicians/new\""));

    let (status, html) = page(&browser, app.url("/technicians/new")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("agus · Pengguna agus"), "the technician account can be linked");

    // A refused form comes back with the typed values and the messages in Indonesian.
    let res = post(
        &app,
        &browser,
        "/technicians",
        &[
            ("full_name", "Agus Setiawan"),
            ("phone", "0812-7777-1001"),
            ("work_zone", "Karawang Barat"),
            ("skill_level", "senior"),
            ("max_daily_tickets", "6"),
            ("work_start", "17:00"),
            ("work_end", "08:00"),
            ("availability", "available"),
            ("work_days", "mon"),
        ],
    )
    .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.expect("html");
    assert!(html.contains(&app.t("techmgmt.err.hours_order")), "the hours message");
    assert!(html.contains("value=\"Agus Setiawan\""), "what was typed stays");

    let uid = agus.id.to_string();
    let res = post(
        &app,
        &browser,
        "/technicians",
        &[
            ("full_name", "Agus Setiawan"),
            ("phone", "0812-7777-1001"),
            ("user_id", &uid),
            ("work_zone", "Karawang Barat"),
            ("areas", "Telukjambe, Klari"),
            ("skill_level", "senior"),
            ("max_daily_tickets", "6"),
            ("work_start", "07:30"),
            ("work_end", "16:00"),
            ("availability", "available"),
            ("work_days", "mon"),
            ("work_days", "tue"),
            ("work_days", "sat"),
            ("specializations", "ftth_maintenance"),
            ("skill.fiber_splicing", "4"),
            ("skill.speed_testing", ""),
            ("custom_skill", "drone_survey"),
            ("custom_level", "2"),
            ("custom_skill", ""),
            ("custom_level", ""),
        ],
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let at = location(&res);
    assert!(at.starts_with("/technicians/"), "{at}");
    let tid: i64 = at.trim_start_matches("/technicians/").parse().expect("id");
    let detail: Value = app.get(&format!("/api/v1/technicians/{tid}"), Some(&admin)).await.json().await.expect("json");
    assert_eq!(
        detail["skills"],
        json!([{"skill": "drone_survey", "level": 2}, {"skill": "fiber_splicing", "level": 4}])
    );
    assert_eq!(detail["areas"], json!(["Klari", "Telukjambe"]));
    assert_eq!(detail["work_days"], json!(["mon", "tue", "sat"]));
    assert_eq!(detail["user_id"], agus.id);
    assert_eq!(detail["specializations"], json!(["ftth_maintenance"]));

    let (status, html) = page(&browser, app.url(&at)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Agus Setiawan") && html.contains("TEC0001") && html.contains("0812-7777-1001"));
    assert!(
        html.contains("Penyambungan fiber") && html.contains("drone_survey"),
        "catalogue names, other codes as typed"
    );
    assert!(html.contains("07:30–16:00") && html.contains(&app.t("techmgmt.day.sat")));
    assert!(html.contains(&app.t("techmgmt.avail.available")));

    // The list: badge, load bar and filters.
    let ticket = customer_and_ticket(&app, &admin).await;
    app.post_json(&format!("/api/v1/tickets/{ticket}/assign"), Some(&admin), &json!({"technician_id": tid})).await;
    let (_, html) = page(&browser, app.url("/technicians")).await;
    assert!(html.contains("1 / 6"), "load of capacity");
    assert!(html.contains("width: 16%"), "the bar: 1 of 6");
    assert!(html.contains("avail-available"));
    let (_, html) = page(&browser, app.url("/technicians?area=klari&skill=fiber_splicing")).await;
    assert!(html.contains("Agus Setiawan"));
    let (_, html) = page(&browser, app.url("/technicians?availability=on_leave")).await;
    assert!(!html.contains("Agus Setiawan") && html.contains(&app.t("techmgmt.empty_filtered")));
    let (_, html) = page(&browser, app.url("/technicians?q=0812-7777")).await;
    assert!(html.contains("Agus Setiawan"));

    // Edit: the form is filled in; a change is saved.
    let (status, html) = page(&browser, app.url(&format!("{at}/edit"))).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("value=\"Telukjambe\"") || html.contains("Klari, Telukjambe"), "areas in the form");
    assert!(html.contains("value=\"drone_survey\""));
    let res = post(
        &app,
        &browser,
        &format!("{at}/edit"),
        &[
            ("full_name", "Agus Setiawan"),
            ("phone", "0812-7777-1001"),
            ("user_id", &uid),
            ("work_zone", "Telukjambe"),
            ("areas", ""),
            ("skill_level", "expert"),
            ("max_daily_tickets", "9"),
            ("work_start", "08:00"),
            ("work_end", "17:00"),
            ("availability", "busy"),
            ("work_days", "mon"),
            ("skill.fiber_splicing", "7"),
        ],
    )
    .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "level 7");
    assert!(res.text().await.expect("html").contains(&app.t("techmgmt.err.skill_range")));
    let res = post(
        &app,
        &browser,
        &format!("{at}/edit"),
        &[
            ("full_name", "Agus Setiawan"),
            ("phone", "0812-7777-1001"),
            ("user_id", &uid),
            ("work_zone", "Telukjambe"),
            ("areas", ""),
            ("skill_level", "expert"),
            ("max_daily_tickets", "9"),
            ("work_start", "08:00"),
            ("work_end", "17:00"),
            ("availability", "busy"),
            ("work_days", "mon"),
            ("skill.fiber_splicing", "5"),
        ],
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let detail: Value = app.get(&format!("/api/v1/technicians/{tid}"), Some(&admin)).await.json().await.expect("json");
    assert_eq!((detail["skill_level"].as_str(), detail["availability"].as_str()), (Some("expert"), Some("busy")));
    assert_eq!(detail["max_daily_tickets"], 9);

    let res = post(&app, &browser, &format!("{at}/availability"), &[("availability", "available")]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);

    // Deactivation asks first, and is refused while Agus leads the ticket.
    let (status, html) = page(&browser, app.url(&format!("{at}/deactivate"))).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains(&app.t("techmgmt.leads_tickets")) && !html.contains(&app.t("techmgmt.deactivate_yes")));
    let res = post(&app, &browser, &format!("{at}/deactivate"), &[]).await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    assert!(res.text().await.expect("html").contains(&app.t("techmgmt.deactivate_refused").replace("{n}", "1")));
    app.post_json(
        &format!("/api/v1/tickets/{ticket}/transitions"),
        Some(&admin),
        &json!({"to": "cancelled", "note": "Pelanggan membatalkan"}),
    )
    .await;
    let (_, html) = page(&browser, app.url(&format!("{at}/deactivate"))).await;
    assert!(html.contains(&app.t("techmgmt.deactivate_yes")), "now it may");
    let res = post(&app, &browser, &format!("{at}/deactivate"), &[]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let detail: Value = app.get(&format!("/api/v1/technicians/{tid}"), Some(&admin)).await.json().await.expect("json");
    assert_eq!(detail["is_active"], false);
    let (_, html) = page(&browser, app.url("/technicians")).await;
    assert!(!html.contains("Agus Setiawan"), "the list shows active technicians by default");
    let (_, html) = page(&browser, app.url("/technicians?active=inactive")).await;
    assert!(html.contains("Agus Setiawan"));
    let res = post(&app, &browser, &format!("{at}/reactivate"), &[]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);

    // English too.
    let (_, html) = page(&browser, app.url("/technicians?lang=en")).await;
    assert!(html.contains("Technicians") && html.contains("Workload"));
}

#[tokio::test]
async fn technicians_and_customers_cannot_edit_on_the_pages() {
    let app = spawn_app().await;
    let (_, admin) = app.user_with_token("andi", Role::Admin).await;
    let agus = app.insert_user("agus", Role::Technician).await;
    app.insert_user("siti.portal", Role::Customer).await;
    let mine = id(&create(
        &app,
        &admin,
        json!({"full_name": "Agus Setiawan", "phone": "0812-7777-1001", "work_zone": "Karawang Barat", "user_id": agus.id}),
    )
    .await);
    let other = id(&create(
        &app,
        &admin,
        json!({"full_name": "Budi Hartono", "phone": "0813-2222-3003", "work_zone": "Bekasi"}),
    )
    .await);

    let tech = app.browser_login("agus").await;
    let (status, html) = page(&tech, app.url(&format!("/technicians/{mine}"))).await;
    assert_eq!(status, StatusCode::OK);
    assert!(!html.contains(&format!("/technicians/{mine}/edit")), "no edit button for a technician");
    assert!(html.contains(&format!("/technicians/{mine}/availability")), "but their own availability");
    assert_eq!(page(&tech, app.url("/technicians/new")).await.0, StatusCode::FORBIDDEN);
    assert_eq!(page(&tech, app.url(&format!("/technicians/{mine}/edit"))).await.0, StatusCode::FORBIDDEN);
    assert_eq!(page(&tech, app.url(&format!("/technicians/{mine}/deactivate"))).await.0, StatusCode::FORBIDDEN);
    let csrf = app.page_csrf(&tech, "/my/tickets").await;
    let form = [
        ("csrf_token", csrf.as_str()),
        ("full_name", "Agus Hacker"),
        ("phone", "0812-7777-1001"),
        ("work_zone", "X"),
        ("work_start", "08:00"),
        ("work_end", "17:00"),
        ("availability", "available"),
    ];
    let res = tech.post(app.url(&format!("/technicians/{mine}/edit"))).form(&form).send().await.expect("post");
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let res = tech.post(app.url("/technicians")).form(&form).send().await.expect("post");
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let res = tech
        .post(app.url(&format!("/technicians/{other}/deactivate")))
        .form(&[("csrf_token", csrf.as_str())])
        .send()
        .await
        .expect("post");
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let set = |tid: i64| {
        tech.post(app.url(&format!("/technicians/{tid}/availability")))
            .form(&[("csrf_token", csrf.as_str()), ("availability", "break")])
            .send()
    };
    assert_eq!(set(mine).await.expect("post").status(), StatusCode::SEE_OTHER, "their own");
    assert_eq!(set(other).await.expect("post").status(), StatusCode::FORBIDDEN);
    let detail: Value = app.get(&format!("/api/v1/technicians/{mine}"), Some(&admin)).await.json().await.expect("json");
    assert_eq!((detail["full_name"].as_str(), detail["availability"].as_str()), (Some("Agus Setiawan"), Some("break")));

    let customer = app.browser_login("siti.portal").await;
    assert_eq!(page(&customer, app.url("/technicians")).await.0, StatusCode::FORBIDDEN);
    assert_eq!(page(&customer, app.url(&format!("/technicians/{mine}"))).await.0, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn the_demo_profiles_have_areas_specialisations_and_a_spread_of_availability() {
    let app = spawn_app().await;
    aglis_server::demo::seed(&app.state).await.expect("seed");
    aglis_server::technicians::demo_seed::seed_demo_profiles(&app.state).await.expect("profiles");
    aglis_server::technicians::demo_seed::seed_demo_profiles(&app.state).await.expect("twice is the same");
    let (_, admin) = app.user_with_token("andi.demo", Role::Admin).await;
    let (all, total) = list(&app, &admin, "").await;
    assert_eq!(total, 5);
    assert!(all.iter().all(|t| !t["areas"].as_array().is_none_or(Vec::is_empty)), "every one has areas");
    assert!(all.iter().all(|t| !t["specializations"].as_array().is_none_or(Vec::is_empty)));
    let (l, _) = list(&app, &admin, "?area=cikarang%20utara").await;
    assert_eq!(l.len(), 1);
    assert_eq!(l[0]["work_days"], json!(["tue", "wed", "thu", "fri", "sat", "sun"]));
    for a in ["available", "busy", "break"] {
        let (l, _) = list(&app, &admin, &format!("?availability={a}")).await;
        assert!(!l.is_empty(), "one is {a}");
    }
    let (l, _) = list(&app, &admin, "?specialization=wireless_services").await;
    assert_eq!(l.len(), 1);
}
