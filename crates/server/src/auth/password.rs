//! Argon2id password hashing (RFC 9106 defaults of the `argon2` crate), off the async threads.

use argon2::{Argon2, PasswordHash, PasswordHasher, PasswordVerifier};
use std::sync::LazyLock;

/// Hashes `password` with Argon2id and a random salt (PHC string format).
pub fn hash(password: &str) -> anyhow::Result<String> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h: PasswordHash| h.to_string())
        .map_err(|e| anyhow::anyhow!("hashing a password: {e}"))
}

/// Whether `password` matches `phc`. A malformed stored hash never matches.
pub fn verify(password: &str, phc: &str) -> bool {
    PasswordHash::new(phc).is_ok_and(|h| Argon2::default().verify_password(password.as_bytes(), &h).is_ok())
}

/// A hash to verify against when the username does not exist, so both cases take the same time.
static DUMMY: LazyLock<String> = LazyLock::new(|| hash("aglis-dummy-password").unwrap_or_default());

pub fn dummy_hash() -> &'static str {
    &DUMMY
}

pub async fn hash_async(password: String) -> anyhow::Result<String> {
    tokio::task::spawn_blocking(move || hash(&password)).await?
}

pub async fn verify_async(password: String, phc: String) -> bool {
    tokio::task::spawn_blocking(move || verify(&password, &phc)).await.unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_verifies_and_is_argon2id_with_a_random_salt() {
        let h = hash("demo12345").expect("hashes");
        assert!(h.starts_with("$argon2id$"), "{h}");
        assert!(verify("demo12345", &h));
        assert!(!verify("demo12346", &h));
        assert_ne!(h, hash("demo12345").expect("hashes"), "salted");
        assert!(!verify("x", "not a hash"));
        assert!(!dummy_hash().is_empty());
    }
}
