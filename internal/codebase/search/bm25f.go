package search

import "math"

// RankConfig holds the scoring constants. The defaults come from
// search-study.md §6 and were checked on the evaluation in
// docs/search-quality.md; the evaluation turns parts off by setting them to
// their neutral value (1 for a multiplier, 0 for an additive weight).
type RankConfig struct {
	// K1 is BM25F's saturation (1.6).
	K1 float64
	// B is the length normalisation of every class (0.9).
	B float64
	// Weights are the class weights: A signature and directory parts (8),
	// B file name and doc comment (2), C body code (0.25), D inline
	// comments (0.25).
	Weights [Classes]float64
	// TestPrior multiplies chunks of test files (0.5).
	TestPrior float64
	// GeneratedPrior multiplies chunks of generated files (0.8).
	GeneratedPrior float64
	// HeaderPrior multiplies file-header chunks: package clause and imports (0.65).
	HeaderPrior float64
	// TinyPrior multiplies chunks shorter than 3 lines (0.8).
	TinyPrior float64
	// DefinitionBoost lifts chunks that define the symbol a query names: it
	// adds (DefinitionBoost-1) times the definition level / 2 to the
	// normalised lexical score, whose best is 1 (3; 1 = off).
	DefinitionBoost float64
	// FileRepeatPenalty is subtracted from a chunk's normalised score once
	// for every better-ranked chunk of the same file (0.1).
	FileRepeatPenalty float64
	// Translation is the fusion weight of the translation model (0.05, the
	// best of 0.05, 0.1 and 0.2 on the evaluation; 0 = off).
	Translation float64
	// TranslationMix is the share of translated frequency in the model's
	// term frequency (0.3).
	TranslationMix float64
	// Mu is the translation model's Dirichlet smoothing (10).
	Mu float64
	// RRFK is reciprocal-rank fusion's k (60).
	RRFK float64
}

// DefaultRankConfig returns the measured defaults.
func DefaultRankConfig() RankConfig {
	return RankConfig{
		K1: 1.6, B: 0.9,
		Weights:   [Classes]float64{8, 2, 0.25, 0.25},
		TestPrior: 0.5, GeneratedPrior: 0.8, HeaderPrior: 0.65, TinyPrior: 0.8,
		DefinitionBoost:   3,
		FileRepeatPenalty: 0.05,
		Translation:       0.05, TranslationMix: 0.3, Mu: 10,
		RRFK: 60,
	}
}

// idf is BM25's inverse document frequency, always positive.
func idf(n, df int64) float64 {
	return math.Log(1 + (float64(n)-float64(df)+0.5)/(float64(df)+0.5))
}

// bm25f scores c for the query terms qt:
//
//	tf~ = sum_f w_f * tf_f / (1 - b + b * len_f / avglen_f)
//	score = sum_t idf(t) * tf~ * (k1 + 1) / (k1 + tf~)
//
// It also returns the idf-weighted share of query terms the chunk holds in
// any class, in [0,1].
func bm25f(c *Candidate, qt []string, st *Stats, rc *RankConfig) (score, coverage float64) {
	var norm [Classes]float64
	for f := 0; f < Classes; f++ {
		norm[f] = 1
		if st.N > 0 && st.SumLen[f] > 0 {
			avg := float64(st.SumLen[f]) / float64(st.N)
			norm[f] = 1 - rc.B + rc.B*float64(c.FieldLen[f])/avg
		}
		if norm[f] <= 0 {
			norm[f] = 1e-6
		}
	}
	var all float64
	for _, t := range qt {
		w := idf(st.N, st.DF[t])
		all += w
		tf, ok := c.TF[t]
		if !ok {
			continue
		}
		var tfw float64
		for f := 0; f < Classes; f++ {
			tfw += rc.Weights[f] * float64(tf[f]) / norm[f]
		}
		if tfw <= 0 {
			continue
		}
		coverage += w
		score += w * tfw * (rc.K1 + 1) / (rc.K1 + tfw)
	}
	if all > 0 {
		coverage /= all
	}
	return score, coverage
}
