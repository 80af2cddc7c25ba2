package tooltest_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/mcp-memory/servers/internal/apperr"
	"github.com/mcp-memory/servers/internal/platform/tool"
	"github.com/mcp-memory/servers/internal/platform/tool/tooltest"
)

type searchIn struct {
	Query     string `json:"query"`
	Limit     int    `json:"limit,omitempty"`
	ProjectID string `json:"project_id,omitempty"`
}

func (in *searchIn) Validate() error {
	if strings.TrimSpace(in.Query) == "" {
		return apperr.Invalid("query", "must not be empty or whitespace")
	}
	if in.Limit != 0 && (in.Limit < 1 || in.Limit > 50) {
		return apperr.Invalid("limit", "must be from 1 to 50")
	}
	return nil
}

type searchOut struct {
	Results []string `json:"results"`
}

type getIn struct {
	ID string `json:"id"`
}

// The parity table of the platform: the same inputs through REST and MCP
// give the same outcome and code, validation included (before, MCP
// checked the schema and REST did not, so POST {} reached the handler).
func TestParity(t *testing.T) {
	reached := 0
	search := tool.Def[searchIn, searchOut]{
		Name: "search_things", Annotations: tool.Annotations{ReadOnly: true},
		Route: &tool.Route{Method: "POST", Path: "/mcp/search"},
		Handle: func(_ context.Context, in searchIn) (searchOut, error) {
			reached++
			if in.ProjectID == "nope" {
				return searchOut{}, apperr.New(apperr.NotFound, "project nope not found")
			}
			if in.ProjectID == "broken" {
				return searchOut{}, errors.New("boom")
			}
			return searchOut{Results: []string{in.Query}}, nil
		},
	}
	get := tool.Def[getIn, searchOut]{
		Name: "get_thing", Annotations: tool.Annotations{ReadOnly: true},
		Route: &tool.Route{Method: "GET", Path: "/mcp/things/{id}"},
		Handle: func(_ context.Context, in getIn) (searchOut, error) {
			if in.ID != "t1" {
				return searchOut{}, apperr.New(apperr.NotFound, "thing %s not found", in.ID)
			}
			return searchOut{Results: []string{in.ID}}, nil
		},
	}
	tooltest.Parity(t, []tool.Tool{search, get}, []tooltest.Case{
		{"ok", "search_things", `{"query":"parse config"}`, ""},
		{"empty body", "search_things", `{}`, "VALIDATION_ERROR"},
		{"whitespace query", "search_things", `{"query":"  "}`, "VALIDATION_ERROR"},
		{"limit out of range", "search_things", `{"query":"x","limit":51}`, "VALIDATION_ERROR"},
		{"wrong type", "search_things", `{"query":5}`, "VALIDATION_ERROR"},
		{"null query", "search_things", `{"query":null}`, "VALIDATION_ERROR"},
		{"unknown field", "search_things", `{"query":"x","qurey":"y"}`, "VALIDATION_ERROR"},
		{"unknown project", "search_things", `{"query":"x","project_id":"nope"}`, "NOT_FOUND"},
		{"internal", "search_things", `{"query":"x","project_id":"broken"}`, "INTERNAL_ERROR"},
		{"get ok", "get_thing", `{"id":"t1"}`, ""},
		{"get missing", "get_thing", `{"id":"t2"}`, "NOT_FOUND"},
	})
	// Each valid-looking case reached the handler once per transport; the
	// invalid ones never did.
	if reached != 2*3 {
		t.Errorf("handler reached %d times, want 6 (3 valid cases x 2 transports)", reached)
	}
}
