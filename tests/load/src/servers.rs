//! The servers under test and their throw-away databases: ott-server and
//! the reference Better Auth server, each on SQLite or PostgreSQL, started on
//! a free loopback port and stopped by process id.

use std::collections::HashSet;
use std::fmt;
use std::fs::File;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::str::FromStr;
use std::time::Duration;

use anyhow::{Context, bail};
use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};
use sqlx::{Connection as _, PgConnection};
use tempfile::TempDir;
use tokio::process::{Child, Command};

use crate::client::{Target, wait_until_ready};

/// Secret both servers sign cookies with. It protects nothing: every
/// database here is deleted after its phase.
pub const BENCH_SECRET: &str = "benchmark-secret-0123456789abcdef0123456789";

/// Maximum wait for a server to return 200 on `GET /ok` after start.
const START_TIMEOUT: Duration = Duration::from_secs(60);
/// Maximum wait for a server to exit after SIGTERM, before SIGKILL.
const STOP_TIMEOUT: Duration = Duration::from_secs(10);

/// Which server implementation runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Implementation {
    /// This project's `ott-server` binary.
    Ott,
    /// Better Auth 1.7.29 on Node with its official one-time-token plugin.
    BetterAuth,
}

/// Which database a server uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl fmt::Display for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Sqlite => "SQLite",
            Self::Postgres => "PostgreSQL",
        })
    }
}

/// Programs and addresses the benchmark needs.
#[derive(Debug, Clone)]
pub struct Environment {
    /// The release `ott-server` binary.
    pub ott_server: PathBuf,
    /// `tests/interop/reference-server.mjs`.
    pub reference_server: PathBuf,
    /// The `node` executable.
    pub node: PathBuf,
    /// A loopback PostgreSQL URL of a database this user may create
    /// databases from, such as `postgres://postgres@127.0.0.1:5432/postgres`.
    pub postgres_admin_url: String,
}

impl Environment {
    /// Checks that the programs exist and that PostgreSQL is addressed on
    /// the loopback interface only.
    ///
    /// # Errors
    ///
    /// Fails with the missing path or the rejected URL.
    pub fn check(&self) -> anyhow::Result<()> {
        if !self.ott_server.is_file() {
            bail!(
                "{} not found; build it first with `cargo build --release -p ott-server`",
                self.ott_server.display()
            );
        }
        if !self.reference_server.is_file() {
            bail!("{} not found", self.reference_server.display());
        }
        let node_modules = self.reference_server.with_file_name("node_modules");
        if !node_modules.join("better-auth").is_dir() {
            bail!(
                "Better Auth is not installed in {}; run `npm ci` in that folder",
                node_modules.display()
            );
        }
        check_loopback_postgres(&self.postgres_admin_url)
    }
}

fn check_loopback_postgres(url: &str) -> anyhow::Result<()> {
    let options = sqlx::postgres::PgConnectOptions::from_str(url)
        .context("invalid --postgres-url: expected postgres://USER@127.0.0.1:PORT/DATABASE")?;
    if options.get_host() != "127.0.0.1" {
        bail!("PostgreSQL URL must name host 127.0.0.1, got {:?}", options.get_host());
    }
    Ok(())
}

/// Replaces the database name in a PostgreSQL URL, keeping its user,
/// password, host, port and query parameters.
fn with_database(url: &str, database: &str) -> anyhow::Result<String> {
    let (scheme, rest) = url
        .split_once("://")
        .context("invalid --postgres-url: no scheme such as postgres://")?;
    let (location, query) = match rest.split_once('?') {
        Some((location, query)) => (location, format!("?{query}")),
        None => (rest, String::new()),
    };
    let authority = location.split_once('/').map_or(location, |(authority, _)| authority);
    Ok(format!("{scheme}://{authority}/{database}{query}"))
}

/// A database that exists for one phase and is removed afterwards.
pub enum TempDatabase {
    Sqlite {
        _dir: TempDir,
        path: PathBuf,
    },
    Postgres {
        admin_url: String,
        name: String,
        url: String,
    },
}

impl TempDatabase {
    /// Creates an empty database: a new folder for an SQLite file, or a new
    /// PostgreSQL database named `ott_bench_<random hex>`.
    ///
    /// # Errors
    ///
    /// Fails when the folder or the database cannot be created.
    pub async fn create(backend: Backend, environment: &Environment) -> anyhow::Result<Self> {
        match backend {
            Backend::Sqlite => {
                let dir = tempfile::Builder::new().prefix("ott-bench-db-").tempdir()?;
                let path = dir.path().join("bench.sqlite");
                Ok(Self::Sqlite { _dir: dir, path })
            }
            Backend::Postgres => {
                let name = format!("ott_bench_{}", random_hex(6)?);
                let admin_url = environment.postgres_admin_url.clone();
                let mut admin = PgConnection::connect(&admin_url)
                    .await
                    .context("cannot connect to PostgreSQL at the --postgres-url address; is it running?")?;
                sqlx::query(&format!("CREATE DATABASE {name}"))
                    .execute(&mut admin)
                    .await?;
                admin.close().await?;
                let url = with_database(&admin_url, &name)?;
                Ok(Self::Postgres { admin_url, name, url })
            }
        }
    }

    /// Returns the URL ott-server takes.
    pub fn url(&self) -> String {
        match self {
            Self::Sqlite { path, .. } => format!("sqlite://{}", path.display()),
            Self::Postgres { url, .. } => url.clone(),
        }
    }

    /// Returns what the reference server's `BA_DATABASE` takes: a file path
    /// or a URL.
    fn reference_location(&self) -> String {
        match self {
            Self::Sqlite { path, .. } => path.display().to_string(),
            Self::Postgres { url, .. } => url.clone(),
        }
    }

    /// Counts rows with `sql`, a `SELECT count(*)` statement.
    ///
    /// # Errors
    ///
    /// Fails when the database does.
    pub async fn count(&self, sql: &str) -> anyhow::Result<i64> {
        match self {
            Self::Sqlite { path, .. } => {
                let mut connection =
                    SqliteConnection::connect_with(&SqliteConnectOptions::new().filename(path)).await?;
                Ok(sqlx::query_scalar(sql).fetch_one(&mut connection).await?)
            }
            Self::Postgres { url, .. } => {
                let mut connection = PgConnection::connect(url).await?;
                Ok(sqlx::query_scalar(sql).fetch_one(&mut connection).await?)
            }
        }
    }

    /// Reads every `identifier` of the `verification` table.
    ///
    /// # Errors
    ///
    /// Fails when the database does.
    pub async fn verification_identifiers(&self) -> anyhow::Result<HashSet<String>> {
        let sql = r#"SELECT "identifier" FROM "verification""#;
        let identifiers: Vec<String> = match self {
            Self::Sqlite { path, .. } => {
                let mut connection =
                    SqliteConnection::connect_with(&SqliteConnectOptions::new().filename(path)).await?;
                sqlx::query_scalar(sql).fetch_all(&mut connection).await?
            }
            Self::Postgres { url, .. } => {
                let mut connection = PgConnection::connect(url).await?;
                sqlx::query_scalar(sql).fetch_all(&mut connection).await?
            }
        };
        Ok(identifiers.into_iter().collect())
    }

    /// Removes the database: the PostgreSQL database is dropped, the SQLite
    /// folder deleted.
    ///
    /// # Errors
    ///
    /// Fails when PostgreSQL refuses the drop.
    pub async fn remove(self) -> anyhow::Result<()> {
        if let Self::Postgres { admin_url, name, .. } = self {
            let mut admin = PgConnection::connect(&admin_url).await?;
            sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .execute(&mut admin)
                .await
                .with_context(|| format!("cannot drop database {name}"))?;
            admin.close().await?;
        }
        Ok(())
    }
}

/// Runs `ott-server migrate` on `database`, creating Better Auth's tables.
///
/// # Errors
///
/// Fails when the command does.
pub async fn migrate_with_ott_server(environment: &Environment, database: &TempDatabase) -> anyhow::Result<()> {
    let output = Command::new(&environment.ott_server)
        .arg("migrate")
        .arg("--database-url")
        .arg(database.url())
        .arg("--secret")
        .arg(BENCH_SECRET)
        .env_remove("DATABASE_URL")
        .output()
        .await?;
    if !output.status.success() {
        bail!("ott-server migrate failed: {}", String::from_utf8_lossy(&output.stderr));
    }
    Ok(())
}

/// A server process started for one phase.
pub struct RunningServer {
    child: Child,
    pub pid: u32,
    pub target: Target,
    log_path: PathBuf,
    _scratch: TempDir,
}

/// `bytes` random bytes as lowercase hexadecimal.
///
/// # Errors
///
/// Fails when the operating system's random source does.
pub fn random_hex(bytes: usize) -> anyhow::Result<String> {
    let mut random = vec![0u8; bytes];
    getrandom::fill(&mut random)?;
    Ok(random.iter().map(|byte| format!("{byte:02x}")).collect())
}

/// Generates a new address for a benchmark user.
///
/// # Errors
///
/// Fails when the operating system's random source does.
pub fn random_email() -> anyhow::Result<String> {
    Ok(format!("load-{}@example.test", random_hex(8)?))
}

fn free_loopback_port() -> anyhow::Result<u16> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    Ok(listener.local_addr()?.port())
}

fn log_tail(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(20)..].join("\n")
}

/// Builds the command that starts ott-server on `port`, with rate limits
/// and the sweeper off and its default log level (info), as in production.
fn ott_server_command(environment: &Environment, database: &TempDatabase, scratch: &Path, port: u16) -> Command {
    let mut command = Command::new(&environment.ott_server);
    let missing = scratch.join("absent");
    command
        .arg("serve")
        .arg("--listen")
        .arg(format!("127.0.0.1:{port}"))
        .arg("--base-url")
        .arg(format!("http://127.0.0.1:{port}"))
        .arg("--database-url")
        .arg(database.url())
        .arg("--secret")
        .arg(BENCH_SECRET)
        .arg("--rate-limit")
        .arg("off")
        .arg("--sweep-interval")
        .arg("0")
        .arg("--data-dir")
        .arg(scratch)
        .arg("--www-dir")
        .arg(&missing)
        .arg("--pkg-dir")
        .arg(&missing);
    for (name, _) in std::env::vars_os() {
        let text = name.to_string_lossy();
        if text.starts_with("OTT_") || text == "DATABASE_URL" || text == "RUST_LOG" {
            command.env_remove(&name);
        }
    }
    command
}

/// Builds the command that starts the reference Better Auth server on
/// `port`, with its rate limiter off.
fn reference_server_command(environment: &Environment, database: &TempDatabase, port: u16) -> Command {
    let mut command = Command::new(&environment.node);
    command.arg(&environment.reference_server);
    for (name, _) in std::env::vars_os() {
        let text = name.to_string_lossy();
        if text.starts_with("BA_") || text == "NODE_ENV" || text == "TEST" {
            command.env_remove(&name);
        }
    }
    command
        .env("BA_PORT", port.to_string())
        .env("BA_DATABASE", database.reference_location())
        .env("BA_SECRET", BENCH_SECRET)
        .env("BA_BASE_URL", format!("http://127.0.0.1:{port}"))
        .env("BA_RATE_LIMIT", "false");
    if let Some(folder) = environment.reference_server.parent() {
        command.current_dir(folder);
    }
    command
}

impl RunningServer {
    /// Starts `implementation` on `database` and waits until it returns 200
    /// on `GET /ok`.
    ///
    /// # Errors
    ///
    /// Fails when the process cannot start or is not ready within a minute;
    /// the message carries the end of its log.
    pub async fn start(
        implementation: Implementation,
        database: &TempDatabase,
        environment: &Environment,
    ) -> anyhow::Result<Self> {
        let scratch = tempfile::Builder::new().prefix("ott-bench-server-").tempdir()?;
        let log_path = scratch.path().join("server.log");
        let log = File::create(&log_path)?;
        let port = free_loopback_port()?;
        let base_url = format!("http://127.0.0.1:{port}");

        let mut command = match implementation {
            Implementation::Ott => ott_server_command(environment, database, scratch.path(), port),
            Implementation::BetterAuth => reference_server_command(environment, database, port),
        };
        command
            .stdin(Stdio::null())
            .stdout(Stdio::from(log.try_clone()?))
            .stderr(Stdio::from(log))
            .kill_on_drop(true);

        let child = command.spawn().context("cannot start the server process")?;
        let pid = child.id().context("the server process exited at once")?;
        let target = Target::loopback(&base_url, "/api/auth")?;
        let server = Self {
            child,
            pid,
            target,
            log_path,
            _scratch: scratch,
        };

        if let Err(err) = wait_until_ready(&server.target, START_TIMEOUT).await {
            let tail = log_tail(&server.log_path);
            server.stop().await?;
            bail!("{err:#}; end of its log:\n{tail}");
        }
        Ok(server)
    }

    /// Returns the last lines of the server's log.
    pub fn log_tail(&self) -> String {
        log_tail(&self.log_path)
    }

    /// Stops the server with SIGTERM, then SIGKILL if it has not exited
    /// within ten seconds.
    ///
    /// # Errors
    ///
    /// Fails when the process cannot be signalled or waited for.
    pub async fn stop(mut self) -> anyhow::Result<()> {
        if self.child.try_wait()?.is_some() {
            return Ok(());
        }
        let status = Command::new("kill")
            .arg("-TERM")
            .arg(self.pid.to_string())
            .status()
            .await?;
        if status.success() && tokio::time::timeout(STOP_TIMEOUT, self.child.wait()).await.is_ok() {
            return Ok(());
        }
        self.child.kill().await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_name_is_replaced() {
        let url = with_database("postgres://postgres@127.0.0.1:5432/postgres", "ott_bench_1").expect("valid");
        assert_eq!(url, "postgres://postgres@127.0.0.1:5432/ott_bench_1");
    }

    #[test]
    fn password_and_query_are_kept() {
        let url = with_database("postgres://u:pw@127.0.0.1/admin?sslmode=disable", "b").expect("valid");
        assert_eq!(url, "postgres://u:pw@127.0.0.1/b?sslmode=disable");
    }

    #[test]
    fn url_without_database_gets_one() {
        let url = with_database("postgres://u@127.0.0.1:5432", "b").expect("valid");
        assert_eq!(url, "postgres://u@127.0.0.1:5432/b");
    }
}
