package search

import (
	"context"
	"fmt"
	"strings"

	"github.com/mcp-memory/servers/internal/apperr"
)

// MaxLookup is the most chunk ids one lookup takes.
const MaxLookup = 500

// Lookup is the answer to [Service.GetChunks].
type Lookup struct {
	// Found holds the chunks that exist, in the order asked.
	Found []Hit
	// Missing holds the ids no project has (any more).
	Missing []string
}

// GetChunks looks chunks up by id in every project (chunk ids are unique
// across projects; workflow-mcp uses this to detect stale references).
// Duplicate ids are answered once. Returns VALIDATION_ERROR for an empty
// list, more than [MaxLookup] ids, or a malformed id.
func (s *Service) GetChunks(ctx context.Context, ids []string) (Lookup, error) {
	if len(ids) == 0 {
		return Lookup{}, apperr.Invalid("chunk_ids", "must hold at least one id")
	}
	if len(ids) > MaxLookup {
		return Lookup{}, apperr.Invalid("chunk_ids", "holds %d ids; at most %d are allowed", len(ids), MaxLookup)
	}
	seen := map[string]bool{}
	var uniq []string
	for _, id := range ids {
		id = strings.ToLower(strings.TrimSpace(id))
		if !uuidRE.MatchString(id) {
			return Lookup{}, apperr.Invalid("chunk_ids", "%q is not a chunk id (a UUID)", id)
		}
		if !seen[id] {
			seen[id] = true
			uniq = append(uniq, id)
		}
	}
	rows, err := s.store.ChunkRows(ctx, "", uniq)
	if err != nil {
		return Lookup{}, fmt.Errorf("get chunks: %w", err)
	}
	sc := newStaleChecker()
	out := Lookup{Found: []Hit{}, Missing: []string{}}
	for _, id := range uniq {
		r, ok := rows[id]
		if !ok {
			out.Missing = append(out.Missing, id)
			continue
		}
		h := toHit(r)
		h.Stale = sc.stale(r)
		out.Found = append(out.Found, h)
	}
	return out, nil
}

// GetChunk returns one chunk by id. Returns VALIDATION_ERROR for a
// malformed id and NOT_FOUND for an unknown one.
func (s *Service) GetChunk(ctx context.Context, id string) (Hit, error) {
	l, err := s.GetChunks(ctx, []string{id})
	if err != nil {
		return Hit{}, err
	}
	if len(l.Found) == 0 {
		return Hit{}, apperr.New(apperr.NotFound, "chunk %s not found", strings.TrimSpace(id)).
			WithDetails(map[string]any{"chunk_id": strings.TrimSpace(id)})
	}
	return l.Found[0], nil
}
