//! The side-by-side run: every server on every database at every
//! concurrency, in alternation, each phase on a fresh database, plus the
//! floor and the client sizes.

use std::collections::HashSet;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use anyhow::Context;

use crate::client::{Connection, sign_up};
use crate::floor::run_floor;
use crate::procstat;
use crate::report::{Check, FloorRow, PhaseRow, RunInfo, implementation_name, render};
use crate::servers::{Backend, Environment, Implementation, RunningServer, TempDatabase, random_email};
use crate::sizes::measure_clients;
use crate::workload::{Measurement, PhaseSettings, run_phase};

/// What one `compare` run measures.
#[derive(Debug, Clone)]
pub struct CompareSettings {
    pub concurrencies: Vec<usize>,
    pub warmup: Duration,
    pub measure: Duration,
    pub rounds: usize,
    /// Servers and floors to run; all of them when empty.
    pub only: Vec<String>,
}

/// Name of a server target as `--only` takes it.
fn target_name(implementation: Implementation, backend: Backend) -> String {
    let implementation = match implementation {
        Implementation::Ott => "ott",
        Implementation::BetterAuth => "ba",
    };
    let backend = match backend {
        Backend::Sqlite => "sqlite",
        Backend::Postgres => "postgres",
    };
    format!("{implementation}-{backend}")
}

fn floor_name(backend: Backend) -> &'static str {
    match backend {
        Backend::Sqlite => "floor-sqlite",
        Backend::Postgres => "floor-postgres",
    }
}

/// Checks that every verify that returned 200 consumed a distinct token,
/// that none of those tokens is still stored, and for ott-server that each
/// created exactly one session.
async fn check_phase(
    implementation: Implementation,
    database: &TempDatabase,
    measurement: &Measurement,
) -> anyhow::Result<Check> {
    let successes = measurement.redeemed.len();
    let distinct: HashSet<&str> = measurement.redeemed.iter().map(String::as_str).collect();
    let stored = database.verification_identifiers().await?;
    let left = measurement
        .redeemed
        .iter()
        .filter(|token| stored.contains(&format!("one-time-token:{token}")))
        .count();

    let mut problems = Vec::new();
    if distinct.len() != successes {
        problems.push(format!(
            "{} of {successes} redeemed tokens repeat",
            successes - distinct.len()
        ));
    }
    if left > 0 {
        problems.push(format!("{left} redeemed tokens still stored"));
    }

    let sessions = database.count(r#"SELECT count(*) FROM "session""#).await?;
    // The sign-up made one session; with ott-server each redemption adds one.
    let new_sessions = sessions - 1;
    if implementation == Implementation::Ott && usize::try_from(new_sessions).ok() != Some(successes) {
        problems.push(format!("{new_sessions} new sessions for {successes} redemptions"));
    }

    let summary = if problems.is_empty() {
        match implementation {
            Implementation::Ott => format!("ok: {successes} distinct tokens, {new_sessions} new sessions"),
            Implementation::BetterAuth => format!("ok: {successes} distinct tokens, none left"),
        }
    } else {
        format!("FAILED: {}", problems.join("; "))
    };
    Ok(Check {
        passed: problems.is_empty(),
        summary,
    })
}

async fn run_server_phase(
    environment: &Environment,
    implementation: Implementation,
    backend: Backend,
    settings: &PhaseSettings,
) -> anyhow::Result<PhaseRow> {
    let database = TempDatabase::create(backend, environment).await?;
    let result = async {
        let server = RunningServer::start(implementation, &database, environment).await?;
        let measured = async {
            let mut connection = Connection::open(&server.target).await?;
            let cookie = sign_up(
                &mut connection,
                &server.target,
                &random_email()?,
                "load-test-password-1",
            )
            .await?;
            drop(connection);
            run_phase(&server.target, &cookie, server.pid, settings).await
        }
        .await;
        let tail = server.log_tail();
        server.stop().await?;
        let measurement = measured.with_context(|| format!("phase failed; end of the server log:\n{tail}"))?;
        let check = check_phase(implementation, &database, &measurement).await?;
        anyhow::Ok(PhaseRow {
            implementation,
            backend,
            concurrency: settings.concurrency,
            measurement,
            check,
        })
    }
    .await;
    database.remove().await?;
    result
}

async fn run_floor_phase(
    environment: &Environment,
    backend: Backend,
    settings: &CompareSettings,
) -> anyhow::Result<FloorRow> {
    let database = TempDatabase::create(backend, environment).await?;
    let result = run_floor(&database, environment, settings.warmup, settings.measure).await;
    database.remove().await?;
    Ok(FloorRow {
        backend,
        measurement: result?,
    })
}

fn first_line_of(program: &Path, argument: &str) -> String {
    Command::new(program)
        .arg(argument)
        .output()
        .ok()
        .and_then(|output| String::from_utf8(output.stdout).ok())
        .and_then(|text| text.lines().next().map(str::to_owned))
        .unwrap_or_else(|| "unknown".to_owned())
}

fn better_auth_version(environment: &Environment) -> String {
    let manifest = environment
        .reference_server
        .with_file_name("node_modules/better-auth/package.json");
    std::fs::read_to_string(manifest)
        .ok()
        .and_then(|text| serde_json::from_str::<serde_json::Value>(&text).ok())
        .and_then(|json| json["version"].as_str().map(str::to_owned))
        .unwrap_or_else(|| "unknown".to_owned())
}

/// Runs the whole comparison and returns the report. Progress goes to
/// standard error.
///
/// # Errors
///
/// Fails when a server cannot start or a phase fails.
pub async fn compare(environment: &Environment, root: &Path, settings: &CompareSettings) -> anyhow::Result<String> {
    environment.check()?;
    let selected = |name: &str| settings.only.is_empty() || settings.only.iter().any(|only| only == name);
    let load_before = procstat::load_average();
    let date = chrono::Utc::now().format("%Y-%m-%d %H:%M UTC").to_string();
    let servers = [
        (Implementation::Ott, Backend::Sqlite),
        (Implementation::BetterAuth, Backend::Sqlite),
        (Implementation::Ott, Backend::Postgres),
        (Implementation::BetterAuth, Backend::Postgres),
    ];

    let mut rows = Vec::new();
    let mut floors = Vec::new();
    let mut failed_checks = 0;
    for round in 0..settings.rounds {
        for backend in [Backend::Sqlite, Backend::Postgres] {
            if !selected(floor_name(backend)) {
                continue;
            }
            let floor = run_floor_phase(environment, backend, settings).await?;
            eprintln!(
                "[round {}] floor {backend}: {:.0} pairs/s",
                round + 1,
                floor.measurement.pairs_per_second()
            );
            floors.push(floor);
        }

        for &concurrency in &settings.concurrencies {
            // Every second round runs the servers in reverse, so no server always
            // follows the same neighbour.
            let order: Vec<_> = if round % 2 == 0 {
                servers.to_vec()
            } else {
                servers.iter().rev().copied().collect()
            };
            for (implementation, backend) in order {
                if !selected(&target_name(implementation, backend)) {
                    continue;
                }
                let phase = PhaseSettings {
                    concurrency,
                    warmup: settings.warmup,
                    measure: settings.measure,
                };
                let row = run_server_phase(environment, implementation, backend, &phase).await?;
                let m = &row.measurement;
                eprintln!(
                    "[round {}] {} {backend} C={concurrency}: {:.0} pairs/s, verify p99 {:.2} ms, {:.3} ms CPU/pair, {} errors, client CPU {:.2} s; {}",
                    round + 1,
                    implementation_name(implementation),
                    m.pairs_per_second(),
                    f64::from(m.verify.p99_us) / 1000.0,
                    m.server_cpu_ms_per_pair(),
                    m.errors,
                    m.client_cpu_seconds,
                    row.check.summary
                );
                if let Some(error) = &m.first_error {
                    eprintln!("    first error: {error}");
                }
                if !row.check.passed {
                    failed_checks += 1;
                }
                rows.push(row);
            }
        }
    }

    let sizes = measure_clients(root);
    let info = RunInfo {
        date,
        machine: procstat::describe_machine(),
        load_before,
        load_after: procstat::load_average(),
        versions: format!(
            "{}, Better Auth {} on Node {}",
            first_line_of(&environment.ott_server, "--version"),
            better_auth_version(environment),
            first_line_of(&environment.node, "--version")
        ),
        settings: format!(
            "{} s warm-up + {} s measured per phase, C = {:?}, each phase on a fresh database",
            settings.warmup.as_secs_f64(),
            settings.measure.as_secs_f64(),
            settings.concurrencies
        ),
        rounds: settings.rounds,
    };
    let report = render(&info, &settings.concurrencies, &rows, &floors, &sizes);
    if failed_checks > 0 {
        anyhow::bail!("{report}\n{failed_checks} phases failed their correctness check");
    }
    Ok(report)
}
