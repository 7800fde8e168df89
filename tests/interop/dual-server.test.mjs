// Runs the one-time-token scenario with Better Auth's official client against
// the reference Better Auth 1.7.29 server and against ott-server, each on a
// fresh SQLite database of its own, and compares the two records step by
// step. Documented differences are asserted by lib/decisions.mjs; any other
// difference fails the step.
//
// INTEROP_PERTURB=<route>:<field> changes a field of our server's responses on
// the client side (lib/perturb.mjs), to show that the comparison catches it.

import { registerComparisonTests, runScenarioOn } from "./lib/compare.mjs";
import { perturbationFromEnv } from "./lib/perturb.mjs";
import { makeTempDir, startOttServer, startReferenceServer } from "./lib/servers.mjs";
import { TRUSTED_APP_ORIGIN, runOneTimeTokenFlow } from "./scenarios/one-time-token-flow.mjs";

const folder = makeTempDir("ott-interop-dual");
let reference;
let ours;
try {
  const referenceFile = `${folder.path}/reference.sqlite`;
  reference = await runScenarioOn({
    start: () => startReferenceServer({ database: referenceFile, env: { BA_TRUSTED_ORIGINS: TRUSTED_APP_ORIGIN } }),
    databaseLocation: referenceFile,
    scenario: runOneTimeTokenFlow,
  });
  const ourFile = `${folder.path}/ours.sqlite`;
  ours = await runScenarioOn({
    start: () =>
      startOttServer({
        databaseUrl: `sqlite://${ourFile}`,
        // The reference server runs with Better Auth's rate limiter off (its
        // default outside production), so ours does too.
        args: ["--trusted-origins", TRUSTED_APP_ORIGIN, "--rate-limit", "off"],
      }),
    databaseLocation: ourFile,
    scenario: runOneTimeTokenFlow,
    rewriteBody: perturbationFromEnv(),
  });
} finally {
  folder.remove();
}

registerComparisonTests("dual-server", reference, ours, [TRUSTED_APP_ORIGIN]);
