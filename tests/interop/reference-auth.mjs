// Builds the reference Better Auth 1.7.29 instance that the interop tests run
// against: email and password sign-in, the official one-time-token plugin and
// the bearer plugin, on SQLite (better-sqlite3) or PostgreSQL (pg).

import Database from "better-sqlite3";
import pg from "pg";
import { betterAuth } from "better-auth";
import { bearer, oneTimeToken } from "better-auth/plugins";
import { getMigrations } from "better-auth/db/migration";

export const DEFAULT_SECRET = "test-secret-0123456789abcdef0123456789abcdef";

/**
 * Opens the database named by `location`: a `postgres://` or `postgresql://`
 * URL gives a pg Pool, anything else is a SQLite file path (created if absent).
 * Returns the handle Better Auth's Kysely adapter accepts and a close function.
 */
export function openDatabase(location) {
  if (/^postgres(ql)?:\/\//i.test(location)) {
    const pool = new pg.Pool({ connectionString: location });
    return { database: pool, close: () => pool.end() };
  }
  const sqlite = new Database(location);
  return { database: sqlite, close: async () => sqlite.close() };
}

/**
 * Builds the Better Auth options object.
 *
 * `settings` fields: database (handle from openDatabase), secret, baseURL,
 * trustedOrigins (array), sessionExpiresIn and sessionUpdateAge (seconds),
 * rateLimit (boolean), bearerRequireSignature (boolean) and oneTimeToken
 * (options passed unchanged to the plugin).
 */
export function buildAuthOptions(settings) {
  const options = {
    database: settings.database,
    secret: settings.secret ?? DEFAULT_SECRET,
    baseURL: settings.baseURL,
    trustedOrigins: settings.trustedOrigins ?? [],
    emailAndPassword: { enabled: true },
    session: {},
    plugins: [
      oneTimeToken(settings.oneTimeToken ?? {}),
      bearer({ requireSignature: settings.bearerRequireSignature ?? false }),
    ],
    // Better Auth 1.7.29 skips every origin check when NODE_ENV=test or TEST is
    // set, unless disableOriginCheck is given explicitly. Setting it here keeps
    // the checks on in every environment, as in production.
    advanced: { disableOriginCheck: false, disableCSRFCheck: false },
    // Rate limiting defaults to on only under NODE_ENV=production. Captures and
    // tests send bursts of sign-ins, so it is off unless asked for.
    rateLimit: { enabled: settings.rateLimit ?? false },
    // Telemetry is off by default in 1.7.29, but BETTER_AUTH_TELEMETRY=true
    // would turn it on. Disabling it here keeps the server from contacting
    // another host whatever the environment contains.
    telemetry: { enabled: false },
  };
  if (settings.sessionExpiresIn !== undefined) options.session.expiresIn = settings.sessionExpiresIn;
  if (settings.sessionUpdateAge !== undefined) options.session.updateAge = settings.sessionUpdateAge;
  return options;
}

/** Runs Better Auth's own migrations for `options`, then returns the auth instance. */
export async function createMigratedAuth(options) {
  const { runMigrations } = await getMigrations(options);
  await runMigrations();
  return betterAuth(options);
}
