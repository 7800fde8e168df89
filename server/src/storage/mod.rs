//! Persistence in Better Auth's own tables.
//!
//! [`Database`] is chosen by the URL scheme and dispatches to one small
//! module per database. Every module speaks the same vocabulary: `create_*`,
//! `find_*`, `delete_*`, `consume_verification` and `delete_expired`.

mod dates;
pub mod sqlite;

use chrono::{DateTime, Utc};

use crate::model::{CredentialAccount, Session, SessionWithUser, User, Verification};

/// Failure of a storage operation.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StorageError {
    /// The database URL has a scheme that no backend handles.
    #[error("unsupported database URL scheme in {0:?}; expected sqlite:, postgres: or mysql:")]
    UnsupportedScheme(String),
    /// A row would break a unique constraint (for example an email).
    #[error("a row with the same unique key already exists")]
    UniqueViolation,
    /// An existing table lacks a column this server needs.
    #[error("table {table:?} exists but has no column {column:?}; it is not Better Auth's schema")]
    MissingColumn { table: String, column: String },
    /// A stored value cannot be read (for example a malformed date).
    #[error("unreadable value in column {column:?}: {reason}")]
    Corrupt { column: &'static str, reason: String },
    /// The driver failed.
    #[error(transparent)]
    Sqlx(#[from] sqlx::Error),
}

impl StorageError {
    pub(crate) fn from_sqlx(err: sqlx::Error) -> Self {
        match &err {
            sqlx::Error::Database(db) if db.is_unique_violation() => Self::UniqueViolation,
            _ => Self::Sqlx(err),
        }
    }
}

/// Result of a storage operation.
pub type StorageResult<T> = Result<T, StorageError>;

/// Rows removed by one sweep of expired data.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct SweepCount {
    pub verifications: u64,
    pub sessions: u64,
}

/// A connection pool to one of the supported databases.
#[derive(Debug, Clone)]
pub enum Database {
    Sqlite(sqlite::SqliteStore),
}

/// Options for opening a pool.
#[derive(Debug, Clone)]
pub struct ConnectOptions {
    /// Most connections the pool opens.
    pub max_connections: u32,
}

impl Default for ConnectOptions {
    fn default() -> Self {
        // Enough for a busy single instance; SQLite serialises writes anyway.
        Self { max_connections: 8 }
    }
}

impl Database {
    /// Opens a pool for `url`, choosing the backend by its scheme.
    ///
    /// # Errors
    ///
    /// Fails on an unknown scheme or when the database cannot be reached.
    pub async fn connect(url: &str, options: &ConnectOptions) -> StorageResult<Self> {
        if url.starts_with("sqlite:") {
            return Ok(Self::Sqlite(sqlite::SqliteStore::connect(url, options).await?));
        }
        Err(StorageError::UnsupportedScheme(redact_url(url)))
    }

    /// Creates the tables and indexes that are missing. Existing tables are
    /// never altered or dropped; a table lacking a needed column is an error.
    ///
    /// # Errors
    ///
    /// Fails when a statement fails or an existing table is not Better Auth's.
    pub async fn migrate(&self) -> StorageResult<()> {
        match self {
            Self::Sqlite(store) => store.migrate().await,
        }
    }

    /// A short name of the backend, for logs.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Sqlite(_) => "sqlite",
        }
    }

    /// Inserts a user and its credential account in one transaction.
    ///
    /// # Errors
    ///
    /// [`StorageError::UniqueViolation`] when the email is taken.
    pub async fn create_user(&self, user: &User, account: &CredentialAccount) -> StorageResult<()> {
        match self {
            Self::Sqlite(store) => store.create_user(user, account).await,
        }
    }

    /// Finds a user by lower-cased email, with the password hash of its
    /// credential account when it has one.
    pub async fn find_user_by_email(&self, email: &str) -> StorageResult<Option<(User, Option<String>)>> {
        match self {
            Self::Sqlite(store) => store.find_user_by_email(email).await,
        }
    }

    /// Inserts a session.
    pub async fn create_session(&self, session: &Session) -> StorageResult<()> {
        match self {
            Self::Sqlite(store) => store.create_session(session).await,
        }
    }

    /// Finds a session by its token, with its user, in one query.
    pub async fn find_session(&self, token: &str) -> StorageResult<Option<SessionWithUser>> {
        match self {
            Self::Sqlite(store) => store.find_session(token).await,
        }
    }

    /// Moves a session's expiry and `updatedAt`.
    pub async fn update_session_expiry(
        &self,
        id: &str,
        expires_at: DateTime<Utc>,
        updated_at: DateTime<Utc>,
    ) -> StorageResult<()> {
        match self {
            Self::Sqlite(store) => store.update_session_expiry(id, expires_at, updated_at).await,
        }
    }

    /// Deletes a session by token. Returns whether a row was removed.
    pub async fn delete_session(&self, token: &str) -> StorageResult<bool> {
        match self {
            Self::Sqlite(store) => store.delete_session(token).await,
        }
    }

    /// Deletes a session by token only when it belongs to `user_id`.
    pub async fn delete_user_session(&self, user_id: &str, token: &str) -> StorageResult<bool> {
        match self {
            Self::Sqlite(store) => store.delete_user_session(user_id, token).await,
        }
    }

    /// Lists a user's sessions that have not expired at `now`.
    pub async fn find_user_sessions(&self, user_id: &str, now: DateTime<Utc>) -> StorageResult<Vec<Session>> {
        match self {
            Self::Sqlite(store) => store.find_user_sessions(user_id, now).await,
        }
    }

    /// Inserts a verification row.
    pub async fn create_verification(&self, verification: &Verification) -> StorageResult<()> {
        match self {
            Self::Sqlite(store) => store.create_verification(verification).await,
        }
    }

    /// Deletes every verification row with `identifier` and returns them.
    ///
    /// The delete and the read are one atomic statement, so of several
    /// concurrent callers exactly one receives a given row.
    pub async fn consume_verification(&self, identifier: &str) -> StorageResult<Vec<Verification>> {
        match self {
            Self::Sqlite(store) => store.consume_verification(identifier).await,
        }
    }

    /// Deletes up to `batch` expired one-time-token rows and up to `batch`
    /// expired sessions.
    pub async fn delete_expired(&self, now: DateTime<Utc>, batch: u32) -> StorageResult<SweepCount> {
        match self {
            Self::Sqlite(store) => store.delete_expired(now, batch).await,
        }
    }
}

/// Prefix of every one-time-token identifier in the `verification` table.
pub const ONE_TIME_TOKEN_PREFIX: &str = "one-time-token:";

/// Removes a password from a database URL so it can be logged.
pub fn redact_url(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let _ = parsed.set_password(Some("redacted"));
            parsed.to_string()
        }
        Ok(_) => url.to_owned(),
        Err(_) => url.split('?').next().unwrap_or_default().to_owned(),
    }
}
