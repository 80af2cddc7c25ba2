package search

import (
	"time"
)

// Hit is one search result or looked-up chunk.
type Hit struct {
	ChunkID      string
	ProjectID    string
	RepositoryID string
	// FilePath is relative to the repository root.
	FilePath  string
	Language  string
	Symbol    string
	ChunkType string
	StartLine int
	EndLine   int
	Content   string
	// ContextBefore and ContextAfter are up to 10 lines around the chunk,
	// from the file as it was indexed.
	ContextBefore string
	ContextAfter  string
	// SimilarityScore is in [0,1], higher is better (0 for lookups); see
	// docs/search.md for what it combines.
	SimilarityScore float64
	// IndexedAt and Commit describe the file's last index.
	IndexedAt time.Time
	Commit    string
	// Stale is true when the file on disk no longer matches what was
	// indexed (changed, removed or unreadable).
	Stale bool
	// ContentTruncated is true when the token budget cut Content (its
	// first lines are kept); ContextTrimmed when it dropped the context.
	ContentTruncated bool
	ContextTrimmed   bool
}

// Index states reported with every search.
const (
	// IndexReady: the project has indexed chunks and no job is running.
	IndexReady = "ready"
	// IndexEmpty: nothing is indexed and no job is running.
	IndexEmpty = "empty"
	// IndexBuilding: a job is pending or running; results may be partial.
	IndexBuilding = "indexing"
)

// Result is the answer to a search.
type Result struct {
	ProjectID string
	Results   []Hit
	// TotalCount is the number of results returned.
	TotalCount int
	// Matched is how many chunks the lexical channel considered (capped by
	// the candidate limit).
	Matched   int
	LatencyMS float64
	// IndexStatus is one of IndexReady, IndexEmpty, IndexBuilding.
	IndexStatus string
	// Notice explains an answer that could mislead: an empty or partial
	// index, a trimmed answer, a vector channel that could not be used.
	Notice string
	// Truncated is true when the token budget trimmed or omitted anything;
	// Omitted counts the results left out entirely.
	Truncated bool
	Omitted   int
	// EstimatedTokens is the answer's estimated size (4 characters per token).
	EstimatedTokens int
}

func toHit(r Row) Hit {
	return Hit{
		ChunkID: r.ChunkID, ProjectID: r.ProjectID, RepositoryID: r.RepositoryID, FilePath: r.FilePath,
		Language: r.Language, Symbol: r.Symbol, ChunkType: r.Kind, StartLine: r.StartLine, EndLine: r.EndLine,
		Content: r.Content, ContextBefore: r.ContextBefore, ContextAfter: r.ContextAfter,
		IndexedAt: r.IndexedAt, Commit: r.Commit,
	}
}
