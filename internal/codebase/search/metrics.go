package search

import "github.com/prometheus/client_golang/prometheus"

// metrics are the search service's Prometheus series.
type metrics struct {
	latency *prometheus.HistogramVec
	empty   prometheus.Counter
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "codebase_mcp_search_latency_seconds",
			Help:    "Search latency in seconds, from request to ranked results, by outcome.",
			Buckets: []float64{0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 1, 2.5},
		}, []string{"outcome"}),
		empty: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "codebase_mcp_search_empty_results_total",
			Help: "Searches that returned no result.",
		}),
	}
	if reg != nil {
		reg.MustRegister(m.latency, m.empty)
	}
	m.latency.WithLabelValues("success")
	m.latency.WithLabelValues("failure")
	return m
}
