//! The RADIUS Disconnect client (RFC 5176) against the fake NAS: session removal, idempotency,
//! retransmission, and the answers a client must not believe. Needs the `fakes` feature:
//! `cargo test -p aglis-integrations --features fakes --test radius`.
#![cfg(feature = "fakes")]

use aglis_integrations::network::NetError;
use aglis_integrations::network::radius::{
    Disconnected, NasConfig, Packet, Session, attr, code, disconnect, is_authentic_request,
};
use aglis_integrations::network::radius_fake::{FakeNas, NasBehavior};
use std::net::{Ipv4Addr, SocketAddr};
use std::time::{Duration, Instant};
use tokio::net::UdpSocket;

const SECRET: &str = "testing123";
const IP: Ipv4Addr = Ipv4Addr::new(10, 20, 30, 40);

fn nas(addr: SocketAddr, secret: &str) -> NasConfig {
    NasConfig { addr, secret: secret.into(), timeout: Duration::from_millis(200), tries: 2 }
}

fn budi() -> Session {
    Session { user_name: "budi-ktw".into(), acct_session_id: Some("81a00003".into()), framed_ip: Some(IP) }
}

async fn fake_with_budi() -> FakeNas {
    let fake = FakeNas::start(SECRET).await.expect("fake NAS starts");
    fake.add_session("budi-ktw", "81a00003", IP);
    fake.add_session("sari-ktw", "81a00004", Ipv4Addr::new(10, 20, 30, 41));
    fake
}

fn assert_unreachable(result: Result<Disconnected, NetError>, tries: &str) {
    match result {
        Err(NetError::Unreachable(message)) => {
            assert!(message.contains(tries), "{message}");
            assert!(message.contains("wrong shared secret?"), "{message}");
        }
        other => panic!("expected Unreachable, got {other:?}"),
    }
}

#[tokio::test]
async fn ack_removes_the_session() {
    let fake = fake_with_budi().await;
    assert_eq!(disconnect(&nas(fake.addr(), SECRET), &budi()).await, Ok(Disconnected::Acked));
    let users: Vec<String> = fake.sessions().into_iter().map(|(user, _, _)| user).collect();
    assert_eq!(users, ["sari-ktw"]);
    let received = fake.received();
    assert_eq!(received.len(), 1);
    assert_eq!(received[0].code, code::DISCONNECT_REQUEST);
    assert_eq!(received[0].user_name.as_deref(), Some("budi-ktw"));
    assert!(received[0].authentic);
    let sent = Packet::decode(&received[0].datagram).expect("a valid packet");
    assert_eq!(sent.attribute(attr::ACCT_SESSION_ID), Some(&b"81a00003"[..]));
    assert_eq!(sent.attribute(attr::FRAMED_IP_ADDRESS), Some(&IP.octets()[..]));
}

#[tokio::test]
async fn user_name_alone_is_enough() {
    let fake = fake_with_budi().await;
    let session = Session { acct_session_id: None, framed_ip: None, ..budi() };
    assert_eq!(disconnect(&nas(fake.addr(), SECRET), &session).await, Ok(Disconnected::Acked));
    assert_eq!(fake.sessions().len(), 1);
}

#[tokio::test]
async fn second_disconnect_is_no_session() {
    let fake = fake_with_budi().await;
    let config = nas(fake.addr(), SECRET);
    assert_eq!(disconnect(&config, &budi()).await, Ok(Disconnected::Acked));
    assert_eq!(disconnect(&config, &budi()).await, Ok(Disconnected::NoSession));
    assert_eq!(fake.received().len(), 2);
}

#[tokio::test]
async fn a_stale_session_id_cuts_nothing() {
    let fake = fake_with_budi().await;
    let stale = Session { acct_session_id: Some("81a00001".into()), ..budi() };
    assert_eq!(disconnect(&nas(fake.addr(), SECRET), &stale).await, Ok(Disconnected::NoSession));
    let other_ip = Session { framed_ip: Some(Ipv4Addr::new(10, 20, 30, 99)), ..budi() };
    assert_eq!(disconnect(&nas(fake.addr(), SECRET), &other_ip).await, Ok(Disconnected::NoSession));
    assert_eq!(fake.sessions().len(), 2);
}

#[tokio::test]
async fn wrong_secret_is_unreachable_after_all_tries() {
    let fake = fake_with_budi().await;
    let started = Instant::now();
    assert_unreachable(disconnect(&nas(fake.addr(), "wrong"), &budi()).await, "after 2 tries");
    assert!(started.elapsed() >= Duration::from_millis(400), "{:?}", started.elapsed());
    let received = fake.received();
    assert_eq!(received.len(), 2);
    assert!(received.iter().all(|r| !r.authentic));
    assert!(!is_authentic_request(&received[0].datagram, SECRET.as_bytes()));
    assert!(is_authentic_request(&received[0].datagram, b"wrong"));
    assert_eq!(fake.sessions().len(), 2);
}

#[tokio::test]
async fn a_dropped_request_is_retransmitted_unchanged() {
    let fake = fake_with_budi().await;
    fake.set_behavior(NasBehavior::DropFirst(1));
    assert_eq!(disconnect(&nas(fake.addr(), SECRET), &budi()).await, Ok(Disconnected::Acked));
    let received = fake.received();
    assert_eq!(received.len(), 2);
    assert_eq!(received[0].identifier, received[1].identifier);
    assert_eq!(received[0].datagram, received[1].datagram);
    assert_eq!(fake.sessions().len(), 1);
}

#[tokio::test]
async fn a_forged_authenticator_is_ignored() {
    let fake = fake_with_budi().await;
    fake.set_behavior(NasBehavior::WrongAuthenticator);
    assert_unreachable(disconnect(&nas(fake.addr(), SECRET), &budi()).await, "after 2 tries");
    assert_eq!(fake.received().len(), 2);
}

#[tokio::test]
async fn an_answer_to_another_identifier_is_ignored() {
    let fake = fake_with_budi().await;
    fake.set_behavior(NasBehavior::WrongIdentifier);
    assert_unreachable(disconnect(&nas(fake.addr(), SECRET), &budi()).await, "after 2 tries");
}

#[tokio::test]
async fn a_silent_nas_is_unreachable() {
    let fake = fake_with_budi().await;
    fake.set_behavior(NasBehavior::Silent);
    let config = NasConfig { tries: 3, timeout: Duration::from_millis(100), ..nas(fake.addr(), SECRET) };
    assert_unreachable(disconnect(&config, &budi()).await, "after 3 tries");
    assert_eq!(fake.received().len(), 3);
    assert_eq!(fake.sessions().len(), 2);
}

#[tokio::test]
async fn nobody_listening_is_unreachable() {
    let closed = UdpSocket::bind("127.0.0.1:0").await.expect("bind");
    let addr = closed.local_addr().expect("addr");
    drop(closed);
    assert_unreachable(disconnect(&nas(addr, SECRET), &budi()).await, "after 2 tries");
}

#[tokio::test]
async fn another_nak_is_refused_with_its_cause() {
    let fake = fake_with_budi().await;
    fake.set_behavior(NasBehavior::Nak(504));
    let result = disconnect(&nas(fake.addr(), SECRET), &budi()).await;
    assert_eq!(result, Err(NetError::Refused("NAK: 504 Session Context Not Removable".into())));
    assert!(result.is_err_and(|e| !e.is_retryable()));
    assert_eq!(fake.received().len(), 1);
}

/// A hand-driven NAS: two answers that must be ignored, then the real one, all within one try.
#[tokio::test]
async fn the_client_keeps_waiting_past_bogus_answers() {
    let socket = UdpSocket::bind("127.0.0.1:0").await.expect("bind");
    let addr = socket.local_addr().expect("addr");
    let nas_task = tokio::spawn(async move {
        let mut buf = [0; 4096];
        let (n, from) = socket.recv_from(&mut buf).await.expect("a request");
        let request = Packet::decode(&buf[..n]).expect("a valid request");
        let ack = |identifier: u8, secret: &str| {
            Packet { code: code::DISCONNECT_ACK, identifier, authenticator: [0; 16], attributes: vec![] }
                .encode_response(&request.authenticator, secret.as_bytes())
                .expect("encodes")
        };
        for bogus in [ack(request.identifier.wrapping_add(1), SECRET), ack(request.identifier, "wrong"), vec![41]] {
            socket.send_to(&bogus, from).await.expect("send");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
        socket.send_to(&ack(request.identifier, SECRET), from).await.expect("send");
    });
    let config = NasConfig { tries: 1, timeout: Duration::from_secs(2), ..nas(addr, SECRET) };
    assert_eq!(disconnect(&config, &budi()).await, Ok(Disconnected::Acked));
    nas_task.await.expect("the hand-driven NAS ran");
}

#[tokio::test]
async fn an_invalid_session_is_not_sent() {
    let fake = fake_with_budi().await;
    let nobody = Session { user_name: String::new(), acct_session_id: None, framed_ip: None };
    assert!(matches!(disconnect(&nas(fake.addr(), SECRET), &nobody).await, Err(NetError::Refused(_))));
    assert!(fake.received().is_empty());
}
