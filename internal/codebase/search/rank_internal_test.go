package search

import (
	"strings"
	"testing"
)

func TestDirectoryPattern(t *testing.T) {
	tests := []struct {
		in, like, re string
		bad          bool
	}{
		{in: "", like: ""},
		{in: "./", like: ""},
		{in: "src", like: "src/%"},
		{in: "/src/api/", like: "src/api/%"},
		{in: `a_b%c`, like: `a\_b\%c/%`},
		{in: "internal/*/api", re: "^internal/[^/]*/api/"},
		{in: "**/testdata", re: "^.*/testdata/"},
		{in: "a.b*", re: `^a\.b[^/]*/`},
		{in: "../etc", bad: true},
		{in: "a//b", bad: true},
	}
	for _, tc := range tests {
		like, re, err := directoryPattern(tc.in)
		if (err != nil) != tc.bad || like != tc.like || re != tc.re {
			t.Errorf("directoryPattern(%q) = %q, %q, %v; want %q, %q, bad %v", tc.in, like, re, err, tc.like, tc.re, tc.bad)
		}
	}
}

func TestDefinitionLevel(t *testing.T) {
	fn := func(sym string) *Candidate { return &Candidate{Symbol: sym, Kind: "function"} }
	tests := []struct {
		q    string
		c    *Candidate
		want float64
	}{
		{"MaxBytesReader", fn("MaxBytesReader"), 2},
		{"MaxBytesReader", fn("maxBytesReader"), 1},
		{"max bytes reader", fn("MaxBytesReader"), 1},
		{"Reader.Read", fn("Reader.Read"), 2},
		{"Read", fn("Reader.Read"), 1.5},
		{"read", fn("Reader.Read"), 0.5},
		{"where do we read the config", fn("read"), 0},
		{"parseConfig", &Candidate{Symbol: "parseConfig", Kind: "header"}, 0},
	}
	for _, tc := range tests {
		if got := definitionLevel(tc.c, querySymbols(tc.q)); got != tc.want {
			t.Errorf("definitionLevel(%q, %s) = %v, want %v", tc.q, tc.c.Symbol, got, tc.want)
		}
	}
}

func TestFitBudget(t *testing.T) {
	long := strings.Repeat("line of code here\n", 200)
	hits := []Hit{
		{ChunkID: "a", Content: "short", ContextBefore: "x", ContextAfter: "y"},
		{ChunkID: "b", Content: long, ContextBefore: long, ContextAfter: long},
		{ChunkID: "c", Content: long},
	}
	got, omitted, trimmed, est := fitBudget(append([]Hit(nil), hits...), 500)
	if !trimmed || est > 500 {
		t.Fatalf("trimmed %v estimate %d", trimmed, est)
	}
	if len(got) < 2 || got[0].ContextTrimmed || !got[1].ContextTrimmed || !got[1].ContentTruncated {
		t.Fatalf("hits %+v", got)
	}
	if len(got)+omitted != 3 {
		t.Fatalf("%d kept + %d omitted != 3", len(got), omitted)
	}
	if !strings.HasPrefix(long, got[1].Content) || !strings.HasSuffix(got[1].Content, "\n") {
		t.Errorf("content not cut at a line boundary")
	}
	all, omitted, trimmed, _ := fitBudget(append([]Hit(nil), hits...), 0)
	if len(all) != 3 || omitted != 0 || trimmed {
		t.Errorf("no budget: %d hits, omitted %d, trimmed %v", len(all), omitted, trimmed)
	}
}

func TestTrainer(t *testing.T) {
	tr := newTrainer()
	for i := 0; i < 4; i++ {
		tr.add([]string{"fingerprint", "block"}, []string{"crc32", "sum"})
	}
	tr.add([]string{"rare"}, []string{"crc32"})
	m := tr.model()
	if len(m["fingerprint"]) != 2 || m["rare"] != nil {
		t.Fatalf("model %v", m)
	}
	for _, a := range m["fingerprint"] {
		if a.P <= 0 || a.P > 1 {
			t.Errorf("P(fingerprint|%s) = %v", a.Term, a.P)
		}
	}
}
