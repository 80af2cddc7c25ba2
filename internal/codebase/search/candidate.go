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

// StateQuery asks for a project's state before a search.
type StateQuery struct {
	ProjectID string
	// RepositoryID, when not empty, is checked to be the project's.
	RepositoryID string
	// Words are the query terms whose learnt associations to return.
	Words []string
}

// State is what a search needs to know about a project before ranking,
// read in one round trip by [Store.SearchState].
type State struct {
	ProjectExists bool
	// RepositoryExists is true when the query named no repository or one
	// of the project's.
	RepositoryExists bool
	IndexState
	// Generation identifies the project's lexical index: it changes in the
	// transaction of every change of the project's chunks or generated-file
	// flags, and is 0 when nothing was indexed.
	Generation int64
	// Associations are the learnt code terms of the query's words.
	Associations map[string][]Association
}

// LexiconHeader describes a project's lexical index as of the snapshot its
// [LexiconChunk]s are read in.
type LexiconHeader struct {
	Generation int64
	// N and SumLen are the collection statistics of [Stats].
	N      int64
	SumLen [Classes]int64
	// Generated lists the files whose header says they are generated.
	Generated []FileKey
}

// LexiconChunk is one chunk as the in-memory lexicon is built from it.
type LexiconChunk struct {
	ChunkID      string
	RepositoryID string
	FilePath     string
	Language     string
	Kind         string
	Symbol       string
	StartLine    int
	EndLine      int
	FieldLen     [Classes]int
	// TSV is the chunk's tsvector in PostgreSQL's binary format
	// (tsvectorsend, the format terms.Doc.AppendTSVectorBinary writes): an
	// int32 lexeme count, then per lexeme its bytes, a NUL, a uint16
	// position count and per position a uint16 with the class in the top
	// two bits (3 = A ... 0 = D), in position order.
	TSV []byte
}
