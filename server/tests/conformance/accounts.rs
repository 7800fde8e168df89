//! Sign-up, sign-in and sign-out.

use chrono::Duration;
use reqwest::Method;
use serde_json::json;

use crate::common::{TestServer, expected_cookie_value, expected_signed_value, start_instant};

const SIGN_UP: &str = "/api/auth/sign-up/email";
const SIGN_IN: &str = "/api/auth/sign-in/email";

fn cookie_line(token: &str) -> String {
    format!(
        "better-auth.session_token={}; Max-Age=604800; Path=/; HttpOnly; SameSite=Lax",
        expected_cookie_value(token)
    )
}

fn clearing_lines() -> Vec<String> {
    ["session_token", "session_data", "dont_remember"]
        .iter()
        .map(|name| format!("better-auth.{name}=; Max-Age=0; Path=/; HttpOnly; SameSite=Lax"))
        .collect()
}

#[tokio::test]
async fn sign_up_creates_user_account_and_session() {
    let server = TestServer::start().await;
    let mut device = server.device();
    let reply = device
        .post(
            SIGN_UP,
            &json!({"name": "Ada Lovelace", "email": "Ada@Example.TEST", "password": "password1234"}),
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text);

    let token = reply.json["token"].as_str().expect("token").to_owned();
    let user_id = reply.json["user"]["id"].as_str().expect("user id").to_owned();
    assert_eq!(token.len(), 32);
    assert!(token.bytes().all(|b| b.is_ascii_alphanumeric()));
    let expected_body = format!(
        r#"{{"token":"{token}","user":{{"name":"Ada Lovelace","email":"ada@example.test","emailVerified":false,"image":null,"createdAt":"2026-12-04T12:00:00.000Z","updatedAt":"2026-12-04T12:00:00.000Z","id":"{user_id}"}}}}"#
    );
    assert_eq!(reply.text, expected_body, "body and key order as Better Auth sends");
    assert_eq!(reply.set_cookies(), vec![cookie_line(&token)]);
    assert_eq!(reply.header("set-auth-token"), Some(expected_signed_value(&token)));
    assert_eq!(
        reply.header("access-control-expose-headers").as_deref(),
        Some("set-auth-token")
    );

    assert_eq!(server.count("user").await, 1);
    assert_eq!(server.count("account").await, 1);
    assert_eq!(server.count("session").await, 1);
    assert!(server.session_exists(&token).await);
    let (provider, account_id, password): (String, String, String) = sqlx::query_as(
        &server
            .database
            .sql(r#"SELECT "providerId", "accountId", "password" FROM "account""#),
    )
    .fetch_one(&server.database.pool().await)
    .await
    .expect("account row");
    assert_eq!(provider, "credential");
    assert_eq!(account_id, user_id);
    crate::common::remember_secret(&password);
    let (salt, key) = password.split_once(':').expect("salt:key");
    assert_eq!(salt.len(), 32);
    assert_eq!(key.len(), 128);
    assert!(ott_server::crypto::verify_password("password1234", &password));
}

#[tokio::test]
async fn sign_up_rejects_taken_email_in_any_case() {
    let server = TestServer::start().await;
    server.signed_up("taken@example.test").await;
    let reply = server
        .device()
        .post(
            SIGN_UP,
            &json!({"name": "Other", "email": "TAKEN@example.test", "password": "password1234"}),
        )
        .await;
    reply.assert_error(
        422,
        "USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL",
        "User already exists. Use another email.",
    );
    assert!(reply.set_cookies().is_empty());
    assert_eq!(server.count("user").await, 1);
}

#[tokio::test]
async fn sign_up_checks_password_length() {
    let server = TestServer::start().await;
    let cases = [
        (
            "short@example.test",
            "x".repeat(7),
            Some(("PASSWORD_TOO_SHORT", "Password too short")),
        ),
        ("min@example.test", "x".repeat(8), None),
        ("max@example.test", "x".repeat(128), None),
        (
            "long@example.test",
            "x".repeat(129),
            Some(("PASSWORD_TOO_LONG", "Password too long")),
        ),
    ];
    for (email, password, expected) in cases {
        let reply = server
            .device()
            .post(SIGN_UP, &json!({"name": "N", "email": email, "password": password}))
            .await;
        match expected {
            Some((code, message)) => reply.assert_error(400, code, message),
            None => assert_eq!(reply.status, 200, "{email}: {}", reply.text),
        }
    }
    assert_eq!(server.count("user").await, 2);
}

#[tokio::test]
async fn sign_up_validation_messages_name_fields() {
    let server = TestServer::start().await;
    let undefined = |field: &str| format!("[body.{field}] Invalid input: expected string, received undefined");
    let cases: Vec<(Option<&str>, String)> = vec![
        (
            Some("{}"),
            [undefined("name"), undefined("email"), undefined("password")].join("; "),
        ),
        (
            Some(r#"{"name":1,"email":"a@example.test","password":"password1234"}"#),
            "[body.name] Invalid input: expected string, received number".to_owned(),
        ),
        (
            Some(r#"{"name":"A","email":"not-an-email","password":"password1234"}"#),
            "[body.email] Invalid email address".to_owned(),
        ),
        (
            Some("null"),
            "[body] Invalid input: expected object, received null; [body] Invalid input: expected record, received null"
                .to_owned(),
        ),
        (
            Some("[]"),
            "[body] Invalid input: expected object, received array; [body] Invalid input: expected record, received array"
                .to_owned(),
        ),
        (
            None,
            "[body] Invalid input: expected object, received undefined; [body] Invalid input: expected record, received undefined"
                .to_owned(),
        ),
    ];
    for (body, message) in cases {
        let reply = server
            .device()
            .send(
                Method::POST,
                SIGN_UP,
                &[("content-type", "application/json")],
                body.map(|text| text.as_bytes().to_vec()),
            )
            .await;
        reply.assert_error(400, "VALIDATION_ERROR", &message);
    }
    assert_eq!(server.count("user").await, 0);
}

#[tokio::test]
async fn sign_up_rejects_malformed_and_non_json_bodies() {
    let server = TestServer::start().await;
    let valid = br#"{"name":"A","email":"a@example.test","password":"password1234"}"#.to_vec();
    let reply = server
        .device()
        .send(
            Method::POST,
            SIGN_UP,
            &[("content-type", "application/json")],
            Some(b"{\"name\":".to_vec()),
        )
        .await;
    reply.assert_error(400, "BAD_REQUEST", "Invalid JSON in request body");
    for content_type in ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data"] {
        let reply = server
            .device()
            .send(
                Method::POST,
                SIGN_UP,
                &[("content-type", content_type)],
                Some(valid.clone()),
            )
            .await;
        reply.assert_error(
            415,
            "UNSUPPORTED_MEDIA_TYPE",
            &format!("Content-Type \"{content_type}\" is not allowed. Allowed types: application/json"),
        );
    }
    let reply = server
        .device()
        .send(
            Method::POST,
            SIGN_UP,
            &[("content-type", "application/json; charset=utf-8")],
            Some(valid),
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(server.count("user").await, 1);
}

#[tokio::test]
async fn sign_in_returns_session_and_cookie() {
    let server = TestServer::start().await;
    let (_, signed_up) = server.signed_up("grace@example.test").await;
    server.advance(Duration::minutes(5));
    let mut device = server.device();
    let reply = device
        .post(
            SIGN_IN,
            &json!({"email": "GRACE@example.test", "password": "password1234"}),
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let token = reply.json["token"].as_str().expect("token").to_owned();
    assert_eq!(reply.json["redirect"], json!(false));
    assert_eq!(reply.json["user"], signed_up["user"]);
    assert!(reply.text.starts_with(r#"{"redirect":false,"token":""#));
    assert_eq!(reply.set_cookies(), vec![cookie_line(&token)]);
    assert_eq!(reply.header("set-auth-token"), Some(expected_signed_value(&token)));
    assert_eq!(server.count("session").await, 2);

    let session = device.get("/api/auth/get-session").await;
    assert_eq!(session.json["session"]["token"], json!(token));
    assert_eq!(
        session.json["session"]["expiresAt"],
        json!("2026-12-11T12:05:00.000Z"),
        "seven days after sign-in"
    );
}

#[tokio::test]
async fn sign_in_without_remember_me_sets_browser_session_cookie() {
    let server = TestServer::start().await;
    server.signed_up("short-lived@example.test").await;
    let mut device = server.device();
    let reply = device
        .post(
            SIGN_IN,
            &json!({"email": "short-lived@example.test", "password": "password1234", "rememberMe": false}),
        )
        .await;
    assert_eq!(reply.status, 200);
    let token = reply.json["token"].as_str().expect("token");
    assert_eq!(
        reply.set_cookies(),
        vec![
            format!(
                "better-auth.session_token={}; Path=/; HttpOnly; SameSite=Lax",
                expected_cookie_value(token)
            ),
            format!(
                "better-auth.dont_remember={}; Path=/; HttpOnly; SameSite=Lax",
                expected_cookie_value("true")
            ),
        ]
    );
    let session = device.get("/api/auth/get-session").await;
    let expected_expiry = (start_instant() + Duration::days(1)).to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    assert_eq!(session.json["session"]["expiresAt"], json!(expected_expiry));
}

#[tokio::test]
async fn sign_in_rejects_wrong_credentials_alike() {
    let server = TestServer::start().await;
    server.signed_up("known@example.test").await;
    let wrong_password = server
        .device()
        .post(
            SIGN_IN,
            &json!({"email": "known@example.test", "password": "password9999"}),
        )
        .await;
    let unknown_email = server
        .device()
        .post(
            SIGN_IN,
            &json!({"email": "nobody@example.test", "password": "password1234"}),
        )
        .await;
    let short_password = server
        .device()
        .post(SIGN_IN, &json!({"email": "known@example.test", "password": "short"}))
        .await;
    for reply in [&wrong_password, &unknown_email, &short_password] {
        reply.assert_error(401, "INVALID_EMAIL_OR_PASSWORD", "Invalid email or password");
        assert!(reply.set_cookies().is_empty());
    }
    assert_eq!(server.count("session").await, 1, "only the sign-up session");
}

#[tokio::test]
async fn sign_in_validates_fields() {
    let server = TestServer::start().await;
    server
        .device()
        .post(SIGN_IN, &json!({"email": "not-an-email", "password": "password1234"}))
        .await
        .assert_error(400, "INVALID_EMAIL", "Invalid email");
    server
        .device()
        .post(
            SIGN_IN,
            &json!({"email": "a@example.test", "password": "x".repeat(129)}),
        )
        .await
        .assert_error(400, "PASSWORD_TOO_LONG", "Password too long");
    server
        .device()
        .post(
            SIGN_IN,
            &json!({"email": "a@example.test", "password": "password1234", "rememberMe": "no"}),
        )
        .await
        .assert_error(
            400,
            "VALIDATION_ERROR",
            "[body.rememberMe] Invalid input: expected boolean, received string",
        );
    server.device().post(SIGN_IN, &json!({})).await.assert_error(
        400,
        "VALIDATION_ERROR",
        "[body.email] Invalid input: expected string, received undefined; \
             [body.password] Invalid input: expected string, received undefined",
    );
}

#[tokio::test]
async fn sign_in_accepts_password_hashed_by_better_auth() {
    // The wire contract's scrypt vector, stored as Better Auth would store it.
    let server = TestServer::start().await;
    let now = start_instant();
    let user = ott_server::model::User {
        name: "Vector".to_owned(),
        email: "vector@example.test".to_owned(),
        email_verified: false,
        image: None,
        created_at: now,
        updated_at: now,
        id: "vectorUser0000000000000000000001".to_owned(),
    };
    let account = ott_server::model::CredentialAccount {
        id: "vectorAccount0000000000000000001".to_owned(),
        user_id: user.id.clone(),
        password_hash: "8e8afed0038ad550c236d9cd2ce4cc77:60e6203f3aad436d22416472ca2ea63d7c5d9ec14489c0aec3124954c936098f6a0fee2d39accdd057169f7f04b2d3c93b9cd169d2c24c9d51c75f00a0f56a5e".to_owned(),
        created_at: now,
    };
    server
        .auth
        .database()
        .create_user(&user, &account)
        .await
        .expect("insert user");
    let reply = server
        .device()
        .post(
            SIGN_IN,
            &json!({"email": "vector@example.test", "password": "password1234"}),
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(reply.json["user"]["id"], json!(user.id));
}

#[tokio::test]
async fn sign_out_deletes_session_and_clears_cookies() {
    let server = TestServer::start().await;
    let (mut device, signed_up) = server.signed_up("leaving@example.test").await;
    let token = signed_up["token"].as_str().expect("token");
    let reply = device.post("/api/auth/sign-out", &json!({})).await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.text, r#"{"success":true}"#);
    assert_eq!(reply.set_cookies(), clearing_lines());
    assert!(!server.session_exists(token).await);
    assert!(device.cookies.is_empty());

    let again = server
        .device()
        .send(Method::POST, "/api/auth/sign-out", &[], None)
        .await;
    assert_eq!(again.status, 200, "sign-out without a session still succeeds");
    assert_eq!(again.set_cookies(), clearing_lines());
}

pub(crate) fn clearing_cookie_lines() -> Vec<String> {
    clearing_lines()
}
