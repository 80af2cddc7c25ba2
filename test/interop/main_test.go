//go:build interop

// Package interop_test checks codebase-mcp and workflow-mcp against MCP
// clients this project did not write: the official TypeScript SDK
// (npm @modelcontextprotocol/sdk, pinned in js/package-lock.json) over
// Streamable HTTP, legacy SSE and stdio, against the real binaries and
// real PostgreSQL.
//
// It needs node and npm, and TEST_DATABASE_URL like every storage test:
//
//	eval "$(bash scripts/dev-db.sh env)"; go test -tags interop -count=1 ./test/interop/...
//
// TestMain builds both binaries and installs the npm packages with
// `npm ci` into a cache directory keyed by the lock file's hash (reused by
// later runs), so nothing is written into the source tree.
package interop_test

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"github.com/mcp-memory/servers/test/testbin"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// The binaries under test.
const (
	codebase = "codebase-mcp"
	workflow = "workflow-mcp"
)

var (
	root     string // module root
	binDir   string // built binaries
	jsDir    string // npm install with client.mjs beside node_modules
	npmSetup time.Duration
)

func TestMain(m *testing.M) {
	os.Exit(runTests(m))
}

func runTests(m *testing.M) int {
	var err error
	if root, err = testbin.Root(); err != nil {
		fmt.Fprintln(os.Stderr, "interop:", err)
		return 1
	}
	dir, err := os.MkdirTemp("", "mcp-interop-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "interop:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	binDir = dir
	if err := testbin.Build(dir); err != nil {
		fmt.Fprintln(os.Stderr, "interop:", err)
		return 1
	}
	start := time.Now()
	if jsDir, err = installJS(); err != nil {
		fmt.Fprintln(os.Stderr, "interop:", err)
		return 1
	}
	npmSetup = time.Since(start)
	defer os.Remove(clientPath)
	return m.Run()
}

// installJS runs `npm ci` for js/package-lock.json into a cache directory
// named after the lock file's hash (once; later runs reuse it) and copies
// client.mjs there, so its imports resolve against that node_modules.
func installJS() (string, error) {
	src := filepath.Join(root, "test", "interop", "js")
	lock, err := os.ReadFile(filepath.Join(src, "package-lock.json"))
	if err != nil {
		return "", err
	}
	pkg, err := os.ReadFile(filepath.Join(src, "package.json"))
	if err != nil {
		return "", err
	}
	for _, tool := range []string{"node", "npm"} {
		if _, err := exec.LookPath(tool); err != nil {
			return "", fmt.Errorf("%s is not installed; the interop tests need Node.js 18+ and npm (Debian: apt-get install nodejs npm)", tool)
		}
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		cache = os.TempDir()
	}
	sum := sha256.Sum256(append(append([]byte{}, pkg...), lock...))
	dir := filepath.Join(cache, "mcp-memory-interop", hex.EncodeToString(sum[:8]))
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "@modelcontextprotocol", "sdk", "package.json")); err != nil {
		// Install next to the final place and rename, so a concurrent or
		// interrupted run never sees a half-installed tree.
		if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
			return "", err
		}
		tmp, err := os.MkdirTemp(filepath.Dir(dir), "install-")
		if err != nil {
			return "", err
		}
		defer os.RemoveAll(tmp)
		for name, b := range map[string][]byte{"package.json": pkg, "package-lock.json": lock} {
			if err := os.WriteFile(filepath.Join(tmp, name), b, 0o644); err != nil {
				return "", err
			}
		}
		cmd := exec.Command("npm", "ci", "--no-audit", "--no-fund", "--ignore-scripts")
		cmd.Dir = tmp
		if out, err := cmd.CombinedOutput(); err != nil {
			return "", fmt.Errorf("npm ci: %w\n%s", err, out)
		}
		if err := os.Rename(tmp, dir); err != nil && !os.IsExist(err) {
			if _, statErr := os.Stat(dir); statErr != nil {
				return "", err
			}
		}
	}
	client, err := os.ReadFile(filepath.Join(src, "client.mjs"))
	if err != nil {
		return "", err
	}
	// Each run writes its own copy, so an edited client.mjs takes effect.
	f, err := os.CreateTemp(dir, "client-*.mjs")
	if err != nil {
		return "", err
	}
	if _, err := f.Write(client); err != nil {
		return "", err
	}
	if err := f.Close(); err != nil {
		return "", err
	}
	clientPath = f.Name()
	return dir, nil
}

// clientPath is this run's copy of client.mjs inside jsDir.
var clientPath string
