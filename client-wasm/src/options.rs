//! The options of `createAuthClient`, checked once when the client is made.

use js_sys::Reflect;
use serde::Deserialize;
use wasm_bindgen::{JsError, JsValue};
use web_sys::{Headers, RequestCredentials, Url};

use crate::decode::from_js;

/// Base path of the auth routes when the options name none, as in Better Auth.
pub const DEFAULT_BASE_PATH: &str = "/api/auth";

/// The options object as JavaScript passes it. The struct names match the
/// TypeScript declarations, because serde's error messages show them.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ClientOptions {
    #[serde(rename = "baseURL")]
    base_url: String,
    base_path: Option<String>,
    fetch_options: Option<FetchOptions>,
}

/// `fetchOptions` without `headers`, which is read as the caller's
/// JavaScript value because `new Headers(init)` validates names and values
/// the way fetch will.
#[derive(Deserialize)]
struct FetchOptions {
    credentials: Option<String>,
}

/// Validated client settings shared by every request.
pub struct ClientConfig {
    /// `baseURL` and the base path joined, without a trailing slash.
    pub endpoint: String,
    pub credentials: RequestCredentials,
    /// Headers added to every request.
    pub headers: Headers,
}

impl ClientConfig {
    /// Checks the options object passed to `createAuthClient`.
    ///
    /// # Errors
    ///
    /// A JavaScript `Error` naming the invalid option: the object does not
    /// have the documented shape, `baseURL` is not an absolute URL,
    /// `fetchOptions.credentials` is not a fetch credentials mode, or
    /// `fetchOptions.headers` is not valid for `new Headers()`.
    pub fn from_js(options: JsValue) -> Result<Self, JsError> {
        let raw: ClientOptions = from_js(options.clone())
            .map_err(|err| JsError::new(&format!("invalid createAuthClient options: {err}")))?;
        if !is_http_base_url(&raw.base_url) {
            return Err(JsError::new(&format!(
                "invalid createAuthClient options: baseURL \"{}\" is not an absolute http or https URL without query or fragment",
                raw.base_url
            )));
        }
        let base_path = raw.base_path.as_deref().unwrap_or(DEFAULT_BASE_PATH);
        let endpoint = join_endpoint(&raw.base_url, base_path);

        let credentials = raw.fetch_options.and_then(|fetch| fetch.credentials);
        let credentials = parse_credentials(credentials.as_deref())?;
        let headers = parse_headers(&read_path(&options, "fetchOptions", "headers"))?;
        Ok(Self {
            endpoint,
            credentials,
            headers,
        })
    }
}

/// Checks that the routes can be appended to `base_url`: an absolute http or
/// https URL with no query string and no fragment.
fn is_http_base_url(base_url: &str) -> bool {
    let Ok(url) = Url::new(base_url) else {
        return false;
    };
    let protocol = url.protocol();
    (protocol == "http:" || protocol == "https:") && url.search().is_empty() && url.hash().is_empty()
}

/// Reads `value[outer][inner]`, or undefined when either is absent.
fn read_path(value: &JsValue, outer: &str, inner: &str) -> JsValue {
    let outer = Reflect::get(value, &JsValue::from_str(outer)).unwrap_or(JsValue::UNDEFINED);
    if !outer.is_object() {
        return JsValue::UNDEFINED;
    }
    Reflect::get(&outer, &JsValue::from_str(inner)).unwrap_or(JsValue::UNDEFINED)
}

/// Joins the base URL and the base path with exactly one slash between them
/// and none at the end, so `("http://h/", "api/auth/")` gives `http://h/api/auth`.
pub fn join_endpoint(base_url: &str, base_path: &str) -> String {
    let base_url = base_url.trim_end_matches('/');
    let base_path = base_path.trim_matches('/');
    if base_path.is_empty() {
        base_url.to_owned()
    } else {
        format!("{base_url}/{base_path}")
    }
}

/// Parses `fetchOptions.credentials`. Cookies are sent by default, as in
/// Better Auth's client.
fn parse_credentials(value: Option<&str>) -> Result<RequestCredentials, JsError> {
    match value {
        None | Some("include") => Ok(RequestCredentials::Include),
        Some("omit") => Ok(RequestCredentials::Omit),
        Some("same-origin") => Ok(RequestCredentials::SameOrigin),
        Some(other) => Err(JsError::new(&format!(
            "invalid createAuthClient options: fetchOptions.credentials is \"{other}\", expected \"include\", \"omit\" or \"same-origin\""
        ))),
    }
}

fn parse_headers(init: &JsValue) -> Result<Headers, JsError> {
    let headers = if init.is_undefined() || init.is_null() {
        Headers::new()
    } else {
        // `new Headers(init)` accepts a record, an array of pairs or another
        // `Headers`; this binding is the one that passes `init` unchanged.
        Headers::new_with_str_sequence_sequence(init)
    };
    headers.map_err(|err| {
        JsError::new(&format!(
            "invalid createAuthClient options: fetchOptions.headers: {}",
            crate::js_message(err)
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoint_joins_with_one_slash() {
        assert_eq!(join_endpoint("http://h:1", "/api/auth"), "http://h:1/api/auth");
        assert_eq!(join_endpoint("http://h:1/", "api/auth/"), "http://h:1/api/auth");
        assert_eq!(join_endpoint("http://h:1/app/", "/auth"), "http://h:1/app/auth");
    }

    #[test]
    fn empty_base_path_keeps_base_url() {
        assert_eq!(join_endpoint("http://h:1/", ""), "http://h:1");
        assert_eq!(join_endpoint("http://h:1", "/"), "http://h:1");
    }
}
