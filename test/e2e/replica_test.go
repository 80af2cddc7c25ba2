//go:build e2e

package e2e_test

import (
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mcp-memory/servers/internal/platform/dbtest"
)

// TestReadReplica_HealthAndFallback runs each server with
// --database-read-url on a streaming standby of a private cluster:
// /health reports the read pool; when the standby stops, /health turns
// degraded saying reads use the primary, and reads keep working.
func TestReadReplica_HealthAndFallback(t *testing.T) {
	eachBinary(t, func(t *testing.T, name string) {
		cluster := dbtest.NewCluster(t)
		db := cluster.CreateDatabase(t, "app")
		dbtest.Migrate(t, db, migrationsOf(name))
		standby := cluster.NewReplica(t)
		s := startServer(t, name, nil, "--port", "0", "--database-url", db, "--database-read-url", standby.URL("app"))

		_, h := getObject(t, s.URL+"/health")
		rp, _ := h["read_pool"].(map[string]any)
		if h["status"] != "healthy" || rp == nil || rp["status"] != "healthy" {
			t.Fatalf("/health with a live standby: %v", h)
		}
		standby.Stop(t, "fast")
		for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(100 * time.Millisecond) {
			_, h = getObject(t, s.URL+"/health")
			details, _ := h["details"].(map[string]any)
			note, _ := details["read_replica"].(string)
			if h["status"] == "degraded" && strings.Contains(note, "reads use the primary") {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("/health 20 s after the standby stopped: %v", h)
			}
		}
		// A read still answers, from the primary.
		path := map[string]string{codebase: "/mcp/repositories", workflow: "/mcp/projects"}[name]
		if code, body := getObject(t, s.URL+path); code != 200 {
			t.Errorf("GET %s with the standby down: %d %v", path, code, body)
		}
		s.stop(t, syscall.SIGTERM)
	})
}
