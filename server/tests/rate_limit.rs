//! Rate limits per client address: 429 past the limit, decided before any
//! token lookup, shared by replicas on one database, and not fooled by a
//! forged `X-Forwarded-For`.

mod common;

use chrono::Duration;
use common::TestServer;
use ott_server::rate_limit::{Limit, RateLimitOptions, RateLimitStore};
use reqwest::Method;
use serde_json::json;

const VERIFY: &str = "/api/auth/one-time-token/verify";

fn limits(store: RateLimitStore, verify: Limit) -> RateLimitOptions {
    RateLimitOptions {
        store,
        verify,
        // Generous elsewhere, so set-up requests are not limited.
        sign_up: Limit::per_seconds(100, 10),
        sign_in: Limit::per_seconds(100, 10),
        generate: Limit::per_seconds(100, 10),
        ..RateLimitOptions::default()
    }
}

async fn verify_from(server: &TestServer, token: &str, forwarded_for: Option<&str>) -> common::Reply {
    let mut headers = vec![("content-type", "application/json")];
    if let Some(address) = forwarded_for {
        headers.push(("x-forwarded-for", address));
    }
    server
        .device()
        .send(
            Method::POST,
            VERIFY,
            &headers,
            Some(serde_json::to_vec(&json!({ "token": token })).expect("JSON")),
        )
        .await
}

#[tokio::test]
async fn limited_verify_consumes_nothing() {
    for store in [RateLimitStore::Memory, RateLimitStore::Database] {
        let server = TestServer::start_with(|builder| {
            builder
                .rate_limit(limits(store, Limit::per_seconds(3, 60)))
                .expires_in(Duration::minutes(10))
        })
        .await;
        if store == RateLimitStore::Database {
            server.auth.database().create_rate_limit_table().await.expect("table");
        }
        let (mut device, _) = server.signed_up("limited@example.test").await;
        let token = device.generate().await;

        for attempt in 0..3 {
            let reply = verify_from(&server, "wrong-token", None).await;
            assert_eq!(reply.status, 400, "{store:?} attempt {attempt}");
        }
        let limited = verify_from(&server, &token, None).await;
        limited.assert_error(429, "TOO_MANY_REQUESTS", "Too many requests. Please try again later.");
        assert_eq!(limited.header("retry-after").as_deref(), Some("60"), "{store:?}");
        assert_eq!(limited.header("x-retry-after").as_deref(), Some("60"));
        assert_eq!(
            server.count("verification").await,
            1,
            "{store:?}: the limited request consumed nothing"
        );

        server.advance(Duration::seconds(30));
        let later = verify_from(&server, &token, None).await;
        assert_eq!(later.status, 429);
        assert_eq!(later.header("retry-after").as_deref(), Some("30"));

        server.advance(Duration::seconds(30));
        let redeemed = verify_from(&server, &token, None).await;
        assert_eq!(
            redeemed.status, 200,
            "{store:?}: the token still works after the window"
        );
    }
}

#[tokio::test]
async fn forged_forwarded_for_changes_nothing() {
    let server =
        TestServer::start_with(|builder| builder.rate_limit(limits(RateLimitStore::Memory, Limit::per_seconds(2, 60))))
            .await;
    for (attempt, address) in ["198.51.100.1", "198.51.100.2", "198.51.100.3"].iter().enumerate() {
        let reply = verify_from(&server, "unknown", Some(address)).await;
        let expected = if attempt < 2 { 400 } else { 429 };
        assert_eq!(reply.status, expected, "attempt {attempt} from a claimed {address}");
    }
}

#[tokio::test]
async fn trusted_proxy_forwards_client_address() {
    let server = TestServer::start_with(|builder| {
        let mut options = limits(RateLimitStore::Memory, Limit::per_seconds(2, 60));
        options.trusted_proxies = vec!["127.0.0.1/32".parse().expect("network")];
        builder.rate_limit(options)
    })
    .await;
    for address in ["198.51.100.1", "198.51.100.2", "198.51.100.3", "198.51.100.4"] {
        let reply = verify_from(&server, "unknown", Some(address)).await;
        assert_eq!(reply.status, 400, "each client has its own budget");
    }
    let third = verify_from(&server, "unknown", Some("198.51.100.1")).await;
    assert_eq!(third.status, 400);
    let fourth = verify_from(&server, "unknown", Some("198.51.100.1")).await;
    assert_eq!(fourth.status, 429, "the third request from one client is limited");
}

#[tokio::test]
async fn replicas_share_database_counters() {
    let options = limits(RateLimitStore::Database, Limit::per_seconds(3, 60));
    let first = TestServer::start_with({
        let options = options.clone();
        move |builder| builder.rate_limit(options)
    })
    .await;
    first.auth.database().create_rate_limit_table().await.expect("table");
    let second = TestServer::start_on(first.database.share(), move |builder| builder.rate_limit(options)).await;

    let statuses = [
        verify_from(&first, "unknown", None).await.status,
        verify_from(&second, "unknown", None).await.status,
        verify_from(&first, "unknown", None).await.status,
        verify_from(&second, "unknown", None).await.status,
    ];
    assert_eq!(statuses, [400, 400, 400, 429]);
}

#[tokio::test]
async fn sign_in_is_limited_by_default() {
    let server = TestServer::start_with(|builder| builder.rate_limit(RateLimitOptions::default())).await;
    let body = json!({"email": "nobody@example.test", "password": "password1234"});
    let mut statuses = Vec::new();
    for _ in 0..4 {
        statuses.push(server.device().post("/api/auth/sign-in/email", &body).await.status);
    }
    assert_eq!(statuses, [401, 401, 401, 429]);
}
