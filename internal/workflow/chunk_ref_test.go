package workflow_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/mcp-memory/servers/internal/codelink"
	"github.com/mcp-memory/servers/internal/workflow"
	"github.com/mcp-memory/servers/internal/workflow/workflowtest"
)

var (
	authChunk = workflowtest.Chunk{ChunkID: "c-auth-1", RepositoryID: "repo1", FilePath: "src/auth.go", Symbol: "Refresh",
		StartLine: 10, EndLine: 42, ContentHash: "h1"}
	dbChunk = workflowtest.Chunk{ChunkID: "c-db-1", RepositoryID: "repo1", FilePath: "src/db.go", Symbol: "Open",
		StartLine: 1, EndLine: 9, ContentHash: "h2"}
)

func TestService_CodeReferences(t *testing.T) {
	ctx := context.Background()
	cb := workflowtest.NewCodebase(t)
	cb.Put(authChunk, dbChunk)
	env := workflowtest.New(t, workflowtest.Options{CodebaseURL: cb.URL})
	env.Project(t, "p")
	svc := env.Service

	v := must[workflow.WorkItemView](t)(svc.CreateWorkItem(ctx, workflow.NewWorkItem{Title: "fix refresh",
		References: []string{authChunk.ChunkID, "unknown-id", authChunk.ChunkID}}))
	t.Run("SnapshotOnWrite", func(t *testing.T) {
		if len(v.Warnings) != 0 {
			t.Errorf("warnings %v while codebase-mcp is up", v.Warnings)
		}
		if got := v.ReferenceIDs(); !slices.Equal(got, []string{authChunk.ChunkID, "unknown-id"}) {
			t.Errorf("references %v (duplicates dropped, unknown kept)", got)
		}
		if !slices.Equal(v.Code.Stale, []string{"unknown-id"}) {
			t.Errorf("stale %v", v.Code.Stale)
		}
		r := v.References[0]
		if r.FilePath != "src/auth.go" || r.Symbol != "Refresh" || r.StartLine != 10 || r.ContentHash != "h1" || r.ResolvedAt == nil {
			t.Errorf("snapshot %+v", r)
		}
	})
	t.Run("Stale", func(t *testing.T) {
		cb.Delete(authChunk.ChunkID) // a re-index removed the function
		got := must[workflow.WorkItemView](t)(svc.GetWorkItem(ctx, "", v.ID))
		if !slices.Equal(got.Code.Stale, []string{authChunk.ChunkID, "unknown-id"}) || len(got.Code.Replacements) != 0 {
			t.Errorf("stale %v replacements %v", got.Code.Stale, got.Code.Replacements)
		}
		if got.References[0].FilePath != "src/auth.go" {
			t.Errorf("snapshot lost: %+v", got.References[0])
		}
	})
	t.Run("MovedSuggestsReplacement", func(t *testing.T) {
		moved := authChunk
		moved.ChunkID, moved.StartLine, moved.EndLine, moved.ContentHash = "c-auth-2", 20, 55, "h3"
		cb.Put(moved)
		got := must[workflow.WorkItemView](t)(svc.GetWorkItem(ctx, "", v.ID))
		if len(got.Code.Replacements) != 1 || got.Code.Replacements[0].StaleChunkID != authChunk.ChunkID ||
			got.Code.Replacements[0].Chunk.ChunkID != "c-auth-2" || got.Code.Replacements[0].Chunk.StartLine != 20 {
			t.Errorf("replacements %+v", got.Code.Replacements)
		}
		l := must[workflow.WorkItemList](t)(svc.QueryWorkItems(ctx, workflow.WorkItemFilter{}, workflow.Page{}))
		if len(l.Items) != 1 || len(l.Items[0].Code.Replacements) != 1 || len(l.Items[0].Code.Stale) != 2 {
			t.Errorf("list view %+v", l.Items)
		}
	})
	t.Run("UpdateReplacesReferences", func(t *testing.T) {
		got := must[workflow.WorkItemView](t)(svc.UpdateWorkItem(ctx, workflow.WorkItemUpdate{ID: v.ID, Version: 1,
			References: &[]string{"c-auth-2", dbChunk.ChunkID}}))
		if len(got.Code.Stale) != 0 || len(got.References) != 2 || got.References[1].FilePath != "src/db.go" {
			t.Errorf("after update: stale %v refs %+v", got.Code.Stale, got.References)
		}
	})
	t.Run("ReverseLookup", func(t *testing.T) {
		other := must[workflow.WorkItemView](t)(svc.CreateWorkItem(ctx, workflow.NewWorkItem{Title: "db work", References: []string{dbChunk.ChunkID}}))
		must[workflow.WorkItemView](t)(svc.CreateWorkItem(ctx, workflow.NewWorkItem{Title: "no code"}))
		find := func(f workflow.WorkItemFilter) []string {
			l := must[workflow.WorkItemList](t)(svc.QueryWorkItems(ctx, f, workflow.Page{}))
			var out []string
			for _, w := range l.Items {
				out = append(out, w.Title)
			}
			return out
		}
		if got := find(workflow.WorkItemFilter{ChunkIDs: []string{dbChunk.ChunkID}}); !slices.Equal(got, []string{"fix refresh", "db work"}) {
			t.Errorf("by chunk: %v", got)
		}
		if got := find(workflow.WorkItemFilter{FilePaths: []string{"src/auth.go"}}); !slices.Equal(got, []string{"fix refresh"}) {
			t.Errorf("by file: %v", got)
		}
		must[workflow.WorkItemView](t)(svc.UpdateWorkItem(ctx, workflow.WorkItemUpdate{ID: other.ID, Version: 1, Status: ptr("completed")}))
		if got := find(workflow.WorkItemFilter{ChunkIDs: []string{dbChunk.ChunkID}, OpenOnly: true}); !slices.Equal(got, []string{"fix refresh"}) {
			t.Errorf("open only: %v", got)
		}
	})
}

// codebase-mcp down (connection refused): writes and reads succeed, the
// references are kept as given and every answer warns; once it is back,
// a read fills in the snapshots, so a later move can be followed.
func TestService_CodeReferencesCodebaseDown(t *testing.T) {
	ctx := context.Background()
	down := workflowtest.New(t, workflowtest.Options{CodebaseURL: workflowtest.RefusedURL(t)})
	down.Project(t, "p")
	svc := down.Service

	v := must[workflow.WorkItemView](t)(svc.CreateWorkItem(ctx, workflow.NewWorkItem{Title: "t", References: []string{authChunk.ChunkID}}))
	if !slices.Equal(v.Warnings, []string{workflow.WarningCodeSearchUnavailable}) || len(v.Code.Stale) != 0 {
		t.Fatalf("create: warnings %v stale %v", v.Warnings, v.Code.Stale)
	}
	if v.References[0].ResolvedAt != nil || v.References[0].ChunkID != authChunk.ChunkID {
		t.Fatalf("reference %+v, want kept unresolved", v.References[0])
	}
	plain := must[workflow.WorkItemView](t)(svc.CreateWorkItem(ctx, workflow.NewWorkItem{Title: "no refs"}))
	if !slices.Equal(plain.Warnings, []string{workflow.WarningCodeSearchUnavailable}) {
		t.Errorf("create without references: warnings %v", plain.Warnings)
	}
	got := must[workflow.WorkItemView](t)(svc.GetWorkItem(ctx, "", v.ID))
	if !slices.Equal(got.Warnings, []string{workflow.WarningCodeSearchUnavailable}) {
		t.Errorf("get: warnings %v", got.Warnings)
	}
	l := must[workflow.WorkItemList](t)(svc.QueryWorkItems(ctx, workflow.WorkItemFilter{}, workflow.Page{}))
	if len(l.Items) != 2 || !slices.Equal(l.Warnings, []string{workflow.WarningCodeSearchUnavailable}) {
		t.Errorf("list: %d items, warnings %v", len(l.Items), l.Warnings)
	}
	upd := must[workflow.WorkItemView](t)(svc.UpdateWorkItem(ctx, workflow.WorkItemUpdate{ID: v.ID, Version: 1, Title: ptr("t2")}))
	if !slices.Equal(upd.Warnings, []string{workflow.WarningCodeSearchUnavailable}) {
		t.Errorf("update: warnings %v", upd.Warnings)
	}
	if n := counterValue(t, down.Code.Unavailable()); n < 1 {
		t.Errorf("workflow_mcp_codebase_unavailable_total = %v", n)
	}

	cb := workflowtest.NewCodebase(t)
	cb.Put(authChunk)
	up := workflowtest.New(t, workflowtest.Options{DSN: down.DSN, CodebaseURL: cb.URL})
	got = must[workflow.WorkItemView](t)(up.Service.GetWorkItem(ctx, "", v.ID))
	if len(got.Warnings) != 0 || len(got.Code.Stale) != 0 {
		t.Fatalf("codebase back: warnings %v stale %v", got.Warnings, got.Code.Stale)
	}
	got = must[workflow.WorkItemView](t)(up.Service.GetWorkItem(ctx, "", v.ID))
	if got.References[0].FilePath != "src/auth.go" || got.References[0].ResolvedAt == nil {
		t.Fatalf("snapshot not filled in: %+v", got.References[0])
	}
	if got.Version != 2 {
		t.Errorf("filling in the snapshot changed the version to %d", got.Version)
	}
	moved := authChunk
	moved.ChunkID = "c-auth-9"
	cb.Delete(authChunk.ChunkID)
	cb.Put(moved)
	got = must[workflow.WorkItemView](t)(up.Service.GetWorkItem(ctx, "", v.ID))
	if len(got.Code.Replacements) != 1 || got.Code.Replacements[0].Chunk.ChunkID != "c-auth-9" {
		t.Errorf("replacements %+v", got.Code.Replacements)
	}
}

// A codebase-mcp that accepts connections and never answers costs one
// timeout per failure until the breaker opens; after that calls do not
// even contact it, and every answer still succeeds with the warning.
func TestService_CodeReferencesCodebaseHanging(t *testing.T) {
	ctx := context.Background()
	h := workflowtest.NewHanging(t)
	env := workflowtest.New(t, workflowtest.Options{CodebaseURL: h.URL(), CodeTimeout: 100 * time.Millisecond,
		FailureThreshold: 2, Cooldown: time.Hour})
	env.Project(t, "p")
	for i := range 6 {
		v, err := env.Service.CreateWorkItem(ctx, workflow.NewWorkItem{Title: "t", References: []string{"c1"}})
		if err != nil {
			t.Fatalf("create %d: %v", i, err)
		}
		if !slices.Equal(v.Warnings, []string{workflow.WarningCodeSearchUnavailable}) {
			t.Fatalf("create %d: warnings %v", i, v.Warnings)
		}
		if _, err := env.Service.GetWorkItem(ctx, "", v.ID); err != nil {
			t.Fatal(err)
		}
	}
	if got := h.Accepted(); got != 2 {
		t.Errorf("the hanging server was contacted %d times, want 2 (then the breaker opens)", got)
	}
	if env.Code.State() != codelink.StateOpen {
		t.Errorf("breaker state %d, want open", env.Code.State())
	}
	if n := counterValue(t, env.Code.Unavailable()); n != 12 {
		t.Errorf("unavailable_total = %v, want 12 (6 creates, 6 reads)", n)
	}
}

// A codebase-mcp without the "locations" extension still resolves ids;
// stale references then come without suggestions, and without a warning.
func TestService_CodeReferencesWithoutLocations(t *testing.T) {
	ctx := context.Background()
	cb := workflowtest.NewCodebase(t)
	cb.NoLocations = true
	cb.Put(authChunk)
	env := workflowtest.New(t, workflowtest.Options{CodebaseURL: cb.URL})
	env.Project(t, "p")
	v := must[workflow.WorkItemView](t)(env.Service.CreateWorkItem(ctx, workflow.NewWorkItem{Title: "t", References: []string{authChunk.ChunkID}}))
	cb.Delete(authChunk.ChunkID)
	got := must[workflow.WorkItemView](t)(env.Service.GetWorkItem(ctx, "", v.ID))
	if !slices.Equal(got.Code.Stale, []string{authChunk.ChunkID}) || len(got.Code.Replacements) != 0 || len(got.Warnings) != 0 {
		t.Errorf("stale %v replacements %v warnings %v", got.Code.Stale, got.Code.Replacements, got.Warnings)
	}
}

func counterValue(tb testing.TB, c prometheus.Counter) float64 {
	tb.Helper()
	var m dto.Metric
	if err := c.Write(&m); err != nil {
		tb.Fatal(err)
	}
	return m.GetCounter().GetValue()
}
