#!/usr/bin/env bash
# Cold start to first answered request, and idle memory, of the release binary.
# Usage: scripts/measure-startup.sh [runs]   (build first: cargo build --release)
# "Cold" means a fresh data folder: migrations, reference data (1,294 units, 795 conversion
# rows, PAPI), secret key and first admin are all created before the first answer.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=target/release/loa
runs=${1:-5}
port=18765
[ -x "$bin" ] || { echo "build first: cargo build --release" >&2; exit 1; }
now_ms() { date +%s%3N; }
for kind in cold warm; do
  data=$(mktemp -d)
  for i in $(seq 1 "$runs"); do
    [ "$kind" = cold ] && { rm -rf "$data"; data=$(mktemp -d); }
    start=$(now_ms)
    LOA_DATA_DIR="$data" LOA_BIND=127.0.0.1:$port LOA_ADMIN_PASSWORD=measure-password-1 LOA_LOG=warn "$bin" >/dev/null 2>&1 &
    pid=$!
    until curl -fs "http://127.0.0.1:$port/healthz" >/dev/null 2>&1; do sleep 0.005; done
    ready=$(now_ms)
    login_page=$(curl -s -o /dev/null -w '%{time_total}' "http://127.0.0.1:$port/login")
    sleep 2
    rss=$(awk '/VmRSS/ {print $2}' /proc/$pid/status)
    kill -TERM $pid; wait $pid || true
    echo "$kind run $i: first response after $((ready - start)) ms, /login in ${login_page}s, idle RSS $((rss / 1024)) MiB"
  done
  rm -rf "$data"
done
