//! get-session, list-sessions, revoke-session and /ok.

use chrono::Duration;
use reqwest::Method;
use serde_json::json;

use crate::accounts::clearing_cookie_lines;
use crate::common::{TestServer, assert_key_order, expected_cookie_value};

const GET_SESSION: &str = "/api/auth/get-session";

#[tokio::test]
async fn get_session_without_cookie_is_null() {
    let server = TestServer::start().await;
    let reply = server.device().get(GET_SESSION).await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.text, "null");
    assert_eq!(reply.header("cache-control").as_deref(), Some("no-store"));
    assert!(reply.set_cookies().is_empty());
}

#[tokio::test]
async fn get_session_returns_session_and_user() {
    let server = TestServer::start().await;
    let (mut device, signed_up) = server.signed_up("reader@example.test").await;
    let reply = device.get(GET_SESSION).await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("cache-control").as_deref(), Some("no-store"));
    assert!(reply.set_cookies().is_empty(), "a fresh session is not extended");
    let session = &reply.json["session"];
    assert_eq!(session["token"], signed_up["token"]);
    assert_eq!(session["userId"], signed_up["user"]["id"]);
    assert_eq!(session["expiresAt"], json!("2026-12-11T12:00:00.000Z"));
    assert_eq!(session["ipAddress"], json!(""));
    assert_eq!(reply.json["user"], signed_up["user"]);
    assert_key_order(
        &reply.text,
        &[
            "session",
            "expiresAt",
            "token",
            "createdAt",
            "updatedAt",
            "ipAddress",
            "userAgent",
            "userId",
            "id",
            "user",
            "name",
            "email",
            "emailVerified",
            "image",
        ],
    );
}

#[tokio::test]
async fn get_session_accepts_raw_signed_cookie() {
    let server = TestServer::start().await;
    let (device, signed_up) = server.signed_up("raw@example.test").await;
    let token = signed_up["token"].as_str().expect("token");
    let raw = crate::common::expected_signed_value(token);
    let mut other = server.device();
    other.cookies = vec![("better-auth.session_token".to_owned(), raw)];
    let reply = other.get(GET_SESSION).await;
    assert_eq!(reply.json["session"]["token"], json!(token));
    drop(device);
}

#[tokio::test]
async fn get_session_ignores_tampered_cookie() {
    let server = TestServer::start().await;
    let (mut device, _) = server.signed_up("tamper@example.test").await;
    let value = device.session_cookie().expect("cookie");
    let tampered = value.replacen(|c: char| c.is_ascii_alphabetic(), "Z", 1);
    let tampered = if tampered == value {
        value.replacen('A', "B", 1)
    } else {
        tampered
    };
    device.cookies = vec![("better-auth.session_token".to_owned(), tampered)];
    let reply = device.get(GET_SESSION).await;
    assert_eq!(reply.text, "null");
    assert!(
        reply.set_cookies().is_empty(),
        "a bad signature is ignored, not cleared"
    );
}

#[tokio::test]
async fn get_session_clears_unknown_session_cookie() {
    let server = TestServer::start().await;
    let mut device = server.device();
    device.cookies = vec![(
        "better-auth.session_token".to_owned(),
        expected_cookie_value("UnknownToken00000000000000000000"),
    )];
    let reply = device.get(GET_SESSION).await;
    assert_eq!(reply.text, "null");
    assert_eq!(reply.set_cookies(), clearing_cookie_lines());
}

#[tokio::test]
async fn get_session_deletes_expired_session() {
    let server = TestServer::start().await;
    let (mut device, signed_up) = server.signed_up("expired@example.test").await;
    let token = signed_up["token"].as_str().expect("token");
    server.advance(Duration::days(7));
    let reply = device.get(GET_SESSION).await;
    assert_eq!(reply.text, "null");
    assert_eq!(reply.set_cookies(), clearing_cookie_lines());
    assert!(!server.session_exists(token).await);
}

#[tokio::test]
async fn get_session_extends_session_after_update_age() {
    let server = TestServer::start().await;
    let (mut device, signed_up) = server.signed_up("extend@example.test").await;
    let token = signed_up["token"].as_str().expect("token");

    server.advance(Duration::days(1) - Duration::milliseconds(1));
    let early = device.get(GET_SESSION).await;
    assert!(early.set_cookies().is_empty(), "not due before a day has passed");
    assert_eq!(early.json["session"]["expiresAt"], json!("2026-12-11T12:00:00.000Z"));

    server.advance(Duration::milliseconds(1));
    let due = device.get(GET_SESSION).await;
    assert_eq!(due.json["session"]["expiresAt"], json!("2026-12-12T12:00:00.000Z"));
    assert_eq!(due.json["session"]["updatedAt"], json!("2026-12-05T12:00:00.000Z"));
    assert_eq!(due.json["session"]["createdAt"], json!("2026-12-04T12:00:00.000Z"));
    assert_eq!(
        due.set_cookies(),
        vec![format!(
            "better-auth.session_token={}; Max-Age=604800; Path=/; HttpOnly; SameSite=Lax",
            expected_cookie_value(token)
        )]
    );

    let after = device.get(GET_SESSION).await;
    assert!(after.set_cookies().is_empty(), "extended once, not on every call");
}

#[tokio::test]
async fn get_session_never_extends_unremembered_session() {
    let server = TestServer::start().await;
    server.signed_up("forget@example.test").await;
    let mut device = server.device();
    device
        .post(
            "/api/auth/sign-in/email",
            &json!({"email": "forget@example.test", "password": "password1234", "rememberMe": false}),
        )
        .await;
    server.advance(Duration::hours(23));
    let reply = device.get(GET_SESSION).await;
    assert!(reply.set_cookies().is_empty());
    assert_eq!(reply.json["session"]["expiresAt"], json!("2026-12-05T12:00:00.000Z"));
}

#[tokio::test]
async fn get_session_honours_disable_refresh() {
    let server = TestServer::start().await;
    let (mut device, _) = server.signed_up("norefresh@example.test").await;
    server.advance(Duration::days(2));
    let reply = device.get("/api/auth/get-session?disableRefresh=true").await;
    assert!(reply.set_cookies().is_empty());
    assert_eq!(reply.json["session"]["expiresAt"], json!("2026-12-11T12:00:00.000Z"));
}

#[tokio::test]
async fn list_sessions_returns_live_sessions() {
    let server = TestServer::start().await;
    let (mut first, signed_up) = server.signed_up("lister@example.test").await;
    // Sessions are listed oldest first; equal instants have no defined order.
    server.advance(Duration::seconds(1));
    let mut second = server.device();
    let sign_in = second
        .post(
            "/api/auth/sign-in/email",
            &json!({"email": "lister@example.test", "password": "password1234"}),
        )
        .await;
    let (_other, _) = server.signed_up("someone-else@example.test").await;

    let reply = first.get("/api/auth/list-sessions").await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let tokens: Vec<&str> = reply
        .json
        .as_array()
        .expect("array")
        .iter()
        .map(|session| session["token"].as_str().expect("token"))
        .collect();
    assert_eq!(
        tokens,
        [
            signed_up["token"].as_str().expect("token"),
            sign_in.json["token"].as_str().expect("token")
        ]
    );
}

#[tokio::test]
async fn list_sessions_requires_fresh_session() {
    let server = TestServer::start().await;
    let (mut device, _) = server.signed_up("stale@example.test").await;
    server
        .device()
        .get("/api/auth/list-sessions")
        .await
        .assert_error(401, "UNAUTHORIZED", "Unauthorized");
    server.advance(Duration::days(1) + Duration::seconds(1));
    device
        .get("/api/auth/list-sessions")
        .await
        .assert_error(403, "SESSION_NOT_FRESH", "Session is not fresh");
}

#[tokio::test]
async fn revoke_session_deletes_only_own_sessions() {
    let server = TestServer::start().await;
    let (mut owner, _) = server.signed_up("owner@example.test").await;
    let mut laptop = server.device();
    let laptop_token = laptop
        .post(
            "/api/auth/sign-in/email",
            &json!({"email": "owner@example.test", "password": "password1234"}),
        )
        .await
        .json["token"]
        .as_str()
        .expect("token")
        .to_owned();
    let (_, stranger) = server.signed_up("stranger@example.test").await;
    let stranger_token = stranger["token"].as_str().expect("token");

    let foreign = owner
        .post("/api/auth/revoke-session", &json!({"token": stranger_token}))
        .await;
    assert_eq!(foreign.status, 200);
    assert_eq!(foreign.text, r#"{"status":true}"#);
    assert!(
        server.session_exists(stranger_token).await,
        "another user's session stays"
    );

    let own = owner
        .post("/api/auth/revoke-session", &json!({"token": laptop_token}))
        .await;
    assert_eq!(own.text, r#"{"status":true}"#);
    assert!(
        own.set_cookies().is_empty(),
        "revoking another device keeps this cookie"
    );
    assert!(!server.session_exists(&laptop_token).await);
    assert_eq!(laptop.get(GET_SESSION).await.text, "null");
}

#[tokio::test]
async fn revoke_session_of_current_session_clears_cookies() {
    let server = TestServer::start().await;
    let (mut device, signed_up) = server.signed_up("self@example.test").await;
    let reply = device
        .post("/api/auth/revoke-session", &json!({"token": signed_up["token"]}))
        .await;
    assert_eq!(reply.text, r#"{"status":true}"#);
    assert_eq!(reply.set_cookies(), clearing_cookie_lines());
}

#[tokio::test]
async fn revoke_session_validates_before_authenticating() {
    let server = TestServer::start().await;
    server
        .device()
        .post("/api/auth/revoke-session", &json!({}))
        .await
        .assert_error(
            400,
            "VALIDATION_ERROR",
            "[body.token] Invalid input: expected string, received undefined",
        );
    server
        .device()
        .post("/api/auth/revoke-session", &json!({"token": "x"}))
        .await
        .assert_error(401, "UNAUTHORIZED", "Unauthorized");
    let (mut device, _) = server.signed_up("typed@example.test").await;
    device
        .post("/api/auth/revoke-session", &json!({"token": 5}))
        .await
        .assert_error(
            400,
            "VALIDATION_ERROR",
            "[body.token] Invalid input: expected string, received number",
        );
}

#[tokio::test]
async fn ok_route_answers() {
    let server = TestServer::start().await;
    let reply = server.device().get("/api/auth/ok").await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.text, r#"{"ok":true}"#);
}

#[tokio::test]
async fn unknown_path_and_wrong_method_get_json() {
    let server = TestServer::start().await;
    let mut device = server.device();
    device
        .get("/api/auth/no-such-route")
        .await
        .assert_error(404, "NOT_FOUND", "Not found");
    let wrong = device.get("/api/auth/one-time-token/verify").await;
    wrong.assert_error(405, "METHOD_NOT_ALLOWED", "Method not allowed");
    assert_eq!(wrong.header("allow").as_deref(), Some("POST"));
    let head = device
        .send(Method::HEAD, "/api/auth/one-time-token/verify", &[], None)
        .await;
    assert_eq!(head.status, 405);
    assert_eq!(head.text, "");
    let post_on_get = device.send(Method::POST, GET_SESSION, &[], None).await;
    post_on_get.assert_error(
        405,
        "METHOD_NOT_ALLOWED_DEFER_SESSION_REQUIRED",
        "POST method requires deferSessionRefresh to be enabled in session config",
    );
}

#[tokio::test]
async fn head_requests_run_no_handler() {
    let server = TestServer::start().await;
    let (mut device, _) = server.signed_up("head@example.test").await;
    for path in [
        "/api/auth/one-time-token/generate",
        GET_SESSION,
        "/api/auth/ok",
        "/api/auth/list-sessions",
    ] {
        let reply = device.send(Method::HEAD, path, &[], None).await;
        assert_eq!(reply.status, 405, "{path}");
        assert_eq!(reply.header("allow").as_deref(), Some("GET"), "{path}");
        assert_eq!(reply.text, "", "{path}");
    }
    assert_eq!(
        server.count("verification").await,
        0,
        "HEAD on generate stored no token"
    );
}
