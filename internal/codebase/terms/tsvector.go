package terms

import (
	"bytes"
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

	var b strings.Builder
	b.Grow(len(d.occ)*6 + d.packed)
	var num [8]byte
	for n, i := range order {
		if n > 0 {
			b.WriteByte(' ')
		}
		writeLexeme(&b, d.term(i))
		b.WriteByte(':')
		ps := limitPositions(pos[start[i]:start[i+1]])
		for k, p := range ps {
			if k > 0 {
				b.WriteByte(',')
			}
			b.Write(strconv.AppendInt(num[:0], int64(p.pos), 10))
			if p.class < ClassD {
				b.WriteByte(weightLetters[p.class])
			}
		}
	}
	return b.String()
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
