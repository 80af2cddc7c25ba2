// Package api declares codebase-mcp's operations once, as [tool.Def]s
// served both as MCP tools and as the REST routes of docs/api.md: index
// jobs (start, status, cancel), repositories, search and chunk lookups.
// Input and output types live here, apart from the service types, so a
// service refactor cannot silently change a tool contract. Handlers only
// convert and call the index and search services; the compact text form
// of each MCP result is rendered here too.
package api

import (
	"time"

	"github.com/mcp-memory/servers/internal/apperr"
	"github.com/mcp-memory/servers/internal/codebase/index"
	"github.com/mcp-memory/servers/internal/codebase/search"
)

// Services are what the handlers call. A nil *Services gives the static
// definitions of [Tools].
type Services struct {
	Index  *index.Service
	Search *search.Service
}

// timestamp formats t as RFC 3339 in UTC with microseconds at most.
func timestamp(t time.Time) string {
	return t.UTC().Truncate(time.Microsecond).Format(time.RFC3339Nano)
}

// optTimestamp is timestamp for an optional time: nil stays nil (JSON null).
func optTimestamp(t *time.Time) *string {
	if t == nil {
		return nil
	}
	s := timestamp(*t)
	return &s
}

// checkLimit rejects a limit given explicitly as 0 or below; the service
// checks the upper bound, max is only for the message.
func checkLimit(limit *int, max int) error {
	if limit != nil && *limit < 1 {
		return apperr.Invalid("limit", "must be between 1 and %d, got %d (leave it out for the default)", max, *limit)
	}
	return nil
}

func deref(p *int) int {
	if p == nil {
		return 0
	}
	return *p
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func nonNilMap[K comparable, V any](m map[K]V) map[K]V {
	if m == nil {
		return map[K]V{}
	}
	return m
}
