package embed

import (
	"context"
	"math"
	"strings"

	"github.com/mcp-memory/servers/internal/codebase"
	"github.com/mcp-memory/servers/internal/codebase/terms"
)

// BuiltinName is the [codebase.Embedder.Name] of the builtin embedder. The
// suffix names the feature recipe: any change to the features, weights or
// hashing must change it, so indexes built by an older recipe are refused
// instead of silently compared with new vectors.
const BuiltinName = "builtin:hash-v1"

// BuiltinDimension is the builtin embedder's vector length. Hashing cost
// does not depend on it, but storage, vector index build time and distance
// computations grow with it, while collisions shrink; see docs/embedders.md
// for the measurement behind 256.
const BuiltinDimension = 256

// Feature weights of the builtin embedder. They stand in for IDF without a
// corpus: words that occur everywhere in code or English count little,
// short parts count less than long ones (length correlates with rarity in
// identifiers), and character 3-grams add a little fuzziness.
const (
	weightCommon = 0.25 // keywords and ubiquitous code words: return, err, self, ...
	weightDigits = 0.3  // numbers
	weightShort1 = 0.3  // 1-character parts
	weightShort2 = 0.6  // 2-character parts
	weightShort3 = 0.85 // 3-character parts
	weightGram   = 0.25 // each character 3-gram of a part of 4+ characters
)

// englishStop are English function words: dropped.
const englishStop = "a an the and or but of to in on at by for from with as is are was were be been being it " +
	"its this that these those which who what when where how there here than then so such into " +
	"out up we you i he she they them our your his her their has have had do does did can will " +
	"would should may might must also any all some no yes"

// codeCommon are keywords and words present in most chunks of most
// languages: kept at weightCommon, because "error" or "type" can still be
// what a query is about.
const codeCommon = "func function def fn return if else elif for while do switch case break continue var let " +
	"const int int64 int32 uint float string str bool byte true false nil null none undefined " +
	"self this err error new class public private protected static void import package from " +
	"export type struct interface impl pub mut try catch except finally throw throws raise " +
	"async await go defer range len make ctx context get set value val args arg param data " +
	"result res ok in not is and or with as to of"

// builtin is the offline, weight-free embedder: identifier-aware signed
// feature hashing. It is not semantic: texts are close when they share
// identifier parts, whole identifiers or character 3-grams.
type builtin struct {
	dim    int
	weight map[string]float32 // stemmed stop and common words → their weight
}

var _ codebase.Embedder = (*builtin)(nil)

func newBuiltin(dim int) *builtin {
	b := &builtin{dim: dim, weight: make(map[string]float32, 256)}
	// The lists are written as words; the tokenizer's stems are what
	// Embed sees ("else" → "els").
	for _, w := range strings.Fields(codeCommon) {
		for _, t := range terms.Split(w) {
			b.weight[t] = weightCommon
		}
	}
	for _, w := range strings.Fields(englishStop) {
		for _, t := range terms.Split(w) {
			b.weight[t] = 0
		}
	}
	return b
}

// Name implements [codebase.Embedder].
func (b *builtin) Name() string { return BuiltinName }

// Dimension implements [codebase.Embedder].
func (b *builtin) Dimension() int { return b.dim }

// Embed implements [codebase.Embedder]. It never fails except on a
// cancelled context, checked between texts.
func (b *builtin) Embed(ctx context.Context, texts []string) ([][]float32, error) {
	out := make([][]float32, len(texts))
	flat := make([]float32, len(texts)*b.dim) // one allocation for all vectors
	var f features
	for i, text := range texts {
		if i%64 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		v := flat[i*b.dim : (i+1)*b.dim : (i+1)*b.dim]
		b.embed(&f, text, v)
		out[i] = v
	}
	return out, nil
}

// embed writes the vector of text into v (zeroed, of length dim).
func (b *builtin) embed(f *features, text string, v []float32) {
	f.reset()
	var gram [3]byte
	terms.Each(text, func(term []byte, whole bool) {
		w := b.termWeight(term, whole)
		if w == 0 {
			return
		}
		f.add(hashBytes(nsTerm, term), w)
		if whole || len(term) < 4 || w < 1 || !isAlpha(term) {
			return
		}
		// Character 3-grams of the part with boundary markers:
		// "token" → <to tok oke ken en>.
		for i := -1; i+2 <= len(term); i++ {
			for k := range 3 {
				switch j := i + k; {
				case j < 0:
					gram[k] = '<'
				case j >= len(term):
					gram[k] = '>'
				default:
					gram[k] = term[j]
				}
			}
			f.add(hashBytes(nsGram, gram[:]), weightGram)
		}
	})
	if len(f.used) == 0 {
		// No features: a fixed unit vector rather than zeros, whose
		// cosine distance PostgreSQL cannot compute.
		f.add(hashBytes(nsTerm, []byte("<empty>")), 1)
	}
	var norm float64
	for _, s := range f.used {
		h := f.keys[s]
		x := f.weight[s] * float32(1+math.Log1p(float64(f.tf[s])))
		if h>>63 != 0 {
			x = -x
		}
		bin := int((h & 0xffffffff) * uint64(b.dim) >> 32)
		v[bin] += x
	}
	for _, x := range v {
		norm += float64(x) * float64(x)
	}
	if norm == 0 {
		// Every feature cancelled out in its bin (possible with very
		// few features): fall back to the first feature's bin.
		v[int((f.keys[f.used[0]]&0xffffffff)*uint64(b.dim)>>32)] = 1
		return
	}
	inv := float32(1 / math.Sqrt(norm))
	for i := range v {
		v[i] *= inv
	}
}

// termWeight returns the fixed weight of a term (0 drops it).
func (b *builtin) termWeight(term []byte, whole bool) float32 {
	if w, ok := b.weight[string(term)]; ok {
		return w
	}
	if whole {
		return 1
	}
	if term[0] >= '0' && term[0] <= '9' {
		return weightDigits
	}
	switch len(term) {
	case 1:
		return weightShort1
	case 2:
		return weightShort2
	case 3:
		return weightShort3
	}
	return 1
}

func isAlpha(b []byte) bool {
	for _, c := range b {
		if c < 'a' || c > 'z' {
			return false
		}
	}
	return true
}

// Feature namespaces keep a term and a 3-gram with the same bytes apart.
const (
	nsTerm byte = 't'
	nsGram byte = 'g'
)

// hashBytes is 64-bit FNV-1a over ns and b, finished with the splitmix64
// mixer so that low and high bits (bin and sign) are both well spread.
func hashBytes(ns byte, b []byte) uint64 {
	const offset, prime = 14695981039346656037, 1099511628211
	h := uint64(offset)
	h = (h ^ uint64(ns)) * prime
	for _, c := range b {
		h = (h ^ uint64(c)) * prime
	}
	h ^= h >> 30
	h *= 0xbf58476d1ce4e5b9
	h ^= h >> 27
	h *= 0x94d049bb133111eb
	h ^= h >> 31
	return h
}

// features counts feature occurrences of one text in an open-addressing
// table reused across the texts of one Embed call.
type features struct {
	keys   []uint64
	tf     []float32
	weight []float32
	full   []bool
	used   []int // occupied slots, in insertion order
}

func (f *features) reset() {
	for _, s := range f.used {
		f.full[s] = false
	}
	f.used = f.used[:0]
}

func (f *features) add(h uint64, w float32) {
	if 2*(len(f.used)+1) > len(f.keys) {
		f.grow()
	}
	mask := len(f.keys) - 1
	for s := int(h) & mask; ; s = (s + 1) & mask {
		if !f.full[s] {
			f.full[s], f.keys[s], f.tf[s], f.weight[s] = true, h, 1, w
			f.used = append(f.used, s)
			return
		}
		if f.keys[s] == h {
			f.tf[s]++
			return
		}
	}
}

// grow doubles the table (at least 1024 slots) and reinserts its entries.
func (f *features) grow() {
	old := *f
	size := max(1024, 2*len(f.keys))
	*f = features{
		keys: make([]uint64, size), tf: make([]float32, size), weight: make([]float32, size),
		full: make([]bool, size), used: make([]int, 0, size/2),
	}
	mask := size - 1
	for _, s := range old.used {
		h := old.keys[s]
		t := int(h) & mask
		for f.full[t] {
			t = (t + 1) & mask
		}
		f.full[t], f.keys[t], f.tf[t], f.weight[t] = true, h, old.tf[s], old.weight[s]
		f.used = append(f.used, t)
	}
}
