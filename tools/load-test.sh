#!/usr/bin/env bash
# Load test of `./fssd serve` on loopback only: requests/s and p50/p95/p99 latency with C = 1, 4
# and 16 concurrent clients, with dynamic batching off (--max-batch 1) and on (--max-batch 8
# --max-delay-ms 5). Each run sends a fixed number of requests (ApacheBench), so it is bounded in
# count and time. After each mode it prints the server's batches by size (from /metrics), its
# warm-up time and its peak RSS.
#
# Then the slow-client scenario: --slow-clients (300) clients upload to /v1/detect on loopback, each
# sending one body byte every 2 s and reconnecting a second after its connection is answered or
# closed, for --slow-seconds (30); meanwhile /health is asked every 100 ms on a fresh connection
# (tools/SlowClients.java). It prints the /health latency percentiles and failed probes, how the
# slow uploads ended (408 upload_timeout, 503 too_many_uploads, ...), and the server's log: lines,
# ERROR lines, WARN lines. The server runs with its default upload limits and --max-batch 1 (the
# scenario is about the HTTP layer, not batching). Usage:
#   tools/load-test.sh [--model M.zip] [--image IMG] [--requests-per-client N] [--width-divisor D]
#                      [--scenario all|throughput|slow] [--slow-clients N] [--slow-seconds S]
# (--width-divisor: a narrower random model instead of the full FSSD300; for smoke runs only)
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
MODEL=""
IMAGE=""
PER_CLIENT=8
DIVISOR=1
SCENARIO=all
SLOW_CLIENTS=300
SLOW_SECONDS=30
usage() {
  echo "usage: $0 [--model M.zip] [--image IMG] [--requests-per-client N] [--width-divisor D]" \
    "[--scenario all|throughput|slow] [--slow-clients N] [--slow-seconds S]" >&2
  exit 2
}
while [ $# -gt 0 ]; do
  case "$1" in
    --model) MODEL="$2"; shift 2 ;;
    --image) IMAGE="$2"; shift 2 ;;
    --requests-per-client) PER_CLIENT="$2"; shift 2 ;;
    --width-divisor) DIVISOR="$2"; shift 2 ;;
    --scenario) SCENARIO="$2"; shift 2 ;;
    --slow-clients) SLOW_CLIENTS="$2"; shift 2 ;;
    --slow-seconds) SLOW_SECONDS="$2"; shift 2 ;;
    *) usage ;;
  esac
done
case "$SCENARIO" in all|throughput|slow) ;; *) usage ;; esac
if [ "$SCENARIO" != slow ]; then
  command -v ab > /dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq apache2-utils > /dev/null; }
fi
WORK="$(mktemp -d "${TMPDIR:-/tmp}/fssd-load.XXXXXX")"
trap 'kill "$SERVER" 2> /dev/null || true; rm -rf "$WORK"' EXIT
if [ -z "$MODEL" ]; then
  MODEL="$WORK/model.zip"
  "$ROOT/fssd" init --config voc300 --seed 1 --width-divisor "$DIVISOR" --out "$MODEL" > /dev/null
fi
if [ -z "$IMAGE" ]; then
  IMAGE="$WORK/sample.png"
  "$ROOT/fssd" sample-image --out "$IMAGE" > /dev/null
fi
PORT=$(( 20000 + RANDOM % 20000 ))
SERVER=""
# Starts `fssd serve` on loopback with the given flags, logging to $WORK/server-$1.log; waits for /health.
start_server() {
  local name="$1"; shift
  # The batcher's INFO line reports the warm-up time (the CLI logs WARN and above otherwise).
  FSSD_JAVA_OPTS="${FSSD_JAVA_OPTS:--Xmx8g} -Dorg.slf4j.simpleLogger.log.org.fssd.serve.DynamicBatcher=info" \
    "$ROOT/fssd" serve --model "$MODEL" --host 127.0.0.1 --port "$PORT" "$@" > "$WORK/server-$name.log" 2>&1 &
  SERVER=$!
  for _ in $(seq 1 240); do
    curl -sf "http://127.0.0.1:$PORT/health" > /dev/null 2>&1 && break
    sleep 0.5
  done
  curl -sf "http://127.0.0.1:$PORT/health" > /dev/null || { echo "server did not become healthy; log:" >&2; cat "$WORK/server-$name.log" >&2; exit 1; }
}
stop_server() {
  kill -TERM "$SERVER"; wait "$SERVER" 2> /dev/null || true; SERVER=""
}
if [ "$SCENARIO" != slow ]; then
printf '%-9s %3s %9s %10s %8s %8s %8s\n' batching C requests "req/s" p50_ms p95_ms p99_ms
declare -A RPS
for mode in off on; do
  if [ "$mode" = off ]; then BATCH=(--max-batch 1 --max-delay-ms 1); else BATCH=(--max-batch 8 --max-delay-ms 5); fi
  start_server "$mode" --max-queue 256 "${BATCH[@]}"
  for c in 1 4 16; do
    n=$(( c * PER_CLIENT ))
    ab -q -n "$n" -c "$c" -p "$IMAGE" -T image/png "http://127.0.0.1:$PORT/v1/detect" > "$WORK/ab.txt" 2>&1
    # ab counts responses whose length differs from the first as "failed (Length)": detections of a
    # batched run differ in the last float digits, so only connection/receive/exception failures count.
    # That breakdown line, "(Connect: c, Receive: r, Length: l, Exceptions: e)", is printed only when
    # some failed; "Connect:" alone would also match the "Connection Times" table.
    failed=$(awk -F'[(),: ]+' '/\(Connect:/ {print $3 + $5 + $9; exit}' "$WORK/ab.txt")
    non2xx=$(awk '/Non-2xx responses/ {print $3}' "$WORK/ab.txt")
    rps=$(awk '/Requests per second/ {print $4}' "$WORK/ab.txt")
    p50=$(awk '$1 == "50%" {print $2}' "$WORK/ab.txt")
    p95=$(awk '$1 == "95%" {print $2}' "$WORK/ab.txt")
    p99=$(awk '$1 == "99%" {print $2}' "$WORK/ab.txt")
    RPS["$mode-$c"]="$rps"
    printf '%-9s %3d %9d %10s %8s %8s %8s%s\n' "$mode" "$c" "$n" "$rps" "$p50" "$p95" "$p99" \
      "$([ "${failed:-0}" != 0 ] || [ -n "${non2xx:-}" ] && echo "  (failed ${failed:-0}, non-2xx ${non2xx:-0})")"
  done
  # Batches by size: the sizes are 1, 2, 4, ... and max-batch, the histogram's bucket bounds.
  curl -sf "http://127.0.0.1:$PORT/metrics" | awk -v mode="$mode" '
    /^fssd_batch_size_bucket/ { match($0, /le="[^"]+"/); le = substr($0, RSTART + 4, RLENGTH - 5);
      if (le != "+Inf") { n = $2 - prev; prev = $2; if (n > 0) out = out sprintf(" %sx%d", le + 0, n) } }
    /^fssd_queue_wait_seconds_sum/ { w = $2 } /^fssd_queue_wait_seconds_count/ { c = $2 }
    END { printf "  batching %s: batches (size x count):%s; mean queue wait %.0f ms\n", mode, out, c ? 1000 * w / c : 0 }'
  # The server JVM is the launcher's exec'd java (same pid).
  hwm=$(awk '/VmHWM/ {printf "%.1f GB", $2 / 1048576}' "/proc/$SERVER/status" 2> /dev/null || true)
  warm=$(grep -o 'warm-up (batch sizes [^)]*) took [0-9]* ms' "$WORK/server-$mode.log" | head -1 || true)
  echo "  batching $mode: server peak RSS ${hwm:-?}; ${warm:-warm-up time not logged}"
  stop_server
done
for c in 4 16; do
  awk -v a="${RPS[on-$c]}" -v b="${RPS[off-$c]}" -v c="$c" 'BEGIN { printf "batching gain at C=%d: %.2f\n", c, a / b }'
done
fi
if [ "$SCENARIO" != throughput ]; then
  # Slow clients: bounded in clients, time and place (loopback; SlowClients.java connects to 127.0.0.1 only).
  start_server slow --max-batch 1
  before=$(wc -l < "$WORK/server-slow.log")
  java "$ROOT/tools/SlowClients.java" "$PORT" "$SLOW_CLIENTS" "$SLOW_SECONDS" 2000
  sleep 1
  log="$WORK/server-slow.log"
  echo "server log during the slow-client run: $(( $(wc -l < "$log") - before )) lines," \
    "$(grep -c ' ERROR ' "$log" || true) ERROR, $(grep -c ' WARN ' "$log" || true) WARN," \
    "$(grep -c '^[[:space:]]at ' "$log" || true) stack frames"
  stop_server
fi
