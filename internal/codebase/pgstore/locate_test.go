package pgstore_test

import (
	"context"
	"log/slog"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/mcp-memory/servers/internal/codebase/pgstore"
	"github.com/mcp-memory/servers/internal/codebase/search"
	"github.com/mcp-memory/servers/internal/codebase/search/searchtest"
	"github.com/mcp-memory/servers/internal/platform/dbpool"
	"github.com/mcp-memory/servers/internal/platform/dbtest"
	"github.com/mcp-memory/servers/migrations"
)

const locateSrc = `package a

func init() { println("first") }

// Alpha is the first function.
func Alpha() int { return 1 }

func init() { println("second") }
`

func TestStore_LocateChunks(t *testing.T) {
	dsn := dbtest.New(t, migrations.Codebase())
	ctx := context.Background()
	pool, err := dbpool.Open(ctx, dbpool.Config{DSN: dsn, MaxConns: 4}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	store := pgstore.New(pool)

	// The same file in two repositories of two projects.
	load := func(project string) searchtest.Loaded {
		root := t.TempDir()
		srcs := searchtest.WriteTree(t, root, map[string]string{"a/a.go": locateSrc})
		return searchtest.Load(ctx, t, conn, searchtest.Repo{ProjectID: project, Root: root}, srcs, searchtest.GoChunks, nil)
	}
	l1, l2 := load("p1"), load("p2")
	byRepoSymbol := func(l searchtest.Loaded, symbol string) (id string, start int) {
		start = 1 << 30
		for _, c := range l.Chunks {
			if c.Symbol == symbol && c.StartLine < start {
				id, start = c.ID, c.StartLine
			}
		}
		return id, start
	}

	locs := []search.Location{
		{RepositoryID: l1.RepositoryID, FilePath: "a/a.go", Symbol: "Alpha"},
		{RepositoryID: l2.RepositoryID, FilePath: "a/a.go", Symbol: "Alpha"},
		{RepositoryID: l1.RepositoryID, FilePath: "a/a.go", Symbol: "init"},
		{RepositoryID: l1.RepositoryID, FilePath: "a/a.go", Symbol: "Beta"},
		{RepositoryID: l1.RepositoryID, FilePath: "a/b.go", Symbol: "Alpha"},
		{RepositoryID: "00000000-0000-4000-8000-000000000000", FilePath: "a/a.go", Symbol: "Alpha"},
	}
	got, err := store.LocateChunks(ctx, locs)
	if err != nil {
		t.Fatal(err)
	}
	alpha1, _ := byRepoSymbol(l1, "Alpha")
	alpha2, _ := byRepoSymbol(l2, "Alpha")
	init1, _ := byRepoSymbol(l1, "init")
	want := map[search.Location]string{locs[0]: alpha1, locs[1]: alpha2, locs[2]: init1}
	if alpha1 == "" || alpha1 == alpha2 || init1 == "" {
		t.Fatalf("fixture: alpha %q %q init %q", alpha1, alpha2, init1)
	}
	if len(got) != len(want) {
		t.Errorf("located %d, want %d: %v", len(got), len(want), got)
	}
	for l, id := range want {
		if got[l] != id {
			t.Errorf("%+v: got %q, want %q", l, got[l], id)
		}
	}

	if got, err := store.LocateChunks(ctx, nil); err != nil || len(got) != 0 {
		t.Errorf("no locations: %v %v", got, err)
	}
}
