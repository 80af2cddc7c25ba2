package workflow_test

import (
	"context"
	"slices"
	"testing"

	"github.com/mcp-memory/servers/internal/apperr"
	"github.com/mcp-memory/servers/internal/workflow"
	"github.com/mcp-memory/servers/internal/workflow/workflowtest"
)

// TestService_DeploymentFilters filters deployments by status, branch and
// linked entity: each filter returns exactly the matching deployments.
func TestService_DeploymentFilters(t *testing.T) {
	ctx := context.Background()
	env := workflowtest.New(t, workflowtest.Options{})
	env.Project(t, "p")
	svc := env.Service
	if _, _, err := svc.RegisterEntityType(ctx, "", workflow.EntityType{Name: "service", Schema: map[string]any{"type": "object"}}, false); err != nil {
		t.Fatal(err)
	}
	api := must[workflow.Entity](t)(svc.CreateEntity(ctx, "", workflow.Entity{Type: "service", Name: "api", Data: map[string]any{}}))
	record := func(sha, branch, status string, entities ...string) string {
		return must[workflow.Deployment](t)(svc.RecordDeployment(ctx, "", workflow.Deployment{CommitSHA: sha,
			Environment: "staging", Status: status, Branch: branch, EntityIDs: entities})).ID
	}
	d1 := record("aaaaaaa", "main", "deployed", api.ID)
	d2 := record("bbbbbbb", "main", "failed")
	d3 := record("ccccccc", "feature/x", "deployed")
	tests := map[string]struct {
		f    workflow.DeploymentFilter
		want []string
	}{
		"status":        {workflow.DeploymentFilter{Status: "deployed"}, []string{d1, d3}},
		"branch":        {workflow.DeploymentFilter{Branch: "main"}, []string{d1, d2}},
		"entity":        {workflow.DeploymentFilter{EntityID: api.ID}, []string{d1}},
		"branch+status": {workflow.DeploymentFilter{Branch: "main", Status: "failed"}, []string{d2}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			l := must[workflow.List[workflow.Deployment]](t)(svc.ListDeployments(ctx, tc.f, workflow.Page{}))
			var got []string
			for _, d := range l.Items {
				got = append(got, d.ID)
			}
			slices.Sort(got)
			want := slices.Clone(tc.want)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Errorf("got %v, want %v", got, want)
			}
		})
	}
}

// TestService_EntitiesNewestFirstPaged pages entities in "-created_at"
// order: newest first, every entity once, across pages.
func TestService_EntitiesNewestFirstPaged(t *testing.T) {
	ctx := context.Background()
	env := workflowtest.New(t, workflowtest.Options{})
	env.Project(t, "p")
	svc := env.Service
	if _, _, err := svc.RegisterEntityType(ctx, "", workflow.EntityType{Name: "service", Schema: map[string]any{"type": "object"}}, false); err != nil {
		t.Fatal(err)
	}
	var created []string
	for _, n := range []string{"a", "b", "c", "d", "e"} {
		created = append(created, must[workflow.Entity](t)(svc.CreateEntity(ctx, "", workflow.Entity{Type: "service", Name: n, Data: map[string]any{}})).Name)
	}
	var got []string
	page := workflow.Page{Limit: 2}
	for i := 0; i < 5; i++ {
		l := must[workflow.List[workflow.Entity]](t)(svc.QueryEntities(ctx, workflow.EntityFilter{Order: "-created_at"}, page))
		for _, e := range l.Items {
			got = append(got, e.Name)
		}
		if l.NextCursor == "" {
			break
		}
		page.Cursor = l.NextCursor
	}
	slices.Reverse(created)
	if !slices.Equal(got, created) {
		t.Errorf("newest first across pages: %v, want %v", got, created)
	}
}

// TestService_UnknownParent creates a work item under a parent that does
// not exist: NOT_FOUND naming parent_id, and nothing is created.
func TestService_UnknownParent(t *testing.T) {
	ctx := context.Background()
	env := workflowtest.New(t, workflowtest.Options{})
	env.Project(t, "p")
	_, err := env.Service.CreateWorkItem(ctx, workflow.NewWorkItem{Title: "child", ParentID: "00000000-0000-4000-8000-000000000042"})
	e := wantCode(t, err, apperr.NotFound)
	if e.Details["field"] != "parent_id" {
		t.Errorf("details %v, want field parent_id", e.Details)
	}
	if n := count(t, env, "work_items"); n != 0 {
		t.Errorf("%d work items after a refused create", n)
	}
}
