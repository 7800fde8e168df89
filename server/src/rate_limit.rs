//! Rate limits per client address on the routes that sign people in or
//! redeem tokens.
//!
//! The limit is decided in a layer before the handler runs, so a limited
//! request never reaches the token lookup and consumes nothing. Counters live
//! in memory (one process) or in the database's `rateLimit` table (several
//! replicas share them).

use std::collections::HashMap;
use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::str::FromStr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use ipnet::IpNet;

use crate::auth::Auth;
use crate::error::{AuthError, error_response};

/// Storage of rate-limit counters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RateLimitStore {
    /// No limits, for benchmarks and load tests.
    Off,
    /// Counters in this process's memory (the default).
    #[default]
    Memory,
    /// Counters in the database, shared by every replica.
    Database,
}

impl FromStr for RateLimitStore {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "off" => Ok(Self::Off),
            "memory" => Ok(Self::Memory),
            "database" => Ok(Self::Database),
            other => Err(format!(
                "invalid rate-limit store {other:?}: expected memory, database or off"
            )),
        }
    }
}

/// At most `max` requests per client address in each `window`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    pub max: u32,
    pub window: Duration,
}

impl Limit {
    /// Creates a limit of `max` requests per `window_secs` seconds.
    pub const fn per_seconds(max: u32, window_secs: u64) -> Self {
        Self {
            max,
            window: Duration::from_secs(window_secs),
        }
    }
}

impl FromStr for Limit {
    type Err = String;

    /// Parses `MAX/SECONDS`, such as `10/60`.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let invalid = || format!("invalid limit {text:?}: expected MAX/SECONDS such as 10/60, both positive");
        let (max, seconds) = text.split_once('/').ok_or_else(invalid)?;
        let max: u32 = max.trim().parse().map_err(|_| invalid())?;
        let seconds: u64 = seconds.trim().parse().map_err(|_| invalid())?;
        if max == 0 || seconds == 0 {
            return Err(invalid());
        }
        Ok(Self::per_seconds(max, seconds))
    }
}

impl fmt::Display for Limit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.max, self.window.as_secs())
    }
}

/// The routes that are limited.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LimitedRoute {
    SignUp,
    SignIn,
    Generate,
    Verify,
}

impl LimitedRoute {
    fn key(self) -> &'static str {
        match self {
            Self::SignUp => "sign-up",
            Self::SignIn => "sign-in",
            Self::Generate => "generate",
            Self::Verify => "verify",
        }
    }
}

/// Rate-limit settings.
#[derive(Debug, Clone)]
pub struct RateLimitOptions {
    pub store: RateLimitStore,
    /// Sign-up: 3 per 10 s by default, as Better Auth limits it.
    pub sign_up: Limit,
    /// Sign-in: 3 per 10 s by default, as Better Auth limits it.
    pub sign_in: Limit,
    /// Generate: 30 per minute by default; each call writes a row.
    pub generate: Limit,
    /// Verify: 10 per minute by default; a person redeems a token once.
    pub verify: Limit,
    /// Proxies whose `X-Forwarded-For` is believed. The client address of any
    /// other peer is the socket's.
    pub trusted_proxies: Vec<IpNet>,
}

impl Default for RateLimitOptions {
    fn default() -> Self {
        Self {
            store: RateLimitStore::Memory,
            sign_up: Limit::per_seconds(3, 10),
            sign_in: Limit::per_seconds(3, 10),
            generate: Limit::per_seconds(30, 60),
            verify: Limit::per_seconds(10, 60),
            trusted_proxies: Vec::new(),
        }
    }
}

impl RateLimitOptions {
    fn limit(&self, route: LimitedRoute) -> Limit {
        match route {
            LimitedRoute::SignUp => self.sign_up,
            LimitedRoute::SignIn => self.sign_in,
            LimitedRoute::Generate => self.generate,
            LimitedRoute::Verify => self.verify,
        }
    }
}

/// Returns the client address used for rate limits: the socket peer, or, when the
/// peer is a trusted proxy, the last `X-Forwarded-For` entry that is not a
/// trusted proxy itself.
pub fn client_address(headers: &HeaderMap, peer: Option<SocketAddr>, trusted: &[IpNet]) -> Option<IpAddr> {
    let peer = peer?.ip();
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(ip));
    if !is_trusted(&peer) {
        return Some(peer);
    }
    let forwarded: Vec<IpAddr> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .filter_map(|entry| entry.trim().parse().ok())
        .collect();
    Some(forwarded.into_iter().rev().find(|ip| !is_trusted(ip)).unwrap_or(peer))
}

/// One counting window.
#[derive(Debug, Clone, Copy)]
struct Window {
    start_ms: i64,
    count: u32,
}

/// Entries kept in memory before expired windows are pruned.
const PRUNE_ABOVE: usize = 10_000;

/// Counters of the memory store.
#[derive(Debug, Default)]
pub struct MemoryCounters {
    windows: Mutex<HashMap<String, Window>>,
}

impl MemoryCounters {
    /// Counts a request; returns the count in the current window and the
    /// window's start.
    fn hit(&self, key: String, now_ms: i64, window_ms: i64) -> (u32, i64) {
        let mut windows = self.windows.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if windows.len() > PRUNE_ABOVE {
            // Windows are at most a few minutes long; anything older than an
            // hour has ended.
            windows.retain(|_, window| now_ms - window.start_ms < 3_600_000);
        }
        let window = windows.entry(key).or_insert(Window {
            start_ms: now_ms,
            count: 0,
        });
        if now_ms - window.start_ms >= window_ms {
            *window = Window {
                start_ms: now_ms,
                count: 0,
            };
        }
        window.count = window.count.saturating_add(1);
        (window.count, window.start_ms)
    }
}

/// State of the rate-limit layer of one route.
#[derive(Clone)]
pub struct RouteLimiter {
    pub auth: Auth,
    pub route: LimitedRoute,
    pub counters: Arc<MemoryCounters>,
}

/// Counts the request and responds 429 past the limit (the layer's function).
pub async fn enforce(State(limiter): State<RouteLimiter>, request: Request<Body>, next: Next) -> Response {
    let options = &limiter.auth.options().rate_limit;
    if options.store == RateLimitStore::Off {
        return next.run(request).await;
    }
    let limit = options.limit(limiter.route);
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| *addr);
    let address = client_address(request.headers(), peer, &options.trusted_proxies)
        .map_or_else(|| "unknown".to_owned(), |ip| ip.to_string());
    let key = format!("ott:{}:{address}", limiter.route.key());
    let now_ms = limiter.auth.now().timestamp_millis();
    let window_ms = i64::try_from(limit.window.as_millis()).unwrap_or(i64::MAX);

    let counted = match options.store {
        RateLimitStore::Memory => Ok(limiter.counters.hit(key, now_ms, window_ms)),
        RateLimitStore::Database => limiter
            .auth
            .database()
            .hit_rate_limit(&key, now_ms, window_ms)
            .await
            .map_err(AuthError::from),
        RateLimitStore::Off => unreachable!("checked above"),
    };
    let (count, start_ms) = match counted {
        Ok(counted) => counted,
        Err(err) => return err.into_response(),
    };
    if count <= limit.max {
        return next.run(request).await;
    }
    let retry_after = ((start_ms + window_ms - now_ms) as f64 / 1000.0).ceil().max(1.0) as u64;
    tracing::warn!(
        route = limiter.route.key(),
        client = %address,
        retry_after,
        "rate limit exceeded"
    );
    too_many_requests(retry_after)
}

fn too_many_requests(retry_after: u64) -> Response {
    let mut response = error_response(
        StatusCode::TOO_MANY_REQUESTS,
        "Too many requests. Please try again later.",
        "TOO_MANY_REQUESTS",
    );
    let value = HeaderValue::from(retry_after);
    response.headers_mut().insert("retry-after", value.clone());
    // Better Auth's clients read this name.
    response.headers_mut().insert("x-retry-after", value);
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_parse_and_reject_nonsense() {
        assert_eq!("10/60".parse::<Limit>(), Ok(Limit::per_seconds(10, 60)));
        assert!("0/60".parse::<Limit>().is_err());
        assert!("10".parse::<Limit>().is_err());
        assert!("a/b".parse::<Limit>().is_err());
    }

    #[test]
    fn forwarded_address_needs_trusted_peer() {
        let mut headers = HeaderMap::new();
        headers.insert("x-forwarded-for", HeaderValue::from_static("198.51.100.1, 203.0.113.9"));
        let proxy: SocketAddr = "10.0.0.2:4000".parse().expect("address");
        let outsider: SocketAddr = "192.0.2.50:4000".parse().expect("address");
        let trusted = vec!["10.0.0.0/8".parse().expect("network")];
        assert_eq!(
            client_address(&headers, Some(proxy), &trusted),
            Some("203.0.113.9".parse().expect("ip"))
        );
        assert_eq!(
            client_address(&headers, Some(outsider), &trusted),
            Some("192.0.2.50".parse().expect("ip")),
            "a spoofed header from an untrusted peer changes nothing"
        );
    }

    #[test]
    fn memory_window_resets() {
        let counters = MemoryCounters::default();
        assert_eq!(counters.hit("k".into(), 0, 1000), (1, 0));
        assert_eq!(counters.hit("k".into(), 999, 1000), (2, 0));
        assert_eq!(counters.hit("k".into(), 1000, 1000), (1, 1000));
    }
}
