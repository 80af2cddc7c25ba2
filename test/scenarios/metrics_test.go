//go:build scenarios

package scenarios_test

import (
	"bytes"
	"fmt"
	"net/http"
	"strings"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/mcp-memory/servers/test/scenarios/report"
)

// scrape reads a server's /metrics in the Prometheus text format and
// parses it with the Prometheus text parser; a parse error fails the test.
func scrape(tb testing.TB, base string) map[string]*dto.MetricFamily {
	tb.Helper()
	fams, err := scrapeErr(base)
	if err != nil {
		tb.Fatal(err)
	}
	return fams
}

func scrapeErr(base string) (map[string]*dto.MetricFamily, error) {
	req, _ := http.NewRequest("GET", base+"/metrics", nil)
	req.Header.Set("Accept", "text/plain")
	resp, err := httpClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("GET %s/metrics: %w", base, err)
	}
	defer resp.Body.Close()
	var buf bytes.Buffer
	buf.ReadFrom(resp.Body) //nolint:errcheck // a short body fails the parse below
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") {
		return nil, fmt.Errorf("GET %s/metrics = %d %q", base, resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(&buf)
	if err != nil {
		return nil, fmt.Errorf("%s/metrics is not valid Prometheus text: %w", base, err)
	}
	return fams, nil
}

// total sums a family's samples over all label sets: counter and gauge
// values, histogram sample counts.
func total(fams map[string]*dto.MetricFamily, name string) (float64, bool) {
	f, ok := fams[name]
	if !ok {
		return 0, false
	}
	var sum float64
	for _, m := range f.GetMetric() {
		switch {
		case m.Counter != nil:
			sum += m.GetCounter().GetValue()
		case m.Gauge != nil:
			sum += m.GetGauge().GetValue()
		case m.Histogram != nil:
			sum += float64(m.GetHistogram().GetSampleCount())
		case m.Untyped != nil:
			sum += m.GetUntyped().GetValue()
		}
	}
	return sum, true
}

// labelled sums a family's samples whose label name has value.
func labelled(fams map[string]*dto.MetricFamily, name, label, value string) float64 {
	f, ok := fams[name]
	if !ok {
		return 0
	}
	var sum float64
	for _, m := range f.GetMetric() {
		match := false
		for _, l := range m.GetLabel() {
			match = match || l.GetName() == label && l.GetValue() == value
		}
		if !match {
			continue
		}
		switch {
		case m.Counter != nil:
			sum += m.GetCounter().GetValue()
		case m.Histogram != nil:
			sum += float64(m.GetHistogram().GetSampleCount())
		}
	}
	return sum
}

// resources are a server's process figures from /metrics.
type resources struct {
	RSSBytes      float64 `json:"rss_bytes"`
	CPUSeconds    float64 `json:"cpu_seconds"`
	Goroutines    float64 `json:"goroutines"`
	PoolUtilPct   float64 `json:"pool_utilization_percent"`
	PoolSize      float64 `json:"pool_size"`
	HealthStatus  string  `json:"health_status"`
	HealthCode    int     `json:"health_code"`
	RequestsTotal float64 `json:"requests_total"`
}

// sampleResources reads /metrics and /health once; a server that does
// not answer gives zeros and its error (the load test counts it).
func sampleResources(s *server) (resources, error) {
	var r resources
	fams, err := scrapeErr(s.URL)
	if err != nil {
		return r, err
	}
	r.RSSBytes, _ = total(fams, "process_resident_memory_bytes")
	r.CPUSeconds, _ = total(fams, "process_cpu_seconds_total")
	r.Goroutines, _ = total(fams, "go_goroutines")
	r.RequestsTotal, _ = total(fams, metricPrefix(s.name)+"_requests_total")
	h := do("GET", s.URL+"/health", nil)
	r.HealthCode, r.HealthStatus = h.Status, str(h.JSON, "status")
	pool := obj(h.JSON["connection_pool"])
	r.PoolUtilPct, r.PoolSize = num(pool, "utilization_percent"), num(pool, "size")
	return r, h.Err
}

// report keeps the figures the report charts.
func (r resources) report() report.Resources {
	return report.Resources{RSSBytes: r.RSSBytes, CPUSeconds: r.CPUSeconds, Goroutines: r.Goroutines,
		PoolUtilPct: r.PoolUtilPct, PoolSize: r.PoolSize}
}

func metricPrefix(name string) string { return strings.ReplaceAll(name, "-", "_") }
