package search_test

import (
	"context"
	"flag"
	"fmt"
	"hash/fnv"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/mcp-memory/servers/internal/codebase"
	"github.com/mcp-memory/servers/internal/codebase/chunk"
	"github.com/mcp-memory/servers/internal/codebase/embed"
	"github.com/mcp-memory/servers/internal/codebase/search"
	"github.com/mcp-memory/servers/internal/codebase/search/searchtest"
)

// The evaluation's size and floors. CI runs evalQueries doc queries over a
// sample of the standard library's package directories; a hand run sets
// -eval.queries=1000 -eval.dirs=1 (every directory).
var (
	evalQueries = flag.Int("eval.queries", 200, "doc-comment queries in the search evaluation")
	evalSymbols = flag.Int("eval.symbols", 100, "symbol queries in the search evaluation (each asked twice)")
	evalDirs    = flag.Float64("eval.dirs", 0.5, "share of GOROOT/src package directories indexed (1 = all)")
	evalSeed    = flag.Uint64("eval.seed", 1, "seed of the query sample and directory subsample")
	evalCands   = flag.Int("eval.candidates", 0, "lexical candidates (0: the default)")
	evalBudget  = flag.Int("eval.budget", 0, "match budget (0: the default)")
	evalTrans   = flag.Float64("eval.translation", -1, "translation-model fusion weight of the default configuration (-1: the default)")
	evalAll     = flag.Bool("eval.all", false, "evaluate every configuration and each ranking rule on its own (CI evaluates the lexical baseline and the default)")
	evalCache   = flag.Bool("eval.cache", true, "rank from the in-memory lexicon (false: every search on PostgreSQL; the results are the same)")
	evalCompare = flag.Bool("eval.compare", false, "also run every doc query of each configuration on PostgreSQL and fail on any answer that differs from the in-memory lexicon's")
)

// Committed floors: the measured default configuration minus a margin
// (docs/search-quality.md). Lowering one needs a reason in that file.
const (
	floorMRR      = 0.38
	floorSymbolR1 = 0.90
)

type metricsRow struct {
	name                 string
	mrr, r1, r10         float64
	symR1Name, symR1Word float64
	ms                   float64
}

func TestSearchQuality(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	goroot := goRoot(t)
	keep := func(dir string) bool {
		if *evalDirs >= 1 {
			return true
		}
		h := fnv.New64a()
		fmt.Fprintf(h, "%d/%s", *evalSeed, dir)
		return float64(h.Sum64()%10000)/10000 < *evalDirs
	}
	start := time.Now()
	corpus, err := searchtest.GoCorpus(goroot+"/src", keep, *evalSeed)
	if err != nil {
		t.Fatal(err)
	}
	emb, err := embed.New(embed.Config{Provider: "builtin"}, e.log)
	if err != nil {
		t.Fatal(err)
	}
	// The product's tree-sitter chunker, so chunk boundaries, symbols and
	// doc/comment fields are those a real index holds.
	// A generous parse budget: under load the budget's cancellation path
	// has aborted the process in tree-sitter (reported to the chunk owner).
	ch := chunk.New(chunk.Options{ParseBudget: time.Minute})
	defer ch.Close()
	l := searchtest.Load(ctx, t, e.conn, searchtest.Repo{ProjectID: "default", Root: goroot + "/src"},
		corpus.Files, ch.Chunk, emb)
	loadTime := time.Since(start)
	docs := corpus.Docs[:min(len(corpus.Docs), *evalQueries)]
	syms := corpus.Symbols[:min(len(corpus.Symbols), *evalSymbols)]
	t.Logf("corpus: %s, %d files, %d chunks, %d functions; %d doc queries (%d candidates, %d dropped as duplicates), %d symbol queries; built and loaded in %s",
		runtime.Version(), len(corpus.Files), len(l.Chunks), corpus.Functions, len(docs), len(corpus.Docs), corpus.Dropped, len(syms), loadTime.Round(time.Second))

	trainStart := time.Now()
	base := search.New(search.DefaultConfig(), e.store, nil, e.log, nil)
	defer base.Close()
	if err := base.Prepare(ctx, "default", l.RepositoryID); err != nil { // generated-file flags (and lexicon)
		t.Fatal(err)
	}
	if err := base.Train(ctx, "default", l.RepositoryID); err != nil {
		t.Fatal(err)
	}
	t.Logf("translation model trained in %s", time.Since(trainStart).Round(time.Millisecond))

	lexical := search.DefaultRankConfig()
	lexical.TestPrior, lexical.GeneratedPrior, lexical.HeaderPrior, lexical.TinyPrior = 1, 1, 1, 1
	lexical.DefinitionBoost, lexical.FileRepeatPenalty, lexical.Translation = 1, 0, 0
	with := func(f func(*search.RankConfig)) search.RankConfig {
		rc := lexical
		f(&rc)
		return rc
	}
	priors := search.DefaultRankConfig()
	priors.Translation = 0
	full := search.DefaultRankConfig()
	if *evalTrans >= 0 {
		full.Translation = *evalTrans
	}
	type evalConfig struct {
		name   string
		rank   search.RankConfig
		vector float64
		emb    codebase.Embedder
	}
	configs := []evalConfig{{"lexical (BM25F)", lexical, 0, nil}}
	if *evalAll {
		def := search.DefaultRankConfig()
		configs = append(configs,
			evalConfig{"lexical + file priors only", with(func(r *search.RankConfig) {
				r.TestPrior, r.GeneratedPrior, r.HeaderPrior, r.TinyPrior = def.TestPrior, def.GeneratedPrior, def.HeaderPrior, def.TinyPrior
			}), 0, nil},
			evalConfig{"lexical + definition boost only", with(func(r *search.RankConfig) { r.DefinitionBoost = def.DefinitionBoost }), 0, nil},
			evalConfig{"lexical + file-repeat penalty only", with(func(r *search.RankConfig) { r.FileRepeatPenalty = def.FileRepeatPenalty }), 0, nil},
			evalConfig{"+ priors, definition boost, file repeats", priors, 0, nil},
			evalConfig{"+ associations (translation model)", full, 0, nil},
			evalConfig{"+ vector (builtin, RRF weight 0.3)", full, 0.3, emb},
			evalConfig{"vector only (builtin)", full, 1, emb},
		)
	}
	configs = append(configs, evalConfig{"hybrid default (builtin: vector weight 0)", full, -1, emb})
	var rows []metricsRow
	for _, cfg := range configs {
		c := search.DefaultConfig()
		c.Rank, c.VectorWeight = cfg.rank, cfg.vector
		if *evalCands > 0 {
			c.Candidates = *evalCands
		}
		if *evalBudget > 0 {
			c.MatchBudget = *evalBudget
		}
		if !*evalCache {
			c.CacheBytes = -1
		}
		svc := search.New(c, e.store, cfg.emb, e.log, nil)
		defer svc.Close()
		if *evalCache {
			// Searched from the lexicon from the first query on, as a
			// server does once its background build is done.
			if err := svc.WarmCache(ctx, "default"); err != nil {
				t.Fatal(err)
			}
		}
		var pgSvc *search.Service
		if *evalCompare && *evalCache {
			pc := c
			pc.CacheBytes = -1
			pgSvc = search.New(pc, e.store, cfg.emb, e.log, nil)
			defer pgSvc.Close()
		}
		row := metricsRow{name: cfg.name}
		if cfg.name == "vector only (builtin)" {
			row = evalVectorOnly(t, e, emb, docs)
			row.name = cfg.name
			rows = append(rows, row)
			continue
		}
		if pgSvc != nil {
			differ := 0
			for _, q := range docs {
				a, errA := svc.Search(ctx, search.Query{Text: q.Text, Limit: 10})
				b, errB := pgSvc.Search(ctx, search.Query{Text: q.Text, Limit: 10})
				if errA != nil || errB != nil {
					t.Fatal(errA, errB)
				}
				if d := diffResults(a, b); d != "" {
					differ++
					t.Errorf("%s: %q: lexicon and PostgreSQL differ: %s", cfg.name, q.Text, d)
				}
			}
			t.Logf("%s: %d doc queries compared with the PostgreSQL path, %d differ", cfg.name, len(docs), differ)
		}
		t0 := time.Now()
		for _, q := range docs {
			rank := rankOf(t, svc, q.Text, q.Target)
			if rank > 0 && rank <= 10 {
				row.mrr += 1 / float64(rank)
				row.r10++
			}
			if rank == 1 {
				row.r1++
			}
		}
		row.ms = float64(time.Since(t0).Milliseconds()) / float64(max(1, len(docs)))
		n := float64(max(1, len(docs)))
		row.mrr, row.r1, row.r10 = row.mrr/n, row.r1/n, row.r10/n
		var misses []string
		for _, q := range syms {
			if rankOf(t, svc, q.Text, q.Target) == 1 {
				row.symR1Name++
			} else {
				misses = append(misses, q.Text+" ("+q.Target.Dir+")")
			}
			if w := searchtest.SplitWords(q.Text); rankOf(t, svc, w, q.Target) == 1 {
				row.symR1Word++
			} else {
				misses = append(misses, "'"+w+"' ("+q.Target.Dir+")")
			}
		}
		if len(misses) > 0 && cfg.rank == full {
			t.Logf("%s: symbol queries not first: %s", cfg.name, strings.Join(misses[:min(len(misses), 20)], ", "))
		}
		row.symR1Name /= float64(max(1, len(syms)))
		row.symR1Word /= float64(max(1, len(syms)))
		rows = append(rows, row)
	}
	var b strings.Builder
	b.WriteString("| configuration | MRR@10 | R@1 | R@10 | symbol R@1 (name) | symbol R@1 (words) | ms/query |\n|---|---|---|---|---|---|---|\n")
	for _, r := range rows {
		fmt.Fprintf(&b, "| %s | %.3f | %.3f | %.3f | %.3f | %.3f | %.1f |\n", r.name, r.mrr, r.r1, r.r10, r.symR1Name, r.symR1Word, r.ms)
	}
	t.Log("\n" + b.String())
	def := rows[len(rows)-1]
	if def.mrr < floorMRR {
		t.Errorf("default configuration MRR@10 %.3f is below the committed floor %.2f", def.mrr, floorMRR)
	}
	if def.symR1Name < floorSymbolR1 || def.symR1Word < floorSymbolR1 {
		t.Errorf("symbol Recall@1 %.3f (name) / %.3f (words) is below the committed floor %.2f", def.symR1Name, def.symR1Word, floorSymbolR1)
	}
}

// rankOf returns the 1-based rank of the first hit on target in the top 10
// (0 when absent): a result overlapping the target's lines in its file, or
// declaring the same symbol in the same directory.
func rankOf(t *testing.T, svc *search.Service, q string, tg searchtest.Target) int {
	t.Helper()
	res, err := svc.Search(context.Background(), search.Query{Text: q, Limit: 10})
	if err != nil {
		t.Fatalf("search %q: %v", q, err)
	}
	for i, h := range res.Results {
		if isHit(h.FilePath, h.Symbol, h.StartLine, h.EndLine, tg) {
			return i + 1
		}
	}
	return 0
}

func isHit(file, symbol string, start, end int, tg searchtest.Target) bool {
	if file == tg.File && start <= tg.EndLine && end >= tg.StartLine {
		return true
	}
	dir := "."
	if i := strings.LastIndex(file, "/"); i >= 0 {
		dir = file[:i]
	}
	return symbol != "" && symbol == tg.Symbol && dir == tg.Dir
}

// evalVectorOnly ranks by the builtin embedder's cosine alone (exact
// search over every chunk), to show what the vector channel carries.
func evalVectorOnly(t *testing.T, e *env, emb codebase.Embedder, docs []searchtest.EvalQuery) metricsRow {
	t.Helper()
	ctx := context.Background()
	var row metricsRow
	t0 := time.Now()
	for _, q := range docs {
		vecs, err := emb.Embed(ctx, []string{q.Text})
		if err != nil {
			t.Fatal(err)
		}
		near, err := e.store.VectorNearest(ctx, "default", vecs[0], search.Filter{ProjectID: "default"}, 10)
		if err != nil {
			t.Fatal(err)
		}
		ids := make([]string, len(near))
		for i, n := range near {
			ids[i] = n.ChunkID
		}
		rowsByID, err := e.store.ChunkRows(ctx, "default", ids)
		if err != nil {
			t.Fatal(err)
		}
		for i, id := range ids {
			r := rowsByID[id]
			if isHit(r.FilePath, r.Symbol, r.StartLine, r.EndLine, q.Target) {
				row.mrr += 1 / float64(i+1)
				row.r10++
				if i == 0 {
					row.r1++
				}
				break
			}
		}
	}
	row.ms = float64(time.Since(t0).Milliseconds()) / float64(max(1, len(docs)))
	n := float64(max(1, len(docs)))
	row.mrr, row.r1, row.r10 = row.mrr/n, row.r1/n, row.r10/n
	return row
}

func goRoot(t *testing.T) string {
	t.Helper()
	if r := runtime.GOROOT(); r != "" {
		if _, err := os.Stat(r + "/src/net/http"); err == nil {
			return r
		}
	}
	out, err := exec.Command("go", "env", "GOROOT").Output()
	if err != nil {
		t.Fatalf("go env GOROOT: %v", err)
	}
	return strings.TrimSpace(string(out))
}
