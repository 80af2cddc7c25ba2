package apperr_test

import (
	"errors"
	"fmt"
	"io"
	"testing"

	"github.com/mcp-memory/servers/internal/apperr"
)

func TestCodeOf(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want apperr.Code
	}{
		{"nil", nil, ""},
		{"plain error is internal", errors.New("boom"), apperr.Internal},
		{"coded", apperr.New(apperr.NotFound, "no such thing"), apperr.NotFound},
		{"wrapped with fmt", fmt.Errorf("load: %w", apperr.New(apperr.VersionConflict, "stale")), apperr.VersionConflict},
		{"joined", errors.Join(errors.New("x"), apperr.New(apperr.AlreadyExists, "dup")), apperr.AlreadyExists},
		{"outermost code wins", apperr.Wrap(apperr.New(apperr.NotFound, "inner"), apperr.Unavailable, "outer"), apperr.Unavailable},
		{"Invalid is validation", apperr.Invalid("name", "empty"), apperr.Validation},
		{"coded wrapping a plain error", apperr.Wrap(io.EOF, apperr.Validation, "short body"), apperr.Validation},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := apperr.CodeOf(tc.err); got != tc.want {
				t.Errorf("CodeOf(%v) = %q, want %q", tc.err, got, tc.want)
			}
		})
	}
}

func TestMessageOf(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"plain error text is hidden", errors.New("password=hunter2"), "internal error"},
		{"internal code hides its message", apperr.New(apperr.Internal, "pool exploded at 10.0.0.5"), "internal error"},
		{"client message shown", apperr.New(apperr.NotFound, "work item %d not found", 7), "work item 7 not found"},
		{"cause not shown", apperr.Wrap(errors.New("pq: secret"), apperr.Unavailable, "database unavailable"), "database unavailable"},
		{"through fmt wrapping", fmt.Errorf("ctx: %w", apperr.New(apperr.Validation, "limit too big")), "limit too big"},
		{"Invalid names the field", apperr.Invalid("limit", "must be at most %d", 50), "limit: must be at most 50"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := apperr.MessageOf(tc.err); got != tc.want {
				t.Errorf("MessageOf = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestAs(t *testing.T) {
	inner := apperr.New(apperr.NotFound, "gone")
	tests := []struct {
		name   string
		err    error
		want   *apperr.Error
		wantOK bool
	}{
		{"nil", nil, nil, false},
		{"plain", errors.New("x"), nil, false},
		{"direct", inner, inner, true},
		{"wrapped", fmt.Errorf("a: %w", fmt.Errorf("b: %w", inner)), inner, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := apperr.As(tc.err)
			if ok != tc.wantOK || got != tc.want {
				t.Errorf("As = (%p, %v), want (%p, %v)", got, ok, tc.want, tc.wantOK)
			}
		})
	}
}

func TestError_Error(t *testing.T) {
	tests := []struct {
		name string
		err  *apperr.Error
		want string
	}{
		{"without cause", apperr.New(apperr.NotFound, "chunk %s not found", "c1"), "NOT_FOUND: chunk c1 not found"},
		{"with cause", apperr.Wrap(io.ErrUnexpectedEOF, apperr.Validation, "short body"), "VALIDATION_ERROR: short body: unexpected EOF"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.err.Error(); got != tc.want {
				t.Errorf("Error() = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestWrap_Unwrap(t *testing.T) {
	err := fmt.Errorf("outer: %w", apperr.Wrap(io.EOF, apperr.Unavailable, "down"))
	if !errors.Is(err, io.EOF) {
		t.Errorf("errors.Is(%v, io.EOF) = false, want true", err)
	}
	if errors.Is(apperr.New(apperr.Unavailable, "down"), io.EOF) {
		t.Error("an error without cause matched io.EOF")
	}
	if apperr.New(apperr.Internal, "x").Unwrap() != nil {
		t.Error("Unwrap of an error without cause is not nil")
	}
}

func TestInvalid(t *testing.T) {
	err := apperr.Invalid("project_id", "must be a UUID, got %q", "abc")
	if err.Code != apperr.Validation {
		t.Errorf("Code = %q, want %q", err.Code, apperr.Validation)
	}
	if want := `project_id: must be a UUID, got "abc"`; err.Message != want {
		t.Errorf("Message = %q, want %q", err.Message, want)
	}
	if got := err.Details["field"]; got != "project_id" {
		t.Errorf(`Details["field"] = %v, want "project_id"`, got)
	}
}

func TestWithDetails(t *testing.T) {
	err := apperr.New(apperr.VersionConflict, "stale")
	got := err.WithDetails(map[string]any{"current_version": 3})
	if got != err {
		t.Error("WithDetails returned a different error; it is meant for chains on the same value")
	}
	if got.Details["current_version"] != 3 {
		t.Errorf("Details = %v, want current_version 3", got.Details)
	}
}

func TestCodes_MatchContract(t *testing.T) {
	// The REST "error" field values of docs/api.md.
	tests := map[apperr.Code]string{
		apperr.Validation:      "VALIDATION_ERROR",
		apperr.NotFound:        "NOT_FOUND",
		apperr.VersionConflict: "VERSION_CONFLICT",
		apperr.AlreadyExists:   "ALREADY_EXISTS",
		apperr.Unavailable:     "SERVICE_UNAVAILABLE",
		apperr.Internal:        "INTERNAL_ERROR",
	}
	for code, want := range tests {
		if string(code) != want {
			t.Errorf("code %q, want %q", code, want)
		}
	}
}
