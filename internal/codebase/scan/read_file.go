package scan

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/mcp-memory/servers/internal/apperr"
)

// ReadFile reads the file rel (relative, forward or OS slashes) under
// root. It refuses, with a Validation error, paths and symlinks that
// resolve outside root; a missing file is NotFound. It uses [os.Root], so a
// symlink swapped in between a check and the read cannot escape either.
func ReadFile(root, rel string) ([]byte, error) {
	if !filepath.IsAbs(root) {
		return nil, apperr.Invalid("repo_path", "must be an absolute path, got %q", root)
	}
	clean, err := cleanRel(rel)
	if err != nil {
		return nil, err
	}
	r, err := os.OpenRoot(filepath.Clean(root))
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, apperr.Wrap(err, apperr.NotFound, fmt.Sprintf("repository %s does not exist", root))
		}
		return nil, fmt.Errorf("open repository root %s: %w", root, err)
	}
	defer r.Close()
	data, err := r.ReadFile(filepath.FromSlash(clean))
	switch {
	case err == nil:
		return data, nil
	case errors.Is(err, fs.ErrNotExist):
		return nil, apperr.Wrap(err, apperr.NotFound, fmt.Sprintf("%s not found in %s", clean, root))
	case isEscape(err):
		return nil, apperr.Wrap(err, apperr.Validation, fmt.Sprintf("path: %s resolves outside the repository root", clean))
	default:
		return nil, fmt.Errorf("read %s in %s: %w", clean, root, err)
	}
}

// isEscape reports the error os.Root returns for a path that leaves it.
func isEscape(err error) bool {
	var pe *fs.PathError
	return errors.As(err, &pe) && pe.Err != nil && pe.Err.Error() == "path escapes from parent"
}
