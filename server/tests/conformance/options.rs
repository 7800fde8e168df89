//! Each option on and off, and the Rust API.

use std::sync::Arc;

use chrono::Duration;
use ott_server::http::ClientMeta;
use ott_server::{AuthError, CurrentSession, SessionToken, StoreToken};
use serde_json::json;

use crate::common::{TestServer, expected_cookie_value, expected_signed_value};

const GENERATE: &str = "/api/auth/one-time-token/generate";

#[tokio::test]
async fn create_session_off_returns_original_session() {
    let server = TestServer::start_with(|builder| builder.create_session(false)).await;
    let (mut device, signed_up) = server.signed_up("original@example.test").await;
    let original = signed_up["token"].as_str().expect("token");
    let token = device.generate().await;
    let reply = server.device().verify(&token).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(reply.json["session"]["token"], json!(original));
    assert_eq!(reply.json["token"], json!(null));
    assert_eq!(
        reply.set_cookies(),
        vec![format!(
            "better-auth.session_token={}; Max-Age=604800; Path=/; HttpOnly; SameSite=Lax",
            expected_cookie_value(original)
        )]
    );
    assert_eq!(server.count("session").await, 1, "no session was created");
}

#[tokio::test]
async fn disable_set_session_cookie_answers_json_only() {
    let server = TestServer::start_with(|builder| builder.disable_set_session_cookie(true)).await;
    let (mut device, _) = server.signed_up("jsononly@example.test").await;
    let token = device.generate().await;
    let reply = server.device().verify(&token).await;
    assert_eq!(reply.status, 200);
    assert!(reply.set_cookies().is_empty());
    assert!(reply.header("set-auth-token").is_none());
    let new_token = reply.json["token"].as_str().expect("token");
    assert!(server.session_exists(new_token).await);
}

#[tokio::test]
async fn disable_client_request_blocks_http_generation_only() {
    let server = TestServer::start_with(|builder| builder.disable_client_request(true)).await;
    server
        .device()
        .get(GENERATE)
        .await
        .assert_error(401, "UNAUTHORIZED", "Unauthorized");
    let (mut device, signed_up) = server.signed_up("serveronly@example.test").await;
    device
        .get(GENERATE)
        .await
        .assert_error(400, "CLIENT_REQUESTS_DISABLED", "Client requests are disabled");
    assert_eq!(server.count("verification").await, 0);

    // The server's own code still generates tokens, and HTTP redeems them.
    let session_token = SessionToken::new(signed_up["token"].as_str().expect("token"));
    let token = server
        .auth
        .generate_one_time_token_for(&session_token)
        .await
        .expect("generate from Rust");
    assert_eq!(server.device().verify(token.expose()).await.status, 200);
}

#[tokio::test]
async fn set_ott_header_on_new_session_issues_tokens() {
    let server = TestServer::start_with(|builder| builder.set_ott_header_on_new_session(true)).await;
    let mut device = server.device();
    let sign_up = device
        .post(
            "/api/auth/sign-up/email",
            &json!({"name": "Ott", "email": "ott@example.test", "password": "password1234"}),
        )
        .await;
    let first = sign_up.header("set-ott").expect("set-ott on sign-up");
    assert_eq!(first.len(), 32);
    assert_eq!(
        sign_up.header("access-control-expose-headers").as_deref(),
        Some("set-ott, set-auth-token")
    );
    let sign_in = server
        .device()
        .post(
            "/api/auth/sign-in/email",
            &json!({"email": "ott@example.test", "password": "password1234"}),
        )
        .await;
    assert!(sign_in.header("set-ott").is_some());

    let verified = server.device().verify(&first).await;
    assert_eq!(verified.status, 200, "the set-ott token is redeemable");
    let second = verified.header("set-ott").expect("set-ott on verify");
    let (identifier, value) = server
        .verifications()
        .await
        .into_iter()
        .find(|(identifier, _)| identifier.ends_with(&second))
        .expect("row of the verify's set-ott token");
    assert_eq!(identifier, format!("one-time-token:{second}"));
    assert_eq!(
        json!(value),
        verified.json["session"]["token"],
        "issued for the new session"
    );

    let plain = server.device().get("/api/auth/ok").await;
    assert!(plain.header("set-ott").is_none());
}

#[tokio::test]
async fn set_ott_header_is_off_by_default() {
    let server = TestServer::start().await;
    let (mut device, _) = server.signed_up("noott@example.test").await;
    let token = device.generate().await;
    let reply = server.device().verify(&token).await;
    assert!(reply.header("set-ott").is_none());
    assert_eq!(server.count("verification").await, 0);
}

#[tokio::test]
async fn expires_in_sets_token_lifetime() {
    let server = TestServer::start_with(|builder| builder.expires_in(Duration::minutes(10))).await;
    let (mut device, _) = server.signed_up("ten@example.test").await;
    let token = device.generate().await;
    server.advance(Duration::minutes(10) - Duration::milliseconds(1));
    assert_eq!(server.device().verify(&token).await.status, 200);
    let late = device.generate().await;
    server.advance(Duration::minutes(10));
    assert_eq!(server.device().verify(&late).await.status, 400);
}

#[tokio::test]
async fn hashed_storage_matches_vector() {
    let server = TestServer::start_with(|builder| {
        builder
            .store_token(StoreToken::Hashed)
            .generate_token(|_, _| "123456".to_owned())
    })
    .await;
    let (mut device, _) = server.signed_up("hashed@example.test").await;
    assert_eq!(device.generate().await, "123456", "the token handed out is unchanged");
    let rows = server.verifications().await;
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].0, "one-time-token:jZae727K08KaOmKSgOaGzww_XVqGr_PKEgIMkjrcbJI");
    assert!(!rows.iter().any(|(identifier, _)| identifier.contains("123456")));
    assert_eq!(server.device().verify("123456").await.status, 200);
    assert_eq!(server.count("verification").await, 0);
}

#[tokio::test]
async fn custom_hasher_decides_stored_identifier() {
    let hasher = Arc::new(|token: &str| format!("custom-{}", token.chars().rev().collect::<String>()));
    let server = TestServer::start_with(move |builder| builder.store_token(StoreToken::Custom(hasher))).await;
    let (mut device, _) = server.signed_up("custom@example.test").await;
    let token = device.generate().await;
    let reversed: String = token.chars().rev().collect();
    assert_eq!(
        server.verifications().await[0].0,
        format!("one-time-token:custom-{reversed}")
    );
    assert_eq!(server.device().verify(&token).await.status, 200);
    assert_eq!(server.device().verify(&format!("custom-{reversed}")).await.status, 400);
}

#[tokio::test]
async fn custom_generator_sees_session_and_user() {
    let server = TestServer::start_with(|builder| {
        builder.generate_token(|session, user| format!("{}-{}", &user.email[..4], &session.id[..4]))
    })
    .await;
    let (mut device, signed_up) = server.signed_up("gene@example.test").await;
    let token = device.generate().await;
    assert!(token.starts_with("gene-"), "{token}");
    let reply = server.device().verify(&token).await;
    assert_eq!(reply.json["user"]["id"], signed_up["user"]["id"]);
}

#[tokio::test]
async fn bearer_off_ignores_authorization() {
    let server = TestServer::start_with(|builder| builder.bearer(false)).await;
    let (_, signed_up) = server.signed_up("nobearer@example.test").await;
    let token = signed_up["token"].as_str().expect("token");
    let bearer = format!("Bearer {token}");
    server
        .device()
        .send(reqwest::Method::GET, GENERATE, &[("authorization", &bearer)], None)
        .await
        .assert_error(401, "UNAUTHORIZED", "Unauthorized");
    let sign_in = server
        .device()
        .post(
            "/api/auth/sign-in/email",
            &json!({"email": "nobearer@example.test", "password": "password1234"}),
        )
        .await;
    assert!(sign_in.header("set-auth-token").is_none());
}

#[tokio::test]
async fn rust_api_generates_and_verifies() {
    let server = TestServer::start().await;
    let (_, signed_up) = server.signed_up("rustapi@example.test").await;
    let session_token = SessionToken::new(signed_up["token"].as_str().expect("token"));
    let token = server
        .auth
        .generate_one_time_token_for(&session_token)
        .await
        .expect("generate");
    let meta = ClientMeta {
        ip_address: Some("203.0.113.7".to_owned()),
        user_agent: Some("service".to_owned()),
        peer: None,
    };
    let redemption = server
        .auth
        .verify_one_time_token(token.expose(), &meta)
        .await
        .expect("verify");
    assert!(redemption.created);
    assert_eq!(redemption.user.email, "rustapi@example.test");
    assert_eq!(redemption.session.ip_address.as_deref(), Some("203.0.113.7"));
    let again = server.auth.verify_one_time_token(token.expose(), &meta).await;
    assert!(matches!(again, Err(AuthError::InvalidToken)), "{again:?}");
    let unknown = server
        .auth
        .generate_one_time_token_for(&SessionToken::new("missing"))
        .await;
    assert!(matches!(unknown, Err(AuthError::SessionNotFound)), "{unknown:?}");
}

#[tokio::test]
async fn extractor_gives_application_routes_the_session() {
    use axum::routing::get;
    let server = TestServer::start().await;
    let app = axum::Router::new()
        .route("/me", get(|current: CurrentSession| async move { current.user.email }))
        .route(
            "/maybe",
            get(|current: Option<CurrentSession>| async move {
                current.map_or_else(|| "anonymous".to_owned(), |c| c.session.id)
            }),
        )
        .with_state(server.auth.clone())
        .merge(server.auth.router());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let address = listener.local_addr().expect("address");
    let task = tokio::spawn(async move {
        axum::serve(listener, app).await.expect("serve");
    });

    let (device, signed_up) = server.signed_up("extract@example.test").await;
    let cookie = device.cookie_header().expect("cookie");
    let client = reqwest::Client::new();
    let me = client
        .get(format!("http://{address}/me"))
        .header("cookie", &cookie)
        .send()
        .await
        .expect("request");
    assert_eq!(me.status(), 200);
    assert_eq!(me.text().await.expect("body"), "extract@example.test");
    let anonymous = client
        .get(format!("http://{address}/me"))
        .send()
        .await
        .expect("request");
    assert_eq!(anonymous.status(), 401);
    let bearer = client
        .get(format!("http://{address}/maybe"))
        .header(
            "authorization",
            format!(
                "Bearer {}",
                expected_signed_value(signed_up["token"].as_str().expect("token"))
            ),
        )
        .send()
        .await
        .expect("request");
    assert_eq!(bearer.text().await.expect("body").len(), 32);
    let maybe = client
        .get(format!("http://{address}/maybe"))
        .send()
        .await
        .expect("request");
    assert_eq!(maybe.text().await.expect("body"), "anonymous");
    task.abort();
}

#[tokio::test]
async fn https_base_url_sets_secure_prefixed_cookies() {
    let server = TestServer::start_with(|builder| builder.base_url("https://auth.example.test")).await;
    let reply = server
        .device()
        .send(
            reqwest::Method::POST,
            "/api/auth/sign-up/email",
            &[("content-type", "application/json")],
            Some(br#"{"name":"S","email":"secure@example.test","password":"password1234"}"#.to_vec()),
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let token = reply.json["token"].as_str().expect("token");
    assert_eq!(
        reply.set_cookies(),
        vec![format!(
            "__Secure-better-auth.session_token={}; Max-Age=604800; Path=/; HttpOnly; Secure; SameSite=Lax",
            expected_cookie_value(token)
        )]
    );
}
