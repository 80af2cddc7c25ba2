package httpserver

import (
	"encoding/json"
	"net/http"
	"strings"

	"github.com/mcp-memory/servers/internal/platform/obs"
)

// HealthReport is the /health document (docs/api.md).
type HealthReport struct {
	Status         string            `json:"status"`
	Timestamp      string            `json:"timestamp"`
	DatabaseStatus string            `json:"database_status"`
	ConnectionPool PoolReport        `json:"connection_pool"`
	UptimeSeconds  float64           `json:"uptime_seconds"`
	Details        map[string]string `json:"details"`
	// Dependencies is set by workflow-mcp only.
	Dependencies map[string]string `json:"dependencies,omitempty"`
	// ReadPool reports the read replica's pool, when one is configured.
	ReadPool *ReadPoolReport `json:"read_pool,omitempty"`
}

// ReadPoolReport is the read_pool object of /health.
type ReadPoolReport struct {
	Status         string `json:"status"`
	DatabaseStatus string `json:"database_status"`
	PoolReport
	ReplicationLagSeconds float64 `json:"replication_lag_seconds"`
}

// PoolReport is the connection_pool object of /health.
type PoolReport struct {
	Size               int32   `json:"size"`
	MinSize            int32   `json:"min_size"`
	MaxSize            int32   `json:"max_size"`
	Free               int32   `json:"free"`
	UtilizationPercent float64 `json:"utilization_percent"`
}

// health answers 200 when healthy or degraded and 503 when unhealthy.
func (s *Server) health(w http.ResponseWriter, r *http.Request) {
	rep := s.deps.Health(r.Context())
	status := http.StatusOK
	if rep.Status == "unhealthy" {
		status = http.StatusServiceUnavailable
		w.Header().Set("Retry-After", "5")
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, status, rep)
}

// metricsHandler serves Prometheus text, or the JSON form when the client
// asks for application/json.
func (s *Server) metricsHandler() http.Handler {
	prom := promHandler(s.deps.Gatherer, s.deps.Logger)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if wantsJSON(r) {
			m, err := obs.GatherJSON(s.deps.Gatherer)
			if err != nil {
				writeError(w, r, s.deps.Logger, err)
				return
			}
			w.Header().Set("Content-Type", "application/json")
			_ = json.NewEncoder(w).Encode(m)
			return
		}
		prom.ServeHTTP(w, r)
	})
}

func wantsJSON(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept"), ",") {
		mt, _, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.EqualFold(strings.TrimSpace(mt), "application/json") {
			return true
		}
	}
	return false
}
