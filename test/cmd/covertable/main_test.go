package main

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRun(t *testing.T) {
	prof := `mode: set
m/a/x.go:1.1,2.2 3 1
m/a/x.go:3.1,4.2 1 0
m/b/y.go:1.1,2.2 2 0
m/b/y.go:1.1,2.2 2 1
m/b/y.go:5.1,6.2 2 0
`
	var out bytes.Buffer
	if err := run(strings.NewReader(prof), &out); err != nil {
		t.Fatal(err)
	}
	s := out.String()
	for _, want := range []string{"50.0%", "2/4", "m/b", "75.0%", "3/4", "m/a", "62.5%", "5/8", "total"} {
		if !strings.Contains(s, want) {
			t.Errorf("table lacks %q:\n%s", want, s)
		}
	}
	if strings.Index(s, "m/b") > strings.Index(s, "m/a") {
		t.Errorf("lowest coverage should come first:\n%s", s)
	}
	if err := run(strings.NewReader("mode: set\nbroken line\n"), &out); err == nil {
		t.Error("a broken profile line was accepted")
	}
}

// TestRunFilesMerges checks that a block in two profiles counts once, that
// each profile gets its own column and that the merged profile sums hits.
func TestRunFilesMerges(t *testing.T) {
	dir := t.TempDir()
	unit := filepath.Join(dir, "unit.out")
	bins := filepath.Join(dir, "bins.out")
	write(t, unit, "mode: count\nm/a/x.go:1.1,2.2 3 2\nm/a/x.go:3.1,4.2 1 0\nm/a/x.go:1.1,2.2 3 0\n")
	write(t, bins, "mode: count\nm/a/x.go:1.1,2.2 3 5\nm/a/x.go:3.1,4.2 1 0\nm/a/x.go:5.1,6.2 4 1\n")
	merged := filepath.Join(dir, "merged.out")
	var out bytes.Buffer
	if err := runFiles([]string{"unit=" + unit, "binaries=" + bins}, merged, "m/", &out); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 3 {
		t.Fatalf("want a header, one package and a total:\n%s", out.String())
	}
	if f := strings.Fields(lines[0]); strings.Join(f, " ") != "COVERAGE STATEMENTS UNIT BINARIES PACKAGE" {
		t.Errorf("header %q", lines[0])
	}
	// 7 of 8 statements: 3 (both) + 4 (binaries only); unit hit 3, binaries 7.
	if f := strings.Fields(lines[1]); strings.Join(f, " ") != "87.5% 7/8 37.5% 87.5% a" {
		t.Errorf("package row %q, want 87.5%% 7/8 37.5%% 87.5%% a", lines[1])
	}
	got, err := os.ReadFile(merged)
	if err != nil {
		t.Fatal(err)
	}
	want := "mode: count\nm/a/x.go:1.1,2.2 3 7\nm/a/x.go:3.1,4.2 1 0\nm/a/x.go:5.1,6.2 4 1\n"
	if string(got) != want {
		t.Errorf("merged profile:\n%s\nwant:\n%s", got, want)
	}
}

// TestRunFilesMixedModes checks that set and count profiles merge as set.
func TestRunFilesMixedModes(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.out"), filepath.Join(dir, "b.out")
	write(t, a, "mode: set\nm/a/x.go:1.1,2.2 3 1\n")
	write(t, b, "mode: count\nm/a/x.go:1.1,2.2 3 9\n")
	merged := filepath.Join(dir, "merged.out")
	if err := runFiles([]string{a, b}, merged, "", io.Discard); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(merged)
	if err != nil {
		t.Fatal(err)
	}
	if want := "mode: set\nm/a/x.go:1.1,2.2 3 1\n"; string(got) != want {
		t.Errorf("merged profile:\n%s\nwant:\n%s", got, want)
	}
}

// TestRunFilesRejects checks the errors: a missing file and a block whose
// statement count differs between profiles (made from other code).
func TestRunFilesRejects(t *testing.T) {
	dir := t.TempDir()
	if err := runFiles([]string{filepath.Join(dir, "missing.out")}, "", "", io.Discard); err == nil {
		t.Error("a missing profile was accepted")
	}
	a, b := filepath.Join(dir, "a.out"), filepath.Join(dir, "b.out")
	write(t, a, "mode: set\nm/a/x.go:1.1,2.2 3 1\n")
	write(t, b, "mode: set\nm/a/x.go:1.1,2.2 4 1\n")
	err := runFiles([]string{a, b}, "", "", io.Discard)
	if err == nil || !strings.Contains(err.Error(), "same code") {
		t.Errorf("profiles of different code: err = %v", err)
	}
}

func write(t *testing.T, name, s string) {
	t.Helper()
	if err := os.WriteFile(name, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}
