package main

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

func TestTracker(t *testing.T) {
	var out bytes.Buffer
	tr := newTracker(&out, time.Now())
	for _, l := range []string{
		`{"Action":"run","Test":"TestScenario3"}`,
		`{"Action":"run","Test":"TestScenario3/Setup"}`,
		`{"Action":"output","Test":"TestScenario3/Setup","Output":"    stack_test.go:12: generated a repository\n"}`,
		`{"Action":"output","Test":"TestScenario3/Setup","Output":"    client_test.go:70: want 200: POST /mcp/index: 404\n"}`,
		`{"Action":"output","Test":"TestScenario3/Setup","Output":"          => not served yet\n"}`,
		`{"Action":"fail","Test":"TestScenario3/Setup","Elapsed":1.5}`,
		`{"Action":"run","Test":"TestScenario3/WorkflowDown"}`,
		`{"Action":"pass","Test":"TestScenario3/WorkflowDown","Elapsed":0.5}`,
		`{"Action":"fail","Test":"TestScenario3","Elapsed":2}`,
		`not json: build failed`,
	} {
		tr.event([]byte(l))
	}
	res := tr.results()
	if len(res) != 1 || res[0].Status != "fail" || len(res[0].Steps) != 2 {
		t.Fatalf("results = %+v", res)
	}
	if f := res[0].Steps[0].Failures; len(f) != 1 || f[0] != "want 200: POST /mcp/index: 404 => not served yet" {
		t.Errorf("failures = %q", f)
	}
	if f := res[0].Failures; len(f) != 1 || f[0] != "1 of 2 steps failed, first Setup" {
		t.Errorf("scenario failure = %q, want its steps' summary", f)
	}
	if res[0].Steps[1].Status != "pass" {
		t.Errorf("steps = %+v", res[0])
	}
	for _, want := range []string{"▶ TestScenario3", "✗ TestScenario3/Setup", "✗ FAIL TestScenario3", "generated a repository", "not json: build failed"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("progress output lacks %q:\n%s", want, out.String())
		}
	}
}
