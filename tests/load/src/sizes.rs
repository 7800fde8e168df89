//! Download size of the browser clients: ott-client's `.wasm` and JavaScript
//! glue from `pkg/`, against Better Auth 1.7.29's JavaScript client for the
//! same two calls, bundled and minified with esbuild. Sizes are raw and
//! `gzip -9`, the measure `scripts/build-client.sh` prints.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::Path;
use std::process::{Command, Stdio};

use anyhow::{Context, bail};

/// The application Better Auth's client is measured with: the client and
/// the official plugin, calling generate and verify.
const BETTER_AUTH_ENTRY: &str = r#"import { createAuthClient } from "better-auth/client";
import { oneTimeTokenClient } from "better-auth/client/plugins";
const client = createAuthClient({ baseURL: "http://127.0.0.1:3000", plugins: [oneTimeTokenClient()] });
export const generate = () => client.oneTimeToken.generate();
export const verify = (token) => client.oneTimeToken.verify({ token });
"#;

/// Raw and `gzip -9` size of one artifact, in bytes.
#[derive(Debug, Clone, Copy, Default)]
pub struct Size {
    pub raw: usize,
    pub gzip: usize,
}

impl std::ops::Add for Size {
    type Output = Self;

    fn add(self, other: Self) -> Self {
        Self {
            raw: self.raw + other.raw,
            gzip: self.gzip + other.gzip,
        }
    }
}

/// Sizes of both clients, or why one could not be measured.
#[derive(Debug, Default)]
pub struct ClientSizes {
    pub wasm: Option<Size>,
    pub glue: Option<Size>,
    pub glue_minified: Option<Size>,
    pub better_auth: Option<Size>,
    pub notes: Vec<String>,
}

fn gzip_size(bytes: &[u8]) -> anyhow::Result<usize> {
    let mut child = Command::new("gzip")
        .arg("-9")
        .arg("-c")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .context("cannot run gzip")?;
    let mut stdin = child.stdin.take().context("gzip has no stdin")?;
    let input = bytes.to_vec();
    let writer = std::thread::spawn(move || stdin.write_all(&input));
    let output = child.wait_with_output()?;
    writer
        .join()
        .map_err(|_| anyhow::anyhow!("gzip writer thread panicked"))??;
    if !output.status.success() {
        bail!("gzip failed");
    }
    Ok(output.stdout.len())
}

fn measure(bytes: &[u8]) -> anyhow::Result<Size> {
    Ok(Size {
        raw: bytes.len(),
        gzip: gzip_size(bytes)?,
    })
}

/// Runs esbuild with `arguments`, `stdin` as input, in `folder`; returns
/// its output.
fn run_esbuild(esbuild: &Path, folder: &Path, arguments: &[&str], stdin: &[u8]) -> anyhow::Result<Vec<u8>> {
    let mut child = Command::new(esbuild)
        .args(arguments)
        .arg("--log-level=warning")
        .current_dir(folder)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| format!("cannot run {}", esbuild.display()))?;
    let mut input = child.stdin.take().context("esbuild has no stdin")?;
    let bytes = stdin.to_vec();
    let writer = std::thread::spawn(move || input.write_all(&bytes));
    let output = child.wait_with_output()?;
    writer
        .join()
        .map_err(|_| anyhow::anyhow!("esbuild writer thread panicked"))??;
    if !output.status.success() {
        bail!("esbuild failed: {}", String::from_utf8_lossy(&output.stderr));
    }
    Ok(output.stdout)
}

/// Measures both clients. `root` is the workspace; `pkg/` must have been
/// built by `scripts/build-client.sh`, and esbuild is taken from `.tools/`
/// (where that script installs it) or from `tests/interop/node_modules`.
pub fn measure_clients(root: &Path) -> ClientSizes {
    let mut sizes = ClientSizes::default();
    let pkg = root.join("pkg");
    let esbuild = [
        ".tools/node_modules/.bin/esbuild",
        "tests/interop/node_modules/.bin/esbuild",
    ]
    .iter()
    .map(|path| root.join(path))
    .find(|path| path.is_file());

    match std::fs::read(pkg.join("ott_client_bg.wasm"))
        .map_err(anyhow::Error::from)
        .and_then(|bytes| measure(&bytes))
    {
        Ok(size) => sizes.wasm = Some(size),
        Err(err) => sizes.notes.push(format!(
            "pkg/ott_client_bg.wasm not measured: {err:#}; run scripts/build-client.sh"
        )),
    }
    match std::fs::read(pkg.join("ott_client.js")) {
        Ok(glue) => {
            sizes.glue = measure(&glue).ok();
            if let Some(esbuild) = &esbuild {
                match run_esbuild(esbuild, &pkg, &["--minify", "--format=esm"], &glue).and_then(|min| measure(&min)) {
                    Ok(size) => sizes.glue_minified = Some(size),
                    Err(err) => sizes.notes.push(format!("glue not minified: {err:#}")),
                }
            }
        }
        Err(err) => sizes.notes.push(format!("pkg/ott_client.js not measured: {err}")),
    }
    match &esbuild {
        Some(esbuild) => {
            let interop = root.join("tests/interop");
            let arguments = ["--bundle", "--minify", "--format=esm", "--platform=browser"];
            match run_esbuild(esbuild, &interop, &arguments, BETTER_AUTH_ENTRY.as_bytes())
                .and_then(|bundle| measure(&bundle))
            {
                Ok(size) => sizes.better_auth = Some(size),
                Err(err) => sizes.notes.push(format!("Better Auth client not measured: {err:#}")),
            }
        }
        None => sizes
            .notes
            .push("esbuild not found; run scripts/build-client.sh to install it into .tools/".to_owned()),
    }
    sizes
}

fn kib(bytes: usize) -> String {
    format!("{:.1}", bytes as f64 / 1024.0)
}

impl ClientSizes {
    /// Formats the size table.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "{:<46} {:>9} {:>9}",
            "browser client (generate + verify)", "raw KiB", "gzip KiB"
        );
        let mut line = |label: &str, size: Option<Size>| {
            if let Some(size) = size {
                let _ = writeln!(out, "{:<46} {:>9} {:>9}", label, kib(size.raw), kib(size.gzip));
            }
        };
        line("ott-client .wasm", self.wasm);
        line("ott-client JS glue", self.glue);
        line(
            "ott-client .wasm + JS glue",
            self.wasm.zip(self.glue).map(|(a, b)| a + b),
        );
        line(
            "ott-client .wasm + JS glue minified (esbuild)",
            self.wasm.zip(self.glue_minified).map(|(a, b)| a + b),
        );
        line("Better Auth client + plugin, esbuild --minify", self.better_auth);
        for note in &self.notes {
            let _ = writeln!(out, "note: {note}");
        }
        out
    }
}
