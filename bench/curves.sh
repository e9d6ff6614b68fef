#!/usr/bin/env bash
# Fan-out curves: Podium and the reference Node `ws` peer at the same viewer counts, in one run,
# the server pinned to core 0 and the load generator to core 1. Prints one JSON line per run
# (to $OUT too) and a table at the end. The peer gets Podium's measured bytes per update as
# its payload, so both move the same bytes.
# Then the kernel floor (../shared/bench/floor.c: one write() of a ready frame per socket) at the
# same viewer counts and frame size.
#   VIEWERS="100 1000 5000 10000 18000" RATE=20 UPDATES=200 bash bench/curves.sh
# SERVER_CORES=0,1 gives Podium both cores (the load generator then shares them); LOAD_CORES
# (default 1) pins the load generator, e.g. SERVER_CORES=0,1 LOAD_CORES=2,3 on a 4-core machine;
# LIVE_RATE sets --live-rate (frames per channel per second, default 10: at 20 marks/s a
# viewer then gets merged deltas, each held up to 100 ms).
set -euo pipefail
cd "$(dirname "$0")/.."
ulimit -n "$(ulimit -Hn)"
VIEWERS=${VIEWERS:-"100 1000 2000 5000 10000 18000"}
RATE=${RATE:-20}
UPDATES=${UPDATES:-200}
PEER=${PEER:-../shared/bench/run-peer.sh}
OUT=${OUT:-/tmp/podium-curves.jsonl}
PORT=${PORT:-28090}
SERVER_CORES=${SERVER_CORES:-0}
LOAD_CORES=${LOAD_CORES:-1}
LIVE_RATE=${LIVE_RATE:-10}
REPEAT=${REPEAT:-1}
FLOOR_SRC=${FLOOR_SRC:-../shared/bench/floor.c}
: > "$OUT"
cargo build --release -q -p podium -p podium-load
export PEER_DIR=${PEER_DIR:-/tmp/podium-bench-peer}
mkdir -p "$PEER_DIR"

wait_port() { for _ in $(seq 1 200); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.05; done; return 1; }

for n in $(for v in $VIEWERS; do for _ in $(seq 1 "$REPEAT"); do echo "$v"; done; done); do
  rm -f /tmp/podium-curves.db*
  PODIUM_ADMIN_PASSWORD=bench PODIUM_LOG=warn taskset -c "$SERVER_CORES" ./target/release/podium \
    --db "sqlite:///tmp/podium-curves.db?mode=rwc" serve --no-demo --bind "127.0.0.1:$PORT" \
    --live-rate "$LIVE_RATE" --max-sockets-per-address 100000 >/dev/null 2>&1 &
  server=$!
  wait_port "$PORT"
  PODIUM_ADMIN_PASSWORD=bench taskset -c "$LOAD_CORES" ./target/release/podium-load live --target podium \
    --url "http://127.0.0.1:$PORT" --viewers "$n" --updates "$UPDATES" --rate "$RATE" --server-pid "$server" --json \
    | tee -a "$OUT"
  kill "$server"; wait "$server" 2>/dev/null || true
  bytes=$(tail -n 1 "$OUT" | python3 -c 'import json,sys; print(int(json.load(sys.stdin)["bytes_per_update_frame"]))')

  taskset -c "$SERVER_CORES" bash "$PEER" 8090 >/dev/null 2>&1 &
  peer=$!   # run-peer.sh execs node: this is node's pid
  wait_port 8090
  taskset -c "$LOAD_CORES" ./target/release/podium-load live --target peer --url ws://127.0.0.1:8090 \
    --viewers "$n" --updates "$UPDATES" --rate "$RATE" --payload "$bytes" --server-pid "$peer" --json | tee -a "$OUT"
  kill "$peer"; wait "$peer" 2>/dev/null || true

  if [ -f "$FLOOR_SRC" ]; then
    [ -x /tmp/podium-floor ] || gcc -O2 -pthread -o /tmp/podium-floor "$FLOOR_SRC"
    # floor.c holds both ends of every socket: it needs 2 × n descriptors.
    if [ $((2 * n + 64)) -gt "$(ulimit -n)" ]; then
      echo "floor at $n viewers skipped: it needs $((2 * n + 64)) open files, the limit is $(ulimit -n)" >&2
      continue
    fi
    line=$(/tmp/podium-floor "$n" "$bytes" 20 | tail -n 1) || { echo "floor at $n viewers failed" >&2; continue; }
    python3 - "$n" "$bytes" "$line" <<'PY' | tee -a "$OUT"
import json, re, sys
n, size, line = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
best = float(re.search(r"\((\d+) ns/send", line).group(1))
mean = float(re.search(r"mean (\d+) ns/send", line).group(1))
print(json.dumps({"target": "floor", "viewers_connected": n, "bytes_per_update_frame": size,
                  "floor_best_us_per_send": best / 1000, "floor_mean_us_per_send": mean / 1000}))
PY
  fi
done

python3 - "$OUT" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
# Each Podium run is paired with the peer and floor runs that follow it at the same count.
def following(k, target, n):
    return next((r for r in rows[k + 1:] if r["target"] == target and r["viewers_connected"] == n), None)
rounds = [(r, following(k, "peer", r["viewers_connected"]), following(k, "floor", r["viewers_connected"]))
          for k, r in enumerate(rows) if r["target"] == "podium"]
rows = [r for r in rows if r["target"] != "floor"]
# Latencies as the viewer read the frame, then (arr) as the frame reached its socket (kernel stamp).
print(f"{'target':7} {'viewers':>7} {'rate/s':>6} {'p50 ms':>7} {'p99 ms':>7} {'max ms':>7} {'all p50':>7} "
      f"{'arr p50':>7} {'arr p99':>7} {'arr all':>7} {'deliv/s':>8} {'cpu ms/1k':>9} {'KB/conn':>7} {'B/upd':>6} {'missing':>7}")
for r in rows:
    l, a = r["latency_ms"], r["all_viewers_ms"]
    al, aa = r.get("arrival_latency_ms") or {}, r.get("arrival_all_viewers_ms") or {}
    print(f"{r['target']:7} {r['viewers_connected']:>7} {r['achieved_rate']:>6.1f} {l['p50']:>7.1f} {l['p99']:>7.1f} {l['max']:>7.1f} "
          f"{a['p50']:>7.1f} {al.get('p50', 0):>7.1f} {al.get('p99', 0):>7.1f} {aa.get('p50', 0):>7.1f} "
          f"{r['deliveries_per_s']:>8.0f} {r.get('server_cpu_ms_per_1000_deliveries') or 0:>9.1f} "
          f"{r.get('server_rss_kb_per_connection') or 0:>7.1f} {r['bytes_per_update_frame']:>6.0f} {r['missing_deliveries']:>7}")
print()
print("CPU per delivery (µs): Podium, the peer, the kernel floor (best / mean of 20 rounds), ratios")
ratios = {}
for mine_row, peer_row, floor in rounds:
    n = mine_row["viewers_connected"]
    mine = mine_row.get("server_cpu_ms_per_1000_deliveries") or 0
    peer = (peer_row or {}).get("server_cpu_ms_per_1000_deliveries")
    line = f"{n:>7} viewers: podium {mine:.2f}"
    got = ratios.setdefault(n, {"peer": [], "best": [], "mean": []})
    if peer:
        line += f"  peer {peer:.2f}  podium/peer {mine / peer:.2f}"
        got["peer"].append(mine / peer)
    if floor:
        best, mean = floor["floor_best_us_per_send"], floor["floor_mean_us_per_send"]
        line += f"  floor {best:.2f} / {mean:.2f}  podium/floor {mine / best:.2f} / {mine / mean:.2f}"
        got["best"].append(mine / best)
        got["mean"].append(mine / mean)
    print(line)
for n, got in ratios.items():
    if len(got["peer"]) > 1 or len(got["best"]) > 1:
        med = lambda xs: f"{statistics.median(xs):.2f} (of {len(xs)}: {min(xs):.2f}-{max(xs):.2f})" if xs else "-"
        print(f"{n:>7} viewers, medians: podium/peer {med(got['peer'])}  podium/floor best {med(got['best'])}  mean {med(got['mean'])}")
PY
