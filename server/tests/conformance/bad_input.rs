//! Bad input of every kind: each case gets the expected 4xx with a JSON
//! body, never a 5xx, and changes nothing: no token consumed, no session
//! created (checked in the database after each case).

use reqwest::Method;

use crate::common::{Reply, TestServer};

const VERIFY: &str = "/api/auth/one-time-token/verify";
const GENERATE: &str = "/api/auth/one-time-token/generate";
const SIGN_IN: &str = "/api/auth/sign-in/email";
const SIGN_UP: &str = "/api/auth/sign-up/email";

struct Case {
    name: &'static str,
    method: Method,
    path: String,
    headers: Vec<(String, String)>,
    body: Option<Vec<u8>>,
    /// Send the signed-in device's session cookie.
    with_cookie: bool,
    status: u16,
    code: &'static str,
}

fn case(name: &'static str, method: Method, path: &str, status: u16, code: &'static str) -> Case {
    Case {
        name,
        method,
        path: path.to_owned(),
        headers: Vec::new(),
        body: None,
        with_cookie: false,
        status,
        code,
    }
}

impl Case {
    fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    fn json(self, body: impl Into<Vec<u8>>) -> Self {
        let mut case = self.header("content-type", "application/json");
        case.body = Some(body.into());
        case
    }

    fn raw(mut self, content_type: &str, body: impl Into<Vec<u8>>) -> Self {
        self.headers.push(("content-type".to_owned(), content_type.to_owned()));
        self.body = Some(body.into());
        self
    }

    fn cookie(mut self) -> Self {
        self.with_cookie = true;
        self
    }
}

fn verify_json(name: &'static str, body: impl Into<Vec<u8>>, status: u16, code: &'static str) -> Case {
    case(name, Method::POST, VERIFY, status, code).json(body)
}

fn token_body(token: &str) -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!({ "token": token })).expect("JSON")
}

/// Every case, built around a live token and the origin of the server.
fn cases(token: &str, origin: &str) -> Vec<Case> {
    let mut upper = token.to_owned();
    upper = upper.to_uppercase();
    let upper = if upper == token { format!("{token}X") } else { upper };
    let percent_encoded: String = token.bytes().map(|b| format!("%{b:02X}")).collect();
    let deep = format!("{}{}", "[".repeat(500), "]".repeat(500));
    let huge_json = format!(r#"{{"token":"{}"}}"#, "a".repeat(100 * 1024));
    let huge_header = "x".repeat(40 * 1024);
    let huge_cookie = format!("better-auth.session_token={}", "c".repeat(10 * 1024));

    vec![
        // Malformed JSON.
        verify_json("truncated object", r#"{"token":"#, 400, "BAD_REQUEST"),
        verify_json("unclosed object", format!(r#"{{"token":"{token}""#), 400, "BAD_REQUEST"),
        verify_json("bare bracket", "[", 400, "BAD_REQUEST"),
        verify_json("bad literal", "tru", 400, "BAD_REQUEST"),
        verify_json(
            "trailing garbage",
            format!(r#"{{"token":"{token}"}} x"#),
            400,
            "BAD_REQUEST",
        ),
        verify_json(
            "two documents",
            format!(r#"{{"token":"{token}"}}{{}}"#),
            400,
            "BAD_REQUEST",
        ),
        verify_json(
            "invalid UTF-8",
            b"{\"token\":\"\xff\xfe\"}".to_vec(),
            400,
            "BAD_REQUEST",
        ),
        verify_json("single quotes", format!("{{'token':'{token}'}}"), 400, "BAD_REQUEST"),
        verify_json(
            "comment",
            format!(r#"{{/* c */"token":"{token}"}}"#),
            400,
            "BAD_REQUEST",
        ),
        verify_json("deep nesting", deep, 400, "BAD_REQUEST"),
        verify_json("NaN", r#"{"token":NaN}"#, 400, "BAD_REQUEST"),
        // Duplicate keys, which parsers resolve differently.
        verify_json(
            "duplicate token keys",
            format!(r#"{{"token":"nope","token":"{token}"}}"#),
            400,
            "BAD_REQUEST",
        ),
        verify_json(
            "duplicate nested keys",
            format!(r#"{{"token":"{token}","x":{{"a":1,"a":2}}}}"#),
            400,
            "BAD_REQUEST",
        ),
        // Wrong types and shapes.
        verify_json(
            "token is an object",
            r#"{"token":{"value":"x"}}"#,
            400,
            "VALIDATION_ERROR",
        ),
        verify_json(
            "token is an array",
            format!(r#"{{"token":["{token}"]}}"#),
            400,
            "VALIDATION_ERROR",
        ),
        verify_json("token is true", r#"{"token":true}"#, 400, "VALIDATION_ERROR"),
        verify_json("token is a float", r#"{"token":1.5}"#, 400, "VALIDATION_ERROR"),
        verify_json("token is null", r#"{"token":null}"#, 400, "VALIDATION_ERROR"),
        verify_json("body is a string", format!(r#""{token}""#), 400, "VALIDATION_ERROR"),
        verify_json("body is a number", "42", 400, "VALIDATION_ERROR"),
        verify_json("body is an array", format!(r#"["{token}"]"#), 400, "VALIDATION_ERROR"),
        verify_json("empty object", "{}", 400, "VALIDATION_ERROR"),
        verify_json("empty body", "", 400, "VALIDATION_ERROR"),
        verify_json("whitespace body", "   \n", 400, "VALIDATION_ERROR"),
        verify_json(
            "misspelt field",
            format!(r#"{{"Token":"{token}"}}"#),
            400,
            "VALIDATION_ERROR",
        ),
        // Sizes.
        verify_json("body over 64 KiB", huge_json, 413, "PAYLOAD_TOO_LARGE"),
        verify_json(
            "token of 10,000 characters",
            token_body(&"a".repeat(10_000)),
            400,
            "INVALID_TOKEN",
        ),
        // Look-alikes of the live token.
        verify_json(
            "token with trailing space",
            token_body(&format!("{token} ")),
            400,
            "INVALID_TOKEN",
        ),
        verify_json(
            "token with leading space",
            token_body(&format!(" {token}")),
            400,
            "INVALID_TOKEN",
        ),
        verify_json("token in other case", token_body(&upper), 400, "INVALID_TOKEN"),
        verify_json(
            "token percent-encoded",
            token_body(&percent_encoded),
            400,
            "INVALID_TOKEN",
        ),
        verify_json(
            "token with NUL",
            token_body(&format!("{token}\u{0}")),
            400,
            "INVALID_TOKEN",
        ),
        verify_json(
            "token with newline",
            token_body(&format!("{token}\n")),
            400,
            "INVALID_TOKEN",
        ),
        verify_json("token prefix", token_body(&token[..16]), 400, "INVALID_TOKEN"),
        verify_json("Cyrillic token", token_body("токен-токен-токен"), 400, "INVALID_TOKEN"),
        verify_json("emoji token", token_body("🔑🔑🔑"), 400, "INVALID_TOKEN"),
        verify_json(
            "control characters",
            token_body("\u{1}\u{2}\u{7f}"),
            400,
            "INVALID_TOKEN",
        ),
        verify_json("SQL-looking token", token_body("' OR '1'='1"), 400, "INVALID_TOKEN"),
        verify_json("LIKE wildcard token", token_body("%"), 400, "INVALID_TOKEN"),
        verify_json(
            "escaped unicode token",
            r#"{"token":"\u0000\ud800"}"#,
            400,
            "BAD_REQUEST",
        ),
        // Content types.
        case("text/plain body", Method::POST, VERIFY, 415, "UNSUPPORTED_MEDIA_TYPE")
            .raw("text/plain", token_body(token)),
        case("form body", Method::POST, VERIFY, 415, "UNSUPPORTED_MEDIA_TYPE")
            .raw("application/x-www-form-urlencoded", format!("token={token}")),
        case("multipart body", Method::POST, VERIFY, 415, "UNSUPPORTED_MEDIA_TYPE").raw(
            "multipart/form-data; boundary=x",
            format!("--x\r\nContent-Disposition: form-data; name=\"token\"\r\n\r\n{token}\r\n--x--\r\n"),
        ),
        case(
            "JSON look-alike type",
            Method::POST,
            VERIFY,
            415,
            "UNSUPPORTED_MEDIA_TYPE",
        )
        .raw("application/jsonx", token_body(token)),
        case("vendor JSON type", Method::POST, VERIFY, 415, "UNSUPPORTED_MEDIA_TYPE")
            .raw("application/vnd.api+json", token_body(token)),
        case("no content type", Method::POST, VERIFY, 400, "VALIDATION_ERROR").header("x-note", "none"),
        // Wrong methods.
        case(
            "GET on verify",
            Method::GET,
            &format!("{VERIFY}?token={token}"),
            405,
            "METHOD_NOT_ALLOWED",
        ),
        case("PUT on verify", Method::PUT, VERIFY, 405, "METHOD_NOT_ALLOWED").json(token_body(token)),
        case("DELETE on verify", Method::DELETE, VERIFY, 405, "METHOD_NOT_ALLOWED"),
        case("PATCH on verify", Method::PATCH, VERIFY, 405, "METHOD_NOT_ALLOWED").json(token_body(token)),
        case("POST on generate", Method::POST, GENERATE, 405, "METHOD_NOT_ALLOWED").cookie(),
        case("DELETE on sign-in", Method::DELETE, SIGN_IN, 405, "METHOD_NOT_ALLOWED"),
        // Forged origins.
        case(
            "cookie without origin",
            Method::POST,
            VERIFY,
            403,
            "MISSING_OR_NULL_ORIGIN",
        )
        .json(token_body(token))
        .cookie(),
        case(
            "cookie with null origin",
            Method::POST,
            VERIFY,
            403,
            "MISSING_OR_NULL_ORIGIN",
        )
        .json(token_body(token))
        .header("origin", "null")
        .cookie(),
        case("cookie with forged origin", Method::POST, VERIFY, 403, "INVALID_ORIGIN")
            .json(token_body(token))
            .header("origin", "https://evil.example")
            .cookie(),
        case(
            "cookie with origin look-alike",
            Method::POST,
            VERIFY,
            403,
            "INVALID_ORIGIN",
        )
        .json(token_body(token))
        .header("origin", &format!("{origin}.evil.example"))
        .cookie(),
        case(
            "cookie with forged referer",
            Method::POST,
            VERIFY,
            403,
            "INVALID_ORIGIN",
        )
        .json(token_body(token))
        .header("referer", "https://evil.example/")
        .cookie(),
        case(
            "forged origin without cookie",
            Method::POST,
            VERIFY,
            403,
            "INVALID_ORIGIN",
        )
        .json(token_body(token))
        .header("origin", "https://evil.example"),
        case("cross-site fetch", Method::POST, VERIFY, 403, "INVALID_ORIGIN")
            .json(token_body(token))
            .header("sec-fetch-site", "cross-site")
            .header("sec-fetch-mode", "cors"),
        case(
            "cross-site navigation",
            Method::POST,
            VERIFY,
            403,
            "CROSS_SITE_NAVIGATION_LOGIN_BLOCKED",
        )
        .json(token_body(token))
        .header("sec-fetch-site", "cross-site")
        .header("sec-fetch-mode", "navigate"),
        // Huge headers and cookies.
        case(
            "huge header",
            Method::POST,
            VERIFY,
            431,
            "REQUEST_HEADER_FIELDS_TOO_LARGE",
        )
        .json(token_body(token))
        .header("x-filler", &huge_header),
        case(
            "huge cookie",
            Method::POST,
            VERIFY,
            431,
            "REQUEST_HEADER_FIELDS_TOO_LARGE",
        )
        .json(token_body(token))
        .header("origin", origin)
        .header("cookie", &huge_cookie),
        // Session credentials that must not authenticate.
        case("generate without session", Method::GET, GENERATE, 401, "UNAUTHORIZED"),
        case("unsigned cookie", Method::GET, GENERATE, 401, "UNAUTHORIZED")
            .header("cookie", "better-auth.session_token=abcdef"),
        case("short signature", Method::GET, GENERATE, 401, "UNAUTHORIZED")
            .header("cookie", "better-auth.session_token=abc.def%3D"),
        case("bad percent escapes", Method::GET, GENERATE, 401, "UNAUTHORIZED")
            .header("cookie", "better-auth.session_token=%ZZ%E0%A4%A"),
        case("empty bearer", Method::GET, GENERATE, 401, "UNAUTHORIZED").header("authorization", "Bearer"),
        case("dotted bearer", Method::GET, GENERATE, 401, "UNAUTHORIZED").header("authorization", "Bearer a.b.c.d"),
        case("percent bearer", Method::GET, GENERATE, 401, "UNAUTHORIZED").header("authorization", "Bearer %%%"),
        // Sign-in and sign-up input that must not create a session.
        case("sign-in with numbers", Method::POST, SIGN_IN, 400, "VALIDATION_ERROR")
            .json(r#"{"email":1,"password":2}"#),
        case(
            "sign-in with control characters",
            Method::POST,
            SIGN_IN,
            400,
            "INVALID_EMAIL",
        )
        .json(r#"{"email":"a\u0000@example.test","password":"password1234"}"#),
        case(
            "sign-in with unknown unicode email",
            Method::POST,
            SIGN_IN,
            401,
            "INVALID_EMAIL_OR_PASSWORD",
        )
        .json(r#"{"email":"jürgen@exämple.test","password":"password1234"}"#),
        case(
            "sign-in with huge password",
            Method::POST,
            SIGN_IN,
            413,
            "PAYLOAD_TOO_LARGE",
        )
        .json(format!(
            r#"{{"email":"a@example.test","password":"{}"}}"#,
            "p".repeat(70_000)
        )),
        case("sign-up as form", Method::POST, SIGN_UP, 415, "UNSUPPORTED_MEDIA_TYPE").raw(
            "application/x-www-form-urlencoded",
            "name=a&email=a%40example.test&password=password1234",
        ),
        case("sign-up with bad email", Method::POST, SIGN_UP, 400, "VALIDATION_ERROR")
            .json(r#"{"name":"a","email":"@@","password":"password1234"}"#),
        case(
            "sign-up with NUL in name",
            Method::POST,
            SIGN_UP,
            400,
            "VALIDATION_ERROR",
        )
        .json(r#"{"name":"a\u0000b","email":"nul@example.test","password":"password1234"}"#),
        case("sign-up with duplicate keys", Method::POST, SIGN_UP, 400, "BAD_REQUEST")
            .json(r#"{"name":"a","email":"x@example.test","email":"y@example.test","password":"password1234"}"#),
        // Other routes and paths.
        case(
            "revoke without session",
            Method::POST,
            "/api/auth/revoke-session",
            401,
            "UNAUTHORIZED",
        )
        .json(r#"{"token":"x"}"#),
        case(
            "repeated query field",
            Method::GET,
            "/api/auth/get-session?disableRefresh=a&disableRefresh=b",
            400,
            "BAD_REQUEST",
        ),
        case("NUL in path", Method::GET, "/api/auth/%00", 404, "NOT_FOUND"),
        case(
            "long path",
            Method::GET,
            &format!("/api/auth/{}", "p".repeat(8_000)),
            404,
            "NOT_FOUND",
        ),
        case(
            "encoded traversal",
            Method::GET,
            "/api/auth/..%2F..%2Fetc%2Fpasswd",
            404,
            "NOT_FOUND",
        ),
    ]
}

async fn send_case(server: &TestServer, cookie: &str, case: &Case) -> Reply {
    let mut device = server.device();
    if case.with_cookie {
        device.cookies = vec![("better-auth.session_token".to_owned(), cookie.to_owned())];
    }
    let headers: Vec<(&str, &str)> = case
        .headers
        .iter()
        .filter(|(name, _)| name != "x-note")
        .map(|(name, value)| (name.as_str(), value.as_str()))
        .collect();
    device
        .send(case.method.clone(), &case.path, &headers, case.body.clone())
        .await
}

#[tokio::test]
async fn bad_input_changes_nothing() {
    let server = TestServer::start().await;
    let (mut device, _) = server.signed_up("target@example.test").await;
    let token = device.generate().await;
    let cookie = device.session_cookie().expect("cookie");
    let sessions = server.count("session").await;
    let users = server.count("user").await;

    let cases = cases(&token, &server.origin());
    assert!(cases.len() >= 60, "only {} cases", cases.len());
    for case in &cases {
        let reply = send_case(&server, &cookie, case).await;
        assert_eq!(reply.status, case.status, "{}: {}", case.name, reply.text);
        if case.method != Method::HEAD {
            assert_eq!(
                reply.json["code"].as_str(),
                Some(case.code),
                "{}: body {}",
                case.name,
                reply.text
            );
            assert!(reply.json["message"].is_string(), "{}: {}", case.name, reply.text);
        }
        assert!(
            !reply
                .set_cookies()
                .iter()
                .any(|line| line.starts_with("better-auth.session_token=") && !line.contains("Max-Age=0")),
            "{}: a session cookie was set",
            case.name
        );
        assert_eq!(
            server.count("verification").await,
            1,
            "{}: consumed the token",
            case.name
        );
        assert_eq!(
            server.count("session").await,
            sessions,
            "{}: created a session",
            case.name
        );
        assert_eq!(server.count("user").await, users, "{}: created a user", case.name);
    }

    assert_eq!(
        server.device().verify(&token).await.status,
        200,
        "the token survived every case"
    );
}
