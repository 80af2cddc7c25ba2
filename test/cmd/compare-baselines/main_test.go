package main

import (
	"bytes"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mcp-memory/servers/test/scenarios/perf"
)

func write(t *testing.T, recs ...perf.Record) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "r.json")
	if err := (perf.File{Machine: "test", GeneratedAt: time.Now(), Records: recs}).Save(p); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestRun(t *testing.T) {
	base := write(t, perf.Record{Server: "codebase-mcp", Operation: "search", P95: 100, TargetP95: 500})
	tests := []struct {
		name    string
		p95     float64
		wantErr error
		want    string
	}{
		{"OK", 105, nil, "ok"},
		{"SlowerWithinTarget", 300, nil, "slower, within target"},
		{"Regression", 600, errRegressed, "REGRESSION"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cur := write(t, perf.Record{Server: "codebase-mcp", Operation: "search", P95: tc.p95, TargetP95: 500})
			var out bytes.Buffer
			err := run([]string{"--current", cur, "--baseline", base}, &out, &out)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("run = %v, want %v\n%s", err, tc.wantErr, out.String())
			}
			if !strings.Contains(out.String(), tc.want) {
				t.Errorf("output lacks %q:\n%s", tc.want, out.String())
			}
		})
	}
}

func TestRunErrors(t *testing.T) {
	var out bytes.Buffer
	if err := run(nil, &out, &out); err == nil || !strings.Contains(err.Error(), "--current") {
		t.Errorf("no --current: %v", err)
	}
	if err := run([]string{"--current", filepath.Join(t.TempDir(), "absent.json")}, &out, &out); err == nil {
		t.Error("absent file: no error")
	}
}
