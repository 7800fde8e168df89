#!/usr/bin/env bash
# Runs ott-server with the demo page on an embedded SQLite file.
#
# Installs what is missing: the wasm32 target, wasm-pack, the wasm-bindgen
# CLI, wasm-opt from npm binaryen and the demo's npm package. Then it builds
# the browser package into pkg/ and the demo page's vendor folder,
# builds the server in release mode and starts it on http://127.0.0.1:3000.
# The database and a generated secret live in ./data/. Extra arguments go to
# ott-server, for example `scripts/run.sh --listen 127.0.0.1:8080`.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
say() { printf '[run] %s\n' "$*"; }

say "building the browser package into pkg/ (installs the wasm tools on first use)"
scripts/build-client.sh

say "preparing the demo page (its QR code library comes from npm)"
scripts/build-demo.sh

say "building ott-server (release)"
cargo build --release -p ott-server

say "starting ott-server; open the address of its \"listening on\" line (http://127.0.0.1:3000/ by default) and stop with Ctrl-C"
exec target/release/ott-server "$@"
