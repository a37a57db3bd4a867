//! Ticket search (`GET /api/v1/tickets?q=…`): by words of the title or the customer's name, each
//! from its start, alone or with filters; every answer is checked against the same selection
//! made by hand from the whole unfiltered list, so both query plans (words first, or filter
//! first) and the sorted fallback for very short prefixes must agree with it.

use crate::helpers::{TestApp, problem, spawn_app};
use aglis_core::permission::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn customer(app: &TestApp, admin: &str, name: &str, phone: &str) -> i64 {
    let pkg = app
        .post_json(
            "/api/v1/packages",
            Some(admin),
            &json!({"name": format!("Paket {name}"), "speed_mbps": 30, "monthly_price": 200_000, "installation_fee": 0}),
        )
        .await;
    let pkg: Value = pkg.json().await.expect("json");
    let res = app
        .post_json(
            "/api/v1/customers",
            Some(admin),
            &json!({"name": name, "phone": phone, "address": "Jl. Kertabumi No. 5", "package_id": pkg["id"]}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    res.json::<Value>().await.expect("json")["id"].as_i64().expect("id")
}

async fn ticket(app: &TestApp, token: &str, customer_id: i64, title: &str) -> i64 {
    let res = app
        .post_json(
            "/api/v1/tickets",
            Some(token),
            &json!({"customer_id": customer_id, "type": "repair", "priority": "normal", "title": title,
                "description": format!("{title}: dilaporkan pelanggan lewat telepon")}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    res.json::<Value>().await.expect("json")["id"].as_i64().expect("id")
}

/// Every ticket id on every page of `query`, in order, and the reported total.
async fn all_pages(app: &TestApp, token: &str, query: &str) -> (Vec<i64>, u64) {
    let mut ids = Vec::new();
    let mut total = 0;
    for page in 1.. {
        let res = app
            .get(&format!("/api/v1/tickets?scope=all&sort=newest&{query}&per_page=4&page={page}"), Some(token))
            .await;
        assert_eq!(res.status(), StatusCode::OK, "{query}");
        let body: Value = res.json().await.expect("json");
        total = body["total"].as_u64().expect("total");
        let items = body["items"].as_array().expect("items").clone();
        ids.extend(items.iter().map(|t| t["id"].as_i64().expect("id")));
        if items.len() < 4 {
            break;
        }
    }
    (ids, total)
}

/// The expected answer: the tickets of `all` (newest first) whose words include a word
/// starting with each of `terms`, and which pass `keep`.
fn expected(all: &[(i64, Vec<String>, String)], terms: &[&str], keep: impl Fn(&str) -> bool) -> Vec<i64> {
    all.iter()
        .filter(|(_, words, status)| keep(status) && terms.iter().all(|t| words.iter().any(|w| w.starts_with(t))))
        .map(|(id, _, _)| *id)
        .collect()
}

#[tokio::test]
async fn words_of_the_title_and_the_customer_find_tickets_alone_or_with_filters() {
    let app = spawn_app().await;
    let (_, admin) = app.user_with_token("andi", Role::Admin).await;
    let siti = customer(&app, &admin, "Siti Rahayu", "0812-3000-0001").await;
    let sitompul = customer(&app, &admin, "Hotma Sitompul", "0812-3000-0002").await;
    let budi = customer(&app, &admin, "Budi Santoso", "0812-3000-0003").await;
    let titles = ["Redaman tinggi", "Internet mati total", "Modem sering restart", "Redaman naik sore hari"];
    let mut made = Vec::new();
    for (i, title) in titles.iter().cycle().take(18).enumerate() {
        let who = [siti, sitompul, budi][i % 3];
        made.push(ticket(&app, &admin, who, title).await);
    }
    // 22 words starting "xa": more than a search word is expanded to, so the sorted way is used.
    for i in 0..22 {
        made.push(ticket(&app, &admin, budi, &format!("Kode xa{i:02} di ODP")).await);
    }
    // Some tickets leave "open", so that a status filter is rarer than a word, or not.
    for id in made.iter().step_by(4) {
        let res = app
            .post_json(
                &format!("/api/v1/tickets/{id}/transitions"),
                Some(&admin),
                &json!({"to": "cancelled", "note": "duplikat"}),
            )
            .await;
        assert_eq!(res.status(), StatusCode::OK);
    }

    // The whole list, with each ticket's words as the index holds them.
    let (all_ids, total) = all_pages(&app, &admin, "").await;
    assert_eq!(total, 40);
    let names = [(siti, "Siti Rahayu"), (sitompul, "Hotma Sitompul"), (budi, "Budi Santoso")];
    let mut all = Vec::new();
    for id in &all_ids {
        let t: Value = app.get(&format!("/api/v1/tickets/{id}"), Some(&admin)).await.json().await.expect("json");
        let name =
            names.iter().find(|(c, _)| Some(*c) == t["customer_id"].as_i64()).map(|(_, n)| *n).expect("customer");
        let words = aglis_core::ticket::search_words(t["title"].as_str().expect("title"), name);
        all.push((*id, words, t["status"].as_str().expect("status").to_owned()));
    }

    let cases: &[(&str, &[&str], Option<&str>)] = &[
        ("q=siti", &["siti"], None),
        ("q=sit", &["sit"], None),
        ("q=SITI%20red", &["siti", "red"], None),
        ("q=redaman%20sitompul", &["redaman", "sitompul"], None),
        ("q=xa", &["xa"], None),
        ("q=xa1", &["xa1"], None),
        ("q=budi%20xa", &["budi", "xa"], None),
        ("q=sit&status=open", &["sit"], Some("open")),
        ("q=sit&status=cancelled", &["sit"], Some("cancelled")),
        ("q=xa&status=cancelled", &["xa"], Some("cancelled")),
        ("q=redaman&status=open", &["redaman"], Some("open")),
        ("q=tidakada", &["tidakada"], None),
    ];
    for (query, terms, status) in cases {
        let want = expected(&all, terms, |s| status.is_none_or(|want| want == s));
        let (got, total) = all_pages(&app, &admin, query).await;
        assert_eq!(got, want, "{query}");
        assert_eq!(total, want.len() as u64, "{query}: total");
    }
    assert!(!expected(&all, &["sit"], |s| s == "cancelled").is_empty(), "the cases are not all empty");

    // A number prefix still finds by number, and nothing searchable (one sign) finds nothing.
    let first: Value = app.get(&format!("/api/v1/tickets/{}", made[0]), Some(&admin)).await.json().await.expect("json");
    let number = first["number"].as_str().expect("number");
    let (got, _) = all_pages(&app, &admin, &format!("q={}", number.to_lowercase())).await;
    assert_eq!(got, vec![made[0]]);
    let (got, total) = all_pages(&app, &admin, "q=%21").await;
    assert!(got.is_empty() && total == 0, "{got:?}");
}

#[tokio::test]
async fn a_renamed_customer_is_found_by_the_new_name() {
    let app = spawn_app().await;
    let (_, admin) = app.user_with_token("andi", Role::Admin).await;
    let c = customer(&app, &admin, "Wulan Permata", "0812-3000-0009").await;
    let id = ticket(&app, &admin, c, "Kabel drop putus").await;
    assert_eq!(all_pages(&app, &admin, "q=wulan").await.0, vec![id]);
    let now: Value = app.get(&format!("/api/v1/customers/{c}"), Some(&admin)).await.json().await.expect("json");
    let body = json!({"name": "Wulandari Permata", "phone": "0812-3000-0009", "address": "Jl. Kertabumi No. 5",
        "package_id": now["package_id"]});
    let res = app.send_json(reqwest::Method::PUT, &format!("/api/v1/customers/{c}"), Some(&admin), &body).await;
    assert_eq!(res.status(), StatusCode::OK, "{:?}", res.text().await);
    assert_eq!(all_pages(&app, &admin, "q=wulandari").await.0, vec![id]);
    assert_eq!(all_pages(&app, &admin, "q=wulan%20permata").await.0, vec![id]);
}

#[tokio::test]
async fn a_technician_lists_and_searches_the_tickets_they_lead_or_work_on_and_no_other() {
    let app = spawn_app().await;
    let (_, admin) = app.user_with_token("andi", Role::Admin).await;
    let mut techs = Vec::new();
    for (login, name, phone) in
        [("agus", "Agus Setiawan", "0812-7777-1001"), ("dedi", "Dedi Kurniawan", "0812-7777-1002")]
    {
        let (user, token) = app.user_with_token(login, Role::Technician).await;
        let res = app
            .post_json(
                "/api/v1/technicians",
                Some(&admin),
                &json!({"full_name": name, "phone": phone, "user_id": user.id, "work_zone": "Karawang Timur",
                    "max_daily_tickets": 8, "skills": {"fiber_splicing": 3}}),
            )
            .await;
        assert_eq!(res.status(), StatusCode::CREATED);
        techs.push((res.json::<Value>().await.expect("json")["id"].as_i64().expect("id"), token));
    }
    let (agus, dedi) = (&techs[0], &techs[1]);
    let c = customer(&app, &admin, "Siti Rahayu", "0812-3000-0001").await;
    let led = ticket(&app, &admin, c, "Redaman tinggi").await;
    let helped = ticket(&app, &admin, c, "Redaman naik").await;
    let other = ticket(&app, &admin, c, "Redaman turun").await;
    let open = ticket(&app, &admin, c, "Redaman belum dicek").await;
    for (id, lead, members) in [(led, agus.0, vec![]), (helped, dedi.0, vec![agus.0]), (other, dedi.0, vec![])] {
        let res = app
            .post_json(
                &format!("/api/v1/tickets/{id}/assign"),
                Some(&admin),
                &json!({"technician_id": lead, "members": members}),
            )
            .await;
        assert_eq!(res.status(), StatusCode::OK, "{:?}", res.text().await);
    }
    assert_eq!(all_pages(&app, &agus.1, "").await, (vec![helped, led], 2));
    assert_eq!(all_pages(&app, &agus.1, "q=redaman").await, (vec![helped, led], 2));
    assert_eq!(all_pages(&app, &agus.1, "status=assigned&q=siti").await, (vec![helped, led], 2));
    assert_eq!(all_pages(&app, &dedi.1, "q=red").await, (vec![other, helped], 2));
    for id in [other, open] {
        problem(app.get(&format!("/api/v1/tickets/{id}"), Some(&agus.1)).await, 404).await;
    }
    assert_eq!(app.get(&format!("/api/v1/tickets/{helped}"), Some(&agus.1)).await.status(), StatusCode::OK);
}
