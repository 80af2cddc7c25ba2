package scan_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/mcp-memory/servers/internal/codebase/scan"
)

// writeTree creates files (path with forward slashes -> content) under
// root.
func writeTree(tb testing.TB, root string, files map[string]string) {
	tb.Helper()
	for p, content := range files {
		full := filepath.Join(root, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			tb.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
			tb.Fatal(err)
		}
	}
}

// git runs git in dir, isolated from the user's and system's
// configuration (so no global excludes file changes what is ignored), and
// returns its standard output.
func git(tb testing.TB, dir string, args ...string) string {
	tb.Helper()
	return gitStdin(tb, dir, "", args...)
}

// gitStdin is [git] with standard input.
func gitStdin(tb testing.TB, dir, stdin string, args ...string) string {
	tb.Helper()
	home := tb.TempDir()
	cmd := exec.Command("git", append([]string{"-c", "user.name=Scan Test", "-c", "user.email=scan@example.com",
		"-c", "init.defaultBranch=main", "-c", "commit.gpgsign=false"}, args...)...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_SYSTEM=/dev/null",
		"HOME="+home, "XDG_CONFIG_HOME="+home, "GIT_AUTHOR_DATE=2026-01-02T03:04:05Z", "GIT_COMMITTER_DATE=2026-01-02T03:04:05Z")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.Stdin = strings.NewReader(stdin)
	if err := cmd.Run(); err != nil {
		tb.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return stdout.String()
}

// splitZ splits NUL-terminated git output into a sorted list.
func splitZ(s string) []string {
	var out []string
	for _, p := range strings.Split(s, "\x00") {
		if p != "" {
			out = append(out, p)
		}
	}
	sort.Strings(out)
	return out
}

// paths returns the sorted paths of a result's indexable files.
func paths(res *scan.Result) []string {
	out := make([]string, 0, len(res.Files))
	for _, f := range res.Files {
		out = append(out, f.Path)
	}
	sort.Strings(out)
	return out
}

// diff describes the differences between two sorted lists.
func diff(want, got []string) string {
	w := map[string]bool{}
	for _, p := range want {
		w[p] = true
	}
	g := map[string]bool{}
	for _, p := range got {
		g[p] = true
	}
	var b strings.Builder
	for _, p := range want {
		if !g[p] {
			b.WriteString("  missing: " + p + "\n")
		}
	}
	for _, p := range got {
		if !w[p] {
			b.WriteString("  unexpected: " + p + "\n")
		}
	}
	return b.String()
}
