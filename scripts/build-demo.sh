#!/usr/bin/env bash
# Prepares the demo page in www/ for serving: installs its pinned npm
# packages (npm ci, only when www/node_modules does not match the lock file)
# and copies the browser build of the QR code library into www/vendor/.
# The page itself needs no build step. Safe to run again: it only redoes
# what is out of date.
#
# Usage: scripts/build-demo.sh
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
WWW="$ROOT/www"
say() { printf '[build-demo] %s\n' "$*"; }

if [[ -f "$WWW/node_modules/.package-lock.json" && "$WWW/node_modules/.package-lock.json" -nt "$WWW/package-lock.json" ]]; then
    say "npm packages of www/ are up to date"
else
    say "installing the npm packages of www/ (npm ci)"
    npm ci --prefix "$WWW" --no-audit --no-fund
fi

# The ES module build of qrcode-generator (MIT). Its file header carries the
# copyright and licence notice, so the copy keeps them.
source_file="$WWW/node_modules/qrcode-generator/dist/qrcode.mjs"
target_file="$WWW/vendor/qrcode-generator.mjs"
if [[ ! -f "$source_file" ]]; then
    say "cannot find $source_file after npm ci; check www/package.json" >&2
    exit 1
fi
mkdir -p "$WWW/vendor"
if cmp -s "$source_file" "$target_file"; then
    say "www/vendor/qrcode-generator.mjs is up to date"
else
    cp "$source_file" "$target_file"
    say "copied qrcode-generator $(node -p "require('$WWW/node_modules/qrcode-generator/package.json').version") to www/vendor/qrcode-generator.mjs"
fi
say "demo page ready in www/ (served at / by ott-server when pkg/ is built too)"
