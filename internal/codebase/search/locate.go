package search

import (
	"context"
	"fmt"
	"strings"

	"github.com/mcp-memory/servers/internal/apperr"
)

// Location names a place in the code by what a reference to it keeps: a
// repository, a path relative to its root and a symbol. It outlives the
// chunk id, which changes whenever the chunk's content does.
type Location struct {
	RepositoryID string
	FilePath     string
	Symbol       string
}

// Locator finds the chunk now at each of a set of locations. pgstore's
// Store implements it beside [Store].
type Locator interface {
	// LocateChunks returns, for each location that holds a chunk with
	// exactly that symbol, the id of that chunk (the first in the file
	// when the symbol is cut into parts or defined twice). Locations
	// without a chunk are absent. It looks in every project: repository
	// ids are unique across projects.
	LocateChunks(ctx context.Context, locs []Location) (map[Location]string, error)
}

// Chunk is a looked-up chunk: a [Hit] with the hash of its content, which
// a caller keeping a reference compares to tell whether it changed.
type Chunk struct {
	Hit
	// ContentHash is the hex SHA-256 of the content, as indexed.
	ContentHash string
}

// LookupRequest asks for chunks by id and for the chunks now at locations.
type LookupRequest struct {
	ChunkIDs  []string
	Locations []Location
}

// LookupResult answers a [LookupRequest].
type LookupResult struct {
	// Found holds the chunks that exist, in the order asked; Missing the
	// ids that do not (including strings that cannot be chunk ids).
	Found   []Chunk
	Missing []string
	// Located holds the chunk now at each location that has one, in the
	// order asked.
	Located []Chunk
}

// LookupChunks answers req: workflow-mcp's reference check. Unlike
// [Service.GetChunks] it takes any string as an id, since references are
// kept as the user wrote them: a string that is not a chunk id is simply
// missing. An empty request gets an empty answer (a reachability check).
// Locations without a repository id, path or symbol locate nothing.
// Returns VALIDATION_ERROR when ids and locations together exceed
// [MaxLookup].
func (s *Service) LookupChunks(ctx context.Context, req LookupRequest) (LookupResult, error) {
	out := LookupResult{Found: []Chunk{}, Missing: []string{}, Located: []Chunk{}}
	if n := len(req.ChunkIDs) + len(req.Locations); n > MaxLookup {
		return out, apperr.Invalid("chunk_ids", "chunk_ids and locations hold %d entries; at most %d are allowed", n, MaxLookup)
	}
	var ids []string
	seen := map[string]bool{}
	for _, raw := range req.ChunkIDs {
		id := strings.ToLower(strings.TrimSpace(raw))
		if seen[id] {
			continue
		}
		seen[id] = true
		if uuidRE.MatchString(id) {
			ids = append(ids, id)
		}
	}
	var locs []Location
	for _, l := range req.Locations {
		l = Location{RepositoryID: strings.ToLower(strings.TrimSpace(l.RepositoryID)), FilePath: l.FilePath, Symbol: l.Symbol}
		if uuidRE.MatchString(l.RepositoryID) && l.FilePath != "" && l.Symbol != "" {
			locs = append(locs, l)
		}
	}
	at := map[Location]string{}
	if len(locs) > 0 {
		loc, ok := s.store.(Locator)
		if !ok {
			return out, fmt.Errorf("lookup chunks: the store cannot locate chunks (it does not implement search.Locator)")
		}
		var err error
		if at, err = loc.LocateChunks(ctx, locs); err != nil {
			return out, fmt.Errorf("lookup chunks: %w", err)
		}
		for _, id := range at {
			ids = append(ids, id)
		}
	}
	var rows map[string]Row
	if len(ids) > 0 {
		var err error
		if rows, err = s.store.ChunkRows(ctx, "", ids); err != nil {
			return out, fmt.Errorf("lookup chunks: %w", err)
		}
	}
	sc := newStaleChecker()
	chunk := func(r Row) Chunk {
		h := toHit(r)
		h.Stale = sc.stale(r)
		return Chunk{Hit: h, ContentHash: r.ContentHash}
	}
	seen = map[string]bool{}
	for _, raw := range req.ChunkIDs {
		id := strings.ToLower(strings.TrimSpace(raw))
		if seen[id] {
			continue
		}
		seen[id] = true
		if r, ok := rows[id]; ok {
			out.Found = append(out.Found, chunk(r))
		} else {
			out.Missing = append(out.Missing, strings.TrimSpace(raw))
		}
	}
	for _, l := range locs {
		if r, ok := rows[at[l]]; ok {
			out.Located = append(out.Located, chunk(r))
		}
	}
	return out, nil
}

// Chunk returns one chunk by id with its content hash. Returns
// VALIDATION_ERROR for a malformed id and NOT_FOUND for an unknown one.
func (s *Service) Chunk(ctx context.Context, id string) (Chunk, error) {
	id = strings.TrimSpace(id)
	if !uuidRE.MatchString(id) {
		return Chunk{}, apperr.Invalid("chunk_id", "%q is not a chunk id (a UUID)", id)
	}
	res, err := s.LookupChunks(ctx, LookupRequest{ChunkIDs: []string{id}})
	if err != nil {
		return Chunk{}, err
	}
	if len(res.Found) == 0 {
		return Chunk{}, apperr.New(apperr.NotFound, "chunk %s not found", id).WithDetails(map[string]any{"chunk_id": id})
	}
	return res.Found[0], nil
}
