//! Session cookies and bearer tokens in Better Auth's format.

use axum::http::header::{AUTHORIZATION, COOKIE, SET_COOKIE};
use axum::http::{HeaderMap, HeaderValue};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};

use crate::config::AuthOptions;
use crate::crypto::{sign_cookie_value, verify_signed_value};

/// Characters JavaScript's `encodeURIComponent` leaves alone, so cookie
/// values are byte-for-byte what Better Auth sends.
const URI_COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'!')
    .remove(b'~')
    .remove(b'*')
    .remove(b'\'')
    .remove(b'(')
    .remove(b')');

const SESSION_TOKEN: &str = "better-auth.session_token";
const SESSION_DATA: &str = "better-auth.session_data";
const DONT_REMEMBER: &str = "better-auth.dont_remember";

fn cookie_name(options: &AuthOptions, base: &str) -> String {
    if options.secure_cookies() {
        format!("__Secure-{base}")
    } else {
        base.to_owned()
    }
}

/// Name of the session cookie for these options.
pub fn session_cookie_name(options: &AuthOptions) -> String {
    cookie_name(options, SESSION_TOKEN)
}

fn attributes(options: &AuthOptions) -> String {
    let same_site = options.cookie_same_site.as_str();
    if options.secure_cookies() {
        format!("Path=/; HttpOnly; Secure; SameSite={same_site}")
    } else {
        format!("Path=/; HttpOnly; SameSite={same_site}")
    }
}

fn append(headers: &mut HeaderMap, line: String) {
    // Every part is ASCII built here, so the value is always valid.
    if let Ok(value) = HeaderValue::from_str(&line) {
        headers.append(SET_COOKIE, value);
    }
}

/// Appends the `Set-Cookie` lines for a session: with `Max-Age` of the session
/// lifetime when `remember` is true, else a browser-session cookie plus the
/// signed `dont_remember` marker.
pub fn set_session_cookie(headers: &mut HeaderMap, options: &AuthOptions, token: &str, remember: bool) {
    let value = utf8_percent_encode(&sign_cookie_value(&options.secret, token), URI_COMPONENT).to_string();
    let name = session_cookie_name(options);
    let attrs = attributes(options);
    if remember {
        let max_age = options.session_lifetime.num_seconds();
        append(headers, format!("{name}={value}; Max-Age={max_age}; {attrs}"));
    } else {
        append(headers, format!("{name}={value}; {attrs}"));
        let marker = utf8_percent_encode(&sign_cookie_value(&options.secret, "true"), URI_COMPONENT).to_string();
        let marker_name = cookie_name(options, DONT_REMEMBER);
        append(headers, format!("{marker_name}={marker}; {attrs}"));
    }
}

/// Appends `Set-Cookie` lines that delete every session cookie.
pub fn clear_session_cookies(headers: &mut HeaderMap, options: &AuthOptions) {
    let attrs = attributes(options);
    for base in [SESSION_TOKEN, SESSION_DATA, DONT_REMEMBER] {
        let name = cookie_name(options, base);
        append(headers, format!("{name}=; Max-Age=0; {attrs}"));
    }
}

/// Source of a request's session token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenSource {
    /// No cookie and no usable bearer value.
    None,
    /// A session cookie whose signature does not verify.
    BadCookie,
    /// A session token from a verified cookie or a bearer header.
    Token { token: String },
}

/// Returns the value of cookie `name` from every `Cookie` header.
pub fn find_cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|line| line.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.trim().to_owned())
}

fn decode_signed(options: &AuthOptions, raw: &str) -> Option<String> {
    let decoded = percent_decode_str(raw).decode_utf8().ok()?;
    verify_signed_value(&options.secret, &decoded).map(str::to_owned)
}

/// Returns whether the request marks the visitor as not remembered (a
/// `dont_remember` cookie with a valid signature).
pub fn is_dont_remember(headers: &HeaderMap, options: &AuthOptions) -> bool {
    find_cookie(headers, &cookie_name(options, DONT_REMEMBER))
        .and_then(|raw| decode_signed(options, &raw))
        .is_some_and(|value| value == "true")
}

/// Finds the session token of a request.
///
/// A bearer value replaces the cookie unless it carries a signature that
/// does not verify, in which case it is ignored and the cookie decides. This
/// is the precedence of Better Auth 1.7.29's bearer plugin.
pub fn read_session_token(headers: &HeaderMap, options: &AuthOptions) -> TokenSource {
    if options.bearer {
        if let Some(token) = read_bearer(headers, options) {
            return TokenSource::Token { token };
        }
    }
    match find_cookie(headers, &session_cookie_name(options)) {
        None => TokenSource::None,
        Some(raw) => match decode_signed(options, &raw) {
            Some(token) => TokenSource::Token { token },
            None => TokenSource::BadCookie,
        },
    }
}

fn read_bearer(headers: &HeaderMap, options: &AuthOptions) -> Option<String> {
    let value = headers.get(AUTHORIZATION)?.to_str().ok()?.trim();
    let (scheme, credentials) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return None;
    }
    let credentials = percent_decode_str(credentials.trim()).decode_utf8().ok()?;
    if credentials.is_empty() {
        return None;
    }
    if credentials.contains('.') {
        // A signed value: used only when the signature verifies.
        return verify_signed_value(&options.secret, &credentials).map(str::to_owned);
    }
    Some(credentials.into_owned())
}
