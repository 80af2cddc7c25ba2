package workflow_test

import (
	"context"
	"strings"
	"testing"

	"github.com/mcp-memory/servers/internal/apperr"
	"github.com/mcp-memory/servers/internal/workflow"
	"github.com/mcp-memory/servers/internal/workflow/workflowtest"
)

// TestService_RejectsBadInput sends out-of-bounds input through every
// Service entry point: each gets a Validation error naming the field, and
// nothing is written.
func TestService_RejectsBadInput(t *testing.T) {
	env := workflowtest.New(t, workflowtest.Options{})
	svc := env.Service
	ctx := context.Background()
	env.Project(t, "bad-input")
	schema := map[string]any{"type": "object"}
	if _, _, err := svc.RegisterEntityType(ctx, "", workflow.EntityType{Name: "service", Schema: schema}, false); err != nil {
		t.Fatal(err)
	}
	long := func(n int) string { return strings.Repeat("x", n) }
	many := func(n int) []string {
		ids := make([]string, n)
		for i := range ids {
			ids[i] = "00000000-0000-4000-8000-000000000001"
		}
		return ids
	}
	sha := "abcdef1"
	entity := func(e workflow.Entity) error { _, err := svc.CreateEntity(ctx, "", e); return err }
	deploy := func(d workflow.Deployment) error {
		if d.CommitSHA == "" {
			d.CommitSHA = sha
		}
		d.Environment, d.Status = "staging", "deployed"
		_, err := svc.RecordDeployment(ctx, "", d)
		return err
	}
	deployments := func(f workflow.DeploymentFilter) error {
		_, err := svc.ListDeployments(ctx, f, workflow.Page{})
		return err
	}
	tests := []struct {
		name, field string
		call        func() error
	}{
		{"entity without type", "entity_type", func() error { return entity(workflow.Entity{Name: "n", Data: map[string]any{}}) }},
		{"entity without name", "name", func() error { return entity(workflow.Entity{Type: "service", Data: map[string]any{}}) }},
		{"entity name too long", "name", func() error {
			return entity(workflow.Entity{Type: "service", Name: long(501), Data: map[string]any{}})
		}},
		{"entity without data", "data", func() error { return entity(workflow.Entity{Type: "service", Name: "n"}) }},
		{"entity with 51 tags", "tags", func() error {
			return entity(workflow.Entity{Type: "service", Name: "n", Data: map[string]any{}, Tags: make([]string, 51)})
		}},
		{"entity with an empty tag", "tags", func() error {
			return entity(workflow.Entity{Type: "service", Name: "n", Data: map[string]any{}, Tags: []string{" "}})
		}},
		{"entity update without version", "version", func() error {
			_, err := svc.UpdateEntity(ctx, workflow.EntityUpdate{ID: "00000000-0000-4000-8000-000000000001"})
			return err
		}},
		{"project description too long", "description", func() error {
			_, err := svc.CreateProject(ctx, "p2", long(10001))
			return err
		}},
		{"get project without ref", "project_id", func() error { _, err := svc.GetProject(ctx, " "); return err }},
		{"switch project without ref", "project_id", func() error { _, err := svc.SwitchProject(ctx, ""); return err }},
		{"entity type description too long", "description", func() error {
			_, _, err := svc.RegisterEntityType(ctx, "", workflow.EntityType{Name: "other", Schema: schema, Description: long(10001)}, false)
			return err
		}},
		{"work item title too long", "title", func() error {
			_, err := svc.CreateWorkItem(ctx, workflow.NewWorkItem{Title: long(501)})
			return err
		}},
		{"work item description too long", "description", func() error {
			_, err := svc.CreateWorkItem(ctx, workflow.NewWorkItem{Title: "t", Description: long(100001)})
			return err
		}},
		{"work item metadata over 256 KiB", "metadata", func() error {
			_, err := svc.CreateWorkItem(ctx, workflow.NewWorkItem{Title: "t", Metadata: map[string]any{"k": long(300 << 10)}})
			return err
		}},
		{"work item metadata not JSON", "metadata", func() error {
			_, err := svc.CreateWorkItem(ctx, workflow.NewWorkItem{Title: "t", Metadata: map[string]any{"k": func() {}}})
			return err
		}},
		{"work item with 101 references", "entity_references", func() error {
			_, err := svc.CreateWorkItem(ctx, workflow.NewWorkItem{Title: "t", References: many(101)})
			return err
		}},
		{"work item reference too long", "entity_references", func() error {
			_, err := svc.CreateWorkItem(ctx, workflow.NewWorkItem{Title: "t", References: []string{long(201)}})
			return err
		}},
		{"dependency without work item", "work_item_id", func() error {
			_, err := svc.AddWorkItemDependency(ctx, "", "", "00000000-0000-4000-8000-000000000001", "blocks")
			return err
		}},
		{"dependency on a non-id", "depends_on_id", func() error {
			_, err := svc.AddWorkItemDependency(ctx, "", "00000000-0000-4000-8000-000000000001", "nope", "blocks")
			return err
		}},
		{"deployment branch too long", "branch", func() error { return deploy(workflow.Deployment{Branch: long(256)}) }},
		{"deployment message too long", "message", func() error { return deploy(workflow.Deployment{Message: long(10001)}) }},
		{"deployment author too long", "author", func() error { return deploy(workflow.Deployment{Author: long(256)}) }},
		{"deployment linking too many items", "work_item_ids", func() error {
			return deploy(workflow.Deployment{WorkItemIDs: many(workflow.MaxLimit + 1)})
		}},
		{"deployment linking a non-id entity", "entity_ids", func() error { return deploy(workflow.Deployment{EntityIDs: []string{"x"}}) }},
		{"deployments in an unknown environment", "environment", func() error {
			return deployments(workflow.DeploymentFilter{Environment: "moon"})
		}},
		{"deployments with an unknown status", "status", func() error { return deployments(workflow.DeploymentFilter{Status: "done"}) }},
		{"deployments of a non-id work item", "work_item_id", func() error { return deployments(workflow.DeploymentFilter{WorkItemID: "x"}) }},
		{"deployments of a non-id entity", "entity_id", func() error { return deployments(workflow.DeploymentFilter{EntityID: "x"}) }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call()
			if apperr.CodeOf(err) != apperr.Validation || !strings.Contains(err.Error(), tc.field) {
				t.Errorf("err = %v, want a Validation error naming %s", err, tc.field)
			}
		})
	}
	// Nothing was written by the rejected calls.
	var rows int
	if err := env.Pool.Pgx().QueryRow(ctx, `SELECT (SELECT count(*) FROM projects) + (SELECT count(*) FROM work_items)
		+ (SELECT count(*) FROM entities) + (SELECT count(*) FROM deployments) + (SELECT count(*) FROM entity_types)`).Scan(&rows); err != nil {
		t.Fatal(err)
	}
	if rows != 2 { // the project and the entity type made above
		t.Errorf("%d rows after rejected calls, want 2", rows)
	}
}
