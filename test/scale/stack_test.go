//go:build scale

package scale_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/mcp-memory/servers/internal/platform/dbtest"
)

// logBuffer collects a process's output; safe for concurrent use.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// events returns the JSON log lines whose event is msg.
func (b *logBuffer) events(msg string) []map[string]any {
	var out []map[string]any
	sc := bufio.NewScanner(strings.NewReader(b.String()))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var m map[string]any
		if json.Unmarshal(sc.Bytes(), &m) == nil && m["event"] == msg {
			out = append(out, m)
		}
	}
	return out
}

// server is one running replica of a server.
type server struct {
	Name string
	URL  string
	Port int
	cmd  *exec.Cmd
	log  *logBuffer
	done chan struct{}
}

// cleanEnv is the environment without any variable the servers read, so
// only the flags configure them.
func cleanEnv() []string {
	var out []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch {
		case strings.HasPrefix(k, "CODEBASE_MCP_"), strings.HasPrefix(k, "WORKFLOW_MCP_"), strings.HasPrefix(k, "MCP_"),
			strings.HasPrefix(k, "DB_"), strings.HasPrefix(k, "EMBEDDER"), strings.HasPrefix(k, "LOG_"),
			k == "HOST", k == "PORT", k == "DATABASE_URL":
			continue
		}
		out = append(out, kv)
	}
	return out
}

// startServer starts a replica of name on port (0: a free one) and waits
// until /health answers 200. It is stopped (SIGTERM) when the test ends.
func startServer(t *testing.T, name string, port int, args ...string) *server {
	t.Helper()
	if port == 0 {
		port = dbtest.FreePort(t)
	}
	s := &server{Name: name, Port: port, URL: fmt.Sprintf("http://127.0.0.1:%d", port), log: &logBuffer{}, done: make(chan struct{})}
	all := append([]string{"serve", "--host", "127.0.0.1", "--port", strconv.Itoa(port), "--log-format", "json", "--stateless"}, args...)
	s.cmd = exec.Command(filepath.Join(binDir, name), all...)
	s.cmd.Env = cleanEnv()
	s.cmd.Stdout, s.cmd.Stderr = s.log, s.log
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { s.cmd.Wait(); close(s.done) }() //nolint:errcheck // the exit status is not checked
	t.Cleanup(func() {
		s.stop(syscall.SIGTERM)
		// SCALE_LOG_DIR keeps every replica's log (JSON lines) for study.
		if dir := os.Getenv("SCALE_LOG_DIR"); dir != "" {
			_ = os.MkdirAll(dir, 0o755)
			_ = os.WriteFile(filepath.Join(dir, fmt.Sprintf("%s-%d-%d.log", name, port, s.cmd.Process.Pid)), []byte(s.log.String()), 0o644)
		}
	})
	deadline := time.Now().Add(60 * time.Second)
	for {
		r, err := http.Get(s.URL + "/health")
		if err == nil {
			r.Body.Close()
			if r.StatusCode == http.StatusOK {
				return s
			}
		}
		select {
		case <-s.done:
			t.Fatalf("%s exited at start:\n%s", name, s.log.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s not healthy after 60 s:\n%s", name, s.log.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// stop signals the process (SIGKILL: a crash) and waits for it to exit.
func (s *server) stop(sig syscall.Signal) {
	select {
	case <-s.done:
		return
	default:
	}
	s.cmd.Process.Signal(sig) //nolint:errcheck // it may have exited meanwhile
	select {
	case <-s.done:
	case <-time.After(30 * time.Second):
		s.cmd.Process.Kill() //nolint:errcheck // last resort
		<-s.done
	}
}

// requests sums <prefix>_requests_total of the given operations (all
// when none) from the replica's /metrics.
func (s *server) requests(t *testing.T, ops ...string) float64 {
	t.Helper()
	r, err := http.Get(s.URL + "/metrics")
	if err != nil {
		t.Fatalf("%s /metrics: %v", s.Name, err)
	}
	defer r.Body.Close()
	prefix := strings.ReplaceAll(s.Name, "-", "_") + "_requests_total{"
	want := map[string]bool{}
	for _, op := range ops {
		want[op] = true
	}
	total := 0.0
	sc := bufio.NewScanner(r.Body)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, prefix) {
			continue
		}
		labels, val, _ := strings.Cut(line[len(prefix):], "} ")
		op := ""
		for _, kv := range strings.Split(labels, ",") {
			if k, v, ok := strings.Cut(kv, "="); ok && k == "operation" {
				op = strings.Trim(v, `"`)
			}
		}
		if len(want) > 0 && !want[op] {
			continue
		}
		f, err := strconv.ParseFloat(strings.TrimSpace(val), 64)
		if err == nil {
			total += f
		}
	}
	return total
}

// gauge reads one unlabelled gauge from the replica's /metrics.
func (s *server) gauge(name string) (float64, bool) {
	r, err := http.Get(s.URL + "/metrics")
	if err != nil {
		return 0, false
	}
	defer r.Body.Close()
	sc := bufio.NewScanner(r.Body)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), name+" "); ok {
			f, err := strconv.ParseFloat(v, 64)
			return f, err == nil
		}
	}
	return 0, false
}

// balancer is nginx in front of the replicas: one listener per upstream.
type balancer struct {
	URL map[string]string // upstream name -> http://127.0.0.1:port
}

// startNginx runs nginx (Debian package) with one loopback listener per
// upstream, each balancing round robin over its replicas. A replica that
// refuses a connection is skipped for 5 s (max_fails=1); a request already
// sent to a replica that dies is not retried (nginx never repeats a
// non-idempotent request), so the client sees 502 and knows it was not
// acknowledged.
func startNginx(t *testing.T, upstreams map[string][]*server) *balancer {
	t.Helper()
	bin, err := exec.LookPath("nginx")
	if err != nil {
		bin = "/usr/sbin/nginx"
		if _, err := os.Stat(bin); err != nil {
			t.Fatal("nginx is not installed: apt-get install nginx (the scale test needs a real load balancer)")
		}
	}
	dir := t.TempDir()
	os.Chmod(dir, 0o755) //nolint:errcheck // nginx workers run as nobody
	tmp := filepath.Join(dir, "tmp")
	if err := os.MkdirAll(tmp, 0o777); err != nil {
		t.Fatal(err)
	}
	os.Chmod(tmp, 0o777) //nolint:errcheck // best effort against the umask
	b := &balancer{URL: map[string]string{}}
	var conf strings.Builder
	fmt.Fprintf(&conf, `daemon off;
worker_processes 1;
pid %[1]s/nginx.pid;
error_log %[1]s/error.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    client_body_temp_path %[2]s/body;
    proxy_temp_path %[2]s/proxy;
    fastcgi_temp_path %[2]s/fastcgi;
    uwsgi_temp_path %[2]s/uwsgi;
    scgi_temp_path %[2]s/scgi;
`, dir, tmp)
	for name, replicas := range upstreams {
		fmt.Fprintf(&conf, "    upstream %s {\n", name)
		for _, r := range replicas {
			fmt.Fprintf(&conf, "        server 127.0.0.1:%d max_fails=1 fail_timeout=5s;\n", r.Port)
		}
		conf.WriteString("        keepalive 32;\n    }\n")
		port := dbtest.FreePort(t)
		b.URL[name] = fmt.Sprintf("http://127.0.0.1:%d", port)
		fmt.Fprintf(&conf, `    server {
        listen 127.0.0.1:%d;
        client_max_body_size 5m;
        location / {
            proxy_pass http://%s;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host localhost;
            proxy_buffering off;
            proxy_read_timeout 1h;
        }
    }
`, port, name)
	}
	conf.WriteString("}\n")
	path := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(path, []byte(conf.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-c", path, "-p", dir)
	var out logBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }() //nolint:errcheck // exit status not needed
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGQUIT) //nolint:errcheck // graceful stop
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill() //nolint:errcheck // last resort
			<-done
		}
	})
	for name, url := range b.URL {
		deadline := time.Now().Add(20 * time.Second)
		for {
			r, err := http.Get(url + "/health")
			if err == nil {
				r.Body.Close()
				if r.StatusCode == http.StatusOK {
					break
				}
			}
			if time.Now().After(deadline) {
				log, _ := os.ReadFile(filepath.Join(dir, "error.log"))
				t.Fatalf("nginx upstream %s not answering: %v\n%s\n%s", name, err, out.String(), log)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	return b
}

// answer is a REST answer.
type answer struct {
	Status int
	JSON   map[string]any
	Err    error
}

var httpClient = &http.Client{Timeout: 60 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 64}}

// rest sends a JSON request and decodes the JSON answer.
func rest(method, url string, body any) answer {
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		return answer{Err: err}
	}
	req.Header.Set("Content-Type", "application/json")
	r, err := httpClient.Do(req)
	if err != nil {
		return answer{Err: err}
	}
	defer r.Body.Close()
	data, _ := io.ReadAll(r.Body)
	a := answer{Status: r.StatusCode}
	if err := json.Unmarshal(data, &a.JSON); err != nil && r.StatusCode < 500 {
		a.Err = fmt.Errorf("%s %s: %d %s", method, url, r.StatusCode, data)
	}
	return a
}

// must sends a request and fails the test unless it answers status.
func must(t *testing.T, status int, method, url string, body any) map[string]any {
	t.Helper()
	a := rest(method, url, body)
	if a.Err != nil || a.Status != status {
		t.Fatalf("%s %s = %d %v %v, want %d", method, url, a.Status, a.JSON, a.Err, status)
	}
	return a.JSON
}

// connect opens one connection to dsn.
func connect(t *testing.T, ctx context.Context, dsn string) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	return conn
}

// sqlValue runs one query on dsn and returns the first row's first column.
func sqlValue[T any](t *testing.T, dsn, q string, args ...any) T {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn := connect(t, ctx, dsn)
	defer conn.Close(ctx)
	var v T
	if err := conn.QueryRow(ctx, q, args...).Scan(&v); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return v
}

// percentile returns the p-th percentile (0..100) of sorted durations.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(float64(len(sorted)-1) * p / 100)
	return sorted[i]
}
