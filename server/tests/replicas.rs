//! Several `ott-server` processes on one database behave as one server:
//! every one-time token is redeemed exactly once, whichever replica each of
//! its simultaneous redemptions reaches.
//!
//! The database comes from `OTT_TEST_DATABASE` (`sqlite`, `postgres` or
//! `mysql`); on SQLite the replicas share one file.

mod common;
mod process;

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use futures::StreamExt as _;
use futures::future::join_all;
use serde_json::Value;

use common::TestDatabase;
use process::{DirectDatabase, ServerProcess, generate, sign_up};

const REPLICAS: usize = 3;
const TOKENS: usize = 200;
const VERIFIES_PER_TOKEN: usize = 16;
/// Tokens whose redemptions are in flight together: 4 x 16 = 64 requests.
const TOKENS_IN_FLIGHT: usize = 4;

/// Status and JSON body of one verify response.
struct Outcome {
    status: u16,
    body: Value,
}

async fn verify(client: &reqwest::Client, replica: &ServerProcess, token: &str) -> Outcome {
    let response = client
        .post(replica.url("/one-time-token/verify"))
        .json(&serde_json::json!({ "token": token }))
        .send()
        .await
        .unwrap_or_else(|err| panic!("verify on {} failed without a response: {err}", replica.address));
    let status = response.status().as_u16();
    let text = response.text().await.expect("complete response body");
    let body = serde_json::from_str(&text).unwrap_or(Value::Null);
    Outcome { status, body }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn replicas_redeem_each_token_once() {
    let database = TestDatabase::create().await;
    // Started together, so the three processes also migrate at the same time.
    // Rate limits are off: this is a load test from one client address.
    let replicas = ServerProcess::start_many(REPLICAS, &database.url, &["--rate-limit", "off"]);
    let client = reqwest::Client::new();

    let cookie = sign_up(&client, &replicas[0], "replicas@example.test").await;
    let mut tokens = Vec::with_capacity(TOKENS);
    for index in 0..TOKENS {
        // The session cookie of one replica is valid on every other one.
        tokens.push(generate(&client, &replicas[index % REPLICAS], &cookie).await);
    }
    let direct = DirectDatabase::connect(&database).await;
    assert_eq!(direct.count("session").await, 1, "only the sign-up session exists");
    assert_eq!(direct.count("verification").await, TOKENS as i64);

    let rounds: Vec<Vec<Outcome>> = futures::stream::iter(tokens.iter().enumerate())
        .map(|(index, token)| {
            let attempts =
                (0..VERIFIES_PER_TOKEN).map(|attempt| verify(&client, &replicas[(index + attempt) % REPLICAS], token));
            join_all(attempts)
        })
        .buffer_unordered(TOKENS_IN_FLIGHT)
        .collect()
        .await;

    let outcomes: Vec<&Outcome> = rounds.iter().flatten().collect();
    let server_errors = outcomes.iter().filter(|outcome| outcome.status >= 500).count();
    let successes: Vec<&&Outcome> = outcomes.iter().filter(|outcome| outcome.status == 200).collect();
    let invalid = outcomes
        .iter()
        .filter(|outcome| outcome.status == 400 && outcome.body["code"] == "INVALID_TOKEN")
        .count();
    assert_eq!(server_errors, 0, "no request may fail with a 5xx");
    assert_eq!(successes.len(), TOKENS, "each token is redeemed exactly once");
    assert_eq!(
        invalid,
        TOKENS * (VERIFIES_PER_TOKEN - 1),
        "every other attempt gets INVALID_TOKEN"
    );
    for (index, round) in rounds.iter().enumerate() {
        let winners = round.iter().filter(|outcome| outcome.status == 200).count();
        assert_eq!(winners, 1, "round {index}: one redemption wins");
    }

    let new_tokens: HashSet<&str> = successes
        .iter()
        .map(|outcome| outcome.body["token"].as_str().expect("new session token"))
        .collect();
    assert_eq!(new_tokens.len(), TOKENS, "each redemption creates its own session");
    assert_eq!(direct.count("session").await, 1 + TOKENS as i64, "200 new sessions");
    assert_eq!(direct.count("verification").await, 0, "no verification rows left");

    // The database connection runs at another offset than UTC (see
    // TestDatabase), and still reads the instant that the server returned.
    let sample = &successes[0].body;
    let answered: DateTime<Utc> = sample["session"]["createdAt"]
        .as_str()
        .expect("createdAt")
        .parse()
        .expect("ISO 8601 date");
    let stored = direct
        .session_created_at(sample["token"].as_str().expect("token"))
        .await;
    assert_eq!(stored, answered, "stored createdAt is the instant in the response");

    // No one-time token, session token, cookie or password reached a log.
    let session_token = cookie
        .split_once('=')
        .and_then(|(_, value)| value.split_once('.'))
        .map(|(token, _)| token.to_owned())
        .expect("signed cookie value");
    let mut secrets: Vec<&str> = tokens.iter().map(String::as_str).collect();
    secrets.extend(new_tokens.iter().copied());
    secrets.extend([session_token.as_str(), "password1234"]);
    for replica in &replicas {
        let log = replica.log();
        assert!(log.contains("request finished"), "the replica logged its requests");
        for secret in &secrets {
            assert!(
                !log.contains(secret),
                "a secret appears in the log of {}",
                replica.address
            );
        }
    }
}
