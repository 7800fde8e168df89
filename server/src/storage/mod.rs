//! Persistence in Better Auth's own tables.
//!
//! [`Database`] is chosen by the URL scheme and dispatches to one small
//! module per database. Every module speaks the same vocabulary: `create_*`,
//! `find_*`, `delete_*`, `consume_verification` and `delete_expired`.

mod dates;
pub mod mysql;
pub mod postgres;
mod rate_limit;
pub mod sqlite;

use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::model::{CredentialAccount, Session, SessionWithUser, User, Verification};

/// Failure of a storage operation.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StorageError {
    /// The database URL has a scheme that no backend handles.
    #[error("unsupported database URL scheme in {0:?}; expected sqlite:, postgres:, postgresql:, mysql: or mariadb:")]
    UnsupportedScheme(String),
    /// A row would break a unique constraint (for example an email).
    #[error("a row with the same unique key already exists")]
    UniqueViolation,
    /// An existing table lacks a column this server needs.
    #[error("table {table:?} exists but has no column {column:?}; it is not Better Auth's schema")]
    MissingColumn { table: String, column: String },
    /// An existing column has a type this server cannot read or compare.
    #[error("column {table:?}.{column:?} has type {found:?}; expected {expected}")]
    ColumnType {
        table: String,
        column: String,
        found: String,
        expected: &'static str,
    },
    /// Another process held the migration lock of this database too long.
    #[error("timed out after {0} s waiting for another process to finish migrating this database")]
    MigrationLockTimeout(u64),
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
    Postgres(postgres::PostgresStore),
    Mysql(mysql::MysqlStore),
}

/// Options for opening a pool. Change them with the `with_*` setters.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ConnectOptions {
    /// Maximum number of connections the pool opens.
    pub max_connections: u32,
    /// Maximum time one statement may run, or `None` for no limit. On SQLite it
    /// is how long a statement waits for another process's write lock.
    pub statement_timeout: Option<Duration>,
    /// How many more times the first connection is tried when the database
    /// is unreachable, with a doubling pause between tries.
    pub connect_retries: u32,
}

impl Default for ConnectOptions {
    fn default() -> Self {
        Self {
            // Enough for a busy single instance; SQLite serialises writes anyway.
            max_connections: 8,
            // Every statement here touches a few rows by key or a bounded
            // batch, so one that runs for 10 s is stuck, not slow.
            statement_timeout: Some(Duration::from_secs(10)),
            // About 25 s of patience, long enough for a database container
            // that starts at the same time as the server.
            connect_retries: 5,
        }
    }
}

impl ConnectOptions {
    /// Sets the maximum number of pooled connections.
    #[must_use]
    pub fn with_max_connections(mut self, max_connections: u32) -> Self {
        self.max_connections = max_connections;
        self
    }

    /// Sets the statement timeout; `None` removes the limit.
    #[must_use]
    pub fn with_statement_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.statement_timeout = timeout;
        self
    }

    /// Sets how many times a failed first connection is retried.
    #[must_use]
    pub fn with_connect_retries(mut self, retries: u32) -> Self {
        self.connect_retries = retries;
        self
    }
}

/// Runs `$body` with `$store` bound to whichever backend `$database` holds.
macro_rules! dispatch {
    ($database:expr, $store:ident => $body:expr) => {
        match $database {
            Database::Sqlite($store) => $body,
            Database::Postgres($store) => $body,
            Database::Mysql($store) => $body,
        }
    };
}

impl Database {
    /// Opens a pool for `url`, choosing the backend by its scheme: `sqlite:`,
    /// `postgres:` or `postgresql:`, `mysql:` or `mariadb:`.
    ///
    /// # Errors
    ///
    /// Fails on an unknown scheme, or when the database is still unreachable
    /// after [`ConnectOptions::connect_retries`] retries.
    pub async fn connect(url: &str, options: &ConnectOptions) -> StorageResult<Self> {
        let scheme = url.split_once(':').map(|(scheme, _)| scheme.to_ascii_lowercase());
        match scheme.as_deref() {
            Some("sqlite") => Ok(Self::Sqlite(sqlite::SqliteStore::connect(url, options).await?)),
            Some("postgres" | "postgresql") => {
                Ok(Self::Postgres(postgres::PostgresStore::connect(url, options).await?))
            }
            Some("mysql" | "mariadb") => Ok(Self::Mysql(mysql::MysqlStore::connect(url, options).await?)),
            _ => Err(StorageError::UnsupportedScheme(redact_url(url))),
        }
    }

    /// Creates the tables and indexes that are missing. Existing tables are
    /// never altered or dropped; a table lacking a needed column is an error.
    ///
    /// Several processes may run this at once: Postgres and MySQL serialise
    /// them with a lock, SQLite with its write lock.
    ///
    /// # Errors
    ///
    /// Fails when a statement fails or an existing table is not Better Auth's.
    pub async fn migrate(&self) -> StorageResult<()> {
        dispatch!(self, store => store.migrate().await)
    }

    /// A short name of the backend, for logs.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Sqlite(_) => "sqlite",
            Self::Postgres(_) => "postgres",
            Self::Mysql(_) => "mysql",
        }
    }

    /// Inserts a user and its credential account in one transaction.
    ///
    /// # Errors
    ///
    /// [`StorageError::UniqueViolation`] when the email is taken.
    pub async fn create_user(&self, user: &User, account: &CredentialAccount) -> StorageResult<()> {
        dispatch!(self, store => store.create_user(user, account).await)
    }

    /// Finds a user by lower-cased email, with the password hash of its
    /// credential account when it has one.
    pub async fn find_user_by_email(&self, email: &str) -> StorageResult<Option<(User, Option<String>)>> {
        dispatch!(self, store => store.find_user_by_email(email).await)
    }

    /// Inserts a session.
    pub async fn create_session(&self, session: &Session) -> StorageResult<()> {
        dispatch!(self, store => store.create_session(session).await)
    }

    /// Finds a session by its token, with its user, in one query.
    pub async fn find_session(&self, token: &str) -> StorageResult<Option<SessionWithUser>> {
        dispatch!(self, store => store.find_session(token).await)
    }

    /// Moves a session's expiry and `updatedAt`.
    pub async fn update_session_expiry(
        &self,
        id: &str,
        expires_at: DateTime<Utc>,
        updated_at: DateTime<Utc>,
    ) -> StorageResult<()> {
        dispatch!(self, store => store.update_session_expiry(id, expires_at, updated_at).await)
    }

    /// Deletes a session by token. Returns whether a row was removed.
    pub async fn delete_session(&self, token: &str) -> StorageResult<bool> {
        dispatch!(self, store => store.delete_session(token).await)
    }

    /// Deletes a session by token only when it belongs to `user_id`.
    pub async fn delete_user_session(&self, user_id: &str, token: &str) -> StorageResult<bool> {
        dispatch!(self, store => store.delete_user_session(user_id, token).await)
    }

    /// Lists a user's sessions that have not expired at `now`.
    pub async fn find_user_sessions(&self, user_id: &str, now: DateTime<Utc>) -> StorageResult<Vec<Session>> {
        dispatch!(self, store => store.find_user_sessions(user_id, now).await)
    }

    /// Inserts a verification row.
    pub async fn create_verification(&self, verification: &Verification) -> StorageResult<()> {
        dispatch!(self, store => store.create_verification(verification).await)
    }

    /// Deletes every verification row with `identifier` and returns them.
    ///
    /// The delete and the read are atomic (one `DELETE ... RETURNING`, or on
    /// MySQL a locking read and a delete in one transaction), so of several
    /// concurrent callers, in one process or many, exactly one receives a
    /// given row.
    pub async fn consume_verification(&self, identifier: &str) -> StorageResult<Vec<Verification>> {
        dispatch!(self, store => store.consume_verification(identifier).await)
    }

    /// Deletes up to `batch` expired one-time-token rows and up to `batch`
    /// expired sessions. Every replica may run it at the same time.
    pub async fn delete_expired(&self, now: DateTime<Utc>, batch: u32) -> StorageResult<SweepCount> {
        dispatch!(self, store => store.delete_expired(now, batch).await)
    }
}

/// Columns this server reads or writes, per table, and whether each one is
/// a date. Postgres and MySQL check them after migrating.
const REQUIRED_COLUMNS: &[(&str, &[(&str, bool)])] = &[
    (
        "user",
        &[
            ("id", false),
            ("name", false),
            ("email", false),
            ("emailVerified", false),
            ("image", false),
            ("createdAt", true),
            ("updatedAt", true),
        ],
    ),
    (
        "session",
        &[
            ("id", false),
            ("expiresAt", true),
            ("token", false),
            ("createdAt", true),
            ("updatedAt", true),
            ("ipAddress", false),
            ("userAgent", false),
            ("userId", false),
        ],
    ),
    (
        "account",
        &[
            ("id", false),
            ("accountId", false),
            ("providerId", false),
            ("userId", false),
            ("password", false),
            ("createdAt", true),
            ("updatedAt", true),
        ],
    ),
    (
        "verification",
        &[
            ("id", false),
            ("identifier", false),
            ("value", false),
            ("expiresAt", true),
            ("createdAt", true),
            ("updatedAt", true),
        ],
    ),
];

/// Prefix of every one-time-token identifier in the `verification` table.
pub const ONE_TIME_TOKEN_PREFIX: &str = "one-time-token:";

/// First pause before retrying an unreachable database.
const FIRST_RETRY_PAUSE: Duration = Duration::from_secs(1);
/// Maximum pause between two connection attempts.
const MAX_RETRY_PAUSE: Duration = Duration::from_secs(10);

/// Opens one connection with `options`, retrying up to `retries` times with a
/// doubling pause while the database is unreachable or starting up. Each
/// retry is logged at WARN.
///
/// A configuration or authentication error fails at once: waiting does not
/// fix it.
async fn connect_with_retries<O>(options: &O, retries: u32, kind: &'static str) -> StorageResult<O::Connection>
where
    O: sqlx::ConnectOptions,
    O::Connection: Sized,
{
    let mut pause = FIRST_RETRY_PAUSE;
    let mut attempt = 0;
    loop {
        match options.connect().await {
            Ok(connection) => return Ok(connection),
            Err(err) if attempt < retries && is_unreachable(&err) => {
                attempt += 1;
                tracing::warn!(
                    database = kind,
                    attempt,
                    retries,
                    pause_ms = pause.as_millis() as u64,
                    error = %err,
                    "database unreachable; retrying"
                );
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(MAX_RETRY_PAUSE);
            }
            Err(err) => return Err(err.into()),
        }
    }
}

/// Returns whether a connection error may go away by itself: network failures, and
/// database errors of SQLSTATE class 08 (connection exception) or 57P03
/// (Postgres "the database system is starting up").
fn is_unreachable(err: &sqlx::Error) -> bool {
    match err {
        sqlx::Error::Io(_) | sqlx::Error::Tls(_) | sqlx::Error::PoolTimedOut => true,
        sqlx::Error::Database(db) => db.code().is_some_and(|code| code.starts_with("08") || code == "57P03"),
        _ => false,
    }
}

/// Removes the password from a database URL, in the user part or in a
/// `password` query parameter, so the URL can be logged.
pub fn redact_url(url: &str) -> String {
    let Ok(mut parsed) = url::Url::parse(url) else {
        return url.split('?').next().unwrap_or_default().to_owned();
    };
    if parsed.password().is_some() {
        let _ = parsed.set_password(Some("redacted"));
    }
    if parsed
        .query_pairs()
        .any(|(key, _)| key.eq_ignore_ascii_case("password"))
    {
        let pairs: Vec<(String, String)> = parsed
            .query_pairs()
            .map(|(key, value)| {
                let value = if key.eq_ignore_ascii_case("password") {
                    "redacted".into()
                } else {
                    value
                };
                (key.into_owned(), value.into_owned())
            })
            .collect();
        parsed.query_pairs_mut().clear().extend_pairs(pairs);
    }
    parsed.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redact_url_hides_passwords() {
        assert_eq!(
            redact_url("postgres://app:hunter2@db.internal:5432/auth"),
            "postgres://app:redacted@db.internal:5432/auth"
        );
        assert_eq!(
            redact_url("postgres://db.internal/auth?user=app&password=hunter2&sslmode=require"),
            "postgres://db.internal/auth?user=app&password=redacted&sslmode=require"
        );
        assert_eq!(redact_url("sqlite://data/ott.sqlite"), "sqlite://data/ott.sqlite");
    }

    #[tokio::test]
    async fn connect_rejects_unknown_scheme() {
        let result = Database::connect("oracle://app:hunter2@db/auth", &ConnectOptions::default()).await;
        let Err(StorageError::UnsupportedScheme(url)) = result else {
            panic!("expected UnsupportedScheme");
        };
        assert!(!url.contains("hunter2"), "the error carries no password");
    }
}
