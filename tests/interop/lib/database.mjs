// Direct access to a test database, SQLite file or PostgreSQL, used to move
// expiry dates into the past (no sleeping) and to read rows. The SQL uses `?`
// placeholders and quoted camelCase names, which both databases accept.

import Database from "better-sqlite3";
import pg from "pg";

/** PostgreSQL server for the tests: 127.0.0.1:5432, user postgres, trust authentication. */
export const POSTGRES_ADMIN_URL = process.env.INTEROP_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";

/** Prefix of the databases these tests create; nothing else is ever dropped. */
const POSTGRES_DATABASE_PREFIX = "ott_interop_";

function isPostgres(location) {
  return /^postgres(ql)?:\/\//i.test(location);
}

/**
 * Opens `location` (a SQLite file path or a postgres:// URL) and returns
 * `{ all(sql, params), run(sql, params), close() }`. Dates passed as
 * parameters are written the way Better Auth writes them: ISO 8601 text on
 * SQLite, `timestamptz` on PostgreSQL.
 */
export function openTestDatabase(location) {
  if (isPostgres(location)) {
    const pool = new pg.Pool({ connectionString: location, max: 2 });
    const numbered = (sql) => {
      let index = 0;
      return sql.replace(/\?/g, () => `$${++index}`);
    };
    return {
      async all(sql, params = []) {
        return (await pool.query(numbered(sql), params)).rows;
      },
      async run(sql, params = []) {
        return (await pool.query(numbered(sql), params)).rowCount;
      },
      close: () => pool.end(),
    };
  }
  const sqlite = new Database(location);
  // ott-server writes to the same file; wait for its lock instead of failing.
  sqlite.pragma("busy_timeout = 5000");
  const bind = (params) => params.map((value) => (value instanceof Date ? value.toISOString() : value));
  return {
    async all(sql, params = []) {
      return sqlite.prepare(sql).all(...bind(params));
    },
    async run(sql, params = []) {
      return sqlite.prepare(sql).run(...bind(params)).changes;
    },
    close: async () => sqlite.close(),
  };
}

/** Returns a date one minute in the past, for expiring rows. */
export function oneMinuteAgo() {
  return new Date(Date.now() - 60_000);
}

/**
 * Moves the `expiresAt` of the one-time token rows for `token` into the
 * past. `stored` is the value after storage (the token itself, or its hash).
 * Returns the number of rows changed.
 */
export function expireVerification(database, stored) {
  return database.run('UPDATE "verification" SET "expiresAt" = ? WHERE "identifier" = ?', [
    oneMinuteAgo(),
    `one-time-token:${stored}`,
  ]);
}

/** Moves the `expiresAt` of the session with `sessionToken` into the past. */
export function expireSession(database, sessionToken) {
  return database.run('UPDATE "session" SET "expiresAt" = ? WHERE "token" = ?', [oneMinuteAgo(), sessionToken]);
}

/** Returns the verification rows stored for a one-time token (`stored` as in expireVerification). */
export function findVerifications(database, stored) {
  return database.all('SELECT "identifier", "value", "expiresAt", "createdAt" FROM "verification" WHERE "identifier" = ?', [
    `one-time-token:${stored}`,
  ]);
}

/**
 * Describes the schema of a test database as sorted lines, one per table,
 * column and index, so that two snapshots can be compared.
 */
export async function describeSchema(database, location) {
  if (isPostgres(location)) {
    const columns = await database.all(
      `SELECT "table_name", "column_name", "data_type", "is_nullable", "column_default"
         FROM information_schema.columns WHERE "table_schema" = 'public'`,
    );
    const indexes = await database.all(`SELECT "indexname", "indexdef" FROM pg_indexes WHERE "schemaname" = 'public'`);
    const constraints = await database.all(
      `SELECT "conname", pg_get_constraintdef("oid") AS "definition" FROM pg_constraint
        WHERE "connamespace" = 'public'::regnamespace`,
    );
    return [
      ...columns.map(
        (c) => `column ${c.table_name}.${c.column_name} ${c.data_type} nullable=${c.is_nullable} default=${c.column_default}`,
      ),
      ...indexes.map((i) => `index ${i.indexname}: ${i.indexdef}`),
      ...constraints.map((c) => `constraint ${c.conname}: ${c.definition}`),
    ].sort();
  }
  const objects = await database.all(`SELECT "type", "name", "sql" FROM sqlite_master WHERE "name" NOT LIKE 'sqlite_stat%'`);
  return objects.map((o) => `${o.type} ${o.name}: ${o.sql}`).sort();
}

/**
 * Creates an empty PostgreSQL database with a random name and returns its
 * URL and a function that drops it.
 */
export async function createPostgresDatabase() {
  const name = `${POSTGRES_DATABASE_PREFIX}${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
  const admin = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE "${name}"`);
  } finally {
    await admin.end();
  }
  const url = new URL(POSTGRES_ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    name,
    url: url.toString(),
    async drop() {
      const client = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
      await client.connect();
      try {
        // Connections left by a crashed server must not keep the database alive.
        await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      } finally {
        await client.end();
      }
    },
  };
}

/** Returns whether the PostgreSQL server of the tests accepts a connection and a query. */
export async function isPostgresReachable() {
  const client = new pg.Client({ connectionString: POSTGRES_ADMIN_URL, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query("SELECT 1");
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}
