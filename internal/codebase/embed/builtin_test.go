package embed_test

import (
	"context"
	"errors"
	"math"
	"slices"
	"testing"

	"github.com/mcp-memory/servers/internal/codebase/embed"
)

func newBuiltin(t testing.TB, dim int) interface {
	Name() string
	Dimension() int
	Embed(context.Context, []string) ([][]float32, error)
} {
	t.Helper()
	e, err := embed.New(embed.Config{Dimension: dim}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func TestBuiltin(t *testing.T) {
	e := newBuiltin(t, 0)
	if e.Name() != embed.BuiltinName || e.Dimension() != embed.BuiltinDimension {
		t.Fatalf("Name, Dimension = %q, %d", e.Name(), e.Dimension())
	}
	texts := []string{
		"func parseConfig(path string) (*Config, error)",
		"def parse_config(path):",
		"parse the configuration file",
		"func renderTemplate(w io.Writer, tmpl *Template) error",
		"",
		"{ } ( ) ;",
	}
	vs, err := e.Embed(context.Background(), texts)
	if err != nil {
		t.Fatal(err)
	}
	if len(vs) != len(texts) {
		t.Fatalf("got %d vectors for %d texts", len(vs), len(texts))
	}
	for i, v := range vs {
		if len(v) != embed.BuiltinDimension {
			t.Errorf("vector %d has %d dimensions", i, len(v))
		}
		if n := norm(v); math.Abs(n-1) > 1e-5 {
			t.Errorf("vector %d (%q) has norm %f, want 1", i, texts[i], n)
		}
	}
	t.Logf("cos: parseConfig~parse_config %.3f, parseConfig~renderTemplate %.3f, query~parse_config %.3f, query~renderTemplate %.3f",
		cos(vs[0], vs[1]), cos(vs[0], vs[3]), cos(vs[2], vs[1]), cos(vs[2], vs[3]))
	// Shared identifier parts make texts close; unrelated code is far.
	if near, far := cos(vs[0], vs[1]), cos(vs[0], vs[3]); near <= far+0.2 {
		t.Errorf("cos(parseConfig, parse_config) = %.3f, cos(parseConfig, renderTemplate) = %.3f: want the first clearly larger", near, far)
	}
	if near, far := cos(vs[2], vs[1]), cos(vs[2], vs[3]); near <= far {
		t.Errorf("cos(query, parse_config) = %.3f <= cos(query, renderTemplate) = %.3f", near, far)
	}

	again, err := e.Embed(context.Background(), []string{texts[3], texts[0]})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(again[0], vs[3]) || !slices.Equal(again[1], vs[0]) {
		t.Error("embedding is not deterministic or depends on the batch")
	}
}

func TestBuiltin_Dimension(t *testing.T) {
	e := newBuiltin(t, 768)
	vs, err := e.Embed(context.Background(), []string{"HTTPServer"})
	if err != nil {
		t.Fatal(err)
	}
	if e.Dimension() != 768 || len(vs[0]) != 768 {
		t.Errorf("Dimension %d, vector length %d, want 768", e.Dimension(), len(vs[0]))
	}
	for _, dim := range []int{-1, 16, 4096} {
		if _, err := embed.New(embed.Config{Provider: "builtin", Dimension: dim}, nil); err == nil {
			t.Errorf("dimension %d accepted", dim)
		}
	}
}

func TestBuiltin_Cancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := newBuiltin(t, 0).Embed(ctx, []string{"x"}); !errors.Is(err, context.Canceled) {
		t.Errorf("Embed on a cancelled context = %v, want context.Canceled", err)
	}
}

func norm(v []float32) float64 {
	var s float64
	for _, x := range v {
		s += float64(x) * float64(x)
	}
	return math.Sqrt(s)
}

func cos(a, b []float32) float64 {
	var s float64
	for i := range a {
		s += float64(a[i]) * float64(b[i])
	}
	return s / (norm(a) * norm(b))
}
