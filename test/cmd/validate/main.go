// Command validate runs the scenario suite (test/scenarios) with
// `go test -json`, shows which scenario runs and its progress, then writes
// performance_reports/<timestamp>/report.{json,md,html}, prints a
// one-screen summary and the report's path, and exits 1 when a scenario
// failed or a metric regressed against the baseline:
//
//	go run ./test/cmd/validate [--profile short|ci|full|soak] [--run Scenario3] [--baseline docs/performance/baseline.json]
//	go run ./test/cmd/validate --rebuild performance_reports/<timestamp>   # the report again from a run's raw files
//
// It needs TEST_DATABASE_URL (make validate sets it).
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"time"

	"github.com/mcp-memory/servers/test/scenarios/perf"
	"github.com/mcp-memory/servers/test/scenarios/report"
)

// errFailed: the run failed; the summary says why.
var errFailed = errors.New("validate: failed")

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdout)
	switch {
	case err == nil:
	case errors.Is(err, flag.ErrHelp):
	case errors.Is(err, errFailed):
		os.Exit(1)
	default:
		fmt.Fprintln(os.Stderr, "validate:", err)
		os.Exit(2)
	}
}

type config struct {
	profile, run, out, baseline, machine, writeBaseline, timeout, rebuild string
	// commit is the checkout the servers were built from, read when the
	// run starts (the tree may change during a long run).
	commit string
}

func run(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	var c config
	fs := flag.NewFlagSet("validate", flag.ContinueOnError)
	fs.StringVar(&c.profile, "profile", or(getenv("VALIDATE_PROFILE"), "short"), "sizes: ci (a few minutes), short (make validate), full (the spec's load profile), soak (1 h load)")
	fs.StringVar(&c.run, "run", "Scenario", "go test -run pattern: which scenarios (e.g. Scenario3, Scenario4/Ramp)")
	fs.StringVar(&c.out, "out", "", "report directory (default performance_reports/<timestamp>)")
	fs.StringVar(&c.baseline, "baseline", "docs/performance/baseline.json", "baseline records to compare with (empty: none)")
	fs.StringVar(&c.machine, "machine", getenv("VALIDATE_MACHINE"), "machine name written into the records (default: host name and cores)")
	fs.StringVar(&c.writeBaseline, "write-baseline", "", "also write this run's records to this path (a new baseline)")
	fs.StringVar(&c.timeout, "timeout", "", "go test -timeout (default from the profile)")
	fs.StringVar(&c.rebuild, "rebuild", "", "run nothing: write the report of an earlier run's directory again from its raw records and test output")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if c.machine == "" {
		h, _ := os.Hostname()
		c.machine = fmt.Sprintf("%s (%d cores, %s/%s)", h, runtime.NumCPU(), runtime.GOOS, runtime.GOARCH)
	}
	if c.rebuild != "" {
		return rebuild(c, stdout)
	}
	started := time.Now()
	if c.out == "" {
		c.out = filepath.Join("performance_reports", started.Format("20060102-150405"))
	}
	// go test runs the suite in its package directory: the raw directory
	// must be absolute, or the records land under test/scenarios.
	raw, err := filepath.Abs(filepath.Join(c.out, "raw"))
	if err != nil {
		return err
	}
	if err := os.MkdirAll(raw, 0o755); err != nil {
		return err
	}
	if c.timeout == "" {
		c.timeout = map[string]string{"ci": "40m", "short": "60m", "full": "90m", "soak": "120m"}[c.profile]
		if c.timeout == "" {
			c.timeout = "60m"
		}
	}

	c.commit = gitCommit()
	fmt.Fprintf(stdout, "validate: profile %s, scenarios matching %q; building the servers and the suite (the first build takes a few minutes)\n", c.profile, c.run)
	log, err := os.Create(filepath.Join(c.out, "test-output.jsonl"))
	if err != nil {
		return err
	}
	defer log.Close()
	cmd := exec.CommandContext(ctx, "go", "test", "-tags", "scenarios", "-count=1", "-json", "-timeout", c.timeout, "-run", c.run, "./test/scenarios")
	cmd.Env = append(os.Environ(), "VALIDATE_PROFILE="+c.profile, "VALIDATE_OUT="+raw)
	cmd.Stderr = stdout
	pipe, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("go test: %w", err)
	}
	tr := newTracker(stdout, started)
	sc := bufio.NewScanner(io.TeeReader(pipe, log))
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		tr.event(sc.Bytes())
	}
	waitErr := cmd.Wait()

	return finish(c, stdout, started, time.Since(started).Seconds(), tr.results(), waitErr)
}

// rebuild writes the report of the run in c.rebuild again from its raw
// records, load series and go test output (after a baseline change, or
// when the report step failed).
func rebuild(c config, stdout io.Writer) error {
	c.out = c.rebuild
	f, err := os.Open(filepath.Join(c.out, "test-output.jsonl"))
	if err != nil {
		return fmt.Errorf("rebuild: %w", err)
	}
	defer f.Close()
	var started time.Time
	var elapsed float64
	if prev, err := report.ReadReport(c.out); err == nil {
		started, elapsed, c.profile, c.commit = prev.Started, prev.Elapsed, prev.Profile, prev.GitCommit
		if prev.Machine != "" {
			c.machine = prev.Machine
		}
	}
	tr := newTracker(io.Discard, started)
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		tr.event(sc.Bytes())
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("rebuild: %w", err)
	}
	// go test's exit status is not kept; the failed tests in its output
	// (Report.Failed) decide.
	return finish(c, stdout, started, elapsed, tr.results(), nil)
}

// finish reads the run's raw records, compares them with the baseline,
// writes the report, prints the summary and returns errFailed when the
// run failed (waitErr is go test's outcome).
func finish(c config, stdout io.Writer, started time.Time, elapsed float64, tests []report.Test, waitErr error) error {
	raw := filepath.Join(c.out, "raw")
	recs, err := report.ReadRecords(raw)
	if err != nil {
		return err
	}
	load, err := report.ReadLoad(raw)
	if err != nil {
		return err
	}
	r := &report.Report{File: perf.File{Machine: c.machine, GeneratedAt: time.Now().UTC(), GitCommit: c.commit, Profile: c.profile, Records: recs},
		Started: started, Elapsed: elapsed, Tests: tests, Load: load}
	if c.baseline != "" {
		if base, err := perf.Load(c.baseline); err == nil {
			r.Baseline = fmt.Sprintf("%s (%s, %s, profile %s)", c.baseline, base.Machine, base.GeneratedAt.Format("2006-01-02"), base.Profile)
			r.Comparison = perf.Compare(r.File, base)
		} else {
			fmt.Fprintf(stdout, "validate: no baseline comparison: %v\n", err)
		}
	}
	r.Passed = waitErr == nil && r.Failed() == 0 && len(r.Tests) > 0 && perf.Regressions(r.Comparison) == 0
	if err := r.Write(c.out); err != nil {
		return err
	}
	if c.writeBaseline != "" {
		base := r.File
		base.Records = make([]perf.Record, len(r.Records))
		for i, x := range r.Records {
			x.Values = nil // the baseline keeps statistics only
			base.Records[i] = x
		}
		if err := base.Save(c.writeBaseline); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "validate: wrote the baseline %s (%d records)\n", c.writeBaseline, len(recs))
	}
	fmt.Fprintf(stdout, "\n%s", r.Summary())
	verdict := "PASSED"
	if !r.Passed {
		verdict = "FAILED"
		if len(r.Tests) == 0 {
			fmt.Fprintf(stdout, "no scenario ran (go test: %v); see %s\n", waitErr, filepath.Join(c.out, "test-output.jsonl"))
		}
	}
	fmt.Fprintf(stdout, "\nvalidate: %s in %s; report: %s\n", verdict, (time.Duration(elapsed) * time.Second).Round(time.Second), filepath.Join(c.out, "report.html"))
	if !r.Passed {
		return errFailed
	}
	return nil
}

func or(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func gitCommit() string {
	out, err := exec.Command("git", "rev-parse", "--short", "HEAD").Output()
	if err != nil {
		return ""
	}
	s := strings.TrimSpace(string(out))
	if st, _ := exec.Command("git", "status", "--porcelain", "--untracked-files=no").Output(); len(st) > 0 {
		s += "-dirty"
	}
	return s
}

// testEvent is one line of `go test -json` (test2json).
type testEvent struct {
	Action  string
	Test    string
	Elapsed float64
	Output  string
}
