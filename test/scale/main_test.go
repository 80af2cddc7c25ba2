//go:build scale

// Package scale_test is the scale-out test (`make scale`, not part of
// `make test`): a PostgreSQL primary and a streaming replica (two private
// clusters), two replicas of each server built from this tree, started
// --stateless with --database-read-url on the replica, and nginx (the
// Debian package) balancing each server kind, all on loopback and all
// started and stopped by the test. It checks that session-less MCP calls
// spread over both replicas, that an index job runs once, that killing a
// codebase-mcp replica mid-job and mid-load loses no acknowledged write,
// and where reads are served; it measures search throughput and p95
// through the balancer with one and two codebase-mcp replicas and the
// replication lag under an index job (docs/performance/scale-out.md).
package scale_test

import (
	"fmt"
	"github.com/mcp-memory/servers/test/testbin"
	"os"
	"path/filepath"
	"testing"
)

const (
	codebase = "codebase-mcp"
	workflow = "workflow-mcp"
)

// binDir holds the binaries built by TestMain.
var binDir string

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	tmp, err := os.MkdirTemp("", "mcp-scale-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "scale:", err)
		return 1
	}
	defer os.RemoveAll(tmp)
	binDir = filepath.Join(tmp, "bin")
	fmt.Fprintln(os.Stderr, "scale: building both binaries")
	if err := testbin.Build(binDir); err != nil {
		fmt.Fprintln(os.Stderr, "scale:", err)
		return 1
	}
	return m.Run()
}
