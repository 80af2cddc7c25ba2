package workflow

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
	"golang.org/x/text/language"
	"golang.org/x/text/message"

	"github.com/mcp-memory/servers/internal/apperr"
)

// EntityType is a user-defined kind of entity whose data must match a JSON
// Schema (draft 2020-12, the default, or draft 7).
type EntityType struct {
	ProjectID   string
	Name        string
	Description string
	Schema      map[string]any
	// SchemaVersion starts at 1 and grows with every schema change.
	SchemaVersion int
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

var typeNameRE = regexp.MustCompile(`^[a-z][a-z0-9_]{0,63}$`)

// Validate checks the name and that the schema is a valid JSON Schema of a
// supported draft describing an object.
func (t EntityType) Validate() error {
	if !typeNameRE.MatchString(t.Name) {
		return apperr.Invalid("type_name", "must be 1-64 characters of a-z, 0-9 and _, starting with a letter, got %q", t.Name)
	}
	if len(t.Description) > 10000 {
		return apperr.Invalid("description", "must be at most 10000 characters")
	}
	_, err := compileSchema(t.Schema)
	return err
}

// Supported drafts: the $schema URIs accepted (absent means 2020-12).
var draftURIs = map[string]*jsonschema.Draft{
	"https://json-schema.org/draft/2020-12/schema":  jsonschema.Draft2020,
	"https://json-schema.org/draft/2020-12/schema#": jsonschema.Draft2020,
	"http://json-schema.org/draft-07/schema":        jsonschema.Draft7,
	"http://json-schema.org/draft-07/schema#":       jsonschema.Draft7,
	"https://json-schema.org/draft-07/schema":       jsonschema.Draft7,
	"https://json-schema.org/draft-07/schema#":      jsonschema.Draft7,
}

// compileSchema compiles a schema document. Remote and file references are
// refused: a schema must be self-contained, and the server must never
// fetch URLs or read files on a client's behalf.
func compileSchema(doc map[string]any) (*jsonschema.Schema, error) {
	if len(doc) == 0 {
		return nil, apperr.Invalid("schema", "is required: a JSON Schema object such as {\"type\":\"object\",\"properties\":{...}}")
	}
	if v, ok := doc["$schema"]; ok {
		s, _ := v.(string)
		if draftURIs[s] == nil {
			return nil, apperr.Invalid("schema", "$schema %v is not supported; use draft 2020-12 (https://json-schema.org/draft/2020-12/schema) or draft 7, or leave $schema out", v)
		}
	}
	if doc["type"] != "object" {
		return nil, apperr.Invalid("schema", `must describe an object: set "type": "object"`)
	}
	// Round-trip through JSON so numbers are json.Number as the library expects.
	raw, err := json.Marshal(doc)
	if err != nil {
		return nil, apperr.Invalid("schema", "is not JSON: %v", err)
	}
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		return nil, apperr.Invalid("schema", "is not JSON: %v", err)
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.UseLoader(jsonschema.SchemeURLLoader{})
	const url = "mem:///schema.json"
	if err := c.AddResource(url, v); err != nil {
		return nil, apperr.Invalid("schema", "%v", err)
	}
	sch, err := c.Compile(url)
	if err != nil {
		msg := err.Error()
		var se *jsonschema.SchemaValidationError
		var ve *jsonschema.ValidationError
		if errors.As(err, &se) && errors.As(se.Err, &ve) {
			var fes []FieldError
			collectLeaves(ve, "schema", &fes)
			parts := make([]string, 0, len(fes))
			for _, fe := range fes {
				parts = append(parts, fe.Field+": "+fe.Message)
			}
			return nil, apperr.New(apperr.Validation, "schema is not a valid JSON Schema: %s", strings.Join(parts, "; ")).
				WithDetails(map[string]any{"field": "schema", "errors": fes})
		}
		return nil, apperr.Invalid("schema", "%s", msg)
	}
	return sch, nil
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// schemaKey identifies a compiled schema in the service's cache.
type schemaKey struct {
	project, name string
	version       int
}

// maxCachedSchemas bounds the compiled-schema cache.
const maxCachedSchemas = 1024

// compiled returns t's compiled schema, compiling it at most once per version.
func (s *Service) compiled(t EntityType) (*jsonschema.Schema, error) {
	k := schemaKey{t.ProjectID, t.Name, t.SchemaVersion}
	s.mu.Lock()
	sch := s.schemas[k]
	s.mu.Unlock()
	if sch != nil {
		return sch, nil
	}
	sch, err := compileSchema(t.Schema)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	if len(s.schemas) >= maxCachedSchemas {
		clear(s.schemas) // rare; recompiling is cheap
	}
	s.schemas[k] = sch
	s.mu.Unlock()
	return sch, nil
}

// FieldError is one schema violation, at a dotted path under "data".
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

var printer = message.NewPrinter(language.English)

// validateData checks data against sch. The error names the failing
// field(s): "data.address.city: ...".
func validateData(sch *jsonschema.Schema, data map[string]any) error {
	raw, err := json.Marshal(data)
	if err != nil {
		return apperr.Invalid("data", "is not JSON: %v", err)
	}
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		return apperr.Invalid("data", "is not JSON: %v", err)
	}
	err = sch.Validate(v)
	if err == nil {
		return nil
	}
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		return apperr.Invalid("data", "%v", err)
	}
	var fes []FieldError
	collectLeaves(ve, "data", &fes)
	sort.SliceStable(fes, func(i, j int) bool { return fes[i].Field < fes[j].Field })
	if len(fes) == 0 {
		fes = []FieldError{{Field: "data", Message: oneLine(ve.Error())}}
	}
	if len(fes) > 20 {
		fes = fes[:20]
	}
	parts := make([]string, len(fes))
	for i, fe := range fes {
		parts[i] = fe.Field + ": " + fe.Message
	}
	return (&apperr.Error{Code: apperr.Validation,
		Message: "data does not match the entity type's schema: " + strings.Join(parts, "; ")}).
		WithDetails(map[string]any{"field": fes[0].Field, "errors": fes})
}

// collectLeaves gathers the innermost errors, which name the actual field.
// root names the document: "data" or "schema".
func collectLeaves(e *jsonschema.ValidationError, root string, out *[]FieldError) {
	if len(e.Causes) > 0 {
		for _, c := range e.Causes {
			collectLeaves(c, root, out)
		}
		return
	}
	path := append([]string{root}, e.InstanceLocation...)
	switch k := e.ErrorKind.(type) {
	case *kind.Required:
		for _, m := range k.Missing {
			*out = append(*out, FieldError{Field: strings.Join(append(slices.Clone(path), m), "."), Message: "is required"})
		}
		return
	case *kind.AdditionalProperties:
		for _, p := range k.Properties {
			*out = append(*out, FieldError{Field: strings.Join(append(slices.Clone(path), p), "."), Message: "is not allowed by the schema (additionalProperties)"})
		}
		return
	}
	*out = append(*out, FieldError{Field: strings.Join(path, "."), Message: e.ErrorKind.LocalizedString(printer)})
}

// annotations are keywords that do not constrain data: changing them is
// always backward-compatible.
var annotations = map[string]bool{"title": true, "description": true, "examples": true, "default": true,
	"$comment": true, "deprecated": true, "readOnly": true, "writeOnly": true, "$schema": true, "$id": true}

// incompatibilities lists why data valid under old might be invalid under
// next. Allowed: adding optional properties, removing names from
// required, loosening additionalProperties to true/absent, annotation
// edits, and the same rules recursively in properties. Anything else is
// reported (it might be safe, but only re-validation can tell).
func incompatibilities(path string, old, next map[string]any) []string {
	var out []string
	keys := map[string]bool{}
	for k := range old {
		keys[k] = true
	}
	for k := range next {
		keys[k] = true
	}
	sorted := make([]string, 0, len(keys))
	for k := range keys {
		sorted = append(sorted, k)
	}
	sort.Strings(sorted)
	for _, k := range sorted {
		ov, inOld := old[k]
		nv, inNext := next[k]
		switch {
		case annotations[k]:
		case k == "required":
			oldReq := stringSet(ov)
			for _, r := range stringList(nv) {
				if !oldReq[r] {
					out = append(out, fmt.Sprintf("%s: %q becomes required", path, r))
				}
			}
		case k == "properties":
			op, _ := ov.(map[string]any)
			np, _ := nv.(map[string]any)
			for name, o := range op {
				n, ok := np[name]
				if !ok {
					out = append(out, fmt.Sprintf("%s.%s: property removed", path, name))
					continue
				}
				om, ok1 := o.(map[string]any)
				nm, ok2 := n.(map[string]any)
				if ok1 && ok2 {
					out = append(out, incompatibilities(path+"."+name, om, nm)...)
				} else if !reflect.DeepEqual(o, n) {
					out = append(out, fmt.Sprintf("%s.%s: schema changed", path, name))
				}
			}
			// New properties are fine unless additionalProperties forbade
			// them before (checked below) or they are required (above).
		case k == "additionalProperties":
			if inNext && nv != true && !reflect.DeepEqual(ov, nv) {
				out = append(out, fmt.Sprintf("%s: additionalProperties tightened", path))
			}
		default:
			if !inOld || !inNext || !reflect.DeepEqual(ov, nv) {
				out = append(out, fmt.Sprintf("%s: %q changed", path, k))
			}
		}
	}
	// Properties added where additionalProperties was false were invalid
	// before, so allowing them is a relaxation: nothing to report.
	return out
}

func stringList(v any) []string {
	l, _ := v.([]any)
	out := make([]string, 0, len(l))
	for _, x := range l {
		if s, ok := x.(string); ok {
			out = append(out, s)
		}
	}
	if ss, ok := v.([]string); ok {
		out = append(out, ss...)
	}
	return out
}

func stringSet(v any) map[string]bool {
	m := map[string]bool{}
	for _, s := range stringList(v) {
		m[s] = true
	}
	return m
}

// RegisterEntityType registers a type, or evolves an existing type's
// schema. Evolution must be backward-compatible (add optional fields, relax
// required, edit descriptions) unless validateExisting is true: then any
// change is accepted if every live entity of the type still validates.
// Registering the same schema again changes nothing.
func (s *Service) RegisterEntityType(ctx context.Context, projectID string, t EntityType, validateExisting bool) (EntityType, bool, error) {
	var err error
	if err = t.Validate(); err != nil {
		return EntityType{}, false, err
	}
	if t.ProjectID, err = s.projectID(ctx, projectID); err != nil {
		return EntityType{}, false, err
	}
	cur, err := s.store.EntityType(ctx, t.ProjectID, t.Name)
	if apperr.CodeOf(err) == apperr.NotFound {
		created, err := s.store.CreateEntityType(ctx, t)
		return created, true, err
	}
	if err != nil {
		return EntityType{}, false, err
	}
	if reflect.DeepEqual(normalizeJSON(cur.Schema), normalizeJSON(t.Schema)) && cur.Description == t.Description {
		return cur, false, nil
	}
	if problems := incompatibilities("schema", normalizeJSON(cur.Schema), normalizeJSON(t.Schema)); len(problems) > 0 {
		if !validateExisting {
			return EntityType{}, false, (&apperr.Error{Code: apperr.Validation,
				Message: "the new schema of " + t.Name + " is not backward-compatible (" + strings.Join(problems, "; ") +
					"); only adding optional fields and relaxing required are allowed, or pass validate_existing: true to re-validate every entity"}).
				WithDetails(map[string]any{"field": "schema", "incompatibilities": problems})
		}
		sch, err := compileSchema(t.Schema)
		if err != nil {
			return EntityType{}, false, err
		}
		var bad []map[string]any
		err = s.store.EachEntity(ctx, t.ProjectID, t.Name, func(e Entity) error {
			if verr := validateData(sch, e.Data); verr != nil && len(bad) < 20 {
				bad = append(bad, map[string]any{"entity_id": e.ID, "name": e.Name, "error": apperr.MessageOf(verr)})
			}
			return nil
		})
		if err != nil {
			return EntityType{}, false, err
		}
		if len(bad) > 0 {
			return EntityType{}, false, (&apperr.Error{Code: apperr.Validation,
				Message: fmt.Sprintf("%d existing %s entities do not match the new schema (first: %s %v); fix or delete them first", len(bad), t.Name, bad[0]["name"], bad[0]["error"])}).
				WithDetails(map[string]any{"field": "schema", "invalid_entities": bad})
		}
	}
	updated, err := s.store.UpdateEntityType(ctx, t, cur.SchemaVersion)
	return updated, false, err
}

// normalizeJSON gives maps decoded from different sources (float64 vs
// json.Number numbers) one form for comparison.
func normalizeJSON(m map[string]any) map[string]any {
	b, _ := json.Marshal(m)
	var out map[string]any
	_ = json.Unmarshal(b, &out)
	return out
}
