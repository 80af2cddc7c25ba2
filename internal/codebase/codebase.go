// Package codebase holds codebase-mcp's domain types (projects,
// repositories, files, chunks, jobs, search hits) and the small interfaces
// the index and search services consume (Chunker, Embedder). Subpackages
// implement them: scan walks repositories, chunk cuts files into chunks,
// embed turns text into vectors, terms splits code into search terms,
// pgstore stores everything in PostgreSQL, index and search are the
// services, api serves them over MCP and REST.
package codebase

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"time"
)

// DefaultProject is the project used when a call names none. It always
// exists.
const DefaultProject = "default"

// File is one file found by the scanner, relative to its repository root.
type File struct {
	// Path is relative to the repository root, with forward slashes.
	Path string
	// Language is the detected language ("go", "python", "javascript",
	// "typescript", "tsx", "java", "rust", "c", ...; "text" when unknown
	// but indexable).
	Language string
	Size     int64
	ModTime  time.Time
}

// Chunk is one indexed unit of code: a function, method or type with its
// doc comment and signature, or a window of lines.
type Chunk struct {
	// ID is stable: derived from (project, repository, path, symbol,
	// content hash) by [ChunkID], so an unchanged chunk keeps its id.
	ID           string
	ProjectID    string
	RepositoryID string
	// FilePath is relative to the repository root, with forward slashes.
	FilePath string
	Language string
	// Symbol is the qualified name (Type.Method, Class.method, func name);
	// empty for line windows and file headers.
	Symbol string
	// Kind is one of the Kind* constants.
	Kind string
	// StartLine and EndLine are 1-based and inclusive.
	StartLine, EndLine int
	// Content is the chunk's source text, doc comment included.
	Content string
	// Signature is the declaration line(s) up to the body, without the doc
	// comment (e.g. "func (c *Client) Refresh(ctx context.Context) error").
	Signature string
	// Doc is the chunk's own doc comment text, comment markers removed.
	Doc string
	// Comments holds the text of comments inside the body (markers
	// removed), one per line; search weighs them apart from code.
	Comments string
	// ContentHash is the hex SHA-256 of Content.
	ContentHash string
}

// Chunk kinds.
const (
	KindFunction  = "function"
	KindMethod    = "method"
	KindClass     = "class"
	KindType      = "type" // struct, interface, enum, typedef, trait, type alias
	KindHeader    = "header"
	KindWindow    = "window"
	KindTopLevel  = "toplevel" // top-level code between declarations
	KindConstants = "constants"
)

// Chunker cuts one file into chunks. Implementations fill every field
// except ID, ProjectID, RepositoryID and FilePath, which the index service
// sets. It never fails on bad source: unparsable files come back as line
// windows.
type Chunker interface {
	Chunk(ctx context.Context, language string, src []byte) []Chunk
}

// Embedder turns texts into vectors of a fixed dimension.
type Embedder interface {
	// Name identifies the embedder and model, e.g. "builtin",
	// "ollama:nomic-embed-text", "openai:text-embedding-3-small". It is
	// stored with the index: an index built by one embedder is never
	// searched with another.
	Name() string
	// Dimension is the length of every vector Embed returns.
	Dimension() int
	// Embed returns one vector per text, in order. Errors carry apperr
	// codes (Unavailable for a provider that cannot be reached).
	Embed(ctx context.Context, texts []string) ([][]float32, error)
}

// Job statuses.
const (
	JobPending   = "pending"
	JobRunning   = "running"
	JobCompleted = "completed"
	JobFailed    = "failed"
	JobCancelled = "cancelled"
)

// Skip reasons reported by the scanner, dry runs and jobs.
const (
	SkipIgnored     = "ignored"
	SkipBinary      = "binary"
	SkipTooLarge    = "too_large"
	SkipUnsupported = "unsupported"
	SkipUnreadable  = "unreadable"
	SkipSymlink     = "symlink_outside"
)

// ChunkID derives a chunk's stable id from what identifies it: project,
// repository, path, symbol and content hash. ordinal tells apart identical
// chunks in one file (0 for the first, 1 for the next identical one, ...),
// so ids stay unique without depending on line numbers: a chunk that only
// moved within its file keeps its id. The id is formatted like a UUID.
func ChunkID(projectID, repositoryID, path, symbol, contentHash string, ordinal int) string {
	h := sha256.New()
	for _, s := range []string{projectID, repositoryID, path, symbol, contentHash, strconv.Itoa(ordinal)} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	var b [16]byte
	copy(b[:], h.Sum(nil))
	b[6] = b[6]&0x0f | 0x80 // version 8: custom, name-based
	b[8] = b[8]&0x3f | 0x80 // RFC 9562 variant
	x := hex.EncodeToString(b[:])
	return x[0:8] + "-" + x[8:12] + "-" + x[12:16] + "-" + x[16:20] + "-" + x[20:32]
}

// ContentHash is the hex SHA-256 of content, as stored in [Chunk.ContentHash]
// and for files.
func ContentHash(content []byte) string {
	s := sha256.Sum256(content)
	return hex.EncodeToString(s[:])
}
