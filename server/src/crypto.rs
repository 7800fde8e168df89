//! Random identifiers, cookie signatures, password hashes and token hashes,
//! each in the exact format Better Auth 1.7.29 writes.

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use unicode_normalization::UnicodeNormalization;

use crate::secret::ServerSecret;

const ALPHANUMERIC: &[u8; 62] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const URL_SAFE: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// Length of ids, session tokens and one-time tokens.
pub const TOKEN_LEN: usize = 32;

/// Draws `len` characters uniformly from `alphabet` with the OS CSPRNG.
///
/// Bytes at or above the largest multiple of the alphabet size are discarded,
/// so every character is equally likely.
fn random_string(alphabet: &[u8], len: usize) -> String {
    let limit = 256 - (256 % alphabet.len());
    let mut out = String::with_capacity(len);
    let mut buf = [0u8; 64];
    while out.len() < len {
        // A failing OS random source leaves no safe way to continue.
        getrandom::fill(&mut buf).expect("the operating system's random source failed");
        for &byte in &buf {
            if usize::from(byte) < limit && out.len() < len {
                out.push(char::from(alphabet[usize::from(byte) % alphabet.len()]));
            }
        }
    }
    out
}

/// Generates a 32-character `[A-Za-z0-9]` id or session token.
pub fn generate_id() -> String {
    random_string(ALPHANUMERIC, TOKEN_LEN)
}

/// Generates a 32-character URL-safe one-time token.
pub fn generate_url_safe_token() -> String {
    random_string(URL_SAFE, TOKEN_LEN)
}

/// Generates `bytes` random bytes, written as base64url without padding.
pub fn generate_secret_text(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    getrandom::fill(&mut buf).expect("the operating system's random source failed");
    URL_SAFE_NO_PAD.encode(buf)
}

/// Hashes a one-time token for `storeToken: "hashed"`:
/// base64url without padding of SHA-256 over the token.
pub fn hash_token(token: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(token.as_bytes()))
}

fn cookie_mac(secret: &ServerSecret) -> Hmac<Sha256> {
    // HMAC accepts keys of any length, so this cannot fail.
    Hmac::<Sha256>::new_from_slice(secret.expose()).expect("HMAC takes keys of any length")
}

/// Signs a session token as Better Auth does: `token.base64(HMAC-SHA256)`,
/// standard base64 with padding. The result is not percent-encoded yet.
pub fn sign_cookie_value(secret: &ServerSecret, token: &str) -> String {
    let mut mac = cookie_mac(secret);
    mac.update(token.as_bytes());
    let signature = STANDARD.encode(mac.finalize().into_bytes());
    format!("{token}.{signature}")
}

/// Checks a signed value (already percent-decoded) and returns the token.
///
/// The value is split at its last `.`; the signature must be 44 characters
/// ending in `=` and must match in constant time. Anything else is `None`.
pub fn verify_signed_value<'a>(secret: &ServerSecret, signed: &'a str) -> Option<&'a str> {
    let (token, signature) = signed.rsplit_once('.')?;
    if signature.len() != 44 || !signature.ends_with('=') || token.is_empty() {
        return None;
    }
    let expected = STANDARD.decode(signature).ok()?;
    let mut mac = cookie_mac(secret);
    mac.update(token.as_bytes());
    mac.verify_slice(&expected).ok()?;
    Some(token)
}

/// scrypt parameters of Better Auth: N = 16384, r = 16, p = 1, 64-byte key.
fn scrypt_params() -> scrypt::Params {
    scrypt::Params::new(14, 16, 1, 64).expect("fixed scrypt parameters are valid")
}

fn derive_key(password: &str, salt_hex: &str) -> [u8; 64] {
    let normalized: String = password.nfkc().collect();
    let mut key = [0u8; 64];
    // The salt is the 32 hex characters themselves, not the bytes they encode.
    scrypt::scrypt(normalized.as_bytes(), salt_hex.as_bytes(), &scrypt_params(), &mut key)
        .expect("a 64-byte output is valid for scrypt");
    key
}

/// Hashes a password into Better Auth's `<saltHex>:<keyHex>` format.
///
/// This takes tens of milliseconds of CPU and 32 MiB of memory; call it from
/// a blocking thread, never on the async runtime.
pub fn hash_password(password: &str) -> String {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).expect("the operating system's random source failed");
    let salt_hex = hex_lower(&salt);
    let key = derive_key(password, &salt_hex);
    format!("{salt_hex}:{}", hex_lower(&key))
}

/// Checks a password against a stored `<saltHex>:<keyHex>` hash in constant
/// time. A malformed hash never matches.
pub fn verify_password(password: &str, stored: &str) -> bool {
    let Some((salt_hex, key_hex)) = stored.split_once(':') else {
        return false;
    };
    let Some(expected) = hex_decode(key_hex) else {
        return false;
    };
    let key = derive_key(password, salt_hex);
    key.ct_eq(expected.as_slice()).into()
}

fn hex_lower(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes.iter().fold(String::with_capacity(bytes.len() * 2), |mut out, b| {
        let _ = write!(out, "{b:02x}");
        out
    })
}

fn hex_decode(text: &str) -> Option<Vec<u8>> {
    if text.len() % 2 != 0 {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secret() -> ServerSecret {
        ServerSecret::new("test-secret-0123456789abcdef0123456789abcdef").expect("valid")
    }

    #[test]
    fn cookie_signature_matches_vector() {
        let signed = sign_cookie_value(&secret(), "dXzKTGmbq0BI5CQHrL41JL2cCLngmI4I");
        assert_eq!(
            signed,
            "dXzKTGmbq0BI5CQHrL41JL2cCLngmI4I.mACVgKQqbwlWubpsI96vBvhqCVTVIqbOaFCHCvSDTBo="
        );
        assert_eq!(
            verify_signed_value(&secret(), &signed),
            Some("dXzKTGmbq0BI5CQHrL41JL2cCLngmI4I")
        );
    }

    #[test]
    fn tampered_signature_is_rejected() {
        let signed = sign_cookie_value(&secret(), "dXzKTGmbq0BI5CQHrL41JL2cCLngmI4I");
        let tampered = signed.replace("mACV", "mACW");
        assert_eq!(verify_signed_value(&secret(), &tampered), None);
        assert_eq!(verify_signed_value(&secret(), "token.short="), None);
        assert_eq!(verify_signed_value(&secret(), "no-dot"), None);
    }

    #[test]
    fn password_matches_vector() {
        let stored = "8e8afed0038ad550c236d9cd2ce4cc77:60e6203f3aad436d22416472ca2ea63d7c5d9ec14489c0aec3124954c936098f6a0fee2d39accdd057169f7f04b2d3c93b9cd169d2c24c9d51c75f00a0f56a5e";
        assert!(verify_password("password1234", stored));
        assert!(!verify_password("password1235", stored));
        assert!(!verify_password("password1234", "garbage"));
    }

    #[test]
    fn password_hash_round_trips() {
        let stored = hash_password("correct horse");
        let (salt, key) = stored.split_once(':').expect("salt:key");
        assert_eq!(salt.len(), 32);
        assert_eq!(key.len(), 128);
        assert!(verify_password("correct horse", &stored));
    }

    #[test]
    fn hashed_identifier_matches_vector() {
        assert_eq!(hash_token("123456"), "jZae727K08KaOmKSgOaGzww_XVqGr_PKEgIMkjrcbJI");
    }

    #[test]
    fn generated_tokens_have_expected_alphabets() {
        let id = generate_id();
        assert_eq!(id.len(), 32);
        assert!(id.bytes().all(|b| b.is_ascii_alphanumeric()));
        let token = generate_url_safe_token();
        assert_eq!(token.len(), 32);
        assert!(
            token
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        );
    }
}
