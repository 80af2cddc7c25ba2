package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/mcp-memory/servers/internal/codebase"
	"github.com/mcp-memory/servers/internal/codebase/api"
	"github.com/mcp-memory/servers/internal/codebase/index"
	"github.com/mcp-memory/servers/internal/platform/launch"
)

// indexCommand runs `codebase-mcp index PATH`: the same job the
// background worker runs, in the foreground, with progress on stderr and
// a summary on stdout. A failed or cancelled job exits 1 with its message.
func indexCommand(ix *index.Service) launch.CommandFunc {
	return func(ctx context.Context, inv launch.Invocation) error {
		// The API takes absolute paths only; on the command line a path is
		// naturally relative to the working directory.
		path, err := filepath.Abs(inv.Args[0])
		if err != nil {
			return fmt.Errorf("resolve %s: %w", inv.Args[0], err)
		}
		req := index.Request{RepoPath: path, ProjectID: inv.Values.String("project"), Force: inv.Values.Bool("force")}
		asJSON := inv.Values.Bool("json")
		out := inv.Env.Stdout

		if inv.Values.Bool("dry-run") {
			req.DryRun = true
			st, err := ix.Start(ctx, req)
			if err != nil {
				return err
			}
			if asJSON {
				return printJSON(out, api.StartIndexingOut{Status: api.StatusDryRun, ProjectID: st.DryRun.ProjectID, DryRun: api.ToDryRunOut(st.DryRun)})
			}
			printDryRun(out, st.DryRun)
			return nil
		}

		// Start first, to know the job to follow; Index then claims that
		// job (a repository has one active job at a time).
		st, err := ix.Start(ctx, req)
		if err != nil {
			return err
		}
		var p *progress
		if !asJSON || isTerminal(inv.Env.Stderr) {
			p = newProgress(inv.Env.Stderr, isTerminal(inv.Env.Stderr), func() (index.Job, error) {
				pctx, cancel := context.WithTimeout(ctx, time.Second)
				defer cancel()
				return ix.Status(pctx, st.Job.ID)
			})
		}
		start := time.Now()
		update := func(index.Job) {}
		if p != nil {
			update = p.update
		}
		job, err := ix.Index(ctx, req, update)
		if p != nil {
			p.finish()
		}
		if err != nil && !(errors.Is(err, context.Canceled) && job.ID != "") {
			return err
		}
		if asJSON {
			if err := printJSON(out, api.ToJobOut(job)); err != nil {
				return err
			}
		} else {
			printSummary(out, job, time.Since(start))
		}
		switch job.Status {
		case codebase.JobCompleted:
			return nil
		case codebase.JobCancelled:
			return fmt.Errorf("index job %s cancelled: %s", job.ID, job.Message)
		}
		msg := job.Message
		if job.ErrorMessage != "" {
			msg = job.ErrorMessage
		}
		return fmt.Errorf("index job %s %s: %s", job.ID, job.Status, msg)
	}
}

// printSummary prints what a finished job did: files, chunks, skips by
// reason and seconds per phase.
func printSummary(w io.Writer, j index.Job, elapsed time.Duration) {
	fmt.Fprintf(w, "%s: %s in %s\n", j.RepoPath, j.Status, elapsed.Round(10*time.Millisecond))
	if j.Message != "" {
		fmt.Fprintf(w, "  %s\n", j.Message)
	}
	if j.ErrorMessage != "" && j.ErrorMessage != j.Message {
		fmt.Fprintf(w, "  error: %s\n", j.ErrorMessage)
	}
	fmt.Fprintf(w, "  project %s, repository %s, job %s\n", j.ProjectID, j.RepositoryID, j.ID)
	fmt.Fprintf(w, "  files:   %s of %s", commas(int64(j.FilesDone)), commas(int64(j.FilesTotal)))
	if len(j.FilesByLanguage) > 0 {
		fmt.Fprintf(w, " (%s)", countList(j.FilesByLanguage))
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "  chunks:  %s written", commas(int64(j.ChunksWritten)))
	if len(j.ChunksByLanguage) > 0 {
		fmt.Fprintf(w, "; indexed by language: %s", countList(j.ChunksByLanguage))
	}
	fmt.Fprintln(w)
	if len(j.Skipped) > 0 {
		fmt.Fprintf(w, "  skipped: %s\n", countList(j.Skipped))
	}
	if len(j.PhaseSeconds) > 0 {
		phases := make([]string, 0, len(j.PhaseSeconds))
		for ph := range j.PhaseSeconds {
			phases = append(phases, ph)
		}
		sort.Slice(phases, func(a, b int) bool { return j.PhaseSeconds[phases[a]] > j.PhaseSeconds[phases[b]] })
		parts := make([]string, len(phases))
		for i, ph := range phases {
			parts[i] = fmt.Sprintf("%s %.2fs", ph, j.PhaseSeconds[ph])
		}
		fmt.Fprintf(w, "  phases:  %s\n", strings.Join(parts, ", "))
	}
	if j.Commit != "" {
		fmt.Fprintf(w, "  commit:  %s\n", j.Commit)
	}
}

// printDryRun prints the scan summary as tables: files and bytes by
// language, skipped files by reason with example paths.
func printDryRun(w io.Writer, d *index.DryRun) {
	fmt.Fprintf(w, "Dry run of %s (project %s); nothing was written.\n%s.\n\n", d.RepoPath, d.ProjectID, d.Summary)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "language\tfiles\tbytes\t")
	for _, lang := range byCount(d.FilesByLanguage) {
		fmt.Fprintf(tw, "%s\t%s\t%s\t\n", lang, commas(int64(d.FilesByLanguage[lang])), size(d.BytesByLanguage[lang]))
	}
	fmt.Fprintf(tw, "total\t%s\t%s\t\n", commas(int64(d.Files)), size(d.Bytes))
	tw.Flush()
	if len(d.Skipped) > 0 {
		fmt.Fprintln(w)
		tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "skipped\tfiles\texamples")
		for _, reason := range byCount(d.Skipped) {
			fmt.Fprintf(tw, "%s\t%s\t%s\n", reason, commas(int64(d.Skipped[reason])), strings.Join(d.Examples[reason], ", "))
		}
		tw.Flush()
	}
	fmt.Fprintf(w, "\nestimated chunks: about %s", commas(int64(d.EstimatedChunks)))
	if d.Commit != "" {
		fmt.Fprintf(w, "; commit %s", d.Commit)
	}
	fmt.Fprintf(w, "; scanned in %s\n", d.Duration.Round(time.Millisecond))
}

// countList renders counts largest first: "go 120, python 3".
func countList(m map[string]int) string {
	keys := byCount(m)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s %s", k, commas(int64(m[k])))
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
