package tool_test

import (
	"context"
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/mcp-memory/servers/internal/apperr"
	"github.com/mcp-memory/servers/internal/platform/tool"
)

// fieldsIn has the field forms encoding/json treats specially: untagged
// (named after the Go field), "-" (never decoded) and unexported.
type fieldsIn struct {
	Paths  []string
	Skip   []string `json:"-"`
	hidden []string //nolint:unused // present to check it is ignored
	Items  []inner  `json:"items,omitempty"`
}

// TestDef_CallFieldForms checks required fields and JSON-encoded arrays
// on untagged fields, that "-" and unexported fields are neither
// required nor decoded, and that required fields inside array items are
// named with their path.
func TestDef_CallFieldForms(t *testing.T) {
	var got fieldsIn
	d := tool.Def[fieldsIn, sampleOut]{Name: "x", Handle: func(_ context.Context, in fieldsIn) (sampleOut, error) {
		got = in
		return sampleOut{}, nil
	}}
	ctx := context.Background()
	if _, err := d.Call(ctx, json.RawMessage(`{"Paths":"[\"a\",\"b\"]","items":[{"n":1}]}`)); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got.Paths, []string{"a", "b"}) || len(got.Items) != 1 || got.Items[0].N != 1 {
		t.Errorf("decoded %+v", got)
	}
	tests := map[string]string{
		`{}`:                          "Paths",
		`{"Paths":[],"items":[{}]}`:   "items[].n",
		`{"Paths":[],"-":["x"]}`:      "-",
		`{"Paths":[],"hidden":["x"]}`: "hidden",
	}
	for args, field := range tests {
		_, err := d.Call(ctx, json.RawMessage(args))
		if apperr.CodeOf(err) != apperr.Validation || !strings.Contains(err.Error(), field) {
			t.Errorf("Call(%s) = %v, want a Validation error naming %s", args, err, field)
		}
	}
}
