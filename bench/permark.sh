#!/usr/bin/env bash
# The fixed work of one mark: the server's CPU and context switches per mark, by thread, with
# one viewer and marks at 20/s (each mark alone: no group commit, no merged frame). Runs a
# warm-up of 5 marks, then UPDATES marks, and reads every server thread's CPU ticks and
# context switches from /proc before and after the second run (ticks are 10 ms: use a few
# hundred marks). The server is pinned to core 0, the load generator to core 1.
#   UPDATES=400 bash bench/permark.sh [path/to/podium]
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${1:-./target/release/podium}
UPDATES=${UPDATES:-400}
PORT=${PORT:-28197}
[ -n "${1:-}" ] || cargo build --release -q -p podium -p podium-load
rm -f /tmp/podium-permark.db*
PODIUM_ADMIN_PASSWORD=bench PODIUM_LOG=warn taskset -c 0 "$BIN" --db "sqlite:///tmp/podium-permark.db?mode=rwc" \
  serve --no-demo --bind "127.0.0.1:$PORT" --live-rate 50 >/dev/null 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 1 200); do (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break; sleep 0.05; done
snapshot() { # tid name ticks switches
  for t in /proc/$server/task/*; do
    echo "$(basename "$t") $(tr ' ' '_' < "$t/comm") $(awk '{print $14 + $15}' "$t/stat") \
      $(awk '/^(voluntary|nonvoluntary)_ctxt_switches/ {s += $2} END {print s}' "$t/status")"
  done
}
live() {
  PODIUM_ADMIN_PASSWORD=bench taskset -c 1 ./target/release/podium-load live --target podium \
    --url "http://127.0.0.1:$PORT" --viewers 1 --updates "$1" --rate 20 >/dev/null 2>&1
}
live 5
before=$(snapshot)
live "$UPDATES"
after=$(snapshot)
python3 - "$UPDATES" "$before" "$after" <<'PY'
import collections, sys
updates = int(sys.argv[1])
def parse(text):
    return {f[0]: (f[1], int(f[2]), int(f[3])) for f in (l.split() for l in text.splitlines()) if len(f) == 4}
before, after = parse(sys.argv[2]), parse(sys.argv[3])
by_name = collections.defaultdict(lambda: [0, 0])
for tid, (name, ticks, switches) in after.items():
    _, t0, s0 = before.get(tid, (name, 0, 0))
    by_name[name][0] += ticks - t0
    by_name[name][1] += switches - s0
total = [0, 0]
print(f"{'thread':22} {'CPU µs/mark':>12} {'switches/mark':>14}")
for name, (ticks, switches) in sorted(by_name.items(), key=lambda kv: -kv[1][0]):
    if ticks or switches:
        total[0] += ticks; total[1] += switches
        print(f"{name:22} {ticks * 10000 / updates:12.0f} {switches / updates:14.2f}")
print(f"{'all threads':22} {total[0] * 10000 / updates:12.0f} {total[1] / updates:14.2f}")
PY
