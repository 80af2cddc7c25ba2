package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/mcp-memory/servers/test/scenarios/report"
)

// tracker follows the test events: it prints progress and collects each
// test's result and failure messages.
type tracker struct {
	w       io.Writer
	start   time.Time
	order   []string
	tests   map[string]*report.Test
	outputs map[string][]string
}

func newTracker(w io.Writer, start time.Time) *tracker {
	return &tracker{w: w, start: start, tests: map[string]*report.Test{}, outputs: map[string][]string{}}
}

func (t *tracker) stamp() string {
	d := time.Since(t.start).Round(time.Second)
	return fmt.Sprintf("[%02d:%02d]", int(d.Minutes()), int(d.Seconds())%60)
}

// event handles one JSON line; other lines (build errors) are printed.
func (t *tracker) event(line []byte) {
	var e testEvent
	if json.Unmarshal(line, &e) != nil {
		fmt.Fprintf(t.w, "%s\n", line)
		return
	}
	if e.Test == "" {
		if e.Action == "output" && !strings.HasPrefix(e.Output, "ok ") && !strings.HasPrefix(e.Output, "FAIL") &&
			!strings.HasPrefix(e.Output, "PASS") && strings.TrimSpace(e.Output) != "" {
			fmt.Fprint(t.w, "  ", e.Output) // TestMain and build output
		}
		return
	}
	top := !strings.Contains(e.Test, "/")
	switch e.Action {
	case "run":
		if _, ok := t.tests[e.Test]; !ok {
			t.tests[e.Test] = &report.Test{Name: e.Test, Status: "running"}
			t.order = append(t.order, e.Test)
		}
		if top {
			fmt.Fprintf(t.w, "%s ▶ %s\n", t.stamp(), e.Test)
		}
	case "output":
		out := strings.TrimRight(e.Output, "\n")
		if strings.HasPrefix(strings.TrimSpace(out), "=== ") || strings.HasPrefix(strings.TrimSpace(out), "--- ") || out == "" {
			return
		}
		t.outputs[e.Test] = append(t.outputs[e.Test], out)
		fmt.Fprintf(t.w, "%s   %s\n", t.stamp(), strings.TrimSpace(out))
	case "pass", "fail", "skip":
		tt := t.tests[e.Test]
		if tt == nil {
			return
		}
		tt.Status, tt.Elapsed = e.Action, e.Elapsed
		if e.Action == "fail" {
			tt.Failures = failures(t.outputs[e.Test])
		}
		mark := map[string]string{"pass": "✓", "fail": "✗", "skip": "-"}[e.Action]
		if top {
			fmt.Fprintf(t.w, "%s ■ %s %s %s (%.1fs)\n", t.stamp(), mark, strings.ToUpper(e.Action), e.Test, e.Elapsed)
		} else {
			fmt.Fprintf(t.w, "%s   %s %s (%.1fs)\n", t.stamp(), mark, e.Test, e.Elapsed)
		}
	}
}

// failures picks the failure messages from a failed test's output: the
// last message (with its continuation lines); a test that failed only
// through its subtests has none of its own.
func failures(lines []string) []string {
	var msgs []string
	for _, l := range lines {
		s := strings.TrimSpace(l)
		if strings.Contains(s, "_test.go:") {
			msgs = append(msgs, s)
		} else if len(msgs) > 0 {
			msgs[len(msgs)-1] += " " + s
		}
	}
	if len(msgs) == 0 {
		return nil
	}
	last := msgs[len(msgs)-1]
	if i := strings.Index(last, ": "); i >= 0 {
		last = last[i+2:]
	}
	return []string{last}
}

// results are the top-level tests with their steps, in run order.
func (t *tracker) results() []report.Test {
	var out []report.Test
	for _, name := range t.order {
		if strings.Contains(name, "/") {
			continue
		}
		top := *t.tests[name]
		failed := 0
		first := ""
		for _, sub := range t.order {
			if strings.HasPrefix(sub, name+"/") {
				st := *t.tests[sub]
				top.Steps = append(top.Steps, st)
				if st.Status == "fail" && len(st.Failures) > 0 {
					failed++
					if first == "" {
						first = strings.TrimPrefix(sub, name+"/")
					}
				}
			}
		}
		if failed > 0 {
			// Its own output is progress; the failures are its steps'.
			top.Failures = []string{fmt.Sprintf("%d of %d steps failed, first %s", failed, len(top.Steps), first)}
		}
		out = append(out, top)
	}
	return out
}
