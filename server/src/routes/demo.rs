//! Static files of the demo page (`www/`) and the browser package (`pkg/`).

use std::path::Path;

use axum::Router;
use axum::body::Body;
use axum::extract::Request;
use axum::handler::HandlerWithoutStateExt as _;
use axum::http::HeaderValue;
use axum::http::header::{CACHE_CONTROL, CONTENT_SECURITY_POLICY, REFERRER_POLICY, X_CONTENT_TYPE_OPTIONS};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tower::ServiceBuilder;
use tower_http::services::ServeDir;
use tower_http::set_header::SetResponseHeaderLayer;

use super::not_found;
use crate::error::AuthError;

/// Content-Security-Policy of the demo: it permits its own scripts and the WebAssembly module,
/// its own styles, QR codes drawn as data URLs, and requests to its own
/// origin. Nothing else, and no framing.
const CONTENT_SECURITY_POLICY_VALUE: &str = "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; \
     style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; \
     frame-ancestors 'none'";

/// Returns 404 for the npm files that build the demo (`package.json`, the
/// lock file, `node_modules/`), which sit in `www/` but are not part of the page.
async fn hide_build_files(request: Request<Body>, next: Next) -> Response {
    let path = request.uri().path();
    let hidden = path.split('/').any(|segment| {
        matches!(segment, "node_modules" | "package.json" | "package-lock.json") || segment.starts_with('.')
    });
    if hidden {
        return AuthError::NotFound.into_response();
    }
    next.run(request).await
}

/// Adds the demo's static files to `router`: `pkg_dir` at `/pkg/` and
/// `www_dir` at `/`. A missing folder is logged and left out; unknown paths
/// get the JSON 404 either way.
pub fn with_demo(router: Router, www_dir: &Path, pkg_dir: &Path) -> Router {
    let headers = ServiceBuilder::new()
        .layer(SetResponseHeaderLayer::overriding(
            CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CONTENT_SECURITY_POLICY_VALUE),
        ));

    let www_ready = www_dir.join("index.html").is_file();
    let pkg_ready = pkg_dir.join("ott_client.js").is_file() && pkg_dir.join("ott_client_bg.wasm").is_file();
    match (www_ready, pkg_ready) {
        (true, true) => {
            tracing::info!(www = %www_dir.display(), pkg = %pkg_dir.display(), "serving the demo page at /")
        }
        (false, _) => tracing::warn!(
            www = %www_dir.display(),
            "demo page not found (no index.html); serving the API only"
        ),
        (true, false) => tracing::warn!(
            pkg = %pkg_dir.display(),
            "demo page found but the browser package is not built; run scripts/build-client.sh"
        ),
    }

    let mut router = router;
    if pkg_ready {
        let pkg = ServeDir::new(pkg_dir).not_found_service(not_found.into_service());
        router = router.nest_service("/pkg", headers.clone().service(pkg));
    }
    if www_ready {
        let www = ServeDir::new(www_dir)
            .append_index_html_on_directories(true)
            .not_found_service(not_found.into_service());
        let www = ServiceBuilder::new()
            .layer(axum::middleware::from_fn(hide_build_files))
            .service(headers.service(www));
        router = router.fallback_service(www);
    } else {
        router = router.fallback(not_found);
    }
    router
}
