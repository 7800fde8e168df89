// A switch that proves the comparison can fail. INTEROP_PERTURB names a
// route and a response field, and our server's responses on that route
// reach the official client with that field changed.

/**
 * Parses INTEROP_PERTURB, `<route path>:<dotted field>` such as
 * `/sign-in/email:user.name`, into a `rewriteBody(url, text)` function for
 * ott-server's devices. Returns undefined when the variable is unset.
 */
export function perturbationFromEnv(value = process.env.INTEROP_PERTURB) {
  if (!value) return undefined;
  const separator = value.lastIndexOf(":");
  if (separator <= 0) throw new Error(`INTEROP_PERTURB must be <route path>:<dotted field>, got ${JSON.stringify(value)}`);
  const route = value.slice(0, separator);
  const path = value.slice(separator + 1).split(".");
  return (url, text) => {
    if (!new URL(url).pathname.endsWith(route)) return text;
    let body;
    try {
      body = JSON.parse(text);
    } catch {
      return text;
    }
    let holder = body;
    for (const key of path.slice(0, -1)) holder = holder?.[key];
    const last = path.at(-1);
    if (holder === null || typeof holder !== "object" || !(last in holder)) return text;
    holder[last] = typeof holder[last] === "boolean" ? !holder[last] : `perturbed ${holder[last]}`;
    return JSON.stringify(body);
  };
}
