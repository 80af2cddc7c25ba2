// Package tool declares an operation once, so that the MCP server serves it
// as a tool and the HTTP server as its REST route, both calling the same
// handler with the same validation.
package tool

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"

	"github.com/mcp-memory/servers/internal/apperr"
)

// Annotations are the MCP tool hints. All four are always sent explicitly.
type Annotations struct {
	ReadOnly    bool
	Destructive bool
	Idempotent  bool
	OpenWorld   bool
}

// Route is the REST form of an operation, e.g. POST /mcp/search.
type Route struct {
	// Method is the HTTP method.
	Method string
	// Path is a net/http ServeMux pattern path; {name} segments fill the
	// input field with the JSON name "name".
	Path string
	// Status is the success status code (default 200).
	Status int
}

// Meta describes an operation.
type Meta struct {
	Name        string
	Title       string
	Description string
	Annotations Annotations
	// Routes are the REST forms of the operation (none for MCP-only ones).
	Routes []Route
	// RESTOnly operations are served at their routes but are not MCP
	// tools: REST shapes of an operation whose MCP tool has another form
	// (GET /mcp/projects/active answers 404 where the tool answers null).
	RESTOnly bool
	// Bound is false for a static definition whose handler is not set:
	// it can be listed, documented and snapshotted, not served.
	Bound bool
}

// Tool is the type-erased form of a [Def] that servers consume.
type Tool interface {
	Meta() Meta
	// InputType and OutputType are the Go types the JSON schemas are built from.
	InputType() reflect.Type
	OutputType() reflect.Type
	// Call decodes args strictly into the input type and runs the handler.
	Call(ctx context.Context, args json.RawMessage) (any, error)
	// Render renders a result of Call as the MCP text content; ok is
	// false when the operation has no renderer (the text is then the JSON).
	Render(out any) (text string, ok bool)
}

// Def is an operation with typed input and output. In and Out are structs
// with json tags (and jsonschema tags for descriptions).
//
// A Def without Handle is a static definition: everything but the handler
// is known without dependencies (no database, no services), so tool
// lists, schema snapshots and docs are built from it; the server binds
// handlers with [Def.With] once its services exist.
type Def[In, Out any] struct {
	Name        string
	Title       string
	Description string
	Annotations Annotations
	// Route is the REST form; Routes lists further ones (one operation may
	// be served at several routes, e.g. GET /x/{id} and POST /x/lookup
	// when In accepts both shapes).
	Route  *Route
	Routes []Route
	// RESTOnly: see [Meta.RESTOnly].
	RESTOnly bool
	Handle   func(ctx context.Context, in In) (Out, error)
	// Text, when set, renders the MCP text content of a result: compact
	// and readable for a model (say when more exists and how to get it).
	// The structured content is always the JSON of Out, as REST answers.
	Text func(out Out) string
}

var _ Tool = Def[struct{}, struct{}]{}

// Render implements [Tool].
func (d Def[In, Out]) Render(out any) (string, bool) {
	o, ok := out.(Out)
	if d.Text == nil || !ok {
		return "", false
	}
	return d.Text(o), true
}

// Validator is implemented by inputs that check themselves. [Def.Call]
// runs it after decoding, for every transport alike, before the handler.
// The service stays the authority on rules that need state.
type Validator interface {
	Validate() error
}

// With returns a copy of d bound to handle.
func (d Def[In, Out]) With(handle func(ctx context.Context, in In) (Out, error)) Def[In, Out] {
	d.Handle = handle
	return d
}

// Meta implements [Tool].
func (d Def[In, Out]) Meta() Meta {
	var routes []Route
	if d.Route != nil {
		routes = append(routes, *d.Route)
	}
	routes = append(routes, d.Routes...)
	return Meta{Name: d.Name, Title: d.Title, Description: d.Description, Annotations: d.Annotations,
		Routes: routes, RESTOnly: d.RESTOnly, Bound: d.Handle != nil}
}

// InputType implements [Tool].
func (d Def[In, Out]) InputType() reflect.Type { return reflect.TypeFor[In]() }

// OutputType implements [Tool].
func (d Def[In, Out]) OutputType() reflect.Type { return reflect.TypeFor[Out]() }

// Call implements [Tool]: it is the one validation path of both
// transports (strict decoding, required fields, then the input's own
// Validate), so a REST
// body and MCP arguments with the same content get the same answer.
func (d Def[In, Out]) Call(ctx context.Context, args json.RawMessage) (any, error) {
	if d.Handle == nil {
		return nil, fmt.Errorf("tool %s: static definition called without a handler (bind it with Def.With)", d.Name)
	}
	var in In
	if len(bytes.TrimSpace(args)) == 0 {
		args = []byte("{}")
	}
	args = unwrapEncoded(args, reflect.TypeFor[In]())
	if err := DecodeStrict(args, &in); err != nil {
		return nil, err
	}
	if err := checkRequired(args, reflect.TypeFor[In](), ""); err != nil {
		return nil, err
	}
	if v, ok := any(&in).(Validator); ok {
		if err := v.Validate(); err != nil {
			return nil, err
		}
	}
	return d.Handle(ctx, in)
}

// DecodeStrict decodes one JSON value into v, rejecting unknown fields and
// trailing data with a VALIDATION_ERROR that names the problem. An empty
// input decodes as {}.
func DecodeStrict(data []byte, v any) error {
	if len(bytes.TrimSpace(data)) == 0 {
		data = []byte("{}")
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return decodeError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return apperr.New(apperr.Validation, "request body must hold a single JSON object")
	}
	return nil
}

func decodeError(err error) error {
	var typeErr *json.UnmarshalTypeError
	var syntaxErr *json.SyntaxError
	switch {
	case errors.As(err, &typeErr):
		field := typeErr.Field
		if field == "" {
			field = "body"
		}
		return apperr.Invalid(field, "must be %s, got JSON %s", jsonKind(typeErr.Type), typeErr.Value)
	case errors.As(err, &syntaxErr):
		return apperr.New(apperr.Validation, "malformed JSON at byte %d: %v", syntaxErr.Offset, err)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return apperr.Invalid(name, "unknown field; check the spelling against the tool's input schema")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return apperr.New(apperr.Validation, "malformed JSON: unexpected end of input")
	}
	return apperr.New(apperr.Validation, "invalid JSON: %v", err)
}

func jsonKind(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "a boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Map, reflect.Struct:
		return "an object"
	}
	return fmt.Sprintf("a %s", t)
}
