// The plugin options, each set on both servers alike (Better Auth through
// reference-server.mjs's BA_OTT_* variables, ott-server through its flags),
// compared step by step with the official client as in dual-server.test.mjs.

import { registerComparisonTests, runScenarioOn } from "./lib/compare.mjs";
import { makeTempDir, startOttServer, startReferenceServer } from "./lib/servers.mjs";
import { runOptionsFlow, serverSettings } from "./scenarios/options-flow.mjs";

const VARIANTS = [
  {
    name: "hashed storage, 10-minute tokens, set-ott",
    options: { storeToken: "hashed", expiresIn: 10, setOttHeaderOnNewSession: true },
  },
  {
    name: "original session, no cookie, set-ott",
    options: { createSession: false, disableSetSessionCookie: true, setOttHeaderOnNewSession: true },
  },
  {
    name: "new session, no cookie, set-ott",
    options: { disableSetSessionCookie: true, setOttHeaderOnNewSession: true },
  },
  {
    name: "original session with cookie, set-ott",
    options: { createSession: false, setOttHeaderOnNewSession: true },
  },
  {
    name: "client requests disabled",
    options: { disableClientRequest: true },
  },
  {
    name: "rate limits on",
    options: { rateLimit: true },
  },
];

const results = [];
const folder = makeTempDir("ott-interop-options");
try {
  for (const [index, variant] of VARIANTS.entries()) {
    const { env, args } = serverSettings(variant.options);
    const scenario = (target) => runOptionsFlow(target, variant.options);
    const referenceFile = `${folder.path}/reference-${index}.sqlite`;
    const ourFile = `${folder.path}/ours-${index}.sqlite`;
    const reference = await runScenarioOn({
      start: () => startReferenceServer({ database: referenceFile, env }),
      databaseLocation: referenceFile,
      scenario,
    });
    const ours = await runScenarioOn({
      start: () => startOttServer({ databaseUrl: `sqlite://${ourFile}`, args }),
      databaseLocation: ourFile,
      scenario,
    });
    results.push({ variant, reference, ours });
  }
} finally {
  folder.remove();
}

for (const { variant, reference, ours } of results) {
  registerComparisonTests(`options (${variant.name})`, reference, ours);
}
