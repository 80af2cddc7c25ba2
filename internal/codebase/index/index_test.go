package index_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mcp-memory/servers/internal/apperr"
	"github.com/mcp-memory/servers/internal/codebase"
	"github.com/mcp-memory/servers/internal/codebase/index"
)

// pyFile is a Python file with n functions named after name.
func pyFile(name string, n int) string {
	var b strings.Builder
	b.WriteString("import os\n\n")
	for i := range n {
		fmt.Fprintf(&b, "def %s_%d(x):\n    # add %d to x\n    return x + %d\n\n", name, i, i, i)
	}
	// The same block twice: ordinals keep the ids apart.
	b.WriteString("print('done')\n\nprint('done')\n")
	return b.String()
}

func sampleRepo(tb testing.TB, files int) string {
	tb.Helper()
	root := tb.TempDir()
	m := map[string]string{}
	for i := range files {
		m[fmt.Sprintf("pkg%d/mod%d.py", i%3, i)] = pyFile(fmt.Sprintf("f%d", i), 4)
	}
	writeTree(tb, root, m)
	return root
}

func mustIndex(tb testing.TB, svc *index.Service, req index.Request) index.Job {
	tb.Helper()
	job, err := svc.Index(context.Background(), req, nil)
	if err != nil {
		tb.Fatal(err)
	}
	if job.Status != codebase.JobCompleted {
		tb.Fatalf("job %s: status %s, error %q", job.ID, job.Status, job.ErrorMessage)
	}
	return job
}

func TestIndex_IncrementalReindex(t *testing.T) {
	e := newEnv(t)
	emb := &testEmbedder{name: "test", dim: 8}
	svc := e.service(emb, index.Config{})
	root := sampleRepo(t, 8)
	writeTree(t, root, map[string]string{"keep/same.py": pyFile("same", 3), "old/name.py": pyFile("renamed", 2)})

	job := mustIndex(t, svc, index.Request{RepoPath: root})
	if job.FilesTotal != 10 || job.FilesDone != 10 || job.ProgressPercent != 100 {
		t.Errorf("first job: files %d/%d, %v%%", job.FilesDone, job.FilesTotal, job.ProgressPercent)
	}
	if job.FilesByLanguage["python"] != 10 || job.ChunksByLanguage["python"] != job.ChunksWritten {
		t.Errorf("by language: files %v, chunks %v (written %d)", job.FilesByLanguage, job.ChunksByLanguage, job.ChunksWritten)
	}
	before := e.chunks(t, "default")
	if len(before) != job.ChunksWritten || len(before) != 8*(4+3)+(3+3)+(2+3) {
		t.Fatalf("stored %d chunks, job wrote %d", len(before), job.ChunksWritten)
	}
	e.checkConsistent(t, "default")
	callsAfterFirst := emb.calls.Load()

	// Unchanged: nothing read, nothing written.
	job = mustIndex(t, svc, index.Request{RepoPath: root})
	if job.ChunksWritten != 0 || !strings.HasPrefix(job.Message, "up to date") {
		t.Errorf("unchanged re-index: wrote %d chunks, message %q", job.ChunksWritten, job.Message)
	}
	if emb.calls.Load() != callsAfterFirst {
		t.Errorf("unchanged re-index called the embedder")
	}

	// Modify one function of mod1, add a file, delete mod2, rename old/name.py,
	// touch keep/same.py without changing it.
	mod1 := filepath.Join(root, "pkg1/mod1.py")
	writeTree(t, root, map[string]string{
		"pkg1/mod1.py": strings.Replace(pyFile("f1", 4), "return x + 2", "return x * 2", 1),
		"new/added.py": pyFile("added", 2),
		"new/name.py":  pyFile("renamed", 2),
	})
	if err := os.Remove(filepath.Join(root, "pkg2/mod2.py")); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(root, "old/name.py")); err != nil {
		t.Fatal(err)
	}
	later := time.Now().Add(time.Hour)
	if err := os.Chtimes(filepath.Join(root, "keep/same.py"), later, later); err != nil {
		t.Fatal(err)
	}
	job = mustIndex(t, svc, index.Request{RepoPath: root})
	after := e.chunks(t, "default")
	e.checkConsistent(t, "default")

	for id, c := range before {
		_, kept := after[id]
		switch {
		case c.Path == "pkg2/mod2.py" || c.Path == "old/name.py":
			if kept {
				t.Errorf("chunk %s of deleted %s survived", id, c.Path)
			}
		case c.Path == "pkg1/mod1.py" && c.Symbol == "f1_2":
			if kept {
				t.Errorf("changed function f1_2 kept its id")
			}
		default:
			if !kept {
				t.Errorf("unchanged chunk %s (%s %s) lost its id", id, c.Path, c.Symbol)
			}
		}
	}
	var added, renamed, changed int
	for id, c := range after {
		if _, ok := before[id]; ok {
			continue
		}
		switch {
		case c.Path == "new/added.py":
			added++
		case c.Path == "new/name.py":
			renamed++
		case c.Path == "pkg1/mod1.py" && c.Symbol == "f1_2":
			changed++
		default:
			t.Errorf("unexpected new chunk %+v", c)
		}
	}
	if added != 5 || renamed != 5 || changed != 1 {
		t.Errorf("new chunks: added %d, renamed %d, changed %d; want 5, 5, 1", added, renamed, changed)
	}
	if job.ChunksWritten != 5+5+len(blockChunker{}.Chunk(context.Background(), "python", mustRead(t, mod1))) {
		t.Errorf("second job wrote %d chunks", job.ChunksWritten)
	}
	for _, c := range after {
		if !c.HasEmbedding {
			t.Errorf("chunk %s has no embedding", c.ID)
		}
	}
	repos, err := svc.Repositories(context.Background(), "", 0, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(repos.Repositories) != 1 || repos.Repositories[0].FileCount != 10 || repos.Repositories[0].ChunkCount != len(after) {
		t.Errorf("repositories = %+v", repos.Repositories)
	}
	if repos.Repositories[0].ChangedSinceIndex {
		t.Error("changed_since_index right after an index")
	}
	writeTree(t, root, map[string]string{"pkg0/mod0.py": "def changed():\n    pass\n"})
	repos, err = svc.Repositories(context.Background(), "", 0, "")
	if err != nil {
		t.Fatal(err)
	}
	if !repos.Repositories[0].ChangedSinceIndex {
		t.Error("changed_since_index false after a file changed")
	}

	// Force rewrites everything and yields the same ids.
	final := e.chunks(t, "default")
	mustIndex(t, svc, index.Request{RepoPath: root})
	final = e.chunks(t, "default")
	mustIndex(t, svc, index.Request{RepoPath: root, Force: true})
	if got := e.chunks(t, "default"); fmt.Sprint(ids(got)) != fmt.Sprint(ids(final)) {
		t.Errorf("force re-index changed chunk ids")
	}
	e.checkConsistent(t, "default")
}

func mustRead(tb testing.TB, p string) []byte {
	tb.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

func TestIndex_ProjectIsolation(t *testing.T) {
	e := newEnv(t)
	svc := e.service(&testEmbedder{name: "test", dim: 8}, index.Config{})
	root := sampleRepo(t, 3)
	other := sampleRepo(t, 2)
	ja := mustIndex(t, svc, index.Request{RepoPath: root, ProjectID: "alpha"})
	jb := mustIndex(t, svc, index.Request{RepoPath: root, ProjectID: "beta"})
	mustIndex(t, svc, index.Request{RepoPath: other, ProjectID: "beta"})
	a, b := e.chunks(t, "alpha"), e.chunks(t, "beta")
	if len(a) != ja.ChunksWritten || len(b) <= jb.ChunksWritten {
		t.Fatalf("alpha %d chunks (job %d), beta %d", len(a), ja.ChunksWritten, len(b))
	}
	for id := range a {
		if _, ok := b[id]; ok {
			t.Errorf("chunk id %s in both projects", id)
		}
	}
	e.checkConsistent(t, "alpha")
	e.checkConsistent(t, "beta")
	ctx := context.Background()
	ra, err := svc.Repositories(ctx, "alpha", 0, "")
	if err != nil {
		t.Fatal(err)
	}
	rb, err := svc.Repositories(ctx, "beta", 0, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(ra.Repositories) != 1 || len(rb.Repositories) != 2 || ra.Repositories[0].ID == rb.Repositories[0].ID {
		t.Errorf("alpha repos %+v, beta repos %+v", ra.Repositories, rb.Repositories)
	}
	if _, err := svc.Repositories(ctx, "gamma", 0, ""); codeOf(err) != apperr.NotFound {
		t.Errorf("unknown project: err = %v, want NOT_FOUND", err)
	}
	// Paging: one per page, no repeats.
	p1, err := svc.Repositories(ctx, "beta", 1, "")
	if err != nil || len(p1.Repositories) != 1 || p1.NextCursor == "" {
		t.Fatalf("page 1 = %+v, %v", p1, err)
	}
	p2, err := svc.Repositories(ctx, "beta", 1, p1.NextCursor)
	if err != nil || len(p2.Repositories) != 1 || p2.NextCursor != "" || p2.Repositories[0].ID == p1.Repositories[0].ID {
		t.Fatalf("page 2 = %+v, %v", p2, err)
	}
	if _, err := svc.Repositories(ctx, "beta", 501, ""); codeOf(err) != apperr.Validation {
		t.Errorf("limit 501: err = %v", err)
	}
	if _, err := svc.Repositories(ctx, "beta", 1, "garbage!"); codeOf(err) != apperr.Validation {
		t.Errorf("bad cursor: err = %v", err)
	}
	// Lookups by id work across projects.
	want := []string{ids(a)[0], "no-such-chunk", ids(b)[0]}
	found, missing, err := e.store.LookupChunks(ctx, want)
	if err != nil {
		t.Fatal(err)
	}
	if len(found) != 2 || found[0].ProjectID != "alpha" || found[1].ProjectID != "beta" || len(missing) != 1 || missing[0] != "no-such-chunk" {
		t.Errorf("lookup: found %d, missing %v", len(found), missing)
	}
	if _, err := e.store.GetChunk(ctx, "no-such-chunk"); codeOf(err) != apperr.NotFound {
		t.Errorf("GetChunk unknown: %v", err)
	}
}

func TestIndex_SkipsBinaryAndOversized(t *testing.T) {
	e := newEnv(t)
	svc := e.service(&testEmbedder{name: "test", dim: 8}, index.Config{MaxFileSize: 4096})
	root := sampleRepo(t, 2)
	writeTree(t, root, map[string]string{
		"blob.py":  "def x():\n    pass\n\x00\x01\x02",
		"huge.py":  strings.Repeat("x = 1\n", 2000),
		"late.txt": strings.Repeat("a", 9000)[:4000] + "\x00",
	})
	job := mustIndex(t, svc, index.Request{RepoPath: root})
	if job.Skipped[codebase.SkipBinary] != 2 || job.Skipped[codebase.SkipTooLarge] != 1 {
		t.Errorf("skipped = %v, want 2 binary (one found by the scan, one by the full read) and 1 too_large", job.Skipped)
	}
	for _, p := range []string{"blob.py", "huge.py", "late.txt"} {
		if n := e.count(t, `SELECT count(*) FROM files WHERE path = $1`, p); n != 0 {
			t.Errorf("%s was indexed", p)
		}
	}
	if n := e.count(t, `SELECT count(*) FROM files`); n != 2 {
		t.Errorf("%d files indexed, want 2", n)
	}
}

func TestIndex_NothingIndexableFails(t *testing.T) {
	e := newEnv(t)
	svc := e.service(&testEmbedder{name: "test", dim: 8}, index.Config{})
	root := t.TempDir()
	writeTree(t, root, map[string]string{".gitignore": "*\n", "a.py": "x = 1\n", "b/c.py": "y = 2\n"})
	if err := os.Mkdir(filepath.Join(root, ".git"), 0o755); err != nil {
		t.Fatal(err)
	}
	job, err := svc.Index(context.Background(), index.Request{RepoPath: root}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if job.Status != codebase.JobFailed || !strings.Contains(job.ErrorMessage, "0 of") || !strings.Contains(job.ErrorMessage, "ignored") {
		t.Errorf("job = %s %q, want failed with the counts", job.Status, job.ErrorMessage)
	}
	if job.Skipped[codebase.SkipIgnored] == 0 {
		t.Errorf("skipped = %v", job.Skipped)
	}
	if len(e.logs.Events(t, "indexing_failed")) != 1 {
		t.Error("no indexing_failed event")
	}
}

func TestStart_DryRunWritesNothing(t *testing.T) {
	e := newEnv(t)
	svc := e.service(&testEmbedder{name: "test", dim: 8}, index.Config{})
	root := sampleRepo(t, 4)
	writeTree(t, root, map[string]string{"img.png": "\x89PNG\r\n", "bin.dat": "a\x00b"})
	counts := func() string {
		var b strings.Builder
		for _, tbl := range []string{"projects", "repositories", "files", "chunks", "term_df", "lexical_stats", "index_jobs", "index_settings"} {
			fmt.Fprintf(&b, "%s=%d ", tbl, e.count(t, "SELECT count(*) FROM "+tbl))
		}
		return b.String()
	}
	before := counts()
	st, err := svc.Start(context.Background(), index.Request{RepoPath: root, ProjectID: "newproj", DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	d := st.DryRun
	if d == nil || d.Files != 4 || d.FilesByLanguage["python"] != 4 || d.Bytes == 0 || d.EstimatedChunks == 0 || d.Summary == "" {
		t.Fatalf("dry run = %+v", d)
	}
	if d.Skipped[codebase.SkipBinary]+d.Skipped[codebase.SkipUnsupported] != 2 || len(d.Examples) == 0 {
		t.Errorf("skipped = %v, examples %v", d.Skipped, d.Examples)
	}
	if after := counts(); after != before {
		t.Errorf("dry run wrote: before %s, after %s", before, after)
	}
}

func TestStart_Validation(t *testing.T) {
	e := newEnv(t)
	allowed := t.TempDir()
	svc := e.service(&testEmbedder{name: "test", dim: 8}, index.Config{AllowedRoots: []string{allowed}})
	file := filepath.Join(allowed, "f.py")
	writeTree(t, allowed, map[string]string{"f.py": "x = 1\n"})
	outside := t.TempDir()
	tests := []struct {
		name string
		req  index.Request
		want string
	}{
		{"Empty", index.Request{}, "required"},
		{"Relative", index.Request{RepoPath: "src/repo"}, "absolute"},
		{"Missing", index.Request{RepoPath: filepath.Join(allowed, "nope")}, "does not exist"},
		{"File", index.Request{RepoPath: file}, "not a directory"},
		{"OutsideAllowed", index.Request{RepoPath: outside}, allowed},
		{"BadProject", index.Request{RepoPath: allowed, ProjectID: "bad project!"}, "project_id"},
	}
	before := e.count(t, "SELECT count(*) FROM index_jobs")
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := svc.Start(context.Background(), tc.req)
			if codeOf(err) != apperr.Validation || !strings.Contains(apperr.MessageOf(err), tc.want) {
				t.Errorf("err = %v, want VALIDATION_ERROR mentioning %q", err, tc.want)
			}
		})
	}
	if e.count(t, "SELECT count(*) FROM index_jobs") != before {
		t.Error("a rejected request created a job")
	}
	if _, err := svc.Status(context.Background(), "not-a-uuid"); codeOf(err) != apperr.Validation {
		t.Errorf("status of a bad id: %v", err)
	}
	if _, err := svc.Status(context.Background(), "5f0f5d4e-8d1c-4a53-9a4e-0d3f1b7a9c11"); codeOf(err) != apperr.NotFound {
		t.Errorf("status of an unknown id: %v", err)
	}
}

func TestStart_ConcurrentRequestsOneJob(t *testing.T) {
	e := newEnv(t)
	svc := e.service(&testEmbedder{name: "test", dim: 8}, index.Config{})
	root := sampleRepo(t, 2)
	var wg sync.WaitGroup
	results := make([]index.Started, 8)
	errs := make([]error, 8)
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i], errs[i] = svc.Start(context.Background(), index.Request{RepoPath: root, ProjectID: "p1"})
		}()
	}
	wg.Wait()
	created := 0
	for i, r := range results {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		if r.Job.ID != results[0].Job.ID || r.Job.Status != codebase.JobPending {
			t.Errorf("request %d got job %s (%s), others %s", i, r.Job.ID, r.Job.Status, results[0].Job.ID)
		}
		if r.Created {
			created++
		}
	}
	if created != 1 || e.count(t, "SELECT count(*) FROM index_jobs") != 1 || e.count(t, "SELECT count(*) FROM repositories") != 1 {
		t.Errorf("created %d jobs", created)
	}
}

func TestService_EmbedderChange(t *testing.T) {
	e := newEnv(t)
	root := sampleRepo(t, 3)
	mustIndex(t, e.service(&testEmbedder{name: "test:a", dim: 8}, index.Config{}), index.Request{RepoPath: root})
	svc := e.service(&testEmbedder{name: "test:b", dim: 12}, index.Config{})
	_, err := svc.Start(context.Background(), index.Request{RepoPath: root})
	if codeOf(err) != apperr.Validation || !strings.Contains(apperr.MessageOf(err), "codebase-mcp index --force --embedder test --project default "+root) {
		t.Fatalf("err = %v, want a refusal naming the re-embed command", err)
	}
	job := mustIndex(t, svc, index.Request{RepoPath: root, Force: true})
	if n := e.count(t, `SELECT count(*) FROM chunks WHERE embedding IS NULL OR vector_dims(embedding) <> 12`); n != 0 {
		t.Errorf("%d chunks without a 12-dimension embedding after job %s", n, job.ID)
	}
	st, _, err := e.store.Settings(context.Background(), "default")
	if err != nil || st.Embedder != "test:b" || st.Dimension != 12 {
		t.Errorf("settings = %+v, %v", st, err)
	}
}

func TestService_EmbeddingFailureIsRetried(t *testing.T) {
	e := newEnv(t)
	emb := &testEmbedder{name: "test", dim: 8}
	emb.fail.Store(true)
	svc := e.service(emb, index.Config{})
	root := sampleRepo(t, 4)
	job, err := svc.Index(context.Background(), index.Request{RepoPath: root}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if job.Status != codebase.JobFailed || !strings.Contains(job.ErrorMessage, "embedding failed") || !strings.Contains(job.ErrorMessage, "run the index again") {
		t.Fatalf("job = %s %q", job.Status, job.ErrorMessage)
	}
	nulls := e.count(t, `SELECT count(*) FROM chunks WHERE embedding IS NULL`)
	if nulls == 0 || nulls != e.count(t, `SELECT count(*) FROM chunks`) {
		t.Errorf("%d chunks without embedding", nulls)
	}
	e.checkConsistent(t, "default")
	emb.fail.Store(false)
	job = mustIndex(t, svc, index.Request{RepoPath: root})
	if n := e.count(t, `SELECT count(*) FROM chunks WHERE embedding IS NULL`); n != 0 {
		t.Errorf("%d chunks still without embedding after job %s (%s)", n, job.ID, job.Message)
	}
}
