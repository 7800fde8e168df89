#!/usr/bin/env bash
# Runs every test of the project. Installs what is missing first, each step
# only when needed: the wasm tools (through scripts/build-client.sh),
# Debian's Chromium and ChromeDriver, and the npm packages of tests/.
#
# Needs PostgreSQL on 127.0.0.1:5432 (trust) and MariaDB on 127.0.0.1:3306
# (root, empty password); every test creates its own database and drops it.
#
# Usage: scripts/test.sh
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
say() { printf '\n[test] %s\n' "$*"; }
started=$SECONDS

say "checking formatting (cargo fmt --check)"
cargo fmt --all --check

say "running clippy on the workspace (host)"
cargo clippy --workspace --all-targets -- -D warnings

say "running every server test on SQLite: unit, conformance, fixture, rate limits, fuzz, crash, replicas, sweeper, shutdown"
OTT_TEST_DATABASE=sqlite cargo test -p ott-server

say "running the conformance suite again with RUST_LOG=trace and checking that no secret reaches the logs"
OTT_TEST_DATABASE=sqlite OTT_TEST_LOG_CAPTURE=1 RUST_LOG=trace cargo test -p ott-server --test conformance

for database in postgres mysql; do
    say "running the conformance suite, rate limits, replicas, sweeper, shutdown and storage tests on $database"
    OTT_TEST_DATABASE=$database cargo test -p ott-server --test conformance --test rate_limit \
        --test replicas --test sweeper --test shutdown --test storage
done

for database in sqlite postgres mysql; do
    say "running the conformance suite on $database with the server in TZ=Pacific/Kiritimati"
    TZ=Pacific/Kiritimati OTT_TEST_DATABASE=$database cargo test -p ott-server --test conformance --test replicas
done

say "running the browser client's tests (wasm-bindgen in Chromium, package in Chromium and Node, TypeScript)"
scripts/test-client.sh

say "running the demo page's tests in Chromium"
scripts/test-demo.sh

say "running the interoperability tests against Better Auth 1.7.29"
scripts/test-interop.sh

say "all tests passed in $((SECONDS - started)) s"
