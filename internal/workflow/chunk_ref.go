package workflow

import (
	"context"
	"strings"
	"time"

	"github.com/mcp-memory/servers/internal/apperr"
)

// ChunkRef is a work item's reference to a codebase-mcp chunk: the chunk id
// as given, and a snapshot of what it pointed at when codebase-mcp last
// resolved it. The snapshot is empty (ResolvedAt nil) while the id has
// never been resolved, e.g. because codebase-mcp was unreachable.
type ChunkRef struct {
	ChunkID      string
	RepositoryID string
	FilePath     string
	Symbol       string
	StartLine    int
	EndLine      int
	ContentHash  string
	ResolvedAt   *time.Time
	// WorkItemID is set by stores on references read back.
	WorkItemID string
}

// Location is where a chunk lives: what identifies "the same code" after a
// re-index changed the chunk's id.
type Location struct {
	RepositoryID string
	FilePath     string
	Symbol       string
}

// location returns r's location, ok false when the snapshot has no symbol
// to match on (line windows, unresolved references).
func (r ChunkRef) location() (Location, bool) {
	l := Location{RepositoryID: r.RepositoryID, FilePath: r.FilePath, Symbol: r.Symbol}
	return l, l.RepositoryID != "" && l.FilePath != "" && l.Symbol != ""
}

// CodeQuery asks codebase-mcp about chunks. An empty query only asks
// whether codebase-mcp can be reached.
type CodeQuery struct {
	// ChunkIDs are looked up by id.
	ChunkIDs []string
	// Locations ask for the current chunk at each (repository, path, symbol).
	Locations []Location
}

// CodeAnswer is codebase-mcp's answer to a [CodeQuery].
type CodeAnswer struct {
	// Found are the chunks that exist, as snapshots (ResolvedAt unset).
	Found []ChunkRef
	// Missing are the requested ids codebase-mcp no longer has.
	Missing []string
	// Located are the chunks found at the requested locations.
	Located []ChunkRef
}

// CodeLookup resolves code references against codebase-mcp. Any error
// means codebase-mcp could not answer (down, slow, circuit open); the
// service then keeps references as given and warns
// [WarningCodeSearchUnavailable]. Implementations must answer quickly
// (short timeout, circuit breaker): a slow codebase-mcp must not slow
// workflow-mcp down.
type CodeLookup interface {
	Lookup(ctx context.Context, q CodeQuery) (CodeAnswer, error)
}

// Replacement suggests, for a stale reference, the chunk now at the same
// repository, path and symbol.
type Replacement struct {
	StaleChunkID string
	Chunk        ChunkRef
}

// CodeStatus is what a read learned about a work item's references.
type CodeStatus struct {
	// Stale lists referenced chunk ids codebase-mcp no longer has.
	Stale []string
	// Replacements suggest current chunks for stale ones.
	Replacements []Replacement
}

// maxReferences bounds the references of one work item.
const maxReferences = 100

// normalizeRefs validates chunk ids (any non-empty string) and drops duplicates.
func normalizeRefs(ids []string) ([]string, error) {
	if len(ids) > maxReferences {
		return nil, apperr.Invalid("entity_references", "at most %d references, got %d", maxReferences, len(ids))
	}
	seen := map[string]bool{}
	out := make([]string, 0, len(ids))
	for i, id := range ids {
		id = strings.TrimSpace(id)
		if id == "" {
			return nil, apperr.Invalid("entity_references", "item %d is empty; give codebase-mcp chunk ids", i)
		}
		if len(id) > 200 {
			return nil, apperr.Invalid("entity_references", "item %d is longer than 200 characters", i)
		}
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out, nil
}

// resolveNew builds snapshots for references being written. When
// codebase-mcp cannot answer, references are kept unresolved and the
// warning is returned.
func (s *Service) resolveNew(ctx context.Context, ids []string) ([]ChunkRef, CodeStatus, []string) {
	refs := make([]ChunkRef, len(ids))
	for i, id := range ids {
		refs[i] = ChunkRef{ChunkID: id}
	}
	if s.code == nil {
		return refs, CodeStatus{}, nil
	}
	ans, err := s.code.Lookup(ctx, CodeQuery{ChunkIDs: ids})
	if err != nil {
		s.log.DebugContext(ctx, "code_lookup_failed", "error", err.Error())
		return refs, CodeStatus{}, []string{WarningCodeSearchUnavailable}
	}
	now := s.now().UTC()
	found := map[string]ChunkRef{}
	for _, c := range ans.Found {
		found[c.ChunkID] = c
	}
	var st CodeStatus
	for i, r := range refs {
		if c, ok := found[r.ChunkID]; ok {
			c.ResolvedAt = &now
			refs[i] = c
		} else {
			st.Stale = append(st.Stale, r.ChunkID)
		}
	}
	return refs, st, nil
}

// checkRefs checks stored references against codebase-mcp: which are
// stale, what replaces them, and snapshots for references stored while
// codebase-mcp was unreachable (saved without touching versions). With no
// references it still checks that codebase-mcp is reachable, so the
// warning appears on every answer while it is not.
func (s *Service) checkRefs(ctx context.Context, projectID string, refs []ChunkRef) (map[string]CodeStatus, []string) {
	if s.code == nil {
		return nil, nil
	}
	var ids []string
	seen := map[string]bool{}
	for _, r := range refs {
		if !seen[r.ChunkID] {
			seen[r.ChunkID] = true
			ids = append(ids, r.ChunkID)
		}
	}
	ans, err := s.code.Lookup(ctx, CodeQuery{ChunkIDs: ids})
	if err != nil {
		s.log.DebugContext(ctx, "code_lookup_failed", "error", err.Error())
		return nil, []string{WarningCodeSearchUnavailable}
	}
	if len(refs) == 0 {
		return nil, nil
	}
	found := map[string]ChunkRef{}
	for _, c := range ans.Found {
		found[c.ChunkID] = c
	}
	now := s.now().UTC()
	var backfill []ChunkRef
	var locs []Location
	out := map[string]CodeStatus{}
	for _, r := range refs {
		c, ok := found[r.ChunkID]
		if ok {
			if r.ResolvedAt == nil {
				c.ResolvedAt, c.WorkItemID = &now, r.WorkItemID
				backfill = append(backfill, c)
			}
			continue
		}
		st := out[r.WorkItemID]
		st.Stale = append(st.Stale, r.ChunkID)
		out[r.WorkItemID] = st
		if l, ok := r.location(); ok {
			locs = append(locs, l)
		}
	}
	if len(backfill) > 0 {
		if err := s.store.UpdateRefSnapshots(ctx, projectID, backfill); err != nil {
			// The answer is still right; the snapshot is saved on a later read.
			s.log.WarnContext(ctx, "reference_snapshot_not_saved", "error", err.Error())
		}
	}
	if len(locs) == 0 {
		return out, nil
	}
	ans, err = s.code.Lookup(ctx, CodeQuery{Locations: locs})
	if err != nil {
		return out, []string{WarningCodeSearchUnavailable}
	}
	at := map[Location]ChunkRef{}
	for _, c := range ans.Located {
		l, _ := c.location()
		at[l] = c
	}
	for _, r := range refs {
		l, ok := r.location()
		if _, live := found[r.ChunkID]; live || !ok {
			continue
		}
		if c, ok := at[l]; ok && c.ChunkID != r.ChunkID {
			st := out[r.WorkItemID]
			st.Replacements = append(st.Replacements, Replacement{StaleChunkID: r.ChunkID, Chunk: c})
			out[r.WorkItemID] = st
		}
	}
	return out, nil
}
