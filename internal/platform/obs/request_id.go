package obs

import (
	"context"

	"github.com/google/uuid"
)

type requestIDKey struct{}

// NewContextWithRequestID returns ctx carrying the request ID id.
func NewContextWithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestIDKey{}, id)
}

// RequestIDFromContext returns the request ID in ctx, or "".
func RequestIDFromContext(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

// NewRequestID returns a fresh random request ID.
func NewRequestID() string { return uuid.NewString() }
