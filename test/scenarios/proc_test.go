//go:build scenarios

package scenarios_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

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

// Lines returns the complete lines written so far.
func (b *lineBuffer) Lines() []string {
	b.mu.Lock()
	s := b.buf.String()
	b.mu.Unlock()
	i := strings.LastIndexByte(s, '\n')
	if i < 0 {
		return nil
	}
	return strings.Split(s[:i], "\n")
}

func (b *lineBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// cleanEnv is the test process environment without any variable the
// servers read, so only the flags the scenario passes configure them.
func cleanEnv() []string {
	read := map[string]bool{"HOST": true, "PORT": true, "DATABASE_URL": true, "LOG_FILE": true,
		"LOG_LEVEL": true, "LOG_FORMAT": true, "MCP_AUTH_TOKEN": true, "EMBEDDER": true, "CODEBASE_MCP_URL": true,
		"DB_POOL_MIN": true, "DB_POOL_MAX": true, "DB_POOL_WAIT": true, "DB_STATEMENT_TIMEOUT": true, "MCP_STATELESS": true}
	var out []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if read[k] || strings.HasPrefix(k, "CODEBASE_MCP_") || strings.HasPrefix(k, "WORKFLOW_MCP_") {
			continue
		}
		out = append(out, kv)
	}
	return out
}

// server is a running `serve` process.
type server struct {
	name   string
	args   []string
	cmd    *exec.Cmd
	stderr lineBuffer
	done   chan struct{}
	code   int
	URL    string // http://host:port
}

// startServer runs `name serve --port 0 args...`, waits for
// server_started and returns the server; it is killed at cleanup.
func startServer(tb testing.TB, name string, args ...string) *server {
	tb.Helper()
	s := &server{name: name, args: args}
	// One cleanup for the server's life: it kills whichever process runs
	// then, also one restarted by a subtest.
	tb.Cleanup(func() { s.kill() })
	s.start(tb, "0")
	return s
}

func (s *server) start(tb testing.TB, port string) {
	tb.Helper()
	s.done = make(chan struct{})
	s.cmd = exec.Command(binPath(s.name), append([]string{"serve", "--port", port}, s.args...)...)
	s.cmd.Env = cleanEnv()
	s.cmd.Stderr = &s.stderr
	if err := s.cmd.Start(); err != nil {
		tb.Fatalf("start %s: %v", s.name, err)
	}
	done := s.done
	go func() {
		err := s.cmd.Wait()
		var ee *exec.ExitError
		switch {
		case err == nil:
		case errors.As(err, &ee):
			s.code = ee.ExitCode()
		default:
			s.code = -1
		}
		close(done)
	}()
	// A restarted server's log still holds the earlier start: wait for a new one.
	seen := len(s.events("server_started"))
	var l logLine
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(25 * time.Millisecond) {
		exited := s.exited()
		if ev := s.events("server_started"); len(ev) > seen {
			l = ev[seen]
			break
		}
		if exited || time.Now().After(deadline) {
			tb.Fatalf("%s did not log server_started (exited: %v, code %d)\nlog tail:\n%s", s.name, exited, s.code, tail(s.stderr.String(), 3000))
		}
	}
	ctx, _ := l["context"].(map[string]any)
	addr, _ := ctx["address"].(string)
	if addr == "" {
		tb.Fatalf("%s: server_started has no context.address: %v", s.name, l)
	}
	s.URL = "http://" + addr
}

// restart starts a stopped server again on the same port.
func (s *server) restart(tb testing.TB) {
	tb.Helper()
	port := s.URL[strings.LastIndexByte(s.URL, ':')+1:]
	s.start(tb, port)
}

func (s *server) exited() bool {
	select {
	case <-s.done:
		return true
	default:
		return false
	}
}

func (s *server) kill() {
	if s.cmd == nil || s.cmd.Process == nil || s.exited() {
		return
	}
	s.cmd.Process.Kill() //nolint:errcheck // it may exit meanwhile
	<-s.done
}

// stop sends SIGTERM and waits for a clean exit.
func (s *server) stop(tb testing.TB) {
	tb.Helper()
	s.cmd.Process.Signal(syscall.SIGTERM) //nolint:errcheck // checked by the wait below
	select {
	case <-s.done:
		if s.code != 0 {
			tb.Errorf("%s exited %d after SIGTERM, want 0", s.name, s.code)
		}
	case <-time.After(15 * time.Second):
		tb.Fatalf("%s still running 15 s after SIGTERM", s.name)
	}
}

// logLine is one decoded JSON log line.
type logLine map[string]any

func (l logLine) str(key string) string {
	s, _ := l[key].(string)
	return s
}

func (l logLine) ctx() map[string]any {
	m, _ := l["context"].(map[string]any)
	return m
}

// logs decodes the server's stderr; a line that is not JSON is returned
// in bad.
func (s *server) logs() (lines []logLine, bad []string) {
	for _, raw := range s.stderr.Lines() {
		if strings.TrimSpace(raw) == "" {
			continue
		}
		var l logLine
		if err := json.Unmarshal([]byte(raw), &l); err != nil {
			bad = append(bad, raw)
			continue
		}
		lines = append(lines, l)
	}
	return lines, bad
}

// events returns the log lines with the event.
func (s *server) events(event string) []logLine {
	lines, _ := s.logs()
	var out []logLine
	for _, l := range lines {
		if l.str("event") == event {
			out = append(out, l)
		}
	}
	return out
}

// waitEvent waits for a log line with the event that satisfies match
// (nil: any) and fails the test after timeout or when the server exits.
func (s *server) waitEvent(tb testing.TB, timeout time.Duration, event string, match func(logLine) bool) logLine {
	tb.Helper()
	deadline := time.Now().Add(timeout)
	for {
		exited := s.exited()
		for _, l := range s.events(event) {
			if match == nil || match(l) {
				return l
			}
		}
		if exited {
			tb.Fatalf("%s exited (code %d) before logging %s\nlog tail:\n%s", s.name, s.code, event, tail(s.stderr.String(), 3000))
		}
		if time.Now().After(deadline) {
			tb.Fatalf("%s did not log %s within %s\nlog tail:\n%s", s.name, event, timeout, tail(s.stderr.String(), 3000))
		}
		time.Sleep(25 * time.Millisecond)
	}
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "..." + s[len(s)-n:]
}

// runCmd runs a binary to completion (at most 2 minutes).
func runCmd(tb testing.TB, name string, args ...string) string {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, binPath(name), args...)
	cmd.Env = cleanEnv()
	out, err := cmd.CombinedOutput()
	if err != nil {
		tb.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, tail(string(out), 3000))
	}
	return string(out)
}
