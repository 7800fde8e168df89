//! Test support shared by the integration tests: a real server on a real
//! database over real HTTP, a manual clock, and a client that keeps cookies
//! the way a browser would, but visibly.
//!
//! The database comes from `OTT_TEST_DATABASE`: `sqlite` (default),
//! `postgres` or `mysql`. Each server gets a fresh database and removes it.

#![allow(dead_code, reason = "each test binary uses a different part of this module")]

use std::net::SocketAddr;
use std::sync::Arc;

use chrono::{DateTime, TimeZone, Utc};
use ott_server::rate_limit::{RateLimitOptions, RateLimitStore};
use ott_server::storage::ConnectOptions;
use ott_server::{Auth, AuthBuilder, Database, ManualClock, ServerSecret};
use reqwest::header::{HeaderMap, HeaderValue};
use serde_json::Value;
use sqlx::AnyPool;

/// Log capture for the secrets check: with `OTT_TEST_LOG_CAPTURE=1`, every
/// log line of the process (at the level `RUST_LOG` sets) is kept in memory,
/// and every secret a test sends or receives is remembered; each server checks
/// on drop that no remembered secret appears in the captured logs.
mod log_capture {
    use std::collections::BTreeSet;
    use std::io::Write;
    use std::sync::{Mutex, OnceLock};

    static LOGS: Mutex<Vec<u8>> = Mutex::new(Vec::new());
    static SECRETS: Mutex<BTreeSet<String>> = Mutex::new(BTreeSet::new());
    static ENABLED: OnceLock<bool> = OnceLock::new();

    struct Capture;

    impl Write for Capture {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            LOGS.lock().unwrap_or_else(|p| p.into_inner()).extend_from_slice(buf);
            Ok(buf.len())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    /// Installs the capturing subscriber once, when enabled.
    pub fn enabled() -> bool {
        *ENABLED.get_or_init(|| {
            if std::env::var_os("OTT_TEST_LOG_CAPTURE").is_none() {
                return false;
            }
            let _ = tracing_subscriber::fmt()
                .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
                .with_ansi(false)
                .with_writer(|| Capture)
                .try_init();
            true
        })
    }

    /// Remembers a secret; values too short to be one are skipped so common
    /// words do not match by chance.
    pub fn remember(secret: &str) {
        if secret.len() >= 8 && enabled() {
            SECRETS
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .insert(secret.to_owned());
        }
    }

    /// Panics when a remembered secret, or its percent-decoded form, is in the logs.
    pub fn check() {
        if !enabled() || std::thread::panicking() {
            return;
        }
        let logs = String::from_utf8_lossy(&LOGS.lock().unwrap_or_else(|p| p.into_inner())).into_owned();
        assert!(
            !logs.is_empty(),
            "log capture is on but nothing was logged; is RUST_LOG set?"
        );
        let secrets = SECRETS.lock().unwrap_or_else(|p| p.into_inner()).clone();
        for secret in &secrets {
            let decoded = percent_encoding::percent_decode_str(secret)
                .decode_utf8_lossy()
                .into_owned();
            for form in [secret, &decoded] {
                assert!(
                    !logs.contains(form.as_str()),
                    "a secret starting {:?} appears in the logs ({} bytes captured, {} secrets checked)",
                    &form[..4],
                    logs.len(),
                    secrets.len()
                );
            }
        }
    }
}

pub use log_capture::remember as remember_secret;

/// Remembers the secrets in a JSON value: every `token` and `password` field.
fn remember_json_secrets(value: &Value) {
    match value {
        Value::Object(fields) => {
            for (key, field) in fields {
                match (key.as_str(), field) {
                    ("token" | "password", Value::String(secret)) => remember_secret(secret),
                    _ => remember_json_secrets(field),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(remember_json_secrets),
        _ => {}
    }
}

/// The secret of the wire contract's test vectors.
pub const SECRET: &str = "test-secret-0123456789abcdef0123456789abcdef";

/// Returns a fixed start instant, so dates in assertions are predictable.
pub fn start_instant() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 4, 12, 0, 0)
        .single()
        .expect("valid date")
}

/// Which database backend the tests run on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
    Mysql,
}

impl Backend {
    /// Reads `OTT_TEST_DATABASE`.
    pub fn from_env() -> Self {
        match std::env::var("OTT_TEST_DATABASE").as_deref() {
            Ok("postgres") => Self::Postgres,
            Ok("mysql") => Self::Mysql,
            Ok("sqlite") | Err(_) => Self::Sqlite,
            Ok(other) => panic!("OTT_TEST_DATABASE={other:?}: expected sqlite, postgres or mysql"),
        }
    }
}

/// A fresh database for one test, removed on drop.
pub struct TestDatabase {
    pub backend: Backend,
    /// URL the server connects to.
    pub url: String,
    /// Keeps the SQLite file's folder alive.
    _dir: Option<tempfile::TempDir>,
    /// Server URL and name of a Postgres or MySQL database to drop.
    created: Option<(String, String)>,
}

impl TestDatabase {
    /// Creates an empty database on the backend named by `OTT_TEST_DATABASE`.
    pub async fn create() -> Self {
        match Backend::from_env() {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().expect("temporary folder");
                let url = format!("sqlite://{}", dir.path().join("ott.sqlite").display());
                Self {
                    backend: Backend::Sqlite,
                    url,
                    _dir: Some(dir),
                    created: None,
                }
            }
            backend @ (Backend::Postgres | Backend::Mysql) => {
                let admin_url = server_url(backend);
                let name = unique_database_name();
                let admin = connect_admin(&admin_url).await;
                sqlx::query(&format!("CREATE DATABASE {name}"))
                    .execute(&admin)
                    .await
                    .unwrap_or_else(|err| panic!("create database {name}: {err}"));
                admin.close().await;
                Self {
                    backend,
                    url: database_url(backend, &admin_url, &name),
                    _dir: None,
                    created: Some((admin_url, name)),
                }
            }
        }
    }

    /// Refers to the same database as `self` without owning it, for a second
    /// server on one database.
    pub fn share(&self) -> Self {
        Self {
            backend: self.backend,
            url: self.url.clone(),
            _dir: None,
            // Only the owner drops the database.
            created: None,
        }
    }

    /// Uses an existing SQLite file (kept in `dir`).
    pub fn sqlite_file(dir: tempfile::TempDir, file: &str) -> Self {
        let url = format!("sqlite://{}", dir.path().join(file).display());
        Self {
            backend: Backend::Sqlite,
            url,
            _dir: Some(dir),
            created: None,
        }
    }

    /// Rewrites `"quoted"` identifiers for the backend.
    pub fn sql(&self, statement: &str) -> String {
        match self.backend {
            Backend::Mysql => cast_mysql_columns(&statement.replace('"', "`")),
            Backend::Sqlite | Backend::Postgres => statement.to_owned(),
        }
    }

    /// Opens a pool for assertions that read the database directly.
    pub async fn pool(&self) -> AnyPool {
        sqlx::any::install_default_drivers();
        sqlx::pool::PoolOptions::new()
            .max_connections(2)
            .connect(&self.url)
            .await
            .expect("connect to the test database")
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let Some((admin_url, name)) = self.created.take() else {
            return;
        };
        let backend = self.backend;
        // Drop cannot await, and it may run inside a test's runtime, so the
        // database is removed from a thread with a runtime of its own.
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime for dropping the test database");
            runtime.block_on(async {
                let admin = connect_admin(&admin_url).await;
                // FORCE ends the server pools that may still hold connections.
                let statement = match backend {
                    Backend::Postgres => format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
                    _ => format!("DROP DATABASE IF EXISTS {name}"),
                };
                let result = sqlx::query(&statement).execute(&admin).await;
                admin.close().await;
                result.map(|_| ()).map_err(|err| format!("drop database {name}: {err}"))
            })
        })
        .join();
        match dropped {
            Ok(Ok(())) => {}
            Ok(Err(message)) => eprintln!("warning: {message}"),
            Err(_) => eprintln!("warning: dropping the test database panicked"),
        }
    }
}

/// Rewrites `SELECT `a`, `b` FROM ...` to
/// `SELECT CAST(`a` AS CHAR(4096)) AS `a`, ...`.
///
/// sqlx's Any driver (0.8) reads MySQL `text` columns and binary-collated
/// `varchar` columns as blobs, which do not decode into `String`. A bounded
/// `CHAR(n)` cast comes back as `varchar`; a plain `CHAR` cast of a `text`
/// column would still be `text`. Statements whose select list is not plain
/// quoted column names are left unchanged.
fn cast_mysql_columns(statement: &str) -> String {
    let Some((columns, rest)) = statement
        .strip_prefix("SELECT ")
        .and_then(|tail| tail.split_once(" FROM "))
    else {
        return statement.to_owned();
    };
    let names: Vec<&str> = columns.split(',').map(str::trim).collect();
    let plain = names
        .iter()
        .all(|name| name.len() > 2 && name.starts_with('`') && name.ends_with('`'));
    if !plain {
        return statement.to_owned();
    }
    let casts: Vec<String> = names
        .iter()
        .map(|name| format!("CAST({name} AS CHAR(4096)) AS {name}"))
        .collect();
    format!("SELECT {} FROM {rest}", casts.join(", "))
}

/// URL of a database that exists on the server of `backend` and from which
/// test databases are created: `OTT_TEST_POSTGRES_URL` or
/// `OTT_TEST_MYSQL_URL`, by default the `test` database on 127.0.0.1.
pub fn server_url(backend: Backend) -> String {
    let (variable, default) = match backend {
        Backend::Postgres => ("OTT_TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/test"),
        Backend::Mysql => ("OTT_TEST_MYSQL_URL", "mysql://root@127.0.0.1:3306/test"),
        Backend::Sqlite => panic!("SQLite has no database server"),
    };
    std::env::var(variable).unwrap_or_else(|_| default.to_owned())
}

/// Returns a database name that no other test or test run uses.
fn unique_database_name() -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|elapsed| elapsed.subsec_nanos())
        .unwrap_or_default();
    format!(
        "ott_test_{}_{}_{nanos}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

/// The URL of database `name` on the server of `admin_url`.
///
/// Connections through it use a session time zone other than UTC, so every
/// test checks that stored instants do not depend on it. Postgres sessions
/// run in America/Los_Angeles. MySQL connections opened from this URL (the
/// tests' own reading pools) run at -07:00, while the server forces `+00:00`
/// on its own MySQL connections whatever the URL says.
fn database_url(backend: Backend, admin_url: &str, name: &str) -> String {
    let mut url = url::Url::parse(admin_url).expect("valid database server URL");
    url.set_path(name);
    match backend {
        Backend::Postgres => url
            .query_pairs_mut()
            .append_pair("options", "-c TimeZone=America/Los_Angeles"),
        _ => url.query_pairs_mut().append_pair("timezone", "-07:00"),
    };
    url.to_string()
}

async fn connect_admin(url: &str) -> AnyPool {
    sqlx::any::install_default_drivers();
    sqlx::pool::PoolOptions::new()
        .max_connections(1)
        .connect(url)
        .await
        .unwrap_or_else(|err| panic!("connect to {url}: {err}"))
}

/// A running server with a manual clock.
pub struct TestServer {
    pub auth: Auth,
    pub clock: Arc<ManualClock>,
    pub address: SocketAddr,
    pub database: TestDatabase,
    pool: AnyPool,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.task.abort();
        log_capture::check();
    }
}

impl TestServer {
    /// Starts a server with default options.
    pub async fn start() -> Self {
        Self::start_with(|builder| builder).await
    }

    /// Starts a server, letting `configure` change the builder.
    pub async fn start_with(configure: impl FnOnce(AuthBuilder) -> AuthBuilder) -> Self {
        Self::start_on(TestDatabase::create().await, configure).await
    }

    /// Starts a server on an existing database.
    pub async fn start_on(database: TestDatabase, configure: impl FnOnce(AuthBuilder) -> AuthBuilder) -> Self {
        log_capture::enabled();
        remember_secret(SECRET);
        let store = Database::connect(&database.url, &ConnectOptions::default())
            .await
            .expect("connect the server's pool");
        store.migrate().await.expect("migrate");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let address = listener.local_addr().expect("local address");
        let clock = Arc::new(ManualClock::new(start_instant()));
        let builder = Auth::builder()
            .secret(ServerSecret::new(SECRET).expect("valid secret"))
            .database(store)
            .base_url(format!("http://{address}"))
            .trusted_origins(["http://127.0.0.1:5173"])
            // Every test client shares 127.0.0.1; the rate-limit tests turn
            // limits back on.
            .rate_limit(RateLimitOptions {
                store: RateLimitStore::Off,
                ..RateLimitOptions::default()
            })
            .clock(clock.clone());
        let auth = configure(builder).build().expect("valid options");
        let app = auth.router().into_make_service_with_connect_info::<SocketAddr>();
        let task = tokio::spawn(async move {
            axum::serve(listener, app).await.expect("serve");
        });
        let pool = database.pool().await;
        Self {
            auth,
            clock,
            address,
            database,
            pool,
            task,
        }
    }

    /// The origin of the server, trusted by default.
    pub fn origin(&self) -> String {
        format!("http://{}", self.address)
    }

    /// The URL of `path` under the base path.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}/api/auth{path}", self.address)
    }

    /// A new client without cookies.
    pub fn device(&self) -> Device {
        Device {
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("HTTP client"),
            base: format!("http://{}", self.address),
            cookies: Vec::new(),
        }
    }

    /// Counts rows of a table.
    pub async fn count(&self, table: &str) -> i64 {
        let sql = self.database.sql(&format!(r#"SELECT COUNT(*) FROM "{table}""#));
        sqlx::query_scalar(&sql)
            .fetch_one(&self.pool)
            .await
            .expect("count rows")
    }

    /// Returns `(identifier, value)` of every verification row.
    pub async fn verifications(&self) -> Vec<(String, String)> {
        let sql = self
            .database
            .sql(r#"SELECT "identifier", "value" FROM "verification" ORDER BY "identifier""#);
        sqlx::query_as(&sql)
            .fetch_all(&self.pool)
            .await
            .expect("read verification rows")
    }

    /// Whether a session row with `token` exists.
    pub async fn session_exists(&self, token: &str) -> bool {
        let sql = self
            .database
            .sql(r#"SELECT COUNT(*) FROM "session" WHERE "token" = $1"#);
        let sql = if self.database.backend == Backend::Postgres {
            sql
        } else {
            sql.replace("$1", "?")
        };
        let count: i64 = sqlx::query_scalar(&sql)
            .bind(token)
            .fetch_one(&self.pool)
            .await
            .expect("count sessions");
        count == 1
    }

    /// Advances the server's clock.
    pub fn advance(&self, by: chrono::Duration) {
        self.clock.advance(by);
    }

    /// Signs up a new user on a new device and returns the device.
    pub async fn signed_up(&self, email: &str) -> (Device, Value) {
        let mut device = self.device();
        let response = device
            .post(
                "/api/auth/sign-up/email",
                &serde_json::json!({"name": "Test User", "email": email, "password": "password1234"}),
            )
            .await;
        assert_eq!(response.status, 200, "sign-up failed: {}", response.text);
        (device, response.json)
    }
}

/// A captured HTTP response.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: HeaderMap,
    pub text: String,
    /// The body parsed as JSON, or `Value::Null` when it is not JSON.
    pub json: Value,
}

impl Reply {
    /// Every `Set-Cookie` line, verbatim.
    pub fn set_cookies(&self) -> Vec<String> {
        self.headers
            .get_all("set-cookie")
            .iter()
            .map(|value| value.to_str().expect("ASCII cookie").to_owned())
            .collect()
    }

    /// A header as text.
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .map(|value| value.to_str().expect("ASCII header").to_owned())
    }

    /// Asserts an error response: status, body `{message, code}` exactly.
    #[track_caller]
    pub fn assert_error(&self, status: u16, code: &str, message: &str) {
        assert_eq!(self.status, status, "unexpected status; body: {}", self.text);
        assert_eq!(
            self.json,
            serde_json::json!({"message": message, "code": code}),
            "unexpected error body"
        );
        assert_eq!(self.header("content-type").as_deref(), Some("application/json"));
    }
}

/// A client that stores the session cookies it is sent, like one browser.
#[derive(Debug, Clone)]
pub struct Device {
    client: reqwest::Client,
    base: String,
    /// `name=value` pairs currently held.
    pub cookies: Vec<(String, String)>,
}

impl Device {
    /// The `Cookie` header this device sends, if any.
    pub fn cookie_header(&self) -> Option<String> {
        if self.cookies.is_empty() {
            return None;
        }
        Some(
            self.cookies
                .iter()
                .map(|(name, value)| format!("{name}={value}"))
                .collect::<Vec<_>>()
                .join("; "),
        )
    }

    /// The value of the session cookie, if held.
    pub fn session_cookie(&self) -> Option<String> {
        self.cookies
            .iter()
            .find(|(name, _)| name == "better-auth.session_token")
            .map(|(_, value)| value.clone())
    }

    fn store_cookies(&mut self, headers: &HeaderMap) {
        for line in headers.get_all("set-cookie") {
            let line = line.to_str().expect("ASCII cookie");
            let pair = line.split(';').next().unwrap_or_default();
            let (name, value) = pair.split_once('=').expect("name=value");
            let deleted = line.contains("Max-Age=0") || value.is_empty();
            self.cookies.retain(|(held, _)| held != name);
            if !deleted {
                self.cookies.push((name.to_owned(), value.to_owned()));
            }
        }
    }

    /// Sends a request with this device's cookies plus `headers`, and stores
    /// the cookies of the answer.
    pub async fn send(
        &mut self,
        method: reqwest::Method,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<Vec<u8>>,
    ) -> Reply {
        let mut request = self.client.request(method, format!("{}{path}", self.base));
        if let Some(cookie) = self.cookie_header() {
            request = request.header("cookie", cookie);
        }
        for (name, value) in headers {
            request = request.header(*name, HeaderValue::from_str(value).expect("header value"));
        }
        if let Some(body) = body {
            if let Ok(sent) = serde_json::from_slice::<Value>(&body) {
                remember_json_secrets(&sent);
            }
            request = request.body(body);
        }
        let response = request.send().await.expect("request reaches the server");
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let text = response.text().await.expect("response body");
        self.store_cookies(&headers);
        let json = serde_json::from_str(&text).unwrap_or(Value::Null);
        remember_json_secrets(&json);
        for name in ["set-auth-token", "set-ott"] {
            if let Some(value) = headers.get(name).and_then(|value| value.to_str().ok()) {
                remember_secret(value);
            }
        }
        for line in headers.get_all("set-cookie") {
            if let Some((_, value)) = line
                .to_str()
                .unwrap_or_default()
                .split(';')
                .next()
                .and_then(|pair| pair.split_once('='))
            {
                remember_secret(value);
            }
        }
        Reply {
            status,
            headers,
            text,
            json,
        }
    }

    /// POSTs JSON the way a same-origin page does: with its `Origin`.
    pub async fn post(&mut self, path: &str, body: &Value) -> Reply {
        let origin = self.base.clone();
        self.send(
            reqwest::Method::POST,
            path,
            &[("content-type", "application/json"), ("origin", &origin)],
            Some(serde_json::to_vec(body).expect("JSON")),
        )
        .await
    }

    /// GETs `path` with this device's cookies.
    pub async fn get(&mut self, path: &str) -> Reply {
        self.send(reqwest::Method::GET, path, &[], None).await
    }

    /// Generates a one-time token and returns it.
    pub async fn generate(&mut self) -> String {
        let reply = self.get("/api/auth/one-time-token/generate").await;
        assert_eq!(reply.status, 200, "generate failed: {}", reply.text);
        reply.json["token"].as_str().expect("token").to_owned()
    }

    /// Redeems a one-time token.
    pub async fn verify(&mut self, token: &str) -> Reply {
        self.post(
            "/api/auth/one-time-token/verify",
            &serde_json::json!({ "token": token }),
        )
        .await
    }
}

/// Asserts that `keys` appear in `text` (a JSON body) in this order.
#[track_caller]
pub fn assert_key_order(text: &str, keys: &[&str]) {
    let positions: Vec<usize> = keys
        .iter()
        .map(|key| {
            text.find(&format!("\"{key}\":"))
                .unwrap_or_else(|| panic!("key {key:?} missing from {text}"))
        })
        .collect();
    assert!(
        positions.windows(2).all(|pair| pair[0] < pair[1]),
        "keys out of order, expected {keys:?} in {text}"
    );
}

/// The signed value Better Auth derives from `token`:
/// `token.base64(HMAC-SHA256(secret, token))`, computed here independently
/// of the server's code.
pub fn expected_signed_value(token: &str) -> String {
    use base64::Engine as _;
    use hmac::Mac as _;
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(SECRET.as_bytes()).expect("any key length");
    mac.update(token.as_bytes());
    let signature = base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes());
    format!("{token}.{signature}")
}

/// The session cookie value for `token`: the signed value, percent-encoded.
pub fn expected_cookie_value(token: &str) -> String {
    expected_signed_value(token)
        .replace('+', "%2B")
        .replace('/', "%2F")
        .replace('=', "%3D")
}
