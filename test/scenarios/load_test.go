//go:build scenarios

package scenarios_test

import (
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/mcp-memory/servers/test/scenarios/loadgen"
	"github.com/mcp-memory/servers/test/scenarios/perf"
	"github.com/mcp-memory/servers/test/scenarios/report"
)

// thinkTime is each simulated client's pause between requests: a client
// sends at most one request per second, so N clients offer N requests/s.
const thinkTime = time.Second

// collector aggregates vegeta results by operation and by second.
type collector struct {
	mu      sync.Mutex
	start   time.Time
	load    loadgen.Profile
	ops     map[string][]time.Duration
	errs    map[string]int
	errOps  map[string]int
	seconds map[int]*second
}

// second is one second of results.
type second struct {
	report.Second
	latencies []float64
}

func newCollector(load loadgen.Profile, start time.Time) *collector {
	return &collector{load: load, start: start, ops: map[string][]time.Duration{}, errs: map[string]int{},
		errOps: map[string]int{}, seconds: map[int]*second{}}
}

// opOf names a request's operation ("server operation") from its method
// and URL; the health targets carry a #cb / #wf fragment to tell them apart.
func opOf(method, url string) string {
	switch {
	case strings.HasSuffix(url, "/health#cb"):
		return "codebase-mcp health"
	case strings.HasSuffix(url, "/health#wf"):
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
	return "other " + method + " " + url
}

// failure says whether a result is an error, and of which type.
func failure(r *vegeta.Result) (string, bool) {
	switch {
	case r.Code == 0:
		e := r.Error
		if strings.Contains(e, "Timeout") || strings.Contains(e, "deadline") {
			return "timeout", true
		}
		if i := strings.LastIndex(e, ": "); i >= 0 {
			e = e[i+2:]
		}
		return "transport: " + e, true
	case r.Code >= 400:
		return "status " + strconv.Itoa(int(r.Code)) + " " + http.StatusText(int(r.Code)), true
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
		b = &second{Second: report.Second{T: float64(sec), Clients: c.load.ClientsAt(time.Duration(sec) * time.Second)}}
		c.seconds[sec] = b
	}
	b.Requests++
	b.latencies = append(b.latencies, float64(r.Latency)/float64(time.Millisecond))
	if kind, bad := failure(r); bad {
		c.errs[kind]++
		c.errOps[op]++
		b.Errors++
	}
}

// series builds the per-second and per-operation results.
func (c *collector) series(profile string, samples []report.Sample) report.Load {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := report.Load{Profile: profile, Samples: samples, ErrorTypes: map[string]int{}, Operations: map[string]report.OpResult{}}
	for _, st := range c.load {
		s.Stages = append(s.Stages, report.Stage{Duration: st.Duration, Clients: st.Clients})
	}
	for k, v := range c.errs {
		s.ErrorTypes[k] = v
	}
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
		b := c.seconds[k].Second
		sum := perf.Summarize(c.seconds[k].latencies)
		b.P50, b.P95, b.P99, b.Throughput = sum.P50, sum.P95, sum.P99, float64(b.Requests)
		s.Seconds = append(s.Seconds, b)
	}
	return s
}

func summarizeOp(lat []time.Duration, errs int) report.OpResult {
	ms := make([]float64, len(lat))
	for i, d := range lat {
		ms[i] = float64(d) / float64(time.Millisecond)
	}
	s := perf.Summarize(ms)
	r := report.OpResult{Requests: len(lat), Errors: errs, P50: s.P50, P95: s.P95, P99: s.P99, Max: s.Max}
	if len(lat) > 0 {
		r.ErrorRate = float64(errs) / float64(len(lat))
	}
	return r
}

// growth compares the median of the last tenth of a series with the
// first tenth (at least 2 samples each), as a ratio (1: no growth); false
// when there are too few samples.
func growth(xs []float64) (float64, bool) {
	if len(xs) < 4 {
		return 0, false
	}
	k := max(len(xs)/10, 2)
	first := perf.Summarize(xs[:k]).P50
	last := perf.Summarize(xs[len(xs)-k:]).P50
	if first == 0 {
		return 0, false
	}
	return last / first, true
}
