//! The request and response bodies of the auth API, as the server sends them.
//!
//! Response types are decoded from the parsed JSON and encoded again for
//! JavaScript, so callers receive plain objects with exactly these fields.
//! Dates stay ISO 8601 strings, as on the wire.

use serde::{Deserialize, Serialize};

/// A row of the `user` table.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct User {
    pub id: String,
    pub name: String,
    pub email: String,
    pub email_verified: bool,
    pub image: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

/// A row of the `session` table. `token` is the session token itself.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Session {
    pub id: String,
    pub token: String,
    pub user_id: String,
    pub expires_at: String,
    pub created_at: String,
    pub updated_at: String,
    pub ip_address: Option<String>,
    pub user_agent: Option<String>,
}

/// The body of `get-session` when a session is present.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct SessionWithUser {
    pub session: Session,
    pub user: User,
}

/// The body of a successful sign-up.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct SignUpResponse {
    /// The new session's token, or null when the server signs no one in.
    pub token: Option<String>,
    pub user: User,
}

/// The body of a successful sign-in.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct SignInResponse {
    pub redirect: bool,
    pub token: String,
    pub user: User,
}

/// The body of `one-time-token/generate`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct GeneratedToken {
    pub token: String,
}

/// The body of a successful `one-time-token/verify`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct VerifiedToken {
    pub session: Session,
    pub user: User,
    /// The token of the session created by the redemption, or null when the
    /// server returns the original session (`createSession: false`).
    pub token: Option<String>,
}

/// The body of `sign-out`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct SignOutResponse {
    pub success: bool,
}

/// The body of `revoke-session`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct RevokeSessionResponse {
    pub status: bool,
}

/// The argument of `signUp.email`, sent as the request body.
#[derive(Debug, Deserialize, Serialize)]
pub struct SignUpEmailInput {
    pub name: String,
    pub email: String,
    pub password: String,
    pub image: Option<String>,
}

/// The argument of `signIn.email`, sent as the request body.
#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SignInEmailInput {
    pub email: String,
    pub password: String,
    pub remember_me: Option<bool>,
}

/// The argument of `oneTimeToken.verify` and `revokeSession`.
#[derive(Debug, Deserialize, Serialize)]
pub struct TokenInput {
    pub token: String,
}
