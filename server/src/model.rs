//! Rows of Better Auth's `user`, `session` and `verification` tables, and
//! their JSON form on the wire.

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Serialize, Serializer};

use crate::secret::SessionToken;

/// Serializes a date as Better Auth does: ISO 8601, milliseconds, `Z`.
pub fn serialize_date<S: Serializer>(date: &DateTime<Utc>, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&format_date(date))
}

/// Formats a date as `2026-12-04T19:47:17.933Z`.
pub fn format_date(date: &DateTime<Utc>) -> String {
    date.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// A row of the `user` table. Fields are in the order Better Auth 1.7.29
/// writes them in JSON.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct User {
    pub name: String,
    /// Stored lower-cased.
    pub email: String,
    pub email_verified: bool,
    pub image: Option<String>,
    #[serde(serialize_with = "serialize_date")]
    pub created_at: DateTime<Utc>,
    #[serde(serialize_with = "serialize_date")]
    pub updated_at: DateTime<Utc>,
    pub id: String,
}

/// A row of the `session` table. Fields are in the order Better Auth
/// 1.7.29 writes them in JSON.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Session {
    #[serde(serialize_with = "serialize_date")]
    pub expires_at: DateTime<Utc>,
    pub token: SessionToken,
    #[serde(serialize_with = "serialize_date")]
    pub created_at: DateTime<Utc>,
    #[serde(serialize_with = "serialize_date")]
    pub updated_at: DateTime<Utc>,
    /// Empty when unknown, as Better Auth stores it.
    pub ip_address: Option<String>,
    /// Empty when unknown, as Better Auth stores it.
    pub user_agent: Option<String>,
    pub user_id: String,
    pub id: String,
}

/// A row of the `account` table for an email and password sign-up.
#[derive(Debug, Clone)]
pub struct CredentialAccount {
    pub id: String,
    pub user_id: String,
    /// `<saltHex>:<keyHex>`.
    pub password_hash: String,
    pub created_at: DateTime<Utc>,
}

/// A row of the `verification` table.
#[derive(Debug, Clone)]
pub struct Verification {
    pub id: String,
    /// `one-time-token:` followed by the stored form of the token.
    pub identifier: String,
    /// The session token the one-time token was issued for. It is a secret:
    /// never log this field.
    pub value: SessionToken,
    pub expires_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
}

/// A session together with its user, as most routes need both.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SessionWithUser {
    pub session: Session,
    pub user: User,
}
