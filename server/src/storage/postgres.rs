//! PostgreSQL backend: dates as `timestamp with time zone`, so every stored
//! date is a UTC instant whatever the session's `TimeZone`.

use std::str::FromStr;

use chrono::{DateTime, Utc};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions, PgRow};
use sqlx::{Connection as _, PgPool, Row};

use super::{
    ConnectOptions, ONE_TIME_TOKEN_PREFIX, REQUIRED_COLUMNS, StorageError, StorageResult, SweepCount,
    connect_with_retries,
};
use crate::model::{CredentialAccount, Session, SessionWithUser, User, Verification};
use crate::secret::SessionToken;

/// Better Auth 1.7.29's Postgres schema as (relation, statement), each
/// statement run only when its table or index is missing. Inline `primary
/// key`, `unique` and `references` get Postgres's default constraint names,
/// which are the ones Better Auth's databases have (`session_pkey`,
/// `session_token_key`, `session_userId_fkey`, `user_email_key`).
const SCHEMA: &[(&str, &str)] = &[
    (
        "user",
        r#"CREATE TABLE IF NOT EXISTS "user" ("id" text not null primary key, "name" text not null, "email" text not null unique, "emailVerified" boolean not null, "image" text, "createdAt" timestamptz default CURRENT_TIMESTAMP not null, "updatedAt" timestamptz default CURRENT_TIMESTAMP not null)"#,
    ),
    (
        "session",
        r#"CREATE TABLE IF NOT EXISTS "session" ("id" text not null primary key, "expiresAt" timestamptz not null, "token" text not null unique, "createdAt" timestamptz default CURRENT_TIMESTAMP not null, "updatedAt" timestamptz not null, "ipAddress" text, "userAgent" text, "userId" text not null references "user" ("id") on delete cascade)"#,
    ),
    (
        "account",
        r#"CREATE TABLE IF NOT EXISTS "account" ("id" text not null primary key, "accountId" text not null, "providerId" text not null, "userId" text not null references "user" ("id") on delete cascade, "accessToken" text, "refreshToken" text, "idToken" text, "accessTokenExpiresAt" timestamptz, "refreshTokenExpiresAt" timestamptz, "scope" text, "password" text, "createdAt" timestamptz not null, "updatedAt" timestamptz not null)"#,
    ),
    (
        "verification",
        r#"CREATE TABLE IF NOT EXISTS "verification" ("id" text not null primary key, "identifier" text not null, "value" text not null, "expiresAt" timestamptz not null, "createdAt" timestamptz default CURRENT_TIMESTAMP not null, "updatedAt" timestamptz default CURRENT_TIMESTAMP not null)"#,
    ),
    (
        "session_userId_idx",
        r#"CREATE INDEX IF NOT EXISTS "session_userId_idx" ON "session" ("userId")"#,
    ),
    (
        "account_userId_idx",
        r#"CREATE INDEX IF NOT EXISTS "account_userId_idx" ON "account" ("userId")"#,
    ),
    (
        "verification_identifier_idx",
        r#"CREATE INDEX IF NOT EXISTS "verification_identifier_idx" ON "verification" ("identifier")"#,
    ),
];

/// Key of the advisory lock that serialises migrations of one database, so
/// replicas starting together do not race on `CREATE TABLE`.
const MIGRATION_LOCK_KEY: i64 = 0x6f74_745f_6d69_6772;

const SESSION_COLUMNS: &str =
    r#"s."id", s."expiresAt", s."token", s."createdAt", s."updatedAt", s."ipAddress", s."userAgent", s."userId""#;
const USER_COLUMNS: &str = r#"u."id", u."name", u."email", u."emailVerified", u."image", u."createdAt", u."updatedAt""#;

/// A pool of connections to one PostgreSQL database.
#[derive(Debug, Clone)]
pub struct PostgresStore {
    pool: PgPool,
}

impl PostgresStore {
    /// Opens a pool for a `postgres://` or `postgresql://` URL.
    ///
    /// # Errors
    ///
    /// Fails on a malformed URL, or when the database is still unreachable
    /// after the configured retries.
    pub async fn connect(url: &str, options: &ConnectOptions) -> StorageResult<Self> {
        let mut connect = PgConnectOptions::from_str(url)?;
        if let Some(timeout) = options.statement_timeout {
            // Sent as a start-up parameter, so every pooled connection has it
            // from its first statement on.
            connect = connect.options([("statement_timeout", format!("{}ms", timeout.as_millis()))]);
        }
        connect_with_retries(&connect, options.connect_retries, "postgres")
            .await?
            .close()
            .await?;
        let pool = PgPoolOptions::new()
            .max_connections(options.max_connections)
            // A ping before every use is one more round trip per statement; a
            // broken connection still fails its statement and is replaced.
            .test_before_acquire(false)
            .connect_with(connect)
            .await?;
        Ok(Self { pool })
    }

    /// Wraps an existing pool.
    pub fn from_pool(pool: PgPool) -> Self {
        Self { pool }
    }

    /// Returns the underlying pool.
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    pub(super) async fn migrate(&self) -> StorageResult<()> {
        let mut tx = self.pool.begin().await?;
        // Released at commit or rollback. DDL is transactional in Postgres,
        // so a failed check below leaves nothing half created.
        sqlx::query("SELECT pg_advisory_xact_lock($1)")
            .bind(MIGRATION_LOCK_KEY)
            .execute(&mut *tx)
            .await?;
        for (relation, statement) in SCHEMA {
            // Checked first because CREATE ... IF NOT EXISTS still needs the
            // CREATE privilege, which an application role may lack once the
            // tables exist.
            let exists: bool = sqlx::query_scalar("SELECT to_regclass($1) IS NOT NULL")
                .bind(format!("\"{relation}\""))
                .fetch_one(&mut *tx)
                .await?;
            if !exists {
                sqlx::query(statement).execute(&mut *tx).await?;
            }
        }
        for (table, columns) in REQUIRED_COLUMNS {
            // to_regclass resolves the name through search_path exactly as the
            // queries of this module do.
            let present: Vec<(String, String)> = sqlx::query_as(
                "SELECT attname::text, format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = to_regclass($1) AND attnum > 0 AND NOT attisdropped",
            )
            .bind(format!("\"{table}\""))
            .fetch_all(&mut *tx)
            .await?;
            for (column, is_date) in *columns {
                let Some((_, found)) = present.iter().find(|(name, _)| name == column) else {
                    return Err(StorageError::MissingColumn {
                        table: (*table).to_owned(),
                        column: (*column).to_owned(),
                    });
                };
                // A `timestamp without time zone` column holds wall-clock
                // times whose zone depends on the writer, so it cannot be
                // read as a UTC instant.
                if *is_date && !found.ends_with("with time zone") {
                    return Err(StorageError::ColumnType {
                        table: (*table).to_owned(),
                        column: (*column).to_owned(),
                        found: found.clone(),
                        expected: "timestamp with time zone",
                    });
                }
            }
        }
        tx.commit().await?;
        Ok(())
    }

    pub(super) async fn create_user(&self, user: &User, account: &CredentialAccount) -> StorageResult<()> {
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            r#"INSERT INTO "user" ("id", "name", "email", "emailVerified", "image", "createdAt", "updatedAt") VALUES ($1, $2, $3, $4, $5, $6, $7)"#,
        )
        .bind(&user.id)
        .bind(&user.name)
        .bind(&user.email)
        .bind(user.email_verified)
        .bind(&user.image)
        .bind(user.created_at)
        .bind(user.updated_at)
        .execute(&mut *tx)
        .await
        .map_err(StorageError::from_sqlx)?;
        sqlx::query(
            r#"INSERT INTO "account" ("id", "accountId", "providerId", "userId", "password", "createdAt", "updatedAt") VALUES ($1, $2, 'credential', $2, $3, $4, $4)"#,
        )
        .bind(&account.id)
        .bind(&account.user_id)
        .bind(&account.password_hash)
        .bind(account.created_at)
        .execute(&mut *tx)
        .await
        .map_err(StorageError::from_sqlx)?;
        tx.commit().await?;
        Ok(())
    }

    pub(super) async fn find_user_by_email(&self, email: &str) -> StorageResult<Option<(User, Option<String>)>> {
        if !is_storable(email) {
            return Ok(None);
        }
        let sql = format!(
            r#"SELECT {USER_COLUMNS}, (SELECT a."password" FROM "account" a WHERE a."userId" = u."id" AND a."providerId" = 'credential' LIMIT 1) FROM "user" u WHERE u."email" = $1"#
        );
        let row = sqlx::query(&sql).bind(email).fetch_optional(&self.pool).await?;
        row.map(|row| Ok((read_user(&row, 0)?, row.try_get::<Option<String>, _>(7)?)))
            .transpose()
    }

    pub(super) async fn create_session(&self, session: &Session) -> StorageResult<()> {
        sqlx::query(
            r#"INSERT INTO "session" ("id", "expiresAt", "token", "createdAt", "updatedAt", "ipAddress", "userAgent", "userId") VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"#,
        )
        .bind(&session.id)
        .bind(session.expires_at)
        .bind(session.token.expose())
        .bind(session.created_at)
        .bind(session.updated_at)
        .bind(&session.ip_address)
        .bind(&session.user_agent)
        .bind(&session.user_id)
        .execute(&self.pool)
        .await
        .map_err(StorageError::from_sqlx)?;
        Ok(())
    }

    pub(super) async fn find_session(&self, token: &str) -> StorageResult<Option<SessionWithUser>> {
        if !is_storable(token) {
            return Ok(None);
        }
        let sql = format!(
            r#"SELECT {SESSION_COLUMNS}, {USER_COLUMNS} FROM "session" s JOIN "user" u ON u."id" = s."userId" WHERE s."token" = $1"#
        );
        let row = sqlx::query(&sql).bind(token).fetch_optional(&self.pool).await?;
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
        sqlx::query(r#"UPDATE "session" SET "expiresAt" = $1, "updatedAt" = $2 WHERE "id" = $3"#)
            .bind(expires_at)
            .bind(updated_at)
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub(super) async fn delete_session(&self, token: &str) -> StorageResult<bool> {
        if !is_storable(token) {
            return Ok(false);
        }
        let done = sqlx::query(r#"DELETE FROM "session" WHERE "token" = $1"#)
            .bind(token)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() > 0)
    }

    pub(super) async fn delete_user_session(&self, user_id: &str, token: &str) -> StorageResult<bool> {
        if !is_storable(token) {
            return Ok(false);
        }
        let done = sqlx::query(r#"DELETE FROM "session" WHERE "token" = $1 AND "userId" = $2"#)
            .bind(token)
            .bind(user_id)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() > 0)
    }

    pub(super) async fn find_user_sessions(&self, user_id: &str, now: DateTime<Utc>) -> StorageResult<Vec<Session>> {
        let sql = format!(
            r#"SELECT {SESSION_COLUMNS} FROM "session" s WHERE s."userId" = $1 AND s."expiresAt" > $2 ORDER BY s."createdAt", s."id""#
        );
        let rows = sqlx::query(&sql).bind(user_id).bind(now).fetch_all(&self.pool).await?;
        rows.iter().map(|row| read_session(row, 0)).collect()
    }

    pub(super) async fn create_verification(&self, verification: &Verification) -> StorageResult<()> {
        sqlx::query(
            r#"INSERT INTO "verification" ("id", "identifier", "value", "expiresAt", "createdAt", "updatedAt") VALUES ($1, $2, $3, $4, $5, $5)"#,
        )
        .bind(&verification.id)
        .bind(&verification.identifier)
        .bind(verification.value.expose())
        .bind(verification.expires_at)
        .bind(verification.created_at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub(super) async fn consume_verification(&self, identifier: &str) -> StorageResult<Vec<Verification>> {
        if !is_storable(identifier) {
            return Ok(Vec::new());
        }
        // A concurrent DELETE of the same row waits for this one to commit,
        // then finds the row gone and returns nothing (READ COMMITTED
        // re-checks the row), so only one caller gets it back.
        let rows = sqlx::query(
            r#"DELETE FROM "verification" WHERE "identifier" = $1 RETURNING "id", "identifier", "value", "expiresAt", "createdAt""#,
        )
        .bind(identifier)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(Verification {
                    id: row.try_get(0)?,
                    identifier: row.try_get(1)?,
                    value: SessionToken::new(row.try_get::<String, _>(2)?),
                    expires_at: row.try_get(3)?,
                    created_at: row.try_get(4)?,
                })
            })
            .collect()
    }

    pub(super) async fn delete_expired(&self, now: DateTime<Utc>, batch: u32) -> StorageResult<SweepCount> {
        let pattern = format!("{ONE_TIME_TOKEN_PREFIX}%");
        // SKIP LOCKED lets every replica sweep at once: each takes rows that no
        // other sweep or redemption holds, instead of waiting for them.
        let verifications = sqlx::query(
            r#"DELETE FROM "verification" WHERE "id" IN (SELECT "id" FROM "verification" WHERE "identifier" LIKE $1 AND "expiresAt" < $2 LIMIT $3 FOR UPDATE SKIP LOCKED)"#,
        )
        .bind(&pattern)
        .bind(now)
        .bind(i64::from(batch))
        .execute(&self.pool)
        .await?
        .rows_affected();
        let sessions = sqlx::query(
            r#"DELETE FROM "session" WHERE "id" IN (SELECT "id" FROM "session" WHERE "expiresAt" < $1 LIMIT $2 FOR UPDATE SKIP LOCKED)"#,
        )
        .bind(now)
        .bind(i64::from(batch))
        .execute(&self.pool)
        .await?
        .rows_affected();
        Ok(SweepCount {
            verifications,
            sessions,
        })
    }
}

/// Returns whether Postgres can hold `text`. Its `text` type rejects U+0000
/// with an error, so a lookup key containing it matches no row and is not
/// sent at all.
fn is_storable(text: &str) -> bool {
    !text.contains('\0')
}

fn read_session(row: &PgRow, start: usize) -> StorageResult<Session> {
    Ok(Session {
        id: row.try_get(start)?,
        expires_at: row.try_get(start + 1)?,
        token: SessionToken::new(row.try_get::<String, _>(start + 2)?),
        created_at: row.try_get(start + 3)?,
        updated_at: row.try_get(start + 4)?,
        ip_address: row.try_get(start + 5)?,
        user_agent: row.try_get(start + 6)?,
        user_id: row.try_get(start + 7)?,
    })
}

fn read_user(row: &PgRow, start: usize) -> StorageResult<User> {
    Ok(User {
        id: row.try_get(start)?,
        name: row.try_get(start + 1)?,
        email: row.try_get(start + 2)?,
        email_verified: row.try_get(start + 3)?,
        image: row.try_get(start + 4)?,
        created_at: row.try_get(start + 5)?,
        updated_at: row.try_get(start + 6)?,
    })
}
