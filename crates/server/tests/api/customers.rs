//! Customers, packages and ODPs through the API: validation per field, the status life cycle,
//! ports, search, and a customer account that reads only its own record.

use crate::helpers::{TestApp, problem, spawn_app};
use aglis_core::permission::Role;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

async fn package(app: &TestApp, token: &str, name: &str, price: i64) -> i64 {
    let res = app
        .post_json(
            "/api/v1/packages",
            Some(token),
            &json!({"name": name, "speed_mbps": 50, "monthly_price": price, "installation_fee": "100.000"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    res.json::<Value>().await.expect("json")["id"].as_i64().expect("id")
}

async fn customer(app: &TestApp, token: &str, name: &str, phone: &str, package_id: i64) -> Value {
    let res = app
        .post_json(
            "/api/v1/customers",
            Some(token),
            &json!({"name": name, "phone": phone, "address": "Perum Galuh Mas Blok C2 No. 7", "package_id": package_id}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED, "{name}");
    res.json().await.expect("json")
}

#[tokio::test]
async fn a_customer_gets_a_code_and_bad_fields_are_named() {
    let app = spawn_app().await;
    let (_, admin) = app.user_with_token("andi", Role::Admin).await;
    let (_, cs) = app.user_with_token("dewi", Role::CustomerService).await;
    let pkg = package(&app, &admin, "Home Silver 50M", 199_900).await;

    let c = customer(&app, &cs, "Budi Santoso", "0812-3456-7890", pkg).await;
    let code = c["code"].as_str().expect("code");
    assert!(code.starts_with("AGLS") && code.len() == 16 && code.ends_with("0001"), "{code}");
    assert_eq!((c["phone"].as_str(), c["status"].as_str()), (Some("6281234567890"), Some("prospect")));
    let second = customer(&app, &cs, "Siti Rahayu", "0857-2233-4455", pkg).await;
    assert!(second["code"].as_str().is_some_and(|c| c.ends_with("0002")));

    let cases = [
        (json!({"name": "X", "phone": "12", "address": "Jl", "package_id": pkg}), vec!["name", "phone", "address"]),
        (
            json!({"name": "Budi Dua", "phone": "+62 812 3456 7890", "address": "Jl. Kertabumi 8", "package_id": pkg}),
            vec!["phone"],
        ),
        (json!({"name": "Budi Empat", "phone": "0813-1111-2222", "address": "Jl. Kertabumi 8"}), vec!["package_id"]),
        (
            json!({"name": "Budi Lima", "phone": "0813-1111-2222", "address": "Jl. Kertabumi 8", "package_id": pkg, "ktp": "123", "email": "x@", "latitude": 200.0, "longitude": 1.0}),
            vec!["ktp", "email", "latitude"],
        ),
    ];
    for (body, fields) in cases {
        let p = problem(app.post_json("/api/v1/customers", Some(&cs), &body).await, 422).await;
        for f in fields {
            assert!(p["errors"][f].is_array(), "{f}: {p}");
        }
    }
    // A package that does not exist is not there: 404, naming the field.
    let body =
        json!({"name": "Budi Tiga", "phone": "0813-1111-2222", "address": "Jl. Kertabumi 8", "package_id": 999_999});
    let p = problem(app.post_json("/api/v1/customers", Some(&cs), &body).await, 404).await;
    assert!(p["errors"]["package_id"][0].as_str().is_some_and(|m| m.contains("no package 999999")), "{p}");
    let dup = problem(
        app.post_json(
            "/api/v1/customers",
            Some(&cs),
            &json!({"name": "Budi Dua", "phone": "0812 3456 7890", "address": "Jl. Kertabumi 8", "package_id": pkg}),
        )
        .await,
        422,
    )
    .await;
    assert!(dup["errors"]["phone"][0].as_str().is_some_and(|m| m.contains("Budi Santoso")), "{dup}");

    let (_, tech) = app.user_with_token("agus", Role::Technician).await;
    problem(app.post_json("/api/v1/customers", Some(&tech), &json!({"name": "Tes"})).await, 403).await;
}

#[tokio::test]
async fn the_status_life_cycle_is_enforced_and_recorded() {
    let app = spawn_app().await;
    let (_, admin) = app.user_with_token("andi", Role::Admin).await;
    let pkg = package(&app, &admin, "Home Bronze 30M", 149_900).await;
    let c = customer(&app, &admin, "Slamet Riyadi", "0821-9988-7766", pkg).await;
    let id = c["id"].as_i64().expect("id");
    let status = async |to: &str, reason: &str| {
        let body = json!({"status": to, "reason": reason});
        app.post_json(&format!("/api/v1/customers/{id}/status"), Some(&admin), &body).await
    };
    problem(status("suspended", "telat bayar").await, 409).await;
    assert_eq!(status("active", "").await.status(), StatusCode::OK);
    problem(status("suspended", "").await, 422).await;
    let res = status("suspended", "Tunggakan 2 bulan").await;
    let body: Value = res.json().await.expect("json");
    assert_eq!(body["status"], "suspended");
    assert!(body["suspended_at"].is_string());
    assert_eq!(status("active", "").await.status(), StatusCode::OK);
    assert_eq!(status("terminated", "Pindah ke luar kota").await.status(), StatusCode::OK);
    problem(status("active", "").await, 409).await;

    let detail: Value = app.get(&format!("/api/v1/customers/{id}"), Some(&admin)).await.json().await.expect("json");
    let kinds: Vec<&str> =
        detail["history"].as_array().expect("history").iter().filter_map(|h| h["kind"].as_str()).collect();
    assert_eq!(kinds, ["status", "status", "status", "status", "created"]);
    assert!(detail["history"][0]["detail"].as_str().is_some_and(|d| d.contains("Pindah ke luar kota")));
    assert_eq!(detail["package_name"], "Home Bronze 30M");
}

#[tokio::test]
async fn ports_are_given_once_and_freed_on_termination() {
    let app = spawn_app().await;
    let (_, admin) = app.user_with_token("andi", Role::Admin).await;
    let pkg = package(&app, &admin, "Home Gold 75M", 249_900).await;
    let res = app
        .post_json(
            "/api/v1/odps",
            Some(&admin),
            &json!({"code": "odp-krw-001-a12", "area": "Karawang Barat", "location": "Jl. Tuparev No. 12", "total_ports": 2}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let odp: Value = res.json().await.expect("json");
    assert_eq!(odp["code"], "ODP-KRW-001-A12");
    let odp_id = odp["id"].as_i64().expect("id");
    let mut ids = Vec::new();
    for (name, phone) in [("Ani", "0811-0000-0001"), ("Banu", "0811-0000-0002"), ("Cici", "0811-0000-0003")] {
        ids.push(customer(&app, &admin, name, phone, pkg).await["id"].as_i64().expect("id"));
    }
    let port = async |id: i64, body: Value| {
        app.send_json(Method::PUT, &format!("/api/v1/customers/{id}/port"), Some(&admin), &body).await
    };
    let a: Value = port(ids[0], json!({"odp_id": odp_id})).await.json().await.expect("json");
    assert_eq!(a["odp_port"], 1, "the lowest free port");
    let p = problem(port(ids[1], json!({"odp_id": odp_id, "port": 1})).await, 422).await;
    assert!(p["errors"]["port"].is_array(), "{p}");
    problem(port(ids[1], json!({"odp_id": odp_id, "port": 3})).await, 422).await;
    assert_eq!(port(ids[1], json!({"odp_id": odp_id})).await.status(), StatusCode::OK);
    let full: Value = app.get(&format!("/api/v1/odps/{odp_id}"), Some(&admin)).await.json().await.expect("json");
    assert_eq!((full["used_ports"].as_i64(), full["status"].as_str()), (Some(2), Some("full")));
    let p = problem(port(ids[2], json!({"odp_id": odp_id})).await, 422).await;
    assert!(p["errors"]["odp_id"][0].as_str().is_some_and(|m| m.contains("no free port")), "{p}");

    let path = format!("/api/v1/customers/{}/status", ids[0]);
    app.post_json(&path, Some(&admin), &json!({"status": "terminated", "reason": "Berhenti langganan"})).await;
    let odp_now: Value = app.get(&format!("/api/v1/odps/{odp_id}"), Some(&admin)).await.json().await.expect("json");
    assert_eq!((odp_now["used_ports"].as_i64(), odp_now["status"].as_str()), (Some(1), Some("active")));
    let c: Value = port(ids[2], json!({"odp_id": odp_id})).await.json().await.expect("json");
    assert_eq!(c["odp_port"], 1, "the freed port is reused");
    problem(
        app.send_json(
            Method::PUT,
            &format!("/api/v1/odps/{odp_id}"),
            Some(&admin),
            &json!({"code": "ODP-KRW-001-A12", "area": "Karawang Barat", "location": "Jl. Tuparev", "total_ports": 1}),
        )
        .await,
        422,
    )
    .await;
    problem(app.send_json(Method::DELETE, &format!("/api/v1/odps/{odp_id}"), Some(&admin), &json!({})).await, 409)
        .await;
    problem(app.send_json(Method::DELETE, &format!("/api/v1/packages/{pkg}"), Some(&admin), &json!({})).await, 409)
        .await;
}

#[tokio::test]
async fn search_finds_by_name_words_code_and_phone_and_pages() {
    let app = spawn_app().await;
    let (_, admin) = app.user_with_token("andi", Role::Admin).await;
    let pkg = package(&app, &admin, "Home Silver 50M", 199_900).await;
    let names = ["Budi Santoso", "Budiman Hartono", "Siti Budiarti", "Agus Setiawan", "Dewi Lestari"];
    let mut codes = Vec::new();
    for (i, name) in names.iter().enumerate() {
        codes.push(
            customer(&app, &admin, name, &format!("0812-7000-00{i:02}"), pkg).await["code"]
                .as_str()
                .expect("code")
                .to_owned(),
        );
    }
    let search = async |q: &str| {
        let path = format!("/api/v1/customers?q={}", urlencode(q));
        let list: Value = app.get(&path, Some(&admin)).await.json().await.expect("json");
        let items = list["items"].as_array().expect("items");
        let mut found: Vec<String> = items.iter().filter_map(|c| c["name"].as_str().map(str::to_owned)).collect();
        found.sort();
        (found, list["total"].as_u64().expect("total"))
    };
    assert_eq!(search("budi").await.0, ["Budi Santoso", "Budiman Hartono", "Siti Budiarti"]);
    assert_eq!(search("BUDI san").await.0, ["Budi Santoso"]);
    assert_eq!(search("081270000003").await.0, ["Agus Setiawan"]);
    assert_eq!(search("+62 812-7000-00").await.1, 5);
    assert_eq!(search(&codes[4]).await.0, ["Dewi Lestari"]);
    assert_eq!(search("x").await.1, 0, "one letter finds nothing rather than everything");
    assert_eq!(search("100%_").await.1, 0);

    let page: Value =
        app.get("/api/v1/customers?per_page=2&page=3&sort=code", Some(&admin)).await.json().await.expect("json");
    assert_eq!((page["total"].as_u64(), page["items"].as_array().map(Vec::len)), (Some(5), Some(1)));
    assert_eq!(page["items"][0]["code"], codes[4].as_str());
    problem(app.get("/api/v1/customers?sort=harga", Some(&admin)).await, 422).await;
    problem(app.get("/api/v1/customers?status=hilang", Some(&admin)).await, 422).await;
}

fn urlencode(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

#[tokio::test]
async fn a_customer_account_reads_only_its_own_record() {
    let app = spawn_app().await;
    let (_, admin) = app.user_with_token("andi", Role::Admin).await;
    let pkg = package(&app, &admin, "Home Silver 50M", 199_900).await;
    let mine = customer(&app, &admin, "Rina Marlina", "0813-1000-0015", pkg).await["id"].as_i64().expect("id");
    let other = customer(&app, &admin, "Yuliana Putri", "0813-1000-0016", pkg).await["id"].as_i64().expect("id");
    let res = app
        .post_json(
            &format!("/api/v1/customers/{mine}/account"),
            Some(&admin),
            &json!({"username": "rina.marlina", "password": "rahasia-123"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.json::<Value>().await.expect("json")["has_portal_account"], true);
    problem(
        app.post_json(
            &format!("/api/v1/customers/{mine}/account"),
            Some(&admin),
            &json!({"username": "rina2", "password": "rahasia-123"}),
        )
        .await,
        409,
    )
    .await;

    // The account signs in with its password (the portal's optional way in) and reads its own
    // record through the portal; the staff routes are not for it.
    let token = app.token("rina.marlina").await;
    let own = app.get("/api/v1/portal/me", Some(&token)).await;
    assert_eq!(own.status(), StatusCode::OK);
    assert_eq!(own.json::<Value>().await.expect("json")["name"], "Rina Marlina");
    problem(app.get(&format!("/api/v1/customers/{mine}"), Some(&token)).await, 403).await;
    problem(app.get(&format!("/api/v1/customers/{other}"), Some(&token)).await, 403).await;
    problem(app.get("/api/v1/customers", Some(&token)).await, 403).await;
    problem(app.get("/api/v1/odps", Some(&token)).await, 403).await;
}

#[tokio::test]
async fn packages_are_public_when_on_sale_and_managed_by_admins() {
    let app = spawn_app().await;
    let (_, admin) = app.user_with_token("andi", Role::Admin).await;
    let (_, cs) = app.user_with_token("dewi", Role::CustomerService).await;
    let a = package(&app, &admin, "Home Bronze 30M", 149_900).await;
    let b = package(&app, &admin, "Home Platinum 100M", 289_900).await;
    let res = app
        .send_json(Method::PUT, &format!("/api/v1/packages/{b}"), Some(&admin), &json!({"name": "Home Platinum 100M", "speed_mbps": 100, "monthly_price": "289.900", "installation_fee": 150000, "is_active": false}))
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let public: Value = app.get("/api/v1/packages", None).await.json().await.expect("json");
    assert_eq!((public["total"].as_u64(), public["items"].as_array().map(Vec::len)), (Some(1), Some(1)), "on sale");
    assert_eq!(public["items"][0]["id"], a);
    assert_eq!(public["items"][0]["monthly_price"], 149_900);
    let all: Value = app.get("/api/v1/packages", Some(&admin)).await.json().await.expect("json");
    assert_eq!(all["items"].as_array().map(Vec::len), Some(2));
    problem(
        app.post_json(
            "/api/v1/packages",
            Some(&cs),
            &json!({"name": "X", "speed_mbps": 1, "monthly_price": 1, "installation_fee": 0}),
        )
        .await,
        403,
    )
    .await;
    let p = problem(
        app.post_json(
            "/api/v1/packages",
            Some(&admin),
            &json!({"name": "Home Bronze 30M", "speed_mbps": 30, "monthly_price": 1, "installation_fee": 0}),
        )
        .await,
        409,
    )
    .await;
    assert!(p["errors"]["name"].is_array());
    let p = problem(
        app.post_json(
            "/api/v1/packages",
            Some(&admin),
            &json!({"name": "Rusak", "speed_mbps": 0, "monthly_price": "gratis", "installation_fee": -5}),
        )
        .await,
        422,
    )
    .await;
    for f in ["speed_mbps", "monthly_price", "installation_fee"] {
        assert!(p["errors"][f].is_array(), "{f}: {p}");
    }
    assert_eq!(
        app.send_json(Method::DELETE, &format!("/api/v1/packages/{b}"), Some(&admin), &json!({})).await.status(),
        StatusCode::NO_CONTENT
    );
}

#[tokio::test]
async fn the_demo_has_packages_odps_and_customers_in_every_status() {
    let app = spawn_app().await;
    aglis_server::demo::seed(&app.state).await.expect("seed");
    let db = &app.state.db;
    assert_eq!(aglis_db::repo::packages::list(db, true).await.expect("db").len(), 4);
    let counts = aglis_db::repo::customers::status_counts(db).await.expect("db");
    assert!(counts.iter().all(|(_, n)| *n > 0), "every status: {counts:?}");
    assert_eq!(counts.iter().map(|(_, n)| n).sum::<i64>(), 304, "300 customers and 4 registrations past approval");
    let prefix = aglis_core::customer::code_prefix(crate::helpers::ClockExt::now_utc(&app.clock));
    let highest = aglis_db::repo::customers::highest_code(db, &prefix).await.expect("db");
    assert_eq!(highest, Some(format!("{prefix}0304")), "demo codes leave the day's counter where staff continue it");
    let q = aglis_db::repo::odps::OdpQuery { page: 1, per_page: 100, ..Default::default() };
    let (odps, _) = aglis_db::repo::odps::list(db, &q).await.expect("db");
    assert!(odps.iter().any(|o| o.used_ports > 0), "customers are connected");
    for o in &odps {
        let taken = aglis_db::repo::odps::taken_ports(db, o.id).await.expect("db");
        assert_eq!(usize::try_from(o.used_ports).ok(), Some(taken.len()), "{} counts its ports", o.code);
    }
    let regs = aglis_db::repo::registrations::status_counts(db).await.expect("db");
    for s in
        ["submitted", "verified", "survey_scheduled", "surveyed", "installation_scheduled", "rejected", "cancelled"]
    {
        assert!(regs.iter().any(|(st, n)| st.as_str() == s && *n > 0), "a registration that is {s}: {regs:?}");
    }
    let (_, admin) = app.user_with_token("andi.demo", Role::Admin).await;
    let found: Value = app.get("/api/v1/customers?q=siti", Some(&admin)).await.json().await.expect("json");
    assert!(found["total"].as_u64().is_some_and(|n| n > 0), "the demo names are searchable");
}

async fn import(app: &TestApp, token: &str, csv: &str, dry_run: bool) -> reqwest::Response {
    app.api
        .post(app.url(&format!("/api/v1/customers/import?dry_run={dry_run}")))
        .bearer_auth(token)
        .header("content-type", "text/csv")
        .body(csv.to_owned())
        .send()
        .await
        .expect("import")
}

#[tokio::test]
async fn an_import_reports_every_bad_row_and_imports_only_a_clean_file() {
    let app = spawn_app().await;
    let (_, admin) = app.user_with_token("andi", Role::Admin).await;
    package(&app, &admin, "Home Silver 50M", 199_900).await;
    customer(&app, &admin, "Sudah Ada", "0812-1111-0000", 1).await;
    let bad = "Nama;No HP;Alamat;Kota;Paket;Status\n\
        Budi Santoso;0812-3456-7890;Jl. Kertabumi No. 8;Karawang;Home Silver 50M;aktif\n\
        Siti;12345;Jl. Tuparev 1;Karawang;Home Silver 50M;\n\
        Agus Setiawan;0812-3456-7890;Jl. Ahmad Yani 3;Karawang;Paket Hilang;\n\
        Dewi Lestari;0812-1111-0000;Jl. Cut Mutia 4;Bekasi;Home Silver 50M;libur\n";
    let report: Value = import(&app, &admin, bad, false).await.json().await.expect("json");
    assert_eq!(report["imported"], 0, "nothing is imported while a row is bad: {report}");
    let errors: Vec<(u64, String)> = report["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| (e["row"].as_u64().expect("row"), e["field"].as_str().expect("field").to_owned()))
        .collect();
    for expected in [(3, "phone"), (4, "package"), (4, "phone"), (5, "status"), (5, "phone")] {
        assert!(errors.contains(&(expected.0, expected.1.to_owned())), "{expected:?} in {errors:?}");
    }
    assert!(!errors.iter().any(|(row, _)| *row == 2), "row 2 is fine");
    let list: Value = app.get("/api/v1/customers", Some(&admin)).await.json().await.expect("json");
    assert_eq!(list["total"], 1);

    let good = "name,phone,address,city,package,status,code\n\
        Budi Santoso,0812-3456-7890,Jl. Kertabumi No. 8,Karawang,Home Silver 50M,active,CUST20240101001\n\
        Siti Rahayu,0857 2233 4455,Jl. Tuparev No. 1,Karawang,home silver 50m,suspended,\n";
    let dry: Value = import(&app, &admin, good, true).await.json().await.expect("json");
    assert_eq!(
        (dry["rows"].as_u64(), dry["imported"].as_u64(), dry["errors"].as_array().map(Vec::len)),
        (Some(2), Some(0), Some(0))
    );
    let done: Value = import(&app, &admin, good, false).await.json().await.expect("json");
    assert_eq!(done["imported"], 2);
    let budi: Value = app.get("/api/v1/customers?q=budi", Some(&admin)).await.json().await.expect("json");
    assert_eq!(budi["items"][0]["code"], "CUST20240101001", "a legacy code is kept");
    let siti: Value = app.get("/api/v1/customers?q=siti", Some(&admin)).await.json().await.expect("json");
    assert_eq!(siti["items"][0]["status"], "suspended");
    let again: Value = import(&app, &admin, good, true).await.json().await.expect("json");
    assert!(again["errors"].as_array().is_some_and(|e| e.len() >= 2), "now the numbers and code are taken: {again}");

    problem(import(&app, &admin, "foo,bar\n1,2\n", true).await, 422).await;
    let (_, tech) = app.user_with_token("agus", Role::Technician).await;
    problem(import(&app, &tech, good, true).await, 403).await;
}

#[tokio::test]
async fn the_load_seed_adds_searchable_customers_in_a_realistic_mix() {
    let app = spawn_app().await;
    aglis_server::demo::seed(&app.state).await.expect("demo");
    let now = crate::helpers::ClockExt::now_utc(&app.clock);
    aglis_server::seed::customers(&app.state.db, 2_500, now).await.expect("seed");
    let counts = aglis_db::repo::customers::status_counts(&app.state.db).await.expect("db");
    assert_eq!(counts.iter().map(|(_, n)| n).sum::<i64>(), 304 + 2_500);
    let (_, admin) = app.user_with_token("andi.seed", Role::Admin).await;
    let found: Value = app.get("/api/v1/customers?q=0899000012", Some(&admin)).await.json().await.expect("json");
    assert_eq!(found["total"], 100, "a phone prefix: 62899000012xx, generated customers 1200–1299");
    let named: Value = app.get("/api/v1/customers?q=siti&per_page=5", Some(&admin)).await.json().await.expect("json");
    assert!(
        named["items"]
            .as_array()
            .expect("items")
            .iter()
            .all(|c| c["name"].as_str().is_some_and(|n| n.to_lowercase().contains("siti")))
    );
}

/// A minimal Excel workbook (what a spreadsheet saves, with inline strings) holding `rows`.
fn xlsx(rows: &[&[&str]]) -> Vec<u8> {
    use std::io::Write;
    let esc = |s: &str| s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;");
    let mut sheet = String::from(
        r#"<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>"#,
    );
    for (r, row) in rows.iter().enumerate() {
        sheet.push_str(&format!(r#"<row r="{}">"#, r + 1));
        for (c, cell) in row.iter().enumerate() {
            let col = char::from(b'A' + u8::try_from(c).expect("column"));
            sheet.push_str(&format!(r#"<c r="{col}{}" t="inlineStr"><is><t>{}</t></is></c>"#, r + 1, esc(cell)));
        }
        sheet.push_str("</row>");
    }
    sheet.push_str("</sheetData></worksheet>");
    let files = [
        (
            "[Content_Types].xml",
            r#"<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>"#.to_owned(),
        ),
        (
            "_rels/.rels",
            r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#.to_owned(),
        ),
        (
            "xl/workbook.xml",
            r#"<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Pelanggan" sheetId="1" r:id="rId1"/></sheets></workbook>"#.to_owned(),
        ),
        (
            "xl/_rels/workbook.xml.rels",
            r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>"#.to_owned(),
        ),
        ("xl/worksheets/sheet1.xml", sheet),
    ];
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, body) in files {
        zip.start_file(name, zip::write::SimpleFileOptions::default()).expect("zip");
        zip.write_all(body.as_bytes()).expect("zip");
    }
    zip.finish().expect("zip").into_inner()
}

#[tokio::test]
async fn an_excel_file_is_checked_and_imported_like_a_csv() {
    let app = spawn_app().await;
    let (_, admin) = app.user_with_token("andi", Role::Admin).await;
    package(&app, &admin, "Home Gold 100M", 299_900).await;
    let send = async |body: Vec<u8>, dry_run: bool| -> Value {
        app.api
            .post(app.url(&format!("/api/v1/customers/import?dry_run={dry_run}")))
            .bearer_auth(&admin)
            .header("content-type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
            .body(body)
            .send()
            .await
            .expect("import")
            .json()
            .await
            .expect("json")
    };
    let header: &[&str] = &["Nama", "No HP", "Alamat", "Kota", "Paket"];
    let bad = xlsx(&[
        header,
        &["Rina Marlina", "0813-2222-3333", "Jl. Interchange No. 2", "Karawang", "Home Gold 100M"],
        &["Joko", "0813", "Jl. Galuh Mas Raya", "Karawang", "Home Gold 100M"],
    ]);
    let report = send(bad, false).await;
    assert_eq!(report["imported"], 0, "{report}");
    assert_eq!(report["errors"][0]["row"], 3);
    assert_eq!(report["errors"][0]["field"], "phone");
    let message = report["errors"][0]["message"].as_str().expect("message");
    assert!(!message.starts_with('@') && message.contains("number"), "a sentence, not a message key: {message}");

    let good = xlsx(&[
        header,
        &["Rina Marlina", "0813-2222-3333", "Jl. Interchange No. 2", "Karawang", "Home Gold 100M"],
        &["Joko Susilo", "0813-4444-5555", "Jl. Galuh Mas Raya", "Bekasi", "home gold 100m"],
    ]);
    let dry = send(good.clone(), true).await;
    assert_eq!((dry["rows"].as_u64(), dry["imported"].as_u64()), (Some(2), Some(0)), "{dry}");
    assert_eq!(send(good, false).await["imported"], 2);
    let joko: Value = app.get("/api/v1/customers?q=joko", Some(&admin)).await.json().await.expect("json");
    assert_eq!(joko["items"][0]["phone"], "6281344445555");
    assert_eq!(joko["items"][0]["city"], "Bekasi");
}

/// The bodies of the messages queued to `phone`, oldest first.
async fn messages_to(app: &TestApp, phone: &str) -> Vec<String> {
    let query =
        aglis_db::repo::messages::MessageQuery { q: Some(phone.into()), page: 1, per_page: 20, ..Default::default() };
    let mut bodies: Vec<(i64, String)> = aglis_db::repo::messages::list(&app.state.db, &query)
        .await
        .expect("db")
        .items
        .into_iter()
        .map(|m| (m.id, m.body))
        .collect();
    bodies.sort();
    bodies.into_iter().map(|(_, b)| b).collect()
}

#[tokio::test]
async fn a_customer_hears_of_their_tickets_in_their_language() {
    let app = spawn_app().await;
    let (_, admin) = app.user_with_token("andi", Role::Admin).await;
    let pkg = package(&app, &admin, "Home 30", 200_000).await;
    let res = app
        .post_json(
            "/api/v1/customers",
            Some(&admin),
            &json!({"name": "John Miller", "phone": "0812-5555-0101", "address": "Grand Taruma Blok E 3",
                "package_id": pkg, "language": "en"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let john: Value = res.json().await.expect("json");
    assert_eq!(john["language"], "en");
    let siti = customer(&app, &admin, "Siti Rahayu", "0812-5555-0102", pkg).await;
    assert_eq!(siti["language"], "id", "Indonesian unless chosen");
    for c in [&john, &siti] {
        let res = app
            .post_json(
                "/api/v1/tickets",
                Some(&admin),
                &json!({"customer_id": c["id"], "type": "repair", "priority": "high", "title": "Internet mati",
                    "description": "Lampu LOS merah sejak pagi"}),
            )
            .await;
        assert_eq!(res.status(), StatusCode::CREATED);
        let id = res.json::<Value>().await.expect("json")["id"].as_i64().expect("id");
        let res = app
            .post_json(
                &format!("/api/v1/tickets/{id}/transitions"),
                Some(&admin),
                &json!({"to": "cancelled", "note": "dobel"}),
            )
            .await;
        assert_eq!(res.status(), StatusCode::OK);
    }
    let to_john = messages_to(&app, "6281255550101").await;
    assert!(to_john[0].starts_with("Hello John Miller, your report"), "{to_john:?}");
    let to_siti = messages_to(&app, "6281255550102").await;
    assert!(to_siti[0].starts_with("Halo Siti Rahayu, laporan Anda"), "{to_siti:?}");

    // A bad language is named; an update without one keeps the customer's.
    let bad = app
        .post_json(
            "/api/v1/customers",
            Some(&admin),
            &json!({"name": "Rudi", "phone": "0812-5555-0103", "address": "Jl. Tuparev 1", "package_id": pkg, "language": "jv"}),
        )
        .await;
    let p = problem(bad, 422).await;
    assert!(p["errors"]["language"][0].as_str().is_some_and(|m| m.contains("en (English)")), "{p}");
    let body = json!({"name": "John Miller", "phone": "0812-5555-0101", "address": "Grand Taruma Blok E 5", "package_id": pkg});
    let res = app.send_json(Method::PUT, &format!("/api/v1/customers/{}", john["id"]), Some(&admin), &body).await;
    assert_eq!(res.json::<Value>().await.expect("json")["language"], "en");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_customers_and_tickets_get_consecutive_codes_without_a_conflict() {
    let app = spawn_app().await;
    let (_, admin) = app.user_with_token("andi", Role::Admin).await;
    let pkg = package(&app, &admin, "Home Silver 50M", 199_900).await;
    let mut customers = tokio::task::JoinSet::new();
    for i in 0..16 {
        let body = json!({"name": format!("Pelanggan {i}"), "phone": format!("0812-7000-{i:04}"),
            "address": "Perum Galuh Mas Blok C2 No. 7", "package_id": pkg});
        customers.spawn(app.api.post(app.url("/api/v1/customers")).bearer_auth(&admin).json(&body).send());
    }
    let mut codes = Vec::new();
    let mut ids = Vec::new();
    while let Some(res) = customers.join_next().await {
        let res = res.expect("task").expect("request");
        assert_eq!(res.status(), StatusCode::CREATED, "no 409 to retry");
        let c: Value = res.json().await.expect("json");
        codes.push(c["code"].as_str().expect("code").to_owned());
        ids.push(c["id"].as_i64().expect("id"));
    }
    codes.sort();
    let prefix = aglis_core::customer::code_prefix(crate::helpers::ClockExt::now_utc(&app.clock));
    let expected: Vec<String> = (1..=16).map(|n| format!("{prefix}{n:04}")).collect();
    assert_eq!(codes, expected, "distinct and without gaps");

    let mut tickets = tokio::task::JoinSet::new();
    for (i, id) in ids.iter().enumerate() {
        let body = json!({"customer_id": id, "type": "repair", "priority": "normal",
            "title": format!("Internet mati {i}"), "description": "Lampu LOS merah sejak pagi."});
        tickets.spawn(app.api.post(app.url("/api/v1/tickets")).bearer_auth(&admin).json(&body).send());
    }
    let mut numbers = Vec::new();
    while let Some(res) = tickets.join_next().await {
        let res = res.expect("task").expect("request");
        assert_eq!(res.status(), StatusCode::CREATED, "no 409 to retry: {:?}", res.text().await);
        let t: Value = res.json().await.expect("json");
        numbers.push(t["number"].as_str().expect("number").to_owned());
    }
    numbers.sort();
    let prefix = aglis_core::ticket::number_prefix(crate::helpers::ClockExt::now_utc(&app.clock));
    let expected: Vec<String> = (1..=16).map(|n| format!("{prefix}{n:03}")).collect();
    assert_eq!(numbers, expected, "distinct and without gaps");
}

#[tokio::test]
async fn a_rolled_back_creation_gives_its_number_back() {
    use sea_orm::TransactionTrait;
    let app = spawn_app().await;
    let now = crate::helpers::ClockExt::now_utc(&app.clock);
    let txn = app.state.db.begin().await.expect("begin");
    let first = aglis_db::repo::tickets::next_number(&txn, now).await.expect("db").expect("number");
    txn.rollback().await.expect("rollback");
    let again = aglis_db::repo::tickets::next_number(&app.state.db, now).await.expect("db").expect("number");
    assert_eq!(first, again, "no gap");
    let next = aglis_db::repo::tickets::next_number(&app.state.db, now).await.expect("db").expect("number");
    assert!(next > again);
}
