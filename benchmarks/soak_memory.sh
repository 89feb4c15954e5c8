#!/usr/bin/env bash
# Memory soak of the real CLI: `meshtail demo --serve --faults ...` in one process, `meshtail tail -A`
# in another, for DURATION seconds; samples both processes' RSS every 15 s.
#   bash benchmarks/soak_memory.sh [DURATION] [RATE]
set -euo pipefail
DURATION=${1:-300}; RATE=${2:-300}
TMP=$(mktemp -d)
FAULTS="cut=3s,reset=5s,stall=20s,restart-api=30s,expire=15s,churn=1s,restart-container=7s,429=0.02,503=0.01,token=25s"
python3 -m meshtail.commands.cli demo --serve --kubeconfig-out "$TMP/kc" --rate "$RATE" --faults "$FAULTS" \
  --duration $((DURATION + 20)) 2> "$TMP/serve.err" &
SERVER=$!
sleep 3
python3 -m meshtail.commands.cli tail --kubeconfig "$TMP/kc" -A -o jsonl --stall-timeout 10s --duration "$DURATION" \
  > /dev/null 2> "$TMP/tail.err" &
TAIL=$!
rss() { awk '/VmRSS/ {printf "%.0f", $2/1024}' "/proc/$1/status" 2>/dev/null || echo "-"; }
echo "t(s) server_MB tail_MB"
for ((t = 0; t <= DURATION; t += 15)); do
  echo "$t $(rss $SERVER) $(rss $TAIL)"
  sleep 15
done
wait $TAIL || true
wait $SERVER || true
tail -n 2 "$TMP/serve.err"; tail -n 1 "$TMP/tail.err"
rm -rf "$TMP"
