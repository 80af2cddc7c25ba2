package search

import (
	"context"
	"fmt"
	"math"
	"slices"
	"sort"
	"time"

	"github.com/mcp-memory/servers/internal/apperr"
)

// Association is one learnt pair of the translation model: P(word | term),
// the probability that a doc comment uses the word given that the code
// holds the term.
type Association struct {
	Term string
	P    float64
}

// Limits of the translation model, which keep its table small: a pair must
// be seen in at least minPair documented chunks, both tokens in at least
// minDocs of them, and each word keeps its maxPerWord most probable terms.
const (
	minPair    = 2
	minDocs    = 3
	maxPerWord = 32
	minP       = 0.01
	// maxDocTerms and maxCodeTerms bound the pairs one chunk contributes, so
	// a huge generated function cannot dominate the counts or the memory.
	maxDocTerms  = 64
	maxCodeTerms = 256
)

// trainer counts co-occurrences of doc words and code terms (Berger and
// Lafferty 1999, as in search-study.md §6).
type trainer struct {
	ids     map[string]int32
	names   []string
	docDF   []int32 // chunks whose doc holds the token
	codeDF  []int32 // chunks whose code holds the token
	pairs   map[uint64]int32
	nChunks int
}

func newTrainer() *trainer {
	return &trainer{ids: map[string]int32{}, pairs: map[uint64]int32{}}
}

func (t *trainer) id(s string) int32 {
	if i, ok := t.ids[s]; ok {
		return i
	}
	i := int32(len(t.names))
	t.ids[s] = i
	t.names = append(t.names, s)
	t.docDF = append(t.docDF, 0)
	t.codeDF = append(t.codeDF, 0)
	return i
}

// add counts one documented chunk. Both lists must hold distinct tokens.
func (t *trainer) add(docWords, codeTerms []string) {
	if len(docWords) == 0 || len(codeTerms) == 0 {
		return
	}
	if len(docWords) > maxDocTerms {
		docWords = docWords[:maxDocTerms]
	}
	if len(codeTerms) > maxCodeTerms {
		codeTerms = codeTerms[:maxCodeTerms]
	}
	t.nChunks++
	ws := make([]int32, len(docWords))
	for i, w := range docWords {
		ws[i] = t.id(w)
		t.docDF[ws[i]]++
	}
	for _, c := range codeTerms {
		ci := t.id(c)
		t.codeDF[ci]++
		for _, wi := range ws {
			t.pairs[uint64(uint32(wi))<<32|uint64(uint32(ci))]++
		}
	}
}

// model turns the counts into P(w|c) = n(w,c) / sum_w' n(w',c), keeping
// pairs seen at least minPair times between tokens seen in minDocs chunks.
func (t *trainer) model() map[string][]Association {
	sumC := map[int32]int64{}
	for k, n := range t.pairs {
		if n < minPair {
			continue
		}
		w, c := int32(k>>32), int32(uint32(k))
		if t.docDF[w] < minDocs || t.codeDF[c] < minDocs {
			continue
		}
		sumC[c] += int64(n)
	}
	out := map[string][]Association{}
	for k, n := range t.pairs {
		if n < minPair {
			continue
		}
		w, c := int32(k>>32), int32(uint32(k))
		if t.docDF[w] < minDocs || t.codeDF[c] < minDocs {
			continue
		}
		p := float64(n) / float64(sumC[c])
		if p < minP {
			continue
		}
		out[t.names[w]] = append(out[t.names[w]], Association{Term: t.names[c], P: p})
	}
	for w, as := range out {
		sort.Slice(as, func(i, j int) bool {
			if as[i].P != as[j].P {
				return as[i].P > as[j].P
			}
			return as[i].Term < as[j].Term
		})
		if len(as) > maxPerWord {
			as = as[:maxPerWord]
		}
		out[w] = as
	}
	return out
}

// Train (re)learns projectID's translation model from the doc comments of
// its chunks and stores it, replacing the previous one. It reads every
// documented chunk once, so it costs about as much as reading the index;
// the index service calls it after each completed job. Returns NOT_FOUND
// for an unknown project.
func (s *Service) Train(ctx context.Context, projectID, repositoryID string) error {
	start := time.Now()
	if projectID == "" {
		return apperr.Invalid("project_id", "must not be empty")
	}
	ok, err := s.store.ProjectExists(ctx, projectID)
	if err != nil {
		return fmt.Errorf("train: %w", err)
	}
	if !ok {
		return apperr.New(apperr.NotFound, "project %q does not exist", projectID)
	}
	tr := newTrainer()
	seen := map[string]bool{}
	err = s.store.TrainingDocs(ctx, projectID, func(doc string, code []string) error {
		clear(seen)
		var words []string
		for _, w := range splitTerms(doc) {
			if !seen[w] {
				seen[w] = true
				words = append(words, w)
			}
		}
		tr.add(words, code)
		return nil
	})
	if err != nil {
		return fmt.Errorf("train: read documented chunks: %w", err)
	}
	m := tr.model()
	if err := s.store.ReplaceAssociations(ctx, projectID, m); err != nil {
		return fmt.Errorf("train: store model: %w", err)
	}
	s.log.InfoContext(ctx, "search_model_trained", "context", map[string]any{
		"project_id": projectID, "repository_id": repositoryID, "documented_chunks": tr.nChunks,
		"words": len(m), "duration_ms": time.Since(start).Milliseconds()})
	// The generated-file flags and the lexicon are [Service.Prepare]'s,
	// done before the job completed; the model changes neither (its
	// associations are read per search).
	return nil
}

// translator scores candidates under the translation model for one query.
// It indexes the model by code term, so a candidate costs time in
// proportion to the query-related terms it holds, not to the model's size.
type translator struct {
	qt   []string
	idx  map[string]int // query term -> position
	rev  map[string][]wordP
	pc   []float64 // P(w|C) per query term
	buf  []float64
	keys []string
	rc   *RankConfig
}

type wordP struct {
	w int
	p float64
}

func newTranslator(qt []string, assoc map[string][]Association, st *Stats, rc *RankConfig) *translator {
	codeLen := float64(st.SumLen[0] + st.SumLen[2])
	if codeLen <= 0 {
		codeLen = 1
	}
	t := &translator{qt: qt, idx: map[string]int{}, rev: map[string][]wordP{}, pc: make([]float64, len(qt)),
		buf: make([]float64, len(qt)), rc: rc}
	for i, w := range qt {
		t.idx[w] = i
		t.pc[i] = (float64(st.DF[w]) + 0.5) / codeLen
		for _, a := range assoc[w] {
			t.rev[a.Term] = append(t.rev[a.Term], wordP{i, a.P})
		}
	}
	return t
}

// score is the query likelihood of candidate c (search-study.md §6):
//
//	tf~(w,d) = (1-mix) tf(w,d) + mix sum_c P(w|c) tf(c,d)   (code classes A and C)
//	s = sum_w ln(1 + tf~ / (mu P(w|C))) + |q| ln(mu / (|d| + mu))
//
// P(w|C) is estimated from document frequencies over the total code length.
func (t *translator) score(c *Candidate) float64 {
	rc := t.rc
	tr := t.buf
	clear(tr)
	// In term order, so the sums (and the ranking) do not depend on map
	// iteration order.
	keys := t.keys[:0]
	for term := range c.TF {
		if _, ok := t.rev[term]; ok {
			keys = append(keys, term)
		}
	}
	slices.Sort(keys)
	t.keys = keys
	for _, term := range keys {
		tf := c.TF[term]
		code := float64(tf[0] + tf[2])
		if code == 0 {
			continue
		}
		for _, x := range t.rev[term] {
			tr[x.w] += x.p * code
		}
	}
	var s float64
	for i, w := range t.qt {
		tf := c.TF[w]
		v := (1-rc.TranslationMix)*float64(tf[0]+tf[2]) + rc.TranslationMix*tr[i]
		s += math.Log(1 + v/(rc.Mu*t.pc[i]))
	}
	d := float64(c.FieldLen[0] + c.FieldLen[2])
	s += float64(len(t.qt)) * math.Log(rc.Mu/(d+rc.Mu))
	return s
}
