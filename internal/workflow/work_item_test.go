package workflow_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/mcp-memory/servers/internal/apperr"
	"github.com/mcp-memory/servers/internal/workflow"
	"github.com/mcp-memory/servers/internal/workflow/workflowtest"
)

func ptr[T any](v T) *T { return &v }

func TestService_CreateWorkItem(t *testing.T) {
	ctx := context.Background()
	env := workflowtest.New(t, workflowtest.Options{})
	env.Project(t, "p")
	svc := env.Service

	t.Run("OK", func(t *testing.T) {
		v := must[workflow.WorkItemView](t)(svc.CreateWorkItem(ctx, workflow.NewWorkItem{Title: " Fix login ",
			Metadata: map[string]any{"estimate": 3.0}}))
		if v.Type != "task" || v.Status != "planned" || v.Title != "Fix login" || v.Version != 1 || v.Depth() != 1 {
			t.Fatalf("got %+v", v.WorkItem)
		}
		got := must[workflow.WorkItemView](t)(svc.GetWorkItem(ctx, "", v.ID))
		if got.Metadata["estimate"] != 3.0 || v.CompletedAt != nil {
			t.Fatalf("read back %+v", got.WorkItem)
		}
	})
	for _, tc := range []struct {
		name  string
		in    workflow.NewWorkItem
		field string
	}{
		{"ErrNoTitle", workflow.NewWorkItem{Title: " "}, "title"},
		{"ErrType", workflow.NewWorkItem{Title: "x", Type: "epic"}, "item_type"},
		{"ErrStatus", workflow.NewWorkItem{Title: "x", Status: "done"}, "status"},
		{"ErrParentID", workflow.NewWorkItem{Title: "x", ParentID: "nope"}, "parent_id"},
		{"ErrEmptyReference", workflow.NewWorkItem{Title: "x", References: []string{""}}, "entity_references"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := svc.CreateWorkItem(ctx, tc.in)
			if e := wantCode(t, err, apperr.Validation); e.Details["field"] != tc.field {
				t.Errorf("field = %v, want %s", e.Details["field"], tc.field)
			}
		})
	}
	t.Run("ErrUnknownParent", func(t *testing.T) {
		_, err := svc.CreateWorkItem(ctx, workflow.NewWorkItem{Title: "x", ParentID: "00000000-0000-0000-0000-000000000001"})
		wantCode(t, err, apperr.NotFound)
	})
}

func TestService_WorkItemIsolation(t *testing.T) {
	ctx := context.Background()
	env := workflowtest.New(t, workflowtest.Options{})
	svc := env.Service
	a := env.Project(t, "a")
	b := must[workflow.Project](t)(svc.CreateProject(ctx, "b", ""))
	itemA := must[workflow.WorkItemView](t)(svc.CreateWorkItem(ctx, workflow.NewWorkItem{Title: "secret of a"}))
	must[workflow.WorkItemView](t)(svc.CreateWorkItem(ctx, workflow.NewWorkItem{Title: "of b", ProjectID: b.ID}))

	_, err := svc.GetWorkItem(ctx, b.ID, itemA.ID)
	wantCode(t, err, apperr.NotFound)
	_, err = svc.UpdateWorkItem(ctx, workflow.WorkItemUpdate{ProjectID: b.ID, ID: itemA.ID, Version: 1, Title: ptr("stolen")})
	wantCode(t, err, apperr.NotFound)
	_, err = svc.DeleteWorkItem(ctx, "b", itemA.ID, true)
	wantCode(t, err, apperr.NotFound)
	_, err = svc.CreateWorkItem(ctx, workflow.NewWorkItem{Title: "child", ProjectID: b.ID, ParentID: itemA.ID})
	wantCode(t, err, apperr.NotFound)
	itemB := must[workflow.List[workflow.WorkItemView]](t)(pageOnly(svc.QueryWorkItems(ctx, workflow.WorkItemFilter{ProjectID: "B"}, workflow.Page{})))
	if len(itemB.Items) != 1 || itemB.Items[0].Title != "of b" {
		t.Fatalf("project b sees %d items", len(itemB.Items))
	}
	_, err = svc.AddWorkItemDependency(ctx, b.ID, itemB.Items[0].ID, itemA.ID, "blocks")
	wantCode(t, err, apperr.NotFound)
	inA := must[workflow.List[workflow.WorkItemView]](t)(pageOnly(svc.QueryWorkItems(ctx, workflow.WorkItemFilter{ProjectID: a.ID}, workflow.Page{})))
	if len(inA.Items) != 1 || inA.Items[0].ID != itemA.ID {
		t.Fatalf("project a sees %d items", len(inA.Items))
	}
	if got := must[workflow.WorkItemView](t)(svc.GetWorkItem(ctx, "", itemA.ID)); got.Title != "secret of a" {
		t.Fatalf("item of a changed: %q", got.Title)
	}
}

func pageOnly(l workflow.WorkItemList, err error) (workflow.List[workflow.WorkItemView], error) {
	return l.List, err
}

func TestService_UpdateWorkItem(t *testing.T) {
	ctx := context.Background()
	env := workflowtest.New(t, workflowtest.Options{})
	env.Project(t, "p")
	svc := env.Service
	w := must[workflow.WorkItemView](t)(svc.CreateWorkItem(ctx, workflow.NewWorkItem{Title: "t"}))

	t.Run("CompletedAt", func(t *testing.T) {
		v := must[workflow.WorkItemView](t)(svc.UpdateWorkItem(ctx, workflow.WorkItemUpdate{ID: w.ID, Version: 1, Status: ptr("completed")}))
		if v.CompletedAt == nil || v.Version != 2 {
			t.Fatalf("completed: %+v", v.WorkItem)
		}
		v = must[workflow.WorkItemView](t)(svc.UpdateWorkItem(ctx, workflow.WorkItemUpdate{ID: w.ID, Version: 2, Status: ptr("active")}))
		if v.CompletedAt != nil || v.Version != 3 {
			t.Fatalf("reopened: %+v", v.WorkItem)
		}
	})
	t.Run("ErrVersionConflict", func(t *testing.T) {
		_, err := svc.UpdateWorkItem(ctx, workflow.WorkItemUpdate{ID: w.ID, Version: 1, Title: ptr("late")})
		if e := wantCode(t, err, apperr.VersionConflict); e.Details["current_version"] != 3 {
			t.Errorf("details = %v, want current_version 3", e.Details)
		}
		if got := must[workflow.WorkItemView](t)(svc.GetWorkItem(ctx, "", w.ID)); got.Title != "t" || got.Version != 3 {
			t.Errorf("conflicting update changed the item: %+v", got.WorkItem)
		}
	})
	t.Run("ErrValidationChangesNothing", func(t *testing.T) {
		_, err := svc.UpdateWorkItem(ctx, workflow.WorkItemUpdate{ID: w.ID, Version: 3, Status: ptr("done"), Title: ptr("new")})
		wantCode(t, err, apperr.Validation)
		if got := must[workflow.WorkItemView](t)(svc.GetWorkItem(ctx, "", w.ID)); got.Title != "t" || got.Version != 3 {
			t.Errorf("rejected update changed the item: %+v", got.WorkItem)
		}
	})
}

// Of concurrent updates carrying the same version, exactly one wins.
func TestService_UpdateWorkItemConcurrent(t *testing.T) {
	ctx := context.Background()
	env := workflowtest.New(t, workflowtest.Options{MaxConns: 10})
	env.Project(t, "p")
	w := must[workflow.WorkItemView](t)(env.Service.CreateWorkItem(ctx, workflow.NewWorkItem{Title: "t"}))
	var wins, conflicts atomic.Int32
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			_, err := env.Service.UpdateWorkItem(ctx, workflow.WorkItemUpdate{ID: w.ID, Version: 1, Title: ptr(fmt.Sprint("writer ", i))})
			switch apperr.CodeOf(err) {
			case "":
				wins.Add(1)
			case apperr.VersionConflict:
				conflicts.Add(1)
			default:
				t.Error(err)
			}
		}()
	}
	close(start)
	wg.Wait()
	if wins.Load() != 1 || conflicts.Load() != 9 {
		t.Fatalf("wins %d conflicts %d, want 1 and 9", wins.Load(), conflicts.Load())
	}
	if got := must[workflow.WorkItemView](t)(env.Service.GetWorkItem(ctx, "", w.ID)); got.Version != 2 {
		t.Fatalf("version %d, want 2", got.Version)
	}
}

func TestService_Hierarchy(t *testing.T) {
	ctx := context.Background()
	env := workflowtest.New(t, workflowtest.Options{})
	env.Project(t, "p")
	svc := env.Service
	var chain []workflow.WorkItemView
	parent := ""
	for i, typ := range []string{"project", "session", "task", "research", "subtask"} {
		v := must[workflow.WorkItemView](t)(svc.CreateWorkItem(ctx, workflow.NewWorkItem{Title: fmt.Sprint("level ", i+1), Type: typ, ParentID: parent}))
		if v.Depth() != i+1 {
			t.Fatalf("depth %d, want %d", v.Depth(), i+1)
		}
		chain = append(chain, v)
		parent = v.ID
	}

	t.Run("ErrSixthLevel", func(t *testing.T) {
		_, err := svc.CreateWorkItem(ctx, workflow.NewWorkItem{Title: "too deep", ParentID: parent})
		if e := wantCode(t, err, apperr.Validation); e.Details["field"] != "parent_id" {
			t.Errorf("details %v", e.Details)
		}
	})
	t.Run("Get", func(t *testing.T) {
		h := must[workflow.Hierarchy](t)(svc.GetWorkItemHierarchy(ctx, "", chain[2].ID, 0))
		if len(h.Ancestors) != 2 || h.Ancestors[0].ID != chain[0].ID || h.Ancestors[1].ID != chain[1].ID {
			t.Errorf("ancestors %v", ids(h.Ancestors))
		}
		if len(h.Children) != 1 || h.Children[0].ID != chain[3].ID {
			t.Errorf("children %v", ids(h.Children))
		}
		if len(h.Descendants) != 2 || h.DescendantCount != 2 || h.Descendants[1].ID != chain[4].ID {
			t.Errorf("descendants %v (%d)", ids(h.Descendants), h.DescendantCount)
		}
		h = must[workflow.Hierarchy](t)(svc.GetWorkItemHierarchy(ctx, "", chain[0].ID, 1))
		if len(h.Descendants) != 1 || h.DescendantCount != 4 {
			t.Errorf("limited descendants %v of %d, want 1 of 4", ids(h.Descendants), h.DescendantCount)
		}
	})
	t.Run("ErrMoveTooDeep", func(t *testing.T) {
		other := must[workflow.WorkItemView](t)(svc.CreateWorkItem(ctx, workflow.NewWorkItem{Title: "other root"}))
		// Moving level 2 (with 3 levels below it) under another root keeps depth 5: fine.
		moved := must[workflow.WorkItemView](t)(svc.UpdateWorkItem(ctx, workflow.WorkItemUpdate{ID: chain[1].ID, Version: 1, ParentID: &other.ID}))
		if moved.ParentID != other.ID || moved.Depth() != 2 {
			t.Fatalf("moved %+v", moved.WorkItem)
		}
		// Moving it under level 2 of another chain would put the leaf at 6.
		child := must[workflow.WorkItemView](t)(svc.CreateWorkItem(ctx, workflow.NewWorkItem{Title: "c", ParentID: other.ID}))
		_, err := svc.UpdateWorkItem(ctx, workflow.WorkItemUpdate{ID: chain[1].ID, Version: 2, ParentID: &child.ID})
		wantCode(t, err, apperr.Validation)
		// Into its own subtree: a cycle.
		_, err = svc.UpdateWorkItem(ctx, workflow.WorkItemUpdate{ID: chain[1].ID, Version: 2, ParentID: &chain[3].ID})
		wantCode(t, err, apperr.Validation)
		leaf := must[workflow.WorkItemView](t)(svc.GetWorkItem(ctx, "", chain[4].ID))
		if leaf.Depth() != 5 || leaf.Path[0] != other.ID {
			t.Errorf("leaf path %v after the move, want under %s", leaf.Path, other.ID)
		}
		root := must[workflow.WorkItemView](t)(svc.UpdateWorkItem(ctx, workflow.WorkItemUpdate{ID: chain[1].ID, Version: 2, ParentID: ptr("")}))
		if root.ParentID != "" || root.Depth() != 1 {
			t.Errorf("made root: %+v", root.WorkItem)
		}
	})
	t.Run("DeleteCascades", func(t *testing.T) {
		_, err := svc.DeleteWorkItem(ctx, "", chain[2].ID, false)
		if e := wantCode(t, err, apperr.Validation); e.Details["field"] != "confirmed" {
			t.Errorf("details %v", e.Details)
		}
		n := must[int](t)(svc.DeleteWorkItem(ctx, "", chain[2].ID, true))
		if n != 3 {
			t.Fatalf("deleted %d, want 3 (item and 2 descendants)", n)
		}
		_, err = svc.GetWorkItemHierarchy(ctx, "", chain[3].ID, 0)
		wantCode(t, err, apperr.NotFound)
		got := must[workflow.WorkItemView](t)(svc.GetWorkItem(ctx, "", chain[4].ID))
		if got.DeletedAt == nil {
			t.Error("descendant not marked deleted")
		}
		l := must[workflow.WorkItemList](t)(svc.QueryWorkItems(ctx, workflow.WorkItemFilter{}, workflow.Page{}))
		for _, v := range l.Items {
			if v.DeletedAt != nil {
				t.Errorf("deleted item %s listed", v.ID)
			}
		}
		l = must[workflow.WorkItemList](t)(svc.QueryWorkItems(ctx, workflow.WorkItemFilter{IncludeDeleted: true}, workflow.Page{}))
		if len(l.Items) != 7 {
			t.Errorf("include_deleted lists %d, want 7", len(l.Items))
		}
	})
}

func ids(ws []workflow.WorkItem) []string {
	var out []string
	for _, w := range ws {
		out = append(out, w.ID)
	}
	return out
}

// Paging through 1,234 work items while others insert returns each item
// that existed before paging began exactly once.
func TestService_QueryWorkItemsPagingWithConcurrentInserts(t *testing.T) {
	ctx := context.Background()
	env := workflowtest.New(t, workflowtest.Options{MaxConns: 6})
	p := env.Project(t, "p")
	_, err := env.Pool.Pgx().Exec(ctx, `INSERT INTO work_items (project_id, id, path, depth, item_type, title, status, created_at)
		SELECT $1, u, '/' || u || '/', 1, 'task', 'item ' || i, 'planned', now() - interval '1 hour' + i * interval '1 ms'
		FROM (SELECT i, gen_random_uuid() AS u FROM generate_series(1, 1234) i) s`, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	before := map[string]bool{}
	for cursor := ""; ; {
		l := must[workflow.WorkItemList](t)(env.Service.QueryWorkItems(ctx, workflow.WorkItemFilter{}, workflow.Page{Limit: 500, Cursor: cursor}))
		for _, v := range l.Items {
			before[v.ID] = true
		}
		if cursor = l.NextCursor; cursor == "" {
			break
		}
	}
	if len(before) != 1234 {
		t.Fatalf("%d items before paging, want 1234", len(before))
	}

	stop := make(chan struct{})
	var inserted atomic.Int32
	var wg sync.WaitGroup
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				if _, err := env.Service.CreateWorkItem(ctx, workflow.NewWorkItem{Title: "concurrent"}); err != nil {
					t.Error(err)
					return
				}
				inserted.Add(1)
			}
		}()
	}
	seen := map[string]int{}
	cursor, pages := "", 0
	for {
		l, err := env.Service.QueryWorkItems(ctx, workflow.WorkItemFilter{}, workflow.Page{Limit: 37, Cursor: cursor})
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range l.Items {
			seen[v.ID]++
		}
		pages++
		if l.NextCursor == "" {
			break
		}
		cursor = l.NextCursor
	}
	close(stop)
	wg.Wait()
	if inserted.Load() == 0 {
		t.Fatal("no concurrent insert happened during paging")
	}
	for id := range before {
		if seen[id] != 1 {
			t.Errorf("pre-existing item %s seen %d times", id, seen[id])
		}
	}
	for id, n := range seen {
		if n != 1 {
			t.Errorf("item %s seen %d times", id, n)
		}
	}
	t.Logf("%d pages, %d items seen, %d inserted meanwhile", pages, len(seen), inserted.Load())
}
