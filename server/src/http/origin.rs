//! Origin checks against cross-site request forgery, in the order Better
//! Auth 1.7.29 applies them.

use axum::http::header::{COOKIE, ORIGIN, REFERER};
use axum::http::{HeaderMap, HeaderName};

use crate::config::AuthOptions;
use crate::error::AuthError;

fn header_text<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get(name)
        .and_then(|value| value.to_str().ok())
        .map(str::trim)
        .filter(|value| !value.is_empty())
}

/// The origin of a `Referer` URL, if it parses.
fn referer_origin(referer: &str) -> Option<String> {
    let url = url::Url::parse(referer).ok()?;
    let origin = url.origin();
    origin.is_tuple().then(|| origin.ascii_serialization())
}

/// The origin a request names: `Origin` unless absent, else `Referer`'s.
/// `Some("null")` stands for an opaque origin.
fn named_origin(headers: &HeaderMap) -> Option<String> {
    match header_text(headers, ORIGIN.as_str()) {
        Some(origin) => Some(origin.to_owned()),
        None => header_text(headers, REFERER.as_str()).and_then(referer_origin),
    }
}

fn check_named(options: &AuthOptions, named: Option<String>) -> Result<(), AuthError> {
    let result = match named.as_deref() {
        None | Some("null") => Err(AuthError::MissingOrNullOrigin),
        Some(origin) if options.is_trusted_origin(origin) => Ok(()),
        Some(_) => Err(AuthError::InvalidOrigin),
    };
    if let Err(err) = &result {
        // The origin itself is attacker-controlled text and stays out of logs.
        tracing::info!(code = err.code(), "origin check rejected the request");
    }
    result
}

/// Checks a POST that carries a `Cookie` header: it must name a trusted
/// origin in `Origin`, or failing that in `Referer`. Requests without
/// cookies pass. Runs after the body is parsed and before it is validated.
///
/// # Errors
///
/// [`AuthError::MissingOrNullOrigin`] or [`AuthError::InvalidOrigin`].
pub fn check_cookie_request(headers: &HeaderMap, options: &AuthOptions) -> Result<(), AuthError> {
    if !headers.contains_key(COOKIE) {
        return Ok(());
    }
    // A browser's own same-origin request may carry an opaque origin.
    if header_text(headers, ORIGIN.as_str()) == Some("null")
        && header_text(headers, "sec-fetch-site") == Some("same-origin")
    {
        return Ok(());
    }
    check_named(options, named_origin(headers))
}

/// How strictly [`check_session_creating_request`] treats a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoginCheck {
    /// Sign-up and sign-in: a request with fetch metadata (any browser, and
    /// Node's fetch) must name a trusted origin, as in Better Auth.
    FetchMetadataRequiresOrigin,
    /// Verify: only an origin that is named and untrusted, or a cross-site
    /// request without a trusted origin, is rejected, so native apps and
    /// servers without an `Origin` header keep working.
    RejectUntrusted,
}

/// Checks a cookie-less request that would create a session, so a hostile
/// page cannot sign a visitor into another account. Runs after validation.
///
/// # Errors
///
/// [`AuthError::CrossSiteNavigation`], [`AuthError::MissingOrNullOrigin`] or
/// [`AuthError::InvalidOrigin`].
pub fn check_session_creating_request(
    headers: &HeaderMap,
    options: &AuthOptions,
    check: LoginCheck,
) -> Result<(), AuthError> {
    if headers.contains_key(COOKIE) {
        // Already checked by `check_cookie_request`.
        return Ok(());
    }
    let site = header_text(headers, "sec-fetch-site");
    let cross_site = site == Some("cross-site");
    if cross_site && header_text(headers, "sec-fetch-mode") == Some("navigate") {
        return Err(AuthError::CrossSiteNavigation);
    }
    let named = named_origin(headers);
    match check {
        LoginCheck::FetchMetadataRequiresOrigin => {
            let has_fetch_metadata = headers
                .keys()
                .any(|name: &HeaderName| name.as_str().starts_with("sec-fetch-"));
            if has_fetch_metadata || named.is_some() {
                return check_named(options, named);
            }
            Ok(())
        }
        LoginCheck::RejectUntrusted => {
            let result = match named.as_deref() {
                Some(origin) if origin != "null" && !options.is_trusted_origin(origin) => Err(AuthError::InvalidOrigin),
                Some(origin) if origin != "null" => Ok(()),
                _ if cross_site => Err(AuthError::InvalidOrigin),
                _ => Ok(()),
            };
            if result.is_err() {
                tracing::info!(code = "INVALID_ORIGIN", "origin check rejected the request");
            }
            result
        }
    }
}
