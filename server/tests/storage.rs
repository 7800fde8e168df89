//! The storage layer on each database, through the library API: exact
//! identifier matching, MySQL's locking-read consume, and statement
//! timeouts.
//!
//! The database comes from `OTT_TEST_DATABASE` (`sqlite`, `postgres` or
//! `mysql`).

mod common;
mod process;

use std::str::FromStr as _;
use std::time::{Duration, Instant};

use chrono::Utc;
use futures::future::join_all;
use ott_server::Database;
use ott_server::SessionToken;
use ott_server::model::Verification;
use ott_server::storage::mysql::{ConsumeStrategy, MysqlStore};
use ott_server::storage::{ConnectOptions, ONE_TIME_TOKEN_PREFIX};
use sqlx::Connection as _;
use sqlx::mysql::{MySqlConnectOptions, MySqlPoolOptions};

use common::{Backend, TestDatabase};
use process::DirectDatabase;

/// Concurrent consumes of each token, one per pooled connection.
const CONNECTIONS: u32 = 16;

/// MariaDB takes the `DELETE ... RETURNING` path, so the locking-read path
/// that MySQL servers take is exercised here by choosing it explicitly, with
/// 16 pooled connections redeeming each token at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn mysql_locking_read_consumes_once() {
    let database = TestDatabase::create().await;
    if database.backend != Backend::Mysql {
        eprintln!("skipped: the locking-read consume is MySQL's; run with OTT_TEST_DATABASE=mysql");
        return;
    }
    let options = MySqlConnectOptions::from_str(&database.url)
        .expect("MySQL URL")
        .timezone(Some("+00:00".to_owned()));
    let pool = MySqlPoolOptions::new()
        .max_connections(CONNECTIONS)
        .connect_with(options)
        .await
        .expect("connect MySQL");
    let store = Database::Mysql(MysqlStore::from_pool(pool, ConsumeStrategy::LockingRead));
    store.migrate().await.expect("migrate");

    let now = Utc::now();
    let identifiers: Vec<String> = (0..50)
        .map(|index| format!("{ONE_TIME_TOKEN_PREFIX}locking-{index}"))
        .collect();
    for (index, identifier) in identifiers.iter().enumerate() {
        let verification = Verification {
            id: format!("locking{index}"),
            identifier: identifier.clone(),
            value: SessionToken::new("session-token-of-nobody"),
            expires_at: now + chrono::Duration::minutes(3),
            created_at: now,
        };
        store
            .create_verification(&verification)
            .await
            .expect("insert verification");
    }

    for identifier in &identifiers {
        let attempts = (0..CONNECTIONS).map(|_| store.consume_verification(identifier));
        let results = join_all(attempts).await;
        let winners = results
            .into_iter()
            .map(|result| result.expect("consume without a database error"))
            .filter(|rows| !rows.is_empty())
            .count();
        assert_eq!(winners, 1, "{identifier}: one consume returns the row");
    }
    assert_eq!(DirectDatabase::connect(&database).await.count("verification").await, 0);
    assert_consumes_exactly(&store).await;
}

/// Every backend's consume matches the identifier byte for byte, even where
/// MySQL's collations would ignore case or trailing spaces.
#[tokio::test]
async fn consume_matches_identifier_exactly() {
    let database = TestDatabase::create().await;
    let store = Database::connect(&database.url, &ConnectOptions::default())
        .await
        .expect("connect");
    store.migrate().await.expect("migrate");
    assert_consumes_exactly(&store).await;
}

async fn assert_consumes_exactly(store: &Database) {
    let now = Utc::now();
    let identifier = format!("{ONE_TIME_TOKEN_PREFIX}Exact-Case");
    let verification = Verification {
        id: "exactcase".to_owned(),
        identifier: identifier.clone(),
        value: SessionToken::new("session-token-of-nobody"),
        expires_at: now + chrono::Duration::minutes(3),
        created_at: now,
    };
    store
        .create_verification(&verification)
        .await
        .expect("insert verification");
    for near_miss in [
        identifier.to_uppercase(),
        identifier.to_lowercase(),
        format!("{identifier} "),
    ] {
        let rows = store.consume_verification(&near_miss).await.expect("consume");
        assert!(rows.is_empty(), "{near_miss:?} must not match {identifier:?}");
    }
    let rows = store.consume_verification(&identifier).await.expect("consume");
    assert_eq!(rows.len(), 1, "the exact identifier matches");
    assert_eq!(rows[0].identifier, identifier);
}

/// A statement that outlives `--db-statement-timeout` is cancelled by the
/// database (Postgres, MariaDB), and on SQLite a write that waits longer for
/// another connection's lock fails.
#[tokio::test]
async fn statement_timeout_cancels_long_statement() {
    let database = TestDatabase::create().await;
    let options = ConnectOptions::default().with_statement_timeout(Some(Duration::from_secs(1)));
    let store = Database::connect(&database.url, &options).await.expect("connect");
    store.migrate().await.expect("migrate");

    let start = Instant::now();
    let result = match &store {
        Database::Postgres(postgres) => sqlx::query("SELECT pg_sleep(5)")
            .execute(postgres.pool())
            .await
            .map(|_| ()),
        Database::Mysql(mysql) => sqlx::query("SELECT SLEEP(5)").execute(mysql.pool()).await.map(|_| ()),
        Database::Sqlite(sqlite) => {
            // Another connection holds the write lock for the whole attempt.
            let mut blocker = sqlx::SqliteConnection::connect(&database.url)
                .await
                .expect("second connection");
            sqlx::query("BEGIN IMMEDIATE")
                .execute(&mut blocker)
                .await
                .expect("take the write lock");
            let result = sqlx::query(r#"DELETE FROM "verification""#)
                .execute(sqlite.pool())
                .await
                .map(|_| ());
            sqlx::query("ROLLBACK")
                .execute(&mut blocker)
                .await
                .expect("release the write lock");
            result
        }
    };
    let took = start.elapsed();
    assert!(result.is_err(), "the statement fails once the timeout passes");
    assert!(
        took >= Duration::from_millis(900),
        "the statement ran for the timeout first: {took:?}"
    );
    assert!(
        took < Duration::from_secs(4),
        "the statement was stopped early: {took:?}"
    );
}
