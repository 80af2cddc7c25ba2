//go:build scenarios

// Package scenarios_test is the validation suite of `make validate`: six
// scenarios that start the real codebase-mcp and workflow-mcp binaries on
// real PostgreSQL and use them only through their public interfaces
// (HTTP REST, /health, /metrics, logs), as docs/api.md describes them.
//
// Each scenario is one top-level test and runs alone:
//
//	eval "$(bash scripts/dev-db.sh env)"
//	go test -tags scenarios -count=1 -timeout 60m ./test/scenarios -run Scenario3 -v
//
// VALIDATE_PROFILE picks the sizes (ci, short, full, soak; see profile_test.go).
// VALIDATE_OUT names a directory where the tests write their performance
// records and load series for test/cmd/validate, which renders the report.
// A route that is not served yet fails its scenario with a message naming
// the route; nothing is skipped.
package scenarios_test

import (
	"flag"
	"fmt"
	"github.com/mcp-memory/servers/test/testbin"
	"os"
	"path/filepath"
	"testing"
)

// The binaries under test.
const (
	codebase = "codebase-mcp"
	workflow = "workflow-mcp"
)

// suite is what TestMain prepared for every scenario.
type suite struct {
	binDir  string  // the built binaries
	tmp     string  // scratch space removed at the end
	out     string  // VALIDATE_OUT, or a directory under tmp
	profile profile // sizes and limits
}

var env suite

func TestMain(m *testing.M) {
	os.Exit(runTests(m))
}

func runTests(m *testing.M) int {
	flag.Parse()
	p, err := profileFromEnv(os.Getenv)
	if err != nil {
		fmt.Fprintln(os.Stderr, "scenarios:", err)
		return 2
	}
	tmp, err := os.MkdirTemp("", "mcp-scenarios-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "scenarios:", err)
		return 1
	}
	defer os.RemoveAll(tmp)
	out := os.Getenv("VALIDATE_OUT")
	if out == "" {
		out = filepath.Join(tmp, "out")
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		fmt.Fprintln(os.Stderr, "scenarios:", err)
		return 1
	}
	env = suite{binDir: filepath.Join(tmp, "bin"), tmp: tmp, out: out, profile: p}
	fmt.Fprintf(os.Stderr, "scenarios: profile %s; building both binaries\n", p.Name)
	if err := testbin.Build(env.binDir); err != nil {
		fmt.Fprintln(os.Stderr, "scenarios:", err)
		return 1
	}
	return m.Run()
}

func binPath(name string) string { return filepath.Join(env.binDir, name) }
