package codelink

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/mcp-memory/servers/internal/workflow"
)

// TestClient_GarbageAnswersAreOutages serves 200 with a body that is not a
// lookup answer: the error says so and, repeated, opens the breaker like
// any other failure of codebase-mcp.
func TestClient_GarbageAnswersAreOutages(t *testing.T) {
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Write([]byte("<html>proxy error</html>")) //nolint:errcheck // the client's reaction is under test
	}))
	t.Cleanup(s.Close)
	c, _, reg := newClient(t, s.URL)
	q := workflow.CodeQuery{ChunkIDs: []string{"c1"}}
	for range 2 {
		if _, err := c.Lookup(context.Background(), q); err == nil || !strings.Contains(err.Error(), "decode lookup answer") {
			t.Fatalf("err = %v, want a decode error", err)
		}
	}
	if st := c.State(); st != StateOpen {
		t.Errorf("state %d after 2 garbage answers, want open", st)
	}
	if _, err := c.Lookup(context.Background(), q); !errors.Is(err, ErrOpen) {
		t.Errorf("err = %v with the breaker open, want ErrOpen", err)
	}
	if n := gauge(t, reg, "workflow_mcp_codebase_unavailable_total"); n != 3 {
		t.Errorf("unavailable count %v, want 3", n)
	}
}

// TestClient_RefusedChunkLookup returns a 4xx for a chunk lookup: the
// error names the status, and codebase-mcp still counts as reachable.
func TestClient_RefusedChunkLookup(t *testing.T) {
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "nope", http.StatusUnprocessableEntity)
	}))
	t.Cleanup(s.Close)
	c, _, _ := newClient(t, s.URL)
	for range 3 {
		_, err := c.Lookup(context.Background(), workflow.CodeQuery{ChunkIDs: []string{"c1"}})
		if err == nil || !strings.Contains(err.Error(), "answered HTTP 422") {
			t.Fatalf("err = %v, want one naming HTTP 422", err)
		}
	}
	if st := c.State(); st != StateClosed {
		t.Errorf("state %d, want closed: a refusal is not an outage", st)
	}
}

// TestClient_CallerGoneIsNotAnOutage cancels lookups while codebase-mcp is
// slow: they fail with the cancellation and the breaker stays closed.
func TestClient_CallerGoneIsNotAnOutage(t *testing.T) {
	release := make(chan struct{})
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	t.Cleanup(func() { close(release); s.Close() })
	c, _, _ := newClient(t, s.URL)
	for range 3 {
		ctx, cancel := context.WithCancel(context.Background())
		go func() { time.Sleep(10 * time.Millisecond); cancel() }()
		if _, err := c.Lookup(ctx, workflow.CodeQuery{ChunkIDs: []string{"c1"}}); !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v, want context.Canceled", err)
		}
	}
	if st := c.State(); st != StateClosed {
		t.Errorf("state %d after cancelled lookups, want closed", st)
	}
}

// TestNew_MetricsRegisteredTwice reports a second client's metrics on the
// same registry instead of panicking.
func TestNew_MetricsRegisteredTwice(t *testing.T) {
	reg := prometheus.NewRegistry()
	if _, err := New(Config{BaseURL: "http://127.0.0.1:1", Registerer: reg}); err != nil {
		t.Fatal(err)
	}
	if _, err := New(Config{BaseURL: "http://127.0.0.1:1", Registerer: reg}); err == nil {
		t.Error("a second client registered the same metrics without error")
	}
}
