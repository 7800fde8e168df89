// The receiving side of a transfer link: ask the person to confirm, then
// redeem the token with `oneTimeToken.verify`. Nothing is sent to the server
// before the confirmation, so a link preview or a prefetch that opens the
// page consumes nothing.

import { formatCountdown } from "./format.js";
import { describeIncompleteLink, describeVerifyError } from "./messages.js";
import { forgetTransferLink, pendingTransferLink } from "./receive-link.js";
import { byId, showBanner, showView, whileBusy } from "./ui.js";

/**
 * Wires the confirmation and problem views. `onRedeemed()` runs after a
 * successful redemption, `onDone()` when the person leaves these views
 * without one.
 */
export function setUpReceiveView({ client, settings, onRedeemed, onDone }) {
  let countdownTimer = null;

  function tickExpiry() {
    const link = pendingTransferLink();
    const line = byId("receive-expiry");
    if (link === null || link.expiresAt === null) {
      line.textContent = "";
      return;
    }
    const left = link.expiresAt - Date.now();
    if (left > 0) {
      line.textContent = `The link works for ${formatCountdown(left)} more.`;
      line.classList.remove("expiry-past");
    } else {
      // The other device's clock set this time, so the server decides.
      line.textContent = "This link’s time looks to be up: it will most likely be refused.";
      line.classList.add("expiry-past");
    }
  }

  function stopCountdown() {
    window.clearInterval(countdownTimer);
    countdownTimer = null;
  }

  function showProblem(problem) {
    stopCountdown();
    byId("problem-title").textContent = problem.title;
    byId("problem-text").textContent = problem.text;
    byId("problem-retry").hidden = !problem.canRetry;
    byId("view-link-problem").dataset.kind = problem.kind;
    showView("view-link-problem", { focus: true });
  }

  async function redeem(button) {
    const link = pendingTransferLink();
    if (link === null) {
      onDone();
      return;
    }
    const { error } = await whileBusy(button, "Signing in…", () => client.oneTimeToken.verify({ token: link.token }));
    if (error) {
      const problem = describeVerifyError(error, link, settings.apiOrigin);
      // After a network failure the token may still be unused, so it is kept
      // for "Try again". Any response from the server is final.
      if (!problem.canRetry) {
        forgetTransferLink();
      }
      showProblem(problem);
      return;
    }
    forgetTransferLink();
    stopCountdown();
    await onRedeemed();
  }

  byId("receive-confirm").addEventListener("click", (event) => redeem(event.currentTarget));
  byId("problem-retry").addEventListener("click", (event) => redeem(event.currentTarget));
  byId("receive-cancel").addEventListener("click", () => {
    forgetTransferLink();
    stopCountdown();
    showBanner("The link was not used. It still works on another device until it expires.", "info");
    onDone();
  });
  byId("problem-dismiss").addEventListener("click", () => {
    forgetTransferLink();
    onDone();
  });

  return {
    /**
     * Shows the confirmation for the waiting link. `currentUser` is the
     * user already signed in on this device, or null.
     */
    show(currentUser) {
      const link = pendingTransferLink();
      if (link === null) {
        onDone();
        return;
      }
      if (!link.complete) {
        forgetTransferLink();
        showProblem(describeIncompleteLink());
        return;
      }

      const note = byId("receive-current");
      if (currentUser !== null) {
        note.textContent = `This browser is signed in as ${currentUser.name} (${currentUser.email}). If you continue, this browser switches to the account that sent the link. Its current session stays valid until it is signed out or revoked.`;
        note.hidden = false;
      } else {
        note.hidden = true;
      }

      tickExpiry();
      stopCountdown();
      countdownTimer = window.setInterval(tickExpiry, 1000);
      showView("view-receive", { focus: true });
    },
  };
}
