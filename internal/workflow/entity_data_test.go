package workflow_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/mcp-memory/servers/internal/apperr"
	"github.com/mcp-memory/servers/internal/workflow"
	"github.com/mcp-memory/servers/internal/workflow/workflowtest"
)

// TestService_EntityDataAndFilterLimits checks the entity rules the other
// tests leave out: more than 50 distinct tags, data missing 25 required
// fields (the error lists the first 20, in field order), data that is not
// JSON, an unknown order and a tag filter over 50.
func TestService_EntityDataAndFilterLimits(t *testing.T) {
	ctx := context.Background()
	env := workflowtest.New(t, workflowtest.Options{})
	env.Project(t, "p")
	svc := env.Service
	props := map[string]any{}
	var required []any
	for i := range 25 {
		name := fmt.Sprintf("f%02d", i)
		props[name] = map[string]any{"type": "string"}
		required = append(required, name)
	}
	schema := map[string]any{"type": "object", "properties": props, "required": required}
	if _, _, err := svc.RegisterEntityType(ctx, "", workflow.EntityType{Name: "wide", Schema: schema}, false); err != nil {
		t.Fatal(err)
	}
	tags := make([]string, 51)
	for i := range tags {
		tags[i] = fmt.Sprintf("t%d", i)
	}
	_, err := svc.CreateEntity(ctx, "", workflow.Entity{Type: "wide", Name: "n", Data: map[string]any{}, Tags: tags})
	if e := wantCode(t, err, apperr.Validation); e.Details["field"] != "tags" {
		t.Errorf("51 tags: details %v, want field tags", e.Details)
	}
	_, err = svc.CreateEntity(ctx, "", workflow.Entity{Type: "wide", Name: "n", Data: map[string]any{}})
	e := wantCode(t, err, apperr.Validation)
	fes, _ := e.Details["errors"].([]workflow.FieldError)
	if len(fes) != 20 || fes[0].Field != "data.f00" || fes[19].Field != "data.f19" {
		t.Errorf("25 missing fields: %d errors %v, want data.f00 to data.f19", len(fes), fes)
	}
	_, err = svc.CreateEntity(ctx, "", workflow.Entity{Type: "wide", Name: "n", Data: map[string]any{"f00": make(chan int)}})
	wantCode(t, err, apperr.Validation)
	if _, err := svc.QueryEntities(ctx, workflow.EntityFilter{Order: "size"}, workflow.Page{}); apperr.CodeOf(err) != apperr.Validation {
		t.Errorf("unknown order: %v, want Validation", err)
	}
	if _, err := svc.QueryEntities(ctx, workflow.EntityFilter{Tags: tags}, workflow.Page{}); apperr.CodeOf(err) != apperr.Validation {
		t.Errorf("51 tag filters: %v, want Validation", err)
	}
	if n := count(t, env, "entities"); n != 0 {
		t.Errorf("%d entities after rejected creates", n)
	}
}

// TestService_CreateCompletedWorkItem stamps completed_at on a work item
// created as completed, and leaves it unset otherwise.
func TestService_CreateCompletedWorkItem(t *testing.T) {
	ctx := context.Background()
	env := workflowtest.New(t, workflowtest.Options{})
	env.Project(t, "p")
	done := must[workflow.WorkItemView](t)(env.Service.CreateWorkItem(ctx, workflow.NewWorkItem{Title: "done already", Status: "completed"}))
	open := must[workflow.WorkItemView](t)(env.Service.CreateWorkItem(ctx, workflow.NewWorkItem{Title: "open"}))
	if done.CompletedAt == nil || open.CompletedAt != nil {
		t.Errorf("completed_at: created completed %v, created planned %v", done.CompletedAt, open.CompletedAt)
	}
}
