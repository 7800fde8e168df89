//! Test support for tests that run the `ott-server` binary itself: spawning
//! processes, waiting for them to listen, signalling them, and reading and
//! writing their database directly with the typed sqlx driver.

#![allow(dead_code, reason = "each test binary uses a different part of this module")]

use std::io::{BufRead as _, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, SecondsFormat, Utc};
use sqlx::{MySqlPool, PgPool, SqlitePool};

use crate::common::{Backend, SECRET, TestDatabase};

/// Public URL every process is given, as replicas behind one load balancer
/// share one. Nothing listens there, because requests go to each process's
/// own port.
pub const BASE_URL: &str = "http://127.0.0.1:8080";

/// Maximum wait for a process to start listening or to exit.
pub const PROCESS_DEADLINE: Duration = Duration::from_secs(60);

/// A running `ott-server` process, killed on drop if it is still running.
pub struct ServerProcess {
    child: Child,
    pub address: SocketAddr,
    /// Every line the process wrote to stderr so far.
    log: Arc<Mutex<Vec<String>>>,
}

impl ServerProcess {
    /// Starts `ott-server serve` on `database_url` with a random port and
    /// the test secret, plus `extra_args`, and waits until it listens.
    pub fn start(database_url: &str, extra_args: &[&str]) -> Self {
        let mut pending = PendingProcess::spawn(&["serve"], database_url, extra_args);
        let address = pending.wait_listening();
        Self {
            child: pending.child,
            address,
            log: pending.log,
        }
    }

    /// Starts several processes at once, so that they migrate the database
    /// concurrently, then waits for each of them to listen.
    pub fn start_many(count: usize, database_url: &str, extra_args: &[&str]) -> Vec<Self> {
        let mut pending: Vec<PendingProcess> = (0..count)
            .map(|_| PendingProcess::spawn(&["serve"], database_url, extra_args))
            .collect();
        pending
            .iter_mut()
            .map(|process| process.wait_listening())
            .collect::<Vec<_>>()
            .into_iter()
            .zip(pending)
            .map(|(address, process)| Self {
                child: process.child,
                address,
                log: process.log,
            })
            .collect()
    }

    /// Returns the URL of `path` under the default base path.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}/api/auth{path}", self.address)
    }

    /// Returns the process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Sends SIGTERM, as a container runtime or systemd does on stop.
    pub fn terminate(&self) {
        let status = Command::new("kill")
            .args(["-TERM", &self.pid().to_string()])
            .status()
            .expect("run kill");
        assert!(status.success(), "kill -TERM {} failed", self.pid());
    }

    /// Waits for the process to exit, polling its status.
    pub fn wait_exit(&mut self) -> ExitStatus {
        wait_for_exit(&mut self.child, &self.log)
    }

    /// Returns the process's stderr so far, for failure messages.
    pub fn log(&self) -> String {
        self.log.lock().map(|lines| lines.join("\n")).unwrap_or_default()
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Runs `ott-server <subcommand>` on `database_url` to completion and returns
/// its exit status and stderr.
pub fn run_command(subcommand: &str, database_url: &str, extra_args: &[&str]) -> (ExitStatus, String) {
    let mut process = PendingProcess::spawn(&[subcommand], database_url, extra_args);
    let status = wait_for_exit(&mut process.child, &process.log);
    let log = process.log.lock().map(|lines| lines.join("\n")).unwrap_or_default();
    (status, log)
}

/// A spawned process whose address is not known yet.
struct PendingProcess {
    child: Child,
    log: Arc<Mutex<Vec<String>>>,
    listening: mpsc::Receiver<SocketAddr>,
}

impl PendingProcess {
    fn spawn(subcommand: &[&str], database_url: &str, extra_args: &[&str]) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_ott-server"))
            .args(subcommand)
            .args([
                "--listen",
                "127.0.0.1:0",
                "--base-url",
                BASE_URL,
                "--database-url",
                database_url,
            ])
            .args(extra_args)
            // The secret goes through the environment, as the deployment guide
            // recommends, so it never shows in a process listing.
            .env("OTT_SECRET", SECRET)
            // Debug level, so that the tests' checks for secrets in the log
            // cover more than the default output.
            .env("RUST_LOG", "debug")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn ott-server");
        let stderr = child.stderr.take().expect("piped stderr");
        let log = Arc::new(Mutex::new(Vec::new()));
        let (sender, listening) = mpsc::channel();
        let lines = Arc::clone(&log);
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Some(address) = listening_address(&line) {
                    let _ = sender.send(address);
                }
                if let Ok(mut lines) = lines.lock() {
                    lines.push(line);
                }
            }
        });
        Self { child, log, listening }
    }

    fn wait_listening(&mut self) -> SocketAddr {
        match self.listening.recv_timeout(PROCESS_DEADLINE) {
            Ok(address) => address,
            Err(_) => {
                let status = self.child.try_wait().ok().flatten();
                let log = self.log.lock().map(|lines| lines.join("\n")).unwrap_or_default();
                panic!("ott-server did not start listening (exit status {status:?}); its log:\n{log}");
            }
        }
    }
}

/// Extracts the address from the server's `listening on http://ADDRESS` line.
fn listening_address(line: &str) -> Option<SocketAddr> {
    let (_, rest) = line.split_once("listening on http://")?;
    rest.split_whitespace().next()?.parse().ok()
}

fn wait_for_exit(child: &mut Child, log: &Mutex<Vec<String>>) -> ExitStatus {
    let deadline = Instant::now() + PROCESS_DEADLINE;
    loop {
        if let Some(status) = child.try_wait().expect("read process status") {
            return status;
        }
        if Instant::now() > deadline {
            let log = log.lock().map(|lines| lines.join("\n")).unwrap_or_default();
            panic!("ott-server did not exit within {PROCESS_DEADLINE:?}; its log:\n{log}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The test database opened with the typed driver of its backend, for rows
/// with dates, which sqlx's Any driver cannot bind or read.
pub enum DirectDatabase {
    Sqlite(SqlitePool),
    Postgres(PgPool),
    Mysql(MySqlPool),
}

/// A verification row to insert directly.
pub struct VerificationRow {
    pub id: String,
    pub identifier: String,
    pub value: String,
    pub expires_at: DateTime<Utc>,
}

impl DirectDatabase {
    /// Connects to `database` with its own URL, so a Postgres connection runs
    /// in the URL's session time zone and a MySQL one at the URL's offset.
    pub async fn connect(database: &TestDatabase) -> Self {
        match database.backend {
            Backend::Sqlite => Self::Sqlite(SqlitePool::connect(&database.url).await.expect("open SQLite")),
            Backend::Postgres => Self::Postgres(PgPool::connect(&database.url).await.expect("connect Postgres")),
            Backend::Mysql => Self::Mysql(MySqlPool::connect(&database.url).await.expect("connect MySQL")),
        }
    }

    /// Counts the rows of `table`.
    pub async fn count(&self, table: &str) -> i64 {
        let result = match self {
            Self::Sqlite(pool) => {
                sqlx::query_scalar(&format!(r#"SELECT COUNT(*) FROM "{table}""#))
                    .fetch_one(pool)
                    .await
            }
            Self::Postgres(pool) => {
                sqlx::query_scalar(&format!(r#"SELECT COUNT(*) FROM "{table}""#))
                    .fetch_one(pool)
                    .await
            }
            Self::Mysql(pool) => {
                sqlx::query_scalar(&format!("SELECT COUNT(*) FROM `{table}`"))
                    .fetch_one(pool)
                    .await
            }
        };
        result.unwrap_or_else(|err| panic!("count rows of {table}: {err}"))
    }

    /// Counts verification rows whose identifier starts with `prefix`
    /// (compared case-sensitively) and whose expiry is before `instant`.
    pub async fn count_verifications_expiring_before(&self, prefix: &str, instant: DateTime<Utc>) -> i64 {
        let length = i32::try_from(prefix.len()).expect("short prefix");
        let result = match self {
            Self::Sqlite(pool) => {
                let rows: Vec<(String, String)> =
                    sqlx::query_as(r#"SELECT "identifier", "expiresAt" FROM "verification""#)
                        .fetch_all(pool)
                        .await
                        .expect("read verification rows");
                // Dates are text on SQLite, so they are compared as instants here.
                let count = rows
                    .iter()
                    .filter(|(identifier, expires_at)| {
                        identifier.starts_with(prefix)
                            && DateTime::parse_from_rfc3339(expires_at).expect("ISO 8601 date") < instant
                    })
                    .count();
                return count as i64;
            }
            Self::Postgres(pool) => {
                sqlx::query_scalar(
                    r#"SELECT COUNT(*) FROM "verification" WHERE left("identifier", $1) = $2 AND "expiresAt" < $3"#,
                )
                .bind(length)
                .bind(prefix)
                .bind(instant)
                .fetch_one(pool)
                .await
            }
            Self::Mysql(pool) => {
                sqlx::query_scalar(
                    "SELECT COUNT(*) FROM `verification` WHERE CAST(LEFT(`identifier`, ?) AS BINARY) = ? AND `expiresAt` < ?",
                )
                .bind(length)
                .bind(prefix)
                .bind(instant.naive_utc())
                .fetch_one(pool)
                .await
            }
        };
        result.expect("count verification rows")
    }

    /// Inserts verification rows in one transaction.
    pub async fn insert_verifications(&self, rows: &[VerificationRow]) {
        let now = Utc::now();
        match self {
            Self::Sqlite(pool) => {
                let mut tx = pool.begin().await.expect("begin");
                for row in rows {
                    sqlx::query(r#"INSERT INTO "verification" ("id", "identifier", "value", "expiresAt", "createdAt", "updatedAt") VALUES (?, ?, ?, ?, ?, ?)"#)
                        .bind(&row.id)
                        .bind(&row.identifier)
                        .bind(&row.value)
                        .bind(iso(row.expires_at))
                        .bind(iso(now))
                        .bind(iso(now))
                        .execute(&mut *tx)
                        .await
                        .expect("insert verification row");
                }
                tx.commit().await.expect("commit");
            }
            Self::Postgres(pool) => {
                let mut tx = pool.begin().await.expect("begin");
                for row in rows {
                    sqlx::query(r#"INSERT INTO "verification" ("id", "identifier", "value", "expiresAt", "createdAt", "updatedAt") VALUES ($1, $2, $3, $4, $5, $5)"#)
                        .bind(&row.id)
                        .bind(&row.identifier)
                        .bind(&row.value)
                        .bind(row.expires_at)
                        .bind(now)
                        .execute(&mut *tx)
                        .await
                        .expect("insert verification row");
                }
                tx.commit().await.expect("commit");
            }
            Self::Mysql(pool) => {
                let mut tx = pool.begin().await.expect("begin");
                for row in rows {
                    sqlx::query("INSERT INTO `verification` (`id`, `identifier`, `value`, `expiresAt`, `createdAt`, `updatedAt`) VALUES (?, ?, ?, ?, ?, ?)")
                        .bind(&row.id)
                        .bind(&row.identifier)
                        .bind(&row.value)
                        .bind(row.expires_at.naive_utc())
                        .bind(now.naive_utc())
                        .bind(now.naive_utc())
                        .execute(&mut *tx)
                        .await
                        .expect("insert verification row");
                }
                tx.commit().await.expect("commit");
            }
        }
    }

    /// Returns the identifiers of every verification row.
    pub async fn verification_identifiers(&self) -> Vec<String> {
        let result = match self {
            Self::Sqlite(pool) => {
                sqlx::query_scalar(r#"SELECT "identifier" FROM "verification""#)
                    .fetch_all(pool)
                    .await
            }
            Self::Postgres(pool) => {
                sqlx::query_scalar(r#"SELECT "identifier" FROM "verification""#)
                    .fetch_all(pool)
                    .await
            }
            Self::Mysql(pool) => {
                sqlx::query_scalar("SELECT CAST(`identifier` AS CHAR(255)) FROM `verification`")
                    .fetch_all(pool)
                    .await
            }
        };
        result.expect("read verification identifiers")
    }

    /// Returns the `createdAt` of the session with `token`.
    pub async fn session_created_at(&self, token: &str) -> DateTime<Utc> {
        let result = match self {
            Self::Sqlite(pool) => {
                let text: String = sqlx::query_scalar(r#"SELECT "createdAt" FROM "session" WHERE "token" = ?"#)
                    .bind(token)
                    .fetch_one(pool)
                    .await
                    .expect("read session date");
                return DateTime::parse_from_rfc3339(&text)
                    .expect("ISO 8601 date")
                    .with_timezone(&Utc);
            }
            Self::Postgres(pool) => {
                sqlx::query_scalar(r#"SELECT "createdAt" FROM "session" WHERE "token" = $1"#)
                    .bind(token)
                    .fetch_one(pool)
                    .await
            }
            Self::Mysql(pool) => sqlx::query_scalar::<_, chrono::NaiveDateTime>(
                "SELECT `createdAt` FROM `session` WHERE CAST(`token` AS BINARY) = ?",
            )
            .bind(token)
            .fetch_one(pool)
            .await
            .map(|naive| naive.and_utc()),
        };
        result.expect("read session date")
    }
}

/// Formats a date as Better Auth stores it on SQLite.
fn iso(date: DateTime<Utc>) -> String {
    date.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// Signs up a user through `process` and returns its session cookie header.
pub async fn sign_up(client: &reqwest::Client, process: &ServerProcess, email: &str) -> String {
    let response = client
        .post(process.url("/sign-up/email"))
        .header("origin", BASE_URL)
        .json(&serde_json::json!({"name": "Replica User", "email": email, "password": "password1234"}))
        .send()
        .await
        .expect("sign-up reaches the server");
    assert_eq!(response.status(), 200, "sign-up failed");
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .find(|line| line.starts_with("better-auth.session_token="))
        .expect("session cookie")
        .split(';')
        .next()
        .unwrap_or_default()
        .to_owned()
}

/// Generates a one-time token through `process` for the session in `cookie`.
pub async fn generate(client: &reqwest::Client, process: &ServerProcess, cookie: &str) -> String {
    let response = client
        .get(process.url("/one-time-token/generate"))
        .header("cookie", cookie)
        .send()
        .await
        .expect("generate reaches the server");
    assert_eq!(response.status(), 200, "generate failed");
    let body: serde_json::Value = response.json().await.expect("JSON body");
    body["token"].as_str().expect("token in body").to_owned()
}
