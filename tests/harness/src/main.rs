//! `ott-harness`: the real server library on SQLite with a manual clock, for
//! the browser and package tests.
//!
//! Besides the normal routes it serves `POST /__test/clock/advance` with a
//! body `{"seconds": N}`, so tests can step past a token's or a session's
//! expiry without sleeping. Never deploy it: anyone who reaches it controls
//! the server's time.

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context;
use axum::extract::State;
use axum::http::{HeaderValue, Method};
use axum::routing::post;
use axum::{Json, Router};
use clap::Parser;
use ott_server::storage::ConnectOptions;
use ott_server::{Auth, Database, ManualClock, ServerSecret, StoreToken};
use tower_http::cors::{AllowHeaders, AllowOrigin, CorsLayer};

/// Secret of the harness; tests that check cookie signatures use it too.
const TEST_SECRET: &str = "test-secret-0123456789abcdef0123456789abcdef";

#[derive(Debug, Parser)]
#[command(name = "ott-harness", about = "ott-server with a manual clock, for tests only")]
struct Args {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:3101")]
    listen: SocketAddr,
    /// SQLite database URL, such as sqlite:///tmp/harness.sqlite.
    #[arg(long)]
    database_url: String,
    /// Comma-separated trusted origins (test pages).
    #[arg(long, value_delimiter = ',')]
    trusted_origins: Vec<String>,
    /// Lifetime of a one-time token, in minutes.
    #[arg(long, default_value_t = 3)]
    expires_in: i64,
    /// Store hashed tokens.
    #[arg(long)]
    hashed: bool,
}

#[derive(serde::Deserialize)]
struct Advance {
    seconds: i64,
}

async fn advance_clock(State(clock): State<Arc<ManualClock>>, Json(advance): Json<Advance>) -> Json<serde_json::Value> {
    use ott_server::Clock as _;
    clock.advance(chrono::Duration::seconds(advance.seconds));
    Json(serde_json::json!({ "now": ott_server::model::format_date(&clock.now()) }))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into()))
        .init();
    let args = Args::parse();
    let database = Database::connect(&args.database_url, &ConnectOptions::default())
        .await
        .context("cannot open the harness database")?;
    database.migrate().await?;
    let clock = Arc::new(ManualClock::new(chrono::Utc::now()));
    let auth = Auth::builder()
        .secret(ServerSecret::new(TEST_SECRET)?)
        .database(database)
        .base_url(format!("http://{}", args.listen))
        .trusted_origins(args.trusted_origins.clone())
        .expires_in(chrono::Duration::minutes(args.expires_in))
        .store_token(if args.hashed {
            StoreToken::Hashed
        } else {
            StoreToken::Plain
        })
        .clock(clock.clone())
        // Browser tests send many requests from 127.0.0.1.
        .rate_limit(ott_server::rate_limit::RateLimitOptions {
            store: ott_server::rate_limit::RateLimitStore::Off,
            ..Default::default()
        })
        .build()?;

    let origins: Vec<HeaderValue> = args
        .trusted_origins
        .iter()
        .filter_map(|origin| HeaderValue::from_str(origin).ok())
        .collect();
    let control = Router::new()
        .route("/__test/clock/advance", post(advance_clock))
        .with_state(clock)
        .layer(
            CorsLayer::new()
                .allow_origin(AllowOrigin::list(origins))
                .allow_credentials(true)
                .allow_methods([Method::POST])
                .allow_headers(AllowHeaders::mirror_request()),
        );
    let app = control.merge(auth.router());
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    println!("listening on http://{}", listener.local_addr()?);
    axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>())
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    Ok(())
}
