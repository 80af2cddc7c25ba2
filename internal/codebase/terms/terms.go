// Package terms turns code and queries into search terms. Indexing, the
// lexical search channel and the builtin embedder all use it, so a word is
// split and stemmed the same way wherever it appears.
//
// A word is a run of [A-Za-z0-9_]. It is split into parts on underscores,
// camelCase boundaries ("parseConfig" → parse, config), acronym boundaries
// ("HTTPServer" → http, server) and letter/digit boundaries ("utf8" → utf, 8).
// Parts are lowercased and lightly stemmed (see [Split]); a word with several
// parts also yields itself, lowercased and unstemmed, so an exact identifier
// still matches as a whole. Everything else (punctuation, non-ASCII) only
// separates words. The design and its measured effect are in the search
// study (§6).
package terms

// MaxTermLen is the longest term kept, in bytes. PostgreSQL refuses
// tsvector lexemes of 2 KiB or more; longer terms (base64 blobs, generated
// tables) are dropped everywhere, so indexing and queries agree.
const MaxTermLen = 2047

// Split returns the search terms of text: words [A-Za-z0-9_]+ split on
// camel, snake, acronym and digit boundaries, lowercased and light-stemmed
// (1-character parts are kept), each word followed by the whole identifier
// (lowercased, unstemmed, without leading or trailing underscores) when it
// has several parts. Order is preserved and duplicates are kept.
//
// Stemming applies to alphabetic parts longer than 3 characters, in order:
// "sses"→"ss", "ies"→"y", a final "s" dropped unless after s, u or i; then
// "ing" or "ed" dropped when at least 3 characters with a vowel remain, and
// a doubled final consonant other than l, s, z undoubled when more than 3
// characters remain ("running"→"run", "adding"→"add"); then "ly" dropped
// from parts longer than 5; then a final "e" dropped from parts longer than
// 3. So "parse", "parses", "parsed" and "parsing" all give "pars". An
// acronym followed by a plural "s" ("URLs", "IDs") is one part without the
// "s" (url, id).
func Split(text string) []string {
	// All terms go into one byte arena that becomes a single string; the
	// returned terms are slices of it (three allocations in all).
	// Sized for typical code: terms take about as many bytes as the text
	// (whole identifiers repeat their parts, punctuation drops out), one
	// term per 5 bytes or so.
	arena := make([]byte, 0, len(text)+len(text)/4)
	ends := make([]int, 0, len(text)/5+1)
	Each(text, func(term []byte, _ bool) {
		arena = append(arena, term...)
		ends = append(ends, len(arena))
	})
	if len(ends) == 0 {
		return nil
	}
	s := string(arena)
	out := make([]string, len(ends))
	start := 0
	for i, e := range ends {
		out[i] = s[start:e]
		start = e
	}
	return out
}

// Query returns the distinct terms of a search query, in first-seen order.
func Query(q string) []string {
	all := Split(q)
	seen := make(map[string]struct{}, len(all))
	out := all[:0]
	for _, t := range all {
		if _, ok := seen[t]; ok {
			continue
		}
		seen[t] = struct{}{}
		out = append(out, t)
	}
	return out
}

// Each calls fn for every term of text, in the order [Split] returns them,
// without allocating a string per term. whole is true for the
// whole-identifier term of a word with several parts. term is only valid
// during the call: copy it to keep it.
func Each(text string, fn func(term []byte, whole bool)) {
	var t tokenizer
	t.each(text, fn)
}

// tokenizer holds the scratch buffers of one pass over a text.
type tokenizer struct {
	low  []byte // the current word, lowercased
	part []byte // the current part, stemmed in place
}

func (t *tokenizer) each(text string, fn func([]byte, bool)) {
	for i := 0; i < len(text); {
		if !isWord(text[i]) {
			i++
			continue
		}
		j := i + 1
		for j < len(text) && isWord(text[j]) {
			j++
		}
		t.word(text[i:j], fn)
		i = j
	}
}

// word emits the parts of one word, then the word itself when it has
// several parts.
func (t *tokenizer) word(w string, fn func([]byte, bool)) {
	t.low = t.low[:0]
	for i := 0; i < len(w); i++ {
		t.low = append(t.low, lower(w[i]))
	}
	parts := 0
	for i := 0; i < len(w); {
		if w[i] == '_' {
			i++
			continue
		}
		j := partEnd(w, i)
		parts++
		t.emitPart(w, i, j, fn)
		i = j
	}
	if parts < 2 {
		return
	}
	s, e := 0, len(w)
	for w[s] == '_' {
		s++
	}
	for w[e-1] == '_' {
		e--
	}
	if e-s <= MaxTermLen {
		fn(t.low[s:e], true)
	}
}

// partEnd returns the end of the part of w that starts at i.
func partEnd(w string, i int) int {
	c := w[i]
	j := i + 1
	switch {
	case isDigit(c):
		for j < len(w) && isDigit(w[j]) {
			j++
		}
	case isLower(c):
		for j < len(w) && isLower(w[j]) {
			j++
		}
	default: // upper
		for j < len(w) && isUpper(w[j]) {
			j++
		}
		switch {
		case j-i == 1:
			// "Config": one capital, then the lower-case rest.
			for j < len(w) && isLower(w[j]) {
				j++
			}
		case j < len(w) && w[j] == 's' && (j+1 == len(w) || !isLower(w[j+1])):
			// "URLs", "IDsFor": a plural acronym stays one part; the
			// caller drops the "s".
			j++
		case j < len(w) && isLower(w[j]):
			// "HTTPServer": the last capital starts the next part.
			j--
		}
	}
	return j
}

// emitPart lowercases and stems w[i:j] and passes it to fn.
func (t *tokenizer) emitPart(w string, i, j int, fn func([]byte, bool)) {
	if j-i > MaxTermLen {
		return
	}
	t.part = append(t.part[:0], t.low[i:j]...)
	p := t.part
	if j-i >= 3 && isUpper(w[i]) && isUpper(w[i+1]) && w[j-1] == 's' {
		p = p[:len(p)-1] // plural acronym: "URLs" → url
	} else if isLetter(w[i]) {
		p = stem(p)
	}
	fn(p, false)
}

// stem applies the light stemming of [Split] to a lower-case alphabetic
// part, in place, and returns the stemmed slice.
func stem(p []byte) []byte {
	if len(p) <= 3 {
		return p
	}
	switch {
	case hasSuffix(p, "sses"):
		p = p[:len(p)-2]
	case hasSuffix(p, "ies"):
		p = append(p[:len(p)-3], 'y')
	case p[len(p)-1] == 's' && !hasSuffix(p, "ss") && !hasSuffix(p, "us") && !hasSuffix(p, "is"):
		p = p[:len(p)-1]
	}
	for _, suf := range [...]string{"ing", "ed"} {
		if !hasSuffix(p, suf) {
			continue
		}
		if s := p[:len(p)-len(suf)]; len(s) >= 3 && hasVowel(s) {
			p = s
			if n := len(p); n > 3 && p[n-1] == p[n-2] && !isVowel(p[n-1]) && p[n-1] != 'l' && p[n-1] != 's' && p[n-1] != 'z' {
				p = p[:n-1]
			}
		}
		break
	}
	if len(p) > 5 && hasSuffix(p, "ly") {
		p = p[:len(p)-2]
	}
	if len(p) > 3 && p[len(p)-1] == 'e' {
		p = p[:len(p)-1]
	}
	return p
}

func hasSuffix(p []byte, s string) bool {
	return len(p) >= len(s) && string(p[len(p)-len(s):]) == s
}

func hasVowel(p []byte) bool {
	for _, c := range p {
		if isVowel(c) {
			return true
		}
	}
	return false
}

func isVowel(c byte) bool {
	switch c {
	case 'a', 'e', 'i', 'o', 'u', 'y':
		return true
	}
	return false
}

func isWord(c byte) bool   { return isLetter(c) || isDigit(c) || c == '_' }
func isLetter(c byte) bool { return isLower(c) || isUpper(c) }
func isLower(c byte) bool  { return 'a' <= c && c <= 'z' }
func isUpper(c byte) bool  { return 'A' <= c && c <= 'Z' }
func isDigit(c byte) bool  { return '0' <= c && c <= '9' }

func lower(c byte) byte {
	if isUpper(c) {
		return c + 'a' - 'A'
	}
	return c
}
