package index_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"

	"github.com/mcp-memory/servers/internal/apperr"
	"github.com/mcp-memory/servers/internal/codebase"
	"github.com/mcp-memory/servers/internal/codebase/index"
)

// brokenEmbedder answers with one vector too few, or with vectors of the
// wrong size: a provider that breaks its contract.
type brokenEmbedder struct {
	testEmbedder
	fewer, shorter bool
}

func (e *brokenEmbedder) Embed(ctx context.Context, texts []string) ([][]float32, error) {
	vs, err := e.testEmbedder.Embed(ctx, texts)
	if err != nil {
		return nil, err
	}
	if e.fewer {
		vs = vs[:len(vs)-1]
	}
	if e.shorter {
		for i := range vs {
			vs[i] = vs[i][:len(vs[i])-1]
		}
	}
	return vs, nil
}

// TestIndex_EmbedderBreaksContract checks that a provider answering with
// the wrong number or size of vectors fails the job with a message naming
// the problem, and stores no vector from it.
func TestIndex_EmbedderBreaksContract(t *testing.T) {
	tests := []struct {
		name string
		emb  *brokenEmbedder
		want string
	}{
		{"fewer vectors", &brokenEmbedder{testEmbedder: testEmbedder{name: "test", dim: 8}, fewer: true}, "vectors for"},
		{"wrong dimension", &brokenEmbedder{testEmbedder: testEmbedder{name: "test", dim: 8}, shorter: true}, "7 dimensions, expected 8"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			svc := e.service(tc.emb, index.Config{})
			job, err := svc.Index(context.Background(), index.Request{RepoPath: sampleRepo(t, 2)}, nil)
			if err != nil {
				t.Fatal(err)
			}
			if job.Status != codebase.JobFailed || !strings.Contains(job.ErrorMessage, tc.want) {
				t.Fatalf("job = %s %q, want failed naming %q", job.Status, job.ErrorMessage, tc.want)
			}
			if n := e.count(t, `SELECT count(*) FROM chunks WHERE embedding IS NOT NULL`); n != 0 {
				t.Errorf("%d chunks stored with an embedding from a broken provider", n)
			}
			e.checkConsistent(t, "default")
		})
	}
}

// recordingEmbedder remembers the texts it was asked to embed.
type recordingEmbedder struct {
	testEmbedder
	mu    sync.Mutex
	texts []string
}

func (e *recordingEmbedder) Embed(ctx context.Context, texts []string) ([][]float32, error) {
	e.mu.Lock()
	e.texts = append(e.texts, texts...)
	e.mu.Unlock()
	return e.testEmbedder.Embed(ctx, texts)
}

// TestIndex_LongChunkEmbedsItsStart checks that a chunk longer than the
// 16 KiB the embedder is sent is cut at a character boundary (the text is
// multi-byte throughout), while the stored chunk keeps all its content.
func TestIndex_LongChunkEmbedsItsStart(t *testing.T) {
	e := newEnv(t)
	emb := &recordingEmbedder{testEmbedder: testEmbedder{name: "test", dim: 8}}
	svc := e.service(emb, index.Config{})
	root := t.TempDir()
	// One block (no blank line): one chunk of 3-byte runes, 30,000 bytes.
	long := "x = '" + strings.Repeat("€", 10000) + "'\n"
	writeTree(t, root, map[string]string{"big.py": long})
	mustIndex(t, svc, index.Request{RepoPath: root})
	var sent string
	for _, s := range emb.texts {
		if strings.HasPrefix(s, "x = '") {
			sent = s
		}
	}
	if sent == "" {
		t.Fatalf("the long chunk was not embedded; texts: %d", len(emb.texts))
	}
	if len(sent) > 16<<10 || len(sent) < 16<<10-3 || !utf8.ValidString(sent) {
		t.Errorf("embedded text: %d bytes, valid UTF-8 %v; want just under 16 KiB, cut between characters", len(sent), utf8.ValidString(sent))
	}
	var stored int
	if err := e.conn.QueryRow(context.Background(), `SELECT max(length(content)) FROM chunks`).Scan(&stored); err != nil {
		t.Fatal(err)
	}
	if stored < 10000 {
		t.Errorf("stored chunk has %d characters, want the whole block", stored)
	}
}

// TestIndex_RejectsDryRun checks that Index, which always writes, refuses
// a dry run request instead of quietly indexing.
func TestIndex_RejectsDryRun(t *testing.T) {
	e := newEnv(t)
	svc := e.service(&testEmbedder{name: "test", dim: 8}, index.Config{})
	_, err := svc.Index(context.Background(), index.Request{RepoPath: sampleRepo(t, 1), DryRun: true}, nil)
	if apperr.CodeOf(err) != apperr.Validation || !strings.Contains(err.Error(), "dry_run") {
		t.Errorf("err = %v, want Validation naming dry_run", err)
	}
	if n := e.count(t, `SELECT count(*) FROM chunks`); n != 0 {
		t.Errorf("%d chunks written", n)
	}
}
