//! Expired one-time tokens leave the database without anyone presenting
//! them: the server's sweeper removes them within one interval, and
//! `ott-server cleanup` removes them on demand. Unexpired tokens and other
//! plugins' verification rows stay.
//!
//! The database comes from `OTT_TEST_DATABASE` (`sqlite`, `postgres` or
//! `mysql`).

mod common;
mod process;

use std::time::{Duration, Instant};

use chrono::Utc;

use common::TestDatabase;
use process::{DirectDatabase, ServerProcess, VerificationRow, run_command};

const PREFIX: &str = "one-time-token:";
/// Sweep interval given to the server, in seconds.
const SWEEP_INTERVAL_SECS: u64 = 1;
/// Time a sweep may take on top of the interval before the test fails.
const SWEEP_GRACE: Duration = Duration::from_secs(1);
/// Maximum wait for any condition. Running out of it fails the test.
const POLL_DEADLINE: Duration = Duration::from_secs(30);
const POLL_PAUSE: Duration = Duration::from_millis(25);

/// Rows of one kind: `count` rows named `<identifier_prefix><n>` that expire
/// `expires_in` from now (negative for the past).
fn rows(identifier_prefix: &str, count: usize, expires_in: chrono::Duration) -> Vec<VerificationRow> {
    let expires_at = Utc::now() + expires_in;
    (0..count)
        .map(|index| VerificationRow {
            id: format!("{identifier_prefix}{index}").replace([':', '-'], "_"),
            identifier: format!("{identifier_prefix}{index}"),
            value: "session-token-of-nobody".to_owned(),
            expires_at,
        })
        .collect()
}

/// Inserts the rows that must survive every sweep: unexpired one-time
/// tokens, and another plugin's rows that are expired but not ours to delete.
async fn insert_survivors(direct: &DirectDatabase) -> i64 {
    let mut survivors = rows(&format!("{PREFIX}live-"), 50, chrono::Duration::hours(1));
    survivors.extend(rows("email-verification:", 20, chrono::Duration::hours(-1)));
    direct.insert_verifications(&survivors).await;
    survivors.len() as i64
}

/// Polls until no one-time token with `PREFIX` expired before now remains,
/// and returns how long that took.
async fn wait_until_expired_tokens_gone(direct: &DirectDatabase, server: &ServerProcess) -> Duration {
    let start = Instant::now();
    loop {
        let left = direct.count_verifications_expiring_before(PREFIX, Utc::now()).await;
        if left == 0 {
            return start.elapsed();
        }
        assert!(
            start.elapsed() < POLL_DEADLINE,
            "{left} expired tokens still present after {POLL_DEADLINE:?}; server log:\n{}",
            server.log()
        );
        tokio::time::sleep(POLL_PAUSE).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sweeper_removes_expired_tokens_within_interval() {
    let database = TestDatabase::create().await;
    let interval = SWEEP_INTERVAL_SECS.to_string();
    let server = ServerProcess::start(&database.url, &["--sweep-interval", &interval]);
    let direct = DirectDatabase::connect(&database).await;
    let survivors = insert_survivors(&direct).await;

    direct
        .insert_verifications(&rows(
            &format!("{PREFIX}expired-"),
            1_000,
            chrono::Duration::minutes(-1),
        ))
        .await;
    assert_eq!(direct.count("verification").await, survivors + 1_000);
    let took = wait_until_expired_tokens_gone(&direct, &server).await;
    let limit = Duration::from_secs(SWEEP_INTERVAL_SECS) + SWEEP_GRACE;
    assert!(
        took <= limit,
        "1,000 expired tokens took {took:?} to go; limit {limit:?}"
    );

    // One more expired token going away proves that a later sweep ran, and
    // the survivors were still there after it.
    direct
        .insert_verifications(&rows(&format!("{PREFIX}sentinel-"), 1, chrono::Duration::seconds(-1)))
        .await;
    wait_until_expired_tokens_gone(&direct, &server).await;
    assert_eq!(
        direct.count("verification").await,
        survivors,
        "unexpired and foreign rows stay"
    );
    let identifiers = direct.verification_identifiers().await;
    assert_eq!(
        identifiers
            .iter()
            .filter(|identifier| identifier.starts_with("email-verification:"))
            .count(),
        20,
        "expired rows of other plugins stay"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cleanup_command_removes_expired_tokens() {
    let database = TestDatabase::create().await;
    let (status, log) = run_command("migrate", &database.url, &[]);
    assert!(status.success(), "migrate failed ({status}); log:\n{log}");
    let direct = DirectDatabase::connect(&database).await;
    let survivors = insert_survivors(&direct).await;
    // More than one batch of 1,000, so the command has to loop.
    direct
        .insert_verifications(&rows(
            &format!("{PREFIX}expired-"),
            2_500,
            chrono::Duration::minutes(-1),
        ))
        .await;

    let (status, log) = run_command("cleanup", &database.url, &[]);
    assert!(status.success(), "cleanup failed ({status}); log:\n{log}");
    assert!(
        log.contains("verifications=2500"),
        "cleanup reports what it deleted; log:\n{log}"
    );
    assert_eq!(
        direct.count_verifications_expiring_before(PREFIX, Utc::now()).await,
        0,
        "no expired token left"
    );
    assert_eq!(
        direct.count("verification").await,
        survivors,
        "unexpired and foreign rows stay"
    );
}
