//! MySQL and MariaDB backend: dates as `datetime(3)` holding UTC, tokens
//! compared byte for byte.
//!
//! Every connection sets `time_zone = '+00:00'`, and dates are bound and read
//! as naive UTC values, so neither the server's `TZ` nor the database's
//! default time zone moves a stored instant. Token and identifier lookups add
//! a `CAST(... AS BINARY)` comparison, because a table created by other tools
//! may have a case-insensitive collation, and MySQL's PAD SPACE collations
//! also ignore trailing spaces.

use std::str::FromStr;

use chrono::{DateTime, NaiveDateTime, Utc};
use sqlx::mysql::{MySqlArguments, MySqlConnectOptions, MySqlPoolOptions, MySqlRow};
use sqlx::query::Query;
use sqlx::{Connection as _, Executor as _, MySql, MySqlPool, Row};

use super::{
    ConnectOptions, ONE_TIME_TOKEN_PREFIX, REQUIRED_COLUMNS, StorageError, StorageResult, SweepCount,
    connect_with_retries,
};
use crate::model::{CredentialAccount, Session, SessionWithUser, User, Verification};
use crate::secret::SessionToken;

/// Better Auth's schema in MySQL's dialect as (table, statement), each
/// statement run only when its table is missing. Ids, tokens and identifiers are `varchar(255)` because MySQL
/// indexes `text` only by prefix. Tokens and identifiers use the binary
/// collation, so the tables created here compare them exactly.
const SCHEMA: &[(&str, &str)] = &[
    (
        "user",
        "CREATE TABLE IF NOT EXISTS `user` (`id` varchar(255) NOT NULL, `name` text NOT NULL, `email` varchar(255) NOT NULL, `emailVerified` boolean NOT NULL, `image` text, `createdAt` datetime(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3), `updatedAt` datetime(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3), PRIMARY KEY (`id`), UNIQUE KEY `user_email_key` (`email`)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4",
    ),
    (
        "session",
        "CREATE TABLE IF NOT EXISTS `session` (`id` varchar(255) NOT NULL, `expiresAt` datetime(3) NOT NULL, `token` varchar(255) COLLATE utf8mb4_bin NOT NULL, `createdAt` datetime(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3), `updatedAt` datetime(3) NOT NULL, `ipAddress` text, `userAgent` text, `userId` varchar(255) NOT NULL, PRIMARY KEY (`id`), UNIQUE KEY `session_token_key` (`token`), KEY `session_userId_idx` (`userId`), CONSTRAINT `session_userId_fkey` FOREIGN KEY (`userId`) REFERENCES `user` (`id`) ON DELETE CASCADE) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4",
    ),
    (
        "account",
        "CREATE TABLE IF NOT EXISTS `account` (`id` varchar(255) NOT NULL, `accountId` text NOT NULL, `providerId` text NOT NULL, `userId` varchar(255) NOT NULL, `accessToken` text, `refreshToken` text, `idToken` text, `accessTokenExpiresAt` datetime(3), `refreshTokenExpiresAt` datetime(3), `scope` text, `password` text, `createdAt` datetime(3) NOT NULL, `updatedAt` datetime(3) NOT NULL, PRIMARY KEY (`id`), KEY `account_userId_idx` (`userId`), CONSTRAINT `account_userId_fkey` FOREIGN KEY (`userId`) REFERENCES `user` (`id`) ON DELETE CASCADE) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4",
    ),
    (
        "verification",
        "CREATE TABLE IF NOT EXISTS `verification` (`id` varchar(255) NOT NULL, `identifier` varchar(255) COLLATE utf8mb4_bin NOT NULL, `value` text NOT NULL, `expiresAt` datetime(3) NOT NULL, `createdAt` datetime(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3), `updatedAt` datetime(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3), PRIMARY KEY (`id`), KEY `verification_identifier_idx` (`identifier`)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4",
    ),
];

/// Indexes created on existing tables that have no index starting with the
/// column: (table, column, index name).
const INDEXES: &[(&str, &str, &str)] = &[
    ("session", "userId", "session_userId_idx"),
    ("account", "userId", "account_userId_idx"),
    ("verification", "identifier", "verification_identifier_idx"),
];

/// Name of the lock that serialises migrations of one database. `GET_LOCK`
/// names are server-wide and at most 64 characters long.
const MIGRATION_LOCK: &str = "LEFT(CONCAT('ott-server-migrate:', DATABASE()), 64)";

/// Maximum wait for another process's migration, in seconds. A migration
/// takes well under a second, so a longer wait means a stuck process.
const MIGRATION_LOCK_WAIT_SECS: u64 = 30;

/// Attempts of a statement that InnoDB rolled back to break a deadlock.
const DEADLOCK_ATTEMPTS: u32 = 5;

const SESSION_COLUMNS: &str =
    "s.`id`, s.`expiresAt`, s.`token`, s.`createdAt`, s.`updatedAt`, s.`ipAddress`, s.`userAgent`, s.`userId`";
const USER_COLUMNS: &str = "u.`id`, u.`name`, u.`email`, u.`emailVerified`, u.`image`, u.`createdAt`, u.`updatedAt`";
const VERIFICATION_COLUMNS: &str = "`id`, `identifier`, `value`, `expiresAt`, `createdAt`";

/// Strategy for removing a one-time token's row and reading it back in one
/// step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConsumeStrategy {
    /// MariaDB (10.0.5 and later): `DELETE ... RETURNING`, one statement.
    DeleteReturning,
    /// MySQL, which has no `DELETE ... RETURNING`: `SELECT ... FOR UPDATE`,
    /// then a `DELETE` by id, in one transaction. Only rows whose delete
    /// reports one affected row are returned.
    LockingRead,
}

/// A pool of connections to one MySQL or MariaDB database.
#[derive(Debug, Clone)]
pub struct MysqlStore {
    pool: MySqlPool,
    consume: ConsumeStrategy,
}

impl MysqlStore {
    /// Opens a pool for a `mysql://` or `mariadb://` URL.
    ///
    /// # Errors
    ///
    /// Fails on a malformed URL, or when the database is still unreachable
    /// after the configured retries.
    pub async fn connect(url: &str, options: &ConnectOptions) -> StorageResult<Self> {
        // Overrides a `timezone` in the URL: dates are read and written as
        // UTC, and `CURRENT_TIMESTAMP` defaults must produce UTC as well.
        let connect = MySqlConnectOptions::from_str(url)?.timezone(Some("+00:00".to_owned()));
        let mut probe = connect_with_retries(&connect, options.connect_retries, "mysql").await?;
        let version: String = sqlx::query_scalar("SELECT VERSION()").fetch_one(&mut probe).await?;
        probe.close().await?;
        let is_mariadb = version.contains("MariaDB");

        let timeout_statement = options.statement_timeout.map(|timeout| {
            if is_mariadb {
                // MariaDB's limit covers every statement, in seconds.
                format!("SET SESSION max_statement_time = {}", timeout.as_secs_f64())
            } else {
                // MySQL's limit covers read-only SELECTs only, in milliseconds.
                format!("SET SESSION max_execution_time = {}", timeout.as_millis())
            }
        });
        let pool = MySqlPoolOptions::new()
            .max_connections(options.max_connections)
            .after_connect(move |connection, _| {
                let timeout_statement = timeout_statement.clone();
                Box::pin(async move {
                    if let Some(statement) = timeout_statement {
                        connection.execute(statement.as_str()).await?;
                    }
                    Ok(())
                })
            })
            .connect_with(connect)
            .await?;
        let consume = if is_mariadb {
            ConsumeStrategy::DeleteReturning
        } else {
            ConsumeStrategy::LockingRead
        };
        tracing::debug!(version = %version, ?consume, "connected to MySQL");
        Ok(Self { pool, consume })
    }

    /// Wraps an existing pool. Its connections must use `time_zone = '+00:00'`
    /// (sqlx's default).
    pub fn from_pool(pool: MySqlPool, consume: ConsumeStrategy) -> Self {
        Self { pool, consume }
    }

    /// Returns the underlying pool.
    pub fn pool(&self) -> &MySqlPool {
        &self.pool
    }

    /// Returns how this store consumes one-time tokens.
    pub fn consume_strategy(&self) -> ConsumeStrategy {
        self.consume
    }

    pub(super) async fn migrate(&self) -> StorageResult<()> {
        // DDL commits implicitly in MySQL, so a named lock rather than a
        // transaction keeps replicas that start together from interleaving.
        let mut connection = self.pool.acquire().await?;
        let locked: Option<i64> = sqlx::query_scalar(&format!(
            "SELECT GET_LOCK({MIGRATION_LOCK}, {MIGRATION_LOCK_WAIT_SECS})"
        ))
        .fetch_one(&mut *connection)
        .await?;
        if locked != Some(1) {
            return Err(StorageError::MigrationLockTimeout(MIGRATION_LOCK_WAIT_SECS));
        }
        let result = migrate_locked(&mut connection).await;
        sqlx::query(&format!("SELECT RELEASE_LOCK({MIGRATION_LOCK})"))
            .execute(&mut *connection)
            .await?;
        result
    }

    pub(super) async fn create_user(&self, user: &User, account: &CredentialAccount) -> StorageResult<()> {
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "INSERT INTO `user` (`id`, `name`, `email`, `emailVerified`, `image`, `createdAt`, `updatedAt`) VALUES (?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(&user.id)
        .bind(&user.name)
        .bind(&user.email)
        .bind(user.email_verified)
        .bind(&user.image)
        .bind(user.created_at.naive_utc())
        .bind(user.updated_at.naive_utc())
        .execute(&mut *tx)
        .await
        .map_err(StorageError::from_sqlx)?;
        sqlx::query(
            "INSERT INTO `account` (`id`, `accountId`, `providerId`, `userId`, `password`, `createdAt`, `updatedAt`) VALUES (?, ?, 'credential', ?, ?, ?, ?)",
        )
        .bind(&account.id)
        .bind(&account.user_id)
        .bind(&account.user_id)
        .bind(&account.password_hash)
        .bind(account.created_at.naive_utc())
        .bind(account.created_at.naive_utc())
        .execute(&mut *tx)
        .await
        .map_err(StorageError::from_sqlx)?;
        tx.commit().await?;
        Ok(())
    }

    pub(super) async fn find_user_by_email(&self, email: &str) -> StorageResult<Option<(User, Option<String>)>> {
        let sql = format!(
            "SELECT {USER_COLUMNS}, (SELECT a.`password` FROM `account` a WHERE a.`userId` = u.`id` AND a.`providerId` = 'credential' LIMIT 1) FROM `user` u WHERE u.`email` = ?"
        );
        let row = sqlx::query(&sql).bind(email).fetch_optional(&self.pool).await?;
        row.map(|row| Ok((read_user(&row, 0)?, row.try_get::<Option<String>, _>(7)?)))
            .transpose()
    }

    pub(super) async fn create_session(&self, session: &Session) -> StorageResult<()> {
        sqlx::query(
            "INSERT INTO `session` (`id`, `expiresAt`, `token`, `createdAt`, `updatedAt`, `ipAddress`, `userAgent`, `userId`) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(&session.id)
        .bind(session.expires_at.naive_utc())
        .bind(session.token.expose())
        .bind(session.created_at.naive_utc())
        .bind(session.updated_at.naive_utc())
        .bind(&session.ip_address)
        .bind(&session.user_agent)
        .bind(&session.user_id)
        .execute(&self.pool)
        .await
        .map_err(StorageError::from_sqlx)?;
        Ok(())
    }

    pub(super) async fn find_session(&self, token: &str) -> StorageResult<Option<SessionWithUser>> {
        // The plain comparison finds the row through the unique index; the
        // binary one makes the match exact on any collation.
        let sql = format!(
            "SELECT {SESSION_COLUMNS}, {USER_COLUMNS} FROM `session` s JOIN `user` u ON u.`id` = s.`userId` WHERE s.`token` = ? AND CAST(s.`token` AS BINARY) = ?"
        );
        let row = sqlx::query(&sql)
            .bind(token)
            .bind(token)
            .fetch_optional(&self.pool)
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
        sqlx::query("UPDATE `session` SET `expiresAt` = ?, `updatedAt` = ? WHERE `id` = ?")
            .bind(expires_at.naive_utc())
            .bind(updated_at.naive_utc())
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub(super) async fn delete_session(&self, token: &str) -> StorageResult<bool> {
        let done = sqlx::query("DELETE FROM `session` WHERE `token` = ? AND CAST(`token` AS BINARY) = ?")
            .bind(token)
            .bind(token)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() > 0)
    }

    pub(super) async fn delete_user_session(&self, user_id: &str, token: &str) -> StorageResult<bool> {
        let done =
            sqlx::query("DELETE FROM `session` WHERE `token` = ? AND CAST(`token` AS BINARY) = ? AND `userId` = ?")
                .bind(token)
                .bind(token)
                .bind(user_id)
                .execute(&self.pool)
                .await?;
        Ok(done.rows_affected() > 0)
    }

    pub(super) async fn find_user_sessions(&self, user_id: &str, now: DateTime<Utc>) -> StorageResult<Vec<Session>> {
        let sql = format!(
            "SELECT {SESSION_COLUMNS} FROM `session` s WHERE s.`userId` = ? AND s.`expiresAt` > ? ORDER BY s.`createdAt`, s.`id`"
        );
        let rows = sqlx::query(&sql)
            .bind(user_id)
            .bind(now.naive_utc())
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(|row| read_session(row, 0)).collect()
    }

    pub(super) async fn create_verification(&self, verification: &Verification) -> StorageResult<()> {
        sqlx::query(
            "INSERT INTO `verification` (`id`, `identifier`, `value`, `expiresAt`, `createdAt`, `updatedAt`) VALUES (?, ?, ?, ?, ?, ?)",
        )
        .bind(&verification.id)
        .bind(&verification.identifier)
        .bind(verification.value.expose())
        .bind(verification.expires_at.naive_utc())
        .bind(verification.created_at.naive_utc())
        .bind(verification.created_at.naive_utc())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub(super) async fn consume_verification(&self, identifier: &str) -> StorageResult<Vec<Verification>> {
        // InnoDB may pick a waiting DELETE of the same row as a deadlock
        // victim and roll it back. A rolled-back attempt removed nothing, so
        // trying again is safe and decides the race the same way.
        let mut attempt = 1;
        loop {
            let result = match self.consume {
                ConsumeStrategy::DeleteReturning => self.consume_with_delete_returning(identifier).await,
                ConsumeStrategy::LockingRead => self.consume_with_locking_read(identifier).await,
            };
            match result {
                Err(StorageError::Sqlx(err)) if attempt < DEADLOCK_ATTEMPTS && is_deadlock(&err) => attempt += 1,
                other => return other,
            }
        }
    }

    async fn consume_with_delete_returning(&self, identifier: &str) -> StorageResult<Vec<Verification>> {
        // A second DELETE of the same row waits on its row lock, then finds
        // the row deleted and returns nothing.
        let sql = format!(
            "DELETE FROM `verification` WHERE `identifier` = ? AND CAST(`identifier` AS BINARY) = ? RETURNING {VERIFICATION_COLUMNS}"
        );
        let rows = sqlx::query(&sql)
            .bind(identifier)
            .bind(identifier)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(read_verification).collect()
    }

    async fn consume_with_locking_read(&self, identifier: &str) -> StorageResult<Vec<Verification>> {
        let mut tx = self.pool.begin().await?;
        // FOR UPDATE is a locking read, which reads the latest committed rows,
        // so a caller that waited here for another redemption finds nothing.
        let sql = format!(
            "SELECT {VERIFICATION_COLUMNS} FROM `verification` WHERE `identifier` = ? AND CAST(`identifier` AS BINARY) = ? FOR UPDATE"
        );
        let rows = sqlx::query(&sql)
            .bind(identifier)
            .bind(identifier)
            .fetch_all(&mut *tx)
            .await?;
        let mut consumed = Vec::with_capacity(rows.len());
        for row in &rows {
            let verification = read_verification(row)?;
            let deleted = sqlx::query("DELETE FROM `verification` WHERE `id` = ? AND CAST(`id` AS BINARY) = ?")
                .bind(&verification.id)
                .bind(&verification.id)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            if deleted == 1 {
                consumed.push(verification);
            }
        }
        tx.commit().await?;
        Ok(consumed)
    }

    pub(super) async fn delete_expired(&self, now: DateTime<Utc>, batch: u32) -> StorageResult<SweepCount> {
        let pattern = format!("{ONE_TIME_TOKEN_PREFIX}%");
        // Single-table DELETE ... LIMIT keeps each statement's locks bounded.
        // Replicas sweeping at once wait on each other's row locks and then
        // skip the rows already gone.
        let verifications = self
            .execute_retrying(|| {
                sqlx::query(
                    "DELETE FROM `verification` WHERE `identifier` LIKE ? AND CAST(`identifier` AS BINARY) LIKE ? AND `expiresAt` < ? LIMIT ?",
                )
                .bind(pattern.as_str())
                .bind(pattern.as_str())
                .bind(now.naive_utc())
                .bind(batch)
            })
            .await?;
        let sessions = self
            .execute_retrying(|| {
                sqlx::query("DELETE FROM `session` WHERE `expiresAt` < ? LIMIT ?")
                    .bind(now.naive_utc())
                    .bind(batch)
            })
            .await?;
        Ok(SweepCount {
            verifications,
            sessions,
        })
    }

    /// Executes the statement that `build` returns and returns the number of
    /// affected rows, trying again when InnoDB picked it as a deadlock
    /// victim.
    async fn execute_retrying<'q>(&self, build: impl Fn() -> Query<'q, MySql, MySqlArguments>) -> StorageResult<u64> {
        let mut attempt = 1;
        loop {
            match build().execute(&self.pool).await {
                Ok(done) => return Ok(done.rows_affected()),
                Err(err) if attempt < DEADLOCK_ATTEMPTS && is_deadlock(&err) => attempt += 1,
                Err(err) => return Err(err.into()),
            }
        }
    }
}

async fn migrate_locked(connection: &mut sqlx::MySqlConnection) -> StorageResult<()> {
    for (table, statement) in SCHEMA {
        // Checked first because CREATE TABLE IF NOT EXISTS still needs the
        // CREATE privilege, which an application user may lack.
        let exists: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name = ?",
        )
        .bind(table)
        .fetch_one(&mut *connection)
        .await?;
        if exists == 0 {
            sqlx::query(statement).execute(&mut *connection).await?;
        }
    }
    for (table, column, index) in INDEXES {
        let (indexed, data_type): (i64, Option<String>) = sqlx::query_as(
            "SELECT (SELECT COUNT(*) FROM information_schema.statistics WHERE table_schema = DATABASE() AND table_name = ? AND column_name = ? AND seq_in_index = 1), (SELECT data_type FROM information_schema.columns WHERE table_schema = DATABASE() AND table_name = ? AND column_name = ?)",
        )
        .bind(table)
        .bind(column)
        .bind(table)
        .bind(column)
        .fetch_one(&mut *connection)
        .await?;
        let Some(data_type) = data_type else {
            // Reported as a missing column below.
            continue;
        };
        if indexed == 0 {
            // MySQL indexes text and blob columns only by a prefix.
            let prefix = if data_type.ends_with("text") || data_type.ends_with("blob") {
                "(255)"
            } else {
                ""
            };
            let sql = format!("CREATE INDEX `{index}` ON `{table}` (`{column}`{prefix})");
            sqlx::query(&sql).execute(&mut *connection).await?;
        }
    }
    for (table, columns) in REQUIRED_COLUMNS {
        let present: Vec<(String, String)> = sqlx::query_as(
            "SELECT CAST(column_name AS CHAR), CAST(data_type AS CHAR) FROM information_schema.columns WHERE table_schema = DATABASE() AND table_name = ?",
        )
        .bind(table)
        .fetch_all(&mut *connection)
        .await?;
        for (column, is_date) in *columns {
            let Some((_, found)) = present.iter().find(|(name, _)| name == column) else {
                return Err(StorageError::MissingColumn {
                    table: (*table).to_owned(),
                    column: (*column).to_owned(),
                });
            };
            if *is_date && !matches!(found.to_ascii_lowercase().as_str(), "datetime" | "timestamp") {
                return Err(StorageError::ColumnType {
                    table: (*table).to_owned(),
                    column: (*column).to_owned(),
                    found: found.clone(),
                    expected: "datetime or timestamp",
                });
            }
        }
    }
    Ok(())
}

/// Returns whether InnoDB rolled the statement back to break a deadlock
/// (SQLSTATE 40001, error 1213).
fn is_deadlock(err: &sqlx::Error) -> bool {
    matches!(err, sqlx::Error::Database(db) if db.code().as_deref() == Some("40001"))
}

/// Reads a text column that may use a binary collation (`token`,
/// `identifier`). The driver reports such columns as VARBINARY, so the type
/// check is skipped and the bytes are decoded as UTF-8, which fails cleanly
/// on anything else.
fn read_binary_collated(row: &MySqlRow, index: usize) -> StorageResult<String> {
    Ok(row.try_get_unchecked::<String, _>(index)?)
}

fn read_date(row: &MySqlRow, index: usize) -> StorageResult<DateTime<Utc>> {
    Ok(row.try_get::<NaiveDateTime, _>(index)?.and_utc())
}

fn read_verification(row: &MySqlRow) -> StorageResult<Verification> {
    Ok(Verification {
        id: row.try_get(0)?,
        identifier: read_binary_collated(row, 1)?,
        value: SessionToken::new(row.try_get::<String, _>(2)?),
        expires_at: read_date(row, 3)?,
        created_at: read_date(row, 4)?,
    })
}

fn read_session(row: &MySqlRow, start: usize) -> StorageResult<Session> {
    Ok(Session {
        id: row.try_get(start)?,
        expires_at: read_date(row, start + 1)?,
        token: SessionToken::new(read_binary_collated(row, start + 2)?),
        created_at: read_date(row, start + 3)?,
        updated_at: read_date(row, start + 4)?,
        ip_address: row.try_get(start + 5)?,
        user_agent: row.try_get(start + 6)?,
        user_id: row.try_get(start + 7)?,
    })
}

fn read_user(row: &MySqlRow, start: usize) -> StorageResult<User> {
    Ok(User {
        id: row.try_get(start)?,
        name: row.try_get(start + 1)?,
        email: row.try_get(start + 2)?,
        email_verified: row.try_get(start + 3)?,
        image: row.try_get(start + 4)?,
        created_at: read_date(row, start + 5)?,
        updated_at: read_date(row, start + 6)?,
    })
}
