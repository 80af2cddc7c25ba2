package index

import (
	"context"
	"errors"
	"time"

	"github.com/mcp-memory/servers/internal/apperr"
	"github.com/mcp-memory/servers/internal/codebase/pgstore"
	"github.com/mcp-memory/servers/internal/codebase/scan"
)

// DryRun is what an index would cover; nothing was written to find out.
type DryRun struct {
	RepoPath        string
	ProjectID       string
	Files           int
	Bytes           int64
	FilesByLanguage map[string]int
	BytesByLanguage map[string]int64
	// Skipped counts skipped entries by reason; Examples holds up to 5
	// paths per reason.
	Skipped         map[string]int
	Examples        map[string][]string
	Total           int
	EstimatedChunks int
	Commit          string
	// Summary is one line, e.g. "120 of 12,000 files indexable: ...".
	Summary  string
	Duration time.Duration
}

// Started is the answer of [Service.Start]: a job, or a dry-run summary.
type Started struct {
	Job Job
	// Created is false when the repository already had an active job,
	// which is returned instead of a new one.
	Created bool
	// DryRun is set (and Job empty) for a dry run.
	DryRun *DryRun
}

// Start validates req and, for a dry run, scans the repository and
// returns its summary without writing anything. Otherwise it creates a
// pending job (creating the project and repository when new) and returns
// it at once; the worker ([Service.Run]) runs it. A repository has at most
// one active job: a second request returns the first. Returns
// VALIDATION_ERROR for a bad request or an embedder that differs from the
// one the project was indexed with (unless Force).
func (s *Service) Start(ctx context.Context, req Request) (Started, error) {
	if err := s.validate(&req); err != nil {
		return Started{}, err
	}
	if req.DryRun {
		d, err := s.dryRun(ctx, req)
		return Started{DryRun: d}, err
	}
	job, created, err := s.store.CreateJob(ctx, pgstore.NewJob{
		ProjectID: req.ProjectID, RepoPath: req.RepoPath, Force: req.Force, Settings: s.settings(),
	})
	var mismatch *pgstore.EmbedderMismatchError
	if errors.As(err, &mismatch) {
		return Started{}, mismatchError(req.ProjectID, req.RepoPath, mismatch.Stored, mismatch.Requested)
	}
	if err != nil {
		return Started{}, err
	}
	if created {
		select {
		case s.wake <- struct{}{}:
		default:
		}
	}
	return Started{Job: job, Created: created}, nil
}

func (s *Service) dryRun(ctx context.Context, req Request) (*DryRun, error) {
	start := time.Now()
	res, err := scan.Scan(ctx, req.RepoPath, scan.Options{MaxFileSize: s.cfg.MaxFileSize})
	if err != nil {
		return nil, err
	}
	d := &DryRun{
		RepoPath: req.RepoPath, ProjectID: req.ProjectID, Files: len(res.Files),
		FilesByLanguage: res.FilesByLanguage, BytesByLanguage: res.BytesByLanguage,
		Skipped: res.Skipped, Examples: res.Examples, Total: res.Total,
		EstimatedChunks: res.EstimatedChunks(), Commit: res.Commit, Summary: res.Describe(),
	}
	for _, b := range res.BytesByLanguage {
		d.Bytes += b
	}
	d.Duration = time.Since(start)
	return d, nil
}

// Status returns a job by id. Returns VALIDATION_ERROR for an id that is
// not a UUID and NOT_FOUND for an unknown job.
func (s *Service) Status(ctx context.Context, jobID string) (Job, error) {
	return s.store.Job(ctx, jobID)
}

// cancelWait is how long Cancel waits for a running job to stop.
const cancelWait = 5 * time.Second

// Cancel cancels a job. A pending job (or one whose worker is gone) is
// cancelled at once; a running job stops at its next step (within a few
// seconds: the batch in progress is rolled back, committed batches stay,
// so the index is consistent). Cancel waits up to 5 s for that and
// returns the job as it then is. A finished job is returned unchanged.
// Returns VALIDATION_ERROR for a bad id and NOT_FOUND for an unknown job.
func (s *Service) Cancel(ctx context.Context, jobID string) (Job, error) {
	job, err := s.store.CancelJob(ctx, jobID, s.cfg.Lease)
	if err != nil || !job.Active() {
		return job, err
	}
	s.mu.Lock()
	if cancel, ok := s.running[jobID]; ok {
		cancel(errCancelled)
	}
	s.mu.Unlock()
	deadline := time.Now().Add(cancelWait)
	for job.Active() && time.Now().Before(deadline) {
		select {
		case <-ctx.Done():
			return job, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
		if job, err = s.store.Job(ctx, jobID); err != nil {
			return job, err
		}
	}
	return job, nil
}

// Index runs an index to the end in the calling goroutine, for the CLI:
// it creates the job like [Service.Start] and runs it with the same code
// as the worker, calling progress after each batch. When another process
// already runs the repository's job, Index follows that job instead and
// reports its progress. Cancelling ctx cancels the job. The returned job
// is final; a failed or cancelled job is not an error (read its Status).
func (s *Service) Index(ctx context.Context, req Request, progress func(Job)) (Job, error) {
	if req.DryRun {
		return Job{}, apperr.Invalid("dry_run", "Index runs a real index; use Start for a dry run")
	}
	st, err := s.Start(ctx, req)
	if err != nil {
		return Job{}, err
	}
	for {
		job, ok, err := s.store.ClaimJob(ctx, s.owner, s.cfg.Lease, st.Job.ID)
		if err != nil {
			return Job{}, err
		}
		if ok {
			return s.execute(ctx, job, progress, true), nil
		}
		// Someone else runs it: follow until it ends (or its lease expires
		// and we can claim it).
		job, err = s.store.Job(ctx, st.Job.ID)
		if err != nil {
			return Job{}, err
		}
		if progress != nil {
			progress(job)
		}
		if !job.Active() {
			return job, nil
		}
		select {
		case <-ctx.Done():
			j, _ := s.store.CancelJob(context.WithoutCancel(ctx), st.Job.ID, s.cfg.Lease)
			return j, ctx.Err()
		case <-time.After(500 * time.Millisecond):
		}
	}
}
