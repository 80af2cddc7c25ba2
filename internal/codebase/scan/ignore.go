package scan

import (
	"bytes"
	"os"
	"path"
	"strings"
)

// Ignore sources, in the order of increasing precedence that git uses:
// .git/info/exclude, then .gitignore files from the top down, a deeper file
// overriding a shallower one. A .mcpignore is read right after the
// .gitignore of the same directory, so it can re-include what that
// .gitignore excludes (but, as in git, never a file whose parent directory
// is excluded).
const (
	sourceInfoExclude = ".git/info/exclude"
	sourceGitignore   = ".gitignore"
	sourceMcpignore   = ".mcpignore"
	sourceBuiltin     = "built-in"
)

// pattern is one parsed line of an ignore file, following gitignore(5) and
// git's dir.c (parse_path_pattern, match_basename, match_pathname).
type pattern struct {
	glob     string // without the leading '!' and the trailing '/'
	negate   bool
	dirOnly  bool
	noSlash  bool // no '/' in glob: matched against the base name at any depth
	anchored bool // leading '/' removed from glob
	// base is the directory holding the ignore file, relative to the match
	// root ("" for the root itself).
	base   string
	source string
}

// parseIgnoreFile parses the content of an ignore file located in base.
func parseIgnoreFile(data []byte, base, source string) []pattern {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")) // git skips a UTF-8 BOM
	var out []pattern
	for len(data) > 0 {
		var line []byte
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			line, data = data[:i], data[i+1:]
		} else {
			line, data = data, nil
		}
		line = bytes.TrimSuffix(line, []byte("\r"))
		if len(line) == 0 || line[0] == '#' {
			continue
		}
		if p, ok := parsePattern(trimTrailingSpaces(string(line)), base, source); ok {
			out = append(out, p)
		}
	}
	return out
}

// trimTrailingSpaces removes unescaped trailing spaces, as git does: "a\ "
// keeps its escaped space (the backslash stays and quotes it when matching).
func trimTrailingSpaces(s string) string {
	lastSpace := -1
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case ' ':
			if lastSpace < 0 {
				lastSpace = i
			}
		case '\\':
			i++
			if i >= len(s) {
				return s
			}
			lastSpace = -1
		default:
			lastSpace = -1
		}
	}
	if lastSpace >= 0 {
		return s[:lastSpace]
	}
	return s
}

func parsePattern(s, base, source string) (pattern, bool) {
	p := pattern{base: base, source: source}
	if strings.HasPrefix(s, "!") {
		p.negate = true
		s = s[1:]
	}
	if strings.HasSuffix(s, "/") {
		p.dirOnly = true
		s = s[:len(s)-1]
	}
	if s == "" {
		return p, false
	}
	p.noSlash = !strings.Contains(s, "/")
	if strings.HasPrefix(s, "/") {
		p.anchored = true
		s = s[1:]
	}
	p.glob = s
	return p, true
}

// match reports whether p matches rel, a path relative to the match root,
// whose last element is a directory when isDir is set.
func (p *pattern) match(rel, name string, isDir bool) bool {
	if p.dirOnly && !isDir {
		return false
	}
	if p.noSlash {
		// The ignore file only governs paths below its own directory.
		if p.base != "" && !strings.HasPrefix(rel, p.base+"/") {
			return false
		}
		return wildmatch(p.glob, name, false)
	}
	sub := rel
	if p.base != "" {
		if !strings.HasPrefix(rel, p.base+"/") {
			return false
		}
		sub = rel[len(p.base)+1:]
	}
	return wildmatch(p.glob, sub, true)
}

// ignoreStack holds the patterns in force for one directory: those of its
// ancestors' ignore files and its own, lowest precedence first.
type ignoreStack struct {
	patterns []pattern
}

// push returns a stack with more patterns on top; the receiver is not
// modified, so sibling directories can share their parent's stack.
func (s *ignoreStack) push(more []pattern) *ignoreStack {
	if len(more) == 0 {
		return s
	}
	n := &ignoreStack{patterns: make([]pattern, 0, len(s.patterns)+len(more))}
	n.patterns = append(n.patterns, s.patterns...)
	n.patterns = append(n.patterns, more...)
	return n
}

// decide returns whether rel is ignored and by which source, when any
// pattern matches it; matched is false when no pattern says anything.
// As in git, the last matching pattern wins.
func (s *ignoreStack) decide(rel string, isDir bool) (ignored bool, source string, matched bool) {
	name := path.Base(rel)
	for i := len(s.patterns) - 1; i >= 0; i-- {
		p := &s.patterns[i]
		if p.match(rel, name, isDir) {
			return !p.negate, p.source, true
		}
	}
	return false, "", false
}

// readIgnoreFile reads and parses one ignore file; a missing or unreadable
// file contributes no patterns, as in git.
func readIgnoreFile(file, base, source string) []pattern {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil
	}
	return parseIgnoreFile(data, base, source)
}
