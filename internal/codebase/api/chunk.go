package api

import (
	"context"
	"fmt"
	"strings"

	"github.com/mcp-memory/servers/internal/codebase/search"
)

// LocationIn names a place in the code: the chunk now there is returned
// in "located" (workflow-mcp suggests it to replace a stale reference).
type LocationIn struct {
	RepositoryID string `json:"repository_id"`
	FilePath     string `json:"file_path"`
	Symbol       string `json:"symbol"`
}

// GetChunksIn is the input of get_chunks.
type GetChunksIn struct {
	ChunkIDs  []string     `json:"chunk_ids" jsonschema:"Up to 500 chunk ids; unknown ones come back in missing."`
	Locations []LocationIn `json:"locations,omitempty" jsonschema:"Find the chunk now at each repository_id, file_path, symbol."`
}

// ChunkOut is a looked-up chunk. content_hash (hex SHA-256 of content)
// tells a caller keeping a reference whether the code changed.
type ChunkOut struct {
	ChunkID      string `json:"chunk_id"`
	RepositoryID string `json:"repository_id"`
	FilePath     string `json:"file_path"`
	Language     string `json:"language"`
	Symbol       string `json:"symbol"`
	ChunkType    string `json:"chunk_type"`
	StartLine    int    `json:"start_line"`
	EndLine      int    `json:"end_line"`
	Content      string `json:"content"`
	ContentHash  string `json:"content_hash"`
	Stale        bool   `json:"stale"`
}

// ChunkRefOut says where a chunk is, without its content: what a
// reference keeps.
type ChunkRefOut struct {
	ChunkID      string `json:"chunk_id"`
	RepositoryID string `json:"repository_id"`
	FilePath     string `json:"file_path"`
	Symbol       string `json:"symbol"`
	StartLine    int    `json:"start_line"`
	EndLine      int    `json:"end_line"`
	ContentHash  string `json:"content_hash"`
}

// GetChunksOut answers get_chunks.
type GetChunksOut struct {
	Found   []ChunkOut    `json:"found"`
	Missing []string      `json:"missing"`
	Located []ChunkRefOut `json:"located"`
}

func toChunkOut(c search.Chunk) ChunkOut {
	return ChunkOut{ChunkID: c.ChunkID, RepositoryID: c.RepositoryID, FilePath: c.FilePath,
		Language: c.Language, Symbol: c.Symbol, ChunkType: c.ChunkType, StartLine: c.StartLine, EndLine: c.EndLine,
		Content: c.Content, ContentHash: c.ContentHash, Stale: c.Stale}
}

func toChunkOuts(cs []search.Chunk) []ChunkOut {
	out := make([]ChunkOut, len(cs))
	for i, c := range cs {
		out[i] = toChunkOut(c)
	}
	return out
}

func getChunks(s *Services) func(context.Context, GetChunksIn) (GetChunksOut, error) {
	return func(ctx context.Context, in GetChunksIn) (GetChunksOut, error) {
		req := search.LookupRequest{ChunkIDs: in.ChunkIDs}
		for _, l := range in.Locations {
			req.Locations = append(req.Locations, search.Location{RepositoryID: l.RepositoryID, FilePath: l.FilePath, Symbol: l.Symbol})
		}
		r, err := s.Search.LookupChunks(ctx, req)
		if err != nil {
			return GetChunksOut{}, err
		}
		out := GetChunksOut{Found: toChunkOuts(r.Found), Missing: nonNil(r.Missing), Located: make([]ChunkRefOut, len(r.Located))}
		for i, c := range r.Located {
			out.Located[i] = ChunkRefOut{ChunkID: c.ChunkID, RepositoryID: c.RepositoryID, FilePath: c.FilePath,
				Symbol: c.Symbol, StartLine: c.StartLine, EndLine: c.EndLine, ContentHash: c.ContentHash}
		}
		return out, nil
	}
}

func getChunksText(o GetChunksOut) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d found, %d missing", len(o.Found), len(o.Missing))
	if len(o.Located) > 0 {
		fmt.Fprintf(&b, ", %d located", len(o.Located))
	}
	b.WriteString(".")
	for _, c := range o.Found {
		b.WriteString("\n" + chunkText(c))
	}
	if len(o.Missing) > 0 {
		b.WriteString("\nMissing (no longer indexed, or never were): " + strings.Join(o.Missing, ", "))
	}
	for _, c := range o.Located {
		fmt.Fprintf(&b, "\nNow at %s %s: chunk %s, lines %d-%d", c.FilePath, c.Symbol, c.ChunkID, c.StartLine, c.EndLine)
	}
	return b.String()
}

func chunkText(c ChunkOut) string {
	var b strings.Builder
	fmt.Fprintf(&b, "--- %s %s:%d-%d", c.ChunkID, c.FilePath, c.StartLine, c.EndLine)
	if c.Symbol != "" {
		b.WriteString(" " + c.Symbol)
	}
	fmt.Fprintf(&b, " (%s, repository %s)", c.ChunkType, c.RepositoryID)
	if c.Stale {
		b.WriteString(" [STALE: file changed since indexed]")
	}
	b.WriteString("\n" + strings.TrimRight(c.Content, "\n"))
	return b.String()
}

// GetChunkIn names one chunk (REST GET /mcp/chunks/{chunk_id}).
type GetChunkIn struct {
	ChunkID string `json:"chunk_id"`
}

func getChunk(s *Services) func(context.Context, GetChunkIn) (ChunkOut, error) {
	return func(ctx context.Context, in GetChunkIn) (ChunkOut, error) {
		c, err := s.Search.Chunk(ctx, in.ChunkID)
		if err != nil {
			return ChunkOut{}, err
		}
		return toChunkOut(c), nil
	}
}
