//! The `ott-server` binary: flags and environment in, an HTTP server out.

mod cli;

use std::fs;
use std::io::Write as _;
use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use anyhow::{Context, bail};
use clap::Parser;
use ott_server::storage::{ConnectOptions, redact_url};
use ott_server::{Auth, Database, ServerSecret, StoreToken};
use tokio::net::TcpListener;
use tracing_subscriber::EnvFilter;

use cli::{Cli, Command, SameSiteArg, Settings, StoreTokenArg};
use ott_server::config::SameSite;
use ott_server::rate_limit::{RateLimitOptions, RateLimitStore};

/// Rows deleted per statement by the sweeper.
const SWEEP_BATCH: u32 = 1_000;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn")))
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    match run(cli).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            // Printed once, plainly, so it appears whatever RUST_LOG filters.
            eprintln!("error: {err:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    let settings = cli.settings;
    let command = cli.command.unwrap_or(Command::Serve);
    if matches!(command, Command::Serve | Command::Cleanup) {
        // Settings are checked before the data folder or database is touched.
        check_settings(&settings)?;
    }
    let database = open_database(&settings).await?;
    match command {
        Command::Migrate => {
            tracing::info!(database = database.kind(), "migrations applied");
            Ok(())
        }
        Command::Cleanup => {
            let auth = build_auth(&settings, database, settings.listen)?;
            let removed = sweep_until_done(&auth).await?;
            tracing::info!(
                verifications = removed.verifications,
                sessions = removed.sessions,
                "expired rows deleted"
            );
            Ok(())
        }
        Command::Serve => serve(&settings, database).await,
    }
}

async fn open_database(settings: &Settings) -> anyhow::Result<Database> {
    let url = match &settings.database_url {
        Some(url) => url.clone(),
        None => {
            create_data_dir(&settings.data_dir)?;
            format!("sqlite://{}", settings.data_dir.join("ott.sqlite").display())
        }
    };
    let statement_timeout =
        (settings.db_statement_timeout > 0).then(|| Duration::from_secs(settings.db_statement_timeout));
    let options = ConnectOptions::default()
        .with_max_connections(settings.db_max_connections)
        .with_statement_timeout(statement_timeout)
        .with_connect_retries(settings.db_connect_retries);
    let database = Database::connect(&url, &options)
        .await
        .with_context(|| format!("cannot open database {}", redact_url(&url)))?;
    database
        .migrate()
        .await
        .with_context(|| format!("cannot migrate database {}", redact_url(&url)))?;
    tracing::info!(database = database.kind(), url = %redact_url(&url), "database ready");
    Ok(database)
}

/// Reads the secret from the settings, or from the data folder, where one is
/// generated with owner-only permissions on first start.
fn load_secret(settings: &Settings) -> anyhow::Result<ServerSecret> {
    if let Some(secret) = &settings.secret {
        return ServerSecret::new(secret.clone()).context("invalid --secret / OTT_SECRET");
    }
    let path = settings.data_dir.join("secret");
    let secret = if path.exists() {
        fs::read_to_string(&path)
            .with_context(|| format!("cannot read secret file {}", path.display()))?
            .trim()
            .to_owned()
    } else {
        create_data_dir(&settings.data_dir)?;
        let secret = ott_server::crypto::generate_secret_text(32);
        write_private_file(&path, &secret)?;
        tracing::info!(path = %path.display(), "generated a new secret");
        secret
    };
    tracing::warn!(
        path = %path.display(),
        "using the secret kept in the data folder; production must set its own with --secret or OTT_SECRET"
    );
    ServerSecret::new(secret).with_context(|| format!("invalid secret in {}", path.display()))
}

fn write_private_file(path: &Path, contents: &str) -> anyhow::Result<()> {
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let mut file = options
        .open(path)
        .with_context(|| format!("cannot create secret file {}", path.display()))?;
    file.write_all(contents.as_bytes())
        .with_context(|| format!("cannot write secret file {}", path.display()))?;
    Ok(())
}

/// Rejects invalid values of the serve and cleanup settings with messages in the units
/// the user typed.
fn check_settings(settings: &Settings) -> anyhow::Result<()> {
    if let Some(secret) = &settings.secret {
        ServerSecret::new(secret.clone()).context("invalid --secret / OTT_SECRET")?;
        if secret.trim().is_empty() || secret.chars().all(|c| c == secret.chars().next().unwrap_or(' ')) {
            bail!(
                "invalid --secret / OTT_SECRET: it repeats one character; use a random value such as `openssl rand -base64 32`"
            );
        }
    }
    if settings.expires_in <= 0 {
        bail!(
            "--expires-in must be a positive number of minutes, got {}",
            settings.expires_in
        );
    }
    if settings.session_lifetime <= 0 {
        bail!(
            "--session-lifetime must be a positive number of seconds, got {}",
            settings.session_lifetime
        );
    }
    Ok(())
}

/// Creates the data folder readable by its owner only, because it contains the secret
/// and, by default, the database with session tokens and password hashes.
fn create_data_dir(path: &Path) -> anyhow::Result<()> {
    if path.exists() {
        return Ok(());
    }
    fs::create_dir_all(path).with_context(|| format!("cannot create data folder {}", path.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        fs::set_permissions(path, fs::Permissions::from_mode(0o700))
            .with_context(|| format!("cannot restrict data folder {}", path.display()))?;
    }
    Ok(())
}

fn build_auth(settings: &Settings, database: Database, listen: SocketAddr) -> anyhow::Result<Auth> {
    let base_url = settings.base_url.clone().unwrap_or_else(|| format!("http://{listen}"));
    let mut trusted_origins: Vec<String> = settings
        .trusted_origins
        .iter()
        .filter(|origin| !origin.trim().is_empty())
        .cloned()
        .collect();
    if settings.base_url.is_none() && listen.ip().is_loopback() {
        // People type localhost as often as 127.0.0.1; both name this server.
        trusted_origins.push(format!("http://localhost:{}", listen.port()));
    }
    let store_token = match settings.store_token {
        StoreTokenArg::Plain => StoreToken::Plain,
        StoreTokenArg::Hashed => StoreToken::Hashed,
    };
    let auth = Auth::builder()
        .secret(load_secret(settings)?)
        .database(database)
        .base_url(base_url)
        .base_path(settings.base_path.clone())
        .trusted_origins(trusted_origins)
        .session_lifetime(chrono::Duration::seconds(settings.session_lifetime))
        .expires_in(chrono::Duration::minutes(settings.expires_in))
        .disable_client_request(settings.disable_client_request)
        .create_session(settings.create_session)
        .store_token(store_token)
        .disable_set_session_cookie(settings.disable_set_session_cookie)
        .set_ott_header_on_new_session(settings.set_ott_header_on_new_session)
        .bearer(settings.bearer)
        .cookie_same_site(match settings.cookie_same_site {
            SameSiteArg::Lax => SameSite::Lax,
            SameSiteArg::Strict => SameSite::Strict,
            SameSiteArg::None => SameSite::None,
        })
        .rate_limit(RateLimitOptions {
            store: settings.rate_limit,
            sign_up: settings.rate_limit_sign_up,
            sign_in: settings.rate_limit_sign_in,
            generate: settings.rate_limit_generate,
            verify: settings.rate_limit_verify,
            trusted_proxies: settings.trusted_proxies.clone(),
        })
        .build()?;
    Ok(auth)
}

async fn sweep_until_done(auth: &Auth) -> anyhow::Result<ott_server::storage::SweepCount> {
    let mut total = ott_server::storage::SweepCount::default();
    loop {
        let removed = auth.delete_expired(SWEEP_BATCH).await?;
        total.verifications += removed.verifications;
        total.sessions += removed.sessions;
        if removed.verifications < u64::from(SWEEP_BATCH) && removed.sessions < u64::from(SWEEP_BATCH) {
            return Ok(total);
        }
    }
}

fn spawn_sweeper(auth: Auth, every: Duration, stop: tokio::sync::watch::Receiver<bool>) -> tokio::task::JoinHandle<()> {
    let mut stop = stop;
    tokio::spawn(async move {
        let mut ticker = tokio::time::interval(every);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = ticker.tick() => {}
                _ = stop.changed() => return,
            }
            match sweep_until_done(&auth).await {
                Ok(removed) if removed.verifications + removed.sessions > 0 => tracing::info!(
                    verifications = removed.verifications,
                    sessions = removed.sessions,
                    "sweeper deleted expired rows"
                ),
                Ok(_) => {}
                Err(err) => tracing::warn!(error = %err, "sweeper failed; retrying at the next interval"),
            }
        }
    })
}

async fn serve(settings: &Settings, database: Database) -> anyhow::Result<()> {
    let kind = database.kind();
    // Bound first, so that with port 0 the default base URL names the real port.
    let listener = TcpListener::bind(settings.listen)
        .await
        .with_context(|| format!("cannot listen on {}", settings.listen))?;
    let address = listener.local_addr()?;
    let auth = build_auth(settings, database, address)?;
    match settings.rate_limit {
        RateLimitStore::Database => {
            auth.database()
                .create_rate_limit_table()
                .await
                .context("cannot create the rateLimit table")?;
            tracing::info!("rate limits counted in the database, shared by every replica");
        }
        RateLimitStore::Memory => tracing::info!("rate limits counted in memory, per process"),
        RateLimitStore::Off => tracing::warn!("rate limits are off; use this for benchmarks and load tests only"),
    }
    let app = ott_server::demo::with_demo(auth.router(), &settings.www_dir, &settings.pkg_dir);
    tracing::info!(
        address = %address,
        database = kind,
        base_url = %auth.options().base_url,
        base_path = %auth.options().base_path,
        "listening on http://{address}"
    );

    let (stop_sender, stop_receiver) = tokio::sync::watch::channel(false);
    let sweeper = (settings.sweep_interval > 0).then(|| {
        spawn_sweeper(
            auth.clone(),
            Duration::from_secs(settings.sweep_interval),
            stop_receiver,
        )
    });

    axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>())
        .with_graceful_shutdown(shutdown_signal())
        .await
        .context("server failed")?;
    let _ = stop_sender.send(true);
    if let Some(sweeper) = sweeper {
        let _ = sweeper.await;
    }
    tracing::info!("server stopped");
    Ok(())
}

async fn shutdown_signal() {
    let interrupt = async {
        if let Err(err) = tokio::signal::ctrl_c().await {
            tracing::warn!(error = %err, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(err) => {
                tracing::warn!(error = %err, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => tracing::info!("interrupt received; finishing in-flight requests"),
        () = terminate => tracing::info!("SIGTERM received; finishing in-flight requests"),
    }
}
