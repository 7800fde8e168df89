//! Generating and redeeming one-time tokens over HTTP.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use super::response::{SessionGrant, grant_session};
use crate::auth::Auth;
use crate::error::AuthError;
use crate::extract::CurrentSession;
use crate::http::ClientMeta;
use crate::http::body::{Validator, parse_body};
use crate::http::origin::{LoginCheck, check_cookie_request, check_session_creating_request};
use crate::model::{Session, SessionWithUser, User};

#[derive(Serialize)]
struct TokenBody<'a> {
    token: &'a str,
}

#[derive(Serialize)]
struct VerifyBody<'a> {
    session: &'a Session,
    user: &'a User,
    /// The new session's token, or `null` when no session was created.
    token: Option<&'a str>,
}

pub async fn generate(State(auth): State<Auth>, current: CurrentSession) -> Result<Response, AuthError> {
    if auth.options().disable_client_request {
        return Err(AuthError::ClientRequestsDisabled);
    }
    let session = SessionWithUser {
        session: current.session,
        user: current.user,
    };
    let token = auth.generate_one_time_token(&session).await?;
    tracing::debug!(session_id = %session.session.id, "one-time token issued");
    Ok(Json(TokenBody { token: token.expose() }).into_response())
}

pub async fn verify(
    State(auth): State<Auth>,
    meta: ClientMeta,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, AuthError> {
    verify_inner(&auth, &meta, &headers, &body).await
}

async fn verify_inner(auth: &Auth, meta: &ClientMeta, headers: &HeaderMap, body: &[u8]) -> Result<Response, AuthError> {
    let body = parse_body(headers, body)?;
    // Every check runs before the token is touched, so a rejected request
    // consumes nothing.
    check_cookie_request(headers, auth.options())?;
    let mut validator = Validator::new(&body, false);
    let token = validator.string("token");
    validator.finish()?;
    check_session_creating_request(headers, auth.options(), LoginCheck::RejectUntrusted)?;
    let redemption = match auth.verify_one_time_token(token, meta).await {
        Ok(redemption) => redemption,
        Err(err) => {
            tracing::info!(code = err.code(), "one-time token rejected");
            return Err(err);
        }
    };
    tracing::info!(
        session_id = %redemption.session.id,
        user_id = %redemption.user.id,
        created = redemption.created,
        "one-time token redeemed"
    );
    let body = VerifyBody {
        session: &redemption.session,
        user: &redemption.user,
        token: redemption.created.then(|| redemption.session.token.expose()),
    };
    let grant = SessionGrant {
        session: &redemption.session,
        user: &redemption.user,
        set_cookie: !auth.options().disable_set_session_cookie,
        remember: true,
        // As in Better Auth, `set-ott` comes with the session cookie only.
        handed_out: !auth.options().disable_set_session_cookie,
    };
    grant_session(auth, body, grant).await
}
