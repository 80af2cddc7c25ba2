package workflow_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/mcp-memory/servers/internal/apperr"
	"github.com/mcp-memory/servers/internal/workflow"
	"github.com/mcp-memory/servers/internal/workflow/workflowtest"
)

func TestService_Projects(t *testing.T) {
	ctx := context.Background()
	env := workflowtest.New(t, workflowtest.Options{})
	svc := env.Service

	t.Run("NoActiveProject", func(t *testing.T) {
		_, err := svc.CreateWorkItem(ctx, workflow.NewWorkItem{Title: "x"})
		e := wantCode(t, err, apperr.Validation)
		if !strings.Contains(e.Message, "create_project") || !strings.Contains(e.Message, "switch_project") {
			t.Errorf("message does not say how to get a project: %q", e.Message)
		}
		_, _, err = svc.GetActiveProject(ctx)
		wantCode(t, err, apperr.NotFound)
	})

	alpha := must[workflow.Project](t)(svc.CreateProject(ctx, "Alpha", "first"))
	beta := must[workflow.Project](t)(svc.CreateProject(ctx, "Beta", ""))

	t.Run("ErrDuplicateNameCaseInsensitive", func(t *testing.T) {
		_, err := svc.CreateProject(ctx, "ALPHA", "")
		wantCode(t, err, apperr.AlreadyExists)
	})
	t.Run("ErrInvalidName", func(t *testing.T) {
		for _, name := range []string{"", "   ", strings.Repeat("x", 201), alpha.ID} {
			_, err := svc.CreateProject(ctx, name, "")
			wantCode(t, err, apperr.Validation)
		}
	})
	t.Run("SwitchByNameAndList", func(t *testing.T) {
		a := must[workflow.ActiveProject](t)(svc.SwitchProject(ctx, "alpha"))
		if a.ProjectID != alpha.ID || a.Name != "Alpha" {
			t.Fatalf("switched to %+v, want Alpha", a)
		}
		if _, err := svc.CreateWorkItem(ctx, workflow.NewWorkItem{Title: "in alpha"}); err != nil {
			t.Fatal(err)
		}
		l := must[workflow.List[workflow.Project]](t)(svc.ListProjects(ctx, workflow.Page{}))
		if len(l.Items) != 2 || l.Items[0].ID != alpha.ID || l.Items[1].ID != beta.ID {
			t.Fatalf("list order = %v, want Alpha (just activated) then Beta", names(l.Items))
		}
		if l.Items[0].WorkItemCount != 1 || l.Items[1].WorkItemCount != 0 {
			t.Errorf("counts = %d, %d, want 1, 0", l.Items[0].WorkItemCount, l.Items[1].WorkItemCount)
		}
		must[workflow.ActiveProject](t)(svc.SwitchProject(ctx, beta.ID))
		l = must[workflow.List[workflow.Project]](t)(svc.ListProjects(ctx, workflow.Page{Limit: 1}))
		if len(l.Items) != 1 || l.Items[0].ID != beta.ID || l.NextCursor == "" {
			t.Fatalf("first page = %v next %q, want Beta and a cursor", names(l.Items), l.NextCursor)
		}
		l = must[workflow.List[workflow.Project]](t)(svc.ListProjects(ctx, workflow.Page{Limit: 1, Cursor: l.NextCursor}))
		if len(l.Items) != 1 || l.Items[0].ID != alpha.ID || l.NextCursor != "" {
			t.Fatalf("second page = %v next %q, want Alpha and no cursor", names(l.Items), l.NextCursor)
		}
	})
	t.Run("ErrUnknownProject", func(t *testing.T) {
		_, err := svc.SwitchProject(ctx, "nope")
		wantCode(t, err, apperr.NotFound)
		_, err = svc.SwitchProject(ctx, "00000000-0000-0000-0000-000000000001")
		wantCode(t, err, apperr.NotFound)
		// An explicit unknown project never falls back to the active one.
		_, err = svc.QueryWorkItems(ctx, workflow.WorkItemFilter{ProjectID: "nope"}, workflow.Page{})
		wantCode(t, err, apperr.NotFound)
	})
	t.Run("ActivePersistsAcrossRestart", func(t *testing.T) {
		must[workflow.ActiveProject](t)(svc.SwitchProject(ctx, alpha.ID))
		restarted := workflowtest.New(t, workflowtest.Options{DSN: env.DSN})
		p, a, err := restarted.Service.GetActiveProject(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if p.ID != alpha.ID || a.ProjectID != alpha.ID || p.WorkItemCount != 1 {
			t.Fatalf("after restart active = %+v, want Alpha with 1 work item", p)
		}
	})
}

func names(ps []workflow.Project) []string {
	var out []string
	for _, p := range ps {
		out = append(out, p.Name)
	}
	return out
}

// Concurrent switches are atomic: afterwards the active project is the
// one whose switch stamped it last, never a mix.
func TestService_SwitchProjectConcurrent(t *testing.T) {
	ctx := context.Background()
	env := workflowtest.New(t, workflowtest.Options{})
	var ids []string
	for i := range 5 {
		ids = append(ids, must[workflow.Project](t)(env.Service.CreateProject(ctx, fmt.Sprintf("p%d", i), "")).ID)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 100)
	for g := range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 10 {
				if _, err := env.Service.SwitchProject(ctx, ids[(g+i)%5]); err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	_, a, err := env.Service.GetActiveProject(ctx)
	if err != nil {
		t.Fatal(err)
	}
	l := must[workflow.List[workflow.Project]](t)(env.Service.ListProjects(ctx, workflow.Page{}))
	if l.Items[0].ID != a.ProjectID || !l.Items[0].LastActivatedAt.Equal(a.SwitchedAt) {
		t.Fatalf("active %s switched at %v, but the most recently activated is %s at %v",
			a.ProjectID, a.SwitchedAt, l.Items[0].ID, l.Items[0].LastActivatedAt)
	}
}
