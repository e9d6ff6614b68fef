#!/usr/bin/env bash
# Fan-out curves: Podium and the reference Node `ws` peer at the same viewer counts, in one run,
# the server pinned to core 0 and the load generator to core 1. Prints one JSON line per run
# (to $OUT too) and a table at the end. The peer gets Podium's measured bytes per update as
# its payload, so both move the same bytes.
#   VIEWERS="100 1000 5000 10000 18000" RATE=20 UPDATES=200 bash bench/curves.sh
set -euo pipefail
cd "$(dirname "$0")/.."
ulimit -n "$(ulimit -Hn)"
VIEWERS=${VIEWERS:-"100 1000 2000 5000 10000 18000"}
RATE=${RATE:-20}
UPDATES=${UPDATES:-200}
PEER=${PEER:-../shared/bench/run-peer.sh}
OUT=${OUT:-/tmp/podium-curves.jsonl}
PORT=${PORT:-28090}
: > "$OUT"
cargo build --release -q -p podium -p podium-load
export PEER_DIR=${PEER_DIR:-/tmp/podium-bench-peer}
mkdir -p "$PEER_DIR"

wait_port() { for _ in $(seq 1 200); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.05; done; return 1; }

for n in $VIEWERS; do
  rm -f /tmp/podium-curves.db*
  PODIUM_ADMIN_PASSWORD=bench PODIUM_LOG=warn taskset -c 0 ./target/release/podium \
    --db "sqlite:///tmp/podium-curves.db?mode=rwc" serve --no-demo --bind "127.0.0.1:$PORT" >/dev/null 2>&1 &
  server=$!
  wait_port "$PORT"
  PODIUM_ADMIN_PASSWORD=bench taskset -c 1 ./target/release/podium-load live --target podium \
    --url "http://127.0.0.1:$PORT" --viewers "$n" --updates "$UPDATES" --rate "$RATE" --server-pid "$server" --json \
    | tee -a "$OUT"
  kill "$server"; wait "$server" 2>/dev/null || true
  bytes=$(tail -n 1 "$OUT" | python3 -c 'import json,sys; print(int(json.load(sys.stdin)["bytes_per_update_frame"]))')

  taskset -c 0 bash "$PEER" 8090 >/dev/null 2>&1 &
  peer=$!   # run-peer.sh execs node: this is node's pid
  wait_port 8090
  taskset -c 1 ./target/release/podium-load live --target peer --url ws://127.0.0.1:8090 \
    --viewers "$n" --updates "$UPDATES" --rate "$RATE" --payload "$bytes" --server-pid "$peer" --json | tee -a "$OUT"
  kill "$peer"; wait "$peer" 2>/dev/null || true
done

python3 - "$OUT" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
print(f"{'target':7} {'viewers':>7} {'rate/s':>6} {'p50 ms':>7} {'p99 ms':>7} {'max ms':>7} {'all p50':>7} {'deliv/s':>8} {'cpu ms/1k':>9} {'KB/conn':>7} {'B/upd':>6} {'missing':>7}")
for r in rows:
    l, a = r["latency_ms"], r["all_viewers_ms"]
    print(f"{r['target']:7} {r['viewers_connected']:>7} {r['achieved_rate']:>6.1f} {l['p50']:>7.1f} {l['p99']:>7.1f} {l['max']:>7.1f} "
          f"{a['p50']:>7.1f} {r['deliveries_per_s']:>8.0f} {r.get('server_cpu_ms_per_1000_deliveries') or 0:>9.1f} "
          f"{r.get('server_rss_kb_per_connection') or 0:>7.1f} {r['bytes_per_update_frame']:>6.0f} {r['missing_deliveries']:>7}")
PY
