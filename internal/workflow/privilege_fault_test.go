package workflow_test

import (
	"context"
	"strings"
	"testing"

	"github.com/mcp-memory/servers/internal/apperr"
	"github.com/mcp-memory/servers/internal/platform/dbtest"
	"github.com/mcp-memory/servers/internal/workflow"
	"github.com/mcp-memory/servers/internal/workflow/workflowtest"
	"github.com/mcp-memory/servers/migrations"
)

// TestService_ReadFailsMidCall runs the service as a role that may not
// read one table at a time (a real server-side error, "permission
// denied", on a read that follows others in the same call). Every call
// either does not touch that table and answers, or fails with the
// database's error without blaming the caller; each table fails at least
// one call.
func TestService_ReadFailsMidCall(t *testing.T) {
	ctx := context.Background()
	db := dbtest.NewRestricted(t, "wf", migrations.Workflow())
	dsn := db.DSN
	exec := func(q string) { t.Helper(); db.Exec(t, q) }

	// Data made by the owner, read by the app role.
	owner := workflowtest.New(t, workflowtest.Options{DSN: dsn, MaxConns: 2})
	p := owner.Project(t, "p")
	svc0 := owner.Service
	if _, _, err := svc0.RegisterEntityType(ctx, "", workflow.EntityType{Name: "service", Schema: map[string]any{"type": "object"}}, false); err != nil {
		t.Fatal(err)
	}
	a := must[workflow.WorkItemView](t)(svc0.CreateWorkItem(ctx, workflow.NewWorkItem{Title: "a", References: []string{"chunk-1"}}))
	b := must[workflow.WorkItemView](t)(svc0.CreateWorkItem(ctx, workflow.NewWorkItem{Title: "b", ParentID: a.ID}))
	must[workflow.Dependency](t)(svc0.AddWorkItemDependency(ctx, "", a.ID, b.ID, "blocks"))
	must[workflow.WorkItemView](t)(svc0.UpdateWorkItem(ctx, workflow.WorkItemUpdate{ID: a.ID, Version: a.Version, Status: ptrTo("blocked")}))
	e := must[workflow.Entity](t)(svc0.CreateEntity(ctx, "", workflow.Entity{Type: "service", Name: "api", Data: map[string]any{}}))
	must[workflow.Deployment](t)(svc0.RecordDeployment(ctx, "", workflow.Deployment{CommitSHA: "abcdef1", Environment: "staging",
		Status: "deployed", WorkItemIDs: []string{a.ID}, EntityIDs: []string{e.ID}}))

	app := workflowtest.New(t, workflowtest.Options{DSN: db.AppDSN, MaxConns: 2})
	svc := app.Service
	calls := map[string]func() error{
		"GetWorkItem": func() error { _, err := svc.GetWorkItem(ctx, "", a.ID); return err },
		"QueryWorkItems": func() error {
			_, err := svc.QueryWorkItems(ctx, workflow.WorkItemFilter{}, workflow.Page{})
			return err
		},
		"ByChunk": func() error {
			_, err := svc.QueryWorkItems(ctx, workflow.WorkItemFilter{ChunkIDs: []string{"chunk-1"}}, workflow.Page{})
			return err
		},
		"Hierarchy":   func() error { _, err := svc.GetWorkItemHierarchy(ctx, "", a.ID, 10); return err },
		"ListBlocked": func() error { _, err := svc.ListBlockedWorkItems(ctx, "", workflow.Page{}); return err },
		"ListDeployments": func() error {
			_, err := svc.ListDeployments(ctx, workflow.DeploymentFilter{}, workflow.Page{})
			return err
		},
		"QueryEntities": func() error { _, err := svc.QueryEntities(ctx, workflow.EntityFilter{}, workflow.Page{}); return err },
		"ActiveProject": func() error { _, _, err := svc.GetActiveProject(ctx); return err },
		"ListProjects":  func() error { _, err := svc.ListProjects(ctx, workflow.Page{}); return err },
		"Revalidate": func() error {
			_, _, err := svc.RegisterEntityType(ctx, p.ID, workflow.EntityType{Name: "service",
				Schema: map[string]any{"type": "object", "required": []any{"x"}}}, true)
			if apperr.CodeOf(err) == apperr.Validation {
				return nil // read everything and found the entity invalid
			}
			return err
		},
	}
	// With every privilege, every call answers.
	for name, call := range calls {
		if err := call(); err != nil {
			t.Fatalf("%s with all privileges: %v", name, err)
		}
	}
	for _, table := range []string{"work_item_refs", "work_item_dependencies", "deployment_work_items",
		"deployment_entities", "entities", "entity_types", "work_items", "projects"} {
		t.Run(table, func(t *testing.T) {
			exec("REVOKE SELECT ON " + table + " FROM app")
			defer exec("GRANT SELECT ON " + table + " TO app")
			failed := 0
			for name, call := range calls {
				err := call()
				if err == nil {
					continue
				}
				failed++
				switch {
				case apperr.CodeOf(err) == apperr.Validation || apperr.CodeOf(err) == apperr.NotFound ||
					apperr.CodeOf(err) == apperr.VersionConflict:
					t.Errorf("%s: %v, blamed on the caller", name, err)
				case !strings.Contains(err.Error(), "permission denied"):
					t.Errorf("%s: %v, does not carry the database's error", name, err)
				}
			}
			if failed == 0 {
				t.Errorf("no call read %s", table)
			}
		})
	}
}

func ptrTo(s string) *string { return &s }
