package scan_test

import (
	"slices"
	"testing"

	"github.com/mcp-memory/servers/internal/codebase/scan"
)

// TestScan_OutDirectoryBesideAManifest checks that "out" is skipped as
// build output only beside a manifest that produces it (tsconfig.json
// here), and scanned like any directory elsewhere.
func TestScan_OutDirectoryBesideAManifest(t *testing.T) {
	root := t.TempDir()
	writeTree(t, root, map[string]string{
		"web/tsconfig.json": "{}\n", "web/out/app.js": "let a = 1\n", "web/src/app.ts": "let a = 1\n",
		"docs/out/notes.md": "# notes\n",
	})
	got := paths(mustScan(t, root, scan.Options{}))
	for _, p := range []string{"web/tsconfig.json", "web/src/app.ts", "docs/out/notes.md"} {
		if !slices.Contains(got, p) {
			t.Errorf("%s not kept; kept %v", p, got)
		}
	}
	if slices.Contains(got, "web/out/app.js") {
		t.Errorf("web/out/app.js kept beside tsconfig.json; kept %v", got)
	}
}
