//! The RouterOS binary-API client against the fake API server: login flows, suspend/restore
//! patterns (a), (b), (c), idempotency, dry runs and the failures of spec/network-enforcement.md §6.
#![cfg(feature = "fakes")]

use aglis_integrations::network::routeros::{DeviceInfo, PppState};
use aglis_integrations::network::routeros_api::{ApiConfig, RouterOsApi};
use aglis_integrations::network::routeros_api_fake::{ApiBehavior, FakeRouterOsApi};
use aglis_integrations::network::{NetError, Outcome};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const USER: &str = "aglis";
const PASS: &str = "router-pw";
const SECRET: &str = "ppp/secret";
const ACTIVE: &str = "ppp/active";
const LIST: &str = "ip/firewall/address-list";
const LOGIN: &str = "/login =name=aglis =password=***";
const SECRET_PRINT: &str = "/ppp/secret/print =.proplist=.id,name,profile,disabled,remote-address ?name=budi-ktw";
const ACTIVE_PRINT: &str = "/ppp/active/print =.proplist=.id,name,address ?name=budi-ktw";
const LIST_PRINT: &str = "/ip/firewall/address-list/print =.proplist=.id,list,address,disabled ?list=ISOLIR";

fn client(address: &str, password: &str, timeout: Duration) -> RouterOsApi {
    let config = ApiConfig { address: address.to_owned(), username: USER.into(), password: password.into(), timeout };
    RouterOsApi::new(config).expect("client")
}

/// A fake with the isolation profiles, secret `budi-ktw` on `10M` with one session, and another
/// customer's session; returns (fake, client, secret id, budi's session id).
async fn setup() -> (FakeRouterOsApi, RouterOsApi, String, String) {
    let fake = FakeRouterOsApi::start(USER, PASS).await.expect("fake");
    fake.seed_isolation();
    let secret = fake.add(SECRET, &[("name", "budi-ktw"), ("password", "pppoe-pw"), ("profile", "10M")]);
    fake.add(SECRET, &[("name", "siti"), ("password", "x"), ("profile", "20M")]);
    let session = fake.add(ACTIVE, &[("name", "budi-ktw"), ("address", "10.20.0.15")]);
    fake.add(ACTIVE, &[("name", "siti"), ("address", "10.20.0.16")]);
    fake.clear_log();
    let api = client(&fake.address(), PASS, Duration::from_millis(800));
    (fake, api, secret, session)
}

fn field(fake: &FakeRouterOsApi, menu: &str, id: &str, key: &str) -> Option<String> {
    fake.records(menu).into_iter().find(|r| r[".id"] == id).and_then(|r| r.get(key).cloned())
}

fn sessions_of(fake: &FakeRouterOsApi, name: &str) -> usize {
    fake.records(ACTIVE).iter().filter(|r| r["name"] == name).count()
}

#[tokio::test]
async fn login_with_the_password_and_with_the_legacy_challenge() {
    let (fake, api, _, _) = setup().await;
    api.health().await.expect("RouterOS ≥ 6.43 login");
    let wrong = client(&fake.address(), "not-the-password", Duration::from_millis(800));
    let err = wrong.health().await.expect_err("bad password");
    assert_eq!(err, NetError::Auth("/login: invalid user name or password (6)".into()));
    assert!(!err.is_retryable());

    fake.set_behavior(ApiBehavior::LegacyLogin);
    fake.clear_log();
    api.health().await.expect("RouterOS < 6.43 login");
    assert_eq!(
        fake.requests(),
        [LOGIN, "/login =name=aglis =response=***", "/system/resource/print =.proplist=version,board-name,uptime"]
    );
    assert!(matches!(wrong.health().await, Err(NetError::Auth(_))));
    assert!(fake.requests().iter().all(|r| !r.contains(PASS) && !r.contains("not-the-password")));
}

#[tokio::test]
async fn suspend_by_profile_changes_the_secret_then_kicks_its_session() {
    let (fake, api, secret, session) = setup().await;
    let outcome = api.ensure_ppp_profile("budi-ktw", "ISOLIR", false).await.expect("suspended");
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
            LOGIN.to_owned(),
            SECRET_PRINT.to_owned(),
            format!("/ppp/secret/set =.id={secret} =profile=ISOLIR"),
            ACTIVE_PRINT.to_owned(),
            format!("/ppp/active/remove =.id={session}"),
        ]
    );
    assert_eq!(field(&fake, SECRET, &secret, "profile").as_deref(), Some("ISOLIR"));
    assert_eq!((sessions_of(&fake, "budi-ktw"), sessions_of(&fake, "siti")), (0, 1), "only budi is kicked");
    assert_eq!(fake.writes(), 2);
}

#[tokio::test]
async fn suspending_twice_writes_nothing_the_second_time() {
    let (fake, api, _, _) = setup().await;
    api.ensure_ppp_profile("budi-ktw", "ISOLIR", false).await.expect("first");
    fake.clear_log();
    let again = api.ensure_ppp_profile("budi-ktw", "ISOLIR", false).await.expect("second");
    assert_eq!(again, Outcome::default(), "nothing changed, no previous profile to remember");
    assert_eq!((fake.requests(), fake.writes()), (vec![LOGIN.to_owned(), SECRET_PRINT.to_owned()], 0));
}

#[tokio::test]
async fn restore_sets_the_paid_profile_back_enables_and_kicks() {
    let (fake, api, secret, session) = setup().await;
    fake.set_field(SECRET, &secret, "profile", "ISOLIR");
    fake.set_field(SECRET, &secret, "disabled", "true");
    let outcome = api.ensure_ppp_profile("budi-ktw", "10M", false).await.expect("restored");
    assert_eq!(outcome.previous.as_deref(), Some("ISOLIR"));
    assert_eq!(
        outcome.steps,
        [
            "ppp/secret budi-ktw: profile ISOLIR → 10M, enabled".to_owned(),
            format!("ppp/active {session} (budi-ktw) removed")
        ]
    );
    assert!(fake.requests().contains(&format!("/ppp/secret/set =.id={secret} =profile=10M =disabled=no")));
    assert_eq!(field(&fake, SECRET, &secret, "disabled").as_deref(), Some("false"));
    let state = api.ppp_state("budi-ktw").await.expect("read");
    assert_eq!(state, Some(PppState { profile: "10M".into(), disabled: false, remote_address: None, sessions: 0 }));
}

#[tokio::test]
async fn disabling_kicks_and_enabling_does_not() {
    let (fake, api, secret, session) = setup().await;
    let off = api.ensure_ppp_disabled("budi-ktw", true, false).await.expect("disabled");
    assert_eq!(
        (off.steps, off.previous),
        (vec!["ppp/secret budi-ktw: disabled".to_owned(), format!("ppp/active {session} (budi-ktw) removed")], None)
    );
    assert!(fake.requests().contains(&format!("/ppp/secret/set =.id={secret} =disabled=yes")));
    assert_eq!(field(&fake, SECRET, &secret, "disabled").as_deref(), Some("true"));
    assert_eq!(sessions_of(&fake, "budi-ktw"), 0);
    fake.add(ACTIVE, &[("name", "budi-ktw")]);
    fake.clear_log();
    let on = api.ensure_ppp_disabled("budi-ktw", false, false).await.expect("enabled");
    assert_eq!(on.steps, ["ppp/secret budi-ktw: enabled"]);
    assert_eq!(sessions_of(&fake, "budi-ktw"), 1, "enabling leaves sessions alone");
    assert!(fake.requests().iter().all(|r| !r.contains("/remove")), "{:?}", fake.requests());
}

#[tokio::test]
async fn a_missing_secret_is_refused_and_kick_without_sessions_does_nothing() {
    let (fake, api, _, _) = setup().await;
    let err = api.ensure_ppp_profile("nobody", "ISOLIR", false).await.expect_err("no such secret");
    assert_eq!(err, NetError::Refused("no PPP secret named nobody".into()));
    assert_eq!(api.ppp_state("nobody").await, Ok(None));
    assert_eq!(api.kick("nobody", false).await, Ok(Outcome::default()));
    assert_eq!(fake.writes(), 0);
}

#[tokio::test]
async fn address_list_add_duplicate_and_remove_every_duplicate() {
    let (fake, api, _, _) = setup().await;
    let other = fake.add(LIST, &[("list", "ISOLIR"), ("address", "10.20.0.99")]);
    let elsewhere = fake.add(LIST, &[("list", "VIP"), ("address", "10.20.0.15")]);
    assert!(!api.listed("ISOLIR", "10.20.0.15").await.expect("read"));
    fake.clear_log();
    let added = api.ensure_listed("ISOLIR", "10.20.0.15", "cid=123", true, false).await.expect("added");
    assert_eq!(
        added,
        Outcome { changed: true, steps: vec!["address-list ISOLIR + 10.20.0.15".into()], previous: None }
    );
    assert_eq!(
        fake.requests(),
        [
            LOGIN.to_owned(),
            format!("{LIST_PRINT} ?address=10.20.0.15"),
            "/ip/firewall/address-list/add =list=ISOLIR =address=10.20.0.15 =comment=cid=123".to_owned(),
        ]
    );
    let ours: Vec<_> =
        fake.records(LIST).into_iter().filter(|r| r["address"] == "10.20.0.15" && r["list"] == "ISOLIR").collect();
    assert_eq!((ours.len(), ours[0]["comment"].as_str()), (1, "cid=123"));
    assert!(api.listed("ISOLIR", "10.20.0.15").await.expect("read"));

    fake.clear_log();
    let again = api.ensure_listed("ISOLIR", "10.20.0.15", "cid=123", true, false).await.expect("again");
    assert_eq!((again, fake.writes()), (Outcome::default(), 0));

    // an old config holds a duplicate, and a disabled one
    let dup = fake.add(LIST, &[("list", "ISOLIR"), ("address", "10.20.0.15")]);
    fake.set_field(LIST, &dup, "disabled", "true");
    let removed = api.ensure_listed("ISOLIR", "10.20.0.15", "", false, false).await.expect("removed");
    assert_eq!(removed.steps.len(), 2, "{removed:?}");
    assert!(removed.steps.iter().all(|s| s.starts_with("address-list ISOLIR - 10.20.0.15 (")));
    let left: Vec<String> = fake.records(LIST).into_iter().map(|r| r[".id"].clone()).collect();
    assert_eq!(left, [other, elsewhere], "other addresses and other lists stay");
    fake.clear_log();
    let none = api.ensure_listed("ISOLIR", "10.20.0.15", "", false, false).await.expect("nothing left");
    assert_eq!((none, fake.writes()), (Outcome::default(), 0));
}

#[tokio::test]
async fn already_exists_and_no_such_item_count_as_done() {
    let (fake, api, _, _) = setup().await;
    fake.set_behavior(ApiBehavior::Trap("failure: already have such entry".into()));
    let added = api.ensure_listed("ISOLIR", "10.20.0.15", "cid=1", true, false).await;
    assert_eq!(added, Ok(Outcome::default()), "someone else added it between our print and our add");
    fake.set_behavior(ApiBehavior::Trap("failure: address list entry already exists".into()));
    assert_eq!(api.ensure_listed("ISOLIR", "10.20.0.15", "cid=1", true, false).await, Ok(Outcome::default()));

    fake.set_behavior(ApiBehavior::Normal);
    fake.add(LIST, &[("list", "ISOLIR"), ("address", "10.20.0.15")]);
    fake.set_behavior(ApiBehavior::Trap("no such item".into()));
    let gone = api.ensure_listed("ISOLIR", "10.20.0.15", "", false, false).await.expect("gone already");
    assert_eq!(gone, Outcome::default(), "removed by someone else: nothing done by us");
    let kicked = api.kick("budi-ktw", false).await.expect("session ended by itself");
    assert_eq!(kicked, Outcome::default());
    assert_eq!(fake.writes(), 0);
}

#[tokio::test]
async fn a_disabled_entry_is_enabled_rather_than_added_again() {
    let (fake, api, _, _) = setup().await;
    let id = fake.add(LIST, &[("list", "ISOLIR"), ("address", "10.20.0.15"), ("disabled", "true")]);
    assert!(!api.listed("ISOLIR", "10.20.0.15").await.expect("read"), "a disabled entry blocks nothing");
    let out = api.ensure_listed("ISOLIR", "10.20.0.15", "cid=1", true, false).await.expect("enabled");
    assert_eq!(out.steps, [format!("address-list ISOLIR + 10.20.0.15 (enabled {id})")]);
    assert!(fake.requests().contains(&format!("/ip/firewall/address-list/set =.id={id} =disabled=no")));
    assert_eq!((fake.records(LIST).len(), field(&fake, LIST, &id, "disabled").as_deref()), (1, Some("false")));
}

#[tokio::test]
async fn a_dry_run_sends_only_prints_and_reports_the_plan() {
    let (fake, api, secret, session) = setup().await;
    let plan = api.ensure_ppp_profile("budi-ktw", "ISOLIR", true).await.expect("plan");
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
    let disable = api.ensure_ppp_disabled("budi-ktw", true, true).await.expect("plan");
    assert_eq!(disable.steps.len(), 2);
    let listed = api.ensure_listed("ISOLIR", "10.20.0.15", "cid=1", true, true).await.expect("plan");
    assert_eq!((listed.changed, listed.steps), (true, vec!["address-list ISOLIR + 10.20.0.15".to_owned()]));
    let kick = api.kick("budi-ktw", true).await.expect("plan");
    assert_eq!(kick.steps, [format!("ppp/active {session} (budi-ktw) removed")]);
    let requests = fake.requests();
    let command = |r: &String| r.split(' ').next().unwrap_or_default().to_owned();
    assert!(requests.iter().all(|r| command(r) == "/login" || command(r).ends_with("/print")), "{requests:?}");
    assert_eq!(fake.writes(), 0);
    assert_eq!(field(&fake, SECRET, &secret, "profile").as_deref(), Some("10M"));
    assert_eq!((sessions_of(&fake, "budi-ktw"), fake.records(LIST).len()), (1, 0));
}

#[tokio::test]
async fn a_trap_on_every_write_is_refused_after_a_re_read_and_changes_nothing() {
    let (fake, api, secret, session) = setup().await;
    fake.set_behavior(ApiBehavior::Trap("failure: not allowed".into()));
    let err = api.ensure_ppp_profile("budi-ktw", "ISOLIR", false).await.expect_err("trapped");
    assert_eq!(err, NetError::Refused("failure: not allowed".into()));
    assert!(!err.is_retryable());
    assert_eq!(
        fake.requests(),
        [
            LOGIN.to_owned(),
            SECRET_PRINT.to_owned(),
            format!("/ppp/secret/set =.id={secret} =profile=ISOLIR"),
            SECRET_PRINT.to_owned(),
        ],
        "re-read before deciding, no kick"
    );
    let err = api.ensure_listed("ISOLIR", "10.20.0.15", "cid=1", true, false).await.expect_err("trapped");
    assert_eq!(err, NetError::Refused("failure: not allowed".into()));
    let err = api.kick("budi-ktw", false).await.expect_err("trapped");
    assert_eq!(err, NetError::Refused("failure: not allowed".into()));
    assert_eq!(fake.writes(), 0);
    assert_eq!(field(&fake, SECRET, &secret, "profile").as_deref(), Some("10M"));
    assert_eq!(field(&fake, ACTIVE, &session, "name").as_deref(), Some("budi-ktw"));
    assert!(fake.records(LIST).is_empty());
}

#[tokio::test]
async fn a_write_cut_off_after_it_applied_counts_as_done_after_a_re_read() {
    let (fake, api, secret, session) = setup().await;
    fake.set_behavior(ApiBehavior::ApplyThenDrop);
    let outcome = api.ensure_ppp_profile("budi-ktw", "ISOLIR", false).await.expect("done after re-read");
    assert_eq!(outcome.steps.len(), 2, "{outcome:?}");
    assert_eq!(
        fake.requests(),
        [
            LOGIN.to_owned(),
            SECRET_PRINT.to_owned(),
            format!("/ppp/secret/set =.id={secret} =profile=ISOLIR"),
            LOGIN.to_owned(),
            SECRET_PRINT.to_owned(),
            ACTIVE_PRINT.to_owned(),
            format!("/ppp/active/remove =.id={session}"),
        ],
        "a fresh connection for the re-read and the kick"
    );
    assert_eq!(
        (field(&fake, SECRET, &secret, "profile").as_deref(), sessions_of(&fake, "budi-ktw")),
        (Some("ISOLIR"), 0)
    );

    fake.set_behavior(ApiBehavior::ApplyThenDrop);
    let listed = api.ensure_listed("ISOLIR", "10.20.0.15", "cid=1", true, false).await.expect("done after re-read");
    assert!(listed.changed);
    assert_eq!(fake.records(LIST).len(), 1, "the add is not repeated");
}

#[tokio::test]
async fn a_dropped_connection_is_unreachable_and_the_next_call_works() {
    let (fake, api, _, _) = setup().await;
    fake.set_behavior(ApiBehavior::DropConnection);
    let err = api.ppp_state("budi-ktw").await.expect_err("dropped");
    assert!(matches!(&err, NetError::Unreachable(d) if d.contains("closed the connection")), "{err:?}");
    assert!(err.is_retryable());
    assert_eq!(api.ppp_state("budi-ktw").await.expect("back").map(|s| s.sessions), Some(1));
}

#[tokio::test]
async fn a_device_that_is_down_is_unreachable_then_converges_after_resume() {
    let (fake, api, secret, _) = setup().await;
    fake.go_down().await;
    let err = api.ensure_ppp_profile("budi-ktw", "ISOLIR", false).await.expect_err("down");
    assert!(matches!(err, NetError::Unreachable(_)), "{err:?}");
    assert_eq!(field(&fake, SECRET, &secret, "profile").as_deref(), Some("10M"));
    fake.resume().await.expect("back");
    let outcome = api.ensure_ppp_profile("budi-ktw", "ISOLIR", false).await.expect("converges");
    assert_eq!(outcome.previous.as_deref(), Some("10M"));
    assert_eq!(
        (field(&fake, SECRET, &secret, "profile").as_deref(), sessions_of(&fake, "budi-ktw")),
        (Some("ISOLIR"), 0)
    );
}

#[tokio::test]
async fn a_slow_device_times_out_as_unreachable() {
    let (fake, _, _, _) = setup().await;
    let api = client(&fake.address(), PASS, Duration::from_millis(200));
    fake.set_behavior(ApiBehavior::Slow(Duration::from_millis(1000)));
    let err = api.ppp_state("budi-ktw").await.expect_err("too slow");
    assert!(matches!(&err, NetError::Unreachable(d) if d.contains("timed out")), "{err:?}");
    fake.set_behavior(ApiBehavior::Slow(Duration::from_millis(20)));
    assert_eq!(api.ppp_state("budi-ktw").await.expect("in time").map(|s| s.sessions), Some(1));
}

#[tokio::test]
async fn health_reads_version_board_and_uptime() {
    let (fake, api, _, _) = setup().await;
    let info = api.health().await.expect("health");
    assert_eq!(
        info,
        DeviceInfo { version: "6.49.17 (long-term)".into(), board: "RB3011UiAS".into(), uptime: "12d3h4m5s".into() }
    );
    assert_eq!(fake.requests(), [LOGIN, "/system/resource/print =.proplist=version,board-name,uptime"]);
}

#[tokio::test]
async fn the_session_user_of_an_address_is_found_for_the_isolation_page() {
    let (fake, api, _, _) = setup().await;
    assert_eq!(api.session_user("10.20.0.16").await.expect("read").as_deref(), Some("siti"));
    assert_eq!(api.session_user("10.20.0.99").await.expect("read"), None);
    assert_eq!(fake.writes(), 0);
}

/// A minimal independent codec (words shorter than 0x4000) to check the fake's wire format.
async fn send(stream: &mut TcpStream, words: &[&str]) {
    let mut bytes = Vec::new();
    for w in words {
        match w.len() {
            n @ 0..0x80 => bytes.push(n as u8),
            n => bytes.extend(((n as u16) | 0x8000).to_be_bytes()),
        }
        bytes.extend(w.as_bytes());
    }
    bytes.push(0);
    stream.write_all(&bytes).await.expect("send");
}

async fn receive(stream: &mut TcpStream) -> Vec<String> {
    let mut words = Vec::new();
    loop {
        let first = stream.read_u8().await.expect("length");
        let len = if first < 0x80 {
            usize::from(first)
        } else {
            usize::from(first & 0x3F) << 8 | usize::from(stream.read_u8().await.expect("length"))
        };
        if len == 0 {
            return words;
        }
        let mut word = vec![0; len];
        stream.read_exact(&mut word).await.expect("word");
        words.push(String::from_utf8(word).expect("utf-8"));
    }
}

#[tokio::test]
async fn the_fake_speaks_the_wire_protocol() {
    let (fake, _, secret, _) = setup().await;
    let mut early = TcpStream::connect(fake.address()).await.expect("connect");
    send(&mut early, &["/ppp/secret/print"]).await;
    assert_eq!(receive(&mut early).await, ["!fatal", "not logged in"]);

    let mut s = TcpStream::connect(fake.address()).await.expect("connect");
    send(&mut s, &["/login", "=name=aglis", "=password=router-pw", ".tag=1"]).await;
    assert_eq!(receive(&mut s).await, ["!done", ".tag=1"]);
    send(&mut s, &["/ppp/secret/print", "=.proplist=.id,profile", "?name=budi-ktw", ".tag=2"]).await;
    assert_eq!(
        receive(&mut s).await,
        ["!re".to_owned(), format!("=.id={secret}"), "=profile=10M".into(), ".tag=2".into()]
    );
    assert_eq!(receive(&mut s).await, ["!done", ".tag=2"]);
    send(&mut s, &["/ppp/secret/add", "=name=budi-ktw", "=password=y"]).await;
    assert_eq!(receive(&mut s).await, ["!trap", "=message=failure: already have such entry"]);
    assert_eq!(receive(&mut s).await, ["!done"]);
    send(&mut s, &["/ppp/secret/set", &format!("=numbers={secret}"), "=disabled=yes"]).await;
    assert_eq!(receive(&mut s).await, ["!done"]);
    assert_eq!(field(&fake, SECRET, &secret, "disabled").as_deref(), Some("true"));
    assert_eq!(sessions_of(&fake, "budi-ktw"), 1, "RouterOS keeps the session; the client must kick");
    send(&mut s, &["/ppp/active/remove", "=.id=*99"]).await;
    assert_eq!(receive(&mut s).await, ["!trap", "=message=no such item"]);
    assert_eq!(receive(&mut s).await, ["!done"]);
    let long_comment = format!("=comment={}", "c".repeat(200));
    send(&mut s, &["/ip/firewall/address-list/add", "=list=ISOLIR", "=address=10.20.0.15", &long_comment]).await;
    let added = receive(&mut s).await;
    assert_eq!((added[0].as_str(), added[1].starts_with("=ret=*")), ("!done", true), "{added:?}");
    assert_eq!(fake.records(LIST)[0]["comment"].len(), 200);
    send(&mut s, &["/nothing/print"]).await;
    assert_eq!(receive(&mut s).await, ["!trap", "=message=no such command prefix"]);
}

#[tokio::test]
async fn a_snapshot_reads_every_secret_and_the_list_on_one_connection() {
    let (fake, api, _, _) = setup().await;
    fake.add(LIST, &[("list", "ISOLIR"), ("address", "10.20.0.15")]);
    fake.add(LIST, &[("list", "ISOLIR"), ("address", "10.20.0.16"), ("disabled", "true")]);
    fake.clear_log();
    let snap = api.snapshot("ISOLIR").await.expect("snapshot");
    assert_eq!(snap.secrets.get("budi-ktw").map(|(p, d)| (p.as_str(), *d)), Some(("10M", false)));
    assert_eq!(snap.listed.iter().collect::<Vec<_>>(), ["10.20.0.15"]);
    let logins = fake.requests().iter().filter(|r| r.starts_with("/login")).count();
    assert_eq!(logins, 1, "{:?}", fake.requests());
}
