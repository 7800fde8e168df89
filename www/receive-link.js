// Takes a transfer link's token out of the address bar as soon as the page
// runs, before the WebAssembly client loads. The token then lives only in
// this module's memory: it is not in the history entry, a bookmark, a
// reload, or a screenshot of the address bar.
//
// app.js imports this module first, so its top-level code runs before any
// other code of the page.

import { readTransferFragment } from "./transfer-link.js";

let pendingLink = takeLinkFromAddressBar();
const listeners = [];

/** Reads a transfer link from the fragment and removes the fragment. */
function takeLinkFromAddressBar() {
  const link = readTransferFragment(window.location.hash);
  if (link !== null) {
    const { pathname, search } = window.location;
    window.history.replaceState(window.history.state, "", pathname + search);
  }
  return link;
}

// A link pasted into the address bar of an already open page changes only the
// fragment, so the page is not reloaded and receives the link through this event.
window.addEventListener("hashchange", () => {
  const link = takeLinkFromAddressBar();
  if (link === null) {
    return;
  }
  pendingLink = link;
  for (const listener of listeners) {
    listener();
  }
});

/** Returns the link that is waiting for confirmation, or null. */
export function pendingTransferLink() {
  return pendingLink;
}

/** Forgets the waiting link, after redemption, a definite failure, or Cancel. */
export function forgetTransferLink() {
  pendingLink = null;
}

/** Calls `listener` whenever a new link arrives while the page is open. */
export function onTransferLinkArrived(listener) {
  listeners.push(listener);
}
