package dbpool

import "github.com/prometheus/client_golang/prometheus"

// Collector exports the pool statistics as gauges named
// <prefix>_db_pool_*; it reads them at scrape time.
type Collector struct {
	p                                         *Pool
	size, idle, inUse, max, min, waiting, up  *prometheus.Desc
	acquires, emptyAcquires, canceledAcquires *prometheus.Desc
}

// NewCollector returns a collector over p for registration on a registry.
func NewCollector(p *Pool, prefix string) *Collector {
	d := func(name, help string) *prometheus.Desc {
		return prometheus.NewDesc(prefix+"_db_pool_"+name, help, nil, nil)
	}
	return &Collector{
		p:                p,
		size:             d("connections", "Open connections in the pool."),
		idle:             d("idle_connections", "Idle connections in the pool."),
		inUse:            d("in_use_connections", "Connections currently in use."),
		max:              d("max_connections", "Maximum pool size."),
		min:              d("min_connections", "Minimum pool size."),
		waiting:          d("waiting_requests", "Operations waiting for a connection."),
		up:               d("database_up", "1 when the last probe reached the database, else 0."),
		acquires:         d("acquires_total", "Connections acquired from the pool."),
		emptyAcquires:    d("empty_acquires_total", "Acquisitions that had to wait for a connection."),
		canceledAcquires: d("canceled_acquires_total", "Acquisitions abandoned by their caller."),
	}
}

// Describe implements prometheus.Collector.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.size, c.idle, c.inUse, c.max, c.min, c.waiting, c.up, c.acquires, c.emptyAcquires, c.canceledAcquires} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	st := c.p.pool.Stat()
	up := 0.0
	if c.p.Connected() {
		up = 1
	}
	g := func(d *prometheus.Desc, v float64) { ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v) }
	cnt := func(d *prometheus.Desc, v float64) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, v)
	}
	g(c.size, float64(st.TotalConns()))
	g(c.idle, float64(st.IdleConns()))
	g(c.inUse, float64(st.AcquiredConns()))
	g(c.max, float64(st.MaxConns()))
	g(c.min, float64(c.p.cfg.MinConns))
	g(c.waiting, float64(c.p.waiting.Load()))
	g(c.up, up)
	cnt(c.acquires, float64(st.AcquireCount()))
	cnt(c.emptyAcquires, float64(st.EmptyAcquireCount()))
	cnt(c.canceledAcquires, float64(st.CanceledAcquireCount()))
}
