package workflow_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/mcp-memory/servers/internal/apperr"
	"github.com/mcp-memory/servers/internal/workflow"
	"github.com/mcp-memory/servers/internal/workflow/workflowtest"
)

func vendorSchema() map[string]any {
	return map[string]any{
		"$schema":  "https://json-schema.org/draft/2020-12/schema",
		"type":     "object",
		"required": []any{"status"},
		"properties": map[string]any{
			"status":  map[string]any{"type": "string", "enum": []any{"operational", "broken"}},
			"version": map[string]any{"type": "string"},
			"address": map[string]any{"type": "object", "required": []any{"city"},
				"properties": map[string]any{"city": map[string]any{"type": "string"}}},
		},
	}
}

func register(t *testing.T, svc *workflow.Service, name string, schema map[string]any, validate bool) (workflow.EntityType, error) {
	t.Helper()
	et, _, err := svc.RegisterEntityType(context.Background(), "", workflow.EntityType{Name: name, Schema: schema}, validate)
	return et, err
}

func TestService_EntityValidation(t *testing.T) {
	ctx := context.Background()
	env := workflowtest.New(t, workflowtest.Options{})
	env.Project(t, "p")
	svc := env.Service
	must[workflow.EntityType](t)(register(t, svc, "vendor", vendorSchema(), false))

	t.Run("OK", func(t *testing.T) {
		e := must[workflow.Entity](t)(svc.CreateEntity(ctx, "", workflow.Entity{Type: "vendor", Name: "acme",
			Data: map[string]any{"status": "operational", "address": map[string]any{"city": "Oslo"}}, Tags: []string{"b", "a", "a"}}))
		if e.Version != 1 || strings.Join(e.Tags, ",") != "a,b" {
			t.Fatalf("got %+v", e)
		}
	})
	for _, tc := range []struct {
		name   string
		data   map[string]any
		fields []string
	}{
		{"ErrRequired", map[string]any{"version": "1"}, []string{"data.status"}},
		{"ErrEnum", map[string]any{"status": "fine"}, []string{"data.status"}},
		{"ErrNestedType", map[string]any{"status": "broken", "address": map[string]any{"city": 7}}, []string{"data.address.city"}},
		{"ErrNestedRequired", map[string]any{"status": "broken", "address": map[string]any{}}, []string{"data.address.city"}},
		{"ErrTwoFields", map[string]any{"status": 1, "version": 2}, []string{"data.status", "data.version"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := svc.CreateEntity(ctx, "", workflow.Entity{Type: "vendor", Name: tc.name, Data: tc.data})
			e := wantCode(t, err, apperr.Validation)
			errs, _ := e.Details["errors"].([]workflow.FieldError)
			var got []string
			for _, fe := range errs {
				got = append(got, fe.Field)
				if !strings.Contains(e.Message, fe.Field) {
					t.Errorf("message %q does not name %s", e.Message, fe.Field)
				}
			}
			if strings.Join(got, ",") != strings.Join(tc.fields, ",") {
				t.Errorf("failing fields %v, want %v (message %q)", got, tc.fields, e.Message)
			}
		})
	}
	t.Run("ErrDuplicateName", func(t *testing.T) {
		_, err := svc.CreateEntity(ctx, "", workflow.Entity{Type: "vendor", Name: "ACME", Data: map[string]any{"status": "broken"}})
		wantCode(t, err, apperr.AlreadyExists)
	})
	t.Run("ErrUnknownType", func(t *testing.T) {
		_, err := svc.CreateEntity(ctx, "", workflow.Entity{Type: "nope", Name: "x", Data: map[string]any{}})
		wantCode(t, err, apperr.NotFound)
	})
	t.Run("ErrBadSchemas", func(t *testing.T) {
		for name, schema := range map[string]map[string]any{
			"draft4":    {"$schema": "http://json-schema.org/draft-04/schema#", "type": "object"},
			"notObject": {"type": "string"},
			"invalid":   {"type": "object", "properties": map[string]any{"a": map[string]any{"type": "nonsense"}}},
			"remoteRef": {"type": "object", "properties": map[string]any{"a": map[string]any{"$ref": "file:///etc/passwd"}}},
			"empty":     {},
		} {
			if _, err := register(t, svc, "t_"+strings.ToLower(name), schema, false); apperr.CodeOf(err) != apperr.Validation {
				t.Errorf("%s: err %v, want VALIDATION_ERROR", name, err)
			}
		}
		_, err := register(t, svc, "t_invalid", map[string]any{"type": "object", "properties": map[string]any{"a": map[string]any{"type": "nonsense"}}}, false)
		if !strings.Contains(apperr.MessageOf(err), "schema.properties.a.type") {
			t.Errorf("invalid schema error does not name the keyword: %v", err)
		}
		if _, err := register(t, svc, "Bad-Name", map[string]any{"type": "object"}, false); apperr.CodeOf(err) != apperr.Validation {
			t.Errorf("bad type name: err %v", err)
		}
	})
	t.Run("Draft7", func(t *testing.T) {
		must[workflow.EntityType](t)(register(t, svc, "mechanic", map[string]any{"$schema": "http://json-schema.org/draft-07/schema#",
			"type": "object", "properties": map[string]any{"n": map[string]any{"type": "integer", "exclusiveMinimum": 0}}}, false))
		_, err := svc.CreateEntity(ctx, "", workflow.Entity{Type: "mechanic", Name: "m", Data: map[string]any{"n": 0}})
		wantCode(t, err, apperr.Validation)
		must[workflow.Entity](t)(svc.CreateEntity(ctx, "", workflow.Entity{Type: "mechanic", Name: "m", Data: map[string]any{"n": 2}}))
	})
}

func TestService_EntityTypeEvolution(t *testing.T) {
	ctx := context.Background()
	env := workflowtest.New(t, workflowtest.Options{})
	env.Project(t, "p")
	svc := env.Service
	et := must[workflow.EntityType](t)(register(t, svc, "vendor", vendorSchema(), false))
	if et.SchemaVersion != 1 {
		t.Fatalf("version %d", et.SchemaVersion)
	}
	must[workflow.Entity](t)(svc.CreateEntity(ctx, "", workflow.Entity{Type: "vendor", Name: "old", Data: map[string]any{"status": "broken"}}))

	edit := func(f func(s map[string]any)) map[string]any {
		s := vendorSchema()
		f(s)
		return s
	}
	props := func(s map[string]any) map[string]any { return s["properties"].(map[string]any) }

	t.Run("SameSchemaChangesNothing", func(t *testing.T) {
		if got := must[workflow.EntityType](t)(register(t, svc, "vendor", vendorSchema(), false)); got.SchemaVersion != 1 {
			t.Errorf("version %d, want 1", got.SchemaVersion)
		}
	})
	version := 1
	for _, tc := range []struct {
		name   string
		schema map[string]any
	}{
		{"AddOptionalField", edit(func(s map[string]any) { props(s)["owner"] = map[string]any{"type": "string"} })},
		{"RelaxRequired", edit(func(s map[string]any) {
			props(s)["owner"] = map[string]any{"type": "string"}
			s["required"] = []any{}
		})},
		{"EditDescription", edit(func(s map[string]any) {
			props(s)["owner"] = map[string]any{"type": "string", "description": "who"}
			s["required"] = []any{}
		})},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := must[workflow.EntityType](t)(register(t, svc, "vendor", tc.schema, false))
			version++
			if got.SchemaVersion != version {
				t.Errorf("version %d, want %d", got.SchemaVersion, version)
			}
		})
	}
	current := edit(func(s map[string]any) {
		props(s)["owner"] = map[string]any{"type": "string", "description": "who"}
		s["required"] = []any{}
	})
	for _, tc := range []struct {
		name   string
		schema map[string]any
		want   string
	}{
		{"ErrAddRequired", edit(func(s map[string]any) {
			props(s)["owner"] = map[string]any{"type": "string"}
			s["required"] = []any{"owner"}
		}), `"owner" becomes required`},
		{"ErrRemoveField", edit(func(s map[string]any) { s["required"] = []any{}; delete(props(s), "version") }), "schema.version: property removed"},
		{"ErrChangeType", edit(func(s map[string]any) {
			s["required"] = []any{}
			props(s)["owner"] = map[string]any{"type": "integer"}
		}), `schema.owner: "type" changed`},
		{"ErrCloseAdditional", edit(func(s map[string]any) {
			s["required"] = []any{}
			props(s)["owner"] = map[string]any{"type": "string"}
			s["additionalProperties"] = false
		}), "additionalProperties tightened"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := register(t, svc, "vendor", tc.schema, false)
			if e := wantCode(t, err, apperr.Validation); !strings.Contains(e.Message, tc.want) {
				t.Errorf("message %q does not contain %q", e.Message, tc.want)
			}
			got := must[workflow.EntityType](t)(register(t, svc, "vendor", current, false))
			if got.SchemaVersion != version {
				t.Errorf("rejected change moved the version to %d", got.SchemaVersion)
			}
		})
	}
	t.Run("ValidateExisting", func(t *testing.T) {
		// "old" has no owner: requiring it fails re-validation and changes nothing.
		requireOwner := edit(func(s map[string]any) {
			props(s)["owner"] = map[string]any{"type": "string"}
			s["required"] = []any{"owner"}
		})
		_, err := register(t, svc, "vendor", requireOwner, true)
		if e := wantCode(t, err, apperr.Validation); !strings.Contains(e.Message, "old") {
			t.Errorf("message %q does not name the failing entity", e.Message)
		}
		e := must[workflow.List[workflow.Entity]](t)(svc.QueryEntities(ctx, workflow.EntityFilter{Type: "vendor"}, workflow.Page{}))
		must[workflow.Entity](t)(svc.UpdateEntity(ctx, workflow.EntityUpdate{ID: e.Items[0].ID, Version: 1,
			Data: map[string]any{"status": "broken", "owner": "ops"}}))
		got := must[workflow.EntityType](t)(register(t, svc, "vendor", requireOwner, true))
		if got.SchemaVersion != version+1 {
			t.Errorf("version %d, want %d", got.SchemaVersion, version+1)
		}
		_, err = svc.CreateEntity(ctx, "", workflow.Entity{Type: "vendor", Name: "new", Data: map[string]any{"status": "broken"}})
		wantCode(t, err, apperr.Validation)
	})
}

func TestService_UpdateEntity(t *testing.T) {
	ctx := context.Background()
	env := workflowtest.New(t, workflowtest.Options{MaxConns: 10})
	env.Project(t, "p")
	svc := env.Service
	must[workflow.EntityType](t)(register(t, svc, "vendor", vendorSchema(), false))
	e := must[workflow.Entity](t)(svc.CreateEntity(ctx, "", workflow.Entity{Type: "vendor", Name: "acme", Data: map[string]any{"status": "broken"}}))

	t.Run("ErrInvalidChangesNothing", func(t *testing.T) {
		_, err := svc.UpdateEntity(ctx, workflow.EntityUpdate{ID: e.ID, Version: 1, Data: map[string]any{"status": "meh"}})
		wantCode(t, err, apperr.Validation)
	})
	t.Run("ConcurrentSameVersionOneWins", func(t *testing.T) {
		var wins, conflicts atomic.Int32
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range 10 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				_, err := svc.UpdateEntity(ctx, workflow.EntityUpdate{ID: e.ID, Version: 1,
					Data: map[string]any{"status": "operational", "version": fmt.Sprint(i)}})
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
	})
	t.Run("ErrStaleVersionNamesCurrent", func(t *testing.T) {
		_, err := svc.UpdateEntity(ctx, workflow.EntityUpdate{ID: e.ID, Version: 1, Data: map[string]any{"status": "broken"}})
		if ae := wantCode(t, err, apperr.VersionConflict); ae.Details["current_version"] != 2 {
			t.Errorf("details %v", ae.Details)
		}
	})
	t.Run("Delete", func(t *testing.T) {
		_, err := svc.DeleteEntity(ctx, "", e.ID, false)
		wantCode(t, err, apperr.Validation)
		d := must[workflow.Entity](t)(svc.DeleteEntity(ctx, "", e.ID, true))
		if d.DeletedAt == nil {
			t.Fatal("not deleted")
		}
		_, err = svc.UpdateEntity(ctx, workflow.EntityUpdate{ID: e.ID, Version: d.Version, Data: map[string]any{"status": "broken"}})
		wantCode(t, err, apperr.NotFound)
		// The name is free again.
		must[workflow.Entity](t)(svc.CreateEntity(ctx, "", workflow.Entity{Type: "vendor", Name: "acme", Data: map[string]any{"status": "broken"}}))
	})
}

func TestService_QueryEntities(t *testing.T) {
	ctx := context.Background()
	env := workflowtest.New(t, workflowtest.Options{})
	svc := env.Service
	other := must[workflow.Project](t)(svc.CreateProject(ctx, "other", ""))
	env.Project(t, "p")
	must[workflow.EntityType](t)(register(t, svc, "vendor", vendorSchema(), false))
	if _, _, err := svc.RegisterEntityType(ctx, other.ID, workflow.EntityType{Name: "vendor", Schema: vendorSchema()}, false); err != nil {
		t.Fatal(err)
	}
	for i := range 30 {
		status := []string{"operational", "broken"}[i%2]
		tags := []string{"eu"}
		if i%3 == 0 {
			tags = append(tags, "critical")
		}
		must[workflow.Entity](t)(svc.CreateEntity(ctx, "", workflow.Entity{Type: "vendor", Name: fmt.Sprintf("v%02d", i),
			Data: map[string]any{"status": status, "address": map[string]any{"city": []string{"Oslo", "Rome"}[i%2]}}, Tags: tags}))
	}
	must[workflow.Entity](t)(svc.CreateEntity(ctx, other.ID, workflow.Entity{Type: "vendor", Name: "v00", Data: map[string]any{"status": "broken"}}))

	query := func(f workflow.EntityFilter, limit int) []string {
		t.Helper()
		var names []string
		for cursor := ""; ; {
			l := must[workflow.List[workflow.Entity]](t)(svc.QueryEntities(ctx, f, workflow.Page{Limit: limit, Cursor: cursor}))
			for _, e := range l.Items {
				names = append(names, e.Name)
			}
			if cursor = l.NextCursor; cursor == "" {
				return names
			}
		}
	}
	if got := query(workflow.EntityFilter{Contains: map[string]any{"status": "broken"}}, 4); len(got) != 15 {
		t.Errorf("containment: %d, want 15", len(got))
	}
	if got := query(workflow.EntityFilter{Contains: map[string]any{"status": "broken", "address": map[string]any{"city": "Rome"}}}, 50); len(got) != 15 {
		t.Errorf("nested containment: %d, want 15", len(got))
	}
	if got := query(workflow.EntityFilter{Contains: map[string]any{"status": "broken", "address": map[string]any{"city": "Oslo"}}}, 50); len(got) != 0 {
		t.Errorf("contradicting containment: %v", got)
	}
	if got := query(workflow.EntityFilter{Tags: []string{"critical", "eu"}}, 3); len(got) != 10 {
		t.Errorf("tags: %d, want 10", len(got))
	}
	got := query(workflow.EntityFilter{Order: "-name"}, 7)
	if len(got) != 30 || got[0] != "v29" || got[29] != "v00" {
		t.Errorf("-name order: %v", got)
	}
	if got := query(workflow.EntityFilter{Order: "name", Tags: []string{"critical"}}, 2); strings.Join(got, ",") != "v00,v03,v06,v09,v12,v15,v18,v21,v24,v27" {
		t.Errorf("name order with tags: %v", got)
	}
	t.Run("ErrCursorFromOtherOrder", func(t *testing.T) {
		l := must[workflow.List[workflow.Entity]](t)(svc.QueryEntities(ctx, workflow.EntityFilter{Order: "name"}, workflow.Page{Limit: 1}))
		_, err := svc.QueryEntities(ctx, workflow.EntityFilter{Order: "-created_at"}, workflow.Page{Limit: 1, Cursor: l.NextCursor})
		wantCode(t, err, apperr.Validation)
		_, err = svc.QueryEntities(ctx, workflow.EntityFilter{}, workflow.Page{Cursor: "garbage"})
		wantCode(t, err, apperr.Validation)
		_, err = svc.QueryEntities(ctx, workflow.EntityFilter{}, workflow.Page{Limit: 501})
		wantCode(t, err, apperr.Validation)
	})
}
