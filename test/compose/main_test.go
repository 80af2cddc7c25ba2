// Package compose_test checks the deployment files that cannot run on a
// machine without a Docker engine against the real binaries:
// docker-compose.yml (services, ports, environment, healthchecks, start
// order, and each service's commands run here exactly as compose would run
// them), the Dockerfile and .dockerignore, and the Prometheus scrape config
// and alert rules in docs/operations/prometheus (every metric they use is
// served by a running server; promtool checks and unit-tests the rules).
//
// TestMain builds both binaries once. The tests that start servers need
// TEST_DATABASE_URL, like every storage test:
//
//	eval "$(bash scripts/dev-db.sh env)"; go test -count=1 ./test/compose/
package compose_test

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"github.com/mcp-memory/servers/test/testbin"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// The binaries under test.
const (
	codebase = "codebase-mcp"
	workflow = "workflow-mcp"
)

// binDir holds the binaries TestMain built; root is the module root.
var binDir, root string

func TestMain(m *testing.M) {
	os.Exit(runTests(m))
}

func runTests(m *testing.M) int {
	var err error
	if root, err = testbin.Root(); err != nil {
		fmt.Fprintln(os.Stderr, "compose:", err)
		return 1
	}
	dir, err := os.MkdirTemp("", "mcp-compose-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "compose:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	binDir = dir
	if err := testbin.Build(dir); err != nil {
		fmt.Fprintln(os.Stderr, "compose:", err)
		return 1
	}
	return m.Run()
}

// readFile reads a file relative to the module root.
func readFile(tb testing.TB, rel string) []byte {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join(root, rel))
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// flagInfo is one flag as `<binary> <command> -h` prints it.
type flagInfo struct {
	Name    string
	Env     []string // environment variables that set it, in precedence order
	Default string
}

var (
	flagLine    = regexp.MustCompile(`^  -([a-z0-9-]+)`)
	envClause   = regexp.MustCompile(`\(env ([A-Z0-9_, ]+)\)`)
	defaultPart = regexp.MustCompile(`\(default "?([^")]*)"?\)`)
)

// helpFlags runs `<binary> <command> -h` and parses its flags.
func helpFlags(tb testing.TB, binary, command string) map[string]flagInfo {
	tb.Helper()
	cmd := exec.Command(filepath.Join(binDir, binary), command, "-h")
	cmd.Env = []string{"PATH=" + os.Getenv("PATH")}
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		tb.Fatalf("%s %s -h: %v", binary, command, err)
	}
	flags := map[string]flagInfo{}
	cur := "" // the flag whose description lines follow
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		line := sc.Text()
		if m := flagLine.FindStringSubmatch(line); m != nil {
			cur = m[1]
			flags[cur] = flagInfo{Name: cur}
			continue
		}
		if cur == "" {
			continue
		}
		f := flags[cur]
		if m := envClause.FindStringSubmatch(line); m != nil {
			for _, e := range strings.Split(m[1], ",") {
				f.Env = append(f.Env, strings.TrimSpace(e))
			}
		}
		if m := defaultPart.FindStringSubmatch(line); m != nil {
			f.Default = m[1]
		}
		flags[cur] = f
	}
	if len(flags) == 0 {
		tb.Fatalf("%s %s -h listed no flags:\n%s", binary, command, out)
	}
	return flags
}

// envIndex maps every environment variable of a command to its flag.
func envIndex(flags map[string]flagInfo) map[string]flagInfo {
	idx := map[string]flagInfo{}
	for _, f := range flags {
		for _, e := range f.Env {
			idx[e] = f
		}
	}
	return idx
}

func TestHelpFlags(t *testing.T) {
	// The parser the other tests rely on reads what the binaries print.
	f := helpFlags(t, codebase, "serve")
	port, ok := f["port"]
	if !ok || port.Default != "8020" || len(port.Env) != 2 || port.Env[0] != "CODEBASE_MCP_PORT" || port.Env[1] != "PORT" {
		t.Fatalf("codebase-mcp serve -port parsed as %+v, want default 8020, env CODEBASE_MCP_PORT, PORT", port)
	}
	if tok := f["auth-token"]; len(tok.Env) != 1 || tok.Env[0] != "MCP_AUTH_TOKEN" {
		t.Fatalf("codebase-mcp serve -auth-token parsed as %+v", tok)
	}
	if _, ok := helpFlags(t, workflow, "migrate")["database-url"]; !ok {
		t.Fatal("workflow-mcp migrate -h has no -database-url")
	}
}
