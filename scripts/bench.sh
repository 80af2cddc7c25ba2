#!/usr/bin/env bash
# bench.sh — start both servers on benchmark ports against the local cluster,
# measure /health and /metrics latency with test/bench, stop the servers;
# then search latency over HTTP on the generated 10,000-file repository
# (test/cmd/scale: index it on a fresh database, 100 sequential searches
# and 10 clients x 20, p50/p95/p99; BENCH_SEARCH_FILES=0 skips it).
# Used by `make bench` (which builds and migrates first). The report goes
# to bench-results/ (git-ignored); copy it to docs/performance/ on purpose
# when the committed figures should change.
set -euo pipefail
cd "$(dirname "$0")/.."
eval "$(bash scripts/dev-db.sh env)"

CB_PORT="${BENCH_CODEBASE_PORT:-18020}"
WF_PORT="${BENCH_WORKFLOW_PORT:-18010}"
N="${BENCH_REQUESTS:-1000}"
logdir=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$logdir"
}
trap cleanup EXIT

bin/codebase-mcp serve --port "$CB_PORT" --log-level warning 2>"$logdir/codebase.log" &
pids+=($!)
bin/workflow-mcp serve --port "$WF_PORT" --log-level warning --codebase-url "http://127.0.0.1:$CB_PORT" 2>"$logdir/workflow.log" &
pids+=($!)

mkdir -p bench-results
go run ./test/bench \
  -codebase "http://127.0.0.1:$CB_PORT" \
  -workflow "http://127.0.0.1:$WF_PORT" \
  -n "$N" \
  -out bench-results/platform-bench.json
echo "bench: report in bench-results/platform-bench.json (docs/performance/ holds the committed figures)" >&2

SEARCH_FILES="${BENCH_SEARCH_FILES:-10000}"
if [ "$SEARCH_FILES" != 0 ]; then
  echo "bench: search over HTTP on a generated $SEARCH_FILES-file repository (about 40 s)" >&2
  go run ./test/cmd/scale -sizes "$SEARCH_FILES" -out bench-results/search-bench.json
  echo "bench: report in bench-results/search-bench.json" >&2
fi
