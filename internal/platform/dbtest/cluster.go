package dbtest

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// Cluster is a private PostgreSQL cluster made for one test: initdb into a
// temporary directory, started on a free loopback port with trust auth.
// Fault tests stop and start it; it is removed when the test ends.
type Cluster struct {
	Dir    string
	Port   int
	bindir string
}

// NewCluster creates and starts a private cluster (about 1 s). It skips
// like [BaseURL] when PostgreSQL is not installed outside CI.
func NewCluster(tb testing.TB) *Cluster {
	tb.Helper()
	bindir := BinDir()
	if bindir == "" {
		if os.Getenv("CI") != "" {
			tb.Fatal("PostgreSQL server binaries not found; install them with scripts/dev-db.sh install")
		}
		tb.Skip("PostgreSQL server binaries not found; run scripts/dev-db.sh install")
	}
	dir, err := os.MkdirTemp("", "mcp-pgtest-")
	if err != nil {
		tb.Fatal(err)
	}
	c := &Cluster{Dir: dir, Port: FreePort(tb), bindir: bindir}
	tb.Cleanup(func() {
		c.run(context.Background(), "pg_ctl", "-D", c.data(), "-m", "immediate", "-w", "stop") //nolint:errcheck // may be stopped already
		os.RemoveAll(dir)
	})
	if os.Geteuid() == 0 {
		// initdb refuses root; the cluster belongs to the postgres user.
		u, err := user.Lookup("postgres")
		if err != nil {
			tb.Fatalf("running as root needs a postgres user: %v", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chmod(dir, 0o755); err != nil {
			tb.Fatal(err)
		}
		if err := os.Chown(dir, uid, gid); err != nil {
			tb.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if out, err := c.run(ctx, "initdb", "-D", c.data(), "-U", "postgres", "-A", "trust", "-E", "UTF8",
		"--locale=C.UTF-8", "--no-sync"); err != nil {
		tb.Fatalf("initdb: %v\n%s", err, out)
	}
	c.Start(tb)
	return c
}

func (c *Cluster) data() string { return filepath.Join(c.Dir, "data") }

// URL returns the URL of database db on the cluster.
func (c *Cluster) URL(db string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", c.Port, db)
}

// Start starts the cluster and waits until it accepts connections.
func (c *Cluster) Start(tb testing.TB) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	opts := fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=100",
		c.Port, c.Dir)
	if out, err := c.run(ctx, "pg_ctl", "-D", c.data(), "-l", filepath.Join(c.Dir, "server.log"), "-w", "-t", "60", "-o", opts, "start"); err != nil {
		log, _ := os.ReadFile(filepath.Join(c.Dir, "server.log"))
		tb.Fatalf("pg_ctl start: %v\n%s\n%s", err, out, log)
	}
}

// Stop stops the cluster; mode "immediate" simulates a crash.
func (c *Cluster) Stop(tb testing.TB, mode string) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if out, err := c.run(ctx, "pg_ctl", "-D", c.data(), "-m", mode, "-w", "stop"); err != nil {
		tb.Fatalf("pg_ctl stop: %v\n%s", err, out)
	}
}

// CreateDatabase creates database name on the cluster.
func (c *Cluster) CreateDatabase(tb testing.TB, name string) string {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, c.URL("postgres"))
	if err != nil {
		tb.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		tb.Fatal(err)
	}
	return c.URL(name)
}

func (c *Cluster) run(ctx context.Context, tool string, args ...string) ([]byte, error) {
	bin := filepath.Join(c.bindir, tool)
	var cmd *exec.Cmd
	if os.Geteuid() == 0 {
		cmd = exec.CommandContext(ctx, "runuser", append([]string{"-u", "postgres", "--", bin}, args...)...)
	} else {
		cmd = exec.CommandContext(ctx, bin, args...)
	}
	cmd.Dir = "/"
	return cmd.CombinedOutput()
}

// BinDir finds the PostgreSQL server binaries: $PG_BINDIR, else the
// newest /usr/lib/postgresql/N/bin, else "".
func BinDir() string {
	if d := os.Getenv("PG_BINDIR"); d != "" {
		return d
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool {
		vi, _ := strconv.Atoi(filepath.Base(filepath.Dir(dirs[i])))
		vj, _ := strconv.Atoi(filepath.Base(filepath.Dir(dirs[j])))
		return vi > vj
	})
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "initdb")); err == nil {
			return d
		}
	}
	return ""
}

// FreePort returns a loopback TCP port that nothing listens on: it binds
// 127.0.0.1:0 and closes the listener at once, so the port is free but
// another process may take it before the caller binds it.
func FreePort(tb testing.TB) int {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// NewReplica makes a streaming replica of c (pg_basebackup -R on a new
// private cluster) and starts it; it is removed when the test ends.
func (c *Cluster) NewReplica(tb testing.TB) *Cluster {
	tb.Helper()
	dir, err := os.MkdirTemp("", "mcp-pgreplica-")
	if err != nil {
		tb.Fatal(err)
	}
	r := &Cluster{Dir: dir, Port: FreePort(tb), bindir: c.bindir}
	tb.Cleanup(func() {
		r.run(context.Background(), "pg_ctl", "-D", r.data(), "-m", "immediate", "-w", "stop") //nolint:errcheck // may be stopped already
		os.RemoveAll(dir)
	})
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			tb.Fatalf("running as root needs a postgres user: %v", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chmod(dir, 0o755); err != nil {
			tb.Fatal(err)
		}
		if err := os.Chown(dir, uid, gid); err != nil {
			tb.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if out, err := r.run(ctx, "pg_basebackup", "-h", "127.0.0.1", "-p", strconv.Itoa(c.Port), "-U", "postgres",
		"-D", r.data(), "-R", "-X", "stream", "--no-sync", "--checkpoint=fast"); err != nil {
		tb.Fatalf("pg_basebackup: %v\n%s", err, out)
	}
	r.Start(tb)
	return r
}
