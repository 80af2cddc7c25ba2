package terms

import (
	"bytes"
	"encoding/binary"
	"slices"
	"strconv"
	"strings"
)

// PostgreSQL tsvector limits.
const (
	// MaxPositions is the most positions PostgreSQL keeps per lexeme.
	MaxPositions = 256
	// MaxPosition is the largest tsvector position.
	MaxPosition = 1<<14 - 1
)

// weightLetters are the tsvector weights of ClassA, ClassB and ClassC.
// ClassD is PostgreSQL's default weight D, written without a letter as
// PostgreSQL prints it.
const weightLetters = "ABC"

// TSVector renders the Doc as a PostgreSQL tsvector literal in the form
// the 'simple' configuration produces: 'lexeme':1A,2B,7C with weight A for
// ClassA, B for ClassB, C for ClassC and D (no letter) for ClassD. Cast it
// with $1::tsvector; the empty Doc renders as the empty string (an empty
// tsvector).
//
// Positions number the occurrences in the order ForChunk saw them
// (signature, directories, file name, doc comment, comments, code),
// starting at 1. PostgreSQL keeps at most [MaxPositions] positions per
// lexeme and none above [MaxPosition], so:
//   - a term with more than 256 occurrences keeps the occurrences of its
//     heaviest classes first (all of A, then B, then C, then D, until 256):
//     its per-class position counts equal its [Doc.TF] except that the
//     lightest classes are cut to fill 256, where BM25 saturation makes the
//     difference negligible;
//   - positions beyond 16383 are pulled down to the largest free values
//     below it, so every position stays distinct and keeps its weight.
//
// Terms are [a-z0-9_] and never need quoting, but quotes and backslashes
// are escaped anyway so any lexeme round-trips.
func (d Doc) TSVector() string {
	if len(d.ends) == 0 {
		return ""
	}
	var b strings.Builder
	b.Grow(len(d.occ)*6 + d.packed)
	var num [8]byte
	d.lexemes(func(n int, term []byte, ps []packedPos) {
		if n > 0 {
			b.WriteByte(' ')
		}
		writeLexeme(&b, term)
		b.WriteByte(':')
		for k, p := range ps {
			if k > 0 {
				b.WriteByte(',')
			}
			b.Write(strconv.AppendInt(num[:0], int64(p.pos), 10))
			if p.class < ClassD {
				b.WriteByte(weightLetters[p.class])
			}
		}
	})
	return b.String()
}

// AppendTSVectorBinary appends the Doc's tsvector, the same value as
// [Doc.TSVector], in PostgreSQL's binary format (what tsvector_send
// writes and a binary COPY reads): the lexeme count as int32, then per
// lexeme, in sorted order, its bytes, a NUL, the position count as uint16
// and each position as uint16 with the weight in the top two bits (A = 3
// ... D = 0). Building it costs a fraction of the text form, which the
// database would have to parse again.
func (d Doc) AppendTSVectorBinary(dst []byte) []byte {
	dst = binary.BigEndian.AppendUint32(dst, uint32(len(d.ends)))
	d.lexemes(func(_ int, term []byte, ps []packedPos) {
		dst = append(dst, term...)
		dst = append(dst, 0)
		dst = binary.BigEndian.AppendUint16(dst, uint16(len(ps)))
		for _, p := range ps {
			dst = binary.BigEndian.AppendUint16(dst, uint16(ClassD-p.class)<<14|uint16(p.pos))
		}
	})
	return dst
}

// lexemes calls fn with each term in byte order (PostgreSQL's lexeme
// order) and its positions, limited as [Doc.TSVector] describes; n counts
// the calls from 0.
func (d Doc) lexemes(fn func(n int, term []byte, ps []packedPos)) {
	if len(d.ends) == 0 {
		return
	}
	// Group occurrence positions by term with a counting sort: start[i]
	// is where term i's positions begin in pos.
	start := make([]int32, len(d.ends)+1)
	for _, o := range d.occ {
		start[o.term+1]++
	}
	for i := 1; i < len(start); i++ {
		start[i] += start[i-1]
	}
	fill := slices.Clone(start[:len(d.ends)])
	pos := make([]packedPos, len(d.occ))
	for k, o := range d.occ {
		pos[fill[o.term]] = packedPos{pos: int32(k + 1), class: o.class}
		fill[o.term]++
	}

	order := make([]int32, len(d.ends))
	for i := range order {
		order[i] = int32(i)
	}
	slices.SortFunc(order, func(a, b int32) int { return bytes.Compare(d.term(a), d.term(b)) })
	for n, i := range order {
		fn(n, d.term(i), limitPositions(pos[start[i]:start[i+1]]))
	}
}

// packedPos is one tsvector position with its class.
type packedPos struct {
	pos   int32
	class int8
}

// limitPositions applies PostgreSQL's limits to one lexeme's positions,
// given in increasing order, and returns them still increasing.
func limitPositions(ps []packedPos) []packedPos {
	if len(ps) > MaxPositions {
		// Keep the heaviest classes: stable by class, then back in
		// position order.
		slices.SortStableFunc(ps, func(a, b packedPos) int { return int(a.class) - int(b.class) })
		ps = ps[:MaxPositions]
		slices.SortFunc(ps, func(a, b packedPos) int { return int(a.pos - b.pos) })
	}
	// Pull positions above the limit down, last first, keeping them
	// distinct; at most 256 positions always fit below 16383.
	limit := int32(MaxPosition)
	for k := len(ps) - 1; k >= 0 && ps[k].pos > limit; k-- {
		ps[k].pos = limit
		limit--
	}
	return ps
}

// writeLexeme writes term as a quoted tsvector lexeme: quotes are doubled
// and backslashes escaped.
func writeLexeme(b *strings.Builder, term []byte) {
	b.WriteByte('\'')
	for i := 0; i < len(term); i++ {
		switch c := term[i]; c {
		case '\'':
			b.WriteString("''")
		case '\\':
			b.WriteString(`\\`)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('\'')
}
