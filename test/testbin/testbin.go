// Package testbin builds the two server binaries for the test suites that
// run them as separate processes (e2e, security, compose, interop,
// scenarios, scale), so each suite tests exactly what users run.
//
// With COVER_BINARIES_DIR set (make cover does), Build makes coverage
// binaries instead (go build -cover, Go's integration coverage) and points
// GOCOVERDIR at that directory, so every server process the suite starts
// writes its counters there when it exits cleanly (return from main or
// os.Exit, as after SIGTERM; not when killed). `go tool covdata` reads them.
package testbin

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// Names are the binaries Build makes.
var Names = []string{"codebase-mcp", "workflow-mcp"}

// CoverDirEnv names the variable that turns on coverage binaries: the
// directory the started servers write their coverage counters to.
const CoverDirEnv = "COVER_BINARIES_DIR"

// Root returns the module's root directory.
func Root() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return "", errors.New("go env GOMOD: not inside the module")
	}
	return filepath.Dir(gomod), nil
}

// Build builds both commands from the module root into dir. When
// COVER_BINARIES_DIR is set it builds them with coverage of every module
// package they link and sets GOCOVERDIR in this process's environment, which
// the suites pass on to the servers they start (they build the servers'
// environment from os.Environ).
func Build(dir string) error {
	root, err := Root()
	if err != nil {
		return err
	}
	args, err := coverArgs(root)
	if err != nil {
		return err
	}
	for _, name := range Names {
		cmd := exec.Command("go", append(append([]string{"build"}, args...), "-o", filepath.Join(dir, name), "./cmd/"+name)...)
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("go build ./cmd/%s: %w\n%s", name, err, out)
		}
	}
	return nil
}

// coverArgs returns the go build flags for coverage binaries (none when
// COVER_BINARIES_DIR is unset) and sets GOCOVERDIR.
func coverArgs(root string) ([]string, error) {
	dir := os.Getenv(CoverDirEnv)
	if dir == "" {
		return nil, nil
	}
	if !filepath.IsAbs(dir) {
		// Relative to the module root, as in make cover, not to the test's
		// package directory where go test runs it.
		dir = filepath.Join(root, dir)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("%s: %w", CoverDirEnv, err)
	}
	// The process environment is the only channel to the servers every
	// suite starts; set once, before any server runs.
	if err := os.Setenv("GOCOVERDIR", dir); err != nil {
		return nil, fmt.Errorf("set GOCOVERDIR: %w", err)
	}
	// count mode, like make cover's go test run, so the profiles merge;
	// ./... selects the module's packages the binary links.
	return []string{"-cover", "-covermode=count", "-coverpkg=./..."}, nil
}

// Stop ends a server the test left running: SIGTERM first, so that it
// shuts down as in production (and a coverage binary writes its
// counters), then SIGKILL when it has not exited within grace. done is
// closed when the process has been waited for.
func Stop(p *os.Process, done <-chan struct{}, grace time.Duration) {
	select {
	case <-done:
		return
	default:
	}
	p.Signal(syscall.SIGTERM) //nolint:errcheck // it may exit meanwhile
	select {
	case <-done:
	case <-time.After(grace):
		p.Kill() //nolint:errcheck // it may exit meanwhile
		<-done
	}
}
