//! Two-factor codes: TOTP (RFC 6238, HMAC-SHA1, 30 s steps) computed by the `totp-rs` crate, its
//! base32 secrets (RFC 4648) and `otpauth://` URI, plus what the crate leaves to us: lenient
//! reading of a typed secret, replay protection by step, and single-use recovery codes. Plain
//! functions: the caller brings the random bytes and the time.

use crate::permission::Role;
use sha2::{Digest, Sha256};
use totp_rs::{Algorithm, Builder, Secret, Totp};

/// Seconds per TOTP step.
pub const STEP_SECS: i64 = 30;
/// Digits of the codes people type.
pub const DIGITS: u32 = 6;
/// Steps accepted on either side of the current one (clock drift, slow typing).
pub const WINDOW: i64 = 1;
/// Bytes of a new secret (160 bits, the size RFC 4226 recommends for HMAC-SHA1).
pub const SECRET_BYTES: usize = 20;
/// Recovery codes issued at a time.
pub const RECOVERY_CODES: usize = 10;
/// Random bytes that make one recovery code (only the first 50 bits are used).
pub const RECOVERY_CODE_BYTES: usize = 7;
/// The issuer shown in authenticator apps.
pub const ISSUER: &str = "AGLIS";

/// Recovery code letters: 32 symbols (5 bits each) without the look-alikes 0/o and 1/l.
const RECOVERY_ALPHABET: &[u8; 32] = b"abcdefghijkmnpqrstuvwxyz23456789";
/// Characters of a recovery code without its dashes: 10 × 5 = 50 random bits.
const RECOVERY_CHARS: usize = 10;

/// Roles that must sign in with a second factor while enforcement is on (admins and
/// supervisors: they manage accounts, money and the network).
pub fn role_requires_two_factor(role: Role) -> bool {
    matches!(role, Role::Admin | Role::Supervisor)
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TotpError {
    #[error("the secret is not base32 (letters A–Z and digits 2–7)")]
    Base32,
    #[error("the secret is empty")]
    EmptySecret,
}

/// Why a code was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CodeError {
    #[error("a two-factor code is 6 digits")]
    Malformed,
    #[error("the two-factor code is wrong or has expired")]
    Wrong,
    #[error("this two-factor code was already used; wait for the next one")]
    Replayed,
}

/// The generator for `secret` with `digits` digits (6–8), SHA-1 and 30 s steps. Built without
/// the crate's checks on the secret's length and the account name, which the callers ensure
/// (new secrets are 160 bits) or which do not apply (codes only).
fn generator(secret: &[u8], digits: u32) -> Totp {
    Builder::new()
        .with_algorithm(Algorithm::SHA1)
        .with_digits(u8::try_from(digits).unwrap_or(6))
        .with_step_duration(STEP_SECS.unsigned_abs())
        .with_secret(Secret::new(secret.to_vec().into_boxed_slice()))
        .build_noncompliant()
}

/// Base32 (RFC 4648 alphabet) without padding.
pub fn base32_encode(bytes: &[u8]) -> String {
    Secret::new(bytes.to_vec().into_boxed_slice()).to_base32()
}

/// Decodes base32, ignoring case, spaces, dashes and trailing `=` padding (as people copy it).
pub fn base32_decode(text: &str) -> Result<Vec<u8>, TotpError> {
    let cleaned: String = text
        .trim_end_matches(|c: char| c == '=' || c.is_whitespace())
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .map(|c| c.to_ascii_uppercase())
        .collect();
    if !cleaned.chars().all(|c| c.is_ascii_uppercase() || ('2'..='7').contains(&c)) {
        return Err(TotpError::Base32);
    }
    if cleaned.is_empty() {
        return Ok(Vec::new());
    }
    Secret::try_from_base32(&cleaned).map(|s| s.as_bytes().to_vec()).map_err(|_| TotpError::Base32)
}

/// The step a Unix time falls in (time before 1970 counts as step 0).
pub fn step_at(unix_secs: i64) -> i64 {
    unix_secs.max(0) / STEP_SECS
}

/// The zero-padded code of `step`.
pub fn code_for_step(secret: &[u8], step: i64, digits: u32) -> String {
    let time = u64::try_from(step).unwrap_or(0).saturating_mul(STEP_SECS.unsigned_abs());
    generator(secret, digits).generate(time).to_string()
}

/// TOTP (RFC 6238, SHA-1, 30 s steps): the code at `unix_secs`.
pub fn totp_at(secret: &[u8], unix_secs: i64, digits: u32) -> String {
    code_for_step(secret, step_at(unix_secs), digits)
}

/// Checks a 6-digit `code` at `unix_secs`, accepting one step either side. Returns the step it
/// matched; a step at or before `last_used` (the one of the previous accepted code) is a replay.
/// (The crate's own check accepts a code again and again within its window; the step it matched
/// is what makes a replay detectable.)
pub fn verify(secret: &[u8], code: &str, unix_secs: i64, last_used: Option<i64>) -> Result<i64, CodeError> {
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    if code.len() != DIGITS as usize || !code.chars().all(|c| c.is_ascii_digit()) {
        return Err(CodeError::Malformed);
    }
    let now = step_at(unix_secs);
    let mut matched = None;
    // Every candidate is computed and compared the same way, so timing says nothing.
    for step in (now - WINDOW)..=(now + WINDOW) {
        if step >= 0 && constant_time_eq(code_for_step(secret, step, DIGITS).as_bytes(), code.as_bytes()) {
            matched = Some(step);
        }
    }
    match matched {
        Some(step) if last_used.is_some_and(|last| step <= last) => Err(CodeError::Replayed),
        Some(step) => Ok(step),
        None => Err(CodeError::Wrong),
    }
}

/// Whether `input` has the shape of a TOTP code (6 digits, spaces allowed) rather than of a
/// recovery code.
pub fn looks_like_totp(input: &str) -> bool {
    let digits: Vec<char> = input.chars().filter(|c| !c.is_whitespace()).collect();
    digits.len() == DIGITS as usize && digits.iter().all(char::is_ascii_digit)
}

/// The URI an authenticator app scans:
/// `otpauth://totp/AGLIS:{username}?secret=…&issuer=AGLIS` (SHA-1, 6 digits and 30 s are the
/// defaults every app assumes; the crate leaves them out).
pub fn otpauth_uri(username: &str, secret_base32: &str) -> String {
    let secret = base32_decode(secret_base32).unwrap_or_default();
    let totp = Builder::new()
        .with_algorithm(Algorithm::SHA1)
        .with_digits(6)
        .with_step_duration(STEP_SECS.unsigned_abs())
        .with_secret(Secret::new(secret.into_boxed_slice()))
        .with_issuer(Some(ISSUER))
        .with_account_name(username.replace(':', "_"))
        .build_noncompliant();
    totp.to_url().unwrap_or_default()
}

/// A recovery code from random bytes: `abcd-efgh-jk` (50 bits from the first 7 bytes).
pub fn recovery_code(random: &[u8; RECOVERY_CODE_BYTES]) -> String {
    let mut bits: u64 = 0;
    for &b in random {
        bits = (bits << 8) | u64::from(b);
    }
    let mut out = String::with_capacity(RECOVERY_CHARS + 2);
    for i in 0..RECOVERY_CHARS {
        if i == 4 || i == 8 {
            out.push('-');
        }
        let shift = 56 - 5 * (i + 1);
        out.push(char::from(RECOVERY_ALPHABET[((bits >> shift) & 31) as usize]));
    }
    out
}

/// A typed recovery code in its canonical form (lower case, no spaces or dashes), or `None` when
/// it cannot be one.
pub fn normalize_recovery_code(input: &str) -> Option<String> {
    let code: String =
        input.chars().filter(|c| !c.is_whitespace() && *c != '-').map(|c| c.to_ascii_lowercase()).collect();
    (code.len() == RECOVERY_CHARS && code.bytes().all(|b| RECOVERY_ALPHABET.contains(&b))).then_some(code)
}

/// What is stored for a recovery code: the SHA-256 (hex) of its canonical form.
pub fn hash_recovery_code(canonical: &str) -> String {
    Sha256::digest(canonical.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// RFC 6238 Appendix B, SHA-1 rows: the secret is the ASCII string "12345678901234567890".
    const RFC_SECRET: &[u8] = b"12345678901234567890";

    #[test]
    fn rfc6238_sha1_test_vectors() {
        for (time, code) in [
            (59, "94287082"),
            (1_111_111_109, "07081804"),
            (1_111_111_111, "14050471"),
            (1_234_567_890, "89005924"),
            (2_000_000_000, "69279037"),
            (20_000_000_000, "65353130"),
        ] {
            assert_eq!(totp_at(RFC_SECRET, time, 8), code, "T = {time}");
        }
    }

    #[test]
    fn rfc4226_hotp_test_vectors() {
        // A TOTP step is an HOTP counter.
        let expected =
            ["755224", "287082", "359152", "969429", "338314", "254676", "287922", "162583", "399871", "520489"];
        for (counter, value) in expected.iter().enumerate() {
            assert_eq!(code_for_step(RFC_SECRET, counter as i64, 6), *value, "counter {counter}");
        }
    }

    #[test]
    fn base32_matches_rfc4648_vectors() {
        for (plain, encoded) in [
            ("", ""),
            ("f", "MY"),
            ("fo", "MZXQ"),
            ("foo", "MZXW6"),
            ("foob", "MZXW6YQ"),
            ("fooba", "MZXW6YTB"),
            ("foobar", "MZXW6YTBOI"),
        ] {
            assert_eq!(base32_encode(plain.as_bytes()), encoded);
            assert_eq!(base32_decode(encoded).expect("decodes"), plain.as_bytes());
        }
        assert_eq!(base32_decode("mzxw 6ytb-oi======").expect("lenient"), b"foobar");
        assert_eq!(base32_decode("MZXW1"), Err(TotpError::Base32));
        assert_eq!(base32_decode("MZ!"), Err(TotpError::Base32));
    }

    #[test]
    fn verify_accepts_one_step_either_side_and_returns_it() {
        let t = 1_700_000_015;
        let step = step_at(t);
        for offset in [-1, 0, 1] {
            let code = code_for_step(RFC_SECRET, step + offset, DIGITS);
            assert_eq!(verify(RFC_SECRET, &code, t, None), Ok(step + offset), "offset {offset}");
        }
        for offset in [-3, -2, 2, 3] {
            let code = code_for_step(RFC_SECRET, step + offset, DIGITS);
            // Another step's code may collide by chance (1 in a million); these do not.
            assert_eq!(verify(RFC_SECRET, &code, t, None), Err(CodeError::Wrong), "offset {offset}");
        }
        let code = totp_at(RFC_SECRET, t, DIGITS);
        assert_eq!(verify(RFC_SECRET, &format!("{} {}", &code[..3], &code[3..]), t, None), Ok(step));
    }

    #[test]
    fn a_used_step_or_an_older_one_is_a_replay() {
        let t = 1_700_000_015;
        let step = step_at(t);
        let code = totp_at(RFC_SECRET, t, DIGITS);
        assert_eq!(verify(RFC_SECRET, &code, t, Some(step - 1)), Ok(step));
        assert_eq!(verify(RFC_SECRET, &code, t, Some(step)), Err(CodeError::Replayed));
        assert_eq!(verify(RFC_SECRET, &code, t + 30, Some(step)), Err(CodeError::Replayed));
        let previous = code_for_step(RFC_SECRET, step - 1, DIGITS);
        assert_eq!(verify(RFC_SECRET, &previous, t, Some(step)), Err(CodeError::Replayed));
    }

    #[test]
    fn malformed_codes_are_named() {
        for bad in ["", "12345", "1234567", "12a456", "１２３４５６"] {
            assert_eq!(verify(RFC_SECRET, bad, 0, None), Err(CodeError::Malformed), "{bad}");
        }
        assert!(looks_like_totp("123 456"));
        assert!(!looks_like_totp("abcd-efgh-jk"));
    }

    #[test]
    fn admins_and_supervisors_need_a_second_factor() {
        let required: Vec<Role> = Role::ALL.iter().copied().filter(|r| role_requires_two_factor(*r)).collect();
        assert_eq!(required, vec![Role::Admin, Role::Supervisor]);
    }

    #[test]
    fn otpauth_uri_names_the_issuer_the_account_and_the_secret() {
        let uri = otpauth_uri("budi.s", "JBSWY3DPEHPK3PXP");
        assert!(uri.starts_with("otpauth://totp/AGLIS:budi.s?secret=JBSWY3DPEHPK3PXP"), "{uri}");
        assert!(uri.contains("issuer=AGLIS"), "{uri}");
        assert!(
            otpauth_uri("a b", "JBSWY3DPEHPK3PXP").contains("AGLIS:a%20b?"),
            "{}",
            otpauth_uri("a b", "JBSWY3DPEHPK3PXP")
        );
        // The crate reads back what it wrote: the same secret and codes.
        let back = totp_rs::Totp::from_url_unchecked(&uri).expect("parses");
        assert_eq!(
            back.generate(59).to_string(),
            code_for_step(&base32_decode("JBSWY3DPEHPK3PXP").expect("secret"), 1, 6)
        );
    }

    #[test]
    fn recovery_codes_have_the_shape_and_fifty_bits() {
        let code = recovery_code(&[0, 0, 0, 0, 0, 0, 0]);
        assert_eq!(code, "aaaa-aaaa-aa");
        let code = recovery_code(&[0xff; RECOVERY_CODE_BYTES]);
        assert_eq!(code, "9999-9999-99");
        let code = recovery_code(&[0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde]);
        assert_eq!(code.len(), 12);
        assert_eq!(normalize_recovery_code(&code.to_uppercase()), Some(code.replace('-', "")));
        assert_eq!(normalize_recovery_code(" abcd efgh jk "), Some("abcdefghjk".into()));
        assert_eq!(normalize_recovery_code("abcd-efgh-jl"), None, "l is not in the alphabet");
        assert_eq!(normalize_recovery_code("123456"), None);
        // 32 symbols ^ 10 characters = 2^50
        assert_eq!(RECOVERY_ALPHABET.len().pow(2), 1 << 10);
        assert_eq!(hash_recovery_code("abcdefghjk").len(), 64);
        assert_ne!(hash_recovery_code("abcdefghjk"), hash_recovery_code("abcdefghjm"));
        assert_eq!(hash_recovery_code("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }

    proptest! {
        #[test]
        fn base32_round_trips(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
            let encoded = base32_encode(&bytes);
            prop_assert!(!encoded.contains('='));
            prop_assert_eq!(base32_decode(&encoded).expect("decodes"), bytes.clone());
            prop_assert_eq!(base32_decode(&encoded.to_lowercase()).expect("decodes"), bytes);
        }

        #[test]
        fn a_fresh_code_verifies_and_only_once(secret in proptest::collection::vec(any::<u8>(), 10..40), t in 0i64..4_000_000_000) {
            let code = totp_at(&secret, t, DIGITS);
            let step = verify(&secret, &code, t, None).expect("own code verifies");
            prop_assert!((step_at(t) - WINDOW..=step_at(t) + WINDOW).contains(&step));
            prop_assert_eq!(verify(&secret, &code, t, Some(step)), Err(CodeError::Replayed));
        }

        #[test]
        fn recovery_codes_normalise_back(bytes in any::<[u8; RECOVERY_CODE_BYTES]>()) {
            let code = recovery_code(&bytes);
            prop_assert_eq!(code.len(), 12);
            prop_assert_eq!(normalize_recovery_code(&code), Some(code.replace('-', "")));
        }
    }
}
