package tool_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/mcp-memory/servers/internal/apperr"
	"github.com/mcp-memory/servers/internal/platform/tool"
)

type inner struct {
	N int `json:"n"`
}

type sampleIn struct {
	Name   string            `json:"name"`
	Count  int               `json:"count,omitempty"`
	Ratio  float64           `json:"ratio,omitempty"`
	Force  bool              `json:"force,omitempty"`
	Tags   []string          `json:"tags,omitempty"`
	Limit  *int              `json:"limit,omitempty"`
	Inner  inner             `json:"inner,omitempty"`
	Labels map[string]string `json:"labels,omitempty"`
}

type sampleOut struct {
	Greeting string `json:"greeting"`
}

func TestDecodeStrict_OK(t *testing.T) {
	seven := 7
	tests := []struct {
		name string
		in   string
		want sampleIn
	}{
		{"empty means {}", "", sampleIn{}},
		{"whitespace means {}", " \n\t", sampleIn{}},
		{"empty object", "{}", sampleIn{}},
		{"all fields", `{"name":"a","count":2,"ratio":0.5,"force":true,"tags":["x"],"limit":7,"inner":{"n":3},"labels":{"k":"v"}}`,
			sampleIn{Name: "a", Count: 2, Ratio: 0.5, Force: true, Tags: []string{"x"}, Limit: &seven, Inner: inner{N: 3}, Labels: map[string]string{"k": "v"}}},
		{"trailing whitespace", "{\"name\":\"a\"}\n  ", sampleIn{Name: "a"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got sampleIn
			if err := tool.DecodeStrict([]byte(tc.in), &got); err != nil {
				t.Fatalf("DecodeStrict(%q) = %v, want nil", tc.in, err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("decoded %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestDecodeStrict_Errors(t *testing.T) {
	tests := []struct {
		name      string
		in        string
		wantField string   // Details["field"], "" when none is expected
		wantMsg   []string // substrings of the message
	}{
		{"unknown field", `{"name":"a","nmae":"b"}`, "nmae", []string{"nmae", "unknown field"}},
		{"unknown nested field", `{"inner":{"zz":1}}`, "zz", []string{"zz", "unknown field"}},
		{"string for int", `{"count":"two"}`, "count", []string{"count", "must be an integer", "string"}},
		{"fraction for int", `{"count":1.5}`, "count", []string{"count", "must be an integer", "number"}},
		{"number for string", `{"name":5}`, "name", []string{"name", "must be a string", "number"}},
		{"string for bool", `{"force":"yes"}`, "force", []string{"force", "must be a boolean"}},
		{"object for array", `{"tags":{}}`, "tags", []string{"tags", "must be an array"}},
		{"number for array element", `{"tags":[1]}`, "tags", []string{"must be a string"}},
		{"string for number", `{"ratio":"half"}`, "ratio", []string{"ratio", "must be a number"}},
		{"string for pointer to int", `{"limit":"x"}`, "limit", []string{"limit", "must be an integer"}},
		{"string for nested int", `{"inner":{"n":"x"}}`, "inner.n", []string{"inner.n", "must be an integer"}},
		{"array for object", `{"labels":[]}`, "labels", []string{"labels", "must be an object"}},
		{"top-level array", `[1,2]`, "body", []string{"must be an object", "array"}},
		{"top-level string", `"hi"`, "body", []string{"must be an object", "string"}},
		{"trailing object", `{"name":"a"}{"name":"b"}`, "", []string{"single JSON object"}},
		{"trailing garbage", `{"name":"a"} x`, "", []string{"single JSON object"}},
		{"truncated", `{"name":`, "", []string{"malformed JSON"}},
		{"syntax error", `{"name" "a"}`, "", []string{"malformed JSON"}},
		{"not JSON", `name=a`, "", []string{"JSON"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var v sampleIn
			err := tool.DecodeStrict([]byte(tc.in), &v)
			if err == nil {
				t.Fatalf("DecodeStrict(%q) = nil, want an error", tc.in)
			}
			e, ok := apperr.As(err)
			if !ok || e.Code != apperr.Validation {
				t.Fatalf("DecodeStrict(%q) = %v (%T), want an apperr VALIDATION_ERROR", tc.in, err, err)
			}
			if tc.wantField != "" {
				if got := e.Details["field"]; got != tc.wantField {
					t.Errorf(`Details["field"] = %v, want %q`, got, tc.wantField)
				}
			}
			msg := apperr.MessageOf(err)
			for _, w := range tc.wantMsg {
				if !strings.Contains(msg, w) {
					t.Errorf("message %q does not contain %q", msg, w)
				}
			}
			if strings.Contains(msg, "json: ") {
				t.Errorf("message %q leaks encoding/json's prefix", msg)
			}
		})
	}
}

func TestDef_Meta(t *testing.T) {
	route := &tool.Route{Method: "POST", Path: "/mcp/things", Status: 201}
	d := tool.Def[sampleIn, sampleOut]{
		Name:        "create_thing",
		Title:       "Create thing",
		Description: "Creates a thing.",
		Annotations: tool.Annotations{ReadOnly: false, Destructive: true, Idempotent: false, OpenWorld: true},
		Route:       route,
	}
	want := tool.Meta{
		Name: "create_thing", Title: "Create thing", Description: "Creates a thing.",
		Annotations: tool.Annotations{Destructive: true, OpenWorld: true}, Routes: []tool.Route{*route},
	}
	if got := d.Meta(); !reflect.DeepEqual(got, want) {
		t.Errorf("Meta = %+v, want %+v", got, want)
	}
	if got := d.InputType(); got != reflect.TypeFor[sampleIn]() {
		t.Errorf("InputType = %v, want sampleIn", got)
	}
	if got := d.OutputType(); got != reflect.TypeFor[sampleOut]() {
		t.Errorf("OutputType = %v, want sampleOut", got)
	}
}

type ctxKey struct{}

func TestDef_Call(t *testing.T) {
	errBoom := errors.New("boom")
	tests := []struct {
		name       string
		args       string
		handlerErr error
		wantCalled bool
		wantOut    any
		wantCode   apperr.Code
		wantIs     error
	}{
		{"ok", `{"name":"Ada"}`, nil, true, sampleOut{Greeting: "hello Ada"}, "", nil},
		{"empty args", ``, nil, false, nil, apperr.Validation, nil},
		{"missing required field", `{"count":1}`, nil, false, nil, apperr.Validation, nil},
		{"null for a required string", `{"name":null}`, nil, false, nil, apperr.Validation, nil},
		{"null for an optional pointer", `{"name":"x","limit":null}`, nil, true, sampleOut{Greeting: "hello x"}, "", nil},
		{"unknown field stops before the handler", `{"nme":"Ada"}`, nil, false, nil, apperr.Validation, nil},
		{"type error stops before the handler", `{"name":1}`, nil, false, nil, apperr.Validation, nil},
		{"handler apperr passes through", `{"name":"x"}`, apperr.New(apperr.NotFound, "no x"), true, nil, apperr.NotFound, nil},
		{"handler plain error passes through", `{"name":"x"}`, errBoom, true, nil, apperr.Internal, errBoom},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			called := false
			var gotCtxVal any
			d := tool.Def[sampleIn, sampleOut]{
				Name: "greet",
				Handle: func(ctx context.Context, in sampleIn) (sampleOut, error) {
					called = true
					gotCtxVal = ctx.Value(ctxKey{})
					if tc.handlerErr != nil {
						return sampleOut{}, tc.handlerErr
					}
					return sampleOut{Greeting: "hello " + in.Name}, nil
				},
			}
			var tl tool.Tool = d
			ctx := context.WithValue(context.Background(), ctxKey{}, "v")
			out, err := tl.Call(ctx, json.RawMessage(tc.args))
			if called != tc.wantCalled {
				t.Errorf("handler called = %v, want %v", called, tc.wantCalled)
			}
			if called && gotCtxVal != "v" {
				t.Errorf("handler context lost the caller's values")
			}
			if got := apperr.CodeOf(err); got != tc.wantCode {
				t.Errorf("code = %q (err %v), want %q", got, err, tc.wantCode)
			}
			if tc.wantIs != nil && !errors.Is(err, tc.wantIs) {
				t.Errorf("err = %v, want it to wrap %v", err, tc.wantIs)
			}
			if tc.wantOut != nil && !reflect.DeepEqual(out, tc.wantOut) {
				t.Errorf("out = %#v, want %#v", out, tc.wantOut)
			}
		})
	}
}

func TestDef_MetaRoutesRESTOnlyAndBound(t *testing.T) {
	d := tool.Def[sampleIn, sampleOut]{
		Name:     "get_thing",
		Route:    &tool.Route{Method: "GET", Path: "/mcp/things/{name}"},
		Routes:   []tool.Route{{Method: "POST", Path: "/mcp/things/lookup"}},
		RESTOnly: true,
	}
	m := d.Meta()
	wantRoutes := []tool.Route{{Method: "GET", Path: "/mcp/things/{name}"}, {Method: "POST", Path: "/mcp/things/lookup"}}
	if !reflect.DeepEqual(m.Routes, wantRoutes) {
		t.Errorf("Routes = %+v, want %+v", m.Routes, wantRoutes)
	}
	if !m.RESTOnly {
		t.Error("RESTOnly lost")
	}
	if m.Bound {
		t.Error("a Def without Handle reports Bound")
	}
	if _, err := d.Call(context.Background(), nil); err == nil || !strings.Contains(err.Error(), "without a handler") {
		t.Errorf("calling a static definition: err = %v, want a 'without a handler' error", err)
	}
	bound := d.With(func(ctx context.Context, in sampleIn) (sampleOut, error) {
		return sampleOut{Greeting: "hi " + in.Name}, nil
	})
	if !bound.Meta().Bound {
		t.Error("With did not bind the handler")
	}
	if d.Handle != nil {
		t.Error("With changed the static definition")
	}
	out, err := bound.Call(context.Background(), json.RawMessage(`{"name":"ann"}`))
	if err != nil || out.(sampleOut).Greeting != "hi ann" {
		t.Errorf("bound Call = %v, %v", out, err)
	}
}

type checkedIn struct {
	Query string `json:"query"`
}

func (c *checkedIn) Validate() error {
	if strings.TrimSpace(c.Query) == "" {
		return apperr.Invalid("query", "must not be empty")
	}
	return nil
}

func TestDef_CallRunsValidate(t *testing.T) {
	called := false
	d := tool.Def[checkedIn, sampleOut]{Name: "search_things", Handle: func(ctx context.Context, in checkedIn) (sampleOut, error) {
		called = true
		return sampleOut{}, nil
	}}
	_, err := d.Call(context.Background(), json.RawMessage(`{"query":"  "}`))
	if apperr.CodeOf(err) != apperr.Validation || called {
		t.Fatalf("Call with a blank query: err = %v, handler called = %v; want VALIDATION_ERROR before the handler", err, called)
	}
	if _, err := d.Call(context.Background(), json.RawMessage(`{"query":"x"}`)); err != nil || !called {
		t.Fatalf("Call with a query: err = %v, handler called = %v", err, called)
	}
}

func TestCheckAnnotations(t *testing.T) {
	tests := []struct {
		name    string
		ann     tool.Annotations
		wantErr string
	}{
		{"delete_item", tool.Annotations{Destructive: true}, ""},
		{"delete_item", tool.Annotations{}, "destructiveHint"},
		{"cancel_job", tool.Annotations{Idempotent: true}, "destructiveHint"},
		{"get_item", tool.Annotations{ReadOnly: true}, ""},
		{"get_item", tool.Annotations{}, "readOnlyHint"},
		{"list_items", tool.Annotations{}, "readOnlyHint"},
		{"search_code", tool.Annotations{}, "readOnlyHint"},
		{"query_items", tool.Annotations{ReadOnly: true, Destructive: true}, "has destructiveHint"},
		{"create_item", tool.Annotations{}, ""},
		{"update_item", tool.Annotations{ReadOnly: true, Destructive: true}, "together"},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("%s %+v", tc.name, tc.ann), func(t *testing.T) {
			err := tool.CheckAnnotations(tool.Meta{Name: tc.name, Annotations: tc.ann})
			switch {
			case tc.wantErr == "" && err != nil:
				t.Errorf("err = %v, want nil", err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Errorf("err = %v, want one mentioning %q", err, tc.wantErr)
			}
		})
	}
}

func TestDef_Text(t *testing.T) {
	plain := tool.Def[sampleIn, sampleOut]{Name: "a"}
	if _, ok := plain.Render(sampleOut{}); ok {
		t.Error("a Def without Text reports a renderer")
	}
	d := tool.Def[sampleIn, sampleOut]{Name: "b", Text: func(o sampleOut) string { return "says " + o.Greeting }}
	if got, ok := d.Render(sampleOut{Greeting: "hi"}); !ok || got != "says hi" {
		t.Errorf("Text = %q, %v", got, ok)
	}
}

// Arrays and objects sent as JSON strings (as some model clients do) are
// accepted; strings that do not hold the expected shape still fail.
func TestDef_CallAcceptsJSONEncodedArraysAndObjects(t *testing.T) {
	var got sampleIn
	d := tool.Def[sampleIn, sampleOut]{Name: "x", Handle: func(_ context.Context, in sampleIn) (sampleOut, error) {
		got = in
		return sampleOut{}, nil
	}}
	_, err := d.Call(context.Background(), json.RawMessage(`{"name":"a","tags":"[\"t1\", \"t2\"]","labels":"{\"k\":\"v\"}","inner":" {\"n\":3}"}`))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got.Tags, []string{"t1", "t2"}) || got.Labels["k"] != "v" || got.Inner.N != 3 {
		t.Errorf("decoded %+v", got)
	}
	for _, bad := range []string{`{"name":"a","tags":"t1,t2"}`, `{"name":"a","tags":"{\"k\":1}"}`, `{"name":"a","labels":"[1]"}`, `{"name":"[\"x\"]","tags":"[1]"}`} {
		if _, err := d.Call(context.Background(), json.RawMessage(bad)); apperr.CodeOf(err) != apperr.Validation {
			t.Errorf("Call(%s) = %v, want VALIDATION_ERROR", bad, err)
		}
	}
	// A string field keeps a string that looks like JSON.
	if _, err := d.Call(context.Background(), json.RawMessage(`{"name":"[\"x\"]"}`)); err != nil || got.Name != `["x"]` {
		t.Errorf("string field: %q, %v", got.Name, err)
	}
}
