//! RADIUS Disconnect-Request (RFC 5176 Dynamic Authorization) to a NAS, spec/network-enforcement.md §4.
//!
//! After a customer's RADIUS state changes (reject, isolir group, restore) the NAS keeps the running
//! session until the CPE re-dials; [`disconnect`] cuts it so the next authentication picks up the new
//! state. The packet is the RFC 2865 layout (Code, Identifier, Length, 16-octet Authenticator,
//! type-length-value attributes); the Request Authenticator is
//! `MD5(Code | Identifier | Length | 16 zero octets | Attributes | Secret)` (RFC 5176 §2.3, as
//! Accounting-Request) and the Response Authenticator
//! `MD5(Code | Identifier | Length | Request Authenticator | Attributes | Secret)`.
//! A NAS silently drops a request whose authenticator does not verify, so a wrong shared secret
//! looks like a NAS that is down: both end in [`NetError::Unreachable`].

use super::NetError;
use md5::{Digest, Md5};
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;
use tokio::net::UdpSocket;
use tokio::time::Instant;

/// Packet codes (RFC 5176 §3).
pub mod code {
    pub const DISCONNECT_REQUEST: u8 = 40;
    pub const DISCONNECT_ACK: u8 = 41;
    pub const DISCONNECT_NAK: u8 = 42;
    pub const COA_REQUEST: u8 = 43;
    pub const COA_ACK: u8 = 44;
    pub const COA_NAK: u8 = 45;
}

/// Attribute types used here (RFC 2865, RFC 2866, RFC 5176).
pub mod attr {
    pub const USER_NAME: u8 = 1;
    pub const FRAMED_IP_ADDRESS: u8 = 8;
    pub const ACCT_SESSION_ID: u8 = 44;
    pub const ERROR_CAUSE: u8 = 101;
}

/// Error-Cause "Session Context Not Found": the NAS has no such session, nothing to cut.
pub const SESSION_CONTEXT_NOT_FOUND: u32 = 503;

const HEADER_LEN: usize = 20;
const MAX_PACKET_LEN: usize = 4096;
const MAX_VALUE_LEN: usize = 253;

/// Why bytes are not a RADIUS packet, or a packet cannot be encoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PacketError {
    #[error("{0} bytes is shorter than a RADIUS header (20)")]
    TooShort(usize),
    #[error("length field {field} is invalid for a {received}-byte datagram (must be 20..=4096 and fit)")]
    BadLength { field: usize, received: usize },
    #[error("attribute at offset {offset} has an invalid length or runs past the packet")]
    BadAttribute { offset: usize },
    #[error("attribute {attribute} has a {len}-byte value (at most 253)")]
    ValueTooLong { attribute: u8, len: usize },
    #[error("packet would be {0} bytes (at most 4096)")]
    TooLong(usize),
}

/// A RADIUS packet; attribute values are raw octets (strings as bytes, addresses as 4 octets,
/// integers as 4 octets big-endian).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Packet {
    pub code: u8,
    pub identifier: u8,
    /// As received; ignored by the encoders, which compute it.
    pub authenticator: [u8; 16],
    pub attributes: Vec<(u8, Vec<u8>)>,
}

impl Packet {
    /// Encodes a Disconnect/CoA request with its Request Authenticator (RFC 5176 §2.3).
    pub fn encode_request(&self, secret: &[u8]) -> Result<Vec<u8>, PacketError> {
        self.encode_with(&[0; 16], secret)
    }

    /// Encodes an answer to the request that carried `request_authenticator`.
    pub fn encode_response(&self, request_authenticator: &[u8; 16], secret: &[u8]) -> Result<Vec<u8>, PacketError> {
        self.encode_with(request_authenticator, secret)
    }

    fn encode_with(&self, seed: &[u8; 16], secret: &[u8]) -> Result<Vec<u8>, PacketError> {
        let mut out = vec![self.code, self.identifier, 0, 0];
        out.extend_from_slice(seed);
        for (attribute, value) in &self.attributes {
            let len = u8::try_from(value.len() + 2)
                .ok()
                .filter(|_| value.len() <= MAX_VALUE_LEN)
                .ok_or(PacketError::ValueTooLong { attribute: *attribute, len: value.len() })?;
            out.extend_from_slice(&[*attribute, len]);
            out.extend_from_slice(value);
        }
        let len = u16::try_from(out.len()).ok().filter(|&l| usize::from(l) <= MAX_PACKET_LEN);
        let len = len.ok_or(PacketError::TooLong(out.len()))?;
        out[2..4].copy_from_slice(&len.to_be_bytes());
        let authenticator = md5_of(&[&out, secret]);
        out[4..HEADER_LEN].copy_from_slice(&authenticator);
        Ok(out)
    }

    /// Parses a datagram; octets past the Length field are padding and ignored (RFC 2865 §3).
    pub fn decode(bytes: &[u8]) -> Result<Packet, PacketError> {
        let packet = checked(bytes)?;
        let mut attributes = Vec::new();
        let mut at = HEADER_LEN;
        while at < packet.len() {
            let len = packet.get(at + 1).map_or(0, |&l| usize::from(l));
            if len < 2 || at + len > packet.len() {
                return Err(PacketError::BadAttribute { offset: at });
            }
            attributes.push((packet[at], packet[at + 2..at + len].to_vec()));
            at += len;
        }
        let mut authenticator = [0; 16];
        authenticator.copy_from_slice(&packet[4..HEADER_LEN]);
        Ok(Packet { code: packet[0], identifier: packet[1], authenticator, attributes })
    }

    /// The value of the first attribute of type `t`.
    pub fn attribute(&self, t: u8) -> Option<&[u8]> {
        self.attributes.iter().find(|(a, _)| *a == t).map(|(_, v)| v.as_slice())
    }
}

/// The packet within `bytes` (up to its Length field), once the header is sane.
fn checked(bytes: &[u8]) -> Result<&[u8], PacketError> {
    if bytes.len() < HEADER_LEN {
        return Err(PacketError::TooShort(bytes.len()));
    }
    let field = usize::from(u16::from_be_bytes([bytes[2], bytes[3]]));
    if !(HEADER_LEN..=MAX_PACKET_LEN).contains(&field) || field > bytes.len() {
        return Err(PacketError::BadLength { field, received: bytes.len() });
    }
    Ok(&bytes[..field])
}

fn md5_of(parts: &[&[u8]]) -> [u8; 16] {
    let mut hasher = Md5::new();
    for part in parts {
        hasher.update(part);
    }
    hasher.finalize().into()
}

/// Compares without an early exit.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Whether a request's authenticator verifies with `secret` (RFC 5176 §2.3).
pub fn is_authentic_request(bytes: &[u8], secret: &[u8]) -> bool {
    let Ok(packet) = checked(bytes) else { return false };
    let expected = md5_of(&[&packet[..4], &[0; 16], &packet[HEADER_LEN..], secret]);
    same(&expected, &packet[4..HEADER_LEN])
}

/// Whether `response`'s authenticator verifies against the request it answers. Checks only the
/// authenticator: callers compare the identifiers themselves.
pub fn is_authentic_response(response: &[u8], request: &[u8], secret: &[u8]) -> bool {
    let (Ok(response), Ok(request)) = (checked(response), checked(request)) else { return false };
    let expected = md5_of(&[&response[..4], &request[4..HEADER_LEN], &response[HEADER_LEN..], secret]);
    same(&expected, &response[4..HEADER_LEN])
}

/// The RFC 5176 §3.5 name of an Error-Cause value.
pub fn error_cause_name(cause: u32) -> &'static str {
    match cause {
        201 => "Residual Session Context Removed",
        202 => "Invalid EAP Packet (Ignored)",
        401 => "Unsupported Attribute",
        402 => "Missing Attribute",
        403 => "NAS Identification Mismatch",
        404 => "Invalid Request",
        405 => "Unsupported Service",
        406 => "Unsupported Extension",
        407 => "Invalid Attribute Value",
        501 => "Administratively Prohibited",
        502 => "Request Not Routable (Proxy)",
        503 => "Session Context Not Found",
        504 => "Session Context Not Removable",
        505 => "Other Proxy Processing Error",
        506 => "Resources Unavailable",
        507 => "Request Initiated",
        508 => "Multiple Session Selection Unsupported",
        _ => "unknown Error-Cause",
    }
}

/// Who to disconnect: User-Name (1) always; Acct-Session-Id (44) and Framed-IP-Address (8) when
/// known (from the open `radacct` row). A NAS cuts only a session matching all of them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub user_name: String,
    pub acct_session_id: Option<String>,
    pub framed_ip: Option<Ipv4Addr>,
}

/// Where and how to reach a NAS's Dynamic Authorization port. `Debug` leaves the secret out.
#[derive(Clone, PartialEq, Eq)]
pub struct NasConfig {
    /// The NAS's ip:port, port usually 3799.
    pub addr: SocketAddr,
    pub secret: String,
    /// Wait for an answer per try, e.g. 3 s.
    pub timeout: Duration,
    /// Sends of the same packet before giving up, e.g. 3 (0 counts as 1).
    pub tries: u32,
}

impl std::fmt::Debug for NasConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NasConfig")
            .field("addr", &self.addr)
            .field("secret", &"<redacted>")
            .field("timeout", &self.timeout)
            .field("tries", &self.tries)
            .finish()
    }
}

/// How a disconnect ended well.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Disconnected {
    /// Disconnect-ACK: the NAS removed the session.
    Acked,
    /// Disconnect-NAK with Error-Cause 503 Session Context Not Found: nothing to cut, counts as done.
    NoSession,
}

/// Sends a Disconnect-Request for `session` from a fresh UDP socket, retransmitting the same packet
/// (same identifier and authenticator) after each time-out, up to `nas.tries` sends. Only an answer
/// from `nas.addr` with the request's identifier and a verifying response authenticator counts;
/// anything else is ignored while the try's time-out runs.
pub async fn disconnect(nas: &NasConfig, session: &Session) -> Result<Disconnected, NetError> {
    let request = Packet {
        code: code::DISCONNECT_REQUEST,
        identifier: rand::random(),
        authenticator: [0; 16],
        attributes: session_attributes(session)?,
    };
    let secret = nas.secret.as_bytes();
    let bytes = request.encode_request(secret).map_err(|e| NetError::Refused(format!("not sent: {e}")))?;
    let local: SocketAddr = match nas.addr {
        SocketAddr::V4(a) if a.ip().is_loopback() => (Ipv4Addr::LOCALHOST, 0).into(),
        SocketAddr::V4(_) => (Ipv4Addr::UNSPECIFIED, 0).into(),
        SocketAddr::V6(a) if a.ip().is_loopback() => (Ipv6Addr::LOCALHOST, 0).into(),
        SocketAddr::V6(_) => (Ipv6Addr::UNSPECIFIED, 0).into(),
    };
    let unreachable = |e: std::io::Error| NetError::Unreachable(format!("UDP to {}: {e}", nas.addr));
    let socket = UdpSocket::bind(local).await.map_err(unreachable)?;
    // Connected: the kernel drops datagrams from any other address.
    socket.connect(nas.addr).await.map_err(unreachable)?;
    let tries = nas.tries.max(1);
    let mut last_error = None;
    let mut buf = vec![0; MAX_PACKET_LEN];
    for attempt in 1..=tries {
        tracing::debug!(nas = %nas.addr, user = %session.user_name, attempt, "RADIUS Disconnect-Request");
        let deadline = Instant::now() + nas.timeout;
        if let Err(e) = socket.send(&bytes).await {
            last_error = Some(e);
            tokio::time::sleep_until(deadline).await;
            continue;
        }
        while let Ok(received) = tokio::time::timeout_at(deadline, socket.recv(&mut buf)).await {
            match received {
                Ok(n) => {
                    if let Some(result) = judge(&buf[..n], &bytes, request.identifier, secret) {
                        return result;
                    }
                }
                // E.g. ICMP port unreachable: nobody listens (yet). Wait out the try.
                Err(e) => {
                    last_error = Some(e);
                    tokio::time::sleep_until(deadline).await;
                    break;
                }
            }
        }
    }
    let last = last_error.map(|e| format!("; last error: {e}")).unwrap_or_default();
    Err(NetError::Unreachable(format!(
        "no answer from {} after {tries} tries (wrong shared secret? a NAS drops requests with a bad authenticator){last}",
        nas.addr
    )))
}

fn session_attributes(session: &Session) -> Result<Vec<(u8, Vec<u8>)>, NetError> {
    let string = |name: &str, value: &str| {
        if value.is_empty() || value.len() > MAX_VALUE_LEN {
            return Err(NetError::Refused(format!("not sent: {name} must be 1 to 253 bytes, got {}", value.len())));
        }
        Ok(value.as_bytes().to_vec())
    };
    let mut attributes = vec![(attr::USER_NAME, string("User-Name", &session.user_name)?)];
    if let Some(id) = &session.acct_session_id {
        attributes.push((attr::ACCT_SESSION_ID, string("Acct-Session-Id", id)?));
    }
    if let Some(ip) = session.framed_ip {
        attributes.push((attr::FRAMED_IP_ADDRESS, ip.octets().to_vec()));
    }
    Ok(attributes)
}

/// What an answer means, or `None` to ignore it and keep waiting.
fn judge(reply: &[u8], request: &[u8], identifier: u8, secret: &[u8]) -> Option<Result<Disconnected, NetError>> {
    let packet = match Packet::decode(reply) {
        Ok(p) => p,
        Err(e) => {
            tracing::warn!(error = %e, "ignoring a malformed RADIUS answer");
            return None;
        }
    };
    if packet.identifier != identifier {
        tracing::warn!(got = packet.identifier, want = identifier, "ignoring a RADIUS answer to another request");
        return None;
    }
    if !is_authentic_response(reply, request, secret) {
        tracing::warn!("ignoring a RADIUS answer whose authenticator does not verify");
        return None;
    }
    let cause = packet.attribute(attr::ERROR_CAUSE).map(|v| <[u8; 4]>::try_from(v).map(u32::from_be_bytes));
    Some(match (packet.code, cause) {
        (code::DISCONNECT_ACK, _) => Ok(Disconnected::Acked),
        (code::DISCONNECT_NAK, Some(Ok(SESSION_CONTEXT_NOT_FOUND))) => Ok(Disconnected::NoSession),
        (code::DISCONNECT_NAK, Some(Ok(c))) => Err(NetError::Refused(format!("NAK: {c} {}", error_cause_name(c)))),
        (code::DISCONNECT_NAK, Some(Err(_))) => Err(NetError::Refused("NAK: malformed Error-Cause".into())),
        (code::DISCONNECT_NAK, None) => Err(NetError::Refused("NAK without Error-Cause".into())),
        (other, _) => Err(NetError::Unexpected(format!("code {other} in answer to a Disconnect-Request"))),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"s3cret";
    /// MD5 computed outside Rust (Python hashlib) over the hand-assembled request below.
    const REQUEST_AUTHENTICATOR: &str = "aadda6301f50c6c65d68938e33fcdc6e";
    /// ACK, identifier 0x2A, no attributes, answering that request.
    const ACK_AUTHENTICATOR: &str = "349acf3197f62f06db5e9587281e5409";

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    fn attributes() -> Vec<u8> {
        let mut a = vec![1, 10];
        a.extend_from_slice(b"budi-ktw");
        a.extend_from_slice(&[44, 10]);
        a.extend_from_slice(b"81a00003");
        a.extend_from_slice(&[8, 6, 10, 20, 30, 40]);
        a
    }

    fn request() -> Packet {
        Packet {
            code: code::DISCONNECT_REQUEST,
            identifier: 0x2A,
            authenticator: [0; 16],
            attributes: vec![
                (attr::USER_NAME, b"budi-ktw".to_vec()),
                (attr::ACCT_SESSION_ID, b"81a00003".to_vec()),
                (attr::FRAMED_IP_ADDRESS, vec![10, 20, 30, 40]),
            ],
        }
    }

    fn encoded_request() -> Vec<u8> {
        request().encode_request(SECRET).unwrap_or_default()
    }

    #[test]
    fn request_authenticator_known_answer() {
        let attrs = attributes();
        let mut hashed = vec![40, 0x2A, 0, 46];
        hashed.extend_from_slice(&[0; 16]);
        hashed.extend_from_slice(&attrs);
        hashed.extend_from_slice(SECRET);
        let by_hand = hex(&Md5::digest(&hashed));
        assert_eq!(by_hand, REQUEST_AUTHENTICATOR);

        let bytes = encoded_request();
        assert_eq!(hex(&bytes[4..20]), REQUEST_AUTHENTICATOR);
        assert_eq!(&bytes[..4], &[40, 0x2A, 0, 46]);
        assert_eq!(&bytes[20..], attrs.as_slice());
        assert!(is_authentic_request(&bytes, SECRET));
        assert!(!is_authentic_request(&bytes, b"wrong"));
        let mut flipped = bytes.clone();
        flipped[25] ^= 1;
        assert!(!is_authentic_request(&flipped, SECRET));
    }

    #[test]
    fn response_authenticator_known_answer() {
        let request_bytes = encoded_request();
        let ack = Packet { code: code::DISCONNECT_ACK, identifier: 0x2A, authenticator: [0; 16], attributes: vec![] };
        let mut request_authenticator = [0; 16];
        request_authenticator.copy_from_slice(&request_bytes[4..20]);
        let bytes = ack.encode_response(&request_authenticator, SECRET).unwrap_or_default();

        let mut hashed = vec![41, 0x2A, 0, 20];
        hashed.extend_from_slice(&request_bytes[4..20]);
        hashed.extend_from_slice(SECRET);
        assert_eq!(hex(&Md5::digest(&hashed)), ACK_AUTHENTICATOR);
        assert_eq!(hex(&bytes[4..20]), ACK_AUTHENTICATOR);
        assert_eq!(&bytes[..4], &[41, 0x2A, 0, 20]);

        assert!(is_authentic_response(&bytes, &request_bytes, SECRET));
        assert!(!is_authentic_response(&bytes, &request_bytes, b"wrong"));
        // A response is not authentic as a request, nor against another request.
        assert!(!is_authentic_request(&bytes, SECRET));
        let other = Packet { identifier: 0x2B, ..request() }.encode_request(SECRET).unwrap_or_default();
        assert!(!is_authentic_response(&bytes, &other, SECRET));
    }

    #[test]
    fn round_trip() {
        let bytes = encoded_request();
        let decoded = Packet::decode(&bytes);
        let Ok(decoded) = decoded else { panic!("{decoded:?}") };
        assert_eq!(decoded.code, code::DISCONNECT_REQUEST);
        assert_eq!(decoded.identifier, 0x2A);
        assert_eq!(hex(&decoded.authenticator), REQUEST_AUTHENTICATOR);
        assert_eq!(decoded.attributes, request().attributes);
        assert_eq!(decoded.attribute(attr::USER_NAME), Some(&b"budi-ktw"[..]));
        assert_eq!(decoded.attribute(attr::ERROR_CAUSE), None);
        assert_eq!(decoded.encode_request(SECRET), Ok(bytes.clone()));

        // Octets past Length are padding (RFC 2865 §3).
        let mut padded = bytes.clone();
        padded.extend_from_slice(&[0xFF; 3]);
        assert_eq!(Packet::decode(&padded), Ok(decoded));
        assert!(is_authentic_request(&padded, SECRET));
    }

    #[test]
    fn malformed_packets_are_rejected() {
        let good = encoded_request();
        assert_eq!(Packet::decode(&[]), Err(PacketError::TooShort(0)));
        assert_eq!(Packet::decode(&good[..19]), Err(PacketError::TooShort(19)));
        // Length field larger than the datagram, below 20, above 4096.
        assert_eq!(Packet::decode(&good[..40]), Err(PacketError::BadLength { field: 46, received: 40 }));
        let with_length = |len: u16| {
            let mut b = good.clone();
            b[2..4].copy_from_slice(&len.to_be_bytes());
            b
        };
        assert!(matches!(Packet::decode(&with_length(19)), Err(PacketError::BadLength { .. })));
        let mut huge = with_length(4097);
        huge.resize(5000, 0);
        assert!(matches!(Packet::decode(&huge), Err(PacketError::BadLength { .. })));
        // Length cuts an attribute in half, or leaves a lone type octet.
        assert_eq!(Packet::decode(&with_length(45)), Err(PacketError::BadAttribute { offset: 40 }));
        assert_eq!(Packet::decode(&with_length(41)), Err(PacketError::BadAttribute { offset: 40 }));
        // Attribute lengths 0 and 1, and one overrunning the packet.
        for (at, bad) in [(20, 0), (20, 1), (20, 27), (40, 7), (40, 255)] {
            let mut b = good.clone();
            b[at + 1] = bad;
            assert_eq!(Packet::decode(&b), Err(PacketError::BadAttribute { offset: at }), "length {bad} at {at}");
        }
        assert!(!is_authentic_request(&good[..19], SECRET));
        assert!(!is_authentic_response(&good[..40], &good, SECRET));
    }

    #[test]
    fn no_prefix_or_byte_flip_panics() {
        let good = encoded_request();
        for end in 0..=good.len() {
            let _ = Packet::decode(&good[..end]);
        }
        for at in 0..good.len() {
            for value in [0, 1, 2, 0x7F, 0xFF] {
                let mut b = good.clone();
                b[at] = value;
                let _ = Packet::decode(&b);
                let _ = is_authentic_request(&b, SECRET);
                let _ = is_authentic_response(&b, &good, SECRET);
            }
        }
    }

    #[test]
    fn oversized_values_are_not_encoded() {
        let long = Packet { attributes: vec![(attr::USER_NAME, vec![b'x'; 254])], ..request() };
        assert_eq!(long.encode_request(SECRET), Err(PacketError::ValueTooLong { attribute: 1, len: 254 }));
        let max = Packet { attributes: vec![(attr::USER_NAME, vec![b'x'; 253])], ..request() };
        assert_eq!(max.encode_request(SECRET).map(|b| b.len()), Ok(275));
        let many = Packet { attributes: vec![(attr::USER_NAME, vec![b'x'; 253]); 17], ..request() };
        assert_eq!(many.encode_request(SECRET), Err(PacketError::TooLong(20 + 17 * 255)));
    }

    #[test]
    fn session_attributes_and_limits() {
        let session = Session { user_name: "budi-ktw".into(), acct_session_id: None, framed_ip: None };
        assert_eq!(session_attributes(&session), Ok(vec![(attr::USER_NAME, b"budi-ktw".to_vec())]));
        let full = Session {
            acct_session_id: Some("81a00003".into()),
            framed_ip: Some(Ipv4Addr::new(10, 20, 30, 40)),
            ..session.clone()
        };
        assert_eq!(session_attributes(&full), Ok(request().attributes));
        let empty = Session { user_name: String::new(), ..session.clone() };
        assert!(matches!(session_attributes(&empty), Err(NetError::Refused(_))));
        let long = Session { acct_session_id: Some("x".repeat(254)), ..session };
        assert!(matches!(session_attributes(&long), Err(NetError::Refused(_))));
    }

    #[test]
    fn answers_are_judged() {
        let request = encoded_request();
        let mut seed = [0; 16];
        seed.copy_from_slice(&request[4..20]);
        let answer = |code: u8, identifier: u8, cause: Option<&[u8]>| {
            let attributes = cause.map(|c| vec![(attr::ERROR_CAUSE, c.to_vec())]).unwrap_or_default();
            let p = Packet { code, identifier, authenticator: [0; 16], attributes };
            p.encode_response(&seed, SECRET).unwrap_or_default()
        };
        let judged = |reply: &[u8]| judge(reply, &request, 0x2A, SECRET);
        assert_eq!(judged(&answer(41, 0x2A, None)), Some(Ok(Disconnected::Acked)));
        assert_eq!(judged(&answer(42, 0x2A, Some(&503u32.to_be_bytes()))), Some(Ok(Disconnected::NoSession)));
        assert_eq!(
            judged(&answer(42, 0x2A, Some(&504u32.to_be_bytes()))),
            Some(Err(NetError::Refused("NAK: 504 Session Context Not Removable".into())))
        );
        assert!(matches!(judged(&answer(42, 0x2A, Some(&[1, 247]))), Some(Err(NetError::Refused(_)))));
        assert!(matches!(judged(&answer(42, 0x2A, None)), Some(Err(NetError::Refused(_)))));
        assert!(matches!(judged(&answer(44, 0x2A, None)), Some(Err(NetError::Unexpected(_)))));
        // Ignored: another identifier, a bad authenticator, garbage.
        assert_eq!(judged(&answer(41, 0x2B, None)), None);
        let mut forged = answer(41, 0x2A, None);
        forged[4] ^= 0x80;
        assert_eq!(judged(&forged), None);
        assert_eq!(judged(&[41, 0x2A, 0]), None);
    }

    #[test]
    fn error_cause_names() {
        assert_eq!(error_cause_name(503), "Session Context Not Found");
        assert_eq!(error_cause_name(201), "Residual Session Context Removed");
        assert_eq!(error_cause_name(407), "Invalid Attribute Value");
        assert_eq!(error_cause_name(508), "Multiple Session Selection Unsupported");
        assert_eq!(error_cause_name(999), "unknown Error-Cause");
    }
}
