//! SIGTERM stops `ott-server` gracefully: it stops accepting connections,
//! finishes every request it has accepted with a full response, and exits
//! with status 0.
//!
//! The database comes from `OTT_TEST_DATABASE` (`sqlite`, `postgres` or
//! `mysql`).

mod common;
mod process;

use std::collections::{HashSet, VecDeque};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

use common::TestDatabase;
use process::{DirectDatabase, ServerProcess, generate, sign_up};

const PREFIX: &str = "one-time-token:";
/// Tokens available to the request stream; more than it uses before the
/// signal, so the stream is still running when the server stops.
const STREAM_TOKENS: usize = 400;
/// Clients sending verifies at the same time.
const CLIENTS: usize = 8;
/// Responses received before SIGTERM is sent.
const RESPONSES_BEFORE_SIGNAL: usize = 40;
/// Maximum wait for any condition. Running out of it fails the test.
const DEADLINE: Duration = Duration::from_secs(30);

/// What one client saw for one token.
#[derive(Debug, Clone)]
enum Outcome {
    /// The request was never sent.
    NotSent,
    /// A response arrived; `complete` is whether its body was read in full
    /// and is the JSON of a redemption.
    Response { status: u16, complete: bool },
    /// The request failed without a response (refused, reset or closed).
    Failed,
}

async fn wait_for(condition: impl Fn() -> bool, what: &str, server: &ServerProcess) {
    let start = Instant::now();
    while !condition() {
        assert!(
            start.elapsed() < DEADLINE,
            "timed out waiting for {what}; server log:\n{}",
            server.log()
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sigterm_finishes_request_in_progress() {
    let database = TestDatabase::create().await;
    let mut server = ServerProcess::start(&database.url, &["--rate-limit", "off"]);
    let client = reqwest::Client::new();
    let cookie = sign_up(&client, &server, "shutdown@example.test").await;
    let token = generate(&client, &server, &cookie).await;

    // With `Expect: 100-continue` the server sends `100 Continue` only once
    // its handler starts reading the body, so after that interim response
    // the request is certainly accepted and in progress.
    let body = serde_json::json!({ "token": token }).to_string();
    let head = format!(
        "POST /api/auth/one-time-token/verify HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n",
        server.address,
        body.len()
    );
    let mut stream = TcpStream::connect(server.address).await.expect("connect");
    stream.write_all(head.as_bytes()).await.expect("send request head");
    let interim = read_until_blank_line(&mut stream).await;
    assert!(
        interim.starts_with("HTTP/1.1 100"),
        "expected 100 Continue, got {interim:?}"
    );

    server.terminate();
    wait_for(
        || server.log().contains("SIGTERM received"),
        "the server to log SIGTERM",
        &server,
    )
    .await;
    // The signal is logged just before the listener closes, so new
    // connections are refused a moment later.
    let stop_logged = Instant::now();
    while TcpStream::connect(server.address).await.is_ok() {
        assert!(
            stop_logged.elapsed() < DEADLINE,
            "the stopping server still accepts connections after {DEADLINE:?}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }

    stream.write_all(body.as_bytes()).await.expect("send request body");
    let mut response = Vec::new();
    tokio::time::timeout(DEADLINE, stream.read_to_end(&mut response))
        .await
        .expect("response within the deadline")
        .expect("read response");
    let response = String::from_utf8(response).expect("UTF-8 response");
    let (headers, body) = response.split_once("\r\n\r\n").expect("complete response head");
    assert!(
        headers.starts_with("HTTP/1.1 200"),
        "the accepted request succeeds: {headers}"
    );
    let length: usize = headers
        .lines()
        .find_map(|line| {
            line.to_ascii_lowercase()
                .strip_prefix("content-length:")
                .map(|v| v.trim().to_owned())
        })
        .expect("content-length header")
        .parse()
        .expect("numeric content-length");
    assert_eq!(body.len(), length, "the whole body arrives");
    let json: serde_json::Value = serde_json::from_str(body).expect("JSON body");
    assert!(json["session"]["id"].is_string(), "the body is a redemption");

    let status = server.wait_exit();
    assert_eq!(
        status.code(),
        Some(0),
        "exit status after SIGTERM; log:\n{}",
        server.log()
    );
    let direct = DirectDatabase::connect(&database).await;
    assert_eq!(direct.count("verification").await, 0, "the token was consumed");
}

/// Reads from `stream` up to and including the first empty line.
async fn read_until_blank_line(stream: &mut TcpStream) -> String {
    let mut received = Vec::new();
    let mut byte = [0_u8; 1];
    while !received.ends_with(b"\r\n\r\n") {
        let read = tokio::time::timeout(DEADLINE, stream.read(&mut byte))
            .await
            .expect("interim response within the deadline")
            .expect("read interim response");
        assert_eq!(read, 1, "connection closed before the interim response");
        received.push(byte[0]);
    }
    String::from_utf8(received).expect("ASCII response head")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sigterm_during_request_stream_loses_no_response() {
    let database = TestDatabase::create().await;
    let mut server = ServerProcess::start(&database.url, &["--rate-limit", "off"]);
    let setup = reqwest::Client::new();
    let cookie = sign_up(&setup, &server, "stream@example.test").await;
    let mut tokens = Vec::with_capacity(STREAM_TOKENS);
    for _ in 0..STREAM_TOKENS {
        tokens.push(generate(&setup, &server, &cookie).await);
    }

    // A new connection per request, as from many independent clients, so
    // each request is accepted or refused on its own.
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .build()
        .expect("HTTP client");
    let queue = Arc::new(Mutex::new(tokens.iter().cloned().enumerate().collect::<VecDeque<_>>()));
    let outcomes = Arc::new(Mutex::new(vec![Outcome::NotSent; STREAM_TOKENS]));
    let responses = Arc::new(AtomicUsize::new(0));
    let url = server.url("/one-time-token/verify");
    let clients: Vec<_> = (0..CLIENTS)
        .map(|_| {
            let (client, queue, outcomes, responses, url) = (
                client.clone(),
                queue.clone(),
                outcomes.clone(),
                responses.clone(),
                url.clone(),
            );
            tokio::spawn(async move {
                loop {
                    let Some((index, token)) = queue.lock().expect("queue").pop_front() else {
                        return;
                    };
                    let outcome = send_verify(&client, &url, &token).await;
                    let failed = matches!(outcome, Outcome::Failed);
                    outcomes.lock().expect("outcomes")[index] = outcome;
                    if failed {
                        // The server is gone or going; stop this client.
                        return;
                    }
                    responses.fetch_add(1, Ordering::SeqCst);
                }
            })
        })
        .collect();

    wait_for(
        || responses.load(Ordering::SeqCst) >= RESPONSES_BEFORE_SIGNAL,
        "the first responses",
        &server,
    )
    .await;
    server.terminate();
    for client in clients {
        tokio::time::timeout(DEADLINE, client)
            .await
            .expect("clients stop within the deadline")
            .expect("client task");
    }
    let status = server.wait_exit();
    assert_eq!(
        status.code(),
        Some(0),
        "exit status after SIGTERM; log:\n{}",
        server.log()
    );

    // A consumed token proves that the server ran its verify, so the client
    // that sent it must have the full response.
    let direct = DirectDatabase::connect(&database).await;
    let left: HashSet<String> = direct.verification_identifiers().await.into_iter().collect();
    let outcomes = outcomes.lock().expect("outcomes").clone();
    let mut lost = Vec::new();
    let mut answered_without_consuming = Vec::new();
    for (index, (token, outcome)) in tokens.iter().zip(&outcomes).enumerate() {
        let consumed = !left.contains(&format!("{PREFIX}{token}"));
        let full_success = matches!(
            outcome,
            Outcome::Response {
                status: 200,
                complete: true
            }
        );
        if consumed && !full_success {
            lost.push((index, outcome.clone()));
        }
        if !consumed && matches!(outcome, Outcome::Response { .. }) {
            answered_without_consuming.push((index, outcome.clone()));
        }
    }
    let served = outcomes
        .iter()
        .filter(|outcome| matches!(outcome, Outcome::Response { .. }))
        .count();
    assert!(served >= RESPONSES_BEFORE_SIGNAL, "the stream ran before the signal");
    assert!(
        lost.is_empty(),
        "verifies carried out without a full response: {lost:?}"
    );
    assert!(
        answered_without_consuming.is_empty(),
        "responses for tokens that were not consumed: {answered_without_consuming:?}"
    );
    assert!(
        served < STREAM_TOKENS,
        "the stream outlasted the server, so SIGTERM arrived while requests were still coming"
    );
}

async fn send_verify(client: &reqwest::Client, url: &str, token: &str) -> Outcome {
    let Ok(response) = client
        .post(url)
        .json(&serde_json::json!({ "token": token }))
        .send()
        .await
    else {
        return Outcome::Failed;
    };
    let status = response.status().as_u16();
    let complete = match response.text().await {
        Ok(text) => serde_json::from_str::<serde_json::Value>(&text)
            .map(|json| json["session"]["id"].is_string())
            .unwrap_or(false),
        Err(_) => false,
    };
    Outcome::Response { status, complete }
}
