package perf

import (
	"fmt"
	"io"
	"sort"
	"text/tabwriter"
)

// Verdict is the outcome of comparing one metric with its baseline.
type Verdict string

// Verdicts of [Compare].
const (
	// OK: not more than Tolerance worse than the baseline, or within target.
	OK Verdict = "ok"
	// Slower: more than Tolerance worse than the baseline but still within
	// its target; reported, not a regression (the hybrid rule).
	Slower Verdict = "slower, within target"
	// Regression: more than Tolerance worse than the baseline AND over target.
	Regression Verdict = "REGRESSION"
	// OverTarget: over its target but not worse than the baseline allows.
	OverTarget Verdict = "over target (as baseline)"
	// New: no baseline record.
	New Verdict = "new"
	// Missing: in the baseline, not in the current run.
	Missing Verdict = "missing"
)

// Comparison is one metric (a record's p95) in both runs.
type Comparison struct {
	Key         string  `json:"key"`
	BaselineP95 float64 `json:"baseline_p95_ms"`
	CurrentP95  float64 `json:"current_p95_ms"`
	TargetP95   float64 `json:"target_p95_ms"`
	Change      float64 `json:"change"` // (current - baseline) / baseline
	Verdict     Verdict `json:"verdict"`
}

// Compare applies the hybrid rule to the p95 of every record in current
// against the record with the same key in baseline. The target comes
// from the current record (else the baseline's). A record with no
// target can never regress: the rule needs both conditions.
func Compare(current, baseline File) []Comparison {
	base := map[string]Record{}
	for _, r := range baseline.Records {
		base[r.Key()] = r
	}
	seen := map[string]bool{}
	var out []Comparison
	for _, c := range current.Records {
		k := c.Key()
		seen[k] = true
		cmp := Comparison{Key: k, CurrentP95: c.P95, TargetP95: c.TargetP95}
		b, ok := base[k]
		if !ok {
			cmp.Verdict = New
			out = append(out, cmp)
			continue
		}
		if cmp.TargetP95 == 0 {
			cmp.TargetP95 = b.TargetP95
		}
		cmp.BaselineP95 = b.P95
		cmp.Verdict = judge(c.P95, b.P95, cmp.TargetP95)
		if b.P95 > 0 {
			cmp.Change = (c.P95 - b.P95) / b.P95
		}
		out = append(out, cmp)
	}
	for _, b := range baseline.Records {
		if !seen[b.Key()] {
			out = append(out, Comparison{Key: b.Key(), BaselineP95: b.P95, TargetP95: b.TargetP95, Verdict: Missing})
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}

func judge(cur, base, target float64) Verdict {
	worse := cur > base*(1+Tolerance)
	over := target > 0 && cur > target
	switch {
	case worse && over:
		return Regression
	case worse:
		return Slower
	case over:
		return OverTarget
	default:
		return OK
	}
}

// Regressions counts the comparisons that are regressions.
func Regressions(cs []Comparison) int {
	n := 0
	for _, c := range cs {
		if c.Verdict == Regression {
			n++
		}
	}
	return n
}

// WriteTable prints cs as an aligned table.
func WriteTable(w io.Writer, cs []Comparison) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "METRIC (p95)\tBASELINE ms\tCURRENT ms\tCHANGE\tTARGET ms\tVERDICT")
	for _, c := range cs {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", c.Key, num(c.BaselineP95, c.Verdict == New),
			num(c.CurrentP95, c.Verdict == Missing), change(c), num(c.TargetP95, c.TargetP95 == 0), c.Verdict)
	}
	return tw.Flush()
}

func num(v float64, absent bool) string {
	if absent {
		return "-"
	}
	return fmt.Sprintf("%.3f", v)
}

func change(c Comparison) string {
	if c.Verdict == New || c.Verdict == Missing || c.BaselineP95 == 0 {
		return "-"
	}
	return fmt.Sprintf("%+.1f%%", c.Change*100)
}
