package dbpool_test

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/pgvector/pgvector-go"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/mcp-memory/servers/internal/apperr"
	"github.com/mcp-memory/servers/internal/platform/dbpool"
	"github.com/mcp-memory/servers/internal/platform/dbtest"
	"github.com/mcp-memory/servers/internal/platform/httpserver"
	"github.com/mcp-memory/servers/internal/platform/obs"
	"github.com/mcp-memory/servers/internal/platform/obs/obstest"
	"github.com/mcp-memory/servers/internal/platform/tool"
	"github.com/mcp-memory/servers/migrations"
)

func selectOne(ctx context.Context, c *pgxpool.Conn) error {
	var n int
	return c.QueryRow(ctx, "SELECT 1").Scan(&n)
}

// waitFor polls cond every 20 ms until it holds or limit passes, and
// returns how long it took.
func waitFor(tb testing.TB, limit time.Duration, what string, cond func() bool) time.Duration {
	tb.Helper()
	start := time.Now()
	for !cond() {
		if time.Since(start) > limit {
			tb.Fatalf("%s: not within %s", what, limit)
		}
		time.Sleep(20 * time.Millisecond)
	}
	return time.Since(start)
}

// openPool opens a pool with cfg that logs at DEBUG into the returned
// capture. The caller closes it.
func openPool(tb testing.TB, cfg dbpool.Config) (*dbpool.Pool, *obstest.LogCapture) {
	tb.Helper()
	log, logs := obstest.NewLogger(tb, "codebase-mcp", slog.LevelDebug)
	p, err := dbpool.Open(context.Background(), cfg, log)
	if err != nil {
		tb.Fatal(err)
	}
	return p, logs
}

// TestPool_LossDetectionAndReconnect crashes a private cluster under an
// open pool and checks detection, the two log events, health, the
// failure of operations during the outage, recovery and goroutine hygiene.
func TestPool_LossDetectionAndReconnect(t *testing.T) {
	cluster := dbtest.NewCluster(t)
	goroutinesBefore := runtime.NumGoroutine()
	ctx := context.Background()
	p, logs := openPool(t, dbpool.Config{DSN: cluster.URL("postgres"), MinConns: 2, MaxConns: 4})
	closed := false
	t.Cleanup(func() {
		if !closed {
			p.Close()
		}
	})
	if h := p.Health(); h.Status != dbpool.StatusHealthy || h.DatabaseStatus != dbpool.DBConnected {
		t.Fatalf("fresh pool health = %+v, want healthy/connected", h)
	}
	if err := p.Do(ctx, "select_one", selectOne); err != nil {
		t.Fatal(err)
	}

	stoppedAt := time.Now()
	cluster.Stop(t, "immediate")
	waitFor(t, 5*time.Second, "health reports the database disconnected", func() bool {
		return p.Health().DatabaseStatus == dbpool.DBDisconnected
	})
	detected := time.Since(stoppedAt)
	t.Logf("loss detected after %s", detected)

	h := p.Health()
	if h.Status != dbpool.StatusUnhealthy || h.Problem == "" {
		t.Errorf("health during outage = %+v, want unhealthy with a problem", h)
	}
	lost := logs.Events(t, "database_connection_lost")
	if len(lost) != 1 {
		t.Fatalf("got %d database_connection_lost lines, want 1", len(lost))
	}
	if lost[0]["error"] != "database_connection_lost" || lost[0]["level"] != "ERROR" || lost[0]["server_id"] != "codebase-mcp" {
		t.Errorf("database_connection_lost line = %v", lost[0])
	}
	lctx, _ := lost[0]["context"].(map[string]any)
	dt, ok := lctx["detection_time_seconds"].(float64)
	if !ok || dt <= 0 || dt > 5 {
		t.Errorf("context.detection_time_seconds = %v, want a number in (0, 5]", lctx["detection_time_seconds"])
	}

	err := p.Do(ctx, "select_one", selectOne)
	if apperr.CodeOf(err) != apperr.Unavailable {
		t.Fatalf("Do during outage: err = %v, want SERVICE_UNAVAILABLE", err)
	}
	if e, _ := apperr.As(err); e.RetryAfter <= 0 {
		t.Errorf("outage error has no RetryAfter: %+v", e)
	}

	restartedAt := time.Now()
	cluster.Start(t)
	waitFor(t, 30*time.Second, "health back to healthy", func() bool {
		return p.Health().Status == dbpool.StatusHealthy
	})
	t.Logf("reconnected %s after restart", time.Since(restartedAt))
	back := logs.Events(t, "database_reconnected")
	if len(back) != 1 {
		t.Fatalf("got %d database_reconnected lines, want 1", len(back))
	}
	bctx, _ := back[0]["context"].(map[string]any)
	if d, ok := bctx["downtime_seconds"].(float64); !ok || d <= 0 {
		t.Errorf("context.downtime_seconds = %v, want > 0", bctx["downtime_seconds"])
	}
	if err := p.Do(ctx, "select_one", selectOne); err != nil {
		t.Fatalf("Do after reconnect: %v", err)
	}

	p.Close()
	closed = true
	waitFor(t, 5*time.Second, "goroutines back to the level before Open", func() bool {
		return runtime.NumGoroutine() <= goroutinesBefore
	})
}

// TestPool_ReplacesTerminatedIdleConnection kills the pool's only
// connection while it is idle; the next operation must run on a new one.
// pgxpool pings a connection idle for over a second before handing it out,
// which finds the dead one; Do itself does not retry a statement that was
// sent (see TestDo_NeverRepeatsAnAppliedStatement).
func TestPool_ReplacesTerminatedIdleConnection(t *testing.T) {
	dsn := dbtest.NewEmpty(t)
	ctx := context.Background()
	p, _ := openPool(t, dbpool.Config{DSN: dsn, MinConns: 1, MaxConns: 1})
	defer p.Close()
	var pid int
	if err := p.Do(ctx, "pid", func(ctx context.Context, c *pgxpool.Conn) error {
		return c.QueryRow(ctx, "SELECT pg_backend_pid()").Scan(&pid)
	}); err != nil {
		t.Fatal(err)
	}
	admin, err := pgxpool.New(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	var killed bool
	if err := admin.QueryRow(ctx, "SELECT pg_terminate_backend($1, 5000)", pid).Scan(&killed); err != nil || !killed {
		t.Fatalf("terminate backend %d: %v %v", pid, killed, err)
	}
	time.Sleep(1100 * time.Millisecond) // past pgxpool's idle-ping threshold
	var newPID int
	if err := p.Do(ctx, "pid", func(ctx context.Context, c *pgxpool.Conn) error {
		return c.QueryRow(ctx, "SELECT pg_backend_pid()").Scan(&newPID)
	}); err != nil {
		t.Fatalf("Do after the connection was terminated: %v", err)
	}
	if newPID == pid {
		t.Errorf("operation ran on the terminated backend %d", pid)
	}
}

// TestPool_Exhaustion holds every connection and checks that one more
// operation gives up after the wait cap with 503 SERVICE_UNAVAILABLE and
// Retry-After over REST, and that pool_utilization_high was logged.
func TestPool_Exhaustion(t *testing.T) {
	dsn := dbtest.NewEmpty(t)
	log, logs := obstest.NewLogger(t, "codebase-mcp", slog.LevelDebug)
	ctx := context.Background()
	p, err := dbpool.Open(ctx, dbpool.Config{DSN: dsn, MinConns: 1, MaxConns: 2, AcquireTimeout: 300 * time.Millisecond}, log)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()

	release := make(chan struct{})
	var held, done sync.WaitGroup
	for range 2 {
		held.Add(1)
		done.Add(1)
		go func() {
			defer done.Done()
			err := p.Do(ctx, "hold", func(ctx context.Context, c *pgxpool.Conn) error {
				held.Done()
				<-release
				return nil
			})
			if err != nil {
				t.Errorf("holder: %v", err)
			}
		}()
	}
	held.Wait()
	defer func() { close(release); done.Wait() }()

	if h := p.Health(); h.Status != dbpool.StatusUnhealthy || h.UtilizationPercent != 100 {
		t.Errorf("health with every connection held = %+v, want unhealthy at 100%%", h)
	}

	reg := prometheus.NewRegistry()
	def := tool.Def[struct{}, struct{ N int }]{
		Name:  "probe",
		Route: &tool.Route{Method: http.MethodGet, Path: "/mcp/probe"},
		Handle: func(ctx context.Context, _ struct{}) (struct{ N int }, error) {
			var out struct{ N int }
			return out, p.Do(ctx, "probe", selectOne)
		},
	}
	hs, err := httpserver.New(httpserver.Config{}, httpserver.Deps{
		Logger: log, Metrics: obs.NewRequestMetrics(reg, "codebase_mcp"), Gatherer: reg,
		Health: func(context.Context) httpserver.HealthReport { return httpserver.HealthReport{} },
		Tools:  []tool.Tool{def},
	})
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	hs.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/mcp/probe", nil))
	if rec.Code != http.StatusServiceUnavailable {
		t.Fatalf("status = %d, want 503; body %s", rec.Code, rec.Body)
	}
	if rec.Header().Get("Retry-After") == "" {
		t.Error("503 without Retry-After")
	}
	if body := rec.Body.String(); !strings.Contains(body, `"error":"SERVICE_UNAVAILABLE"`) {
		t.Errorf("body = %s, want SERVICE_UNAVAILABLE", body)
	}

	// One line when the pool ran hot, one when a request queued: the
	// latter shows the queue (rate-limited separately, so it is not
	// swallowed by the first).
	warn := logs.Events(t, "pool_utilization_high")
	if len(warn) != 2 {
		t.Fatalf("got %d pool_utilization_high lines, want 2 (hot, then queueing; each rate-limited)", len(warn))
	}
	if qctx, _ := warn[1]["context"].(map[string]any); qctx["waiting"] != float64(1) {
		t.Errorf("queueing line waiting = %v, want 1", qctx["waiting"])
	}
	wctx, _ := warn[0]["context"].(map[string]any)
	for _, k := range []string{"size", "in_use", "free", "max_size", "utilization_percent", "waiting"} {
		if _, ok := wctx[k]; !ok {
			t.Errorf("pool_utilization_high context lacks %q: %v", k, wctx)
		}
	}
	if warn[0]["level"] != "WARNING" {
		t.Errorf("level = %v, want WARNING", warn[0]["level"])
	}
}

// TestPool_SlowQuery checks that a slow operation logs slow_query at
// DEBUG and never slow_operation, which the request layer logs once per
// request.
func TestPool_SlowQuery(t *testing.T) {
	ctx := context.Background()
	p, logs := openPool(t, dbpool.Config{DSN: dbtest.NewEmpty(t), MinConns: 1, MaxConns: 2, SlowQuery: 50 * time.Millisecond})
	defer p.Close()
	if err := p.Do(ctx, "sleepy", func(ctx context.Context, c *pgxpool.Conn) error {
		_, err := c.Exec(ctx, "SELECT pg_sleep(0.1)")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	slow := logs.Events(t, "slow_query")
	if len(slow) != 1 || slow[0]["operation_name"] != "sleepy" || slow[0]["level"] != "DEBUG" {
		t.Fatalf("slow_query lines = %v", slow)
	}
	sctx, _ := slow[0]["context"].(map[string]any)
	if d, ok := sctx["duration_ms"].(float64); !ok || d < 50 {
		t.Errorf("slow_query context.duration_ms = %v, want >= 50", sctx["duration_ms"])
	}
	if ops := logs.Events(t, "slow_operation"); len(ops) != 0 {
		t.Fatalf("dbpool logged slow_operation: %v", ops)
	}
}

// TestPool_StatementTimeout checks that the per-statement timeout applies
// and surfaces as SERVICE_UNAVAILABLE.
func TestPool_StatementTimeout(t *testing.T) {
	ctx := context.Background()
	p, _ := openPool(t, dbpool.Config{DSN: dbtest.NewEmpty(t), MinConns: 1, MaxConns: 2, StatementTimeout: 100 * time.Millisecond})
	defer p.Close()
	err := p.Do(ctx, "too_slow", func(ctx context.Context, c *pgxpool.Conn) error {
		_, err := c.Exec(ctx, "SELECT pg_sleep(2)")
		return err
	})
	if apperr.CodeOf(err) != apperr.Unavailable {
		t.Fatalf("err = %v, want SERVICE_UNAVAILABLE from the statement timeout", err)
	}
}

// TestOpen_UnreachableDatabase checks the startup retry gives up with an
// error that says what to do.
func TestOpen_UnreachableDatabase(t *testing.T) {
	cluster := dbtest.NewCluster(t)
	cluster.Stop(t, "fast")
	log, _ := obstest.NewLogger(t, "codebase-mcp", slog.LevelDebug)
	_, err := dbpool.Open(context.Background(), dbpool.Config{DSN: cluster.URL("postgres"), StartupWait: 500 * time.Millisecond}, log)
	if err == nil || !strings.Contains(err.Error(), "is PostgreSQL running?") {
		t.Fatalf("err = %v, want a hint to start PostgreSQL", err)
	}
}

// TestOpen_SizesAsConfigured checks that the configured sizes are used as
// given, including a minimum of zero.
func TestOpen_SizesAsConfigured(t *testing.T) {
	dsn := dbtest.NewEmpty(t)
	for _, tc := range []struct{ min, max int32 }{{0, 3}, {2, 7}} {
		p, _ := openPool(t, dbpool.Config{DSN: dsn, MinConns: tc.min, MaxConns: tc.max})
		h := p.Health()
		p.Close()
		if h.MinSize != tc.min || h.MaxSize != tc.max {
			t.Errorf("min/max %d/%d: health reports %d/%d", tc.min, tc.max, h.MinSize, h.MaxSize)
		}
	}
}

// TestOpen_RegistersVectorTypes checks that pooled connections know the
// pgvector types once the extension exists (codebase-mcp's migration 1
// creates it), so vectors travel in binary form.
func TestOpen_RegistersVectorTypes(t *testing.T) {
	dsn := dbtest.New(t, migrations.Codebase())
	p, _ := openPool(t, dbpool.Config{DSN: dsn, MinConns: 0, MaxConns: 2})
	defer p.Close()
	err := p.Do(context.Background(), "vector_roundtrip", func(ctx context.Context, c *pgxpool.Conn) error {
		if _, ok := c.Conn().TypeMap().TypeForName("vector"); !ok {
			t.Error("connection has no vector type registered")
		}
		var v pgvector.Vector
		if err := c.QueryRow(ctx, "SELECT $1::vector", pgvector.NewVector([]float32{1, 2, 3})).Scan(&v); err != nil {
			return err
		}
		if got := v.Slice(); len(got) != 3 || got[2] != 3 {
			t.Errorf("round trip = %v", got)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestHealth_SlowDatabaseIsDegraded checks the slow-probe rule: a probe
// slower than SlowProbe makes health degraded, not unhealthy.
func TestHealth_SlowDatabaseIsDegraded(t *testing.T) {
	dsn := dbtest.NewEmpty(t)
	p, _ := openPool(t, dbpool.Config{DSN: dsn, MaxConns: 2, SlowProbe: time.Nanosecond, ProbeInterval: 50 * time.Millisecond})
	defer p.Close()
	waitFor(t, 5*time.Second, "health turns degraded after a slow probe", func() bool {
		return p.Health().Status == dbpool.StatusDegraded
	})
	if h := p.Health(); h.DatabaseStatus != dbpool.DBDegraded || h.Problem == "" {
		t.Fatalf("health = %+v, want database_status degraded with a problem", h)
	}
}

// TestPool_Tx checks commit on success, rollback on error, and a retry on
// a fresh connection when the session was terminated before the commit.
func TestPool_Tx(t *testing.T) {
	ctx := context.Background()
	dsn := dbtest.NewEmpty(t)
	p, _ := openPool(t, dbpool.Config{DSN: dsn, MinConns: 1, MaxConns: 1})
	defer p.Close()
	if _, err := p.Pgx().Exec(ctx, "CREATE TABLE items (name text PRIMARY KEY)"); err != nil {
		t.Fatal(err)
	}
	insert := func(name string) func(context.Context, pgx.Tx) error {
		return func(ctx context.Context, tx pgx.Tx) error {
			_, err := tx.Exec(ctx, "INSERT INTO items VALUES ($1)", name)
			return err
		}
	}
	count := func() int {
		var n int
		if err := p.Pgx().QueryRow(ctx, "SELECT count(*) FROM items").Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}

	if err := p.Tx(ctx, "insert", insert("a")); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("boom")
	err := p.Tx(ctx, "insert_then_fail", func(ctx context.Context, tx pgx.Tx) error {
		if err := insert("b")(ctx, tx); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v, want the function's error", err)
	}
	if n := count(); n != 1 {
		t.Fatalf("rows = %d after a failed transaction, want 1", n)
	}

	// Kill the pool's only session; the next transaction must still commit once.
	var pid int
	if err := p.Pgx().QueryRow(ctx, "SELECT pg_backend_pid()").Scan(&pid); err != nil {
		t.Fatal(err)
	}
	admin, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(ctx)
	if _, err := admin.Exec(ctx, "SELECT pg_terminate_backend($1)", pid); err != nil {
		t.Fatal(err)
	}
	if err := p.Tx(ctx, "insert_after_kill", insert("c")); err != nil {
		t.Fatalf("transaction after the session was terminated: %v", err)
	}
	if n := count(); n != 2 {
		t.Fatalf("rows = %d, want 2 (a and c, each once)", n)
	}
}
