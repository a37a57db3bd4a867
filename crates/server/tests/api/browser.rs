//! A real browser (headless Chromium through chromedriver, spoken to in the W3C WebDriver JSON
//! protocol) walks the public sign-up as an applicant would, and staff approve a step in the UI.
//! `cargo xtask test` installs chromium and chromium-driver when they are missing.

use crate::helpers::{TestApp, spawn_app_with};
use aglis_core::permission::Role;
use aglis_integrations::whatsapp::fonnte::fake::FakeFonnte;
use aglis_server::jobs::{Runner, builtin_registry};
use serde_json::{Value, json};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// chromedriver on a free port, killed when dropped.
pub(crate) struct Driver {
    child: Child,
    url: String,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Driver {
    pub(crate) async fn start() -> Driver {
        let port = std::net::TcpListener::bind("127.0.0.1:0").expect("port").local_addr().expect("addr").port();
        let child = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver is installed (cargo xtask test installs chromium-driver)");
        let driver = Driver { child, url: format!("http://127.0.0.1:{port}") };
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Ok(res) = reqwest::get(format!("{}/status", driver.url)).await
                && res.json::<Value>().await.is_ok_and(|v| v["value"]["ready"] == true)
            {
                return driver;
            }
            assert!(Instant::now() < deadline, "chromedriver did not start");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

/// One browser window.
pub(crate) struct Browser {
    http: reqwest::Client,
    session: String,
}

impl Browser {
    /// A window of `size` (width, height): `(390, 844)` is a phone. Chromium's windows are at
    /// least 500 px wide, so a narrower one is an emulated phone screen (touch, device pixels).
    pub(crate) async fn open_sized(driver: &Driver, lang: &str, size: (u32, u32)) -> Browser {
        let http = reqwest::Client::new();
        let mut options = json!({
            "binary": "/usr/bin/chromium",
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", format!("--lang={lang}"),
                format!("--window-size={},{}", size.0.max(500), size.1)]
        });
        if size.0 < 500 {
            options["mobileEmulation"] =
                json!({"deviceMetrics": {"width": size.0, "height": size.1, "pixelRatio": 3.0, "touch": true}});
        }
        let caps = json!({"capabilities": {"alwaysMatch": {"browserName": "chrome", "goog:chromeOptions": options,
            "goog:loggingPrefs": {"browser": "ALL"}}}});
        let res: Value = http
            .post(format!("{}/session", driver.url))
            .json(&caps)
            .send()
            .await
            .expect("session")
            .json()
            .await
            .expect("json");
        let id = res["value"]["sessionId"].as_str().unwrap_or_else(|| panic!("no session: {res}")).to_owned();
        Browser { http, session: format!("{}/session/{id}", driver.url) }
    }

    async fn try_call(&self, method: reqwest::Method, path: &str, body: &Value) -> Result<Value, Value> {
        let mut req = self.http.request(method, format!("{}{path}", self.session));
        if !body.is_null() {
            req = req.json(body);
        }
        let v: Value = req.send().await.expect("webdriver").json().await.expect("json");
        if v["value"]["error"].is_null() { Ok(v["value"].clone()) } else { Err(v) }
    }

    pub(crate) async fn call(&self, method: reqwest::Method, path: &str, body: Value) -> Value {
        match self.try_call(method, path, &body).await {
            Ok(v) => v,
            Err(e) => panic!("{path}: {e}"),
        }
    }

    /// Runs `f` on a freshly found element until it works: after a click the old page may still
    /// be there for a moment (a stale or missing element), so find again.
    async fn on(&self, css: &str, method: reqwest::Method, action: &str, body: Value) -> Value {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let found =
                self.try_call(reqwest::Method::POST, "/element", &json!({"using": "css selector", "value": css})).await;
            let result = match found {
                Ok(e) => {
                    let id = e[ELEMENT].as_str().expect("element id").to_owned();
                    self.try_call(method.clone(), &format!("/element/{id}{action}"), &body).await
                }
                Err(e) => Err(e),
            };
            match result {
                Ok(v) => return v,
                // The click happened and the page it opened replaced this one: clicking again would
                // press whatever the next page has under the same name.
                Err(e) if action == "/click" && e["value"]["error"] == "aborted by navigation" => return Value::Null,
                Err(e) if Instant::now() < deadline => {
                    let kind = e["value"]["error"].as_str().unwrap_or_default();
                    // Chromium also answers "unknown error … Node with given id does not belong to
                    // the document" or "aborted by navigation" when the page is replaced between
                    // the find and the action.
                    let replaced = kind == "aborted by navigation"
                        || e["value"]["message"]
                            .as_str()
                            .is_some_and(|m| m.contains("does not belong to the document"));
                    assert!(
                        kind == "stale element reference" || kind == "no such element" || replaced,
                        "{css}{action}: {e}"
                    );
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                Err(e) => panic!("{css}{action}: {e}"),
            }
        }
    }

    /// Opens `url` and checks that the page fits the window.
    pub(crate) async fn go(&self, url: &str) {
        self.call(reqwest::Method::POST, "/url", json!({"url": url})).await;
        self.fits().await;
    }

    /// Fails when the page is wider than the window (a phone would have to scroll sideways, or
    /// could not reach what is cut off), naming the elements that stick out.
    pub(crate) async fn fits(&self) {
        let script = "const w = window.innerWidth; \
            const out = [...document.querySelectorAll('body *')].filter(e => { \
              const r = e.getBoundingClientRect(); \
              return r.width > 0 && r.right > w + 1 && getComputedStyle(e).position !== 'fixed' \
                && !e.closest('.table-wrap, .scroll-x, pre'); }) \
              .slice(0, 5).map(e => e.tagName.toLowerCase() + (e.className ? '.' + String(e.className).trim().replace(/ +/g, '.') : '') \
                + ' (' + Math.round(e.getBoundingClientRect().right) + ' px)'); \
            return {scroll: document.documentElement.scrollWidth, width: w, url: location.pathname + location.search, out: out};";
        let v = self.call(reqwest::Method::POST, "/execute/sync", json!({"script": script, "args": []})).await;
        let (scroll, width) = (v["scroll"].as_i64().unwrap_or(0), v["width"].as_i64().unwrap_or(0));
        assert!(scroll <= width, "{} is {scroll} px wide in a {width} px window: {}", v["url"], v["out"]);
    }

    pub(crate) async fn find(&self, css: &str) -> String {
        let v = self.on(css, reqwest::Method::GET, "/name", Value::Null).await;
        assert!(v.is_string(), "{css}");
        let e = self.call(reqwest::Method::POST, "/element", json!({"using": "css selector", "value": css})).await;
        e[ELEMENT].as_str().expect("element id").to_owned()
    }

    pub(crate) async fn fill(&self, css: &str, text: &str) {
        self.on(css, reqwest::Method::POST, "/clear", json!({})).await;
        self.on(css, reqwest::Method::POST, "/value", json!({"text": text})).await;
    }

    pub(crate) async fn click(&self, css: &str) {
        self.on(css, reqwest::Method::POST, "/click", json!({})).await;
    }

    pub(crate) async fn text(&self, css: &str) -> String {
        self.on(css, reqwest::Method::GET, "/text", Value::Null).await.as_str().unwrap_or_default().to_owned()
    }

    /// The text of `css` once it contains `needle` (the next page has loaded), or a failure
    /// showing what it said instead after 10 s.
    pub(crate) async fn wait_text(&self, css: &str, needle: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let text = self.text(css).await;
            if text.to_lowercase().contains(&needle.to_lowercase()) {
                return text;
            }
            assert!(Instant::now() < deadline, "{css} never said {needle:?}: {text:?} at {}", self.url().await);
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    pub(crate) async fn url(&self) -> String {
        self.call(reqwest::Method::GET, "/url", Value::Null).await.as_str().unwrap_or_default().to_owned()
    }

    /// Waits until the address contains `part` (a form's answer has loaded).
    pub(crate) async fn wait_url(&self, part: &str) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while !self.url().await.contains(part) {
            assert!(Instant::now() < deadline, "never reached {part}: at {}", self.url().await);
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        self.fits().await;
    }

    /// Ends the session after checking the console: a page whose script or style the
    /// Content-Security-Policy blocked fails the test.
    pub(crate) async fn close(self) {
        let log = self.call(reqwest::Method::POST, "/se/log", json!({"type": "browser"})).await;
        let blocked: Vec<&str> = log
            .as_array()
            .expect("console entries")
            .iter()
            .filter_map(|e| e["message"].as_str())
            .filter(|m| m.contains("Content Security Policy"))
            .collect();
        let _ = self.http.delete(&self.session).send().await;
        assert!(blocked.is_empty(), "the CSP blocked something on a page:\n{}", blocked.join("\n"));
    }
}

/// Signs `username` in (the fixtures' password) and waits for the dashboard.
pub(crate) async fn sign_in(b: &Browser, app: &TestApp, username: &str) {
    b.go(&app.url("/login")).await;
    b.fill("input[name=username]", username).await;
    b.fill("input[name=password]", crate::helpers::PASSWORD).await;
    b.click("form[action='/login'] button").await;
    let deadline = Instant::now() + Duration::from_secs(10);
    while b.url().await.contains("/login") {
        assert!(Instant::now() < deadline, "{username} signed in");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn drain(app: &TestApp) {
    let runner = Runner::new(app.state.clone(), Arc::new(builtin_registry()));
    while runner.run_once().await.expect("run").claimed > 0 {}
}

/// The two window sizes every journey runs at: a laptop and a phone.
const LAPTOP: (u32, u32) = (1366, 768);
pub(crate) const PHONE: (u32, u32) = (390, 844);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_applicant_signs_up_on_a_laptop_and_sees_staff_approve_the_next_step() {
    signup_journey(LAPTOP).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_applicant_signs_up_on_a_phone_and_sees_staff_approve_the_next_step() {
    signup_journey(PHONE).await;
}

async fn signup_journey(size: (u32, u32)) {
    let fake = FakeFonnte::start("token-browser").await.expect("fake");
    let url = fake.url.clone();
    let app = spawn_app_with(move |env| {
        env.insert("AGLIS_FONNTE_TOKEN".into(), "token-browser".into());
        env.insert("AGLIS_FONNTE_URL".into(), url);
    })
    .await;
    let (_, admin) = app.user_with_token("andi", Role::Admin).await;
    app.post_json(
        "/api/v1/packages",
        Some(&admin),
        &json!({"name": "Home Gold 75M", "speed_mbps": 75, "monthly_price": 249_900, "installation_fee": 150_000}),
    )
    .await;
    app.insert_user("dewi", Role::CustomerService).await;
    let driver = Driver::start().await;

    // The applicant.
    let b = Browser::open_sized(&driver, "id", size).await;
    b.go(&app.url("/signup")).await;
    b.click("input[name=package_id]").await;
    b.fill("input[name=full_name]", "Rudi Hartono").await;
    b.fill("input[name=phone]", "0812 5555 7788").await;
    b.fill("input[name=address]", "Perum Galuh Mas Blok K1 No. 3, Telukjambe Timur").await;
    app.clock.advance(chrono::Duration::seconds(30)); // a person takes a while to fill the form
    b.click("form[action='/signup'] button[type=submit]").await;
    b.wait_url("/signup/confirm?token=").await;

    drain(&app).await;
    let sent = fake.received();
    assert_eq!(sent.len(), 1, "the code went to the WhatsApp provider");
    assert_eq!(sent[0].fields["target"], "6281255557788");
    let code = sent[0].fields["message"].split('*').nth(1).expect("code").to_owned();
    b.fill("input[name=code]", &code).await;
    b.click("form[action='/signup/confirm'] button").await;
    let number = b.wait_text(".big-number code", "REG").await;
    assert!(number.starts_with("REG"), "{number}");

    b.click("a.button.primary").await;
    b.fill("input[name=phone]", "0812-5555-7788").await;
    b.click("form[action='/track'] button").await;
    b.wait_text("h2", "Rudi Hartono").await;
    let done_before = b.text("ol.steps").await;

    // Staff verify it in their browser.
    let staff = Browser::open_sized(&driver, "id", size).await;
    staff.go(&app.url("/login")).await;
    staff.fill("input[name=username]", "dewi").await;
    staff.fill("input[name=password]", crate::helpers::PASSWORD).await;
    staff.click("form[action='/login'] button").await;
    let deadline = Instant::now() + Duration::from_secs(10);
    while staff.url().await.contains("/login") {
        assert!(Instant::now() < deadline, "signed in");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    staff.go(&app.url("/registrations?status=submitted")).await;
    staff.click("table a").await;
    staff.click("form[action$='/steps'] button").await; // the first next step: verified
    staff.wait_text(".page-head .pill", "verifi").await;

    // The applicant sees the new step.
    b.go(&app.url(&format!("/track?number={number}"))).await;
    b.fill("input[name=phone]", "0812-5555-7788").await;
    b.click("form[action='/track'] button").await;
    let after = b.text("ol.steps").await;
    assert_ne!(done_before, after);
    let verified = b.find("ol.steps li:nth-child(2)").await;
    let class = b.call(reqwest::Method::GET, &format!("/element/{verified}/attribute/class"), Value::Null).await;
    assert_eq!(class, "done", "the second step is done now");
    b.close().await;
    staff.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_supervisor_assigns_on_a_laptop_and_the_technician_resolves_and_the_customer_hears() {
    Box::pin(field_journey(LAPTOP)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_supervisor_assigns_on_a_phone_and_the_technician_resolves_and_the_customer_hears() {
    Box::pin(field_journey(PHONE)).await;
}

/// The supervisor's desk at `size`; the technician always works from a phone.
async fn field_journey(size: (u32, u32)) {
    let fake = FakeFonnte::start("token-tickets").await.expect("fake");
    let url = fake.url.clone();
    let app = spawn_app_with(move |env| {
        env.insert("AGLIS_FONNTE_TOKEN".into(), "token-tickets".into());
        env.insert("AGLIS_FONNTE_URL".into(), url);
    })
    .await;
    let (_, admin) = app.user_with_token("andi", Role::Admin).await;
    let pkg: Value = app
        .post_json(
            "/api/v1/packages",
            Some(&admin),
            &json!({"name": "Home Silver 50M", "speed_mbps": 50, "monthly_price": 199_900, "installation_fee": 0}),
        )
        .await
        .json()
        .await
        .expect("json");
    let odp = app
        .post_json(
            "/api/v1/odps",
            Some(&admin),
            &json!({"code": "ODP-KRW-001-A03", "area": "Karawang Barat", "location": "Jl. Tuparev tiang 3", "total_ports": 8}),
        )
        .await;
    assert_eq!(odp.status(), reqwest::StatusCode::CREATED);
    let customer: Value = app
        .post_json(
            "/api/v1/customers",
            Some(&admin),
            &json!({"name": "Wulan Sari", "phone": "0812-9999-1234", "address": "Perum Galuh Mas Blok F3 No. 21",
                "package_id": pkg["id"]}),
        )
        .await
        .json()
        .await
        .expect("json");
    let tech_user = app.insert_user("agus", Role::Technician).await;
    let tech: Value = app
        .post_json(
            "/api/v1/technicians",
            Some(&admin),
            &json!({"full_name": "Agus Setiawan", "phone": "0812-7777-1001", "user_id": tech_user.id,
                "work_zone": "Telukjambe", "skills": {"fiber_splicing": 4}}),
        )
        .await
        .json()
        .await
        .expect("json");
    let ticket: Value = app
        .post_json(
            "/api/v1/tickets",
            Some(&admin),
            &json!({"customer_id": customer["id"], "type": "repair", "priority": "high",
                "description": "Internet mati sejak pagi, lampu LOS merah"}),
        )
        .await
        .json()
        .await
        .expect("json");
    let (id, number) = (ticket["id"].as_i64().expect("id"), ticket["number"].as_str().expect("number").to_owned());
    app.insert_user("sari", Role::Supervisor).await;
    let driver = Driver::start().await;

    // The supervisor assigns Agus on the ticket's page.
    let desk = Browser::open_sized(&driver, "id", size).await;
    sign_in(&desk, &app, "sari").await;
    desk.go(&app.url(&format!("/tickets/{id}"))).await;
    desk.click(&format!("select[name=technician_id] option[value='{}']", tech["id"])).await;
    desk.click(&format!("form[action='/tickets/{id}/assign'] button[type=submit]")).await;
    let deadline = Instant::now() + Duration::from_secs(10);
    while !desk.text("body").await.contains("Agus Setiawan") || desk.text("body").await.contains("Belum ada teknisi") {
        assert!(Instant::now() < deadline, "assigned");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    desk.close().await;

    // Agus, on his phone, finds it in his queue and works it to resolved.
    let phone = Browser::open_sized(&driver, "id", PHONE).await;
    sign_in(&phone, &app, "agus").await;
    phone.go(&app.url("/my/tickets")).await;
    assert!(phone.text("a.ticket-card").await.contains(&number));
    phone.click("a.ticket-card").await;
    phone.wait_url(&format!("/tickets/{id}")).await;
    for step in ["on_the_way", "in_progress"] {
        phone.click(&format!("button[name=to][value={step}]")).await;
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let t: Value = app.get(&format!("/api/v1/tickets/{id}"), Some(&admin)).await.json().await.expect("json");
            if t["status"] == step {
                break;
            }
            assert!(Instant::now() < deadline, "{step} at {}: {}", phone.url().await, phone.text("body").await);
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    // The power-meter photo, chosen through the page's file input (WebDriver types the path).
    let photo = std::env::temp_dir().join(format!("redaman-{id}-{}.png", std::process::id()));
    std::fs::write(&photo, crate::helpers::TINY_PNG).expect("photo file");
    phone.click("form.upload-form select[name=kind] option[value='attenuation']").await;
    let path = photo.display().to_string();
    phone.on("form.upload-form input[type=file]", reqwest::Method::POST, "/value", json!({"text": path})).await;
    phone.click("form.upload-form button[type=submit]").await;
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let files: Value =
            app.get(&format!("/api/v1/tickets/{id}/attachments"), Some(&admin)).await.json().await.expect("json");
        if files["total"] == 1 {
            assert_eq!(
                (files["items"][0]["kind"].as_str(), files["items"][0]["size"].as_u64()),
                (Some("attenuation"), Some(68))
            );
            break;
        }
        assert!(Instant::now() < deadline, "uploaded at {}: {}", phone.url().await, phone.text("body").await);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    phone.wait_url("#files").await;
    phone.find(&format!("img[src^='/tickets/{id}/attachments/']")).await; // the thumbnail shows
    let _ = std::fs::remove_file(&photo);
    // The ODP is chosen from the list (the first with a free port).
    phone.click("select[name='completion.odp_id'] option:nth-child(2)").await;
    phone.fill("input[name='completion.final_attenuation']", "-19,5").await;
    phone.click(".resolve-form button[type=submit]").await;
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let t: Value = app.get(&format!("/api/v1/tickets/{id}"), Some(&admin)).await.json().await.expect("json");
        if t["status"] == "resolved" {
            assert_eq!(t["completion"]["final_attenuation"], -19.5, "the page reads the comma decimal");
            break;
        }
        assert!(Instant::now() < deadline, "resolved: {t}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    phone.close().await;

    // The customer's WhatsApp reached the provider: created, on the way, resolved.
    drain(&app).await;
    let to_customer: Vec<String> = fake
        .received()
        .iter()
        .filter(|m| m.fields["target"] == "6281299991234")
        .map(|m| m.fields["message"].clone())
        .collect();
    assert_eq!(to_customer.len(), 3, "{to_customer:?}");
    assert!(to_customer.iter().all(|m| m.contains(&number)));
    assert!(to_customer[2].contains(&app.t("ticket.status.resolved")), "{to_customer:?}");
}

/// Every page in `username`'s menu on the demo data, at a laptop's and a phone's width, in
/// Indonesian and in English: each fits its window and answers without an error.
/// Pages reached from a page's tabs rather than the menu, visited as well.
const TABBED: &[&str] = &["/admin/odps", "/admin/ticket-categories", "/admin/skills", "/admin/areas"];

async fn tour(role: Role) {
    let app = crate::helpers::spawn_demo_app(|_| {}).await;
    let username = format!("tour.{}", role.as_str());
    app.insert_user(&username, role).await;
    let driver = Driver::start().await;
    for (size, lang) in [(LAPTOP, "id"), (PHONE, "id"), (PHONE, "en")] {
        let b = Browser::open_sized(&driver, lang, size).await;
        sign_in(&b, &app, &username).await;
        b.go(&app.url(&format!("/?lang={lang}"))).await;
        let links = b
            .call(
                reqwest::Method::POST,
                "/execute/sync",
                json!({"script": "return [...document.querySelectorAll('nav.sidebar a[href^=\"/\"]')].map(a => a.getAttribute('href'));", "args": []}),
            )
            .await;
        let links: Vec<String> =
            links.as_array().expect("links").iter().filter_map(|l| l.as_str()).map(str::to_owned).collect();
        assert!(links.len() >= 2, "{username} has a menu: {links:?}");
        let tabbed = TABBED.iter().filter(|_| links.iter().any(|l| l == "/admin/packages")).map(|t| (*t).to_owned());
        for link in links.iter().filter(|l| !l.starts_with("/logout")).cloned().chain(tabbed) {
            b.go(&app.url(&link)).await;
            let title = b.call(reqwest::Method::GET, "/title", Value::Null).await;
            assert!(!title.as_str().unwrap_or_default().contains("500"), "{link}: {title}");
        }
        b.close().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_admin_page_fits_a_laptop_and_a_phone() {
    tour(Role::Admin).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_supervisor_page_fits_a_laptop_and_a_phone() {
    tour(Role::Supervisor).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_customer_service_page_fits_a_laptop_and_a_phone() {
    tour(Role::CustomerService).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_technician_page_fits_a_laptop_and_a_phone() {
    tour(Role::Technician).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_manager_and_noc_page_fits_a_laptop_and_a_phone() {
    tour(Role::Manager).await;
    tour(Role::Noc).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_customer_pays_on_the_fake_midtrans_page_and_sees_the_invoice_paid_on_return() {
    use aglis_core::customer::CustomerStatus;
    use aglis_integrations::payments::midtrans::fake::FakeMidtrans;
    const KEY: &str = "SB-Mid-server-BROWSER";
    let fake = FakeMidtrans::start(KEY).await.expect("fake midtrans");
    let url = fake.url().to_owned();
    let app = spawn_app_with(move |env| {
        env.insert("AGLIS_MIDTRANS_SERVER_KEY".into(), KEY.into());
        env.insert("AGLIS_MIDTRANS_SNAP_URL".into(), url.clone());
        env.insert("AGLIS_MIDTRANS_API_URL".into(), url);
    })
    .await;
    fake.set_notification_url(Some(app.url("/api/webhooks/payments/midtrans")));
    let pkg = crate::billing::silver(&app).await;
    let customer =
        crate::billing::customer(&app, 7, pkg, CustomerStatus::Active, crate::billing::wib(2026, 10, 1, 10)).await;
    crate::billing::month(&app, "2026-12", false).await;
    let number = "INV-202612-000001";
    // The queue runs as on a live server: callbacks are applied as they arrive.
    let worker = {
        let state = app.state.clone();
        tokio::spawn(async move {
            let runner = Runner::new(state, Arc::new(builtin_registry()));
            loop {
                while runner.run_once().await.map(|r| r.claimed).unwrap_or(0) > 0 {}
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        })
    };
    let link = aglis_server::billing::online::pay_link(&app.state, number);
    let path = link.trim_start_matches(&app.state.config.base_url).to_owned();

    let driver = Driver::start().await;
    let b = Browser::open_sized(&driver, "id", PHONE).await;
    b.go(&app.url(&format!("{path}&lang=id"))).await;
    b.wait_text("#invoice-status", "belum dibayar").await;
    b.click("#pay-qris").await;
    b.wait_url(&fake.url()[7..]).await; // on the gateway's page (host:port)
    b.click("#pay-qris").await;
    b.wait_text("body", "Pembayaran berhasil").await;
    let finish = b.find("#finish").await;
    let href = b.call(reqwest::Method::GET, &format!("/element/{finish}/attribute/href"), Value::Null).await;
    assert!(href.as_str().is_some_and(|h| h.contains(&format!("/pay/{number}?k=")) && h.contains("done=1")), "{href}");
    // Back on our page (the finish link names the configured base URL; this test's server listens
    // elsewhere): paid within seconds, without pressing "check payment".
    // The page asks the gateway before it answers, so its first load already says so, whether or
    // not the callback was applied yet.
    b.go(&app.url(&format!("{path}&done=1"))).await;
    let status = b.text("#invoice-status").await;
    assert!(status.to_lowercase().contains("lunas"), "back from the gateway the invoice is {status:?}");
    b.close().await;
    worker.abort();
    let payments = aglis_db::repo::payments::of_customer(&app.state.db, customer).await.expect("db");
    assert_eq!(payments.len(), 1, "{payments:?}");
}
