package search

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strings"
	"sync"
)

// A lexicon is one project's lexical index in memory, as of one
// generation: the candidate metadata of every chunk and, per term, the
// chunks that hold it with the term's per-class frequencies and its share
// of PostgreSQL's ts_rank. It answers [Store.LexicalStats] and
// [Store.LexicalCandidates] for that generation with the same results
// PostgreSQL gives (the same candidates in the same order, the same
// frequencies), in a fraction of the time. It is immutable once built.
type lexicon struct {
	project string
	gen     int64
	n       int64
	sumLen  [Classes]int64

	// Per chunk (index d): id and symbol are strs[off[2d]:off[2d+1]] and
	// strs[off[2d+1]:off[2d+2]].
	strs     string
	off      []uint32
	file     []uint32
	kind     []uint8
	lines    []int32  // start, end
	fieldLen []uint32 // Classes per chunk
	// rankNorm is ts_rank's length normalisation of the chunk:
	// log2(positions + 1), in double precision as tsrank.c computes it (a
	// lexeme without positions counts one position).
	rankNorm []float64

	files []lexFile
	repos []string
	kinds []string

	// Postings of term t: [start[t], start[t+1]) in pDoc (ascending chunk
	// index), pTF (per-class frequencies, see packTF) and pRank (the term's
	// ts_rank share before the 1.64493406685 divisor, as float4).
	terms map[string]uint32
	start []uint32
	pDoc  []uint32
	pTF   []uint32
	pRank []float32
	// big holds the frequencies of postings with a class count over 254,
	// by posting index.
	big map[uint32][Classes]uint16

	bytes   int64
	scratch sync.Pool
}

// lexFile is a file of the lexicon's project.
type lexFile struct {
	repo     uint32
	path     string
	language string
	// generated is the header flag (search_generated_files); testPath and
	// generatedPath are isTestPath and isGeneratedPath of the path.
	generated, testPath, generatedPath bool
}

// errLexiconTooLarge stops a build whose lexicon would exceed the cache.
var errLexiconTooLarge = errors.New("search: lexicon exceeds the cache size")

// errFilterUnsupported sends a search with a filter the lexicon cannot
// apply exactly as PostgreSQL does to the PostgreSQL path.
var errFilterUnsupported = errors.New("search: filter not supported by the lexicon")

// rankWeight is the weight ts_rank gives a position of class c, as a
// float4: the '{0.03, 0.03, 0.25, 1}' (D, C, B, A) of
// pgstore.LexicalCandidates.
func rankWeight(c int) float32 {
	switch c {
	case 0:
		return 1
	case 1:
		return 0.25
	default:
		return 0.03
	}
}

// rankDivisor is ts_rank's per-term normaliser (pi^2/6 as PostgreSQL writes it).
const rankDivisor = 1.64493406685

// Size estimates, in bytes, for the cap: per chunk its arrays (off 8, file
// 4, kind 1, lines 8, field lengths 16, rank normalisation 8), per posting its
// three arrays, per term its map entry and start offset.
const (
	bytesPerChunk   = 45
	bytesPerPosting = 12
	bytesPerTerm    = 64
	bytesPerFile    = 64
	// bytesPerTempPosting is what a build holds per posting before it
	// sorts them by term.
	bytesPerTempPosting = 16
)

// lexBuilder builds a lexicon from a stream of chunks.
type lexBuilder struct {
	lx      *lexicon
	limit   int64
	sb      strings.Builder
	fileIdx map[FileKey]uint32
	repoIdx map[string]uint32
	kindIdx map[string]uint8
	langs   map[string]string
	gen     map[FileKey]bool
	names   []string
	termLen int64
	// Postings in chunk order, sorted by term at the end.
	tTerm, tDoc, tTF []uint32
	tRank            []float32
	tBig             map[uint32][Classes]uint16
}

func newLexBuilder(project string, limit int64) *lexBuilder {
	return &lexBuilder{
		lx:    &lexicon{project: project, terms: map[string]uint32{}, off: []uint32{0}},
		limit: limit, fileIdx: map[FileKey]uint32{}, repoIdx: map[string]uint32{}, kindIdx: map[string]uint8{},
		langs: map[string]string{}, gen: map[FileKey]bool{}, tBig: map[uint32][Classes]uint16{},
	}
}

func (b *lexBuilder) header(h LexiconHeader) error {
	b.lx.gen, b.lx.n, b.lx.sumLen = h.Generation, h.N, h.SumLen
	for _, k := range h.Generated {
		b.gen[k] = true
	}
	return nil
}

// estimate is the size of the lexicon built so far, and of the build's
// temporary postings.
func (b *lexBuilder) estimate() (final, temp int64) {
	p := int64(len(b.tDoc))
	final = int64(len(b.lx.file))*bytesPerChunk + int64(b.sb.Len()) + p*bytesPerPosting +
		int64(len(b.names))*bytesPerTerm + b.termLen + int64(len(b.lx.files))*bytesPerFile
	return final, p * bytesPerTempPosting
}

func (b *lexBuilder) add(c *LexiconChunk) error {
	lx := b.lx
	d := uint32(len(lx.file))
	if len(lx.file)%1024 == 0 {
		if final, _ := b.estimate(); final > b.limit {
			return errLexiconTooLarge
		}
	}
	fk := FileKey{RepositoryID: c.RepositoryID, Path: c.FilePath}
	fi, ok := b.fileIdx[fk]
	if !ok {
		ri, ok := b.repoIdx[c.RepositoryID]
		if !ok {
			ri = uint32(len(lx.repos))
			b.repoIdx[c.RepositoryID] = ri
			lx.repos = append(lx.repos, c.RepositoryID)
		}
		lang, ok := b.langs[c.Language]
		if !ok {
			lang = c.Language
			b.langs[lang] = lang
		}
		fi = uint32(len(lx.files))
		b.fileIdx[fk] = fi
		lx.files = append(lx.files, lexFile{repo: ri, path: c.FilePath, language: lang, generated: b.gen[fk],
			testPath: isTestPath(c.FilePath), generatedPath: isGeneratedPath(c.FilePath)})
	}
	ki, ok := b.kindIdx[c.Kind]
	if !ok {
		if len(lx.kinds) == math.MaxUint8+1 {
			return fmt.Errorf("chunk %s: more than %d chunk kinds", c.ChunkID, math.MaxUint8+1)
		}
		ki = uint8(len(lx.kinds))
		b.kindIdx[c.Kind] = ki
		lx.kinds = append(lx.kinds, c.Kind)
	}
	b.sb.WriteString(c.ChunkID)
	lx.off = append(lx.off, uint32(b.sb.Len()))
	b.sb.WriteString(c.Symbol)
	lx.off = append(lx.off, uint32(b.sb.Len()))
	if b.sb.Len() > math.MaxUint32/2 {
		return errLexiconTooLarge
	}
	lx.file = append(lx.file, fi)
	lx.kind = append(lx.kind, ki)
	lx.lines = append(lx.lines, int32(c.StartLine), int32(c.EndLine))
	for _, l := range c.FieldLen {
		lx.fieldLen = append(lx.fieldLen, uint32(max(l, 0)))
	}
	n, err := b.addTSV(d, c.TSV)
	if err != nil {
		return fmt.Errorf("chunk %s: %w", c.ChunkID, err)
	}
	lx.rankNorm = append(lx.rankNorm, math.Log(float64(n)+1)/math.Ln2)
	return nil
}

var errMalformedTSV = errors.New("malformed binary tsvector")

// addTSV adds the postings of chunk d from its binary tsvector and returns
// the tsvector's length as ts_rank counts it.
func (b *lexBuilder) addTSV(d uint32, tsv []byte) (uint32, error) {
	if len(tsv) < 4 {
		return 0, errMalformedTSV
	}
	n := binary.BigEndian.Uint32(tsv)
	rest := tsv[4:]
	var length uint32
	for range n {
		end := bytes.IndexByte(rest, 0)
		if end < 0 || len(rest) < end+3 {
			return 0, errMalformedTSV
		}
		lex := rest[:end]
		npos := int(binary.BigEndian.Uint16(rest[end+1:]))
		rest = rest[end+3:]
		if len(rest) < 2*npos {
			return 0, errMalformedTSV
		}
		var tf [Classes]int
		var inner float32
		if npos == 0 {
			// PostgreSQL ranks a lexeme without positions as one position
			// of weight D; the text form gives it no frequency.
			length++
			inner = rankShare([]uint8{Classes - 1})
		} else {
			length += uint32(npos)
			var cls [256]uint8
			seq := cls[:0]
			for j := 0; j < npos; j++ {
				c := Classes - 1 - int(binary.BigEndian.Uint16(rest[2*j:])>>14)
				tf[c]++
				if len(seq) < len(cls) {
					seq = append(seq, uint8(c))
				}
			}
			if npos > len(cls) {
				// PostgreSQL keeps at most 256 positions per lexeme;
				// this branch only guards a malformed value.
				return 0, errMalformedTSV
			}
			inner = rankShare(seq)
		}
		rest = rest[2*npos:]
		id, ok := b.lx.terms[string(lex)]
		if !ok {
			id = uint32(len(b.names))
			name := string(lex)
			b.lx.terms[name] = id
			b.names = append(b.names, name)
			b.termLen += int64(len(name))
		}
		packed, big := packTF(tf)
		if big {
			b.tBig[uint32(len(b.tDoc))] = [Classes]uint16{uint16(tf[0]), uint16(tf[1]), uint16(tf[2]), uint16(tf[3])}
		}
		b.tTerm = append(b.tTerm, id)
		b.tDoc = append(b.tDoc, d)
		b.tTF = append(b.tTF, packed)
		b.tRank = append(b.tRank, inner)
	}
	if len(rest) != 0 {
		return 0, errMalformedTSV
	}
	return length, nil
}

// rankShare is one lexeme's term in PostgreSQL's calc_rank_or (tsrank.c)
// before the division by rankDivisor, computed in float4 step by step as
// the C code does, so candidate order matches PostgreSQL's exactly:
//
//	resj = sum_j w(pos_j) / (j+1)^2;  wjm, jm = the first largest weight
//	share = wjm + resj - wjm / (jm+1)^2
func rankShare(classes []uint8) float32 {
	var resj float32
	wjm := float32(-1)
	jm := 0
	for j, c := range classes {
		w := rankWeight(int(c))
		resj = float32(resj + float32(w/float32((j+1)*(j+1))))
		if w > wjm {
			wjm, jm = w, j
		}
	}
	return float32(float32(wjm+resj) - float32(wjm/float32((jm+1)*(jm+1))))
}

// packTF packs per-class frequencies into one byte each; a count over 254
// packs as 255 and big reports that the full counts must be kept aside.
func packTF(tf [Classes]int) (packed uint32, big bool) {
	for c, n := range tf {
		if n >= 255 {
			n, big = 255, true
		}
		packed |= uint32(n) << (8 * c)
	}
	return packed, big
}

// finish sorts the postings by term and returns the lexicon.
func (b *lexBuilder) finish() (*lexicon, error) {
	lx := b.lx
	if final, _ := b.estimate(); final > b.limit {
		return nil, errLexiconTooLarge
	}
	lx.strs = b.sb.String()
	nt := len(b.names)
	lx.start = make([]uint32, nt+1)
	for _, t := range b.tTerm {
		lx.start[t+1]++
	}
	for t := 0; t < nt; t++ {
		lx.start[t+1] += lx.start[t]
	}
	fill := slices.Clone(lx.start[:nt])
	np := len(b.tTerm)
	lx.pDoc, lx.pTF, lx.pRank = make([]uint32, np), make([]uint32, np), make([]float32, np)
	lx.big = map[uint32][Classes]uint16{}
	for i, t := range b.tTerm {
		k := fill[t]
		fill[t]++
		lx.pDoc[k], lx.pTF[k], lx.pRank[k] = b.tDoc[i], b.tTF[i], b.tRank[i]
		if v, ok := b.tBig[uint32(i)]; ok {
			lx.big[k] = v
		}
	}
	lx.bytes, _ = b.estimate()
	lx.bytes += int64(len(lx.big)) * 32
	b.tTerm, b.tDoc, b.tTF, b.tRank, b.tBig = nil, nil, nil, nil, nil
	return lx, nil
}

// chunks is the number of chunks the lexicon holds.
func (lx *lexicon) chunks() int { return len(lx.file) }

// df is the number of chunks holding term (0 when none does).
func (lx *lexicon) df(term string) int64 {
	id, ok := lx.terms[term]
	if !ok {
		return 0
	}
	return int64(lx.start[id+1] - lx.start[id])
}

// stats is [Store.LexicalStats] for terms.
func (lx *lexicon) stats(terms []string) Stats {
	st := Stats{N: lx.n, SumLen: lx.sumLen, DF: make(map[string]int64, len(terms))}
	for _, t := range terms {
		if df := lx.df(t); df > 0 {
			st.DF[t] = df
		}
	}
	return st
}

// tf returns the per-class frequencies of posting k.
func (lx *lexicon) tf(k uint32) [Classes]int {
	p := lx.pTF[k]
	var out [Classes]int
	for c := range out {
		out[c] = int(p >> (8 * c) & 0xff)
	}
	if out[0] == 255 || out[1] == 255 || out[2] == 255 || out[3] == 255 {
		if v, ok := lx.big[k]; ok {
			for c := range out {
				out[c] = int(v[c])
			}
		}
	}
	return out
}

// lexScratch is one search's working memory over a lexicon.
type lexScratch struct {
	acc     []float32 // rank accumulator per chunk; 0 = not matched
	slot    []int32   // per chunk: 1 + its index among the candidates, 0 for none
	touched []uint32
	fileOK  []int8 // per file: 0 not checked yet, 1 passes the filter, -1 fails
	picked  []rankedDoc
}

type rankedDoc struct {
	rank float32
	doc  uint32
}

// fileFilter is a [Filter] compiled for the lexicon.
type fileFilter struct {
	f      Filter
	prefix string
	re     *regexp.Regexp
	active bool
}

func compileFilter(f Filter) (fileFilter, error) {
	ff := fileFilter{f: f, active: f.RepositoryID != "" || f.Extension != "" || f.DirLike != "" || f.DirRegex != "" || f.Language != ""}
	if f.DirLike != "" {
		p, ok := likePrefix(f.DirLike)
		if !ok {
			return ff, errFilterUnsupported
		}
		ff.prefix = p
	}
	if f.DirRegex != "" {
		re, err := regexp.Compile(f.DirRegex)
		if err != nil {
			return ff, errFilterUnsupported
		}
		ff.re = re
	}
	return ff, nil
}

// likePrefix turns a LIKE pattern that is a literal prefix followed by one
// final % (as directoryPattern writes them) into that prefix.
func likePrefix(like string) (string, bool) {
	if !strings.HasSuffix(like, "%") {
		return "", false
	}
	body := like[:len(like)-1]
	var b strings.Builder
	for i := 0; i < len(body); i++ {
		switch c := body[i]; c {
		case '\\':
			if i+1 == len(body) {
				return "", false
			}
			i++
			b.WriteByte(body[i])
		case '%', '_':
			return "", false
		default:
			b.WriteByte(c)
		}
	}
	return b.String(), true
}

// pass applies the filter as pgstore's filterSQL does in SQL.
func (ff *fileFilter) pass(lx *lexicon, f *lexFile) bool {
	if ff.f.RepositoryID != "" && lx.repos[f.repo] != ff.f.RepositoryID {
		return false
	}
	if ff.f.Extension != "" && !strings.HasSuffix(strings.ToLower(f.path), "."+ff.f.Extension) {
		return false
	}
	if ff.prefix != "" && !strings.HasPrefix(f.path, ff.prefix) {
		return false
	}
	if ff.re != nil && !ff.re.MatchString(f.path) {
		return false
	}
	if ff.f.Language != "" && strings.ToLower(f.language) != ff.f.Language {
		return false
	}
	return true
}

// candidates is [Store.LexicalCandidates] over the lexicon: the chunks
// passing q.Filter that hold any of q.MatchTerms, the best q.Limit by
// PostgreSQL's ts_rank('{0.03, 0.03, 0.25, 1}', tsv, query, 1) and then
// chunk id (byte order, as under the C collation), with the per-class
// frequencies of q.ScoreTerms, and each candidate's file. Unlike the
// store's, they come in no particular order.
func (lx *lexicon) candidates(q CandidateQuery) ([]Candidate, []*lexFile, error) {
	if len(q.MatchTerms) == 0 || q.Limit <= 0 {
		return nil, nil, nil
	}
	ff, err := compileFilter(q.Filter)
	if err != nil {
		return nil, nil, err
	}
	sc, _ := lx.scratch.Get().(*lexScratch)
	if sc == nil {
		sc = &lexScratch{acc: make([]float32, lx.chunks()), slot: make([]int32, lx.chunks()), fileOK: make([]int8, len(lx.files))}
	}
	defer lx.scratch.Put(sc)
	defer func() {
		for _, d := range sc.touched {
			sc.acc[d] = 0
		}
		sc.touched = sc.touched[:0]
		if ff.active {
			clear(sc.fileOK)
		}
	}()

	// calc_rank_or walks the query's distinct lexemes in sorted order and
	// adds each one's share in double precision, stored as float4.
	match := slices.Clone(q.MatchTerms)
	slices.Sort(match)
	match = slices.Compact(match)
	for _, t := range match {
		id, ok := lx.terms[t]
		if !ok {
			continue
		}
		for k := lx.start[id]; k < lx.start[id+1]; k++ {
			d := lx.pDoc[k]
			if ff.active {
				fi := lx.file[d]
				ok := sc.fileOK[fi]
				if ok == 0 {
					ok = -1
					if ff.pass(lx, &lx.files[fi]) {
						ok = 1
					}
					sc.fileOK[fi] = ok
				}
				if ok < 0 {
					continue
				}
			}
			if sc.acc[d] == 0 {
				sc.touched = append(sc.touched, d)
			}
			sc.acc[d] = float32(float64(sc.acc[d]) + float64(lx.pRank[k])/rankDivisor)
		}
	}

	// calc_rank: divide by the number of query lexemes (float4), then
	// normalisation 1 divides by log2(length + 1) in double precision.
	size := float32(len(match))
	sc.picked = sc.picked[:0]
	for _, d := range sc.touched {
		r := sc.acc[d] / size
		r = float32(float64(r) / lx.rankNorm[d])
		sc.picked = append(sc.picked, rankedDoc{r, d})
	}
	better := func(a, b rankedDoc) int {
		switch {
		case a.rank > b.rank:
			return -1
		case a.rank < b.rank:
			return 1
		}
		return strings.Compare(lx.id(a.doc), lx.id(b.doc))
	}
	// The best q.Limit, in no particular order: the ranking re-sorts them
	// by its own score, so only the set matters.
	top := sc.picked
	if len(top) > q.Limit {
		top = selectTop(top, q.Limit, better)
	}

	out := make([]Candidate, len(top))
	files := make([]*lexFile, len(top))
	for i, r := range top {
		d := r.doc
		f := &lx.files[lx.file[d]]
		files[i] = f
		c := &out[i]
		c.ChunkID, c.Symbol = lx.id(d), lx.symbol(d)
		c.RepositoryID, c.FilePath, c.Generated = lx.repos[f.repo], f.path, f.generated
		c.Kind = lx.kinds[lx.kind[d]]
		c.StartLine, c.EndLine = int(lx.lines[2*d]), int(lx.lines[2*d+1])
		for k := 0; k < Classes; k++ {
			c.FieldLen[k] = int(lx.fieldLen[Classes*int(d)+k])
		}
		c.TF = map[string][Classes]int{}
	}
	lx.scoreTF(out, top, q.ScoreTerms, sc.slot)
	return out, files, nil
}

// selectTop moves the n best of rs (by cmp) to its front and returns them,
// in no particular order: a partial quickselect, so a query matching tens
// of thousands of chunks does not sort them all.
func selectTop(rs []rankedDoc, n int, cmp func(a, b rankedDoc) int) []rankedDoc {
	lo, hi := 0, len(rs)-1
	for lo < hi {
		// Median of three as the pivot.
		mid := lo + (hi-lo)/2
		if cmp(rs[mid], rs[lo]) < 0 {
			rs[mid], rs[lo] = rs[lo], rs[mid]
		}
		if cmp(rs[hi], rs[lo]) < 0 {
			rs[hi], rs[lo] = rs[lo], rs[hi]
		}
		if cmp(rs[hi], rs[mid]) < 0 {
			rs[hi], rs[mid] = rs[mid], rs[hi]
		}
		pivot := rs[mid]
		i, j := lo, hi
		for i <= j {
			for cmp(rs[i], pivot) < 0 {
				i++
			}
			for cmp(pivot, rs[j]) < 0 {
				j--
			}
			if i <= j {
				rs[i], rs[j] = rs[j], rs[i]
				i++
				j--
			}
		}
		switch {
		case n-1 <= j:
			hi = j
		case n-1 >= i:
			lo = i
		default:
			return rs[:n]
		}
	}
	return rs[:n]
}

// scoreTF fills the frequencies of terms in the candidates out (whose
// chunk indexes are top's). A term with few postings walks them and finds
// the candidates through slot (zero on entry and on return); a term with
// many gallops through its postings from one candidate to the next in
// chunk order.
func (lx *lexicon) scoreTF(out []Candidate, top []rankedDoc, terms []string, slot []int32) {
	for i, r := range top {
		slot[r.doc] = int32(i + 1)
	}
	defer func() {
		for _, r := range top {
			slot[r.doc] = 0
		}
	}()
	var order []int // candidates in chunk order, made when a term needs it
	seen := make(map[string]bool, len(terms))
	for _, t := range terms {
		if seen[t] {
			continue
		}
		seen[t] = true
		id, ok := lx.terms[t]
		if !ok {
			continue
		}
		base := lx.start[id]
		docs := lx.pDoc[base:lx.start[id+1]]
		if len(docs) <= 8*len(top) {
			for k, d := range docs {
				if i := slot[d]; i > 0 {
					out[i-1].TF[t] = lx.tf(base + uint32(k))
				}
			}
			continue
		}
		if order == nil {
			order = make([]int, len(top))
			for i := range order {
				order[i] = i
			}
			slices.SortFunc(order, func(a, b int) int { return int(top[a].doc) - int(top[b].doc) })
		}
		lo := 0
		for _, i := range order {
			d := top[i].doc
			// Gallop to the first posting >= d, then binary search.
			if lo < len(docs) && docs[lo] < d {
				prev, hi, step := lo, lo+1, 1
				for hi < len(docs) && docs[hi] < d {
					prev = hi
					hi += step
					step *= 2
				}
				hi = min(hi, len(docs))
				k, _ := slices.BinarySearch(docs[prev+1:hi], d)
				lo = prev + 1 + k
			}
			if lo >= len(docs) {
				break
			}
			if docs[lo] == d {
				out[i].TF[t] = lx.tf(base + uint32(lo))
			}
		}
	}
}

func (lx *lexicon) id(d uint32) string     { return lx.strs[lx.off[2*d]:lx.off[2*d+1]] }
func (lx *lexicon) symbol(d uint32) string { return lx.strs[lx.off[2*d+1]:lx.off[2*d+2]] }
