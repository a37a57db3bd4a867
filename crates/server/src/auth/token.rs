//! Random tokens, their stored hashes, and signed anonymous CSRF tokens.

use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest, Sha256};

/// 256 random bits as 64 hex characters.
pub fn random_token() -> String {
    hex::encode(rand::random::<[u8; 32]>())
}

/// What the database stores for a session token: its SHA-256, hex.
pub fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// The CSRF token of an anonymous form (the login page), bound to the `aglis_csrf` cookie's nonce
/// and signed with the secret key, so a cookie planted by someone else is useless without it.
pub fn anonymous_csrf(secret: &[u8], nonce: &str) -> String {
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(secret).unwrap_or_else(|_| unreachable_hmac());
    mac.update(b"aglis-csrf:");
    mac.update(nonce.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// The key of invoice `number`'s pay link: 64 bits of an HMAC with the secret key, so a link
/// cannot be made up for another invoice.
pub fn pay_link_key(secret: &[u8], number: &str) -> String {
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(secret).unwrap_or_else(|_| unreachable_hmac());
    mac.update(b"aglis-pay:");
    mac.update(number.as_bytes());
    hex::encode(&mac.finalize().into_bytes()[..8])
}

fn unreachable_hmac() -> Hmac<Sha256> {
    // HMAC accepts keys of any length; this branch cannot be taken.
    <Hmac<Sha256> as KeyInit>::new_from_slice(b"aglis").unwrap_or_else(|_| unreachable_hmac())
}

/// Compares two strings in time that depends only on their lengths.
pub fn constant_time_eq(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_hex_and_hashes_stable() {
        let a = random_token();
        assert_eq!(a.len(), 64);
        assert!(a.chars().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a, random_token());
        assert_eq!(hash_token(&a), hash_token(&a));
        assert_ne!(hash_token(&a), a);
        assert_eq!(hash_token("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }

    #[test]
    fn anonymous_csrf_depends_on_secret_and_nonce() {
        let t = anonymous_csrf(b"k1", "n1");
        assert_eq!(t, anonymous_csrf(b"k1", "n1"));
        assert_ne!(t, anonymous_csrf(b"k2", "n1"));
        assert_ne!(t, anonymous_csrf(b"k1", "n2"));
    }

    #[test]
    fn constant_time_eq_works() {
        assert!(constant_time_eq("abc", "abc"));
        assert!(!constant_time_eq("abc", "abd"));
        assert!(!constant_time_eq("abc", "ab"));
    }
}
