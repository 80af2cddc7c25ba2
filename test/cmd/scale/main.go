// Command scale measures how codebase-mcp's indexing and search grow with
// repository size: for each size it generates the synthetic repository
// (package fixture), starts the real binary on a fresh database, indexes
// through REST while sampling the server's RSS, then times searches:
//
//	eval "$(bash scripts/dev-db.sh env)"
//	go run ./test/cmd/scale -sizes 1000,10000,50000 -out docs/performance/scale.json
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/mcp-memory/servers/internal/codebase/fixture"
	"github.com/mcp-memory/servers/test/scenarios/perf"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Getenv, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "scale:", err)
		os.Exit(1)
	}
}

// Result is one repository size.
type Result struct {
	Files          int         `json:"files"`
	RepoBytes      int64       `json:"repo_bytes"`
	Chunks         float64     `json:"chunks"`
	IndexSeconds   float64     `json:"index_seconds"`
	FilesPerSecond float64     `json:"files_per_second"`
	PeakRSSBytes   float64     `json:"peak_rss_bytes"`
	DatabaseBytes  int64       `json:"database_bytes"`
	Search         perf.Record `json:"search_sequential"`
	SearchConc     perf.Record `json:"search_10_clients"`
	// SettleSeconds is how long the server stayed busy after the job
	// completed (the search model's training) before searches were timed.
	SettleSeconds float64 `json:"settle_seconds"`
	// SearchErrors counts failed searches (timeouts at large sizes);
	// their latencies are in the records too.
	SearchErrors     int    `json:"search_errors"`
	FirstSearchError string `json:"first_search_error,omitempty"`
}

// Report is the output file.
type Report struct {
	Machine     string    `json:"machine"`
	GeneratedAt time.Time `json:"generated_at"`
	Results     []Result  `json:"results"`
}

var queries = []string{"parse configuration file", "validate user input", "cache lookup", "http request handler",
	"compute the total", "read records from disk", "format the output", "retry on error", "connect to the database",
	"sort items by key"}

func run(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	fs := flag.NewFlagSet("scale", flag.ContinueOnError)
	sizes := fs.String("sizes", "1000,10000,50000", "repository sizes in files")
	out := fs.String("out", "", "JSON report path (empty: none)")
	machine := fs.String("machine", "", "machine name for the report")
	base := fs.String("database-url", getenv("TEST_DATABASE_URL"), "admin URL of the PostgreSQL server (a database is created per size)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *base == "" {
		return errors.New("--database-url or TEST_DATABASE_URL is required")
	}
	tmp, err := os.MkdirTemp("", "mcp-scale-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	bin := filepath.Join(tmp, "codebase-mcp")
	if b, err := exec.Command("go", "build", "-o", bin, "./cmd/codebase-mcp").CombinedOutput(); err != nil {
		return fmt.Errorf("build: %v\n%s", err, b)
	}
	rep := Report{Machine: *machine, GeneratedAt: time.Now().UTC()}
	if rep.Machine == "" {
		rep.Machine = fmt.Sprintf("%d cores", runtime.NumCPU())
	}
	for _, s := range strings.Split(*sizes, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 1 {
			return fmt.Errorf("bad size %q", s)
		}
		r, err := measure(ctx, bin, *base, filepath.Join(tmp, "repo"+s), n, stdout)
		if err != nil {
			return fmt.Errorf("%d files: %w", n, err)
		}
		rep.Results = append(rep.Results, r)
	}
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "files\tMB\tchunks\tindex s\tfiles/s\tpeak RSS MB\tdb MB\tsearch p50 ms\tp95 ms\t10 clients p50 ms\tp95 ms\tp99 ms\tfailed searches")
	for _, r := range rep.Results {
		fmt.Fprintf(tw, "%d\t%.0f\t%.0f\t%.1f\t%.0f\t%.0f\t%.0f\t%.1f\t%.1f\t%.1f\t%.1f\t%.1f\t%d\n", r.Files, float64(r.RepoBytes)/1e6, r.Chunks, r.IndexSeconds,
			r.FilesPerSecond, r.PeakRSSBytes/1e6, float64(r.DatabaseBytes)/1e6, r.Search.P50, r.Search.P95,
			r.SearchConc.P50, r.SearchConc.P95, r.SearchConc.P99, r.SearchErrors)
	}
	tw.Flush()
	if *out != "" {
		b, _ := json.MarshalIndent(rep, "", "  ")
		return os.WriteFile(*out, append(b, '\n'), 0o644)
	}
	return nil
}

func measure(ctx context.Context, bin, base, repo string, n int, stdout io.Writer) (Result, error) {
	r := Result{Files: n}
	st, err := fixture.Generate(repo, n, 1)
	if err != nil {
		return r, err
	}
	defer os.RemoveAll(repo)
	r.RepoBytes = st.Bytes
	dbName := fmt.Sprintf("scale_%d_%d", n, time.Now().UnixNano())
	admin, err := pgx.Connect(ctx, base)
	if err != nil {
		return r, err
	}
	defer admin.Close(ctx)
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+dbName); err != nil {
		return r, err
	}
	defer admin.Exec(context.Background(), "DROP DATABASE IF EXISTS "+dbName+" WITH (FORCE)") //nolint:errcheck // best effort
	dsn := withDatabase(base, dbName)
	if b, err := exec.Command(bin, "migrate", "--database-url", dsn).CombinedOutput(); err != nil {
		return r, fmt.Errorf("migrate: %v\n%s", err, b)
	}
	cmd := exec.Command(bin, "serve", "--port", "0", "--database-url", dsn)
	stderr, _ := cmd.StderrPipe()
	if err := cmd.Start(); err != nil {
		return r, err
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }() //nolint:errcheck // the server is discarded
	url, err := serverURL(stderr)
	if err != nil {
		return r, err
	}
	fmt.Fprintf(stdout, "scale: %d files (%.0f MB): indexing\n", n, float64(st.Bytes)/1e6)

	var peak float64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			if rss, err := gauge(url, "process_resident_memory_bytes"); err == nil && rss > peak {
				peak = rss
			}
			select {
			case <-stop:
				return
			case <-time.After(250 * time.Millisecond):
			}
		}
	}()
	start := time.Now()
	var job map[string]any
	if err := post(url+"/mcp/index", map[string]any{"repo_path": repo, "project_id": "scale"}, &job); err != nil {
		return r, err
	}
	id, _ := job["job_id"].(string)
	for {
		var s map[string]any
		if err := get(url+"/mcp/jobs/"+id, &s); err != nil {
			return r, err
		}
		if st, _ := s["status"].(string); st == "completed" {
			r.Chunks, _ = s["chunks_written"].(float64)
			break
		} else if st == "failed" || st == "cancelled" {
			return r, fmt.Errorf("job %s: %v", st, s)
		}
		time.Sleep(200 * time.Millisecond)
	}
	r.IndexSeconds = time.Since(start).Seconds()
	r.FilesPerSecond = float64(n) / r.IndexSeconds
	close(stop)
	wg.Wait()
	r.PeakRSSBytes = peak
	if err := admin.QueryRow(ctx, "SELECT pg_database_size($1)", dbName).Scan(&r.DatabaseBytes); err != nil {
		return r, err
	}

	// The job is completed (and its search index loaded) before the
	// server trains its search model from the doc comments, which takes
	// CPU for seconds: wait until the server is idle, so the searches
	// measure search, not search beside training.
	settle := time.Now()
	for time.Since(settle) < 3*time.Minute {
		c0, err0 := gauge(url, "process_cpu_seconds_total")
		time.Sleep(time.Second)
		c1, err1 := gauge(url, "process_cpu_seconds_total")
		if err0 == nil && err1 == nil && c1-c0 < 0.05 {
			break
		}
	}
	r.SettleSeconds = time.Since(settle).Seconds()

	var mu sync.Mutex
	fail := func(err error) {
		mu.Lock()
		defer mu.Unlock()
		if r.SearchErrors++; r.FirstSearchError == "" {
			r.FirstSearchError = err.Error()
		}
	}
	var seq []time.Duration
	for i := 0; i < 100; i++ {
		t0 := time.Now()
		if err := post(url+"/mcp/search", map[string]any{"query": queries[i%len(queries)], "limit": 10, "project_id": "scale"}, nil); err != nil {
			fail(err)
		}
		seq = append(seq, time.Since(t0))
	}
	r.Search = perf.NewRecord("codebase-mcp", "search", seq, 500*time.Millisecond, 0, map[string]any{"files": n, "clients": 1})
	var conc []time.Duration
	var cw sync.WaitGroup
	for c := 0; c < 10; c++ {
		cw.Add(1)
		go func() {
			defer cw.Done()
			for i := 0; i < 20; i++ {
				t0 := time.Now()
				err := post(url+"/mcp/search", map[string]any{"query": queries[(c+i)%len(queries)], "limit": 10, "project_id": "scale"}, nil)
				if err != nil {
					fail(err)
				}
				mu.Lock()
				conc = append(conc, time.Since(t0))
				mu.Unlock()
			}
		}()
	}
	cw.Wait()
	r.SearchConc = perf.NewRecord("codebase-mcp", "search_10_clients", conc, 500*time.Millisecond, 0, map[string]any{"files": n, "clients": 10})
	r.Search.Values, r.SearchConc.Values = nil, nil
	fmt.Fprintf(stdout, "scale: %d files: index %.1f s, peak RSS %.0f MB, search p95 %.1f ms (10 clients %.1f ms), %d of 300 searches failed %s\n",
		n, r.IndexSeconds, peak/1e6, r.Search.P95, r.SearchConc.P95, r.SearchErrors, r.FirstSearchError)
	return r, nil
}

// serverURL reads the server's JSON log until server_started.
func serverURL(stderr io.Reader) (string, error) {
	sc := bufio.NewScanner(stderr)
	for sc.Scan() {
		var l struct {
			Event   string         `json:"event"`
			Context map[string]any `json:"context"`
		}
		if json.Unmarshal(sc.Bytes(), &l) == nil && l.Event == "server_started" {
			go io.Copy(io.Discard, stderr) //nolint:errcheck // keep the pipe drained
			addr, _ := l.Context["address"].(string)
			return "http://" + addr, nil
		}
	}
	return "", errors.New("server exited before server_started")
}

func withDatabase(dsn, name string) string {
	i := strings.LastIndex(dsn, "/")
	q := ""
	if j := strings.IndexByte(dsn[i:], '?'); j >= 0 {
		q = dsn[i+j:]
	}
	return dsn[:i+1] + name + q
}

func post(url string, body, out any) error {
	b, _ := json.Marshal(body)
	resp, err := http.Post(url, "application/json", bytes.NewReader(b))
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode >= 300 {
		return fmt.Errorf("POST %s: %d %s", url, resp.StatusCode, data)
	}
	if out != nil {
		return json.Unmarshal(data, out)
	}
	return nil
}

func get(url string, out any) error {
	resp, err := http.Get(url)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %d %s", url, resp.StatusCode, data)
	}
	return json.Unmarshal(data, out)
}

// gauge reads one unlabelled sample from the Prometheus text format.
func gauge(base, name string) (float64, error) {
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), name+" "); ok {
			return strconv.ParseFloat(strings.TrimSpace(v), 64)
		}
	}
	return 0, fmt.Errorf("%s not in /metrics", name)
}
