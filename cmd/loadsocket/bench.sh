#!/usr/bin/env bash
# The socket benchmarks of docs/BENCHMARKS.md, on this machine, with the
# load client beside the server:
#
#   rss   server RSS per idle socket joined to user:{id}, 10,000 sockets
#   join  10,000 sockets authenticated, connected and joined (wall time)
#   push  5,000 notifications/s created over REST for 30 s, each pushed
#         live to its recipient's socket: REST→socket latency p50/p99, and
#         a timeline of it per 250 ms in $BENCH_DIR/timeline-N.txt
#
#   cmd/loadsocket/bench.sh [rss|join|push|all] [runs]
#
# Every run starts the server fresh on an SQLite file in $BENCH_DIR (the
# WAL checkpointed away first), so runs are comparable. It needs sqlite3
# (apt-get install sqlite3) and about 20,000 file descriptors.
set -euo pipefail
cd "$(dirname "$0")/../.."

what=${1:-all}
runs=${2:-5}
dir=${BENCH_DIR:-/tmp/gamend-bench}
port=${BENCH_PORT:-4100}
n=10000
mkdir -p "$dir"
ulimit -n 20000 2>/dev/null || true

CGO_ENABLED=0 go build -o "$dir/gamend" ./cmd/gamend
go build -o "$dir/loadsocket" ./cmd/loadsocket
ws="ws://127.0.0.1:$port/socket/websocket"

stop() {
  pkill -f "^$dir/gamend" 2>/dev/null || true
  for _ in $(seq 1 100); do pgrep -f "^$dir/gamend" >/dev/null || return 0; sleep 0.1; done
  pkill -9 -f "^$dir/gamend" 2>/dev/null || true
}

start() {
  stop
  if [ -f "$dir/data/gamend.db" ]; then
    sqlite3 "$dir/data/gamend.db" "PRAGMA wal_checkpoint(TRUNCATE); DELETE FROM notifications; PRAGMA wal_checkpoint(TRUNCATE);" >/dev/null
  fi
  (cd "$dir" && env PORT=$port LOG_LEVEL=warn RATE_LIMIT_HTTP_AUTH_LIMIT=1000000 \
    RATE_LIMIT_HTTP_GENERAL_LIMIT=100000000 "$@" "$dir/gamend" >"$dir/server.log" 2>&1 &)
  local up=
  for _ in $(seq 1 100); do curl -sf "127.0.0.1:$port/api/v1/health" >/dev/null && up=1 && break; sleep 0.1; done
  if [ -z "$up" ]; then echo "the server did not start; see $dir/server.log" >&2; tail -5 "$dir/server.log" >&2; exit 1; fi
  sleep 2 # let start-up work settle
}

pid() { pgrep -f "^$dir/gamend" | head -1; }
rss_kb() { awk '/VmRSS/ {print $2}' "/proc/$(pid)/status"; }

# Fresh tokens (they live 15 minutes) for n+1 device users; the first user
# ever created is the administrator who sends the notifications.
tokens() {
  start
  "$dir/loadsocket" -url "$ws" -device-login -n $((n + 1)) -c 64 -device-prefix bench -save-tokens "$dir/tokens.txt" >/dev/null
  head -1 "$dir/tokens.txt" >"$dir/admin.txt"
  tail -n +2 "$dir/tokens.txt" >"$dir/sockets.txt"
  # The sign-ups ran concurrently: make sure the first token's user is
  # an administrator (POST /api/v1/admin/notifications).
  local payload; payload=$(cut -d. -f2 "$dir/admin.txt" | tr '_-' '/+')
  while [ $(( ${#payload} % 4 )) -ne 0 ]; do payload="$payload="; done
  local sub; sub=$(echo "$payload" | base64 -d | sed -n 's/.*"sub":"\([^"]*\)".*/\1/p')
  (cd "$dir" && ./gamend admin grant "$sub" >/dev/null)
}

run_rss() {
  start
  local base; base=$(rss_kb)
  "$dir/loadsocket" -url "$ws" -tokens "$dir/sockets.txt" -n $n -c 128 -duration 50s -probe-rate 0 >"$dir/rss.out" 2>/dev/null &
  local lp=$!
  sleep 12; local busy; busy=$(rss_kb)
  sleep 30; local idle; idle=$(rss_kb)
  wait $lp || true
  echo "rss: base ${base} KB; 10k joined sockets: ${busy} KB after the ramp, ${idle} KB idle" \
    "=> $(( (busy - base) * 1024 / n )) B / $(( (idle - base) * 1024 / n )) B per socket"
}

run_join() {
  start
  "$dir/loadsocket" -url "$ws" -tokens "$dir/sockets.txt" -n $n -c 128 -duration 1s -probe-rate 0 2>/dev/null | grep '^sockets:' || true
}

pushes=0
p99s=()
run_push() {
  start
  pushes=$((pushes + 1))
  local tl="$dir/timeline-$pushes.txt"
  "$dir/loadsocket" -url "$ws" -tokens "$dir/sockets.txt" -n $n -c 128 -duration 30s -probe-rate 0 \
    -notify-rate 5000 -notify-workers 256 -admin-token "$(cat "$dir/admin.txt")" -timeline "$tl" 2>/dev/null | grep -E '^(sockets|rest|push|notify)' | tee "$dir/push.out" || true
  p99s+=("$(sed -n 's/^push:.*p99=\([0-9.]*\)ms.*/\1/p' "$dir/push.out")")
  # Where the slow pushes are: 250 ms windows of send time whose p99 is
  # over the 50 ms target (the file has every window).
  [ -f "$tl" ] && awk 'NR > 1 { n++; if ($4 > 50) bad++ } END { printf "windows:   %d of %d (250 ms each) with push p99 > 50 ms; see %s\n", bad, n, FILENAME }' "$tl"
}

# The median push p99 over the runs (the machine's speed varies from run
# to run, so one run says little).
push_summary() {
  [ ${#p99s[@]} -gt 0 ] || return 0
  printf '%s\n' "${p99s[@]}" | sort -g | awk '{ v[NR] = $1 } END { m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; printf "push p99: median %.1f ms over %d runs (", m, NR; for (i = 1; i <= NR; i++) printf "%s%s", v[i], (i < NR ? " " : ""); print " ms)" }'
}

trap stop EXIT
case $what in
  rss) tokens; run_rss ;;
  join) tokens; for _ in $(seq 1 "$runs"); do run_join; done ;;
  push) for _ in $(seq 1 "$runs"); do tokens; run_push; done; push_summary ;;
  all)
    tokens; run_rss
    tokens; for _ in $(seq 1 "$runs"); do run_join; done
    for _ in $(seq 1 "$runs"); do tokens; run_push; done
    push_summary
    ;;
  *) echo "usage: $0 [rss|join|push|all] [runs]" >&2; exit 2 ;;
esac
