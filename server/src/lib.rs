//! Better Auth-compatible sessions and one-time tokens for axum.
//!
//! A user signed in on one device asks for a short-lived, single-use token;
//! another device redeems it and receives a session for the same user. The
//! tables are Better Auth's own (`user`, `session`, `account`,
//! `verification`), so a Better Auth database and Better Auth's JavaScript
//! client work unchanged.
//!
//! ```no_run
//! # async fn run() -> anyhow::Result<()> {
//! use ott_server::{Auth, Database, ServerSecret, storage::ConnectOptions};
//!
//! let database = Database::connect("sqlite://data/auth.sqlite", &ConnectOptions::default()).await?;
//! database.migrate().await?;
//! let auth = Auth::builder()
//!     .secret(ServerSecret::new(std::env::var("OTT_SECRET")?)?)
//!     .database(database)
//!     .base_url("http://127.0.0.1:3000")
//!     .build()?;
//! let app = axum::Router::new().merge(auth.router());
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
//! axum::serve(listener, app).await?;
//! # Ok(())
//! # }
//! ```

pub mod auth;
pub mod clock;
pub mod config;
pub mod crypto;
pub mod error;
pub mod extract;
pub mod http;
pub mod model;
pub mod rate_limit;
mod routes;
pub use routes::demo;
pub mod secret;
pub mod storage;

pub use auth::{Auth, Redemption, SessionLookup};
pub use clock::{Clock, ManualClock, SystemClock};
pub use config::{AuthBuilder, AuthOptions, ConfigError, StoreToken};
pub use error::AuthError;
pub use extract::CurrentSession;
pub use secret::{OneTimeToken, ServerSecret, SessionToken};
pub use storage::Database;
