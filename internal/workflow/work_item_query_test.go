package workflow_test

import (
	"context"
	"slices"
	"testing"

	"github.com/mcp-memory/servers/internal/apperr"
	"github.com/mcp-memory/servers/internal/workflow"
	"github.com/mcp-memory/servers/internal/workflow/workflowtest"
)

// TestService_WorkItemFiltersAndUpdates checks filtering by type and
// parent, the rejected filters, replacing metadata, an update without a
// version, and moving an item under its own descendant (a cycle), which is
// refused and changes nothing.
func TestService_WorkItemFiltersAndUpdates(t *testing.T) {
	ctx := context.Background()
	env := workflowtest.New(t, workflowtest.Options{})
	env.Project(t, "p")
	svc := env.Service
	epic := must[workflow.WorkItemView](t)(svc.CreateWorkItem(ctx, workflow.NewWorkItem{Title: "epic", Type: "project"}))
	child := must[workflow.WorkItemView](t)(svc.CreateWorkItem(ctx, workflow.NewWorkItem{Title: "child", ParentID: epic.ID}))
	grandchild := must[workflow.WorkItemView](t)(svc.CreateWorkItem(ctx, workflow.NewWorkItem{Title: "grandchild", ParentID: child.ID}))
	titles := func(f workflow.WorkItemFilter) []string {
		t.Helper()
		l := must[workflow.WorkItemList](t)(svc.QueryWorkItems(ctx, f, workflow.Page{}))
		var out []string
		for _, w := range l.Items {
			out = append(out, w.Title)
		}
		slices.Sort(out)
		return out
	}
	if got := titles(workflow.WorkItemFilter{Type: "project"}); !slices.Equal(got, []string{"epic"}) {
		t.Errorf("type project: %v", got)
	}
	if got := titles(workflow.WorkItemFilter{ParentID: epic.ID}); !slices.Equal(got, []string{"child"}) {
		t.Errorf("children of epic: %v", got)
	}
	for name, f := range map[string]workflow.WorkItemFilter{
		"status": {Status: "done"},
		"type":   {Type: "story"},
		"parent": {ParentID: "not-an-id"},
		"chunks": {ChunkIDs: make([]string, workflow.MaxLimit+1)},
	} {
		if _, err := svc.QueryWorkItems(ctx, f, workflow.Page{}); apperr.CodeOf(err) != apperr.Validation {
			t.Errorf("bad %s filter: %v, want Validation", name, err)
		}
	}

	meta := map[string]any{"sprint": 7.0}
	upd := must[workflow.WorkItemView](t)(svc.UpdateWorkItem(ctx, workflow.WorkItemUpdate{ID: child.ID, Version: child.Version, Metadata: &meta}))
	if upd.Metadata["sprint"] != 7.0 || upd.Version != child.Version+1 {
		t.Errorf("metadata update: %v v%d", upd.Metadata, upd.Version)
	}
	title := "x"
	_, err := svc.UpdateWorkItem(ctx, workflow.WorkItemUpdate{ID: child.ID, Title: &title})
	if e := wantCode(t, err, apperr.Validation); e.Details["field"] != "version" {
		t.Errorf("update without version: details %v", e.Details)
	}
	under := grandchild.ID
	_, err = svc.UpdateWorkItem(ctx, workflow.WorkItemUpdate{ID: epic.ID, Version: epic.Version, ParentID: &under})
	if e := wantCode(t, err, apperr.Validation); e.Details["field"] != "parent_id" {
		t.Errorf("move under a descendant: details %v", e.Details)
	}
	got := must[workflow.WorkItemView](t)(svc.GetWorkItem(ctx, "", epic.ID))
	if got.ParentID != "" || got.Version != epic.Version {
		t.Errorf("after a refused move: parent %q v%d, want none and v%d", got.ParentID, got.Version, epic.Version)
	}
}
