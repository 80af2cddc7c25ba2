package compose_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/mcp-memory/servers/internal/platform/dbtest"
)

// syncBuffer collects a process's output; it is safe for concurrent use.
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

// baseEnv is the test's environment without anything the servers read,
// with the built binaries first on PATH (as /usr/local/bin is in the image).
func baseEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch {
		case k == "PATH":
			env = append(env, "PATH="+binDir+":"+strings.TrimPrefix(kv, "PATH="))
		case k == "HOST" || k == "PORT" || k == "DATABASE_URL" || k == "MCP_AUTH_TOKEN" || k == "EMBEDDER" ||
			strings.HasPrefix(k, "LOG_") || strings.HasPrefix(k, "DB_") || strings.HasPrefix(k, "MCP_") ||
			strings.HasPrefix(k, "CODEBASE_MCP_") || strings.HasPrefix(k, "WORKFLOW_MCP_"):
		default:
			env = append(env, kv)
		}
	}
	return env
}

// containerEnv is what a process in the service's container sees: the
// service's environment over baseEnv, with overrides applied last.
func containerEnv(s service, overrides map[string]string) []string {
	env := baseEnv()
	for k, v := range s.Environment {
		if o, ok := overrides[k]; ok {
			v = o
		}
		env = append(env, k+"="+v)
	}
	for k, v := range overrides {
		if _, ok := s.Environment[k]; !ok && v != "" {
			env = append(env, k+"="+v)
		}
	}
	return env
}

// without drops variable name from env.
func without(env []string, name string) []string {
	var out []string
	for _, kv := range env {
		if !strings.HasPrefix(kv, name+"=") {
			out = append(out, kv)
		}
	}
	return out
}

// run runs argv to completion (at most 30 s) and returns its exit code and output.
func run(tb testing.TB, env []string, argv ...string) (int, string) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	if ctx.Err() != nil {
		tb.Fatalf("%v did not finish within 30 s\n%s", argv, out)
	}
	var ee *exec.ExitError
	switch {
	case err == nil:
		return 0, string(out)
	case errors.As(err, &ee):
		return ee.ExitCode(), string(out)
	default:
		tb.Fatalf("%v: %v", argv, err)
		return -1, ""
	}
}

// lookPath resolves argv[0] on the PATH of env, as the container runtime does.
func lookPath(tb testing.TB, env []string, argv []string) []string {
	tb.Helper()
	for _, kv := range env {
		if p, ok := strings.CutPrefix(kv, "PATH="); ok {
			for _, dir := range strings.Split(p, ":") {
				if fi, err := os.Stat(dir + "/" + argv[0]); err == nil && !fi.IsDir() {
					return append([]string{dir + "/" + argv[0]}, argv[1:]...)
				}
			}
		}
	}
	tb.Fatalf("%s not found on the PATH", argv[0])
	return nil
}

// dockerfileHealthcheck returns the exec form of the Dockerfile's HEALTHCHECK CMD.
func dockerfileHealthcheck(tb testing.TB) []string {
	tb.Helper()
	df := parseDockerfile(tb)
	for _, in := range df.final().instructions {
		if in.cmd == "HEALTHCHECK" {
			_, argv, ok := strings.Cut(in.args, "CMD ")
			if !ok {
				tb.Fatalf("HEALTHCHECK %q has no CMD", in.args)
			}
			return execForm(tb, argv)
		}
	}
	tb.Fatal("the final stage has no HEALTHCHECK")
	return nil
}

// TestComposeServicesRun runs each server's services as compose would:
// the one-shot migrate command on an empty database, then the server
// command with the service's environment, and the service's healthcheck
// command (and the image's HEALTHCHECK) against it, before and after.
// Two things differ from a container, both so the test binds nothing
// beyond loopback: the host is 127.0.0.1 and the port a free one; a
// separate step shows the compose environment on 0.0.0.0 refuses to start
// without its token.
func TestComposeServicesRun(t *testing.T) {
	cf := mustLoad(t)
	imageHC := dockerfileHealthcheck(t)
	for _, serveName := range []string{codebaseServe, workflowServe} {
		t.Run(serveName, func(t *testing.T) {
			t.Parallel()
			serve := cf.Services[serveName]
			mig := cf.Services[migrateOf[serveName]]
			flags := helpFlags(t, serve.Command[0], "serve")
			dbVar, hostVar, portVar := flags["database-url"].Env[0], flags["host"].Env[0], flags["port"].Env[0]

			// As compose has it (0.0.0.0) but without the token: exit 2 at once.
			noToken := without(containerEnv(serve, nil), "MCP_AUTH_TOKEN")
			code, out := run(t, noToken, lookPath(t, noToken, serve.Command)...)
			if code != 2 || !strings.Contains(out, "auth token") {
				t.Fatalf("%v on %s=0.0.0.0 without MCP_AUTH_TOKEN: exit %d, want 2 naming the auth token\n%s", serve.Command, hostVar, code, out)
			}

			db := dbtest.NewEmpty(t)
			port := strconv.Itoa(dbtest.FreePort(t))
			over := map[string]string{dbVar: db, hostVar: "127.0.0.1", portVar: port}

			migEnv := containerEnv(mig, over)
			if code, out := run(t, migEnv, lookPath(t, migEnv, mig.Command)...); code != 0 {
				t.Fatalf("%s: %v exited %d, want 0\n%s", migrateOf[serveName], mig.Command, code, out)
			}

			env := containerEnv(serve, over)
			hc := lookPath(t, env, serve.Healthcheck.Test[1:])
			imgEnv := append(containerEnv(serve, over), "HEALTHCHECK_PORT="+port)
			img := lookPath(t, imgEnv, imageHC)
			if code, _ := run(t, env, hc...); code == 0 {
				t.Fatal("the healthcheck passes while no server listens")
			}

			var stderr syncBuffer
			argv := lookPath(t, env, serve.Command)
			cmd := exec.Command(argv[0], argv[1:]...)
			cmd.Env, cmd.Stderr = env, &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			t.Cleanup(func() {
				cmd.Process.Kill() //nolint:errcheck // it may have exited
				<-done
			})

			startPeriod, _ := time.ParseDuration(serve.Healthcheck.StartPeriod)
			deadline := time.Now().Add(startPeriod)
			for {
				code, out := run(t, env, hc...)
				if code == 0 {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("healthcheck still failing (exit %d) after the start period %s: %s\nserver stderr:\n%s", code, startPeriod, out, stderr.String())
				}
				time.Sleep(100 * time.Millisecond)
			}
			if code, out := run(t, imgEnv, img...); code != 0 {
				t.Errorf("the Dockerfile HEALTHCHECK exits %d against the running server: %s", code, out)
			}

			// The token the compose file requires is enforced.
			base := "http://127.0.0.1:" + port
			for _, tc := range []struct {
				auth string
				want int
			}{{"", http.StatusUnauthorized}, {"Bearer wrong", http.StatusUnauthorized}, {"Bearer " + testToken, http.StatusOK}} {
				req, _ := http.NewRequest(http.MethodGet, base+"/metrics", nil)
				if tc.auth != "" {
					req.Header.Set("Authorization", tc.auth)
				}
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				if resp.StatusCode != tc.want {
					t.Errorf("GET /metrics with Authorization %q: %d, want %d", tc.auth, resp.StatusCode, tc.want)
				}
			}

			// docker stop sends SIGTERM: a clean exit, then the check fails.
			if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
				t.Fatal(err)
			}
			select {
			case err := <-done:
				done <- err
				if err != nil {
					t.Errorf("after SIGTERM: %v, want exit 0\n%s", err, stderr.String())
				}
			case <-time.After(25 * time.Second):
				t.Fatalf("still running 25 s after SIGTERM\n%s", stderr.String())
			}
			if code, _ := run(t, env, hc...); code == 0 {
				t.Error("the healthcheck passes after the server stopped")
			}
			if t.Failed() {
				fmt.Fprintln(os.Stderr, stderr.String())
			}
		})
	}
}
