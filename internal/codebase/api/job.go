package api

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/mcp-memory/servers/internal/codebase"
	"github.com/mcp-memory/servers/internal/codebase/index"
)

// StartIndexingIn is the input of start_indexing_background.
type StartIndexingIn struct {
	RepoPath     string `json:"repo_path" jsonschema:"Absolute path of the repository root (a directory)."`
	ProjectID    string `json:"project_id,omitempty" jsonschema:"Default: default. A new id creates the project."`
	ForceReindex bool   `json:"force_reindex,omitempty" jsonschema:"Re-read and re-embed all files."`
	DryRun       bool   `json:"dry_run,omitempty" jsonschema:"Only report what would be indexed."`
}

// StartIndexingOut answers start_indexing_background: the job, or for a
// dry run (status "dry_run") the scan summary.
type StartIndexingOut struct {
	JobID        string `json:"job_id,omitempty"`
	Status       string `json:"status"`
	ProjectID    string `json:"project_id"`
	RepositoryID string `json:"repository_id,omitempty"`
	// Created is false when the repository already had an active job,
	// which is returned instead of a new one.
	Created bool       `json:"created"`
	DryRun  *DryRunOut `json:"dry_run,omitempty"`
}

// StatusDryRun is the status of a dry-run answer: no job exists.
const StatusDryRun = "dry_run"

// DryRunOut is what an index would cover.
type DryRunOut struct {
	RepoPath        string              `json:"repo_path"`
	Summary         string              `json:"summary"`
	Files           int                 `json:"files"`
	Bytes           int64               `json:"bytes"`
	TotalFiles      int                 `json:"total_files"`
	FilesByLanguage map[string]int      `json:"files_by_language"`
	BytesByLanguage map[string]int64    `json:"bytes_by_language"`
	Skipped         map[string]int      `json:"skipped"`
	SkippedExamples map[string][]string `json:"skipped_examples"`
	EstimatedChunks int                 `json:"estimated_chunks"`
	Commit          string              `json:"commit,omitempty"`
}

// ToDryRunOut converts a dry-run summary (also used by the CLI's --json).
func ToDryRunOut(d *index.DryRun) *DryRunOut {
	return &DryRunOut{
		RepoPath: d.RepoPath, Summary: d.Summary, Files: d.Files, Bytes: d.Bytes, TotalFiles: d.Total,
		FilesByLanguage: nonNilMap(d.FilesByLanguage), BytesByLanguage: nonNilMap(d.BytesByLanguage),
		Skipped: nonNilMap(d.Skipped), SkippedExamples: nonNilMap(d.Examples),
		EstimatedChunks: d.EstimatedChunks, Commit: d.Commit,
	}
}

func startIndexing(s *Services) func(context.Context, StartIndexingIn) (StartIndexingOut, error) {
	return func(ctx context.Context, in StartIndexingIn) (StartIndexingOut, error) {
		st, err := s.Index.Start(ctx, index.Request{RepoPath: in.RepoPath, ProjectID: in.ProjectID,
			Force: in.ForceReindex, DryRun: in.DryRun})
		if err != nil {
			return StartIndexingOut{}, err
		}
		if st.DryRun != nil {
			return StartIndexingOut{Status: StatusDryRun, ProjectID: st.DryRun.ProjectID, DryRun: ToDryRunOut(st.DryRun)}, nil
		}
		j := st.Job
		return StartIndexingOut{JobID: j.ID, Status: j.Status, ProjectID: j.ProjectID, RepositoryID: j.RepositoryID, Created: st.Created}, nil
	}
}

func startIndexingText(o StartIndexingOut) string {
	if o.DryRun != nil {
		return dryRunText(o.DryRun)
	}
	var b strings.Builder
	if o.Created {
		fmt.Fprintf(&b, "Index job %s %s for repository %s in project %s.", o.JobID, o.Status, o.RepositoryID, o.ProjectID)
	} else {
		fmt.Fprintf(&b, "The repository already has an active job: %s (%s), project %s.", o.JobID, o.Status, o.ProjectID)
	}
	fmt.Fprintf(&b, "\nFollow it with get_indexing_status job_id=%s.", o.JobID)
	return b.String()
}

func dryRunText(d *DryRunOut) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Dry run of %s (nothing written): %s.\n", d.RepoPath, d.Summary)
	fmt.Fprintf(&b, "Would index %d files, %d bytes, about %d chunks.\n", d.Files, d.Bytes, d.EstimatedChunks)
	if len(d.FilesByLanguage) > 0 {
		b.WriteString("By language: " + counts(d.FilesByLanguage) + "\n")
	}
	for _, reason := range byCount(d.Skipped) {
		fmt.Fprintf(&b, "Skipped %s: %d", reason, d.Skipped[reason])
		if ex := d.SkippedExamples[reason]; len(ex) > 0 {
			fmt.Fprintf(&b, " (e.g. %s)", strings.Join(ex, ", "))
		}
		b.WriteString("\n")
	}
	return strings.TrimRight(b.String(), "\n")
}

// JobIn names a job.
type JobIn struct {
	JobID string `json:"job_id" jsonschema:"The job_id start_indexing_background returned."`
}

// JobOut is an index job as get_indexing_status and cancel_indexing
// answer it.
type JobOut struct {
	JobID            string         `json:"job_id"`
	ProjectID        string         `json:"project_id"`
	RepositoryID     string         `json:"repository_id"`
	RepoPath         string         `json:"repo_path"`
	Status           string         `json:"status"`
	Phase            string         `json:"phase"`
	FilesTotal       int            `json:"files_total"`
	FilesDone        int            `json:"files_done"`
	ChunksWritten    int            `json:"chunks_written"`
	ProgressPercent  float64        `json:"progress_percent"`
	ErrorMessage     string         `json:"error_message"`
	Message          string         `json:"message"`
	FilesByLanguage  map[string]int `json:"files_by_language"`
	ChunksByLanguage map[string]int `json:"chunks_by_language"`
	Skipped          map[string]int `json:"skipped"`
	Commit           string         `json:"commit"`
	CreatedAt        string         `json:"created_at"`
	StartedAt        *string        `json:"started_at"`
	CompletedAt      *string        `json:"completed_at"`
}

// ToJobOut converts a job (also used by the CLI's --json).
func ToJobOut(j index.Job) JobOut {
	return JobOut{
		JobID: j.ID, ProjectID: j.ProjectID, RepositoryID: j.RepositoryID, RepoPath: j.RepoPath,
		Status: j.Status, Phase: j.Phase, FilesTotal: j.FilesTotal, FilesDone: j.FilesDone,
		ChunksWritten: j.ChunksWritten, ProgressPercent: j.ProgressPercent,
		ErrorMessage: j.ErrorMessage, Message: j.Message,
		FilesByLanguage: nonNilMap(j.FilesByLanguage), ChunksByLanguage: nonNilMap(j.ChunksByLanguage),
		Skipped: nonNilMap(j.Skipped), Commit: j.Commit,
		CreatedAt: timestamp(j.CreatedAt), StartedAt: optTimestamp(j.StartedAt), CompletedAt: optTimestamp(j.CompletedAt),
	}
}

func jobStatus(s *Services) func(context.Context, JobIn) (JobOut, error) {
	return func(ctx context.Context, in JobIn) (JobOut, error) {
		j, err := s.Index.Status(ctx, in.JobID)
		if err != nil {
			return JobOut{}, err
		}
		return ToJobOut(j), nil
	}
}

// CancelOut answers cancel_indexing: the job as it is after the cancel
// (get_indexing_status has the rest).
type CancelOut struct {
	JobID      string `json:"job_id"`
	Status     string `json:"status"`
	FilesDone  int    `json:"files_done"`
	FilesTotal int    `json:"files_total"`
	Message    string `json:"message"`
}

func cancelJob(s *Services) func(context.Context, JobIn) (CancelOut, error) {
	return func(ctx context.Context, in JobIn) (CancelOut, error) {
		j, err := s.Index.Cancel(ctx, in.JobID)
		if err != nil {
			return CancelOut{}, err
		}
		return CancelOut{JobID: j.ID, Status: j.Status, FilesDone: j.FilesDone, FilesTotal: j.FilesTotal, Message: j.Message}, nil
	}
}

func cancelText(o CancelOut) string {
	s := fmt.Sprintf("Job %s: %s after %d of %d files.", o.JobID, o.Status, o.FilesDone, o.FilesTotal)
	if o.Message != "" {
		s += " " + o.Message
	}
	if o.Status == codebase.JobRunning || o.Status == codebase.JobPending {
		s += " It is still stopping: check get_indexing_status."
	}
	return s
}

// JobText renders a job for people and models: status, progress, counts
// and what to do next.
func JobText(o JobOut) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Job %s: %s", o.JobID, o.Status)
	if o.Phase != "" && (o.Status == codebase.JobRunning || o.Status == codebase.JobPending) {
		fmt.Fprintf(&b, ", phase %s", o.Phase)
	}
	fmt.Fprintf(&b, ", %d/%d files (%.0f%%), %d chunks written. Repository %s (%s), project %s.",
		o.FilesDone, o.FilesTotal, o.ProgressPercent, o.ChunksWritten, o.RepositoryID, o.RepoPath, o.ProjectID)
	if o.Message != "" {
		b.WriteString("\n" + o.Message)
	}
	if o.ErrorMessage != "" && o.ErrorMessage != o.Message {
		b.WriteString("\nError: " + o.ErrorMessage)
	}
	if len(o.ChunksByLanguage) > 0 {
		b.WriteString("\nChunks by language: " + counts(o.ChunksByLanguage))
	}
	if len(o.Skipped) > 0 {
		b.WriteString("\nSkipped: " + counts(o.Skipped))
	}
	if o.Commit != "" {
		b.WriteString("\nCommit: " + o.Commit)
	}
	if o.Status == codebase.JobRunning || o.Status == codebase.JobPending {
		b.WriteString("\nStill working: call get_indexing_status again later.")
	}
	return b.String()
}

// counts renders a count map largest first: "go 120, python 3".
func counts(m map[string]int) string {
	keys := byCount(m)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s %d", k, m[k])
	}
	return strings.Join(parts, ", ")
}

// byCount returns the keys of m, largest count first, ties by name.
func byCount(m map[string]int) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if m[keys[i]] != m[keys[j]] {
			return m[keys[i]] > m[keys[j]]
		}
		return keys[i] < keys[j]
	})
	return keys
}
