//! The RouterOS REST client against the fake RouterOS: suspend/restore patterns (a), (b), (c),
//! idempotency, dry runs and every failure of spec/network-enforcement.md §6.
#![cfg(feature = "fakes")]

use aglis_integrations::network::routeros::{DeviceInfo, PppState, RouterOs, RouterOsConfig};
use aglis_integrations::network::routeros_fake::{Behavior, FakeRouterOs};
use aglis_integrations::network::{NetError, Outcome};
use std::time::Duration;

const USER: &str = "aglis";
const PASS: &str = "router-pw";
const SECRET: &str = "ppp/secret";
const ACTIVE: &str = "ppp/active";
const LIST: &str = "ip/firewall/address-list";

fn client(url: &str, password: &str, timeout: Duration) -> RouterOs {
    let config = RouterOsConfig {
        base_url: url.to_owned(),
        username: USER.into(),
        password: password.into(),
        timeout,
        insecure_tls: false,
    };
    RouterOs::new(config).expect("client")
}

/// A fake with the isolation profiles, secret `budi-ktw` on `10M` with one session, and another
/// customer's session; returns (fake, client, secret id, budi's session id).
async fn setup() -> (FakeRouterOs, RouterOs, String, String) {
    let fake = FakeRouterOs::start(USER, PASS).await.expect("fake");
    fake.seed_isolation();
    let secret = fake.add(SECRET, &[("name", "budi-ktw"), ("password", "pppoe-pw"), ("profile", "10M")]);
    fake.add(SECRET, &[("name", "siti"), ("password", "x"), ("profile", "20M")]);
    let session = fake.add(ACTIVE, &[("name", "budi-ktw"), ("address", "10.20.0.15")]);
    fake.add(ACTIVE, &[("name", "siti"), ("address", "10.20.0.16")]);
    fake.clear_log();
    let ros = client(&fake.url(), PASS, Duration::from_millis(800));
    (fake, ros, secret, session)
}

fn field(fake: &FakeRouterOs, menu: &str, id: &str, key: &str) -> Option<String> {
    fake.records(menu).into_iter().find(|r| r[".id"] == id).and_then(|r| r.get(key).cloned())
}

fn sessions_of(fake: &FakeRouterOs, name: &str) -> usize {
    fake.records(ACTIVE).iter().filter(|r| r["name"] == name).count()
}

#[tokio::test]
async fn suspend_by_profile_changes_the_secret_then_kicks_its_session() {
    let (fake, ros, secret, session) = setup().await;
    let outcome = ros.ensure_ppp_profile("budi-ktw", "ISOLIR", false).await.expect("suspended");
    assert_eq!(
        outcome,
        Outcome {
            changed: true,
            steps: vec![
                "ppp/secret budi-ktw: profile 10M → ISOLIR".into(),
                format!("ppp/active {session} (budi-ktw) removed")
            ],
            previous: Some("10M".into()),
        }
    );
    assert_eq!(
        fake.requests(),
        [
            "GET /rest/ppp/secret?name=budi-ktw".to_owned(),
            format!("PATCH /rest/ppp/secret/{secret}"),
            "GET /rest/ppp/active?name=budi-ktw".to_owned(),
            format!("DELETE /rest/ppp/active/{session}"),
        ]
    );
    assert_eq!(field(&fake, SECRET, &secret, "profile").as_deref(), Some("ISOLIR"));
    assert_eq!((sessions_of(&fake, "budi-ktw"), sessions_of(&fake, "siti")), (0, 1), "only budi is kicked");
    assert_eq!(fake.writes(), 2);
    assert!(outcome.steps.iter().all(|s| !s.contains("pppoe-pw")));
}

#[tokio::test]
async fn the_fake_keeps_the_session_when_the_secret_changes() {
    let (fake, _, secret, _) = setup().await;
    let http = reqwest::Client::new();
    let url = format!("{}/rest/ppp/secret/{}", fake.url(), secret.replace('*', "%2A"));
    let r = http.patch(&url).basic_auth(USER, Some(PASS)).json(&serde_json::json!({"disabled": "yes"})).send().await;
    let body: serde_json::Value = r.expect("answer").json().await.expect("json");
    assert_eq!((body["disabled"].as_str(), body["name"].as_str()), (Some("true"), Some("budi-ktw")));
    assert_eq!(sessions_of(&fake, "budi-ktw"), 1, "RouterOS keeps the session; the client must kick");
}

#[tokio::test]
async fn suspending_twice_writes_nothing_the_second_time() {
    let (fake, ros, _, _) = setup().await;
    ros.ensure_ppp_profile("budi-ktw", "ISOLIR", false).await.expect("first");
    fake.clear_log();
    let again = ros.ensure_ppp_profile("budi-ktw", "ISOLIR", false).await.expect("second");
    assert_eq!(again, Outcome::default(), "nothing changed, no previous profile to remember");
    assert_eq!(fake.writes(), 0);
    assert_eq!(fake.requests(), ["GET /rest/ppp/secret?name=budi-ktw"]);
}

#[tokio::test]
async fn restore_sets_the_paid_profile_back_enables_and_kicks() {
    let (fake, ros, secret, session) = setup().await;
    fake.set_field(SECRET, &secret, "profile", "ISOLIR");
    fake.set_field(SECRET, &secret, "disabled", "true");
    let outcome = ros.ensure_ppp_profile("budi-ktw", "10M", false).await.expect("restored");
    assert_eq!(outcome.previous.as_deref(), Some("ISOLIR"));
    assert_eq!(
        outcome.steps,
        [
            "ppp/secret budi-ktw: profile ISOLIR → 10M, enabled".to_owned(),
            format!("ppp/active {session} (budi-ktw) removed")
        ]
    );
    assert_eq!(field(&fake, SECRET, &secret, "profile").as_deref(), Some("10M"));
    assert_eq!(field(&fake, SECRET, &secret, "disabled").as_deref(), Some("false"));
    assert_eq!(sessions_of(&fake, "budi-ktw"), 0);
    let state = ros.ppp_state("budi-ktw").await.expect("read");
    assert_eq!(state, Some(PppState { profile: "10M".into(), disabled: false, remote_address: None, sessions: 0 }));
}

#[tokio::test]
async fn disabling_kicks_and_enabling_does_not() {
    let (fake, ros, secret, session) = setup().await;
    let off = ros.ensure_ppp_disabled("budi-ktw", true, false).await.expect("disabled");
    assert_eq!(
        off.steps,
        ["ppp/secret budi-ktw: disabled".to_owned(), format!("ppp/active {session} (budi-ktw) removed")]
    );
    assert_eq!(off.previous, None);
    assert_eq!(field(&fake, SECRET, &secret, "disabled").as_deref(), Some("true"));
    assert_eq!(sessions_of(&fake, "budi-ktw"), 0);
    fake.add(ACTIVE, &[("name", "budi-ktw")]);
    fake.clear_log();
    let on = ros.ensure_ppp_disabled("budi-ktw", false, false).await.expect("enabled");
    assert_eq!(on.steps, ["ppp/secret budi-ktw: enabled"]);
    assert_eq!(sessions_of(&fake, "budi-ktw"), 1, "enabling leaves sessions alone");
    assert!(fake.requests().iter().all(|r| !r.starts_with("DELETE")), "{:?}", fake.requests());
}

#[tokio::test]
async fn a_missing_secret_is_refused() {
    let (fake, ros, _, _) = setup().await;
    let err = ros.ensure_ppp_profile("nobody", "ISOLIR", false).await.expect_err("no such secret");
    assert_eq!(err, NetError::Refused("no PPP secret named nobody".into()));
    assert_eq!(ros.ppp_state("nobody").await, Ok(None));
    assert_eq!(fake.writes(), 0);
}

#[tokio::test]
async fn address_list_add_duplicate_and_remove_every_duplicate() {
    let (fake, ros, _, _) = setup().await;
    let other = fake.add(LIST, &[("list", "ISOLIR"), ("address", "10.20.0.99")]);
    let elsewhere = fake.add(LIST, &[("list", "VIP"), ("address", "10.20.0.15")]);
    assert!(!ros.listed("ISOLIR", "10.20.0.15").await.expect("read"));
    let added = ros.ensure_listed("ISOLIR", "10.20.0.15", "cid=123", true, false).await.expect("added");
    assert_eq!(
        added,
        Outcome { changed: true, steps: vec!["address-list ISOLIR + 10.20.0.15".into()], previous: None }
    );
    assert!(ros.listed("ISOLIR", "10.20.0.15").await.expect("read"));
    let ours: Vec<_> =
        fake.records(LIST).into_iter().filter(|r| r["address"] == "10.20.0.15" && r["list"] == "ISOLIR").collect();
    assert_eq!(ours.len(), 1);
    assert_eq!(ours[0]["comment"], "cid=123");

    fake.clear_log();
    let again = ros.ensure_listed("ISOLIR", "10.20.0.15", "cid=123", true, false).await.expect("again");
    assert_eq!((again, fake.writes()), (Outcome::default(), 0));

    // an old config holds a duplicate, and a disabled one
    let dup = fake.add(LIST, &[("list", "ISOLIR"), ("address", "10.20.0.15")]);
    fake.set_field(LIST, &dup, "disabled", "true");
    let removed = ros.ensure_listed("ISOLIR", "10.20.0.15", "", false, false).await.expect("removed");
    assert_eq!(removed.steps.len(), 2, "{removed:?}");
    assert!(removed.steps.iter().all(|s| s.starts_with("address-list ISOLIR - 10.20.0.15 (")));
    let left: Vec<String> = fake.records(LIST).into_iter().map(|r| r[".id"].clone()).collect();
    assert_eq!(left, [other, elsewhere], "other addresses and other lists stay");
    fake.clear_log();
    let none = ros.ensure_listed("ISOLIR", "10.20.0.15", "", false, false).await.expect("nothing left");
    assert_eq!((none, fake.writes()), (Outcome::default(), 0));
}

#[tokio::test]
async fn a_disabled_entry_is_enabled_rather_than_added_again() {
    let (fake, ros, _, _) = setup().await;
    let id = fake.add(LIST, &[("list", "ISOLIR"), ("address", "10.20.0.15"), ("disabled", "true")]);
    assert!(!ros.listed("ISOLIR", "10.20.0.15").await.expect("read"), "a disabled entry blocks nothing");
    let out = ros.ensure_listed("ISOLIR", "10.20.0.15", "cid=1", true, false).await.expect("enabled");
    assert_eq!(out.steps, [format!("address-list ISOLIR + 10.20.0.15 (enabled {id})")]);
    assert_eq!(fake.records(LIST).len(), 1);
    assert_eq!(field(&fake, LIST, &id, "disabled").as_deref(), Some("false"));
}

#[tokio::test]
async fn a_dry_run_sends_only_reads_and_reports_the_plan() {
    let (fake, ros, secret, session) = setup().await;
    let plan = ros.ensure_ppp_profile("budi-ktw", "ISOLIR", true).await.expect("plan");
    assert_eq!(
        plan,
        Outcome {
            changed: true,
            steps: vec![
                "ppp/secret budi-ktw: profile 10M → ISOLIR".into(),
                format!("ppp/active {session} (budi-ktw) removed")
            ],
            previous: Some("10M".into()),
        }
    );
    let listed = ros.ensure_listed("ISOLIR", "10.20.0.15", "cid=1", true, true).await.expect("plan");
    assert_eq!((listed.changed, listed.steps), (true, vec!["address-list ISOLIR + 10.20.0.15".to_owned()]));
    let requests = fake.requests();
    assert!(requests.len() >= 3 && requests.iter().all(|r| r.starts_with("GET ")), "{requests:?}");
    assert_eq!(fake.writes(), 0);
    assert_eq!(field(&fake, SECRET, &secret, "profile").as_deref(), Some("10M"));
    assert_eq!((sessions_of(&fake, "budi-ktw"), fake.records(LIST).len()), (1, 0));
}

#[tokio::test]
async fn a_write_that_fails_but_applied_counts_as_done_after_a_re_read() {
    let (fake, ros, secret, session) = setup().await;
    fake.set_behavior(Behavior::FailButApply);
    let outcome = ros.ensure_ppp_profile("budi-ktw", "ISOLIR", false).await.expect("done after re-read");
    assert_eq!(outcome.steps.len(), 2, "{outcome:?}");
    assert_eq!(
        fake.requests(),
        [
            "GET /rest/ppp/secret?name=budi-ktw".to_owned(),
            format!("PATCH /rest/ppp/secret/{secret}"),
            "GET /rest/ppp/secret?name=budi-ktw".to_owned(),
            "GET /rest/ppp/active?name=budi-ktw".to_owned(),
            format!("DELETE /rest/ppp/active/{session}"),
            "GET /rest/ppp/active?name=budi-ktw".to_owned(),
        ]
    );
    assert_eq!(field(&fake, SECRET, &secret, "profile").as_deref(), Some("ISOLIR"));
    assert_eq!(sessions_of(&fake, "budi-ktw"), 0);

    let listed = ros.ensure_listed("ISOLIR", "10.20.0.15", "cid=1", true, false).await.expect("done after re-read");
    assert!(listed.changed);
    assert_eq!(fake.records(LIST).len(), 1, "the PUT is not repeated");
}

#[tokio::test]
async fn a_server_error_is_unexpected_and_creates_no_duplicate() {
    let (fake, ros, _, _) = setup().await;
    fake.set_behavior(Behavior::ServerErrorOnWrites);
    let err = ros.ensure_listed("ISOLIR", "10.20.0.15", "cid=1", true, false).await.expect_err("500");
    assert!(matches!(&err, NetError::Unexpected(d) if d.contains("500")), "{err:?}");
    assert!(err.is_retryable());
    assert_eq!(fake.requests().iter().filter(|r| r.starts_with("PUT")).count(), 1, "never retried blindly");
    assert_eq!(
        fake.requests().last().map(String::as_str),
        Some("GET /rest/ip/firewall/address-list?list=ISOLIR&address=10.20.0.15")
    );
    fake.set_behavior(Behavior::ServerError);
    assert!(matches!(ros.health().await, Err(NetError::Unexpected(_))));
    assert!(fake.records(LIST).is_empty());

    fake.set_behavior(Behavior::Normal);
    for _ in 0..2 {
        ros.ensure_listed("ISOLIR", "10.20.0.15", "cid=1", true, false).await.expect("converges");
    }
    assert_eq!(fake.records(LIST).len(), 1);
}

#[tokio::test]
async fn a_device_that_is_down_is_unreachable_then_converges_after_resume() {
    let (fake, ros, secret, _) = setup().await;
    ros.health().await.expect("up, and a pooled connection exists");
    fake.go_down().await;
    let err = ros.ensure_ppp_profile("budi-ktw", "ISOLIR", false).await.expect_err("down");
    assert!(matches!(err, NetError::Unreachable(_)), "{err:?}");
    assert!(err.is_retryable());
    assert_eq!(field(&fake, SECRET, &secret, "profile").as_deref(), Some("10M"));
    fake.resume().await.expect("back");
    let outcome = ros.ensure_ppp_profile("budi-ktw", "ISOLIR", false).await.expect("converges");
    assert_eq!(outcome.previous.as_deref(), Some("10M"));
    assert_eq!(
        (field(&fake, SECRET, &secret, "profile").as_deref(), sessions_of(&fake, "budi-ktw")),
        (Some("ISOLIR"), 0)
    );
}

#[tokio::test]
async fn a_slow_device_times_out_as_unreachable() {
    let (fake, _, _, _) = setup().await;
    let ros = client(&fake.url(), PASS, Duration::from_millis(200));
    fake.set_behavior(Behavior::Slow(Duration::from_millis(1000)));
    let err = ros.ppp_state("budi-ktw").await.expect_err("too slow");
    assert!(matches!(&err, NetError::Unreachable(d) if d.contains("timed out")), "{err:?}");
    fake.set_behavior(Behavior::Slow(Duration::from_millis(20)));
    assert_eq!(ros.ppp_state("budi-ktw").await.expect("in time").map(|s| s.sessions), Some(1));
}

#[tokio::test]
async fn bad_credentials_and_a_refusing_router_are_auth_errors() {
    let (fake, ros, _, _) = setup().await;
    let wrong = client(&fake.url(), "not-the-password", Duration::from_millis(800));
    let err = wrong.health().await.expect_err("401");
    assert!(matches!(&err, NetError::Auth(d) if d.contains("401") && !d.contains("not-the-password")), "{err:?}");
    assert!(!err.is_retryable());
    fake.set_behavior(Behavior::Unauthorized);
    let err = ros.ensure_ppp_disabled("budi-ktw", true, false).await.expect_err("401");
    assert!(matches!(err, NetError::Auth(_)), "{err:?}");
    assert_eq!(fake.writes(), 0);
}

#[tokio::test]
async fn health_reads_version_board_and_uptime() {
    let (fake, ros, _, _) = setup().await;
    let info = ros.health().await.expect("health");
    assert_eq!(
        info,
        DeviceInfo { version: "7.16.2 (stable)".into(), board: "CCR2004-16G-2S+".into(), uptime: "12d3h4m5s".into() }
    );
    assert_eq!(fake.requests(), ["GET /rest/system/resource"]);
    let with_rest = client(&format!("{}/rest/", fake.url()), PASS, Duration::from_millis(800));
    assert_eq!(with_rest.health().await, Ok(info), "a base URL ending in /rest is tolerated");
}

#[tokio::test]
async fn the_fake_answers_like_routeros() {
    let (fake, _, secret, session) = setup().await;
    let http = reqwest::Client::new();
    let base = format!("{}/rest", fake.url());
    let send = |m: reqwest::Method, path: &str, body: Option<serde_json::Value>| {
        let mut r = http.request(m, format!("{base}/{path}")).basic_auth(USER, Some(PASS));
        if let Some(b) = body {
            r = r.json(&b);
        }
        async move {
            let resp = r.send().await.expect("answer");
            let status = resp.status().as_u16();
            (status, resp.text().await.expect("body"))
        }
    };
    use reqwest::Method as M;
    let (code, body) = send(M::GET, "ppp/secret?name=budi-ktw&.proplist=name,profile", None).await;
    assert_eq!((code, body.as_str()), (200, r#"[{"name":"budi-ktw","profile":"10M"}]"#));
    assert_eq!(send(M::GET, &format!("ppp/secret/{secret}"), None).await.0, 200, "a raw * is accepted too");
    let (code, body) = send(M::GET, "ppp/secret/%2A99", None).await;
    assert_eq!((code, body.as_str()), (404, r#"{"error":404,"message":"Not Found"}"#));
    let dup = serde_json::json!({"name": "budi-ktw", "password": "y"});
    let (code, body) = send(M::PUT, "ppp/secret", Some(dup)).await;
    assert_eq!((code, body.contains("already have such entry")), (400, true));
    let (code, body) = send(M::GET, "ppp/nothing", None).await;
    assert_eq!((code, body.contains("no such command or directory (nothing)")), (400, true));
    let print = serde_json::json!({".proplist": [".id", "name"], ".query": ["name=siti"]});
    let (code, body) = send(M::POST, "ppp/active/print", Some(print)).await;
    assert_eq!((code, body.contains("siti"), body.contains("budi")), (200, true, false));
    let (code, body) = send(M::DELETE, &format!("ppp/active/{}", session.replace('*', "%2A")), None).await;
    assert_eq!((code, body.as_str()), (200, ""));
    assert_eq!(send(M::DELETE, &format!("ppp/active/{session}"), None).await.0, 404);
    let siti = fake.records(ACTIVE)[0][".id"].clone();
    let (code, body) = send(M::POST, "ppp/active/remove", Some(serde_json::json!({"numbers": siti}))).await;
    assert_eq!((code, body.as_str(), fake.records(ACTIVE).len()), (200, "[]", 0));
    let anonymous = http.get(format!("{base}/system/resource")).send().await.expect("answer");
    assert_eq!(anonymous.status().as_u16(), 401);
    assert_eq!(fake.writes(), 2, "the two deletes that removed something");
}

#[tokio::test]
async fn the_session_user_of_an_address_is_found_for_the_isolation_page() {
    let (fake, ros, _, _) = setup().await;
    assert_eq!(ros.session_user("10.20.0.16").await.expect("read").as_deref(), Some("siti"));
    assert_eq!(ros.session_user("10.20.0.99").await.expect("read"), None);
    assert_eq!(fake.writes(), 0);
}

#[tokio::test]
async fn a_snapshot_reads_every_secret_and_the_list_in_two_requests() {
    let (fake, ros, _, _) = setup().await;
    fake.add(LIST, &[("list", "ISOLIR"), ("address", "10.20.0.15")]);
    fake.add(LIST, &[("list", "ISOLIR"), ("address", "10.20.0.16"), ("disabled", "true")]);
    fake.add(LIST, &[("list", "OTHER"), ("address", "10.20.0.17")]);
    fake.clear_log();
    let snap = ros.snapshot("ISOLIR").await.expect("snapshot");
    assert_eq!(snap.secrets.get("budi-ktw"), Some(&("10M".to_owned(), false)));
    assert_eq!(snap.secrets.get("siti"), Some(&("20M".to_owned(), false)));
    assert_eq!(snap.listed.iter().collect::<Vec<_>>(), ["10.20.0.15"], "enabled entries of the list only");
    assert_eq!(fake.requests().len(), 2, "{:?}", fake.requests());
    assert!(!fake.requests().iter().any(|r| r.contains("password")), "passwords are not read");
}
