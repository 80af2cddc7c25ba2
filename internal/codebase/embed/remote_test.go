package embed_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mcp-memory/servers/internal/apperr"
	"github.com/mcp-memory/servers/internal/codebase"
	"github.com/mcp-memory/servers/internal/codebase/embed"
)

// fakeService is an in-test embedding server speaking one protocol. Its
// vectors encode their text: "t17" → [17, 1, 2, ...] (dim values), so
// tests can check order. reply, when set, answers request number n
// (1-based) instead.
type fakeService struct {
	protocol string
	dim      int
	reply    func(w http.ResponseWriter, r *http.Request, n int) bool

	requests atomic.Int64
	inFlight atomic.Int64
	maxIn    atomic.Int64
	mu       sync.Mutex
	arrivals []time.Time
	batches  [][]string
	auth     []string
}

func (f *fakeService) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	n := int(f.requests.Add(1))
	in := f.inFlight.Add(1)
	defer f.inFlight.Add(-1)
	for {
		m := f.maxIn.Load()
		if in <= m || f.maxIn.CompareAndSwap(m, in) {
			break
		}
	}
	f.mu.Lock()
	f.arrivals = append(f.arrivals, time.Now())
	f.auth = append(f.auth, r.Header.Get("Authorization"))
	f.mu.Unlock()

	wantPath := map[string]string{"ollama": "/api/embed", "openai": "/v1/embeddings"}[f.protocol]
	if r.Method != http.MethodPost || r.URL.Path != wantPath {
		http.Error(w, "wrong route "+r.Method+" "+r.URL.Path, http.StatusNotFound)
		return
	}
	var req struct {
		Model string   `json:"model"`
		Input []string `json:"input"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil || req.Model == "" {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	f.mu.Lock()
	f.batches = append(f.batches, req.Input)
	f.mu.Unlock()
	if f.reply != nil && f.reply(w, r, n) {
		return
	}
	vecs := make([][]float32, len(req.Input))
	for i, text := range req.Input {
		vecs[i] = textVector(text, f.dim)
	}
	writeVectors(w, f.protocol, vecs)
}

func textVector(text string, dim int) []float32 {
	k, _ := strconv.Atoi(strings.TrimPrefix(text, "t"))
	v := make([]float32, dim)
	v[0] = float32(k)
	for i := 1; i < dim; i++ {
		v[i] = float32(i)
	}
	return v
}

// writeVectors answers in the protocol's format; OpenAI's data is shuffled,
// since its index field, not its order, says which input it belongs to.
func writeVectors(w http.ResponseWriter, protocol string, vecs [][]float32) {
	w.Header().Set("Content-Type", "application/json")
	if protocol == "ollama" {
		json.NewEncoder(w).Encode(map[string]any{"model": "m", "embeddings": vecs})
		return
	}
	type item struct {
		Object    string    `json:"object"`
		Index     int       `json:"index"`
		Embedding []float32 `json:"embedding"`
	}
	data := make([]item, len(vecs))
	for i, v := range vecs {
		data[i] = item{"embedding", i, v}
	}
	rand.Shuffle(len(data), func(i, j int) { data[i], data[j] = data[j], data[i] })
	json.NewEncoder(w).Encode(map[string]any{"object": "list", "data": data, "model": "m"})
}

func (f *fakeService) start(t *testing.T) string {
	t.Helper()
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return srv.URL
}

func newRemote(t *testing.T, cfg embed.Config) codebase.Embedder {
	t.Helper()
	e, err := embed.New(embed.WithBackoff(cfg, 10*time.Millisecond), nil)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func texts(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("t%d", i)
	}
	return out
}

var protocols = []string{"ollama", "openai"}

func TestRemote_Batching(t *testing.T) {
	for _, p := range protocols {
		t.Run(p, func(t *testing.T) {
			f := &fakeService{protocol: p, dim: 8}
			e := newRemote(t, embed.Config{Provider: p, URL: f.start(t), APIKey: "sk-test", BatchSize: 10, Concurrency: 2})
			vs, err := e.Embed(context.Background(), texts(95))
			if err != nil {
				t.Fatal(err)
			}
			if got := f.requests.Load(); got != 10 {
				t.Errorf("%d requests for 95 texts in batches of 10, want 10", got)
			}
			if m := f.maxIn.Load(); m > 2 {
				t.Errorf("%d requests in flight, concurrency is 2", m)
			}
			for _, b := range f.batches {
				if len(b) > 10 {
					t.Errorf("batch of %d texts, batch size is 10", len(b))
				}
			}
			for i, v := range vs {
				if len(v) != 8 || v[0] != float32(i) {
					t.Fatalf("vector %d = %v: out of order or wrong length", i, v)
				}
			}
			if e.Dimension() != 8 {
				t.Errorf("Dimension() = %d after the first answer, want 8 (learnt)", e.Dimension())
			}
			wantName := map[string]string{"ollama": "ollama:nomic-embed-text", "openai": "openai:text-embedding-3-small"}[p]
			if e.Name() != wantName {
				t.Errorf("Name() = %q, want %q", e.Name(), wantName)
			}
			if f.auth[0] != "Bearer sk-test" {
				t.Errorf("Authorization = %q, want the bearer key", f.auth[0])
			}
			empty, err := e.Embed(context.Background(), nil)
			if err != nil || len(empty) != 0 || f.requests.Load() != 10 {
				t.Errorf("Embed(nil) = %v, %v after %d requests: want nothing and no request", empty, err, f.requests.Load())
			}
		})
	}
}

func TestRemote_Retries(t *testing.T) {
	tests := []struct {
		name         string
		reply        func(w http.ResponseWriter, r *http.Request, n int) bool
		maxRetries   int
		wantRequests int64
		wantErr      string // empty: success
		minGap       time.Duration
	}{
		{
			name: "429 with Retry-After seconds, then success",
			reply: func(w http.ResponseWriter, _ *http.Request, n int) bool {
				if n == 1 {
					w.Header().Set("Retry-After", "1")
					http.Error(w, `{"error":"rate limited"}`, http.StatusTooManyRequests)
					return true
				}
				return false
			},
			wantRequests: 2,
			minGap:       time.Second,
		},
		{
			name: "503 with Retry-After date, then success",
			reply: func(w http.ResponseWriter, _ *http.Request, n int) bool {
				if n == 1 {
					w.Header().Set("Retry-After", time.Now().Add(2*time.Second).UTC().Format(http.TimeFormat))
					w.WriteHeader(http.StatusServiceUnavailable)
					return true
				}
				return false
			},
			wantRequests: 2,
			minGap:       time.Second, // the date has 1 s resolution: at least 1 s of the 2 remain
		},
		{
			name: "500 then success",
			reply: func(w http.ResponseWriter, _ *http.Request, n int) bool {
				if n == 1 {
					http.Error(w, "boom", http.StatusInternalServerError)
					return true
				}
				return false
			},
			wantRequests: 2,
		},
		{
			name: "500 forever: bounded attempts",
			reply: func(w http.ResponseWriter, _ *http.Request, _ int) bool {
				http.Error(w, `{"error":"model crashed"}`, http.StatusInternalServerError)
				return true
			},
			maxRetries:   2,
			wantRequests: 3,
			wantErr:      "answered HTTP 500 (model crashed)",
		},
		{
			name: "429 asking for too long a wait: no waiting",
			reply: func(w http.ResponseWriter, _ *http.Request, _ int) bool {
				w.Header().Set("Retry-After", "3600")
				w.WriteHeader(http.StatusTooManyRequests)
				return true
			},
			wantRequests: 1,
			wantErr:      "asks to wait 1h0m0s",
		},
		{
			name: "malformed JSON: not retried",
			reply: func(w http.ResponseWriter, _ *http.Request, _ int) bool {
				io.WriteString(w, `{"embeddings": [[1, 2,`)
				return true
			},
			wantRequests: 1,
			wantErr:      "not the expected",
		},
		{
			name: "401: not retried, key not echoed",
			reply: func(w http.ResponseWriter, _ *http.Request, _ int) bool {
				http.Error(w, `{"error":{"message":"Incorrect API key provided: sk-secret"}}`, http.StatusUnauthorized)
				return true
			},
			wantRequests: 1,
			wantErr:      "HTTP 401: the API key is missing, wrong or not allowed",
		},
		{
			name: "400: not retried, provider message kept",
			reply: func(w http.ResponseWriter, _ *http.Request, _ int) bool {
				http.Error(w, `{"error":{"message":"input too long for sk-secret"}}`, http.StatusBadRequest)
				return true
			},
			wantRequests: 1,
			wantErr:      "HTTP 400 (input too long for [api key])",
		},
	}
	for _, p := range protocols {
		for _, tc := range tests {
			t.Run(p+"/"+tc.name, func(t *testing.T) {
				t.Parallel()
				f := &fakeService{protocol: p, dim: 4, reply: tc.reply}
				e := newRemote(t, embed.Config{Provider: p, URL: f.start(t), APIKey: "sk-secret", MaxRetries: tc.maxRetries})
				vs, err := e.Embed(context.Background(), texts(3))
				if got := f.requests.Load(); got != tc.wantRequests {
					t.Errorf("%d requests, want %d", got, tc.wantRequests)
				}
				if tc.wantErr == "" {
					if err != nil || len(vs) != 3 || vs[2][0] != 2 {
						t.Fatalf("Embed = %v, %v; want 3 vectors in order", vs, err)
					}
				} else {
					checkErr(t, err, tc.wantErr, e.Name())
					if strings.Contains(err.Error(), "sk-secret") {
						t.Errorf("error repeats the API key: %v", err)
					}
				}
				if tc.minGap > 0 && len(f.arrivals) >= 2 {
					if gap := f.arrivals[1].Sub(f.arrivals[0]); gap < tc.minGap {
						t.Errorf("retried after %s, Retry-After asked for at least %s", gap, tc.minGap)
					}
				}
			})
		}
	}
}

// checkErr wants an apperr.Unavailable error naming the embedder and
// containing want.
func checkErr(t *testing.T, err error, want, name string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want one containing %q", want)
	}
	if apperr.CodeOf(err) != apperr.Unavailable {
		t.Errorf("code %s, want %s: %v", apperr.CodeOf(err), apperr.Unavailable, err)
	}
	msg := apperr.MessageOf(err)
	if !strings.Contains(msg, want) || !strings.Contains(msg, name) {
		t.Errorf("message %q, want it to contain %q and %q", msg, want, name)
	}
}

func TestRemote_Timeout(t *testing.T) {
	for _, p := range protocols {
		t.Run(p, func(t *testing.T) {
			f := &fakeService{protocol: p, dim: 4, reply: func(w http.ResponseWriter, r *http.Request, n int) bool {
				select { // longer than the timeout, until the client gives up
				case <-r.Context().Done():
				case <-time.After(5 * time.Second):
				}
				return true
			}}
			e := newRemote(t, embed.Config{Provider: p, URL: f.start(t), Timeout: 100 * time.Millisecond, MaxRetries: 1})
			_, err := e.Embed(context.Background(), texts(2))
			checkErr(t, err, "did not answer within 100ms", e.Name())
			if got := f.requests.Load(); got != 2 {
				t.Errorf("%d requests, want 2 (one retry)", got)
			}
		})
	}
}

func TestRemote_Dimensions(t *testing.T) {
	lengths := func(protocol string, ls ...int) func(http.ResponseWriter, *http.Request, int) bool {
		return func(w http.ResponseWriter, _ *http.Request, _ int) bool {
			vecs := make([][]float32, len(ls))
			for i, l := range ls {
				vecs[i] = make([]float32, l)
				vecs[i][0] = 1
			}
			writeVectors(w, protocol, vecs)
			return true
		}
	}
	for _, p := range protocols {
		t.Run(p+"/configured dimension differs", func(t *testing.T) {
			f := &fakeService{protocol: p, reply: lengths(p, 3, 3)}
			e := newRemote(t, embed.Config{Provider: p, URL: f.start(t), Dimension: 4})
			_, err := e.Embed(context.Background(), texts(2))
			checkErr(t, err, "vector of 3 dimensions (text 0 of the batch), not 4", e.Name())
			if f.requests.Load() != 1 {
				t.Errorf("%d requests: a wrong dimension must not be retried", f.requests.Load())
			}
		})
		t.Run(p+"/inconsistent within a batch", func(t *testing.T) {
			f := &fakeService{protocol: p, reply: lengths(p, 3, 4)}
			e := newRemote(t, embed.Config{Provider: p, URL: f.start(t)})
			_, err := e.Embed(context.Background(), texts(2))
			checkErr(t, err, "vector of 4 dimensions (text 1 of the batch), not 3", e.Name())
		})
		t.Run(p+"/changes between calls", func(t *testing.T) {
			f := &fakeService{protocol: p, dim: 3}
			e := newRemote(t, embed.Config{Provider: p, URL: f.start(t)})
			if d, err := embed.Probe(context.Background(), e); err != nil || d != 3 {
				t.Fatalf("Probe = %d, %v; want 3", d, err)
			}
			f.dim = 5
			_, err := e.Embed(context.Background(), texts(2))
			checkErr(t, err, "not 3 (the dimension learnt from its first answer)", e.Name())
		})
		t.Run(p+"/wrong count", func(t *testing.T) {
			f := &fakeService{protocol: p, reply: lengths(p, 3)}
			e := newRemote(t, embed.Config{Provider: p, URL: f.start(t)})
			_, err := e.Embed(context.Background(), texts(2))
			checkErr(t, err, "not the expected", e.Name())
		})
	}
}

func TestRemote_Cancellation(t *testing.T) {
	for _, p := range protocols {
		t.Run(p, func(t *testing.T) {
			arrived := make(chan struct{}, 16)
			f := &fakeService{protocol: p, dim: 4, reply: func(w http.ResponseWriter, r *http.Request, n int) bool {
				arrived <- struct{}{}
				<-r.Context().Done()
				return true
			}}
			e := newRemote(t, embed.Config{Provider: p, URL: f.start(t), BatchSize: 1, Concurrency: 2})
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() {
				_, err := e.Embed(ctx, texts(10))
				done <- err
			}()
			<-arrived
			cancel()
			select {
			case err := <-done:
				if !errors.Is(err, context.Canceled) {
					t.Errorf("Embed after cancel = %v, want context.Canceled", err)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("Embed did not return after cancellation")
			}
			if n := f.requests.Load(); n > 2 {
				t.Errorf("%d requests sent; cancellation must stop new batches", n)
			}
		})
	}
}

func TestRemote_Unreachable(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url := "http://" + l.Addr().String()
	l.Close() // nothing listens there now
	tests := []struct{ provider, hint string }{
		{"ollama", "ollama serve"},
		{"openai", "check --embedder-url"},
	}
	for _, tc := range tests {
		t.Run(tc.provider, func(t *testing.T) {
			e := newRemote(t, embed.Config{Provider: tc.provider, URL: url, MaxRetries: 1})
			_, err := e.Embed(context.Background(), texts(1))
			checkErr(t, err, "cannot reach "+e.Name()+" at "+url, e.Name())
			checkErr(t, err, tc.hint, e.Name())
		})
	}
}

func TestRemote_OllamaModelMissing(t *testing.T) {
	f := &fakeService{protocol: "ollama", reply: func(w http.ResponseWriter, _ *http.Request, _ int) bool {
		http.Error(w, `{"error":"model \"nomic-embed-text\" not found, try pulling it first"}`, http.StatusNotFound)
		return true
	}}
	e := newRemote(t, embed.Config{Provider: "ollama", URL: f.start(t)})
	_, err := e.Embed(context.Background(), texts(1))
	checkErr(t, err, "run `ollama pull nomic-embed-text`", e.Name())
	if f.requests.Load() != 1 {
		t.Errorf("%d requests: a 404 must not be retried", f.requests.Load())
	}
}

func TestRemote_OpenAIBaseURLWithV1(t *testing.T) {
	f := &fakeService{protocol: "openai", dim: 4}
	e := newRemote(t, embed.Config{Provider: "openai", URL: f.start(t) + "/v1/", Model: "bge-small"})
	if _, err := e.Embed(context.Background(), texts(1)); err != nil {
		t.Fatal(err)
	}
	if e.Name() != "openai:bge-small" {
		t.Errorf("Name() = %q", e.Name())
	}
}

func TestNew_Validation(t *testing.T) {
	tests := []struct {
		name string
		cfg  embed.Config
		want string
	}{
		{"unknown provider", embed.Config{Provider: "bert"}, `unknown embedder "bert"`},
		{"not a URL", embed.Config{Provider: "ollama", URL: "localhost:11434"}, "not an http(s) URL"},
		{"negative dimension", embed.Config{Provider: "ollama", Dimension: -1}, "dimension"},
		{"negative batch", embed.Config{Provider: "openai", URL: "http://127.0.0.1:1", BatchSize: -5}, "batch size"},
		{"openai.com without key", embed.Config{Provider: "openai"}, "EMBEDDER_API_KEY or OPENAI_API_KEY"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := embed.New(tc.cfg, nil)
			if apperr.CodeOf(err) != apperr.Validation || !strings.Contains(apperr.MessageOf(err), tc.want) {
				t.Errorf("New = %v, want a validation error containing %q", err, tc.want)
			}
		})
	}
}

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		header string
		want   time.Duration
	}{
		{"", 0},
		{"7", 7 * time.Second},
		{" 0 ", 0},
		{"-3", 0},
		{"soon", 0},
		{"Fri, 27 Nov 2026 12:00:30 GMT", 30 * time.Second},
		{"Fri, 27 Nov 2026 11:59:00 GMT", 0}, // in the past
	}
	for _, tc := range tests {
		if got := embed.RetryAfter(tc.header, now); got != tc.want {
			t.Errorf("RetryAfter(%q) = %s, want %s", tc.header, got, tc.want)
		}
	}
}

func TestConfig_RedactsAPIKey(t *testing.T) {
	cfg := embed.Config{Provider: "openai", Model: "m", APIKey: "sk-secret"}
	var buf strings.Builder
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("config", "embedder", cfg)
	for _, s := range []string{fmt.Sprint(cfg), fmt.Sprintf("%+v", cfg), buf.String()} {
		if strings.Contains(s, "sk-secret") || !strings.Contains(s, "openai") {
			t.Errorf("rendered config %q: want the provider and no API key", s)
		}
	}
}

func TestRemote_RetryAfterReported(t *testing.T) {
	f := &fakeService{protocol: "openai", reply: func(w http.ResponseWriter, _ *http.Request, _ int) bool {
		w.Header().Set("Retry-After", "5")
		w.WriteHeader(http.StatusTooManyRequests)
		return true
	}}
	e := newRemote(t, embed.Config{Provider: "openai", URL: f.start(t), MaxRetries: -1})
	_, err := e.Embed(context.Background(), texts(1))
	checkErr(t, err, "HTTP 429", e.Name())
	if ae, ok := apperr.As(err); !ok || ae.RetryAfter != 5*time.Second {
		t.Errorf("error %v: want RetryAfter 5s from the service's Retry-After", err)
	}
	if f.requests.Load() != 1 {
		t.Errorf("%d requests with retries off, want 1", f.requests.Load())
	}
}
