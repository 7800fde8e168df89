//! HTTP plumbing shared by the routes: cookies, bearer tokens, JSON bodies,
//! origin checks and client metadata.

pub mod body;
pub mod cookies;
pub mod origin;

use std::net::{IpAddr, SocketAddr};

use axum::http::HeaderMap;
use axum::http::header::USER_AGENT;

/// Longest user agent stored with a session, in characters.
const MAX_USER_AGENT_CHARS: usize = 512;

/// Data about the client: what is stored with a new session, and the socket
/// peer.
#[derive(Debug, Clone, Default)]
pub struct ClientMeta {
    /// Stored with a new session: the `X-Forwarded-For` value when it contains
    /// exactly one valid IP address, else empty, as Better Auth 1.7.29 records it.
    pub ip_address: Option<String>,
    /// Stored with a new session: the `User-Agent`, or empty.
    pub user_agent: Option<String>,
    /// The TCP peer, when the server was started with connect info.
    pub peer: Option<SocketAddr>,
}

impl ClientMeta {
    /// Reads the client data of a request.
    pub fn from_request(headers: &HeaderMap, peer: Option<SocketAddr>) -> Self {
        let forwarded = headers
            .get("x-forwarded-for")
            .and_then(|value| value.to_str().ok())
            .map(str::trim)
            .filter(|value| value.parse::<IpAddr>().is_ok())
            .map(str::to_owned);
        let user_agent = headers
            .get(USER_AGENT)
            .and_then(|value| value.to_str().ok())
            .map(|value| value.chars().take(MAX_USER_AGENT_CHARS).collect());
        Self {
            ip_address: Some(forwarded.unwrap_or_default()),
            user_agent: Some(user_agent.unwrap_or_default()),
            peer,
        }
    }
}
