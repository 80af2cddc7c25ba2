package index_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/mcp-memory/servers/internal/codebase"
	"github.com/mcp-memory/servers/internal/codebase/chunk"
	"github.com/mcp-memory/servers/internal/codebase/embed"
	"github.com/mcp-memory/servers/internal/codebase/fixture"
	"github.com/mcp-memory/servers/internal/codebase/index"
	"github.com/mcp-memory/servers/internal/codebase/pgstore"
	"github.com/mcp-memory/servers/test/cputime"
)

// BenchmarkIndex measures a cold index, a re-index of the unchanged
// repository and one after 1 % of the files changed, with the tree-sitter
// chunker and the builtin embedder, and reports seconds per phase and the
// process's peak RSS. The repository is the generated fixture
// (INDEX_BENCH_FILES files, default 10,000, seed 1) or INDEX_BENCH_REPO
// (e.g. $(go env GOROOT)/src); INDEX_BENCH_BATCH_BYTES and
// INDEX_BENCH_BATCH_FILES override the batch bounds. Run with -benchtime=1x:
//
//	go test -run '^$' -bench BenchmarkIndex -benchtime=1x ./internal/codebase/index/
func BenchmarkIndex(b *testing.B) {
	root := os.Getenv("INDEX_BENCH_REPO")
	if root == "" {
		n := 10000
		if s := os.Getenv("INDEX_BENCH_FILES"); s != "" {
			n, _ = strconv.Atoi(s)
		}
		root = b.TempDir()
		if _, err := fixture.Generate(root, n, 1); err != nil {
			b.Fatal(err)
		}
	}
	log := slog.New(slog.DiscardHandler)
	ch := chunk.New(chunk.Options{})
	defer ch.Close()
	emb, err := embed.New(embed.Config{Provider: embed.ProviderBuiltin}, log)
	if err != nil {
		b.Fatal(err)
	}
	e := newEnv(b)
	e.log = log
	var svc *index.Service
	var cpu cpuMeter
	report := func(b *testing.B, job index.Job, elapsed time.Duration) {
		goCPU, pgCPU := cpu.since(b, e)
		b.ReportMetric(goCPU, "go_cpu_s")
		b.ReportMetric(pgCPU, "pg_cpu_s")
		if job.Status != codebase.JobCompleted {
			b.Fatalf("job %s: %s", job.Status, job.ErrorMessage)
		}
		for phase, s := range job.PhaseSeconds {
			b.ReportMetric(s, phase+"_s")
		}
		b.ReportMetric(elapsed.Seconds(), "wall_s")
		b.ReportMetric(float64(job.FilesTotal), "files")
		b.ReportMetric(float64(job.ChunksWritten), "chunks_written")
		b.ReportMetric(float64(peakRSS())/(1<<20), "peak_rss_MB")
	}
	b.Run("cold", func(b *testing.B) {
		for range b.N {
			b.StopTimer()
			if _, err := e.conn.Exec(context.Background(), `TRUNCATE repositories, files, chunks, term_df, lexical_stats, index_jobs, index_settings CASCADE`); err != nil {
				b.Fatal(err)
			}
			svc = index.New(benchConfig(b), e.store, ch, emb, log, nil)
			b.StartTimer()
			cpu.start(b, e)
			start := time.Now()
			job, err := svc.Index(context.Background(), index.Request{RepoPath: root}, nil)
			if err != nil {
				b.Fatal(err)
			}
			report(b, job, time.Since(start))
		}
	})
	if svc == nil {
		return
	}
	b.Run("unchanged", func(b *testing.B) {
		for range b.N {
			cpu.start(b, e)
			start := time.Now()
			job, err := svc.Index(context.Background(), index.Request{RepoPath: root}, nil)
			if err != nil {
				b.Fatal(err)
			}
			report(b, job, time.Since(start))
		}
	})
	b.Run("touch1pct", func(b *testing.B) {
		files, err := e.store.FileStates(context.Background(), codebase.DefaultProject, firstRepo(b, e.store))
		if err != nil {
			b.Fatal(err)
		}
		var paths []string
		for p := range files {
			paths = append(paths, p)
		}
		for i := range b.N {
			b.StopTimer()
			for k := i; k < len(paths); k += 100 { // 1 % of the files
				p := filepath.Join(root, filepath.FromSlash(paths[k]))
				data, err := os.ReadFile(p)
				if err != nil {
					b.Fatal(err)
				}
				if err := os.WriteFile(p, append(data, []byte(fmt.Sprintf("\n%s touched %d\n", comment(p), i))...), 0o644); err != nil {
					b.Fatal(err)
				}
			}
			b.StartTimer()
			cpu.start(b, e)
			start := time.Now()
			job, err := svc.Index(context.Background(), index.Request{RepoPath: root}, nil)
			if err != nil {
				b.Fatal(err)
			}
			report(b, job, time.Since(start))
		}
	})
}

// benchConfig is the default configuration with the batch bounds of
// INDEX_BENCH_BATCH_BYTES and INDEX_BENCH_BATCH_FILES, if set.
func benchConfig(tb testing.TB) index.Config {
	var cfg index.Config
	for _, v := range []struct {
		env string
		set func(n int64)
	}{
		{"INDEX_BENCH_BATCH_BYTES", func(n int64) { cfg.BatchBytes = n }},
		{"INDEX_BENCH_BATCH_FILES", func(n int64) { cfg.BatchFiles = int(n) }},
	} {
		if s := os.Getenv(v.env); s != "" {
			n, err := strconv.ParseInt(s, 10, 64)
			if err != nil {
				tb.Fatalf("%s: %v", v.env, err)
			}
			v.set(n)
		}
	}
	return cfg
}

func comment(p string) string {
	if strings.HasSuffix(p, ".py") {
		return "#"
	}
	return "//"
}

func firstRepo(tb testing.TB, s *pgstore.Store) string {
	page, err := s.Repositories(context.Background(), codebase.DefaultProject, 1, "")
	if err != nil || len(page.Repositories) == 0 {
		tb.Fatalf("no repository: %v", err)
	}
	return page.Repositories[0].ID
}

// cpuMeter measures the CPU seconds of this process and of the
// PostgreSQL backends serving the test database (read from /proc, so
// only when the server runs on this machine); the machine is shared, so
// CPU seconds say more than wall time.
type cpuMeter struct {
	goCPU float64
	pg    map[int]float64
}

func (m *cpuMeter) start(tb testing.TB, e *env) {
	m.goCPU = cputime.Used().Seconds()
	m.pg = backendCPU(tb, e)
}

func (m *cpuMeter) since(tb testing.TB, e *env) (goCPU, pgCPU float64) {
	for pid, s := range backendCPU(tb, e) {
		pgCPU += s - m.pg[pid]
	}
	return cputime.Used().Seconds() - m.goCPU, pgCPU
}

// backendCPU returns the CPU seconds of each backend connected to the
// test database, by pid.
func backendCPU(tb testing.TB, e *env) map[int]float64 {
	rows, err := e.conn.Query(context.Background(), `SELECT pid FROM pg_stat_activity WHERE datname = current_database()`)
	if err != nil {
		tb.Fatal(err)
	}
	pids, err := pgx.CollectRows(rows, pgx.RowTo[int32])
	if err != nil {
		tb.Fatal(err)
	}
	out := map[int]float64{}
	for _, pid := range pids {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			continue
		}
		// Fields after the parenthesised command: utime and stime are the
		// 12th and 13th, in clock ticks (100 per second on Linux).
		s := string(b)
		f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
		if len(f) < 13 {
			continue
		}
		u, _ := strconv.ParseFloat(f[11], 64)
		st, _ := strconv.ParseFloat(f[12], 64)
		out[int(pid)] = (u + st) / 100
	}
	return out
}

// peakRSS is the process's peak resident set size in bytes (VmHWM).
func peakRSS() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if f := strings.Fields(l); len(f) >= 2 && f[0] == "VmHWM:" {
			kb, _ := strconv.ParseInt(f[1], 10, 64)
			return kb << 10
		}
	}
	return 0
}
