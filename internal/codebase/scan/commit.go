package scan

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"strings"
)

// gitRepo locates the git work tree that contains dir: its top directory
// and its git directory (".git" itself, or the directory a ".git" file
// points to in worktrees and submodules). ok is false outside a work tree.
func gitRepo(dir string) (top, gitDir string, ok bool) {
	for d := dir; ; {
		g := filepath.Join(d, ".git")
		if fi, err := os.Stat(g); err == nil {
			if fi.IsDir() {
				return d, g, true
			}
			if data, err := os.ReadFile(g); err == nil {
				if rest, found := strings.CutPrefix(strings.TrimSpace(string(data)), "gitdir:"); found {
					gd := strings.TrimSpace(rest)
					if !filepath.IsAbs(gd) {
						gd = filepath.Join(d, gd)
					}
					return d, filepath.Clean(gd), true
				}
			}
		}
		parent := filepath.Dir(d)
		if parent == d {
			return "", "", false
		}
		d = parent
	}
}

// headCommit reads the commit HEAD points at from the files of a git
// directory, without running git: HEAD, then the loose ref or packed-refs
// (in the common directory for linked worktrees). It returns "" when HEAD
// cannot be resolved: an unborn branch, or a reftable repository.
func headCommit(gitDir string) string {
	common := gitDir
	if data, err := os.ReadFile(filepath.Join(gitDir, "commondir")); err == nil {
		c := strings.TrimSpace(string(data))
		if !filepath.IsAbs(c) {
			c = filepath.Join(gitDir, c)
		}
		common = filepath.Clean(c)
	}
	ref := "HEAD"
	// A symbolic ref may point at another symbolic ref; git allows five
	// levels.
	for range 5 {
		var data []byte
		var err error
		if ref == "HEAD" {
			data, err = os.ReadFile(filepath.Join(gitDir, "HEAD"))
		} else {
			data, err = readRef(gitDir, common, ref)
		}
		if err != nil {
			return ""
		}
		s := strings.TrimSpace(string(data))
		target, symbolic := strings.CutPrefix(s, "ref:")
		if !symbolic {
			if isHexID(s) {
				return s
			}
			return ""
		}
		ref = strings.TrimSpace(target)
		if !strings.HasPrefix(ref, "refs/") {
			return ""
		}
	}
	return ""
}

// readRef returns the content of a loose ref, or the id recorded for it in
// packed-refs. Per-worktree refs live in the worktree's git directory,
// shared ones in the common directory.
func readRef(gitDir, common, ref string) ([]byte, error) {
	for _, dir := range []string{gitDir, common} {
		if data, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(ref))); err == nil {
			return data, nil
		}
	}
	f, err := os.Open(filepath.Join(common, "packed-refs"))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		line := sc.Bytes()
		// Lines are "<id> <ref>"; "#" starts the header, "^" a peeled tag.
		if len(line) == 0 || line[0] == '#' || line[0] == '^' {
			continue
		}
		id, name, ok := bytes.Cut(line, []byte(" "))
		if ok && string(name) == ref {
			return id, nil
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	return nil, os.ErrNotExist
}

// isHexID reports a SHA-1 or SHA-256 object id in lower-case hex.
func isHexID(s string) bool {
	if len(s) != 40 && len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}
