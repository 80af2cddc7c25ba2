// Package scan walks a repository and decides which files codebase-mcp
// indexes. It honours nested .gitignore files, .git/info/exclude and
// .mcpignore files with git's own matching rules, applies built-in ignores
// (VCS folders, dependency and cache directories, build output, lock files,
// minified bundles), never follows symlinks, skips binary, oversized,
// unsupported and unreadable files, and detects each file's language. It
// also reads the repository's HEAD commit from the .git files. The scan
// only reads: it is the same for a dry run and for a real index.
package scan

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/mcp-memory/servers/internal/apperr"
	"github.com/mcp-memory/servers/internal/codebase"
)

// DefaultMaxFileSize is the size cap used when [Options.MaxFileSize] is 0.
const DefaultMaxFileSize = 1 << 20

// SkipSymlinkInside is the skip reason of a symlink whose target lies
// inside the root. Symlinks are never followed: the target is scanned
// under its own path, so following the link would index it twice. Links
// that lead outside the root are [codebase.SkipSymlink]; dangling and
// looping links are [codebase.SkipUnreadable].
const SkipSymlinkInside = "symlink"

// maxExamples is how many example paths are kept per skip reason.
const maxExamples = 5

// Options tunes a scan. The zero value is ready to use.
type Options struct {
	// MaxFileSize is the size cap in bytes; larger files are skipped as
	// [codebase.SkipTooLarge]. 0 (or less) means [DefaultMaxFileSize].
	MaxFileSize int64
	// Logger receives one warning per skip reason with its count (event
	// "scan_skipped"). nil means no logs.
	Logger *slog.Logger
}

// Result is what a scan found.
type Result struct {
	// Root is the scanned directory: absolute and cleaned.
	Root string
	// Files are the indexable files, sorted by Path.
	Files []codebase.File
	// FilesByLanguage and BytesByLanguage count the indexable files.
	FilesByLanguage map[string]int
	BytesByLanguage map[string]int64
	// Skipped counts skipped entries by reason: the codebase.Skip*
	// constants and [SkipSymlinkInside]. An ignored directory is not
	// entered and counts as one entry.
	Skipped map[string]int
	// Examples holds up to 5 example paths per reason, relative to Root
	// with forward slashes; directories end with "/".
	Examples map[string][]string
	// IgnoredBy splits Skipped[codebase.SkipIgnored] by the rule's source:
	// ".gitignore", ".git/info/exclude", ".mcpignore" or "built-in".
	IgnoredBy map[string]int
	// IgnoredDirs is how many of the ignored entries are directories.
	IgnoredDirs int
	// Total is the number of entries seen: len(Files) plus every skipped
	// entry.
	Total int
	// Commit is the HEAD commit when Root is (inside) a git work tree,
	// read from the .git files without running git; "" otherwise.
	Commit string
}

// Scan walks root and classifies every entry below it. root must be an
// absolute path to an existing directory (a Validation error otherwise).
// Version-control directories (.git, .hg, ...) are not part of the tree
// and are neither entered nor counted.
func Scan(ctx context.Context, root string, opts Options) (*Result, error) {
	root, err := checkRoot(root)
	if err != nil {
		return nil, err
	}
	realRoot, err := filepath.EvalSymlinks(root)
	if err != nil {
		return nil, fmt.Errorf("resolve repository root %s: %w", root, err)
	}
	maxSize := opts.MaxFileSize
	if maxSize <= 0 {
		maxSize = DefaultMaxFileSize
	}
	w := &walker{
		ctx:      ctx,
		root:     root,
		realRoot: realRoot,
		res: &Result{
			Root:            root,
			FilesByLanguage: map[string]int{},
			BytesByLanguage: map[string]int64{},
			Skipped:         map[string]int{},
			Examples:        map[string][]string{},
			IgnoredBy:       map[string]int{},
		},
	}
	stack := &ignoreStack{}
	if top, gitDir, ok := gitRepo(realRoot); ok {
		w.res.Commit = headCommit(gitDir)
		stack = w.gitAncestry(top, gitDir)
	}
	if err := w.walkDir(filepath.Clean(root), "", stack); err != nil {
		return nil, err
	}
	if err := w.sniffAll(maxSize); err != nil {
		return nil, err
	}
	res := w.res
	sort.Slice(res.Files, func(i, j int) bool { return res.Files[i].Path < res.Files[j].Path })
	res.Total = len(res.Files)
	for _, n := range res.Skipped {
		res.Total += n
	}
	if opts.Logger != nil {
		res.log(ctx, opts.Logger)
	}
	return res, nil
}

// checkRoot validates and cleans the repository root.
func checkRoot(root string) (string, error) {
	if root == "" {
		return "", apperr.Invalid("repo_path", "is required")
	}
	if !filepath.IsAbs(root) {
		return "", apperr.Invalid("repo_path", "must be an absolute path, got %q", root)
	}
	root = filepath.Clean(root)
	fi, err := os.Stat(root)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return "", apperr.Invalid("repo_path", "%s does not exist", root)
	case err != nil:
		return "", apperr.Invalid("repo_path", "%s cannot be read: %v", root, errors.Unwrap(err))
	case !fi.IsDir():
		return "", apperr.Invalid("repo_path", "%s is not a directory", root)
	}
	return root, nil
}

// candidate is a regular file that passed the ignore rules and still needs
// its content checked.
type candidate struct {
	rel  string
	lang string
	// Filled by the sniffer.
	reason string
	size   int64
	mtime  time.Time
}

type walker struct {
	ctx      context.Context
	root     string
	realRoot string
	// prefix is the path from the match root (the git work tree's top, or
	// the scan root) to the scan root, "" when they are the same.
	prefix string
	res    *Result
	cands  []candidate
}

// gitAncestry loads the rules that git applies to the scan root from
// outside it: .git/info/exclude and the .gitignore files of the
// directories between the work tree's top and the root.
func (w *walker) gitAncestry(top, gitDir string) *ignoreStack {
	stack := &ignoreStack{}
	common := gitDir
	if data, err := os.ReadFile(filepath.Join(gitDir, "commondir")); err == nil {
		c := strings.TrimSpace(string(data))
		if !filepath.IsAbs(c) {
			c = filepath.Join(gitDir, c)
		}
		common = c
	}
	stack = stack.push(readIgnoreFile(filepath.Join(common, "info", "exclude"), "", sourceInfoExclude))
	rel, err := filepath.Rel(top, w.realRoot)
	if err != nil || rel == "." {
		return stack
	}
	w.prefix = filepath.ToSlash(rel)
	parts := strings.Split(w.prefix, "/")
	for i := range parts {
		base := strings.Join(parts[:i], "/")
		stack = stack.push(readIgnoreFile(filepath.Join(top, filepath.FromSlash(base), ".gitignore"), base, sourceGitignore))
	}
	return stack
}

// skip records a skipped entry.
func (w *walker) skip(reason, rel string) {
	w.res.Skipped[reason]++
	if len(w.res.Examples[reason]) < maxExamples {
		w.res.Examples[reason] = append(w.res.Examples[reason], rel)
	}
}

func joinRel(dir, name string) string {
	if dir == "" {
		return name
	}
	if name == "" {
		return dir
	}
	return dir + "/" + name
}

// walkDir scans the directory abs (rel from the root) whose applicable
// rules are stack. It never follows symlinks, so it cannot loop.
func (w *walker) walkDir(abs, rel string, stack *ignoreStack) error {
	if err := w.ctx.Err(); err != nil {
		return fmt.Errorf("scan %s: %w", w.root, err)
	}
	entries, err := os.ReadDir(abs)
	if err != nil {
		if rel == "" {
			return apperr.Wrap(err, apperr.Validation, fmt.Sprintf("repo_path: %s cannot be read", w.root))
		}
		w.skip(codebase.SkipUnreadable, rel+"/")
		return nil
	}
	names := make(map[string]bool, len(entries))
	for _, e := range entries {
		names[e.Name()] = true
	}
	base := joinRel(w.prefix, rel)
	if names[".gitignore"] {
		stack = stack.push(readIgnoreFile(filepath.Join(abs, ".gitignore"), base, sourceGitignore))
	}
	if names[".mcpignore"] {
		stack = stack.push(readIgnoreFile(filepath.Join(abs, ".mcpignore"), base, sourceMcpignore))
	}
	for _, e := range entries {
		name := e.Name()
		typ := e.Type()
		isDir := typ.IsDir()
		if isDir && isVCSDir(name) {
			continue
		}
		childRel := joinRel(rel, name)
		ignored, source, matched := stack.decide(joinRel(w.prefix, childRel), isDir)
		if !matched && builtinIgnored(name, isDir, names) {
			ignored, source = true, sourceBuiltin
		}
		if ignored {
			example := childRel
			if isDir {
				example += "/"
				w.res.IgnoredDirs++
			}
			w.skip(codebase.SkipIgnored, example)
			w.res.IgnoredBy[source]++
			continue
		}
		switch {
		case isDir:
			if err := w.walkDir(filepath.Join(abs, name), childRel, stack); err != nil {
				return err
			}
		case typ&fs.ModeSymlink != 0:
			w.skip(w.symlinkReason(filepath.Join(abs, name)), childRel)
		case !typ.IsRegular():
			// FIFOs, sockets and devices: opening a FIFO would block.
			w.skip(codebase.SkipUnsupported, childRel)
		default:
			lang := Language(name)
			if lang == "" {
				w.skip(codebase.SkipUnsupported, childRel)
				continue
			}
			w.cands = append(w.cands, candidate{rel: childRel, lang: lang})
		}
	}
	return nil
}

// symlinkReason classifies a symlink without following it during the walk.
func (w *walker) symlinkReason(abs string) string {
	target, err := filepath.EvalSymlinks(abs)
	if err != nil {
		return codebase.SkipUnreadable // dangling or looping
	}
	if within(w.realRoot, target) {
		return SkipSymlinkInside
	}
	return codebase.SkipSymlink
}

// within reports whether p is root or below it; both are clean absolute
// paths.
func within(root, p string) bool {
	if p == root {
		return true
	}
	if root == string(filepath.Separator) {
		return true
	}
	return strings.HasPrefix(p, root+string(filepath.Separator))
}

// sniffAll checks the candidates' sizes and contents in parallel: it is
// I/O-bound, one open and one read of at most 8 KiB per file.
func (w *walker) sniffAll(maxSize int64) error {
	r, err := os.OpenRoot(w.root)
	if err != nil {
		return fmt.Errorf("open repository root %s: %w", w.root, err)
	}
	defer r.Close()
	workers := min(2*runtime.GOMAXPROCS(0), 16, max(1, len(w.cands)))
	var wg sync.WaitGroup
	var next sync.Mutex
	i := 0
	for range workers {
		wg.Go(func() {
			buf := make([]byte, sniffLen)
			for {
				if w.ctx.Err() != nil {
					return
				}
				next.Lock()
				j := i
				i++
				next.Unlock()
				if j >= len(w.cands) {
					return
				}
				sniff(r, &w.cands[j], maxSize, buf)
			}
		})
	}
	wg.Wait()
	if err := w.ctx.Err(); err != nil {
		return fmt.Errorf("scan %s: %w", w.root, err)
	}
	for _, c := range w.cands {
		if c.reason != "" {
			w.skip(c.reason, c.rel)
			continue
		}
		w.res.Files = append(w.res.Files, codebase.File{Path: c.rel, Language: c.lang, Size: c.size, ModTime: c.mtime})
		w.res.FilesByLanguage[c.lang]++
		w.res.BytesByLanguage[c.lang] += c.size
	}
	return nil
}

// log writes one warning per skip reason, in a fixed order.
func (r *Result) log(ctx context.Context, logger *slog.Logger) {
	for _, reason := range sortedReasons(r.Skipped) {
		attrs := []any{"root", r.Root, "reason", reason, "count", r.Skipped[reason], "examples", r.Examples[reason]}
		if reason == codebase.SkipIgnored {
			attrs = append(attrs, "by_source", r.IgnoredBy)
		}
		logger.WarnContext(ctx, "scan_skipped", attrs...)
	}
}

// sortedReasons returns the reasons with a count, largest count first.
func sortedReasons(m map[string]int) []string {
	out := make([]string, 0, len(m))
	for k, n := range m {
		if n > 0 {
			out = append(out, k)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if m[out[i]] != m[out[j]] {
			return m[out[i]] > m[out[j]]
		}
		return out[i] < out[j]
	})
	return out
}

// cleanRel validates a path relative to a root: forward or OS slashes, no
// absolute path, no "..".
func cleanRel(rel string) (string, error) {
	if rel == "" {
		return "", apperr.Invalid("path", "is required")
	}
	slashed := filepath.ToSlash(rel)
	if path.IsAbs(slashed) || filepath.IsAbs(rel) {
		return "", apperr.Invalid("path", "must be relative to the repository root, got %q", rel)
	}
	c := path.Clean(slashed)
	if c == ".." || strings.HasPrefix(c, "../") {
		return "", apperr.Invalid("path", "%q leads outside the repository root", rel)
	}
	return c, nil
}
