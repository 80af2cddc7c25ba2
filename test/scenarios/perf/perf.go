// Package perf holds the performance records the scenario suite writes,
// the statistics behind them, and the baseline comparison with the
// specification's hybrid rule: a metric regresses when it is more than
// [Tolerance] worse than the baseline AND over its target.
package perf

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"sort"
	"time"
)

// Tolerance is how much worse than the baseline a metric may get before
// it can count as a regression (10 %).
const Tolerance = 0.10

// Record is one measured operation: latency statistics in milliseconds
// over Samples observations, with the parameters that produced them.
type Record struct {
	Server    string         `json:"server"`
	Operation string         `json:"operation"`
	Scenario  string         `json:"scenario,omitempty"`
	Timestamp time.Time      `json:"timestamp"`
	Unit      string         `json:"unit"` // always "ms"
	P50       float64        `json:"p50"`
	P95       float64        `json:"p95"`
	P99       float64        `json:"p99"`
	Mean      float64        `json:"mean"`
	Min       float64        `json:"min"`
	Max       float64        `json:"max"`
	StdDev    float64        `json:"stddev"`
	CV        float64        `json:"cv"` // coefficient of variation, stddev / mean
	Samples   int            `json:"samples"`
	TargetP95 float64        `json:"target_p95_ms,omitempty"` // 0: no target
	MaxCV     float64        `json:"max_cv,omitempty"`        // 0: no limit on variation
	Params    map[string]any `json:"parameters,omitempty"`
	Pass      bool           `json:"pass"`
	// Histogram holds the raw sample values (ms) for charts when there
	// are few enough of them; large samples are not kept.
	Values []float64 `json:"values,omitempty"`
}

// Key identifies a record across runs.
func (r Record) Key() string { return r.Server + " " + r.Operation }

// File is a set of records from one run on one machine, the format of
// docs/performance/baseline.json and of a report's records.
type File struct {
	Machine     string    `json:"machine"`
	GeneratedAt time.Time `json:"generated_at"`
	GitCommit   string    `json:"git_commit,omitempty"`
	Profile     string    `json:"profile,omitempty"`
	Records     []Record  `json:"records"`
}

// Load reads a File from path.
func Load(path string) (File, error) {
	var f File
	b, err := os.ReadFile(path)
	if err != nil {
		return f, fmt.Errorf("read records: %w", err)
	}
	if err := json.Unmarshal(b, &f); err != nil {
		return f, fmt.Errorf("parse records %s: %w", path, err)
	}
	return f, nil
}

// Save writes f to path as indented JSON.
func (f File) Save(path string) error {
	b, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return fmt.Errorf("encode records: %w", err)
	}
	if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("write records: %w", err)
	}
	return nil
}

// maxKeptValues bounds Record.Values so reports stay small.
const maxKeptValues = 2000

// NewRecord computes the statistics of samples (durations) and the pass
// status against targetP95 (0: none) and maxCV (0: none). It keeps the
// raw values for charts when there are at most a few thousand.
func NewRecord(server, operation string, samples []time.Duration, targetP95 time.Duration, maxCV float64, params map[string]any) Record {
	ms := make([]float64, len(samples))
	for i, d := range samples {
		ms[i] = float64(d) / float64(time.Millisecond)
	}
	r := Record{Server: server, Operation: operation, Timestamp: time.Now().UTC(), Unit: "ms",
		Samples: len(ms), TargetP95: float64(targetP95) / float64(time.Millisecond), MaxCV: maxCV, Params: params}
	s := Summarize(ms)
	r.P50, r.P95, r.P99, r.Mean, r.Min, r.Max, r.StdDev, r.CV = s.P50, s.P95, s.P99, s.Mean, s.Min, s.Max, s.StdDev, s.CV
	if len(ms) <= maxKeptValues {
		r.Values = ms
	}
	r.Pass = r.Samples > 0 && (r.TargetP95 == 0 || r.P95 <= r.TargetP95) && (r.MaxCV == 0 || r.CV <= r.MaxCV)
	return r
}

// Summary is the statistics of a sample.
type Summary struct {
	P50, P95, P99, Mean, Min, Max, StdDev, CV float64
}

// Summarize computes percentiles (nearest rank), mean, extremes, sample
// standard deviation and coefficient of variation of xs. An empty
// sample gives zeros.
func Summarize(xs []float64) Summary {
	if len(xs) == 0 {
		return Summary{}
	}
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	var sum float64
	for _, x := range s {
		sum += x
	}
	mean := sum / float64(len(s))
	var sq float64
	for _, x := range s {
		sq += (x - mean) * (x - mean)
	}
	var sd float64
	if len(s) > 1 {
		sd = math.Sqrt(sq / float64(len(s)-1))
	}
	var cv float64
	if mean > 0 {
		cv = sd / mean
	}
	return Summary{P50: Percentile(s, 50), P95: Percentile(s, 95), P99: Percentile(s, 99),
		Mean: mean, Min: s[0], Max: s[len(s)-1], StdDev: sd, CV: cv}
}

// Percentile returns the p-th percentile (0 < p <= 100) of sorted by the
// nearest-rank method: the smallest value with at least p % of the
// sample at or below it.
func Percentile(sorted []float64, p float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(math.Ceil(p / 100 * float64(len(sorted))))
	rank = max(rank, 1)
	rank = min(rank, len(sorted))
	return sorted[rank-1]
}
