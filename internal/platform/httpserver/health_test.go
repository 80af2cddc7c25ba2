package httpserver_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/mcp-memory/servers/internal/platform/httpserver"
	"github.com/mcp-memory/servers/internal/platform/obs"
	"github.com/mcp-memory/servers/internal/platform/obs/obstest"
)

func TestHealth(t *testing.T) {
	tests := []struct {
		name           string
		status         string
		db             string
		details        map[string]string
		wantCode       int
		wantRetryAfter bool
	}{
		{"healthy", "healthy", "connected", nil, http.StatusOK, false},
		{"degraded", "degraded", "degraded", map[string]string{"reason": "pool above 80%"}, http.StatusOK, false},
		{"unhealthy", "unhealthy", "disconnected", map[string]string{"reason": "database unreachable"}, http.StatusServiceUnavailable, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			rep := healthy()
			rep.Status, rep.DatabaseStatus, rep.Details = tc.status, tc.db, tc.details
			f.health.Store(rep)

			rec := f.do(t, http.MethodGet, "/health", "")
			if rec.Code != tc.wantCode {
				t.Errorf("status = %d, want %d", rec.Code, tc.wantCode)
			}
			if got := rec.Header().Get("Retry-After") != ""; got != tc.wantRetryAfter {
				t.Errorf("Retry-After present = %v, want %v", got, tc.wantRetryAfter)
			}
			if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type = %q", ct)
			}
			if cc := rec.Header().Get("Cache-Control"); cc != "no-store" {
				t.Errorf("Cache-Control = %q, want no-store", cc)
			}

			var doc map[string]any
			if err := json.Unmarshal(rec.Body.Bytes(), &doc); err != nil {
				t.Fatalf("body is not JSON: %v: %s", err, rec.Body)
			}
			assertKeys(t, "health", doc, "status", "timestamp", "database_status", "connection_pool", "uptime_seconds", "details")
			if doc["status"] != tc.status || doc["database_status"] != tc.db {
				t.Errorf("status/database_status = %v/%v", doc["status"], doc["database_status"])
			}
			if doc["timestamp"] != "2026-11-26T20:27:52.123Z" || doc["uptime_seconds"] != 3600.5 {
				t.Errorf("timestamp/uptime = %v/%v", doc["timestamp"], doc["uptime_seconds"])
			}
			if tc.details == nil && doc["details"] != nil {
				t.Errorf("details = %v, want null", doc["details"])
			}
			if tc.details != nil {
				d, _ := doc["details"].(map[string]any)
				if d["reason"] != tc.details["reason"] {
					t.Errorf("details = %v, want %v", doc["details"], tc.details)
				}
			}
			pool, ok := doc["connection_pool"].(map[string]any)
			if !ok {
				t.Fatalf("connection_pool is not an object: %s", rec.Body)
			}
			assertKeys(t, "connection_pool", pool, "size", "min_size", "max_size", "free", "utilization_percent")
			want := map[string]float64{"size": 8, "min_size": 5, "max_size": 20, "free": 6, "utilization_percent": 25}
			for k, v := range want {
				if pool[k] != v {
					t.Errorf("connection_pool.%s = %v, want %v", k, pool[k], v)
				}
			}
		})
	}
}

func TestHealth_Dependencies(t *testing.T) {
	f := newFixture(t)
	rep := healthy()
	rep.Dependencies = map[string]string{"codebase_mcp": "unreachable"}
	f.health.Store(rep)

	rec := f.do(t, http.MethodGet, "/health", "")
	if rec.Code != http.StatusOK {
		t.Errorf("status = %d, want 200: an unreachable dependency never makes the server unhealthy", rec.Code)
	}
	var doc struct {
		Dependencies map[string]string `json:"dependencies"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Dependencies["codebase_mcp"] != "unreachable" {
		t.Errorf("dependencies = %v", doc.Dependencies)
	}
}

func TestHealth_PassesRequestContext(t *testing.T) {
	var gotID string
	f := newFixture(t, func(_ *httpserver.Config, d *httpserver.Deps) {
		d.Health = func(ctx context.Context) httpserver.HealthReport {
			gotID = obs.RequestIDFromContext(ctx)
			return *healthy()
		}
	})
	f.do(t, http.MethodGet, "/health", "", "X-Request-ID", "probe-1")
	if gotID != "probe-1" {
		t.Errorf("Health saw request ID %q, want probe-1", gotID)
	}
}

func TestHealth_SuccessIsNotLoggedAtInfo(t *testing.T) {
	logger, logs := obstest.NewLogger(t, "codebase-mcp", slog.LevelInfo)
	f := newFixture(t, withLogger(logger))
	f.do(t, http.MethodGet, "/health", "")
	f.do(t, http.MethodGet, "/metrics", "")
	if got := logs.Events(t, "http_request"); len(got) != 0 {
		t.Errorf("probe requests logged at INFO: %v", got)
	}

	rep := healthy()
	rep.Status = "unhealthy"
	f.health.Store(rep)
	f.do(t, http.MethodGet, "/health", "")
	lines := logs.Events(t, "http_request")
	if len(lines) != 1 || lines[0]["level"] != "WARNING" || lines[0]["outcome"] != "failure" {
		t.Errorf("unhealthy probe lines = %v, want one WARNING failure", lines)
	}
}

func TestMetrics_PrometheusText(t *testing.T) {
	f := newFixture(t)
	f.do(t, http.MethodPost, "/mcp/things", `{"name":"a"}`)
	f.do(t, http.MethodGet, "/mcp/things/404", "")

	for _, accept := range []string{"", "text/plain", "*/*", "application/jsonx"} {
		rec := f.do(t, http.MethodGet, "/metrics", "", "Accept", accept)
		if rec.Code != http.StatusOK {
			t.Fatalf("Accept %q: status = %d", accept, rec.Code)
		}
		if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
			t.Errorf("Accept %q: Content-Type = %q, want text/plain", accept, ct)
		}
		body := rec.Body.String()
		for _, want := range []string{
			"# TYPE " + prefix + "_requests_total counter",
			"# TYPE " + prefix + "_errors_total counter",
			"# TYPE " + prefix + "_request_duration_seconds histogram",
			prefix + `_requests_total{operation="create_thing",outcome="success"} 1`,
			prefix + `_errors_total{code="NOT_FOUND",operation="get_thing"} 1`,
		} {
			if !strings.Contains(body, want) {
				t.Errorf("Accept %q: text lacks %q:\n%s", accept, want, body)
			}
		}
	}
}

func TestMetrics_JSON(t *testing.T) {
	for _, accept := range []string{"application/json", "text/html;q=0.9, Application/JSON; q=0.8"} {
		f := newFixture(t)
		f.do(t, http.MethodPost, "/mcp/things", `{"name":"a"}`)
		f.do(t, http.MethodPost, "/mcp/things", `{"name":"b"}`)
		f.do(t, http.MethodGet, "/mcp/things/404", "")
		rec := f.do(t, http.MethodGet, "/metrics", "", "Accept", accept)
		if rec.Code != http.StatusOK {
			t.Fatalf("status = %d", rec.Code)
		}
		if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
			t.Errorf("Accept %q: Content-Type = %q, want application/json", accept, ct)
		}
		var doc struct {
			Counters   []map[string]any `json:"counters"`
			Histograms []map[string]any `json:"histograms"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &doc); err != nil {
			t.Fatalf("Accept %q: body is not JSON: %v", accept, err)
		}
		counters := map[string]float64{}
		for _, c := range doc.Counters {
			assertKeys(t, "counter", c, "name", "help_text", "value")
			counters[c["name"].(string)] = c["value"].(float64)
		}
		if counters[prefix+"_requests_total"] != 3 || counters[prefix+"_errors_total"] != 1 {
			t.Errorf("counters = %v, want requests_total 3 and errors_total 1", counters)
		}
		var names []string
		for _, h := range doc.Histograms {
			assertKeys(t, "histogram", h, "name", "help_text", "buckets", "count", "sum")
			names = append(names, h["name"].(string))
			if h["name"] != prefix+"_request_duration_seconds" {
				continue
			}
			if h["count"] != float64(3) {
				t.Errorf("duration count = %v, want 3", h["count"])
			}
			buckets, _ := h["buckets"].([]any)
			if len(buckets) == 0 {
				t.Fatal("no buckets")
			}
			prevLE, prevCount := -1.0, -1.0
			for _, b := range buckets {
				bm := b.(map[string]any)
				assertKeys(t, "bucket", bm, "bucket_le", "count")
				le, n := bm["bucket_le"].(float64), bm["count"].(float64)
				if le <= prevLE || n < prevCount {
					t.Errorf("buckets not sorted and cumulative: %v", buckets)
				}
				prevLE, prevCount = le, n
			}
			if prevCount > 3 {
				t.Errorf("last bucket count %v exceeds total 3", prevCount)
			}
		}
		if !slices.Contains(names, prefix+"_request_duration_seconds") {
			t.Errorf("histograms %v lack the request duration", names)
		}
	}
}

func assertKeys(tb testing.TB, what string, obj map[string]any, keys ...string) {
	tb.Helper()
	if len(obj) != len(keys) {
		tb.Errorf("%s has keys %v, want exactly %v", what, mapKeys(obj), keys)
	}
	for _, k := range keys {
		if _, ok := obj[k]; !ok {
			tb.Errorf("%s lacks %q: %v", what, k, obj)
		}
	}
}

func mapKeys(m map[string]any) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
