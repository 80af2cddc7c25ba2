//go:build e2e

// Package security_test checks the security properties docs/security.md
// lists from the outside: the real codebase-mcp and workflow-mcp binaries,
// run as separate processes against real PostgreSQL, attacked the way a
// web page, a stranger on the network or a careless caller would.
//
// It runs in `make test` (build tag e2e, like test/e2e):
//
//	eval "$(bash scripts/dev-db.sh env)"; go test -tags e2e -count=1 ./test/security/
package security_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mcp-memory/servers/internal/platform/dbtest"
	"github.com/mcp-memory/servers/migrations"
	"github.com/mcp-memory/servers/test/testbin"
)

// The binaries under test.
const (
	codebase = "codebase-mcp"
	workflow = "workflow-mcp"
)

var (
	root   string // module root
	binDir string // built binaries
)

func TestMain(m *testing.M) {
	os.Exit(runTests(m))
}

func runTests(m *testing.M) int {
	var err error
	if root, err = testbin.Root(); err != nil {
		fmt.Fprintln(os.Stderr, "security:", err)
		return 1
	}
	dir, err := os.MkdirTemp("", "mcp-security-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "security:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	binDir = dir
	if err := testbin.Build(dir); err != nil {
		fmt.Fprintln(os.Stderr, "security:", err)
		return 1
	}
	return m.Run()
}

// migratedDB is a fresh database migrated for the binary.
func migratedDB(tb testing.TB, name string) string {
	tb.Helper()
	if name == codebase {
		return dbtest.New(tb, migrations.Codebase())
	}
	return dbtest.New(tb, migrations.Workflow())
}

// cleanEnv is the environment without anything the servers read, plus extra.
func cleanEnv(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch {
		case k == "HOST" || k == "PORT" || k == "DATABASE_URL" || k == "DATABASE_READ_URL" || k == "MCP_AUTH_TOKEN",
			strings.HasPrefix(k, "LOG_"), strings.HasPrefix(k, "EMBEDDER"), k == "OPENAI_API_KEY",
			strings.HasPrefix(k, "MCP_"), strings.HasPrefix(k, "DB_"),
			strings.HasPrefix(k, "CODEBASE_MCP_"), strings.HasPrefix(k, "WORKFLOW_MCP_"):
			continue
		}
		env = append(env, kv)
	}
	return append(env, extra...)
}

// syncBuffer is a buffer a child process writes while the test reads it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// server is a running `serve`.
type server struct {
	url    string
	addr   string
	cmd    *exec.Cmd
	done   chan struct{}
	stdout syncBuffer
	stderr syncBuffer
}

// output is everything the process wrote so far.
func (s *server) output() string { return s.stdout.String() + s.stderr.String() }

// stop ends the server with SIGTERM and waits for it.
func (s *server) stop(tb testing.TB) {
	tb.Helper()
	s.cmd.Process.Signal(os.Interrupt) //nolint:errcheck // it may have exited
	select {
	case <-s.done:
	case <-time.After(15 * time.Second):
		tb.Errorf("server still running 15 s after SIGINT")
	}
}

var serverStarted = regexp.MustCompile(`"event":"server_started".*?"address":"([^"]+)"`)

// serve starts `name serve --port 0` with args and env (nil: cleanEnv())
// and waits for its server_started line.
func serve(tb testing.TB, name string, env []string, args ...string) *server {
	tb.Helper()
	if env == nil {
		env = cleanEnv()
	}
	s := &server{done: make(chan struct{})}
	s.cmd = exec.Command(filepath.Join(binDir, name), append([]string{"serve", "--port", "0"}, args...)...)
	s.cmd.Env = env
	s.cmd.Stdout, s.cmd.Stderr = &s.stdout, &s.stderr
	if err := s.cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	go func() { s.cmd.Wait(); close(s.done) }() //nolint:errcheck // exit code unused
	tb.Cleanup(func() { testbin.Stop(s.cmd.Process, s.done, 5*time.Second) })
	deadline := time.Now().Add(30 * time.Second)
	for {
		if m := serverStarted.FindStringSubmatch(s.stderr.String()); m != nil {
			s.addr, s.url = m[1], "http://"+m[1]
			return s
		}
		select {
		case <-s.done:
			tb.Fatalf("%s serve exited before starting:\n%s", name, s.output())
		default:
		}
		if time.Now().After(deadline) {
			tb.Fatalf("%s serve did not start within 30 s:\n%s", name, s.output())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// run runs a command of name to completion and returns its exit code and
// combined output.
func run(tb testing.TB, name string, env []string, args ...string) (int, string) {
	tb.Helper()
	if env == nil {
		env = cleanEnv()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(binDir, name), args...)
	cmd.Env = env
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return 0, out.String()
	case errors.As(err, &ee):
		return ee.ExitCode(), out.String()
	default:
		tb.Fatalf("%s %v: %v\n%s", name, args, err, out.String())
		return -1, ""
	}
}

// response is an HTTP answer with its body decoded when it is JSON.
type response struct {
	status int
	header http.Header
	body   []byte
	json   map[string]any
}

// do sends method url with body (nil, a []byte, a string or an io.Reader
// for a chunked body) and headers given as name, value pairs.
func do(tb testing.TB, method, url string, body any, headers ...string) response {
	tb.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case []byte:
		rd = bytes.NewReader(b)
	case string:
		rd = strings.NewReader(b)
	case io.Reader:
		rd = b
	default:
		j, err := json.Marshal(b)
		if err != nil {
			tb.Fatal(err)
		}
		rd = bytes.NewReader(j)
		headers = append([]string{"Content-Type", "application/json"}, headers...)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		tb.Fatal(err)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		if strings.EqualFold(headers[i], "Host") {
			req.Host = headers[i+1]
			continue
		}
		req.Header.Set(headers[i], headers[i+1])
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	resp, err := http.DefaultClient.Do(req.WithContext(ctx))
	if err != nil {
		tb.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	r := response{status: resp.StatusCode, header: resp.Header}
	// SSE streams never end: read only what is there for a JSON error.
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		return r
	}
	r.body, _ = io.ReadAll(resp.Body)
	json.Unmarshal(r.body, &r.json) //nolint:errcheck // not every body is JSON
	return r
}

// route is one HTTP route of a server.
type route struct{ method, path string }

func (r route) String() string { return r.method + " " + r.path }

var routeRow = regexp.MustCompile("(?m)^\\| `(GET|POST|PUT|PATCH|DELETE) (/[^`]*)` \\|")

// routes returns every route of a server: the REST routes docs/api.md's
// generated table lists (path parameters filled with a UUID) and the
// routes both servers serve.
func routes(tb testing.TB, name string) []route {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join(root, "docs", "api.md"))
	if err != nil {
		tb.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(b), "<!-- routes:"+name+" -->")
	section, _, ok2 := strings.Cut(rest, "<!-- /routes:"+name+" -->")
	if !ok || !ok2 {
		tb.Fatalf("docs/api.md has no generated routes section for %s", name)
	}
	out := []route{{"GET", "/metrics"}, {"POST", "/mcp"}, {"GET", "/mcp"}, {"DELETE", "/mcp"}, {"GET", "/sse"}, {"POST", "/message"}}
	param := regexp.MustCompile(`\{[a-z_]+\}`)
	for _, m := range routeRow.FindAllStringSubmatch(section, -1) {
		out = append(out, route{m[1], param.ReplaceAllString(m[2], "00000000-0000-0000-0000-000000000000")})
	}
	if len(out) < 12 {
		tb.Fatalf("found only %d routes for %s in docs/api.md", len(out), name)
	}
	return out
}

// logLines are the JSON log lines of an output.
func logLines(out string) []map[string]any {
	var lines []map[string]any
	sc := bufio.NewScanner(strings.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var l map[string]any
		if json.Unmarshal(sc.Bytes(), &l) == nil {
			lines = append(lines, l)
		}
	}
	return lines
}
