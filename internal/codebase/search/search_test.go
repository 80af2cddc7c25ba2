package search_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mcp-memory/servers/internal/apperr"
	"github.com/mcp-memory/servers/internal/codebase/search"
	"github.com/mcp-memory/servers/internal/codebase/search/searchtest"
)

// testRepo is a small repository with known answers.
var testRepo = map[string]string{
	"auth/token.go": `package auth

import "time"

// Token is an OAuth access token.
type Token struct {
	Value   string
	Expires time.Time
}

// RefreshToken renews the access token before it expires, using the
// refresh grant of the identity provider.
func RefreshToken(t *Token) (*Token, error) {
	// ask the provider for a new grant
	return &Token{Value: t.Value + "x", Expires: time.Now().Add(time.Hour)}, nil
}
` + strings.Repeat("\n// padding line\n", 30) + `
// Revoke invalidates the token at the provider.
func Revoke(t *Token) error {
	t.Value = ""
	return nil
}
`,
	"config/parse.go": `package config

import "strings"

// parseConfig reads key=value lines into a map.
func parseConfig(text string) map[string]string {
	out := map[string]string{}
	for _, line := range strings.Split(text, "\n") {
		k, v, _ := strings.Cut(line, "=")
		out[k] = v
	}
	return out
}
`,
	"config/parse_test.go": `package config

import "testing"

func TestParseConfig(t *testing.T) {
	got := parseConfig("a=b")
	if got["a"] != "b" {
		t.Fatal(got)
	}
}
`,
	"configx/other.go": `package configx

// parseConfigX is a decoy in a directory that shares a prefix with config.
func parseConfigX() {}
`,
	"a_b/under.go": `package a_b

// Widget holds a widget.
type Widget struct{ N int }
`,
	"axb/cross.go": `package axb

// Widget holds another widget.
type Widget struct{ M int }
`,
	"scripts/deploy.py": `def deploy_service(name):
    """Deploy the service to the cluster."""
    return name
`,
	"web/app.ts": `export function renderWidget(w: number): string {
  return "widget " + w;
}
`,
}

func loadFixture(t *testing.T, e *env, project string) (string, searchtest.Loaded) {
	t.Helper()
	root := t.TempDir()
	srcs := searchtest.WriteTree(t, root, testRepo)
	l := searchtest.Load(context.Background(), t, e.conn, searchtest.Repo{ProjectID: project, Root: root, Commit: "abc123"},
		srcs, searchtest.GoChunks, nil)
	return root, l
}

func TestService_Search(t *testing.T) {
	e := newEnv(t)
	root, l := loadFixture(t, e, "default")
	svc := e.service(t, search.DefaultConfig(), nil)
	ctx := context.Background()

	t.Run("symbol query finds the definition first, not its test", func(t *testing.T) {
		for _, q := range []string{"parseConfig", "parse config"} {
			res, err := svc.Search(ctx, search.Query{Text: q})
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Results) == 0 || res.Results[0].Symbol != "parseConfig" {
				t.Fatalf("%q: first result %+v, want parseConfig", q, first(res))
			}
		}
	})
	t.Run("natural language finds the function", func(t *testing.T) {
		res, err := svc.Search(ctx, search.Query{Text: "where do we refresh auth tokens"})
		if err != nil {
			t.Fatal(err)
		}
		if got := first(res); got.Symbol != "RefreshToken" {
			t.Fatalf("first result %s, want RefreshToken", got.Symbol)
		}
		h := res.Results[0]
		if h.FilePath != "auth/token.go" || h.RepositoryID != l.RepositoryID || h.ChunkType != "function" || h.Language != "go" {
			t.Errorf("hit fields: %+v", h)
		}
		if h.Commit != "abc123" || h.IndexedAt.IsZero() || h.Stale {
			t.Errorf("freshness: commit %q indexed_at %v stale %v", h.Commit, h.IndexedAt, h.Stale)
		}
		lines := strings.Split(testRepo["auth/token.go"], "\n")
		wantBefore := strings.Join(lines[max(0, h.StartLine-11):h.StartLine-1], "\n")
		wantAfter := strings.Join(lines[h.EndLine:min(len(lines), h.EndLine+10)], "\n")
		if h.ContextBefore != wantBefore || h.ContextAfter != wantAfter {
			t.Errorf("context:\nbefore %q\nwant   %q\nafter %q\nwant  %q", h.ContextBefore, wantBefore, h.ContextAfter, wantAfter)
		}
		if res.IndexStatus != search.IndexReady || res.Notice != "" {
			t.Errorf("status %q notice %q", res.IndexStatus, res.Notice)
		}
		prev := 2.0
		for _, h := range res.Results {
			if h.SimilarityScore < 0 || h.SimilarityScore > 1 || h.SimilarityScore > prev {
				t.Errorf("scores must be in [0,1] and descending: %v after %v", h.SimilarityScore, prev)
			}
			prev = h.SimilarityScore
		}
	})

	filterTests := []struct {
		name  string
		q     search.Query
		check func(h search.Hit) bool
		min   int
	}{
		{"file_type without dot", search.Query{Text: "deploy service widget", FileType: "py"}, func(h search.Hit) bool { return strings.HasSuffix(h.FilePath, ".py") }, 1},
		{"file_type with dot, upper case", search.Query{Text: "deploy service widget", FileType: ".PY"}, func(h search.Hit) bool { return strings.HasSuffix(h.FilePath, ".py") }, 1},
		{"directory on a slash boundary", search.Query{Text: "parse config", Directory: "config"}, func(h search.Hit) bool { return strings.HasPrefix(h.FilePath, "config/") }, 2},
		{"directory with slashes and dot", search.Query{Text: "parse config", Directory: "./config/"}, func(h search.Hit) bool { return strings.HasPrefix(h.FilePath, "config/") }, 2},
		{"directory glob", search.Query{Text: "parse config", Directory: "conf*"}, func(h search.Hit) bool {
			return strings.HasPrefix(h.FilePath, "config/") || strings.HasPrefix(h.FilePath, "configx/")
		}, 3},
		{"underscore is not a wildcard", search.Query{Text: "widget", Directory: "a_b"}, func(h search.Hit) bool { return strings.HasPrefix(h.FilePath, "a_b/") }, 1},
		{"language", search.Query{Text: "widget", Language: "TypeScript"}, func(h search.Hit) bool { return h.Language == "typescript" }, 1},
		{"repository", search.Query{Text: "widget", RepositoryID: l.RepositoryID}, func(h search.Hit) bool { return h.RepositoryID == l.RepositoryID }, 3},
	}
	for _, tc := range filterTests {
		t.Run("filter "+tc.name, func(t *testing.T) {
			res, err := svc.Search(ctx, tc.q)
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Results) < tc.min {
				t.Fatalf("%d results, want at least %d", len(res.Results), tc.min)
			}
			for _, h := range res.Results {
				if !tc.check(h) {
					t.Errorf("result %s passes no filter", h.FilePath)
				}
			}
		})
	}
	t.Run("filters that match nothing give an empty result", func(t *testing.T) {
		for _, q := range []search.Query{
			{Text: "parse config", Directory: "conf"},
			{Text: "parse config", Directory: "c%"},
			{Text: "parse config", FileType: "rs"},
			{Text: "widget", Directory: "a%b"},
		} {
			res, err := svc.Search(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Results) != 0 {
				t.Errorf("%+v: got %d results (%s), want none", q, len(res.Results), first(res).FilePath)
			}
		}
	})
	t.Run("limit", func(t *testing.T) {
		res, err := svc.Search(ctx, search.Query{Text: "widget token config deploy", Limit: 2})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Results) != 2 || res.TotalCount != 2 {
			t.Fatalf("limit 2: %d results", len(res.Results))
		}
	})
	t.Run("stale after editing a file", func(t *testing.T) {
		p := filepath.Join(root, "config", "parse.go")
		if err := os.WriteFile(p, []byte(testRepo["config/parse.go"]+"\n// edited\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		// Same size and a new mtime must still be caught by the hash.
		q := filepath.Join(root, "auth", "token.go")
		same := strings.Replace(testRepo["auth/token.go"], "renews", "RENEWS", 1)
		if err := os.WriteFile(q, []byte(same), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(q, time.Now().Add(time.Hour), time.Now().Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		res, err := svc.Search(ctx, search.Query{Text: "parse config token widget", Limit: 20})
		if err != nil {
			t.Fatal(err)
		}
		var seen int
		for _, h := range res.Results {
			want := h.FilePath == "config/parse.go" || h.FilePath == "auth/token.go"
			if h.Stale != want {
				t.Errorf("%s: stale %v, want %v", h.FilePath, h.Stale, want)
			}
			if want {
				seen++
			}
		}
		if seen == 0 {
			for _, h := range res.Results {
				t.Log(h.FilePath, h.Symbol, h.SimilarityScore)
			}
			t.Fatal("no result from an edited file")
		}
	})
}

func first(r search.Result) search.Hit {
	if len(r.Results) == 0 {
		return search.Hit{}
	}
	return r.Results[0]
}

func TestService_Search_BadInput(t *testing.T) {
	e := newEnv(t)
	loadFixture(t, e, "default")
	svc := e.service(t, search.DefaultConfig(), nil)
	tests := []struct {
		name string
		q    search.Query
		code apperr.Code
	}{
		{"empty query", search.Query{Text: ""}, apperr.Validation},
		{"whitespace query", search.Query{Text: " \t\n "}, apperr.Validation},
		{"query without words", search.Query{Text: "!!! ---"}, apperr.Validation},
		{"too long query", search.Query{Text: strings.Repeat("a ", 1500)}, apperr.Validation},
		{"limit too high", search.Query{Text: "token", Limit: 51}, apperr.Validation},
		{"negative limit", search.Query{Text: "token", Limit: -1}, apperr.Validation},
		{"min_similarity above 1", search.Query{Text: "token", MinSimilarity: 1.5}, apperr.Validation},
		{"tiny max_tokens", search.Query{Text: "token", MaxTokens: 10}, apperr.Validation},
		{"malformed repository id", search.Query{Text: "token", RepositoryID: "not-a-uuid"}, apperr.Validation},
		{"bad file type", search.Query{Text: "token", FileType: "g o"}, apperr.Validation},
		{"directory escaping the root", search.Query{Text: "token", Directory: "../etc"}, apperr.Validation},
		{"unknown project", search.Query{Text: "token", ProjectID: "nope"}, apperr.NotFound},
		{"unknown repository", search.Query{Text: "token", RepositoryID: "00000000-0000-4000-8000-000000000000"}, apperr.NotFound},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := svc.Search(context.Background(), tc.q)
			if got := apperr.CodeOf(err); got != tc.code {
				t.Fatalf("code %q (%v), want %q", got, err, tc.code)
			}
		})
	}
}

func TestService_Search_ProjectIsolation(t *testing.T) {
	e := newEnv(t)
	_, a := loadFixture(t, e, "default")
	_, b := loadFixture(t, e, "other")
	svc := e.service(t, search.DefaultConfig(), nil)
	ids := map[string]string{}
	for _, c := range a.Chunks {
		ids[c.ID] = "default"
	}
	for _, c := range b.Chunks {
		ids[c.ID] = "other"
	}
	for _, p := range []string{"default", "other"} {
		for _, q := range []string{"widget", "parse config", "refresh token", "deploy"} {
			res, err := svc.Search(context.Background(), search.Query{Text: q, ProjectID: p, Limit: 50})
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Results) == 0 {
				t.Fatalf("%s/%q: no results", p, q)
			}
			for _, h := range res.Results {
				if ids[h.ChunkID] != p || h.ProjectID != p {
					t.Errorf("search in %s returned chunk %s of %s", p, h.ChunkID, ids[h.ChunkID])
				}
			}
		}
	}
	// A repository of another project is unknown here.
	_, err := svc.Search(context.Background(), search.Query{Text: "widget", RepositoryID: b.RepositoryID})
	if apperr.CodeOf(err) != apperr.NotFound {
		t.Fatalf("other project's repository: %v, want NOT_FOUND", err)
	}
}

func TestService_Search_MaxTokens(t *testing.T) {
	e := newEnv(t)
	root := t.TempDir()
	files := map[string]string{}
	for i := 0; i < 20; i++ {
		var b strings.Builder
		fmt.Fprintf(&b, "package big\n\n// Handler%d handles a widget request.\nfunc Handler%d() {\n", i, i)
		for j := 0; j < 60; j++ {
			fmt.Fprintf(&b, "\twidgetCount := %d // widget line %d\n\t_ = widgetCount\n", j, j)
		}
		b.WriteString("}\n")
		files[fmt.Sprintf("big/h%02d.go", i)] = b.String()
	}
	searchtest.Load(context.Background(), t, e.conn, searchtest.Repo{ProjectID: "default", Root: root},
		searchtest.WriteTree(t, root, files), searchtest.GoChunks, nil)
	svc := e.service(t, search.DefaultConfig(), nil)
	for _, budget := range []int{500, 1200, 4000} {
		res, err := svc.Search(context.Background(), search.Query{Text: "widget handler", Limit: 20, MaxTokens: budget})
		if err != nil {
			t.Fatal(err)
		}
		chars := 0
		for _, h := range res.Results {
			chars += len(h.Content) + len(h.ContextBefore) + len(h.ContextAfter) + len(h.FilePath) + len(h.Symbol) + len(h.ChunkID) + len(h.RepositoryID)
		}
		if chars/4 > budget || res.EstimatedTokens > budget {
			t.Errorf("budget %d: %d content tokens, estimate %d", budget, chars/4, res.EstimatedTokens)
		}
		if len(res.Results) == 0 {
			t.Errorf("budget %d: nothing returned", budget)
		}
		if !res.Truncated || res.Notice == "" {
			t.Errorf("budget %d: truncated %v notice %q, want both set", budget, res.Truncated, res.Notice)
		}
		anyMark := res.Omitted > 0
		for _, h := range res.Results {
			anyMark = anyMark || h.ContentTruncated || h.ContextTrimmed
		}
		if !anyMark {
			t.Errorf("budget %d: nothing marked as trimmed", budget)
		}
	}
	res, err := svc.Search(context.Background(), search.Query{Text: "widget handler", Limit: 20})
	if err != nil {
		t.Fatal(err)
	}
	if res.Truncated || len(res.Results) != 20 {
		t.Errorf("no budget: truncated %v, %d results", res.Truncated, len(res.Results))
	}
}

func TestService_Search_IndexState(t *testing.T) {
	e := newEnv(t)
	svc := e.service(t, search.DefaultConfig(), nil)
	ctx := context.Background()
	res, err := svc.Search(ctx, search.Query{Text: "anything"})
	if err != nil {
		t.Fatal(err)
	}
	if res.IndexStatus != search.IndexEmpty || !strings.Contains(res.Notice, "nothing is indexed") || len(res.Results) != 0 {
		t.Fatalf("empty project: %+v", res)
	}
	_, l := loadFixture(t, e, "default")
	if _, err := e.conn.Exec(ctx, `INSERT INTO index_jobs (project_id, job_id, repository_id, repo_path, status)
	    VALUES ('default', gen_random_uuid(), $1, '/x', 'running')`, l.RepositoryID); err != nil {
		t.Fatal(err)
	}
	res, err = svc.Search(ctx, search.Query{Text: "widget"})
	if err != nil {
		t.Fatal(err)
	}
	if res.IndexStatus != search.IndexBuilding || !strings.Contains(res.Notice, "still running") || len(res.Results) == 0 {
		t.Fatalf("running job: status %q notice %q results %d", res.IndexStatus, res.Notice, len(res.Results))
	}
}

func TestService_Search_Metrics(t *testing.T) {
	e := newEnv(t)
	loadFixture(t, e, "default")
	svc := e.service(t, search.DefaultConfig(), nil)
	ctx := context.Background()
	for _, q := range []string{"widget", "zzqqxx", "token"} {
		if _, err := svc.Search(ctx, search.Query{Text: q}); err != nil {
			t.Fatal(err)
		}
	}
	if n := gathered(t, e.reg, "codebase_mcp_search_latency_seconds"); n != 3 {
		t.Fatalf("latency samples = %v, want 3", n)
	}
	if got := gathered(t, e.reg, "codebase_mcp_search_empty_results_total"); got != 1 {
		t.Fatalf("empty searches = %v, want 1", got)
	}
}
