package workflow_test

import (
	"context"
	"slices"
	"sync"
	"testing"

	"github.com/mcp-memory/servers/internal/apperr"
	"github.com/mcp-memory/servers/internal/workflow"
	"github.com/mcp-memory/servers/internal/workflow/workflowtest"
)

func TestService_Dependencies(t *testing.T) {
	ctx := context.Background()
	env := workflowtest.New(t, workflowtest.Options{})
	env.Project(t, "p")
	svc := env.Service
	item := func(title string) string {
		return must[workflow.WorkItemView](t)(svc.CreateWorkItem(ctx, workflow.NewWorkItem{Title: title})).ID
	}
	a, b, c, d := item("a"), item("b"), item("c"), item("d")

	must[workflow.Dependency](t)(svc.AddWorkItemDependency(ctx, "", a, b, "blocks"))
	must[workflow.Dependency](t)(svc.AddWorkItemDependency(ctx, "", b, c, ""))

	t.Run("ErrCycle", func(t *testing.T) {
		_, err := svc.AddWorkItemDependency(ctx, "", c, a, "blocks")
		e := wantCode(t, err, apperr.Validation)
		cycle, _ := e.Details["cycle"].([]string)
		if !slices.Equal(cycle, []string{c, a, b, c}) {
			t.Errorf("cycle = %v, want c -> a -> b -> c", cycle)
		}
	})
	t.Run("ErrSelf", func(t *testing.T) {
		_, err := svc.AddWorkItemDependency(ctx, "", a, a, "relates_to")
		wantCode(t, err, apperr.Validation)
	})
	t.Run("NonBlockingMayLoop", func(t *testing.T) {
		must[workflow.Dependency](t)(svc.AddWorkItemDependency(ctx, "", c, a, "relates_to"))
	})
	t.Run("ErrDuplicate", func(t *testing.T) {
		_, err := svc.AddWorkItemDependency(ctx, "", a, b, "blocks")
		wantCode(t, err, apperr.AlreadyExists)
	})
	t.Run("ErrType", func(t *testing.T) {
		_, err := svc.AddWorkItemDependency(ctx, "", a, d, "requires")
		wantCode(t, err, apperr.Validation)
	})
	t.Run("Blocked", func(t *testing.T) {
		must[workflow.WorkItemView](t)(svc.UpdateWorkItem(ctx, workflow.WorkItemUpdate{ID: d, Version: 1, Status: ptr("blocked")}))
		l := must[workflow.List[workflow.BlockedWorkItem]](t)(svc.ListBlockedWorkItems(ctx, "", workflow.Page{}))
		got := map[string][]string{}
		for _, bw := range l.Items {
			got[bw.ID] = bw.BlockedBy
		}
		if len(got) != 3 || !slices.Equal(got[a], []string{b}) || !slices.Equal(got[b], []string{c}) || len(got[d]) != 0 {
			t.Fatalf("blocked = %v, want a (by b), b (by c), d (status)", got)
		}
		// Completing c unblocks b.
		must[workflow.WorkItemView](t)(svc.UpdateWorkItem(ctx, workflow.WorkItemUpdate{ID: c, Version: 1, Status: ptr("completed")}))
		l = must[workflow.List[workflow.BlockedWorkItem]](t)(svc.ListBlockedWorkItems(ctx, "", workflow.Page{Limit: 1}))
		if len(l.Items) != 1 || l.Items[0].ID != a || l.NextCursor == "" {
			t.Fatalf("first page %v", l.Items)
		}
		l = must[workflow.List[workflow.BlockedWorkItem]](t)(svc.ListBlockedWorkItems(ctx, "", workflow.Page{Limit: 1, Cursor: l.NextCursor}))
		if len(l.Items) != 1 || l.Items[0].ID != d || l.NextCursor != "" {
			t.Fatalf("second page %v", l.Items)
		}
	})
}

// Two concurrent inserts that together close a cycle: one must fail.
func TestService_DependencyCycleConcurrent(t *testing.T) {
	ctx := context.Background()
	env := workflowtest.New(t, workflowtest.Options{})
	env.Project(t, "p")
	for range 5 {
		a := must[workflow.WorkItemView](t)(env.Service.CreateWorkItem(ctx, workflow.NewWorkItem{Title: "a"})).ID
		b := must[workflow.WorkItemView](t)(env.Service.CreateWorkItem(ctx, workflow.NewWorkItem{Title: "b"})).ID
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for i, pair := range [][2]string{{a, b}, {b, a}} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, errs[i] = env.Service.AddWorkItemDependency(ctx, "", pair[0], pair[1], "blocks")
			}()
		}
		wg.Wait()
		if (errs[0] == nil) == (errs[1] == nil) {
			t.Fatalf("errors %v and %v: exactly one of two cycle-closing inserts must fail", errs[0], errs[1])
		}
	}
}
