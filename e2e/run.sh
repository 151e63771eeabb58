#!/usr/bin/env bash
# End-to-end suite: builds the server binary, then runs node --test; each
# test file starts its own server (random port, fresh SQLite file) through
# tests/server.js. Browser tests drive Debian's Chromium with playwright-core.
set -euo pipefail
cd "$(dirname "$0")"

if ! command -v chromium >/dev/null 2>&1; then
  echo "installing Debian chromium for the browser tests"
  if command -v apt-get >/dev/null 2>&1; then
    (apt-get update -qq && apt-get install -y -qq chromium) >/dev/null
  fi
fi

npm ci --no-audit --no-fund --loglevel=error

bin_dir="$(mktemp -d)"
trap 'rm -rf "$bin_dir"' EXIT
go build -o "$bin_dir/gamend" ../cmd/gamend
export GAMEND_BIN="$bin_dir/gamend"

node --test --test-concurrency=4 --test-timeout=240000 tests/
