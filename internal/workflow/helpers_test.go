package workflow_test

import (
	"testing"

	"github.com/mcp-memory/servers/internal/apperr"
)

// wantCode fails unless err carries code.
func wantCode(tb testing.TB, err error, code apperr.Code) *apperr.Error {
	tb.Helper()
	if got := apperr.CodeOf(err); got != code {
		tb.Fatalf("error = %v (code %q), want code %s", err, got, code)
	}
	e, _ := apperr.As(err)
	return e
}

func must[T any](tb testing.TB) func(T, error) T {
	return func(v T, err error) T {
		tb.Helper()
		if err != nil {
			tb.Fatal(err)
		}
		return v
	}
}
