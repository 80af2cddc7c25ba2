package scan_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mcp-memory/servers/internal/apperr"
	"github.com/mcp-memory/servers/internal/codebase"
	"github.com/mcp-memory/servers/internal/codebase/scan"
)

func mustScan(tb testing.TB, root string, opts scan.Options) *scan.Result {
	tb.Helper()
	res, err := scan.Scan(context.Background(), root, opts)
	if err != nil {
		tb.Fatal(err)
	}
	return res
}

// reasonOf returns the skip reason recorded for rel, or "" when rel was
// kept (tests keep each reason under 5 examples).
func reasonOf(res *scan.Result, rel string) string {
	for reason, ex := range res.Examples {
		for _, p := range ex {
			if p == rel {
				return reason
			}
		}
	}
	return ""
}

func TestScan_Content(t *testing.T) {
	ascii := strings.Repeat("a", 8191)
	tests := []struct {
		name    string
		content string
		want    string // skip reason, "" for indexed
	}{
		{"plain text", "def f():\n    return 1\n", ""},
		{"empty", "", ""},
		{"utf-8 text", "// héllo wörld ✓ 日本語\n", ""},
		{"NUL byte", "abc\x00def", codebase.SkipBinary},
		{"NUL byte late in the first 8 KiB", strings.Repeat("x", 8000) + "\x00", codebase.SkipBinary},
		{"invalid UTF-8", "caf\xe9 au lait\n", codebase.SkipBinary},
		{"UTF-16 with BOM", "\xff\xfeh\x00i\x00", codebase.SkipBinary},
		// "é" is 2 bytes: its first byte is byte 8,192, the cut falls inside it.
		{"rune cut at the 8 KiB boundary", ascii + "é" + strings.Repeat("b", 100), ""},
		{"3-byte rune cut at the boundary", ascii[:8190] + "✓" + "tail", ""},
		// A file of exactly 8 KiB ending inside a rune was not cut: invalid.
		{"partial rune at the end of the file", ascii + "\xc3", codebase.SkipBinary},
		{"invalid byte after the first 8 KiB is not seen", strings.Repeat("a", 9000) + "\xff", ""},
	}
	root := t.TempDir()
	files := map[string]string{}
	for i, tc := range tests {
		files[filepath.ToSlash(filepath.Join("c", string(rune('a'+i))+".txt"))] = tc.content
	}
	writeTree(t, root, files)
	res := mustScan(t, root, scan.Options{})
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rel := "c/" + string(rune('a'+i)) + ".txt"
			if got := reasonOf(res, rel); got != tc.want {
				t.Errorf("%s: reason %q, want %q", rel, got, tc.want)
			}
		})
	}
}

func TestScan_Size(t *testing.T) {
	root := t.TempDir()
	writeTree(t, root, map[string]string{
		"small.py":  strings.Repeat("x", 100),
		"big.py":    strings.Repeat("x", 101),
		"huge.json": strings.Repeat("y", 1<<20+1),
		"mib.json":  strings.Repeat("y", 1<<20),
	})
	res := mustScan(t, root, scan.Options{MaxFileSize: 100})
	if reasonOf(res, "big.py") != codebase.SkipTooLarge || reasonOf(res, "small.py") != "" {
		t.Errorf("cap 100: big.py %q, small.py %q", reasonOf(res, "big.py"), reasonOf(res, "small.py"))
	}
	res = mustScan(t, root, scan.Options{})
	if reasonOf(res, "huge.json") != codebase.SkipTooLarge || reasonOf(res, "mib.json") != "" {
		t.Errorf("default cap: huge.json %q, mib.json %q", reasonOf(res, "huge.json"), reasonOf(res, "mib.json"))
	}
	for _, f := range res.Files {
		if f.Path == "small.py" && (f.Size != 100 || f.Language != "python" || f.ModTime.IsZero()) {
			t.Errorf("small.py = %+v", f)
		}
	}
	if res.BytesByLanguage["python"] != 201 || res.FilesByLanguage["json"] != 1 {
		t.Errorf("by language: files %v bytes %v", res.FilesByLanguage, res.BytesByLanguage)
	}
}

func TestScan_Unsupported(t *testing.T) {
	root := t.TempDir()
	writeTree(t, root, map[string]string{
		"logo.png": "not really a png, but never read", "a.zip": "x", "font.woff2": "x", "lib.so": "x",
		"report.pdf": "x", "Main.class": "x", "notes": "plain\n", "run": "#!/usr/bin/env python3\nprint(1)\n",
		"tool": "#!/bin/sh\necho hi\n", "data.xyz": "text with an unknown extension\n",
	})
	res := mustScan(t, root, scan.Options{})
	if got := res.Skipped[codebase.SkipUnsupported]; got != 6 {
		t.Errorf("unsupported = %d, want 6 (%v)", got, res.Examples)
	}
	langs := map[string]string{}
	for _, f := range res.Files {
		langs[f.Path] = f.Language
	}
	want := map[string]string{"notes": "text", "run": "python", "tool": "shell", "data.xyz": "text"}
	for p, l := range want {
		if langs[p] != l {
			t.Errorf("%s: language %q, want %q", p, langs[p], l)
		}
	}
}

func TestScan_Symlinks(t *testing.T) {
	outside := t.TempDir()
	writeTree(t, outside, map[string]string{"secret.txt": "outside\n", "dir/leak.py": "x = 1\n"})
	root := t.TempDir()
	writeTree(t, root, map[string]string{"real.py": "x = 1\n", "pkg/mod.py": "y = 2\n"})
	links := map[string]string{
		"to-outside-file.txt": filepath.Join(outside, "secret.txt"),
		"to-outside-dir":      filepath.Join(outside, "dir"),
		"to-outside-rel":      "../" + filepath.Base(outside) + "/secret.txt",
		"inside.py":           "real.py",
		"pkg-link":            "pkg",
		"self":                ".",
		"loop-a":              "loop-b",
		"loop-b":              "loop-a",
		"dangling":            "missing.txt",
	}
	for name, target := range links {
		if err := os.Symlink(target, filepath.Join(root, name)); err != nil {
			t.Fatal(err)
		}
	}
	res := mustScan(t, root, scan.Options{})
	if d := diff([]string{"pkg/mod.py", "real.py"}, paths(res)); d != "" {
		t.Errorf("files:\n%s", d)
	}
	wantSkipped := map[string]int{codebase.SkipSymlink: 2, scan.SkipSymlinkInside: 3, codebase.SkipUnreadable: 3}
	// to-outside-rel resolves outside only when the temp dirs are siblings.
	if filepath.Dir(outside) == filepath.Dir(root) {
		wantSkipped[codebase.SkipSymlink]++
	} else {
		wantSkipped[codebase.SkipUnreadable]++
	}
	for reason, n := range wantSkipped {
		if res.Skipped[reason] != n {
			t.Errorf("skipped[%s] = %d, want %d (examples %v)", reason, res.Skipped[reason], n, res.Examples)
		}
	}
	total := len(res.Files)
	for _, n := range wantSkipped {
		total += n
	}
	if res.Total != total {
		t.Errorf("total = %d, want %d", res.Total, total)
	}

	t.Run("ReadFile", func(t *testing.T) {
		data, err := scan.ReadFile(root, "pkg/mod.py")
		if err != nil || string(data) != "y = 2\n" {
			t.Fatalf("ReadFile(pkg/mod.py) = %q, %v", data, err)
		}
		if data, err := scan.ReadFile(root, "pkg-link/mod.py"); err != nil || string(data) != "y = 2\n" {
			t.Errorf("ReadFile through a link inside the root = %q, %v", data, err)
		}
		for _, rel := range []string{"to-outside-file.txt", "to-outside-dir/leak.py", "../" + filepath.Base(outside) + "/secret.txt", "/etc/passwd", "pkg/../../x"} {
			_, err := scan.ReadFile(root, rel)
			if apperr.CodeOf(err) != apperr.Validation {
				t.Errorf("ReadFile(%q) error = %v, want a validation error", rel, err)
			}
		}
		if _, err := scan.ReadFile(root, "nope.py"); apperr.CodeOf(err) != apperr.NotFound {
			t.Errorf("ReadFile(missing) error = %v, want NotFound", err)
		}
	})
}

func TestScan_Unreadable(t *testing.T) {
	root := t.TempDir()
	writeTree(t, root, map[string]string{"ok.py": "x = 1\n", "locked.py": "x = 2\n", "closed/a.py": "x = 3\n"})
	locked, closed := filepath.Join(root, "locked.py"), filepath.Join(root, "closed")
	if err := os.Chmod(locked, 0); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(closed, 0); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Chmod(closed, 0o755) })
	res := mustScan(t, root, scan.Options{})
	// As root (or with CAP_DAC_OVERRIDE) mode 000 does not stop reading,
	// so what the scanner must do depends on whether this process can read.
	if _, err := os.ReadFile(locked); err == nil {
		t.Logf("this process can read mode-000 files (uid %d): checking they are indexed", os.Geteuid())
		if d := diff([]string{"closed/a.py", "locked.py", "ok.py"}, paths(res)); d != "" {
			t.Errorf("files:\n%s", d)
		}
		return
	}
	if reasonOf(res, "locked.py") != codebase.SkipUnreadable || reasonOf(res, "closed/") != codebase.SkipUnreadable {
		t.Errorf("skipped %v, examples %v; want locked.py and closed/ unreadable", res.Skipped, res.Examples)
	}
	if d := diff([]string{"ok.py"}, paths(res)); d != "" {
		t.Errorf("files:\n%s", d)
	}
}

func TestScan_Validation(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "f.txt")
	writeTree(t, dir, map[string]string{"f.txt": "x"})
	tests := []struct{ name, root, msg string }{
		{"empty", "", "required"},
		{"relative", "some/dir", "absolute"},
		{"missing", filepath.Join(dir, "nope"), "does not exist"},
		{"file", file, "not a directory"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := scan.Scan(context.Background(), tc.root, scan.Options{})
			if apperr.CodeOf(err) != apperr.Validation || !strings.Contains(apperr.MessageOf(err), tc.msg) {
				t.Errorf("error = %v, want a validation error mentioning %q", err, tc.msg)
			}
		})
	}
}

func TestScan_Cancelled(t *testing.T) {
	root := t.TempDir()
	writeTree(t, root, map[string]string{"a.py": "x\n"})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := scan.Scan(ctx, root, scan.Options{}); !errors.Is(err, context.Canceled) {
		t.Errorf("error = %v, want context.Canceled", err)
	}
}

func TestScan_SortedAndCleanRoot(t *testing.T) {
	root := t.TempDir()
	writeTree(t, root, map[string]string{"b/z.py": "", "a.py": "", "b/a.py": "", "B.py": ""})
	res := mustScan(t, root+"/./b/..", scan.Options{})
	if res.Root != root {
		t.Errorf("Root = %q, want %q", res.Root, root)
	}
	got := strings.Join(paths(res), ",")
	var order []string
	for _, f := range res.Files {
		order = append(order, f.Path)
	}
	if strings.Join(order, ",") != got || got != "B.py,a.py,b/a.py,b/z.py" {
		t.Errorf("files in order %v", order)
	}
}

func TestResult_Describe(t *testing.T) {
	root := t.TempDir()
	files := map[string]string{".gitignore": "*\n"}
	for i := range 1200 {
		files["gen/"+strings.Repeat("x", i%7+1)+"/"+string(rune('a'+i%26))+".py"] = "x\n"
	}
	writeTree(t, root, files)
	writeTree(t, root, map[string]string{"b1.txt": "\x00", "b2.txt": "\x00"})
	if err := os.WriteFile(filepath.Join(root, ".mcpignore"), []byte("!b?.txt\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	res := mustScan(t, root, scan.Options{})
	// gen/ is not entered: one ignored entry, as are .gitignore and .mcpignore.
	want := "0 of 5 files indexable: 3 ignored by .gitignore, 2 binary"
	if got := res.Describe(); got != want {
		t.Errorf("Describe() = %q, want %q", got, want)
	}
	if res.EstimatedChunks() != 0 {
		t.Errorf("EstimatedChunks() = %d, want 0", res.EstimatedChunks())
	}
}

func TestResult_DescribeSplitsSources(t *testing.T) {
	root := t.TempDir()
	writeTree(t, root, map[string]string{".gitignore": "*.log\n", "a.log": "", "b.log": "", "yarn.lock": "", "main.py": "def f():\n    pass\n"})
	res := mustScan(t, root, scan.Options{})
	want := "2 of 5 files indexable: 3 ignored (2 by .gitignore, 1 by built-in rules)"
	if got := res.Describe(); got != want {
		t.Errorf("Describe() = %q, want %q", got, want)
	}
}

func TestResult_EstimatedChunks(t *testing.T) {
	root := t.TempDir()
	writeTree(t, root, map[string]string{
		"a.py":      strings.Repeat("x", 1800), // 1 + 2
		"README.md": strings.Repeat("y", 4800), // 2 windows
		"e.txt":     "",                        // 1 window
	})
	if got := mustScan(t, root, scan.Options{}).EstimatedChunks(); got != 6 {
		t.Errorf("EstimatedChunks() = %d, want 6", got)
	}
}

func TestScan_LogsOneWarningPerReason(t *testing.T) {
	root := t.TempDir()
	writeTree(t, root, map[string]string{"a.txt": "\x00", "b.dat": "\x00", "c.png": "", "node_modules/x.js": "", "ok.go": "package ok\n"})
	var buf bytes.Buffer
	res := mustScan(t, root, scan.Options{Logger: slog.New(slog.NewJSONHandler(&buf, nil))})
	got := map[string]float64{}
	for _, line := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
		var ev map[string]any
		if err := json.Unmarshal([]byte(line), &ev); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		if ev["msg"] != "scan_skipped" || ev["level"] != "WARN" {
			t.Errorf("unexpected log event %v", ev)
		}
		got[ev["reason"].(string)] = ev["count"].(float64)
	}
	want := map[string]float64{codebase.SkipBinary: 2, codebase.SkipUnsupported: 1, codebase.SkipIgnored: 1}
	if len(got) != len(want) {
		t.Errorf("events %v, want %v", got, want)
	}
	for r, n := range want {
		if got[r] != n {
			t.Errorf("reason %s count %v, want %v", r, got[r], n)
		}
	}
	if len(res.Files) != 1 {
		t.Errorf("files %v", paths(res))
	}
}

func TestLanguage(t *testing.T) {
	tests := map[string]string{
		"main.go": "go", "a/b/x.py": "python", "x.pyi": "python", "app.js": "javascript", "m.mjs": "javascript",
		"c.jsx": "javascript", "t.ts": "typescript", "v.tsx": "tsx", "A.java": "java", "lib.rs": "rust",
		"x.c": "c", "x.h": "c", "x.cc": "cpp", "x.hpp": "cpp", "x.rb": "ruby", "i.php": "php", "P.cs": "csharp",
		"k.kt": "kotlin", "s.swift": "swift", "s.scala": "scala", "run.sh": "shell", "q.sql": "sql",
		"README.md": "markdown", "c.yml": "yaml", "c.yaml": "yaml", "p.json": "json", "Cargo.toml": "toml",
		"i.html": "html", "s.css": "css", "Makefile": "make", "Dockerfile": "dockerfile", "LICENSE": "text",
		"notes.txt": "text", "weird.qqq": "text", "UPPER.PY": "python",
		"a.png": "", "b.JPG": "", "c.zip": "", "d.tar.gz": "", "e.woff2": "", "f.mp4": "", "g.docx": "",
		"h.pdf": "", "i.o": "", "j.so": "", "k.exe": "", "l.class": "", "m.pyc": "", "n.wasm": "",
	}
	for p, want := range tests {
		if got := scan.Language(p); got != want {
			t.Errorf("Language(%q) = %q, want %q", p, got, want)
		}
	}
}
