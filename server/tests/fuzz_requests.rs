//! Property test: arbitrary request bodies, cookies and headers never make
//! the server panic or respond with 5xx, and never redeem the live token.

mod common;

use common::TestServer;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use reqwest::Method;

const PATHS: &[&str] = &[
    "/api/auth/one-time-token/verify",
    "/api/auth/one-time-token/generate",
    "/api/auth/sign-in/email",
    "/api/auth/sign-up/email",
    "/api/auth/sign-out",
    "/api/auth/get-session",
    "/api/auth/list-sessions",
    "/api/auth/revoke-session",
    "/api/auth/one-time-token-session/verify",
    "/api/auth/unknown",
];

const CONTENT_TYPES: &[&str] = &[
    "application/json",
    "application/json; charset=utf-8",
    "text/plain",
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=x",
    "",
];

/// A request as the property test draws it.
#[derive(Debug, Clone)]
struct Drawn {
    method: Method,
    path: &'static str,
    content_type: &'static str,
    body: Vec<u8>,
    cookie: Option<String>,
    authorization: Option<String>,
    origin: Option<String>,
}

/// JSON-shaped text, which reaches deeper into validation than random bytes.
fn json_like() -> impl Strategy<Value = Vec<u8>> {
    let leaf = prop_oneof![
        Just("null".to_owned()),
        Just("true".to_owned()),
        any::<i64>().prop_map(|n| n.to_string()),
        "[ -~]{0,40}".prop_map(|text| serde_json::to_string(&text).expect("string")),
    ];
    let value = leaf.prop_recursive(4, 24, 4, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(|items| format!("[{}]", items.join(","))),
            proptest::collection::vec(
                (
                    prop_oneof![
                        Just("token"),
                        Just("email"),
                        Just("password"),
                        Just("name"),
                        Just("rememberMe")
                    ],
                    inner
                ),
                0..4
            )
            .prop_map(|fields| {
                let pairs: Vec<String> = fields.iter().map(|(key, value)| format!("\"{key}\":{value}")).collect();
                format!("{{{}}}", pairs.join(","))
            }),
        ]
    });
    value.prop_map(String::into_bytes)
}

fn drawn() -> impl Strategy<Value = Drawn> {
    let method = prop_oneof![
        Just(Method::GET),
        Just(Method::POST),
        Just(Method::PUT),
        Just(Method::DELETE),
        Just(Method::OPTIONS),
        Just(Method::HEAD),
    ];
    let body = prop_oneof![json_like(), proptest::collection::vec(any::<u8>(), 0..300)];
    let header_text = "[ -~]{0,120}";
    (
        method,
        proptest::sample::select(PATHS),
        proptest::sample::select(CONTENT_TYPES),
        body,
        proptest::option::of(header_text.prop_map(|value| format!("better-auth.session_token={value}"))),
        proptest::option::of(header_text.prop_map(|value| format!("Bearer {value}"))),
        proptest::option::of(prop_oneof![
            Just("null".to_owned()),
            "[ -~]{0,40}".prop_map(String::from)
        ]),
    )
        .prop_map(
            |(method, path, content_type, body, cookie, authorization, origin)| Drawn {
                method,
                path,
                content_type,
                body,
                cookie,
                authorization,
                origin,
            },
        )
}

#[test]
fn arbitrary_requests_never_fail_the_server() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let server = runtime.block_on(TestServer::start());
    let (mut device, _) = runtime.block_on(server.signed_up("fuzz@example.test"));
    let token = runtime.block_on(device.generate());

    let cases: u32 = std::env::var("OTT_FUZZ_CASES")
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(2000);
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    });
    let result = runner.run(&drawn(), |request| {
        let mut headers: Vec<(&str, &str)> = Vec::new();
        if !request.content_type.is_empty() {
            headers.push(("content-type", request.content_type));
        }
        if let Some(cookie) = &request.cookie {
            headers.push(("cookie", cookie));
        }
        if let Some(authorization) = &request.authorization {
            headers.push(("authorization", authorization));
        }
        if let Some(origin) = &request.origin {
            headers.push(("origin", origin));
        }
        let reply = runtime.block_on(server.device().send(
            request.method.clone(),
            request.path,
            &headers,
            Some(request.body.clone()),
        ));
        prop_assert!(reply.status < 500, "{request:?} got {}: {}", reply.status, reply.text);
        if request.method != Method::HEAD && reply.status >= 400 {
            prop_assert!(
                reply.json["code"].is_string(),
                "{request:?} got a non-JSON error: {}",
                reply.text
            );
        }
        Ok(())
    });
    if let Err(failure) = result {
        panic!("{failure}");
    }

    let sessions = runtime.block_on(server.count("verification"));
    assert_eq!(sessions, 1, "no drawn request redeemed the live token");
    let reply = runtime.block_on(server.device().verify(&token));
    assert_eq!(reply.status, 200);
}
