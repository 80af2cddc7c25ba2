package search_test

import (
	"context"
	"strings"
	"testing"

	"github.com/mcp-memory/servers/internal/apperr"
	"github.com/mcp-memory/servers/internal/codebase"
	"github.com/mcp-memory/servers/internal/codebase/search"
	"github.com/mcp-memory/servers/internal/codebase/search/searchtest"
)

func TestService_LookupChunks(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	root := t.TempDir()
	srcs := searchtest.WriteTree(t, root, map[string]string{"a/a.go": `package a

// Alpha is the first function.
func Alpha() int { return 1 }

// Beta is the second.
func Beta() int { return 2 }
`})
	l := searchtest.Load(ctx, t, e.conn, searchtest.Repo{ProjectID: "p1", Root: root, Commit: "c1"}, srcs, searchtest.GoChunks, nil)
	svc := e.service(t, search.DefaultConfig(), nil)
	ids := map[string]codebase.Chunk{}
	for _, c := range l.Chunks {
		ids[c.Symbol] = c
	}
	alpha := ids["Alpha"]
	const unknown = "00000000-0000-4000-8000-000000000000"

	t.Run("ids: found with hash, missing includes free text, duplicates once", func(t *testing.T) {
		res, err := svc.LookupChunks(ctx, search.LookupRequest{ChunkIDs: []string{alpha.ID, " TODO-1 ", unknown, strings.ToUpper(alpha.ID)}})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Found) != 1 || res.Found[0].ChunkID != alpha.ID || res.Found[0].ContentHash != alpha.ContentHash ||
			res.Found[0].ContentHash != codebase.ContentHash([]byte(res.Found[0].Content)) || res.Found[0].ProjectID != "p1" || res.Found[0].Stale {
			t.Errorf("found %+v", res.Found)
		}
		if strings.Join(res.Missing, ",") != "TODO-1,"+unknown || len(res.Located) != 0 {
			t.Errorf("missing %v located %v", res.Missing, res.Located)
		}
	})
	t.Run("locations: the chunk now there", func(t *testing.T) {
		res, err := svc.LookupChunks(ctx, search.LookupRequest{Locations: []search.Location{
			{RepositoryID: strings.ToUpper(l.RepositoryID), FilePath: "a/a.go", Symbol: "Beta"},
			{RepositoryID: l.RepositoryID, FilePath: "a/a.go", Symbol: ""},
			{RepositoryID: "nope", FilePath: "a/a.go", Symbol: "Beta"},
			{RepositoryID: l.RepositoryID, FilePath: "a/a.go", Symbol: "Gamma"},
		}})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Located) != 1 || res.Located[0].ChunkID != ids["Beta"].ID || res.Located[0].Commit != "c1" || len(res.Found) != 0 {
			t.Errorf("located %+v", res.Located)
		}
	})
	t.Run("empty request, empty answer", func(t *testing.T) {
		res, err := svc.LookupChunks(ctx, search.LookupRequest{})
		if err != nil || res.Found == nil || res.Missing == nil || res.Located == nil || len(res.Found)+len(res.Missing)+len(res.Located) != 0 {
			t.Errorf("%+v %v", res, err)
		}
	})
	t.Run("too many", func(t *testing.T) {
		_, err := svc.LookupChunks(ctx, search.LookupRequest{ChunkIDs: make([]string, search.MaxLookup), Locations: make([]search.Location, 1)})
		if apperr.CodeOf(err) != apperr.Validation {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("Chunk", func(t *testing.T) {
		c, err := svc.Chunk(ctx, alpha.ID)
		if err != nil || c.ChunkID != alpha.ID || c.ContentHash != alpha.ContentHash {
			t.Errorf("%+v %v", c, err)
		}
		if _, err := svc.Chunk(ctx, unknown); apperr.CodeOf(err) != apperr.NotFound {
			t.Errorf("unknown: %v", err)
		}
		if _, err := svc.Chunk(ctx, "x"); apperr.CodeOf(err) != apperr.Validation {
			t.Errorf("malformed: %v", err)
		}
	})
}
