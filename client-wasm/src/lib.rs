//! Browser client for the one-time-token session server, compiled to
//! WebAssembly and used from JavaScript or TypeScript.
//!
//! The JavaScript surface follows Better Auth's own client:
//! `createAuthClient({ baseURL })` returns a client whose methods
//! (`oneTimeToken.generate()`, `oneTimeToken.verify({ token })`,
//! `signUp.email(...)`, `signIn.email(...)`, `getSession()`, `signOut()`,
//! `listSessions()`, `revokeSession({ token })`) resolve to `{ data, error }`
//! and never reject.

mod client;
mod decode;
mod error;
mod options;
mod transport;
mod types;

use wasm_bindgen::prelude::*;

pub use client::{AuthClient, OneTimeTokenApi, SignInApi, SignUpApi};
pub use error::{ClientError, INVALID_INPUT, INVALID_RESPONSE, NETWORK_ERROR};
pub use options::DEFAULT_BASE_PATH;
pub use types::*;

/// Makes a client for the auth server at `options.baseURL`.
///
/// Throws a JavaScript `Error` when the options do not match `ClientOptions`
/// or `baseURL` is not an absolute http or https URL. The client's methods never throw.
#[wasm_bindgen(js_name = createAuthClient)]
pub fn create_auth_client(
    #[wasm_bindgen(unchecked_param_type = "ClientOptions")] options: JsValue,
) -> Result<AuthClient, JsError> {
    options::ClientConfig::from_js(options).map(AuthClient::new)
}

/// Returns the `message` of a JavaScript error, or the value itself when it
/// is a string.
pub(crate) fn js_message(value: JsValue) -> String {
    if let Some(error) = value.dyn_ref::<js_sys::Error>() {
        return error.message().into();
    }
    value
        .as_string()
        .unwrap_or_else(|| "unknown JavaScript error".to_owned())
}

#[wasm_bindgen(typescript_custom_section)]
const TYPESCRIPT_TYPES: &str = r#"
/** Options of `createAuthClient`. */
export interface ClientOptions {
  /** Absolute URL of the auth server, e.g. `"https://api.example.test"`. */
  baseURL: string;
  /** Path of the auth routes under `baseURL`. Default `"/api/auth"`. */
  basePath?: string;
  fetchOptions?: FetchOptions;
}

/** Settings applied to every request. */
export interface FetchOptions {
  /** Whether cookies are sent. Default `"include"`. */
  credentials?: "include" | "omit" | "same-origin";
  /** Headers added to every request, e.g. `{ Authorization: "Bearer ..." }`. */
  headers?: Record<string, string>;
}

/** A user as the server returns it. Dates are ISO 8601 strings. */
export interface User {
  id: string;
  name: string;
  email: string;
  emailVerified: boolean;
  image: string | null;
  createdAt: string;
  updatedAt: string;
}

/** A session as the server returns it. `token` is the session token. */
export interface Session {
  id: string;
  token: string;
  userId: string;
  expiresAt: string;
  createdAt: string;
  updatedAt: string;
  ipAddress: string | null;
  userAgent: string | null;
}

export interface SessionWithUser {
  session: Session;
  user: User;
}

export interface GeneratedToken {
  /** The one-time token: 32 URL-safe characters, valid once. */
  token: string;
}

export interface VerifiedToken {
  session: Session;
  user: User;
  /** Token of the session created by the redemption, or null when the server returns the original session. */
  token: string | null;
}

export interface SignUpResult {
  /** Token of the new session, or null when the server signs no one in. */
  token: string | null;
  user: User;
}

export interface SignInResult {
  redirect: boolean;
  token: string;
  user: User;
}

export interface SignOutResult {
  success: boolean;
}

export interface RevokeSessionResult {
  status: boolean;
}

export interface TokenInput {
  token: string;
}

export interface SignUpEmailInput {
  name: string;
  email: string;
  password: string;
  image?: string;
}

export interface SignInEmailInput {
  email: string;
  password: string;
  /** false: the session cookie lasts until the browser closes. Default true. */
  rememberMe?: boolean;
}

/**
 * Details of a failed call. `status` is the HTTP status, or 0 when no usable
 * response arrived (`code` is then `NETWORK_ERROR`, `INVALID_RESPONSE` or
 * `INVALID_INPUT`).
 */
export interface AuthClientError {
  status: number;
  statusText: string;
  message: string;
  code: string;
}

/** The result of every method: exactly one of `data` and `error` is set, except `getSession` without a session, which gives `{ data: null, error: null }`. */
export type AuthResult<T> =
  | { data: T; error: null }
  | { data: null; error: AuthClientError };
"#;
