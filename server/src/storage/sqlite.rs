//! SQLite backend: one file, WAL journal, dates as ISO 8601 text.

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteRow, SqliteSynchronous};
use sqlx::{Connection as _, Row, SqliteConnection, SqlitePool};
use tokio::sync::{MappedMutexGuard, Mutex, MutexGuard};

use super::dates::{from_text, to_text};
use super::{ConnectOptions, ONE_TIME_TOKEN_PREFIX, StorageError, StorageResult, SweepCount};
use crate::model::{CredentialAccount, Session, SessionWithUser, User, Verification};
use crate::secret::SessionToken;

/// Maximum busy timeout that SQLite accepts.
const MAX_BUSY_TIMEOUT: Duration = Duration::from_millis(i32::MAX as u64);

/// Better Auth's SQLite schema, created only where a table or index is
/// missing.
const SCHEMA: &[&str] = &[
    r#"CREATE TABLE IF NOT EXISTS "user" ("id" text not null primary key, "name" text not null, "email" text not null unique, "emailVerified" integer not null, "image" text, "createdAt" date not null, "updatedAt" date not null)"#,
    r#"CREATE TABLE IF NOT EXISTS "session" ("id" text not null primary key, "expiresAt" date not null, "token" text not null unique, "createdAt" date not null, "updatedAt" date not null, "ipAddress" text, "userAgent" text, "userId" text not null references "user" ("id") on delete cascade)"#,
    r#"CREATE TABLE IF NOT EXISTS "account" ("id" text not null primary key, "accountId" text not null, "providerId" text not null, "userId" text not null references "user" ("id") on delete cascade, "accessToken" text, "refreshToken" text, "idToken" text, "accessTokenExpiresAt" date, "refreshTokenExpiresAt" date, "scope" text, "password" text, "createdAt" date not null, "updatedAt" date not null)"#,
    r#"CREATE TABLE IF NOT EXISTS "verification" ("id" text not null primary key, "identifier" text not null, "value" text not null, "expiresAt" date not null, "createdAt" date not null, "updatedAt" date not null)"#,
    r#"CREATE INDEX IF NOT EXISTS "session_userId_idx" on "session" ("userId")"#,
    r#"CREATE INDEX IF NOT EXISTS "account_userId_idx" on "account" ("userId")"#,
    r#"CREATE INDEX IF NOT EXISTS "verification_identifier_idx" on "verification" ("identifier")"#,
];

/// Columns this server reads or writes, per table.
const REQUIRED_COLUMNS: &[(&str, &[&str])] = &[
    (
        "user",
        &[
            "id",
            "name",
            "email",
            "emailVerified",
            "image",
            "createdAt",
            "updatedAt",
        ],
    ),
    (
        "session",
        &[
            "id",
            "expiresAt",
            "token",
            "createdAt",
            "updatedAt",
            "ipAddress",
            "userAgent",
            "userId",
        ],
    ),
    (
        "account",
        &[
            "id",
            "accountId",
            "providerId",
            "userId",
            "password",
            "createdAt",
            "updatedAt",
        ],
    ),
    (
        "verification",
        &["id", "identifier", "value", "expiresAt", "createdAt", "updatedAt"],
    ),
];

const SESSION_COLUMNS: &str =
    r#"s."id", s."expiresAt", s."token", s."createdAt", s."updatedAt", s."ipAddress", s."userAgent", s."userId""#;
const USER_COLUMNS: &str = r#"u."id", u."name", u."email", u."emailVerified", u."image", u."createdAt", u."updatedAt""#;

/// One SQLite file, whose statements run one at a time on a single
/// connection.
///
/// SQLite runs one writer at a time. Writers on several connections of one
/// process meet SQLITE_BUSY and wait in SQLite's busy handler, which sleeps
/// in steps of 1 to 100 ms. Separate read connections avoid that, but they
/// must drop their page cache after every write by another connection. The
/// connection is held outside the pool because sqlx 0.8's pool pings a
/// connection each time it is returned (and by default when it is
/// acquired), one more round trip to sqlx's connection thread per ping. On
/// the generate-and-verify workload of `ott-load` (2 cores, C = 8 and 32),
/// this took about half the CPU time per request of a pool of eight
/// connections, at higher throughput.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
    /// Taken out of `pool` on first use.
    connection: Arc<Mutex<Option<SqliteConnection>>>,
}

impl SqliteStore {
    /// Opens (and creates when missing) the database file named by `url`.
    ///
    /// One connection is opened, whatever [`ConnectOptions::max_connections`]
    /// allows.
    pub async fn connect(url: &str, options: &ConnectOptions) -> StorageResult<Self> {
        let connect = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            // WAL lets other processes read beside the single writer.
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            // Writers queue on the file lock instead of failing at once; several
            // server processes may share one file. SQLite takes the wait in
            // i32 milliseconds, so "no limit" is its maximum, about 24 days.
            .busy_timeout(
                options
                    .statement_timeout
                    .unwrap_or(MAX_BUSY_TIMEOUT)
                    .min(MAX_BUSY_TIMEOUT),
            );
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(connect)
            .await?;
        Ok(Self::from_pool(pool))
    }

    /// Wraps an existing pool. The store takes one connection out of it on
    /// first use and runs all its statements there.
    pub fn from_pool(pool: SqlitePool) -> Self {
        Self {
            pool,
            connection: Arc::new(Mutex::new(None)),
        }
    }

    /// Returns the pool the store was built from. Statements run on it use
    /// a connection other than the store's own.
    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    /// Locks the store's connection, taking it out of the pool on first use.
    ///
    /// NOTE: the connection is never replaced. A local file does not drop a
    /// connection as a network peer can. Only a panic in sqlx's connection
    /// thread would leave it unusable, until the process restarts.
    async fn connection(&self) -> StorageResult<MappedMutexGuard<'_, SqliteConnection>> {
        let mut slot = self.connection.lock().await;
        if slot.is_none() {
            // Detached, it no longer counts against the pool's size.
            *slot = Some(self.pool.acquire().await?.detach());
        }
        Ok(MutexGuard::map(slot, |slot| match slot {
            Some(connection) => connection,
            None => unreachable!("the connection was stored above"),
        }))
    }

    pub(super) async fn migrate(&self) -> StorageResult<()> {
        let mut connection = self.connection().await?;
        let mut tx = connection.begin().await?;
        for statement in SCHEMA {
            sqlx::query(statement).execute(&mut *tx).await?;
        }
        for (table, columns) in REQUIRED_COLUMNS {
            let present: Vec<String> = sqlx::query_scalar(r#"SELECT "name" FROM pragma_table_info(?)"#)
                .bind(table)
                .fetch_all(&mut *tx)
                .await?;
            if let Some(missing) = columns.iter().find(|c| !present.iter().any(|p| p == *c)) {
                return Err(StorageError::MissingColumn {
                    table: (*table).to_owned(),
                    column: (*missing).to_owned(),
                });
            }
        }
        tx.commit().await?;
        Ok(())
    }

    pub(super) async fn create_user(&self, user: &User, account: &CredentialAccount) -> StorageResult<()> {
        let mut connection = self.connection().await?;
        let mut tx = connection.begin().await?;
        sqlx::query(
            r#"INSERT INTO "user" ("id", "name", "email", "emailVerified", "image", "createdAt", "updatedAt") VALUES (?, ?, ?, ?, ?, ?, ?)"#,
        )
        .bind(&user.id)
        .bind(&user.name)
        .bind(&user.email)
        .bind(i64::from(user.email_verified))
        .bind(&user.image)
        .bind(to_text(&user.created_at))
        .bind(to_text(&user.updated_at))
        .execute(&mut *tx)
        .await
        .map_err(StorageError::from_sqlx)?;
        sqlx::query(
            r#"INSERT INTO "account" ("id", "accountId", "providerId", "userId", "password", "createdAt", "updatedAt") VALUES (?, ?, 'credential', ?, ?, ?, ?)"#,
        )
        .bind(&account.id)
        .bind(&account.user_id)
        .bind(&account.user_id)
        .bind(&account.password_hash)
        .bind(to_text(&account.created_at))
        .bind(to_text(&account.created_at))
        .execute(&mut *tx)
        .await
        .map_err(StorageError::from_sqlx)?;
        tx.commit().await?;
        Ok(())
    }

    pub(super) async fn find_user_by_email(&self, email: &str) -> StorageResult<Option<(User, Option<String>)>> {
        let sql = format!(
            r#"SELECT {USER_COLUMNS}, (SELECT a."password" FROM "account" a WHERE a."userId" = u."id" AND a."providerId" = 'credential' LIMIT 1) FROM "user" u WHERE u."email" = ?"#
        );
        let row = sqlx::query(&sql)
            .bind(email)
            .fetch_optional(&mut *self.connection().await?)
            .await?;
        row.map(|row| Ok((read_user(&row, 0)?, row.try_get::<Option<String>, _>(7)?)))
            .transpose()
    }

    pub(super) async fn create_session(&self, session: &Session) -> StorageResult<()> {
        sqlx::query(
            r#"INSERT INTO "session" ("id", "expiresAt", "token", "createdAt", "updatedAt", "ipAddress", "userAgent", "userId") VALUES (?, ?, ?, ?, ?, ?, ?, ?)"#,
        )
        .bind(&session.id)
        .bind(to_text(&session.expires_at))
        .bind(session.token.expose())
        .bind(to_text(&session.created_at))
        .bind(to_text(&session.updated_at))
        .bind(&session.ip_address)
        .bind(&session.user_agent)
        .bind(&session.user_id)
        .execute(&mut *self.connection().await?)
        .await
        .map_err(StorageError::from_sqlx)?;
        Ok(())
    }

    pub(super) async fn find_session(&self, token: &str) -> StorageResult<Option<SessionWithUser>> {
        let sql = format!(
            r#"SELECT {SESSION_COLUMNS}, {USER_COLUMNS} FROM "session" s JOIN "user" u ON u."id" = s."userId" WHERE s."token" = ?"#
        );
        let row = sqlx::query(&sql)
            .bind(token)
            .fetch_optional(&mut *self.connection().await?)
            .await?;
        row.map(|row| {
            Ok(SessionWithUser {
                session: read_session(&row, 0)?,
                user: read_user(&row, 8)?,
            })
        })
        .transpose()
    }

    pub(super) async fn update_session_expiry(
        &self,
        id: &str,
        expires_at: DateTime<Utc>,
        updated_at: DateTime<Utc>,
    ) -> StorageResult<()> {
        sqlx::query(r#"UPDATE "session" SET "expiresAt" = ?, "updatedAt" = ? WHERE "id" = ?"#)
            .bind(to_text(&expires_at))
            .bind(to_text(&updated_at))
            .bind(id)
            .execute(&mut *self.connection().await?)
            .await?;
        Ok(())
    }

    pub(super) async fn delete_session(&self, token: &str) -> StorageResult<bool> {
        let done = sqlx::query(r#"DELETE FROM "session" WHERE "token" = ?"#)
            .bind(token)
            .execute(&mut *self.connection().await?)
            .await?;
        Ok(done.rows_affected() > 0)
    }

    pub(super) async fn delete_user_session(&self, user_id: &str, token: &str) -> StorageResult<bool> {
        let done = sqlx::query(r#"DELETE FROM "session" WHERE "token" = ? AND "userId" = ?"#)
            .bind(token)
            .bind(user_id)
            .execute(&mut *self.connection().await?)
            .await?;
        Ok(done.rows_affected() > 0)
    }

    pub(super) async fn find_user_sessions(&self, user_id: &str, now: DateTime<Utc>) -> StorageResult<Vec<Session>> {
        let sql = format!(r#"SELECT {SESSION_COLUMNS} FROM "session" s WHERE s."userId" = ? ORDER BY s.rowid"#);
        let rows = sqlx::query(&sql)
            .bind(user_id)
            .fetch_all(&mut *self.connection().await?)
            .await?;
        let mut sessions = Vec::with_capacity(rows.len());
        for row in &rows {
            let session = read_session(row, 0)?;
            // Compared here rather than in SQL because hand-written rows may
            // hold dates in other text formats that do not sort as strings.
            if session.expires_at > now {
                sessions.push(session);
            }
        }
        Ok(sessions)
    }

    pub(super) async fn create_verification(&self, verification: &Verification) -> StorageResult<()> {
        sqlx::query(
            r#"INSERT INTO "verification" ("id", "identifier", "value", "expiresAt", "createdAt", "updatedAt") VALUES (?, ?, ?, ?, ?, ?)"#,
        )
        .bind(&verification.id)
        .bind(&verification.identifier)
        .bind(verification.value.expose())
        .bind(to_text(&verification.expires_at))
        .bind(to_text(&verification.created_at))
        .bind(to_text(&verification.created_at))
        .execute(&mut *self.connection().await?)
        .await?;
        Ok(())
    }

    pub(super) async fn consume_verification(&self, identifier: &str) -> StorageResult<Vec<Verification>> {
        // One statement: SQLite holds the write lock for the whole DELETE, so
        // only one caller can see a given row come back.
        let rows = sqlx::query(
            r#"DELETE FROM "verification" WHERE "identifier" = ? RETURNING "id", "identifier", "value", "expiresAt", "createdAt""#,
        )
        .bind(identifier)
        .fetch_all(&mut *self.connection().await?)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(Verification {
                    id: row.try_get(0)?,
                    identifier: row.try_get(1)?,
                    value: SessionToken::new(row.try_get::<String, _>(2)?),
                    expires_at: from_text("verification.expiresAt", row.try_get(3)?)?,
                    created_at: from_text("verification.createdAt", row.try_get(4)?)?,
                })
            })
            .collect()
    }

    pub(super) async fn delete_expired(&self, now: DateTime<Utc>, batch: u32) -> StorageResult<SweepCount> {
        let now_text = to_text(&now);
        // GLOB, unlike LIKE, is case-sensitive, so other plugins' rows stay.
        let pattern = format!("{ONE_TIME_TOKEN_PREFIX}*");
        // Bounded batches keep each write transaction short, so a sweep never
        // holds the file lock long enough to stall requests.
        let verifications = sqlx::query(
            r#"DELETE FROM "verification" WHERE "id" IN (SELECT "id" FROM "verification" WHERE "identifier" GLOB ? AND "expiresAt" < ? LIMIT ?)"#,
        )
        .bind(&pattern)
        .bind(&now_text)
        .bind(i64::from(batch))
        .execute(&mut *self.connection().await?)
        .await?
        .rows_affected();
        let sessions = sqlx::query(
            r#"DELETE FROM "session" WHERE "id" IN (SELECT "id" FROM "session" WHERE "expiresAt" < ? LIMIT ?)"#,
        )
        .bind(&now_text)
        .bind(i64::from(batch))
        .execute(&mut *self.connection().await?)
        .await?
        .rows_affected();
        Ok(SweepCount {
            verifications,
            sessions,
        })
    }
}

fn read_session(row: &SqliteRow, start: usize) -> StorageResult<Session> {
    Ok(Session {
        id: row.try_get(start)?,
        expires_at: from_text("session.expiresAt", row.try_get(start + 1)?)?,
        token: SessionToken::new(row.try_get::<String, _>(start + 2)?),
        created_at: from_text("session.createdAt", row.try_get(start + 3)?)?,
        updated_at: from_text("session.updatedAt", row.try_get(start + 4)?)?,
        ip_address: row.try_get(start + 5)?,
        user_agent: row.try_get(start + 6)?,
        user_id: row.try_get(start + 7)?,
    })
}

fn read_user(row: &SqliteRow, start: usize) -> StorageResult<User> {
    Ok(User {
        id: row.try_get(start)?,
        name: row.try_get(start + 1)?,
        email: row.try_get(start + 2)?,
        email_verified: row.try_get::<i64, _>(start + 3)? != 0,
        image: row.try_get(start + 4)?,
        created_at: from_text("user.createdAt", row.try_get(start + 5)?)?,
        updated_at: from_text("user.updatedAt", row.try_get(start + 6)?)?,
    })
}
