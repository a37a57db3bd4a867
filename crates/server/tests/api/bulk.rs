//! Bulk actions (issue 22): a request partly refused reports each refusal with its reason, each
//! item that ran is audited, a preview changes nothing, the id list is capped, and a role without
//! the action's permission is refused — for tickets, registrations and customers.

use crate::helpers::{TestApp, problem, spawn_app};
use aglis_core::customer::CustomerStatus;
use aglis_core::permission::Role;
use aglis_core::ticket::TicketStatus;
use aglis_db::repo::messages::{self, MessageQuery};
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn package(app: &TestApp, admin: &str, name: &str) -> i64 {
    let res = app
        .post_json(
            "/api/v1/packages",
            Some(admin),
            &json!({"name": name, "speed_mbps": 50, "monthly_price": 250_000, "installation_fee": 0}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    res.json::<Value>().await.expect("json")["id"].as_i64().expect("id")
}

async fn customer(app: &TestApp, admin: &str, name: &str, phone: &str, package_id: i64) -> i64 {
    let res = app
        .post_json(
            "/api/v1/customers",
            Some(admin),
            &json!({"name": name, "phone": phone, "address": "Perum Bumi Telukjambe Blok D 12", "package_id": package_id}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    res.json::<Value>().await.expect("json")["id"].as_i64().expect("id")
}

async fn technician(app: &TestApp, admin: &str, name: &str, phone: &str) -> i64 {
    let res = app
        .post_json(
            "/api/v1/technicians",
            Some(admin),
            &json!({"full_name": name, "phone": phone, "work_zone": "Karawang Barat", "max_daily_tickets": 2,
                "skills": {"ftth_basic_install": 4}}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    res.json::<Value>().await.expect("json")["id"].as_i64().expect("id")
}

async fn ticket(app: &TestApp, token: &str, customer_id: i64) -> i64 {
    let res = app
        .post_json(
            "/api/v1/tickets",
            Some(token),
            &json!({"customer_id": customer_id, "type": "repair", "priority": "normal",
                "description": "Internet mati sejak pagi, lampu LOS merah"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    res.json::<Value>().await.expect("json")["id"].as_i64().expect("id")
}

async fn get(app: &TestApp, token: &str, path: &str) -> Value {
    let res = app.get(path, Some(token)).await;
    assert_eq!(res.status(), StatusCode::OK, "{path}");
    res.json().await.expect("json")
}

/// Posts in English (the reasons follow the reader's language).
async fn bulk(app: &TestApp, token: &str, path: &str, body: Value) -> reqwest::Response {
    app.api
        .post(app.url(path))
        .bearer_auth(token)
        .header("accept-language", "en")
        .json(&body)
        .send()
        .await
        .expect("send")
}

async fn report(res: reqwest::Response) -> Value {
    assert_eq!(res.status(), StatusCode::OK);
    res.json().await.expect("json")
}

/// `(id, outcome, reason)` of each item.
fn items(r: &Value) -> Vec<(i64, String, String)> {
    r["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| {
            (
                i["id"].as_i64().expect("id"),
                i["outcome"].as_str().expect("outcome").to_owned(),
                i["reason"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect()
}

async fn audit_count(app: &TestApp, admin: &str, result: &str) -> u64 {
    let log = get(app, admin, &format!("/api/v1/audit-logs?event=bulk.action&result={result}")).await;
    log["total"].as_u64().expect("total")
}

#[tokio::test]
async fn ticket_actions_partly_refused_report_each_refusal_and_audit_each_item() {
    let app = spawn_app().await;
    let (_, admin) = app.user_with_token("andi", Role::Admin).await;
    let (_, supervisor) = app.user_with_token("sari.spv", Role::Supervisor).await;
    let (_, noc) = app.user_with_token("nina.noc", Role::Noc).await;
    let (_, tech) = app.user_with_token("agus", Role::Technician).await;
    let agus = technician(&app, &admin, "Agus Setiawan", "0812-7777-1001").await;
    let pkg = package(&app, &admin, "Home 30").await;
    let cid = customer(&app, &admin, "Siti Rahayu", "0857-2233-4455", pkg).await;
    let mut t = Vec::new();
    for _ in 0..4 {
        t.push(ticket(&app, &supervisor, cid).await);
    }
    let cancel = json!({"to": "cancelled", "note": "dobel"});
    let res = app.post_json(&format!("/api/v1/tickets/{}/transitions", t[3]), Some(&supervisor), &cancel).await;
    assert_eq!(res.status(), StatusCode::OK);
    let ids = json!([t[0], t[1], t[2], t[3], 999_999, t[0]]);

    // Preview: Agus leads at most 2, so the third would be refused; nothing changes.
    let body = json!({"action": "assign", "ids": ids, "technician_id": agus, "preview": true});
    let r = report(bulk(&app, &supervisor, "/api/v1/tickets/bulk", body).await).await;
    let got = items(&r);
    assert_eq!(got.len(), 5, "each id once: {r}");
    assert_eq!(
        got.iter().map(|(id, o, _)| (*id, o.as_str())).collect::<Vec<_>>(),
        [(t[0], "would_do"), (t[1], "would_do"), (t[2], "refused"), (t[3], "refused"), (999_999, "refused")]
    );
    assert!(got[2].2.contains("more than 2 tickets"), "{r}");
    assert!(got[3].2.contains("cancelled"), "{r}");
    assert!(got[4].2.contains("no such record"), "{r}");
    assert_eq!((r["would_do"].as_u64(), r["refused"].as_u64(), r["preview"].as_bool()), (Some(2), Some(3), Some(true)));
    let first = get(&app, &admin, &format!("/api/v1/tickets/{}", t[0])).await;
    assert_eq!(first["status"], "open", "a preview changes nothing");
    assert_eq!(audit_count(&app, &admin, "success").await + audit_count(&app, &admin, "failure").await, 0);

    // For real: the same outcomes, each item audited.
    let body = json!({"action": "assign", "ids": ids, "technician_id": agus});
    let r = report(bulk(&app, &supervisor, "/api/v1/tickets/bulk", body).await).await;
    let outcomes: Vec<String> = items(&r).into_iter().map(|(_, o, _)| o).collect();
    assert_eq!(outcomes, ["done", "done", "refused", "refused", "refused"]);
    assert!(items(&r).iter().filter(|i| i.1 == "refused").all(|i| !i.2.is_empty()), "each refusal says why");
    for id in [t[0], t[1]] {
        let x = get(&app, &admin, &format!("/api/v1/tickets/{id}")).await;
        assert_eq!((x["status"].as_str(), x["lead_technician_id"].as_i64()), (Some("assigned"), Some(agus)));
    }
    assert_eq!(get(&app, &admin, &format!("/api/v1/tickets/{}", t[2])).await["status"], "open");
    assert_eq!((audit_count(&app, &admin, "success").await, audit_count(&app, &admin, "failure").await), (2, 3));

    // Re-prioritise: a cancelled ticket is refused; the history records the change.
    let body = json!({"action": "reprioritise", "ids": [t[2], t[3]], "priority": "high"});
    let r = report(bulk(&app, &noc, "/api/v1/tickets/bulk", body).await).await;
    assert_eq!(items(&r).iter().map(|i| i.1.as_str()).collect::<Vec<_>>(), ["done", "refused"]);
    assert_eq!(get(&app, &admin, &format!("/api/v1/tickets/{}", t[2])).await["priority"], "high");
    let body = json!({"action": "reprioritise", "ids": [t[2]], "priority": "high"});
    let r = report(bulk(&app, &noc, "/api/v1/tickets/bulk", body).await).await;
    assert!(items(&r)[0].2.contains("high already"), "{r}");

    // Close: only the resolved one.
    let resolved = aglis_db::repo::tickets::get(&app.state.db, t[1]).await.expect("db").expect("ticket");
    let moved =
        aglis_db::repo::tickets::set_status(&app.state.db, &resolved, TicketStatus::Resolved, None, app.state.now())
            .await
            .expect("resolve");
    assert!(moved);
    let body = json!({"action": "close", "ids": [t[0], t[1]]});
    let r = report(bulk(&app, &supervisor, "/api/v1/tickets/bulk", body).await).await;
    assert_eq!(items(&r).iter().map(|i| i.1.as_str()).collect::<Vec<_>>(), ["refused", "done"]);
    assert!(items(&r)[0].2.contains("not resolved"), "{r}");
    assert_eq!(get(&app, &admin, &format!("/api/v1/tickets/{}", t[1])).await["status"], "closed");

    // In Indonesian by default.
    let res =
        app.post_json("/api/v1/tickets/bulk", Some(&supervisor), &json!({"action": "close", "ids": [t[0]]})).await;
    let r = report(res).await;
    assert!(items(&r)[0].2.contains("hanya tiket selesai yang ditutup"), "{r}");

    // Roles without the action's permission; bad id lists.
    let res =
        bulk(&app, &tech, "/api/v1/tickets/bulk", json!({"action": "assign", "ids": [t[2]], "technician_id": agus}))
            .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let res = bulk(&app, &noc, "/api/v1/tickets/bulk", json!({"action": "close", "ids": [t[1]]})).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let p = problem(bulk(&app, &supervisor, "/api/v1/tickets/bulk", json!({"action": "close", "ids": []})).await, 422)
        .await;
    assert!(p["errors"]["ids"].is_array(), "{p}");
    let many: Vec<i64> = (1..=501).collect();
    let p =
        problem(bulk(&app, &supervisor, "/api/v1/tickets/bulk", json!({"action": "close", "ids": many})).await, 422)
            .await;
    assert!(p["errors"]["ids"][0].as_str().is_some_and(|m| m.contains("500")), "{p}");
    let p =
        problem(bulk(&app, &supervisor, "/api/v1/tickets/bulk", json!({"action": "assign", "ids": [1]})).await, 422)
            .await;
    assert!(p["errors"]["technician_id"].is_array(), "{p}");
    let p = problem(
        bulk(&app, &supervisor, "/api/v1/tickets/bulk", json!({"action": "reprioritise", "ids": [1]})).await,
        422,
    )
    .await;
    assert!(p["errors"]["priority"].is_array(), "{p}");
}

async fn registration(app: &TestApp, phone: &str, package_id: i64) -> i64 {
    let input = aglis_server::registrations::service::ApplicationInput {
        full_name: "Bambang Wijaya".into(),
        phone: phone.into(),
        address: "Jl. Kertabumi No. 8, Karawang Barat".into(),
        city: "Karawang".into(),
        package_id: package_id.to_string(),
        ..Default::default()
    };
    let lang = aglis_server::i18n::Lang::Id;
    let token = aglis_server::registrations::service::start_signup(&app.state, &input, "10.0.0.1", lang)
        .await
        .expect("started");
    let msgs = messages::list(&app.state.db, &MessageQuery { page: 1, per_page: 1, ..Default::default() })
        .await
        .expect("db")
        .items;
    let code = msgs[0].body.split('*').nth(1).expect("code").to_owned();
    aglis_server::registrations::service::confirm_signup(&app.state, &token, &code, lang).await.expect("confirmed").id
}

#[tokio::test]
async fn registrations_are_verified_in_bulk_and_the_others_reported() {
    let app = spawn_app().await;
    let (_, admin) = app.user_with_token("andi", Role::Admin).await;
    let (_, cs) = app.user_with_token("rina.cs", Role::CustomerService).await;
    let (_, noc) = app.user_with_token("nina.noc", Role::Noc).await;
    let pkg = package(&app, &admin, "Home 30").await;
    let r1 = registration(&app, "0812-3000-0001", pkg).await;
    let r2 = registration(&app, "0812-3000-0002", pkg).await;
    let res =
        app.post_json(&format!("/api/v1/registrations/{r1}/steps"), Some(&cs), &json!({"status": "verified"})).await;
    assert_eq!(res.status(), StatusCode::OK);

    let body = json!({"action": "verify", "ids": [r1, r2, 424_242], "preview": true});
    let r = report(bulk(&app, &cs, "/api/v1/registrations/bulk", body).await).await;
    assert_eq!(items(&r).iter().map(|i| i.1.as_str()).collect::<Vec<_>>(), ["refused", "would_do", "refused"]);
    assert_eq!(get(&app, &cs, &format!("/api/v1/registrations/{r2}")).await["status"], "submitted");

    let body = json!({"action": "verify", "ids": [r1, r2, 424_242]});
    let r = report(bulk(&app, &cs, "/api/v1/registrations/bulk", body).await).await;
    let got = items(&r);
    assert_eq!(got.iter().map(|i| i.1.as_str()).collect::<Vec<_>>(), ["refused", "done", "refused"]);
    assert!(got[0].2.contains("only submitted ones are verified"), "{r}");
    assert!(r["items"][1]["label"].as_str().is_some_and(|l| l.starts_with("REG")), "{r}");
    assert_eq!(get(&app, &cs, &format!("/api/v1/registrations/{r2}")).await["status"], "verified");
    assert_eq!((audit_count(&app, &admin, "success").await, audit_count(&app, &admin, "failure").await), (1, 2));

    let res = bulk(&app, &noc, "/api/v1/registrations/bulk", json!({"action": "verify", "ids": [r2]})).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn customers_change_package_in_bulk_and_the_others_are_reported() {
    let app = spawn_app().await;
    let (_, admin) = app.user_with_token("andi", Role::Admin).await;
    let (_, cs) = app.user_with_token("rina.cs", Role::CustomerService).await;
    let (_, tech) = app.user_with_token("agus", Role::Technician).await;
    let silver = package(&app, &admin, "Home Silver").await;
    let gold = package(&app, &admin, "Home Gold").await;
    let c1 = customer(&app, &admin, "Siti Rahayu", "0857-2233-0001", silver).await;
    let c2 = customer(&app, &admin, "Budi Santoso", "0857-2233-0002", gold).await;
    let c3 = customer(&app, &admin, "Dewi Lestari", "0857-2233-0003", silver).await;
    aglis_db::repo::customers::set_status(
        &app.state.db,
        c3,
        CustomerStatus::Terminated,
        "pindah",
        None,
        app.state.now(),
    )
    .await
    .expect("terminate");

    let body = json!({"action": "change_package", "ids": [c1, c2, c3], "package_id": gold, "preview": true});
    let r = report(bulk(&app, &cs, "/api/v1/customers/bulk", body).await).await;
    assert_eq!(items(&r).iter().map(|i| i.1.as_str()).collect::<Vec<_>>(), ["would_do", "refused", "refused"]);
    assert_eq!(
        get(&app, &cs, &format!("/api/v1/customers/{c1}")).await["package_id"],
        silver,
        "a preview changes nothing"
    );

    let body = json!({"action": "change_package", "ids": [c1, c2, c3], "package_id": gold});
    let r = report(bulk(&app, &cs, "/api/v1/customers/bulk", body).await).await;
    let got = items(&r);
    assert_eq!(got.iter().map(|i| i.1.as_str()).collect::<Vec<_>>(), ["done", "refused", "refused"]);
    assert!(got[1].2.contains("on this package already") && got[2].2.contains("terminated"), "{r}");
    assert_eq!(get(&app, &cs, &format!("/api/v1/customers/{c1}")).await["package_id"], gold);
    let changes = aglis_db::repo::package_changes::of_customer(&app.state.db, c1).await.expect("changes");
    assert_eq!(changes.len(), 1, "recorded for billing as a change by hand is");
    assert_eq!((audit_count(&app, &admin, "success").await, audit_count(&app, &admin, "failure").await), (1, 2));

    let res = app
        .send_json(
            reqwest::Method::PUT,
            &format!("/api/v1/packages/{silver}"),
            Some(&admin),
            &json!({"name": "Home Silver", "speed_mbps": 50, "monthly_price": 250_000, "installation_fee": 0, "is_active": false}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let body = json!({"action": "change_package", "ids": [c1], "package_id": silver});
    let p = problem(bulk(&app, &cs, "/api/v1/customers/bulk", body).await, 422).await;
    assert!(p["errors"]["package_id"][0].as_str().is_some_and(|m| m.contains("no longer sold")), "{p}");
    let res = bulk(
        &app,
        &tech,
        "/api/v1/customers/bulk",
        json!({"action": "change_package", "ids": [c1], "package_id": gold}),
    )
    .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn the_lists_tick_preview_and_confirm_on_the_pages() {
    let app = spawn_app().await;
    let (_, admin) = app.user_with_token("andi", Role::Admin).await;
    app.insert_user("sari.spv", Role::Supervisor).await;
    let agus = technician(&app, &admin, "Agus Setiawan", "0812-7777-1001").await;
    let silver = package(&app, &admin, "Home Silver").await;
    let gold = package(&app, &admin, "Home Gold").await;
    let cid = customer(&app, &admin, "Siti Rahayu", "0857-2233-4455", silver).await;
    let t1 = ticket(&app, &admin, cid).await;
    let t2 = ticket(&app, &admin, cid).await;
    let cancel = json!({"to": "cancelled", "note": "dobel"});
    app.post_json(&format!("/api/v1/tickets/{t2}/transitions"), Some(&admin), &cancel).await;

    let browser = app.browser_login("sari.spv").await;
    let list = browser.get(app.url("/tickets")).send().await.expect("get").text().await.expect("html");
    assert!(list.contains("id=\"bulk-form\"") && list.contains(&format!("name=\"ids\" value=\"{t1}\"")), "{list}");
    let csrf = crate::helpers::csrf_token(&list);
    let form = |confirm: bool| {
        let mut f = vec![
            ("csrf_token".to_owned(), csrf.clone()),
            ("action".to_owned(), "assign".to_owned()),
            ("technician_id".to_owned(), agus.to_string()),
            ("priority".to_owned(), String::new()),
            ("ids".to_owned(), t1.to_string()),
            ("ids".to_owned(), t2.to_string()),
        ];
        if confirm {
            f.push(("confirm".to_owned(), "1".to_owned()));
        }
        f
    };
    let preview = browser.post(app.url("/tickets/bulk")).form(&form(false)).send().await.expect("post");
    assert_eq!(preview.status(), StatusCode::OK);
    let html = preview.text().await.expect("html");
    assert!(html.contains("id=\"bulk-would\">1<") && html.contains("id=\"bulk-refused\">1<"), "{html}");
    assert!(html.contains("sudah tidak dikerjakan"), "the reason, in Indonesian: {html}");
    assert!(html.contains("name=\"confirm\" value=\"1\""), "{html}");
    assert_eq!(get(&app, &admin, &format!("/api/v1/tickets/{t1}")).await["status"], "open");

    let done = browser.post(app.url("/tickets/bulk")).form(&form(true)).send().await.expect("post");
    assert_eq!(done.status(), StatusCode::OK);
    let html = done.text().await.expect("html");
    assert!(html.contains("id=\"bulk-done\">1<") && html.contains("id=\"bulk-refused\">1<"), "{html}");
    assert_eq!(get(&app, &admin, &format!("/api/v1/tickets/{t1}")).await["status"], "assigned");

    // Nothing ticked: the page says so (422).
    let none = vec![("csrf_token", csrf.clone()), ("action", "close".to_owned())];
    let res = browser.post(app.url("/tickets/bulk")).form(&none).send().await.expect("post");
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.expect("html").contains("centang minimal satu data"));

    // The customer list: tick, preview, confirm.
    let list = browser.get(app.url("/customers")).send().await.expect("get").text().await.expect("html");
    assert!(list.contains(&format!("name=\"ids\" value=\"{cid}\"")), "{list}");
    let f = vec![
        ("csrf_token", csrf.clone()),
        ("action", "change_package".to_owned()),
        ("package_id", gold.to_string()),
        ("ids", cid.to_string()),
        ("confirm", "1".to_owned()),
    ];
    let res = browser.post(app.url("/customers/bulk")).form(&f).send().await.expect("post");
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(get(&app, &admin, &format!("/api/v1/customers/{cid}")).await["package_id"], gold);
    let regs = browser.get(app.url("/registrations")).send().await.expect("get");
    assert_eq!(regs.status(), StatusCode::OK);
}

/// The new pages on a phone (390 px) in a real browser, on the demo data: the broadcasts page with
/// its live count and confirmation, the queue with its broadcasts, and a ticket bulk preview.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broadcasts_and_bulk_pages_fit_a_phone() {
    use crate::browser::{Browser, Driver, PHONE, sign_in};
    let app = crate::helpers::spawn_demo_app(|_| {}).await;
    app.insert_user("tour.spv", Role::Supervisor).await;
    let driver = Driver::start().await;
    let b = Browser::open_sized(&driver, "id", PHONE).await;
    sign_in(&b, &app, "tour.spv").await;
    b.go(&app.url("/notifications/broadcasts?lang=id")).await;
    b.click("select[name=odp_id] option:nth-child(2)").await;
    b.wait_text("#broadcast-count", &app.t("bc.customers")).await;
    b.fill("textarea[name=body]", "Gangguan jaringan, perkiraan pulih 16.00 WIB.").await;
    b.click("button[value=preview]").await;
    b.wait_url("/notifications/broadcasts").await;
    b.find("#confirm-count").await;
    b.fits().await;
    b.go(&app.url("/notifications/queue")).await;
    b.find("#queue-broadcasts").await;
    b.go(&app.url("/tickets")).await;
    b.click("input[data-check-all=ids]").await;
    b.click("#bulk-form select[name=action] option[value=close]").await;
    b.click("#bulk-form button[type=submit]").await;
    b.wait_text("h1", &app.t("bulk.tickets")).await;
    b.fits().await;
    b.close().await;
}
