//! `spawn_app()` and the fixtures the tests share.

use aglis_core::clock::ManualClock;
use aglis_core::permission::Role;
use aglis_db::repo::users::{self, NewUser};
use aglis_server::app::Application;
use aglis_server::state::AppState;
use chrono::{DateTime, Utc};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::sync::{Arc, LazyLock, Once};

pub const PASSWORD: &str = "rahasia-123";

/// One Argon2 hash of [`PASSWORD`] shared by every fixture user, to keep tests fast.
static PASSWORD_HASH: LazyLock<String> =
    LazyLock::new(|| aglis_server::auth::password::hash(PASSWORD).expect("hash the fixture password"));

pub struct TestApp {
    pub address: String,
    pub state: AppState,
    pub clock: ManualClock,
    pub db_url: String,
    pub api: reqwest::Client,
    /// What the app wrote under the temp dir (its data directory and, on SQLite, its database),
    /// removed when it is dropped so that repeated runs do not fill the disk.
    scratch: Vec<std::path::PathBuf>,
    /// The PostgreSQL database made for this app (not one a test passed in), dropped with it:
    /// a full run creates some 700 of 10 MB each.
    own_pg_database: Option<String>,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        for dir in &self.scratch {
            let _ = std::fs::remove_dir_all(dir);
        }
        if let Some(name) = self.own_pg_database.take() {
            drop_pg_database(name);
        }
    }
}

/// Drops a test database on the PostgreSQL test server, closing the app's connections to it
/// (`WITH (FORCE)`). Runs on its own thread and runtime, as `Drop` cannot await.
fn drop_pg_database(name: String) {
    let Ok(server) = std::env::var("AGLIS_TEST_DATABASE_URL") else { return };
    let dropped = std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
        runtime.block_on(async {
            use sea_orm::ConnectionTrait;
            let admin = sea_orm::Database::connect(&server).await.map_err(|e| e.to_string())?;
            let sql = format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)");
            let result = admin.execute_unprepared(&sql).await.map(|_| ()).map_err(|e| e.to_string());
            let _ = admin.close().await;
            result
        })
    });
    if let Ok(Err(e)) = dropped.join() {
        eprintln!("could not drop the test database: {e}");
    }
}

fn init_logs() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        aglis_integrations::http::install_crypto_provider();
        if std::env::var("TEST_LOG").is_ok() {
            aglis_server::telemetry::init("info", aglis_server::config::LogFormat::Text);
        }
    });
}

/// Which engine this run uses.
pub fn on_postgres() -> bool {
    std::env::var("AGLIS_TEST_DATABASE_URL").is_ok_and(|u| u.starts_with("postgres"))
}

/// A fresh, empty database: a new PostgreSQL database on the test server, or a temp SQLite file.
pub async fn fresh_database_url() -> String {
    let id = uuid::Uuid::new_v4().simple().to_string();
    match std::env::var("AGLIS_TEST_DATABASE_URL") {
        Ok(server) if server.starts_with("postgres") => {
            use sea_orm::ConnectionTrait;
            let admin = sea_orm::Database::connect(&server).await.expect("connect to the PostgreSQL test server");
            let name = format!("aglis_test_{id}");
            admin.execute_unprepared(&format!("CREATE DATABASE \"{name}\"")).await.expect("create test database");
            let _ = admin.close().await;
            let base = server.rsplit_once('/').map(|(b, _)| b).expect("URL has a database part");
            format!("{base}/{name}")
        }
        _ => {
            let dir = std::env::temp_dir().join(format!("aglis-test-{id}"));
            std::fs::create_dir_all(&dir).expect("temp dir");
            aglis_server::config::sqlite_url(&dir.join("aglis.db"))
        }
    }
}

/// A new, empty directory under the system's temp dir, named after `what`.
pub fn temp_dir(what: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("aglis-{what}-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

/// "Now" for tests: a fixed instant, so that no test depends on when the suite runs. A Wednesday,
/// 10:00:30 WIB (03:00:30 UTC): a working day and hour, half a minute past a minute, so that a
/// one-minute step fires only the per-minute schedules (the real clock once crossed the hourly
/// `15 * * * *` in such a step when the suite ran at 07:14).
pub fn start_time() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-18T03:00:30.123456Z").expect("valid time").with_timezone(&Utc)
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// Starts the app with a manual clock, workers off (tests drive them), on port 0.
pub async fn spawn_app_with(customise: impl FnOnce(&mut BTreeMap<String, String>)) -> TestApp {
    spawn(customise, false).await
}

/// Starts the app as `aglis demo` does (demo data seeded, demo settings).
pub async fn spawn_demo_app(customise: impl FnOnce(&mut BTreeMap<String, String>)) -> TestApp {
    spawn(customise, true).await
}

/// [`spawn_app_with`], also serving `extra` routes under the application's layers (a handler
/// that panics, for the error inbox and Sentry).
pub async fn spawn_app_with_routes(
    customise: impl FnOnce(&mut BTreeMap<String, String>),
    extra: axum::Router<AppState>,
) -> TestApp {
    spawn_inner(customise, false, extra).await
}

async fn spawn(customise: impl FnOnce(&mut BTreeMap<String, String>), demo: bool) -> TestApp {
    spawn_inner(customise, demo, axum::Router::new()).await
}

async fn spawn_inner(
    customise: impl FnOnce(&mut BTreeMap<String, String>),
    demo: bool,
    extra: axum::Router<AppState>,
) -> TestApp {
    init_logs();
    let db_url = fresh_database_url().await;
    let data_dir = std::env::temp_dir().join(format!("aglis-test-data-{}", uuid::Uuid::new_v4().simple()));
    let mut env = BTreeMap::new();
    env.insert("AGLIS_DATA_DIR".to_owned(), data_dir.display().to_string());
    env.insert("AGLIS_DATABASE_URL".to_owned(), db_url.clone());
    env.insert("AGLIS_BIND".to_owned(), "127.0.0.1:0".to_owned());
    env.insert("AGLIS_SECRET_KEY".to_owned(), "test-secret-key-that-is-long-enough-0123456789".to_owned());
    env.insert("AGLIS_RUN_WORKERS".to_owned(), "false".to_owned());
    env.insert("AGLIS_DB_MAX_CONNECTIONS".to_owned(), "5".to_owned());
    // Tests sign admins in through the API; the two-factor tests turn enforcement back on.
    env.insert("AGLIS_REQUIRE_2FA".to_owned(), "false".to_owned());
    // Messages of channels without a provider are recorded as sent, as most tests expect; the
    // provider tests remove this to see them held.
    env.insert("AGLIS_NOTIFY_LOG_PROVIDER".to_owned(), "true".to_owned());
    // Network devices of tests are fakes on 127.0.0.1; any other address is refused unsent.
    env.insert("AGLIS_DEVICES_LOOPBACK_ONLY".to_owned(), "true".to_owned());
    customise(&mut env);
    let own_pg_database = (on_postgres() && env.get("AGLIS_DATABASE_URL") == Some(&db_url))
        .then(|| db_url.rsplit_once('/').map(|(_, name)| name.to_owned()))
        .flatten();
    // The fresh database's directory (unused when `customise` named another database).
    let own_sqlite_dir =
        aglis_db::sqlite_path(&db_url).and_then(|file| file.parent().map(std::path::Path::to_path_buf));
    let mut config = aglis_server::config::load(&env).expect("test configuration");
    config.demo = demo;
    // The health check and the disk rule read this instead of the host's disks.
    config.disk_used_pct = Some(42.0);
    let clock = ManualClock::new(start_time());
    let mut app = Application::build(config, Arc::new(clock.clone())).await.expect("build the app");
    app.extra_routes = extra;
    let address = format!("http://127.0.0.1:{}", app.port());
    let state = app.state.clone();
    tokio::spawn(app.run_until(std::future::pending()));
    let mut scratch = vec![data_dir];
    scratch.extend(own_sqlite_dir);
    TestApp { address, state, clock, db_url, api: reqwest::Client::new(), scratch, own_pg_database }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    /// Inserts an active user with [`PASSWORD`].
    pub async fn insert_user(&self, username: &str, role: Role) -> aglis_db::repo::users::User {
        let new = NewUser {
            username: username.to_owned(),
            email: Some(format!("{username}@example.id")),
            full_name: format!("Pengguna {username}"),
            phone: None,
            role,
            password_hash: PASSWORD_HASH.clone(),
        };
        users::create(&self.state.db, new, self.clock.now_utc()).await.expect("insert user")
    }

    /// Signs in through the API and returns the bearer token.
    pub async fn token(&self, username: &str) -> String {
        let res =
            self.post_json("/api/v1/auth/login", None, &json!({"username": username, "password": PASSWORD})).await;
        assert_eq!(res.status(), StatusCode::OK, "login of {username}");
        let body: Value = res.json().await.expect("json");
        body["token"].as_str().expect("token").to_owned()
    }

    /// A user of `role` and their bearer token.
    pub async fn user_with_token(&self, username: &str, role: Role) -> (aglis_db::repo::users::User, String) {
        let user = self.insert_user(username, role).await;
        let token = self.token(username).await;
        (user, token)
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> reqwest::Response {
        let mut req = self.api.get(self.url(path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        req.send().await.expect("request")
    }

    pub async fn delete(&self, path: &str, token: Option<&str>) -> reqwest::Response {
        let mut req = self.api.delete(self.url(path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        req.send().await.expect("request")
    }

    pub async fn post_json(&self, path: &str, token: Option<&str>, body: &Value) -> reqwest::Response {
        self.send_json(reqwest::Method::POST, path, token, body).await
    }

    pub async fn send_json(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: &Value,
    ) -> reqwest::Response {
        let mut req = self.api.request(method, self.url(path)).json(body);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        req.send().await.expect("request")
    }

    /// A browser-like client: keeps cookies, does not follow redirects.
    pub fn browser(&self) -> reqwest::Client {
        reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client")
    }

    /// Signs `username` in through the login form; returns the browser.
    pub async fn browser_login(&self, username: &str) -> reqwest::Client {
        let browser = self.browser();
        let page = browser.get(self.url("/login")).send().await.expect("login page").text().await.expect("html");
        let token = csrf_token(&page);
        let res = browser
            .post(self.url("/login"))
            .form(&[("username", username), ("password", PASSWORD), ("csrf_token", &token), ("next", "/")])
            .send()
            .await
            .expect("login post");
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "form login of {username}");
        browser
    }

    /// The TOTP code of `secret` at the app's clock.
    pub fn totp_code(&self, secret: &[u8]) -> String {
        aglis_core::totp::totp_at(secret, self.clock.now_utc().timestamp(), aglis_core::totp::DIGITS)
    }

    /// Moves the clock to the next TOTP step and returns its code (a code of a step already
    /// used is refused as a replay).
    pub fn next_totp_code(&self, secret: &[u8]) -> String {
        self.clock.advance(chrono::Duration::seconds(aglis_core::totp::STEP_SECS));
        self.totp_code(secret)
    }

    /// Enrols the browser's user in two-factor through `/account/security`: returns the secret
    /// (read from the page, as a person would type it) and the ten recovery codes shown once.
    pub async fn enrol_two_factor(&self, browser: &reqwest::Client) -> (Vec<u8>, Vec<String>) {
        let csrf = self.page_csrf(browser, "/account/security").await;
        let res = browser
            .post(self.url("/account/security/2fa/setup"))
            .form(&[("csrf_token", csrf.as_str())])
            .send()
            .await
            .expect("setup");
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "setup");
        let html = browser.get(self.url("/account/security")).send().await.expect("page").text().await.expect("html");
        let secret = between(&html, "class=\"totp-secret\">", "</code>").expect("the page shows the secret");
        let secret = aglis_core::totp::base32_decode(&secret).expect("base32 secret");
        let code = self.totp_code(&secret);
        let res = browser
            .post(self.url("/account/security/2fa/enable"))
            .form(&[("csrf_token", csrf.as_str()), ("code", code.as_str())])
            .send()
            .await
            .expect("enable");
        assert_eq!(res.status(), StatusCode::OK, "enable");
        let html = res.text().await.expect("html");
        let codes: Vec<String> = html
            .split("<li><code>")
            .skip(1)
            .filter_map(|part| part.split("</code>").next())
            .map(str::to_owned)
            .collect();
        assert_eq!(codes.len(), 10, "ten recovery codes: {html}");
        (secret, codes)
    }

    /// Signs in through the API with a second factor.
    pub async fn login_api(&self, username: &str, totp: Option<&str>) -> reqwest::Response {
        let mut body = json!({"username": username, "password": PASSWORD});
        if let Some(code) = totp {
            body["totp"] = json!(code);
        }
        self.post_json("/api/v1/auth/login", None, &body).await
    }

    /// Posts the login form (password step); returns the response, the browser keeps cookies.
    pub async fn post_login_form(
        &self,
        browser: &reqwest::Client,
        username: &str,
        password: &str,
    ) -> reqwest::Response {
        let token = self.page_csrf(browser, "/login").await;
        browser
            .post(self.url("/login"))
            .form(&[("username", username), ("password", password), ("csrf_token", &token), ("next", "/")])
            .send()
            .await
            .expect("login post")
    }

    /// The value of the session cookie the browser holds for the app.
    pub fn session_cookie_of(res: &reqwest::Response) -> Option<String> {
        Self::cookie_of(res, "aglis_session")
    }

    /// The value of the cookie `name` that `res` sets, if it sets one with a value.
    pub fn cookie_of(res: &reqwest::Response, name: &str) -> Option<String> {
        let prefix = format!("{name}=");
        res.headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find_map(|c| c.strip_prefix(prefix.as_str()))
            .map(|c| c.split(';').next().unwrap_or_default().to_owned())
            .filter(|v| !v.is_empty())
    }

    /// A UI text in the default language (Indonesian), HTML-escaped as pages show it.
    pub fn t(&self, key: &str) -> String {
        aglis_server::i18n::Lang::Id.t(key).replace('&', "&amp;").replace('\'', "&#39;").replace('"', "&#34;")
    }

    /// The CSRF token embedded in a page the browser fetches.
    pub async fn page_csrf(&self, browser: &reqwest::Client, path: &str) -> String {
        let html = browser.get(self.url(path)).send().await.expect("page").text().await.expect("html");
        csrf_token(&html)
    }
}

/// The text between `start` and the next `end`.
pub fn between(html: &str, start: &str, end: &str) -> Option<String> {
    let from = html.find(start)? + start.len();
    html[from..].split(end).next().map(str::to_owned)
}

/// Extracts `name="csrf_token" value="…"` from a page.
pub fn csrf_token(html: &str) -> String {
    let marker = "name=\"csrf_token\" value=\"";
    let start = html.find(marker).map(|i| i + marker.len()).expect("page has a CSRF field");
    html[start..].split('"').next().expect("token").to_owned()
}

pub trait ClockExt {
    fn now_utc(&self) -> DateTime<Utc>;
}

impl ClockExt for ManualClock {
    fn now_utc(&self) -> DateTime<Utc> {
        use aglis_core::clock::Clock;
        self.now()
    }
}

/// Asserts a problem+json response with `status` and returns its body.
pub async fn problem(res: reqwest::Response, status: u16) -> Value {
    assert_eq!(res.status().as_u16(), status, "status");
    let ct = res.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    assert_eq!(ct, "application/problem+json");
    let body: Value = res.json().await.expect("problem body");
    assert_eq!(body["status"], status);
    assert!(body["title"].is_string() && body["detail"].is_string(), "{body}");
    body
}

/// A valid 1 × 1 PNG.
pub const TINY_PNG: &[u8] = &[
    0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52, 0x00, 0x00, 0x00,
    0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x04, 0x00, 0x00, 0x00, 0xB5, 0x1C, 0x0C, 0x02, 0x00, 0x00, 0x00, 0x0B, 0x49,
    0x44, 0x41, 0x54, 0x78, 0xDA, 0x63, 0x64, 0x60, 0x00, 0x00, 0x00, 0x06, 0x00, 0x02, 0x30, 0x81, 0xD0, 0x2F, 0x00,
    0x00, 0x00, 0x00, 0x49, 0x45, 0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82,
];

/// Uploads `bytes` as `filename` (claimed type `mime`) of `kind` to ticket `id` through the API.
pub async fn upload_file(
    app: &TestApp,
    token: &str,
    id: i64,
    kind: &str,
    filename: &str,
    mime: &str,
    bytes: Vec<u8>,
) -> reqwest::Response {
    let part = reqwest::multipart::Part::bytes(bytes).file_name(filename.to_owned()).mime_str(mime).expect("mime");
    let form = reqwest::multipart::Form::new().text("kind", kind.to_owned()).part("file", part);
    app.api
        .post(app.url(&format!("/api/v1/tickets/{id}/attachments")))
        .bearer_auth(token)
        .multipart(form)
        .send()
        .await
        .expect("upload")
}

/// Uploads the three completion photos an installation needs before it can be resolved.
pub async fn upload_completion_photos(app: &TestApp, token: &str, id: i64) {
    for kind in ["otdr", "attenuation", "modem_sn"] {
        let res = upload_file(app, token, id, kind, &format!("{kind}.png"), "image/png", TINY_PNG.to_vec()).await;
        assert_eq!(res.status(), StatusCode::CREATED, "{kind} photo: {}", res.text().await.unwrap_or_default());
    }
}
