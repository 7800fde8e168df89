// The signed-in view: who is signed in, the list of their sessions (devices)
// with revocation, and the transfer link with its QR code and countdown.

import {
  describeDevice,
  formatCountdown,
  formatDateTime,
  formatMinutes,
  formatRelative,
  initials,
  isMobileDevice,
} from "./format.js";
import { networkMessage } from "./messages.js";
import { qrCodeDataUrl } from "./qr.js";
import { buildTransferLink } from "./transfer-link.js";
import { byId, element, showBanner, showView, whileBusy } from "./ui.js";

/** How often the session list is refreshed while the view is visible. */
const SESSION_REFRESH_MS = 10_000;

/**
 * Wires the signed-in view. `onSessionEnded(message)` runs when this
 * device's session is gone: signed out here, or revoked or expired elsewhere.
 */
export function setUpAccountView({ client, settings, onSessionEnded }) {
  let current = null;
  let knownSessionIds = null;
  let refreshTimer = null;
  let countdownTimer = null;
  let link = null;

  byId("transfer-lifetime").textContent = formatMinutes(settings.tokenLifetimeMinutes);

  // --- sessions ------------------------------------------------------------

  /** Reloads the session list. Returns false when this session has ended. */
  async function refreshSessions() {
    const { data, error } = await client.listSessions();
    if (current === null) {
      return false;
    }
    if (error) {
      if (error.status === 401) {
        endedElsewhere();
        return false;
      }
      showBanner(
        error.status === 0
          ? networkMessage(settings.apiOrigin)
          : `Could not load your devices: ${error.message}`,
        "error",
      );
      return true;
    }
    if (!data.some((session) => session.id === current.session.id)) {
      endedElsewhere();
      return false;
    }
    announceNewSessions(data);
    renderSessions(data);
    return true;
  }

  function endedElsewhere() {
    stop();
    onSessionEnded("This device was signed out: its session was revoked from another device or has expired. Sign in again to continue.");
  }

  /** Tells the person when a device signed in since the last refresh, for example through a link. */
  function announceNewSessions(sessions) {
    const ids = new Set(sessions.map((session) => session.id));
    if (knownSessionIds !== null) {
      const added = sessions.filter((session) => !knownSessionIds.has(session.id));
      if (added.length > 0) {
        const names = added.map((session) => describeDevice(session.userAgent)).join(", ");
        // A link shown now was most likely the one redeemed, and it works once.
        const linkNote = link === null ? "" : " The link on this page can no longer be used; make a new one to send again.";
        if (link !== null) {
          hideLink();
        }
        showBanner(`New device signed in: ${names}.${linkNote}`, "success");
      }
    }
    knownSessionIds = ids;
  }

  function renderSessions(sessions) {
    const ordered = [...sessions].sort((a, b) => {
      if (a.id === current.session.id) return -1;
      if (b.id === current.session.id) return 1;
      return Date.parse(b.createdAt) - Date.parse(a.createdAt);
    });

    const list = byId("session-list");
    list.replaceChildren(...ordered.map(renderSession));
    byId("sessions-count").textContent = String(sessions.length);
    byId("sessions-empty").hidden = sessions.length > 1;
  }

  function renderSession(session) {
    const isCurrent = session.id === current.session.id;
    const device = describeDevice(session.userAgent);
    const item = element("li", isCurrent ? "session session-current" : "session");
    item.dataset.sessionId = session.id;

    const icon = element("span", isMobileDevice(session.userAgent) ? "device-icon device-phone" : "device-icon device-computer");
    icon.setAttribute("aria-hidden", "true");

    const text = element("div", "session-text");
    const title = element("p", "session-title", device);
    if (isCurrent) {
      title.append(" ", element("span", "badge", "This device"));
    }
    const created = new Date(session.createdAt);
    const signedIn = element("time", null, `signed in ${formatRelative(created)}`);
    signedIn.dateTime = session.createdAt;
    signedIn.title = formatDateTime(created);
    const meta = element("p", "session-meta");
    meta.append(signedIn);
    if (session.ipAddress) {
      meta.append(` · ${session.ipAddress}`);
    }
    text.append(title, meta);

    item.append(icon, text);
    if (!isCurrent) {
      const revoke = element("button", "button button-danger button-small", "Revoke");
      revoke.type = "button";
      revoke.setAttribute("aria-label", `Revoke the session of ${device}, ${signedIn.textContent}`);
      revoke.addEventListener("click", () => revokeSession(session, device, revoke));
      item.append(revoke);
    }
    return item;
  }

  async function revokeSession(session, device, button) {
    const { error } = await whileBusy(button, "Revoking…", () => client.revokeSession({ token: session.token }));
    if (error) {
      if (error.status === 401) {
        endedElsewhere();
        return;
      }
      showBanner(
        error.status === 0 ? networkMessage(settings.apiOrigin) : `Could not revoke the session: ${error.message}`,
        "error",
      );
      return;
    }
    showBanner(`Signed out ${device}. It needs a new link or its password to come back.`, "success");
    knownSessionIds?.delete(session.id);
    await refreshSessions();
  }

  byId("sessions-refresh").addEventListener("click", async (event) => {
    await whileBusy(event.currentTarget, "Refreshing…", refreshSessions);
  });

  // --- transfer link ---------------------------------------------------------

  async function createLink(button) {
    // The server starts the lifetime when it stores the token, after this
    // moment, so with agreeing clocks this expiry is never later than the server's.
    const requestedAt = Date.now();
    const { data, error } = await whileBusy(button, "Creating…", () => client.oneTimeToken.generate());
    if (error) {
      if (error.status === 401) {
        endedElsewhere();
        return;
      }
      showBanner(
        error.status === 0 ? networkMessage(settings.apiOrigin) : `Could not create a link: ${error.message}`,
        "error",
      );
      return;
    }

    const expiresAt = requestedAt + settings.tokenLifetimeMinutes * 60_000;
    const href = buildTransferLink(window.location.href, settings.settingsQuery, data.token, expiresAt);
    link = { href, expiresAt, createdAt: requestedAt };

    byId("transfer-link").value = href;
    byId("transfer-qr").src = qrCodeDataUrl(href);
    byId("transfer-result").hidden = false;
    byId("transfer-create").hidden = true;
    fitLinkField();
    byId("transfer").classList.remove("transfer-expired");
    byId("transfer-qr-expired").hidden = true;
    byId("transfer-copy").textContent = "Copy";
    tickCountdown();
    window.clearInterval(countdownTimer);
    countdownTimer = window.setInterval(tickCountdown, 1000);
  }

  function tickCountdown() {
    if (link === null) {
      return;
    }
    const left = link.expiresAt - Date.now();
    const progress = byId("transfer-progress");
    progress.value = Math.max(0, left / (link.expiresAt - link.createdAt));
    if (left > 0) {
      byId("transfer-countdown").textContent = `Expires in ${formatCountdown(left)}`;
      return;
    }
    window.clearInterval(countdownTimer);
    countdownTimer = null;
    byId("transfer-countdown").textContent = "Link expired";
    byId("transfer").classList.add("transfer-expired");
    byId("transfer-qr-expired").hidden = false;
  }

  function hideLink() {
    link = null;
    window.clearInterval(countdownTimer);
    countdownTimer = null;
    byId("transfer-result").hidden = true;
    byId("transfer-create").hidden = false;
    byId("transfer-link").value = "";
    byId("transfer-qr").removeAttribute("src");
  }

  /** Gives the link field as many rows as the whole link needs, up to 6. */
  function fitLinkField() {
    const field = byId("transfer-link");
    field.rows = 1;
    while (field.scrollHeight > field.clientHeight && field.rows < 6) {
      field.rows += 1;
    }
  }
  window.addEventListener("resize", () => {
    if (link !== null) {
      fitLinkField();
    }
  });

  byId("transfer-create").addEventListener("click", (event) => createLink(event.currentTarget));
  byId("transfer-renew").addEventListener("click", (event) => createLink(event.currentTarget));

  byId("transfer-copy").addEventListener("click", async (event) => {
    const button = event.currentTarget;
    const input = byId("transfer-link");
    try {
      await navigator.clipboard.writeText(input.value);
      button.textContent = "Copied";
    } catch {
      // The clipboard API needs a secure context and permission. Selecting the
      // text still lets the person copy it by hand.
      input.focus();
      input.select();
      showBanner("Copying is not allowed here: the link is selected, press Ctrl+C or ⌘C to copy it.", "info");
    }
  });

  // --- sign-out and periodic refresh -----------------------------------------

  byId("sign-out").addEventListener("click", async (event) => {
    const { error } = await whileBusy(event.currentTarget, "Signing out…", () => client.signOut());
    if (error) {
      showBanner(
        error.status === 0 ? networkMessage(settings.apiOrigin) : `Could not sign out: ${error.message}`,
        "error",
      );
      return;
    }
    stop();
    onSessionEnded("You are signed out on this device. Your other devices stay signed in.");
  });

  function onVisibilityChange() {
    if (document.visibilityState === "visible" && current !== null) {
      refreshSessions();
    }
  }
  document.addEventListener("visibilitychange", onVisibilityChange);

  function stop() {
    current = null;
    knownSessionIds = null;
    window.clearInterval(refreshTimer);
    refreshTimer = null;
    hideLink();
  }

  return {
    /**
     * Shows the view for `sessionWithUser` (`{ session, user }` from
     * getSession) and starts refreshing the session list.
     */
    async show(sessionWithUser, { focus = false } = {}) {
      stop();
      current = sessionWithUser;
      const { user } = sessionWithUser;
      byId("account-name").textContent = user.name || user.email;
      byId("account-email").textContent = user.email;
      byId("account-avatar").textContent = initials(user.name || user.email);
      byId("session-list").replaceChildren();
      byId("sessions-count").textContent = "";
      byId("sessions-empty").hidden = true;
      showView("view-account", { focus });
      if (await refreshSessions()) {
        refreshTimer = window.setInterval(() => {
          if (document.visibilityState === "visible") {
            refreshSessions();
          }
        }, SESSION_REFRESH_MS);
      }
    },
    stop,
  };
}
