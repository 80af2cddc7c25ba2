package pgstore_test

import (
	"context"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/mcp-memory/servers/internal/apperr"
	"github.com/mcp-memory/servers/internal/workflow"
	"github.com/mcp-memory/servers/internal/workflow/workflowtest"
)

// The store translates PostgreSQL errors into apperr codes.
func TestStore_ErrorMapping(t *testing.T) {
	ctx := context.Background()
	env := workflowtest.New(t, workflowtest.Options{})
	s := env.Store
	p, err := s.CreateProject(ctx, workflow.Project{Name: "Alpha"})
	if err != nil {
		t.Fatal(err)
	}

	t.Run("UniqueViolationIsAlreadyExists", func(t *testing.T) {
		_, err := s.CreateProject(ctx, workflow.Project{Name: "alpha"})
		if apperr.CodeOf(err) != apperr.AlreadyExists || !strings.Contains(apperr.MessageOf(err), "project with this name") {
			t.Errorf("err %v", err)
		}
	})
	t.Run("NoRowsIsNotFound", func(t *testing.T) {
		_, err := s.ProjectByID(ctx, uuid.NewString())
		if apperr.CodeOf(err) != apperr.NotFound {
			t.Errorf("err %v", err)
		}
		_, err = s.ActiveProject(ctx)
		if apperr.CodeOf(err) != apperr.NotFound {
			t.Errorf("active: err %v", err)
		}
	})
	t.Run("CheckViolationIsValidation", func(t *testing.T) {
		id := uuid.NewString()
		path := []string{uuid.NewString(), uuid.NewString(), uuid.NewString(), uuid.NewString(), uuid.NewString(), id}
		_, err := s.CreateWorkItem(ctx, workflow.WorkItem{ProjectID: p.ID, ID: id, Path: path, Type: "task", Title: "deep", Status: "planned"})
		// The parent does not exist, so the foreign key or the depth check refuses it.
		if c := apperr.CodeOf(err); c != apperr.Validation && c != apperr.NotFound {
			t.Errorf("err %v", err)
		}
		_, err = s.CreateWorkItem(ctx, workflow.WorkItem{ProjectID: p.ID, ID: id, Path: []string{id}, Type: "epic", Title: "x", Status: "planned"})
		if apperr.CodeOf(err) != apperr.Validation {
			t.Errorf("bad type: err %v", err)
		}
	})
	t.Run("ForeignKeyIsNotFound", func(t *testing.T) {
		_, err := s.CreateEntity(ctx, workflow.Entity{ProjectID: p.ID, Type: "nope", Name: "x", Data: map[string]any{}})
		if apperr.CodeOf(err) != apperr.NotFound {
			t.Errorf("err %v", err)
		}
	})
	t.Run("StaleVersionIsConflict", func(t *testing.T) {
		if _, err := s.CreateEntityType(ctx, workflow.EntityType{ProjectID: p.ID, Name: "t", Schema: map[string]any{"type": "object"}}); err != nil {
			t.Fatal(err)
		}
		e, err := s.CreateEntity(ctx, workflow.Entity{ProjectID: p.ID, Type: "t", Name: "x", Data: map[string]any{}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.UpdateEntity(ctx, e, 1); err != nil {
			t.Fatal(err)
		}
		_, err = s.UpdateEntity(ctx, e, 1)
		ae, ok := apperr.As(err)
		if !ok || ae.Code != apperr.VersionConflict || ae.Details["current_version"] != 2 {
			t.Errorf("err %v", err)
		}
		_, err = s.UpdateEntityType(ctx, workflow.EntityType{ProjectID: p.ID, Name: "t", Schema: map[string]any{"type": "object"}}, 7)
		if apperr.CodeOf(err) != apperr.VersionConflict {
			t.Errorf("entity type: err %v", err)
		}
	})
}
