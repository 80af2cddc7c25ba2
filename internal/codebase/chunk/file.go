package chunk

import (
	"bytes"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"

	sitter "github.com/tree-sitter/go-tree-sitter"

	"github.com/mcp-memory/servers/internal/codebase"
)

// span is a byte range [start, end).
type span struct{ start, end int }

// lineIndex maps bytes to 0-based lines.
type lineIndex struct {
	src    []byte
	starts []int  // byte offset of each line
	blank  []bool // line holds only whitespace
}

func newLineIndex(src []byte) lineIndex {
	li := lineIndex{src: src, starts: make([]int, 1, len(src)/32+1)}
	for i, b := range src {
		if b == '\n' && i+1 < len(src) {
			li.starts = append(li.starts, i+1)
		}
	}
	li.blank = make([]bool, len(li.starts))
	for i := range li.starts {
		li.blank[i] = isBlank(li.text(i))
	}
	return li
}

func isBlank(b []byte) bool {
	for i := 0; i < len(b); {
		switch c := b[i]; {
		case c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v':
			i++
		case c < utf8.RuneSelf:
			return false
		default:
			r, n := utf8.DecodeRune(b[i:])
			if !unicode.IsSpace(r) {
				return false
			}
			i += n
		}
	}
	return true
}

func (li lineIndex) count() int { return len(li.starts) }

func (li lineIndex) allBlank() bool {
	for _, b := range li.blank {
		if !b {
			return false
		}
	}
	return true
}

// end is the byte offset just past line i, its newline excluded.
func (li lineIndex) end(i int) int {
	if i+1 < len(li.starts) {
		return li.starts[i+1] - 1
	}
	if n := len(li.src); n > 0 && li.src[n-1] == '\n' {
		return n - 1
	}
	return len(li.src)
}

func (li lineIndex) text(i int) []byte { return li.src[li.starts[i]:li.end(i)] }

// lineOf returns the line holding byte b.
func (li lineIndex) lineOf(b int) int {
	i := sort.Search(len(li.starts), func(i int) bool { return li.starts[i] > b }) - 1
	return max(i, 0)
}

// file is the per-call state of one Chunk call.
type file struct {
	opts     Options
	language string
	src      []byte
	lines    lineIndex
	comments []span // sorted by start
	bound    []bool // a statement ends on this line: a clean place to split
}

// nodeLines returns the first and last line a node touches.
func (f *file) nodeLines(n *sitter.Node) (int, int) {
	s, e := int(n.StartByte()), int(n.EndByte())
	first := f.lines.lineOf(s)
	if e > s {
		e--
	}
	return first, max(first, f.lines.lineOf(e))
}

// ownLine reports whether only whitespace precedes byte b on its line.
func (f *file) ownLine(b int) bool {
	l := f.lines.lineOf(b)
	return b <= len(f.src) && isBlank(f.src[f.lines.starts[l]:b])
}

func (f *file) markBound(line int) {
	if f.bound == nil {
		f.bound = make([]bool, f.lines.count())
	}
	if line >= 0 && line < len(f.bound) {
		f.bound[line] = true
	}
}

func (f *file) oversize(first, last int) bool {
	return last-first+1 > f.opts.MaxLines || f.lines.end(last)-f.lines.starts[first] > f.opts.MaxBytes
}

// collectComments records the comments of the tree. Rather than visit
// every node (a query pass costs about a third of the parse), it looks for
// comment openers in the text and asks the tree what starts there: a few
// cgo calls per candidate, and "//" inside a string is rejected by the
// tree.
func (f *file) collectComments(l *language, root *sitter.Node) {
	src := f.src
	for i := 0; i < len(src); {
		j := bytes.IndexByte(src[i:], l.commentStart)
		if j < 0 {
			return
		}
		s := i + j
		i = s + 1
		if l.commentStart == '/' && (s+1 >= len(src) || src[s+1] != '/' && src[s+1] != '*') {
			continue
		}
		n := root.NamedDescendantForByteRange(uint(s), uint(s+1))
		if n == nil || int(n.StartByte()) != s {
			continue
		}
		if sp := l.spec(n); sp == nil || sp.role != roleComment {
			continue
		}
		e := int(n.EndByte())
		f.comments = append(f.comments, span{s, e})
		i = max(i, e)
	}
}

// errorRatio is the share of the file's bytes inside ERROR nodes. It
// descends only into nodes that contain an error.
func (f *file) errorRatio(root *sitter.Node, cur *sitter.TreeCursor) float64 {
	if !root.HasError() {
		return 0
	}
	if root.IsError() {
		return 1
	}
	covered := 0
	stack := []sitter.Node{*root}
	for len(stack) > 0 {
		n := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		for _, c := range n.Children(cur) {
			switch {
			case c.IsError():
				covered += int(c.EndByte()) - int(c.StartByte())
			case c.HasError():
				stack = append(stack, c)
			}
		}
	}
	return float64(covered) / float64(max(len(f.src), 1))
}

// build turns the units into chunks and covers every other non-blank line
// with top-level chunks.
func (f *file) build(units []unit, hdr *unit) []codebase.Chunk {
	covered := make([]bool, f.lines.count())
	var out []codebase.Chunk
	add := func(u *unit) {
		if u.first < 0 || u.last >= len(covered) || u.first > u.last {
			return
		}
		for i := u.first; i <= u.last; i++ {
			covered[i] = true
		}
		out = f.emit(out, u, f.segments(u))
	}
	if hdr != nil {
		add(hdr)
	}
	for i := range units {
		add(&units[i])
	}
	for i := 0; i < len(covered); {
		if covered[i] || f.lines.blank[i] {
			i++
			continue
		}
		j := i
		for k := i; k < len(covered) && !covered[k]; k++ {
			if !f.lines.blank[k] {
				j = k
			}
		}
		u := unit{kind: codebase.KindTopLevel, first: i, last: j}
		out = f.emit(out, &u, []lineRange{{i, j}})
		i = j + 1
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].StartLine != out[j].StartLine {
			return out[i].StartLine < out[j].StartLine
		}
		return out[i].EndLine > out[j].EndLine
	})
	return out
}

// segments are a unit's lines minus its holes, without blank lines at
// either end of a segment.
func (f *file) segments(u *unit) []lineRange {
	holes := append([]lineRange(nil), u.holes...)
	sort.Slice(holes, func(i, j int) bool { return holes[i].first < holes[j].first })
	var segs []lineRange
	next := u.first
	addSeg := func(a, b int) {
		for a <= b && f.lines.blank[a] {
			a++
		}
		for b >= a && f.lines.blank[b] {
			b--
		}
		if a <= b {
			segs = append(segs, lineRange{a, b})
		}
	}
	for _, h := range holes {
		if h.first > next {
			addSeg(next, h.first-1)
		}
		next = max(next, h.last+1)
	}
	if next <= u.last {
		addSeg(next, u.last)
	}
	return segs
}

// emit appends the chunks of one unit: one, or several parts when the unit
// is over the size cap.
func (f *file) emit(out []codebase.Chunk, u *unit, segs []lineRange) []codebase.Chunk {
	if len(segs) == 0 {
		return out
	}
	lines := 0
	size := 0
	for _, s := range segs {
		lines += s.last - s.first + 1
		size += f.lines.end(s.last) - f.lines.starts[s.first] + 1
	}
	if lines <= f.opts.MaxLines && size-1 <= f.opts.MaxBytes {
		return append(out, f.chunk(u, segs, true))
	}
	for i, part := range f.split(segs) {
		if len(part) == 1 && part[0].first == part[0].last && f.lines.end(part[0].first)-f.lines.starts[part[0].first] > f.opts.MaxBytes {
			out = f.pieces(out, u, part[0].first, i == 0)
			continue
		}
		out = append(out, f.chunk(u, part, i == 0))
	}
	return out
}

// split cuts segments into parts of at most MaxLines lines and MaxBytes
// bytes, preferring to cut after a statement, then before a blank line.
func (f *file) split(segs []lineRange) [][]lineRange {
	var ls []int
	for _, s := range segs {
		for l := s.first; l <= s.last; l++ {
			ls = append(ls, l)
		}
	}
	var parts [][]lineRange
	for i := 0; i < len(ls); {
		if f.lines.blank[ls[i]] {
			i++
			continue
		}
		j, size := i, 0
		for j < len(ls) && j-i < f.opts.MaxLines {
			n := f.lines.end(ls[j]) - f.lines.starts[ls[j]] + 1
			if size+n-1 > f.opts.MaxBytes && j > i {
				break
			}
			size += n
			j++
		}
		k := j
		if j < len(ls) && j-i > 1 {
			k = f.cut(ls, i, j)
		}
		end := k - 1
		for end > i && f.lines.blank[ls[end]] {
			end--
		}
		parts = append(parts, toRanges(ls[i:end+1]))
		i = k
	}
	return parts
}

// cut picks where to end the part ls[i:j]: after the last statement end in
// its second half, else before its last blank line there, else at j.
func (f *file) cut(ls []int, i, j int) int {
	lo := i + (j-i)/2
	if f.bound != nil {
		for k := j; k > lo; k-- {
			if f.bound[ls[k-1]] {
				return k
			}
		}
	}
	for k := j; k > lo; k-- {
		if k < len(ls) && f.lines.blank[ls[k]] {
			return k
		}
	}
	return j
}

func toRanges(ls []int) []lineRange {
	var rs []lineRange
	for _, l := range ls {
		if n := len(rs); n > 0 && rs[n-1].last+1 == l {
			rs[n-1].last = l
			continue
		}
		rs = append(rs, lineRange{l, l})
	}
	return rs
}

// pieces cuts one line longer than MaxBytes into parts at rune boundaries.
func (f *file) pieces(out []codebase.Chunk, u *unit, line int, first bool) []codebase.Chunk {
	text := string(f.lines.text(line))
	for len(text) > 0 {
		n := min(len(text), f.opts.MaxBytes)
		for n < len(text) && n > 0 && !runeStart(text[n]) {
			n--
		}
		if n == 0 {
			n = min(len(text), f.opts.MaxBytes)
		}
		if !isBlank([]byte(text[:n])) {
			out = append(out, f.newChunk(u, line, line, text[:n], first))
			first = false
		}
		text = text[n:]
	}
	return out
}

func runeStart(b byte) bool { return b&0xC0 != 0x80 }

// chunk builds the chunk of the given lines of u.
func (f *file) chunk(u *unit, segs []lineRange, first bool) codebase.Chunk {
	var b strings.Builder
	for i, s := range segs {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.Write(f.src[f.lines.starts[s.first]:f.lines.end(s.last)])
	}
	c := f.newChunk(u, segs[0].first, segs[len(segs)-1].last, b.String(), first)
	c.Comments = f.commentsIn(segs, u.docSpans)
	return c
}

func (f *file) newChunk(u *unit, first, last int, content string, withDoc bool) codebase.Chunk {
	c := codebase.Chunk{
		Language:    f.language,
		Symbol:      u.symbol,
		Kind:        u.kind,
		StartLine:   first + 1,
		EndLine:     last + 1,
		Content:     content,
		Signature:   u.sig,
		ContentHash: codebase.ContentHash([]byte(content)),
	}
	if withDoc {
		c.Doc = u.doc
	}
	return c
}

// commentsIn returns the text of the comments inside segs, markers removed,
// one per line, leaving out the chunk's doc comments.
func (f *file) commentsIn(segs []lineRange, doc []span) string {
	if len(f.comments) == 0 {
		return ""
	}
	var lines []string
	for _, s := range segs {
		lo, hi := f.lines.starts[s.first], f.lines.end(s.last)
		i := sort.Search(len(f.comments), func(i int) bool { return f.comments[i].start >= lo })
		for ; i < len(f.comments) && f.comments[i].start < hi; i++ {
			c := f.comments[i]
			if c.end > hi+1 || isDoc(c, doc) {
				continue
			}
			lines = append(lines, stripComment(string(f.src[c.start:c.end]))...)
		}
	}
	return strings.Join(lines, "\n")
}

func isDoc(c span, doc []span) bool {
	for _, d := range doc {
		if d.start == c.start {
			return true
		}
	}
	return false
}
