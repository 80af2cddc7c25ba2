// Package embed implements [codebase.Embedder]: the offline builtin
// default (identifier-aware feature hashing, no weights, not semantic) and
// clients of two embedding services, Ollama (/api/embed) and any
// OpenAI-compatible server (/v1/embeddings: OpenAI, vLLM, llama.cpp,
// LM Studio). [New] selects one by name.
package embed

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"github.com/mcp-memory/servers/internal/apperr"
	"github.com/mcp-memory/servers/internal/codebase"
)

// Provider names accepted in [Config.Provider].
const (
	ProviderBuiltin = "builtin"
	ProviderOllama  = "ollama"
	ProviderOpenAI  = "openai"
)

// Defaults applied by [New] to zero fields.
const (
	DefaultOllamaURL   = "http://127.0.0.1:11434"
	DefaultOllamaModel = "nomic-embed-text"
	DefaultOpenAIURL   = "https://api.openai.com"
	DefaultOpenAIModel = "text-embedding-3-small"
	DefaultTimeout     = 60 * time.Second
	DefaultMaxRetries  = 4
)

// Config selects and configures an embedder. Zero fields take the defaults
// named on each field.
type Config struct {
	// Provider is "builtin" (the default), "ollama" or "openai".
	Provider string
	// URL is the service's base URL: default http://127.0.0.1:11434 for
	// ollama, https://api.openai.com for openai (a URL ending in /v1 is
	// accepted too). Unused by builtin.
	URL string
	// Model is the embedding model: default nomic-embed-text for ollama,
	// text-embedding-3-small for openai. Unused by builtin.
	Model string
	// APIKey is sent as a bearer token (openai only; optional for local
	// OpenAI-compatible servers, required for api.openai.com). Never
	// logged.
	APIKey string
	// Dimension is the expected vector length. 0: providers learn it from
	// their first answer and then hold every answer to it; builtin uses
	// its own size, [BuiltinDimension]. A provider answer of another
	// length is an error and is never returned.
	Dimension int
	// BatchSize is the most texts per request: default 32 for ollama, 128
	// for openai.
	BatchSize int
	// Concurrency is the most requests in flight per Embed call: default 2
	// for ollama, 4 for openai.
	Concurrency int
	// Timeout bounds each request: default 60 s.
	Timeout time.Duration
	// MaxRetries is how many times a request is retried after a timeout,
	// a network error, HTTP 429 or a 5xx answer: default 4; negative: no
	// retries.
	MaxRetries int

	// backoff is the first retry wait (default 500 ms), doubled on each
	// retry with jitter; tests shorten it.
	backoff time.Duration
}

// String describes cfg with the API key redacted, so a logged or printed
// Config never leaks it.
func (c Config) String() string {
	key := ""
	if c.APIKey != "" {
		key = "[redacted]"
	}
	return fmt.Sprintf("{Provider:%s URL:%s Model:%s APIKey:%s Dimension:%d BatchSize:%d Concurrency:%d Timeout:%s MaxRetries:%d}",
		c.Provider, c.URL, c.Model, key, c.Dimension, c.BatchSize, c.Concurrency, c.Timeout, c.MaxRetries)
}

// LogValue implements [slog.LogValuer] with the API key left out.
func (c Config) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("provider", c.Provider), slog.String("url", c.URL), slog.String("model", c.Model),
		slog.Bool("api_key_set", c.APIKey != ""), slog.Int("dimension", c.Dimension),
		slog.Int("batch_size", c.BatchSize), slog.Int("concurrency", c.Concurrency),
		slog.Duration("timeout", c.Timeout), slog.Int("max_retries", c.MaxRetries))
}

// New returns the embedder cfg selects. A bad configuration is an
// apperr.Validation error naming the field. New does no network I/O: an
// unreachable service shows on the first Embed (see [Probe]).
func New(cfg Config, logger *slog.Logger) (codebase.Embedder, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	switch cfg.Provider {
	case "", ProviderBuiltin:
		dim := cfg.Dimension
		if dim == 0 {
			dim = BuiltinDimension
		}
		if dim < 32 || dim > 2000 {
			return nil, apperr.Invalid("embedder dimension", "the builtin embedder supports 32 to 2000 dimensions, not %d", dim)
		}
		return newBuiltin(dim), nil
	case ProviderOllama:
		cfg = withDefaults(cfg, DefaultOllamaURL, DefaultOllamaModel, 32, 2)
		if err := check(cfg); err != nil {
			return nil, err
		}
		return newRemote(cfg, ollama{}, logger)
	case ProviderOpenAI:
		cfg = withDefaults(cfg, DefaultOpenAIURL, DefaultOpenAIModel, 128, 4)
		if err := check(cfg); err != nil {
			return nil, err
		}
		if cfg.APIKey == "" && strings.Contains(cfg.URL, "api.openai.com") {
			return nil, apperr.Invalid("embedder api key", "the openai embedder at %s needs an API key: set EMBEDDER_API_KEY or OPENAI_API_KEY", cfg.URL)
		}
		return newRemote(cfg, openAI{}, logger)
	default:
		return nil, apperr.Invalid("embedder", "unknown embedder %q: use builtin, ollama or openai", cfg.Provider)
	}
}

func withDefaults(cfg Config, url, model string, batch, concurrency int) Config {
	if cfg.URL == "" {
		cfg.URL = url
	}
	if cfg.Model == "" {
		cfg.Model = model
	}
	if cfg.BatchSize == 0 {
		cfg.BatchSize = batch
	}
	if cfg.Concurrency == 0 {
		cfg.Concurrency = concurrency
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = DefaultTimeout
	}
	switch {
	case cfg.MaxRetries == 0:
		cfg.MaxRetries = DefaultMaxRetries
	case cfg.MaxRetries < 0:
		cfg.MaxRetries = 0
	}
	if cfg.backoff == 0 {
		cfg.backoff = 500 * time.Millisecond
	}
	return cfg
}

func check(cfg Config) error {
	u, err := url.Parse(cfg.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return apperr.Invalid("embedder url", "%q is not an http(s) URL", cfg.URL)
	}
	switch {
	case cfg.Dimension < 0:
		return apperr.Invalid("embedder dimension", "must be 0 (learn it) or positive, not %d", cfg.Dimension)
	case cfg.BatchSize < 0:
		return apperr.Invalid("embedder batch size", "must be positive, not %d", cfg.BatchSize)
	case cfg.Concurrency < 0:
		return apperr.Invalid("embedder concurrency", "must be positive, not %d", cfg.Concurrency)
	case cfg.Timeout < 0:
		return apperr.Invalid("embedder timeout", "must be positive, not %s", cfg.Timeout)
	}
	return nil
}

// Probe embeds one short text and returns e's dimension. Use it at
// start-up: it fails early when a service is unreachable or misconfigured,
// and a provider with Config.Dimension 0 learns its dimension from the
// answer, to be compared with the dimension stored with an index.
func Probe(ctx context.Context, e codebase.Embedder) (int, error) {
	vs, err := e.Embed(ctx, []string{"dimension probe"})
	if err != nil {
		return 0, fmt.Errorf("probe embedder %s: %w", e.Name(), err)
	}
	return len(vs[0]), nil
}
