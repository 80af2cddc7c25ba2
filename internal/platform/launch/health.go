package launch

import (
	"context"
	"net/http"
	"sync"
	"time"

	"github.com/mcp-memory/servers/internal/platform/dbpool"
	"github.com/mcp-memory/servers/internal/platform/httpserver"
)

// health builds the /health document from memory only: the pool monitor's
// state and the dependency prober's last answers.
func (rt *Runtime[C]) health(deps *dependencyProber) httpserver.HealthReport {
	h := rt.pool.Health()
	rep := httpserver.HealthReport{
		Status:         h.Status,
		Timestamp:      time.Now().UTC().Format(time.RFC3339Nano),
		DatabaseStatus: h.DatabaseStatus,
		ConnectionPool: httpserver.PoolReport{
			Size: h.Size, MinSize: h.MinSize, MaxSize: h.MaxSize, Free: h.Free,
			UtilizationPercent: h.UtilizationPercent,
		},
		UptimeSeconds: rt.uptime(),
		Dependencies:  deps.snapshot(),
	}
	if h.Problem != "" {
		key := "warning"
		if h.Status == "unhealthy" {
			key = "error"
		}
		rep.Details = map[string]string{key: h.Problem}
	}
	if rt.replica != nil {
		rh := rt.replica.Health()
		rep.ReadPool = &httpserver.ReadPoolReport{
			Status: rh.Status, DatabaseStatus: rh.DatabaseStatus,
			PoolReport: httpserver.PoolReport{Size: rh.Size, MinSize: rh.MinSize, MaxSize: rh.MaxSize, Free: rh.Free,
				UtilizationPercent: rh.UtilizationPercent},
			ReplicationLagSeconds: rt.replica.ReplicationLag().Seconds(),
		}
		// A lost replica costs capacity, not correctness: reads fall back
		// to the primary, so the server is degraded, not unhealthy.
		if rh.Status != dbpool.StatusHealthy && rep.Status == dbpool.StatusHealthy {
			rep.Status = dbpool.StatusDegraded
			if rep.Details == nil {
				rep.Details = map[string]string{}
			}
			rep.Details["read_replica"] = rh.Problem + "; reads use the primary"
		}
	}
	return rep
}

// dependencyProber checks other servers' /health in the background, so
// that this server's /health reports them without waiting on them.
type dependencyProber struct {
	urls   map[string]string
	client *http.Client
	mu     sync.Mutex
	state  map[string]string
}

const (
	reachable   = "reachable"
	unreachable = "unreachable"
)

func newDependencyProber(urls map[string]string) *dependencyProber {
	p := &dependencyProber{urls: urls, client: &http.Client{Timeout: time.Second}, state: map[string]string{}}
	for name := range urls {
		p.state[name] = unreachable
	}
	return p
}

func (p *dependencyProber) run(ctx context.Context) {
	if len(p.urls) == 0 {
		return
	}
	for {
		for name, url := range p.urls {
			st := unreachable
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
			if err == nil {
				if resp, err := p.client.Do(req); err == nil {
					resp.Body.Close()
					st = reachable // any answer, even 503, means the server is up
				}
			}
			p.mu.Lock()
			p.state[name] = st
			p.mu.Unlock()
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(5 * time.Second):
		}
	}
}

func (p *dependencyProber) snapshot() map[string]string {
	if len(p.urls) == 0 {
		return nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make(map[string]string, len(p.state))
	for k, v := range p.state {
		out[k] = v
	}
	return out
}
