package search

import (
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/mcp-memory/servers/internal/apperr"
	"github.com/mcp-memory/servers/internal/codebase"
)

// Limits of a query.
const (
	DefaultLimit   = 10
	MaxLimit       = 50
	MaxQueryLength = 2000
	// MinMaxTokens is the smallest accepted token budget: one result's
	// metadata and a few lines.
	MinMaxTokens = 50
)

// Query is one search request.
type Query struct {
	// Text is the query: words, identifiers or both.
	Text string
	// Limit is the number of results, 1..50 (0 means 10).
	Limit int
	// ProjectID scopes the search (empty means [codebase.DefaultProject]).
	ProjectID string
	// RepositoryID restricts results to one repository of the project.
	RepositoryID string
	// FileType restricts results to files with this extension, with or
	// without the dot, case-insensitive ("go", ".PY").
	FileType string
	// Directory restricts results to files under this path prefix, on a
	// "/" boundary; "*" matches within one path segment, "**" across
	// segments.
	Directory string
	// Language restricts results to one detected language.
	Language string
	// MinSimilarity drops results whose similarity score is below it (0..1).
	MinSimilarity float64
	// MaxTokens, when positive, caps the estimated size of the results
	// (4 characters per token); content beyond it is trimmed and marked.
	MaxTokens int
}

// Filter is the validated, normalised form of a query's filters, as the
// store applies them.
type Filter struct {
	ProjectID    string
	RepositoryID string
	// Extension is lower case without the dot ("go"); empty for none.
	Extension string
	// DirLike is a LIKE pattern (backslash escapes) for a plain directory
	// prefix, e.g. `internal/codebase/%`; empty for none.
	DirLike string
	// DirRegex is a POSIX regular expression for a directory glob, anchored
	// at the start of the path; empty for none.
	DirRegex string
	// Language is lower case; empty for none.
	Language string
}

var uuidRE = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

var extRE = regexp.MustCompile(`^[A-Za-z0-9_+-]{1,20}$`)

var languageRE = regexp.MustCompile(`^[A-Za-z0-9_+#-]{1,40}$`)

// normalize validates q and returns it with defaults applied and its
// filter. Errors are VALIDATION_ERROR naming the field.
func normalize(q Query) (Query, Filter, error) {
	q.Text = strings.TrimSpace(q.Text)
	if q.Text == "" {
		return q, Filter{}, apperr.Invalid("query", "must not be empty")
	}
	if !utf8.ValidString(q.Text) {
		return q, Filter{}, apperr.Invalid("query", "must be valid UTF-8")
	}
	if len(q.Text) > MaxQueryLength {
		return q, Filter{}, apperr.Invalid("query", "is %d bytes long; at most %d are allowed", len(q.Text), MaxQueryLength)
	}
	if q.Limit == 0 {
		q.Limit = DefaultLimit
	}
	if q.Limit < 1 || q.Limit > MaxLimit {
		return q, Filter{}, apperr.Invalid("limit", "must be between 1 and %d, got %d", MaxLimit, q.Limit)
	}
	if q.MinSimilarity < 0 || q.MinSimilarity > 1 || q.MinSimilarity != q.MinSimilarity {
		return q, Filter{}, apperr.Invalid("min_similarity", "must be between 0 and 1")
	}
	if q.MaxTokens < 0 || (q.MaxTokens > 0 && q.MaxTokens < MinMaxTokens) {
		return q, Filter{}, apperr.Invalid("max_tokens", "must be 0 (no budget) or at least %d, got %d", MinMaxTokens, q.MaxTokens)
	}
	q.ProjectID = strings.TrimSpace(q.ProjectID)
	if q.ProjectID == "" {
		q.ProjectID = codebase.DefaultProject
	}
	f := Filter{ProjectID: q.ProjectID}
	if r := strings.TrimSpace(q.RepositoryID); r != "" {
		if !uuidRE.MatchString(r) {
			return q, Filter{}, apperr.Invalid("repository_id", "must be a UUID, got %q", r)
		}
		f.RepositoryID = strings.ToLower(r)
	}
	if ext := strings.TrimPrefix(strings.TrimSpace(q.FileType), "."); ext != "" {
		if !extRE.MatchString(ext) {
			return q, Filter{}, apperr.Invalid("file_type", "must be a file extension such as \"go\" or \".py\", got %q", q.FileType)
		}
		f.Extension = strings.ToLower(ext)
	}
	if l := strings.TrimSpace(q.Language); l != "" {
		if !languageRE.MatchString(l) {
			return q, Filter{}, apperr.Invalid("language", "must be a language name such as \"go\", got %q", q.Language)
		}
		f.Language = strings.ToLower(l)
	}
	var err error
	f.DirLike, f.DirRegex, err = directoryPattern(q.Directory)
	if err != nil {
		return q, Filter{}, err
	}
	return q, f, nil
}

// directoryPattern turns a directory filter into a LIKE prefix pattern
// (plain paths, so the btree on file_path can serve it) or an anchored
// regular expression (globs). Both match only whole path segments: "src"
// matches "src/a.go" but not "srcx/a.go".
func directoryPattern(dir string) (like, re string, err error) {
	d := strings.TrimSpace(dir)
	d = strings.ReplaceAll(d, "\\", "/")
	for strings.HasPrefix(d, "./") {
		d = d[2:]
	}
	d = strings.Trim(d, "/")
	if d == "" || d == "." || d == "**" {
		return "", "", nil
	}
	for _, seg := range strings.Split(d, "/") {
		if seg == ".." {
			return "", "", apperr.Invalid("directory", "must be a path inside the repository, got %q", dir)
		}
		if seg == "" {
			return "", "", apperr.Invalid("directory", "has an empty path segment: %q", dir)
		}
	}
	if !strings.Contains(d, "*") {
		r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
		return r.Replace(d) + "/%", "", nil
	}
	var b strings.Builder
	b.WriteString("^")
	for i := 0; i < len(d); i++ {
		switch c := d[i]; {
		case c == '*' && i+1 < len(d) && d[i+1] == '*':
			b.WriteString(".*")
			i++
		case c == '*':
			b.WriteString("[^/]*")
		default:
			b.WriteString(regexp.QuoteMeta(string(c)))
		}
	}
	b.WriteString("/")
	return "", b.String(), nil
}
