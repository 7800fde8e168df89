// The signed-out view: sign in or create an account.

import { describeAuthError } from "./messages.js";
import { byId, showView, whileBusy } from "./ui.js";

const MIN_PASSWORD_LENGTH = 8;
const MAX_PASSWORD_LENGTH = 128;

/**
 * Wires the sign-in and sign-up forms. `onSignedIn()` runs after either
 * succeeds.
 */
export function setUpAuthView({ client, settings, onSignedIn }) {
  const pageOrigin = window.location.origin;
  const tabs = [
    { tab: byId("tab-sign-in"), form: byId("form-sign-in") },
    { tab: byId("tab-sign-up"), form: byId("form-sign-up") },
  ];

  if (settings.crossOrigin) {
    const destination = byId("auth-destination");
    destination.textContent = `Your email and password are sent to ${settings.apiOrigin}.`;
    destination.hidden = false;
  }

  function selectTab(index, { focus = false } = {}) {
    tabs.forEach(({ tab, form }, i) => {
      const selected = i === index;
      tab.setAttribute("aria-selected", String(selected));
      tab.tabIndex = selected ? 0 : -1;
      form.hidden = !selected;
    });
    hideFormError();
    if (focus) {
      tabs[index].tab.focus();
    }
  }

  tabs.forEach(({ tab }, index) => {
    tab.addEventListener("click", () => selectTab(index));
    // Arrow keys move between tabs, as the ARIA tabs pattern expects.
    tab.addEventListener("keydown", (event) => {
      if (event.key === "ArrowRight" || event.key === "ArrowLeft") {
        event.preventDefault();
        selectTab((index + 1) % tabs.length, { focus: true });
      }
    });
  });

  byId("form-sign-in").addEventListener("submit", async (event) => {
    event.preventDefault();
    const email = byId("sign-in-email").value.trim();
    const password = byId("sign-in-password").value;
    const rememberMe = byId("sign-in-remember").checked;
    const problem = checkEmail(email) ?? (password === "" ? "Enter your password." : null);
    if (problem !== null) {
      showFormError(problem);
      return;
    }

    const result = await whileBusy(byId("sign-in-submit"), "Signing in…", () =>
      client.signIn.email({ email, password, rememberMe }),
    );
    if (result.error) {
      showFormError(describeAuthError(result.error, settings.apiOrigin, pageOrigin));
      return;
    }
    byId("sign-in-password").value = "";
    await onSignedIn();
  });

  byId("form-sign-up").addEventListener("submit", async (event) => {
    event.preventDefault();
    const name = byId("sign-up-name").value.trim();
    const email = byId("sign-up-email").value.trim();
    const password = byId("sign-up-password").value;
    const problem = (name === "" ? "Enter your name." : null) ?? checkEmail(email) ?? checkNewPassword(password);
    if (problem !== null) {
      showFormError(problem);
      return;
    }

    const result = await whileBusy(byId("sign-up-submit"), "Creating account…", () =>
      client.signUp.email({ name, email, password }),
    );
    if (result.error) {
      showFormError(describeAuthError(result.error, settings.apiOrigin, pageOrigin));
      return;
    }
    byId("sign-up-password").value = "";
    await onSignedIn();
  });

  return {
    /** Shows the signed-out view with the sign-in tab selected. */
    show({ focus = false } = {}) {
      selectTab(0);
      showView("view-auth", { focus });
    },
  };
}

function checkEmail(email) {
  if (email === "") {
    return "Enter your email address.";
  }
  if (!/^[^\s@]+@[^\s@]+$/.test(email)) {
    return `“${email}” is not an email address.`;
  }
  return null;
}

function checkNewPassword(password) {
  if (password.length < MIN_PASSWORD_LENGTH) {
    return `Choose a password of at least ${MIN_PASSWORD_LENGTH} characters.`;
  }
  if (password.length > MAX_PASSWORD_LENGTH) {
    return `Choose a password of at most ${MAX_PASSWORD_LENGTH} characters.`;
  }
  return null;
}

function showFormError(text) {
  const box = byId("auth-error");
  box.textContent = text;
  box.hidden = false;
}

function hideFormError() {
  byId("auth-error").hidden = true;
}
