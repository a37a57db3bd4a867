//! Each role's start page (issue 22) answers "what needs me now?" with figures that link to the
//! list behind them; the permission codes live on the account page; the top bar's search finds a
//! customer or a ticket from anywhere.

use crate::helpers::{TestApp, between, csrf_token, spawn_app};
use aglis_core::customer::CustomerStatus;
use aglis_core::permission::Role;
use aglis_core::ticket::{TicketStatus, TicketType};
use chrono::{DateTime, Duration, Utc};
use reqwest::StatusCode;
use serde_json::Value;

/// A browser signed in as a demo account (password `demo12345`).
async fn demo_browser(app: &TestApp, username: &str) -> reqwest::Client {
    let browser = app.browser();
    let page = browser.get(app.url("/login")).send().await.expect("login page").text().await.expect("html");
    let res = browser
        .post(app.url("/login"))
        .form(&[("username", username), ("password", "demo12345"), ("csrf_token", &csrf_token(&page)), ("next", "/")])
        .send()
        .await
        .expect("login");
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "{username}");
    browser
}

async fn home(app: &TestApp, browser: &reqwest::Client) -> String {
    let res = browser.get(app.url("/")).send().await.expect("home");
    assert_eq!(res.status(), 200);
    res.text().await.expect("html")
}

#[tokio::test]
async fn every_role_starts_on_what_needs_them_with_figures_not_permission_codes() {
    let app = spawn_app().await;
    aglis_server::demo::seed(&app.state).await.expect("seed");
    let (_, admin) = app.user_with_token("andi.home", Role::Admin).await;
    let urgent: Value = app.get("/api/v1/tickets?per_page=3", Some(&admin)).await.json().await.expect("json");
    let first = &urgent["items"][0];
    assert!(first["breached_at"].is_string() || first["sla_due_at"].as_str().is_some(), "{first}");
    let dash: Value = app.get("/api/v1/dashboard", Some(&admin)).await.json().await.expect("json");
    let breached = dash["tickets"]["breached"].as_i64().expect("breached");
    assert!(breached > 0);

    // The supervisor: the breached ticket itself, linked, and the figures that lead to lists.
    let supervisor = home(&app, &demo_browser(&app, "supervisor").await).await;
    assert!(supervisor.contains(first["number"].as_str().expect("number")), "the most urgent ticket is there");
    assert!(supervisor.contains(&format!("href=\"/tickets/{}\"", first["id"])), "and opens from there");
    assert!(supervisor.contains(&format!(
        "<span class=\"tile-value\">{breached}</span><span class=\"tile-label\">{}",
        app.t("home.breached")
    )));
    assert!(supervisor.contains("href=\"/tickets?status=open\""), "unassigned leads to the open tickets");
    assert!(supervisor.contains(&app.t("home.team")) && supervisor.contains(&app.t("home.escalations")));
    assert!(supervisor.contains("href=\"/registrations?status="), "sign-ups per step, each to its list");
    for code in ["tickets.assign", "dashboard.view", "customers.view"] {
        assert!(!supervisor.contains(code), "no permission code {code} on the start page");
    }

    // Customer service: sign-ups to verify, tickets waiting for the customer, failed messages.
    let cs = home(&app, &demo_browser(&app, "cs").await).await;
    assert!(cs.contains("href=\"/registrations?status=submitted\"") && cs.contains(&app.t("home.to_verify")));
    assert!(cs.contains("href=\"/tickets?status=waiting_customer\"") && cs.contains(&app.t("home.failed_messages")));
    assert!(!cs.contains(&app.t("home.team")), "the team's load is the supervisor's");

    // NOC: open tickets per area and ODP, and the WhatsApp delivery rate.
    let noc = home(&app, &demo_browser(&app, "noc").await).await;
    assert!(noc.contains(&app.t("home.areas")), "open tickets per area");
    assert!(noc.contains(&app.t("home.delivery_rate")), "delivery now");

    // The manager: how the technicians did, and the customers per status.
    let manager = home(&app, &demo_browser(&app, "manager").await).await;
    assert!(manager.contains(&app.t("home.performance")) && manager.contains(&app.t("home.customers")));

    // The technician: their own tickets with a phone to tap and a map.
    let tech_browser = demo_browser(&app, "technician").await;
    let tech = home(&app, &tech_browser).await;
    let login = serde_json::json!({"username": "technician", "password": "demo12345"});
    let token = app.post_json("/api/v1/auth/login", None, &login).await.json::<Value>().await.expect("json")["token"]
        .as_str()
        .expect("token")
        .to_owned();
    let mine: Value = app.get("/api/v1/tickets", Some(&token)).await.json().await.expect("json");
    let mine = mine["items"].as_array().expect("items");
    assert!(!mine.is_empty());
    for t in mine {
        assert!(tech.contains(t["number"].as_str().expect("number")), "{} on the day's list", t["number"]);
    }
    assert!(tech.contains("href=\"tel:+62"), "tap to call");
    assert!(tech.contains("https://www.google.com/maps/search/?api=1"), "a map link");
    let others = urgent["items"].as_array().expect("items").iter().filter(|t| !mine.iter().any(|m| m["id"] == t["id"]));
    for t in others {
        assert!(!tech.contains(t["number"].as_str().expect("number")), "not someone else's ticket");
    }

    // The permission codes are on the account page.
    let account = demo_browser(&app, "supervisor").await.get(app.url("/account/security")).send().await.expect("page");
    let account = account.text().await.expect("html");
    assert!(account.contains("tickets.assign") && account.contains(&app.t("account.permissions")));
}

#[tokio::test]
async fn the_top_bar_search_finds_customers_and_tickets_from_anywhere() {
    let app = spawn_app().await;
    aglis_server::demo::seed(&app.state).await.expect("seed");
    let (_, admin) = app.user_with_token("andi.find", Role::Admin).await;
    let customers: Value = app.get("/api/v1/customers?per_page=1", Some(&admin)).await.json().await.expect("json");
    let c = &customers["items"][0];
    let local = format!("0{}", &c["phone"].as_str().expect("phone")[2..]);
    let cs = demo_browser(&app, "cs").await;
    let page = |q: String| {
        let cs = cs.clone();
        let url = app.url(&format!("/search?q={}", form_urlencoded::byte_serialize(q.as_bytes()).collect::<String>()));
        async move { cs.get(url).send().await.expect("search").text().await.expect("html") }
    };
    let by_phone = page(local).await;
    assert!(by_phone.contains(&format!("href=\"/customers/{}\"", c["id"])), "found by phone");
    let by_code = page(c["code"].as_str().expect("code").to_owned()).await;
    assert!(by_code.contains(&format!("href=\"/customers/{}\"", c["id"])), "found by code");
    let tickets: Value =
        app.get("/api/v1/tickets?scope=done&per_page=1", Some(&admin)).await.json().await.expect("json");
    let t = &tickets["items"][0];
    let by_number = page(t["number"].as_str().expect("number").to_owned()).await;
    assert!(by_number.contains(&format!("href=\"/tickets/{}\"", t["id"])), "a closed ticket found by its number");
    let none = page("zzqxw".to_owned()).await;
    assert!(none.contains(&app.t("home.search_none")));
    let short = page("a".to_owned()).await;
    assert!(short.contains(&app.t("home.search_short")));
    // Every staff page carries the box.
    assert!(
        cs.get(app.url("/tickets"))
            .send()
            .await
            .expect("page")
            .text()
            .await
            .expect("html")
            .contains("action=\"/search\"")
    );
}

/// A customer registered at `registered` (and terminated at `left`), through the repository with
/// those instants as "now".
async fn customer_at(app: &TestApp, n: usize, package_id: i64, registered: DateTime<Utc>, left: Option<DateTime<Utc>>) {
    use aglis_db::repo::customers::{self, Profile};
    let profile = Profile {
        name: format!("Tren Pelanggan {n}"),
        phone: format!("62811770000{n:02}"),
        email: None,
        ktp: None,
        address: "Jl. Tuparev 1".into(),
        city: "Karawang".into(),
        latitude: None,
        longitude: None,
        package_id,
        notes: String::new(),
        language: Default::default(),
    };
    let code = format!("AGLS20260101{n:04}");
    let c = customers::create(&app.state.db, &code, profile, CustomerStatus::Active, None, registered)
        .await
        .expect("customer");
    if let Some(at) = left {
        customers::set_status(&app.state.db, c.id, CustomerStatus::Terminated, "pindah", None, at)
            .await
            .expect("terminate");
    }
}

/// A ticket of `ty` opened at `created`, resolved `took` later (past its SLA at `breached`).
async fn ticket_at(
    app: &TestApp,
    number: &str,
    ty: TicketType,
    created: DateTime<Utc>,
    took: Option<Duration>,
    breached: Option<DateTime<Utc>>,
) {
    use aglis_db::repo::tickets::{self, NewTicket};
    let targets = aglis_core::ticket_sla::targets_for(
        &aglis_core::ticket_sla::default_targets(),
        ty,
        aglis_core::ticket::Priority::Normal,
    )
    .expect("targets");
    let new = NewTicket {
        customer_id: None,
        registration_id: None,
        ticket_type: ty,
        category: String::new(),
        priority: aglis_core::ticket::Priority::Normal,
        title: format!("Tren {number}"),
        description: String::new(),
        location: String::new(),
        latitude: None,
        longitude: None,
    };
    let t = tickets::create(&app.state.db, number, new, targets, Some(created + targets.resolution), None, created)
        .await
        .expect("ticket");
    if let Some(at) = breached {
        assert!(tickets::set_breached(&app.state.db, t.id, at).await.expect("breach"));
    }
    if let Some(took) = took {
        assert!(
            tickets::set_status(&app.state.db, &t, TicketStatus::Resolved, None, created + took)
                .await
                .expect("resolve")
        );
    }
}

fn utc(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).expect("time").with_timezone(&Utc)
}

/// The linked numbers of `month`'s row in the table under chart `key`.
fn trend_row(html: &str, key: &str, month: &str) -> Vec<String> {
    let chart = between(html, &format!("id=\"trend-{key}\""), "</figure>").expect("the chart");
    let row = chart
        .split("<tr>")
        .find(|r| r.starts_with(&format!("<th scope=\"row\">{month}</th>")))
        .unwrap_or_else(|| panic!("a row for {month} under {key}"));
    let row = row.split("</tr>").next().unwrap_or_default();
    row.split("</a>")
        .filter(|cell| cell.contains("<a href="))
        .filter_map(|cell| cell.rsplit_once('>').map(|(_, n)| n.to_owned()))
        .collect()
}

#[tokio::test]
async fn the_manager_sees_twelve_months_of_customers_tickets_sla_and_resolution_time() {
    let app = spawn_app().await;
    // Now: Wednesday 18 November 2026, 10:00 WIB; the trends run from December 2025.
    assert_eq!(app.state.now(), crate::helpers::start_time());
    let db = &app.state.db;
    let fields = aglis_db::repo::packages::PackageFields {
        name: "Home 50M".into(),
        speed_mbps: 50,
        monthly_price: 250_000,
        installation_fee: 0,
        description: String::new(),
        is_active: true,
    };
    let package = aglis_db::repo::packages::create(db, fields, app.state.now()).await.expect("package").id;
    // Customers: 00:00 WIB on 1 September is still 31 August in UTC; a month's last minute.
    customer_at(&app, 1, package, utc("2026-08-31T17:00:00Z"), None).await;
    customer_at(&app, 2, package, utc("2026-08-31T16:59:59Z"), None).await;
    customer_at(&app, 3, package, utc("2026-09-15T05:00:00Z"), Some(utc("2026-10-31T16:59:00Z"))).await;
    customer_at(&app, 4, package, utc("2026-11-02T03:00:00Z"), Some(utc("2026-11-10T03:00:00Z"))).await;
    // Came before the twelve months, left in the first of them (1 December, 00:00 WIB).
    customer_at(&app, 5, package, utc("2025-11-20T03:00:00Z"), Some(utc("2025-11-30T17:00:00Z"))).await;

    // Tickets: October's two repairs (one past its SLA) and September's last-hour installation
    // resolved on 1 October (WIB); November's late maintenance and a survey still open; one
    // opened and resolved before the twelve months.
    let h = Duration::hours;
    ticket_at(&app, "TKT20261005001", TicketType::Repair, utc("2026-10-05T02:00:00Z"), Some(h(2)), None).await;
    let late = Some(utc("2026-10-06T05:00:00Z"));
    ticket_at(&app, "TKT20261006001", TicketType::Repair, utc("2026-10-06T02:00:00Z"), Some(h(4)), late).await;
    ticket_at(&app, "TKT20260930001", TicketType::Installation, utc("2026-09-30T16:00:00Z"), Some(h(2)), None).await;
    let late = Some(utc("2026-11-03T08:00:00Z"));
    ticket_at(&app, "TKT20261103001", TicketType::Maintenance, utc("2026-11-03T02:00:00Z"), Some(h(10)), late).await;
    ticket_at(&app, "TKT20261110001", TicketType::Survey, utc("2026-11-10T02:00:00Z"), None, None).await;
    ticket_at(&app, "TKT20251110001", TicketType::Repair, utc("2025-11-10T02:00:00Z"), Some(h(1)), None).await;

    app.insert_user("bambang.tren", Role::Manager).await;
    let manager = home(&app, &app.browser_login("bambang.tren").await).await;
    assert!(manager.contains("id=\"trends\"") && manager.contains(&app.t("home.trends.title")));

    // Twelve months, oldest first: December 2025 to November 2026.
    let customers = between(&manager, "id=\"trend-customers\"", "</figure>").expect("chart");
    let months: Vec<&str> =
        customers.split("<th scope=\"row\">").skip(1).filter_map(|r| r.split("</th>").next()).collect();
    assert_eq!(months.len(), 12, "{months:?}");
    assert_eq!((months[0], months[11]), ("Des 2025", "Nov 2026"));
    assert!(!manager.contains("<th scope=\"row\">Nov 2025</th>"));

    // New and left per month, each linked to its list.
    assert_eq!(trend_row(&manager, "customers", "Des 2025"), ["0", "1"]);
    assert_eq!(trend_row(&manager, "customers", "Agu 2026"), ["1", "0"]);
    assert_eq!(trend_row(&manager, "customers", "Sep 2026"), ["2", "0"]);
    assert_eq!(trend_row(&manager, "customers", "Okt 2026"), ["0", "1"]);
    assert_eq!(trend_row(&manager, "customers", "Nov 2026"), ["1", "1"]);
    assert!(customers.contains("<a href=\"/customers?status=terminated\">1</a>"));
    assert!(customers.contains("<a href=\"/customers?sort=newest\">2</a>"));
    // The chart draws them, each bar named in its tooltip.
    assert!(customers.contains(&format!("<title>Sep · {}: 2</title>", app.t("home.trends.new"))));

    // Tickets opened per type (the installation counts in September, when it came in), then the total.
    let types = |counts: &[(TicketType, i64)]| -> Vec<String> {
        let mut row: Vec<String> = TicketType::ALL
            .iter()
            .map(|t| counts.iter().find(|(x, _)| x == t).map_or(0, |(_, n)| *n).to_string())
            .collect();
        row.push(counts.iter().map(|(_, n)| n).sum::<i64>().to_string());
        row
    };
    assert_eq!(trend_row(&manager, "tickets", "Sep 2026"), types(&[(TicketType::Installation, 1)]));
    assert_eq!(trend_row(&manager, "tickets", "Okt 2026"), types(&[(TicketType::Repair, 2)]));
    assert_eq!(
        trend_row(&manager, "tickets", "Nov 2026"),
        types(&[(TicketType::Maintenance, 1), (TicketType::Survey, 1)])
    );
    assert_eq!(trend_row(&manager, "tickets", "Des 2025"), types(&[]));

    // SLA: resolved, within, share (rounded down as the 30-day tile); none resolved reads "—".
    assert_eq!(trend_row(&manager, "sla", "Okt 2026"), ["3", "2", "66%"]);
    assert_eq!(trend_row(&manager, "sla", "Nov 2026"), ["1", "0", "0%"]);
    assert_eq!(trend_row(&manager, "sla", "Sep 2026"), ["0", "0", "—"]);
    // Average hours to resolve: (2 + 4 + 2) / 3 = 2.7 in October, 10 in November.
    assert_eq!(trend_row(&manager, "resolution", "Okt 2026"), ["3", "2,7"]);
    assert_eq!(trend_row(&manager, "resolution", "Nov 2026"), ["1", "10"]);
    assert_eq!(trend_row(&manager, "resolution", "Sep 2026"), ["0", "—"]);

    // Each instance holds the figures (issue 22's budget): the current month for a minute, the
    // finished ones for ten (then read again in the background).
    customer_at(&app, 6, package, utc("2026-11-17T03:00:00Z"), None).await;
    customer_at(&app, 7, package, utc("2026-10-17T03:00:00Z"), None).await;
    let browser = app.browser_login("bambang.tren").await;
    let held = home(&app, &browser).await;
    assert_eq!(trend_row(&held, "customers", "Nov 2026"), ["1", "1"]);
    app.clock.advance(aglis_server::dashboard::trends::CURRENT_TTL);
    let again = home(&app, &browser).await;
    assert_eq!(trend_row(&again, "customers", "Nov 2026"), ["2", "1"], "the current month read again");
    assert_eq!(trend_row(&again, "customers", "Okt 2026"), ["0", "1"], "October as held");
    // Ten minutes on, a page still shows what was held and has it read again in the background.
    app.clock.advance(aglis_server::dashboard::trends::FINISHED_TTL);
    let mut october = trend_row(&home(&app, &browser).await, "customers", "Okt 2026");
    for _ in 0..50 {
        if october == ["1", "1"] {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        october = trend_row(&home(&app, &browser).await, "customers", "Okt 2026");
    }
    assert_eq!(october, ["1", "1"], "October read again");

    // The other roles start on their own work, without the trends.
    for (name, role) in
        [("siti.tren", Role::Supervisor), ("dewi.tren", Role::CustomerService), ("rizky.tren", Role::Noc)]
    {
        app.insert_user(name, role).await;
        let page = home(&app, &app.browser_login(name).await).await;
        assert!(!page.contains("id=\"trends\"") && !page.contains(&app.t("home.trends.title")), "{role:?}");
    }
}

#[tokio::test]
async fn the_demo_manager_sees_a_year_of_trends() {
    let app = spawn_app().await;
    aglis_server::demo::seed(&app.state).await.expect("seed");
    let manager = home(&app, &demo_browser(&app, "manager").await).await;
    let months = aglis_core::trends::months(app.state.now(), aglis_core::trends::MONTHS);
    let figures = aglis_db::repo::trends::months(&app.state.db, &months).await.expect("figures");
    // Every month has new customers and tickets, most resolved some; some months lost customers.
    assert!(figures.iter().all(|m| m.new_customers > 0 && m.opened_total() > 0), "{figures:?}");
    assert!(figures.iter().filter(|m| m.resolved > 0).count() >= 11, "{figures:?}");
    assert!(figures.iter().filter(|m| m.churned > 0).count() >= 4, "{figures:?}");
    // And they differ from month to month.
    let opened: std::collections::BTreeSet<i64> = figures.iter().map(|m| m.opened_total()).collect();
    let sla: std::collections::BTreeSet<Option<i64>> =
        figures.iter().map(|m| aglis_core::trends::percent(m.within_sla, m.resolved)).collect();
    assert!(opened.len() >= 4 && sla.len() >= 4, "{opened:?} {sla:?}");
    // The page shows them.
    let last = figures.last().expect("the current month");
    assert_eq!(
        trend_row(&manager, "customers", "Nov 2026"),
        [last.new_customers.to_string(), last.churned.to_string()]
    );
    assert!(manager.contains("id=\"trend-tickets\"") && !manager.contains(&app.t("home.trends.empty")));
}
