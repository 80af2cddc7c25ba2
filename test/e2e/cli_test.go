//go:build e2e

package e2e_test

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/mcp-memory/servers/internal/platform/dbtest"
	"github.com/mcp-memory/servers/internal/platform/migrate"
)

// missingDB returns the URL of a database that does not exist yet; it is
// dropped when the test ends if something created it.
func missingDB(tb testing.TB) string {
	tb.Helper()
	base := dbtest.BaseURL(tb)
	name := "e2e_missing_" + strings.ReplaceAll(uuid.NewString(), "-", "")[:12]
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		c, err := pgx.Connect(ctx, base)
		if err != nil {
			tb.Logf("drop %s: %v", name, err)
			return
		}
		defer c.Close(ctx)
		if _, err := c.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			tb.Logf("drop %s: %v", name, err)
		}
	})
	return dbtest.WithDatabase(base, name)
}

// execSQL runs one statement on dsn.
func execSQL(tb testing.TB, dsn, sql string, args ...any) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := pgx.Connect(ctx, dsn)
	if err != nil {
		tb.Fatal(err)
	}
	defer c.Close(ctx)
	if _, err := c.Exec(ctx, sql, args...); err != nil {
		tb.Fatalf("%s: %v", sql, err)
	}
}

func schemaVersion(tb testing.TB, dsn string) int {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := pgx.Connect(ctx, dsn)
	if err != nil {
		tb.Fatalf("connect %s: %v", dsn, err)
	}
	defer c.Close(ctx)
	v, err := migrate.Current(ctx, c)
	if err != nil {
		tb.Fatal(err)
	}
	return v
}

// TestMigrate: migrate creates a missing database, applies every migration
// and says so; a second run applies nothing and still succeeds.
func TestMigrate(t *testing.T) {
	t.Parallel()
	eachBinary(t, func(t *testing.T, name string) {
		db := missingDB(t)
		want := latestVersion(t, name)

		r := runCmd(t, name, nil, "migrate", "--database-url", db)
		if r.Code != 0 {
			t.Fatalf("first migrate exited %d, want 0\nstdout: %s\nstderr: %s", r.Code, r.Stdout, r.Stderr)
		}
		if s := fmt.Sprintf("schema at version %d", want); !strings.Contains(r.Stdout, s) {
			t.Errorf("first migrate stdout = %q, want it to contain %q", r.Stdout, s)
		}
		if s := fmt.Sprintf("(%d migration(s) applied)", want); !strings.Contains(r.Stdout, s) {
			t.Errorf("first migrate stdout = %q, want it to contain %q", r.Stdout, s)
		}
		if !strings.Contains(r.Stderr, `"event":"database_created"`) {
			t.Errorf("first migrate stderr has no database_created event:\n%s", r.Stderr)
		}
		if got := schemaVersion(t, db); got != want {
			t.Errorf("schema_migrations after migrate = %d, want %d", got, want)
		}

		r = runCmd(t, name, nil, "migrate", "--database-url", db)
		if r.Code != 0 {
			t.Fatalf("second migrate exited %d, want 0\nstderr: %s", r.Code, r.Stderr)
		}
		if s := fmt.Sprintf("schema at version %d (0 migration(s) applied)", want); !strings.Contains(r.Stdout, s) {
			t.Errorf("second migrate stdout = %q, want it to contain %q", r.Stdout, s)
		}
		if strings.Contains(r.Stderr, "database_created") {
			t.Errorf("second migrate created the database again:\n%s", r.Stderr)
		}
	})
}

// TestServeRefusesOldSchema: serve on an un-migrated database exits 4 and
// prints both versions and the migrate command.
func TestServeRefusesOldSchema(t *testing.T) {
	t.Parallel()
	eachBinary(t, func(t *testing.T, name string) {
		db := dbtest.NewEmpty(t)
		r := runCmd(t, name, nil, "serve", "--port", "0", "--database-url", db)
		if r.Code != 4 {
			t.Fatalf("exit %d, want 4\nstderr: %s", r.Code, r.Stderr)
		}
		for _, s := range []string{
			"version 0",
			fmt.Sprintf("version %d", latestVersion(t, name)),
			name + " migrate --database-url",
		} {
			if !strings.Contains(r.errText(), s) {
				t.Errorf("stderr lacks %q:\n%s", s, r.Stderr)
			}
		}
	})
}

// TestServeRefusesNewerSchema: a schema newer than the binary knows stops
// serve (and migrate) with exit 4 and the advice to upgrade the binary.
func TestServeRefusesNewerSchema(t *testing.T) {
	t.Parallel()
	eachBinary(t, func(t *testing.T, name string) {
		db := migratedDB(t, name)
		latest := latestVersion(t, name)
		future := latest + 1
		execSQL(t, db, "INSERT INTO schema_migrations (version, name, owner) VALUES ($1, $2, $3)", future, fmt.Sprintf("%04d_future.sql", future), name)

		for _, args := range [][]string{
			{"serve", "--port", "0", "--database-url", db},
			{"migrate", "--database-url", db},
		} {
			r := runCmd(t, name, nil, args...)
			if r.Code != 4 {
				t.Errorf("%s: exit %d, want 4\nstderr: %s", args[0], r.Code, r.Stderr)
				continue
			}
			for _, s := range []string{"upgrade the binary", fmt.Sprintf("version %d", future), strconv.Itoa(latest)} {
				if !strings.Contains(r.errText(), s) {
					t.Errorf("%s: stderr lacks %q:\n%s", args[0], s, r.Stderr)
				}
			}
		}
	})
}

// TestBadConfiguration: invalid values exit 2 before anything starts and
// name the flag, the value and what is allowed.
func TestBadConfiguration(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		bin  string
		args []string
		want []string
	}{
		{"port", codebase, []string{"serve", "--port", "abc"}, []string{"--port", `"abc"`, "0 to 65535"}},
		{"port range", workflow, []string{"serve", "--port", "70000"}, []string{"--port", `"70000"`, "0 to 65535"}},
		{"log level", codebase, []string{"serve", "--log-level", "loud"}, []string{"--log-level", `"loud"`, "debug", "info", "warning", "error", "critical"}},
		{"log format", workflow, []string{"serve", "--log-format", "xml"}, []string{"--log-format", `"xml"`, "json", "text"}},
		{"pool min over max", codebase, []string{"serve", "--db-pool-min", "30", "--db-pool-max", "10"}, []string{"--db-pool-min", "30", "--db-pool-max", "10"}},
		{"pool min over max workflow", workflow, []string{"serve", "--db-pool-min", "30", "--db-pool-max", "10"}, []string{"--db-pool-min", "30", "--db-pool-max", "10"}},
		{"codebase url", workflow, []string{"serve", "--codebase-url", "ftp://x"}, []string{"--codebase-url", `"ftp://x"`, "http://", "https://"}},
		{"embedder", codebase, []string{"serve", "--embedder", "foo"}, []string{"--embedder", `"foo"`, "builtin", "ollama", "openai"}},
		{"stdio log level", codebase, []string{"stdio", "--log-level", "loud"}, []string{"--log-level", `"loud"`, "debug"}},
		{"unknown flag", workflow, []string{"serve", "--no-such-flag"}, []string{"no-such-flag"}},
		{"unknown command", codebase, []string{"frobnicate"}, []string{`"frobnicate"`, "help"}},
		{"unknown command workflow", workflow, []string{"frobnicate"}, []string{`"frobnicate"`, "help"}},
		{"malformed key/value DSN", codebase, []string{"migrate", "--database-url", "host='x dbname=y"}, []string{"--database-url", "keyword/value"}},
		{"no command", workflow, nil, []string{"Usage"}},
		{"non-loopback without token", codebase, []string{"serve", "--host", "0.0.0.0"}, []string{"0.0.0.0", "--auth-token", "MCP_AUTH_TOKEN"}},
		{"non-loopback without token workflow", workflow, []string{"serve", "--host", "0.0.0.0"}, []string{"0.0.0.0", "--auth-token"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			args := tc.args
			if len(args) > 0 && (args[0] == "serve" || args[0] == "stdio") {
				// A database nobody listens on: if the bad value were
				// accepted, the command would fail differently (exit 1).
				args = append(append([]string{}, args...), "--database-url", closedDBURL)
				if args[0] == "serve" && !contains(args, "--port") {
					args = append(args, "--port", "0")
				}
			}
			r := runCmd(t, tc.bin, nil, args...)
			if r.Code != 2 {
				t.Fatalf("%s %v: exit %d, want 2\nstderr: %s", tc.bin, args, r.Code, r.Stderr)
			}
			for _, s := range tc.want {
				if !strings.Contains(r.errText(), s) {
					t.Errorf("stderr lacks %q:\n%s", s, r.Stderr)
				}
			}
			if r.Stdout != "" {
				t.Errorf("stdout = %q, want nothing (errors go to stderr)", r.Stdout)
			}
			// Without a terminal the last line is JSON like every log line.
			if f := r.fatal(); f["exit_code"] != "2" || f["level"] != "CRITICAL" {
				t.Errorf("last stderr line is not a fatal_error JSON line with exit_code 2: %v\n%s", f, r.Stderr)
			}
		})
	}
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

// TestVersion: version prints the binary name and exits 0.
func TestVersion(t *testing.T) {
	t.Parallel()
	eachBinary(t, func(t *testing.T, name string) {
		r := runCmd(t, name, nil, "version")
		if r.Code != 0 {
			t.Fatalf("exit %d, want 0\nstderr: %s", r.Code, r.Stderr)
		}
		if !strings.HasPrefix(r.Stdout, name+" ") {
			t.Errorf("stdout = %q, want it to start with %q", r.Stdout, name+" ")
		}
	})
}

// TestPortInUse: a taken port exits 3 at once, before the database is
// touched, naming the port, the holder's PID and what to do.
func TestPortInUse(t *testing.T) {
	t.Parallel()
	eachBinary(t, func(t *testing.T, name string) {
		port := busyPort(t)
		r := runCmd(t, name, nil, "serve", "--port", strconv.Itoa(port), "--database-url", closedDBURL)
		if r.Code != 3 {
			t.Fatalf("exit %d, want 3\nstderr: %s", r.Code, r.Stderr)
		}
		for _, s := range []string{
			strconv.Itoa(port),
			strconv.Itoa(os.Getpid()),
			"stop that process or change --port / PORT",
		} {
			if !strings.Contains(r.errText(), s) {
				t.Errorf("stderr lacks %q:\n%s", s, r.Stderr)
			}
		}
		// The database is unreachable: had serve tried it first it would
		// have retried for seconds and exited 1.
		if r.Elapsed > 3*time.Second {
			t.Errorf("took %s, want an immediate exit", r.Elapsed)
		}
	})
}

// TestEnvPrecedence: flags beat environment variables, and server-prefixed
// variables beat generic ones, for the port and the database URL.
func TestEnvPrecedence(t *testing.T) {
	t.Parallel()
	eachBinary(t, func(t *testing.T, name string) {
		pre := envPrefix(name)
		busy := strconv.Itoa(busyPort(t))
		good := migratedDB(t, name)
		// An existing but un-migrated database: serve on it exits 4 at once.
		unmigrated := dbtest.NewEmpty(t)
		dbName := func(dsn string) string {
			u, err := url.Parse(dsn)
			if err != nil {
				t.Fatal(err)
			}
			return strings.TrimPrefix(u.Path, "/")
		}

		// startsOn starts the server and checks which database it uses.
		startsOn := func(t *testing.T, env []string, args ...string) {
			t.Helper()
			s := startServer(t, name, cleanEnv(env...), args...)
			l := s.events(t, "server_started")[0]
			if db, _ := l.context()["database"].(string); !strings.HasSuffix(db, "/"+dbName(good)) {
				t.Errorf("server_started context.database = %q, want the database %s", db, dbName(good))
			}
			s.stop(t, os.Interrupt)
		}

		t.Run("flag beats env", func(t *testing.T) {
			t.Parallel()
			startsOn(t, []string{pre + "_PORT=" + busy, "PORT=" + busy,
				pre + "_DATABASE_URL=" + unmigrated, "DATABASE_URL=" + unmigrated},
				"--port", "0", "--database-url", good)
		})
		t.Run("prefixed port beats PORT", func(t *testing.T) {
			t.Parallel()
			startsOn(t, []string{"PORT=" + busy, pre + "_PORT=0"}, "--database-url", good)
		})
		t.Run("PORT alone is used", func(t *testing.T) {
			t.Parallel()
			r := runCmd(t, name, cleanEnv("PORT="+busy), "serve", "--database-url", closedDBURL)
			if r.Code != 3 || !strings.Contains(r.errText(), busy) {
				t.Errorf("with PORT=%s: exit %d, want 3 naming the port\nstderr: %s", busy, r.Code, r.Stderr)
			}
		})
		t.Run("prefixed database url beats DATABASE_URL", func(t *testing.T) {
			t.Parallel()
			startsOn(t, []string{"DATABASE_URL=" + unmigrated, pre + "_DATABASE_URL=" + good}, "--port", "0")
		})
		t.Run("DATABASE_URL alone is used", func(t *testing.T) {
			t.Parallel()
			r := runCmd(t, name, cleanEnv("DATABASE_URL="+unmigrated), "serve", "--port", "0")
			if r.Code != 4 || !strings.Contains(r.errText(), dbName(unmigrated)) {
				t.Errorf("with DATABASE_URL only: exit %d, want 4 naming database %s\nstderr: %s", r.Code, dbName(unmigrated), r.Stderr)
			}
		})
	})
}
