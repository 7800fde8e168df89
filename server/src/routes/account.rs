//! Email and password sign-up, sign-in and sign-out.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use chrono::Duration;
use serde::Serialize;

use super::response::{SessionGrant, grant_session};
use crate::auth::Auth;
use crate::crypto::{generate_id, hash_password, verify_password};
use crate::error::AuthError;
use crate::http::ClientMeta;
use crate::http::body::{Validator, parse_body};
use crate::http::cookies::{TokenSource, clear_session_cookies, read_session_token};
use crate::http::origin::{LoginCheck, check_cookie_request, check_session_creating_request};
use crate::model::{CredentialAccount, User};
use crate::storage::StorageError;

/// Shortest and longest accepted password, in characters.
const PASSWORD_LEN: std::ops::RangeInclusive<usize> = 8..=128;

/// A stored hash for an unknown email, so a failed sign-in costs the same
/// time whether or not the email exists.
const DUMMY_HASH: &str = "00000000000000000000000000000000:00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000";

#[derive(Serialize)]
struct SignUpBody<'a> {
    token: &'a str,
    user: &'a User,
}

#[derive(Serialize)]
struct SignInBody<'a> {
    redirect: bool,
    token: &'a str,
    user: &'a User,
}

/// Password hashes computed at once. Each takes 32 MiB and tens of
/// milliseconds of CPU, so a burst of sign-ins queues here instead of
/// exhausting memory.
static HASHING_SLOTS: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(4);

async fn run_blocking<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> Result<T, AuthError> {
    let _slot = HASHING_SLOTS
        .acquire()
        .await
        .map_err(|err| AuthError::Internal(format!("password hashing queue closed: {err}")))?;
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|err| AuthError::Internal(format!("password hashing task failed: {err}")))
}

fn check_password_length(password: &str) -> Result<(), AuthError> {
    let length = password.chars().count();
    if length < *PASSWORD_LEN.start() {
        return Err(AuthError::PasswordTooShort);
    }
    if length > *PASSWORD_LEN.end() {
        return Err(AuthError::PasswordTooLong);
    }
    Ok(())
}

/// A permissive shape check (`local@domain.tld`), as Better Auth applies.
fn is_valid_email(email: &str) -> bool {
    let Some((local, domain)) = email.rsplit_once('@') else {
        return false;
    };
    !local.is_empty()
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && domain.contains('.')
        && !email.chars().any(|c| c.is_whitespace() || c.is_control())
}

pub async fn sign_up(
    State(auth): State<Auth>,
    meta: ClientMeta,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, AuthError> {
    let body = parse_body(&headers, &body)?;
    check_cookie_request(&headers, auth.options())?;
    let mut validator = Validator::new(&body, true);
    let name = validator.string("name").to_owned();
    let email = validator.string("email").to_lowercase();
    if !email.is_empty() && !is_valid_email(&email) {
        validator.add_problem("email", "Invalid email address");
    }
    let password = validator.string("password").to_owned();
    let image = validator.optional_string("image").map(str::to_owned);
    // PostgreSQL cannot store U+0000 in text; reject it on every database.
    if name.contains('\0') {
        validator.add_problem("name", "Invalid input: must not contain NUL characters");
    }
    if image.as_deref().is_some_and(|image| image.contains('\0')) {
        validator.add_problem("image", "Invalid input: must not contain NUL characters");
    }
    validator.finish()?;
    check_session_creating_request(&headers, auth.options(), LoginCheck::FetchMetadataRequiresOrigin)?;
    check_password_length(&password)?;
    if auth.database().find_user_by_email(&email).await?.is_some() {
        return Err(AuthError::UserAlreadyExists);
    }

    let password_hash = run_blocking(move || hash_password(&password)).await?;
    let now = auth.now();
    let user = User {
        id: generate_id(),
        name,
        email,
        email_verified: false,
        image,
        created_at: now,
        updated_at: now,
    };
    let account = CredentialAccount {
        id: generate_id(),
        user_id: user.id.clone(),
        password_hash,
        created_at: now,
    };
    match auth.database().create_user(&user, &account).await {
        // Another sign-up with the same email won the race.
        Err(StorageError::UniqueViolation) => return Err(AuthError::UserAlreadyExists),
        other => other?,
    }
    let session = auth
        .create_session(&user.id, &meta, auth.options().session_lifetime, now)
        .await?;
    let body = SignUpBody {
        token: session.token.expose(),
        user: &user,
    };
    let grant = SessionGrant {
        session: &session,
        user: &user,
        set_cookie: true,
        remember: true,
        handed_out: true,
    };
    grant_session(&auth, body, grant).await
}

pub async fn sign_in(
    State(auth): State<Auth>,
    meta: ClientMeta,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, AuthError> {
    let body = parse_body(&headers, &body)?;
    check_cookie_request(&headers, auth.options())?;
    let mut validator = Validator::new(&body, true);
    let email = validator.string("email").to_lowercase();
    let password = validator.string("password").to_owned();
    let remember = validator.optional_bool("rememberMe").unwrap_or(true);
    validator.finish()?;
    check_session_creating_request(&headers, auth.options(), LoginCheck::FetchMetadataRequiresOrigin)?;
    if !is_valid_email(&email) {
        return Err(AuthError::InvalidEmail);
    }
    // Too short cannot match any stored password; too long is rejected
    // before it costs a hash.
    if password.chars().count() > *PASSWORD_LEN.end() {
        return Err(AuthError::PasswordTooLong);
    }

    let found = auth.database().find_user_by_email(&email).await?;
    let (user, stored_hash) = match found {
        Some((user, Some(hash))) => (Some(user), hash),
        _ => (None, DUMMY_HASH.to_owned()),
    };
    let matches = run_blocking(move || verify_password(&password, &stored_hash)).await?;
    let Some(user) = user.filter(|_| matches) else {
        tracing::info!("sign-in rejected: wrong email or password");
        return Err(AuthError::InvalidEmailOrPassword);
    };

    // A session that is not remembered lives one day, as in Better Auth.
    let lifetime = if remember {
        auth.options().session_lifetime
    } else {
        Duration::days(1)
    };
    let session = auth.create_session(&user.id, &meta, lifetime, auth.now()).await?;
    let body = SignInBody {
        redirect: false,
        token: session.token.expose(),
        user: &user,
    };
    let grant = SessionGrant {
        session: &session,
        user: &user,
        set_cookie: true,
        remember,
        handed_out: true,
    };
    grant_session(&auth, body, grant).await
}

#[derive(Serialize)]
struct SignOutBody {
    success: bool,
}

pub async fn sign_out(State(auth): State<Auth>, headers: HeaderMap, body: Bytes) -> Result<Response, AuthError> {
    // The body is ignored, but a malformed one is still rejected.
    parse_body(&headers, &body)?;
    check_cookie_request(&headers, auth.options())?;
    if let TokenSource::Token { token } = read_session_token(&headers, auth.options()) {
        auth.database().delete_session(&token).await?;
    }
    let mut response = Json(SignOutBody { success: true }).into_response();
    clear_session_cookies(response.headers_mut(), auth.options());
    Ok(response)
}
