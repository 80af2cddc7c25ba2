package scan

import (
	"bytes"
	"errors"
	"io"
	"os"
	"unicode/utf8"

	"github.com/mcp-memory/servers/internal/codebase"
)

// sniffLen is how much of a file's start decides whether it is text.
const sniffLen = 8 << 10

// sniff fills c's size, mtime and skip reason. It opens the file through
// the root, so a path swapped for a symlink after the walk cannot lead the
// scanner outside the repository.
func sniff(r *os.Root, c *candidate, maxSize int64, buf []byte) {
	f, err := r.Open(c.rel)
	if err != nil {
		c.reason = codebase.SkipUnreadable
		return
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil || !fi.Mode().IsRegular() {
		c.reason = codebase.SkipUnreadable
		return
	}
	c.size, c.mtime = fi.Size(), fi.ModTime()
	if c.size > maxSize {
		c.reason = codebase.SkipTooLarge
		return
	}
	n, err := io.ReadFull(f, buf)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
		c.reason = codebase.SkipUnreadable
		return
	}
	head := buf[:n]
	// Only a head cut short of the file's end may end inside a character.
	if isBinary(head, c.size > int64(n)) {
		c.reason = codebase.SkipBinary
		return
	}
	if c.lang == "text" {
		if l := languageFromShebang(head); l != "" {
			c.lang = l
		}
	}
}

// isBinary reports whether the start of a file marks it as binary: a NUL
// byte, or bytes that are not UTF-8. When the head was cut at the buffer's
// end (truncated), a multi-byte character split by the cut is not an error.
func isBinary(head []byte, truncated bool) bool {
	if bytes.IndexByte(head, 0) >= 0 {
		return true
	}
	if truncated {
		head = trimPartialRune(head)
	}
	return !utf8.Valid(head)
}

// trimPartialRune drops an incomplete but so far valid UTF-8 sequence at
// the end of b.
func trimPartialRune(b []byte) []byte {
	for i := 1; i <= utf8.UTFMax-1 && i <= len(b); i++ {
		if utf8.RuneStart(b[len(b)-i]) {
			if !utf8.FullRune(b[len(b)-i:]) {
				return b[:len(b)-i]
			}
			return b
		}
	}
	return b
}
