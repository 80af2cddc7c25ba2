package api

import (
	"context"
	"fmt"
	"strings"

	"github.com/mcp-memory/servers/internal/codebase/search"
)

// SearchIn is the input of search_code.
type SearchIn struct {
	Query         string  `json:"query" jsonschema:"Words and/or identifiers, e.g. 'refresh auth token' or parseConfig."`
	Limit         *int    `json:"limit,omitempty" jsonschema:"1-50, default 10."`
	ProjectID     string  `json:"project_id,omitempty" jsonschema:"Default: default."`
	RepositoryID  string  `json:"repository_id,omitempty"`
	FileType      string  `json:"file_type,omitempty" jsonschema:"Extension, e.g. go or .py."`
	Directory     string  `json:"directory,omitempty" jsonschema:"Path prefix; * and ** globs."`
	Language      string  `json:"language,omitempty"`
	MinSimilarity float64 `json:"min_similarity,omitempty" jsonschema:"0-1."`
	MaxTokens     int     `json:"max_tokens,omitempty" jsonschema:"Answer budget in tokens (>= 50); longer content is trimmed."`
}

// HitOut is one search result.
type HitOut struct {
	ChunkID          string  `json:"chunk_id"`
	RepositoryID     string  `json:"repository_id"`
	FilePath         string  `json:"file_path"`
	Language         string  `json:"language"`
	Symbol           string  `json:"symbol"`
	ChunkType        string  `json:"chunk_type"`
	StartLine        int     `json:"start_line"`
	EndLine          int     `json:"end_line"`
	Content          string  `json:"content"`
	ContextBefore    string  `json:"context_before"`
	ContextAfter     string  `json:"context_after"`
	SimilarityScore  float64 `json:"similarity_score"`
	IndexedAt        string  `json:"indexed_at"`
	Commit           string  `json:"commit"`
	Stale            bool    `json:"stale"`
	ContentTruncated bool    `json:"content_truncated,omitempty"`
	ContextTrimmed   bool    `json:"context_trimmed,omitempty"`
}

// SearchOut answers search_code.
type SearchOut struct {
	Results    []HitOut `json:"results"`
	TotalCount int      `json:"total_count"`
	// Matched is how many chunks matched before the limit.
	Matched   int     `json:"matched"`
	LatencyMS float64 `json:"latency_ms"`
	ProjectID string  `json:"project_id"`
	// IndexStatus is ready, empty or indexing.
	IndexStatus     string `json:"index_status"`
	Notice          string `json:"notice,omitempty"`
	Truncated       bool   `json:"truncated,omitempty"`
	Omitted         int    `json:"omitted,omitempty"`
	EstimatedTokens int    `json:"estimated_tokens"`
}

// ToSearchOut converts a search result (also used by the CLI's --json).
func ToSearchOut(r search.Result) SearchOut {
	out := SearchOut{Results: make([]HitOut, len(r.Results)), TotalCount: r.TotalCount, Matched: r.Matched,
		LatencyMS: r.LatencyMS, ProjectID: r.ProjectID, IndexStatus: r.IndexStatus, Notice: r.Notice,
		Truncated: r.Truncated, Omitted: r.Omitted, EstimatedTokens: r.EstimatedTokens}
	for i, h := range r.Results {
		out.Results[i] = HitOut{ChunkID: h.ChunkID, RepositoryID: h.RepositoryID, FilePath: h.FilePath,
			Language: h.Language, Symbol: h.Symbol, ChunkType: h.ChunkType, StartLine: h.StartLine, EndLine: h.EndLine,
			Content: h.Content, ContextBefore: h.ContextBefore, ContextAfter: h.ContextAfter,
			SimilarityScore: h.SimilarityScore, IndexedAt: timestamp(h.IndexedAt), Commit: h.Commit, Stale: h.Stale,
			ContentTruncated: h.ContentTruncated, ContextTrimmed: h.ContextTrimmed}
	}
	return out
}

// Validate rejects an explicit limit of 0, which the service cannot tell
// from an absent one (the default).
func (in SearchIn) Validate() error { return checkLimit(in.Limit, search.MaxLimit) }

// ToQuery converts the input to the service's query (also used by the CLI).
func (in SearchIn) ToQuery() search.Query {
	return search.Query{Text: in.Query, Limit: deref(in.Limit), ProjectID: in.ProjectID, RepositoryID: in.RepositoryID,
		FileType: in.FileType, Directory: in.Directory, Language: in.Language,
		MinSimilarity: in.MinSimilarity, MaxTokens: in.MaxTokens}
}

func searchCode(s *Services) func(context.Context, SearchIn) (SearchOut, error) {
	return func(ctx context.Context, in SearchIn) (SearchOut, error) {
		r, err := s.Search.Search(ctx, in.ToQuery())
		if err != nil {
			return SearchOut{}, err
		}
		return ToSearchOut(r), nil
	}
}

// snippetLines is how many lines of each hit the text form shows.
const snippetLines = 6

// SearchText renders ranked hits compactly: location, symbol, score, a
// short snippet, then what was left out and how to get more.
func SearchText(o SearchOut) string {
	var b strings.Builder
	switch {
	case len(o.Results) == 0 && o.Notice != "":
		fmt.Fprintf(&b, "No results in project %s (index %s).", o.ProjectID, o.IndexStatus)
	case len(o.Results) == 0:
		fmt.Fprintf(&b, "No results in project %s: nothing matched; try other words or fewer filters.", o.ProjectID)
	default:
		fmt.Fprintf(&b, "%d results in project %s (index %s):", len(o.Results), o.ProjectID, o.IndexStatus)
	}
	for i, h := range o.Results {
		fmt.Fprintf(&b, "\n%d. %s:%d-%d", i+1, h.FilePath, h.StartLine, h.EndLine)
		if h.Symbol != "" {
			fmt.Fprintf(&b, " %s", h.Symbol)
		}
		fmt.Fprintf(&b, " (%s) score %.2f chunk %s", h.ChunkType, h.SimilarityScore, h.ChunkID)
		if h.Stale {
			b.WriteString(" [STALE: file changed since indexed]")
		}
		if h.ContentTruncated {
			b.WriteString(" [content trimmed]")
		}
		lines := strings.Split(strings.TrimRight(h.Content, "\n"), "\n")
		shown := lines
		if len(shown) > snippetLines {
			shown = shown[:snippetLines]
		}
		for _, l := range shown {
			b.WriteString("\n    " + l)
		}
		if n := len(lines) - len(shown); n > 0 {
			fmt.Fprintf(&b, "\n    ... %d more lines (get_chunks for the whole chunk)", n)
		}
	}
	if o.Notice != "" {
		b.WriteString("\nNote: " + o.Notice)
	}
	if o.Omitted > 0 {
		fmt.Fprintf(&b, "\n%d results omitted by max_tokens: raise it for more.", o.Omitted)
	}
	if more := o.Matched - o.TotalCount - o.Omitted; more > 0 && len(o.Results) > 0 {
		fmt.Fprintf(&b, "\n%d more matched: raise limit (up to 50) or narrow with directory/file_type.", more)
	}
	return b.String()
}
