// Command compare-baselines compares a run's performance records with a
// baseline by the hybrid rule (a regression is a p95 more than 10 %
// worse than the baseline AND over its target), prints a table and exits
// 1 when anything regressed:
//
//	go run ./test/cmd/compare-baselines --current performance_reports/<ts>/report.json --baseline docs/performance/baseline.json
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/mcp-memory/servers/test/scenarios/perf"
)

// errRegressed reports regressions (exit 1); the table says which.
var errRegressed = errors.New("compare-baselines: regression found")

func main() {
	err := run(os.Args[1:], os.Stdout, os.Stderr)
	switch {
	case err == nil:
	case errors.Is(err, flag.ErrHelp):
	case errors.Is(err, errRegressed):
		os.Exit(1)
	default:
		fmt.Fprintln(os.Stderr, "compare-baselines:", err)
		os.Exit(2)
	}
}

func run(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("compare-baselines", flag.ContinueOnError)
	fs.SetOutput(stderr)
	current := fs.String("current", "", "records of this run (report.json of make validate)")
	baseline := fs.String("baseline", "docs/performance/baseline.json", "baseline records")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *current == "" {
		return errors.New("--current is required")
	}
	cur, err := perf.Load(*current)
	if err != nil {
		return err
	}
	base, err := perf.Load(*baseline)
	if err != nil {
		return err
	}
	cs := perf.Compare(cur, base)
	fmt.Fprintf(stdout, "current: %s (%s, %s)\nbaseline: %s (%s, %s)\n\n", *current, cur.Machine, cur.GeneratedAt.Format("2006-01-02 15:04"),
		*baseline, base.Machine, base.GeneratedAt.Format("2006-01-02 15:04"))
	if err := perf.WriteTable(stdout, cs); err != nil {
		return err
	}
	if n := perf.Regressions(cs); n > 0 {
		fmt.Fprintf(stdout, "\n%d regression(s): more than %.0f%% worse than the baseline and over target\n", n, perf.Tolerance*100)
		return errRegressed
	}
	fmt.Fprintln(stdout, "\nno regression")
	return nil
}
