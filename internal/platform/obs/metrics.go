package obs

import (
	"github.com/mcp-memory/servers/internal/apperr"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// NewRegistry returns a registry with the Go runtime and process collectors.
// It is made once in run and passed down; nothing registers globally.
func NewRegistry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	return reg
}

// Outcomes of a request, the values of the outcome label and log field.
const (
	OutcomeSuccess = "success"
	OutcomeFailure = "failure"
)

// RequestMetrics counts and times every request and tool call. Label values
// come from closed sets (route patterns, tool names, error codes) so the
// number of series stays bounded.
type RequestMetrics struct {
	Requests *prometheus.CounterVec
	Errors   *prometheus.CounterVec
	Duration *prometheus.HistogramVec
}

// NewRequestMetrics registers the request metrics named <prefix>_requests_total,
// <prefix>_errors_total and <prefix>_request_duration_seconds on reg.
func NewRequestMetrics(reg prometheus.Registerer, prefix string) *RequestMetrics {
	m := &RequestMetrics{
		Requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: prefix + "_requests_total",
			Help: "Requests and tool calls handled, by operation and outcome.",
		}, []string{"operation", "outcome"}),
		Errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: prefix + "_errors_total",
			Help: "Failed requests and tool calls, by operation and error code.",
		}, []string{"operation", "code"}),
		Duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    prefix + "_request_duration_seconds",
			Help:    "Request and tool call latency in seconds, by operation.",
			Buckets: []float64{0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10},
		}, []string{"operation"}),
	}
	reg.MustRegister(m.Requests, m.Errors, m.Duration)
	return m
}

// Observe records one finished operation. code is empty on success.
func (m *RequestMetrics) Observe(operation string, seconds float64, code string) {
	outcome := OutcomeSuccess
	if code != "" {
		outcome = OutcomeFailure
		m.Errors.WithLabelValues(operation, code).Inc()
	}
	m.Requests.WithLabelValues(operation, outcome).Inc()
	m.Duration.WithLabelValues(operation).Observe(seconds)
}

// Init creates operation's series at zero, so that every family exists,
// and alerts on error rates have data, before the first request or error.
// Of the error codes only the server-side ones are created ahead; the
// client-caused ones appear when they first happen.
func (m *RequestMetrics) Init(operation string) {
	m.Requests.WithLabelValues(operation, OutcomeSuccess)
	m.Requests.WithLabelValues(operation, OutcomeFailure)
	m.Duration.WithLabelValues(operation)
	for _, code := range []apperr.Code{apperr.Internal, apperr.Unavailable} {
		m.Errors.WithLabelValues(operation, string(code))
	}
}
