//go:build e2e

package e2e_test

import (
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestBadHostDatabaseURLAndLogFile: a malformed --host, an empty
// --database-url or a --log-file that cannot be created exits 2 naming the
// flag and what is expected, before anything starts.
func TestBadHostDatabaseURLAndLogFile(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		bin  string
		args []string
		want []string
	}{
		{"host with a space", codebase, []string{"serve", "--port", "0", "--host", "my host", "--database-url", closedDBURL}, []string{"--host", "host name or IP address"}},
		{"host with a slash", workflow, []string{"serve", "--port", "0", "--host", "a/b", "--database-url", closedDBURL}, []string{"--host", "host name or IP address"}},
		{"empty database url", workflow, []string{"migrate", "--database-url", ""}, []string{"--database-url", "must not be empty"}},
		{"log file in a missing directory", codebase, []string{"migrate", "--database-url", closedDBURL, "--log-file", "/nonexistent-dir/x.log"}, []string{"--log-file", "/nonexistent-dir/x.log"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := runCmd(t, tc.bin, nil, tc.args...)
			if r.Code != 2 {
				t.Fatalf("%s %v: exit %d, want 2\nstderr: %s", tc.bin, tc.args, r.Code, r.Stderr)
			}
			for _, s := range tc.want {
				if !strings.Contains(r.errText(), s) {
					t.Errorf("stderr lacks %q:\n%s", s, r.Stderr)
				}
			}
		})
	}
}

// TestHelpGoesToStdout: `help` prints the usage on stdout and exits 0
// (asked-for output is not an error).
func TestHelpGoesToStdout(t *testing.T) {
	t.Parallel()
	eachBinary(t, func(t *testing.T, name string) {
		r := runCmd(t, name, nil, "help")
		if r.Code != 0 || !strings.Contains(r.Stdout, "Usage: "+name) || !strings.Contains(r.Stdout, "serve") || r.Stderr != "" {
			t.Errorf("help: exit %d\nstdout: %s\nstderr: %s", r.Code, r.Stdout, r.Stderr)
		}
	})
}

// TestServeRefusesTheOtherServersDatabase: serving on a database migrated
// by the other server exits 4 (schema) naming the owner and the variable
// to set, instead of serving on the wrong schema.
func TestServeRefusesTheOtherServersDatabase(t *testing.T) {
	t.Parallel()
	eachBinary(t, func(t *testing.T, name string) {
		other := map[string]string{codebase: workflow, workflow: codebase}[name]
		db := migratedDB(t, other)
		r := runCmd(t, name, nil, "serve", "--port", "0", "--database-url", db)
		if r.Code != 4 {
			t.Fatalf("exit %d, want 4\nstderr: %s", r.Code, r.Stderr)
		}
		for _, s := range []string{"belongs to " + other, envPrefix(name) + "_DATABASE_URL"} {
			if !strings.Contains(r.errText(), s) {
				t.Errorf("stderr lacks %q:\n%s", s, r.Stderr)
			}
		}
	})
}

// TestStdioSIGTERMWhileConnectingExitsZero: like serve, stdio stopped by
// a signal while it still connects to the database exits 0.
func TestStdioSIGTERMWhileConnectingExitsZero(t *testing.T) {
	t.Parallel()
	eachBinary(t, func(t *testing.T, name string) {
		cmd := exec.Command(binPath(name), "stdio", "--database-url", closedDBURL)
		cmd.Env = cleanEnv()
		var stderr lockedBuffer
		cmd.Stderr = &stderr
		stdin, err := cmd.StdinPipe()
		if err != nil {
			t.Fatal(err)
		}
		defer stdin.Close()
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(10 * time.Second)
		for !strings.Contains(stderr.String(), "database_connect_retry") && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
		}
		if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
		if code := exitCode(cmd.Wait()); code != 0 {
			t.Fatalf("exit %d after SIGTERM during start-up, want 0\nstderr: %s", code, stderr.String())
		}
	})
}
