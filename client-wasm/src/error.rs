//! The one error type every method reports, in the shape of Better Auth's
//! client errors: `{ status, statusText, message, code }`.

use serde::{Deserialize, Serialize};

/// Code for a request that never received a response (refused connection,
/// DNS failure, CORS rejection, aborted fetch).
pub const NETWORK_ERROR: &str = "NETWORK_ERROR";
/// Code for a response whose body is not the JSON the method expects.
pub const INVALID_RESPONSE: &str = "INVALID_RESPONSE";
/// Code for a method argument that does not have the documented shape; no
/// request is sent.
pub const INVALID_INPUT: &str = "INVALID_INPUT";

/// A failed call, as handed to JavaScript in `error`.
///
/// `status` is the HTTP status, or 0 when there is no usable response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ClientError {
    pub status: u16,
    pub status_text: String,
    pub message: String,
    pub code: String,
}

/// The fields of a server's JSON error body that the client reads.
#[derive(Deserialize)]
pub struct ServerErrorBody {
    pub message: Option<String>,
    pub code: Option<String>,
}

impl ClientError {
    /// Builds an error that carries no HTTP status.
    pub fn local(code: &str, message: String) -> Self {
        Self {
            status: 0,
            status_text: String::new(),
            message,
            code: code.to_owned(),
        }
    }

    /// Builds the error for a non-2xx response.
    ///
    /// The server's `message` and `code` are used when the body has them.
    /// Otherwise the message is the status text and the code is derived from
    /// it (`Not Found` becomes `NOT_FOUND`), as Better Auth names its codes.
    pub fn from_response(status: u16, status_text: String, body: Option<ServerErrorBody>) -> Self {
        let (message, code) = match body {
            Some(body) => (body.message, body.code),
            None => (None, None),
        };
        let message = message.unwrap_or_else(|| fallback_message(status, &status_text));
        let code = code.unwrap_or_else(|| code_from_status_text(&status_text));
        Self {
            status,
            status_text,
            message,
            code,
        }
    }
}

fn fallback_message(status: u16, status_text: &str) -> String {
    if status_text.is_empty() {
        format!("The request failed with HTTP status {status}")
    } else {
        status_text.to_owned()
    }
}

/// Turns a reason phrase into an upper-case code. HTTP/2 responses carry no
/// reason phrase, so an empty one gives `HTTP_ERROR`.
fn code_from_status_text(status_text: &str) -> String {
    if status_text.is_empty() {
        return "HTTP_ERROR".to_owned();
    }
    status_text
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_code_and_message_are_kept() {
        let body = ServerErrorBody {
            message: Some("Invalid token".to_owned()),
            code: Some("INVALID_TOKEN".to_owned()),
        };
        let error = ClientError::from_response(400, "Bad Request".to_owned(), Some(body));
        assert_eq!(error.message, "Invalid token");
        assert_eq!(error.code, "INVALID_TOKEN");
        assert_eq!(error.status, 400);
        assert_eq!(error.status_text, "Bad Request");
    }

    #[test]
    fn missing_code_comes_from_status_text() {
        let body = ServerErrorBody {
            message: Some("Client requests are disabled".to_owned()),
            code: None,
        };
        let error = ClientError::from_response(400, "Bad Request".to_owned(), Some(body));
        assert_eq!(error.code, "BAD_REQUEST");
        assert_eq!(error.message, "Client requests are disabled");
    }

    #[test]
    fn unreadable_body_falls_back_to_status_text() {
        let error = ClientError::from_response(502, "Bad Gateway".to_owned(), None);
        assert_eq!(error.message, "Bad Gateway");
        assert_eq!(error.code, "BAD_GATEWAY");
    }

    #[test]
    fn empty_status_text_gives_generic_code() {
        let error = ClientError::from_response(503, String::new(), None);
        assert_eq!(error.message, "The request failed with HTTP status 503");
        assert_eq!(error.code, "HTTP_ERROR");
    }

    #[test]
    fn local_error_has_status_zero() {
        let error = ClientError::local(NETWORK_ERROR, "offline".to_owned());
        assert_eq!(error.status, 0);
        assert_eq!(error.status_text, "");
        assert_eq!(error.code, "NETWORK_ERROR");
    }
}
