//! End-to-end tests of the JavaScript API in headless Chromium, against a live
//! `ott-harness` server.
//!
//! Build-time environment:
//! - `OTT_TEST_SERVER`: the harness URL, e.g. `http://127.0.0.1:3101`. The
//!   harness must trust the test page's origin, so run with
//!   `WASM_BINDGEN_TEST_ADDRESS=127.0.0.1:8100`.
//! - `OTT_TEST_CLOSED_URL` (optional): a URL where nothing listens.
//!
//! Every test in the page shares one cookie jar. wasm-bindgen-test runs the
//! tests one at a time, and each test signs up its own user, so a test only
//! relies on the cookie that it set itself. Clients that act as a second
//! device send no cookies (`credentials: "omit"`) and use a bearer token.
#![cfg(target_arch = "wasm32")]

use js_sys::{Function, Promise, Reflect};
use ott_client::{AuthClient, create_auth_client};
use serde::Serialize;
use serde_json::{Value, json};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

const SERVER: &str = env!(
    "OTT_TEST_SERVER",
    "set OTT_TEST_SERVER to the ott-harness URL, e.g. http://127.0.0.1:3101"
);
const PASSWORD: &str = "correct horse battery";

fn closed_url() -> &'static str {
    option_env!("OTT_TEST_CLOSED_URL").unwrap_or("http://127.0.0.1:3199")
}

fn to_js(value: &Value) -> JsValue {
    value
        .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .expect("a JSON value converts to JavaScript")
}

fn from_js(value: JsValue) -> Value {
    serde_wasm_bindgen::from_value(value).expect("the outcome is plain JSON data")
}

/// A client that sends the page's cookies.
fn cookie_client() -> AuthClient {
    client_with(json!({ "baseURL": SERVER }))
}

/// A client that sends no cookies and authenticates with a session token.
fn bearer_client(session_token: &str) -> AuthClient {
    client_with(json!({
        "baseURL": SERVER,
        "fetchOptions": {
            "credentials": "omit",
            "headers": { "Authorization": format!("Bearer {session_token}") }
        }
    }))
}

/// A client that sends neither cookies nor a token.
fn anonymous_client() -> AuthClient {
    client_with(json!({ "baseURL": SERVER, "fetchOptions": { "credentials": "omit" } }))
}

fn client_with(options: Value) -> AuthClient {
    match create_auth_client(to_js(&options)) {
        Ok(client) => client,
        Err(err) => panic!("createAuthClient rejected {options}: {}", error_message(err.into())),
    }
}

fn error_message(error: JsValue) -> String {
    error
        .dyn_into::<js_sys::Error>()
        .map(|error| String::from(error.message()))
        .unwrap_or_else(|value| format!("{value:?}"))
}

/// Awaits a method's promise, which must resolve, never reject.
async fn settle(promise: Promise) -> Value {
    match JsFuture::from(promise).await {
        Ok(outcome) => from_js(outcome),
        Err(err) => panic!("the promise rejected: {err:?}"),
    }
}

fn unique_email(label: &str) -> String {
    let stamp = js_sys::Date::now() as u64;
    let random = (js_sys::Math::random() * 1e9) as u64;
    format!("{label}-{stamp}-{random}@example.test")
}

fn expect_data(outcome: &Value) -> &Value {
    assert_eq!(outcome["error"], Value::Null, "unexpected error in {outcome}");
    &outcome["data"]
}

fn expect_error(outcome: &Value) -> &Value {
    assert_eq!(outcome["data"], Value::Null, "unexpected data in {outcome}");
    &outcome["error"]
}

fn invalid_token_error() -> Value {
    json!({
        "status": 400,
        "statusText": "Bad Request",
        "message": "Invalid token",
        "code": "INVALID_TOKEN"
    })
}

fn unauthorized_error() -> Value {
    json!({
        "status": 401,
        "statusText": "Unauthorized",
        "message": "Unauthorized",
        "code": "UNAUTHORIZED"
    })
}

/// A freshly signed-up user.
struct SignedUp {
    email: String,
    user_id: String,
    session_token: String,
}

/// Signs up a new user through `client`. With a cookie client, the page's
/// session cookie then belongs to this user.
async fn sign_up(client: &AuthClient, label: &str) -> SignedUp {
    let email = unique_email(label);
    let outcome = settle(client.sign_up().email(to_js(&json!({
        "name": "Test User",
        "email": email,
        "password": PASSWORD
    }))))
    .await;
    let data = expect_data(&outcome);
    SignedUp {
        user_id: data["user"]["id"].as_str().expect("user.id is a string").to_owned(),
        session_token: data["token"].as_str().expect("token is a string").to_owned(),
        email,
    }
}

/// Moves the harness clock forward.
async fn advance_clock(seconds: u32) {
    let response = gloo_net::http::Request::post(&format!("{SERVER}/__test/clock/advance"))
        .header("content-type", "application/json")
        .body(json!({ "seconds": seconds }).to_string())
        .expect("the clock request builds")
        .send()
        .await
        .expect("the harness answers the clock request");
    assert_eq!(response.status(), 200, "advancing the harness clock failed");
}

/// Replaces `globalThis.fetch` with a wrapper that records each requested
/// URL. Returns `{ urls, restore() }`.
fn record_fetches() -> JsValue {
    let install = Function::new_no_args(
        "const original = globalThis.fetch;
         const urls = [];
         globalThis.fetch = function (input, init) {
             urls.push(typeof input === 'string' ? input : input.url);
             return original.call(globalThis, input, init);
         };
         return { urls, restore() { globalThis.fetch = original; } };",
    );
    install.call0(&JsValue::NULL).expect("the fetch recorder installs")
}

fn stop_recording(recorder: &JsValue) -> Vec<String> {
    let restore: Function = Reflect::get(recorder, &"restore".into())
        .expect("recorder.restore exists")
        .unchecked_into();
    restore.call0(recorder).expect("fetch is restored");
    let urls = Reflect::get(recorder, &"urls".into()).expect("recorder.urls exists");
    serde_wasm_bindgen::from_value(urls).expect("the recorded URLs are strings")
}

fn is_one_time_token(token: &str) -> bool {
    token.len() == 32
        && token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

#[wasm_bindgen_test]
async fn sign_up_returns_user_and_session_token() {
    let client = anonymous_client();
    let email = unique_email("Sign-Up");
    let outcome = settle(client.sign_up().email(to_js(&json!({
        "name": "Ada Lovelace",
        "email": email,
        "password": PASSWORD
    }))))
    .await;

    let data = expect_data(&outcome);
    let user = &data["user"];
    assert_eq!(user["name"], "Ada Lovelace");
    assert_eq!(user["email"], email.to_lowercase());
    assert_eq!(user["emailVerified"], false);
    assert_eq!(user["image"], Value::Null);
    assert_eq!(user["createdAt"], user["updatedAt"]);
    assert_eq!(user["id"].as_str().map(str::len), Some(32));
    assert_eq!(data["token"].as_str().map(str::len), Some(32));
    let mut keys: Vec<&str> = user
        .as_object()
        .expect("user is an object")
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "createdAt",
            "email",
            "emailVerified",
            "id",
            "image",
            "name",
            "updatedAt"
        ]
    );
}

#[wasm_bindgen_test]
async fn sign_up_rejects_taken_email() {
    let client = anonymous_client();
    let first = sign_up(&client, "taken").await;
    let outcome = settle(client.sign_up().email(to_js(&json!({
        "name": "Someone Else",
        "email": first.email,
        "password": PASSWORD
    }))))
    .await;

    let expected = json!({
        "status": 422,
        "statusText": "Unprocessable Entity",
        "message": "User already exists. Use another email.",
        "code": "USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL"
    });
    assert_eq!(*expect_error(&outcome), expected);
}

#[wasm_bindgen_test]
async fn sign_up_rejects_short_password() {
    let outcome = settle(anonymous_client().sign_up().email(to_js(&json!({
        "name": "Short",
        "email": unique_email("short"),
        "password": "1234567"
    }))))
    .await;

    let expected = json!({
        "status": 400,
        "statusText": "Bad Request",
        "message": "Password too short",
        "code": "PASSWORD_TOO_SHORT"
    });
    assert_eq!(*expect_error(&outcome), expected);
}

#[wasm_bindgen_test]
async fn sign_in_returns_new_session() {
    let client = anonymous_client();
    let account = sign_up(&client, "sign-in").await;
    let outcome = settle(client.sign_in().email(to_js(&json!({
        "email": account.email,
        "password": PASSWORD
    }))))
    .await;

    let data = expect_data(&outcome);
    assert_eq!(data["redirect"], false);
    assert_eq!(data["user"]["id"], account.user_id);
    let token = data["token"].as_str().expect("token is a string");
    assert_eq!(token.len(), 32);
    assert_ne!(token, account.session_token);
}

#[wasm_bindgen_test]
async fn sign_in_without_remember_me() {
    let client = anonymous_client();
    let account = sign_up(&client, "no-remember").await;
    let outcome = settle(client.sign_in().email(to_js(&json!({
        "email": account.email,
        "password": PASSWORD,
        "rememberMe": false
    }))))
    .await;

    assert_eq!(expect_data(&outcome)["user"]["id"], account.user_id);
}

#[wasm_bindgen_test]
async fn sign_in_rejects_wrong_password() {
    let client = anonymous_client();
    let account = sign_up(&client, "wrong-password").await;
    let outcome = settle(client.sign_in().email(to_js(&json!({
        "email": account.email,
        "password": "not the password"
    }))))
    .await;

    let expected = json!({
        "status": 401,
        "statusText": "Unauthorized",
        "message": "Invalid email or password",
        "code": "INVALID_EMAIL_OR_PASSWORD"
    });
    assert_eq!(*expect_error(&outcome), expected);
}

#[wasm_bindgen_test]
async fn get_session_without_session_is_null() {
    let outcome = settle(anonymous_client().get_session()).await;

    assert_eq!(outcome, json!({ "data": null, "error": null }));
}

#[wasm_bindgen_test]
async fn get_session_after_sign_up_uses_cookie() {
    let client = cookie_client();
    let account = sign_up(&client, "get-session").await;
    let outcome = settle(client.get_session()).await;

    let data = expect_data(&outcome);
    assert_eq!(data["user"]["id"], account.user_id);
    assert_eq!(data["user"]["email"], account.email);
    let session = &data["session"];
    assert_eq!(session["token"], account.session_token);
    assert_eq!(session["userId"], account.user_id);
    let mut keys: Vec<&str> = session
        .as_object()
        .expect("session is an object")
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "createdAt",
            "expiresAt",
            "id",
            "ipAddress",
            "token",
            "updatedAt",
            "userAgent",
            "userId"
        ]
    );
}

#[wasm_bindgen_test]
async fn generate_then_verify_creates_session() {
    let client = cookie_client();
    let account = sign_up(&client, "round-trip").await;
    let generated = settle(client.one_time_token().generate()).await;
    let token = expect_data(&generated)["token"]
        .as_str()
        .expect("token is a string")
        .to_owned();
    assert!(is_one_time_token(&token), "not a one-time token: {token}");

    let second_device = anonymous_client();
    let outcome = settle(second_device.one_time_token().verify(to_js(&json!({ "token": token })))).await;

    let data = expect_data(&outcome);
    assert_eq!(data["user"]["id"], account.user_id);
    assert_eq!(data["user"]["email"], account.email);
    let new_session_token = data["token"].as_str().expect("verify returns the new session token");
    assert_eq!(new_session_token.len(), 32);
    assert_ne!(new_session_token, account.session_token);
    assert_eq!(data["session"]["token"], new_session_token);
    assert_eq!(data["session"]["userId"], account.user_id);

    // The new session works on its own, as a bearer token.
    let session = settle(bearer_client(new_session_token).get_session()).await;
    assert_eq!(expect_data(&session)["session"]["token"], new_session_token);
}

#[wasm_bindgen_test]
async fn generate_without_session_is_unauthorized() {
    let outcome = settle(anonymous_client().one_time_token().generate()).await;

    assert_eq!(*expect_error(&outcome), unauthorized_error());
}

#[wasm_bindgen_test]
async fn verify_rejects_reused_token() {
    let account = sign_up(&anonymous_client(), "reuse").await;
    let owner = bearer_client(&account.session_token);
    let generated = settle(owner.one_time_token().generate()).await;
    let token = expect_data(&generated)["token"].clone();
    let verifier = anonymous_client();

    let first = settle(verifier.one_time_token().verify(to_js(&json!({ "token": token })))).await;
    expect_data(&first);
    let second = settle(verifier.one_time_token().verify(to_js(&json!({ "token": token })))).await;

    assert_eq!(*expect_error(&second), invalid_token_error());
}

#[wasm_bindgen_test]
async fn verify_rejects_unknown_token() {
    let outcome = settle(
        anonymous_client()
            .one_time_token()
            .verify(to_js(&json!({ "token": "unknown-token-0000000000000000000" }))),
    )
    .await;

    assert_eq!(*expect_error(&outcome), invalid_token_error());
}

#[wasm_bindgen_test]
async fn verify_rejects_expired_token() {
    let account = sign_up(&anonymous_client(), "expired").await;
    let generated = settle(bearer_client(&account.session_token).one_time_token().generate()).await;
    let token = expect_data(&generated)["token"].clone();

    // Tokens live 3 minutes by default.
    advance_clock(3 * 60 + 1).await;
    let outcome = settle(
        anonymous_client()
            .one_time_token()
            .verify(to_js(&json!({ "token": token }))),
    )
    .await;

    assert_eq!(*expect_error(&outcome), invalid_token_error());
}

#[wasm_bindgen_test]
async fn verify_rejects_token_of_revoked_session() {
    let account = sign_up(&anonymous_client(), "revoked").await;
    let owner = bearer_client(&account.session_token);
    let generated = settle(owner.one_time_token().generate()).await;
    let token = expect_data(&generated)["token"].clone();
    let revoked = settle(owner.revoke_session(to_js(&json!({ "token": account.session_token })))).await;
    assert_eq!(revoked, json!({ "data": { "status": true }, "error": null }));

    let outcome = settle(
        anonymous_client()
            .one_time_token()
            .verify(to_js(&json!({ "token": token }))),
    )
    .await;

    let expected = json!({
        "status": 400,
        "statusText": "Bad Request",
        "message": "Session not found",
        "code": "SESSION_NOT_FOUND"
    });
    assert_eq!(*expect_error(&outcome), expected);
}

#[wasm_bindgen_test]
async fn concurrent_verify_sends_one_request() {
    let account = sign_up(&anonymous_client(), "concurrent").await;
    let generated = settle(bearer_client(&account.session_token).one_time_token().generate()).await;
    let token = expect_data(&generated)["token"].clone();
    let verifier = anonymous_client();
    let input = to_js(&json!({ "token": token }));

    let recorder = record_fetches();
    let first = verifier.one_time_token().verify(input.clone());
    let second = verifier.one_time_token().verify(input.clone());
    let same_promise = js_sys::Object::is(&first, &second);
    let first = settle(first).await;
    let second = settle(second).await;
    // Once settled, the token is no longer in flight: a third call sends
    // its own request, which the server rejects because the token is spent.
    let third = settle(verifier.one_time_token().verify(input)).await;
    let urls = stop_recording(&recorder);

    let verify_url = format!("{SERVER}/api/auth/one-time-token/verify");
    assert_eq!(urls, [verify_url.clone(), verify_url]);
    assert!(same_promise, "both calls should share one promise");
    assert_eq!(first, second);
    assert_eq!(expect_data(&first)["user"]["id"], account.user_id);
    assert_eq!(*expect_error(&third), invalid_token_error());
}

#[wasm_bindgen_test]
async fn verify_of_different_tokens_is_not_shared() {
    let account = sign_up(&anonymous_client(), "two-tokens").await;
    let owner = bearer_client(&account.session_token);
    let one = expect_data(&settle(owner.one_time_token().generate()).await)["token"].clone();
    let two = expect_data(&settle(owner.one_time_token().generate()).await)["token"].clone();
    let verifier = anonymous_client();

    let recorder = record_fetches();
    let first = verifier.one_time_token().verify(to_js(&json!({ "token": one })));
    let second = verifier.one_time_token().verify(to_js(&json!({ "token": two })));
    let first = settle(first).await;
    let second = settle(second).await;
    let urls = stop_recording(&recorder);

    assert_eq!(urls.len(), 2);
    assert_eq!(expect_data(&first)["user"]["id"], account.user_id);
    assert_eq!(expect_data(&second)["user"]["id"], account.user_id);
    assert_ne!(first["data"]["token"], second["data"]["token"]);
}

#[wasm_bindgen_test]
async fn sign_out_ends_cookie_session() {
    let client = cookie_client();
    let account = sign_up(&client, "sign-out").await;
    let before = settle(client.get_session()).await;
    assert_eq!(expect_data(&before)["user"]["id"], account.user_id);

    let outcome = settle(client.sign_out()).await;

    assert_eq!(outcome, json!({ "data": { "success": true }, "error": null }));
    let after = settle(client.get_session()).await;
    assert_eq!(after, json!({ "data": null, "error": null }));
    let by_token = settle(bearer_client(&account.session_token).get_session()).await;
    assert_eq!(by_token, json!({ "data": null, "error": null }));
}

#[wasm_bindgen_test]
async fn list_and_revoke_sessions() {
    let anonymous = anonymous_client();
    let account = sign_up(&anonymous, "list").await;
    let signed_in = settle(anonymous.sign_in().email(to_js(&json!({
        "email": account.email,
        "password": PASSWORD
    }))))
    .await;
    let second_token = expect_data(&signed_in)["token"]
        .as_str()
        .expect("token is a string")
        .to_owned();
    let client = bearer_client(&second_token);

    let listed = settle(client.list_sessions()).await;
    let mut tokens: Vec<&str> = expect_data(&listed)
        .as_array()
        .expect("listSessions returns an array")
        .iter()
        .map(|session| session["token"].as_str().expect("session.token is a string"))
        .collect();
    tokens.sort_unstable();
    let mut expected = vec![account.session_token.as_str(), second_token.as_str()];
    expected.sort_unstable();
    assert_eq!(tokens, expected);

    let revoked = settle(client.revoke_session(to_js(&json!({ "token": account.session_token })))).await;
    assert_eq!(revoked, json!({ "data": { "status": true }, "error": null }));

    let listed = settle(client.list_sessions()).await;
    let remaining = expect_data(&listed).as_array().expect("listSessions returns an array");
    assert_eq!(remaining.len(), 1);
    assert_eq!(remaining[0]["token"], second_token);
    assert_eq!(remaining[0]["userId"], account.user_id);
}

#[wasm_bindgen_test]
async fn list_sessions_without_session_is_unauthorized() {
    let outcome = settle(anonymous_client().list_sessions()).await;

    assert_eq!(*expect_error(&outcome), unauthorized_error());
}

#[wasm_bindgen_test]
async fn revoke_session_without_session_is_unauthorized() {
    let outcome = settle(anonymous_client().revoke_session(to_js(&json!({ "token": "whatever" })))).await;

    assert_eq!(*expect_error(&outcome), unauthorized_error());
}

#[wasm_bindgen_test]
async fn closed_port_gives_network_error() {
    let client = client_with(json!({ "baseURL": closed_url() }));
    let outcome = settle(client.get_session()).await;

    let expected = json!({
        "status": 0,
        "statusText": "",
        "message": format!("The request to {}/api/auth/get-session failed: Failed to fetch", closed_url()),
        "code": "NETWORK_ERROR"
    });
    assert_eq!(*expect_error(&outcome), expected);
}

#[wasm_bindgen_test]
async fn unexpected_json_gives_invalid_response() {
    // The query string turns every route into a request for `/ok`, which
    // returns `{"ok":true}` instead of a session.
    let client = client_with(json!({ "baseURL": SERVER, "basePath": "/api/auth/ok?route=" }));
    let outcome = settle(client.get_session()).await;

    let expected = json!({
        "status": 0,
        "statusText": "",
        "message": format!(
            "The response from {SERVER}/api/auth/ok?route=/get-session does not have the expected shape: missing field `session`"
        ),
        "code": "INVALID_RESPONSE"
    });
    assert_eq!(*expect_error(&outcome), expected);
}

#[wasm_bindgen_test]
async fn unknown_route_gives_server_json_error() {
    let client = client_with(json!({ "baseURL": SERVER, "basePath": "/api/auth/no-such-group" }));
    let outcome = settle(client.list_sessions()).await;

    let expected = json!({
        "status": 404,
        "statusText": "Not Found",
        "message": "Not found",
        "code": "NOT_FOUND"
    });
    assert_eq!(*expect_error(&outcome), expected);
}

#[wasm_bindgen_test]
async fn non_json_error_body_uses_status_text() {
    // The wasm-bindgen test server, on the page's own origin, has no such
    // path and does not respond with JSON.
    let origin = web_sys_origin();
    let client = client_with(json!({ "baseURL": origin, "basePath": "/no-such-path" }));
    let outcome = settle(client.get_session()).await;

    let expected = json!({
        "status": 404,
        "statusText": "Not Found",
        "message": "Not Found",
        "code": "NOT_FOUND"
    });
    assert_eq!(*expect_error(&outcome), expected);
}

fn web_sys_origin() -> String {
    let location = Reflect::get(&js_sys::global(), &"location".into()).expect("the page has a location");
    Reflect::get(&location, &"origin".into())
        .expect("location.origin exists")
        .as_string()
        .expect("location.origin is a string")
}

#[wasm_bindgen_test]
async fn invalid_argument_resolves_with_error() {
    let client = anonymous_client();

    let missing = settle(client.one_time_token().verify(to_js(&json!({})))).await;
    let wrong_type = settle(client.revoke_session(to_js(&json!({ "token": 42 })))).await;
    let not_object = settle(client.sign_in().email(JsValue::UNDEFINED)).await;

    let expected_missing = json!({
        "status": 0,
        "statusText": "",
        "message": "Invalid argument to oneTimeToken.verify: missing field `token`",
        "code": "INVALID_INPUT"
    });
    assert_eq!(*expect_error(&missing), expected_missing);
    let expected_wrong_type = json!({
        "status": 0,
        "statusText": "",
        "message": "Invalid argument to revokeSession: invalid type: a number, expected a string",
        "code": "INVALID_INPUT"
    });
    assert_eq!(*expect_error(&wrong_type), expected_wrong_type);
    let expected_not_object = json!({
        "status": 0,
        "statusText": "",
        "message": "Invalid argument to signIn.email: invalid type: null, expected struct SignInEmailInput",
        "code": "INVALID_INPUT"
    });
    assert_eq!(*expect_error(&not_object), expected_not_object);
}

#[wasm_bindgen_test]
fn create_auth_client_rejects_invalid_options() {
    let cases = [
        (
            json!({ "baseURL": "not a url" }),
            "invalid createAuthClient options: baseURL \"not a url\" is not an absolute http or https URL without query or fragment",
        ),
        (
            json!({ "baseURL": "ftp://127.0.0.1/" }),
            "invalid createAuthClient options: baseURL \"ftp://127.0.0.1/\" is not an absolute http or https URL without query or fragment",
        ),
        (
            json!({ "baseURL": "http://127.0.0.1/?tenant=a" }),
            "invalid createAuthClient options: baseURL \"http://127.0.0.1/?tenant=a\" is not an absolute http or https URL without query or fragment",
        ),
        (
            json!({ "baseURL": SERVER, "fetchOptions": { "credentials": "sometimes" } }),
            "invalid createAuthClient options: fetchOptions.credentials is \"sometimes\", expected \"include\", \"omit\" or \"same-origin\"",
        ),
        (
            json!({ "basePath": "/api/auth" }),
            "invalid createAuthClient options: missing field `baseURL`",
        ),
    ];
    for (options, expected) in cases {
        match create_auth_client(to_js(&options)) {
            Ok(_) => panic!("createAuthClient accepted {options}"),
            Err(err) => assert_eq!(error_message(err.into()), expected, "options {options}"),
        }
    }
}

#[wasm_bindgen_test]
fn create_auth_client_rejects_invalid_header() {
    let options = json!({ "baseURL": SERVER, "fetchOptions": { "headers": { "bad header": "x" } } });

    let err = create_auth_client(to_js(&options))
        .err()
        .expect("an invalid header name is rejected");

    let message = error_message(err.into());
    assert!(
        message.starts_with("invalid createAuthClient options: fetchOptions.headers: "),
        "unexpected message: {message}"
    );
}

#[wasm_bindgen_test]
async fn base_path_slashes_are_normalized() {
    let client = client_with(json!({ "baseURL": format!("{SERVER}/"), "basePath": "api/auth/" }));
    let outcome = settle(client.get_session()).await;

    assert_eq!(outcome["error"], Value::Null, "unexpected error in {outcome}");
}
