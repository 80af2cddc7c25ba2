package dbpool

import (
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// Health statuses (docs/api.md /health).
const (
	StatusHealthy   = "healthy"
	StatusDegraded  = "degraded"
	StatusUnhealthy = "unhealthy"

	DBConnected    = "connected"
	DBDisconnected = "disconnected"
	DBDegraded     = "degraded"
)

// Utilization thresholds: above 80 % in use the pool is degraded, above 95 %
// unhealthy.
const (
	utilizationDegraded  = 80.0
	utilizationUnhealthy = 95.0
)

// Health is a snapshot of the pool and of what the monitor last saw. It is
// computed from memory only, so it answers at once even when the database
// does not.
type Health struct {
	Status         string
	DatabaseStatus string
	Size           int32
	MinSize        int32
	MaxSize        int32
	Free           int32
	InUse          int32
	Waiting        int64
	// UtilizationPercent is the share of MaxSize in use. Measuring against
	// the maximum (not the current size) keeps a pool that grew on demand
	// from looking full while it can still grow.
	UtilizationPercent float64
	ProbeLatency       time.Duration
	// Problem explains a status other than healthy, for the details field.
	Problem string
}

// Health returns the current health snapshot.
func (p *Pool) Health() Health {
	st := p.pool.Stat()
	p.mu.Lock()
	s := p.state
	p.mu.Unlock()
	h := Health{
		Size:         st.TotalConns(),
		MinSize:      p.cfg.MinConns,
		MaxSize:      st.MaxConns(),
		Free:         st.IdleConns(),
		InUse:        st.AcquiredConns(),
		Waiting:      p.waiting.Load(),
		ProbeLatency: s.probeLatency,
	}
	h.UtilizationPercent = utilization(st)
	switch {
	case !s.connected:
		h.Status, h.DatabaseStatus = StatusUnhealthy, DBDisconnected
		h.Problem = "database unreachable, reconnecting: " + s.lastError
	case h.UtilizationPercent > utilizationUnhealthy:
		h.Status, h.DatabaseStatus = StatusUnhealthy, DBConnected
		h.Problem = "connection pool exhausted"
	case h.UtilizationPercent > utilizationDegraded:
		h.Status, h.DatabaseStatus = StatusDegraded, DBConnected
		h.Problem = "connection pool above 80% in use"
	case s.probeLatency > p.cfg.SlowProbe:
		h.Status, h.DatabaseStatus = StatusDegraded, DBDegraded
		h.Problem = "database responding slowly"
	default:
		h.Status, h.DatabaseStatus = StatusHealthy, DBConnected
	}
	return h
}

// utilization is the share of the pool's maximum size in use, in percent
// rounded to one decimal: the one computation behind [Pool.Health],
// /health and pool_utilization_high.
func utilization(st *pgxpool.Stat) float64 {
	max := st.MaxConns()
	if max <= 0 {
		return 0
	}
	return float64(int64(float64(st.AcquiredConns())/float64(max)*1000+0.5)) / 10
}
