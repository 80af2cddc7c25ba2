#!/usr/bin/env bash
# run.sh — run both servers in the foreground against the local cluster,
# with human-readable logs. Ctrl-C (or SIGTERM) stops both cleanly.
# Used by `make run`, which builds the binaries and applies migrations first.
set -euo pipefail
cd "$(dirname "$0")/.."
eval "$(bash scripts/dev-db.sh env)"

export LOG_FORMAT="${LOG_FORMAT:-text}"
# The documented variables decide the ports. PORT is the generic fallback
# of a single server; with two servers it applies to codebase-mcp, and
# workflow-mcp keeps WORKFLOW_MCP_PORT or 8010.
CB_PORT="${CODEBASE_MCP_PORT:-${PORT:-8020}}"
WF_PORT="${WORKFLOW_MCP_PORT:-8010}"
if [ "$CB_PORT" = "$WF_PORT" ]; then
  echo "run: both servers would use port $CB_PORT; set CODEBASE_MCP_PORT and WORKFLOW_MCP_PORT to different ports" >&2
  exit 2
fi

pids=()
stop() {
  trap - INT TERM
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  status=0
  for pid in "${pids[@]}"; do wait "$pid" || status=$?; done
  exit "$status"
}
trap stop INT TERM

bin/codebase-mcp serve --port "$CB_PORT" &
pids+=($!)
bin/workflow-mcp serve --port "$WF_PORT" --codebase-url "${CODEBASE_MCP_URL:-http://127.0.0.1:$CB_PORT}" &
pids+=($!)

# healthy PORT: true when GET /health answers 200 (bash's /dev/tcp, so no
# curl is needed).
healthy() {
  local line
  { exec 3<>"/dev/tcp/127.0.0.1/$1"; } 2>/dev/null || return 1
  printf 'GET /health HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' >&3
  IFS= read -r -t 2 line <&3 || true
  exec 3>&-
  [[ "$line" == *" 200 "* ]]
}

start=$(date +%s%N)
for port in "$CB_PORT" "$WF_PORT"; do
  for _ in $(seq 1 600); do
    if healthy "$port"; then break; fi
    for pid in "${pids[@]}"; do
      kill -0 "$pid" 2>/dev/null || { echo "run: a server exited during start-up; see the messages above" >&2; stop; }
    done
    sleep 0.05
  done
done
elapsed_ms=$((($(date +%s%N) - start) / 1000000))
printf '\nrun: both servers healthy after %d ms\n' "$elapsed_ms" >&2
cat >&2 <<MSG
  codebase-mcp  http://127.0.0.1:$CB_PORT/mcp   (health: /health, metrics: /metrics)
  workflow-mcp  http://127.0.0.1:$WF_PORT/mcp
  Press Ctrl-C to stop both.

MSG
# Wait until a server exits on its own or a signal arrives.
wait -n "${pids[@]}" || true
stop
