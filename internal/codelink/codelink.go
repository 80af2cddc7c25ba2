// Package codelink is workflow-mcp's client of codebase-mcp's chunk lookup
// (POST {base}/mcp/chunks/lookup). It implements [workflow.CodeLookup]
// with a short timeout and a circuit breaker, so that a down or hanging
// codebase-mcp costs workflow-mcp at most one timeout per cooldown instead
// of one per request.
package codelink

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/mcp-memory/servers/internal/workflow"
)

// ErrOpen is returned without contacting codebase-mcp while the breaker is open.
var ErrOpen = errors.New("codelink: codebase-mcp unavailable (circuit open)")

// Config configures [New].
type Config struct {
	// BaseURL is codebase-mcp's base URL, e.g. http://127.0.0.1:8020 (required).
	BaseURL string
	// AuthToken, when set, is sent as a Bearer token.
	AuthToken string
	// Timeout bounds one lookup, connection included (default 500 ms).
	Timeout time.Duration
	// FailureThreshold is how many consecutive failures open the breaker (default 3).
	FailureThreshold int
	// Cooldown is how long the breaker stays open before one probe may
	// pass (default 5 s).
	Cooldown time.Duration
	// ReachableTTL is how long a successful exchange vouches for
	// reachability, so reachability-only queries need no request (default 2 s).
	ReachableTTL time.Duration
	// Registerer receives the metrics (nil: not registered).
	Registerer prometheus.Registerer
	// Transport overrides the HTTP transport (tests).
	Transport http.RoundTripper
}

// Breaker states, also the values of the state gauge.
const (
	StateClosed   = 0
	StateHalfOpen = 1
	StateOpen     = 2
)

// Client calls codebase-mcp. It is safe for concurrent use.
type Client struct {
	cfg  Config
	url  string
	http *http.Client

	lookupSeconds prometheus.Histogram
	unavailable   prometheus.Counter
	stateGauge    prometheus.Gauge

	mu       sync.Mutex
	state    int
	failures int
	openedAt time.Time
	probing  bool // a half-open probe is in flight
	lastOK   time.Time
	now      func() time.Time
}

var _ workflow.CodeLookup = (*Client)(nil)

// New returns a Client. It fails on a bad configuration or when the
// metrics cannot be registered.
func New(cfg Config) (*Client, error) {
	base := strings.TrimRight(cfg.BaseURL, "/")
	if !strings.HasPrefix(base, "http://") && !strings.HasPrefix(base, "https://") {
		return nil, fmt.Errorf("codelink: base URL %q must start with http:// or https://", cfg.BaseURL)
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = 500 * time.Millisecond
	}
	if cfg.FailureThreshold == 0 {
		cfg.FailureThreshold = 3
	}
	if cfg.Cooldown == 0 {
		cfg.Cooldown = 5 * time.Second
	}
	if cfg.ReachableTTL == 0 {
		cfg.ReachableTTL = 2 * time.Second
	}
	tr := cfg.Transport
	if tr == nil {
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.MaxIdleConnsPerHost = 16
		tr = t
	}
	c := &Client{
		cfg:  cfg,
		url:  base + "/mcp/chunks/lookup",
		http: &http.Client{Timeout: cfg.Timeout, Transport: tr},
		lookupSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "workflow_mcp_codebase_lookup_seconds", Help: "Time of chunk lookups sent to codebase-mcp, failures included.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1}}),
		unavailable: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "workflow_mcp_codebase_unavailable_total", Help: "Chunk lookups that failed or were refused by the open circuit breaker."}),
		stateGauge: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "workflow_mcp_codebase_breaker_state", Help: "Circuit breaker towards codebase-mcp: 0 closed, 1 half-open, 2 open."}),
		now: time.Now,
	}
	if cfg.Registerer != nil {
		for _, m := range []prometheus.Collector{c.lookupSeconds, c.unavailable, c.stateGauge} {
			if err := cfg.Registerer.Register(m); err != nil {
				return nil, err
			}
		}
	}
	return c, nil
}

// State returns the breaker state (StateClosed, StateHalfOpen, StateOpen).
func (c *Client) State() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.currentState()
}

// currentState moves an open breaker to half-open once the cooldown is
// over. Callers hold mu.
func (c *Client) currentState() int {
	if c.state == StateOpen && c.now().Sub(c.openedAt) >= c.cfg.Cooldown {
		c.setState(StateHalfOpen)
	}
	return c.state
}

func (c *Client) setState(s int) {
	c.state = s
	c.stateGauge.Set(float64(s))
}

// admit decides whether a request may go out: always when closed, never
// otherwise. When half-open it starts one probe in the background, so no
// caller ever waits on a probe of a codebase-mcp that may still hang.
func (c *Client) admit() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch c.currentState() {
	case StateOpen:
		return ErrOpen
	case StateHalfOpen:
		if !c.probing {
			c.probing = true
			go c.probe()
		}
		return ErrOpen
	}
	return nil
}

// probe checks reachability once and closes or re-opens the breaker.
func (c *Client) probe() {
	ctx, cancel := context.WithTimeout(context.Background(), c.cfg.Timeout)
	defer cancel()
	start := time.Now()
	_, err := c.do(ctx, workflow.CodeQuery{})
	c.lookupSeconds.Observe(time.Since(start).Seconds())
	var he errHTTP
	c.record(true, err == nil || (errors.As(err, &he) && he.status < 500))
}

// record updates the breaker with a request's outcome.
func (c *Client) record(probe bool, ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if probe {
		c.probing = false
	}
	if ok {
		c.failures = 0
		c.lastOK = c.now()
		c.setState(StateClosed)
		return
	}
	c.failures++
	if probe || c.failures >= c.cfg.FailureThreshold {
		c.openedAt = c.now()
		c.setState(StateOpen)
	}
}

// recentlyOK reports a successful exchange within ReachableTTL while closed.
func (c *Client) recentlyOK() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.currentState() == StateClosed && !c.lastOK.IsZero() && c.now().Sub(c.lastOK) < c.cfg.ReachableTTL
}

// lookupRequest and lookupResponse are the wire format of
// POST /mcp/chunks/lookup. "locations" is workflow-mcp's extension: for
// each (repository_id, file_path, symbol) the chunk now there, answered in
// "located"; it is only sent when needed.
type lookupRequest struct {
	ChunkIDs  []string   `json:"chunk_ids"`
	Locations []location `json:"locations,omitempty"`
}

type location struct {
	RepositoryID string `json:"repository_id"`
	FilePath     string `json:"file_path"`
	Symbol       string `json:"symbol"`
}

type chunk struct {
	ChunkID      string `json:"chunk_id"`
	RepositoryID string `json:"repository_id"`
	FilePath     string `json:"file_path"`
	Symbol       string `json:"symbol"`
	StartLine    int    `json:"start_line"`
	EndLine      int    `json:"end_line"`
	ContentHash  string `json:"content_hash"`
}

type lookupResponse struct {
	Found   []chunk  `json:"found"`
	Missing []string `json:"missing"`
	Located []chunk  `json:"located"`
}

// errHTTP is a response codebase-mcp gave but that is not an answer.
type errHTTP struct{ status int }

func (e errHTTP) Error() string {
	return fmt.Sprintf("codelink: codebase-mcp answered HTTP %d", e.status)
}

// Lookup implements [workflow.CodeLookup]. An empty query checks
// reachability only, answered from recent exchanges when possible.
func (c *Client) Lookup(ctx context.Context, q workflow.CodeQuery) (workflow.CodeAnswer, error) {
	empty := len(q.ChunkIDs) == 0 && len(q.Locations) == 0
	if empty && c.recentlyOK() {
		return workflow.CodeAnswer{}, nil
	}
	if err := c.admit(); err != nil {
		c.unavailable.Inc()
		return workflow.CodeAnswer{}, err
	}
	start := time.Now()
	ans, err := c.do(ctx, q)
	c.lookupSeconds.Observe(time.Since(start).Seconds())
	var he errHTTP
	switch {
	case err == nil:
		c.record(false, true)
		return ans, nil
	case errors.As(err, &he) && he.status < 500:
		// codebase-mcp is up but refused the request (for example an
		// older version without "locations"): not an outage.
		c.record(false, true)
		if len(q.ChunkIDs) == 0 {
			// Reachable; a refused "locations" query just means no suggestions.
			return workflow.CodeAnswer{}, nil
		}
		return workflow.CodeAnswer{}, err
	case errors.Is(ctx.Err(), context.Canceled):
		// The caller went away; that says nothing about codebase-mcp.
		return workflow.CodeAnswer{}, err
	}
	c.record(false, false)
	c.unavailable.Inc()
	return workflow.CodeAnswer{}, err
}

// do sends one lookup.
func (c *Client) do(ctx context.Context, q workflow.CodeQuery) (workflow.CodeAnswer, error) {
	req := lookupRequest{ChunkIDs: q.ChunkIDs}
	if req.ChunkIDs == nil {
		req.ChunkIDs = []string{}
	}
	for _, l := range q.Locations {
		req.Locations = append(req.Locations, location{RepositoryID: l.RepositoryID, FilePath: l.FilePath, Symbol: l.Symbol})
	}
	body, _ := json.Marshal(req)
	hr, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url, bytes.NewReader(body))
	if err != nil {
		return workflow.CodeAnswer{}, err
	}
	hr.Header.Set("Content-Type", "application/json")
	if c.cfg.AuthToken != "" {
		hr.Header.Set("Authorization", "Bearer "+c.cfg.AuthToken)
	}
	resp, err := c.http.Do(hr)
	if err != nil {
		return workflow.CodeAnswer{}, fmt.Errorf("codelink: lookup chunks: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		return workflow.CodeAnswer{}, errHTTP{resp.StatusCode}
	}
	var lr lookupResponse
	if err := json.NewDecoder(io.LimitReader(resp.Body, 32<<20)).Decode(&lr); err != nil {
		return workflow.CodeAnswer{}, fmt.Errorf("codelink: decode lookup answer: %w", err)
	}
	ans := workflow.CodeAnswer{Missing: lr.Missing}
	for _, ch := range lr.Found {
		ans.Found = append(ans.Found, ch.ref())
	}
	for _, ch := range lr.Located {
		ans.Located = append(ans.Located, ch.ref())
	}
	return ans, nil
}

func (ch chunk) ref() workflow.ChunkRef {
	return workflow.ChunkRef{ChunkID: ch.ChunkID, RepositoryID: ch.RepositoryID, FilePath: ch.FilePath,
		Symbol: ch.Symbol, StartLine: ch.StartLine, EndLine: ch.EndLine, ContentHash: ch.ContentHash}
}

// Unavailable is the workflow_mcp_codebase_unavailable_total counter.
func (c *Client) Unavailable() prometheus.Counter { return c.unavailable }
