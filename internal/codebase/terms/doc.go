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
	// The distinct terms, in first-seen order, are stored back to back in
	// arena: term i is arena[ends[i-1]:ends[i]]. One buffer instead of a
	// string per term keeps ForChunk at a handful of allocations.
	arena []byte
	ends  []int32
	hash  []uint32         // per term, its hash (speeds up probing)
	slots []int32          // open-addressing table: term index + 1, 0 = empty
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
	// Pre-size from the text length (about one term per 5 bytes of code,
	// a third of them distinct) so that building rarely grows a slice or
	// rehashes the map.
	est := (len(c.Content)+len(c.Signature)+len(c.Doc)+len(c.Comments)+len(c.FilePath))/5 + 8
	distinct := est/3 + 8
	d := Doc{
		arena: make([]byte, 0, distinct*8),
		ends:  make([]int32, 0, distinct),
		hash:  make([]uint32, 0, distinct),
		slots: make([]int32, tableSize(distinct)),
		tf:    make([][classes]int32, 0, distinct),
		occ:   make([]occurrence, 0, est),
	}
	var t tokenizer
	// budget[i] counts occurrences of term i still to take out of Content.
	budget := make([]int32, 0, distinct)
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
		if i := d.find(term); i >= 0 && int(i) < len(budget) && budget[i] > 0 {
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
	i := d.find(term)
	if i < 0 {
		if d.packed+len(term)+5 > maxPackedBytes {
			return -1
		}
		i = d.insert(term)
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
	i := lookup(&d, term)
	if i < 0 {
		return 0
	}
	return int(d.tf[i][class])
}

// Terms returns the distinct terms over all classes, sorted.
func (d Doc) Terms() []string {
	if len(d.ends) == 0 {
		return nil
	}
	all := string(d.arena) // one allocation; the terms are slices of it
	out := make([]string, len(d.ends))
	for i := range out {
		out[i] = all[d.start(int32(i)):d.ends[i]]
	}
	slices.Sort(out)
	return out
}

// term returns the bytes of term i.
func (d *Doc) term(i int32) []byte { return d.arena[d.start(i):d.ends[i]] }

func (d *Doc) start(i int32) int32 {
	if i == 0 {
		return 0
	}
	return d.ends[i-1]
}

// lookup returns the index of term, or -1.
func lookup[T string | []byte](d *Doc, term T) int32 {
	if len(d.slots) == 0 {
		return -1
	}
	h := hashTerm(term)
	mask := uint32(len(d.slots) - 1)
	for s := h & mask; ; s = (s + 1) & mask {
		k := d.slots[s]
		if k == 0 {
			return -1
		}
		if i := k - 1; d.hash[i] == h && string(d.term(i)) == string(term) {
			return i
		}
	}
}

func (d *Doc) find(term []byte) int32 { return lookup(d, term) }

// insert adds a new term and returns its index.
func (d *Doc) insert(term []byte) int32 {
	if 2*(len(d.ends)+1) > len(d.slots) {
		d.rehash(tableSize(2 * (len(d.ends) + 1)))
	}
	i := int32(len(d.ends))
	d.arena = append(d.arena, term...)
	d.ends = append(d.ends, int32(len(d.arena)))
	h := hashTerm(term)
	d.hash = append(d.hash, h)
	d.tf = append(d.tf, [classes]int32{})
	d.place(i, h)
	return i
}

func (d *Doc) place(i int32, h uint32) {
	mask := uint32(len(d.slots) - 1)
	s := h & mask
	for d.slots[s] != 0 {
		s = (s + 1) & mask
	}
	d.slots[s] = i + 1
}

func (d *Doc) rehash(size int) {
	d.slots = make([]int32, size)
	for i, h := range d.hash {
		d.place(int32(i), h)
	}
}

// tableSize is the power of two, at least 16, that keeps n terms at most
// half full.
func tableSize(n int) int {
	size := 16
	for size < 2*n {
		size *= 2
	}
	return size
}

// hashTerm is 32-bit FNV-1a.
func hashTerm[T string | []byte](t T) uint32 {
	h := uint32(2166136261)
	for i := 0; i < len(t); i++ {
		h = (h ^ uint32(t[i])) * 16777619
	}
	return h
}
