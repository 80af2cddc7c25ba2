package api

import (
	"context"
	"fmt"
	"strings"

	"github.com/mcp-memory/servers/internal/codebase"
)

// maxPage is the largest page of a list (docs/api.md "Lists, budgets and
// freshness"); the index service enforces it.
const maxPage = 500

// ListRepositoriesIn is the input of list_repositories.
type ListRepositoriesIn struct {
	ProjectID string `json:"project_id,omitempty" jsonschema:"Default: default."`
	Limit     *int   `json:"limit,omitempty" jsonschema:"1-500, default 50."`
	Cursor    string `json:"cursor,omitempty" jsonschema:"next_cursor of the previous page."`
}

// RepositoryOut is an indexed repository with its freshness.
type RepositoryOut struct {
	RepositoryID string `json:"repository_id"`
	ProjectID    string `json:"project_id"`
	Path         string `json:"path"`
	FileCount    int    `json:"file_count"`
	ChunkCount   int    `json:"chunk_count"`
	// IndexedAt is null until the first index completes.
	IndexedAt         *string `json:"indexed_at"`
	Commit            string  `json:"commit"`
	ChangedSinceIndex bool    `json:"changed_since_index"`
}

// ListRepositoriesOut is one page of repositories, ordered by path.
type ListRepositoriesOut struct {
	ProjectID    string          `json:"project_id"`
	Repositories []RepositoryOut `json:"repositories"`
	Count        int             `json:"count"`
	NextCursor   string          `json:"next_cursor,omitempty"`
}

// Validate rejects an explicit limit of 0, which the service cannot tell
// from an absent one (the default).
func (in ListRepositoriesIn) Validate() error { return checkLimit(in.Limit, maxPage) }

func listRepositories(s *Services) func(context.Context, ListRepositoriesIn) (ListRepositoriesOut, error) {
	return func(ctx context.Context, in ListRepositoriesIn) (ListRepositoriesOut, error) {
		page, err := s.Index.Repositories(ctx, in.ProjectID, deref(in.Limit), in.Cursor)
		if err != nil {
			return ListRepositoriesOut{}, err
		}
		project := in.ProjectID
		if project == "" {
			project = codebase.DefaultProject
		}
		out := ListRepositoriesOut{ProjectID: project, Repositories: make([]RepositoryOut, len(page.Repositories)),
			Count: len(page.Repositories), NextCursor: page.NextCursor}
		for i, r := range page.Repositories {
			out.Repositories[i] = RepositoryOut{RepositoryID: r.ID, ProjectID: r.ProjectID, Path: r.Path,
				FileCount: r.FileCount, ChunkCount: r.ChunkCount, IndexedAt: optTimestamp(r.IndexedAt),
				Commit: r.Commit, ChangedSinceIndex: r.ChangedSinceIndex}
		}
		return out, nil
	}
}

func listRepositoriesText(o ListRepositoriesOut) string {
	var b strings.Builder
	if o.Count == 0 {
		fmt.Fprintf(&b, "No repositories in project %s", o.ProjectID)
		if o.NextCursor == "" {
			b.WriteString(": index one with start_indexing_background.")
		}
	} else {
		fmt.Fprintf(&b, "%d repositories in project %s:", o.Count, o.ProjectID)
	}
	for _, r := range o.Repositories {
		fmt.Fprintf(&b, "\n- %s  id %s  %d files, %d chunks", r.Path, r.RepositoryID, r.FileCount, r.ChunkCount)
		if r.IndexedAt == nil {
			b.WriteString(", never indexed")
		} else {
			fmt.Fprintf(&b, ", indexed %s", *r.IndexedAt)
		}
		if r.Commit != "" {
			fmt.Fprintf(&b, " at %.12s", r.Commit)
		}
		if r.ChangedSinceIndex {
			b.WriteString(", CHANGED since (re-index to refresh)")
		}
	}
	if o.NextCursor != "" {
		fmt.Fprintf(&b, "\nMore exist: call again with cursor %q.", o.NextCursor)
	}
	return b.String()
}
