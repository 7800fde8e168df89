// Records Better Auth 1.7.29's exact wire behaviour into a Markdown transcript
// (default /tmp/ba-transcript.md, or the path given as the first argument).
//
// It starts reference-server.mjs on a fresh SQLite file in a temporary
// directory and puts a recording TCP proxy on 127.0.0.1 in front of it. Every
// case is a real HTTP request, sent with Node's fetch or, where the exact
// header set matters (no Sec-Fetch-* headers, a body without Content-Type),
// with node:http. The proxy keeps the request bytes as the server received
// them and the response head as the server sent it, so the transcript shows
// the headers that fetch adds on its own as well. Requests run one at a time,
// which is what lets the proxy attribute bytes to the current case.
//
// Everything listens on and connects to 127.0.0.1 only.

import { spawn } from "node:child_process";
import { createHash, createHmac, randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import net from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import Database from "better-sqlite3";
import { makeSignature, verifyPassword } from "better-auth/crypto";
import { DEFAULT_SECRET } from "./reference-auth.mjs";
// The package does not export this module, so it is imported by file path to test the hasher directly.
import { defaultKeyHasher } from "./node_modules/better-auth/dist/plugins/one-time-token/utils.mjs";

const scriptDir = dirname(fileURLToPath(import.meta.url));
const transcriptPath = process.argv[2] ?? "/tmp/ba-transcript.md";
const EXTRA_TRUSTED_ORIGIN = "http://localhost:5173";
const UNTRUSTED_ORIGIN = "http://evil.example.test";
const COOKIE_NAME = "better-auth.session_token";
const DAY_MS = 24 * 60 * 60 * 1000;

// ---------------------------------------------------------------------------
// Transcript

const sections = [];
const summaryRows = [];
let caseNumber = 0;

function heading(text) {
  sections.push(`\n## ${text}\n`);
}

function paragraph(text) {
  sections.push(`${text}\n`);
}

function fence(text) {
  const longestRun = Math.max(2, ...(text.match(/`+/g) ?? []).map((run) => run.length));
  const marker = "`".repeat(longestRun + 1);
  return `${marker}\n${text}\n${marker}\n`;
}

/** Describes the key order of a JSON value, recursively, e.g. `{token, user{id, name}}`. */
function describeKeyOrder(value) {
  if (Array.isArray(value)) return value.length ? `[${describeKeyOrder(value[0])}, ...]` : "[]";
  if (value === null || typeof value !== "object") return JSON.stringify(value === null ? null : typeof value);
  const parts = Object.entries(value).map(([key, inner]) =>
    inner !== null && typeof inner === "object" ? `${key}${describeKeyOrder(inner)}` : key,
  );
  return `{${parts.join(", ")}}`;
}

function showBytes(buffer) {
  if (buffer.length === 0) return "(empty, 0 bytes)";
  const text = buffer.toString("utf8");
  if (Buffer.from(text, "utf8").equals(buffer) && !/[\x00-\x08\x0e-\x1f]/.test(text)) return text;
  return `(binary, hex) ${buffer.toString("hex")}`;
}

// ---------------------------------------------------------------------------
// Recording proxy

const recorder = { request: [], response: [] };
let upstreamPort = 0;

function startProxy() {
  const proxy = net.createServer((client) => {
    const upstream = net.connect(upstreamPort, "127.0.0.1");
    client.on("data", (chunk) => recorder.request.push(chunk));
    upstream.on("data", (chunk) => recorder.response.push(chunk));
    client.pipe(upstream);
    upstream.pipe(client);
    client.on("error", () => upstream.destroy());
    upstream.on("error", () => client.destroy());
    client.on("close", () => upstream.destroy());
    upstream.on("close", () => client.destroy());
  });
  return new Promise((resolve, reject) => {
    proxy.once("error", reject);
    proxy.listen(0, "127.0.0.1", () => resolve(proxy));
  });
}

function takeRecording() {
  const request = Buffer.concat(recorder.request);
  const response = Buffer.concat(recorder.response);
  recorder.request = [];
  recorder.response = [];
  const headEnd = response.indexOf("\r\n\r\n");
  const responseHead = headEnd === -1 ? response.toString("latin1") : response.subarray(0, headEnd).toString("latin1");
  return { request, responseHead };
}

// ---------------------------------------------------------------------------
// Reference servers

async function startReferenceServer(name, environment) {
  const directory = mkdtempSync(join(tmpdir(), `ba-capture-${name}-`));
  const databasePath = join(directory, "auth.sqlite");
  const proxy = await startProxy();
  const proxyPort = proxy.address().port;
  const baseURL = `http://127.0.0.1:${proxyPort}`;

  const child = spawn(process.execPath, [join(scriptDir, "reference-server.mjs")], {
    env: {
      PATH: process.env.PATH,
      BA_PORT: "0",
      BA_DATABASE: databasePath,
      BA_BASE_URL: baseURL,
      BA_TRUSTED_ORIGINS: EXTRA_TRUSTED_ORIGIN,
      ...environment,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr.on("data", (chunk) => {
    stderr += chunk;
  });
  const port = await new Promise((resolve, reject) => {
    let stdout = "";
    child.stdout.on("data", (chunk) => {
      stdout += chunk;
      const match = stdout.match(/listening on http:\/\/127\.0\.0\.1:(\d+)/);
      if (match) resolve(Number(match[1]));
    });
    child.once("exit", (code) => reject(new Error(`reference server exited with ${code} before listening: ${stderr}`)));
  });
  upstreamPort = port;

  const stop = async () => {
    const exited = new Promise((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
    child.kill("SIGTERM");
    const result = await exited;
    proxy.close();
    rmSync(directory, { recursive: true, force: true });
    return result;
  };
  return { baseURL, origin: baseURL, database: new Database(databasePath), stop, stderr: () => stderr };
}

// ---------------------------------------------------------------------------
// Requests

let server;

/** Sends one request with Node's fetch (or node:http when `client` is "http") and records it in the transcript. */
async function send(title, { method = "GET", path, headers = {}, body, note, client = "fetch" }) {
  caseNumber += 1;
  const url = `${server.baseURL}/api/auth${path}`;
  const response = client === "fetch" ? await sendWithFetch(url, method, headers, body) : await sendWithHttp(url, method, headers, body);
  const { request, responseHead } = takeRecording();

  heading(`${caseNumber}. ${title}`);
  if (note) paragraph(note);
  paragraph(`Sent with ${client === "fetch" ? "Node's fetch" : "node:http (no headers beyond those listed)"}. Request as received by the server:`);
  sections.push(fence(showBytes(request).replaceAll("\r\n", "\n")));
  paragraph("Response head as sent by the server:");
  sections.push(fence(responseHead.replaceAll("\r\n", "\n")));
  paragraph(`Response body (${response.body.length} bytes):`);
  sections.push(fence(showBytes(response.body)));

  let json;
  try {
    json = response.body.length ? JSON.parse(response.body.toString("utf8")) : undefined;
  } catch {
    json = undefined;
  }
  if (json !== undefined && json !== null && typeof json === "object") {
    paragraph(`JSON key order: \`${describeKeyOrder(json)}\``);
  }
  const code = json && typeof json === "object" && !Array.isArray(json) ? json.code ?? "" : "";
  const message = json && typeof json === "object" && !Array.isArray(json) ? json.message ?? "" : "";
  summaryRows.push(`| ${caseNumber} | ${title} | ${response.status} | ${code} | ${message} |`);
  return { ...response, json };
}

async function sendWithFetch(url, method, headers, body) {
  const response = await fetch(url, { method, headers, body, redirect: "manual" });
  const buffer = Buffer.from(await response.arrayBuffer());
  return { status: response.status, headers: response.headers, setCookies: response.headers.getSetCookie(), body: buffer };
}

function sendWithHttp(url, method, headers, body) {
  return new Promise((resolve, reject) => {
    const allHeaders = body === undefined ? headers : { ...headers, "content-length": Buffer.byteLength(body) };
    const request = http.request(url, { method, headers: allHeaders, agent: false }, (response) => {
      const chunks = [];
      response.on("data", (chunk) => chunks.push(chunk));
      response.on("end", () => {
        const setCookies = response.headers["set-cookie"] ?? [];
        resolve({ status: response.statusCode, headers: new Headers(response.headers), setCookies, body: Buffer.concat(chunks) });
      });
    });
    request.on("error", reject);
    if (body !== undefined) request.write(body);
    request.end();
  });
}

function jsonHeaders() {
  return { "content-type": "application/json" };
}

/** Returns `name=value` of the session cookie among the response's Set-Cookie lines. */
function sessionCookieFrom(response) {
  const line = response.setCookies.find((candidate) => candidate.startsWith(`${COOKIE_NAME}=`));
  if (!line) throw new Error(`response set no session cookie: ${JSON.stringify(response.setCookies)}`);
  return line.split(";")[0];
}

function signCookieValue(token, secret = DEFAULT_SECRET) {
  const signature = createHmac("sha256", secret).update(token).digest("base64");
  return encodeURIComponent(`${token}.${signature}`);
}

function randomToken() {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  return Array.from(randomBytes(32), (byte) => alphabet[byte % alphabet.length]).join("");
}

function sessionRow(token) {
  return server.database.prepare('select * from "session" where "token" = ?').get(token);
}

function showRows(title, rows) {
  paragraph(`${title}:`);
  sections.push(fence(rows.map((row) => JSON.stringify(row)).join("\n") || "(no rows)"));
}

// ---------------------------------------------------------------------------
// Cases

async function signUp(name, email, extraHeaders = {}) {
  return send(`sign-up ${email}`, {
    method: "POST",
    path: "/sign-up/email",
    headers: { ...jsonHeaders(), origin: server.origin, ...extraHeaders },
    body: JSON.stringify({ name, email, password: "password1234" }),
  });
}

async function signUpCases() {
  heading("Sign-up");
  const alice = await signUp("Alice", "alice@example.test");
  const aliceToken = alice.json.token;

  await send("sign-up with node:http, no Origin, no Sec-Fetch-* (curl-like)", {
    client: "http",
    method: "POST",
    path: "/sign-up/email",
    headers: jsonHeaders(),
    body: JSON.stringify({ name: "Carol", email: "carol@example.test", password: "password1234" }),
  });
  await send("sign-up with fetch, no Origin (fetch adds sec-fetch-mode: cors)", {
    method: "POST",
    path: "/sign-up/email",
    headers: jsonHeaders(),
    body: JSON.stringify({ name: "Dave", email: "dave@example.test", password: "password1234" }),
  });
  await send("sign-up with existing email", {
    method: "POST",
    path: "/sign-up/email",
    headers: { ...jsonHeaders(), origin: server.origin },
    body: JSON.stringify({ name: "Alice", email: "alice@example.test", password: "password1234" }),
  });
  await send("sign-up with existing email in upper case", {
    method: "POST",
    path: "/sign-up/email",
    headers: { ...jsonHeaders(), origin: server.origin },
    body: JSON.stringify({ name: "Alice", email: "ALICE@Example.Test", password: "password1234" }),
  });

  const bodies = [
    ["password of 7 characters", { name: "X", email: "short@example.test", password: "1234567" }],
    ["password of 8 characters (minimum)", { name: "X", email: "eight@example.test", password: "12345678" }],
    ["password of 128 characters (maximum)", { name: "X", email: "max@example.test", password: "a".repeat(128) }],
    ["password of 129 characters", { name: "X", email: "long@example.test", password: "a".repeat(129) }],
    ["missing name", { email: "noname@example.test", password: "password1234" }],
    ["missing email", { name: "X", password: "password1234" }],
    ["missing password", { name: "X", email: "nopass@example.test" }],
    ["name is a number", { name: 1, email: "num@example.test", password: "password1234" }],
    ["password is a number", { name: "X", email: "numpass@example.test", password: 12345678 }],
    ["email is not an email", { name: "X", email: "not-an-email", password: "password1234" }],
    ["empty name", { name: "", email: "emptyname@example.test", password: "password1234" }],
    ["empty object {}", {}],
    ["JSON null", null],
    ["JSON array", []],
  ];
  for (const [label, body] of bodies) {
    await send(`sign-up, ${label}`, {
      method: "POST",
      path: "/sign-up/email",
      headers: { ...jsonHeaders(), origin: server.origin },
      body: JSON.stringify(body),
    });
  }
  await send("sign-up, application/json with empty body", {
    method: "POST",
    path: "/sign-up/email",
    headers: { ...jsonHeaders(), origin: server.origin },
    body: "",
  });
  await send("sign-up, no body and no Content-Type", {
    client: "http",
    method: "POST",
    path: "/sign-up/email",
    headers: { origin: server.origin },
  });
  await send("sign-up, JSON body without Content-Type", {
    client: "http",
    method: "POST",
    path: "/sign-up/email",
    headers: { origin: server.origin },
    body: JSON.stringify({ name: "X", email: "noct@example.test", password: "password1234" }),
  });
  await send("sign-up, JSON body as text/plain", {
    method: "POST",
    path: "/sign-up/email",
    headers: { "content-type": "text/plain", origin: server.origin },
    body: JSON.stringify({ name: "X", email: "text@example.test", password: "password1234" }),
  });
  await send("sign-up, form content type", {
    method: "POST",
    path: "/sign-up/email",
    headers: { "content-type": "application/x-www-form-urlencoded", origin: server.origin },
    body: "name=X&email=form%40example.test&password=password1234",
  });
  await send("sign-up, Content-Type application/json; charset=utf-8", {
    method: "POST",
    path: "/sign-up/email",
    headers: { "content-type": "application/json; charset=utf-8", origin: server.origin },
    body: JSON.stringify({ name: "Erin", email: "erin@example.test", password: "password1234" }),
  });
  await send("sign-up, Content-Type application/vnd.api+json", {
    method: "POST",
    path: "/sign-up/email",
    headers: { "content-type": "application/vnd.api+json", origin: server.origin },
    body: JSON.stringify({ name: "X", email: "vnd@example.test", password: "password1234" }),
  });
  await send("sign-up, malformed JSON", {
    method: "POST",
    path: "/sign-up/email",
    headers: { ...jsonHeaders(), origin: server.origin },
    body: '{"name": "X",',
  });
  await send("sign-up, untrusted Origin", {
    method: "POST",
    path: "/sign-up/email",
    headers: { ...jsonHeaders(), origin: UNTRUSTED_ORIGIN },
    body: JSON.stringify({ name: "X", email: "evil@example.test", password: "password1234" }),
  });
  await send("sign-up, untrusted Origin, node:http (no Sec-Fetch-*)", {
    client: "http",
    method: "POST",
    path: "/sign-up/email",
    headers: { ...jsonHeaders(), origin: UNTRUSTED_ORIGIN },
    body: JSON.stringify({ name: "X", email: "evil2@example.test", password: "password1234" }),
  });
  await send("sign-up, configured trusted origin (BA_TRUSTED_ORIGINS)", {
    method: "POST",
    path: "/sign-up/email",
    headers: { ...jsonHeaders(), origin: EXTRA_TRUSTED_ORIGIN },
    body: JSON.stringify({ name: "Frank", email: "frank@example.test", password: "password1234" }),
  });
  await send("sign-up, Origin: null", {
    method: "POST",
    path: "/sign-up/email",
    headers: { ...jsonHeaders(), origin: "null" },
    body: JSON.stringify({ name: "X", email: "nullorigin@example.test", password: "password1234" }),
  });
  await send("sign-up, cross-site navigation (Sec-Fetch-Site cross-site, Sec-Fetch-Mode navigate)", {
    client: "http",
    method: "POST",
    path: "/sign-up/email",
    headers: { ...jsonHeaders(), "sec-fetch-site": "cross-site", "sec-fetch-mode": "navigate", "sec-fetch-dest": "document" },
    body: JSON.stringify({ name: "X", email: "nav@example.test", password: "password1234" }),
  });

  paragraph("### Ordering of origin check, body parsing and validation on sign-up");
  await send("sign-up, untrusted Origin and body {} (no cookie)", {
    method: "POST",
    path: "/sign-up/email",
    headers: { ...jsonHeaders(), origin: UNTRUSTED_ORIGIN },
    body: "{}",
  });
  await send("sign-up, untrusted Origin and malformed JSON (no cookie)", {
    method: "POST",
    path: "/sign-up/email",
    headers: { ...jsonHeaders(), origin: UNTRUSTED_ORIGIN },
    body: "{",
  });
  await send("sign-up, untrusted Origin and existing email (no cookie)", {
    method: "POST",
    path: "/sign-up/email",
    headers: { ...jsonHeaders(), origin: UNTRUSTED_ORIGIN },
    body: JSON.stringify({ name: "Alice", email: "alice@example.test", password: "password1234" }),
  });
  await send("sign-up, Cookie + untrusted Origin and body {}", {
    method: "POST",
    path: "/sign-up/email",
    headers: { ...jsonHeaders(), origin: UNTRUSTED_ORIGIN, cookie: sessionCookieFrom(alice) },
    body: "{}",
  });
  await send("sign-up, Cookie + untrusted Origin and malformed JSON", {
    method: "POST",
    path: "/sign-up/email",
    headers: { ...jsonHeaders(), origin: UNTRUSTED_ORIGIN, cookie: sessionCookieFrom(alice) },
    body: "{",
  });
  await send("sign-up, Cookie + untrusted Origin and text/plain body", {
    method: "POST",
    path: "/sign-up/email",
    headers: { "content-type": "text/plain", origin: UNTRUSTED_ORIGIN, cookie: sessionCookieFrom(alice) },
    body: "{}",
  });

  const rows = server.database.prepare('select * from "user" where "email" in (?, ?, ?)').all("alice@example.test", "max@example.test", "erin@example.test");
  showRows("user rows after sign-up (alice, max, erin)", rows);
  showRows("account row of alice", server.database.prepare('select * from "account" where "userId" = ?').all(alice.json.user.id));
  showRows("session row of alice's sign-up session", [sessionRow(aliceToken)]);
  return { alice };
}

async function signInCases() {
  heading("Sign-in");
  const signIn = (title, body, extra = {}) =>
    send(title, {
      method: "POST",
      path: "/sign-in/email",
      headers: { ...jsonHeaders(), origin: server.origin, ...extra.headers },
      body: JSON.stringify(body),
      client: extra.client,
      note: extra.note,
    });

  const remembered = await signIn("sign-in success", { email: "alice@example.test", password: "password1234" });
  const forgetful = await signIn("sign-in success with rememberMe:false", {
    email: "alice@example.test",
    password: "password1234",
    rememberMe: false,
  });

  await signIn("sign-in with rememberMe:true", { email: "alice@example.test", password: "password1234", rememberMe: true });
  await signIn("sign-in wrong password", { email: "alice@example.test", password: "wrong-password" });
  await signIn("sign-in unknown email", { email: "nobody@example.test", password: "password1234" });
  await signIn("sign-in uppercase email", { email: "ALICE@EXAMPLE.TEST", password: "password1234" });
  await signIn("sign-in password of 7 characters", { email: "alice@example.test", password: "1234567" });
  await signIn("sign-in password of 129 characters", { email: "alice@example.test", password: "a".repeat(129) });
  await signIn("sign-in missing password", { email: "alice@example.test" });
  await signIn("sign-in email not an email", { email: "alice", password: "password1234" });
  await signIn("sign-in rememberMe as string", { email: "alice@example.test", password: "password1234", rememberMe: "no" });
  await signIn("sign-in {}", {});

  await signIn("sign-in, untrusted Origin", { email: "alice@example.test", password: "password1234" }, { headers: { origin: UNTRUSTED_ORIGIN } });

  const forwardedCases = [
    ["two addresses", "203.0.113.7, 198.51.100.1"],
    ["one address", "203.0.113.7"],
    ["not an address", "unknown"],
  ];
  for (const [label, value] of forwardedCases) {
    const response = await signIn(`sign-in with X-Forwarded-For (${label}) and User-Agent`, { email: "alice@example.test", password: "password1234" }, {
      headers: { "x-forwarded-for": value, "user-agent": "CaptureAgent/1.0" },
      note: "Shows which address Better Auth stores as ipAddress (a header value only; nothing is sent to these addresses).",
    });
    const stored = server.database.prepare('select "ipAddress", "userAgent" from "session" where "token" = ?').get(response.json.token);
    showRows(`ipAddress and userAgent stored for X-Forwarded-For: ${value}`, [stored]);
  }

  showRows("session rows of remembered and rememberMe:false sign-ins", [
    sessionRow(remembered.json.token),
    sessionRow(forgetful.json.token),
  ]);
  return { remembered, forgetful };
}

async function getSessionCases({ alice, remembered, forgetful }) {
  heading("get-session");
  const cookie = sessionCookieFrom(remembered);
  const token = remembered.json.token;
  await send("get-session without cookie", { path: "/get-session" });
  await send("get-session with valid cookie", { path: "/get-session", headers: { cookie } });
  const rawCookie = `${COOKIE_NAME}=${decodeURIComponent(cookie.split("=").slice(1).join("="))}`;
  await send("get-session with valid cookie, signature not percent-encoded", { path: "/get-session", headers: { cookie: rawCookie } });
  const tampered = cookie.replace(/.%3D$/, (tail) => (tail[0] === "A" ? "B" : "A") + "%3D");
  await send("get-session with tampered signature", { path: "/get-session", headers: { cookie: tampered } });
  await send("get-session with token only (no signature)", { path: "/get-session", headers: { cookie: `${COOKIE_NAME}=${token}` } });
  const unknown = randomToken();
  await send("get-session with unknown token, correctly signed", {
    path: "/get-session",
    headers: { cookie: `${COOKIE_NAME}=${signCookieValue(unknown)}` },
  });
  await send("get-session with rememberMe:false cookies", {
    path: "/get-session",
    headers: { cookie: forgetful.setCookies.map((line) => line.split(";")[0]).join("; ") },
  });
  await send("get-session with disableRefresh=true query", { path: "/get-session?disableRefresh=true", headers: { cookie } });

  // Better Auth 1.7.29 extends a session on get-session when
  // expiresAt - expiresIn + updateAge <= now, that is, when it was issued or last
  // extended more than updateAge (1 day) ago. Moving expiresAt to 5 days ahead
  // of a 7-day lifetime meets that condition.
  const aged = sessionRow(token);
  const twoDaysAgo = new Date(Date.now() - 2 * DAY_MS).toISOString();
  const fiveDaysAhead = new Date(Date.now() + 5 * DAY_MS).toISOString();
  server.database
    .prepare('update "session" set "createdAt" = ?, "updatedAt" = ?, "expiresAt" = ? where "token" = ?')
    .run(twoDaysAgo, twoDaysAgo, fiveDaysAhead, token);
  showRows("session row before the update", [aged]);
  showRows("session row after setting createdAt/updatedAt 2 days back and expiresAt 5 days ahead", [sessionRow(token)]);
  await send("get-session, session older than 1 day", { path: "/get-session", headers: { cookie } });
  showRows("session row after that get-session", [sessionRow(token)]);
  await send("get-session again right after the refresh", { path: "/get-session", headers: { cookie } });

  // A rememberMe:false session aged the same way, to show whether it is extended.
  const forgetfulToken = forgetful.json.token;
  server.database
    .prepare('update "session" set "createdAt" = ?, "updatedAt" = ?, "expiresAt" = ? where "token" = ?')
    .run(twoDaysAgo, twoDaysAgo, fiveDaysAhead, forgetfulToken);
  await send("get-session, rememberMe:false session older than 1 day, both cookies sent", {
    path: "/get-session",
    headers: { cookie: forgetful.setCookies.map((line) => line.split(";")[0]).join("; ") },
  });
  showRows("rememberMe:false session row after that get-session", [sessionRow(forgetfulToken)]);

  // A session past its expiresAt.
  const expiredLogin = await send("sign-in (session to expire)", {
    method: "POST",
    path: "/sign-in/email",
    headers: { ...jsonHeaders(), origin: server.origin },
    body: JSON.stringify({ email: "alice@example.test", password: "password1234" }),
  });
  server.database
    .prepare('update "session" set "expiresAt" = ? where "token" = ?')
    .run(new Date(Date.now() - 60_000).toISOString(), expiredLogin.json.token);
  await send("get-session, session expired (expiresAt 1 minute ago)", {
    path: "/get-session",
    headers: { cookie: sessionCookieFrom(expiredLogin) },
  });
  showRows("expired session row after that get-session", [sessionRow(expiredLogin.json.token) ?? "(deleted)"]);
  await send("get-session with cookie + untrusted Origin (GET)", { path: "/get-session", headers: { cookie, origin: UNTRUSTED_ORIGIN } });
  await send("POST get-session", { method: "POST", path: "/get-session", headers: { cookie, origin: server.origin } });
}

async function sessionListCases({ alice, remembered }) {
  heading("list-sessions and revoke-session");
  const cookie = sessionCookieFrom(remembered);
  await send("list-sessions with cookie of a session created 2 days ago", {
    path: "/list-sessions",
    headers: { cookie },
    note: "This session's createdAt was moved 2 days back above; list-sessions needs a session younger than freshAge (1 day by default).",
  });
  await send("list-sessions without cookie", { path: "/list-sessions" });

  const other = await send("sign-in alice again (session to revoke)", {
    method: "POST",
    path: "/sign-in/email",
    headers: { ...jsonHeaders(), origin: server.origin },
    body: JSON.stringify({ email: "alice@example.test", password: "password1234" }),
  });
  await send("list-sessions with a fresh cookie", { path: "/list-sessions", headers: { cookie: sessionCookieFrom(other) } });
  showRows(
    "alice's session rows in insertion order (for comparing the list order)",
    server.database.prepare('select "id", "createdAt", "expiresAt" from "session" where "userId" = ? order by rowid').all(remembered.json.user.id),
  );
  const bob = await signUp("Bob", "bob@example.test");
  const post = (title, body, headers = {}) =>
    send(title, {
      method: "POST",
      path: "/revoke-session",
      headers: { ...jsonHeaders(), origin: server.origin, cookie, ...headers },
      body,
    });
  await post("revoke-session, own other session", JSON.stringify({ token: other.json.token }));
  paragraph(`Row of the revoked session afterwards: ${JSON.stringify(sessionRow(other.json.token) ?? null)}`);
  await post("revoke-session, same token again", JSON.stringify({ token: other.json.token }));
  await post("revoke-session, unknown token", JSON.stringify({ token: randomToken() }));
  await post("revoke-session, someone else's session", JSON.stringify({ token: bob.json.token }));
  paragraph(`Bob's session row afterwards: ${sessionRow(bob.json.token) ? "still present" : "deleted"}`);
  await post("revoke-session, missing token field", "{}");
  await post("revoke-session, token is a number", JSON.stringify({ token: 5 }));
  const own = await send("sign-in alice again (session that revokes itself)", {
    method: "POST",
    path: "/sign-in/email",
    headers: { ...jsonHeaders(), origin: server.origin },
    body: JSON.stringify({ email: "alice@example.test", password: "password1234" }),
  });
  await post("revoke-session, the session's own token", JSON.stringify({ token: own.json.token }), { cookie: sessionCookieFrom(own) });
  await send("revoke-session without cookie", {
    method: "POST",
    path: "/revoke-session",
    headers: { ...jsonHeaders(), origin: server.origin },
    body: JSON.stringify({ token: bob.json.token }),
  });
  await send("revoke-session without cookie, body {} (validation or session check first?)", {
    method: "POST",
    path: "/revoke-session",
    headers: { ...jsonHeaders(), origin: server.origin },
    body: "{}",
  });
  await send("revoke-session, cookie and no Origin", {
    method: "POST",
    path: "/revoke-session",
    headers: { ...jsonHeaders(), cookie },
    body: JSON.stringify({ token: bob.json.token }),
  });
  return { bob };
}

async function oneTimeTokenCases({ remembered, bob }) {
  heading("one-time-token/generate");
  const cookie = sessionCookieFrom(remembered);
  const token = remembered.json.token;
  await send("generate without cookie", { path: "/one-time-token/generate" });
  const generated = await send("generate with cookie", { path: "/one-time-token/generate", headers: { cookie } });
  showRows("verification row written by generate", server.database.prepare('select * from "verification" where "identifier" = ?').all(`one-time-token:${generated.json.token}`));
  await send("generate with bearer raw session token", { path: "/one-time-token/generate", headers: { authorization: `Bearer ${token}` } });
  await send("generate with bearer signed token (percent-encoded)", {
    path: "/one-time-token/generate",
    headers: { authorization: `Bearer ${signCookieValue(token)}` },
  });
  await send("generate with bearer signed token (raw)", {
    path: "/one-time-token/generate",
    headers: { authorization: `Bearer ${decodeURIComponent(signCookieValue(token))}` },
  });
  await send("generate with lower-case scheme 'bearer'", { path: "/one-time-token/generate", headers: { authorization: `bearer ${token}` } });
  await send("generate with badly signed bearer beside a valid cookie", {
    path: "/one-time-token/generate",
    headers: { cookie: sessionCookieFrom(bob), authorization: `Bearer ${token}.${"A".repeat(43)}=` },
    note: "Cookie is Bob's session; bearer names Alice's token with a wrong signature.",
  });
  await send("generate with badly signed bearer and no cookie", {
    path: "/one-time-token/generate",
    headers: { authorization: `Bearer ${token}.${"A".repeat(43)}=` },
  });
  await send("generate with unknown raw bearer beside a valid cookie", {
    path: "/one-time-token/generate",
    headers: { cookie, authorization: `Bearer ${randomToken()}` },
  });
  const mixed = await send("generate with raw bearer of Bob beside Alice's cookie", {
    path: "/one-time-token/generate",
    headers: { cookie, authorization: `Bearer ${bob.json.token}` },
  });
  const mixedRow = server.database.prepare('select "value" from "verification" where "identifier" = ?').get(`one-time-token:${mixed.json.token}`);
  paragraph(`The token generated above points at ${mixedRow?.value === bob.json.token ? "Bob's session (the bearer)" : mixedRow?.value === token ? "Alice's session (the cookie)" : JSON.stringify(mixedRow)}.`);
  await send("generate with Authorization: Basic beside a valid cookie", {
    path: "/one-time-token/generate",
    headers: { cookie, authorization: "Basic YWxpY2U6cGFzc3dvcmQ=" },
  });
  await send("generate with empty bearer", { path: "/one-time-token/generate", headers: { authorization: "Bearer " } });
  await send("generate with bearer of an odd value (dots and percent)", {
    path: "/one-time-token/generate",
    headers: { authorization: "Bearer a.b.c%zz" },
  });
  await send("POST on generate", { method: "POST", path: "/one-time-token/generate", headers: { cookie, origin: server.origin } });
  await send("get-session with bearer raw token", { path: "/get-session", headers: { authorization: `Bearer ${token}` } });

  heading("one-time-token/verify");
  const generate = async () => (await send("generate (for the next case)", { path: "/one-time-token/generate", headers: { cookie } })).json.token;
  const verify = (title, body, headers = jsonHeaders(), extra = {}) =>
    send(title, { method: "POST", path: "/one-time-token/verify", headers, body, ...extra });

  const fresh = await generate();
  await verify("verify fresh token (no cookie, no Origin)", JSON.stringify({ token: fresh }));
  showRows("sessions of alice after verify", server.database.prepare('select "id", "token", "expiresAt" from "session" where "userId" = ?').all(remembered.json.user.id));
  await verify("verify the same token again", JSON.stringify({ token: fresh }));
  await verify("verify unknown token", JSON.stringify({ token: "unknown-token-0123456789abcdefghi" }));
  await verify("verify {}", "{}");
  await verify('verify {"token":123}', JSON.stringify({ token: 123 }));
  await verify('verify {"token":""}', JSON.stringify({ token: "" }));
  await verify("verify JSON null", "null");
  await verify("verify no body, no Content-Type", undefined, {}, { client: "http" });
  await verify("verify application/json, empty body", "");
  await verify("verify malformed JSON", "{");
  const textToken = await generate();
  await verify("verify text/plain body", JSON.stringify({ token: textToken }), { "content-type": "text/plain" });
  await verify("verify form body", `token=${textToken}`, { "content-type": "application/x-www-form-urlencoded" });
  await verify("verify after the 415s: the token is still there", JSON.stringify({ token: textToken }));

  const signOutLogin = await send("sign-in (session to sign out)", {
    method: "POST",
    path: "/sign-in/email",
    headers: { ...jsonHeaders(), origin: server.origin },
    body: JSON.stringify({ email: "alice@example.test", password: "password1234" }),
  });
  const signOutCookie = sessionCookieFrom(signOutLogin);
  const orphan = (await send("generate on that session", { path: "/one-time-token/generate", headers: { cookie: signOutCookie } })).json.token;
  await send("sign-out that session", { method: "POST", path: "/sign-out", headers: { cookie: signOutCookie, origin: server.origin } });
  await verify("verify token whose session was signed out", JSON.stringify({ token: orphan }));

  const expiringLogin = await send("sign-in (session to expire)", {
    method: "POST",
    path: "/sign-in/email",
    headers: { ...jsonHeaders(), origin: server.origin },
    body: JSON.stringify({ email: "alice@example.test", password: "password1234" }),
  });
  const stale = (await send("generate on that session", { path: "/one-time-token/generate", headers: { cookie: sessionCookieFrom(expiringLogin) } })).json.token;
  server.database
    .prepare('update "session" set "expiresAt" = ? where "token" = ?')
    .run(new Date(Date.now() - 60_000).toISOString(), expiringLogin.json.token);
  await verify("verify token whose session expired (session.expiresAt 1 minute ago)", JSON.stringify({ token: stale }));
  showRows("that session row afterwards", [sessionRow(expiringLogin.json.token) ?? "(deleted)"]);

  const late = await generate();
  server.database
    .prepare('update "verification" set "expiresAt" = ? where "identifier" = ?')
    .run(new Date(Date.now() - 60_000).toISOString(), `one-time-token:${late}`);
  await verify("verify token past its expiresAt (verification.expiresAt 1 minute ago)", JSON.stringify({ token: late }));
  showRows("that verification row afterwards", server.database.prepare('select * from "verification" where "identifier" = ?').all(`one-time-token:${late}`));

  heading("Origin checks on POST with a Cookie (verify)");
  const guarded = await generate();
  const verifyWith = (title, headers, body = JSON.stringify({ token: guarded }), extra = {}) =>
    verify(title, body, { ...jsonHeaders(), cookie: sessionCookieFrom(bob), ...headers }, extra);
  await verifyWith("verify with Cookie and no Origin", {});
  await verifyWith("verify with Cookie and no Origin, node:http (no Sec-Fetch-*)", {}, undefined, { client: "http" });
  await verifyWith("verify with Cookie and Origin: null", { origin: "null" });
  await verifyWith("verify with Cookie and untrusted Origin", { origin: UNTRUSTED_ORIGIN });
  await verifyWith("verify with Cookie and untrusted Referer only", { referer: `${UNTRUSTED_ORIGIN}/page` });
  await verifyWith("verify with Cookie, untrusted Origin and body {}", { origin: UNTRUSTED_ORIGIN }, "{}");
  await verifyWith("verify with Cookie, untrusted Origin and malformed JSON", { origin: UNTRUSTED_ORIGIN }, "{");
  await verify("verify with Cookie, untrusted Origin and text/plain", JSON.stringify({ token: guarded }), {
    "content-type": "text/plain",
    cookie: sessionCookieFrom(bob),
    origin: UNTRUSTED_ORIGIN,
  });
  await verify("verify with untrusted Origin and no Cookie", JSON.stringify({ token: "not-a-real-token" }), {
    ...jsonHeaders(),
    origin: UNTRUSTED_ORIGIN,
  });
  await verifyWith("verify with Cookie and trusted Referer only (same token: the 403s above consumed nothing)", {
    referer: `${server.origin}/some/page?x=1`,
  });
  const sameOriginNull = await generate();
  await verify("verify with Cookie, Origin: null and Sec-Fetch-Site: same-origin", JSON.stringify({ token: sameOriginNull }), {
    ...jsonHeaders(),
    cookie: sessionCookieFrom(bob),
    origin: "null",
    "sec-fetch-site": "same-origin",
  });
  const secondGuarded = await generate();
  await verify("verify with Cookie and configured trusted Origin", JSON.stringify({ token: secondGuarded }), {
    ...jsonHeaders(),
    cookie: sessionCookieFrom(bob),
    origin: EXTRA_TRUSTED_ORIGIN,
  });
  await verify("verify with Authorization bearer only, no Origin", JSON.stringify({ token: "not-a-real-token" }), {
    ...jsonHeaders(),
    authorization: `Bearer ${token}`,
  });

  await concurrentVerify(cookie);

  heading("Methods, paths, preflight");
  await send("GET on verify", { path: "/one-time-token/verify" });
  await send("HEAD on verify", { method: "HEAD", path: "/one-time-token/verify" });
  await send("PUT on verify", { method: "PUT", path: "/one-time-token/verify", headers: jsonHeaders(), body: "{}" });
  await send("unknown path", { path: "/no-such-route" });
  await send("path with trailing slash", { path: "/ok/" });
  await send("OPTIONS preflight on verify", {
    method: "OPTIONS",
    path: "/one-time-token/verify",
    headers: { origin: EXTRA_TRUSTED_ORIGIN, "access-control-request-method": "POST", "access-control-request-headers": "content-type" },
  });
  await send("POST verify from a trusted cross origin (CORS headers?)", {
    method: "POST",
    path: "/one-time-token/verify",
    headers: { ...jsonHeaders(), origin: EXTRA_TRUSTED_ORIGIN },
    body: JSON.stringify({ token: "not-a-real-token" }),
  });
  await send("/ok", { path: "/ok" });
  await send("HEAD /ok", { method: "HEAD", path: "/ok" });
  await send("/error", { path: "/error" });
  await send("one-time-token-session/generate (alias path of the session plugin)", { path: "/one-time-token-session/generate", headers: { cookie } });
}

/**
 * Redeems one token with several simultaneous requests. They bypass the
 * recording proxy, whose attribution needs one request at a time, so only the
 * statuses go into the transcript.
 */
async function concurrentVerify(cookie) {
  heading("Concurrent redemption of one token");
  const attempts = 8;
  const statuses = [];
  for (let round = 0; round < 5; round += 1) {
    const generated = await fetch(`http://127.0.0.1:${upstreamPort}/api/auth/one-time-token/generate`, { headers: { cookie } });
    const { token } = await generated.json();
    const responses = await Promise.all(
      Array.from({ length: attempts }, () =>
        fetch(`http://127.0.0.1:${upstreamPort}/api/auth/one-time-token/verify`, {
          method: "POST",
          headers: jsonHeaders(),
          body: JSON.stringify({ token }),
        }).then(async (response) => `${response.status} ${await response.text().then((text) => (response.status === 200 ? "(session)" : text))}`),
      ),
    );
    statuses.push(`round ${round + 1}: ${responses.join(" | ")}`);
  }
  paragraph(`${attempts} simultaneous verify requests per token, 5 tokens (not recorded by the proxy):`);
  sections.push(fence(statuses.join("\n")));
}

async function signOutCases({ alice }) {
  heading("sign-out");
  const login = await send("sign-in (session to sign out)", {
    method: "POST",
    path: "/sign-in/email",
    headers: { ...jsonHeaders(), origin: server.origin },
    body: JSON.stringify({ email: "alice@example.test", password: "password1234" }),
  });
  const cookie = sessionCookieFrom(login);
  await send("sign-out with cookie and no Origin", { method: "POST", path: "/sign-out", headers: { cookie } });
  await send("sign-out with cookie", { method: "POST", path: "/sign-out", headers: { cookie, origin: server.origin } });
  paragraph(`Session row after sign-out: ${JSON.stringify(sessionRow(login.json.token) ?? null)}`);
  await send("sign-out again with the same cookie", { method: "POST", path: "/sign-out", headers: { cookie, origin: server.origin } });
  await send("sign-out without cookie", { method: "POST", path: "/sign-out", headers: { origin: server.origin } });
  await send("sign-out without cookie, JSON body {}", { method: "POST", path: "/sign-out", headers: { ...jsonHeaders(), origin: server.origin }, body: "{}" });
  await send("GET sign-out", { path: "/sign-out", headers: { cookie } });
}

async function hashedModeCases() {
  heading("Hashed storage mode and set-ott (second server: BA_OTT_STORE_TOKEN=hashed, BA_OTT_SET_HEADER_ON_NEW_SESSION=true, BA_OTT_EXPIRES_IN=10)");
  const user = await send("sign-up on the hashed server", {
    method: "POST",
    path: "/sign-up/email",
    headers: { ...jsonHeaders(), origin: server.origin },
    body: JSON.stringify({ name: "Hash", email: "hash@example.test", password: "password1234" }),
  });
  const cookie = sessionCookieFrom(user);

  const generated = await send("generate on the hashed server", { path: "/one-time-token/generate", headers: { cookie } });
  const expected = createHash("sha256").update(generated.json.token).digest("base64url");
  const rows = server.database.prepare('select * from "verification" order by "createdAt"').all();
  showRows("verification rows (the first one comes from set-ott on sign-up)", rows);

  const row = rows.find((candidate) => candidate.identifier === `one-time-token:${expected}`);
  paragraph(`Token \`${generated.json.token}\` is stored as identifier \`one-time-token:${expected}\`: ${row ? "yes" : "NO"}.`);
  if (row) {
    const minutes = (Date.parse(row.expiresAt) - Date.parse(row.createdAt)) / 60_000;
    paragraph(`expiresAt - createdAt = ${minutes} minutes.`);
  }

  await send("verify on the hashed server", {
    method: "POST",
    path: "/one-time-token/verify",
    headers: jsonHeaders(),
    body: JSON.stringify({ token: generated.json.token }),
  });
  await send("sign-in on the hashed server (set-ott header)", {
    method: "POST",
    path: "/sign-in/email",
    headers: { ...jsonHeaders(), origin: server.origin },
    body: JSON.stringify({ email: "hash@example.test", password: "password1234" }),
  });
  await send("get-session on the hashed server (no new session, no set-ott)", { path: "/get-session", headers: { cookie } });
}

async function disabledClientCases() {
  heading("disableClientRequest (third server: BA_OTT_DISABLE_CLIENT_REQUEST=true, BA_OTT_DISABLE_SET_SESSION_COOKIE=true, BA_OTT_SET_HEADER_ON_NEW_SESSION=true)");
  const user = await send("sign-up", {
    method: "POST",
    path: "/sign-up/email",
    headers: { ...jsonHeaders(), origin: server.origin },
    body: JSON.stringify({ name: "Dis", email: "dis@example.test", password: "password1234" }),
  });
  await send("generate with cookie (client requests disabled)", { path: "/one-time-token/generate", headers: { cookie: sessionCookieFrom(user) } });
  await send("generate without cookie (client requests disabled)", { path: "/one-time-token/generate" });
  await send("verify the set-ott token from sign-up (disableSetSessionCookie)", {
    method: "POST",
    path: "/one-time-token/verify",
    headers: jsonHeaders(),
    body: JSON.stringify({ token: user.headers.get("set-ott") }),
  });
}

async function testVectors({ alice }) {
  heading("Test vectors");
  const token = "dXzKTGmbq0BI5CQHrL41JL2cCLngmI4I";
  const ours = signCookieValue(token);
  const theirs = encodeURIComponent(`${token}.${await makeSignature(token, DEFAULT_SECRET)}`);
  paragraph(`Cookie value for \`${token}\`: node:crypto HMAC \`${ours}\`, Better Auth makeSignature \`${theirs}\`; equal: ${ours === theirs}.`);
  const setByServer = sessionCookieFrom(alice).split("=").slice(1).join("=");
  const computed = signCookieValue(alice.json.token);
  paragraph(`Alice's sign-up cookie as set by the server \`${setByServer}\`, computed with node:crypto \`${computed}\`; equal: ${setByServer === computed}.`);
  const hash =
    "8e8afed0038ad550c236d9cd2ce4cc77:60e6203f3aad436d22416472ca2ea63d7c5d9ec14489c0aec3124954c936098f6a0fee2d39accdd057169f7f04b2d3c93b9cd169d2c24c9d51c75f00a0f56a5e";
  paragraph(`Better Auth verifyPassword("password1234", contract hash): ${await verifyPassword({ hash, password: "password1234" })}.`);
  const hashed = await defaultKeyHasher("123456");
  paragraph(`One-time token \`123456\` hashed by Better Auth's defaultKeyHasher: \`one-time-token:${hashed}\`; node:crypto SHA-256 base64url: \`${createHash("sha256").update("123456").digest("base64url")}\`; expected \`jZae727K08KaOmKSgOaGzww_XVqGr_PKEgIMkjrcbJI\`.`);
}

async function main() {
  const started = new Date().toISOString();

  server = await startReferenceServer("plain", {});
  const { alice } = await signUpCases();
  const { remembered, forgetful } = await signInCases();
  await getSessionCases({ alice, remembered, forgetful });
  const { bob } = await sessionListCases({ alice, remembered });
  await oneTimeTokenCases({ remembered, bob });
  await signOutCases({ alice });
  const plainLog = server.stderr();
  const plainExit = await server.stop();

  server = await startReferenceServer("hashed", {
    BA_OTT_STORE_TOKEN: "hashed",
    BA_OTT_SET_HEADER_ON_NEW_SESSION: "true",
    BA_OTT_EXPIRES_IN: "10",
  });
  await hashedModeCases();
  await server.stop();

  server = await startReferenceServer("disabled", {
    BA_OTT_DISABLE_CLIENT_REQUEST: "true",
    BA_OTT_DISABLE_SET_SESSION_COOKIE: "true",
    BA_OTT_SET_HEADER_ON_NEW_SESSION: "true",
  });
  await disabledClientCases();
  await server.stop();

  await testVectors({ alice });
  heading("Reference server stderr (first server)");
  sections.push(fence(plainLog.trim() || "(empty)"));
  paragraph(`First server exit after SIGTERM: ${JSON.stringify(plainExit)}.`);

  const header = [
    "# Better Auth 1.7.29 wire transcript",
    "",
    `Captured ${started} by tests/interop/capture.mjs with Node ${process.version}.`,
    "Base path /api/auth. Trusted origins: the base URL's origin and " + EXTRA_TRUSTED_ORIGIN + ". Secret: " + DEFAULT_SECRET + ".",
    "Ids, tokens and dates differ on every run.",
    "",
    "## Summary",
    "",
    "| # | case | status | code | message |",
    "|---|---|---|---|---|",
    ...summaryRows,
    "",
  ].join("\n");
  writeFileSync(transcriptPath, `${header}\n${sections.join("\n")}`);
  console.log(`wrote ${transcriptPath} (${caseNumber} exchanges)`);
}

main().catch(async (error) => {
  console.error("capture failed:", error);
  if (server) {
    console.error(server.stderr());
    await server.stop().catch(() => {});
  }
  process.exit(1);
});
