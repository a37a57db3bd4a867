//! Sealing TOTP secrets at rest: XChaCha20-Poly1305 under a key derived from `AGLIS_SECRET_KEY`
//! (HMAC-SHA256 with a purpose label), a random 192-bit nonce per secret, and the user id as
//! associated data, so a sealed secret copied onto another user's row does not open. A copy of
//! the database without the secret key reveals no second factor.

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use hmac::{Hmac, Mac};
use sha2::Sha256;

const VERSION: &str = "v1.";
const NONCE_BYTES: usize = 24;

/// The sealed form could not be opened: another secret key, or a damaged value.
#[derive(Debug, thiserror::Error)]
#[error(
    "a stored two-factor secret cannot be opened (was AGLIS_SECRET_KEY changed?); an admin can reset the user's two-factor"
)]
pub struct OpenError;

fn cipher(secret_key: &[u8], purpose: &[u8]) -> Option<XChaCha20Poly1305> {
    let mut mac = <Hmac<Sha256> as hmac::KeyInit>::new_from_slice(secret_key).ok()?;
    mac.update(purpose);
    let key = mac.finalize().into_bytes();
    XChaCha20Poly1305::new_from_slice(&key).ok()
}

fn aad(user_id: i64) -> String {
    format!("aglis:user:{user_id}")
}

const TOTP: &[u8] = b"aglis:totp-secret:v1";

/// Seals `plain` for `user_id`.
pub fn seal(secret_key: &[u8], user_id: i64, plain: &[u8]) -> anyhow::Result<String> {
    seal_for(secret_key, TOTP, &aad(user_id), plain)
}

/// Opens what [`seal`] made for `user_id`.
pub fn open(secret_key: &[u8], user_id: i64, sealed: &str) -> Result<Vec<u8>, OpenError> {
    open_for(secret_key, TOTP, &aad(user_id), sealed)
}

/// Seals `plain` under a key of its own `purpose` (e.g. `aglis:device-secret:v1`), bound to `aad`
/// (what it belongs to), so it opens only there.
pub fn seal_for(secret_key: &[u8], purpose: &[u8], aad: &str, plain: &[u8]) -> anyhow::Result<String> {
    let cipher = cipher(secret_key, purpose).ok_or_else(|| anyhow::anyhow!("deriving the sealing key"))?;
    let nonce_bytes: [u8; NONCE_BYTES] = rand::random();
    let nonce = XNonce::from(nonce_bytes);
    let sealed = cipher
        .encrypt(&nonce, Payload { msg: plain, aad: aad.as_bytes() })
        .map_err(|_| anyhow::anyhow!("sealing a secret"))?;
    let mut out = nonce_bytes.to_vec();
    out.extend_from_slice(&sealed);
    Ok(format!("{VERSION}{}", hex::encode(out)))
}

/// Opens what [`seal_for`] made for `purpose` and `aad`.
pub fn open_for(secret_key: &[u8], purpose: &[u8], aad: &str, sealed: &str) -> Result<Vec<u8>, OpenError> {
    let bytes = sealed.strip_prefix(VERSION).and_then(|h| hex::decode(h).ok()).ok_or(OpenError)?;
    if bytes.len() <= NONCE_BYTES {
        return Err(OpenError);
    }
    let (nonce, body) = bytes.split_at(NONCE_BYTES);
    let nonce: [u8; NONCE_BYTES] = nonce.try_into().map_err(|_| OpenError)?;
    cipher(secret_key, purpose)
        .ok_or(OpenError)?
        .decrypt(&XNonce::from(nonce), Payload { msg: body, aad: aad.as_bytes() })
        .map_err(|_| OpenError)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seals_and_opens_only_with_the_same_key_and_user() {
        let key = b"test-secret-key-that-is-long-enough-0123456789";
        let sealed = seal(key, 7, b"12345678901234567890").expect("seals");
        assert!(sealed.starts_with("v1."));
        assert!(!sealed.contains(&hex::encode(b"12345678901234567890")), "not the plain secret");
        assert_eq!(open(key, 7, &sealed).expect("opens"), b"12345678901234567890");
        assert_ne!(sealed, seal(key, 7, b"12345678901234567890").expect("seals"), "a fresh nonce each time");
        assert!(open(key, 8, &sealed).is_err(), "bound to the user");
        assert!(open(b"another-secret-key-that-is-long-enough-000", 7, &sealed).is_err());
        assert!(open(key, 7, "v1.zz").is_err());
        assert!(open(key, 7, "v1.00").is_err());
        let last = sealed.chars().last().expect("not empty");
        let flipped = if last == '0' { '1' } else { '0' };
        let tampered = format!("{}{flipped}", &sealed[..sealed.len() - 1]);
        assert!(open(key, 7, &tampered).is_err(), "the tag catches any change");
    }
}
