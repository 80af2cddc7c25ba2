package search

import (
	"crypto/sha256"
	"encoding/hex"
	"io"
	"os"
	"path/filepath"
	"time"
)

// staleChecker decides whether files on disk still match their index. It
// caches per file within one request.
type staleChecker struct {
	cache map[FileKey]bool
}

func newStaleChecker() *staleChecker { return &staleChecker{cache: map[FileKey]bool{}} }

// stale compares the file under the repository root with the indexed size,
// mtime and hash: a different size is stale, an equal mtime is fresh, and
// only a changed mtime with an equal size costs a read and a hash. A file
// that is gone or unreadable is stale, since its results can no longer be
// opened as shown.
func (sc *staleChecker) stale(r Row) bool {
	k := FileKey{r.RepositoryID, r.FilePath}
	if v, ok := sc.cache[k]; ok {
		return v
	}
	v := isStale(r)
	sc.cache[k] = v
	return v
}

func isStale(r Row) bool {
	if r.RepositoryPath == "" || r.FileSize < 0 {
		return true
	}
	p := filepath.Join(r.RepositoryPath, filepath.FromSlash(r.FilePath))
	fi, err := os.Stat(p)
	if err != nil || !fi.Mode().IsRegular() {
		return true
	}
	if fi.Size() != r.FileSize {
		return true
	}
	if fi.ModTime().Truncate(time.Microsecond).Equal(r.FileModTime.Truncate(time.Microsecond)) {
		return false
	}
	f, err := os.Open(p)
	if err != nil {
		return true
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return true
	}
	return hex.EncodeToString(h.Sum(nil)) != r.FileHash
}
