//! Options of the server, with the defaults of Better Auth's one-time-token
//! plugin, and the builder that turns them into an [`Auth`].

use std::fmt;
use std::sync::Arc;

use chrono::Duration;
use url::Url;

use crate::auth::Auth;
use crate::clock::{Clock, SystemClock};
use crate::model::{Session, User};
use crate::rate_limit::RateLimitOptions;
use crate::secret::ServerSecret;
use crate::storage::Database;

/// Custom hasher for stored one-time tokens: receives the token, returns what
/// is written after `one-time-token:` in the `verification` table.
pub type TokenHasher = Arc<dyn Fn(&str) -> String + Send + Sync>;

/// Custom generator of one-time tokens for a session and its user.
pub type TokenGenerator = Arc<dyn Fn(&Session, &User) -> String + Send + Sync>;

/// Storage form of a one-time token in the `verification` table.
#[derive(Clone, Default)]
pub enum StoreToken {
    /// The token itself (Better Auth's default).
    #[default]
    Plain,
    /// base64url without padding of SHA-256 over the token, so the database
    /// never contains a usable token.
    Hashed,
    /// The output of a custom function.
    Custom(TokenHasher),
}

impl StoreToken {
    /// Returns the stored form of `token`.
    pub fn store(&self, token: &str) -> String {
        match self {
            Self::Plain => token.to_owned(),
            Self::Hashed => crate::crypto::hash_token(token),
            Self::Custom(hasher) => hasher(token),
        }
    }
}

impl fmt::Debug for StoreToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Plain => f.write_str("Plain"),
            Self::Hashed => f.write_str("Hashed"),
            Self::Custom(_) => f.write_str("Custom(..)"),
        }
    }
}

/// The `SameSite` attribute of session cookies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SameSite {
    Strict,
    /// Better Auth's default: sent on top-level navigations, not on
    /// cross-site subrequests.
    #[default]
    Lax,
    /// Sent on cross-site requests too; browsers demand `Secure` with it.
    None,
}

impl SameSite {
    /// Returns the attribute's value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Strict => "Strict",
            Self::Lax => "Lax",
            Self::None => "None",
        }
    }
}

/// Rejection of an inconsistent configuration.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    #[error("no secret is set; call `secret()` on the builder")]
    MissingSecret,
    #[error("no database is set; call `database()` on the builder")]
    MissingDatabase,
    #[error("invalid base URL {url:?}: {reason}")]
    InvalidBaseUrl { url: String, reason: String },
    #[error(
        "invalid trusted origin {origin:?}: expected http:// or https:// with a host and an optional port, such as http://127.0.0.1:5173"
    )]
    InvalidTrustedOrigin { origin: String },
    #[error("invalid base path {0:?}: it must start with '/' and must not end with '/'")]
    InvalidBasePath(String),
    #[error(
        "SameSite=None cookies must be Secure, which needs an https base URL; use SameSite=Lax or an https base URL"
    )]
    SameSiteNoneWithoutSecure,
    #[error(
        "cookies cannot be {requested} with the base URL {base_url}: Secure cookies need https, and an https base URL needs Secure cookies"
    )]
    ContradictorySecure { requested: &'static str, base_url: String },
    #[error("{name} must be positive, got {value}")]
    NotPositive { name: &'static str, value: String },
}

/// Every setting of an [`Auth`], as built by [`AuthBuilder`].
#[derive(Clone)]
pub struct AuthOptions {
    pub secret: ServerSecret,
    /// Public URL of the server, such as `https://api.example.test`. Its
    /// scheme decides whether cookies are `Secure` with the `__Secure-` prefix.
    pub base_url: Url,
    /// Path under which every route is mounted, `/api/auth` by default.
    pub base_path: String,
    /// Exact origins (scheme, host, port) allowed for CORS and origin checks,
    /// besides the base URL's own.
    pub trusted_origins: Vec<String>,
    /// Lifetime of a session, 7 days by default.
    pub session_lifetime: Duration,
    /// Age after which `get-session` extends a session, 1 day by default.
    pub session_update_age: Duration,
    /// Lifetime of a one-time token, 3 minutes by default.
    pub expires_in: Duration,
    /// Reject every HTTP request to generate a token; the Rust API still can.
    pub disable_client_request: bool,
    /// Redemption creates a new session (true) or returns the original one.
    pub create_session: bool,
    pub store_token: StoreToken,
    pub generate_token: Option<TokenGenerator>,
    /// Redemption responds with JSON only and sets no cookie.
    pub disable_set_session_cookie: bool,
    /// Every response that creates a session carries a fresh one-time token in
    /// a `set-ott` header.
    pub set_ott_header_on_new_session: bool,
    /// Accept `Authorization: Bearer` session tokens.
    pub bearer: bool,
    /// `SameSite` of session cookies.
    pub cookie_same_site: SameSite,
    /// Rate limits per client address.
    pub rate_limit: RateLimitOptions,
}

impl fmt::Debug for AuthOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthOptions")
            .field("secret", &self.secret)
            .field("base_url", &self.base_url.as_str())
            .field("base_path", &self.base_path)
            .field("trusted_origins", &self.trusted_origins)
            .field("session_lifetime", &self.session_lifetime)
            .field("expires_in", &self.expires_in)
            .field("disable_client_request", &self.disable_client_request)
            .field("create_session", &self.create_session)
            .field("store_token", &self.store_token)
            .field("generate_token", &self.generate_token.as_ref().map(|_| ".."))
            .field("disable_set_session_cookie", &self.disable_set_session_cookie)
            .field("set_ott_header_on_new_session", &self.set_ott_header_on_new_session)
            .field("bearer", &self.bearer)
            .field("cookie_same_site", &self.cookie_same_site)
            .field("rate_limit", &self.rate_limit)
            .finish()
    }
}

impl AuthOptions {
    /// Whether cookies get `Secure` and the `__Secure-` prefix: exactly when
    /// the base URL is https.
    pub fn secure_cookies(&self) -> bool {
        self.base_url.scheme() == "https"
    }

    /// Origin of the base URL, such as `http://127.0.0.1:3000`.
    pub fn base_origin(&self) -> String {
        self.base_url.origin().ascii_serialization()
    }

    /// Returns whether `origin` (an `Origin` header value) is trusted.
    pub fn is_trusted_origin(&self, origin: &str) -> bool {
        origin == self.base_origin() || self.trusted_origins.iter().any(|trusted| trusted == origin)
    }
}

/// Builder of an [`Auth`]. Every setting has the default of Better Auth's
/// one-time-token plugin except where a method documents another.
pub struct AuthBuilder {
    secret: Option<ServerSecret>,
    database: Option<Database>,
    base_url: String,
    base_path: String,
    trusted_origins: Vec<String>,
    session_lifetime: Duration,
    session_update_age: Duration,
    expires_in: Duration,
    disable_client_request: bool,
    create_session: bool,
    store_token: StoreToken,
    generate_token: Option<TokenGenerator>,
    disable_set_session_cookie: bool,
    set_ott_header_on_new_session: bool,
    bearer: bool,
    cookie_same_site: SameSite,
    cookie_secure: Option<bool>,
    rate_limit: RateLimitOptions,
    clock: Arc<dyn Clock>,
}

impl Default for AuthBuilder {
    fn default() -> Self {
        Self {
            secret: None,
            database: None,
            base_url: "http://127.0.0.1:3000".to_owned(),
            base_path: "/api/auth".to_owned(),
            trusted_origins: Vec::new(),
            session_lifetime: Duration::days(7),
            session_update_age: Duration::days(1),
            expires_in: Duration::minutes(3),
            disable_client_request: false,
            // The product's purpose: each device gets its own session.
            create_session: true,
            store_token: StoreToken::Plain,
            generate_token: None,
            disable_set_session_cookie: false,
            set_ott_header_on_new_session: false,
            bearer: true,
            cookie_same_site: SameSite::Lax,
            cookie_secure: None,
            rate_limit: RateLimitOptions::default(),
            clock: Arc::new(SystemClock),
        }
    }
}

impl AuthBuilder {
    /// Sets the secret that signs session cookies (at least 32 characters).
    pub fn secret(mut self, secret: ServerSecret) -> Self {
        self.secret = Some(secret);
        self
    }

    /// Sets the database pool.
    pub fn database(mut self, database: Database) -> Self {
        self.database = Some(database);
        self
    }

    /// Sets the public URL of the server (default `http://127.0.0.1:3000`).
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = url.into();
        self
    }

    /// Sets the path prefix of every route (default `/api/auth`).
    pub fn base_path(mut self, path: impl Into<String>) -> Self {
        self.base_path = path.into();
        self
    }

    /// Adds origins trusted for CORS and origin checks.
    pub fn trusted_origins<I, S>(mut self, origins: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.trusted_origins.extend(origins.into_iter().map(Into::into));
        self
    }

    /// Sets the lifetime of a session (default 7 days).
    pub fn session_lifetime(mut self, lifetime: Duration) -> Self {
        self.session_lifetime = lifetime;
        self
    }

    /// Sets the age after which `get-session` extends a session (default 1 day).
    pub fn session_update_age(mut self, age: Duration) -> Self {
        self.session_update_age = age;
        self
    }

    /// Sets the lifetime of a one-time token (default 3 minutes).
    pub fn expires_in(mut self, lifetime: Duration) -> Self {
        self.expires_in = lifetime;
        self
    }

    /// Rejects every HTTP request to generate a token (default false).
    pub fn disable_client_request(mut self, disable: bool) -> Self {
        self.disable_client_request = disable;
        self
    }

    /// Sets whether redemption creates a new session (default true).
    pub fn create_session(mut self, create: bool) -> Self {
        self.create_session = create;
        self
    }

    /// Sets what the `verification` table stores (default plain).
    pub fn store_token(mut self, store: StoreToken) -> Self {
        self.store_token = store;
        self
    }

    /// Replaces the default generator of 32 random URL-safe characters.
    pub fn generate_token(mut self, generator: impl Fn(&Session, &User) -> String + Send + Sync + 'static) -> Self {
        self.generate_token = Some(Arc::new(generator));
        self
    }

    /// Makes redemption respond with JSON only, without a cookie (default false).
    pub fn disable_set_session_cookie(mut self, disable: bool) -> Self {
        self.disable_set_session_cookie = disable;
        self
    }

    /// Adds a `set-ott` header with a fresh token to every response that
    /// creates a session (default false).
    pub fn set_ott_header_on_new_session(mut self, enable: bool) -> Self {
        self.set_ott_header_on_new_session = enable;
        self
    }

    /// Accepts `Authorization: Bearer` session tokens (default true).
    pub fn bearer(mut self, enable: bool) -> Self {
        self.bearer = enable;
        self
    }

    /// Sets `SameSite` of session cookies (default `Lax`).
    pub fn cookie_same_site(mut self, same_site: SameSite) -> Self {
        self.cookie_same_site = same_site;
        self
    }

    /// Demands `Secure` cookies on (true) or off (false). By default they
    /// follow the base URL's scheme; a demand that contradicts it is rejected
    /// by [`AuthBuilder::build`].
    pub fn cookie_secure(mut self, secure: bool) -> Self {
        self.cookie_secure = Some(secure);
        self
    }

    /// Sets the rate limits (default: in memory, see [`RateLimitOptions`]).
    pub fn rate_limit(mut self, options: RateLimitOptions) -> Self {
        self.rate_limit = options;
        self
    }

    /// Replaces the system clock, for tests.
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Checks the settings and builds the [`Auth`].
    ///
    /// # Errors
    ///
    /// Returns a [`ConfigError`] naming the first invalid setting.
    pub fn build(self) -> Result<Auth, ConfigError> {
        let secret = self.secret.ok_or(ConfigError::MissingSecret)?;
        let database = self.database.ok_or(ConfigError::MissingDatabase)?;
        let base_url = parse_base_url(&self.base_url)?;
        if !self.base_path.starts_with('/') || (self.base_path.len() > 1 && self.base_path.ends_with('/')) {
            return Err(ConfigError::InvalidBasePath(self.base_path));
        }
        let base_path = if self.base_path == "/" {
            String::new()
        } else {
            self.base_path
        };
        let trusted_origins = self
            .trusted_origins
            .iter()
            .map(|origin| normalize_origin(origin))
            .collect::<Result<Vec<_>, _>>()?;
        for (name, value) in [
            ("session lifetime", self.session_lifetime),
            ("token lifetime (expiresIn)", self.expires_in),
        ] {
            if value <= Duration::zero() {
                return Err(ConfigError::NotPositive {
                    name,
                    value: value.to_string(),
                });
            }
        }
        let https = base_url.scheme() == "https";
        if let Some(secure) = self.cookie_secure {
            if secure != https {
                return Err(ConfigError::ContradictorySecure {
                    requested: if secure { "Secure" } else { "non-Secure" },
                    base_url: base_url.to_string(),
                });
            }
        }
        if self.cookie_same_site == SameSite::None && !https {
            return Err(ConfigError::SameSiteNoneWithoutSecure);
        }
        let options = AuthOptions {
            secret,
            base_url,
            base_path,
            trusted_origins,
            session_lifetime: self.session_lifetime,
            session_update_age: self.session_update_age,
            expires_in: self.expires_in,
            disable_client_request: self.disable_client_request,
            create_session: self.create_session,
            store_token: self.store_token,
            generate_token: self.generate_token,
            disable_set_session_cookie: self.disable_set_session_cookie,
            set_ott_header_on_new_session: self.set_ott_header_on_new_session,
            bearer: self.bearer,
            cookie_same_site: self.cookie_same_site,
            rate_limit: self.rate_limit,
        };
        Ok(Auth::new(options, database, self.clock))
    }
}

fn parse_base_url(text: &str) -> Result<Url, ConfigError> {
    let url = Url::parse(text).map_err(|err| ConfigError::InvalidBaseUrl {
        url: text.to_owned(),
        reason: err.to_string(),
    })?;
    if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
        return Err(ConfigError::InvalidBaseUrl {
            url: text.to_owned(),
            reason: "expected an http:// or https:// URL with a host".to_owned(),
        });
    }
    Ok(url)
}

/// Reduces `http://host:port/` to the origin form browsers send.
fn normalize_origin(text: &str) -> Result<String, ConfigError> {
    let invalid = || ConfigError::InvalidTrustedOrigin {
        origin: text.to_owned(),
    };
    let url = Url::parse(text.trim()).map_err(|_| invalid())?;
    if !matches!(url.scheme(), "http" | "https") || url.host().is_none() || url.path() != "/" {
        return Err(invalid());
    }
    Ok(url.origin().ascii_serialization())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_are_normalized() {
        assert_eq!(
            normalize_origin("http://127.0.0.1:5173/").expect("valid"),
            "http://127.0.0.1:5173"
        );
        assert_eq!(
            normalize_origin("https://app.example.test:443").expect("valid"),
            "https://app.example.test"
        );
        assert!(normalize_origin("app.example.test").is_err());
        assert!(normalize_origin("http://app.example.test/path").is_err());
    }
}

#[cfg(test)]
mod cookie_tests {
    use super::*;
    use crate::storage::{ConnectOptions, Database};

    async fn builder() -> AuthBuilder {
        let database = Database::connect("sqlite::memory:", &ConnectOptions::default())
            .await
            .expect("in-memory database");
        Auth::builder()
            .secret(ServerSecret::new("x".repeat(32)).expect("secret"))
            .database(database)
    }

    #[tokio::test]
    async fn same_site_none_needs_https() {
        let err = builder()
            .await
            .base_url("http://127.0.0.1:3000")
            .cookie_same_site(SameSite::None)
            .build()
            .expect_err("rejected");
        assert!(matches!(err, ConfigError::SameSiteNoneWithoutSecure), "{err}");
        let ok = builder()
            .await
            .base_url("https://auth.example.test")
            .cookie_same_site(SameSite::None)
            .build();
        assert!(ok.is_ok());
    }

    #[tokio::test]
    async fn secure_must_match_scheme() {
        let insecure_https = builder()
            .await
            .base_url("https://auth.example.test")
            .cookie_secure(false)
            .build()
            .expect_err("rejected");
        assert!(insecure_https.to_string().contains("non-Secure"), "{insecure_https}");
        let secure_http = builder()
            .await
            .base_url("http://127.0.0.1:3000")
            .cookie_secure(true)
            .build()
            .expect_err("rejected");
        assert!(matches!(secure_http, ConfigError::ContradictorySecure { .. }));
        let https = builder()
            .await
            .base_url("https://auth.example.test")
            .build()
            .expect("valid");
        assert!(https.options().secure_cookies());
    }
}
