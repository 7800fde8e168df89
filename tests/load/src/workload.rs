//! The measured workload: C workers, each looping generate (with the session
//! cookie) then verify (without a cookie), for a warm-up and then a measured
//! window. Server CPU time is read from `/proc` at both ends of the window.

use std::sync::Arc;
use std::time::Duration;

use http::HeaderValue;
use tokio::time::Instant;

use crate::client::{CallError, Connection, Target, generate, verify};
use crate::procstat;

/// Upper bound of pairs per worker and phase, a safety stop beside the
/// deadline.
const MAX_PAIRS_PER_WORKER: u64 = 5_000_000;

/// Pause after a failed connection attempt, so a dead server is not hammered.
const RECONNECT_PAUSE: Duration = Duration::from_millis(10);

/// Shape of one measurement.
#[derive(Debug, Clone, Copy)]
pub struct PhaseSettings {
    /// Concurrent workers, each with its own connection.
    pub concurrency: usize,
    /// Load before the measured window: connections open, caches and JIT warm.
    pub warmup: Duration,
    /// Length of the measured window.
    pub measure: Duration,
}

/// Latency percentiles of one call, in microseconds.
#[derive(Debug, Clone, Copy, Default)]
pub struct Latency {
    pub p50_us: u32,
    pub p99_us: u32,
    pub max_us: u32,
}

impl Latency {
    /// Summarises samples by the nearest-rank method.
    pub fn from_samples(samples: &mut [u32]) -> Self {
        if samples.is_empty() {
            return Self::default();
        }
        samples.sort_unstable();
        let rank = |percent: usize| {
            let index = (samples.len() * percent).div_ceil(100).max(1) - 1;
            samples[index]
        };
        Self {
            p50_us: rank(50),
            p99_us: rank(99),
            max_us: samples[samples.len() - 1],
        }
    }
}

/// Result of one phase against one server.
#[derive(Debug, Clone, Default)]
pub struct Measurement {
    /// Pairs that finished inside the measured window.
    pub pairs: u64,
    /// Length of the measured window, in seconds.
    pub seconds: f64,
    pub generate: Latency,
    pub verify: Latency,
    /// Failed calls over the whole phase, warm-up included.
    pub errors: u64,
    /// Description of the first failure, if any.
    pub first_error: Option<String>,
    /// Server CPU time (user + system) inside the window, in seconds.
    pub server_cpu_seconds: f64,
    /// This process's CPU time inside the window, in seconds.
    pub client_cpu_seconds: f64,
    /// Peak resident set size of the server during the measured window, in
    /// KiB.
    pub peak_rss_kib: u64,
    /// Peak resident set size of the server from its start to the measured
    /// window (start-up, sign-up and warm-up), in KiB.
    pub peak_rss_before_kib: u64,
    /// Every one-time token whose verify returned 200, warm-up included.
    pub redeemed: Vec<String>,
}

impl Measurement {
    pub fn pairs_per_second(&self) -> f64 {
        if self.seconds > 0.0 {
            self.pairs as f64 / self.seconds
        } else {
            0.0
        }
    }

    /// Server CPU time per measured pair, in milliseconds.
    pub fn server_cpu_ms_per_pair(&self) -> f64 {
        if self.pairs > 0 {
            self.server_cpu_seconds * 1000.0 / self.pairs as f64
        } else {
            f64::NAN
        }
    }
}

#[derive(Default)]
struct WorkerStats {
    pairs: u64,
    generate_us: Vec<u32>,
    verify_us: Vec<u32>,
    errors: u64,
    first_error: Option<String>,
    redeemed: Vec<String>,
}

impl WorkerStats {
    fn record_error(&mut self, call: &str, error: &CallError) {
        self.errors += 1;
        if self.first_error.is_none() {
            self.first_error = Some(match error {
                CallError::Transport(err) => format!("{call}: connection failed: {err:#}"),
                CallError::Status(status) => format!("{call}: status {status}"),
                CallError::Body => format!("{call}: 200 without the expected JSON field"),
            });
        }
    }
}

/// Instants that bound the phase.
#[derive(Clone, Copy)]
struct Window {
    start: Instant,
    end: Instant,
}

fn micros(duration: Duration) -> u32 {
    u32::try_from(duration.as_micros()).unwrap_or(u32::MAX)
}

async fn run_worker(target: Arc<Target>, cookie: HeaderValue, origin: HeaderValue, window: Window) -> WorkerStats {
    let mut stats = WorkerStats::default();
    let mut connection: Option<Connection> = None;
    let mut attempts = 0u64;
    while Instant::now() < window.end && attempts < MAX_PAIRS_PER_WORKER {
        attempts += 1;
        let mut open = match connection.take() {
            Some(open) => open,
            None => match Connection::open(&target).await {
                Ok(open) => open,
                Err(err) => {
                    stats.record_error("connect", &CallError::Transport(err));
                    tokio::time::sleep(RECONNECT_PAUSE).await;
                    continue;
                }
            },
        };
        let started = Instant::now();
        let token = match generate(&mut open, &target, &cookie).await {
            Ok(token) => token,
            Err(err) => {
                stats.record_error("generate", &err);
                if !matches!(err, CallError::Transport(_)) {
                    connection = Some(open);
                }
                continue;
            }
        };
        let generated = Instant::now();
        let verified = verify(&mut open, &target, &origin, &token).await;
        let finished = Instant::now();
        if let Err(err) = verified {
            stats.record_error("verify", &err);
            if !matches!(err, CallError::Transport(_)) {
                connection = Some(open);
            }
            continue;
        }
        connection = Some(open);
        stats.redeemed.push(token);
        if finished >= window.start && finished <= window.end {
            stats.pairs += 1;
            stats.generate_us.push(micros(generated - started));
            stats.verify_us.push(micros(finished - generated));
        }
    }
    stats
}

/// Runs one phase: `settings.concurrency` workers for the warm-up and the
/// measured window, against the server with process id `server_pid`.
///
/// # Errors
///
/// Fails when the server's `/proc` entries cannot be read, for example
/// because it exited.
pub async fn run_phase(
    target: &Target,
    cookie: &str,
    server_pid: u32,
    settings: &PhaseSettings,
) -> anyhow::Result<Measurement> {
    let target = Arc::new(target.clone());
    let cookie = HeaderValue::from_str(cookie)?;
    let origin = HeaderValue::from_str(&target.base_url)?;
    let begin = Instant::now();
    let window = Window {
        start: begin + settings.warmup,
        end: begin + settings.warmup + settings.measure,
    };
    let workers: Vec<_> = (0..settings.concurrency)
        .map(|_| tokio::spawn(run_worker(target.clone(), cookie.clone(), origin.clone(), window)))
        .collect();

    tokio::time::sleep_until(window.start).await;
    let peak_rss_before_kib = procstat::peak_rss_kib(server_pid)?;
    procstat::reset_peak_rss(server_pid)?;
    let server_before = procstat::cpu_ticks(server_pid)?;
    let client_before = procstat::cpu_ticks(std::process::id())?;
    tokio::time::sleep_until(window.end).await;
    let server_after = procstat::cpu_ticks(server_pid)?;
    let client_after = procstat::cpu_ticks(std::process::id())?;

    let mut total = WorkerStats::default();
    for worker in workers {
        let stats = worker.await?;
        total.pairs += stats.pairs;
        total.generate_us.extend(stats.generate_us);
        total.verify_us.extend(stats.verify_us);
        total.errors += stats.errors;
        total.first_error = total.first_error.or(stats.first_error);
        total.redeemed.extend(stats.redeemed);
    }
    let ticks = procstat::clock_ticks_per_second() as f64;
    Ok(Measurement {
        pairs: total.pairs,
        seconds: settings.measure.as_secs_f64(),
        generate: Latency::from_samples(&mut total.generate_us),
        verify: Latency::from_samples(&mut total.verify_us),
        errors: total.errors,
        first_error: total.first_error,
        server_cpu_seconds: server_after.saturating_sub(server_before) as f64 / ticks,
        client_cpu_seconds: client_after.saturating_sub(client_before) as f64 / ticks,
        peak_rss_kib: procstat::peak_rss_kib(server_pid)?,
        peak_rss_before_kib,
        redeemed: total.redeemed,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_use_nearest_rank() {
        let mut samples: Vec<u32> = (1..=100).rev().collect();
        let latency = Latency::from_samples(&mut samples);
        assert_eq!(latency.p50_us, 50);
        assert_eq!(latency.p99_us, 99);
        assert_eq!(latency.max_us, 100);
    }

    #[test]
    fn percentiles_of_one_sample() {
        let latency = Latency::from_samples(&mut [7]);
        assert_eq!((latency.p50_us, latency.p99_us, latency.max_us), (7, 7, 7));
    }
}
