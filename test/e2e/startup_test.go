//go:build e2e

package e2e_test

import (
	"bytes"
	"net/url"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// A signal that arrives while serve is still connecting to the database
// is a requested shutdown, not a failure: exit 0.
func TestSIGTERMWhileConnectingExitsZero(t *testing.T) {
	t.Parallel()
	eachBinary(t, func(t *testing.T, name string) {
		cmd := exec.Command(binPath(name), "serve", "--port", "0", "--database-url", closedDBURL)
		cmd.Env = cleanEnv()
		var stderr lockedBuffer
		cmd.Stderr = &stderr
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
		err := cmd.Wait()
		if code := exitCode(err); code != 0 {
			t.Fatalf("exit %d after SIGTERM during start-up, want 0\nstderr: %s", code, stderr.String())
		}
	})
}

// A database that does not exist or refuses the credentials cannot be
// fixed by waiting: start-up fails at once and says what to do.
func TestMissingDatabaseFailsAtOnceWithTheFix(t *testing.T) {
	t.Parallel()
	eachBinary(t, func(t *testing.T, name string) {
		u, err := url.Parse(migratedDB(t, name))
		if err != nil {
			t.Fatal(err)
		}
		u.Path = "/no_such_database_e2e"
		r := runCmd(t, name, nil, "serve", "--port", "0", "--database-url", u.String())
		if r.Code != 1 {
			t.Fatalf("exit %d, want 1\nstderr: %s", r.Code, r.Stderr)
		}
		if r.Elapsed > 10*time.Second {
			t.Errorf("took %s: a missing database must not be retried for 15 s", r.Elapsed)
		}
		for _, want := range []string{"does not exist", name + " migrate --database-url"} {
			if !strings.Contains(r.errText(), want) {
				t.Errorf("message lacks %q:\n%s", want, r.errText())
			}
		}
	})
}

// A password in the database URL never reaches the output.
func TestDatabasePasswordIsNeverPrinted(t *testing.T) {
	t.Parallel()
	const pw = "hunter2secret"
	for _, dsn := range []string{
		"postgres://postgres:" + pw + "@127.0.0.1:1/nothing?sslmode=disable&connect_timeout=1",
		"host=127.0.0.1 port=1 user=postgres password=" + pw + " dbname=nothing connect_timeout=1",
		"host='127.0.0.1 password=" + pw, // malformed: exit 2
	} {
		t.Run(dsn, func(t *testing.T) {
			t.Parallel()
			r := runCmd(t, codebase, nil, "serve", "--port", "0", "--database-url", dsn)
			if r.Code == 0 {
				t.Fatalf("serve on %q succeeded", dsn)
			}
			if strings.Contains(r.Stderr+r.Stdout, pw) {
				t.Errorf("the password of %q was printed:\n%s", dsn, r.Stderr)
			}
		})
	}
}

// lockedBuffer is a bytes.Buffer a process writes while the test reads it.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
