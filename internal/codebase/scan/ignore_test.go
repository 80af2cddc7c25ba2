package scan_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mcp-memory/servers/internal/codebase"
	"github.com/mcp-memory/servers/internal/codebase/scan"
)

// TestScan_IgnoreMatchesGit builds a real git repository per case and
// checks that the files Scan keeps are exactly the untracked files git
// does not ignore (git ls-files --others --exclude-standard), and that
// git check-ignore agrees on each ignored one. Every file is small text
// under a name no built-in rule touches, so ignore rules alone decide.
func TestScan_IgnoreMatchesGit(t *testing.T) {
	tests := []struct {
		name    string
		files   map[string]string
		exclude string // .git/info/exclude
	}{
		{
			name: "negation",
			files: map[string]string{
				".gitignore": "*.log\n!keep.log\n",
				"a.log":      "x", "keep.log": "x", "main.txt": "x",
				"sub/b.log": "x", "sub/keep.log": "x",
			},
		},
		{
			name: "directory only",
			files: map[string]string{
				".gitignore":  "gen/\n",
				"gen/out.txt": "x", "src/gen": "a file named gen", "other/gen/x.txt": "x",
				"deep/er/gen/y.txt": "x", "generated.txt": "x",
			},
		},
		{
			name: "anchored",
			files: map[string]string{
				".gitignore":       "/thirdparty\n/top.txt\n",
				"thirdparty/a.txt": "x", "lib/thirdparty/b.txt": "x", "top.txt": "x", "lib/top.txt": "x",
			},
		},
		{
			name: "double star",
			files: map[string]string{
				".gitignore": "**/tmp/**\ndocs/**/*.md\na/**/b\n**/cache\nabc/**\n",
				"tmp/x.txt":  "x", "p/q/tmp/y.txt": "x", "tmpfile.txt": "x",
				"docs/r.md": "x", "docs/x/y/z.md": "x", "docs/x/keep.txt": "x", "other/docs/q.md": "x",
				"a/b": "x", "a/x/b": "x", "a/x/y/b": "x", "a/x/bb": "x",
				"cache": "x", "z/cache/c.txt": "x",
				"abc/d/e.txt": "x", "abc.txt": "x",
			},
		},
		{
			name: "escapes and trailing spaces",
			files: map[string]string{
				".gitignore": "\\#notes.txt\n\\!bang.txt\ntrail.txt   \nspace\\ \n# a comment\n\n",
				"#notes.txt": "x", "!bang.txt": "x", "trail.txt": "x", "space ": "x", "space": "x", "notes.txt": "x",
			},
		},
		{
			name: "middle slash anchors",
			files: map[string]string{
				".gitignore": "doc/frotz\nsrc/*.txt\n",
				"doc/frotz":  "x", "a/doc/frotz": "x", "src/a.txt": "x", "src/x/b.txt": "x", "a/src/c.txt": "x",
			},
		},
		{
			name: "parent directory exclusion is final",
			files: map[string]string{
				".gitignore":    "logs/\n!logs/keep.txt\n/*\n!/kept\n!/.gitignore\n",
				"logs/keep.txt": "x", "kept/logs/keep.txt": "x", "kept/a.txt": "x", "dropped/a.txt": "x", "root.txt": "x",
			},
		},
		{
			name: "nested gitignore overrides its parent",
			files: map[string]string{
				".gitignore":     "*.txt\n",
				"sub/.gitignore": "!*.txt\n/only-here.md\nx/y.md\n",
				"a.txt":          "x", "sub/b.txt": "x", "sub/c/d.txt": "x",
				"sub/only-here.md": "x", "sub/c/only-here.md": "x", "only-here.md": "x",
				"sub/x/y.md": "x", "sub/c/x/y.md": "x", "x/y.md": "x",
			},
		},
		{
			name:    "info exclude is overridden by gitignore",
			exclude: "secret*\n*.bak\n",
			files: map[string]string{
				".gitignore": "!secret-ok.txt\n",
				"secret.txt": "x", "secret-ok.txt": "x", "d/secret2.txt": "x", "old.bak": "x", "new.txt": "x",
			},
		},
		{
			name: "bracket expressions and question mark",
			files: map[string]string{
				".gitignore": "file[0-9].txt\n[!a]*.dat\n*.[ch]\n[[:upper:]]*.txt\n?.md\nx[]]y\n",
				"file1.txt":  "x", "filex.txt": "x", "b.dat": "x", "a.dat": "x", "m.c": "x", "m.h": "x", "m.go": "x",
				"Upper.txt": "x", "lower.txt": "x", "q.md": "x", "qq.md": "x", "x]y": "x",
			},
		},
		{
			name: "crlf and bom",
			files: map[string]string{
				".gitignore": "\xef\xbb\xbfbom.txt\r\ncrlf.txt\r\n",
				"bom.txt":    "x", "crlf.txt": "x", "ok.txt": "x",
			},
		},
		{
			name: "star does not cross directories but no-slash patterns match at any depth",
			files: map[string]string{
				".gitignore": "*.tmp\nnamed\nd*/x.txt\n",
				"a.tmp":      "x", "b/c.tmp": "x", "named/z.txt": "x", "q/named": "x",
				"dir/x.txt": "x", "dir/sub/x.txt": "x",
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			root := t.TempDir()
			git(t, root, "init", "-q")
			writeTree(t, root, tc.files)
			if tc.exclude != "" {
				if err := os.WriteFile(filepath.Join(root, ".git", "info", "exclude"), []byte(tc.exclude), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want := splitZ(git(t, root, "ls-files", "-z", "--others", "--exclude-standard"))
			res, err := scan.Scan(context.Background(), root, scan.Options{})
			if err != nil {
				t.Fatal(err)
			}
			if d := diff(want, paths(res)); d != "" {
				t.Errorf("Scan disagrees with git ls-files --others --exclude-standard:\n%s", d)
			}
			// Each file git ignores must be one Scan did not keep, and
			// git check-ignore must name a pattern for it.
			ignored := splitZ(git(t, root, "ls-files", "-z", "--others", "--ignored", "--exclude-standard"))
			kept := map[string]bool{}
			for _, p := range paths(res) {
				kept[p] = true
			}
			for _, p := range ignored {
				if kept[p] {
					t.Errorf("%s: git ignores it, Scan kept it", p)
				}
			}
			if len(ignored) > 0 {
				out := gitStdin(t, root, strings.Join(ignored, "\x00")+"\x00", "check-ignore", "--no-index", "--stdin", "-z")
				if got := splitZ(out); len(got) != len(ignored) {
					t.Errorf("git check-ignore confirmed %d of %d ignored files", len(got), len(ignored))
				}
			}
			if res.Skipped[codebase.SkipIgnored] == 0 {
				t.Errorf("no ignored entries counted")
			}
		})
	}
}

// TestScan_IgnoreFromSubdirectory scans a directory inside a work tree:
// the .gitignore files above it and .git/info/exclude still apply, as they
// do for git.
func TestScan_IgnoreFromSubdirectory(t *testing.T) {
	root := t.TempDir()
	git(t, root, "init", "-q")
	writeTree(t, root, map[string]string{
		".gitignore":           "*.log\nproj/generated/\n",
		"proj/.gitignore":      "!important.log\n",
		"proj/a.log":           "x",
		"proj/important.log":   "x",
		"proj/main.py":         "print(1)\n",
		"proj/generated/g.py":  "x = 1\n",
		"proj/sub/generated/h": "x",
		"proj/excluded.txt":    "x",
	})
	if err := os.WriteFile(filepath.Join(root, ".git", "info", "exclude"), []byte("excluded.txt\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	sub := filepath.Join(root, "proj")
	want := splitZ(git(t, sub, "ls-files", "-z", "--others", "--exclude-standard"))
	res, err := scan.Scan(context.Background(), sub, scan.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if d := diff(want, paths(res)); d != "" {
		t.Errorf("Scan of a subdirectory disagrees with git:\n%s", d)
	}
}

// TestScan_Mcpignore checks .mcpignore files at any level, with the same
// syntax, read after the .gitignore of their directory.
func TestScan_Mcpignore(t *testing.T) {
	root := t.TempDir()
	writeTree(t, root, map[string]string{
		".gitignore":           "*.txt\n",
		".mcpignore":           "*.gen.py\n!important.txt\nfixtures/\n",
		"important.txt":        "x",
		"other.txt":            "x",
		"a.gen.py":             "x = 1\n",
		"a.py":                 "x = 1\n",
		"fixtures/f.py":        "x = 1\n",
		"sub/.mcpignore":       "!keep.gen.py\n/local.py\n",
		"sub/keep.gen.py":      "x = 1\n",
		"sub/drop.gen.py":      "x = 1\n",
		"sub/local.py":         "x = 1\n",
		"sub/deeper/local.py":  "x = 1\n",
		"sub/deeper/other.txt": "x",
	})
	res, err := scan.Scan(context.Background(), root, scan.Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{".gitignore", ".mcpignore", "a.py", "important.txt", "sub/.mcpignore", "sub/deeper/local.py", "sub/keep.gen.py"}
	if d := diff(want, paths(res)); d != "" {
		t.Errorf("files:\n%s", d)
	}
	if got := res.IgnoredBy[".mcpignore"]; got != 4 { // a.gen.py, fixtures/, sub/drop.gen.py, sub/local.py
		t.Errorf("ignored by .mcpignore = %d, want 4 (%v)", got, res.IgnoredBy)
	}
	if got := res.IgnoredBy[".gitignore"]; got != 2 { // other.txt, sub/deeper/other.txt
		t.Errorf("ignored by .gitignore = %d, want 2 (%v)", got, res.IgnoredBy)
	}
}

// TestScan_OtherIgnoreFilesDoNotCount: only .gitignore, .git/info/exclude
// and .mcpignore are rules; a .prettierignore with "*" must not empty the
// index.
func TestScan_OtherIgnoreFilesDoNotCount(t *testing.T) {
	root := t.TempDir()
	files := map[string]string{"app.py": "x = 1\n", "web/app.js": "let x = 1;\n"}
	for _, name := range []string{".prettierignore", ".dockerignore", ".eslintignore", ".npmignore", ".ignore", ".rgignore", ".cursorignore", "web/.prettierignore"} {
		files[name] = "*\n"
	}
	writeTree(t, root, files)
	res, err := scan.Scan(context.Background(), root, scan.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Files) != len(files) || res.Skipped[codebase.SkipIgnored] != 0 {
		t.Errorf("got %d files, %d ignored; want all %d files kept: %v", len(res.Files), res.Skipped[codebase.SkipIgnored], len(files), paths(res))
	}
}

// TestScan_BuiltinIgnores checks the built-in lists, the manifest rule for
// build-output directory names, and that ignore files can re-include.
func TestScan_BuiltinIgnores(t *testing.T) {
	root := t.TempDir()
	git(t, root, "init", "-q")
	writeTree(t, root, map[string]string{
		"package.json":               "{}\n",
		"package-lock.json":          "{}\n",
		"yarn.lock":                  "x\n",
		"go.mod":                     "module x\n",
		"go.sum":                     "x\n",
		"main.go":                    "package main\n",
		"node_modules/a/index.js":    "x\n",
		"web/node_modules/b.js":      "x\n",
		".venv/lib/site.py":          "x\n",
		"pkg/__pycache__/m.pyc":      "x\n",
		"dist/bundle.js":             "x\n", // beside package.json: output
		"build/out.js":               "x\n",
		"vendor/golang.org/x/a.go":   "package a\n",     // beside go.mod: vendored
		"src/go/build/build.go":      "package build\n", // no manifest beside it: source
		"src/cmd/dist/main.go":       "package main\n",
		"src/internal/coverage/c.go": "package coverage\n",
		"coverage/lcov.info":         "TN:\n", // beside package.json: a report
		"static/app.min.js":          "x\n",
		"static/app.js.map":          "{}\n",
		"static/app.js":              "let a = 1;\n",
		"py/Cargo.lock":              "x\n",
		"py/poetry.lock":             "x\n",
		"rust/Cargo.toml":            "[package]\n",
		"rust/target/debug/x.rs":     "fn main() {}\n",
		"lib.egg-info/PKG-INFO":      "x\n",
	})
	res, err := scan.Scan(context.Background(), root, scan.Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"go.mod", "main.go", "package.json", "rust/Cargo.toml", "src/cmd/dist/main.go", "src/go/build/build.go", "src/internal/coverage/c.go", "static/app.js"}
	if d := diff(want, paths(res)); d != "" {
		t.Errorf("files:\n%s", d)
	}
	if res.IgnoredBy["built-in"] != res.Skipped[codebase.SkipIgnored] {
		t.Errorf("ignored by source %v, total ignored %d", res.IgnoredBy, res.Skipped[codebase.SkipIgnored])
	}
	// 10 directories and 7 files; .git is not counted.
	if res.IgnoredDirs != 10 || res.Skipped[codebase.SkipIgnored] != 17 {
		t.Errorf("ignored dirs %d, ignored entries %d; want 10 and 17 (examples %v)", res.IgnoredDirs, res.Skipped[codebase.SkipIgnored], res.Examples)
	}

	// A .gitignore or .mcpignore rule that matches overrides the built-in
	// rules, including a negation; .git stays out regardless.
	writeTree(t, root, map[string]string{".mcpignore": "!dist/\n!yarn.lock\n!.git/\n"})
	res, err = scan.Scan(context.Background(), root, scan.Options{})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for _, p := range paths(res) {
		got[p] = true
	}
	if !got["dist/bundle.js"] || !got["yarn.lock"] {
		t.Errorf("negations in .mcpignore did not re-include dist/ and yarn.lock: %v", paths(res))
	}
	for p := range got {
		if filepath.Dir(p) == ".git" || len(p) > 5 && p[:5] == ".git/" {
			t.Errorf("scanned inside .git: %s", p)
		}
	}
}
