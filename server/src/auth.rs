//! [`Auth`]: the configured service behind the routes, and the Rust API for
//! server code (sessions and one-time tokens without HTTP).

use std::sync::Arc;

use axum::Router;
use chrono::{DateTime, Duration, Utc};

use crate::clock::Clock;
use crate::config::{AuthBuilder, AuthOptions};
use crate::crypto::{generate_id, generate_url_safe_token};
use crate::error::AuthError;
use crate::http::ClientMeta;
use crate::model::{Session, SessionWithUser, User, Verification};
use crate::secret::{OneTimeToken, SessionToken};
use crate::storage::{Database, ONE_TIME_TOKEN_PREFIX};

/// Maximum length of a one-time token that is looked up. Longer values are rejected
/// before any hashing or query.
pub const MAX_ONE_TIME_TOKEN_LEN: usize = 256;

/// Sessions and one-time tokens on one database. Cheap to clone.
#[derive(Clone)]
pub struct Auth {
    inner: Arc<Inner>,
}

struct Inner {
    options: AuthOptions,
    database: Database,
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for Auth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Auth")
            .field("options", &self.inner.options)
            .field("database", &self.inner.database.kind())
            .finish()
    }
}

/// State of the session a request names.
#[derive(Debug, Clone)]
pub enum SessionLookup {
    /// No session has the token.
    Unknown,
    /// The session exists but is past its expiry.
    Expired(SessionWithUser),
    /// A live session.
    Valid(SessionWithUser),
}

/// Result of redeeming a one-time token.
#[derive(Debug, Clone)]
pub struct Redemption {
    /// The new session, or the original one when `createSession` is off.
    pub session: Session,
    pub user: User,
    /// Whether `session` was created by this redemption.
    pub created: bool,
}

impl Auth {
    /// Starts a builder with the plugin's defaults.
    pub fn builder() -> AuthBuilder {
        AuthBuilder::default()
    }

    pub(crate) fn new(options: AuthOptions, database: Database, clock: Arc<dyn Clock>) -> Self {
        Self {
            inner: Arc::new(Inner {
                options,
                database,
                clock,
            }),
        }
    }

    /// Returns the settings this service was built with.
    pub fn options(&self) -> &AuthOptions {
        &self.inner.options
    }

    /// Returns the database pool.
    pub fn database(&self) -> &Database {
        &self.inner.database
    }

    /// Returns the current instant of this service's clock.
    pub fn now(&self) -> DateTime<Utc> {
        self.inner.clock.now()
    }

    /// Builds the axum router with every route under the base path. Merge it
    /// into an application with [`Router::merge`].
    pub fn router(&self) -> Router {
        crate::routes::router(self.clone())
    }

    /// Creates a session for `user_id` that lives for `lifetime`.
    ///
    /// # Errors
    ///
    /// Fails when the database does.
    pub async fn create_session(
        &self,
        user_id: &str,
        meta: &ClientMeta,
        lifetime: Duration,
        now: DateTime<Utc>,
    ) -> Result<Session, AuthError> {
        let session = Session {
            id: generate_id(),
            expires_at: now + lifetime,
            token: SessionToken::new(generate_id()),
            created_at: now,
            updated_at: now,
            ip_address: meta.ip_address.clone(),
            user_agent: meta.user_agent.clone(),
            user_id: user_id.to_owned(),
        };
        self.inner.database.create_session(&session).await?;
        Ok(session)
    }

    /// Finds the session with `token` and classifies it at `now`.
    ///
    /// # Errors
    ///
    /// Fails when the database does.
    pub async fn lookup_session(&self, token: &str, now: DateTime<Utc>) -> Result<SessionLookup, AuthError> {
        Ok(match self.inner.database.find_session(token).await? {
            None => SessionLookup::Unknown,
            Some(found) if found.session.expires_at <= now => SessionLookup::Expired(found),
            Some(found) => SessionLookup::Valid(found),
        })
    }

    /// Issues a one-time token for a live session and stores it.
    ///
    /// This is the path that stays open when `disableClientRequest` is set.
    ///
    /// # Errors
    ///
    /// Fails when the database does.
    pub async fn generate_one_time_token(&self, session: &SessionWithUser) -> Result<OneTimeToken, AuthError> {
        let options = &self.inner.options;
        let token = match &options.generate_token {
            Some(generate) => generate(&session.session, &session.user),
            None => generate_url_safe_token(),
        };
        let now = self.now();
        let verification = Verification {
            id: generate_id(),
            identifier: format!("{ONE_TIME_TOKEN_PREFIX}{}", options.store_token.store(&token)),
            value: session.session.token.clone(),
            expires_at: now + options.expires_in,
            created_at: now,
        };
        self.inner.database.create_verification(&verification).await?;
        Ok(OneTimeToken::new(token))
    }

    /// Issues a one-time token for the session with `session_token`.
    ///
    /// # Errors
    ///
    /// [`AuthError::SessionNotFound`] or [`AuthError::SessionExpired`] when
    /// the session is not live; database failures otherwise.
    pub async fn generate_one_time_token_for(&self, session_token: &SessionToken) -> Result<OneTimeToken, AuthError> {
        match self.lookup_session(session_token.expose(), self.now()).await? {
            SessionLookup::Valid(session) => self.generate_one_time_token(&session).await,
            SessionLookup::Expired(_) => Err(AuthError::SessionExpired),
            SessionLookup::Unknown => Err(AuthError::SessionNotFound),
        }
    }

    /// Redeems a one-time token.
    ///
    /// The token's row is deleted first, in one atomic statement, so of any
    /// number of concurrent redemptions exactly one gets past that step. Only
    /// then are expiry and the session checked. With `createSession` on, a
    /// new session is created for the same user with `meta`.
    ///
    /// # Errors
    ///
    /// [`AuthError::InvalidToken`] for an unknown, used or expired token,
    /// [`AuthError::SessionNotFound`] and [`AuthError::SessionExpired`] when
    /// the session behind it is gone or expired.
    pub async fn verify_one_time_token(&self, token: &str, meta: &ClientMeta) -> Result<Redemption, AuthError> {
        if token.is_empty() || token.len() > MAX_ONE_TIME_TOKEN_LEN {
            return Err(AuthError::InvalidToken);
        }
        let options = &self.inner.options;
        let identifier = format!("{ONE_TIME_TOKEN_PREFIX}{}", options.store_token.store(token));
        let rows = self.inner.database.consume_verification(&identifier).await?;
        let now = self.now();
        // Expired rows were deleted by the same statement and count as unknown.
        let row = rows
            .into_iter()
            .find(|row| row.expires_at > now)
            .ok_or(AuthError::InvalidToken)?;
        let found = match self.lookup_session(row.value.expose(), now).await? {
            SessionLookup::Valid(found) => found,
            SessionLookup::Expired(_) => return Err(AuthError::SessionExpired),
            SessionLookup::Unknown => return Err(AuthError::SessionNotFound),
        };
        if !options.create_session {
            return Ok(Redemption {
                session: found.session,
                user: found.user,
                created: false,
            });
        }
        let session = self
            .create_session(&found.user.id, meta, options.session_lifetime, now)
            .await?;
        Ok(Redemption {
            session,
            user: found.user,
            created: true,
        })
    }

    /// Deletes expired one-time tokens and sessions, at most `batch` of each.
    ///
    /// # Errors
    ///
    /// Fails when the database does.
    pub async fn delete_expired(&self, batch: u32) -> Result<crate::storage::SweepCount, AuthError> {
        Ok(self.inner.database.delete_expired(self.now(), batch).await?)
    }
}
