package scan

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/mcp-memory/servers/internal/codebase"
)

// Describe summarises the scan in one line for dry runs and for the
// message of a job that found nothing to index, e.g.
// "0 of 12,000 files indexable: 11,950 ignored by .gitignore, 50 binary".
func (r *Result) Describe() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s of %s files indexable", commas(len(r.Files)), commas(r.Total))
	reasons := sortedReasons(r.Skipped)
	for i, reason := range reasons {
		if i == 0 {
			b.WriteString(": ")
		} else {
			b.WriteString(", ")
		}
		n := r.Skipped[reason]
		b.WriteString(commas(n))
		b.WriteByte(' ')
		b.WriteString(r.reasonPhrase(reason))
	}
	return b.String()
}

// reasonPhrase says what a skip reason means in a summary.
func (r *Result) reasonPhrase(reason string) string {
	switch reason {
	case codebase.SkipIgnored:
		return "ignored" + r.ignoredSources()
	case codebase.SkipBinary:
		return "binary"
	case codebase.SkipTooLarge:
		return "too large"
	case codebase.SkipUnsupported:
		return "unsupported (media, archives, compiled files)"
	case codebase.SkipUnreadable:
		return "unreadable"
	case codebase.SkipSymlink:
		return "symlinks leading outside the root"
	case SkipSymlinkInside:
		return "symlinks (not followed)"
	}
	return reason
}

// ignoredSources is " by .gitignore" for one source, or the split, e.g.
// " (11,900 by .gitignore, 50 built-in)".
func (r *Result) ignoredSources() string {
	sources := sortedReasons(r.IgnoredBy)
	by := func(s string) string {
		if s == sourceBuiltin {
			return "by built-in rules"
		}
		return "by " + s
	}
	switch len(sources) {
	case 0:
		return ""
	case 1:
		return " " + by(sources[0])
	}
	parts := make([]string, len(sources))
	for i, s := range sources {
		parts[i] = commas(r.IgnoredBy[s]) + " " + by(s)
	}
	return " (" + strings.Join(parts, ", ") + ")"
}

// commas formats n with thousands separators.
func commas(n int) string {
	s := strconv.Itoa(n)
	if n < 0 {
		return "-" + commas(-n)
	}
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// Bytes per chunk assumed by [Result.EstimatedChunks].
const (
	// parsedBytesPerChunk is the size of an average function or type with
	// its doc comment in languages the chunker parses: the generated
	// 10,000-file fixture has 66,000 functions, methods and classes in 41 MB.
	parsedBytesPerChunk = 650
	// windowBytesPerChunk is one line window (about 60 lines of 40 bytes).
	windowBytesPerChunk = 2400
)

// parsed reports the languages the tree-sitter chunker cuts by symbol.
func parsed(lang string) bool {
	switch lang {
	case "go", "python", "javascript", "typescript", "tsx", "java", "rust", "c":
		return true
	}
	return false
}

// EstimatedChunks estimates how many chunks indexing would produce, from
// file sizes alone (the scan reads no more than 8 KiB of each file): for a
// language the chunker parses, one header chunk plus one chunk per 650
// bytes; for other files, one line window per 2,400 bytes, at least one.
// Expect it to be within a factor of two.
func (r *Result) EstimatedChunks() int {
	total := 0
	for _, f := range r.Files {
		if parsed(f.Language) {
			total += 1 + int(f.Size/parsedBytesPerChunk)
		} else {
			total += max(1, int((f.Size+windowBytesPerChunk-1)/windowBytesPerChunk))
		}
	}
	return total
}

// ReasonsByCount returns the skip reasons with a non-zero count, largest
// first; ties in name order. It is the order [Result.Describe] uses.
func (r *Result) ReasonsByCount() []string {
	return sortedReasons(r.Skipped)
}
