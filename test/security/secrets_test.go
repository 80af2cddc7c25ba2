//go:build e2e

package security_test

import (
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// The secrets every run below is given. The database accepts the
// password (the test cluster trusts local connections), so the password
// travels through every code path a working URL takes.
const (
	dbPassword = "pw-Zq8vX1c4Lm"
	authToken  = "tok-Hn3kR7yP0w"
	apiKey     = "sk-key-Ud5tB9eJ2s"
)

// withPassword puts dbPassword into a postgres:// URL.
func withPassword(t *testing.T, dsn string) string {
	t.Helper()
	u, err := url.Parse(dsn)
	if err != nil || u.User == nil {
		t.Fatalf("dbtest URL %q has no user to add a password to: %v", dsn, err)
	}
	u.User = url.UserPassword(u.User.Username(), dbPassword)
	return u.String()
}

// fakeEmbedder is an OpenAI-compatible embedding service that refuses
// every request and quotes the API key it was sent in its error, as some
// providers do. It records whether the key arrived, so the test knows the
// key really went through the server.
type fakeEmbedder struct {
	mu      sync.Mutex
	gotKey  int
	status  int
	srv     *httptest.Server
	bodyFmt string
}

func newFakeEmbedder(t *testing.T, status int) *fakeEmbedder {
	f := &fakeEmbedder{status: status}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		if r.Header.Get("Authorization") == "Bearer "+apiKey {
			f.gotKey++
		}
		f.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(f.status)
		json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{ //nolint:errcheck // the client may hang up
			"message": "Incorrect API key provided: " + apiKey + ". Authorization: " + r.Header.Get("Authorization")}})
	}))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeEmbedder) keyed() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.gotKey
}

// leaks names every secret that appears in out.
func leaks(out string) []string {
	var found []string
	for name, s := range map[string]string{"database password": dbPassword, "MCP_AUTH_TOKEN": authToken, "EMBEDDER_API_KEY": apiKey} {
		if strings.Contains(out, s) {
			found = append(found, name)
		}
	}
	return found
}

// TestSecretsNeverShown: the password of a database URL, the MCP auth
// token and the embedder API key appear in no log line, error, response
// or help text of serve, stdio-free commands (migrate, index, search) and
// configuration errors, at debug level, on success and failure paths,
// even when the embedding service quotes the key back.
func TestSecretsNeverShown(t *testing.T) {
	t.Parallel()
	env := func(dsn string, extra ...string) []string {
		return cleanEnv(append([]string{"DATABASE_URL=" + dsn, "MCP_AUTH_TOKEN=" + authToken, "EMBEDDER_API_KEY=" + apiKey,
			"LOG_LEVEL=debug", "EMBEDDER=openai", "EMBEDDER_MODEL=m", "EMBEDDER_DIMENSION=8", "EMBEDDER_MAX_RETRIES=0"}, extra...)...)
	}
	repo := t.TempDir()
	write(t, repo, map[string]string{"a.go": goFunc("a", "secretProbe")})
	check := func(t *testing.T, what, out string) {
		t.Helper()
		if l := leaks(out); len(l) > 0 {
			t.Errorf("%s shows the %v:\n%s", what, l, out)
		}
	}

	t.Run("codebase-mcp", func(t *testing.T) {
		t.Parallel()
		dsn := withPassword(t, migratedDB(t, codebase))
		for _, status := range []int{http.StatusBadRequest, http.StatusUnauthorized} {
			emb := newFakeEmbedder(t, status)
			e := env(dsn, "EMBEDDER_URL="+emb.srv.URL)
			code, out := run(t, codebase, e, "migrate")
			if code != 0 {
				t.Fatalf("migrate with a password in the URL: exit %d\n%s", code, out)
			}
			check(t, "migrate", out)
			code, out = run(t, codebase, e, "index", repo, "--project", "secrets")
			if code == 0 {
				t.Errorf("index through an embedder answering %d succeeded:\n%s", status, out)
			}
			check(t, "index", out)
			_, out = run(t, codebase, e, "search", "secretProbe", "--project", "secrets")
			check(t, "search", out)

			s := serve(t, codebase, e)
			auth := []string{"Authorization", "Bearer " + authToken}
			var bodies []string
			for _, req := range []struct {
				method, path string
				body         any
				hdr          []string
			}{
				{"GET", "/health", nil, nil},
				{"GET", "/metrics", nil, auth},
				{"GET", "/metrics", nil, []string{"Authorization", "Bearer " + authToken[:len(authToken)-1]}},
				{"POST", "/mcp/search", map[string]any{"query": "secretProbe", "project_id": "secrets"}, auth},
			} {
				r := do(t, req.method, s.url+req.path, req.body, req.hdr...)
				bodies = append(bodies, string(r.body))
			}
			r := do(t, "POST", s.url+"/mcp/index", map[string]any{"repo_path": repo, "project_id": "served", "force_reindex": true}, auth...)
			jobID, _ := r.json["job_id"].(string)
			if jobID == "" {
				t.Fatalf("POST /mcp/index: %d %s", r.status, r.body)
			}
			deadline := time.Now().Add(60 * time.Second)
			for {
				r = do(t, "GET", s.url+"/mcp/jobs/"+jobID, nil, auth...)
				if st := r.json["status"]; st == "failed" || st == "completed" || time.Now().After(deadline) {
					break
				}
				time.Sleep(100 * time.Millisecond)
			}
			// The message quotes the embedder's answer (so the key it
			// quoted was there to leak).
			if msg, _ := r.json["error_message"].(string); r.json["status"] != "failed" || !strings.Contains(msg, strconv.Itoa(status)) {
				t.Errorf("index job through an embedder answering %d: %s, want failed with an error_message naming HTTP %d", status, r.body, status)
			}
			bodies = append(bodies, string(r.body))
			s.stop(t)
			check(t, "serve's log", s.output())
			check(t, "serve's responses", strings.Join(bodies, "\n"))
			if emb.keyed() == 0 {
				t.Errorf("the fake embedder never received the API key: the test proves nothing")
			}
		}
	})

	t.Run("workflow-mcp", func(t *testing.T) {
		t.Parallel()
		dsn := withPassword(t, migratedDB(t, workflow))
		e := cleanEnv("DATABASE_URL="+dsn, "MCP_AUTH_TOKEN="+authToken, "LOG_LEVEL=debug")
		code, out := run(t, workflow, e, "migrate")
		if code != 0 {
			t.Fatalf("migrate: exit %d\n%s", code, out)
		}
		check(t, "migrate", out)
		s := serve(t, workflow, e)
		do(t, "POST", s.url+"/mcp/projects", map[string]any{"name": "p"}, "Authorization", "Bearer "+authToken)
		do(t, "GET", s.url+"/mcp/projects", nil, "Authorization", "Bearer wrong")
		s.stop(t)
		check(t, "serve's log", s.output())
	})

	t.Run("failures", func(t *testing.T) {
		t.Parallel()
		closed := "postgres://postgres:" + dbPassword + "@127.0.0.1:1/nothing?sslmode=disable&connect_timeout=1"
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		// Something that accepts and hangs up is no PostgreSQL: the
		// driver's error text is logged (it must not carry the URL).
		go func() {
			for {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				c.Close()
			}
		}()
		t.Cleanup(func() { ln.Close() })
		hangup := "postgres://postgres:" + dbPassword + "@" + ln.Addr().String() + "/x?sslmode=disable&connect_timeout=1"
		for _, tc := range []struct {
			name string
			bin  string
			args []string
			env  []string
			// retries: the command retries the database; stop it after
			// its second database_connect_retry line (the give-up path
			// is test/e2e's TestDatabasePasswordIsNeverPrinted).
			retries bool
		}{
			{"serve, database down", codebase, []string{"serve", "--port", "0"}, env(closed), true},
			{"serve, not PostgreSQL", workflow, []string{"serve", "--port", "0"}, cleanEnv("DATABASE_URL="+hangup, "MCP_AUTH_TOKEN="+authToken, "LOG_LEVEL=debug"), true},
			{"index, database down", codebase, []string{"index", repo}, env(closed), true},
			{"migrate, database down", workflow, []string{"migrate"}, cleanEnv("DATABASE_URL="+closed, "LOG_LEVEL=debug"), false},
			{"bad port", codebase, []string{"serve", "--port", "x"}, env(closed), false},
			{"bad URL port", codebase, []string{"migrate", "--database-url", "postgres://u:" + dbPassword + "@h:notaport/d"}, env(closed), false},
			{"bad URL scheme", workflow, []string{"migrate", "--database-url", "mysql://u:" + dbPassword + "@h/d"}, nil, false},
			{"bad key/value DSN", codebase, []string{"migrate", "--database-url", "host='x password=" + dbPassword}, nil, false},
			{"bad read URL", codebase, []string{"serve", "--database-read-url", "postgres://u:" + dbPassword + "@h:notaport/d"}, env(closed), false},
			{"non-loopback without token", codebase, []string{"serve", "--host", "0.0.0.0", "--database-url", closed}, cleanEnv("EMBEDDER_API_KEY=" + apiKey), false},
			{"help", codebase, []string{"serve", "--help"}, env(closed), false},
		} {
			t.Run(tc.name, func(t *testing.T) {
				t.Parallel()
				if tc.retries {
					check(t, tc.name, runUntil(t, tc.bin, tc.env, `"event":"database_connect_retry"`, 2, tc.args...))
					return
				}
				code, out := run(t, tc.bin, tc.env, tc.args...)
				if code == 0 && tc.name != "help" {
					t.Errorf("%v succeeded:\n%s", tc.args, out)
				}
				check(t, tc.name, out)
			})
		}
	})
}

// runUntil runs a command until its output holds n lines containing
// marker, then interrupts it, and returns all it wrote.
func runUntil(t *testing.T, name string, env []string, marker string, n int, args ...string) string {
	t.Helper()
	var out syncBuffer
	cmd := exec.Command(filepath.Join(binDir, name), args...)
	cmd.Env = env
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }() //nolint:errcheck // the output is what counts
	deadline := time.After(60 * time.Second)
	for strings.Count(out.String(), marker) < n {
		select {
		case <-done:
			t.Fatalf("%s %v exited before %d %s lines:\n%s", name, args, n, marker, out.String())
		case <-deadline:
			cmd.Process.Kill() //nolint:errcheck // stuck
			<-done
			t.Fatalf("%s %v: no %d %s lines within 60 s:\n%s", name, args, n, marker, out.String())
		case <-time.After(50 * time.Millisecond):
		}
	}
	cmd.Process.Signal(os.Interrupt) //nolint:errcheck // it may have exited
	select {
	case <-done:
	case <-time.After(15 * time.Second):
		cmd.Process.Kill() //nolint:errcheck // stuck
		<-done
		t.Errorf("%s %v still ran 15 s after SIGINT", name, args)
	}
	return out.String()
}
