package codelink

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/mcp-memory/servers/internal/workflow"
)

// fakeClock is advanced by hand, so breaker cooldowns need no sleeping.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// server answers lookups from a fixed chunk, or fails with status while
// failing is set.
func server(t *testing.T, failing *atomic.Int32, calls *atomic.Int32) *httptest.Server {
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		if r.URL.Path != "/mcp/chunks/lookup" || r.Header.Get("Authorization") != "Bearer tok" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		if st := failing.Load(); st != 0 {
			w.WriteHeader(int(st))
			return
		}
		var req lookupRequest
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		resp := lookupResponse{Found: []chunk{}, Missing: []string{}}
		for _, id := range req.ChunkIDs {
			if id == "c1" {
				resp.Found = append(resp.Found, chunk{ChunkID: "c1", RepositoryID: "r", FilePath: "a.go", Symbol: "F", StartLine: 3, EndLine: 9, ContentHash: "h"})
			} else {
				resp.Missing = append(resp.Missing, id)
			}
		}
		for _, l := range req.Locations {
			resp.Located = append(resp.Located, chunk{ChunkID: "c2", RepositoryID: l.RepositoryID, FilePath: l.FilePath, Symbol: l.Symbol})
		}
		_ = json.NewEncoder(w).Encode(resp)
	}))
	t.Cleanup(s.Close)
	return s
}

func newClient(t *testing.T, url string) (*Client, *fakeClock, *prometheus.Registry) {
	reg := prometheus.NewRegistry()
	c, err := New(Config{BaseURL: url + "/", AuthToken: "tok", FailureThreshold: 2, Cooldown: 10 * time.Second, Registerer: reg})
	if err != nil {
		t.Fatal(err)
	}
	clock := &fakeClock{t: time.Unix(1e9, 0)}
	c.now = clock.now
	return c, clock, reg
}

func gauge(t *testing.T, reg *prometheus.Registry, name string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == name {
			m := mf.GetMetric()[0]
			switch {
			case m.Gauge != nil:
				return m.GetGauge().GetValue()
			case m.Counter != nil:
				return m.GetCounter().GetValue()
			case m.Histogram != nil:
				return float64(m.GetHistogram().GetSampleCount())
			}
		}
	}
	t.Fatalf("metric %s not registered", name)
	return 0
}

func TestClient_Lookup(t *testing.T) {
	var failing, calls atomic.Int32
	c, _, reg := newClient(t, server(t, &failing, &calls).URL)
	ans, err := c.Lookup(context.Background(), workflow.CodeQuery{ChunkIDs: []string{"c1", "gone"},
		Locations: []workflow.Location{{RepositoryID: "r", FilePath: "a.go", Symbol: "F"}}})
	if err != nil {
		t.Fatal(err)
	}
	if len(ans.Found) != 1 || ans.Found[0].FilePath != "a.go" || ans.Found[0].StartLine != 3 || ans.Found[0].ContentHash != "h" {
		t.Errorf("found %+v", ans.Found)
	}
	if len(ans.Missing) != 1 || ans.Missing[0] != "gone" || len(ans.Located) != 1 || ans.Located[0].ChunkID != "c2" {
		t.Errorf("missing %v located %+v", ans.Missing, ans.Located)
	}
	if gauge(t, reg, "workflow_mcp_codebase_lookup_seconds") != 1 {
		t.Error("lookup not timed")
	}
	// A reachability check right after a success needs no request.
	before := calls.Load()
	if _, err := c.Lookup(context.Background(), workflow.CodeQuery{}); err != nil || calls.Load() != before {
		t.Errorf("reachability check: err %v, %d requests", err, calls.Load()-before)
	}
}

func TestClient_Breaker(t *testing.T) {
	var failing, calls atomic.Int32
	c, clock, reg := newClient(t, server(t, &failing, &calls).URL)
	ctx := context.Background()
	q := workflow.CodeQuery{ChunkIDs: []string{"c1"}}

	failing.Store(http.StatusServiceUnavailable)
	for range 2 {
		if _, err := c.Lookup(ctx, q); err == nil {
			t.Fatal("lookup succeeded against a failing server")
		}
	}
	if c.State() != StateOpen || gauge(t, reg, "workflow_mcp_codebase_breaker_state") != StateOpen {
		t.Fatalf("state %d after 2 failures, want open", c.State())
	}
	n := calls.Load()
	if _, err := c.Lookup(ctx, q); !errors.Is(err, ErrOpen) || calls.Load() != n {
		t.Fatalf("open breaker: err %v, server called %d times", err, calls.Load()-n)
	}
	if got := gauge(t, reg, "workflow_mcp_codebase_unavailable_total"); got != 3 {
		t.Errorf("unavailable_total %v, want 3", got)
	}

	clock.advance(10 * time.Second)
	if c.State() != StateHalfOpen {
		t.Fatalf("state %d after the cooldown, want half-open", c.State())
	}
	// The call that finds the breaker half-open does not wait for the
	// probe: it is refused at once while the probe runs in the background.
	if _, err := c.Lookup(ctx, q); !errors.Is(err, ErrOpen) {
		t.Fatalf("half-open call: err %v, want ErrOpen", err)
	}
	if s := settle(c); s != StateOpen {
		t.Fatalf("failed probe: state %d, want open again", s)
	}
	clock.advance(10 * time.Second)
	failing.Store(0)
	if _, err := c.Lookup(ctx, q); !errors.Is(err, ErrOpen) {
		t.Fatalf("half-open call: err %v, want ErrOpen", err)
	}
	if s := settle(c); s != StateClosed {
		t.Fatalf("successful probe: state %d, want closed", s)
	}
	if _, err := c.Lookup(ctx, q); err != nil {
		t.Fatalf("closed again: %v", err)
	}
	if gauge(t, reg, "workflow_mcp_codebase_breaker_state") != StateClosed {
		t.Error("gauge not back to closed")
	}
}

// 4xx answers come from a running codebase-mcp: they are not outages.
func TestClient_ClientErrorsAreNotOutages(t *testing.T) {
	var failing, calls atomic.Int32
	c, _, _ := newClient(t, server(t, &failing, &calls).URL)
	failing.Store(http.StatusBadRequest)
	for range 5 {
		if _, err := c.Lookup(context.Background(), workflow.CodeQuery{}); err != nil {
			t.Fatalf("reachability with a 400: %v", err)
		}
		if _, err := c.Lookup(context.Background(), workflow.CodeQuery{Locations: []workflow.Location{{RepositoryID: "r"}}}); err != nil {
			t.Fatalf("refused locations: %v", err)
		}
	}
	if c.State() != StateClosed {
		t.Errorf("state %d, want closed", c.State())
	}
}

func TestNew_RejectsBadURL(t *testing.T) {
	if _, err := New(Config{BaseURL: "127.0.0.1:8020"}); err == nil {
		t.Error("accepted a URL without scheme")
	}
}

// settle waits for the background probe to finish and returns the state.
func settle(c *Client) int {
	for {
		c.mu.Lock()
		probing, state := c.probing, c.currentState()
		c.mu.Unlock()
		if !probing {
			return state
		}
		time.Sleep(time.Millisecond)
	}
}
