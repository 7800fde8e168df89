//! Responses that hand out a session: cookie, `set-auth-token` and `set-ott`.

use axum::Json;
use axum::http::header::{ACCESS_CONTROL_EXPOSE_HEADERS, CACHE_CONTROL, REFERRER_POLICY};
use axum::http::{HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::auth::Auth;
use crate::config::AuthOptions;
use crate::crypto::sign_cookie_value;
use crate::error::AuthError;
use crate::http::cookies::set_session_cookie;
use crate::model::{Session, SessionWithUser, User};

/// Description of the session a response hands to the client.
pub struct SessionGrant<'a> {
    pub session: &'a Session,
    pub user: &'a User,
    /// Set the session cookie.
    pub set_cookie: bool,
    /// `Max-Age` on the cookie (false after `rememberMe: false`).
    pub remember: bool,
    /// The response hands the session to a client (sign-up, sign-in,
    /// verify): with `setOttHeaderOnNewSession` it then carries `set-ott`.
    pub handed_out: bool,
}

/// Builds a JSON response that hands out a session.
///
/// # Errors
///
/// Fails when a `set-ott` token cannot be stored.
pub async fn grant_session(auth: &Auth, body: impl Serialize, grant: SessionGrant<'_>) -> Result<Response, AuthError> {
    let options = auth.options();
    let mut headers = HeaderMap::new();
    let mut exposed: Vec<&'static str> = Vec::new();
    if options.set_ott_header_on_new_session && grant.handed_out {
        let session = SessionWithUser {
            session: grant.session.clone(),
            user: grant.user.clone(),
        };
        let token = auth.generate_one_time_token(&session).await?;
        if let Ok(value) = HeaderValue::from_str(token.expose()) {
            headers.insert("set-ott", value);
            exposed.push("set-ott");
        }
    }
    if grant.set_cookie {
        set_session_headers(
            &mut headers,
            &mut exposed,
            options,
            grant.session.token.expose(),
            grant.remember,
        );
    }
    expose_headers(&mut headers, &exposed);
    Ok((headers, Json(body)).into_response())
}

/// Appends the session cookie and, with bearer support on, the
/// `set-auth-token` header. Like Better Auth's bearer plugin, that header
/// holds the signed value, not the bare token; its clients send it back as
/// `Bearer <value>`.
pub fn set_session_headers(
    headers: &mut HeaderMap,
    exposed: &mut Vec<&'static str>,
    options: &AuthOptions,
    token: &str,
    remember: bool,
) {
    set_session_cookie(headers, options, token, remember);
    if options.bearer {
        let signed = sign_cookie_value(&options.secret, token);
        if let Ok(value) = HeaderValue::from_str(&signed) {
            headers.insert("set-auth-token", value);
            exposed.push("set-auth-token");
        }
    }
}

/// Lists `exposed` in `Access-Control-Expose-Headers`.
pub fn expose_headers(headers: &mut HeaderMap, exposed: &[&str]) {
    if exposed.is_empty() {
        return;
    }
    if let Ok(value) = HeaderValue::from_str(&exposed.join(", ")) {
        headers.insert(ACCESS_CONTROL_EXPOSE_HEADERS, value);
    }
}

/// Marks a response as never cacheable and never leaking through `Referer`.
pub async fn no_store(response: Response) -> Response {
    mark_no_store(response)
}

/// Marks a response as never cacheable and never leaking through `Referer`.
pub fn mark_no_store(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    response
}
