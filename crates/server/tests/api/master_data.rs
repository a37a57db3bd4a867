//! Master data admins edit (issue 22): ticket categories, the skill catalogue and service areas —
//! kept through the API and the pages, and used by the ticket form, the technician profiles and
//! the assignment suggestions.

use crate::helpers::{TestApp, csrf_token, problem, spawn_app};
use crate::tickets::package_and_customer;
use aglis_core::permission::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn items(app: &TestApp, path: &str, token: &str) -> Vec<Value> {
    let res = app.get(path, Some(token)).await;
    assert_eq!(res.status(), StatusCode::OK, "{path}");
    let page: Value = res.json().await.expect("json");
    page["items"].as_array().expect("items").clone()
}

async fn ranked(app: &TestApp, token: &str, ticket: i64) -> Vec<Value> {
    let page: Value =
        app.get(&format!("/api/v1/tickets/{ticket}/suggestions"), Some(token)).await.json().await.expect("json");
    page["items"].as_array().expect("items").clone()
}

async fn put(app: &TestApp, token: &str, path: &str, body: &Value) -> reqwest::Response {
    app.send_json(reqwest::Method::PUT, path, Some(token), body).await
}

#[tokio::test]
async fn categories_are_kept_by_admins_and_a_ticket_takes_only_an_offered_one_of_its_type() {
    let app = spawn_app().await;
    let (_, admin) = app.user_with_token("andi", Role::Admin).await;
    let (_, cs) = app.user_with_token("rina.cs", Role::CustomerService).await;
    let customer = package_and_customer(&app, &admin, "Siti Rahayu", "0857-2233-4455").await;

    // The catalogue the code used to hold is there from the start.
    let repair = items(&app, "/api/v1/ticket-categories?ticket_type=repair&per_page=100", &cs).await;
    assert!(repair.iter().any(|c| c["code"] == "los_red" && c["name_id"] == "Lampu LOS merah"), "{repair:?}");
    assert!(repair.iter().all(|c| c["ticket_type"] == "repair"));

    // Customer service reads but may not change it.
    let new = json!({"ticket_type": "repair", "code": "odp_broken", "name_id": "ODP rusak", "minutes": 180});
    problem(app.post_json("/api/v1/ticket-categories", Some(&cs), &new).await, 403).await;
    let bad = json!({"ticket_type": "repair", "code": "ODP Rusak", "name_id": "O", "minutes": 5});
    let p = problem(app.post_json("/api/v1/ticket-categories", Some(&admin), &bad).await, 422).await;
    for field in ["code", "name_id", "minutes"] {
        assert!(p["errors"][field].is_array(), "{field} named: {p}");
    }
    let res = app.post_json("/api/v1/ticket-categories", Some(&admin), &new).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let created: Value = res.json().await.expect("json");
    assert_eq!((created["name_en"].as_str(), created["is_active"].as_bool()), (Some(""), Some(true)));
    let p = problem(app.post_json("/api/v1/ticket-categories", Some(&admin), &new).await, 409).await;
    assert!(p["errors"]["code"].is_array(), "the code is taken: {p}");

    // A ticket takes the category; one of another type, or an unknown one, is named.
    let ticket = |category: &str| {
        json!({"customer_id": customer, "type": "repair", "priority": "high",
        "description": "ODP depan rumah pecah, kabel menggantung", "category": category})
    };
    let res = app.post_json("/api/v1/tickets", Some(&admin), &ticket("odp_broken")).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    assert_eq!(res.json::<Value>().await.expect("json")["category"], "odp_broken");
    for wrong in ["mesh_network", "terbang"] {
        let p = problem(app.post_json("/api/v1/tickets", Some(&admin), &ticket(wrong)).await, 422).await;
        let text = p["errors"]["category"][0].as_str().unwrap_or_default();
        assert!(text.contains(wrong) && text.contains("odp_broken"), "names the offered ones: {p}");
    }

    // Switched off, it is no longer offered: tickets that have it keep it.
    let id = created["id"].as_i64().expect("id");
    let off = json!({"name_id": "ODP rusak", "name_en": "Broken ODP", "minutes": 240, "is_active": false});
    let res = put(&app, &admin, &format!("/api/v1/ticket-categories/{id}"), &off).await;
    assert_eq!(res.status(), StatusCode::OK);
    problem(app.post_json("/api/v1/tickets", Some(&admin), &ticket("odp_broken")).await, 422).await;
    let offered = items(&app, "/api/v1/ticket-categories?active=true&per_page=100", &cs).await;
    assert!(!offered.iter().any(|c| c["code"] == "odp_broken"));
    problem(put(&app, &admin, "/api/v1/ticket-categories/999999", &off).await, 404).await;
}

#[tokio::test]
async fn the_catalogue_says_which_skills_a_ticket_type_calls_for_and_the_suggestions_follow() {
    let app = spawn_app().await;
    let (_, admin) = app.user_with_token("andi", Role::Admin).await;
    let tech = async |name: &str, phone: &str, zone: &str, skills: Value| -> i64 {
        let res = app
            .post_json(
                "/api/v1/technicians",
                Some(&admin),
                &json!({"full_name": name, "phone": phone, "work_zone": zone, "skills": skills}),
            )
            .await;
        assert_eq!(res.status(), StatusCode::CREATED, "{name}");
        res.json::<Value>().await.expect("json")["id"].as_i64().expect("id")
    };
    let agus = tech("Agus Setiawan", "0812-7777-1001", "Bekasi Timur", json!({"fiber_splicing": 5})).await;
    let dedi = tech("Dedi Kurniawan", "0812-7777-1002", "Bekasi Timur", json!({"drone_survey": 5})).await;
    let survey = json!({"type": "survey", "priority": "normal", "location": "Jl. Raya Cikampek 20, Bekasi Timur",
        "description": "Survei jalur fiber ke perumahan baru"});
    let res = app.post_json("/api/v1/tickets", Some(&admin), &survey).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let ticket = res.json::<Value>().await.expect("json")["id"].as_i64().expect("id");
    // Drone surveys are no skill a survey calls for yet: both score nothing for skill.
    let before = ranked(&app, &admin, ticket).await;
    assert!(before.iter().all(|r| r["skill"] == 0), "{before:?}");

    let skill = json!({"code": "drone_survey", "name_id": "Survei drone", "specialization": "network_infrastructure",
        "ticket_types": ["survey"]});
    let res = app.post_json("/api/v1/skills", Some(&admin), &skill).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let id = res.json::<Value>().await.expect("json")["id"].as_i64().expect("id");
    let after = ranked(&app, &admin, ticket).await;
    assert_eq!((after[0]["technician_id"].as_i64(), after[0]["skill"].as_i64()), (Some(dedi), Some(5)), "{after:?}");

    // Serving repairs instead, it no longer counts for a survey.
    let change = json!({"name_id": "Survei drone", "specialization": "network_infrastructure",
        "ticket_types": ["repair"], "is_active": true});
    assert_eq!(put(&app, &admin, &format!("/api/v1/skills/{id}"), &change).await.status(), StatusCode::OK);
    assert!(ranked(&app, &admin, ticket).await.iter().all(|r| r["skill"] == 0));
    let none = json!({"name_id": "Survei drone", "specialization": "network_infrastructure",
        "ticket_types": [], "is_active": true});
    let p = problem(put(&app, &admin, &format!("/api/v1/skills/{id}"), &none).await, 422).await;
    assert!(p["errors"]["ticket_types"].is_array(), "{p}");
    let listed = items(&app, "/api/v1/skills?ticket_type=repair&per_page=100", &admin).await;
    assert!(listed.iter().any(|s| s["code"] == "drone_survey") && listed.iter().any(|s| s["code"] == "fiber_splicing"));
    let agus_row = after.iter().find(|r| r["technician_id"] == agus).expect("Agus is ranked");
    assert_eq!(agus_row["skill"], 0, "fibre splicing is no survey skill: {after:?}");
}

#[tokio::test]
async fn technicians_work_in_listed_areas_and_the_ticket_area_decides_who_is_near() {
    let app = spawn_app().await;
    let (_, admin) = app.user_with_token("andi", Role::Admin).await;
    let body = |zone: &str, areas: &[&str]| {
        json!({"full_name": "Agus Setiawan", "phone": "0812-7777-1001", "work_zone": zone, "areas": areas,
            "skills": {"fiber_splicing": 3}})
    };
    let p = problem(
        app.post_json("/api/v1/technicians", Some(&admin), &body("Jatisari", &["Klari", "Lemahabang"])).await,
        422,
    )
    .await;
    assert!(p["errors"]["work_zone"][0].as_str().is_some_and(|m| m.contains("Jatisari")), "{p}");
    assert!(p["errors"]["areas"][0].as_str().is_some_and(|m| m.contains("Lemahabang")), "{p}");

    let res = app
        .post_json("/api/v1/service-areas", Some(&admin), &json!({"name": "Jatisari", "city": "Kabupaten Karawang"}))
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let p =
        problem(app.post_json("/api/v1/service-areas", Some(&admin), &json!({"name": "JATISARI"})).await, 409).await;
    assert!(p["errors"]["name"].is_array(), "names are unique whatever their case: {p}");
    let res = app.post_json("/api/v1/technicians", Some(&admin), &body("jatisari", &["KLARI"])).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let agus: Value = res.json().await.expect("json");
    assert_eq!(agus["work_zone"], "Jatisari", "spelled as the list spells it");
    let res = app
        .post_json(
            "/api/v1/technicians",
            Some(&admin),
            &json!({"full_name": "Budi Hartono", "phone": "0813-2222-3003", "work_zone": "Karawang",
                "skills": {"fiber_splicing": 3}}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let budi: Value = res.json().await.expect("json");

    // A survey in Klari, Karawang: Agus works in Klari; Budi's zone only shares the regency's name.
    let repair = json!({"type": "survey", "priority": "high", "location": "Jl. Raya Klari No. 8, Klari, Karawang",
        "description": "Kabel drop putus tertabrak truk"});
    let res = app.post_json("/api/v1/tickets", Some(&admin), &repair).await;
    let ticket = res.json::<Value>().await.expect("json")["id"].as_i64().expect("id");
    let page: Value =
        app.get(&format!("/api/v1/tickets/{ticket}/suggestions"), Some(&admin)).await.json().await.expect("json");
    let of = |id: &Value| page["items"].as_array().and_then(|l| l.iter().find(|r| r["technician_id"] == *id).cloned());
    assert_eq!(of(&agus["id"]).map(|r| r["same_area"].clone()), Some(json!(true)), "{page}");
    assert_eq!(of(&budi["id"]).map(|r| r["same_area"].clone()), Some(json!(false)), "{page}");
    assert_eq!(page["items"][0]["technician_id"], agus["id"]);

    // Switched off, an area is no longer offered but profiles that have it keep it.
    let areas = items(&app, "/api/v1/service-areas?per_page=100", &admin).await;
    let jatisari = areas.iter().find(|a| a["name"] == "Jatisari").expect("listed")["id"].as_i64().expect("id");
    let res = put(
        &app,
        &admin,
        &format!("/api/v1/service-areas/{jatisari}"),
        &json!({"city": "Karawang", "is_active": false}),
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    let offered = items(&app, "/api/v1/service-areas?active=true&per_page=100", &admin).await;
    assert!(!offered.iter().any(|a| a["name"] == "Jatisari"));
    let id = agus["id"].as_i64().expect("id");
    let res = put(&app, &admin, &format!("/api/v1/technicians/{id}"), &body("Jatisari", &["Klari"])).await;
    assert_eq!(res.status(), StatusCode::OK, "an area switched off still names a known area");
}

#[tokio::test]
async fn admins_keep_the_lists_on_the_pages_in_their_language_and_others_may_not() {
    let app = spawn_app().await;
    app.insert_user("andi", Role::Admin).await;
    app.insert_user("rina.cs", Role::CustomerService).await;
    let browser = app.browser_login("andi").await;
    for (path, row) in [
        ("/admin/ticket-categories", "Lampu LOS merah"),
        ("/admin/skills", "Penyambungan fiber"),
        ("/admin/areas", "Telukjambe"),
    ] {
        let res = browser.get(app.url(path)).send().await.expect("page");
        assert_eq!(res.status(), StatusCode::OK, "{path}");
        let html = res.text().await.expect("html");
        assert!(html.contains(row), "{path} lists {row}");
        assert!(html.contains(&app.t("master.offered")), "{path} has its form");
    }
    let html = browser.get(app.url("/admin/skills")).send().await.expect("page").text().await.expect("html");
    let csrf = csrf_token(&html);
    // A bad skill: each problem under its field, in Indonesian.
    let res = browser
        .post(app.url("/admin/skills"))
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("code", "Drone"),
            ("name_id", "Survei drone"),
            ("specialization", "network_infrastructure"),
        ])
        .send()
        .await
        .expect("post");
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.expect("html");
    assert!(html.contains("diawali huruf") && html.contains("pilih minimal satu tipe tiket"), "Indonesian errors");
    let res = browser
        .post(app.url("/admin/skills"))
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("code", "drone_survey"),
            ("name_id", "Survei drone"),
            ("name_en", "Drone survey"),
            ("specialization", "network_infrastructure"),
            ("ticket_types", "survey"),
            ("ticket_types", "maintenance"),
            ("is_active", "1"),
        ])
        .send()
        .await
        .expect("post");
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let html = browser.get(app.url("/admin/skills")).send().await.expect("page").text().await.expect("html");
    assert!(html.contains("Survei drone"));
    // The technician form rates the new skill and offers the areas.
    let html = browser.get(app.url("/technicians/new")).send().await.expect("page").text().await.expect("html");
    assert!(
        html.contains("name=\"skill.drone_survey\"") && html.contains("<option value=\"Cikarang\">"),
        "form offers the lists"
    );
    // The ticket form offers the categories, grouped by type.
    let html = browser.get(app.url("/tickets/new")).send().await.expect("page").text().await.expect("html");
    assert!(html.contains("data-type=\"repair\"") && html.contains("Lampu LOS merah"));
    let csrf = csrf_token(&html);
    let survey = |category: &'static str| {
        [
            ("csrf_token", csrf.clone()),
            ("type", "survey".to_owned()),
            ("priority", "normal".to_owned()),
            ("category", category.to_owned()),
            ("location", "Jl. Interchange 3, Telukjambe".to_owned()),
            ("description", "Survei jalur kabel untuk perumahan baru".to_owned()),
        ]
    };
    let res = browser.post(app.url("/tickets")).form(&survey("los_red")).send().await.expect("post");
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "a repair's category on a survey");
    let html = res.text().await.expect("html");
    assert!(html.contains("bukan kategori tiket survey") && html.contains("site_survey"), "said in Indonesian");
    let res = browser.post(app.url("/tickets")).form(&survey("site_survey")).send().await.expect("post");
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let at = res.headers()["location"].to_str().expect("location").to_owned();
    let html = browser.get(app.url(&at)).send().await.expect("page").text().await.expect("html");
    assert!(html.contains("Survei lokasi"), "the ticket shows its category by name");

    let cs = app.browser_login("rina.cs").await;
    for path in ["/admin/ticket-categories", "/admin/skills", "/admin/areas"] {
        assert_eq!(cs.get(app.url(path)).send().await.expect("page").status(), StatusCode::FORBIDDEN, "{path}");
    }
}
