package perf_test

import (
	"math"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/mcp-memory/servers/test/scenarios/perf"
)

func TestSummarize(t *testing.T) {
	xs := make([]float64, 100)
	for i := range xs {
		xs[i] = float64(100 - i) // 100..1, unsorted
	}
	s := perf.Summarize(xs)
	if s.P50 != 50 || s.P95 != 95 || s.P99 != 99 || s.Min != 1 || s.Max != 100 || s.Mean != 50.5 {
		t.Errorf("Summarize = %+v", s)
	}
	if want := 29.011491975882016; math.Abs(s.StdDev-want) > 1e-9 || math.Abs(s.CV-want/50.5) > 1e-9 {
		t.Errorf("stddev %v cv %v", s.StdDev, s.CV)
	}
	if (perf.Summarize(nil) != perf.Summary{}) {
		t.Error("empty sample: want zeros")
	}
	if one := perf.Summarize([]float64{7}); one.P99 != 7 || one.StdDev != 0 {
		t.Errorf("one sample: %+v", one)
	}
}

func TestNewRecord(t *testing.T) {
	ds := []time.Duration{10 * time.Millisecond, 10 * time.Millisecond, 11 * time.Millisecond}
	tests := []struct {
		name   string
		target time.Duration
		maxCV  float64
		pass   bool
	}{
		{"NoLimits", 0, 0, true},
		{"WithinTarget", 20 * time.Millisecond, 0, true},
		{"OverTarget", 5 * time.Millisecond, 0, false},
		{"TooVariable", 0, 0.01, false},
		{"SteadyEnough", 0, 0.10, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := perf.NewRecord("s", "op", ds, tc.target, tc.maxCV, nil)
			if r.Pass != tc.pass || r.Samples != 3 || r.P95 != 11 || len(r.Values) != 3 {
				t.Errorf("record = %+v, want pass=%v", r, tc.pass)
			}
		})
	}
	if r := perf.NewRecord("s", "op", nil, 0, 0, nil); r.Pass {
		t.Error("a record without samples passes")
	}
}

func TestCompare(t *testing.T) {
	rec := func(op string, p95, target float64) perf.Record {
		return perf.Record{Server: "x", Operation: op, P95: p95, TargetP95: target}
	}
	base := perf.File{Records: []perf.Record{rec("ok", 100, 500), rec("slower", 100, 500), rec("regressed", 100, 150),
		rec("over", 600, 500), rec("notarget", 100, 0), rec("gone", 1, 0)}}
	cur := perf.File{Records: []perf.Record{rec("ok", 109, 500), rec("slower", 200, 500), rec("regressed", 200, 150),
		rec("over", 610, 500), rec("notarget", 1000, 0), rec("fresh", 1, 0)}}
	want := map[string]perf.Verdict{"x ok": perf.OK, "x slower": perf.Slower, "x regressed": perf.Regression,
		"x over": perf.OverTarget, "x notarget": perf.Slower, "x fresh": perf.New, "x gone": perf.Missing}
	cs := perf.Compare(cur, base)
	if len(cs) != len(want) {
		t.Fatalf("%d comparisons, want %d: %+v", len(cs), len(want), cs)
	}
	for _, c := range cs {
		if c.Verdict != want[c.Key] {
			t.Errorf("%s: %s, want %s", c.Key, c.Verdict, want[c.Key])
		}
	}
	if n := perf.Regressions(cs); n != 1 {
		t.Errorf("Regressions = %d, want 1", n)
	}
}

func TestFile_SaveLoad(t *testing.T) {
	dir := t.TempDir()
	path := dir + "/r.json"
	f := perf.File{Machine: "m", Profile: "ci", Records: []perf.Record{perf.NewRecord("s", "op", []time.Duration{time.Millisecond}, 0, 0, nil)}}
	if err := f.Save(path); err != nil {
		t.Fatal(err)
	}
	got, err := perf.Load(path)
	if err != nil || got.Machine != "m" || len(got.Records) != 1 || got.Records[0].Key() != "s op" {
		t.Fatalf("Load = %+v, %v", got, err)
	}
	if _, err := perf.Load(dir + "/absent.json"); err == nil {
		t.Error("Load of a missing file: no error")
	}
	if err := os.WriteFile(dir+"/bad.json", []byte("{"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := perf.Load(dir + "/bad.json"); err == nil {
		t.Error("Load of malformed JSON: no error")
	}
	if err := f.Save(dir + "/no/such/dir/r.json"); err == nil {
		t.Error("Save into a missing directory: no error")
	}
}

func TestWriteTable(t *testing.T) {
	cs := perf.Compare(
		perf.File{Records: []perf.Record{{Server: "x", Operation: "a", P95: 200, TargetP95: 150}, {Server: "x", Operation: "new", P95: 1}}},
		perf.File{Records: []perf.Record{{Server: "x", Operation: "a", P95: 100, TargetP95: 150}, {Server: "x", Operation: "gone", P95: 2}}})
	var b strings.Builder
	if err := perf.WriteTable(&b, cs); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"x a", "100.000", "200.000", "+100.0%", "REGRESSION", "x new", "new", "x gone", "missing"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, b.String())
		}
	}
}
