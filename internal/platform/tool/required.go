package tool

import (
	"encoding/json"
	"reflect"
	"strings"

	"github.com/mcp-memory/servers/internal/apperr"
)

// checkRequired enforces what the published input schema says beyond
// types: a field whose json tag has neither omitempty nor omitzero is
// required (the rule the schema generator uses too), and null is accepted
// only where Go has a nil (pointers, slices, maps, interfaces). It runs on
// the raw JSON because decoding cannot tell a missing field from a zero
// one. Nested objects are checked with their own struct type.
func checkRequired(data []byte, t reflect.Type, path string) error {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Struct:
		if t.PkgPath() == "time" {
			return nil
		}
		var obj map[string]json.RawMessage
		if json.Unmarshal(data, &obj) != nil || obj == nil {
			return nil // not an object: decoding reports the type error
		}
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			if !f.IsExported() {
				continue
			}
			name, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
			if name == "-" {
				continue
			}
			if name == "" {
				name = f.Name
			}
			raw, present := obj[name]
			optional := strings.Contains(opts, "omitempty") || strings.Contains(opts, "omitzero")
			if !present {
				if !optional {
					return apperr.Invalid(path+name, "is required")
				}
				continue
			}
			if string(raw) == "null" {
				if !nullable(f.Type) {
					return apperr.Invalid(path+name, "must not be null")
				}
				continue
			}
			if err := checkRequired(raw, f.Type, path+name+"."); err != nil {
				return err
			}
		}
	case reflect.Slice, reflect.Array:
		var items []json.RawMessage
		if json.Unmarshal(data, &items) != nil {
			return nil
		}
		for _, it := range items {
			if err := checkRequired(it, t.Elem(), strings.TrimSuffix(path, ".")+"[]."); err != nil {
				return err
			}
		}
	}
	return nil
}

func nullable(t reflect.Type) bool {
	switch t.Kind() {
	case reflect.Pointer, reflect.Slice, reflect.Map, reflect.Interface:
		return true
	}
	return false
}
