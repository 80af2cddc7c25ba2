package report_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mcp-memory/servers/test/scenarios/perf"
	"github.com/mcp-memory/servers/test/scenarios/report"
)

func TestReport_Write(t *testing.T) {
	dir := t.TempDir()
	raw := `{"server":"codebase-mcp","operation":"search","p95":12,"samples":3,"pass":true,"values":[1,2,3,4,5,6,7,8,9,10,11,12]}` + "\n"
	if err := os.WriteFile(filepath.Join(dir, "records.jsonl"), []byte(raw), 0o644); err != nil {
		t.Fatal(err)
	}
	load := `{"profile":"ci","stages":[{"duration":1000000000,"clients":2}],"seconds":[{"t":0,"requests":2,"p95_ms":3},{"t":1,"requests":4,"errors":1,"p95_ms":5}],
		"samples":[{"t":0,"codebase":{"rss_bytes":1e7,"cpu_seconds":1},"workflow":{"rss_bytes":2e7}},{"t":2,"codebase":{"rss_bytes":1.1e7,"cpu_seconds":1.5},"workflow":{"rss_bytes":2e7}}],
		"error_types":{"status Service Unavailable (503)":1},"operations":{"codebase-mcp search":{"requests":6,"errors":1}},"total":{"requests":6,"errors":1,"error_rate":0.16}}`
	if err := os.WriteFile(filepath.Join(dir, "series-load.json"), []byte(load), 0o644); err != nil {
		t.Fatal(err)
	}
	recs, err := report.ReadRecords(dir)
	if err != nil || len(recs) != 1 {
		t.Fatalf("ReadRecords = %v, %v", recs, err)
	}
	l, err := report.ReadLoad(dir)
	if err != nil || l == nil || len(l.Seconds) != 2 {
		t.Fatalf("ReadLoad = %+v, %v", l, err)
	}
	base := perf.File{Records: []perf.Record{{Server: "codebase-mcp", Operation: "search", P95: 5, TargetP95: 10}}}
	cur := perf.File{Machine: "test machine", Profile: "ci", Records: recs}
	r := &report.Report{File: cur, Started: time.Now(), Passed: false, Load: l, Baseline: "base.json",
		Comparison: perf.Compare(cur, base),
		Tests: []report.Test{{Name: "TestScenario1", Status: "fail", Failures: []string{"search p95 over | target"},
			Steps: []report.Test{{Name: "TestScenario1/Search", Status: "fail", Failures: []string{"boom"}}}}, {Name: "TestScenario6", Status: "pass"}}}
	if err := r.Write(dir); err != nil {
		t.Fatal(err)
	}
	html, _ := os.ReadFile(filepath.Join(dir, "report.html"))
	for _, want := range []string{"<svg", "FAILED", "latency histogram", "Pool utilization", "REGRESSION", "Service Unavailable"} {
		if !strings.Contains(string(html), want) {
			t.Errorf("report.html lacks %q", want)
		}
	}
	for _, bad := range []string{"http://", "https://", "<script"} {
		if strings.Contains(strings.ReplaceAll(string(html), "http://www.w3.org", ""), bad) {
			t.Errorf("report.html is not self-contained: has %q", bad)
		}
	}
	md, _ := os.ReadFile(filepath.Join(dir, "report.md"))
	if !strings.Contains(string(md), "| codebase-mcp | search |") || !strings.Contains(string(md), `over \| target`) {
		t.Errorf("report.md:\n%s", md)
	}
	if _, err := perf.Load(filepath.Join(dir, "report.json")); err != nil {
		t.Errorf("report.json is not a records file for compare-baselines: %v", err)
	}
	if s := r.Summary(); !strings.Contains(s, "TestScenario1") || !strings.Contains(s, "Search") || r.Failed() != 1 {
		t.Errorf("summary:\n%s", s)
	}
}

func TestReadMissing(t *testing.T) {
	dir := t.TempDir()
	if recs, err := report.ReadRecords(dir); err != nil || recs != nil {
		t.Errorf("ReadRecords of an empty dir = %v, %v", recs, err)
	}
	if l, err := report.ReadLoad(dir); err != nil || l != nil {
		t.Errorf("ReadLoad of an empty dir = %v, %v", l, err)
	}
}
