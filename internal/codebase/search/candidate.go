package search

import "time"

// Classes is the number of term classes in a chunk's tsvector: A signature
// and directory parts, B file name and doc comment, C body code, D inline
// comments (the weights A..D of the stored tsvector('simple')).
const Classes = 4

// Stats are a project's collection statistics for BM25F.
type Stats struct {
	// N is the number of chunks.
	N int64
	// SumLen is the total length of each class over all chunks.
	SumLen [Classes]int64
	// DF is the number of chunks holding each term (in any class).
	DF map[string]int64
}

// CandidateQuery asks the store for lexical candidates.
type CandidateQuery struct {
	Filter Filter
	// MatchTerms select candidates (any of them; an OR tsquery).
	MatchTerms []string
	// ScoreTerms are the terms whose per-class frequencies are returned.
	ScoreTerms []string
	// Limit caps the candidates, best by a cheap weighted ts_rank first.
	Limit int
}

// Candidate is one chunk found by the lexical channel, with what BM25F and
// the ranking rules need and nothing more (no content).
type Candidate struct {
	ChunkID      string
	RepositoryID string
	FilePath     string
	Kind         string
	Symbol       string
	StartLine    int
	EndLine      int
	// Generated is true when the file's header says it is generated.
	Generated bool
	// FieldLen is the number of term occurrences in each class.
	FieldLen [Classes]int
	// TF holds, for each of the query's score terms present in the chunk,
	// its number of occurrences in each class.
	TF map[string][Classes]int
}

// Scored is a chunk id with a score.
type Scored struct {
	ChunkID string
	Score   float64
}

// FileKey names a file of a project.
type FileKey struct {
	RepositoryID string
	Path         string
}

// IndexState summarises a project's index for the answer's status.
type IndexState struct {
	Chunks     int64
	ActiveJobs int
}

// Row is a chunk's full row with its file's data, for results and lookups.
type Row struct {
	ProjectID    string
	ChunkID      string
	RepositoryID string
	FilePath     string
	Language     string
	Symbol       string
	Kind         string
	StartLine    int
	EndLine      int
	Content      string
	ContentHash  string
	// ContextBefore and ContextAfter are up to 10 lines of the indexed file
	// before and after the chunk.
	ContextBefore string
	ContextAfter  string
	// FileSize is -1 when the file row is missing.
	FileSize    int64
	FileModTime time.Time
	FileHash    string
	IndexedAt   time.Time
	Commit      string
	// RepositoryPath is the repository's absolute root on the indexing host.
	RepositoryPath string
}
