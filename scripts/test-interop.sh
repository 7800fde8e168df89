#!/usr/bin/env bash
# Runs the interop tests of tests/interop/ with Node's test runner. They
# drive a reference Better Auth 1.7.29 server and ott-server with Better
# Auth's official client, run both servers on one SQLite file and on one
# PostgreSQL database, and test the ott-client package against Better Auth.
#
# Prepares only what is missing or stale:
#   - npm ci in tests/interop when node_modules is absent or older than
#     package-lock.json;
#   - cargo build -p ott-server (cargo itself skips an up-to-date build);
#   - scripts/build-client.sh when pkg/ has no built package.
#
# Needs Node.js 20+, and PostgreSQL on 127.0.0.1:5432 with trust
# authentication for user postgres (INTEROP_POSTGRES_URL overrides the admin
# URL). Each PostgreSQL test creates a database named ott_interop_* and
# drops it.
#
# Usage: scripts/test-interop.sh [extra node --test arguments]
# Example: scripts/test-interop.sh --test-name-pattern "shared sqlite"
# INTEROP_PERTURB=<route>:<field> (e.g. /sign-in/email:user.name) changes that
# field in ott-server's answers on the client side, to show that the
# dual-server comparison fails on it.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
INTEROP_DIR="$ROOT/tests/interop"
say() { printf '[test-interop] %s\n' "$*"; }
started=$SECONDS

cd "$INTEROP_DIR"
if [[ ! -d node_modules || ! -f node_modules/.package-lock.json || package-lock.json -nt node_modules/.package-lock.json ]]; then
    say "installing tests/interop's npm packages (npm ci)"
    npm ci --no-audit --no-fund
fi
# better-sqlite3 builds a native module on install, so check here that it loads.
node -e 'require("better-sqlite3")' || {
    say "better-sqlite3 failed to load; remove tests/interop/node_modules and run this script again" >&2
    exit 1
}

cd "$ROOT"
say "building ott-server (cargo build -p ott-server)"
cargo build -p ott-server
# The binary is under cargo's target folder, which CARGO_TARGET_DIR or a
# config file may move.
target_dir="$(cargo metadata --format-version 1 --no-deps |
    node -e 'let text = ""; process.stdin.on("data", (chunk) => (text += chunk)).on("end", () => console.log(JSON.parse(text).target_directory))')"
export OTT_SERVER_BIN="$target_dir/debug/ott-server"

if [[ ! -f "$ROOT/pkg/ott_client.js" || ! -f "$ROOT/pkg/ott_client_bg.wasm" ]]; then
    say "pkg/ has no built ott-client package; building it (scripts/build-client.sh)"
    "$ROOT/scripts/build-client.sh"
fi

cd "$INTEROP_DIR"
say "running node --test on tests/interop/*.test.mjs"
status=0
node --test "$@" ./*.test.mjs || status=$?
say "finished in $((SECONDS - started)) s with exit code $status"
exit "$status"
