package embed

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mcp-memory/servers/internal/apperr"
	"github.com/mcp-memory/servers/internal/codebase"
)

const (
	// maxBackoff caps one exponential backoff wait.
	maxBackoff = 30 * time.Second
	// maxRetryAfter is the longest Retry-After honoured by waiting; a
	// longer one ends the call with an Unavailable error that carries it.
	maxRetryAfter = 2 * time.Minute
	// maxResponse bounds a response body (128 texts × 3,072 floats as
	// JSON is about 8 MB).
	maxResponse = 64 << 20
)

// protocol is what differs between the embedding services.
type protocol interface {
	// provider names the service in errors and logs.
	provider() string
	// endpoint returns the URL to POST to, given the configured base URL.
	endpoint(base string) string
	// body returns the JSON request for texts.
	body(model string, texts []string) any
	// decode returns the n vectors of a successful answer, in input order.
	decode(data []byte, n int) ([][]float32, error)
	// hint tells the user how to make an unreachable service reachable.
	hint(cfg Config) string
	// notFound explains an HTTP 404.
	notFound(cfg Config) string
}

// remote is an embedder backed by an HTTP embedding service.
type remote struct {
	cfg      Config
	proto    protocol
	endpoint string
	client   *http.Client
	logger   *slog.Logger
	// dim is the dimension learnt from the first answer (when
	// cfg.Dimension is 0).
	dim atomic.Int64
}

var _ codebase.Embedder = (*remote)(nil)

func newRemote(cfg Config, p protocol, logger *slog.Logger) (*remote, error) {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = max(cfg.Concurrency, 2)
	return &remote{
		cfg:      cfg,
		proto:    p,
		endpoint: p.endpoint(strings.TrimRight(cfg.URL, "/")),
		client:   &http.Client{Transport: tr},
		logger:   logger.With("embedder", p.provider(), "model", cfg.Model),
	}, nil
}

// Name implements [codebase.Embedder]: "provider:model".
func (r *remote) Name() string { return r.proto.provider() + ":" + r.cfg.Model }

// Dimension implements [codebase.Embedder]. With Config.Dimension 0 it is 0
// until the first successful answer (see [Probe]).
func (r *remote) Dimension() int {
	if r.cfg.Dimension > 0 {
		return r.cfg.Dimension
	}
	return int(r.dim.Load())
}

// Embed implements [codebase.Embedder]: texts go out in batches of
// Config.BatchSize, at most Config.Concurrency at a time; the first failed
// batch cancels the others and its error is returned.
func (r *remote) Embed(ctx context.Context, texts []string) ([][]float32, error) {
	out := make([][]float32, len(texts))
	if len(texts) == 0 {
		return out, nil
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var (
		wg       sync.WaitGroup
		once     sync.Once
		firstErr error
		sem      = make(chan struct{}, r.cfg.Concurrency)
	)
	fail := func(err error) {
		once.Do(func() {
			firstErr = err
			cancel(err)
		})
	}
	for start := 0; start < len(texts); start += r.cfg.BatchSize {
		end := min(start+r.cfg.BatchSize, len(texts))
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
		wg.Go(func() {
			defer func() { <-sem }()
			vecs, err := r.batch(ctx, texts[start:end])
			if err != nil {
				fail(err)
				return
			}
			copy(out[start:end], vecs)
		})
	}
	wg.Wait()
	if firstErr != nil {
		return nil, firstErr
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("embed with %s: %w", r.Name(), err)
	}
	return out, nil
}

// batch embeds one batch, retrying what is worth retrying.
func (r *remote) batch(ctx context.Context, texts []string) ([][]float32, error) {
	body, err := json.Marshal(r.proto.body(r.cfg.Model, texts))
	if err != nil {
		return nil, fmt.Errorf("encode %s request: %w", r.proto.provider(), err)
	}
	for attempt := 0; ; attempt++ {
		vecs, wait, err := r.try(ctx, body, len(texts))
		if err == nil {
			return vecs, nil
		}
		var ra retryable
		if !errors.As(err, &ra) {
			return nil, err
		}
		if ctx.Err() != nil {
			return nil, fmt.Errorf("embed with %s: %w", r.Name(), context.Cause(ctx))
		}
		if attempt >= r.cfg.MaxRetries {
			if e, ok := apperr.As(ra.err); ok && wait > 0 {
				e.RetryAfter = wait // tell our own callers what the service said
			}
			return nil, ra.err
		}
		if wait > maxRetryAfter {
			e := apperr.Wrap(ra.err, apperr.Unavailable, fmt.Sprintf("%s asks to wait %s before the next request: try again later", r.Name(), wait.Round(time.Second)))
			e.RetryAfter = wait
			return nil, e
		}
		if wait == 0 {
			wait = r.backoff(attempt)
		}
		r.logger.Warn("embedder retry", "attempt", attempt+1, "max_retries", r.cfg.MaxRetries, "wait", wait.String(), "err", ra.err.Error())
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, fmt.Errorf("embed with %s: %w", r.Name(), context.Cause(ctx))
		case <-t.C:
		}
	}
}

// backoff returns the wait before retry attempt+1: the first backoff
// doubled per attempt, capped, with "equal jitter" (half fixed, half
// random) so that concurrent batches do not retry in lockstep.
func (r *remote) backoff(attempt int) time.Duration {
	d := r.cfg.backoff << min(attempt, 16)
	if d <= 0 || d > maxBackoff {
		d = maxBackoff
	}
	return d/2 + rand.N(d/2+1)
}

// retryable marks an error worth retrying.
type retryable struct{ err error }

func (e retryable) Error() string { return e.err.Error() }
func (e retryable) Unwrap() error { return e.err }

// try sends one request. It returns the vectors, or an error; a
// retryable error may come with the wait the service asked for.
func (r *remote) try(ctx context.Context, body []byte, n int) ([][]float32, time.Duration, error) {
	rctx, cancel := context.WithTimeout(ctx, r.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(rctx, http.MethodPost, r.endpoint, bytes.NewReader(body))
	if err != nil {
		return nil, 0, fmt.Errorf("build %s request: %w", r.proto.provider(), err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	if r.cfg.APIKey != "" {
		req.Header.Set("Authorization", "Bearer "+r.cfg.APIKey)
	}
	resp, err := r.client.Do(req)
	if err != nil {
		return nil, 0, r.transportError(ctx, rctx, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse+1))
	if err != nil {
		return nil, 0, r.transportError(ctx, rctx, err)
	}
	if len(data) > maxResponse {
		return nil, 0, apperr.New(apperr.Unavailable, "%s answered more than %d MB: lower the embedder batch size", r.Name(), maxResponse>>20)
	}

	switch code := resp.StatusCode; {
	case code == http.StatusOK:
		vecs, err := r.proto.decode(data, n)
		if err != nil {
			return nil, 0, apperr.Wrap(err, apperr.Unavailable, fmt.Sprintf(
				"%s at %s returned an answer that is not the expected %s embeddings response: check that --embedder-url points at a %s server",
				r.Name(), r.cfg.URL, r.proto.provider(), r.proto.provider()))
		}
		if err := r.checkDimension(vecs); err != nil {
			return nil, 0, err
		}
		return vecs, 0, nil
	case code == http.StatusTooManyRequests || code == http.StatusServiceUnavailable:
		wait := retryAfter(resp.Header.Get("Retry-After"), time.Now())
		return nil, wait, retryable{r.statusError(code, data, "the service is busy or rate-limited; retried with backoff")}
	case code >= 500:
		return nil, 0, retryable{r.statusError(code, data, "the service failed; retried with backoff")}
	case code == http.StatusUnauthorized || code == http.StatusForbidden:
		// The body may quote part of the key: not repeated.
		return nil, 0, apperr.New(apperr.Unavailable,
			"%s rejected the request with HTTP %d: the API key is missing, wrong or not allowed to use model %s; set EMBEDDER_API_KEY (or OPENAI_API_KEY)",
			r.Name(), code, r.cfg.Model)
	case code == http.StatusNotFound:
		return nil, 0, r.statusError(code, data, r.proto.notFound(r.cfg))
	default:
		return nil, 0, r.statusError(code, data,
			"the request was refused and is not retried; check --embedder-model and that chunks fit the model's input limit (lower --embedder-batch-size on HTTP 413)")
	}
}

// transportError classifies a failure to get an answer: the caller's
// cancellation (not retried), a request timeout or an unreachable service
// (both retried).
func (r *remote) transportError(ctx, rctx context.Context, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("embed with %s: %w", r.Name(), context.Cause(ctx))
	}
	if errors.Is(rctx.Err(), context.DeadlineExceeded) {
		return retryable{apperr.Wrap(err, apperr.Unavailable, fmt.Sprintf(
			"%s at %s did not answer within %s: the model may still be loading or the machine is overloaded; raise --embedder-timeout or lower --embedder-batch-size",
			r.Name(), r.cfg.URL, r.cfg.Timeout))}
	}
	return retryable{apperr.Wrap(err, apperr.Unavailable, fmt.Sprintf("cannot reach %s at %s: %s", r.Name(), r.cfg.URL, r.proto.hint(r.cfg)))}
}

// statusError is an Unavailable error naming the service, model and
// status, with the start of the service's own message (the API key
// scrubbed) and what to do.
func (r *remote) statusError(code int, body []byte, todo string) error {
	msg := strings.TrimSpace(string(body))
	var e struct {
		Error json.RawMessage `json:"error"`
	}
	if json.Unmarshal(body, &e) == nil && len(e.Error) > 0 {
		// Ollama: {"error": "text"}; OpenAI: {"error": {"message": "text"}}.
		var s string
		var o struct {
			Message string `json:"message"`
		}
		if json.Unmarshal(e.Error, &s) == nil {
			msg = s
		} else if json.Unmarshal(e.Error, &o) == nil && o.Message != "" {
			msg = o.Message
		}
	}
	if r.cfg.APIKey != "" {
		msg = strings.ReplaceAll(msg, r.cfg.APIKey, "[api key]")
	}
	if len(msg) > 300 {
		msg = msg[:300] + "..."
	}
	if msg == "" {
		msg = http.StatusText(code)
	}
	return apperr.New(apperr.Unavailable, "%s answered HTTP %d (%s): %s", r.Name(), code, msg, todo)
}

// checkDimension holds every vector to the configured or learnt dimension
// and rejects non-finite values, so a bad answer is never stored.
func (r *remote) checkDimension(vecs [][]float32) error {
	want := r.cfg.Dimension
	if want == 0 {
		if len(vecs) == 0 {
			return nil
		}
		r.dim.CompareAndSwap(0, int64(len(vecs[0])))
		want = int(r.dim.Load())
	}
	for i, v := range vecs {
		if len(v) != want {
			what := "the dimension learnt from its first answer"
			if r.cfg.Dimension > 0 {
				what = "the configured dimension"
			}
			return apperr.New(apperr.Unavailable,
				"%s returned a vector of %d dimensions (text %d of the batch), not %d (%s): check --embedder-model and --embedder-dimension; nothing was stored",
				r.Name(), len(v), i, want, what)
		}
		for _, x := range v {
			if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
				return apperr.New(apperr.Unavailable, "%s returned a vector with NaN or infinite values (text %d of the batch); nothing was stored", r.Name(), i)
			}
		}
	}
	return nil
}

// retryAfter parses a Retry-After header: delay-seconds or an HTTP date.
// It returns 0 when the header is absent or unreadable.
func retryAfter(h string, now time.Time) time.Duration {
	h = strings.TrimSpace(h)
	if h == "" {
		return 0
	}
	if s, err := strconv.Atoi(h); err == nil {
		if s < 0 {
			return 0
		}
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(h); err == nil {
		if d := t.Sub(now); d > 0 {
			return d
		}
	}
	return 0
}
