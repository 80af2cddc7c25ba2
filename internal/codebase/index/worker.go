package index

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/mcp-memory/servers/internal/apperr"
	"github.com/mcp-memory/servers/internal/codebase"
	"github.com/mcp-memory/servers/internal/codebase/pgstore"
)

// Causes of a job's context cancellation.
var (
	errCancelled = errors.New("index: job cancelled")
	errLeaseLost = errors.New("index: job taken over by another worker")
)

// Run is the background worker: it claims pending jobs (and running jobs
// whose worker stopped renewing its lease, e.g. before a restart) and runs
// up to MaxConcurrentJobs at once. While the database is unreachable it
// claims nothing and running jobs pause. It returns when ctx ends, after
// its jobs stopped; jobs interrupted that way stay running in the
// database and are resumed by the next worker once their lease expires.
func (s *Service) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	defer wg.Wait()
	free := make(chan struct{}, s.cfg.MaxConcurrentJobs)
	active := 0
	for {
		for active < s.cfg.MaxConcurrentJobs && s.store.Available() {
			job, ok, err := s.store.ClaimJob(ctx, s.owner, s.cfg.Lease, "")
			if err != nil {
				if ctx.Err() == nil && apperr.CodeOf(err) != apperr.Unavailable {
					s.log.ErrorContext(ctx, "index_claim_failed", "error", err.Error())
				}
				break
			}
			if !ok {
				break
			}
			active++
			wg.Add(1)
			go func() {
				defer wg.Done()
				s.execute(ctx, job, nil, false)
				free <- struct{}{}
			}()
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-free:
			active--
		case <-s.wake:
		case <-time.After(s.cfg.PollInterval):
		}
	}
}

// analyzeAfter is how many written chunks (or deleted files) make a job
// refresh the planner statistics before it completes (about 0.8 s for
// the 90,000-chunk benchmark project).
const analyzeAfter = 1000

// execute runs a claimed job to its end and records the outcome. sync is
// true for [Service.Index]: there, a cancelled ctx cancels the job, while
// for the worker it means shutdown and the job is left to be resumed.
func (s *Service) execute(parent context.Context, job Job, progress func(Job), sync bool) Job {
	ctx, cancel := context.WithCancelCause(parent)
	defer cancel(nil)
	s.mu.Lock()
	s.running[job.ID] = cancel
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.running, job.ID)
		s.mu.Unlock()
	}()
	hbDone := make(chan struct{})
	go s.heartbeat(ctx, job, cancel, hbDone)
	defer func() { cancel(nil); <-hbDone }()

	r := newRun(s, job, progress)
	out, err := r.pipeline(ctx)
	cause := context.Cause(ctx)
	finish := context.WithoutCancel(parent)
	switch {
	case err == nil:
		// out is complete (completed, or failed with the reason).
	case errors.Is(cause, errLeaseLost) || errors.Is(err, pgstore.ErrLeaseLost):
		s.log.WarnContext(parent, "indexing_interrupted", "context", r.logContext(map[string]any{
			"reason": "another worker took the job over"}))
		s.metrics.operations.WithLabelValues("interrupted").Inc()
		return job
	case errors.Is(cause, errCancelled) || (sync && parent.Err() != nil):
		out = r.outcome(codebase.JobCancelled, "cancelled", "")
		out.Message = fmt.Sprintf("cancelled after %d of %d files; the %d files committed before stay indexed",
			r.filesDone, r.filesTotal, r.filesDone-r.unchanged)
	case parent.Err() != nil:
		// Shutdown: leave the job running; it resumes after its lease.
		s.log.InfoContext(finish, "indexing_interrupted", "context", r.logContext(map[string]any{
			"reason": "server stopping; the job resumes after restart"}))
		s.metrics.operations.WithLabelValues("interrupted").Inc()
		return job
	default:
		out = r.outcome(codebase.JobFailed, "failed", apperr.MessageOf(err))
		if apperr.CodeOf(err) == apperr.Internal {
			out.ErrorMessage = err.Error()
		}
	}
	if out.Status == codebase.JobCompleted {
		pctx, pcancel := context.WithTimeout(finish, 2*time.Minute)
		if r.chunksWritten+r.deleted >= analyzeAfter {
			// Fresh planner statistics before "completed": searches right
			// after a large index would otherwise be planned for an empty
			// project until autovacuum analyzes the tables.
			if err := s.store.Analyze(pctx); err != nil {
				s.log.WarnContext(pctx, "analyze_failed", "error", err.Error(), "context", r.logContext(nil))
			}
		}
		if s.cfg.BeforeComplete != nil {
			if err := s.cfg.BeforeComplete(pctx, job.ProjectID, job.RepositoryID); err != nil {
				s.log.WarnContext(pctx, "before_complete_failed", "error", err.Error(), "context", r.logContext(nil))
			}
		}
		pcancel()
	}
	fctx, fcancel := context.WithTimeout(finish, 30*time.Second)
	defer fcancel()
	if out.Status != codebase.JobCompleted {
		// Counts must match the rows that stay; indexed_at and commit stay
		// those of the last completed job.
		_ = s.persist(fctx, func() error { return s.store.RecountRepository(fctx, job.ProjectID, job.RepositoryID) }, nil)
	}
	var final Job
	ferr := s.persist(fctx, func() error {
		var err error
		final, err = s.store.FinishJob(fctx, out)
		return err
	}, nil)
	if ferr != nil {
		s.log.ErrorContext(fctx, "index_job_finish_failed", "error", ferr.Error(), "context", r.logContext(nil))
		return job
	}
	r.report(finish, out, err)
	if progress != nil {
		progress(final)
	}
	if out.Status == codebase.JobCompleted && s.cfg.AfterIndex != nil {
		if err := s.cfg.AfterIndex(fctx, job.ProjectID, job.RepositoryID); err != nil {
			s.log.WarnContext(fctx, "after_index_failed", "error", err.Error(), "context", r.logContext(nil))
		}
	}
	return final
}

// heartbeat renews the job's lease every Lease/5 and cancels ctx when the
// job was cancelled elsewhere or taken over. Failures to reach the
// database are ignored: the pipeline pauses on its own and its next write
// checks the lease anyway.
func (s *Service) heartbeat(ctx context.Context, job Job, cancel context.CancelCauseFunc, done chan<- struct{}) {
	defer close(done)
	every := s.cfg.Lease / 5
	if every > time.Second {
		every = time.Second // cancellation must be seen within a second or so
	}
	for {
		select {
		case <-ctx.Done():
			return
		case <-time.After(every):
		}
		if !s.store.Available() {
			continue
		}
		cancelRequested, err := s.store.Heartbeat(ctx, job.ProjectID, job.ID, s.owner)
		switch {
		case errors.Is(err, pgstore.ErrLeaseLost):
			cancel(errLeaseLost)
			return
		case cancelRequested:
			cancel(errCancelled)
			return
		}
	}
}

// persist runs an idempotent database step. While the database is
// unreachable it waits for it (the job pauses; onOutage, if set, is told)
// and then runs the step again; other errors return at once.
func (s *Service) persist(ctx context.Context, step func() error, onOutage func()) error {
	busy := 0
	paused := time.Time{}
	for {
		err := step()
		if err == nil || apperr.CodeOf(err) != apperr.Unavailable || ctx.Err() != nil {
			if !paused.IsZero() && err == nil {
				s.log.InfoContext(ctx, "indexing_resumed", "context", map[string]any{
					"paused_seconds": time.Since(paused).Seconds()})
			}
			if ctx.Err() != nil && err != nil {
				return ctx.Err()
			}
			return err
		}
		if s.store.Available() {
			// Reachable but failing (timeouts, pool exhausted): a few retries.
			if busy++; busy > 10 {
				return err
			}
		} else if paused.IsZero() {
			paused = time.Now()
			if onOutage != nil {
				onOutage()
			}
			s.log.WarnContext(ctx, "indexing_paused", "error", err.Error(), "context", map[string]any{
				"reason": "database unreachable; the job continues when it is back"})
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(500 * time.Millisecond):
		}
	}
}
