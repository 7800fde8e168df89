//! Sends one request to the auth server and turns the response into a
//! `{ data, error }` outcome. Nothing here throws or rejects.
//!
//! Only [`convert_response`] depends on the response type. The request itself
//! is one non-generic async function, which keeps the WebAssembly small.

use js_sys::Promise;
use serde::Serialize;
use serde::de::DeserializeOwned;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::{RequestInit, Response};

use crate::decode::{DecodeError, from_js};
use crate::error::{ClientError, INVALID_RESPONSE, NETWORK_ERROR, ServerErrorBody};
use crate::js_message;
use crate::options::ClientConfig;

#[wasm_bindgen]
extern "C" {
    /// The global `fetch` of browsers, workers and Node 18+. It is looked up
    /// on every call, so a replaced `globalThis.fetch` is used.
    #[wasm_bindgen(js_name = fetch)]
    fn fetch_with_init(url: &str, init: &RequestInit) -> Promise;
}

/// The HTTP methods the auth routes use.
#[derive(Clone, Copy)]
pub enum Method {
    Get,
    Post,
}

/// Checks a parsed 2xx body against the method's response type and returns
/// it as a plain JavaScript value, or the reason it does not fit.
pub type Convert = fn(JsValue) -> Result<JsValue, String>;

/// Decodes `body` as `T` and encodes it again, so the caller receives exactly
/// the fields of `T`.
pub fn convert_response<T: DeserializeOwned + Serialize>(body: JsValue) -> Result<JsValue, String> {
    let typed: T = from_js(body).map_err(DecodeError::into_message)?;
    Ok(to_plain_js(&typed))
}

/// Encodes a value as plain JavaScript data: `None` becomes `null`, structs
/// become plain objects.
pub fn to_plain_js<T: Serialize>(value: &T) -> JsValue {
    // The wire types hold only strings, booleans, small integers, options and
    // vectors, which always serialize, so the fallback is never taken.
    value
        .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .unwrap_or(JsValue::NULL)
}

/// The result of one call, as JavaScript receives it.
#[derive(Serialize)]
struct Outcome {
    #[serde(with = "serde_wasm_bindgen::preserve")]
    data: JsValue,
    error: Option<ClientError>,
}

/// Builds `{ data, error }` for JavaScript.
pub fn outcome_to_js(result: Result<JsValue, ClientError>) -> JsValue {
    let outcome = match result {
        Ok(data) => Outcome { data, error: None },
        Err(error) => Outcome {
            data: JsValue::NULL,
            error: Some(error),
        },
    };
    to_plain_js(&outcome)
}

/// Sends a request to `path` under the client's endpoint and returns the
/// `{ data, error }` outcome, with `data` checked by `convert`.
///
/// `body` is a JSON text, sent with `content-type: application/json`.
pub async fn call(
    config: &ClientConfig,
    method: Method,
    path: &str,
    body: Option<JsValue>,
    convert: Convert,
) -> JsValue {
    let url = format!("{}{}", config.endpoint, path);
    let result = fetch_json(config, method, &url, body).await.and_then(|value| {
        convert(value).map_err(|reason| {
            ClientError::local(
                INVALID_RESPONSE,
                format!("The response from {url} does not have the expected shape: {reason}"),
            )
        })
    });
    outcome_to_js(result)
}

/// Sends the request and parses a 2xx body as JSON.
///
/// # Errors
///
/// `NETWORK_ERROR` when no response arrives, the server's error for a non-2xx
/// response, and `INVALID_RESPONSE` when a 2xx body is not JSON.
async fn fetch_json(
    config: &ClientConfig,
    method: Method,
    url: &str,
    body: Option<JsValue>,
) -> Result<JsValue, ClientError> {
    let network_error =
        |message: String| ClientError::local(NETWORK_ERROR, format!("The request to {url} failed: {message}"));

    // Each request gets its own copy, so the content type set below never
    // leaks into the configured headers.
    let headers = web_sys::Headers::new_with_headers(&config.headers).map_err(|err| network_error(js_message(err)))?;
    let init = RequestInit::new();
    init.set_credentials(config.credentials);
    match (method, body) {
        (Method::Get, _) => init.set_method("GET"),
        (Method::Post, None) => init.set_method("POST"),
        (Method::Post, Some(json)) => {
            init.set_method("POST");
            // Cannot fail: the name and value are valid header text.
            let _ = headers.set("content-type", "application/json");
            init.set_body(&json);
        }
    }
    init.set_headers(&headers);

    // `fetch` rejects, rather than throws, on a network failure or an
    // invalid request.
    let response: Response = JsFuture::from(fetch_with_init(url, &init))
        .await
        .map_err(|err| network_error(js_message(err)))?
        // `fetch` resolves to a `Response`. Skipping the `instanceof` check
        // lets a replaced fetch return any object with the same methods.
        .unchecked_into();

    let parsed = match response.json() {
        Ok(promise) => JsFuture::from(promise).await,
        Err(err) => Err(err),
    };
    if !response.ok() {
        let server_body = parsed.ok().and_then(|value| from_js::<ServerErrorBody>(value).ok());
        return Err(ClientError::from_response(
            response.status(),
            response.status_text(),
            server_body,
        ));
    }
    parsed.map_err(|err| {
        ClientError::local(
            INVALID_RESPONSE,
            format!("The response from {url} is not valid JSON: {}", js_message(err)),
        )
    })
}
