#!/usr/bin/env bash
# Every figure of BENCHMARKS.md on the checked-out commit, in one run (about 10 minutes):
# the mark path on SQLite and PostgreSQL (Unix socket), the mark path with 1,000 viewers, the
# fan-out against the Node peer and the kernel floor (--live-rate 50 and the default 10, one
# and two server cores), and the cold load of the 90,000-mark competition. Results in
# $OUT_DIR (default /tmp/podium-bench) as JSON lines and text. Build first:
#   cargo build --release -p podium -p podium-load && bash bench/all.sh
set -uo pipefail
cd "$(dirname "$0")/.."
R=${OUT_DIR:-/tmp/podium-bench}; mkdir -p "$R"
ulimit -n "$(ulimit -Hn)"
git rev-parse --short HEAD > $R/commit
date -u +%FT%TZ > $R/started
wait_port() { for _ in $(seq 1 200); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.05; done; return 1; }
marks() { # db-url clients batch viewers
  local port=28100
  PODIUM_ADMIN_PASSWORD=bench PODIUM_LOG=warn taskset -c 0 ./target/release/podium --db "$1" serve --no-demo --bind 127.0.0.1:$port >/dev/null 2>&1 &
  local s=$!
  wait_port $port
  PODIUM_ADMIN_PASSWORD=bench taskset -c 1 ./target/release/podium-load marks --url http://127.0.0.1:$port --clients $2 --batch $3 --duration 10 --viewers $4 --json \
    | python3 -c "import json,sys; r=json.load(sys.stdin); r['db']=sys.argv[1]; print(json.dumps(r))" "$5" | tee -a $R/marks.jsonl
  kill $s; wait $s 2>/dev/null
}
: > $R/marks.jsonl
for cb in "32 1" "128 1" "256 1" "32 10"; do rm -f /tmp/bm.db*; marks "sqlite:///tmp/bm.db?mode=rwc" $cb 0 sqlite; done
rm -f /tmp/bm.db*; marks "sqlite:///tmp/bm.db?mode=rwc" 32 1 1000 sqlite
for cb in "32 1" "256 1" "32 10"; do
  psql -h 127.0.0.1 -U postgres -qc "drop database if exists podium_bench" -qc "create database podium_bench" >/dev/null
  marks "postgres://postgres@%2Fvar%2Frun%2Fpostgresql/podium_bench" $cb 0 postgres
done
# Fan-out against the peer and the floor.
# 1,000 and 5,000 viewers three times each (the ratios' median and spread), 10,000 once.
VIEWERS="1000 5000" REPEAT=3 RATE=20 UPDATES=200 LIVE_RATE=50 OUT=$R/curves50.jsonl bash bench/curves.sh > $R/curves50.txt 2>&1
VIEWERS="10000" RATE=20 UPDATES=200 LIVE_RATE=50 OUT=$R/curves50-10k.jsonl bash bench/curves.sh > $R/curves50-10k.txt 2>&1
VIEWERS="1000" RATE=20 UPDATES=200 LIVE_RATE=10 OUT=$R/curves10.jsonl bash bench/curves.sh > $R/curves10.txt 2>&1
VIEWERS="1000 5000" RATE=20 UPDATES=200 LIVE_RATE=50 SERVER_CORES=0,1 OUT=$R/curves2core.jsonl bash bench/curves.sh > $R/curves2core.txt 2>&1
bash bench/coldload.sh > $R/coldload.txt 2>&1
date -u +%FT%TZ > $R/finished
