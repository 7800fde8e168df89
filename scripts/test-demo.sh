#!/usr/bin/env bash
# Tests the demo page (www/) end to end in headless Chromium against a real
# ott-server. The tests cover session transfer between two browser contexts,
# used, expired and incomplete links, link previews, network failures and
# form errors. The page is served by ott-server and from a second local
# origin.
#
# Builds and installs what is missing first, each step only when needed:
# Debian's chromium and sqlite3 (apt-get), the server (cargo build), the
# browser package in pkg/ (scripts/build-client.sh, when missing or older
# than client-wasm/), the demo's QR library (scripts/build-demo.sh) and the
# npm packages of tests/browser (npm ci). Screenshots are written to
# tests/artifacts/. Exits non-zero when a test fails.
#
# Usage: scripts/test-demo.sh
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
say() { printf '[test-demo] %s\n' "$*"; }

missing_packages=()
[[ -x /usr/bin/chromium ]] || missing_packages+=(chromium)
command -v sqlite3 >/dev/null || missing_packages+=(sqlite3)
if [[ ${#missing_packages[@]} -gt 0 ]]; then
    say "installing ${missing_packages[*]} (apt-get)"
    apt-get update
    DEBIAN_FRONTEND=noninteractive apt-get install -y "${missing_packages[@]}"
fi

say "building ott-server (debug)"
cargo build -p ott-server

wasm="pkg/ott_client_bg.wasm"
if [[ ! -f pkg/ott_client.js || ! -f "$wasm" ]]; then
    say "pkg/ is not built: building the browser package"
    scripts/build-client.sh
elif [[ -n "$(find client-wasm Cargo.lock -newer "$wasm" -type f -print -quit)" ]]; then
    say "pkg/ is older than client-wasm/: rebuilding the browser package"
    scripts/build-client.sh
else
    say "pkg/ is up to date"
fi

scripts/build-demo.sh

lock="tests/browser/package-lock.json"
installed="tests/browser/node_modules/.package-lock.json"
if [[ -f "$installed" && "$installed" -nt "$lock" ]]; then
    say "npm packages of tests/browser are up to date"
else
    say "installing the npm packages of tests/browser (npm ci)"
    (cd tests/browser && npm ci --no-audit --no-fund)
fi

say "running the demo page tests (node --test in tests/browser)"
(cd tests/browser && node --test)
say "demo page tests passed; screenshots in tests/artifacts/"
