// Small DOM helpers shared by the views: switching views, the message banner
// and busy buttons.

const VIEW_IDS = ["view-loading", "view-fatal", "view-receive", "view-link-problem", "view-auth", "view-account"];

/** Returns the element with `id`, and throws when the page lacks it. */
export function byId(id) {
  const element = document.getElementById(id);
  if (element === null) {
    throw new Error(`The page has no element with id "${id}".`);
  }
  return element;
}

/**
 * Shows the view with `id` and hides the others. With `focus`, moves the
 * keyboard focus to the view's heading so screen readers announce it.
 */
export function showView(id, { focus = false } = {}) {
  for (const viewId of VIEW_IDS) {
    byId(viewId).hidden = viewId !== id;
  }
  if (focus) {
    const heading = byId(id).querySelector("h1");
    if (heading !== null) {
      heading.tabIndex = -1;
      heading.focus({ preventScroll: false });
    }
  }
}

/**
 * Shows a message in the banner at the top of the page. `kind` is "info",
 * "success" or "error". Screen readers announce errors at once (role "alert").
 */
export function showBanner(text, kind = "info") {
  const banner = byId("banner");
  banner.className = `banner banner-${kind}`;
  banner.setAttribute("role", kind === "error" ? "alert" : "status");
  byId("banner-text").textContent = text;
  banner.hidden = false;
}

/** Hides the banner. */
export function hideBanner() {
  byId("banner").hidden = true;
}

/**
 * Marks `button` as busy while `work` runs: disabled, with `busyLabel` as its
 * text. Restores the button afterwards and returns what `work` returned.
 */
export async function whileBusy(button, busyLabel, work) {
  const label = button.textContent;
  button.disabled = true;
  button.setAttribute("aria-busy", "true");
  button.textContent = busyLabel;
  try {
    return await work();
  } finally {
    button.disabled = false;
    button.removeAttribute("aria-busy");
    button.textContent = label;
  }
}

/** Creates an element with a class and optional text. */
export function element(tag, className, text) {
  const created = document.createElement(tag);
  if (className) {
    created.className = className;
  }
  if (text !== undefined) {
    created.textContent = text;
  }
  return created;
}
