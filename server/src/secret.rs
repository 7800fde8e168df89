//! Newtypes for secret values.
//!
//! Each type prints `[redacted]` under `Debug` and has no `Display`, so a
//! secret cannot reach a log line through formatting by accident. The inner
//! value is reachable only through an explicit `expose` call.

use std::fmt;

use subtle::ConstantTimeEq;

macro_rules! secret_string {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// Wraps a value that must stay out of logs.
            pub fn new(value: impl Into<String>) -> Self {
                Self(value.into())
            }

            /// Returns the secret value. Call sites are easy to audit with grep.
            pub fn expose(&self) -> &str {
                &self.0
            }

            /// Compares with another value in time that does not depend on
            /// where the two first differ.
            pub fn constant_time_eq(&self, other: &str) -> bool {
                self.0.as_bytes().ct_eq(other.as_bytes()).into()
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(concat!(stringify!($name), "([redacted])"))
            }
        }
    };
}

secret_string!(
    /// The token that names a session in the `session` table and in the cookie.
    SessionToken
);

secret_string!(
    /// A single-use token handed to a client, redeemable once for a session.
    OneTimeToken
);

/// The server secret that signs session cookies.
#[derive(Clone, PartialEq, Eq)]
pub struct ServerSecret(Vec<u8>);

/// Shortest server secret accepted, in bytes.
pub const MIN_SECRET_LEN: usize = 32;

/// Rejection of a server secret that is too short to sign cookies safely.
#[derive(Debug, thiserror::Error)]
#[error(
    "the secret is {actual} characters long; at least {MIN_SECRET_LEN} are required \
     (generate one with `openssl rand -base64 32`)"
)]
pub struct SecretTooShort {
    /// Length of the rejected secret.
    pub actual: usize,
}

impl ServerSecret {
    /// Wraps a secret of at least [`MIN_SECRET_LEN`] bytes.
    ///
    /// # Errors
    ///
    /// Returns [`SecretTooShort`] for a shorter value.
    pub fn new(value: impl Into<String>) -> Result<Self, SecretTooShort> {
        let value: String = value.into();
        if value.len() < MIN_SECRET_LEN {
            return Err(SecretTooShort {
                actual: value.chars().count(),
            });
        }
        Ok(Self(value.into_bytes()))
    }

    /// Returns the key bytes for HMAC.
    pub fn expose(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for ServerSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ServerSecret([redacted])")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_is_redacted() {
        let token = SessionToken::new("dXzKTGmbq0BI5CQHrL41JL2cCLngmI4I");
        assert_eq!(format!("{token:?}"), "SessionToken([redacted])");
        let secret = ServerSecret::new("x".repeat(40)).expect("long enough");
        assert_eq!(format!("{secret:?}"), "ServerSecret([redacted])");
    }

    #[test]
    fn short_secret_is_rejected() {
        let err = ServerSecret::new("short").expect_err("too short");
        assert_eq!(err.actual, 5);
        assert!(err.to_string().contains("at least 32"));
    }

    #[test]
    fn constant_time_eq_matches_equality() {
        let token = OneTimeToken::new("abc");
        assert!(token.constant_time_eq("abc"));
        assert!(!token.constant_time_eq("abd"));
        assert!(!token.constant_time_eq("ab"));
    }
}
