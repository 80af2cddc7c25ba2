package launch

import (
	"errors"
	"flag"
)

// Exit codes of docs/api.md.
const (
	ExitOK        = 0
	ExitRuntime   = 1
	ExitConfig    = 2
	ExitPortInUse = 3
	ExitSchema    = 4
)

// ExitError carries the process exit code for an error.
type ExitError struct {
	Code int
	Err  error
}

func (e *ExitError) Error() string { return e.Err.Error() }
func (e *ExitError) Unwrap() error { return e.Err }

func configError(err error) error { return &ExitError{Code: ExitConfig, Err: err} }

// ExitCode returns the exit code for the error run returned.
func ExitCode(err error) int {
	if err == nil || errors.Is(err, flag.ErrHelp) {
		return ExitOK
	}
	var e *ExitError
	if errors.As(err, &e) {
		return e.Code
	}
	return ExitRuntime
}
