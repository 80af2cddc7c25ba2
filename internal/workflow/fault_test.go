package workflow_test

import (
	"context"
	"testing"
	"time"

	"github.com/mcp-memory/servers/internal/apperr"
	"github.com/mcp-memory/servers/internal/platform/dbtest"
	"github.com/mcp-memory/servers/internal/workflow"
	"github.com/mcp-memory/servers/internal/workflow/workflowtest"
	"github.com/mcp-memory/servers/migrations"
)

// TestService_DatabaseDown stops a private PostgreSQL cluster under a
// working service: every operation must fail with an error that does not
// pretend to be the caller's fault (not Validation, NotFound, a conflict)
// and must not panic; after the cluster restarts the same calls work and
// nothing was half-written.
func TestService_DatabaseDown(t *testing.T) {
	cluster := dbtest.NewCluster(t)
	dsn := cluster.CreateDatabase(t, "wf")
	dbtest.Migrate(t, dsn, migrations.Workflow())
	env := workflowtest.New(t, workflowtest.Options{DSN: dsn, MaxConns: 2})
	svc := env.Service
	ctx := context.Background()
	p := env.Project(t, "down")
	schema := map[string]any{"type": "object", "properties": map[string]any{"lang": map[string]any{"type": "string"}}}
	must[workflow.EntityType](t)(func() (workflow.EntityType, error) {
		et, _, err := svc.RegisterEntityType(ctx, "", workflow.EntityType{Name: "service", Schema: schema}, false)
		return et, err
	}())
	a := must[workflow.WorkItemView](t)(svc.CreateWorkItem(ctx, workflow.NewWorkItem{Title: "a"}))
	b := must[workflow.WorkItemView](t)(svc.CreateWorkItem(ctx, workflow.NewWorkItem{Title: "b"}))
	e := must[workflow.Entity](t)(svc.CreateEntity(ctx, "", workflow.Entity{Type: "service", Name: "api", Data: map[string]any{"lang": "go"}}))
	deploy := workflow.Deployment{CommitSHA: "abcdef1", Environment: "staging", Status: "deployed",
		WorkItemIDs: []string{a.ID}, EntityIDs: []string{e.ID}}

	// fast, not immediate: the private cluster runs with synchronous_commit=off,
	// so a crash could lose the setup above and blur what the outage did.
	cluster.Stop(t, "fast")
	title := "a2"
	tags := []string{"x"}
	calls := map[string]func() error{
		"CreateProject":  func() error { _, err := svc.CreateProject(ctx, "other", ""); return err },
		"GetProject":     func() error { _, err := svc.GetProject(ctx, p.ID); return err },
		"ListProjects":   func() error { _, err := svc.ListProjects(ctx, workflow.Page{}); return err },
		"SwitchProject":  func() error { _, err := svc.SwitchProject(ctx, p.ID); return err },
		"ActiveProject":  func() error { _, _, err := svc.GetActiveProject(ctx); return err },
		"CreateWorkItem": func() error { _, err := svc.CreateWorkItem(ctx, workflow.NewWorkItem{Title: "c"}); return err },
		"GetWorkItem":    func() error { _, err := svc.GetWorkItem(ctx, "", a.ID); return err },
		"UpdateWorkItem": func() error {
			_, err := svc.UpdateWorkItem(ctx, workflow.WorkItemUpdate{ID: a.ID, Version: a.Version, Title: &title})
			return err
		},
		"DeleteWorkItem": func() error { _, err := svc.DeleteWorkItem(ctx, "", b.ID, true); return err },
		"QueryWorkItems": func() error {
			_, err := svc.QueryWorkItems(ctx, workflow.WorkItemFilter{}, workflow.Page{})
			return err
		},
		"Hierarchy":     func() error { _, err := svc.GetWorkItemHierarchy(ctx, "", a.ID, 10); return err },
		"AddDependency": func() error { _, err := svc.AddWorkItemDependency(ctx, "", a.ID, b.ID, "blocks"); return err },
		"ListBlocked": func() error {
			_, err := svc.ListBlockedWorkItems(ctx, "", workflow.Page{})
			return err
		},
		"RegisterEntityType": func() error {
			_, _, err := svc.RegisterEntityType(ctx, "", workflow.EntityType{Name: "db", Schema: schema}, true)
			return err
		},
		"CreateEntity": func() error {
			_, err := svc.CreateEntity(ctx, "", workflow.Entity{Type: "service", Name: "web", Data: map[string]any{}})
			return err
		},
		"UpdateEntity": func() error {
			_, err := svc.UpdateEntity(ctx, workflow.EntityUpdate{ID: e.ID, Version: e.Version, Tags: &tags})
			return err
		},
		"DeleteEntity":  func() error { _, err := svc.DeleteEntity(ctx, "", e.ID, true); return err },
		"QueryEntities": func() error { _, err := svc.QueryEntities(ctx, workflow.EntityFilter{}, workflow.Page{}); return err },
		"RecordDeployment": func() error {
			_, err := svc.RecordDeployment(ctx, "", deploy)
			return err
		},
		"ListDeployments": func() error {
			_, err := svc.ListDeployments(ctx, workflow.DeploymentFilter{}, workflow.Page{})
			return err
		},
	}
	for name, call := range calls {
		err := call()
		if err == nil {
			t.Errorf("%s with the database down: no error", name)
			continue
		}
		switch apperr.CodeOf(err) {
		case apperr.Validation, apperr.NotFound, apperr.VersionConflict, apperr.AlreadyExists:
			t.Errorf("%s with the database down: %v, blamed on the caller (%s)", name, err, apperr.CodeOf(err))
		}
	}

	cluster.Start(t)
	// Pooled connections died with the server: calls may answer
	// Unavailable ("reconnecting, retry shortly") until the pool has
	// replaced them; retry them as a client would.
	retry := func(call func() error) error {
		for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(100 * time.Millisecond) {
			err := call()
			if apperr.CodeOf(err) != apperr.Unavailable || time.Now().After(deadline) {
				return err
			}
		}
	}
	var got workflow.WorkItemView
	if err := retry(func() (err error) { got, err = svc.GetWorkItem(ctx, "", a.ID); return err }); err != nil {
		t.Fatalf("after the outage: GetWorkItem: %v", err)
	}
	if got.Title != "a" || got.Version != a.Version {
		t.Errorf("after the outage: work item %q v%d, want %q v%d (an update half-applied?)", got.Title, got.Version, "a", a.Version)
	}
	if err := retry(func() error { _, err := svc.GetWorkItem(ctx, "", b.ID); return err }); err != nil {
		t.Errorf("after the outage: the work item whose delete failed is gone: %v", err)
	}
	var l workflow.List[workflow.Deployment]
	if err := retry(func() (err error) {
		l, err = svc.ListDeployments(ctx, workflow.DeploymentFilter{}, workflow.Page{})
		return err
	}); err != nil || len(l.Items) != 0 {
		t.Errorf("after the outage: %d deployments recorded (%v), want 0", len(l.Items), err)
	}
	if err := retry(func() error { _, err := svc.CreateProject(ctx, "other", ""); return err }); err != nil {
		t.Errorf("after the outage: CreateProject: %v", err)
	}
	if err := retry(func() error { _, err := svc.AddWorkItemDependency(ctx, "", a.ID, b.ID, "blocks"); return err }); err != nil {
		t.Errorf("after the outage: AddWorkItemDependency: %v", err)
	}
}
