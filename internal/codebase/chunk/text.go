package chunk

import (
	"bytes"
	"strings"
	"unicode/utf8"
)

// sanitize replaces invalid UTF-8 and NUL bytes by U+FFFD, so chunk text
// can be stored as PostgreSQL text. Valid input is returned as is.
func sanitize(src []byte) []byte {
	if utf8.Valid(src) && bytes.IndexByte(src, 0) < 0 {
		return src
	}
	out := make([]byte, 0, len(src)+16)
	for len(src) > 0 {
		r, n := utf8.DecodeRune(src)
		if r == utf8.RuneError && n <= 1 || r == 0 {
			out = utf8.AppendRune(out, utf8.RuneError)
		} else {
			out = append(out, src[:n]...)
		}
		src = src[n:]
	}
	return out
}

// stripComment returns the lines of a comment without its markers: //,
// ///, //!, #, /* */, /** */ and the leading * of block comment lines.
// Blank lines at either end and tool directives (//go:generate,
// //nolint:x) are dropped.
func stripComment(text string) []string {
	text = strings.TrimSpace(text)
	var lines []string
	switch {
	case strings.HasPrefix(text, "/*"):
		text = strings.TrimSuffix(strings.TrimPrefix(text, "/*"), "*/")
		text = strings.TrimLeft(text, "*!")
		for _, l := range strings.Split(text, "\n") {
			l = strings.TrimSpace(l)
			if strings.HasPrefix(l, "*") && !strings.HasPrefix(l, "*/") {
				l = strings.TrimPrefix(l, "*")
				l = strings.TrimPrefix(l, " ")
			}
			lines = append(lines, strings.TrimRight(l, " \t\r*"))
		}
	case strings.HasPrefix(text, "//"):
		for _, l := range strings.Split(text, "\n") {
			l = strings.TrimSpace(l)
			l = strings.TrimPrefix(l, "//")
			if isDirective(l) {
				continue
			}
			l = strings.TrimLeft(l, "/!")
			l = strings.TrimPrefix(l, " ")
			lines = append(lines, strings.TrimRight(l, " \t\r"))
		}
	case strings.HasPrefix(text, "#"):
		for _, l := range strings.Split(text, "\n") {
			l = strings.TrimSpace(l)
			if strings.HasPrefix(l, "#!") {
				continue // shebang
			}
			l = strings.TrimPrefix(l, "#")
			l = strings.TrimPrefix(l, " ")
			lines = append(lines, strings.TrimRight(l, " \t\r"))
		}
	default:
		lines = strings.Split(text, "\n")
	}
	for len(lines) > 0 && strings.TrimSpace(lines[0]) == "" {
		lines = lines[1:]
	}
	for len(lines) > 0 && strings.TrimSpace(lines[len(lines)-1]) == "" {
		lines = lines[:len(lines)-1]
	}
	return lines
}

// isDirective reports a tool directive such as "go:generate x" or
// "nolint:errcheck" (no space after the comment marker, a colon).
func isDirective(s string) bool {
	i := strings.IndexByte(s, ':')
	if i <= 0 || i+1 >= len(s) || s[i+1] == ' ' {
		return false
	}
	for _, c := range s[:i] {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// stripDocstring removes a Python string's prefix and quotes and dedents
// it the way inspect.cleandoc does.
func stripDocstring(s string) string {
	s = strings.TrimLeft(s, "rRuUbBfF")
	for _, q := range []string{`"""`, `'''`, `"`, `'`} {
		if strings.HasPrefix(s, q) {
			s = strings.TrimSuffix(strings.TrimPrefix(s, q), q)
			break
		}
	}
	lines := strings.Split(s, "\n")
	indent := -1
	for _, l := range lines[1:] {
		t := strings.TrimLeft(l, " \t")
		if t == "" {
			continue
		}
		if n := len(l) - len(t); indent < 0 || n < indent {
			indent = n
		}
	}
	lines[0] = strings.TrimSpace(lines[0])
	for i := 1; i < len(lines); i++ {
		if indent > 0 && len(lines[i]) >= indent {
			lines[i] = lines[i][indent:]
		}
		lines[i] = strings.TrimRight(lines[i], " \t\r")
	}
	return strings.TrimSpace(strings.Join(lines, "\n"))
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return strings.TrimRight(s[:i], "\r")
	}
	return s
}

// truncate cuts s to at most n bytes at a rune boundary.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !runeStart(s[n]) {
		n--
	}
	return s[:n]
}
