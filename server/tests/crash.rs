//! Crash safety: the server is killed with SIGKILL and restarted ten times
//! while clients generate and redeem tokens. Afterwards no token redeemed
//! once redeems again, every session a client was handed exists, and the
//! SQLite file passes its integrity check.

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use serde_json::{Value, json};
use sqlx::Row;
use tokio::process::{Child, Command};
use tokio::sync::{Mutex, Notify};

const SECRET: &str = "test-secret-0123456789abcdef0123456789abcdef";
const KILLS: usize = 10;
const WORKERS: usize = 4;
/// Successful redemptions between two kills.
const PAIRS_BETWEEN_KILLS: usize = 15;

struct Server {
    port: u16,
    database_url: String,
    data_dir: std::path::PathBuf,
}

impl Server {
    fn spawn(&self) -> Child {
        Command::new(env!("CARGO_BIN_EXE_ott-server"))
            .args(["--listen", &format!("127.0.0.1:{}", self.port)])
            .args(["--database-url", &self.database_url])
            .args(["--data-dir", &self.data_dir.display().to_string()])
            .args(["--secret", SECRET, "--rate-limit", "off", "--sweep-interval", "0"])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("start ott-server")
    }

    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}/api/auth{path}", self.port)
    }

    /// Polls `/ok` until the server responds, giving up after about 20 s.
    async fn wait_ready(&self, client: &reqwest::Client) {
        for attempt in 0..400 {
            if let Ok(reply) = client.get(self.url("/ok")).send().await {
                if reply.status() == 200 {
                    return;
                }
            }
            tokio::time::sleep(Duration::from_millis(50.min(5 + attempt))).await;
        }
        panic!("ott-server did not start on port {}", self.port);
    }
}

/// What the load loop saw.
#[derive(Default)]
struct Observed {
    /// Tokens whose verify returned 200.
    redeemed: Vec<String>,
    /// Session tokens handed out by those responses.
    sessions: Vec<String>,
}

async fn load(
    client: reqwest::Client,
    server: Arc<Server>,
    cookie: String,
    observed: Arc<Mutex<Observed>>,
    successes: Arc<AtomicUsize>,
    progress: Arc<Notify>,
    stop: Arc<AtomicBool>,
) {
    // Bounded: the test ends long before this many pairs.
    for _ in 0..100_000 {
        if stop.load(Ordering::Relaxed) {
            return;
        }
        let Ok(reply) = client
            .get(server.url("/one-time-token/generate"))
            .header("cookie", &cookie)
            .send()
            .await
        else {
            tokio::task::yield_now().await;
            continue;
        };
        let Ok(body) = reply.json::<Value>().await else {
            continue;
        };
        let Some(token) = body["token"].as_str().map(str::to_owned) else {
            continue;
        };
        let Ok(reply) = client
            .post(server.url("/one-time-token/verify"))
            .json(&json!({ "token": token }))
            .send()
            .await
        else {
            continue;
        };
        if reply.status() != 200 {
            continue;
        }
        let Ok(body) = reply.json::<Value>().await else {
            continue;
        };
        let session = body["token"].as_str().expect("new session token").to_owned();
        let mut seen = observed.lock().await;
        seen.redeemed.push(token);
        seen.sessions.push(session);
        successes.fetch_add(1, Ordering::Relaxed);
        progress.notify_waiters();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sigkill_loses_and_repeats_nothing() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("free port")
        .local_addr()
        .expect("address")
        .port();
    let server = Arc::new(Server {
        port,
        database_url: format!("sqlite://{}", dir.path().join("crash.sqlite").display()),
        data_dir: dir.path().to_owned(),
    });
    let client = reqwest::Client::new();
    let mut child = server.spawn();
    server.wait_ready(&client).await;

    let sign_up = client
        .post(server.url("/sign-up/email"))
        .json(&json!({"name": "Crash", "email": "crash@example.test", "password": "password1234"}))
        .send()
        .await
        .expect("sign-up");
    let cookie = sign_up
        .headers()
        .get("set-cookie")
        .and_then(|value| value.to_str().ok())
        .and_then(|line| line.split(';').next())
        .expect("session cookie")
        .to_owned();

    let observed = Arc::new(Mutex::new(Observed::default()));
    let successes = Arc::new(AtomicUsize::new(0));
    let progress = Arc::new(Notify::new());
    let stop = Arc::new(AtomicBool::new(false));
    let workers: Vec<_> = (0..WORKERS)
        .map(|_| {
            tokio::spawn(load(
                client.clone(),
                server.clone(),
                cookie.clone(),
                observed.clone(),
                successes.clone(),
                progress.clone(),
                stop.clone(),
            ))
        })
        .collect();

    for kill in 0..KILLS {
        let target = successes.load(Ordering::Relaxed) + PAIRS_BETWEEN_KILLS;
        while successes.load(Ordering::Relaxed) < target {
            let notified = progress.notified();
            if successes.load(Ordering::Relaxed) >= target {
                break;
            }
            tokio::time::timeout(Duration::from_secs(60), notified)
                .await
                .unwrap_or_else(|_| panic!("kill {kill}: no redemption for 60 s"));
        }
        child.kill().await.expect("SIGKILL");
        child = server.spawn();
        server.wait_ready(&client).await;
    }
    stop.store(true, Ordering::Relaxed);
    for worker in workers {
        worker.await.expect("load worker");
    }
    child.kill().await.expect("stop the server");
    child = server.spawn();
    server.wait_ready(&client).await;

    let observed = observed.lock().await;
    assert!(observed.redeemed.len() >= KILLS * PAIRS_BETWEEN_KILLS);
    let distinct: HashSet<&String> = observed.redeemed.iter().collect();
    assert_eq!(distinct.len(), observed.redeemed.len(), "a token was redeemed twice");
    for token in &observed.redeemed {
        let again = client
            .post(server.url("/one-time-token/verify"))
            .json(&json!({ "token": token }))
            .send()
            .await
            .expect("verify again");
        assert_eq!(
            again.status(),
            400,
            "a redeemed token answered 200 again after restarts"
        );
    }

    let pool = sqlx::sqlite::SqlitePoolOptions::new()
        .max_connections(1)
        .connect(&server.database_url)
        .await
        .expect("open the database");
    for session in &observed.sessions {
        let row = sqlx::query(r#"SELECT COUNT(*) FROM "session" WHERE "token" = ?"#)
            .bind(session)
            .fetch_one(&pool)
            .await
            .expect("count");
        assert_eq!(row.get::<i64, _>(0), 1, "a session handed to a client is missing");
    }
    let integrity: String = sqlx::query_scalar("PRAGMA integrity_check")
        .fetch_one(&pool)
        .await
        .expect("integrity check");
    assert_eq!(integrity, "ok");
    child.kill().await.expect("stop the server");
}
