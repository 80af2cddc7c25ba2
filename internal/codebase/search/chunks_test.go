package search_test

import (
	"context"
	"strings"
	"testing"

	"github.com/mcp-memory/servers/internal/apperr"
	"github.com/mcp-memory/servers/internal/codebase/search"
)

func TestService_GetChunks(t *testing.T) {
	e := newEnv(t)
	_, a := loadFixture(t, e, "default")
	_, b := loadFixture(t, e, "other")
	svc := e.service(t, search.DefaultConfig(), nil)
	ctx := context.Background()
	missing := "00000000-0000-8000-8000-000000000000"
	ids := []string{a.Chunks[1].ID, strings.ToUpper(b.Chunks[2].ID), missing, a.Chunks[1].ID}
	got, err := svc.GetChunks(ctx, ids)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Found) != 2 || got.Found[0].ChunkID != a.Chunks[1].ID || got.Found[1].ChunkID != b.Chunks[2].ID {
		t.Fatalf("found %+v", got.Found)
	}
	if got.Found[0].ProjectID != "default" || got.Found[1].ProjectID != "other" || got.Found[0].Content != a.Chunks[1].Content {
		t.Errorf("found rows: %+v", got.Found)
	}
	if len(got.Missing) != 1 || got.Missing[0] != missing {
		t.Errorf("missing %v", got.Missing)
	}
	one, err := svc.GetChunk(ctx, a.Chunks[0].ID)
	if err != nil || one.ChunkID != a.Chunks[0].ID || one.FilePath != a.Chunks[0].FilePath {
		t.Fatalf("GetChunk: %+v, %v", one, err)
	}
	for _, tc := range []struct {
		name string
		ids  []string
		code apperr.Code
	}{
		{"no ids", nil, apperr.Validation},
		{"malformed id", []string{"abc"}, apperr.Validation},
		{"too many ids", make([]string, search.MaxLookup+1), apperr.Validation},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := svc.GetChunks(ctx, tc.ids); apperr.CodeOf(err) != tc.code {
				t.Fatalf("got %v, want %s", err, tc.code)
			}
		})
	}
	if _, err := svc.GetChunk(ctx, missing); apperr.CodeOf(err) != apperr.NotFound {
		t.Fatalf("unknown chunk: %v, want NOT_FOUND", err)
	}
}
