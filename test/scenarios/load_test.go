//go:build scenarios

package scenarios_test

import (
	"math"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/mcp-memory/servers/test/scenarios/perf"
)

// thinkTime is each simulated client's pause between requests: a client
// sends at most one request per second, so N clients offer N requests/s.
const thinkTime = time.Second

// stagePacer paces a vegeta attack to the profile's client count: the
// request rate at t is clients(t) / thinkTime. The model is open (requests
// keep coming while the servers slow down), which is harsher than
// clients that wait for their answer.
type stagePacer struct{ p profile }

var _ vegeta.Pacer = stagePacer{}

// Rate is the instantaneous requests per second at elapsed.
func (s stagePacer) Rate(elapsed time.Duration) float64 {
	return s.p.clientsAt(elapsed) / thinkTime.Seconds()
}

// hitsUntil is the integral of Rate over [0, elapsed].
func (s stagePacer) hitsUntil(elapsed time.Duration) float64 {
	var hits, prev float64
	for _, st := range s.p.Load {
		d := st.Duration
		if elapsed < d {
			d = elapsed
		}
		slope := (float64(st.Clients) - prev) / st.Duration.Seconds()
		hits += prev*d.Seconds() + slope*d.Seconds()*d.Seconds()/2
		elapsed -= d
		prev = float64(st.Clients)
		if elapsed <= 0 {
			break
		}
	}
	return hits / thinkTime.Seconds()
}

// Pace says how long to wait before the next request.
func (s stagePacer) Pace(elapsed time.Duration, hits uint64) (time.Duration, bool) {
	if elapsed >= s.p.loadDuration() {
		return 0, true
	}
	expected := s.hitsUntil(elapsed)
	if float64(hits) < expected {
		return 0, false
	}
	rate := s.Rate(elapsed)
	if rate <= 0.01 {
		return 50 * time.Millisecond, false
	}
	wait := time.Duration((float64(hits) + 1 - expected) / rate * float64(time.Second))
	return min(wait, time.Second), false
}

// bucket is one second of a load test.
type bucket struct {
	T          float64 `json:"t"` // seconds since the start
	Clients    float64 `json:"clients"`
	Requests   int     `json:"requests"`
	Errors     int     `json:"errors"`
	P50        float64 `json:"p50_ms"`
	P95        float64 `json:"p95_ms"`
	P99        float64 `json:"p99_ms"`
	latencies  []float64
	Throughput float64 `json:"throughput"`
}

// sample is one resource reading of both servers.
type sample struct {
	T        float64   `json:"t"`
	Codebase resources `json:"codebase"`
	Workflow resources `json:"workflow"`
}

// loadSeries is what the report charts.
type loadSeries struct {
	Profile    string              `json:"profile"`
	Stages     []stage             `json:"stages"`
	Seconds    []bucket            `json:"seconds"`
	Samples    []sample            `json:"samples"`
	ErrorTypes map[string]int      `json:"error_types"`
	Operations map[string]opResult `json:"operations"`
	Total      opResult            `json:"total"`
	Growth     map[string]float64  `json:"growth,omitempty"`
}

// opResult summarises one operation of a load test.
type opResult struct {
	Requests  int     `json:"requests"`
	Errors    int     `json:"errors"`
	ErrorRate float64 `json:"error_rate"`
	P50       float64 `json:"p50_ms"`
	P95       float64 `json:"p95_ms"`
	P99       float64 `json:"p99_ms"`
	Max       float64 `json:"max_ms"`
}

// collector aggregates vegeta results by operation and by second.
type collector struct {
	mu      sync.Mutex
	start   time.Time
	p       profile
	ops     map[string][]time.Duration
	errs    map[string]int
	errOps  map[string]int
	seconds map[int]*bucket
}

func newCollector(p profile, start time.Time) *collector {
	return &collector{p: p, start: start, ops: map[string][]time.Duration{}, errs: map[string]int{},
		errOps: map[string]int{}, seconds: map[int]*bucket{}}
}

// opOf names a request's operation from its method and URL.
func opOf(method, url string) string {
	switch {
	case strings.Contains(url, "/health"):
		if strings.Contains(url, "#cb") {
			return "codebase-mcp health"
		}
		return "workflow-mcp health"
	case strings.HasSuffix(url, "/mcp/search"):
		return "codebase-mcp search"
	case method == http.MethodPost && strings.HasSuffix(url, "/mcp/work_items"):
		return "workflow-mcp work_item_create"
	case strings.Contains(url, "/mcp/work_items/"):
		return "workflow-mcp work_item_read"
	case strings.Contains(url, "/mcp/entities"):
		return "workflow-mcp entity_query"
	}
	return method + " " + url
}

// failed says whether a result is an error, and of which type.
func failed(r *vegeta.Result) (string, bool) {
	switch {
	case r.Error != "" && r.Code == 0:
		e := r.Error
		if strings.Contains(e, "Timeout") || strings.Contains(e, "deadline") {
			return "timeout", true
		}
		if i := strings.LastIndex(e, ": "); i >= 0 {
			e = e[i+2:]
		}
		return "transport: " + e, true
	case r.Code >= 400:
		return "status " + http.StatusText(int(r.Code)) + " (" + strconv.Itoa(int(r.Code)) + ")", true
	}
	return "", false
}

func (c *collector) add(r *vegeta.Result) {
	c.mu.Lock()
	defer c.mu.Unlock()
	op := opOf(r.Method, r.URL)
	c.ops[op] = append(c.ops[op], r.Latency)
	sec := int(r.Timestamp.Sub(c.start) / time.Second)
	b := c.seconds[sec]
	if b == nil {
		b = &bucket{T: float64(sec), Clients: c.p.clientsAt(time.Duration(sec) * time.Second)}
		c.seconds[sec] = b
	}
	b.Requests++
	b.latencies = append(b.latencies, float64(r.Latency)/float64(time.Millisecond))
	if kind, bad := failed(r); bad {
		c.errs[kind]++
		c.errOps[op]++
		b.Errors++
	}
}

// series builds the per-second and per-operation results.
func (c *collector) series(samples []sample) loadSeries {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := loadSeries{Profile: c.p.Name, Stages: c.p.Load, Samples: samples, ErrorTypes: c.errs, Operations: map[string]opResult{}}
	var all []time.Duration
	errs := 0
	for op, lat := range c.ops {
		s.Operations[op] = summarizeOp(lat, c.errOps[op])
		all = append(all, lat...)
		errs += c.errOps[op]
	}
	s.Total = summarizeOp(all, errs)
	keys := make([]int, 0, len(c.seconds))
	for k := range c.seconds {
		keys = append(keys, k)
	}
	sort.Ints(keys)
	for _, k := range keys {
		b := *c.seconds[k]
		sum := perf.Summarize(b.latencies)
		b.P50, b.P95, b.P99, b.Throughput = sum.P50, sum.P95, sum.P99, float64(b.Requests)
		b.latencies = nil
		s.Seconds = append(s.Seconds, b)
	}
	return s
}

func summarizeOp(lat []time.Duration, errs int) opResult {
	ms := make([]float64, len(lat))
	for i, d := range lat {
		ms[i] = float64(d) / float64(time.Millisecond)
	}
	s := perf.Summarize(ms)
	r := opResult{Requests: len(lat), Errors: errs, P50: s.P50, P95: s.P95, P99: s.P99, Max: s.Max}
	if len(lat) > 0 {
		r.ErrorRate = float64(errs) / float64(len(lat))
	}
	return r
}

// growth compares the median of the first and last few samples of a
// series, as a ratio (1.0: no growth).
func growth(xs []float64) float64 {
	if len(xs) < 4 {
		return math.NaN()
	}
	k := max(len(xs)/10, 2)
	first := perf.Summarize(xs[:k]).P50
	last := perf.Summarize(xs[len(xs)-k:]).P50
	if first == 0 {
		return math.NaN()
	}
	return last / first
}
