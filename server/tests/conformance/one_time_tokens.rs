//! Generating and redeeming one-time tokens with the default options.

use chrono::Duration;
use reqwest::Method;
use serde_json::json;

use crate::common::{TestServer, expected_cookie_value, expected_signed_value};

const GENERATE: &str = "/api/auth/one-time-token/generate";
const VERIFY: &str = "/api/auth/one-time-token/verify";

#[tokio::test]
async fn generate_requires_session() {
    let server = TestServer::start().await;
    let reply = server.device().get(GENERATE).await;
    reply.assert_error(401, "UNAUTHORIZED", "Unauthorized");
    assert_eq!(server.count("verification").await, 0);
}

#[tokio::test]
async fn generate_stores_plain_token_for_session() {
    let server = TestServer::start().await;
    let (mut device, signed_up) = server.signed_up("gen@example.test").await;
    let reply = device.get(GENERATE).await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("cache-control").as_deref(), Some("no-store"));
    assert_eq!(reply.header("referrer-policy").as_deref(), Some("no-referrer"));
    let token = reply.json["token"].as_str().expect("token");
    assert_eq!(reply.text, format!(r#"{{"token":"{token}"}}"#));
    assert_eq!(token.len(), 32);
    assert!(
        token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    );
    assert_eq!(
        server.verifications().await,
        vec![(
            format!("one-time-token:{token}"),
            signed_up["token"].as_str().expect("session token").to_owned()
        )]
    );
}

#[tokio::test]
async fn verify_creates_new_session_for_same_user() {
    let server = TestServer::start().await;
    let (mut laptop, signed_up) = server.signed_up("transfer@example.test").await;
    let token = laptop.generate().await;
    server.advance(Duration::seconds(30));

    let mut phone = server.device();
    let reply = phone
        .send(
            Method::POST,
            VERIFY,
            &[("content-type", "application/json"), ("user-agent", "PhoneBrowser/1.0")],
            Some(serde_json::to_vec(&json!({ "token": token })).expect("JSON")),
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(reply.header("cache-control").as_deref(), Some("no-store"));
    assert_eq!(reply.header("referrer-policy").as_deref(), Some("no-referrer"));

    let session = &reply.json["session"];
    let new_token = session["token"].as_str().expect("token");
    assert_ne!(new_token, signed_up["token"].as_str().expect("token"));
    assert_eq!(reply.json["token"], json!(new_token));
    assert_eq!(session["userId"], signed_up["user"]["id"]);
    assert_eq!(session["userAgent"], json!("PhoneBrowser/1.0"));
    assert_eq!(session["createdAt"], json!("2026-12-04T12:00:30.000Z"));
    assert_eq!(session["expiresAt"], json!("2026-12-11T12:00:30.000Z"));
    assert_eq!(reply.json["user"], signed_up["user"]);
    assert!(reply.text.starts_with(r#"{"session":{"expiresAt":"#), "{}", reply.text);
    assert!(
        reply.text.ends_with(&format!(r#"}},"token":"{new_token}"}}"#)),
        "{}",
        reply.text
    );
    assert_eq!(
        reply.set_cookies(),
        vec![format!(
            "better-auth.session_token={}; Max-Age=604800; Path=/; HttpOnly; SameSite=Lax",
            expected_cookie_value(new_token)
        )]
    );
    assert_eq!(reply.header("set-auth-token"), Some(expected_signed_value(new_token)));

    assert_eq!(server.count("verification").await, 0);
    assert_eq!(server.count("session").await, 2);
    let phone_view = phone.get("/api/auth/get-session").await;
    assert_eq!(phone_view.json["session"]["token"], json!(new_token));
    let laptop_view = laptop.get("/api/auth/get-session").await;
    assert_eq!(laptop_view.json["session"]["token"], signed_up["token"]);
}

#[tokio::test]
async fn verify_rejects_reused_and_unknown_tokens() {
    let server = TestServer::start().await;
    let (mut device, _) = server.signed_up("reuse@example.test").await;
    let token = device.generate().await;
    assert_eq!(server.device().verify(&token).await.status, 200);
    let sessions = server.count("session").await;

    for candidate in [token.as_str(), "unknown-token-0000000000000000000", ""] {
        let reply = server.device().verify(candidate).await;
        reply.assert_error(400, "INVALID_TOKEN", "Invalid token");
        assert!(reply.set_cookies().is_empty());
        assert_eq!(reply.header("cache-control").as_deref(), Some("no-store"));
    }
    assert_eq!(server.count("session").await, sessions);
}

#[tokio::test]
async fn verify_rejects_oversized_token_without_lookup() {
    let server = TestServer::start().await;
    let (mut device, _) = server.signed_up("huge@example.test").await;
    device.generate().await;
    server
        .device()
        .verify(&"a".repeat(10_000))
        .await
        .assert_error(400, "INVALID_TOKEN", "Invalid token");
    assert_eq!(server.count("verification").await, 1);
}

#[tokio::test]
async fn verify_validates_body() {
    let server = TestServer::start().await;
    let (mut device, _) = server.signed_up("body@example.test").await;
    let token = device.generate().await;
    let cases: [(Option<&str>, &str); 5] = [
        (
            Some("{}"),
            "[body.token] Invalid input: expected string, received undefined",
        ),
        (
            Some(r#"{"token":123}"#),
            "[body.token] Invalid input: expected string, received number",
        ),
        (
            Some(r#"{"token":null}"#),
            "[body.token] Invalid input: expected string, received null",
        ),
        (Some("null"), "[body] Invalid input: expected object, received null"),
        (None, "[body] Invalid input: expected object, received undefined"),
    ];
    for (body, message) in cases {
        let reply = server
            .device()
            .send(
                Method::POST,
                VERIFY,
                &[("content-type", "application/json")],
                body.map(|text| text.as_bytes().to_vec()),
            )
            .await;
        reply.assert_error(400, "VALIDATION_ERROR", message);
    }
    server
        .device()
        .send(
            Method::POST,
            VERIFY,
            &[("content-type", "application/json")],
            Some(b"{".to_vec()),
        )
        .await
        .assert_error(400, "BAD_REQUEST", "Invalid JSON in request body");
    let body = serde_json::to_vec(&json!({ "token": token })).expect("JSON");
    for content_type in ["text/plain", "application/x-www-form-urlencoded"] {
        server
            .device()
            .send(
                Method::POST,
                VERIFY,
                &[("content-type", content_type)],
                Some(body.clone()),
            )
            .await
            .assert_error(
                415,
                "UNSUPPORTED_MEDIA_TYPE",
                &format!("Content-Type \"{content_type}\" is not allowed. Allowed types: application/json"),
            );
    }
    assert_eq!(
        server.count("verification").await,
        1,
        "rejected requests consume nothing"
    );
    assert_eq!(server.device().verify(&token).await.status, 200);
}

#[tokio::test]
async fn verify_accepts_token_until_expiry() {
    let server = TestServer::start().await;
    let (mut device, _) = server.signed_up("expiry@example.test").await;

    let before = device.generate().await;
    server.advance(Duration::minutes(3) - Duration::milliseconds(1));
    assert_eq!(
        server.device().verify(&before).await.status,
        200,
        "valid just before expiresAt"
    );

    let at = device.generate().await;
    server.advance(Duration::minutes(3));
    server
        .device()
        .verify(&at)
        .await
        .assert_error(400, "INVALID_TOKEN", "Invalid token");
    assert_eq!(server.count("verification").await, 0, "the expired row is deleted");

    let after = device.generate().await;
    server.advance(Duration::minutes(10));
    server
        .device()
        .verify(&after)
        .await
        .assert_error(400, "INVALID_TOKEN", "Invalid token");
    assert_eq!(server.count("verification").await, 0);
}

#[tokio::test]
async fn verify_rejects_token_of_signed_out_session() {
    let server = TestServer::start().await;
    let (mut device, _) = server.signed_up("signout@example.test").await;
    let token = device.generate().await;
    device.post("/api/auth/sign-out", &json!({})).await;
    let sessions = server.count("session").await;
    let reply = server.device().verify(&token).await;
    reply.assert_error(400, "SESSION_NOT_FOUND", "Session not found");
    assert!(reply.set_cookies().is_empty());
    assert_eq!(server.count("session").await, sessions);
    assert_eq!(server.count("verification").await, 0, "the token is spent");
}

#[tokio::test]
async fn verify_rejects_token_of_revoked_session() {
    let server = TestServer::start().await;
    let (mut laptop, signed_up) = server.signed_up("revoked@example.test").await;
    let mut phone = server.device();
    phone
        .post(
            "/api/auth/sign-in/email",
            &json!({"email": "revoked@example.test", "password": "password1234"}),
        )
        .await;
    let token = phone.generate().await;
    let phone_token = phone.get("/api/auth/get-session").await.json["session"]["token"].clone();
    let revoke = laptop
        .post("/api/auth/revoke-session", &json!({ "token": phone_token }))
        .await;
    assert_eq!(revoke.status, 200);
    server
        .device()
        .verify(&token)
        .await
        .assert_error(400, "SESSION_NOT_FOUND", "Session not found");
    assert!(server.session_exists(signed_up["token"].as_str().expect("token")).await);
}

#[tokio::test]
async fn verify_rejects_token_of_expired_session_without_cookie() {
    let server = TestServer::start_with(|builder| builder.expires_in(Duration::days(30))).await;
    let (mut device, _) = server.signed_up("old@example.test").await;
    let token = device.generate().await;
    server.advance(Duration::days(7));
    let sessions = server.count("session").await;
    let reply = server.device().verify(&token).await;
    reply.assert_error(400, "SESSION_EXPIRED", "Session expired");
    assert!(reply.set_cookies().is_empty(), "a failed verify signs nobody in");
    assert!(reply.header("set-auth-token").is_none());
    assert_eq!(server.count("session").await, sessions);
}

#[tokio::test]
async fn verify_alias_paths_work() {
    let server = TestServer::start().await;
    let (mut device, _) = server.signed_up("alias@example.test").await;
    let reply = device.get("/api/auth/one-time-token-session/generate").await;
    assert_eq!(reply.status, 200);
    let token = reply.json["token"].as_str().expect("token").to_owned();
    let verified = server
        .device()
        .post("/api/auth/one-time-token-session/verify", &json!({ "token": token }))
        .await;
    assert_eq!(verified.status, 200, "{}", verified.text);
}

#[tokio::test]
async fn get_and_head_on_verify_consume_nothing() {
    let server = TestServer::start().await;
    let (mut device, _) = server.signed_up("preview@example.test").await;
    let token = device.generate().await;
    for method in [Method::GET, Method::HEAD] {
        let reply = server
            .device()
            .send(method, &format!("{VERIFY}?token={token}"), &[], None)
            .await;
        assert_eq!(reply.status, 405);
    }
    assert_eq!(server.count("verification").await, 1);
    assert_eq!(server.device().verify(&token).await.status, 200);
}
