//! Extractors for applications that mount the router: the current session,
//! and the client data stored with new sessions.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, FromRef, FromRequestParts, OptionalFromRequestParts};
use axum::http::HeaderMap;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};

use crate::auth::{Auth, SessionLookup};
use crate::error::AuthError;
use crate::http::ClientMeta;
use crate::http::cookies::{TokenSource, clear_session_cookies, read_session_token};
use crate::model::{Session, User};

/// The live session of the request and its user.
///
/// Rejects with 401 `UNAUTHORIZED` when the request has no live session. Use
/// `Option<CurrentSession>` for routes where a session is optional.
#[derive(Debug, Clone)]
pub struct CurrentSession {
    pub session: Session,
    pub user: User,
}

/// The session state a request names.
#[derive(Debug, Clone)]
#[allow(clippy::large_enum_variant, reason = "built once per request and consumed at once")]
pub enum RequestSession {
    /// No session credentials, or a cookie whose signature does not verify.
    Absent,
    /// A well-formed token of a session that does not exist or has expired.
    Stale,
    Live(CurrentSession),
}

impl CurrentSession {
    /// Resolves the session named by the request's bearer header or cookie.
    ///
    /// # Errors
    ///
    /// Fails only when the database does.
    pub async fn resolve(headers: &HeaderMap, auth: &Auth) -> Result<RequestSession, AuthError> {
        let TokenSource::Token { token } = read_session_token(headers, auth.options()) else {
            return Ok(RequestSession::Absent);
        };
        Ok(match auth.lookup_session(&token, auth.now()).await? {
            SessionLookup::Valid(found) => RequestSession::Live(Self {
                session: found.session,
                user: found.user,
            }),
            _ => RequestSession::Stale,
        })
    }
}

/// Rejection of a request without a live session.
#[derive(Debug)]
pub struct SessionRejection {
    error: AuthError,
    /// Headers that delete the session cookies, for a stale token.
    clear: Option<HeaderMap>,
}

impl From<AuthError> for SessionRejection {
    fn from(error: AuthError) -> Self {
        Self { error, clear: None }
    }
}

impl IntoResponse for SessionRejection {
    fn into_response(self) -> Response {
        let mut response = self.error.into_response();
        if let Some(clear) = self.clear {
            response.headers_mut().extend(clear);
        }
        response
    }
}

impl<S> FromRequestParts<S> for CurrentSession
where
    Auth: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = SessionRejection;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let auth = Auth::from_ref(state);
        match Self::resolve(&parts.headers, &auth).await? {
            RequestSession::Live(current) => Ok(current),
            RequestSession::Absent => Err(AuthError::Unauthorized.into()),
            RequestSession::Stale => {
                // A dead session's cookie is deleted, as Better Auth does.
                let mut clear = HeaderMap::new();
                clear_session_cookies(&mut clear, auth.options());
                Err(SessionRejection {
                    error: AuthError::Unauthorized,
                    clear: Some(clear),
                })
            }
        }
    }
}

impl<S> OptionalFromRequestParts<S> for CurrentSession
where
    Auth: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = AuthError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Option<Self>, Self::Rejection> {
        let auth = Auth::from_ref(state);
        Ok(match Self::resolve(&parts.headers, &auth).await? {
            RequestSession::Live(current) => Some(current),
            RequestSession::Absent | RequestSession::Stale => None,
        })
    }
}

impl<S: Send + Sync> FromRequestParts<S> for ClientMeta {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(addr)| *addr);
        Ok(Self::from_request(&parts.headers, peer))
    }
}
