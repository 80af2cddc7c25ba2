package api_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mcp-memory/servers/internal/codebase"
	"github.com/mcp-memory/servers/internal/codebase/api"
)

// get_chunks answers what workflow-mcp's codelink client reads: found
// chunks with their content hash, missing ids, and after a change the
// chunk now at a stale reference's place.
func TestGetChunks(t *testing.T) {
	e := newEnv(t)
	root := t.TempDir()
	writeTree(t, root, repo)
	job := e.indexRepo(t, root, "default")
	res, err := e.svc.Search.Search(t.Context(), searchQuery("RefreshToken"))
	if err != nil || len(res.Results) == 0 || res.Results[0].Symbol != "RefreshToken" {
		t.Fatalf("search: %v %+v", err, res.Results)
	}
	old := res.Results[0]

	out, text, err := call[api.GetChunksOut](t, e.tools, "get_chunks",
		fmt.Sprintf(`{"chunk_ids": [%q, "00000000-0000-4000-8000-000000000000", "TODO-42", %q]}`, old.ChunkID, strings.ToUpper(old.ChunkID)))
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Found) != 1 || out.Found[0].ChunkID != old.ChunkID || out.Found[0].ContentHash != codebase.ContentHash([]byte(out.Found[0].Content)) ||
		out.Found[0].Symbol != "RefreshToken" || out.Found[0].FilePath != "auth/token.go" || out.Found[0].RepositoryID != job.RepositoryID {
		t.Errorf("found %+v", out.Found)
	}
	if strings.Join(out.Missing, ",") != "00000000-0000-4000-8000-000000000000,TODO-42" || len(out.Located) != 0 {
		t.Errorf("missing %v located %v", out.Missing, out.Located)
	}
	if !strings.Contains(text, "1 found, 2 missing") || !strings.Contains(text, "auth/token.go") {
		t.Errorf("text:\n%s", text)
	}

	// The function changes: its id goes, the location finds the new chunk.
	changed := strings.Replace(repo["auth/token.go"], `t.Value + "x"`, `t.Value + "y"`, 1)
	if err := os.WriteFile(filepath.Join(root, "auth", "token.go"), []byte(changed), 0o644); err != nil {
		t.Fatal(err)
	}
	e.indexRepo(t, root, "default")
	args := fmt.Sprintf(`{"chunk_ids": [%q], "locations": [
		{"repository_id": %q, "file_path": "auth/token.go", "symbol": "RefreshToken"},
		{"repository_id": %q, "file_path": "auth/token.go", "symbol": "NoSuchThing"},
		{"repository_id": "00000000-0000-4000-8000-000000000000", "file_path": "auth/token.go", "symbol": "RefreshToken"},
		{"repository_id": "not-a-uuid", "file_path": "auth/token.go", "symbol": "RefreshToken"}]}`,
		old.ChunkID, job.RepositoryID, job.RepositoryID)
	out, text, err = call[api.GetChunksOut](t, e.tools, "get_chunks", args)
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Found) != 0 || len(out.Missing) != 1 || out.Missing[0] != old.ChunkID {
		t.Errorf("after the change: found %v missing %v", out.Found, out.Missing)
	}
	if len(out.Located) != 1 {
		t.Fatalf("located %+v, want the new RefreshToken only", out.Located)
	}
	l := out.Located[0]
	if l.ChunkID == old.ChunkID || l.Symbol != "RefreshToken" || l.FilePath != "auth/token.go" || l.RepositoryID != job.RepositoryID ||
		l.ContentHash == "" || l.ContentHash == out.Missing[0] || l.StartLine != old.StartLine {
		t.Errorf("located %+v (old chunk %s)", l, old.ChunkID)
	}
	if !strings.Contains(text, "Now at auth/token.go RefreshToken: chunk "+l.ChunkID) {
		t.Errorf("text:\n%s", text)
	}
}
