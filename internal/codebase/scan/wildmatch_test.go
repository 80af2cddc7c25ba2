package scan_test

import (
	"context"
	"testing"

	"github.com/mcp-memory/servers/internal/codebase/scan"
)

// TestScan_WildmatchEdgesMatchGit runs the corners of git's wildmatch
// (every POSIX class, unknown classes, "]" and "-" as set members, escapes
// inside sets, unterminated sets, runs of stars) through Scan and checks
// that it keeps exactly the files git does not ignore.
func TestScan_WildmatchEdgesMatchGit(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
	}{
		{
			name: "posix classes",
			files: map[string]string{
				".gitignore": "[[:alnum:]]-alnum\n[[:alpha:]]-alpha\n[[:blank:]]-blank\n[[:cntrl:]]-cntrl\n" +
					"[[:digit:]]-digit\n[[:graph:]]-graph\n[[:lower:]]-lower\n[[:print:]]-print\n" +
					"[[:punct:]]-punct\n[[:space:]]-space\n[[:xdigit:]]-xdigit\n[[:bogus:]]-bogus\n" +
					"[^[:alnum:][:space:]]-not\n[a-c[:digit:]x-z]-mixed\n",
				"a-alnum": "x", "7-alnum": "x", "_-alnum": "x",
				"Q-alpha": "x", "3-alpha": "x",
				" -blank": "x", "b-blank": "x",
				"\x01-cntrl": "x", "c-cntrl": "x",
				"5-digit": "x", "d-digit": "x",
				"~-graph": "x", " -graph": "x",
				"q-lower": "x", "Q-lower": "x",
				"p-print": "x", "\x02-print": "x",
				"!-punct": "x", "a-punct": "x", " -punct": "x",
				" -space": "x", "s-space": "x",
				"f-xdigit": "x", "F-xdigit": "x", "9-xdigit": "x", "g-xdigit": "x",
				"a-bogus": "x", "[-bogus": "x",
				".-not": "x", "a-not": "x",
				"5-mixed": "x", "b-mixed": "x", "y-mixed": "x", "q-mixed": "x",
			},
		},
		{
			name: "set members and escapes",
			files: map[string]string{
				".gitignore": "a[]-]b\nt[^a-g]n\nr[c-c]t\n[!]-]x\n\\[ab]\n[[]cd]\n[[:]ef]\n[[::]gh]\n" +
					"[[:digit]ij]\n[\\[:]kl]\n[\\]]w\n[a-\\z]r\nun[term\n?\\?q\n",
				"a]b": "x", "a-b": "x", "aab": "x",
				"ton": "x", "ten": "x",
				"rct": "x", "rdt": "x",
				"ax": "x", "]x": "x", "-x": "x",
				"[ab]": "x", "ab": "x",
				"[cd]": "x", "cd]": "x",
				"[ef]": "x", ":ef]": "x", "ef]": "x",
				"[gh]": "x", "gh]": "x",
				"[ij]": "x", "dij]": "x", "ij]": "x",
				"[kl]": "x", ":kl]": "x", "kl]": "x",
				"]w": "x", "\\w": "x",
				"mr": "x", "zr": "x", "Zr": "x",
				"un[term": "x", "unt": "x",
				"a?q": "x", "abq": "x",
			},
		},
		{
			name: "stars",
			files: map[string]string{
				".gitignore": "deep/***/leaf\nx/**\n**/y/**/z\nw/*/v\nm/**n\n",
				"deep/leaf":  "x", "deep/a/b/leaf": "x", "deep/leafy": "x",
				"x/a/b": "x", "xx/a": "x",
				"y/z": "x", "k/y/a/z": "x", "y/zz": "x",
				"w/a/v": "x", "w/a/b/v": "x",
				"m/n": "x", "m/an": "x", "m/a/n": "x",
			},
		},
		{
			name: "wildcards stop at slashes",
			files: map[string]string{
				".gitignore": "qq/a?b\ns/a*c\ncl/[[:alpha\nbs/a[\\\ntail/a*\n",
				"qq/a/b":     "x", "qq/axb": "x",
				"s/ab/c": "x", "s/abc": "x", "s/abxc": "x",
				"cl/[[:alpha": "x", "cl/a": "x",
				"bs/a[\\": "x", "bs/ab": "x",
				"tail/a": "x", "tail/ab/c": "x",
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			root := t.TempDir()
			git(t, root, "init", "-q")
			writeTree(t, root, tc.files)
			want := splitZ(git(t, root, "ls-files", "-z", "--others", "--exclude-standard"))
			res, err := scan.Scan(context.Background(), root, scan.Options{})
			if err != nil {
				t.Fatal(err)
			}
			if d := diff(want, paths(res)); d != "" {
				t.Errorf("Scan disagrees with git ls-files --others --exclude-standard:\n%s", d)
			}
			if len(want) == len(tc.files) {
				t.Errorf("git ignored none of the files: the patterns test nothing")
			}
		})
	}
}
