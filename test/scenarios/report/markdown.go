package report

import (
	"bytes"
	"fmt"
	"sort"
	"strings"

	"github.com/mcp-memory/servers/test/scenarios/perf"
)

func bytesReader(b []byte) *bytes.Reader { return bytes.NewReader(b) }

// maxStepsShown bounds the failed steps the summary lists per scenario,
// so it fits one screen.
const maxStepsShown = 4

// Summary is the one-screen table printed at the end of a run.
func (r *Report) Summary() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%-44s %-6s %9s  %s\n", "SCENARIO / STEP", "RESULT", "TIME", "NOTE")
	for _, t := range r.Tests {
		fmt.Fprintf(&b, "%-44s %-6s %8.1fs  %s\n", t.Name, strings.ToUpper(t.Status), t.Elapsed, note(t))
		shown, hidden := 0, 0
		for _, s := range t.Steps {
			if s.Status == "pass" {
				continue
			}
			if shown == maxStepsShown {
				hidden++
				continue
			}
			shown++
			fmt.Fprintf(&b, "  %-42s %-6s %8.1fs  %s\n", clip(strings.TrimPrefix(s.Name, t.Name+"/"), 42), strings.ToUpper(s.Status), s.Elapsed, note(s))
		}
		if hidden > 0 {
			fmt.Fprintf(&b, "  ... and %d more failed steps (report.md lists them)\n", hidden)
		}
	}
	if n := perf.Regressions(r.Comparison); n > 0 {
		fmt.Fprintf(&b, "\n%d regression(s) against %s\n", n, r.Baseline)
	}
	if r.Load != nil {
		fmt.Fprintf(&b, "\nload (%s): %d requests, %.2f%% errors, p95 %.0f ms, p99 %.0f ms\n", r.Load.Profile, r.Load.Total.Requests,
			r.Load.Total.ErrorRate*100, r.Load.Total.P95, r.Load.Total.P99)
	}
	return b.String()
}

func note(t Test) string {
	if len(t.Failures) == 0 {
		return ""
	}
	return clip(strings.Join(strings.Fields(t.Failures[0]), " "), 90)
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n-1] + "…"
}

// Markdown renders the report as Markdown.
func (r *Report) Markdown() string {
	var b strings.Builder
	verdict := "PASSED"
	if !r.Passed {
		verdict = "FAILED"
	}
	fmt.Fprintf(&b, "# Validation report: %s\n\n", verdict)
	fmt.Fprintf(&b, "- machine: %s\n- profile: %s\n- commit: %s\n- started: %s, took %.0f s\n\n", r.Machine, r.Profile, r.GitCommit,
		r.Started.Format("2006-01-02 15:04:05 MST"), r.Elapsed)
	b.WriteString("## Scenarios\n\n| scenario / step | result | seconds | first failure |\n|---|---|---|---|\n")
	for _, t := range r.Tests {
		fmt.Fprintf(&b, "| **%s** | %s | %.1f | %s |\n", t.Name, t.Status, t.Elapsed, mdCell(note(t)))
		for _, s := range t.Steps {
			fmt.Fprintf(&b, "| &nbsp;&nbsp;%s | %s | %.1f | %s |\n", strings.TrimPrefix(s.Name, t.Name+"/"), s.Status, s.Elapsed, mdCell(note(s)))
		}
	}
	b.WriteString("\n## Performance records (ms)\n\n| server | operation | n | p50 | p95 | p99 | mean | min | max | CV | target p95 | pass |\n|---|---|---|---|---|---|---|---|---|---|---|---|\n")
	for _, x := range r.Records {
		fmt.Fprintf(&b, "| %s | %s | %d | %.2f | %.2f | %.2f | %.2f | %.2f | %.2f | %.3f | %s | %v |\n", x.Server, x.Operation, x.Samples,
			x.P50, x.P95, x.P99, x.Mean, x.Min, x.Max, x.CV, target(x.TargetP95), x.Pass)
	}
	if len(r.Comparison) > 0 {
		fmt.Fprintf(&b, "\n## Against the baseline (%s)\n\nA regression is a p95 more than 10 %% worse than the baseline AND over its target.\n\n```\n", r.Baseline)
		var tb bytes.Buffer
		perf.WriteTable(&tb, r.Comparison) //nolint:errcheck // writes to memory
		b.WriteString(tb.String())
		b.WriteString("```\n")
	}
	if l := r.Load; l != nil {
		fmt.Fprintf(&b, "\n## Load (%s profile)\n\nStages: ", l.Profile)
		for i, s := range l.Stages {
			if i > 0 {
				b.WriteString(" → ")
			}
			fmt.Fprintf(&b, "%s to %d clients", s.Duration, s.Clients)
		}
		fmt.Fprintf(&b, ". Total: %d requests, %.2f %% errors, p50 %.1f / p95 %.1f / p99 %.1f / max %.1f ms.\n\n",
			l.Total.Requests, l.Total.ErrorRate*100, l.Total.P50, l.Total.P95, l.Total.P99, l.Total.Max)
		b.WriteString("| operation | requests | errors | p50 | p95 | p99 | max |\n|---|---|---|---|---|---|---|\n")
		for _, op := range sortedKeys(l.Operations) {
			o := l.Operations[op]
			fmt.Fprintf(&b, "| %s | %d | %d | %.1f | %.1f | %.1f | %.1f |\n", op, o.Requests, o.Errors, o.P50, o.P95, o.P99, o.Max)
		}
		if len(l.ErrorTypes) > 0 {
			b.WriteString("\nErrors by type:\n\n")
			for _, k := range sortedKeys(l.ErrorTypes) {
				fmt.Fprintf(&b, "- %s: %d\n", k, l.ErrorTypes[k])
			}
		}
		if len(l.Samples) > 0 {
			first, last := l.Samples[0], l.Samples[len(l.Samples)-1]
			fmt.Fprintf(&b, "\nResources (first → last sample): codebase-mcp RSS %.0f → %.0f MB, goroutines %.0f → %.0f, CPU %.1f s; workflow-mcp RSS %.0f → %.0f MB, goroutines %.0f → %.0f, CPU %.1f s. Growth ratios: %v.\n",
				first.Codebase.RSSBytes/1e6, last.Codebase.RSSBytes/1e6, first.Codebase.Goroutines, last.Codebase.Goroutines, last.Codebase.CPUSeconds-first.Codebase.CPUSeconds,
				first.Workflow.RSSBytes/1e6, last.Workflow.RSSBytes/1e6, first.Workflow.Goroutines, last.Workflow.Goroutines, last.Workflow.CPUSeconds-first.Workflow.CPUSeconds, l.Growth)
		}
	}
	return b.String()
}

func target(v float64) string {
	if v == 0 {
		return "-"
	}
	return fmt.Sprintf("%.0f", v)
}

func mdCell(s string) string { return strings.ReplaceAll(s, "|", "\\|") }

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
