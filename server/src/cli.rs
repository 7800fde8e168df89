//! Command-line flags and environment variables of the `ott-server` binary.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{ArgAction, Args, Parser, Subcommand, ValueEnum};
use ipnet::IpNet;
use ott_server::rate_limit::{Limit, RateLimitStore};

/// Better Auth-compatible sessions and one-time tokens.
#[derive(Debug, Parser)]
#[command(name = "ott-server", version, about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub settings: Settings,
}

/// Subcommand of the binary. Without one it serves.
#[derive(Debug, Clone, Copy, Subcommand)]
pub enum Command {
    /// Serve HTTP (the default).
    Serve,
    /// Create missing tables and indexes, then exit.
    Migrate,
    /// Delete expired one-time tokens and sessions once, then exit (for cron).
    Cleanup,
}

/// Storage form of a one-time token in the `verification` table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum StoreTokenArg {
    /// The token itself.
    Plain,
    /// base64url(SHA-256(token)), so the database never contains a usable token.
    Hashed,
}

/// Every setting that is not a function, as a flag and an environment variable.
#[derive(Debug, Clone, Args)]
pub struct Settings {
    /// Address to listen on.
    #[arg(long, env = "OTT_LISTEN", default_value = "127.0.0.1:3000", global = true)]
    pub listen: SocketAddr,

    /// Database URL: sqlite://FILE, postgres://... or mysql://...
    /// [default: an SQLite file in the data folder]
    #[arg(long, env = "DATABASE_URL", global = true, hide_env_values = true)]
    pub database_url: Option<String>,

    /// Folder for the default SQLite file and the generated secret.
    #[arg(long, env = "OTT_DATA_DIR", default_value = "data", global = true)]
    pub data_dir: PathBuf,

    /// Secret that signs session cookies, at least 32 characters
    /// [default: generated once and kept in the data folder].
    #[arg(long, env = "OTT_SECRET", global = true, hide_env_values = true)]
    pub secret: Option<String>,

    /// Public URL of the server; https turns on Secure cookies
    /// [default: http://<listen address>].
    #[arg(long, env = "OTT_BASE_URL", global = true)]
    pub base_url: Option<String>,

    /// Path prefix of every route.
    #[arg(long, env = "OTT_BASE_PATH", default_value = "/api/auth", global = true)]
    pub base_path: String,

    /// Comma-separated origins allowed for CORS and origin checks, such as
    /// http://127.0.0.1:5173 (the base URL's origin is always trusted).
    #[arg(long, env = "OTT_TRUSTED_ORIGINS", value_delimiter = ',', global = true)]
    pub trusted_origins: Vec<String>,

    /// Lifetime of a session, in seconds.
    #[arg(long, env = "OTT_SESSION_LIFETIME", default_value_t = 604_800, global = true)]
    pub session_lifetime: i64,

    /// Lifetime of a one-time token, in minutes.
    #[arg(long, env = "OTT_EXPIRES_IN", default_value_t = 3, global = true)]
    pub expires_in: i64,

    /// Reject HTTP requests to generate tokens; only server code may.
    #[arg(long, env = "OTT_DISABLE_CLIENT_REQUEST", action = ArgAction::Set, num_args = 0..=1,
          default_value_t = false, default_missing_value = "true", global = true)]
    pub disable_client_request: bool,

    /// Redemption creates a new session; false returns the original one.
    #[arg(long, env = "OTT_CREATE_SESSION", action = ArgAction::Set, num_args = 0..=1,
          default_value_t = true, default_missing_value = "true", global = true)]
    pub create_session: bool,

    /// Storage form of a token in the verification table.
    #[arg(long, env = "OTT_STORE_TOKEN", value_enum, default_value_t = StoreTokenArg::Plain, global = true)]
    pub store_token: StoreTokenArg,

    /// Redemption responds with JSON only and sets no cookie.
    #[arg(long, env = "OTT_DISABLE_SET_SESSION_COOKIE", action = ArgAction::Set, num_args = 0..=1,
          default_value_t = false, default_missing_value = "true", global = true)]
    pub disable_set_session_cookie: bool,

    /// Every response that creates a session carries a fresh token in `set-ott`.
    #[arg(long, env = "OTT_SET_OTT_HEADER_ON_NEW_SESSION", action = ArgAction::Set, num_args = 0..=1,
          default_value_t = false, default_missing_value = "true", global = true)]
    pub set_ott_header_on_new_session: bool,

    /// Accept `Authorization: Bearer` session tokens.
    #[arg(long, env = "OTT_BEARER", action = ArgAction::Set, num_args = 0..=1,
          default_value_t = true, default_missing_value = "true", global = true)]
    pub bearer: bool,

    /// Maximum number of open database connections per process.
    #[arg(long, env = "OTT_DB_MAX_CONNECTIONS", default_value_t = 8, global = true)]
    pub db_max_connections: u32,

    /// Seconds one database statement may run before the database cancels
    /// it: Postgres `statement_timeout`, MariaDB `max_statement_time`, MySQL
    /// `max_execution_time` (SELECTs only). On SQLite it is how long a
    /// statement waits for another process's write lock. 0 sets no limit.
    /// The maximum, 2147483 (about 24 days), is the largest that every
    /// database accepts.
    #[arg(long, env = "OTT_DB_STATEMENT_TIMEOUT", default_value_t = 10, global = true,
          value_parser = clap::value_parser!(u64).range(0..=2_147_483))]
    pub db_statement_timeout: u64,

    /// How many more times to try the first database connection at start-up
    /// when the database is unreachable, pausing 1 s, 2 s, 4 s ... up to
    /// 10 s between tries (Postgres and MySQL).
    #[arg(long, env = "OTT_DB_CONNECT_RETRIES", default_value_t = 5, global = true)]
    pub db_connect_retries: u32,

    /// Seconds between sweeps of expired tokens and sessions; 0 turns the
    /// sweeper off.
    #[arg(long, env = "OTT_SWEEP_INTERVAL", default_value_t = 60, global = true)]
    pub sweep_interval: u64,

    /// Folder of the demo page, served at / when it exists.
    #[arg(long, env = "OTT_WWW_DIR", default_value = "www", global = true)]
    pub www_dir: PathBuf,

    /// Folder of the built browser package, served at /pkg when it exists.
    #[arg(long, env = "OTT_PKG_DIR", default_value = "pkg", global = true)]
    pub pkg_dir: PathBuf,

    /// Storage of rate-limit counters: memory (one process), database
    /// (shared by replicas) or off (benchmarks and load tests).
    #[arg(long, env = "OTT_RATE_LIMIT", default_value = "memory", global = true)]
    pub rate_limit: RateLimitStore,

    /// Sign-up limit per client address, as MAX/SECONDS.
    #[arg(long, env = "OTT_RATE_LIMIT_SIGN_UP", default_value = "3/10", global = true)]
    pub rate_limit_sign_up: Limit,

    /// Sign-in limit per client address, as MAX/SECONDS.
    #[arg(long, env = "OTT_RATE_LIMIT_SIGN_IN", default_value = "3/10", global = true)]
    pub rate_limit_sign_in: Limit,

    /// Token generation limit per client address, as MAX/SECONDS.
    #[arg(long, env = "OTT_RATE_LIMIT_GENERATE", default_value = "30/60", global = true)]
    pub rate_limit_generate: Limit,

    /// Token redemption limit per client address, as MAX/SECONDS.
    #[arg(long, env = "OTT_RATE_LIMIT_VERIFY", default_value = "10/60", global = true)]
    pub rate_limit_verify: Limit,

    /// Comma-separated proxy addresses or networks (such as 10.0.0.0/8) whose
    /// X-Forwarded-For names the client; other peers are limited by their
    /// own address.
    #[arg(long, env = "OTT_TRUSTED_PROXIES", value_delimiter = ',', value_parser = parse_network, global = true)]
    pub trusted_proxies: Vec<IpNet>,

    /// SameSite attribute of session cookies: lax, strict or none (none
    /// needs an https base URL).
    #[arg(long, env = "OTT_COOKIE_SAME_SITE", value_enum, default_value_t = SameSiteArg::Lax, global = true)]
    pub cookie_same_site: SameSiteArg,
}

/// Parses a network (`10.0.0.0/8`) or a single address (`10.0.0.2`).
fn parse_network(text: &str) -> Result<IpNet, String> {
    let text = text.trim();
    text.parse::<IpNet>()
        .or_else(|_| text.parse::<std::net::IpAddr>().map(IpNet::from))
        .map_err(|_| format!("invalid proxy address {text:?}: expected an IP address or a network such as 10.0.0.0/8"))
}

/// `SameSite` of session cookies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SameSiteArg {
    Lax,
    Strict,
    None,
}
