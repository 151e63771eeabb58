#!/usr/bin/env bash
# End-to-end suite: builds the server binary, then runs node --test; each
# test file starts its own server (random port, fresh SQLite file) through
# tests/server.js. Browser tests drive Debian's Chromium with playwright-core;
# the sqlite3 shell writes the fixtures the REST API cannot create yet
# (friendships). Both are installed with apt-get when missing; if that fails
# the suite stops and says what to install. E2E_SKIP_BROWSER=1 skips the
# Chromium install (the browser tests then report themselves skipped).
set -euo pipefail
cd "$(dirname "$0")"

# need CMD PACKAGE WHY: make sure CMD exists, installing the Debian PACKAGE.
need() {
  local cmd=$1 pkg=$2 why=$3 log
  command -v "$cmd" >/dev/null 2>&1 && return 0
  echo "e2e: $cmd not found; installing the Debian package $pkg ($why)"
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "e2e: ERROR: $cmd is missing and apt-get is not available. Install $pkg ($why) and run again." >&2
    exit 1
  fi
  if ! log=$( (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$pkg") 2>&1 ); then
    echo "e2e: ERROR: 'apt-get install $pkg' failed ($why). Install it by hand (as root: apt-get install $pkg)," >&2
    echo "e2e: or point CHROMIUM_PATH at a Chromium binary. Last lines from apt-get:" >&2
    printf '%s\n' "$log" | tail -n 15 | sed 's/^/e2e:   /' >&2
    exit 1
  fi
  if ! command -v "$cmd" >/dev/null 2>&1; then
    echo "e2e: ERROR: $pkg installed but $cmd is still not on PATH." >&2
    exit 1
  fi
}

if [ "${E2E_SKIP_BROWSER:-}" != 1 ] && [ ! -x "${CHROMIUM_PATH:-/usr/bin/chromium}" ]; then
  need chromium chromium "the browser tests drive it through playwright-core"
fi
need sqlite3 sqlite3 "friendship fixtures for the player notification route"

npm ci --no-audit --no-fund --loglevel=error

bin_dir="$(mktemp -d)"
trap 'rm -rf "$bin_dir"' EXIT
go build -o "$bin_dir/gamend" ../cmd/gamend
export GAMEND_BIN="$bin_dir/gamend"

node --test --test-concurrency=4 --test-timeout=240000 tests/
