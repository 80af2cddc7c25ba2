package search_test

import (
	"context"
	"strings"
	"testing"

	"github.com/mcp-memory/servers/internal/apperr"
	"github.com/mcp-memory/servers/internal/codebase/search"
	"github.com/mcp-memory/servers/internal/codebase/search/searchtest"
)

// conceptEmbedder is a tiny "semantic" embedder for tests: texts that
// mention a word of one concept get that concept's axis, so "automobile"
// and "car" meet although they share no letters.
type conceptEmbedder struct {
	name string
	fail bool
}

var concepts = [][]string{{"car", "automobile", "vehicle"}, {"money", "payment", "invoice"}, {"dog", "puppy", "canine"}}

func (c conceptEmbedder) Name() string   { return c.name }
func (c conceptEmbedder) Dimension() int { return 4 }
func (c conceptEmbedder) Embed(_ context.Context, texts []string) ([][]float32, error) {
	if c.fail {
		return nil, apperr.New(apperr.Unavailable, "embedder down")
	}
	out := make([][]float32, len(texts))
	for i, t := range texts {
		v := []float32{0, 0, 0, 0.01}
		lt := strings.ToLower(t)
		for k, words := range concepts {
			for _, w := range words {
				if strings.Contains(lt, w) {
					v[k] = 1
				}
			}
		}
		out[i] = v
	}
	return out, nil
}

func TestService_Search_Vector(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	root := t.TempDir()
	files := map[string]string{
		"garage/car.go":  "package garage\n\n// Park puts the car in the garage.\nfunc Park() {\n\tdoors := 4\n\t_ = doors\n}\n",
		"garage/car.py":  "def park_car():\n    return 'car parked'\n",
		"bank/pay.go":    "package bank\n\n// Settle records a payment.\nfunc Settle() {\n\ttotal := 1\n\t_ = total\n}\n",
		"kennel/walk.go": "package kennel\n\n// Walk takes the dog out.\nfunc Walk() {\n\tsteps := 2\n\t_ = steps\n}\n",
	}
	emb := conceptEmbedder{name: "test:concepts"}
	searchtest.Load(ctx, t, e.conn, searchtest.Repo{ProjectID: "default", Root: root},
		searchtest.WriteTree(t, root, files), searchtest.GoChunks, emb)

	svc := e.service(t, search.DefaultConfig(), emb) // a non-builtin embedder: vector weight 1
	res, err := svc.Search(ctx, search.Query{Text: "automobile"})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Results) == 0 || !strings.HasPrefix(res.Results[0].FilePath, "garage/") {
		t.Fatalf("automobile: %v, want a garage file first (no lexical overlap)", symbols(res))
	}
	for _, h := range res.Results {
		if h.SimilarityScore < 0 || h.SimilarityScore > 1 {
			t.Errorf("score %v out of [0,1]", h.SimilarityScore)
		}
	}
	// Filters apply to the vector channel too.
	res, err = svc.Search(ctx, search.Query{Text: "automobile", FileType: "py"})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Results) == 0 {
		t.Fatal("file_type py: no result")
	}
	for _, h := range res.Results {
		if !strings.HasSuffix(h.FilePath, ".py") {
			t.Errorf("file_type py returned %s", h.FilePath)
		}
	}
	// A failing embedder degrades to lexical search and says so.
	down := e.service(t, search.DefaultConfig(), conceptEmbedder{name: "test:concepts", fail: true})
	res, err = down.Search(ctx, search.Query{Text: "payment settle"})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Results) == 0 || res.Results[0].Symbol != "Settle" || !strings.Contains(res.Notice, "lexical results only") {
		t.Fatalf("embedder down: %v notice %q", symbols(res), res.Notice)
	}
	// An index built by another embedder is not searched with vectors.
	other := e.service(t, search.DefaultConfig(), conceptEmbedder{name: "test:other"})
	res, err = other.Search(ctx, search.Query{Text: "automobile"})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Results) != 0 || !strings.Contains(res.Notice, "built with embedder test:concepts") {
		t.Fatalf("other embedder: %v notice %q", symbols(res), res.Notice)
	}
}
