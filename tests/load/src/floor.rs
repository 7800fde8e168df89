//! The floor: the SQL statements one generate + verify pair runs in
//! ott-server, executed back to back through sqlx on one connection, with no
//! HTTP, no JSON and no cookies. ott-server's pairs per second as a share of
//! this rate shows how much its HTTP and Rust layers cost on top.
//!
//! One pair is: session lookup with its user (generate), verification
//! insert, `DELETE ... RETURNING` of that row, session lookup with its user
//! (verify), session insert. The statements are the ones in
//! `server/src/storage/sqlite.rs` and `postgres.rs`, and the SQLite
//! connection uses the same settings (WAL, `synchronous = NORMAL`, foreign
//! keys, busy timeout).

use std::str::FromStr;
use std::time::Duration;

use chrono::{DateTime, Utc};
use sqlx::postgres::PgRow;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteRow, SqliteSynchronous};
use sqlx::{Connection as _, PgConnection, Row, SqliteConnection};
use tokio::time::Instant;

use crate::procstat;
use crate::servers::{Environment, TempDatabase, migrate_with_ott_server};

const SESSION_COLUMNS: &str =
    r#"s."id", s."expiresAt", s."token", s."createdAt", s."updatedAt", s."ipAddress", s."userAgent", s."userId""#;
const USER_COLUMNS: &str = r#"u."id", u."name", u."email", u."emailVerified", u."image", u."createdAt", u."updatedAt""#;

/// ott-server's default statement timeout, used as SQLite's busy timeout.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// Upper bound of pairs in one floor run, a safety stop beside the deadline.
const MAX_PAIRS: u64 = 50_000_000;

/// Result of one floor run.
#[derive(Debug, Clone, Copy, Default)]
pub struct FloorMeasurement {
    pub pairs: u64,
    pub seconds: f64,
    /// CPU time of this process (the sqlx driver included) per pair, in ms.
    pub cpu_ms_per_pair: f64,
}

impl FloorMeasurement {
    pub fn pairs_per_second(&self) -> f64 {
        if self.seconds > 0.0 {
            self.pairs as f64 / self.seconds
        } else {
            0.0
        }
    }
}

/// Fresh values for each row, unique within a run.
struct RowValues {
    prefix: String,
    counter: u64,
}

impl RowValues {
    fn new() -> anyhow::Result<Self> {
        const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
        let mut random = [0u8; 16];
        getrandom::fill(&mut random)?;
        let prefix = random
            .iter()
            .map(|byte| char::from(ALPHABET[usize::from(*byte) % ALPHABET.len()]))
            .collect();
        Ok(Self { prefix, counter: 0 })
    }

    /// Generates a new 32-character value.
    fn next(&mut self) -> String {
        self.counter += 1;
        format!("{}{:016}", self.prefix, self.counter)
    }
}

fn to_text(instant: &DateTime<Utc>) -> String {
    instant.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

/// Reads every column of a session-and-user row, as ott-server does.
fn read_sqlite_row(row: &SqliteRow) -> anyhow::Result<()> {
    for index in [0, 1, 2, 3, 4, 7, 8, 9, 10, 13, 14] {
        let _: String = row.try_get(index)?;
    }
    for index in [5, 6, 12] {
        let _: Option<String> = row.try_get(index)?;
    }
    let _: i64 = row.try_get(11)?;
    Ok(())
}

fn read_postgres_row(row: &PgRow) -> anyhow::Result<()> {
    for index in [0, 2, 7, 8, 9, 10] {
        let _: String = row.try_get(index)?;
    }
    for index in [1, 3, 4, 13, 14] {
        let _: DateTime<Utc> = row.try_get(index)?;
    }
    for index in [5, 6, 12] {
        let _: Option<String> = row.try_get(index)?;
    }
    let _: bool = row.try_get(11)?;
    Ok(())
}

/// Runs the floor on a fresh database of `backend`'s kind for `warmup`
/// plus `measure`.
///
/// # Errors
///
/// Fails when the database cannot be created or a statement fails.
pub async fn run_floor(
    database: &TempDatabase,
    environment: &Environment,
    warmup: Duration,
    measure: Duration,
) -> anyhow::Result<FloorMeasurement> {
    migrate_with_ott_server(environment, database).await?;
    let begin = Instant::now();
    let window_start = begin + warmup;
    let window_end = window_start + measure;
    match database {
        TempDatabase::Sqlite { .. } => {
            let options = SqliteConnectOptions::from_str(&database.url())?
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .foreign_keys(true)
                .busy_timeout(BUSY_TIMEOUT);
            let mut connection = SqliteConnection::connect_with(&options).await?;
            let result = sqlite_loop(&mut connection, window_start, window_end).await;
            connection.close().await?;
            result
        }
        TempDatabase::Postgres { url, .. } => {
            let mut connection = PgConnection::connect(url).await?;
            let result = postgres_loop(&mut connection, window_start, window_end).await;
            connection.close().await?;
            result
        }
    }
}

/// Counts pairs that end inside the window and this process's CPU time
/// across it.
struct FloorClock {
    window_start: Instant,
    window_end: Instant,
    pairs: u64,
    cpu_before: Option<u64>,
}

impl FloorClock {
    /// Notes a finished pair; returns false once the window has ended.
    fn pair_done(&mut self) -> anyhow::Result<bool> {
        let now = Instant::now();
        if now >= self.window_start && self.cpu_before.is_none() {
            self.cpu_before = Some(procstat::cpu_ticks(std::process::id())?);
        }
        if now >= self.window_start && now <= self.window_end {
            self.pairs += 1;
        }
        Ok(now < self.window_end)
    }

    fn finish(self) -> anyhow::Result<FloorMeasurement> {
        let cpu_after = procstat::cpu_ticks(std::process::id())?;
        let ticks = cpu_after.saturating_sub(self.cpu_before.unwrap_or(cpu_after));
        let cpu_seconds = ticks as f64 / procstat::clock_ticks_per_second() as f64;
        let seconds = (self.window_end - self.window_start).as_secs_f64();
        Ok(FloorMeasurement {
            pairs: self.pairs,
            seconds,
            cpu_ms_per_pair: if self.pairs > 0 {
                cpu_seconds * 1000.0 / self.pairs as f64
            } else {
                f64::NAN
            },
        })
    }
}

async fn sqlite_loop(
    connection: &mut SqliteConnection,
    window_start: Instant,
    window_end: Instant,
) -> anyhow::Result<FloorMeasurement> {
    let mut values = RowValues::new()?;
    let now = to_text(&Utc::now());
    let later = to_text(&(Utc::now() + chrono::Duration::days(7)));
    let user_id = values.next();
    let session_token = values.next();
    sqlx::query(r#"INSERT INTO "user" ("id", "name", "email", "emailVerified", "image", "createdAt", "updatedAt") VALUES (?, 'Floor', 'floor@example.test', 0, NULL, ?, ?)"#)
        .bind(&user_id).bind(&now).bind(&now).execute(&mut *connection).await?;
    let insert_session = r#"INSERT INTO "session" ("id", "expiresAt", "token", "createdAt", "updatedAt", "ipAddress", "userAgent", "userId") VALUES (?, ?, ?, ?, ?, ?, ?, ?)"#;
    sqlx::query(insert_session)
        .bind(values.next())
        .bind(&later)
        .bind(&session_token)
        .bind(&now)
        .bind(&now)
        .bind("")
        .bind("ott-load")
        .bind(&user_id)
        .execute(&mut *connection)
        .await?;

    let find_session = format!(
        r#"SELECT {SESSION_COLUMNS}, {USER_COLUMNS} FROM "session" s JOIN "user" u ON u."id" = s."userId" WHERE s."token" = ?"#
    );
    let insert_verification = r#"INSERT INTO "verification" ("id", "identifier", "value", "expiresAt", "createdAt", "updatedAt") VALUES (?, ?, ?, ?, ?, ?)"#;
    let consume = r#"DELETE FROM "verification" WHERE "identifier" = ? RETURNING "id", "identifier", "value", "expiresAt", "createdAt""#;
    let mut clock = FloorClock {
        window_start,
        window_end,
        pairs: 0,
        cpu_before: None,
    };
    for _ in 0..MAX_PAIRS {
        let row = sqlx::query(&find_session)
            .bind(&session_token)
            .fetch_one(&mut *connection)
            .await?;
        read_sqlite_row(&row)?;
        let now = Utc::now();
        let identifier = format!("one-time-token:{}", values.next());
        sqlx::query(insert_verification)
            .bind(values.next())
            .bind(&identifier)
            .bind(&session_token)
            .bind(to_text(&(now + chrono::Duration::minutes(3))))
            .bind(to_text(&now))
            .bind(to_text(&now))
            .execute(&mut *connection)
            .await?;

        let rows = sqlx::query(consume)
            .bind(&identifier)
            .fetch_all(&mut *connection)
            .await?;
        let value: String = rows.first().map(|row| row.try_get(2)).transpose()?.unwrap_or_default();
        let row = sqlx::query(&find_session)
            .bind(&value)
            .fetch_one(&mut *connection)
            .await?;
        read_sqlite_row(&row)?;
        let now = Utc::now();
        sqlx::query(insert_session)
            .bind(values.next())
            .bind(to_text(&(now + chrono::Duration::days(7))))
            .bind(values.next())
            .bind(to_text(&now))
            .bind(to_text(&now))
            .bind("")
            .bind("ott-load")
            .bind(&user_id)
            .execute(&mut *connection)
            .await?;
        if !clock.pair_done()? {
            break;
        }
    }
    clock.finish()
}

async fn postgres_loop(
    connection: &mut PgConnection,
    window_start: Instant,
    window_end: Instant,
) -> anyhow::Result<FloorMeasurement> {
    let mut values = RowValues::new()?;
    let now = Utc::now();
    let user_id = values.next();
    let session_token = values.next();
    sqlx::query(r#"INSERT INTO "user" ("id", "name", "email", "emailVerified", "image", "createdAt", "updatedAt") VALUES ($1, 'Floor', 'floor@example.test', false, NULL, $2, $2)"#)
        .bind(&user_id).bind(now).execute(&mut *connection).await?;
    let insert_session = r#"INSERT INTO "session" ("id", "expiresAt", "token", "createdAt", "updatedAt", "ipAddress", "userAgent", "userId") VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"#;
    sqlx::query(insert_session)
        .bind(values.next())
        .bind(now + chrono::Duration::days(7))
        .bind(&session_token)
        .bind(now)
        .bind(now)
        .bind("")
        .bind("ott-load")
        .bind(&user_id)
        .execute(&mut *connection)
        .await?;

    let find_session = format!(
        r#"SELECT {SESSION_COLUMNS}, {USER_COLUMNS} FROM "session" s JOIN "user" u ON u."id" = s."userId" WHERE s."token" = $1"#
    );
    let insert_verification = r#"INSERT INTO "verification" ("id", "identifier", "value", "expiresAt", "createdAt", "updatedAt") VALUES ($1, $2, $3, $4, $5, $5)"#;
    let consume = r#"DELETE FROM "verification" WHERE "identifier" = $1 RETURNING "id", "identifier", "value", "expiresAt", "createdAt""#;
    let mut clock = FloorClock {
        window_start,
        window_end,
        pairs: 0,
        cpu_before: None,
    };
    for _ in 0..MAX_PAIRS {
        let row = sqlx::query(&find_session)
            .bind(&session_token)
            .fetch_one(&mut *connection)
            .await?;
        read_postgres_row(&row)?;
        let now = Utc::now();
        let identifier = format!("one-time-token:{}", values.next());
        sqlx::query(insert_verification)
            .bind(values.next())
            .bind(&identifier)
            .bind(&session_token)
            .bind(now + chrono::Duration::minutes(3))
            .bind(now)
            .execute(&mut *connection)
            .await?;

        let rows = sqlx::query(consume)
            .bind(&identifier)
            .fetch_all(&mut *connection)
            .await?;
        let value: String = rows.first().map(|row| row.try_get(2)).transpose()?.unwrap_or_default();
        let row = sqlx::query(&find_session)
            .bind(&value)
            .fetch_one(&mut *connection)
            .await?;
        read_postgres_row(&row)?;
        let now = Utc::now();
        sqlx::query(insert_session)
            .bind(values.next())
            .bind(now + chrono::Duration::days(7))
            .bind(values.next())
            .bind(now)
            .bind(now)
            .bind("")
            .bind("ott-load")
            .bind(&user_id)
            .execute(&mut *connection)
            .await?;
        if !clock.pair_done()? {
            break;
        }
    }
    clock.finish()
}
