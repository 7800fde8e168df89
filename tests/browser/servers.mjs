// The servers the demo tests run against: a real ott-server serving the demo
// page and the API, and a small static server that serves the same page from
// another origin on 127.0.0.1.
import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { createServer } from "node:http";
import { createServer as createNetServer } from "node:net";
import { tmpdir } from "node:os";
import { extname, join, normalize, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = fileURLToPath(new URL("../../", import.meta.url));
export const WWW_DIR = join(ROOT, "www");
export const PKG_DIR = join(ROOT, "pkg");
const SERVER_BINARY = process.env.OTT_SERVER_BIN ?? join(ROOT, "target/debug/ott-server");
const STARTUP_TIMEOUT_MS = 20_000;

/** Returns a TCP port that is free on 127.0.0.1 right now. */
export async function freePort() {
  const server = createNetServer();
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address();
  server.close();
  await once(server, "close");
  return port;
}

/**
 * Starts ott-server on a free port with a fresh SQLite database in a
 * temporary folder, serving www/ and pkg/. `extraArgs` are appended to the
 * command line. Resolves to `{ origin, databaseFile, log(), stop() }` once the
 * server logs "listening on".
 */
export async function startOttServer(extraArgs = []) {
  const dataDir = await mkdtemp(join(tmpdir(), "ott-demo-test-"));
  const databaseFile = join(dataDir, "demo.sqlite");
  const port = await freePort();
  const args = [
    "--listen", `127.0.0.1:${port}`,
    "--database-url", `sqlite://${databaseFile}`,
    "--data-dir", dataDir,
    "--www-dir", WWW_DIR,
    "--pkg-dir", PKG_DIR,
    ...extraArgs,
  ];
  const child = spawn(SERVER_BINARY, args, {
    cwd: ROOT,
    env: { ...process.env, RUST_LOG: "info", NO_COLOR: "1" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout.setEncoding("utf8").on("data", (chunk) => (output += chunk));
  child.stderr.setEncoding("utf8").on("data", (chunk) => (output += chunk));

  const started = Date.now();
  while (!output.includes("listening on")) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`ott-server exited during start-up (${child.exitCode ?? child.signalCode}):\n${output}`);
    }
    if (Date.now() - started > STARTUP_TIMEOUT_MS) {
      child.kill();
      throw new Error(`ott-server did not log "listening on" within ${STARTUP_TIMEOUT_MS} ms:\n${output}`);
    }
    await new Promise((done) => setTimeout(done, 50));
  }

  return {
    origin: `http://127.0.0.1:${port}`,
    databaseFile,
    log: () => output,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill("SIGTERM");
        await once(child, "exit");
      }
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

const CONTENT_TYPES = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".wasm": "application/wasm",
  ".json": "application/json",
};

/**
 * Starts a static server on `port` of 127.0.0.1 that serves www/ at `/` and
 * pkg/ at `/pkg/`, with the headers ott-server sends for the demo and a
 * Content-Security-Policy that also lets the page call `apiOrigin`.
 * Resolves to `{ origin, stop() }`.
 */
export async function startStaticServer({ port, apiOrigin }) {
  const roots = [
    { prefix: "/pkg/", dir: resolve(PKG_DIR) + sep },
    { prefix: "/", dir: resolve(WWW_DIR) + sep },
  ];
  const headers = {
    "cache-control": "no-store",
    "referrer-policy": "no-referrer",
    "x-content-type-options": "nosniff",
    "content-security-policy":
      "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; img-src 'self' data:; " +
      `connect-src 'self' ${apiOrigin}; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`,
  };

  const server = createServer(async (request, response) => {
    let path = decodeURIComponent(new URL(request.url, "http://127.0.0.1").pathname);
    if (path.endsWith("/")) {
      path += "index.html";
    }
    const root = roots.find(({ prefix }) => path.startsWith(prefix));
    const file = normalize(join(root.dir, path.slice(root.prefix.length)));
    // A path that climbs out of its folder is treated as unknown.
    if (!file.startsWith(root.dir)) {
      response.writeHead(404, { "content-type": "text/plain" }).end("not found");
      return;
    }
    try {
      const body = await readFile(file);
      response.writeHead(200, {
        ...headers,
        "content-type": CONTENT_TYPES[extname(file)] ?? "application/octet-stream",
      });
      response.end(request.method === "HEAD" ? undefined : body);
    } catch {
      response.writeHead(404, { "content-type": "text/plain" }).end("not found");
    }
  });
  server.listen(port, "127.0.0.1");
  await once(server, "listening");

  return {
    origin: `http://127.0.0.1:${port}`,
    stop: () => new Promise((done) => server.close(done)),
  };
}
