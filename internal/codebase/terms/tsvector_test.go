package terms_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/mcp-memory/servers/internal/codebase"
	"github.com/mcp-memory/servers/internal/codebase/terms"
	"github.com/mcp-memory/servers/internal/platform/dbtest"
)

func TestDoc_TSVector_Format(t *testing.T) {
	d := terms.ForChunk(codebase.Chunk{FilePath: "a/b.go", Signature: "func F()", Content: "func F() { x.F() } // y", Comments: "y"})
	// occurrences: func(A1) f(A2) a(A3) b(B4) y(D5) x(C6) f(C7)
	want := "'a':3A 'b':4B 'f':2A,7C 'func':1A 'x':6C 'y':5"
	if got := d.TSVector(); got != want {
		t.Errorf("TSVector = %q, want %q", got, want)
	}
}

// TestDoc_TSVector_RoundTrip casts TSVector in PostgreSQL and checks that
// the stored lexemes, weights and per-class position counts are the Doc's.
func TestDoc_TSVector_RoundTrip(t *testing.T) {
	conn := connect(t)

	many := strings.Repeat("alpha beta ", 10000) // tf 10,000 > 256; positions up to 20,000
	var distinct strings.Builder                 // 20,000 distinct lexemes, most past position 16383
	for i := range 20000 {
		fmt.Fprintf(&distinct, "w%d ", i)
	}
	var huge strings.Builder // 600 distinct 2,000-byte terms: past the 1 MiB tsvector limit
	for i := range 600 {
		fmt.Fprintf(&huge, "%s%04d ", strings.Repeat("q", 1996), i)
	}
	src := readGoSource(t, "strings", "strings.go")

	tests := []struct {
		name string
		doc  terms.Doc
	}{
		{"go method", terms.ForChunk(goChunk)},
		{"python function", terms.ForChunk(pyChunk)},
		{"real source file", terms.ForChunk(codebase.Chunk{FilePath: "src/strings/strings.go", Content: src})},
		{"more than 256 occurrences, heavy classes first", terms.ForChunk(codebase.Chunk{
			FilePath: "x/alpha.go", Signature: "alpha", Doc: "alpha alpha", Comments: "beta beta beta",
			Content: "alpha alpha alpha beta beta beta " + many,
		})},
		{"positions past 16383", terms.ForChunk(codebase.Chunk{Content: distinct.String() + " w1 w2 w3"})},
		{"lexeme length limit", terms.ForChunk(codebase.Chunk{
			Content: strings.Repeat("a", terms.MaxTermLen) + " " + strings.Repeat("b", terms.MaxTermLen+1) + " c",
		})},
		{"tsvector size limit", terms.ForChunk(codebase.Chunk{Content: huge.String()})},
		{"quotes and backslashes", terms.RawDoc(
			terms.RawTerm{Term: "it's", Class: terms.ClassA}, terms.RawTerm{Term: `back\slash`, Class: terms.ClassB},
			terms.RawTerm{Term: `'\''`, Class: terms.ClassD}, terms.RawTerm{Term: "it's", Class: terms.ClassC},
		)},
		{"empty", terms.ForChunk(codebase.Chunk{Content: "{ } ;"})},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			checkRoundTrip(t, conn, tc.doc)
		})
	}
}

func checkRoundTrip(t *testing.T, conn *pgx.Conn, d terms.Doc) {
	t.Helper()
	// As text, cast by PostgreSQL's tsvector input.
	checkStored(t, conn, d, d.TSVector())
	// Parsed by pgx and sent in the binary format, as COPY does: that path
	// has stricter rules (strictly increasing positions, at most 256).
	var v pgtype.TSVector
	if err := v.Scan(d.TSVector()); err != nil {
		t.Fatalf("pgx cannot parse the tsvector: %.300v", err)
	}
	checkStored(t, conn, d, v)
	// Built in the binary format, as the index service sends it with COPY:
	// PostgreSQL must read the same value as from the text form.
	checkBinary(t, conn, d)
}

// checkBinary sends d.AppendTSVectorBinary as a binary tsvector parameter
// and compares what PostgreSQL prints with the text form's cast; a
// prefix before the value checks that it only appends.
func checkBinary(t *testing.T, conn *pgx.Conn, d terms.Doc) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	prefix := []byte("xyz")
	bin := d.AppendTSVectorBinary(prefix)
	if string(bin[:3]) != "xyz" {
		t.Fatalf("AppendTSVectorBinary overwrote its destination")
	}
	res := conn.PgConn().ExecParams(ctx, `SELECT $1::tsvector::text = $2::tsvector::text, length($1::tsvector)`,
		[][]byte{bin[3:], []byte(d.TSVector())}, []uint32{pgtype.TSVectorOID, pgtype.TextOID},
		[]int16{pgtype.BinaryFormatCode, pgtype.TextFormatCode}, []int16{pgtype.TextFormatCode}).Read()
	if res.Err != nil {
		t.Fatalf("binary tsvector refused: %.300v", res.Err)
	}
	if len(res.Rows) != 1 || string(res.Rows[0][0]) != "t" {
		t.Errorf("binary tsvector differs from the text form (%d lexemes)", len(d.Terms()))
	}
	if got, want := string(res.Rows[0][1]), fmt.Sprint(len(d.Terms())); got != want {
		t.Errorf("binary tsvector has %s lexemes, want %s", got, want)
	}
}

func checkStored(t *testing.T, conn *pgx.Conn, d terms.Doc, arg any) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	rows, err := conn.Query(ctx, `SELECT lexeme, positions, weights FROM unnest($1::tsvector)`, arg)
	if err != nil {
		t.Fatalf("cast tsvector: %.300v", err)
	}
	defer rows.Close()
	var lexemes []string
	for rows.Next() {
		var lexeme string
		var positions []int16
		var weights []string
		if err := rows.Scan(&lexeme, &positions, &weights); err != nil {
			t.Fatal(err)
		}
		lexemes = append(lexemes, lexeme)
		var got [4]int
		for _, w := range weights {
			got[strings.Index("ABCD", w)]++
		}
		if want := storedCounts(d, lexeme); got != want {
			t.Errorf("%.40q: positions per class (A, B, C, D) = %v, want %v", lexeme, got, want)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("cast tsvector: %.300v", err)
	}
	slices.Sort(lexemes) // PostgreSQL orders by length first
	if want := d.Terms(); !slices.Equal(lexemes, want) {
		t.Errorf("PostgreSQL has %d lexemes, the Doc %d terms", len(lexemes), len(want))
	}
}

// storedCounts is what TSVector promises to store for term: its TF per
// class, the lightest classes cut so that at most 256 positions remain.
func storedCounts(d terms.Doc, term string) [4]int {
	var out [4]int
	left := terms.MaxPositions
	for class := range 4 {
		out[class] = min(d.TF(term, class), left)
		left -= out[class]
	}
	return out
}

func connect(t *testing.T) *pgx.Conn {
	t.Helper()
	dsn := dbtest.NewEmpty(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

// readGoSource reads a file of the Go toolchain's own source, which is
// always present where the tests build.
func readGoSource(tb testing.TB, elem ...string) string {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join(append([]string{runtime.GOROOT(), "src"}, elem...)...))
	if err != nil {
		tb.Fatal(err)
	}
	return string(b)
}
