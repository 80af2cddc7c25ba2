package workflow_test

import (
	"context"
	"testing"
	"time"

	"github.com/mcp-memory/servers/internal/apperr"
	"github.com/mcp-memory/servers/internal/workflow"
	"github.com/mcp-memory/servers/internal/workflow/workflowtest"
)

func TestService_Deployments(t *testing.T) {
	ctx := context.Background()
	env := workflowtest.New(t, workflowtest.Options{})
	env.Project(t, "p")
	svc := env.Service
	w := must[workflow.WorkItemView](t)(svc.CreateWorkItem(ctx, workflow.NewWorkItem{Title: "ship it"}))
	sha := "0123456789abcdef0123456789abcdef01234567"

	for _, tc := range []struct {
		name  string
		d     workflow.Deployment
		field string
	}{
		{"ErrSHA", workflow.Deployment{CommitSHA: "xyz", Environment: "dev"}, "commit_sha"},
		{"ErrShortSHA", workflow.Deployment{CommitSHA: "abc12", Environment: "dev"}, "commit_sha"},
		{"ErrEnvironment", workflow.Deployment{CommitSHA: sha, Environment: "prod"}, "environment"},
		{"ErrStatus", workflow.Deployment{CommitSHA: sha, Environment: "dev", Status: "ok"}, "status"},
		{"ErrWorkItemID", workflow.Deployment{CommitSHA: sha, Environment: "dev", WorkItemIDs: []string{"x"}}, "work_item_ids"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := svc.RecordDeployment(ctx, "", tc.d)
			if e := wantCode(t, err, apperr.Validation); e.Details["field"] != tc.field {
				t.Errorf("field %v, want %s", e.Details["field"], tc.field)
			}
		})
	}
	t.Run("ErrUnknownWorkItem", func(t *testing.T) {
		_, err := svc.RecordDeployment(ctx, "", workflow.Deployment{CommitSHA: sha, Environment: "dev",
			WorkItemIDs: []string{"00000000-0000-0000-0000-000000000009"}})
		wantCode(t, err, apperr.NotFound)
		l := must[workflow.List[workflow.Deployment]](t)(svc.ListDeployments(ctx, workflow.DeploymentFilter{}, workflow.Page{}))
		if len(l.Items) != 0 {
			t.Fatalf("a rejected deployment was stored")
		}
	})
	base := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	for i, env := range []string{"production", "staging", "dev", "production"} {
		d := workflow.Deployment{CommitSHA: sha[:7+i], Environment: env, Branch: "main", DeployedAt: base.Add(time.Duration(i) * time.Hour)}
		if i == 3 {
			d.WorkItemIDs = []string{w.ID}
			d.CommitSHA = "ABCDEF0"
		}
		got := must[workflow.Deployment](t)(svc.RecordDeployment(ctx, "", d))
		if got.Status != "deployed" || !got.DeployedAt.Equal(d.DeployedAt) {
			t.Fatalf("recorded %+v", got)
		}
	}
	l := must[workflow.List[workflow.Deployment]](t)(svc.ListDeployments(ctx, workflow.DeploymentFilter{Environment: "production"}, workflow.Page{Limit: 1}))
	if len(l.Items) != 1 || l.Items[0].CommitSHA != "abcdef0" || len(l.Items[0].WorkItemIDs) != 1 || l.NextCursor == "" {
		t.Fatalf("newest production first: %+v", l.Items)
	}
	l = must[workflow.List[workflow.Deployment]](t)(svc.ListDeployments(ctx, workflow.DeploymentFilter{Environment: "production"}, workflow.Page{Limit: 1, Cursor: l.NextCursor}))
	if len(l.Items) != 1 || !l.Items[0].DeployedAt.Equal(base) || l.NextCursor != "" {
		t.Fatalf("second page: %+v", l.Items)
	}
	l = must[workflow.List[workflow.Deployment]](t)(svc.ListDeployments(ctx, workflow.DeploymentFilter{WorkItemID: w.ID}, workflow.Page{}))
	if len(l.Items) != 1 {
		t.Fatalf("by work item: %d", len(l.Items))
	}
	l = must[workflow.List[workflow.Deployment]](t)(svc.ListDeployments(ctx, workflow.DeploymentFilter{Since: base.Add(time.Hour), Until: base.Add(2 * time.Hour)}, workflow.Page{}))
	if len(l.Items) != 2 {
		t.Fatalf("time range: %d", len(l.Items))
	}
}
