package dbpool

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
)

// monitor probes the database over its own connection, so that a pool
// exhausted by busy requests is never mistaken for a lost database. While
// the database is up it probes every ProbeInterval; once lost it retries
// with exponential backoff and jitter until the database answers again.
func (p *Pool) monitor(ctx context.Context) {
	defer close(p.done)
	var conn *pgx.Conn
	defer func() {
		if conn != nil {
			conn.Close(context.Background())
		}
	}()
	failures := 0
	for {
		start := time.Now()
		err := p.probe(ctx, &conn)
		if ctx.Err() != nil {
			return
		}
		wait := p.cfg.ProbeInterval
		if err != nil {
			p.markLost(start, err)
			wait = backoff(p.cfg.ProbeInterval/4, p.cfg.ReconnectBackoffMax, failures)
			failures++
		} else {
			p.markOK(time.Since(start))
			p.probeLag(ctx, conn)
			failures = 0
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
	}
}

// probe pings over the monitor's connection, (re)connecting when needed.
func (p *Pool) probe(ctx context.Context, conn **pgx.Conn) error {
	pctx, cancel := context.WithTimeout(ctx, p.cfg.ProbeTimeout)
	defer cancel()
	if *conn == nil || (*conn).IsClosed() {
		cc := p.pool.Config().ConnConfig.Copy()
		// The probe must fail inside its own deadline, not the pool's.
		cc.ConnectTimeout = p.cfg.ProbeTimeout
		c, err := pgx.ConnectConfig(pctx, cc)
		if err != nil {
			return err
		}
		*conn = c
	}
	if err := (*conn).Ping(pctx); err != nil {
		(*conn).Close(context.Background())
		*conn = nil
		return err
	}
	return nil
}

func (p *Pool) markOK(latency time.Duration) {
	now := time.Now()
	p.mu.Lock()
	wasLost := !p.state.connected
	lostAt, lastOK := p.state.lostAt, p.state.lastOK
	p.state.connected = true
	p.state.lastOK = now
	p.state.probeLatency = latency
	p.state.lastError = ""
	p.mu.Unlock()
	if !wasLost {
		return
	}
	// Connections opened before the outage are dead; drop them all so no
	// request is handed one.
	p.pool.Reset()
	p.log.Info("database_reconnected",
		"context", map[string]any{
			"database":                p.target,
			"downtime_seconds":        round3(now.Sub(lastOK).Seconds()),
			"since_detection_seconds": round3(now.Sub(lostAt).Seconds()),
			"probe_latency_ms":        round3(float64(latency.Microseconds()) / 1000),
		})
}

func (p *Pool) markLost(probeStart time.Time, err error) {
	now := time.Now()
	p.mu.Lock()
	wasConnected := p.state.connected
	p.state.connected = false
	p.state.lastError = err.Error()
	lastOK := p.state.lastOK
	if wasConnected {
		p.state.lostAt = now
	}
	p.mu.Unlock()
	if !wasConnected {
		return
	}
	p.log.Error("database_connection_lost",
		"error", "database_connection_lost",
		"context", map[string]any{
			"database":               p.target,
			"detection_time_seconds": round3(now.Sub(lastOK).Seconds()),
			"probe_seconds":          round3(now.Sub(probeStart).Seconds()),
		},
		"error_details", map[string]any{"message": err.Error()},
	)
}

// Connected reports whether the last probe reached the database.
func (p *Pool) Connected() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.state.connected
}

func round3(f float64) float64 {
	return float64(int64(f*1000+0.5)) / 1000
}
