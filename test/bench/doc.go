// Command bench measures the latency of the platform endpoints of running
// codebase-mcp and workflow-mcp servers: GET /health, GET /metrics in the
// Prometheus text format and GET /metrics with Accept: application/json.
//
// For each server and endpoint it sends exactly -n requests at a constant
// rate (-rate per second) with the vegeta load-testing library, one
// endpoint after the other, and reports the exact p50, p95, p99 and maximum
// latency, the success ratio and the status codes. It prints a table to
// stdout and writes a JSON report (-out) with the same figures plus the
// facts of the machine (CPU count and model, memory, Go version, time, git
// commit) so that runs can be compared.
//
// The latency targets (health p95 < 5 ms, metrics p95 < 10 ms) are printed
// next to the figures as pass or fail; they do not change the exit status.
// The command exits 1 when a server cannot be reached or any request fails,
// and 2 on bad flags.
//
// Start the servers first (make run), then:
//
//	go run ./test/bench -codebase http://127.0.0.1:8020 -workflow http://127.0.0.1:8010 \
//		-n 1000 -out docs/performance/platform-bench.json
//
// Pass an empty URL (-workflow "") to skip a server. When the servers run
// with --auth-token, pass it with -token or MCP_AUTH_TOKEN.
package main
