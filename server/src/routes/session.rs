//! Reading, listing and revoking sessions.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use chrono::Duration;
use serde::{Deserialize, Serialize};

use super::response::{expose_headers, mark_no_store, set_session_headers};
use crate::auth::{Auth, SessionLookup};
use crate::error::AuthError;
use crate::extract::{CurrentSession, RequestSession};
use crate::http::body::{Validator, parse_body};
use crate::http::cookies::{TokenSource, clear_session_cookies, is_dont_remember, read_session_token};
use crate::http::origin::check_cookie_request;

/// A session older than this may not list sessions, as in Better Auth.
const FRESH_AGE: Duration = Duration::days(1);

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GetSessionQuery {
    /// Read the session without extending it.
    #[serde(default)]
    disable_refresh: Option<String>,
}

/// Marks a `get-session` response as never cached, as Better Auth does.
fn no_cache(mut response: Response) -> Response {
    response
        .headers_mut()
        .insert("pragma", HeaderValue::from_static("no-cache"));
    mark_no_store(response)
}

fn null_response(auth: &Auth, clear: bool) -> Response {
    let mut response = Json(serde_json::Value::Null).into_response();
    if clear {
        clear_session_cookies(response.headers_mut(), auth.options());
    }
    no_cache(response)
}

pub async fn get_session(
    State(auth): State<Auth>,
    Query(query): Query<GetSessionQuery>,
    headers: HeaderMap,
) -> Result<Response, AuthError> {
    let options = auth.options();
    // A cookie with a bad signature is ignored, not deleted.
    let TokenSource::Token { token } = read_session_token(&headers, options) else {
        return Ok(null_response(&auth, false));
    };
    let now = auth.now();
    let mut found = match auth.lookup_session(&token, now).await? {
        SessionLookup::Valid(found) => found,
        SessionLookup::Expired(found) => {
            auth.database().delete_session(found.session.token.expose()).await?;
            return Ok(null_response(&auth, true));
        }
        SessionLookup::Unknown => return Ok(null_response(&auth, true)),
    };

    // Extended once a day: when `updateAge` has passed since the expiry was
    // last set. Sessions that are not remembered are never extended.
    let refresh_disabled = query.disable_refresh.as_deref().is_some_and(|value| value != "false");
    let due = found.session.expires_at - options.session_lifetime + options.session_update_age <= now;
    let refresh = due && !refresh_disabled && !is_dont_remember(&headers, options);
    if refresh {
        let expires_at = now + options.session_lifetime;
        auth.database()
            .update_session_expiry(&found.session.id, expires_at, now)
            .await?;
        found.session.expires_at = expires_at;
        found.session.updated_at = now;
    }

    let mut response = Json(&found).into_response();
    if refresh {
        let mut exposed = Vec::new();
        set_session_headers(
            response.headers_mut(),
            &mut exposed,
            options,
            found.session.token.expose(),
            true,
        );
        expose_headers(response.headers_mut(), &exposed);
    }
    Ok(no_cache(response))
}

pub async fn list_sessions(State(auth): State<Auth>, current: CurrentSession) -> Result<Response, AuthError> {
    let now = auth.now();
    if current.session.created_at + FRESH_AGE < now {
        return Err(AuthError::SessionNotFresh);
    }
    let sessions = auth.database().find_user_sessions(&current.user.id, now).await?;
    Ok(Json(sessions).into_response())
}

#[derive(Serialize)]
struct StatusBody {
    status: bool,
}

pub async fn revoke_session(State(auth): State<Auth>, headers: HeaderMap, body: Bytes) -> Result<Response, AuthError> {
    let body = parse_body(&headers, &body)?;
    check_cookie_request(&headers, auth.options())?;
    let mut validator = Validator::new(&body, false);
    let token = validator.string("token");
    validator.finish()?;
    let current = match CurrentSession::resolve(&headers, &auth).await? {
        RequestSession::Live(current) => current,
        RequestSession::Absent | RequestSession::Stale => return Err(AuthError::Unauthorized),
    };
    // Only the caller's own sessions are deleted. Another user's token, or an
    // unknown one, gets the same response and changes nothing.
    auth.database().delete_user_session(&current.user.id, token).await?;
    let mut response = Json(StatusBody { status: true }).into_response();
    if current.session.token.constant_time_eq(token) {
        clear_session_cookies(response.headers_mut(), auth.options());
    }
    Ok(response)
}

/// Rejects `POST /get-session` as Better Auth does when its deferred session
/// refresh is off.
pub async fn post_session() -> Response {
    let mut response = AuthError::PostSessionNotEnabled.into_response();
    let headers = response.headers_mut();
    headers.insert(axum::http::header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert("pragma", HeaderValue::from_static("no-cache"));
    response
}

pub async fn ok() -> Json<serde_json::Value> {
    Json(serde_json::json!({ "ok": true }))
}
