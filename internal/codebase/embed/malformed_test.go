package embed_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/mcp-memory/servers/internal/apperr"
	"github.com/mcp-memory/servers/internal/codebase/embed"
)

// TestRemote_OpenAIMalformedAnswers answers two texts with data whose
// index fields are missing, repeated or out of range, or whose embedding
// is null: Embed fails saying what was wrong and returns no vectors.
func TestRemote_OpenAIMalformedAnswers(t *testing.T) {
	tests := map[string]struct{ body, want string }{
		"missing index":   {`{"data":[{"embedding":[1,2]},{"index":1,"embedding":[1,2]}]}`, "missing, out-of-range or repeated index"},
		"repeated index":  {`{"data":[{"index":0,"embedding":[1,2]},{"index":0,"embedding":[1,2]}]}`, "missing, out-of-range or repeated index"},
		"index too large": {`{"data":[{"index":0,"embedding":[1,2]},{"index":2,"embedding":[1,2]}]}`, "missing, out-of-range or repeated index"},
		"null embedding":  {`{"data":[{"index":0,"embedding":[1,2]},{"index":1,"embedding":null}]}`, "no embedding for index 1"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			f := &fakeService{protocol: "openai", dim: 2, reply: func(w http.ResponseWriter, _ *http.Request, _ int) bool {
				w.Header().Set("Content-Type", "application/json")
				w.Write([]byte(tc.body)) //nolint:errcheck // the client's reaction is under test
				return true
			}}
			e := newRemote(t, embed.Config{Provider: "openai", URL: f.start(t), MaxRetries: -1})
			vecs, err := e.Embed(context.Background(), texts(2))
			if err == nil || vecs != nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Embed = %d vectors, %v; want an error containing %q", len(vecs), err, tc.want)
			}
		})
	}
}

// TestRemote_CancelledDuringBackoff cancels the context while Embed waits
// to retry a 503: it returns context.Canceled at once instead of sleeping
// out the service's Retry-After.
func TestRemote_CancelledDuringBackoff(t *testing.T) {
	answered := make(chan struct{}, 8)
	f := &fakeService{protocol: "ollama", dim: 2, reply: func(w http.ResponseWriter, _ *http.Request, _ int) bool {
		w.Header().Set("Retry-After", "20")
		w.WriteHeader(http.StatusServiceUnavailable)
		answered <- struct{}{}
		return true
	}}
	e := newRemote(t, embed.Config{Provider: "ollama", URL: f.start(t)})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := e.Embed(ctx, texts(1))
		done <- err
	}()
	<-answered
	// Give the client time to read the 503 and start its 20 s wait; if it
	// has not yet, the cancellation is caught before the wait instead,
	// with the same result.
	time.Sleep(200 * time.Millisecond)
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("err = %v, want context.Canceled", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Embed still waiting for its retry after cancellation")
	}
	if n := f.requests.Load(); n != 1 {
		t.Errorf("%d requests, want 1 (no retry after cancellation)", n)
	}
}

// TestRemote_AlreadyCancelled sends nothing for a context that is done.
func TestRemote_AlreadyCancelled(t *testing.T) {
	f := &fakeService{protocol: "openai", dim: 2}
	e := newRemote(t, embed.Config{Provider: "openai", URL: f.start(t)})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := e.Embed(ctx, texts(3)); !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
	if n := f.requests.Load(); n != 0 {
		t.Errorf("%d requests sent for a cancelled context", n)
	}
}

// TestNew_ValidationLimits rejects negative concurrency and timeout.
func TestNew_ValidationLimits(t *testing.T) {
	for name, cfg := range map[string]embed.Config{
		"concurrency": {Provider: "ollama", Concurrency: -1},
		"timeout":     {Provider: "ollama", Timeout: -time.Second},
	} {
		_, err := embed.New(cfg, nil)
		if apperr.CodeOf(err) != apperr.Validation || !strings.Contains(apperr.MessageOf(err), name) {
			t.Errorf("%s: New = %v, want a validation error naming it", name, err)
		}
	}
}
