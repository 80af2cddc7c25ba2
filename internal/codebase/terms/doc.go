package terms

import (
	"path"
	"slices"
	"strings"

	"github.com/mcp-memory/servers/internal/codebase"
)

// Weight classes of a chunk's fields for BM25F. Each is stored as a
// tsvector weight: ClassA as A, ClassB as B, ClassC as C, ClassD as D.
const (
	// ClassA holds the signature line and the directory path parts.
	ClassA = 0
	// ClassB holds the file name (without extension) and the chunk's own
	// doc comment.
	ClassB = 1
	// ClassC holds the body code.
	ClassC = 2
	// ClassD holds the inline comments.
	ClassD = 3

	classes = 4
)

// maxPackedBytes bounds the size of a Doc's tsvector: PostgreSQL refuses a
// tsvector whose packed lexemes and positions exceed 1 MiB - 1 byte. Each
// lexeme costs its length, one alignment byte, a position count and two
// bytes per position (at most [MaxPositions]). Occurrences past the bound
// are ignored; only huge generated files reach it.
const maxPackedBytes = 1<<20 - 1

// Doc is the bag of terms of one chunk, counted per weight class. Its zero
// value is an empty document. A Doc is read-only once built and safe for
// concurrent reads.
type Doc struct {
	terms []string         // distinct terms, first-seen order
	index map[string]int32 // term → its position in terms
	tf    [][classes]int32 // per term, occurrences per class
	occ   []occurrence     // every occurrence in the order added
	lens  [classes]int
	// packed is the size PostgreSQL needs for the tsvector (see
	// maxPackedBytes).
	packed int
}

// occurrence is one term occurrence; its position in Doc.occ (plus one)
// is its tsvector position.
type occurrence struct {
	term  int32
	class int8
}

// ForChunk builds the Doc of a chunk:
//   - ClassA: the terms of c.Signature and of the directory parts of
//     c.FilePath;
//   - ClassB: the terms of the file name without its extension and of c.Doc;
//   - ClassC: the terms of c.Content minus those of c.Signature, c.Doc and
//     c.Comments;
//   - ClassD: the terms of c.Comments.
//
// ClassC is an approximation that needs no parser: Content contains the
// doc comment, the signature and the comments, so subtracting their term
// counts (a multiset difference, clamped at zero, taking away the earliest
// occurrences) leaves the counts of the code terms exactly whenever the
// chunker copied those texts from Content, which is how it builds them.
// Terms of text the chunker put in Doc or Comments but not in Content
// (none today) would only make ClassC counts smaller, never negative.
func ForChunk(c codebase.Chunk) Doc {
	d := Doc{index: make(map[string]int32, 64)}
	var t tokenizer
	// budget[i] counts occurrences of term i still to take out of Content.
	var budget []int32
	addBudget := func(text string, class int) {
		t.each(text, func(term []byte, _ bool) {
			i := d.add(term, class)
			if i < 0 {
				return
			}
			for int(i) >= len(budget) {
				budget = append(budget, 0)
			}
			budget[i]++
		})
	}
	addPlain := func(text string, class int) {
		t.each(text, func(term []byte, _ bool) { d.add(term, class) })
	}

	addBudget(c.Signature, ClassA)
	dir, file := path.Split(c.FilePath)
	addPlain(dir, ClassA)
	if name := strings.TrimSuffix(file, path.Ext(file)); name != "" {
		file = name
	}
	addPlain(file, ClassB)
	addBudget(c.Doc, ClassB)
	addBudget(c.Comments, ClassD)
	t.each(c.Content, func(term []byte, _ bool) {
		if i, ok := d.index[string(term)]; ok && int(i) < len(budget) && budget[i] > 0 {
			budget[i]--
			return
		}
		d.add(term, ClassC)
	})
	return d
}

// add counts one occurrence of term in class and returns the term's index,
// or -1 when the occurrence is dropped by the size bound.
func (d *Doc) add(term []byte, class int) int32 {
	i, ok := d.index[string(term)]
	if !ok {
		if d.packed+len(term)+5 > maxPackedBytes {
			return -1
		}
		i = int32(len(d.terms))
		s := string(term)
		d.index[s] = i
		d.terms = append(d.terms, s)
		d.tf = append(d.tf, [classes]int32{})
		d.packed += len(term) + 3
	}
	if d.total(i) < MaxPositions {
		if d.packed+2 > maxPackedBytes {
			return -1
		}
		d.packed += 2
	}
	d.tf[i][class]++
	d.occ = append(d.occ, occurrence{term: i, class: int8(class)})
	d.lens[class]++
	return i
}

// total returns the occurrences of term i over all classes.
func (d *Doc) total(i int32) int32 {
	t := d.tf[i]
	return t[0] + t[1] + t[2] + t[3]
}

// Len returns the number of terms (occurrences) in class, 0 for an unknown
// class.
func (d Doc) Len(class int) int {
	if class < 0 || class >= classes {
		return 0
	}
	return d.lens[class]
}

// TF returns how often term occurs in class. term must be a term as
// [Split] or [Query] returns it.
func (d Doc) TF(term string, class int) int {
	if class < 0 || class >= classes {
		return 0
	}
	i, ok := d.index[term]
	if !ok {
		return 0
	}
	return int(d.tf[i][class])
}

// Terms returns the distinct terms over all classes, sorted.
func (d Doc) Terms() []string {
	if len(d.terms) == 0 {
		return nil
	}
	out := slices.Clone(d.terms)
	slices.Sort(out)
	return out
}
