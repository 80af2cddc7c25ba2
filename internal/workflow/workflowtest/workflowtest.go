// Package workflowtest gives workflow tests a Service on a fresh, migrated
// PostgreSQL database and a fake codebase-mcp speaking the chunk lookup
// protocol. Tests only.
package workflowtest

import (
	"context"
	"encoding/json"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/mcp-memory/servers/internal/codelink"
	"github.com/mcp-memory/servers/internal/platform/dbpool"
	"github.com/mcp-memory/servers/internal/platform/dbtest"
	"github.com/mcp-memory/servers/internal/workflow"
	"github.com/mcp-memory/servers/internal/workflow/pgstore"
	"github.com/mcp-memory/servers/migrations"
)

// Env is a service under test and what it runs on.
type Env struct {
	Service  *workflow.Service
	Store    *pgstore.Store
	Pool     *dbpool.Pool
	DSN      string
	Registry *prometheus.Registry
	Code     *codelink.Client // nil without a codebase URL
}

// Options configure [New].
type Options struct {
	// DSN reuses a database (e.g. to simulate a restart); empty: a new one.
	DSN string
	// CodebaseURL, when set, wires a codelink client to it.
	CodebaseURL string
	// CodeTimeout, Cooldown and FailureThreshold tune the client.
	CodeTimeout      time.Duration
	Cooldown         time.Duration
	FailureThreshold int
	// MaxConns sizes the pool (default 8).
	MaxConns int32
}

// New opens a pool on a fresh migrated database (or opts.DSN) and builds
// the service. Everything is closed when the test ends.
func New(tb testing.TB, opts Options) *Env {
	tb.Helper()
	dsn := opts.DSN
	if dsn == "" {
		dsn = dbtest.New(tb, migrations.Workflow())
	}
	if opts.MaxConns == 0 {
		opts.MaxConns = 8
	}
	log := slog.New(slog.DiscardHandler)
	pool, err := dbpool.Open(context.Background(), dbpool.Config{DSN: dsn, MaxConns: opts.MaxConns}, log)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(pool.Close)
	env := &Env{Store: pgstore.New(pool), Pool: pool, DSN: dsn, Registry: prometheus.NewRegistry()}
	cfg := workflow.Config{Store: env.Store, Logger: log, Registerer: env.Registry}
	if opts.CodebaseURL != "" {
		env.Code, err = codelink.New(codelink.Config{BaseURL: opts.CodebaseURL, Timeout: opts.CodeTimeout,
			Cooldown: opts.Cooldown, FailureThreshold: opts.FailureThreshold, Registerer: env.Registry})
		if err != nil {
			tb.Fatal(err)
		}
		cfg.Code = env.Code
	}
	env.Service, err = workflow.NewService(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	return env
}

// Project creates a project and makes it active.
func (e *Env) Project(tb testing.TB, name string) workflow.Project {
	tb.Helper()
	p, err := e.Service.CreateProject(context.Background(), name, "")
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := e.Service.SwitchProject(context.Background(), p.ID); err != nil {
		tb.Fatal(err)
	}
	return p
}

// Chunk is a chunk as codebase-mcp's lookup answers it.
type Chunk struct {
	ChunkID      string `json:"chunk_id"`
	RepositoryID string `json:"repository_id"`
	FilePath     string `json:"file_path"`
	Symbol       string `json:"symbol"`
	StartLine    int    `json:"start_line"`
	EndLine      int    `json:"end_line"`
	ContentHash  string `json:"content_hash"`
}

// Codebase is a fake codebase-mcp serving POST /mcp/chunks/lookup from
// an in-memory chunk set (the fake stands in for the other server, not
// for PostgreSQL).
type Codebase struct {
	*httptest.Server
	mu       sync.Mutex
	chunks   map[string]Chunk
	requests int
	// NoLocations makes it refuse "locations" with 400, like a
	// codebase-mcp that does not implement the extension.
	NoLocations bool
}

// NewCodebase starts a fake codebase-mcp, closed when the test ends.
func NewCodebase(tb testing.TB) *Codebase {
	c := &Codebase{chunks: map[string]Chunk{}}
	c.Server = httptest.NewServer(http.HandlerFunc(c.serve))
	tb.Cleanup(c.Close)
	return c
}

// Put adds or replaces chunks.
func (c *Codebase) Put(chunks ...Chunk) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, ch := range chunks {
		c.chunks[ch.ChunkID] = ch
	}
}

// Delete removes chunks, as a re-index does when code changed.
func (c *Codebase) Delete(ids ...string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, id := range ids {
		delete(c.chunks, id)
	}
}

// Requests is how many lookups were served.
func (c *Codebase) Requests() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.requests
}

func (c *Codebase) serve(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.URL.Path != "/mcp/chunks/lookup" {
		http.NotFound(w, r)
		return
	}
	var req struct {
		ChunkIDs  []string `json:"chunk_ids"`
		Locations []struct {
			RepositoryID string `json:"repository_id"`
			FilePath     string `json:"file_path"`
			Symbol       string `json:"symbol"`
		} `json:"locations"`
	}
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil || req.ChunkIDs == nil || (c.NoLocations && req.Locations != nil) {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.requests++
	resp := struct {
		Found   []Chunk  `json:"found"`
		Missing []string `json:"missing"`
		Located []Chunk  `json:"located,omitempty"`
	}{Found: []Chunk{}, Missing: []string{}}
	for _, id := range req.ChunkIDs {
		if ch, ok := c.chunks[id]; ok {
			resp.Found = append(resp.Found, ch)
		} else {
			resp.Missing = append(resp.Missing, id)
		}
	}
	for _, l := range req.Locations {
		for _, ch := range c.chunks {
			if ch.RepositoryID == l.RepositoryID && ch.FilePath == l.FilePath && ch.Symbol == l.Symbol {
				resp.Located = append(resp.Located, ch)
			}
		}
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(resp)
}

// RefusedURL returns the URL of a port nobody listens on: connections are
// refused, like a codebase-mcp that is down.
func RefusedURL(tb testing.TB) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return "http://" + addr
}

// Hanging is a listener that accepts connections and never answers, like
// a codebase-mcp stuck in a long pause.
type Hanging struct {
	l        net.Listener
	mu       sync.Mutex
	accepted int
	conns    []net.Conn
}

// NewHanging starts a hanging listener, closed when the test ends.
func NewHanging(tb testing.TB) *Hanging {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	h := &Hanging{l: l}
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			h.mu.Lock()
			h.accepted++
			h.conns = append(h.conns, c)
			h.mu.Unlock()
		}
	}()
	tb.Cleanup(func() {
		l.Close()
		h.mu.Lock()
		defer h.mu.Unlock()
		for _, c := range h.conns {
			c.Close()
		}
	})
	return h
}

// URL is the listener's base URL.
func (h *Hanging) URL() string { return "http://" + h.l.Addr().String() }

// Accepted is how many connections were accepted.
func (h *Hanging) Accepted() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.accepted
}
