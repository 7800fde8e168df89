//! A database written by Better Auth 1.7.29 works unchanged.
//!
//! The fixture was made by `tests/interop/make-fixture.mjs` with the real
//! `better-auth` package: one user with the password `password1234` and a
//! live session whose cookie Better Auth itself set.

mod common;

use common::{TestDatabase, TestServer};
use serde_json::{Value, json};

const FIXTURE_DB: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/better-auth-1.7.29.sqlite");
const FIXTURE_JSON: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/better-auth-1.7.29.json");

fn fixture() -> Value {
    serde_json::from_str(&std::fs::read_to_string(FIXTURE_JSON).expect("fixture JSON")).expect("valid JSON")
}

/// Copies the fixture into a temporary folder, so the test never changes it.
fn fixture_database() -> TestDatabase {
    let dir = tempfile::tempdir().expect("temporary folder");
    std::fs::copy(FIXTURE_DB, dir.path().join("better-auth.sqlite")).expect("copy fixture");
    TestDatabase::sqlite_file(dir, "better-auth.sqlite")
}

async fn schema(database: &TestDatabase) -> Vec<(String, String)> {
    sqlx::query_as(r#"SELECT "name", COALESCE("sql", '') FROM sqlite_master ORDER BY "name""#)
        .fetch_all(&database.pool().await)
        .await
        .expect("read schema")
}

#[tokio::test]
async fn better_auth_database_is_used_unchanged() {
    let database = fixture_database();
    let before = schema(&database).await;
    let server = TestServer::start_on(database, |builder| builder).await;
    assert_eq!(schema(&server.database).await, before, "migrations altered nothing");
    assert_eq!(server.count("user").await, 1);
    assert_eq!(server.count("session").await, 1);
}

#[tokio::test]
async fn better_auth_user_signs_in() {
    let fixture = fixture();
    let server = TestServer::start_on(fixture_database(), |builder| builder).await;
    let reply = server
        .device()
        .post(
            "/api/auth/sign-in/email",
            &json!({"email": fixture["email"], "password": fixture["password"]}),
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(reply.json["user"]["id"], fixture["userId"]);
    assert_eq!(reply.json["user"]["name"], fixture["name"]);
}

#[tokio::test]
async fn better_auth_cookie_is_accepted() {
    let fixture = fixture();
    let server = TestServer::start_on(fixture_database(), |builder| builder).await;
    let mut device = server.device();
    device.cookies = vec![(
        fixture["cookieName"].as_str().expect("name").to_owned(),
        fixture["cookieValue"].as_str().expect("value").to_owned(),
    )];

    let reply = device.get("/api/auth/get-session").await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.json["session"]["id"], fixture["sessionId"]);
    assert_eq!(reply.json["session"]["token"], fixture["sessionToken"]);
    assert_eq!(reply.json["session"]["expiresAt"], fixture["sessionExpiresAt"]);
    assert_eq!(reply.json["user"]["email"], fixture["email"]);

    // The Better Auth session can hand itself to another device.
    let token = device.generate().await;
    let redeemed = server.device().verify(&token).await;
    assert_eq!(redeemed.status, 200, "{}", redeemed.text);
    assert_eq!(redeemed.json["user"]["id"], fixture["userId"]);
    assert_ne!(redeemed.json["session"]["id"], fixture["sessionId"]);
}
