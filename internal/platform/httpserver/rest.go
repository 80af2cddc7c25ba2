package httpserver

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"reflect"
	"regexp"
	"strconv"
	"strings"

	"github.com/mcp-memory/servers/internal/apperr"
	"github.com/mcp-memory/servers/internal/platform/tool"
)

var wildcard = regexp.MustCompile(`\{([A-Za-z_][A-Za-z0-9_]*)\}`)

// rest serves t at its REST route: the JSON body, path wildcards and query
// parameters are merged into one JSON object and passed to the same Call
// the MCP tool uses, so both transports validate alike.
func (s *Server) rest(t tool.Tool, route tool.Route) http.Handler {
	status := route.Status
	if status == 0 {
		status = http.StatusOK
	}
	var pathNames []string
	for _, m := range wildcard.FindAllStringSubmatch(route.Path, -1) {
		pathNames = append(pathNames, m[1])
	}
	fields := jsonFields(t.InputType())
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		args, err := requestArgs(r, pathNames, fields, s.cfg.MaxBodyBytes)
		if err != nil {
			writeError(w, r, s.deps.Logger, err)
			return
		}
		ctx, cancel := context.WithTimeout(r.Context(), s.cfg.RequestTimeout)
		defer cancel()
		out, err := t.Call(ctx, args)
		if err != nil {
			writeError(w, r, s.deps.Logger, err)
			return
		}
		writeJSON(w, status, out)
	})
}

// requestArgs builds the tool's JSON arguments from the request.
func requestArgs(r *http.Request, pathNames []string, fields map[string]reflect.Type, limit int64) (json.RawMessage, error) {
	obj := map[string]json.RawMessage{}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return nil, tooLarge(limit)
		}
		return nil, apperr.Wrap(err, apperr.Validation, "could not read the request body")
	}
	if len(strings.TrimSpace(string(body))) > 0 {
		if err := json.Unmarshal(body, &obj); err != nil {
			return nil, apperr.New(apperr.Validation, "request body must be a JSON object: %v", err)
		}
	}
	for _, name := range pathNames {
		v, err := literal(name, r.PathValue(name), fields[name])
		if err != nil {
			return nil, err
		}
		obj[name] = v
	}
	for name, vals := range r.URL.Query() {
		if _, inBody := obj[name]; inBody {
			return nil, apperr.Invalid(name, "given both in the query string and in the body; give it once")
		}
		t := fields[name]
		var v json.RawMessage
		if t != nil && t.Kind() == reflect.Slice && t.Elem().Kind() != reflect.Uint8 {
			var parts []json.RawMessage
			for _, raw := range vals {
				for _, p := range strings.Split(raw, ",") {
					lit, err := literal(name, p, t.Elem())
					if err != nil {
						return nil, err
					}
					parts = append(parts, lit)
				}
			}
			v, _ = json.Marshal(parts)
		} else {
			if len(vals) > 1 {
				return nil, apperr.Invalid(name, "given %d times; give it once", len(vals))
			}
			if v, err = literal(name, vals[0], t); err != nil {
				return nil, err
			}
		}
		obj[name] = v
	}
	return json.Marshal(obj)
}

// literal turns a path or query string into the JSON value the input field
// t expects: numbers and booleans unquoted, objects as their JSON text,
// everything else as a string.
func literal(name, s string, t reflect.Type) (json.RawMessage, error) {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == nil {
		return json.Marshal(s)
	}
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		if _, err := strconv.ParseInt(s, 10, 64); err != nil {
			return nil, apperr.Invalid(name, "must be an integer, got %q", s)
		}
		return json.RawMessage(s), nil
	case reflect.Float32, reflect.Float64:
		if _, err := strconv.ParseFloat(s, 64); err != nil {
			return nil, apperr.Invalid(name, "must be a number, got %q", s)
		}
		return json.RawMessage(s), nil
	case reflect.Bool:
		b, err := strconv.ParseBool(s)
		if err != nil {
			return nil, apperr.Invalid(name, "must be true or false, got %q", s)
		}
		return json.Marshal(b)
	case reflect.Map, reflect.Struct, reflect.Interface:
		if t.Kind() == reflect.Interface || json.Valid([]byte(s)) {
			if json.Valid([]byte(s)) {
				return json.RawMessage(s), nil
			}
			return json.Marshal(s)
		}
		return nil, apperr.Invalid(name, "must be a JSON object, got %q", s)
	}
	return json.Marshal(s)
}

// jsonFields maps the JSON names of struct type t's fields to their types.
func jsonFields(t reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct {
		return out
	}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			continue
		}
		if name == "" {
			name = f.Name
		}
		out[name] = f.Type
	}
	return out
}
