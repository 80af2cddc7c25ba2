package dbpool

import (
	"context"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/prometheus/client_golang/prometheus"
)

// Pools routes a server's database work: writes (and reads that must see
// their own writes) to the primary, other reads to the replica when one is
// configured and reachable. A lost replica makes reads fall back to the
// primary with a warning, never fail.
type Pools struct {
	// Primary takes every write.
	Primary *Pool
	// Replica is the read-only standby, nil when none is configured.
	Replica *Pool
	log     *slog.Logger
	// fellBack remembers whether the last Read fell back, so that the
	// warning is logged once per outage, not per read.
	fellBack atomic.Bool
}

// NewPools returns the router over primary and replica (which may be nil).
func NewPools(primary, replica *Pool, log *slog.Logger) *Pools {
	return &Pools{Primary: primary, Replica: replica, log: log}
}

// Read returns the pool for a read-only operation that may lag behind
// writes by the replication delay: the replica while its monitor reaches
// it, else the primary.
func (ps *Pools) Read() *Pool {
	if ps == nil || ps.Replica == nil {
		return ps.primary()
	}
	if ps.Replica.Connected() {
		if ps.fellBack.CompareAndSwap(true, false) {
			ps.log.Info("read_replica_restored", "context", map[string]any{"database": ps.Replica.target})
		}
		return ps.Replica
	}
	if ps.fellBack.CompareAndSwap(false, true) {
		ps.log.Warn("read_replica_unavailable", "context", map[string]any{
			"database": ps.Replica.target, "fallback": "primary"})
	}
	return ps.Primary
}

// Write returns the primary.
func (ps *Pools) Write() *Pool { return ps.primary() }

func (ps *Pools) primary() *Pool {
	if ps == nil {
		return nil
	}
	return ps.Primary
}

// replicationLag measures how far a standby's replay is behind: zero when
// it has replayed everything it received (an idle primary sends nothing,
// so the age of the last replayed transaction would overstate the lag),
// else the age of the last replayed transaction, or, when it has replayed
// none since it started, the time since it started (it is at least that
// far behind). On a server that is not in recovery it is zero.
const replicationLag = `SELECT CASE
	WHEN NOT pg_is_in_recovery() THEN 0
	WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0
	ELSE EXTRACT(EPOCH FROM now() - COALESCE(pg_last_xact_replay_timestamp(), pg_postmaster_start_time()))
END::float8`

// probeLag reads the replication lag over the monitor's connection.
func (p *Pool) probeLag(ctx context.Context, conn *pgx.Conn) {
	if !p.cfg.Replica || conn == nil {
		return
	}
	pctx, cancel := context.WithTimeout(ctx, p.cfg.ProbeTimeout)
	defer cancel()
	var lag float64
	if err := conn.QueryRow(pctx, replicationLag).Scan(&lag); err != nil {
		return
	}
	p.lagMillis.Store(int64(lag * 1000))
}

// ReplicationLag is the replica's last measured replay lag (zero for a
// primary or before the first measurement).
func (p *Pool) ReplicationLag() time.Duration {
	return time.Duration(p.lagMillis.Load()) * time.Millisecond
}

// LagCollector exports <prefix>_db_replica_lag_seconds for a replica pool.
type LagCollector struct {
	p    *Pool
	desc *prometheus.Desc
}

// NewLagCollector returns the replication lag gauge of replica.
func NewLagCollector(replica *Pool, prefix string) *LagCollector {
	return &LagCollector{p: replica, desc: prometheus.NewDesc(prefix+"_db_replica_lag_seconds",
		"Replication replay lag of the read replica, measured by its monitor every probe.", nil, nil)}
}

// Describe implements prometheus.Collector.
func (c *LagCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

// Collect implements prometheus.Collector.
func (c *LagCollector) Collect(ch chan<- prometheus.Metric) {
	ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, c.p.ReplicationLag().Seconds())
}
