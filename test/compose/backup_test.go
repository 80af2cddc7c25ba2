package compose_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/mcp-memory/servers/internal/platform/dbtest"
	"github.com/mcp-memory/servers/migrations"
)

// TestBackupRestore follows docs/operations/backup.md with the cluster's
// own pg_dump and pg_restore: a project written through workflow-mcp
// survives pg_dump -Fc and pg_restore --no-owner into a new database,
// `migrate` there is a no-op that exits 0, a server on the restored
// database serves the project, and the other server refuses the restored
// database (exit 4: one database per server).
func TestBackupRestore(t *testing.T) {
	pgBin := dbtest.BinDir()
	src := dbtest.New(t, migrations.Workflow())
	port := startTokenServer(t, workflow, src)
	base := "http://127.0.0.1:" + strconv.Itoa(port)
	code, body := rest(t, http.MethodPost, base+"/mcp/projects", `{"name":"kept across a restore"}`)
	if code != http.StatusCreated {
		t.Fatalf("POST /mcp/projects: %d %s", code, body)
	}

	dump := filepath.Join(t.TempDir(), "workflow_mcp.dump")
	if out, err := exec.Command(filepath.Join(pgBin, "pg_dump"), "-Fc", "-d", src, "-f", dump).CombinedOutput(); err != nil {
		t.Fatalf("pg_dump: %v\n%s", err, out)
	}
	dst := dbtest.NewEmpty(t)
	if out, err := exec.Command(filepath.Join(pgBin, "pg_restore"), "-d", dst, "--no-owner", dump).CombinedOutput(); err != nil {
		t.Fatalf("pg_restore: %v\n%s", err, out)
	}

	env := baseEnv()
	if code, out := run(t, env, filepath.Join(binDir, workflow), "migrate", "--database-url", dst); code != 0 || !strings.Contains(out, "0 migration(s) applied") {
		t.Fatalf("workflow-mcp migrate on the restored database: exit %d, want 0 with nothing to apply\n%s", code, out)
	}
	if code, out := run(t, env, filepath.Join(binDir, codebase), "migrate", "--database-url", dst); code != 4 {
		t.Errorf("codebase-mcp migrate on the restored workflow database: exit %d, want 4 (owned by workflow-mcp)\n%s", code, out)
	}

	restored := startTokenServer(t, workflow, dst)
	code, body = rest(t, http.MethodGet, "http://127.0.0.1:"+strconv.Itoa(restored)+"/mcp/projects", "")
	var list struct {
		Projects []struct{ Name string } `json:"projects"`
	}
	if code != http.StatusOK || json.Unmarshal(body, &list) != nil {
		t.Fatalf("GET /mcp/projects on the restored database: %d %s", code, body)
	}
	found := false
	for _, p := range list.Projects {
		found = found || p.Name == "kept across a restore"
	}
	if !found {
		t.Errorf("the restored database does not have the project: %s", body)
	}
}

// rest sends a REST request with the test token and returns status and body.
func rest(t *testing.T, method, url, body string) (int, []byte) {
	t.Helper()
	var b []byte
	if body != "" {
		b = []byte(body)
	}
	req, err := http.NewRequest(method, url, bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+testToken)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	var buf bytes.Buffer
	buf.ReadFrom(resp.Body) //nolint:errcheck // a short read shows in the checks
	return resp.StatusCode, buf.Bytes()
}
