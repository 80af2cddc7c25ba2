package embed

import "time"

// WithBackoff sets the first retry wait, so tests retry quickly.
func WithBackoff(cfg Config, d time.Duration) Config {
	cfg.backoff = d
	return cfg
}

// RetryAfter exposes the Retry-After parser.
var RetryAfter = retryAfter
