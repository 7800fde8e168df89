//! The HTTP routes under the base path, and the layers around them: CORS for
//! trusted origins, request logging, JSON bodies for 404 and 405.

mod account;
pub mod demo;
mod one_time_token;
mod response;
mod session;

use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::DefaultBodyLimit;
use axum::http::header::{ALLOW, CONTENT_LENGTH, CONTENT_TYPE};
use axum::http::{HeaderValue, Method, Request, Response, StatusCode};
use axum::routing::{get, post};
use tower_http::cors::{AllowHeaders, AllowOrigin, CorsLayer};
use tower_http::trace::TraceLayer;
use tracing::Span;

use crate::auth::Auth;
use crate::error::{AuthError, error_response};
use crate::http::body::MAX_BODY_BYTES;

pub(crate) fn router(auth: Auth) -> Router {
    let base = auth.options().base_path.clone();
    let routes = Router::new()
        .route("/sign-up/email", post(account::sign_up))
        .route("/sign-in/email", post(account::sign_in))
        .route("/sign-out", post(account::sign_out))
        .route("/get-session", get(session::get_session))
        .route("/list-sessions", get(session::list_sessions))
        .route("/revoke-session", post(session::revoke_session))
        .route("/ok", get(session::ok))
        .route("/one-time-token/generate", get(one_time_token::generate))
        .route("/one-time-token/verify", post(one_time_token::verify))
        // The paths the session plugin's own client calls; either method works.
        .route(
            "/one-time-token-session/generate",
            get(one_time_token::generate).post(one_time_token::generate),
        )
        .route("/one-time-token-session/verify", post(one_time_token::verify));
    // The JSON 404 covers paths under the base path only, so an application
    // that merges this router keeps its own fallback for the rest.
    let routes = routes.fallback(not_found);
    let routes = if base.is_empty() {
        routes
    } else {
        Router::new().nest(&base, routes)
    };
    let routes = routes
        .layer(axum::middleware::map_response(json_method_not_allowed))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(cors_layer(&auth))
        .with_state(auth);
    add_trace_layer(routes)
}

/// Answers an unknown path with a JSON 404.
pub async fn not_found() -> AuthError {
    AuthError::NotFound
}

/// Gives axum's bare 405 a JSON body, keeping its `Allow` header.
async fn json_method_not_allowed(response: Response<Body>) -> Response<Body> {
    if response.status() != StatusCode::METHOD_NOT_ALLOWED || response.headers().contains_key(CONTENT_TYPE) {
        return response;
    }
    let allow = response.headers().get(ALLOW).cloned();
    let mut replacement = error_response(
        StatusCode::METHOD_NOT_ALLOWED,
        &AuthError::MethodNotAllowed.to_string(),
        AuthError::MethodNotAllowed.code(),
    );
    if let Some(allow) = allow {
        replacement.headers_mut().insert(ALLOW, allow);
    }
    replacement.headers_mut().remove(CONTENT_LENGTH);
    replacement
}

fn cors_layer(auth: &Auth) -> CorsLayer {
    let options = auth.options();
    let mut origins: Vec<HeaderValue> = Vec::new();
    for origin in std::iter::once(options.base_origin()).chain(options.trusted_origins.iter().cloned()) {
        if let Ok(value) = HeaderValue::from_str(&origin) {
            origins.push(value);
        }
    }
    CorsLayer::new()
        // The exact origin is echoed, never `*`, because credentials are allowed.
        .allow_origin(AllowOrigin::list(origins))
        .allow_credentials(true)
        .allow_methods([Method::GET, Method::POST])
        .allow_headers(AllowHeaders::mirror_request())
        .max_age(Duration::from_secs(600))
}

/// Logs one line per request: method, path, status and latency.
fn add_trace_layer(router: Router) -> Router {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT_REQUEST_ID: AtomicU64 = AtomicU64::new(1);
    let layer = TraceLayer::new_for_http()
        .make_span_with(|request: &Request<Body>| {
            let id = NEXT_REQUEST_ID.fetch_add(1, Ordering::Relaxed);
            // The path only: a query string could carry anything a client put there.
            tracing::info_span!("request", id, method = %request.method(), path = %request.uri().path())
        })
        .on_request(())
        .on_response(|response: &Response<Body>, latency: Duration, _span: &Span| {
            tracing::info!(
                status = response.status().as_u16(),
                latency_ms = format_args!("{:.3}", latency.as_secs_f64() * 1000.0),
                "request finished"
            );
        })
        .on_body_chunk(())
        .on_eos(())
        .on_failure(());
    router.layer(layer)
}
