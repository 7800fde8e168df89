//! `ott-load`: a load generator for the one-time-token workload and a
//! side-by-side benchmark of ott-server and Better Auth 1.7.29 on Node.
//!
//! `ott-load compare` starts every server itself; `ott-load run` loads one
//! server that is already running, for profiling. Both only ever connect to
//! 127.0.0.1.

mod client;
mod compare;
mod floor;
mod procstat;
mod report;
mod servers;
mod sizes;
mod workload;

use std::path::PathBuf;
use std::time::Duration;

use clap::{Parser, Subcommand};

use crate::compare::{CompareSettings, compare};
use crate::servers::Environment;
use crate::workload::{PhaseSettings, run_phase};

/// Load generator and side-by-side benchmark of ott-server and Better Auth.
#[derive(Debug, Parser)]
#[command(name = "ott-load", about)]
struct Cli {
    #[command(subcommand)]
    command: Mode,
}

#[derive(Debug, Subcommand)]
enum Mode {
    /// Start each server on a fresh database, measure every server at every
    /// concurrency in alternation, then print the table.
    Compare {
        /// Concurrent workers, comma-separated.
        #[arg(long, value_delimiter = ',', default_value = "1,8,32")]
        concurrency: Vec<usize>,
        /// Seconds of load before each measured window.
        #[arg(long, default_value_t = 2.0)]
        warmup: f64,
        /// Seconds of each measured window.
        #[arg(long, default_value_t = 6.0)]
        duration: f64,
        /// How many times the whole rotation runs; the table shows the median.
        #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u64).range(1..=20))]
        rounds: u64,
        /// Run only these, comma-separated: ott-sqlite, ott-postgres,
        /// ba-sqlite, ba-postgres, floor-sqlite, floor-postgres.
        #[arg(long, value_delimiter = ',')]
        only: Vec<String>,
        #[command(flatten)]
        paths: PathArgs,
    },
    /// Load one server that is already running on 127.0.0.1 and print one
    /// line of results. Signs up a new user first.
    Run {
        /// Base URL of the server, http://127.0.0.1:PORT.
        #[arg(long)]
        url: String,
        /// Path prefix of the auth routes.
        #[arg(long, default_value = "/api/auth")]
        base_path: String,
        /// Process id of the server, for its CPU time and peak memory.
        #[arg(long)]
        pid: u32,
        /// Concurrent workers.
        #[arg(long, default_value_t = 8)]
        concurrency: usize,
        /// Seconds of load before the measured window.
        #[arg(long, default_value_t = 1.0)]
        warmup: f64,
        /// Seconds of the measured window.
        #[arg(long, default_value_t = 6.0)]
        duration: f64,
    },
}

/// Where the programs under test are.
#[derive(Debug, clap::Args)]
struct PathArgs {
    /// The ott-server binary [default: target/release/ott-server in the workspace].
    #[arg(long)]
    ott_server: Option<PathBuf>,
    /// The Node.js executable.
    #[arg(long, default_value = "node")]
    node: PathBuf,
    /// PostgreSQL database to create the benchmark databases from; the host
    /// must be 127.0.0.1.
    #[arg(
        long,
        env = "OTT_LOAD_POSTGRES_URL",
        default_value = "postgres://postgres@127.0.0.1:5432/postgres"
    )]
    postgres_url: String,
}

fn seconds(value: f64, flag: &str) -> anyhow::Result<Duration> {
    Duration::try_from_secs_f64(value)
        .ok()
        .filter(|duration| !duration.is_zero() || flag == "--warmup")
        .ok_or_else(|| anyhow::anyhow!("invalid {flag} {value}: expected a positive number of seconds"))
}

/// Returns the workspace root, two levels above this crate.
fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Mode::Compare {
            concurrency,
            warmup,
            duration,
            rounds,
            only,
            paths,
        } => {
            let root = workspace_root();
            let environment = Environment {
                ott_server: paths
                    .ott_server
                    .unwrap_or_else(|| root.join("target/release/ott-server")),
                reference_server: root.join("tests/interop/reference-server.mjs"),
                node: paths.node,
                postgres_admin_url: paths.postgres_url,
            };
            if concurrency.contains(&0) {
                anyhow::bail!("invalid --concurrency: every value must be at least 1");
            }
            let settings = CompareSettings {
                concurrencies: concurrency,
                warmup: seconds(warmup, "--warmup")?,
                measure: seconds(duration, "--duration")?,
                rounds: usize::try_from(rounds)?,
                only,
            };
            let report = compare(&environment, &root, &settings).await?;
            println!("{report}");
        }
        Mode::Run {
            url,
            base_path,
            pid,
            concurrency,
            warmup,
            duration,
        } => {
            if concurrency == 0 {
                anyhow::bail!("invalid --concurrency 0: expected at least 1");
            }
            let target = client::Target::loopback(&url, &base_path)?;
            let mut connection = client::Connection::open(&target).await?;
            let email = servers::random_email()?;
            let cookie = client::sign_up(&mut connection, &target, &email, "load-test-password-1").await?;
            let settings = PhaseSettings {
                concurrency,
                warmup: seconds(warmup, "--warmup")?,
                measure: seconds(duration, "--duration")?,
            };
            let m = run_phase(&target, &cookie, pid, &settings).await?;
            println!(
                "C={concurrency}: {:.0} pairs/s; generate p50/p99/max {:.2}/{:.2}/{:.2} ms; verify p50/p99/max {:.2}/{:.2}/{:.2} ms; \
                 {} errors; server {:.3} ms CPU/pair, peak RSS {:.1} MiB; client CPU {:.2} s",
                m.pairs_per_second(),
                f64::from(m.generate.p50_us) / 1000.0,
                f64::from(m.generate.p99_us) / 1000.0,
                f64::from(m.generate.max_us) / 1000.0,
                f64::from(m.verify.p50_us) / 1000.0,
                f64::from(m.verify.p99_us) / 1000.0,
                f64::from(m.verify.max_us) / 1000.0,
                m.errors,
                m.server_cpu_ms_per_pair(),
                m.peak_rss_kib as f64 / 1024.0,
                m.client_cpu_seconds
            );
            if let Some(error) = m.first_error {
                println!("first error: {error}");
            }
        }
    }
    Ok(())
}

// One thread drives every worker, so the load generator takes at most one
// core of the machine it shares with the server.
#[tokio::main(flavor = "current_thread")]
async fn main() -> std::process::ExitCode {
    match run(Cli::parse()).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
