// Package api declares workflow-mcp's operations once, as [tool.Def]s
// served both as MCP tools and as the REST routes of docs/api.md. Input
// and output types live here, apart from the domain types, so a domain
// refactor cannot silently change a tool contract. Handlers only convert
// and call [workflow.Service].
package api

import (
	"time"

	"github.com/mcp-memory/servers/internal/apperr"
	"github.com/mcp-memory/servers/internal/workflow"
)

// moreHint is set on a page that has a next one, so the text form of the
// answer says how to continue.
const moreHint = "more results: call again with cursor set to next_cursor"

func more(next string) string {
	if next == "" {
		return ""
	}
	return moreHint
}

// timestamp formats t as RFC 3339 in UTC with microseconds at most.
func timestamp(t time.Time) string {
	return t.UTC().Truncate(time.Microsecond).Format(time.RFC3339Nano)
}

func optTimestamp(t *time.Time) string {
	if t == nil {
		return ""
	}
	return timestamp(*t)
}

// parseTime reads an optional RFC 3339 input field.
func parseTime(field, s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, apperr.Invalid(field, "must be an RFC 3339 time such as 2026-11-27T10:00:00Z, got %q", s)
	}
	return t, nil
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func page(limit int, cursor string) workflow.Page { return workflow.Page{Limit: limit, Cursor: cursor} }

// apperrNotFound returns the message of a NOT_FOUND error.
func apperrNotFound(err error) (string, bool) {
	if apperr.CodeOf(err) == apperr.NotFound {
		return apperr.MessageOf(err), true
	}
	return "", false
}
