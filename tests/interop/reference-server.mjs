// Reference Better Auth 1.7.29 server for interop tests, configured from
// environment variables. It runs Better Auth's own migrations, serves the auth
// routes on 127.0.0.1 and prints `listening on http://127.0.0.1:PORT` once ready.
//
// Environment:
//   BA_PORT                       port on 127.0.0.1 (default 0: any free port)
//   BA_DATABASE                   SQLite file path or postgres:// URL (required)
//   BA_SECRET                     signing secret (default test-secret-0123456789abcdef0123456789abcdef)
//   BA_BASE_URL                   base URL (default http://127.0.0.1:PORT)
//   BA_TRUSTED_ORIGINS            extra trusted origins, comma-separated
//   BA_SESSION_EXPIRES_IN         session lifetime in seconds (Better Auth default 604800)
//   BA_SESSION_UPDATE_AGE         seconds after which get-session extends a session (default 86400)
//   BA_RATE_LIMIT                 "true" turns on Better Auth's rate limiter (default off)
//   BA_BEARER_REQUIRE_SIGNATURE   "true" makes the bearer plugin ignore unsigned tokens
//   BA_OTT_STORE_TOKEN            one-time-token storage: plain (default) or hashed
//   BA_OTT_EXPIRES_IN             one-time-token lifetime in minutes (plugin default 3)
//   BA_OTT_DISABLE_CLIENT_REQUEST         "true" rejects HTTP calls to generate
//   BA_OTT_DISABLE_SET_SESSION_COOKIE     "true" sets no cookie on verify
//   BA_OTT_SET_HEADER_ON_NEW_SESSION      "true" sends set-ott on new sessions

import http from "node:http";
import { toNodeHandler } from "better-auth/node";
import { DEFAULT_SECRET, buildAuthOptions, createMigratedAuth, openDatabase } from "./reference-auth.mjs";

function readBoolean(name) {
  const value = process.env[name];
  if (value === undefined || value === "") return undefined;
  if (value === "true" || value === "1") return true;
  if (value === "false" || value === "0") return false;
  throw new Error(`${name} must be true or false, got ${JSON.stringify(value)}`);
}

function readNumber(name) {
  const value = process.env[name];
  if (value === undefined || value === "") return undefined;
  const number = Number(value);
  if (!Number.isFinite(number)) throw new Error(`${name} must be a number, got ${JSON.stringify(value)}`);
  return number;
}

function readOneTimeTokenOptions() {
  const options = {};
  const storeToken = process.env.BA_OTT_STORE_TOKEN;
  if (storeToken) {
    if (storeToken !== "plain" && storeToken !== "hashed") {
      throw new Error(`BA_OTT_STORE_TOKEN must be plain or hashed, got ${JSON.stringify(storeToken)}`);
    }
    options.storeToken = storeToken;
  }
  const expiresIn = readNumber("BA_OTT_EXPIRES_IN");
  if (expiresIn !== undefined) options.expiresIn = expiresIn;
  const flags = {
    disableClientRequest: "BA_OTT_DISABLE_CLIENT_REQUEST",
    disableSetSessionCookie: "BA_OTT_DISABLE_SET_SESSION_COOKIE",
    setOttHeaderOnNewSession: "BA_OTT_SET_HEADER_ON_NEW_SESSION",
  };
  for (const [option, variable] of Object.entries(flags)) {
    const value = readBoolean(variable);
    if (value !== undefined) options[option] = value;
  }
  return options;
}

function listen(server, port) {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => {
      server.off("error", reject);
      resolve(server.address().port);
    });
  });
}

async function main() {
  const location = process.env.BA_DATABASE;
  if (!location) throw new Error("BA_DATABASE is required: a SQLite file path or a postgres:// URL");

  // Bind first so that the default base URL can name the real port. Requests
  // that arrive before the migrations finish get a 503.
  let handler = (request, response) => {
    response.writeHead(503, { "content-type": "text/plain" });
    response.end("starting\n");
  };
  const server = http.createServer((request, response) => handler(request, response));
  const port = await listen(server, readNumber("BA_PORT") ?? 0);

  const { database, close } = openDatabase(location);
  const trustedOrigins = (process.env.BA_TRUSTED_ORIGINS ?? "")
    .split(",")
    .map((origin) => origin.trim())
    .filter(Boolean);
  const options = buildAuthOptions({
    database,
    secret: process.env.BA_SECRET || DEFAULT_SECRET,
    baseURL: process.env.BA_BASE_URL || `http://127.0.0.1:${port}`,
    trustedOrigins,
    sessionExpiresIn: readNumber("BA_SESSION_EXPIRES_IN"),
    sessionUpdateAge: readNumber("BA_SESSION_UPDATE_AGE"),
    rateLimit: readBoolean("BA_RATE_LIMIT"),
    bearerRequireSignature: readBoolean("BA_BEARER_REQUIRE_SIGNATURE"),
    oneTimeToken: readOneTimeTokenOptions(),
  });
  const auth = await createMigratedAuth(options);
  handler = toNodeHandler(auth);
  console.log(`listening on http://127.0.0.1:${port}`);

  let stopping = false;
  const stop = (signal) => {
    if (stopping) return;
    stopping = true;
    console.error(`received ${signal}, shutting down`);
    server.close(async () => {
      await close();
      process.exit(0);
    });
    server.closeAllConnections();
  };
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));
}

main().catch((error) => {
  console.error("reference server failed to start:", error);
  process.exit(1);
});
