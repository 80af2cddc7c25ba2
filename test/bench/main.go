package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

func main() {
	err := run(os.Args[1:], os.Getenv, os.Stdout)
	switch {
	case err == nil:
	case errors.Is(err, flag.ErrHelp):
	case errors.As(err, new(usageError)):
		fmt.Fprintf(os.Stderr, "bench: %v\n", err)
		os.Exit(2)
	default:
		fmt.Fprintf(os.Stderr, "bench: %v\n", err)
		os.Exit(1)
	}
}

// usageError is a bad command line (exit 2).
type usageError struct{ error }

// config is the command line.
type config struct {
	codebase, workflow string
	n                  int
	rate               int
	timeout            time.Duration
	out                string
	token              string
}

// endpoint is one measured request kind.
type endpoint struct {
	Name     string // health, metrics_text, metrics_json
	Path     string
	Accept   string
	TargetMS float64 // p95 target in milliseconds
}

var endpoints = []endpoint{
	{Name: "health", Path: "/health", TargetMS: 5},
	{Name: "metrics_text", Path: "/metrics", TargetMS: 10},
	{Name: "metrics_json", Path: "/metrics", Accept: "application/json", TargetMS: 10},
}

// Report is the JSON report.
type Report struct {
	GeneratedAt  string   `json:"generated_at"`
	Machine      Machine  `json:"machine"`
	GitCommit    string   `json:"git_commit,omitempty"`
	GitDirty     bool     `json:"git_dirty,omitempty"`
	Settings     Settings `json:"settings"`
	Results      []Result `json:"results"`
	AllSucceeded bool     `json:"all_succeeded"`
	// AllWithinTarget says whether every p95 met its target; informative only.
	AllWithinTarget bool `json:"all_within_target"`
}

// Machine describes where the benchmark ran. Client and servers share it.
type Machine struct {
	NumCPU           int    `json:"num_cpu"`
	CPUModel         string `json:"cpu_model,omitempty"`
	MemoryTotalBytes int64  `json:"memory_total_bytes,omitempty"`
	GoVersion        string `json:"go_version"`
	OS               string `json:"os"`
	Arch             string `json:"arch"`
	Hostname         string `json:"hostname,omitempty"`
}

// Settings are the load parameters.
type Settings struct {
	RequestsPerEndpoint int     `json:"requests_per_endpoint"`
	RatePerSecond       int     `json:"rate_per_second"`
	TimeoutSeconds      float64 `json:"timeout_seconds"`
}

// Result is one server and endpoint.
type Result struct {
	Server     string         `json:"server"`
	BaseURL    string         `json:"base_url"`
	Endpoint   string         `json:"endpoint"`
	Method     string         `json:"method"`
	Path       string         `json:"path"`
	Accept     string         `json:"accept,omitempty"`
	Requests   uint64         `json:"requests"`
	Success    float64        `json:"success_ratio"`
	Status     map[string]int `json:"status_codes"`
	Errors     []string       `json:"errors"`
	LatencyMS  Latency        `json:"latency_ms"`
	Throughput float64        `json:"throughput_per_second"`
	DurationS  float64        `json:"duration_seconds"`
	TargetP95  float64        `json:"target_p95_ms"`
	WithinP95  bool           `json:"p95_within_target"`
}

// Latency holds exact latency figures in milliseconds.
type Latency struct {
	P50  float64 `json:"p50"`
	P95  float64 `json:"p95"`
	P99  float64 `json:"p99"`
	Max  float64 `json:"max"`
	Mean float64 `json:"mean"`
	Min  float64 `json:"min"`
}

func parseFlags(args []string, getenv func(string) string) (config, error) {
	var c config
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.StringVar(&c.codebase, "codebase", "http://127.0.0.1:8020", "codebase-mcp base URL (empty: skip)")
	fs.StringVar(&c.workflow, "workflow", "http://127.0.0.1:8010", "workflow-mcp base URL (empty: skip)")
	fs.IntVar(&c.n, "n", 1000, "requests per server and endpoint")
	fs.IntVar(&c.rate, "rate", 200, "requests per second")
	fs.DurationVar(&c.timeout, "timeout", 5*time.Second, "timeout of one request")
	fs.StringVar(&c.out, "out", "docs/performance/platform-bench.json", "JSON report path (empty: none)")
	fs.StringVar(&c.token, "token", getenv("MCP_AUTH_TOKEN"), "bearer token when the servers run with --auth-token (default $MCP_AUTH_TOKEN)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return c, err
		}
		return c, usageError{err}
	}
	switch {
	case fs.NArg() > 0:
		return c, usageError{fmt.Errorf("unexpected arguments %q", fs.Args())}
	case c.n < 1:
		return c, usageError{fmt.Errorf("invalid -n %d: must be at least 1", c.n)}
	case c.rate < 1:
		return c, usageError{fmt.Errorf("invalid -rate %d: must be at least 1 per second", c.rate)}
	case c.timeout <= 0:
		return c, usageError{fmt.Errorf("invalid -timeout %s: must be positive", c.timeout)}
	case c.codebase == "" && c.workflow == "":
		return c, usageError{errors.New("nothing to measure: -codebase and -workflow are both empty")}
	}
	return c, nil
}

func run(args []string, getenv func(string) string, stdout io.Writer) error {
	cfg, err := parseFlags(args, getenv)
	if err != nil {
		return err
	}
	type server struct{ name, url string }
	var servers []server
	for _, s := range []server{{"codebase-mcp", cfg.codebase}, {"workflow-mcp", cfg.workflow}} {
		if s.url == "" {
			continue
		}
		s.url = strings.TrimRight(s.url, "/")
		if err := preflight(s.name, s.url, cfg.token); err != nil {
			return err
		}
		servers = append(servers, s)
	}

	rep := Report{
		GeneratedAt: time.Now().UTC().Format(time.RFC3339),
		Machine:     machine(),
		Settings:    Settings{RequestsPerEndpoint: cfg.n, RatePerSecond: cfg.rate, TimeoutSeconds: cfg.timeout.Seconds()},
	}
	rep.GitCommit, rep.GitDirty = gitCommit()
	fmt.Fprintf(stdout, "%d requests per endpoint at %d/s; %d CPU(s) %s, %s\n\n",
		cfg.n, cfg.rate, rep.Machine.NumCPU, rep.Machine.CPUModel, rep.Machine.GoVersion)

	for _, s := range servers {
		for _, ep := range endpoints {
			rep.Results = append(rep.Results, measure(cfg, s.name, s.url, ep))
		}
	}
	rep.AllSucceeded, rep.AllWithinTarget = true, true
	for _, r := range rep.Results {
		rep.AllSucceeded = rep.AllSucceeded && r.Success == 1 && len(r.Errors) == 0
		rep.AllWithinTarget = rep.AllWithinTarget && r.WithinP95
	}
	printTable(stdout, rep)

	if cfg.out != "" {
		if err := writeReport(cfg.out, rep); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "\nreport written to %s\n", cfg.out)
	}
	if !rep.AllSucceeded {
		var failed []string
		for _, r := range rep.Results {
			if r.Success != 1 || len(r.Errors) > 0 {
				failed = append(failed, fmt.Sprintf("%s %s: success %.2f%%, codes %s, errors %q",
					r.Server, r.Endpoint, r.Success*100, codes(r.Status), r.Errors))
			}
		}
		return fmt.Errorf("some requests failed:\n  %s", strings.Join(failed, "\n  "))
	}
	return nil
}

// preflight checks that the server answers /health with 200 before any
// load is sent, so a missing server gives a clear message.
func preflight(name, base, token string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/health", nil)
	if err != nil {
		return usageError{fmt.Errorf("invalid %s URL %q: %v", name, base, err)}
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("cannot reach %s at %s: %v; start the servers with make run", name, base, err)
	}
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s at %s answers /health with %d, want 200: %s; start the servers with make run (and check the database)",
			name, base, resp.StatusCode, strings.TrimSpace(string(body)))
	}
	var h struct {
		Status string `json:"status"`
	}
	if json.Unmarshal(body, &h) != nil || h.Status == "" {
		return fmt.Errorf("%s at %s: /health is not the server's health document (another program on that port?): %.200s", name, base, body)
	}
	return nil
}

// countPacer sends at a constant rate and stops after n requests.
type countPacer struct {
	vegeta.ConstantPacer
	n uint64
}

func (p countPacer) Pace(elapsed time.Duration, hits uint64) (time.Duration, bool) {
	if hits >= p.n {
		return 0, true
	}
	return p.ConstantPacer.Pace(elapsed, hits)
}

// measure sends cfg.n requests to one endpoint and summarizes them.
func measure(cfg config, server, base string, ep endpoint) Result {
	header := http.Header{}
	if ep.Accept != "" {
		header.Set("Accept", ep.Accept)
	}
	if cfg.token != "" {
		header.Set("Authorization", "Bearer "+cfg.token)
	}
	tr := vegeta.NewStaticTargeter(vegeta.Target{Method: http.MethodGet, URL: base + ep.Path, Header: header})
	atk := vegeta.NewAttacker(vegeta.Timeout(cfg.timeout), vegeta.KeepAlive(true), vegeta.HTTP2(false))
	pacer := countPacer{ConstantPacer: vegeta.ConstantPacer{Freq: cfg.rate, Per: time.Second}, n: uint64(cfg.n)}

	var m vegeta.Metrics
	lat := make([]time.Duration, 0, cfg.n)
	for res := range atk.Attack(tr, pacer, 0, server+" "+ep.Name) {
		m.Add(res)
		lat = append(lat, res.Latency)
	}
	m.Close()

	r := Result{
		Server: server, BaseURL: base, Endpoint: ep.Name, Method: http.MethodGet, Path: ep.Path, Accept: ep.Accept,
		Requests: m.Requests, Success: m.Success, Status: m.StatusCodes, Errors: m.Errors,
		Throughput: round(m.Throughput, 1), DurationS: round((m.Duration + m.Wait).Seconds(), 3),
		TargetP95: ep.TargetMS,
	}
	if r.Errors == nil {
		r.Errors = []string{}
	}
	if r.Status == nil {
		r.Status = map[string]int{}
	}
	r.LatencyMS = latency(lat)
	r.WithinP95 = r.LatencyMS.P95 < ep.TargetMS
	return r
}

// latency computes exact nearest-rank percentiles.
func latency(d []time.Duration) Latency {
	if len(d) == 0 {
		return Latency{}
	}
	sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
	ms := func(x time.Duration) float64 { return round(float64(x)/1e6, 3) }
	pct := func(q float64) float64 {
		i := int(math.Ceil(q*float64(len(d)))) - 1
		return ms(d[max(i, 0)])
	}
	var total time.Duration
	for _, x := range d {
		total += x
	}
	return Latency{
		P50: pct(0.50), P95: pct(0.95), P99: pct(0.99),
		Max: ms(d[len(d)-1]), Min: ms(d[0]), Mean: ms(total / time.Duration(len(d))),
	}
}

func round(f float64, places int) float64 {
	p := math.Pow(10, float64(places))
	return math.Round(f*p) / p
}

func codes(m map[string]int) string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	parts := make([]string, 0, len(ks))
	for _, k := range ks {
		code := k
		if code == "0" {
			code = "none" // vegeta's code for a transport error
		}
		parts = append(parts, fmt.Sprintf("%s:%d", code, m[k]))
	}
	return strings.Join(parts, " ")
}

func printTable(w io.Writer, rep Report) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "server\tendpoint\trequests\tsuccess\tcodes\tp50 ms\tp95 ms\tp99 ms\tmax ms\tp95 target\t\t")
	for _, r := range rep.Results {
		verdict := "pass"
		if !r.WithinP95 {
			verdict = "FAIL"
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%.1f%%\t%s\t%.3f\t%.3f\t%.3f\t%.3f\t< %g ms\t%s\t\n",
			r.Server, r.Endpoint, r.Requests, r.Success*100, codes(r.Status),
			r.LatencyMS.P50, r.LatencyMS.P95, r.LatencyMS.P99, r.LatencyMS.Max, r.TargetP95, verdict)
	}
	tw.Flush()
	fmt.Fprintln(w, "\nTargets are informative: client and servers share this machine, so treat the figures as upper bounds.")
}

func writeReport(path string, rep Report) error {
	if dir := filepath.Dir(path); dir != "." {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return fmt.Errorf("write report: %w", err)
		}
	}
	b, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	return nil
}

// machine gathers the facts of the host from the runtime and /proc.
func machine() Machine {
	m := Machine{NumCPU: runtime.NumCPU(), GoVersion: runtime.Version(), OS: runtime.GOOS, Arch: runtime.GOARCH}
	m.Hostname, _ = os.Hostname()
	if v, ok := procField("/proc/cpuinfo", "model name"); ok {
		m.CPUModel = v
	}
	if v, ok := procField("/proc/meminfo", "MemTotal"); ok {
		// "16318376 kB"
		f := strings.Fields(v)
		if n, err := strconv.ParseInt(f[0], 10, 64); err == nil && len(f) == 2 && f[1] == "kB" {
			m.MemoryTotalBytes = n * 1024
		}
	}
	return m
}

// procField returns the value of the first "key : value" line of a /proc file.
func procField(path, key string) (string, bool) {
	f, err := os.Open(path)
	if err != nil {
		return "", false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if ok && strings.TrimSpace(k) == key && strings.TrimSpace(v) != "" {
			return strings.TrimSpace(v), true
		}
	}
	return "", false
}

// gitCommit returns the short HEAD commit and whether the tree has
// uncommitted changes; empty when git or the repository is unavailable.
func gitCommit() (string, bool) {
	out, err := exec.Command("git", "rev-parse", "--short", "HEAD").Output()
	if err != nil {
		return "", false
	}
	status, err := exec.Command("git", "status", "--porcelain", "--untracked-files=no").Output()
	return strings.TrimSpace(string(out)), err == nil && len(strings.TrimSpace(string(status))) > 0
}
