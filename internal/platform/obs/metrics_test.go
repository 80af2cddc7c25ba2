package obs_test

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"regexp"
	"sort"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/mcp-memory/servers/internal/platform/obs"
)

// family returns the gathered family called name, or nil.
func family(tb testing.TB, g prometheus.Gatherer, name string) *dto.MetricFamily {
	tb.Helper()
	mfs, err := g.Gather()
	if err != nil {
		tb.Fatalf("Gather: %v", err)
	}
	for _, mf := range mfs {
		if mf.GetName() == name {
			return mf
		}
	}
	return nil
}

// seriesValue returns the counter value of the series of family name whose
// labels equal labels, or -1 when there is none.
func seriesValue(tb testing.TB, g prometheus.Gatherer, name string, labels map[string]string) float64 {
	tb.Helper()
	mf := family(tb, g, name)
	if mf == nil {
		return -1
	}
	for _, m := range mf.GetMetric() {
		got := map[string]string{}
		for _, lp := range m.GetLabel() {
			got[lp.GetName()] = lp.GetValue()
		}
		if len(got) != len(labels) {
			continue
		}
		match := true
		for k, v := range labels {
			if got[k] != v {
				match = false
			}
		}
		if match {
			return m.GetCounter().GetValue()
		}
	}
	return -1
}

func TestNewRegistry_HasRuntimeAndProcessCollectors(t *testing.T) {
	reg := obs.NewRegistry()
	for _, name := range []string{"go_goroutines", "process_start_time_seconds"} {
		if family(t, reg, name) == nil {
			t.Errorf("registry has no %s", name)
		}
	}
}

func TestNewRegistry_NotGlobal(t *testing.T) {
	a, b := obs.NewRegistry(), obs.NewRegistry()
	obs.NewRequestMetrics(a, "codebase_mcp")
	// Registering the same names on a second registry must not conflict.
	obs.NewRequestMetrics(b, "codebase_mcp")
	if family(t, prometheus.DefaultGatherer, "codebase_mcp_requests_total") != nil {
		t.Error("request metrics leaked into the default registry")
	}
}

func TestNewRequestMetrics_Names(t *testing.T) {
	tests := []struct {
		prefix string
		want   []string
	}{
		{"codebase_mcp", []string{"codebase_mcp_errors_total", "codebase_mcp_request_duration_seconds", "codebase_mcp_requests_total"}},
		{"workflow_mcp", []string{"workflow_mcp_errors_total", "workflow_mcp_request_duration_seconds", "workflow_mcp_requests_total"}},
	}
	for _, tc := range tests {
		t.Run(tc.prefix, func(t *testing.T) {
			reg := prometheus.NewRegistry()
			m := obs.NewRequestMetrics(reg, tc.prefix)
			m.Observe("op", 0.01, "NOT_FOUND") // vectors only appear once they have a series
			mfs, err := reg.Gather()
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, mf := range mfs {
				got = append(got, mf.GetName())
				if mf.GetHelp() == "" {
					t.Errorf("%s has no help text", mf.GetName())
				}
			}
			sort.Strings(got)
			if len(got) != len(tc.want) {
				t.Fatalf("families = %v, want %v", got, tc.want)
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Errorf("families = %v, want %v", got, tc.want)
					break
				}
			}
		})
	}
}

func TestRequestMetrics_Observe(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := obs.NewRequestMetrics(reg, "workflow_mcp")
	m.Observe("create_project", 0.002, "")
	m.Observe("create_project", 0.004, "")
	m.Observe("create_project", 0.3, "VALIDATION_ERROR")
	m.Observe("get_work_item", 0.001, "NOT_FOUND")

	counters := []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{"workflow_mcp_requests_total", map[string]string{"operation": "create_project", "outcome": "success"}, 2},
		{"workflow_mcp_requests_total", map[string]string{"operation": "create_project", "outcome": "failure"}, 1},
		{"workflow_mcp_requests_total", map[string]string{"operation": "get_work_item", "outcome": "failure"}, 1},
		{"workflow_mcp_requests_total", map[string]string{"operation": "get_work_item", "outcome": "success"}, -1},
		{"workflow_mcp_errors_total", map[string]string{"operation": "create_project", "code": "VALIDATION_ERROR"}, 1},
		{"workflow_mcp_errors_total", map[string]string{"operation": "get_work_item", "code": "NOT_FOUND"}, 1},
	}
	for _, c := range counters {
		if got := seriesValue(t, reg, c.name, c.labels); got != c.want {
			t.Errorf("%s%v = %v, want %v", c.name, c.labels, got, c.want)
		}
	}

	h := family(t, reg, "workflow_mcp_request_duration_seconds")
	if h == nil {
		t.Fatal("no duration histogram")
	}
	var count uint64
	var sum float64
	for _, s := range h.GetMetric() {
		count += s.GetHistogram().GetSampleCount()
		sum += s.GetHistogram().GetSampleSum()
	}
	if count != 4 || math.Abs(sum-0.307) > 1e-9 {
		t.Errorf("duration count = %d, sum = %v; want 4 and 0.307", count, sum)
	}
}

func TestGatherJSON(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := obs.NewRequestMetrics(reg, "codebase_mcp")
	m.Observe("search_code", 0.003, "")
	m.Observe("get_chunks", 0.2, "NOT_FOUND")
	m.Observe("search_code", 3, "INTERNAL_ERROR")
	g := prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "codebase_mcp_pool_connections", Help: "Pool connections."}, []string{"state"})
	reg.MustRegister(g)
	g.WithLabelValues("idle").Set(3)
	g.WithLabelValues("busy").Set(2)

	got, err := obs.GatherJSON(reg)
	if err != nil {
		t.Fatal(err)
	}

	wantCounters := map[string]float64{"codebase_mcp_requests_total": 3, "codebase_mcp_errors_total": 2}
	if len(got.Counters) != len(wantCounters) {
		t.Errorf("counters = %+v, want %d families", got.Counters, len(wantCounters))
	}
	for _, c := range got.Counters {
		want, ok := wantCounters[c.Name]
		if !ok {
			t.Errorf("unexpected counter %q", c.Name)
			continue
		}
		if c.Value != want {
			t.Errorf("%s = %v, want %v (summed over labels)", c.Name, c.Value, want)
		}
		if c.HelpText == "" {
			t.Errorf("%s has no help_text", c.Name)
		}
	}

	if len(got.Gauges) != 1 || got.Gauges[0].Name != "codebase_mcp_pool_connections" || got.Gauges[0].Value != 5 {
		t.Errorf("gauges = %+v, want codebase_mcp_pool_connections = 5", got.Gauges)
	}

	if len(got.Histograms) != 1 {
		t.Fatalf("histograms = %+v, want 1", got.Histograms)
	}
	h := got.Histograms[0]
	if h.Name != "codebase_mcp_request_duration_seconds" || h.HelpText == "" {
		t.Errorf("histogram name/help = %q/%q", h.Name, h.HelpText)
	}
	if h.Count != 3 {
		t.Errorf("count = %d, want 3", h.Count)
	}
	if math.Abs(h.Sum-3.203) > 1e-9 {
		t.Errorf("sum = %v, want 3.203", h.Sum)
	}
	wantBuckets := []obs.BucketJSON{
		{UpperBound: 0.001, Count: 0}, {UpperBound: 0.005, Count: 1}, {UpperBound: 0.01, Count: 1},
		{UpperBound: 0.025, Count: 1}, {UpperBound: 0.05, Count: 1}, {UpperBound: 0.1, Count: 1},
		{UpperBound: 0.25, Count: 2}, {UpperBound: 0.5, Count: 2}, {UpperBound: 1, Count: 2},
		{UpperBound: 2, Count: 2}, {UpperBound: 5, Count: 3}, {UpperBound: 10, Count: 3},
	}
	if len(h.Buckets) != len(wantBuckets) {
		t.Fatalf("buckets = %+v, want %+v", h.Buckets, wantBuckets)
	}
	for i, b := range h.Buckets {
		if b != wantBuckets[i] {
			t.Errorf("bucket %d = %+v, want %+v", i, b, wantBuckets[i])
		}
		if i > 0 && (b.UpperBound <= h.Buckets[i-1].UpperBound || b.Count < h.Buckets[i-1].Count) {
			t.Errorf("buckets not sorted and cumulative at %d: %+v", i, h.Buckets)
		}
		if math.IsInf(b.UpperBound, 0) {
			t.Errorf("bucket %d is infinite; JSON cannot encode it", i)
		}
		if b.Count > h.Count {
			t.Errorf("bucket %d count %d exceeds total %d", i, b.Count, h.Count)
		}
	}
}

func TestGatherJSON_JSONShape(t *testing.T) {
	reg := prometheus.NewRegistry()
	obs.NewRequestMetrics(reg, "workflow_mcp").Observe("list_projects", 0.07, "")
	m, err := obs.GatherJSON(reg)
	if err != nil {
		t.Fatal(err)
	}
	data, err := json.Marshal(m)
	if err != nil {
		t.Fatalf("marshal: %v", err)
	}
	var doc struct {
		Counters []map[string]any `json:"counters"`
		Histos   []map[string]any `json:"histograms"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Counters) == 0 || len(doc.Histos) == 0 {
		t.Fatalf("document lacks counters or histograms: %s", data)
	}
	for _, c := range doc.Counters {
		assertKeys(t, "counter", c, "name", "help_text", "value")
	}
	for _, h := range doc.Histos {
		assertKeys(t, "histogram", h, "name", "help_text", "buckets", "count", "sum")
		buckets, _ := h["buckets"].([]any)
		if len(buckets) == 0 {
			t.Fatalf("histogram without buckets: %v", h)
		}
		for _, b := range buckets {
			assertKeys(t, "bucket", b.(map[string]any), "bucket_le", "count")
		}
	}
}

func assertKeys(tb testing.TB, what string, obj map[string]any, keys ...string) {
	tb.Helper()
	if len(obj) != len(keys) {
		tb.Errorf("%s has keys %v, want exactly %v", what, obj, keys)
	}
	for _, k := range keys {
		if _, ok := obj[k]; !ok {
			tb.Errorf("%s lacks %q: %v", what, k, obj)
		}
	}
}

func TestGatherJSON_EmptyRegistryGivesEmptyArrays(t *testing.T) {
	m, err := obs.GatherJSON(prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	data, _ := json.Marshal(m)
	if want := `{"counters":[],"gauges":[],"histograms":[]}`; string(data) != want {
		t.Errorf("JSON = %s, want %s", data, want)
	}
}

func TestGatherJSON_GathererErrors(t *testing.T) {
	counterFamily := func() *dto.MetricFamily {
		typ := dto.MetricType_COUNTER
		name, help, v := "x_total", "X.", 4.0
		return &dto.MetricFamily{Name: &name, Help: &help, Type: &typ, Metric: []*dto.Metric{{Counter: &dto.Counter{Value: &v}}}}
	}
	tests := []struct {
		name         string
		g            prometheus.Gatherer
		wantErr      bool
		wantCounters int
	}{
		{"total failure", prometheus.GathererFunc(func() ([]*dto.MetricFamily, error) {
			return nil, errors.New("collector broke")
		}), true, 0},
		{"partial failure keeps what was gathered", prometheus.GathererFunc(func() ([]*dto.MetricFamily, error) {
			return []*dto.MetricFamily{counterFamily()}, errors.New("one collector broke")
		}), false, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, err := obs.GatherJSON(tc.g)
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tc.wantErr)
			}
			if len(m.Counters) != tc.wantCounters {
				t.Errorf("counters = %+v, want %d", m.Counters, tc.wantCounters)
			}
			if m.Counters == nil || m.Histograms == nil || m.Gauges == nil {
				t.Error("nil slices would marshal as null")
			}
		})
	}
}

var uuidRE = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

func TestNewRequestID(t *testing.T) {
	seen := map[string]bool{}
	for range 100 {
		id := obs.NewRequestID()
		if !uuidRE.MatchString(id) {
			t.Fatalf("request ID %q is not a UUID", id)
		}
		if seen[id] {
			t.Fatalf("request ID %q repeated", id)
		}
		seen[id] = true
	}
}

func TestRequestIDContext(t *testing.T) {
	if got := obs.RequestIDFromContext(context.Background()); got != "" {
		t.Errorf("RequestIDFromContext(empty) = %q, want empty", got)
	}
	ctx := obs.NewContextWithRequestID(context.Background(), "abc")
	inner := obs.NewContextWithRequestID(ctx, "def")
	if got := obs.RequestIDFromContext(ctx); got != "abc" {
		t.Errorf("got %q, want abc", got)
	}
	if got := obs.RequestIDFromContext(inner); got != "def" {
		t.Errorf("inner got %q, want def", got)
	}
	// Another package's key holding a string must not be read as ours.
	type foreignKey struct{}
	other := context.WithValue(context.Background(), foreignKey{}, "zzz")
	if got := obs.RequestIDFromContext(other); got != "" {
		t.Errorf("foreign key leaked: %q", got)
	}
}
