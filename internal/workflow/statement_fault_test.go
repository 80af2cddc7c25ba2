package workflow_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/mcp-memory/servers/internal/apperr"
	"github.com/mcp-memory/servers/internal/workflow"
	"github.com/mcp-memory/servers/internal/workflow/workflowtest"
)

// injectFault makes PostgreSQL fail every statement of kind op ("INSERT",
// "UPDATE", "DELETE") on table with SQLSTATE code, until the test ends or
// the returned function is called: a real server-side error in the middle
// of a write transaction.
func injectFault(tb testing.TB, env *workflowtest.Env, table, op, code string) func() {
	tb.Helper()
	ctx := context.Background()
	db := env.Pool.Pgx()
	if _, err := db.Exec(ctx, `CREATE OR REPLACE FUNCTION inject_fault() RETURNS trigger LANGUAGE plpgsql AS $$
		BEGIN RAISE EXCEPTION 'injected fault on %', TG_TABLE_NAME USING ERRCODE = TG_ARGV[0]; END $$`); err != nil {
		tb.Fatal(err)
	}
	name := fmt.Sprintf("fault_%s_%s", table, strings.ToLower(op))
	if _, err := db.Exec(ctx, fmt.Sprintf(`CREATE TRIGGER %s BEFORE %s ON %s FOR EACH ROW EXECUTE FUNCTION inject_fault('%s')`,
		name, op, table, code)); err != nil {
		tb.Fatal(err)
	}
	drop := func() {
		if _, err := db.Exec(ctx, fmt.Sprintf(`DROP TRIGGER IF EXISTS %s ON %s`, name, table)); err != nil {
			tb.Error(err)
		}
	}
	tb.Cleanup(drop)
	return drop
}

// count returns the number of rows of table.
func count(tb testing.TB, env *workflowtest.Env, table string) int {
	tb.Helper()
	var n int
	if err := env.Pool.Pgx().QueryRow(context.Background(), "SELECT count(*) FROM "+table).Scan(&n); err != nil {
		tb.Fatal(err)
	}
	return n
}

// notCallersFault fails unless err is set and not an error that blames the
// caller's input or version.
func notCallersFault(tb testing.TB, what string, err error) {
	tb.Helper()
	switch {
	case err == nil:
		tb.Errorf("%s: no error despite the injected fault", what)
	case apperr.CodeOf(err) == apperr.Validation || apperr.CodeOf(err) == apperr.NotFound ||
		apperr.CodeOf(err) == apperr.VersionConflict || apperr.CodeOf(err) == apperr.AlreadyExists:
		tb.Errorf("%s: %v, blamed on the caller (%s)", what, err, apperr.CodeOf(err))
	case !strings.Contains(err.Error(), "injected fault"):
		tb.Errorf("%s: %v, does not carry the database's error", what, err)
	}
}

// TestService_StatementFailsMidTransaction fails the second or third
// statement of each multi-statement write: the call reports the database
// error and the whole write is rolled back.
func TestService_StatementFailsMidTransaction(t *testing.T) {
	env := workflowtest.New(t, workflowtest.Options{})
	svc := env.Service
	ctx := context.Background()
	env.Project(t, "faults")
	if _, _, err := svc.RegisterEntityType(ctx, "", workflow.EntityType{Name: "service", Schema: map[string]any{"type": "object"}}, false); err != nil {
		t.Fatal(err)
	}
	a := must[workflow.WorkItemView](t)(svc.CreateWorkItem(ctx, workflow.NewWorkItem{Title: "a", References: []string{"chunk-1"}}))
	b := must[workflow.WorkItemView](t)(svc.CreateWorkItem(ctx, workflow.NewWorkItem{Title: "b"}))
	e := must[workflow.Entity](t)(svc.CreateEntity(ctx, "", workflow.Entity{Type: "service", Name: "api", Data: map[string]any{}}))
	deploy := workflow.Deployment{CommitSHA: "abcdef1", Environment: "staging", Status: "deployed",
		WorkItemIDs: []string{a.ID}, EntityIDs: []string{e.ID}}

	t.Run("deployment links", func(t *testing.T) {
		for _, table := range []string{"deployment_work_items", "deployment_entities"} {
			drop := injectFault(t, env, table, "INSERT", "XX000")
			_, err := svc.RecordDeployment(ctx, "", deploy)
			notCallersFault(t, "RecordDeployment, "+table+" failing", err)
			drop()
			if n := count(t, env, "deployments"); n != 0 {
				t.Errorf("%s failing: %d deployments left behind, want 0", table, n)
			}
		}
	})
	t.Run("work item references", func(t *testing.T) {
		drop := injectFault(t, env, "work_item_refs", "INSERT", "XX000")
		_, err := svc.CreateWorkItem(ctx, workflow.NewWorkItem{Title: "c", References: []string{"chunk-2"}})
		notCallersFault(t, "CreateWorkItem", err)
		refs := []string{"chunk-3"}
		_, err = svc.UpdateWorkItem(ctx, workflow.WorkItemUpdate{ID: a.ID, Version: a.Version, References: &refs})
		notCallersFault(t, "UpdateWorkItem", err)
		drop()
		if n := count(t, env, "work_items"); n != 2 {
			t.Errorf("%d work items, want 2 (the failed create left one behind)", n)
		}
		got := must[workflow.WorkItemView](t)(svc.GetWorkItem(ctx, "", a.ID))
		if got.Version != a.Version || len(got.References) != 1 || got.References[0].ChunkID != "chunk-1" {
			t.Errorf("after a failed update: version %d refs %+v, want version %d and chunk-1", got.Version, got.References, a.Version)
		}
	})
	t.Run("dependency", func(t *testing.T) {
		injectFault(t, env, "work_item_dependencies", "INSERT", "XX000")
		_, err := svc.AddWorkItemDependency(ctx, "", a.ID, b.ID, "blocks")
		notCallersFault(t, "AddWorkItemDependency", err)
	})
	t.Run("entity update and delete", func(t *testing.T) {
		injectFault(t, env, "entities", "UPDATE", "XX000")
		tags := []string{"x"}
		_, err := svc.UpdateEntity(ctx, workflow.EntityUpdate{ID: e.ID, Version: e.Version, Tags: &tags})
		notCallersFault(t, "UpdateEntity", err)
		_, err = svc.DeleteEntity(ctx, "", e.ID, true)
		notCallersFault(t, "DeleteEntity", err)
	})
	t.Run("subtree delete", func(t *testing.T) {
		parent := must[workflow.WorkItemView](t)(svc.CreateWorkItem(ctx, workflow.NewWorkItem{Title: "parent"}))
		must[workflow.WorkItemView](t)(svc.CreateWorkItem(ctx, workflow.NewWorkItem{Title: "child", ParentID: parent.ID}))
		// Only the child's row fails: the parent must not be deleted alone.
		db := env.Pool.Pgx()
		if _, err := db.Exec(ctx, `CREATE TRIGGER fault_child BEFORE UPDATE ON work_items FOR EACH ROW
			WHEN (OLD.title = 'child') EXECUTE FUNCTION inject_fault('XX000')`); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Exec(context.Background(), `DROP TRIGGER IF EXISTS fault_child ON work_items`) }) //nolint:errcheck // cleanup
		_, err := svc.DeleteWorkItem(ctx, "", parent.ID, true)
		notCallersFault(t, "DeleteWorkItem", err)
		if _, err := svc.GetWorkItem(ctx, "", parent.ID); err != nil {
			t.Errorf("the parent was deleted although its child's delete failed: %v", err)
		}
	})
	t.Run("entity type evolution and first deployment row", func(t *testing.T) {
		injectFault(t, env, "entity_types", "UPDATE", "XX000")
		_, _, err := svc.RegisterEntityType(ctx, "", workflow.EntityType{Name: "service", Schema: map[string]any{"type": "object"},
			Description: "changed"}, false)
		notCallersFault(t, "RegisterEntityType", err)
		injectFault(t, env, "deployments", "INSERT", "XX000")
		_, err = svc.RecordDeployment(ctx, "", deploy)
		notCallersFault(t, "RecordDeployment", err)
	})
	// A serialization failure or deadlock is the caller's cue to retry:
	// VersionConflict, with the advice to read again.
	for _, code := range []string{"40001", "40P01"} {
		t.Run("conflict "+code, func(t *testing.T) {
			injectFault(t, env, "work_items", "UPDATE", code)
			title := "a2"
			_, err := svc.UpdateWorkItem(ctx, workflow.WorkItemUpdate{ID: a.ID, Version: a.Version, Title: &title})
			if apperr.CodeOf(err) != apperr.VersionConflict || !strings.Contains(err.Error(), "retry") {
				t.Errorf("err = %v, want VersionConflict advising a retry", err)
			}
		})
	}
}

// TestService_RegisterEntityTypeValidatesEveryBatch evolves a schema
// incompatibly with validate_existing over more entities than one read
// batch (500): an invalid entity in the second batch is found, and the
// count covers both batches.
func TestService_RegisterEntityTypeValidatesEveryBatch(t *testing.T) {
	env := workflowtest.New(t, workflowtest.Options{})
	svc := env.Service
	ctx := context.Background()
	p := env.Project(t, "batches")
	if _, _, err := svc.RegisterEntityType(ctx, "", workflow.EntityType{Name: "service", Schema: map[string]any{"type": "object"}}, false); err != nil {
		t.Fatal(err)
	}
	// 1,000 valid entities, then the last one by id (in the second batch)
	// made invalid.
	exec := func(q string) {
		t.Helper()
		if _, err := env.Pool.Pgx().Exec(ctx, q, p.ID); err != nil {
			t.Fatal(err)
		}
	}
	exec(`INSERT INTO entities (project_id, entity_type, name, data)
		SELECT $1, 'service', 's' || i, '{"lang":"go"}' FROM generate_series(1, 1000) i`)
	exec(`UPDATE entities SET data = '{}' WHERE project_id = $1
		AND id = (SELECT id FROM entities WHERE project_id = $1 ORDER BY id DESC LIMIT 1)`)
	strict := map[string]any{"type": "object", "required": []any{"lang"},
		"properties": map[string]any{"lang": map[string]any{"type": "string"}}}
	_, _, err := svc.RegisterEntityType(ctx, "", workflow.EntityType{Name: "service", Schema: strict}, true)
	wantCode(t, err, apperr.Validation)
	if !strings.Contains(apperr.MessageOf(err), "1 existing service entities") {
		t.Errorf("message %q, want it to count the one invalid entity in the second batch", apperr.MessageOf(err))
	}
	// 30 more invalid ones: the details list the first 20.
	exec(`UPDATE entities SET data = '{}' WHERE project_id = $1
		AND id IN (SELECT id FROM entities WHERE project_id = $1 ORDER BY id LIMIT 30)`)
	_, _, err = svc.RegisterEntityType(ctx, "", workflow.EntityType{Name: "service", Schema: strict}, true)
	e := wantCode(t, err, apperr.Validation)
	if bad, _ := e.Details["invalid_entities"].([]map[string]any); len(bad) != 20 {
		t.Errorf("invalid_entities lists %d, want the first 20", len(bad))
	}
	exec(`UPDATE entities SET data = '{"lang":"c"}' WHERE project_id = $1 AND data = '{}'`)
	if _, _, err := svc.RegisterEntityType(ctx, "", workflow.EntityType{Name: "service", Schema: strict}, true); err != nil {
		t.Errorf("all entities valid: %v", err)
	}
}
