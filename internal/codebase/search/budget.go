package search

import "strings"

// Token estimate: 4 characters per token, plus a fixed cost per result for
// its field names and metadata, and per answer for the envelope.
const (
	charsPerToken   = 4
	hitOverhead     = 60
	answerOverhead  = 40
	minContentLines = 3
)

func tokens(chars int) int { return (chars + charsPerToken - 1) / charsPerToken }

// hitTokens estimates one result's size.
func hitTokens(h *Hit) int {
	return hitOverhead + tokens(len(h.Content)+len(h.ContextBefore)+len(h.ContextAfter)+
		len(h.FilePath)+len(h.Symbol)+len(h.ChunkID)+len(h.RepositoryID)+len(h.Commit))
}

// fitBudget keeps hits in rank order within maxTokens: a hit that does not
// fit loses its context first, then the tail of its content (whole lines,
// at least minContentLines); when not even that fits, it and every later
// hit are omitted. It returns the hits kept, how many were omitted, whether
// anything was trimmed and the estimated total.
func fitBudget(hits []Hit, maxTokens int) ([]Hit, int, bool, int) {
	used := answerOverhead
	if maxTokens <= 0 {
		for i := range hits {
			used += hitTokens(&hits[i])
		}
		return hits, 0, false, used
	}
	trimmed := false
	for i := range hits {
		h := &hits[i]
		left := maxTokens - used
		if c := hitTokens(h); c <= left {
			used += c
			continue
		}
		trimmed = true
		if h.ContextBefore != "" || h.ContextAfter != "" {
			h.ContextBefore, h.ContextAfter, h.ContextTrimmed = "", "", true
			if c := hitTokens(h); c <= left {
				used += c
				continue
			}
		}
		// Keep whole leading lines while they fit.
		room := (left - hitTokens(&Hit{FilePath: h.FilePath, Symbol: h.Symbol, ChunkID: h.ChunkID,
			RepositoryID: h.RepositoryID, Commit: h.Commit})) * charsPerToken
		lines := strings.SplitAfter(h.Content, "\n")
		n, size := 0, 0
		for n < len(lines) && size+len(lines[n]) <= room {
			size += len(lines[n])
			n++
		}
		if n < minContentLines && n < len(lines) {
			return hits[:i], len(hits) - i, true, used
		}
		h.Content = strings.Join(lines[:n], "")
		h.ContentTruncated = true
		used += hitTokens(h)
	}
	return hits, 0, trimmed, used
}
