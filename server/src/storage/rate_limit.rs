//! Rate-limit counters in the database, shared by every replica.
//!
//! The table is Better Auth's `rateLimit` (`id`, `key` unique, `count`,
//! `lastRequest` in Unix milliseconds), created only when the database store
//! is chosen. Here `lastRequest` stores the start of the current window. Keys
//! start with `ott:`, so they never meet Better Auth's own keys.

use sqlx::Row;

use super::{Database, StorageError, StorageResult};
use crate::crypto::generate_id;

const SQLITE_TABLE: &str = r#"CREATE TABLE IF NOT EXISTS "rateLimit" ("id" text not null primary key, "key" text not null unique, "count" integer not null, "lastRequest" bigint not null)"#;
const POSTGRES_TABLE: &str = r#"CREATE TABLE IF NOT EXISTS "rateLimit" ("id" text not null primary key, "key" text not null unique, "count" integer not null, "lastRequest" bigint not null)"#;
const MYSQL_TABLE: &str = "CREATE TABLE IF NOT EXISTS `rateLimit` (`id` varchar(255) not null primary key, `key` varchar(255) COLLATE utf8mb4_bin not null unique, `count` integer not null, `lastRequest` bigint not null) DEFAULT CHARSET = utf8mb4";

// One statement counts the request: it inserts a new window or bumps the
// current one, and starts a new window once the old one has ended. Both
// databases evaluate every SET expression against the old row.
const SQLITE_HIT: &str = r#"INSERT INTO "rateLimit" ("id", "key", "count", "lastRequest") VALUES (?1, ?2, 1, ?3)
ON CONFLICT ("key") DO UPDATE SET
  "count" = CASE WHEN "rateLimit"."lastRequest" <= ?4 THEN 1 ELSE "rateLimit"."count" + 1 END,
  "lastRequest" = CASE WHEN "rateLimit"."lastRequest" <= ?4 THEN ?3 ELSE "rateLimit"."lastRequest" END
RETURNING "count", "lastRequest""#;
const POSTGRES_HIT: &str = r#"INSERT INTO "rateLimit" ("id", "key", "count", "lastRequest") VALUES ($1, $2, 1, $3)
ON CONFLICT ("key") DO UPDATE SET
  "count" = CASE WHEN "rateLimit"."lastRequest" <= $4 THEN 1 ELSE "rateLimit"."count" + 1 END,
  "lastRequest" = CASE WHEN "rateLimit"."lastRequest" <= $4 THEN $3 ELSE "rateLimit"."lastRequest" END
RETURNING "count", "lastRequest""#;
// MySQL applies SET assignments left to right, so `count` is computed while
// `lastRequest` still holds the old window start.
const MYSQL_HIT: &str = "INSERT INTO `rateLimit` (`id`, `key`, `count`, `lastRequest`) VALUES (?, ?, 1, ?)
ON DUPLICATE KEY UPDATE
  `count` = IF(`lastRequest` <= ?, 1, `count` + 1),
  `lastRequest` = IF(`lastRequest` <= ?, ?, `lastRequest`)";
const MYSQL_READ: &str = "SELECT `count`, `lastRequest` FROM `rateLimit` WHERE `key` = BINARY ?";

impl Database {
    /// Creates the `rateLimit` table when it is missing.
    ///
    /// # Errors
    ///
    /// Fails when the statement does.
    pub async fn create_rate_limit_table(&self) -> StorageResult<()> {
        match self {
            Self::Sqlite(store) => {
                sqlx::query(SQLITE_TABLE).execute(store.pool()).await?;
            }
            Self::Postgres(store) => {
                sqlx::query(POSTGRES_TABLE).execute(store.pool()).await?;
            }
            Self::Mysql(store) => {
                sqlx::query(MYSQL_TABLE).execute(store.pool()).await?;
            }
        }
        Ok(())
    }

    /// Counts one request under `key` at `now_ms` in windows of `window_ms`,
    /// and returns the count in the current window and the window's start.
    ///
    /// # Errors
    ///
    /// Fails when the database does.
    pub async fn hit_rate_limit(&self, key: &str, now_ms: i64, window_ms: i64) -> StorageResult<(u32, i64)> {
        let ended_before = now_ms - window_ms;
        let (count, start): (i64, i64) = match self {
            Self::Sqlite(store) => {
                let row = sqlx::query(SQLITE_HIT)
                    .bind(generate_id())
                    .bind(key)
                    .bind(now_ms)
                    .bind(ended_before)
                    .fetch_one(store.pool())
                    .await?;
                (row.try_get(0)?, row.try_get(1)?)
            }
            Self::Postgres(store) => {
                let row = sqlx::query(POSTGRES_HIT)
                    .bind(generate_id())
                    .bind(key)
                    .bind(now_ms)
                    .bind(ended_before)
                    .fetch_one(store.pool())
                    .await?;
                (i64::from(row.try_get::<i32, _>(0)?), row.try_get(1)?)
            }
            Self::Mysql(store) => {
                let mut tx = store.pool().begin().await?;
                sqlx::query(MYSQL_HIT)
                    .bind(generate_id())
                    .bind(key)
                    .bind(now_ms)
                    .bind(ended_before)
                    .bind(ended_before)
                    .bind(now_ms)
                    .execute(&mut *tx)
                    .await?;
                // The row stays locked by this transaction until the commit.
                let row = sqlx::query(MYSQL_READ).bind(key).fetch_one(&mut *tx).await?;
                tx.commit().await?;
                (i64::from(row.try_get::<i32, _>(0)?), row.try_get(1)?)
            }
        };
        let count = u32::try_from(count).map_err(|_| StorageError::Corrupt {
            column: "rateLimit.count",
            reason: format!("{count} is not a count"),
        })?;
        Ok((count, start))
    }
}
