#!/usr/bin/env bash
# Builds the browser client (client-wasm/, crate ott-client) as a release
# package in pkg/ with wasm-pack and wasm-opt, then prints the size of the
# .wasm and of the JavaScript glue, raw and gzip -9. The glue is also measured
# after `esbuild --minify`, as an application bundler would ship it; the
# package itself keeps the readable glue.
#
# Installs what the build needs when it is missing: the wasm32 Rust target,
# wasm-pack 0.15.1, the wasm-bindgen CLI matching Cargo.lock, and in .tools/
# wasm-opt from npm binaryen@132 (Debian's wasm-opt 108 miscompiles current
# wasm-bindgen output) and esbuild for the measurement.
#
# Usage: scripts/build-client.sh [--tools-only]
#   --tools-only  install or check the tools, build nothing
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS_DIR="$ROOT/.tools"
WASM_PACK_VERSION=0.15.1
BINARYEN_VERSION=132
ESBUILD_VERSION=0.28.2

say() { printf '[build-client] %s\n' "$*"; }

ensure_rust_target() {
    if rustup target list --installed | grep -qx wasm32-unknown-unknown; then
        return
    fi
    say "adding the Rust target wasm32-unknown-unknown"
    rustup target add wasm32-unknown-unknown
}

ensure_wasm_pack() {
    if command -v wasm-pack >/dev/null && wasm-pack --version | grep -q " $WASM_PACK_VERSION\$"; then
        return
    fi
    say "installing wasm-pack $WASM_PACK_VERSION (cargo install, about 2 minutes)"
    cargo install wasm-pack --version "$WASM_PACK_VERSION" --locked
}

# The CLI must match the wasm-bindgen crate exactly, and wasm-pack would try
# to download it otherwise. `--locked` fails on a webpki-roots version that
# the registry no longer has, so the install is unlocked with the version
# pinned.
ensure_wasm_bindgen_cli() {
    local wanted
    wanted="$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/"/, "", $3); print $3; exit }' "$ROOT/Cargo.lock")"
    if [[ -z "$wanted" ]]; then
        say "cannot find the wasm-bindgen version in Cargo.lock; run 'cargo generate-lockfile' first" >&2
        exit 1
    fi
    if command -v wasm-bindgen >/dev/null && wasm-bindgen --version | grep -q " $wanted\$"; then
        return
    fi
    say "installing wasm-bindgen-cli $wanted to match Cargo.lock (cargo install, about 2 minutes)"
    cargo install wasm-bindgen-cli --version "$wanted"
}

ensure_npm_tools() {
    if [[ ! -x "$TOOLS_DIR/node_modules/.bin/wasm-opt" || ! -x "$TOOLS_DIR/node_modules/.bin/esbuild" ]]; then
        say "installing wasm-opt (npm binaryen@$BINARYEN_VERSION) and esbuild@$ESBUILD_VERSION into .tools/"
        npm install --prefix "$TOOLS_DIR" --no-audit --no-fund "binaryen@$BINARYEN_VERSION" "esbuild@$ESBUILD_VERSION"
    fi
}

# Prints a size line: label, raw bytes, gzip -9 bytes.
print_size() {
    printf '[build-client] %-36s %8d bytes raw %8d bytes gzip -9\n' "$1" "$2" "$3"
}

gzip_size() { gzip -9 -c "$1" | wc -c; }

ensure_rust_target
ensure_wasm_pack
ensure_wasm_bindgen_cli
ensure_npm_tools
export PATH="$TOOLS_DIR/node_modules/.bin:$PATH"
say "wasm-opt on PATH: $(command -v wasm-opt) ($(wasm-opt --version))"

if [[ "${1:-}" == "--tools-only" ]]; then
    exit 0
fi

cd "$ROOT"
say "building the release package into pkg/ (wasm-pack, target web)"
# --target web: the package loads without a bundler, both from the demo page
# (ES module import) and in Node (initSync with the .wasm bytes).
wasm-pack build client-wasm --release --target web --out-dir ../pkg --out-name ott_client

wasm=pkg/ott_client_bg.wasm
glue=pkg/ott_client.js
minified="$(mktemp /tmp/ott_client.min.XXXXXX.js)"
trap 'rm -f "$minified"' EXIT
esbuild "$glue" --minify --format=esm --log-level=warning >"$minified"

print_size "ott_client_bg.wasm" "$(wc -c <"$wasm")" "$(gzip_size "$wasm")"
print_size "ott_client.js" "$(wc -c <"$glue")" "$(gzip_size "$glue")"
print_size "ott_client.js minified (esbuild)" "$(wc -c <"$minified")" "$(gzip_size "$minified")"
print_size "total: wasm + glue" \
    "$(( $(wc -c <"$wasm") + $(wc -c <"$glue") ))" \
    "$(( $(gzip_size "$wasm") + $(gzip_size "$glue") ))"
print_size "total: wasm + minified glue" \
    "$(( $(wc -c <"$wasm") + $(wc -c <"$minified") ))" \
    "$(( $(gzip_size "$wasm") + $(gzip_size "$minified") ))"
