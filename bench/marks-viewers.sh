#!/usr/bin/env bash
# The mark path while websocket viewers watch: for each viewer count, a fresh SQLite server
# pinned to core 0 and `podium-load marks --viewers N` pinned to core 1. Shows whether a judge's
# acknowledgement waits for the live fan-out (p50/p99 of mark → 200 with and without viewers).
# Prints one JSON line per run (to $OUT too: podium-load's report plus a "run" object with the
# start time and the load averages before and after) and a table at the end ("viewers" is those
# connected, "connected/requested" when some could not).
#   VIEWERS="0 1000" CLIENTS=32 BATCH=1 DURATION=10 bash bench/marks-viewers.sh
# Build first: cargo build --release -p podium -p podium-load
set -euo pipefail
here=$(pwd)
cd "$(dirname "$0")/.."
# Binaries given relative to the caller's directory; the defaults are the repository's.
abs() { case "$1" in /*) printf '%s\n' "$1" ;; *) printf '%s\n' "$here/$1" ;; esac; }
PODIUM_BIN=$(abs "${PODIUM_BIN:-$PWD/target/release/podium}")
LOAD_BIN=$(abs "${LOAD_BIN:-$PWD/target/release/podium-load}")
VIEWERS=${VIEWERS:-"0 1000"}
CLIENTS=${CLIENTS:-32}
BATCH=${BATCH:-1}
DURATION=${DURATION:-10}
CONNECT_RATE=${CONNECT_RATE:-2000}
OUT=$(abs "${OUT:-/tmp/podium-marks-viewers.jsonl}")
PORT=${PORT:-28091}
DB=/tmp/podium-mv.db
for bin in "$PODIUM_BIN" "$LOAD_BIN"; do
  [ -x "$bin" ] || { echo "no executable $bin (cargo build --release -p podium -p podium-load)" >&2; exit 1; }
done
# The viewers' sockets: podium-load raises its soft limit to this hard limit, the server too.
ulimit -n "$(ulimit -Hn)"
: > "$OUT"

wait_port() { for _ in $(seq 1 200); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.05; done; return 1; }
server=
stop_server() { if [ -n "$server" ]; then kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; server=; fi; }
trap stop_server EXIT

for n in $VIEWERS; do
  rm -f "$DB" "$DB-wal" "$DB-shm" "$DB-journal"
  # taskset execs the server: $! is the server's pid.
  PODIUM_ADMIN_PASSWORD=bench PODIUM_LOG=warn taskset -c 0 "$PODIUM_BIN" \
    --db "sqlite://$DB?mode=rwc" serve --no-demo --bind "127.0.0.1:$PORT" >/dev/null 2>&1 &
  server=$!
  wait_port "$PORT" || { echo "the server did not open port $PORT" >&2; exit 1; }
  started=$(date -u +%Y-%m-%dT%H:%M:%SZ)
  load_before=$(cut -d' ' -f1-3 /proc/loadavg)
  report=$(PODIUM_ADMIN_PASSWORD=bench taskset -c 1 "$LOAD_BIN" marks --url "http://127.0.0.1:$PORT" \
    --clients "$CLIENTS" --batch "$BATCH" --duration "$DURATION" --viewers "$n" --connect-rate "$CONNECT_RATE" --json)
  load_after=$(cut -d' ' -f1-3 /proc/loadavg)
  stop_server
  # podium-load's report as it printed it, with the "run" object spliced in first.
  printf '{"run":{"started":"%s","loadavg_before":"%s","loadavg_after":"%s"},%s\n' \
    "$started" "$load_before" "$load_after" "${report#\{}" | tee -a "$OUT"
done

python3 - "$OUT" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
print(f"{'viewers':>7} {'clients':>7} {'batch':>5} {'marks/s':>8} {'p50 ms':>7} {'p99 ms':>7} {'errors':>6} {'viewer frames':>13} {'gen cpu':>7}  {'started':20} load avg before")
for r in rows:
    p, l = r["params"], r["latency_ms"]
    gen = r.get("generator_cpu_cores")
    viewers = str(r["viewers_connected"]) if r["viewers_connected"] == p["viewers"] else f"{r['viewers_connected']}/{p['viewers']}"
    print(f"{viewers:>7} {p['clients']:>7} {p['batch']:>5} {r['marks_per_s']:>8.0f} {l['p50']:>7.1f} {l['p99']:>7.1f} "
          f"{r['errors']['total']:>6} {r['viewer_frames']:>13} {'' if gen is None else f'{gen:.2f}':>7}  {r['run']['started']:20} {r['run']['loadavg_before']}")
PY
