// Package report renders the results of a `make validate` run: the
// pass/fail table of the scenarios, the performance records and their
// comparison with the baseline, the load test's results, and charts drawn
// with gonum.org/v1/plot as inline SVG, into report.json, report.md and a
// self-contained report.html.
package report

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/mcp-memory/servers/test/scenarios/perf"
)

// Report is everything a run produced; it is also report.json, whose
// "records" can be passed to compare-baselines as --current.
type Report struct {
	perf.File
	Started    time.Time         `json:"started"`
	Elapsed    float64           `json:"elapsed_seconds"`
	Passed     bool              `json:"passed"`
	Tests      []Test            `json:"tests"`
	Baseline   string            `json:"baseline,omitempty"`
	Comparison []perf.Comparison `json:"comparison,omitempty"`
	Load       *Load             `json:"load,omitempty"`
}

// Test is one scenario (a top-level test) or one of its steps.
type Test struct {
	Name     string   `json:"name"`
	Status   string   `json:"status"` // pass, fail, skip, or running when the run was cut short
	Elapsed  float64  `json:"elapsed_seconds"`
	Failures []string `json:"failures,omitempty"` // the failing messages
	Steps    []Test   `json:"steps,omitempty"`
}

// Load is the load test's series (written by scenario 4).
type Load struct {
	Profile    string              `json:"profile"`
	Stages     []Stage             `json:"stages"`
	Seconds    []Second            `json:"seconds"`
	Samples    []Sample            `json:"samples"`
	ErrorTypes map[string]int      `json:"error_types"`
	Operations map[string]OpResult `json:"operations"`
	Total      OpResult            `json:"total"`
	// Growth holds last/first ratios (median of the last tenth of the
	// samples over the first tenth) of RSS and goroutines, when there
	// were enough samples.
	Growth map[string]float64 `json:"growth,omitempty"`
}

// Stage is one step of the load profile.
type Stage struct {
	Duration time.Duration `json:"duration"`
	Clients  int           `json:"clients"`
}

// Second is one second of the load test.
type Second struct {
	T          float64 `json:"t"`
	Clients    float64 `json:"clients"`
	Requests   int     `json:"requests"`
	Errors     int     `json:"errors"`
	P50        float64 `json:"p50_ms"`
	P95        float64 `json:"p95_ms"`
	P99        float64 `json:"p99_ms"`
	Throughput float64 `json:"throughput"`
}

// Sample is one resource reading of both servers.
type Sample struct {
	T        float64   `json:"t"`
	Codebase Resources `json:"codebase"`
	Workflow Resources `json:"workflow"`
}

// Resources are one server's process and pool figures.
type Resources struct {
	RSSBytes    float64 `json:"rss_bytes"`
	CPUSeconds  float64 `json:"cpu_seconds"`
	Goroutines  float64 `json:"goroutines"`
	PoolUtilPct float64 `json:"pool_utilization_percent"`
	PoolSize    float64 `json:"pool_size"`
}

// OpResult summarises one operation under load.
type OpResult struct {
	Requests  int     `json:"requests"`
	Errors    int     `json:"errors"`
	ErrorRate float64 `json:"error_rate"`
	P50       float64 `json:"p50_ms"`
	P95       float64 `json:"p95_ms"`
	P99       float64 `json:"p99_ms"`
	Max       float64 `json:"max_ms"`
}

// ReadRecords reads the JSON lines the scenarios appended to
// dir/records.jsonl (absent: none).
func ReadRecords(dir string) ([]perf.Record, error) {
	b, err := os.ReadFile(filepath.Join(dir, "records.jsonl"))
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read records: %w", err)
	}
	var out []perf.Record
	dec := json.NewDecoder(bytesReader(b))
	for dec.More() {
		var r perf.Record
		if err := dec.Decode(&r); err != nil {
			return nil, fmt.Errorf("parse records: %w", err)
		}
		out = append(out, r)
	}
	return out, nil
}

// ReadLoad reads dir/series-load.json (absent: nil).
func ReadLoad(dir string) (*Load, error) {
	b, err := os.ReadFile(filepath.Join(dir, "series-load.json"))
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read load series: %w", err)
	}
	var l Load
	if err := json.Unmarshal(b, &l); err != nil {
		return nil, fmt.Errorf("parse load series: %w", err)
	}
	return &l, nil
}

// ReadReport reads dir/report.json, the report a run wrote.
func ReadReport(dir string) (*Report, error) {
	b, err := os.ReadFile(filepath.Join(dir, "report.json"))
	if err != nil {
		return nil, fmt.Errorf("read report: %w", err)
	}
	var r Report
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("parse report: %w", err)
	}
	return &r, nil
}

// Write writes report.json, report.md and report.html into dir.
func (r *Report) Write(dir string) error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return fmt.Errorf("encode report: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "report.json"), append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "report.md"), []byte(r.Markdown()), 0o644); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	html, err := r.HTML()
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "report.html"), html, 0o644); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	return nil
}

// Failed counts the scenarios that did not pass.
func (r *Report) Failed() int {
	n := 0
	for _, t := range r.Tests {
		if t.Status != "pass" {
			n++
		}
	}
	return n
}
