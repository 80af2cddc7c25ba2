package search

import "github.com/prometheus/client_golang/prometheus"

// metrics are the search service's Prometheus series.
type metrics struct {
	latency *prometheus.HistogramVec
	empty   prometheus.Counter
	// The in-memory lexicon cache (cache.go).
	cache             *prometheus.CounterVec
	cacheBuilds       *prometheus.CounterVec
	cacheBuildSeconds prometheus.Histogram
	cacheBytes        prometheus.Gauge
	cacheProjects     prometheus.Gauge
	cacheEvictions    prometheus.Counter
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
		cache: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "codebase_mcp_search_cache_requests_total",
			Help: "Searches by whether the project's in-memory lexicon was current (hit) or the search ran on PostgreSQL (miss).",
		}, []string{"result"}),
		cacheBuilds: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "codebase_mcp_search_cache_builds_total",
			Help: "Builds of a project's in-memory lexicon, by outcome (success, failure, too_large).",
		}, []string{"outcome"}),
		cacheBuildSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "codebase_mcp_search_cache_build_seconds",
			Help:    "Duration of successful lexicon builds in seconds.",
			Buckets: []float64{0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60},
		}),
		cacheBytes: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "codebase_mcp_search_cache_bytes",
			Help: "Estimated memory held by the in-memory lexicons.",
		}),
		cacheProjects: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "codebase_mcp_search_cache_projects",
			Help: "Projects whose lexicon is in memory.",
		}),
		cacheEvictions: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "codebase_mcp_search_cache_evictions_total",
			Help: "Lexicons evicted to keep the cache within its size.",
		}),
	}
	if reg != nil {
		reg.MustRegister(m.latency, m.empty, m.cache, m.cacheBuilds, m.cacheBuildSeconds, m.cacheBytes,
			m.cacheProjects, m.cacheEvictions)
	}
	m.latency.WithLabelValues("success")
	m.latency.WithLabelValues("failure")
	for _, r := range []string{"hit", "miss"} {
		m.cache.WithLabelValues(r)
	}
	for _, o := range []string{"success", "failure", "too_large"} {
		m.cacheBuilds.WithLabelValues(o)
	}
	return m
}
