package migrate_test

import (
	"context"
	"errors"
	"io/fs"
	"strings"
	"sync"
	"testing"
	"testing/fstest"

	"github.com/jackc/pgx/v5"

	"github.com/mcp-memory/servers/internal/platform/dbtest"
	"github.com/mcp-memory/servers/internal/platform/migrate"
	"github.com/mcp-memory/servers/migrations"
)

func TestLoad(t *testing.T) {
	tests := []struct {
		name    string
		files   fstest.MapFS
		want    []int
		wantErr string
	}{
		{"OK", fstest.MapFS{"0002_b.sql": {Data: []byte("b")}, "0001_a.sql": {Data: []byte("a")}, "README.md": {}}, []int{1, 2}, ""},
		{"Gap", fstest.MapFS{"0001_a.sql": {}, "0003_c.sql": {}}, nil, "expected version 2"},
		{"Repeat", fstest.MapFS{"0001_a.sql": {}, "0001_b.sql": {}}, nil, "expected version 2"},
		{"BadName", fstest.MapFS{"init.sql": {}}, nil, "0001_description.sql"},
		{"Empty", fstest.MapFS{}, nil, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ms, err := migrate.Load(tc.files)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want it to mention %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []int
			for _, m := range ms {
				got = append(got, m.Version)
			}
			if len(got) != len(tc.want) {
				t.Fatalf("versions = %v, want %v", got, tc.want)
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Fatalf("versions = %v, want %v", got, tc.want)
				}
			}
		})
	}
}

// TestEmbedded checks that both servers' embedded migrations load and
// apply to a real database, and that dbtest records the server as owner,
// so a server started on a test database accepts it.
func TestEmbedded(t *testing.T) {
	for id, fsys := range map[string]fs.FS{"codebase-mcp": migrations.Codebase(), "workflow-mcp": migrations.Workflow()} {
		t.Run(id, func(t *testing.T) {
			ms, err := migrate.Load(fsys)
			if err != nil || len(ms) == 0 {
				t.Fatalf("load: %d migrations, %v", len(ms), err)
			}
			dsn := dbtest.New(t, fsys)
			conn := connect(t, dsn)
			cur, err := migrate.Current(context.Background(), conn)
			if err != nil || cur != migrate.Latest(ms) {
				t.Fatalf("version after migrate = %d (%v), want %d", cur, err, migrate.Latest(ms))
			}
			if err := migrate.Check(context.Background(), conn, id, ms); err != nil {
				t.Fatalf("Check as %s: %v", id, err)
			}
		})
	}
}

func connect(t *testing.T, dsn string) *pgx.Conn {
	t.Helper()
	c, err := pgx.Connect(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close(context.Background()) })
	return c
}

// owner is the server id the tests migrate as.
const owner = "test-mcp"

var twoSteps = fstest.MapFS{
	"0001_things.sql": {Data: []byte("CREATE TABLE things (id int PRIMARY KEY);")},
	"0002_more.sql":   {Data: []byte("ALTER TABLE things ADD COLUMN name text;")},
}

func TestUp(t *testing.T) {
	ctx := context.Background()
	dsn := dbtest.NewEmpty(t)
	ms, err := migrate.Load(twoSteps)
	if err != nil {
		t.Fatal(err)
	}
	conn := connect(t, dsn)

	if err := migrate.Check(ctx, conn, owner, ms); err == nil {
		t.Fatal("Check on an empty database passed, want a version error")
	}
	applied, err := migrate.Up(ctx, conn, owner, ms)
	if err != nil || len(applied) != 2 {
		t.Fatalf("first Up applied %v, err %v; want [1 2]", applied, err)
	}
	if _, err := conn.Exec(ctx, "INSERT INTO things (id, name) VALUES (1, 'x')"); err != nil {
		t.Fatalf("migrated table unusable: %v", err)
	}
	again, err := migrate.Up(ctx, conn, owner, ms)
	if err != nil || len(again) != 0 {
		t.Fatalf("second Up applied %v, err %v; want nothing", again, err)
	}
	if err := migrate.Check(ctx, conn, owner, ms); err != nil {
		t.Fatalf("Check after Up: %v", err)
	}

	// A binary that knows only version 1 must refuse the newer database.
	var ve *migrate.VersionError
	err = migrate.Check(ctx, conn, owner, ms[:1])
	if !errors.As(err, &ve) || ve.Current != 2 || ve.Expected != 1 || !strings.Contains(err.Error(), "upgrade the binary") {
		t.Fatalf("Check with an older binary: %v", err)
	}
	if _, err := migrate.Up(ctx, conn, owner, ms[:1]); !errors.As(err, &ve) {
		t.Fatalf("Up with an older binary: %v, want a VersionError", err)
	}
}

// TestUp_FailedMigrationChangesNothing checks that a failing migration is
// rolled back whole and not recorded.
func TestUp_FailedMigrationChangesNothing(t *testing.T) {
	ctx := context.Background()
	dsn := dbtest.NewEmpty(t)
	ms, err := migrate.Load(fstest.MapFS{
		"0001_ok.sql":  {Data: []byte("CREATE TABLE ok (id int);")},
		"0002_bad.sql": {Data: []byte("CREATE TABLE half (id int); SELECT no_such_function();")},
	})
	if err != nil {
		t.Fatal(err)
	}
	conn := connect(t, dsn)
	applied, err := migrate.Up(ctx, conn, owner, ms)
	if err == nil || !strings.Contains(err.Error(), "0002_bad.sql") {
		t.Fatalf("err = %v, want it to name 0002_bad.sql", err)
	}
	if len(applied) != 1 {
		t.Fatalf("applied = %v, want [1]", applied)
	}
	cur, err := migrate.Current(ctx, conn)
	if err != nil || cur != 1 {
		t.Fatalf("version = %d (%v), want 1", cur, err)
	}
	var half bool
	if err := conn.QueryRow(ctx, "SELECT to_regclass('half') IS NOT NULL").Scan(&half); err != nil || half {
		t.Fatalf("table from the failed migration exists = %v (%v)", half, err)
	}
}

// TestUp_Concurrent runs several migrators at once; the advisory lock must
// serialise them so every migration is applied exactly once.
func TestUp_Concurrent(t *testing.T) {
	ctx := context.Background()
	dsn := dbtest.NewEmpty(t)
	ms, err := migrate.Load(twoSteps)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	total := make(chan int, 4)
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := pgx.Connect(ctx, dsn)
			if err != nil {
				t.Error(err)
				return
			}
			defer c.Close(ctx)
			applied, err := migrate.Up(ctx, c, owner, ms)
			if err != nil {
				t.Error(err)
			}
			total <- len(applied)
		}()
	}
	wg.Wait()
	close(total)
	sum := 0
	for n := range total {
		sum += n
	}
	if sum != 2 {
		t.Fatalf("migrations applied %d times in total, want 2", sum)
	}
}

func TestEnsureDatabase(t *testing.T) {
	ctx := context.Background()
	base := dbtest.BaseURL(t)
	dsn := dbtest.NewEmpty(t)
	created, err := migrate.EnsureDatabase(ctx, dsn)
	if err != nil || created {
		t.Fatalf("existing database: created=%v err=%v", created, err)
	}
	name := "test_ensure_" + strings.ToLower(strings.ReplaceAll(t.Name(), "/", "_"))
	missing := dbtest.WithDatabase(base, name)
	admin := connect(t, base)
	t.Cleanup(func() { admin.Exec(context.Background(), "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)") })
	created, err = migrate.EnsureDatabase(ctx, missing)
	if err != nil || !created {
		t.Fatalf("missing database: created=%v err=%v", created, err)
	}
	connect(t, missing)
}
