#!/usr/bin/env bash
# Cold load of a WorldSkills-sized competition (60 skills, 1,500 entries and judges, 90,000
# marks): import time, the first request after a restart (which loads the competition from
# the database into memory), the server's peak RSS (VmHWM) and its RSS growth per stored mark.
#
#   bash bench/coldload.sh            # builds the release binaries first
#   PODIUM_BIN=… LOAD_BIN=… bash bench/coldload.sh   # other binaries (e.g. an older build)
#
# Everything stays on this machine: a throw-away SQLite database in a temporary folder and a
# server on 127.0.0.1. The server is stopped (by its pid) at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
target="${CARGO_TARGET_DIR:-target}"
if [[ -z "${PODIUM_BIN:-}" || -z "${LOAD_BIN:-}" ]]; then
  cargo build --release -p podium -p podium-load >&2
fi
PODIUM_BIN="${PODIUM_BIN:-$target/release/podium}"
LOAD_BIN="${LOAD_BIN:-$target/release/podium-load}"
# A free loopback port unless PORT is given.
PORT="${PORT:-$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}"
CODE=WS2026
work="$(mktemp -d /tmp/podium-coldload.XXXXXX)"
db="sqlite://$work/cold.db?mode=rwc"
server=""
cleanup() {
  if [[ -n "$server" ]]; then kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

now() { date +%s.%N; }
status_kb() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status"; }

"$LOAD_BIN" package --worldskills --code "$CODE" > "$work/package.json"
marks=$(grep -o '"aspect"' "$work/package.json" | wc -l)
echo "package: $(( $(stat -c %s "$work/package.json") / 1024 )) KiB, $marks marks"

t0=$(now)
"$PODIUM_BIN" --db "$db" import "$work/package.json" >/dev/null
t1=$(now)
echo "import: $(echo "$t1 - $t0" | bc) s"

PODIUM_ADMIN_PASSWORD=coldload PODIUM_LOG=warn "$PODIUM_BIN" --db "$db" serve --no-demo \
  --bind "127.0.0.1:$PORT" >"$work/server.log" 2>&1 &
server=$!
for _ in $(seq 1 200); do
  curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break
  kill -0 "$server" 2>/dev/null || { cat "$work/server.log" >&2; exit 1; }
  sleep 0.05
done
rss0=$(status_kb "$server" VmRSS)
url="http://127.0.0.1:$PORT/api/v1/competitions/$CODE/progress"
first=$(curl -s -o /dev/null -w '%{http_code} %{time_total}' "$url")
sleep 1
hwm=$(status_kb "$server" VmHWM)
rss1=$(status_kb "$server" VmRSS)
second=$(curl -s -o /dev/null -w '%{http_code} %{time_total}' "$url")
echo "first request (cold load): HTTP ${first% *}, ${first#* } s"
echo "second request (warm): HTTP ${second% *}, ${second#* } s"
echo "server RSS before the load: $((rss0 / 1024)) MiB; after: $((rss1 / 1024)) MiB; peak (VmHWM): $((hwm / 1024)) MiB"
echo "steady growth per stored mark: $(( (rss1 - rss0) * 1024 / marks )) B"
