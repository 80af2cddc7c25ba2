package tool

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
)

// unwrapEncoded accepts an array or object argument sent as a JSON string
// holding it ("[\"a\",\"b\"]" for ["a","b"]): some model clients encode
// structured arguments that way, and the predecessor of this product
// rejected those calls. Only a string whose content parses as the array or
// object the field expects is unwrapped; anything else is left for strict
// decoding to judge. Top-level fields only, which is where clients do it.
func unwrapEncoded(data []byte, t reflect.Type) []byte {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct || !bytes.Contains(data, []byte(`"`)) {
		return data
	}
	var obj map[string]json.RawMessage
	if json.Unmarshal(data, &obj) != nil {
		return data
	}
	changed := false
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if !f.IsExported() || name == "-" {
			continue
		}
		if name == "" {
			name = f.Name
		}
		raw, ok := obj[name]
		if !ok || len(raw) == 0 || raw[0] != '"' {
			continue
		}
		want := byte(0)
		switch ft := derefType(f.Type); ft.Kind() {
		case reflect.Slice, reflect.Array:
			if ft.Elem().Kind() != reflect.Uint8 {
				want = '['
			}
		case reflect.Map, reflect.Struct:
			if ft.PkgPath() != "time" {
				want = '{'
			}
		}
		if want == 0 {
			continue
		}
		var s string
		if json.Unmarshal(raw, &s) != nil {
			continue
		}
		s = strings.TrimSpace(s)
		if len(s) > 0 && s[0] == want && json.Valid([]byte(s)) {
			obj[name] = json.RawMessage(s)
			changed = true
		}
	}
	if !changed {
		return data
	}
	out, err := json.Marshal(obj)
	if err != nil {
		return data
	}
	return out
}

func derefType(t reflect.Type) reflect.Type {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t
}
