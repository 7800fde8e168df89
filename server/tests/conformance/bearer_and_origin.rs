//! Bearer authentication, origin checks and CORS.

use reqwest::Method;
use serde_json::json;

use crate::accounts::clearing_cookie_lines;
use crate::common::{TestServer, expected_cookie_value, expected_signed_value};

/// Request headers of one case.
type Headers<'a> = &'a [(&'a str, &'a str)];

const GENERATE: &str = "/api/auth/one-time-token/generate";
const VERIFY: &str = "/api/auth/one-time-token/verify";

async fn generate_with(server: &TestServer, cookie: Option<&str>, authorization: &str) -> crate::common::Reply {
    let mut device = server.device();
    if let Some(cookie) = cookie {
        device.cookies = vec![("better-auth.session_token".to_owned(), cookie.to_owned())];
    }
    device
        .send(Method::GET, GENERATE, &[("authorization", authorization)], None)
        .await
}

#[tokio::test]
async fn bearer_accepts_raw_and_signed_tokens() {
    let server = TestServer::start().await;
    let (_, signed_up) = server.signed_up("bearer@example.test").await;
    let token = signed_up["token"].as_str().expect("token");
    let signed = expected_signed_value(token);
    for authorization in [
        format!("Bearer {token}"),
        format!("Bearer {signed}"),
        format!("Bearer {}", expected_cookie_value(token)),
        format!("bearer {token}"),
    ] {
        let reply = generate_with(&server, None, &authorization).await;
        assert_eq!(reply.status, 200, "{authorization}: {}", reply.text);
    }
}

#[tokio::test]
async fn badly_signed_bearer_defers_to_cookie() {
    let server = TestServer::start().await;
    let (alice, signed_up) = server.signed_up("alice@example.test").await;
    let alice_token = signed_up["token"].as_str().expect("token");
    let cookie = alice.session_cookie().expect("cookie");
    let forged = format!("Bearer {alice_token}.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=");

    let beside_cookie = generate_with(&server, Some(&cookie), &forged).await;
    assert_eq!(beside_cookie.status, 200);
    let alone = generate_with(&server, None, &forged).await;
    alone.assert_error(401, "UNAUTHORIZED", "Unauthorized");
    assert_eq!(server.verifications().await[0].1, alice_token);
}

#[tokio::test]
async fn valid_bearer_replaces_cookie() {
    let server = TestServer::start().await;
    let (alice, _) = server.signed_up("alice2@example.test").await;
    let (_, bob) = server.signed_up("bob2@example.test").await;
    let cookie = alice.session_cookie().expect("cookie");
    let bob_token = bob["token"].as_str().expect("token");

    let reply = generate_with(&server, Some(&cookie), &format!("Bearer {bob_token}")).await;
    assert_eq!(reply.status, 200);
    assert_eq!(server.verifications().await[0].1, bob_token, "the token is Bob's");

    let unknown = generate_with(&server, Some(&cookie), "Bearer UnknownToken00000000000000000000").await;
    unknown.assert_error(401, "UNAUTHORIZED", "Unauthorized");
    assert_eq!(unknown.set_cookies(), clearing_cookie_lines());
}

#[tokio::test]
async fn odd_authorization_values_never_fail_the_server() {
    let server = TestServer::start().await;
    let (alice, _) = server.signed_up("odd@example.test").await;
    let cookie = alice.session_cookie().expect("cookie");
    for authorization in [
        "Bearer ",
        "Bearer a.b.c%zz",
        "Bearer %",
        "Basic dXNlcjpwYXNz",
        "Bearer\ttoken",
    ] {
        let reply = generate_with(&server, None, authorization).await;
        assert!(reply.status == 401, "{authorization:?}: {}", reply.status);
    }
    let basic = generate_with(&server, Some(&cookie), "Basic dXNlcjpwYXNz").await;
    assert_eq!(basic.status, 200, "a non-bearer scheme leaves the cookie in charge");
}

#[tokio::test]
async fn session_creating_responses_carry_auth_token() {
    let server = TestServer::start().await;
    let (mut device, _) = server.signed_up("carry@example.test").await;
    let token = device.generate().await;
    let reply = server.device().verify(&token).await;
    let new_token = reply.json["token"].as_str().expect("token");
    let header = reply.header("set-auth-token").expect("set-auth-token");
    assert_eq!(header, expected_signed_value(new_token));
    // The header's value is what a mobile app sends back.
    let with_bearer = generate_with(&server, None, &format!("Bearer {header}")).await;
    assert_eq!(with_bearer.status, 200);
}

#[tokio::test]
async fn cookie_posts_need_trusted_origin() {
    let server = TestServer::start().await;
    let (mut device, _) = server.signed_up("csrf@example.test").await;
    let token = device.generate().await;
    let body = serde_json::to_vec(&json!({ "token": token })).expect("JSON");
    let json_type = ("content-type", "application/json");

    let cases: [(Headers, u16, &str, &str); 4] = [
        (&[json_type], 403, "MISSING_OR_NULL_ORIGIN", "Missing or null Origin"),
        (
            &[json_type, ("origin", "null")],
            403,
            "MISSING_OR_NULL_ORIGIN",
            "Missing or null Origin",
        ),
        (
            &[json_type, ("origin", "https://evil.example")],
            403,
            "INVALID_ORIGIN",
            "Invalid origin",
        ),
        (
            &[json_type, ("referer", "https://evil.example/page")],
            403,
            "INVALID_ORIGIN",
            "Invalid origin",
        ),
    ];
    for (headers, status, code, message) in cases {
        let reply = device.send(Method::POST, VERIFY, headers, Some(body.clone())).await;
        reply.assert_error(status, code, message);
        assert!(reply.set_cookies().is_empty());
    }
    assert_eq!(
        server.count("verification").await,
        1,
        "rejected requests consume nothing"
    );

    let referer = format!("{}/transfer", server.origin());
    let reply = device
        .send(Method::POST, VERIFY, &[json_type, ("referer", &referer)], Some(body))
        .await;
    assert_eq!(reply.status, 200, "a trusted Referer is enough");
}

#[tokio::test]
async fn configured_trusted_origin_is_accepted() {
    let server = TestServer::start().await;
    let (mut device, _) = server.signed_up("trusted@example.test").await;
    let token = device.generate().await;
    let reply = device
        .send(
            Method::POST,
            VERIFY,
            &[
                ("content-type", "application/json"),
                ("origin", "http://127.0.0.1:5173"),
            ],
            Some(serde_json::to_vec(&json!({ "token": token })).expect("JSON")),
        )
        .await;
    assert_eq!(reply.status, 200);
}

#[tokio::test]
async fn session_creation_rejects_hostile_pages() {
    let server = TestServer::start().await;
    let (mut device, _) = server.signed_up("victim@example.test").await;
    let token = device.generate().await;
    let body = serde_json::to_vec(&json!({ "token": token })).expect("JSON");
    let json_type = ("content-type", "application/json");
    let hostile: [(Headers, &str, &str); 3] = [
        (
            &[json_type, ("origin", "https://evil.example")],
            "INVALID_ORIGIN",
            "Invalid origin",
        ),
        (
            &[json_type, ("sec-fetch-site", "cross-site"), ("sec-fetch-mode", "cors")],
            "INVALID_ORIGIN",
            "Invalid origin",
        ),
        (
            &[
                json_type,
                ("sec-fetch-site", "cross-site"),
                ("sec-fetch-mode", "navigate"),
            ],
            "CROSS_SITE_NAVIGATION_LOGIN_BLOCKED",
            "Cross-site navigation login blocked. This request appears to be a CSRF attack.",
        ),
    ];
    for (headers, code, message) in hostile {
        let reply = server
            .device()
            .send(Method::POST, VERIFY, headers, Some(body.clone()))
            .await;
        reply.assert_error(403, code, message);
    }
    assert_eq!(server.count("verification").await, 1);

    let sign_up = server
        .device()
        .send(
            Method::POST,
            "/api/auth/sign-up/email",
            &[json_type, ("origin", "https://evil.example")],
            Some(br#"{"name":"E","email":"e@example.test","password":"password1234"}"#.to_vec()),
        )
        .await;
    sign_up.assert_error(403, "INVALID_ORIGIN", "Invalid origin");
    let fetch_without_origin = server
        .device()
        .send(
            Method::POST,
            "/api/auth/sign-in/email",
            &[json_type, ("sec-fetch-mode", "cors")],
            Some(br#"{"email":"victim@example.test","password":"password1234"}"#.to_vec()),
        )
        .await;
    fetch_without_origin.assert_error(403, "MISSING_OR_NULL_ORIGIN", "Missing or null Origin");

    let native_app = server
        .device()
        .send(Method::POST, VERIFY, &[json_type], Some(body))
        .await;
    assert_eq!(native_app.status, 200, "clients without Origin (apps, servers) redeem");
}

#[tokio::test]
async fn cors_answers_trusted_origins_only() {
    let server = TestServer::start().await;
    let preflight = server
        .device()
        .send(
            Method::OPTIONS,
            VERIFY,
            &[
                ("origin", "http://127.0.0.1:5173"),
                ("access-control-request-method", "POST"),
                ("access-control-request-headers", "content-type"),
            ],
            None,
        )
        .await;
    assert_eq!(preflight.status, 200);
    assert_eq!(
        preflight.header("access-control-allow-origin").as_deref(),
        Some("http://127.0.0.1:5173")
    );
    assert_eq!(
        preflight.header("access-control-allow-credentials").as_deref(),
        Some("true")
    );
    assert!(preflight.header("vary").is_some_and(|vary| vary.contains("origin")));
    assert!(
        preflight
            .header("access-control-allow-methods")
            .is_some_and(|methods| methods.contains("POST"))
    );

    let untrusted = server
        .device()
        .send(
            Method::OPTIONS,
            VERIFY,
            &[
                ("origin", "https://evil.example"),
                ("access-control-request-method", "POST"),
            ],
            None,
        )
        .await;
    assert!(untrusted.header("access-control-allow-origin").is_none());

    let simple = server
        .device()
        .send(
            Method::GET,
            "/api/auth/ok",
            &[("origin", "http://127.0.0.1:5173")],
            None,
        )
        .await;
    assert_eq!(
        simple.header("access-control-allow-origin").as_deref(),
        Some("http://127.0.0.1:5173")
    );
    assert_ne!(simple.header("access-control-allow-origin").as_deref(), Some("*"));
}
