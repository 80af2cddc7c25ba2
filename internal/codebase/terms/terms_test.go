package terms_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/mcp-memory/servers/internal/codebase/terms"
)

func TestSplit(t *testing.T) {
	tests := []struct {
		name string
		text string
		want []string
	}{
		{"empty", "", nil},
		{"punctuation only", "() {} -> :=", nil},
		{"camel case with whole identifier", "parseConfig", []string{"pars", "config", "parseconfig"}},
		{"pascal case", "RefreshToken", []string{"refresh", "token", "refreshtoken"}},
		{"acronym then word", "HTTPServer", []string{"http", "server", "httpserver"}},
		{"acronym inside", "newHTTPClient", []string{"new", "http", "client", "newhttpclient"}},
		{"plural acronym", "getIDs URLs", []string{"get", "id", "getids", "url"}},
		{"plural acronym before a word", "URLsFor", []string{"url", "for", "urlsfor"}},
		{"two-letter acronym", "IOError", []string{"io", "error", "ioerror"}},
		{"one capital then word", "ASet", []string{"a", "set", "aset"}},
		{"snake case keeps underscores in the whole", "parse_config", []string{"pars", "config", "parse_config"}},
		{"screaming snake", "MAX_RETRY_COUNT", []string{"max", "retry", "count", "max_retry_count"}},
		{"outer underscores trimmed from the whole", "_private_thing __init__", []string{"privat", "thing", "private_thing", "init"}},
		{"digits split", "utf8 base64Encode SHA256", []string{"utf", "8", "utf8", "bas", "64", "encod", "base64encode", "sha", "256", "sha256"}},
		{"numbers alone", "x 42", []string{"x", "42"}},
		{"one-character parts kept", "aB c", []string{"a", "b", "ab", "c"}},
		{"non-ASCII separates words", "héllo wörld", []string{"h", "llo", "w", "rld"}},
		{"duplicates kept in order", "token token", []string{"token", "token"}},
		{"dotted names are separate words", "http.Server", []string{"http", "server"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := terms.Split(tc.text)
			if !slices.Equal(got, tc.want) {
				t.Errorf("Split(%q) = %q, want %q", tc.text, got, tc.want)
			}
		})
	}
}

func TestSplit_Stemming(t *testing.T) {
	tests := []struct {
		words []string
		want  string
	}{
		{[]string{"parse", "parses", "parsed", "parsing"}, "pars"},
		{[]string{"token", "tokens"}, "token"},
		{[]string{"tokenize", "tokenizes", "tokenized", "tokenizing"}, "tokeniz"},
		{[]string{"run", "running"}, "run"},
		{[]string{"stopped", "stopping"}, "stop"},
		{[]string{"add", "adding", "added"}, "add"}, // no undoubling below 4 characters
		{[]string{"call", "called", "calling"}, "call"},
		{[]string{"pass", "passes", "passing"}, "pass"},
		{[]string{"entry", "entries"}, "entry"},
		{[]string{"address", "addresses"}, "address"},
		{[]string{"settings", "setting"}, "set"},
		{[]string{"quickly"}, "quick"},
		{[]string{"status"}, "status"},
		{[]string{"analysis"}, "analysis"},
		{[]string{"string", "strings"}, "string"}, // "str" has no vowel: "ing" stays
		{[]string{"bus"}, "bus"},                  // 3 characters: never stemmed
		{[]string{"uses"}, "use"},                 // plural only: "use" is too short for the final e
	}
	for _, tc := range tests {
		for _, w := range tc.words {
			if got := terms.Split(w); len(got) != 1 || got[0] != tc.want {
				t.Errorf("Split(%q) = %q, want [%q]", w, got, tc.want)
			}
		}
	}
}

func TestSplit_LongTerms(t *testing.T) {
	kept := strings.Repeat("a", terms.MaxTermLen)
	dropped := strings.Repeat("b", terms.MaxTermLen+1)
	got := terms.Split(kept + " " + dropped + " tail")
	if !slices.Equal(got, []string{kept, "tail"}) {
		t.Errorf("Split kept %d terms (lengths %v), want the %d-byte term and tail", len(got), lens(got), terms.MaxTermLen)
	}
}

func lens(ss []string) []int {
	out := make([]int, len(ss))
	for i, s := range ss {
		out[i] = len(s)
	}
	return out
}

func TestEach_MatchesSplit(t *testing.T) {
	text := "func (c *HTTPClient) parseConfig(raw_input []byte) error { return nil }"
	var got []string
	var wholes []string
	terms.Each(text, func(term []byte, whole bool) {
		got = append(got, string(term))
		if whole {
			wholes = append(wholes, string(term))
		}
	})
	if want := terms.Split(text); !slices.Equal(got, want) {
		t.Errorf("Each = %q, Split = %q", got, want)
	}
	if want := []string{"httpclient", "parseconfig", "raw_input"}; !slices.Equal(wholes, want) {
		t.Errorf("whole identifiers = %q, want %q", wholes, want)
	}
}

func TestQuery(t *testing.T) {
	tests := []struct {
		name, q string
		want    []string
	}{
		{"distinct in first-seen order", "parse config parseConfig", []string{"pars", "config", "parseconfig"}},
		{"stems merge", "tokens token tokenizing", []string{"token", "tokeniz"}},
		{"natural language", "where do we refresh auth tokens?", []string{"wher", "do", "we", "refresh", "auth", "token"}},
		{"nothing", "  ?! ", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := terms.Query(tc.q); !slices.Equal(got, tc.want) {
				t.Errorf("Query(%q) = %q, want %q", tc.q, got, tc.want)
			}
		})
	}
}
