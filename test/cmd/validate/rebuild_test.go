package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mcp-memory/servers/test/scenarios/report"
)

// --rebuild writes the report of an earlier run from its raw records and
// go test output, and fails when a scenario in that output failed.
func TestRebuild(t *testing.T) {
	write := func(t *testing.T, dir, name, content string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	record := `{"server":"codebase-mcp","operation":"search","unit":"ms","p50":1,"p95":2,"p99":3,"samples":10,"target_p95_ms":50,"pass":true}` + "\n"
	getenv := func(string) string { return "" }
	for _, tc := range []struct {
		name, result string
		wantErr      error
	}{
		{"passed", "pass", nil},
		{"failed", "fail", errFailed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			write(t, dir, "raw/records.jsonl", record)
			write(t, dir, "test-output.jsonl", `{"Action":"run","Test":"TestScenario1"}`+"\n"+
				`{"Action":"`+tc.result+`","Test":"TestScenario1","Elapsed":3}`+"\n")
			var out bytes.Buffer
			err := run(context.Background(), []string{"--rebuild", dir, "--baseline", ""}, getenv, &out)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("run = %v, want %v\n%s", err, tc.wantErr, out.String())
			}
			r, err := report.ReadReport(dir)
			if err != nil {
				t.Fatal(err)
			}
			if len(r.Records) != 1 || r.Records[0].Operation != "search" || len(r.Tests) != 1 || r.Passed != (tc.wantErr == nil) {
				t.Errorf("report: %d records, tests %+v, passed %v", len(r.Records), r.Tests, r.Passed)
			}
			if !strings.Contains(out.String(), filepath.Join(dir, "report.html")) {
				t.Errorf("output does not name the report:\n%s", out.String())
			}
		})
	}
	if err := run(context.Background(), []string{"--rebuild", t.TempDir()}, getenv, &bytes.Buffer{}); err == nil ||
		!strings.Contains(err.Error(), "test-output.jsonl") {
		t.Errorf("rebuild of an empty directory: %v, want an error naming test-output.jsonl", err)
	}
}
