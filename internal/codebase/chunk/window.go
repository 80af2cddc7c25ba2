package chunk

import "github.com/mcp-memory/servers/internal/codebase"

// windows cuts the file into overlapping windows of WindowLines lines,
// consecutive windows sharing WindowOverlap lines. A window also ends
// before it passes MaxBytes; a single line longer than that is cut into
// pieces. Blank lines at the edges of a window are left out and windows of
// only blank lines are skipped.
func (f *file) windows() []codebase.Chunk {
	var out []codebase.Chunk
	n := f.lines.count()
	u := unit{kind: codebase.KindWindow}
	for start := 0; start < n; {
		for start < n && f.lines.blank[start] {
			start++
		}
		if start >= n {
			break
		}
		end, size := start, 0
		for end < n && end-start < f.opts.WindowLines {
			l := f.lines.end(end) - f.lines.starts[end] + 1
			if size+l-1 > f.opts.MaxBytes && end > start {
				break
			}
			size += l
			end++
		}
		last := end - 1 // inclusive
		for last > start && f.lines.blank[last] {
			last--
		}
		if last == start && f.lines.end(start)-f.lines.starts[start] > f.opts.MaxBytes {
			out = f.pieces(out, &u, start, false)
		} else {
			out = append(out, f.chunk(&u, []lineRange{{start, last}}, false))
		}
		if end >= n {
			break
		}
		start = max(start+1, end-f.opts.WindowOverlap)
	}
	return out
}
