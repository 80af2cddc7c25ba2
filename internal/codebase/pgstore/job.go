package pgstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/mcp-memory/servers/internal/apperr"
	"github.com/mcp-memory/servers/internal/codebase"
)

// Job is a durable index job.
type Job struct {
	ID              string
	ProjectID       string
	RepositoryID    string
	RepoPath        string
	Status          string // codebase.Job*
	Phase           string
	Force           bool
	FilesTotal      int
	FilesDone       int
	ChunksWritten   int
	ProgressPercent float64
	ErrorMessage    string
	// Message summarises the outcome for people ("3 files changed, ...").
	Message          string
	FilesByLanguage  map[string]int
	ChunksByLanguage map[string]int
	Skipped          map[string]int
	Commit           string
	PhaseSeconds     map[string]float64
	CancelRequested  bool
	Attempts         int
	CreatedAt        time.Time
	StartedAt        *time.Time
	CompletedAt      *time.Time
	HeartbeatAt      *time.Time
}

// Active reports whether the job is pending or running.
func (j Job) Active() bool {
	return j.Status == codebase.JobPending || j.Status == codebase.JobRunning
}

const jobColumns = `project_id, job_id::text, repository_id::text, repo_path, status, phase, force,
	files_total, files_done, chunks_written, progress_percent, error_message, message,
	files_by_language, chunks_by_language, skipped, commit, phase_seconds, cancel_requested,
	attempts, created_at, started_at, completed_at, heartbeat_at`

func scanJob(row pgx.CollectableRow) (Job, error) {
	var j Job
	var pct float32
	err := row.Scan(&j.ProjectID, &j.ID, &j.RepositoryID, &j.RepoPath, &j.Status, &j.Phase, &j.Force,
		&j.FilesTotal, &j.FilesDone, &j.ChunksWritten, &pct, &j.ErrorMessage, &j.Message,
		&j.FilesByLanguage, &j.ChunksByLanguage, &j.Skipped, &j.Commit, &j.PhaseSeconds, &j.CancelRequested,
		&j.Attempts, &j.CreatedAt, &j.StartedAt, &j.CompletedAt, &j.HeartbeatAt)
	j.ProgressPercent = float64(pct)
	return j, err
}

// NewJob is a request for an index job.
type NewJob struct {
	ProjectID string
	// RepoPath is the absolute, cleaned repository root.
	RepoPath string
	Force    bool
	// Settings is the embedder of the server that will run the job.
	Settings Settings
}

// EmbedderMismatchError is returned by [Store.CreateJob] when the project
// was indexed with another embedder and the request is not forced.
type EmbedderMismatchError struct {
	ProjectID string
	Stored    Settings
	Requested Settings
}

func (e *EmbedderMismatchError) Error() string {
	return fmt.Sprintf("project %s was indexed with embedder %s (%d dimensions), not %s (%d)",
		e.ProjectID, e.Stored.Embedder, e.Stored.Dimension, e.Requested.Embedder, e.Requested.Dimension)
}

// CreateJob creates the project (if new), the repository (if new) and a
// pending job, in one transaction. When the repository already has an
// active job, that job is returned with created false and nothing changes.
// The project's embedder settings are recorded on its first job; a
// different embedder is refused with *EmbedderMismatchError unless
// Force, which records the new embedder and clears every embedding of the
// project so that jobs re-embed them.
func (s *Store) CreateJob(ctx context.Context, nj NewJob) (job Job, created bool, err error) {
	const repoQ = `
INSERT INTO repositories (project_id, repository_id, path) VALUES ($1, $2, $3)
ON CONFLICT (project_id, path) DO UPDATE SET path = excluded.path
RETURNING repository_id::text`
	const jobQ = `
INSERT INTO index_jobs (project_id, job_id, repository_id, repo_path, force) VALUES ($1, $2, $3, $4, $5)
ON CONFLICT (project_id, repository_id) WHERE status IN ('pending', 'running') DO NOTHING
RETURNING ` + jobColumns
	const activeQ = `SELECT ` + jobColumns + ` FROM index_jobs
WHERE project_id = $1 AND repository_id = $2 AND status IN ('pending', 'running')`
	err = s.tx(ctx, "create_index_job", func(ctx context.Context, tx pgx.Tx) error {
		created = false
		if err := ensureProject(ctx, tx, nj.ProjectID); err != nil {
			return err
		}
		var repoID string
		if err := tx.QueryRow(ctx, repoQ, nj.ProjectID, uuid.New(), nj.RepoPath).Scan(&repoID); err != nil {
			return err
		}
		// An active job answers the request, whatever its options.
		rows, err := tx.Query(ctx, activeQ, nj.ProjectID, repoID)
		if err != nil {
			return err
		}
		job, err = pgx.CollectExactlyOneRow(rows, scanJob)
		if err == nil {
			return nil
		}
		if !errors.Is(err, pgx.ErrNoRows) {
			return err
		}
		st, ok, err := settingsForUpdate(ctx, tx, nj.ProjectID)
		if err != nil {
			return err
		}
		switch {
		case !ok:
			if err := replaceSettings(ctx, tx, nj.ProjectID, nj.Settings, false); err != nil {
				return err
			}
		case st != nj.Settings && !nj.Force:
			return &EmbedderMismatchError{ProjectID: nj.ProjectID, Stored: st, Requested: nj.Settings}
		case st != nj.Settings:
			if err := replaceSettings(ctx, tx, nj.ProjectID, nj.Settings, true); err != nil {
				return err
			}
		}
		rows, err = tx.Query(ctx, jobQ, nj.ProjectID, uuid.New(), repoID, nj.RepoPath, nj.Force)
		if err != nil {
			return err
		}
		job, err = pgx.CollectExactlyOneRow(rows, scanJob)
		if errors.Is(err, pgx.ErrNoRows) {
			// A concurrent request created the job after our check; the
			// unique index kept it single. Answer with that one.
			rows, err = tx.Query(ctx, activeQ, nj.ProjectID, repoID)
			if err != nil {
				return err
			}
			job, err = pgx.CollectExactlyOneRow(rows, scanJob)
			return err
		}
		created = err == nil
		return err
	})
	var mismatch *EmbedderMismatchError
	if errors.As(err, &mismatch) {
		return Job{}, false, err
	}
	return job, created, mapErr(err, "index job")
}

// Job returns a job by id, in any project. Returns NOT_FOUND when it does
// not exist.
func (s *Store) Job(ctx context.Context, jobID string) (Job, error) {
	if _, err := uuid.Parse(jobID); err != nil {
		return Job{}, apperr.Invalid("job_id", "must be a UUID, got %q", jobID)
	}
	q := `SELECT ` + jobColumns + ` FROM index_jobs WHERE job_id = $1`
	var j Job
	err := s.do(ctx, "get_index_job", func(ctx context.Context, c *pgxpool.Conn) error {
		rows, err := c.Query(ctx, q, jobID)
		if err != nil {
			return err
		}
		j, err = pgx.CollectExactlyOneRow(rows, scanJob)
		return err
	})
	if errors.Is(err, pgx.ErrNoRows) {
		return Job{}, apperr.New(apperr.NotFound, "index job %s not found", jobID)
	}
	return j, mapErr(err, "index job")
}

// ClaimJob takes the oldest pending job, or a running job whose worker
// stopped renewing its lease (heartbeat older than lease), for owner.
// Concurrent workers never claim the same job (FOR UPDATE SKIP LOCKED).
// ok is false when there is nothing to do. When jobID is not empty only
// that job is considered. A job owner runs already is never claimed again
// by owner, even when a database outage let its lease expire.
func (s *Store) ClaimJob(ctx context.Context, owner string, lease time.Duration, jobID string) (job Job, ok bool, err error) {
	q := `
UPDATE index_jobs j SET status = 'running', lease_owner = $1, heartbeat_at = now(),
	started_at = coalesce(j.started_at, now()), attempts = j.attempts + 1, phase = 'starting'
FROM (
	SELECT project_id, job_id FROM index_jobs
	WHERE (status = 'pending'
			OR (status = 'running' AND heartbeat_at < now() - $2::interval AND lease_owner <> $1))
		AND ($3::uuid IS NULL OR job_id = $3::uuid)
	ORDER BY created_at
	LIMIT 1
	FOR UPDATE SKIP LOCKED
) c
WHERE j.project_id = c.project_id AND j.job_id = c.job_id
RETURNING ` + prefixed("j.", jobColumns)
	var id any
	if jobID != "" {
		id = jobID
	}
	err = s.do(ctx, "claim_index_job", func(ctx context.Context, c *pgxpool.Conn) error {
		rows, err := c.Query(ctx, q, owner, lease, id)
		if err != nil {
			return err
		}
		job, err = pgx.CollectExactlyOneRow(rows, scanJob)
		return err
	})
	if errors.Is(err, pgx.ErrNoRows) {
		return Job{}, false, nil
	}
	if err != nil {
		return Job{}, false, mapErr(err, "index job")
	}
	return job, true, nil
}

// prefixed qualifies each column of a comma-separated list with p.
func prefixed(p, cols string) string {
	out := make([]byte, 0, len(cols)*2)
	start := true
	for i := 0; i < len(cols); i++ {
		ch := cols[i]
		if start && ch != ' ' && ch != '\n' && ch != '\t' {
			out = append(out, p...)
			start = false
		}
		if ch == ',' {
			start = true
		}
		out = append(out, ch)
	}
	return string(out)
}

// Heartbeat renews owner's lease on a running job and reports whether
// someone asked to cancel it. Returns [ErrLeaseLost] when the job is no
// longer owner's.
func (s *Store) Heartbeat(ctx context.Context, projectID, jobID, owner string) (cancelRequested bool, err error) {
	const q = `
UPDATE index_jobs SET heartbeat_at = now()
WHERE project_id = $1 AND job_id = $2 AND lease_owner = $3 AND status = 'running'
RETURNING cancel_requested`
	err = s.do(ctx, "index_job_heartbeat", func(ctx context.Context, c *pgxpool.Conn) error {
		return c.QueryRow(ctx, q, projectID, jobID, owner).Scan(&cancelRequested)
	})
	if errors.Is(err, pgx.ErrNoRows) {
		return false, ErrLeaseLost
	}
	return cancelRequested, mapErr(err, "index job")
}

// Progress is a job's progress, written with each batch.
type Progress struct {
	ProjectID, JobID, Owner string
	Phase                   string
	FilesTotal, FilesDone   int
	ChunksWritten           int
	ProgressPercent         float64
}

// UpdateProgress writes progress outside a batch (phase changes) and
// reports a cancel request. Returns [ErrLeaseLost] when the job is no
// longer owner's.
func (s *Store) UpdateProgress(ctx context.Context, p Progress) (cancelRequested bool, err error) {
	err = s.do(ctx, "index_job_progress", func(ctx context.Context, c *pgxpool.Conn) error {
		var err error
		cancelRequested, err = updateProgress(ctx, c, p)
		return err
	})
	if errors.Is(err, ErrLeaseLost) {
		return false, err
	}
	return cancelRequested, mapErr(err, "index job")
}

type querier interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

func updateProgress(ctx context.Context, q querier, p Progress) (bool, error) {
	const sql = `
UPDATE index_jobs SET phase = $4, files_total = $5, files_done = $6, chunks_written = $7,
	progress_percent = $8, heartbeat_at = now()
WHERE project_id = $1 AND job_id = $2 AND lease_owner = $3 AND status = 'running'
RETURNING cancel_requested`
	var cancel bool
	err := q.QueryRow(ctx, sql, p.ProjectID, p.JobID, p.Owner, p.Phase, p.FilesTotal, p.FilesDone,
		p.ChunksWritten, p.ProgressPercent).Scan(&cancel)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, ErrLeaseLost
	}
	return cancel, err
}

// Outcome is how a job ended.
type Outcome struct {
	ProjectID, JobID, Owner string
	Status                  string // completed, failed or cancelled
	Phase                   string
	ErrorMessage            string
	Message                 string
	FilesTotal, FilesDone   int
	ChunksWritten           int
	FilesByLanguage         map[string]int
	ChunksByLanguage        map[string]int
	Skipped                 map[string]int
	Commit                  string
	PhaseSeconds            map[string]float64
}

// FinishJob records how owner's job ended. Returns [ErrLeaseLost] when
// the job is no longer owner's.
func (s *Store) FinishJob(ctx context.Context, o Outcome) (Job, error) {
	q := `
UPDATE index_jobs SET status = $4, phase = $5, error_message = $6, message = $7,
	files_total = $8, files_done = $9, chunks_written = $10,
	progress_percent = CASE WHEN $4 = 'completed' THEN 100 ELSE progress_percent END,
	files_by_language = $11, chunks_by_language = $12, skipped = $13, commit = $14,
	phase_seconds = $15, completed_at = now(), heartbeat_at = now()
WHERE project_id = $1 AND job_id = $2 AND lease_owner = $3 AND status = 'running'
RETURNING ` + jobColumns
	var j Job
	err := s.do(ctx, "finish_index_job", func(ctx context.Context, c *pgxpool.Conn) error {
		rows, err := c.Query(ctx, q, o.ProjectID, o.JobID, o.Owner, o.Status, o.Phase, o.ErrorMessage, o.Message,
			o.FilesTotal, o.FilesDone, o.ChunksWritten, o.FilesByLanguage, o.ChunksByLanguage, o.Skipped,
			o.Commit, o.PhaseSeconds)
		if err != nil {
			return err
		}
		j, err = pgx.CollectExactlyOneRow(rows, scanJob)
		return err
	})
	if errors.Is(err, pgx.ErrNoRows) {
		return Job{}, ErrLeaseLost
	}
	return j, mapErr(err, "index job")
}

// CancelJob cancels a job: a pending job, or a running one whose worker
// is gone (lease expired), is cancelled at once; a running job gets
// cancel_requested, which its worker sees within a heartbeat. A finished
// job is returned unchanged. Returns NOT_FOUND for an unknown job.
func (s *Store) CancelJob(ctx context.Context, jobID string, lease time.Duration) (Job, error) {
	if _, err := uuid.Parse(jobID); err != nil {
		return Job{}, apperr.Invalid("job_id", "must be a UUID, got %q", jobID)
	}
	q := `
UPDATE index_jobs SET
	status = CASE WHEN status = 'pending' OR heartbeat_at < now() - $2::interval THEN 'cancelled' ELSE status END,
	completed_at = CASE WHEN status = 'pending' OR heartbeat_at < now() - $2::interval THEN now() END,
	phase = CASE WHEN status = 'pending' OR heartbeat_at < now() - $2::interval THEN 'cancelled' ELSE phase END,
	message = CASE WHEN status = 'pending' THEN 'cancelled before it started'
		WHEN heartbeat_at < now() - $2::interval THEN 'cancelled; its worker had stopped, batches it committed stay in the index'
		ELSE message END,
	cancel_requested = true
WHERE job_id = $1 AND status IN ('pending', 'running')
RETURNING ` + jobColumns
	var j Job
	err := s.do(ctx, "cancel_index_job", func(ctx context.Context, c *pgxpool.Conn) error {
		rows, err := c.Query(ctx, q, jobID, lease)
		if err != nil {
			return err
		}
		j, err = pgx.CollectExactlyOneRow(rows, scanJob)
		return err
	})
	if errors.Is(err, pgx.ErrNoRows) {
		return s.Job(ctx, jobID)
	}
	return j, mapErr(err, "index job")
}
