//! The HTTP routes under the base path, and the layers around them: CORS for
//! trusted origins, request logging, JSON bodies for 404 and 405.

mod account;
pub mod demo;
mod one_time_token;
mod response;
mod session;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::DefaultBodyLimit;
use axum::http::header::{ALLOW, CONTENT_TYPE, COOKIE};
use axum::http::{HeaderValue, Method, Request, Response, StatusCode};
use axum::response::IntoResponse;
use axum::routing::{MethodFilter, on, post};
use tower_http::cors::{AllowHeaders, AllowOrigin, CorsLayer};
use tower_http::trace::TraceLayer;
use tracing::Span;

use crate::auth::Auth;
use crate::error::{AuthError, error_response};
use crate::http::body::MAX_BODY_BYTES;
use crate::rate_limit::{self, LimitedRoute, MemoryCounters, RouteLimiter};
use response::no_store;

pub(crate) fn router(auth: Auth) -> Router {
    let base = auth.options().base_path.clone();
    let counters = Arc::new(MemoryCounters::default());
    let limited = |route: LimitedRoute| {
        let limiter = RouteLimiter {
            auth: auth.clone(),
            route,
            counters: counters.clone(),
        };
        axum::middleware::from_fn_with_state(limiter, rate_limit::enforce)
    };
    // GET routes accept GET only. axum runs the GET handler for HEAD unless
    // a HEAD handler exists, and a HEAD on generate would then store a token
    // nobody receives.
    let token_route = || axum::middleware::map_response(no_store);
    let routes = Router::new()
        .route(
            "/sign-up/email",
            post(account::sign_up).route_layer(limited(LimitedRoute::SignUp)),
        )
        .route(
            "/sign-in/email",
            post(account::sign_in).route_layer(limited(LimitedRoute::SignIn)),
        )
        .route("/sign-out", post(account::sign_out))
        .route(
            "/get-session",
            on(MethodFilter::GET, session::get_session)
                .post(session::post_session)
                .head(head_not_allowed),
        )
        .route(
            "/list-sessions",
            on(MethodFilter::GET, session::list_sessions).head(head_not_allowed),
        )
        .route("/revoke-session", post(session::revoke_session))
        .route("/ok", on(MethodFilter::GET, session::ok).head(head_not_allowed))
        .route(
            "/one-time-token/generate",
            on(MethodFilter::GET, one_time_token::generate)
                .head(head_not_allowed)
                .route_layer(limited(LimitedRoute::Generate))
                .route_layer(token_route()),
        )
        .route(
            "/one-time-token/verify",
            post(one_time_token::verify)
                .route_layer(limited(LimitedRoute::Verify))
                .route_layer(token_route()),
        )
        // The paths the session plugin's own client calls; either method works.
        .route(
            "/one-time-token-session/generate",
            on(MethodFilter::GET.or(MethodFilter::POST), one_time_token::generate)
                .head(head_not_allowed)
                .route_layer(limited(LimitedRoute::Generate))
                .route_layer(token_route()),
        )
        .route(
            "/one-time-token-session/verify",
            post(one_time_token::verify)
                .route_layer(limited(LimitedRoute::Verify))
                .route_layer(token_route()),
        );
    // The JSON 404 covers paths under the base path only, so an application
    // that merges this router keeps its own fallback for the rest.
    let routes = routes.fallback(not_found);
    let routes = if base.is_empty() {
        routes
    } else {
        Router::new().nest(&base, routes)
    };
    let routes = routes
        .layer(axum::middleware::map_response(json_error_bodies))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(axum::middleware::from_fn(limit_header_size))
        .layer(cors_layer(&auth))
        .with_state(auth);
    add_trace_layer(routes)
}

/// Rejects HEAD on a GET route with 405, without running the GET handler.
async fn head_not_allowed() -> Response<Body> {
    let mut response = AuthError::MethodNotAllowed.into_response();
    response.headers_mut().insert(ALLOW, HeaderValue::from_static("GET"));
    response
}

/// Responds to an unknown path with a JSON 404.
pub async fn not_found() -> AuthError {
    AuthError::NotFound
}

/// Gives the bare error responses of axum's extractors and router (405, 413,
/// a malformed query) the JSON body every other error has, keeping `Allow`.
async fn json_error_bodies(response: Response<Body>) -> Response<Body> {
    let status = response.status();
    let is_json = response
        .headers()
        .get(CONTENT_TYPE)
        .is_some_and(|value| value.as_bytes().starts_with(b"application/json"));
    if !status.is_client_error() || is_json {
        return response;
    }
    let error = match status {
        StatusCode::METHOD_NOT_ALLOWED => AuthError::MethodNotAllowed,
        StatusCode::PAYLOAD_TOO_LARGE => AuthError::PayloadTooLarge,
        StatusCode::NOT_FOUND => AuthError::NotFound,
        _ => AuthError::BadRequest,
    };
    let allow = response.headers().get(ALLOW).cloned();
    let mut replacement = error_response(status, &error.to_string(), error.code());
    if let Some(allow) = allow {
        replacement.headers_mut().insert(ALLOW, allow);
    }
    replacement
}

/// Most bytes of all request headers together, and of the `Cookie` header.
const MAX_HEADER_BYTES: usize = 32 * 1024;
const MAX_COOKIE_BYTES: usize = 8 * 1024;

/// Rejects requests whose headers are too large with a JSON 431, before any
/// route reads them.
async fn limit_header_size(request: Request<Body>, next: axum::middleware::Next) -> Response<Body> {
    let headers = request.headers();
    let total: usize = headers
        .iter()
        .map(|(name, value)| name.as_str().len() + value.len())
        .sum();
    let cookies: usize = headers.get_all(COOKIE).iter().map(|value| value.len()).sum();
    if total > MAX_HEADER_BYTES || cookies > MAX_COOKIE_BYTES {
        tracing::warn!(
            header_bytes = total,
            cookie_bytes = cookies,
            "request headers too large"
        );
        let error = AuthError::HeadersTooLarge;
        return error_response(error.status(), &error.to_string(), error.code());
    }
    next.run(request).await
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
