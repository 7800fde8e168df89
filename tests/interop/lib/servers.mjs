// Starts and stops the two servers under test on 127.0.0.1: the reference
// Better Auth 1.7.29 server (reference-server.mjs) and the Rust ott-server
// binary. Both print a `listening on http://127.0.0.1:PORT` line once ready.

import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

import { DEFAULT_SECRET } from "../reference-auth.mjs";

export const SECRET = DEFAULT_SECRET;
export const INTEROP_DIR = resolve(dirname(fileURLToPath(import.meta.url)), "..");
export const ROOT_DIR = resolve(INTEROP_DIR, "../..");
/** The ott-server binary; scripts/test-interop.sh sets OTT_SERVER_BIN when the target folder is elsewhere. */
export const OTT_SERVER_BIN = process.env.OTT_SERVER_BIN ?? join(ROOT_DIR, "target/debug/ott-server");

const START_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 5_000;
const MAX_OUTPUT_CHARS = 20_000;

/** Makes a temporary folder and returns its path with a function that removes it. */
export function makeTempDir(prefix) {
  const path = mkdtempSync(join(tmpdir(), `${prefix}-`));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

/** Returns a TCP port on 127.0.0.1 that was free a moment ago. */
export function findFreePort() {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolvePort(port));
    });
  });
}

/**
 * Spawns `command` and resolves once a line of its output matches
 * `listening on http://127.0.0.1:PORT`. Output is kept for error messages.
 */
function spawnUntilListening(name, command, args, env) {
  const child = spawn(command, args, { env, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  return new Promise((resolveStart, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`${name} did not print its listening line within ${START_TIMEOUT_MS} ms; output:\n${output}`));
    }, START_TIMEOUT_MS);
    const onData = (chunk) => {
      // The tail is enough for an error message and keeps memory bounded.
      output = (output + chunk).slice(-MAX_OUTPUT_CHARS);
      const match = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolveStart({ child, url: match[1], output: () => output });
      }
    };
    child.stdout.setEncoding("utf8").on("data", onData);
    child.stderr.setEncoding("utf8").on("data", onData);
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited before listening (code ${code}, signal ${signal}); output:\n${output}`));
    });
  });
}

/** Stops a child process with SIGTERM, then SIGKILL if it has not exited in time. */
function stopChild(child) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolveStop) => {
    const timer = setTimeout(() => child.kill("SIGKILL"), STOP_TIMEOUT_MS);
    child.once("exit", () => {
      clearTimeout(timer);
      resolveStop();
    });
    child.kill("SIGTERM");
  });
}

/**
 * Starts the reference Better Auth server on `database` (a SQLite file path
 * or a postgres:// URL). `env` adds BA_* settings (see reference-server.mjs).
 * Returns `{ kind, baseURL, origin, stop, output }`.
 */
export async function startReferenceServer({ database, env = {} }) {
  const { child, url, output } = await spawnUntilListening(
    "reference server",
    process.execPath,
    [join(INTEROP_DIR, "reference-server.mjs")],
    { ...process.env, BA_DATABASE: database, BA_SECRET: SECRET, ...env },
  );
  return { kind: "reference", baseURL: url, origin: url, output, stop: () => stopChild(child) };
}

/**
 * Starts ott-server on `databaseUrl` with the same secret as the reference
 * server. `args` adds command-line flags. The expiry sweeper is off so
 * that rows a test moved into the past stay until a request meets them.
 * Returns `{ kind, baseURL, origin, stop, output }`.
 */
export async function startOttServer({ databaseUrl, args = [] }) {
  const dataDir = makeTempDir("ott-interop-data");
  const port = await findFreePort();
  const baseURL = `http://127.0.0.1:${port}`;
  const flags = [
    "--listen", `127.0.0.1:${port}`,
    "--base-url", baseURL,
    "--database-url", databaseUrl,
    "--secret", SECRET,
    "--data-dir", dataDir.path,
    // Folders that do not exist: the demo page stays off, so every path is an API path.
    "--www-dir", join(dataDir.path, "no-www"),
    "--pkg-dir", join(dataDir.path, "no-pkg"),
    "--sweep-interval", "0",
    ...args,
  ];
  // The flags above decide, so settings from the caller's environment are dropped.
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => name !== "DATABASE_URL" && !name.startsWith("OTT_")),
  );
  // The listening line is logged at INFO.
  env.RUST_LOG = process.env.RUST_LOG ?? "info";
  const { child, output } = await spawnUntilListening("ott-server", OTT_SERVER_BIN, flags, env);
  return {
    kind: "ours",
    baseURL,
    origin: baseURL,
    output,
    stop: async () => {
      await stopChild(child);
      dataDir.remove();
    },
  };
}
