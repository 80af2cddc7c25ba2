// Package testbin builds the two server binaries for the test suites that
// run them as separate processes (e2e, security, compose, interop,
// scenarios, scale), so each suite tests exactly what users run.
package testbin

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// Names are the binaries Build makes.
var Names = []string{"codebase-mcp", "workflow-mcp"}

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

// Build builds both commands from the module root into dir.
func Build(dir string) error {
	root, err := Root()
	if err != nil {
		return err
	}
	for _, name := range Names {
		cmd := exec.Command("go", "build", "-o", filepath.Join(dir, name), "./cmd/"+name)
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("go build ./cmd/%s: %w\n%s", name, err, out)
		}
	}
	return nil
}
