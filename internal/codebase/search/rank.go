package search

import (
	"path"
	"regexp"
	"slices"
	"strings"

	"github.com/mcp-memory/servers/internal/codebase"
	"github.com/mcp-memory/servers/internal/codebase/terms"
)

func splitTerms(s string) []string { return terms.Split(s) }

// ranked is a candidate with its scores through the ranking stages.
type ranked struct {
	c *Candidate
	// bm is BM25F times priors and boosts.
	bm float64
	// tm is the translation model's score.
	tm float64
	// lex is the fused lexical score, normalised so the best is about 1.
	lex      float64
	coverage float64
	// def is the definition level (see definitionLevel).
	def float64
	// cosine is the vector similarity (0 when the channel is off).
	cosine float64
	hasVec bool
	fused  float64
}

// identRE finds identifiers as a user writes them, qualified or not
// ("parseConfig", "http.Client", "Reader.Read").
var identRE = regexp.MustCompile(`[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*`)

// symbolQuery holds the symbol names a query names, as typed (exact) and
// normalised (lower case, letters and digits only).
type symbolQuery struct {
	exact map[string]bool
	norm  map[string]bool
}

// querySymbols returns the symbols a query names: the whole query when it
// is a short run of identifiers (a symbol typed with or without spaces or
// dots: "ParseDuration", "parse duration", "Reader.Read"), and each
// identifier-shaped word of such a query. Identifiers inside a longer
// sentence are not taken: doc sentences mention other symbols ("returns
// io.EOF"), and boosting their definitions cost 0.05 MRR@10 on the
// evaluation.
func querySymbols(q string) symbolQuery {
	sq := symbolQuery{exact: map[string]bool{}, norm: map[string]bool{}}
	words := identRE.FindAllString(q, -1)
	if len(words) == 0 || len(words) > maxSymbolWords {
		return sq
	}
	if rest := identRE.ReplaceAllString(q, ""); strings.Trim(rest, " \t()") != "" {
		return sq
	}
	add := func(w string) {
		sq.exact[w] = true
		if n := normSymbol(w); n != "" {
			sq.norm[n] = true
		}
	}
	add(strings.Join(words, ""))
	if len(words) > 1 {
		for _, w := range words {
			if looksLikeIdentifier(w) {
				add(w)
			}
		}
	}
	return sq
}

// maxSymbolWords is the most words a query typed as a symbol has
// ("new buffered reader size").
const maxSymbolWords = 5

// looksLikeIdentifier reports a word no English sentence would contain:
// inner capitals, underscores, dots or letters and digits mixed.
func looksLikeIdentifier(w string) bool {
	if strings.ContainsAny(w, "_.") {
		return true
	}
	for i := 1; i < len(w); i++ {
		if w[i] >= 'A' && w[i] <= 'Z' {
			return true
		}
	}
	return false
}

func normSymbol(s string) string { return string(appendNormSymbol(nil, s)) }

// appendNormSymbol appends s lower-cased, letters and digits only.
func appendNormSymbol(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
			dst = append(dst, c)
		case c >= 'A' && c <= 'Z':
			dst = append(dst, c+'a'-'A')
		}
	}
	return dst
}

// definitionLevel rates how exactly chunk c defines a symbol the query
// names: 2 for the qualified name as typed, 1.5 for its last part as typed
// (a method or class member), 1 and 0.5 for the same ignoring case and
// separators; 0 when it does not. An exact spelling wins over a
// look-alike ("MaxBytesReader" over "maxBytesReader").
func definitionLevel(c *Candidate, sq symbolQuery) float64 {
	if c.Symbol == "" || len(sq.norm) == 0 {
		return 0
	}
	switch c.Kind {
	case codebase.KindHeader, codebase.KindWindow, codebase.KindTopLevel:
		return 0
	}
	last := c.Symbol
	if i := strings.LastIndexAny(c.Symbol, ".:#"); i >= 0 {
		last = c.Symbol[i+1:]
	}
	// The normalised forms go through a stack buffer: the map lookups with
	// string(buf) do not allocate.
	var buf [128]byte
	switch {
	case sq.exact[c.Symbol]:
		return 2
	case sq.exact[last]:
		return 1.5
	case sq.norm[string(appendNormSymbol(buf[:0], c.Symbol))]:
		return 1
	case sq.norm[string(appendNormSymbol(buf[:0], last))]:
		return 0.5
	}
	return 0
}

// isTestPath reports test files by the naming conventions of the common
// languages and by test directories.
func isTestPath(p string) bool {
	base := path.Base(p)
	lb := strings.ToLower(base)
	switch {
	case strings.HasSuffix(lb, "_test.go"),
		strings.HasPrefix(lb, "test_") && strings.HasSuffix(lb, ".py"),
		strings.HasSuffix(lb, "_test.py"),
		strings.Contains(lb, ".test."), strings.Contains(lb, ".spec."),
		strings.HasSuffix(lb, "test.java"), strings.HasSuffix(lb, "tests.java"),
		strings.HasSuffix(lb, "_test.rs"), strings.HasSuffix(lb, "_spec.rb"):
		return true
	}
	// Each directory segment, without allocating (this runs for every
	// candidate of every search).
	dir := path.Dir(p)
	for dir != "" {
		seg, rest, _ := strings.Cut(dir, "/")
		for _, name := range [...]string{"test", "tests", "__tests__", "testdata", "spec"} {
			if strings.EqualFold(seg, name) {
				return true
			}
		}
		dir = rest
	}
	return false
}

// isGeneratedPath reports files generated by common tools, by name alone;
// the "Code generated ... DO NOT EDIT." header is checked in the store.
func isGeneratedPath(p string) bool {
	lb := strings.ToLower(path.Base(p))
	return strings.HasSuffix(lb, ".pb.go") || strings.HasSuffix(lb, "_generated.go") ||
		strings.HasPrefix(lb, "zz_generated") || strings.Contains(lb, ".generated.") ||
		strings.HasSuffix(lb, ".min.js") || strings.HasSuffix(lb, "_pb2.py")
}

// prior is the product of the file and chunk priors of c (search-study.md §6).
func prior(c *Candidate, generated bool, rc *RankConfig) float64 {
	return priorOf(c, isTestPath(c.FilePath), generated || isGeneratedPath(c.FilePath), rc)
}

// priorOf is prior with the file's test and generated flags known (the
// lexicon knows them per file).
func priorOf(c *Candidate, test, generated bool, rc *RankConfig) float64 {
	p := 1.0
	if test {
		p *= rc.TestPrior
	}
	if generated {
		p *= rc.GeneratedPrior
	}
	if c.Kind == codebase.KindHeader {
		p *= rc.HeaderPrior
	}
	if c.EndLine-c.StartLine+1 < 3 {
		p *= rc.TinyPrior
	}
	return p
}

// fuseLexical sets lex from bm and tm: the translation model's score,
// relative to the best and per query term, is added to BM25F's normalised
// score (search-study.md §6: final = S/max S + w (s - max s)/|q|, with w =
// RankConfig.Translation).
func fuseLexical(rs []*ranked, nq int, rc *RankConfig) {
	var maxBM, maxTM float64
	for i, r := range rs {
		if r.bm > maxBM {
			maxBM = r.bm
		}
		if i == 0 || r.tm > maxTM {
			maxTM = r.tm
		}
	}
	if maxBM <= 0 {
		maxBM = 1
	}
	for _, r := range rs {
		r.lex = r.bm / maxBM
		if rc.Translation > 0 && nq > 0 {
			r.lex += rc.Translation * (r.tm - maxTM) / float64(nq)
		}
	}
}

// penalizeRepeats lowers each chunk's lexical score by FileRepeatPenalty for
// every better chunk of the same file beyond the first freeRepeats, so one
// big file cannot fill the answer, then sorts by the result.
func penalizeRepeats(rs []*ranked, rc *RankConfig) {
	sortBy(rs, func(r *ranked) float64 { return r.lex })
	if rc.FileRepeatPenalty > 0 {
		seen := make(map[FileKey]int, len(rs))
		for _, r := range rs {
			k := FileKey{r.c.RepositoryID, r.c.FilePath}
			if n := seen[k] - freeRepeats; n > 0 {
				r.lex -= rc.FileRepeatPenalty * float64(n)
			}
			seen[k]++
		}
		sortBy(rs, func(r *ranked) float64 { return r.lex })
	}
}

// freeRepeats is how many chunks of one file rank without penalty.
const freeRepeats = 2

// sortBy sorts best first by key, then by chunk id (unique, so the order
// is total and a stable sort is not needed).
func sortBy(rs []*ranked, key func(*ranked) float64) {
	slices.SortFunc(rs, func(x, y *ranked) int {
		a, b := key(x), key(y)
		switch {
		case a > b:
			return -1
		case a < b:
			return 1
		}
		return strings.Compare(x.c.ChunkID, y.c.ChunkID)
	})
}
