//! Process and machine figures from Linux's `/proc`: CPU time, peak memory,
//! load average and a description of the machine.

use std::fs;
use std::process::Command;

use anyhow::{Context, bail};

/// Clock ticks per second of the `utime` and `stime` fields of
/// `/proc/<pid>/stat`, from `getconf CLK_TCK`. Linux has used 100 on every
/// common architecture for decades, so that is the fallback.
pub fn clock_ticks_per_second() -> u64 {
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|output| String::from_utf8(output.stdout).ok())
        .and_then(|text| text.trim().parse().ok())
        .filter(|ticks| *ticks > 0)
        .unwrap_or(100)
}

/// CPU time a process has used in user and kernel mode, in clock ticks.
///
/// # Errors
///
/// Fails when the process is gone or its stat line cannot be parsed.
pub fn cpu_ticks(pid: u32) -> anyhow::Result<u64> {
    let path = format!("/proc/{pid}/stat");
    let stat = fs::read_to_string(&path).with_context(|| format!("cannot read {path}"))?;
    // The command name (field 2) is in parentheses and may contain spaces,
    // so fields are counted after its closing parenthesis.
    let after_name = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest)
        .with_context(|| format!("unexpected format of {path}"))?;
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    // Fields 14 (utime) and 15 (stime) of proc(5); field 3 is fields[0] here.
    let (Some(utime), Some(stime)) = (fields.get(11), fields.get(12)) else {
        bail!("{path} has fewer fields than expected");
    };
    let utime: u64 = utime.parse().with_context(|| format!("invalid utime in {path}"))?;
    let stime: u64 = stime.parse().with_context(|| format!("invalid stime in {path}"))?;
    Ok(utime + stime)
}

/// Peak resident set size of a process (`VmHWM`), in kibibytes.
///
/// # Errors
///
/// Fails when the process is gone or has no `VmHWM` line.
pub fn peak_rss_kib(pid: u32) -> anyhow::Result<u64> {
    let path = format!("/proc/{pid}/status");
    let status = fs::read_to_string(&path).with_context(|| format!("cannot read {path}"))?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
        .with_context(|| format!("no VmHWM line in {path}"))
}

/// Resets a process's peak resident set size (`VmHWM`) to its current
/// resident set size, by writing 5 to `/proc/<pid>/clear_refs` (Linux 4.0
/// and later), so that a later reading covers only what follows.
///
/// # Errors
///
/// Fails when the file cannot be written, for example for a process of
/// another user.
pub fn reset_peak_rss(pid: u32) -> anyhow::Result<()> {
    let path = format!("/proc/{pid}/clear_refs");
    fs::write(&path, "5").with_context(|| format!("cannot write {path}"))
}

/// Returns the three load averages of `/proc/loadavg`, as written there.
pub fn load_average() -> String {
    fs::read_to_string("/proc/loadavg")
        .ok()
        .map(|text| text.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|| "unknown".to_owned())
}

/// Describes the machine in one line: CPU model, number of online CPUs,
/// memory and kernel.
pub fn describe_machine() -> String {
    let cpuinfo = fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find_map(|line| line.strip_prefix("model name"))
        .and_then(|rest| rest.split_once(':'))
        .map_or("unknown CPU", |(_, name)| name.trim())
        .to_owned();
    let cpus = std::thread::available_parallelism().map_or(0, usize::from);
    let memory_gib = fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|text| {
            text.lines()
                .find_map(|line| line.strip_prefix("MemTotal:"))
                .and_then(|value| value.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        })
        .map_or_else(
            || "unknown".to_owned(),
            |kib| format!("{:.1}", kib as f64 / 1024.0 / 1024.0),
        );
    let kernel = fs::read_to_string("/proc/sys/kernel/osrelease")
        .map(|text| text.trim().to_owned())
        .unwrap_or_else(|_| "unknown".to_owned());
    format!("{model}, {cpus} CPUs, {memory_gib} GiB RAM, Linux {kernel}")
}
