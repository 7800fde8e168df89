//! Plain-text tables of a comparison run.

use std::fmt::Write as _;

use crate::floor::FloorMeasurement;
use crate::servers::{Backend, Implementation};
use crate::sizes::ClientSizes;
use crate::workload::{Latency, Measurement};

/// Result of the correctness check of one phase.
#[derive(Debug, Clone)]
pub struct Check {
    pub passed: bool,
    pub summary: String,
}

/// One measured phase.
#[derive(Debug, Clone)]
pub struct PhaseRow {
    pub implementation: Implementation,
    pub backend: Backend,
    pub concurrency: usize,
    pub measurement: Measurement,
    pub check: Check,
}

/// One floor run.
#[derive(Debug, Clone, Copy)]
pub struct FloorRow {
    pub backend: Backend,
    pub measurement: FloorMeasurement,
}

/// Everything a report prints besides the measurements.
pub struct RunInfo {
    pub date: String,
    pub machine: String,
    pub load_before: String,
    pub load_after: String,
    pub versions: String,
    pub settings: String,
    pub rounds: usize,
}

pub fn implementation_name(implementation: Implementation) -> &'static str {
    match implementation {
        Implementation::Ott => "ott-server",
        Implementation::BetterAuth => "Better Auth",
    }
}

fn ms(micros: u32) -> String {
    format!("{:.2}", f64::from(micros) / 1000.0)
}

fn latency_cell(latency: &Latency) -> String {
    format!("{}/{}/{}", ms(latency.p50_us), ms(latency.p99_us), ms(latency.max_us))
}

/// Returns the row of the median round by pairs per second, of one server
/// at one concurrency.
fn median_row(
    rows: &[PhaseRow],
    implementation: Implementation,
    backend: Backend,
    concurrency: usize,
) -> Option<&PhaseRow> {
    let mut matching: Vec<&PhaseRow> = rows
        .iter()
        .filter(|row| row.implementation == implementation && row.backend == backend && row.concurrency == concurrency)
        .collect();
    matching.sort_by(|a, b| {
        a.measurement
            .pairs_per_second()
            .total_cmp(&b.measurement.pairs_per_second())
    });
    matching.get(matching.len().saturating_sub(1) / 2).copied()
}

fn median_floor(floors: &[FloorRow], backend: Backend) -> Option<FloorMeasurement> {
    let mut matching: Vec<FloorMeasurement> = floors
        .iter()
        .filter(|row| row.backend == backend)
        .map(|row| row.measurement)
        .collect();
    matching.sort_by(|a, b| a.pairs_per_second().total_cmp(&b.pairs_per_second()));
    matching.get(matching.len().saturating_sub(1) / 2).copied()
}

const SERVERS: [(Implementation, Backend); 4] = [
    (Implementation::Ott, Backend::Sqlite),
    (Implementation::BetterAuth, Backend::Sqlite),
    (Implementation::Ott, Backend::Postgres),
    (Implementation::BetterAuth, Backend::Postgres),
];

/// Formats the whole report.
pub fn render(
    info: &RunInfo,
    concurrencies: &[usize],
    rows: &[PhaseRow],
    floors: &[FloorRow],
    sizes: &ClientSizes,
) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "date:     {}", info.date);
    let _ = writeln!(out, "machine:  {}", info.machine);
    let _ = writeln!(
        out,
        "load:     {} before, {} after (1, 5, 15 min averages)",
        info.load_before, info.load_after
    );
    let _ = writeln!(out, "versions: {}", info.versions);
    let _ = writeln!(out, "settings: {}", info.settings);
    if info.rounds > 1 {
        let _ = writeln!(out, "rows:     median of {} rounds by pairs/s", info.rounds);
    }
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "{:<24} {:>3} {:>8}  {:<20} {:<20} {:>6} {:>8} {:>12}  check",
        "server", "C", "pairs/s", "generate ms", "verify ms", "errors", "CPU/pair", "peak RSS MiB"
    );
    let _ = writeln!(
        out,
        "{:<24} {:>3} {:>8}  {:<20} {:<20} {:>6} {:>8} {:>12}",
        "", "", "", "p50/p99/max", "p50/p99/max", "", "ms", "load/start"
    );
    for &concurrency in concurrencies {
        for (implementation, backend) in SERVERS {
            let Some(row) = median_row(rows, implementation, backend, concurrency) else {
                continue;
            };
            let m = &row.measurement;
            let _ = writeln!(
                out,
                "{:<24} {:>3} {:>8.0}  {:<20} {:<20} {:>6} {:>8.3} {:>12}  {}",
                format!("{} {}", implementation_name(implementation), backend),
                concurrency,
                m.pairs_per_second(),
                latency_cell(&m.generate),
                latency_cell(&m.verify),
                m.errors,
                m.server_cpu_ms_per_pair(),
                format!(
                    "{:.1}/{:.1}",
                    m.peak_rss_kib as f64 / 1024.0,
                    m.peak_rss_before_kib as f64 / 1024.0
                ),
                row.check.summary
            );
        }
    }

    let _ = writeln!(out);
    let _ = writeln!(out, "ott-server / Better Auth   C  pairs/s ratio  CPU/pair ratio");
    for backend in [Backend::Sqlite, Backend::Postgres] {
        for &concurrency in concurrencies {
            let ours = median_row(rows, Implementation::Ott, backend, concurrency);
            let theirs = median_row(rows, Implementation::BetterAuth, backend, concurrency);
            let (Some(ours), Some(theirs)) = (ours, theirs) else {
                continue;
            };
            let speed = ours.measurement.pairs_per_second() / theirs.measurement.pairs_per_second();
            let cpu = ours.measurement.server_cpu_ms_per_pair() / theirs.measurement.server_cpu_ms_per_pair();
            let _ = writeln!(
                out,
                "{:<24} {:>3} {:>13.1}x {:>10.3}x (1/{:.0})",
                backend.to_string(),
                concurrency,
                speed,
                cpu,
                1.0 / cpu
            );
        }
    }

    let _ = writeln!(out);
    let _ = writeln!(out, "floor: the same SQL through sqlx, one connection, no HTTP");
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let Some(floor) = median_floor(floors, backend) else {
            continue;
        };
        let mut shares = Vec::new();
        for &concurrency in concurrencies {
            if let Some(ours) = median_row(rows, Implementation::Ott, backend, concurrency) {
                let share = 100.0 * ours.measurement.pairs_per_second() / floor.pairs_per_second();
                shares.push(format!("C={concurrency} {share:.0}%"));
            }
        }
        let _ = writeln!(
            out,
            "{:<11} {:>7.0} pairs/s, {:.3} ms CPU/pair; ott-server reaches {}",
            backend.to_string(),
            floor.pairs_per_second(),
            floor.cpu_ms_per_pair,
            shares.join(", ")
        );
    }

    let _ = writeln!(out);
    out.push_str(&sizes.render());
    out
}
