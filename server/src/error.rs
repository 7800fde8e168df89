//! The one error type of the HTTP layer, mapped to a status and a JSON body
//! `{"message", "code"}` in one place.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::storage::StorageError;

/// An error a route returns to its client.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AuthError {
    #[error("Invalid JSON in request body")]
    InvalidJson,
    /// A body whose content type is not JSON. The field is the rejected type.
    #[error("Content-Type \"{0}\" is not allowed. Allowed types: application/json")]
    UnsupportedMediaType(String),
    /// A missing or wrong-typed field; the message names the field.
    #[error("{0}")]
    Validation(String),
    #[error("Invalid email")]
    InvalidEmail,
    #[error("Invalid email or password")]
    InvalidEmailOrPassword,
    #[error("User already exists. Use another email.")]
    UserAlreadyExists,
    #[error("Password too short")]
    PasswordTooShort,
    #[error("Password too long")]
    PasswordTooLong,
    #[error("Unauthorized")]
    Unauthorized,
    #[error("Missing or null Origin")]
    MissingOrNullOrigin,
    #[error("Invalid origin")]
    InvalidOrigin,
    #[error("Cross-site navigation login blocked. This request appears to be a CSRF attack.")]
    CrossSiteNavigation,
    #[error("Session is not fresh")]
    SessionNotFresh,
    #[error("Invalid token")]
    InvalidToken,
    #[error("Session not found")]
    SessionNotFound,
    #[error("Session expired")]
    SessionExpired,
    #[error("Client requests are disabled")]
    ClientRequestsDisabled,
    #[error("Method not allowed")]
    MethodNotAllowed,
    /// `POST /get-session`, rejected as Better Auth rejects it without its
    /// deferred session refresh.
    #[error("POST method requires deferSessionRefresh to be enabled in session config")]
    PostSessionNotEnabled,
    #[error("Not found")]
    NotFound,
    #[error("Request body too large")]
    PayloadTooLarge,
    #[error("Request headers too large")]
    HeadersTooLarge,
    /// A request that cannot be read, such as a malformed query string.
    #[error("Invalid request")]
    BadRequest,
    /// A failure inside the server. Its details are logged, never sent.
    #[error("internal error: {0}")]
    Internal(String),
    #[error(transparent)]
    Storage(#[from] StorageError),
}

impl AuthError {
    /// Returns the HTTP status of this error.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::InvalidJson
            | Self::Validation(_)
            | Self::InvalidEmail
            | Self::PasswordTooShort
            | Self::PasswordTooLong
            | Self::InvalidToken
            | Self::SessionNotFound
            | Self::SessionExpired
            | Self::ClientRequestsDisabled => StatusCode::BAD_REQUEST,
            Self::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::InvalidEmailOrPassword | Self::Unauthorized => StatusCode::UNAUTHORIZED,
            Self::UserAlreadyExists => StatusCode::UNPROCESSABLE_ENTITY,
            Self::MissingOrNullOrigin | Self::InvalidOrigin | Self::CrossSiteNavigation | Self::SessionNotFresh => {
                StatusCode::FORBIDDEN
            }
            Self::MethodNotAllowed | Self::PostSessionNotEnabled => StatusCode::METHOD_NOT_ALLOWED,
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::HeadersTooLarge => StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            Self::BadRequest => StatusCode::BAD_REQUEST,
            Self::Internal(_) | Self::Storage(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// Returns the stable, machine-readable code of this error.
    pub fn code(&self) -> &'static str {
        match self {
            Self::InvalidJson => "BAD_REQUEST",
            Self::UnsupportedMediaType(_) => "UNSUPPORTED_MEDIA_TYPE",
            Self::Validation(_) => "VALIDATION_ERROR",
            Self::InvalidEmail => "INVALID_EMAIL",
            Self::InvalidEmailOrPassword => "INVALID_EMAIL_OR_PASSWORD",
            Self::UserAlreadyExists => "USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL",
            Self::PasswordTooShort => "PASSWORD_TOO_SHORT",
            Self::PasswordTooLong => "PASSWORD_TOO_LONG",
            Self::Unauthorized => "UNAUTHORIZED",
            Self::MissingOrNullOrigin => "MISSING_OR_NULL_ORIGIN",
            Self::InvalidOrigin => "INVALID_ORIGIN",
            Self::CrossSiteNavigation => "CROSS_SITE_NAVIGATION_LOGIN_BLOCKED",
            Self::SessionNotFresh => "SESSION_NOT_FRESH",
            Self::InvalidToken => "INVALID_TOKEN",
            Self::SessionNotFound => "SESSION_NOT_FOUND",
            Self::SessionExpired => "SESSION_EXPIRED",
            Self::ClientRequestsDisabled => "CLIENT_REQUESTS_DISABLED",
            Self::MethodNotAllowed => "METHOD_NOT_ALLOWED",
            Self::PostSessionNotEnabled => "METHOD_NOT_ALLOWED_DEFER_SESSION_REQUIRED",
            Self::NotFound => "NOT_FOUND",
            Self::PayloadTooLarge => "PAYLOAD_TOO_LARGE",
            Self::HeadersTooLarge => "REQUEST_HEADER_FIELDS_TOO_LARGE",
            Self::BadRequest => "BAD_REQUEST",
            Self::Internal(_) | Self::Storage(_) => "INTERNAL_SERVER_ERROR",
        }
    }
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    message: &'a str,
    code: &'a str,
}

/// Builds a JSON error response with `status`, `message` and `code`.
pub fn error_response(status: StatusCode, message: &str, code: &str) -> Response {
    (status, Json(ErrorBody { message, code })).into_response()
}

impl IntoResponse for AuthError {
    fn into_response(self) -> Response {
        let status = self.status();
        if status.is_server_error() {
            // The only place a server error is logged; the client learns nothing
            // about the cause.
            tracing::error!(error = %self, "request failed");
            return error_response(status, "Internal server error", self.code());
        }
        error_response(status, &self.to_string(), self.code())
    }
}
