// Entry point of the demo page. The first import removes a transfer link's
// token from the address bar before anything else runs.
import { onTransferLinkArrived, pendingTransferLink } from "./receive-link.js";

import { setUpAccountView } from "./account-view.js";
import { setUpAuthView } from "./auth-view.js";
import { networkMessage } from "./messages.js";
import { setUpReceiveView } from "./receive-view.js";
import { readPageSettings } from "./settings.js";
import { byId, hideBanner, showBanner, showView } from "./ui.js";

/** The WebAssembly client package, built by scripts/build-client.sh into pkg/. */
const CLIENT_PACKAGE_URL = "/pkg/ott_client.js";

function showFatal(text) {
  byId("fatal-text").textContent = text;
  showView("view-fatal", { focus: true });
}

async function loadClientPackage() {
  try {
    const pkg = await import(CLIENT_PACKAGE_URL);
    await pkg.default();
    return pkg;
  } catch (error) {
    throw new Error(
      `The browser client ${CLIENT_PACKAGE_URL} could not be loaded (${error.message}). ` +
        "Build it with scripts/build-client.sh and reload the page.",
    );
  }
}

async function start() {
  byId("banner-close").addEventListener("click", hideBanner);

  let settings;
  let pkg;
  try {
    settings = readPageSettings(window.location);
    pkg = await loadClientPackage();
  } catch (error) {
    showFatal(error.message);
    return;
  }

  if (settings.crossOrigin) {
    byId("api-origin-value").textContent = settings.apiOrigin;
    byId("api-origin").hidden = false;
  }
  // Keep the settings when the brand link reloads the page.
  const settingsQuery = settings.settingsQuery.toString();
  byId("home-link").href = settingsQuery === "" ? "./" : `./?${settingsQuery}`;

  const client = pkg.createAuthClient({ baseURL: settings.apiOrigin });

  /** Shows the account of the current session, or the sign-in forms. */
  async function showCurrentState({ focus = false } = {}) {
    const { data, error } = await client.getSession();
    if (error) {
      auth.show({ focus });
      showBanner(
        error.status === 0 ? networkMessage(settings.apiOrigin) : `Could not read your session: ${error.message}`,
        "error",
      );
      return;
    }
    if (data === null) {
      auth.show({ focus });
      return;
    }
    await account.show(data, { focus });
  }

  const auth = setUpAuthView({
    client,
    settings,
    onSignedIn: async () => {
      hideBanner();
      await showCurrentState({ focus: true });
    },
  });

  const account = setUpAccountView({
    client,
    settings,
    onSessionEnded: (message) => {
      auth.show({ focus: true });
      showBanner(message, "info");
    },
  });

  const receive = setUpReceiveView({
    client,
    settings,
    onRedeemed: async () => {
      const { data } = await client.getSession();
      if (data === null) {
        // The server accepted the token, but this browser sent no session
        // cookie back: typically third-party cookies are blocked because the
        // API is on another site.
        auth.show({ focus: true });
        showBanner(
          `The link was accepted, but this browser did not keep the session cookie from ${settings.apiOrigin}. ` +
            "Serve the page from the same site as the API, or allow its cookies, then use a new link.",
          "error",
        );
        return;
      }
      showBanner(`Signed in on this device as ${data.user.name}. This device has a session of its own.`, "success");
      await account.show(data, { focus: true });
    },
    onDone: () => showCurrentState({ focus: true }),
  });

  /** Asks to confirm the waiting transfer link, naming who is signed in here now. */
  async function showPendingLink() {
    account.stop();
    hideBanner();
    const { data } = await client.getSession();
    receive.show(data?.user ?? null);
  }

  onTransferLinkArrived(showPendingLink);

  if (pendingTransferLink() !== null) {
    await showPendingLink();
  } else {
    await showCurrentState();
  }
}

start();
