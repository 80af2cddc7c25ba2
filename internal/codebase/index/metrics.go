package index

import (
	"errors"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the index service's Prometheus series.
type metrics struct {
	duration   *prometheus.HistogramVec
	operations *prometheus.CounterVec
	files      *prometheus.CounterVec
	chunks     prometheus.Counter
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "codebase_mcp_indexing_duration_seconds",
			Help:    "Time spent per index job, by pipeline phase (scan, compare, parse, embed, write, delete, finish) and in total.",
			Buckets: []float64{0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15, 30, 60, 120, 300, 600},
		}, []string{"phase"}),
		operations: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "codebase_mcp_indexing_operations_total",
			Help: "Index jobs by outcome: completed, failed, cancelled, interrupted (resumed later).",
		}, []string{"outcome"}),
		files: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "codebase_mcp_indexing_files_total",
			Help: "Files written by index jobs: changed (re-chunked), touched (same content, new mtime), deleted.",
		}, []string{"change"}),
		chunks: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "codebase_mcp_indexing_chunks_total",
			Help: "Chunks written by index jobs.",
		}),
	}
	// Every series exists from the start (at zero), so dashboards and
	// alerts see them before the first job.
	for _, ph := range []string{"scan", "compare", "parse", "embed", "write", "delete", "finish", "total"} {
		m.duration.WithLabelValues(ph)
	}
	for _, o := range []string{"completed", "failed", "cancelled", "interrupted"} {
		m.operations.WithLabelValues(o)
	}
	for _, c := range []string{"changed", "touched", "deleted"} {
		m.files.WithLabelValues(c)
	}
	if reg == nil {
		return m
	}
	m.duration = register(reg, m.duration)
	m.operations = register(reg, m.operations)
	m.files = register(reg, m.files)
	m.chunks = register(reg, m.chunks)
	return m
}

// register registers c, or returns the collector already registered
// under its name (two services on one registry share the series).
func register[C prometheus.Collector](reg prometheus.Registerer, c C) C {
	if err := reg.Register(c); err != nil {
		var are prometheus.AlreadyRegisteredError
		if errors.As(err, &are) {
			if existing, ok := are.ExistingCollector.(C); ok {
				return existing
			}
		}
	}
	return c
}
