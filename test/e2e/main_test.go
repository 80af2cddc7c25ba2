//go:build e2e

// Package e2e_test runs the real codebase-mcp and workflow-mcp binaries as
// separate processes against real PostgreSQL and checks what docs/api.md
// promises from the outside: commands, flags, environment, exit codes,
// /health, /metrics, logs, MCP transports and shutdown.
//
// TestMain builds both binaries once. Tests that need a database take a
// fresh one from dbtest (TEST_DATABASE_URL); run them with
//
//	eval "$(bash scripts/dev-db.sh env)"; go test -tags e2e -count=1 ./test/e2e/
package e2e_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/mcp-memory/servers/internal/platform/dbtest"
	"github.com/mcp-memory/servers/internal/platform/migrate"
	"github.com/mcp-memory/servers/migrations"
	"github.com/mcp-memory/servers/test/testbin"
)

// The binaries under test.
const (
	codebase = "codebase-mcp"
	workflow = "workflow-mcp"
)

// binDir holds the binaries TestMain built.
var binDir string

func TestMain(m *testing.M) {
	os.Exit(runTests(m))
}

func runTests(m *testing.M) int {
	flag.Parse()
	// The tests mostly wait on child processes, so run more of them at once
	// than the default of GOMAXPROCS, unless -parallel was given.
	parallelSet := false
	flag.Visit(func(f *flag.Flag) { parallelSet = parallelSet || f.Name == "test.parallel" })
	if !parallelSet {
		flag.Set("test.parallel", "8") //nolint:errcheck // the flag exists once testing is initialised
	}
	dir, err := os.MkdirTemp("", "mcp-e2e-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	binDir = dir
	if err := testbin.Build(dir); err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	return m.Run()
}

// binPath is the path of a built binary.
func binPath(name string) string { return filepath.Join(binDir, name) }

// metricPrefix is a binary's metric name prefix (codebase_mcp).
func metricPrefix(name string) string { return strings.ReplaceAll(name, "-", "_") }

// envPrefix is a binary's environment variable prefix (CODEBASE_MCP).
func envPrefix(name string) string { return strings.ToUpper(metricPrefix(name)) }

// migrationsOf returns a binary's embedded migrations.
func migrationsOf(name string) fs.FS {
	if name == codebase {
		return migrations.Codebase()
	}
	return migrations.Workflow()
}

// latestVersion is the schema version a binary expects.
func latestVersion(tb testing.TB, name string) int {
	tb.Helper()
	ms, err := migrate.Load(migrationsOf(name))
	if err != nil {
		tb.Fatal(err)
	}
	return migrate.Latest(ms)
}

// migratedDB returns a fresh database migrated to the binary's schema.
func migratedDB(tb testing.TB, name string) string {
	tb.Helper()
	return dbtest.New(tb, migrationsOf(name))
}

// closedDBURL points at a port nothing listens on: any use of it fails.
const closedDBURL = "postgres://postgres@127.0.0.1:1/nothing?sslmode=disable&connect_timeout=1"

// cleanEnv is the test process environment without any variable the
// servers read, plus extra ("NAME=value") entries.
func cleanEnv(extra ...string) []string {
	read := map[string]bool{"HOST": true, "PORT": true, "DATABASE_URL": true, "LOG_FILE": true,
		"LOG_LEVEL": true, "LOG_FORMAT": true, "MCP_AUTH_TOKEN": true, "EMBEDDER": true,
		"DB_POOL_MIN": true, "DB_POOL_MAX": true, "DB_POOL_WAIT": true, "DB_STATEMENT_TIMEOUT": true}
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if read[k] || strings.HasPrefix(k, "CODEBASE_MCP_") || strings.HasPrefix(k, "WORKFLOW_MCP_") {
			continue
		}
		env = append(env, kv)
	}
	return append(env, extra...)
}

// lineBuffer collects a process's output; it is safe for concurrent use.
type lineBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lineBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lineBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// Lines returns the complete lines written so far.
func (b *lineBuffer) Lines() []string {
	s := b.String()
	i := strings.LastIndexByte(s, '\n')
	if i < 0 {
		return nil
	}
	return strings.Split(s[:i], "\n")
}

// proc is a running binary.
type proc struct {
	name   string
	cmd    *exec.Cmd
	stdout lineBuffer
	stderr lineBuffer
	done   chan struct{} // closed when the process has exited
	code   int           // exit code, valid after done
}

// startProc starts a binary with env (nil: cleanEnv()) and args. The
// process is killed at cleanup if it still runs.
func startProc(tb testing.TB, name string, env []string, args ...string) *proc {
	tb.Helper()
	if env == nil {
		env = cleanEnv()
	}
	p := &proc{name: name, done: make(chan struct{})}
	p.cmd = exec.Command(binPath(name), args...)
	p.cmd.Env = env
	p.cmd.Stdout = &p.stdout
	p.cmd.Stderr = &p.stderr
	if err := p.cmd.Start(); err != nil {
		tb.Fatalf("start %s: %v", name, err)
	}
	go func() {
		err := p.cmd.Wait()
		p.code = exitCode(err)
		close(p.done)
	}()
	tb.Cleanup(func() { testbin.Stop(p.cmd.Process, p.done, 5*time.Second) })
	return p
}

func exitCode(err error) int {
	if err == nil {
		return 0
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return 128 + int(ws.Signal())
		}
		return ee.ExitCode()
	}
	return -1
}

func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// wait waits up to timeout for the process to exit and returns its exit
// code, or false when it still runs.
func (p *proc) wait(timeout time.Duration) (int, bool) {
	select {
	case <-p.done:
		return p.code, true
	case <-time.After(timeout):
		return 0, false
	}
}

// stop sends sig and asserts a clean exit (code 0) within 10 s.
func (p *proc) stop(tb testing.TB, sig os.Signal) {
	tb.Helper()
	if err := p.cmd.Process.Signal(sig); err != nil && !p.exited() {
		tb.Fatalf("signal %s: %v", p.name, err)
	}
	code, ok := p.wait(10 * time.Second)
	if !ok {
		tb.Fatalf("%s still running 10 s after %v\nstderr:\n%s", p.name, sig, p.stderr.String())
	}
	if code != 0 {
		tb.Fatalf("%s exited %d after %v, want 0\nstderr:\n%s", p.name, code, sig, p.stderr.String())
	}
}

// logLine is one decoded JSON log line.
type logLine map[string]any

func (l logLine) str(key string) string {
	s, _ := l[key].(string)
	return s
}

// context returns the line's context object (nil when absent).
func (l logLine) context() map[string]any {
	m, _ := l["context"].(map[string]any)
	return m
}

// jsonLines decodes lines; a line that is not JSON fails the test.
func jsonLines(tb testing.TB, lines []string) []logLine {
	tb.Helper()
	var out []logLine
	for _, s := range lines {
		if strings.TrimSpace(s) == "" {
			continue
		}
		var l logLine
		if err := json.Unmarshal([]byte(s), &l); err != nil {
			tb.Fatalf("log line is not JSON: %q: %v", s, err)
		}
		out = append(out, l)
	}
	return out
}

// waitLine polls lines() until match accepts one and returns it. It fails
// the test when timeout passes or p exits first.
func waitLine(tb testing.TB, p *proc, timeout time.Duration, what string, lines func() []string, match func(string) bool) string {
	tb.Helper()
	deadline := time.Now().Add(timeout)
	for {
		exited := p.exited() // read before the lines, so a last line is not missed
		for _, s := range lines() {
			if match(s) {
				return s
			}
		}
		if exited {
			tb.Fatalf("%s exited (code %d) before logging %s\nstderr:\n%s", p.name, p.code, what, p.stderr.String())
		}
		if time.Now().After(deadline) {
			tb.Fatalf("%s did not log %s within %s\nstderr:\n%s", p.name, what, timeout, p.stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// waitEvent waits for a JSON stderr line with the event that also
// satisfies match (nil: any).
func (p *proc) waitEvent(tb testing.TB, timeout time.Duration, event string, match func(logLine) bool) logLine {
	tb.Helper()
	var found logLine
	waitLine(tb, p, timeout, event, p.stderr.Lines, func(s string) bool {
		var l logLine
		if json.Unmarshal([]byte(s), &l) != nil || l.str("event") != event || (match != nil && !match(l)) {
			return false
		}
		found = l
		return true
	})
	return found
}

// events returns the JSON stderr lines with the event.
func (p *proc) events(tb testing.TB, event string) []logLine {
	tb.Helper()
	var out []logLine
	for _, l := range jsonLines(tb, p.stderr.Lines()) {
		if l.str("event") == event {
			out = append(out, l)
		}
	}
	return out
}

// server is a binary running `serve`.
type server struct {
	*proc
	Addr string // host:port it bound
	URL  string // http://host:port
}

// startServer runs `name serve args...` and waits for server_started.
func startServer(tb testing.TB, name string, env []string, args ...string) *server {
	tb.Helper()
	p := startProc(tb, name, env, append([]string{"serve"}, args...)...)
	l := p.waitEvent(tb, 20*time.Second, "server_started", nil)
	addr, _ := l.context()["address"].(string)
	if addr == "" {
		tb.Fatalf("server_started has no context.address: %v", l)
	}
	return &server{proc: p, Addr: addr, URL: "http://" + addr}
}

// serveDB starts name on port 0 over a fresh migrated database.
func serveDB(tb testing.TB, name string, args ...string) *server {
	tb.Helper()
	db := migratedDB(tb, name)
	return startServer(tb, name, nil, append([]string{"--port", "0", "--database-url", db}, args...)...)
}

// result is a finished command.
type result struct {
	Code           int
	Stdout, Stderr string
	Elapsed        time.Duration
}

// runCmd runs a binary to completion (at most 30 s) with env (nil: cleanEnv()).
func runCmd(tb testing.TB, name string, env []string, args ...string) result {
	tb.Helper()
	if env == nil {
		env = cleanEnv()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, binPath(name), args...)
	cmd.Env = env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	if ctx.Err() != nil {
		tb.Fatalf("%s %s: did not finish within 30 s\nstderr:\n%s", name, strings.Join(args, " "), stderr.String())
	}
	return result{Code: exitCode(err), Stdout: stdout.String(), Stderr: stderr.String(), Elapsed: time.Since(start)}
}

// errText is what a person reads of a failed command: stderr, with the
// message of the final fatal_error JSON line decoded (JSON escapes quotes).
func (r result) errText() string {
	return r.Stderr + "\n" + r.fatal()["message"]
}

// fatal returns the fields of the fatal_error line's error_details, the
// last line of stderr when a command fails without a terminal.
func (r result) fatal() map[string]string {
	lines := strings.Split(strings.TrimSpace(r.Stderr), "\n")
	var line struct {
		Event   string         `json:"event"`
		Level   string         `json:"level"`
		Details map[string]any `json:"error_details"`
	}
	if json.Unmarshal([]byte(lines[len(lines)-1]), &line) != nil || line.Event != "fatal_error" {
		return map[string]string{}
	}
	out := map[string]string{"level": line.Level}
	for k, v := range line.Details {
		out[k] = fmt.Sprint(v)
	}
	return out
}

// busyPort holds a listener on 127.0.0.1 until the test ends and returns its port.
func busyPort(tb testing.TB) int {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { ln.Close() })
	return ln.Addr().(*net.TCPAddr).Port
}

var httpClient = &http.Client{Timeout: 10 * time.Second}

// get performs GET url with headers ("Name", "value", ...) and returns
// the response with its body read.
func get(tb testing.TB, url string, headers ...string) (*http.Response, []byte) {
	tb.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		tb.Fatal(err)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := httpClient.Do(req)
	if err != nil {
		tb.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		tb.Fatalf("GET %s: read body: %v", url, err)
	}
	return resp, body
}

// getObject GETs url and decodes a JSON object.
func getObject(tb testing.TB, url string, headers ...string) (int, map[string]any) {
	tb.Helper()
	resp, body := get(tb, url, headers...)
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		tb.Fatalf("GET %s: %d, body is not a JSON object: %v\n%s", url, resp.StatusCode, err, body)
	}
	return resp.StatusCode, m
}

// eachBinary runs f as a parallel subtest per binary.
func eachBinary(t *testing.T, f func(t *testing.T, name string)) {
	for _, name := range []string{codebase, workflow} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			f(t, name)
		})
	}
}
