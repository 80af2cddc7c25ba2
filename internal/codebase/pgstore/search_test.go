package pgstore

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/mcp-memory/servers/internal/codebase"
	"github.com/mcp-memory/servers/internal/codebase/search"
	"github.com/mcp-memory/servers/internal/codebase/terms"
	"github.com/mcp-memory/servers/internal/platform/dbtest"
	"github.com/mcp-memory/servers/migrations"
)

func TestTermFrequencies(t *testing.T) {
	tests := []struct {
		name string
		tsv  string
		want map[string][search.Classes]int
	}{
		{"weights and default D", `'parse':1A,4C,7 'config':2B,3B`, map[string][search.Classes]int{
			"parse": {1, 0, 1, 1}, "config": {0, 2, 0, 0}}},
		{"lexeme without positions", `'bare' 'x':5A`, map[string][search.Classes]int{"bare": {}, "x": {1, 0, 0, 0}}},
		{"quotes and backslashes", `'it''s':1A 'a\\b':2C`, map[string][search.Classes]int{"it's": {1, 0, 0, 0}, `a\b`: {0, 0, 1, 0}}},
		{"empty", ``, map[string][search.Classes]int{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := termFrequencies([]byte(tc.tsv), nil)
			if len(got) != len(tc.want) {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
			for k, v := range tc.want {
				if got[k] != v {
					t.Errorf("%s: got %v, want %v", k, got[k], v)
				}
			}
		})
	}
	only := termFrequencies([]byte(`'a':1A 'b':2B`), map[string]bool{"b": true})
	if len(only) != 1 || only["b"] != [search.Classes]int{0, 1, 0, 0} {
		t.Errorf("filtered: %v", only)
	}
}

func TestTSQuery(t *testing.T) {
	if got, want := tsquery([]string{"parse", "it's", `a\b`}), `'parse' | 'it''s' | 'a\\b'`; got != want {
		t.Fatalf("tsquery = %s, want %s", got, want)
	}
}

// TestTermFrequencies_PostgreSQL reads PostgreSQL's own text output of
// indexed tsvectors and checks the counts against the terms package.
func TestTermFrequencies_PostgreSQL(t *testing.T) {
	dsn := dbtest.New(t, migrations.Codebase())
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	c := codebase.Chunk{
		FilePath:  "internal/auth/token_refresh.go",
		Signature: "func (c *Client) RefreshToken(ctx context.Context) error",
		Doc:       "RefreshToken renews the token; tokens expire.",
		Comments:  "retry the token refresh",
		Content: "// RefreshToken renews the token; tokens expire.\nfunc (c *Client) RefreshToken(ctx context.Context) error {\n" +
			"\t// retry the token refresh\n\treturn c.refresh(ctx, c.token, c.token)\n}",
	}
	d := terms.ForChunk(c)
	var text []byte
	if err := conn.QueryRow(ctx, `SELECT $1::tsvector::text`, d.TSVector()).Scan(&text); err != nil {
		t.Fatal(err)
	}
	got := termFrequencies(text, nil)
	for _, term := range d.Terms() {
		var want [search.Classes]int
		for k := range want {
			want[k] = d.TF(term, k)
		}
		if got[term] != want {
			t.Errorf("%s: parsed %v, terms says %v (tsvector %s)", term, got[term], want, text)
		}
	}
	if len(got) != len(d.Terms()) {
		t.Errorf("%d lexemes parsed, %d terms", len(got), len(d.Terms()))
	}
}

// TestContextAround_PostgreSQL checks the context lines cut in Go against
// the SQL expression ChunkRows used before (string_to_array, array slices,
// array_to_string) on files with and without a final newline, blank lines,
// multi-byte text, and chunks at the start, middle and end.
func TestContextAround_PostgreSQL(t *testing.T) {
	dsn := dbtest.New(t, migrations.Codebase())
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var long []string
	for i := 1; i <= 40; i++ {
		long = append(long, fmt.Sprintf("line %d ✓", i))
	}
	contents := []string{
		"", "one", "one\n", "a\nb\nc", "a\n\n\nb\n\n", strings.Join(long, "\n"), strings.Join(long, "\n") + "\n",
		"\n\n\n", "x\r\ny\r\nz",
	}
	const q = `SELECT coalesce(array_to_string(l.lines[greatest($2::int - $4::int, 1) : $2::int - 1], E'\n'), ''),
	    coalesce(array_to_string(l.lines[$3::int + 1 : $3::int + $4::int], E'\n'), '')
	    FROM (SELECT string_to_array($1::text, E'\n') AS lines) l`
	for _, content := range contents {
		n := strings.Count(content, "\n") + 1
		for start := 1; start <= n+1; start++ {
			for _, end := range []int{start, start + 1, start + 7, n} {
				if end < start {
					continue
				}
				var wantB, wantA string
				if err := conn.QueryRow(ctx, q, content, start, end, contextLines).Scan(&wantB, &wantA); err != nil {
					t.Fatal(err)
				}
				gotB, gotA := contextAround(content, start, end, contextLines)
				if gotB != wantB || gotA != wantA {
					t.Fatalf("%q lines %d-%d: got %q / %q, want %q / %q", content, start, end, gotB, gotA, wantB, wantA)
				}
			}
		}
	}
}
