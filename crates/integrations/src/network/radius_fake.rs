//! A local NAS answering RFC 5176 Disconnect-Requests, for tests and the demo
//! (spec/network-enforcement.md §5 "Fake NAS for RADIUS Disconnect/CoA").
//!
//! UDP on a free port of 127.0.0.1 (tests pass it instead of 3799). Like a real NAS it silently
//! drops requests whose authenticator does not verify with its secret (wrong secret ⇒ the client
//! times out); a verified Disconnect-Request removes the matching session from an in-memory table
//! and is answered Disconnect-ACK, or Disconnect-NAK with Error-Cause 503 when none matches.
//! [`NasBehavior`] switches in the faults a client must survive.

use super::radius::{self, Packet, attr, code, is_authentic_request};
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex, PoisonError};
use tokio::net::UdpSocket;

/// How the fake answers the next requests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NasBehavior {
    Normal,
    /// Silently drop the next N requests that verify (retransmission test), then act normally.
    DropFirst(u32),
    /// Drop everything: the NAS is down or unreachable.
    Silent,
    /// Answer Disconnect-ACK with a response authenticator that does not verify, leaving the
    /// sessions alone (a forged or corrupted answer): the client must ignore it.
    WrongAuthenticator,
    /// Answer Disconnect-ACK, correctly signed, but with another identifier, leaving the sessions
    /// alone: the client must ignore it.
    WrongIdentifier,
    /// Answer every verified request Disconnect-NAK with this Error-Cause, leaving the sessions alone.
    Nak(u32),
}

/// One datagram the fake received (including dropped ones).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Received {
    pub code: u8,
    pub identifier: u8,
    pub user_name: Option<String>,
    /// Whether the request authenticator verified with the fake's secret.
    pub authentic: bool,
    /// The datagram as received, to compare retransmissions.
    pub datagram: Vec<u8>,
}

#[derive(Debug)]
struct Inner {
    secret: Vec<u8>,
    behavior: NasBehavior,
    /// (User-Name, Acct-Session-Id, Framed-IP-Address).
    sessions: Vec<(String, String, Ipv4Addr)>,
    received: Vec<Received>,
}

#[derive(Debug, Clone)]
pub struct FakeNas {
    addr: SocketAddr,
    inner: Arc<Mutex<Inner>>,
}

impl FakeNas {
    /// Starts on a free UDP port of 127.0.0.1 with shared secret `secret` and no sessions.
    pub async fn start(secret: &str) -> std::io::Result<Self> {
        let socket = UdpSocket::bind((Ipv4Addr::LOCALHOST, 0)).await?;
        let addr = socket.local_addr()?;
        let inner = Arc::new(Mutex::new(Inner {
            secret: secret.as_bytes().to_vec(),
            behavior: NasBehavior::Normal,
            sessions: Vec::new(),
            received: Vec::new(),
        }));
        let state = inner.clone();
        tokio::spawn(async move {
            let mut buf = vec![0; 65_536];
            loop {
                let Ok((n, from)) = socket.recv_from(&mut buf).await else { continue };
                let reply = answer(&state, &buf[..n]);
                if let Some(reply) = reply {
                    let _ = socket.send_to(&reply, from).await;
                }
            }
        });
        Ok(Self { addr, inner })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        lock(&self.inner)
    }

    /// Where the NAS listens (its Dynamic Authorization port).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Opens a session, as after a successful PPPoE authentication.
    pub fn add_session(&self, user_name: &str, acct_session_id: &str, ip: Ipv4Addr) {
        self.lock().sessions.push((user_name.to_owned(), acct_session_id.to_owned(), ip));
    }

    /// The open sessions: (User-Name, Acct-Session-Id, Framed-IP-Address).
    pub fn sessions(&self) -> Vec<(String, String, Ipv4Addr)> {
        self.lock().sessions.clone()
    }

    /// Every parseable datagram so far, in order, whether answered or dropped.
    pub fn received(&self) -> Vec<Received> {
        self.lock().received.clone()
    }

    pub fn set_behavior(&self, behavior: NasBehavior) {
        self.lock().behavior = behavior;
    }
}

fn lock(inner: &Mutex<Inner>) -> std::sync::MutexGuard<'_, Inner> {
    inner.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The encoded answer to `datagram`, or `None` to stay silent.
fn answer(state: &Mutex<Inner>, datagram: &[u8]) -> Option<Vec<u8>> {
    let mut inner = lock(state);
    let Ok(request) = Packet::decode(datagram) else {
        tracing::debug!(len = datagram.len(), "fake NAS: dropping a malformed datagram");
        return None;
    };
    let authentic = is_authentic_request(datagram, &inner.secret);
    let user_name = request.attribute(attr::USER_NAME).map(|v| String::from_utf8_lossy(v).into_owned());
    inner.received.push(Received {
        code: request.code,
        identifier: request.identifier,
        user_name,
        authentic,
        datagram: datagram.to_vec(),
    });
    let nak = match request.code {
        code::DISCONNECT_REQUEST => code::DISCONNECT_NAK,
        code::COA_REQUEST => code::COA_NAK,
        _ => return None,
    };
    if !authentic {
        return None;
    }
    let mut identifier = request.identifier;
    let mut forge = false;
    let (reply_code, cause) = match inner.behavior {
        NasBehavior::Silent => return None,
        NasBehavior::DropFirst(n) => {
            inner.behavior = if n > 1 { NasBehavior::DropFirst(n - 1) } else { NasBehavior::Normal };
            return None;
        }
        NasBehavior::WrongAuthenticator => {
            forge = true;
            (code::DISCONNECT_ACK, None)
        }
        NasBehavior::WrongIdentifier => {
            identifier = identifier.wrapping_add(1);
            (code::DISCONNECT_ACK, None)
        }
        NasBehavior::Nak(cause) => (nak, Some(cause)),
        // CoA is not modelled: "Unsupported Service".
        NasBehavior::Normal if request.code == code::COA_REQUEST => (nak, Some(405)),
        NasBehavior::Normal => disconnect(&mut inner.sessions, &request),
    };
    let attributes = cause.map(|c| vec![(attr::ERROR_CAUSE, c.to_be_bytes().to_vec())]).unwrap_or_default();
    let reply = Packet { code: reply_code, identifier, authenticator: [0; 16], attributes };
    let mut bytes = reply.encode_response(&request.authenticator, &inner.secret).ok()?;
    if forge {
        bytes[4] ^= 0x5A;
    }
    Some(bytes)
}

/// Removes the session the request names: (answer code, Error-Cause).
fn disconnect(sessions: &mut Vec<(String, String, Ipv4Addr)>, request: &Packet) -> (u8, Option<u32>) {
    let Some(user) = request.attribute(attr::USER_NAME) else {
        return (code::DISCONNECT_NAK, Some(402));
    };
    let session_id = request.attribute(attr::ACCT_SESSION_ID);
    let ip = match request.attribute(attr::FRAMED_IP_ADDRESS).map(<[u8; 4]>::try_from) {
        None => None,
        Some(Ok(octets)) => Some(Ipv4Addr::from(octets)),
        Some(Err(_)) => return (code::DISCONNECT_NAK, Some(407)),
    };
    let found = sessions.iter().position(|(u, s, i)| {
        u.as_bytes() == user && session_id.is_none_or(|id| id == s.as_bytes()) && ip.is_none_or(|ip| ip == *i)
    });
    match found {
        Some(at) => {
            sessions.remove(at);
            (code::DISCONNECT_ACK, None)
        }
        None => (code::DISCONNECT_NAK, Some(radius::SESSION_CONTEXT_NOT_FOUND)),
    }
}
