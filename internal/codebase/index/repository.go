package index

import (
	"context"
	"os"
	"path/filepath"
	"time"

	"github.com/mcp-memory/servers/internal/codebase"
	"github.com/mcp-memory/servers/internal/codebase/pgstore"
)

// Repository is an indexed repository with its freshness.
type Repository struct {
	pgstore.Repository
	// ChangedSinceIndex is true when a sample of the indexed files (up to
	// Config.FreshnessSample, spread over the repository) differs on disk
	// in size or mtime, or is gone, or the root is gone. New files are not
	// detected by the sample; the next index finds them.
	ChangedSinceIndex bool
}

// RepositoryPage is one page of [Service.Repositories].
type RepositoryPage struct {
	Repositories []Repository
	NextCursor   string
}

// Repositories lists the project's repositories (empty project id means
// "default"), limit per page (0 = 50, at most 500), from cursor. Returns
// NOT_FOUND for an unknown project, VALIDATION_ERROR for a bad argument.
func (s *Service) Repositories(ctx context.Context, projectID string, limit int, cursor string) (RepositoryPage, error) {
	if projectID == "" {
		projectID = codebase.DefaultProject
	}
	if err := ValidateProjectID(projectID); err != nil {
		return RepositoryPage{}, err
	}
	page, err := s.store.Repositories(ctx, projectID, limit, cursor)
	if err != nil {
		return RepositoryPage{}, err
	}
	out := RepositoryPage{NextCursor: page.NextCursor, Repositories: make([]Repository, len(page.Repositories))}
	for i, r := range page.Repositories {
		out.Repositories[i] = Repository{Repository: r}
		if r.IndexedAt == nil {
			continue
		}
		changed, err := s.changedSinceIndex(ctx, r)
		if err != nil {
			return RepositoryPage{}, err
		}
		out.Repositories[i].ChangedSinceIndex = changed
	}
	return out, nil
}

// changedSinceIndex stats a sample of the repository's indexed files.
func (s *Service) changedSinceIndex(ctx context.Context, r pgstore.Repository) (bool, error) {
	if _, err := os.Stat(r.Path); err != nil {
		return true, nil
	}
	files, err := s.store.SampleFiles(ctx, r.ProjectID, r.ID, s.cfg.FreshnessSample)
	if err != nil {
		return false, err
	}
	for _, f := range files {
		fi, err := os.Lstat(filepath.Join(r.Path, filepath.FromSlash(f.Path)))
		if err != nil || fi.Size() != f.Size || !fi.ModTime().Truncate(time.Microsecond).Equal(f.ModTime) {
			return true, nil
		}
	}
	return false, nil
}
