#!/usr/bin/env bash
# Tests the browser client end to end:
#   1. unit tests of ott-client on the host,
#   2. wasm-bindgen tests in headless Chromium against a live ott-harness,
#   3. the release package (scripts/build-client.sh) loaded in Chromium and
#      in Node, against the same harness,
#   4. the TypeScript declarations (tests/typescript/check.sh).
#
# Installs what is missing first, each step only when needed: the wasm32
# target, wasm-pack, the wasm-bindgen CLI, wasm-opt (all through
# build-client.sh), Debian's chromium and chromium-driver, and the npm
# packages of tests/package and tests/typescript (npm ci).
#
# Ports are picked free on 127.0.0.1 unless set: OTT_HARNESS_PORT,
# OTT_TEST_PAGE_PORT (wasm-bindgen test page), OTT_PACKAGE_PAGE_PORT.
# Exits non-zero when any step fails.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

say() { printf '[test-client] %s\n' "$*"; }

failures=()
run_step() {
    local name="$1"
    shift
    say "running: $name"
    if "$@"; then
        say "passed: $name"
    else
        say "FAILED: $name"
        failures+=("$name")
    fi
}

# --- tools -----------------------------------------------------------------

scripts/build-client.sh --tools-only
export PATH="$ROOT/.tools/node_modules/.bin:$PATH"

if [[ ! -x /usr/bin/chromium || ! -x /usr/bin/chromedriver ]]; then
    say "installing chromium and chromium-driver (apt-get)"
    apt-get update
    DEBIAN_FRONTEND=noninteractive apt-get install -y chromium chromium-driver
fi

# npm ci only when node_modules does not match the lock file.
ensure_npm_packages() {
    local dir="$1"
    if [[ -f "$dir/node_modules/.package-lock.json" && "$dir/node_modules/.package-lock.json" -nt "$dir/package-lock.json" ]]; then
        return
    fi
    say "installing the npm packages of $dir (npm ci)"
    (cd "$dir" && npm ci --no-audit --no-fund)
}
ensure_npm_packages tests/package
ensure_npm_packages tests/typescript

# --- ports and harness -----------------------------------------------------

# Prints N distinct ports that are free on 127.0.0.1 right now.
free_ports() {
    node -e '
        const net = require("node:net");
        const count = Number(process.argv[1]);
        const servers = [];
        const ports = [];
        function next() {
            if (ports.length === count) {
                servers.forEach((server) => server.close());
                console.log(ports.join(" "));
                return;
            }
            const server = net.createServer();
            server.listen(0, "127.0.0.1", () => {
                servers.push(server);
                ports.push(server.address().port);
                next();
            });
        }
        next();
    ' "$1"
}

read -r port_a port_b port_c port_d <<<"$(free_ports 4)"
HARNESS_PORT="${OTT_HARNESS_PORT:-$port_a}"
TEST_PAGE_PORT="${OTT_TEST_PAGE_PORT:-$port_b}"
PACKAGE_PAGE_PORT="${OTT_PACKAGE_PAGE_PORT:-$port_c}"
# Nothing listens here: the network-failure tests expect a refused connection.
CLOSED_PORT="$port_d"

SERVER="http://127.0.0.1:$HARNESS_PORT"
TRUSTED="http://127.0.0.1:$TEST_PAGE_PORT,http://127.0.0.1:$PACKAGE_PAGE_PORT"

say "building ott-harness"
cargo build -p ott-harness

WORK_DIR="$(mktemp -d /tmp/ott-client-test.XXXXXX)"
HARNESS_PID=""
cleanup() {
    if [[ -n "$HARNESS_PID" ]] && kill -0 "$HARNESS_PID" 2>/dev/null; then
        kill "$HARNESS_PID"
        wait "$HARNESS_PID" 2>/dev/null || true
    fi
    rm -rf "$WORK_DIR"
}
trap cleanup EXIT

say "starting ott-harness on $SERVER (database $WORK_DIR/harness.sqlite, trusted origins $TRUSTED)"
target/debug/ott-harness \
    --listen "127.0.0.1:$HARNESS_PORT" \
    --database-url "sqlite:$WORK_DIR/harness.sqlite" \
    --trusted-origins "$TRUSTED" \
    >"$WORK_DIR/harness.log" 2>&1 &
HARNESS_PID=$!

for _ in $(seq 1 100); do
    if grep -q "^listening on " "$WORK_DIR/harness.log"; then
        break
    fi
    if ! kill -0 "$HARNESS_PID" 2>/dev/null; then
        say "ott-harness exited during start-up:"
        cat "$WORK_DIR/harness.log"
        exit 1
    fi
    sleep 0.2
done
if ! grep -q "^listening on " "$WORK_DIR/harness.log"; then
    say "ott-harness did not report 'listening on' within 20 s:"
    cat "$WORK_DIR/harness.log"
    exit 1
fi
say "$(grep "^listening on " "$WORK_DIR/harness.log")"

export OTT_TEST_SERVER="$SERVER"
export OTT_TEST_CLOSED_URL="http://127.0.0.1:$CLOSED_PORT"

# --- tests -----------------------------------------------------------------

run_step "ott-client unit tests (host)" cargo test -p ott-client --lib

run_step "wasm-bindgen tests in headless Chromium (page 127.0.0.1:$TEST_PAGE_PORT)" \
    env WASM_BINDGEN_TEST_ADDRESS="127.0.0.1:$TEST_PAGE_PORT" \
    wasm-pack test --headless --chrome --chromedriver /usr/bin/chromedriver client-wasm

say "building the release package"
scripts/build-client.sh

run_step "release package in Chromium and Node (page 127.0.0.1:$PACKAGE_PAGE_PORT)" \
    env OTT_PACKAGE_PAGE_PORT="$PACKAGE_PAGE_PORT" bash -c 'cd tests/package && node --test'

run_step "TypeScript declarations" tests/typescript/check.sh

if [[ ${#failures[@]} -gt 0 ]]; then
    say "failed steps: ${failures[*]}"
    say "ott-harness log: see the output above; the last lines were:"
    tail -n 20 "$WORK_DIR/harness.log"
    exit 1
fi
say "all client tests passed"
