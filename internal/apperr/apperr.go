// Package apperr defines the application error type shared by every layer:
// an error carries a machine-readable code that each transport (REST, MCP)
// maps exactly once to its own representation.
package apperr

import (
	"errors"
	"fmt"
	"time"
)

// Code is a machine-readable error class. The values are the "error" field of
// REST error bodies (see docs/api.md).
type Code string

// The codes of docs/api.md.
const (
	Validation      Code = "VALIDATION_ERROR"
	NotFound        Code = "NOT_FOUND"
	VersionConflict Code = "VERSION_CONFLICT"
	AlreadyExists   Code = "ALREADY_EXISTS"
	TooLarge        Code = "PAYLOAD_TOO_LARGE"
	Unauthorized    Code = "UNAUTHORIZED"
	Forbidden       Code = "FORBIDDEN"
	Unavailable     Code = "SERVICE_UNAVAILABLE"
	Internal        Code = "INTERNAL_ERROR"
)

// Error is an error with a code, a message safe to show to a client, optional
// structured details and an optional wrapped cause that is only logged.
type Error struct {
	Code    Code
	Message string
	Details map[string]any
	// RetryAfter, when set on an Unavailable error, tells clients how long to
	// wait before retrying (the Retry-After header).
	RetryAfter time.Duration
	Err        error
}

// Error implements error.
func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.Err)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// New returns an error with code and a formatted message.
func New(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Wrap returns an error with code and message that wraps cause.
func Wrap(cause error, code Code, message string) *Error {
	return &Error{Code: code, Message: message, Err: cause}
}

// WithDetails returns e with details set; it is meant for construction chains.
func (e *Error) WithDetails(details map[string]any) *Error {
	e.Details = details
	return e
}

// Invalid returns a validation error about one field, with the field named
// in the details so clients can point at it.
func Invalid(field, format string, args ...any) *Error {
	return &Error{
		Code:    Validation,
		Message: fmt.Sprintf("%s: %s", field, fmt.Sprintf(format, args...)),
		Details: map[string]any{"field": field},
	}
}

// As returns the *Error in err's chain, if any.
func As(err error) (*Error, bool) {
	var e *Error
	if errors.As(err, &e) {
		return e, true
	}
	return nil, false
}

// CodeOf returns the code of err: the code of the first *Error in its chain,
// or Internal for any other non-nil error.
func CodeOf(err error) Code {
	if err == nil {
		return ""
	}
	if e, ok := As(err); ok {
		return e.Code
	}
	return Internal
}

// MessageOf returns the client-safe message of err. Errors without a code
// are internal and their text is not shown to clients.
func MessageOf(err error) string {
	if e, ok := As(err); ok && e.Code != Internal {
		return e.Message
	}
	return "internal error"
}
