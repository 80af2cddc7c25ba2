// Package index is codebase-mcp's index service: it turns a repository
// into searchable chunks (scan → read and chunk → embed → store) in
// durable, resumable background jobs. Jobs live in PostgreSQL; a worker
// claims them with a lease, commits its work in batches (a crash loses at
// most one batch), pauses while the database is unreachable and resumes
// jobs whose worker died. Re-indexing touches only what changed.
package index

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/mcp-memory/servers/internal/apperr"
	"github.com/mcp-memory/servers/internal/codebase"
	"github.com/mcp-memory/servers/internal/codebase/pgstore"
)

// Config tunes the service. Zero fields take the defaults in their comments.
type Config struct {
	// MaxConcurrentJobs caps the jobs one Service runs at once (default 2).
	MaxConcurrentJobs int
	// AllowedRoots, when not empty, restricts indexing to directories
	// inside one of these absolute paths.
	AllowedRoots []string
	// MaxFileSize is the scanner's size cap in bytes (default 1 MiB).
	MaxFileSize int64
	// BatchFiles and BatchBytes bound one batch, the unit that is committed
	// in one transaction (defaults 1,000 files, 2 MiB: on the 10,000-file
	// benchmark 2 MiB costs the same CPU as 4 MiB with 40 % less peak RSS,
	// and the pipeline fills and drains faster; 1 MiB costs 4 % more CPU).
	BatchFiles int
	BatchBytes int64
	// EmbedBatch is the number of texts per Embedder.Embed call (default 256).
	EmbedBatch int
	// Workers is the number of files read and chunked in parallel
	// (default GOMAXPROCS).
	Workers int
	// Lease is how long a running job stays claimed without a heartbeat;
	// after that another worker takes it over (default 15 s). Heartbeats
	// run every Lease/5.
	Lease time.Duration
	// PollInterval is how often an idle worker looks for jobs created by
	// other processes (default 2 s); jobs created by this Service wake it at once.
	PollInterval time.Duration
	// FreshnessSample is how many indexed files list_repositories checks
	// on disk per repository (default 200).
	FreshnessSample int
	// BeforeComplete, when set, runs after a job's last write and before
	// it is marked completed (the search service loads its in-memory
	// lexicon, so searches right after "completed" run at full speed).
	// Its error is logged, not fatal.
	BeforeComplete func(ctx context.Context, projectID, repositoryID string) error
	// AfterIndex, when set, runs after each completed job (the search
	// service's training). Its error is logged, not fatal.
	AfterIndex func(ctx context.Context, projectID, repositoryID string) error
}

func (c *Config) setDefaults() {
	if c.MaxConcurrentJobs <= 0 {
		c.MaxConcurrentJobs = 2
	}
	if c.BatchFiles <= 0 {
		c.BatchFiles = 1000
	}
	if c.BatchBytes <= 0 {
		c.BatchBytes = 2 << 20
	}
	if c.EmbedBatch <= 0 {
		c.EmbedBatch = 256
	}
	if c.Workers <= 0 {
		c.Workers = runtime.GOMAXPROCS(0)
	}
	if c.Lease <= 0 {
		c.Lease = 15 * time.Second
	}
	if c.PollInterval <= 0 {
		c.PollInterval = 2 * time.Second
	}
	if c.FreshnessSample <= 0 {
		c.FreshnessSample = 200
	}
}

// Job is a durable index job as stored.
type Job = pgstore.Job

// Service runs index jobs and answers about them.
type Service struct {
	cfg      Config
	store    *pgstore.Store
	chunker  codebase.Chunker
	embedder codebase.Embedder
	log      *slog.Logger
	metrics  *metrics
	// owner identifies this Service in job leases.
	owner string
	// wake tells the worker loop that a job was created here.
	wake chan struct{}

	mu      sync.Mutex
	running map[string]context.CancelCauseFunc // job id -> cancel, for jobs run here
}

// New returns a service. reg may be nil (no metrics).
func New(cfg Config, store *pgstore.Store, chunker codebase.Chunker, embedder codebase.Embedder, logger *slog.Logger, reg prometheus.Registerer) *Service {
	cfg.setDefaults()
	host, _ := os.Hostname()
	var b [4]byte
	_, _ = rand.Read(b[:])
	return &Service{
		cfg:      cfg,
		store:    store,
		chunker:  chunker,
		embedder: embedder,
		log:      logger,
		metrics:  newMetrics(reg),
		owner:    fmt.Sprintf("%s:%d:%s", host, os.Getpid(), hex.EncodeToString(b[:])),
		wake:     make(chan struct{}, 1),
		running:  map[string]context.CancelCauseFunc{},
	}
}

// Request asks for an index of a repository.
type Request struct {
	// RepoPath is the absolute path of the repository's root directory.
	RepoPath string
	// ProjectID is the project to index into; empty means "default". A
	// new project is created by its first index.
	ProjectID string
	// Force re-reads, re-chunks and re-embeds every file.
	Force bool
	// DryRun scans only and writes nothing.
	DryRun bool
}

var projectIDPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

// ValidateProjectID checks a project id: 1 to 64 letters, digits, '.', '_'
// or '-', starting with a letter or digit.
func ValidateProjectID(id string) error {
	if !projectIDPattern.MatchString(id) {
		return apperr.Invalid("project_id", "must be 1 to 64 letters, digits, '.', '_' or '-' starting with a letter or digit, got %q", id)
	}
	return nil
}

// validate checks and normalises a request: the project id, and a
// repo_path that is absolute, exists, is a directory and lies inside the
// allowed roots.
func (s *Service) validate(req *Request) error {
	if req.ProjectID == "" {
		req.ProjectID = codebase.DefaultProject
	}
	if err := ValidateProjectID(req.ProjectID); err != nil {
		return err
	}
	if req.RepoPath == "" {
		return apperr.Invalid("repo_path", "is required")
	}
	if !filepath.IsAbs(req.RepoPath) {
		return apperr.Invalid("repo_path", "must be an absolute path, got %q", req.RepoPath)
	}
	req.RepoPath = filepath.Clean(req.RepoPath)
	fi, err := os.Stat(req.RepoPath)
	switch {
	case os.IsNotExist(err):
		return apperr.Invalid("repo_path", "%s does not exist", req.RepoPath)
	case err != nil:
		return apperr.Invalid("repo_path", "cannot access %s: %v", req.RepoPath, err)
	case !fi.IsDir():
		return apperr.Invalid("repo_path", "%s is not a directory", req.RepoPath)
	}
	if len(s.cfg.AllowedRoots) > 0 && !s.allowed(req.RepoPath) {
		return apperr.Invalid("repo_path", "%s is outside the allowed roots (%s); index a directory inside one of them or change --allowed-roots",
			req.RepoPath, strings.Join(s.cfg.AllowedRoots, ", "))
	}
	return nil
}

// allowed reports whether p lies inside an allowed root. Symlinks are
// resolved on both sides so a link cannot lead outside.
func (s *Service) allowed(p string) bool {
	real, err := filepath.EvalSymlinks(p)
	if err != nil {
		return false
	}
	for _, root := range s.cfg.AllowedRoots {
		r, err := filepath.EvalSymlinks(filepath.Clean(root))
		if err != nil {
			continue
		}
		rel, err := filepath.Rel(r, real)
		if err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
			return true
		}
	}
	return false
}

// settings are the embedder settings of this service.
func (s *Service) settings() pgstore.Settings {
	return pgstore.Settings{Embedder: s.embedder.Name(), Dimension: s.embedder.Dimension()}
}

// mismatchError turns a stored-embedder mismatch into the error users see,
// naming the two ways out.
func mismatchError(projectID, repoPath string, stored, have pgstore.Settings) error {
	provider, _, _ := strings.Cut(have.Embedder, ":")
	storedProvider, _, _ := strings.Cut(stored.Embedder, ":")
	return apperr.New(apperr.Validation,
		"project %q was indexed with embedder %s (%d dimensions) but this server uses %s (%d dimensions); "+
			"start the server with --embedder %s to keep the index, or re-embed the project with: "+
			"codebase-mcp index --force --embedder %s --project %s %s",
		projectID, stored.Embedder, stored.Dimension, have.Embedder, have.Dimension,
		storedProvider, provider, projectID, repoPath).WithDetails(map[string]any{
		"field": "embedder", "stored_embedder": stored.Embedder, "stored_dimension": stored.Dimension,
		"embedder": have.Embedder, "dimension": have.Dimension})
}
