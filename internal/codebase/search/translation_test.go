package search_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/mcp-memory/servers/internal/apperr"
	"github.com/mcp-memory/servers/internal/codebase/search"
	"github.com/mcp-memory/servers/internal/codebase/search/searchtest"
)

// TestService_Train checks that the translation model learns from doc
// comments which code terms a word describes, and that it changes the
// ranking: "fingerprint" is never written in the code of the functions
// documented with it, only crc32 is.
func TestService_Train(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	files := map[string]string{}
	for i := 0; i < 6; i++ {
		files[fmt.Sprintf("sum/s%d.go", i)] = fmt.Sprintf(`package sum

import "hash/crc32"

// Sum%d returns the fingerprint of block %d.
func Sum%d(b []byte) uint32 {
	return crc32.ChecksumIEEE(b) + %d
}
`, i, i, i, i)
	}
	// Two undocumented functions of the same shape with the query word
	// "payload": BM25F scores them alike; only one computes a crc32.
	files["wire/a.go"] = `package wire

import "hash/crc32"

func encodeA(payload []byte) uint32 {
	return crc32.ChecksumIEEE(payload)
}
`
	files["wire/b.go"] = `package wire

import "hash/adler32"

func encodeB(payload []byte) uint32 {
	return adler32.Checksum(payload)
}
`
	root := t.TempDir()
	searchtest.Load(ctx, t, e.conn, searchtest.Repo{ProjectID: "default", Root: root},
		searchtest.WriteTree(t, root, files), searchtest.GoChunks, nil)
	svc := e.service(t, search.DefaultConfig(), nil)
	if err := svc.Train(ctx, "default", ""); err != nil {
		t.Fatal(err)
	}
	var words int
	var terms []string
	if err := e.conn.QueryRow(ctx, `SELECT count(*) FROM search_associations WHERE project_id = 'default'`).Scan(&words); err != nil {
		t.Fatal(err)
	}
	if err := e.conn.QueryRow(ctx, `SELECT terms FROM search_associations WHERE project_id = 'default' AND word = 'fingerprint'`).Scan(&terms); err != nil {
		t.Fatalf("no association for fingerprint (%d words learnt): %v", words, err)
	}
	if !contains(terms, "crc") && !contains(terms, "crc32") {
		t.Fatalf("fingerprint -> %v, want crc32 among them", terms)
	}
	res, err := svc.Search(ctx, search.Query{Text: "fingerprint of the payload", Directory: "wire"})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Results) != 2 || res.Results[0].Symbol != "encodeA" {
		t.Fatalf("results %v, want encodeA first", symbols(res))
	}
	// Retraining replaces the model instead of adding to it.
	if err := svc.Train(ctx, "default", ""); err != nil {
		t.Fatal(err)
	}
	var again int
	if err := e.conn.QueryRow(ctx, `SELECT count(*) FROM search_associations WHERE project_id = 'default'`).Scan(&again); err != nil {
		t.Fatal(err)
	}
	if again != words {
		t.Errorf("retraining: %d words, want %d", again, words)
	}
	if err := svc.Train(ctx, "nope", ""); apperr.CodeOf(err) != apperr.NotFound {
		t.Errorf("unknown project: %v, want NOT_FOUND", err)
	}
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

func symbols(r search.Result) string {
	var s []string
	for _, h := range r.Results {
		s = append(s, h.Symbol)
	}
	return strings.Join(s, ",")
}
