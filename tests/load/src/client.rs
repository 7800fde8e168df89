//! A minimal HTTP/1.1 client for the benchmark: one keep-alive connection per
//! worker, and the three calls of the workload (sign-up, generate, verify).

use std::net::SocketAddr;
use std::time::Duration;

use anyhow::{Context, bail};
use bytes::Bytes;
use http::header::{CONTENT_TYPE, COOKIE, HOST, ORIGIN, SET_COOKIE};
use http::{HeaderValue, Method, Request, StatusCode};
use http_body_util::{BodyExt as _, Full};
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;
use serde::Deserialize;
use tokio::net::TcpStream;

/// Name of the session cookie on an `http://` base URL, the same on
/// ott-server and Better Auth 1.7.29.
const SESSION_COOKIE: &str = "better-auth.session_token";

/// Where a server under test listens.
#[derive(Debug, Clone)]
pub struct Target {
    pub address: SocketAddr,
    /// `http://127.0.0.1:PORT`, sent as `Origin` on every POST.
    pub base_url: String,
    /// Prefix of the auth routes, such as `/api/auth`.
    pub base_path: String,
}

impl Target {
    /// Builds a target on the loopback address. Any other host is rejected,
    /// because the benchmark must never send load elsewhere.
    ///
    /// # Errors
    ///
    /// Fails when `base_url` is not `http://127.0.0.1:PORT`.
    pub fn loopback(base_url: &str, base_path: &str) -> anyhow::Result<Self> {
        let base_url = base_url.trim_end_matches('/');
        let port = base_url
            .strip_prefix("http://127.0.0.1:")
            .and_then(|port| port.parse::<u16>().ok())
            .with_context(|| format!("invalid server URL {base_url:?}: expected http://127.0.0.1:PORT"))?;
        Ok(Self {
            address: SocketAddr::from(([127, 0, 0, 1], port)),
            base_url: base_url.to_owned(),
            base_path: base_path.trim_end_matches('/').to_owned(),
        })
    }

    fn path(&self, route: &str) -> String {
        format!("{}{route}", self.base_path)
    }
}

/// How one call of the workload failed.
#[derive(Debug)]
pub enum CallError {
    /// The connection failed or closed; the caller must open a new one.
    Transport(anyhow::Error),
    /// The server returned an unexpected status.
    Status(StatusCode),
    /// The server returned 200 with a body that lacks the expected field.
    Body,
}

/// A response read in full.
pub struct FullResponse {
    pub status: StatusCode,
    pub headers: http::HeaderMap,
    pub body: Bytes,
}

/// One keep-alive HTTP/1.1 connection.
pub struct Connection {
    sender: SendRequest<Full<Bytes>>,
    host: HeaderValue,
}

impl Connection {
    /// Opens a connection to `target`, with Nagle's algorithm off.
    ///
    /// # Errors
    ///
    /// Fails when the TCP connection or the HTTP handshake does.
    pub async fn open(target: &Target) -> anyhow::Result<Self> {
        let stream = TcpStream::connect(target.address)
            .await
            .with_context(|| format!("cannot connect to {}", target.address))?;
        stream.set_nodelay(true)?;
        let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
        // The connection task ends when the sender is dropped or the server closes.
        tokio::spawn(async move {
            let _ = connection.await;
        });
        let host = HeaderValue::from_str(&target.address.to_string())?;
        Ok(Self { sender, host })
    }

    /// Sends a request and reads the whole response.
    ///
    /// # Errors
    ///
    /// Fails when the connection does.
    pub async fn send(&mut self, mut request: Request<Full<Bytes>>) -> anyhow::Result<FullResponse> {
        request.headers_mut().insert(HOST, self.host.clone());
        self.sender.ready().await?;
        let response = self.sender.send_request(request).await?;
        let (parts, body) = response.into_parts();
        let body = body.collect().await?.to_bytes();
        Ok(FullResponse {
            status: parts.status,
            headers: parts.headers,
            body,
        })
    }
}

#[derive(Deserialize)]
struct TokenBody {
    token: String,
}

/// Signs up a new user and returns the `Cookie` header value that carries
/// its session.
///
/// # Errors
///
/// Fails when the server does not return 200 with a session cookie.
pub async fn sign_up(
    connection: &mut Connection,
    target: &Target,
    email: &str,
    password: &str,
) -> anyhow::Result<String> {
    let body = serde_json::json!({ "name": "Load Test", "email": email, "password": password });
    let request = Request::builder()
        .method(Method::POST)
        .uri(target.path("/sign-up/email"))
        .header(CONTENT_TYPE, "application/json")
        .header(ORIGIN, &target.base_url)
        .body(Full::new(Bytes::from(body.to_string())))?;
    let response = connection.send(request).await?;
    if response.status != StatusCode::OK {
        bail!(
            "sign-up returned {}: {}",
            response.status,
            String::from_utf8_lossy(&response.body)
        );
    }
    let prefix = format!("{SESSION_COOKIE}=");
    response
        .headers
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .find(|line| line.starts_with(&prefix))
        .and_then(|line| line.split(';').next())
        .map(str::to_owned)
        .context("sign-up returned 200 without a session cookie")
}

/// Generates a one-time token for the session in `cookie`.
///
/// # Errors
///
/// [`CallError::Status`] on any status but 200.
pub async fn generate(connection: &mut Connection, target: &Target, cookie: &HeaderValue) -> Result<String, CallError> {
    let request = Request::builder()
        .method(Method::GET)
        .uri(target.path("/one-time-token/generate"))
        .header(COOKIE, cookie.clone())
        .body(Full::new(Bytes::new()))
        .map_err(|err| CallError::Transport(err.into()))?;
    let response = connection.send(request).await.map_err(CallError::Transport)?;
    if response.status != StatusCode::OK {
        return Err(CallError::Status(response.status));
    }
    serde_json::from_slice::<TokenBody>(&response.body)
        .map(|body| body.token)
        .map_err(|_| CallError::Body)
}

/// Redeems a one-time token without a cookie, as a second device would.
///
/// # Errors
///
/// [`CallError::Status`] on any status but 200.
pub async fn verify(
    connection: &mut Connection,
    target: &Target,
    origin: &HeaderValue,
    token: &str,
) -> Result<(), CallError> {
    let body = serde_json::to_vec(&serde_json::json!({ "token": token })).map_err(|_| CallError::Body)?;
    let request = Request::builder()
        .method(Method::POST)
        .uri(target.path("/one-time-token/verify"))
        .header(CONTENT_TYPE, "application/json")
        .header(ORIGIN, origin.clone())
        .body(Full::new(Bytes::from(body)))
        .map_err(|err| CallError::Transport(err.into()))?;
    let response = connection.send(request).await.map_err(CallError::Transport)?;
    if response.status != StatusCode::OK {
        return Err(CallError::Status(response.status));
    }
    Ok(())
}

/// Polls `GET {base_path}/ok` until it returns 200 or `timeout` passes.
///
/// # Errors
///
/// Fails when the server is not ready in time.
pub async fn wait_until_ready(target: &Target, timeout: Duration) -> anyhow::Result<()> {
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        let attempt = async {
            let mut connection = Connection::open(target).await?;
            let request = Request::builder()
                .uri(target.path("/ok"))
                .body(Full::new(Bytes::new()))?;
            anyhow::Ok(connection.send(request).await?.status)
        };
        if let Ok(StatusCode::OK) = attempt.await {
            return Ok(());
        }
        if tokio::time::Instant::now() >= deadline {
            bail!("server at {} not ready after {} s", target.base_url, timeout.as_secs());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
