// Runs a scenario on a reference server and on ott-server, and registers
// node:test tests that compare the two records. There is one test per step,
// after the step's documented decisions, and one for the Cache-Control
// header of error responses, so that a difference shared by many steps fails
// one test.

import assert from "node:assert/strict";
import { test } from "node:test";

import { openTestDatabase } from "./database.mjs";
import { applyDecisions } from "./decisions.mjs";

/**
 * Starts a server with `start()`, opens `databaseLocation`, runs
 * `scenario(target)` and stops the server. Returns the records.
 */
export async function runScenarioOn({ start, databaseLocation, scenario, rewriteBody }) {
  const server = await start();
  const database = openTestDatabase(databaseLocation);
  try {
    return await scenario({ ...server, database, rewriteBody });
  } finally {
    await database.close();
    await server.stop();
  }
}

/**
 * Moves the Cache-Control header of error responses out of a copy of
 * `record`, except on steps with a decision, because the decision covers the
 * whole response there. Returns the copy and the removed values, one per
 * exchange (undefined where none was removed).
 */
function takeErrorCacheControl(record) {
  const copy = structuredClone(record);
  const removed = copy.exchanges.map((exchange) => {
    if (exchange.status < 400 || copy.decisions.length > 0) return undefined;
    const value = exchange.headers["cache-control"] ?? null;
    delete exchange.headers["cache-control"];
    return value;
  });
  return { copy, removed };
}

/**
 * Registers the comparison tests. `extraTrustedOrigins` are the origins both
 * servers were configured to trust besides their own.
 */
export function registerComparisonTests(prefix, reference, ours, extraTrustedOrigins = []) {
  const trusted = ["<server origin>", ...extraTrustedOrigins];
  const cacheControlDifferences = [];

  test(`${prefix}: both servers ran the same steps`, () => {
    assert.deepEqual(
      ours.map((record) => record.name),
      reference.map((record) => record.name),
    );
  });

  for (const [index, original] of reference.entries()) {
    const theirs = takeErrorCacheControl(original);
    const mine = ours[index] && takeErrorCacheControl(ours[index]);
    for (const [exchange, value] of (mine?.removed ?? []).entries()) {
      if (value !== undefined && value !== theirs.removed[exchange]) {
        cacheControlDifferences.push({
          step: original.name,
          request: ours[index].exchanges[exchange].request,
          status: ours[index].exchanges[exchange].status,
          betterAuth: theirs.removed[exchange],
          ours: value,
        });
      }
    }

    const label = original.decisions.length > 0 ? ` [${original.decisions.join(", ")}]` : "";
    test(`${prefix}: ${original.name}${label}`, () => {
      assert.equal(mine?.copy.name, original.name, "same step on both servers");
      assert.deepStrictEqual(applyDecisions(theirs.copy, mine.copy, trusted), theirs.copy);
    });
  }

  // No decision covers Cache-Control on the error responses of routes other
  // than get-session and the token endpoints, so any difference fails here.
  test(`${prefix}: error responses carry Better Auth's Cache-Control`, () => {
    assert.deepEqual(cacheControlDifferences, []);
  });
}
