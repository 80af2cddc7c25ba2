package launch

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

// Main runs the process: it turns SIGINT and SIGTERM into a cancelled
// context (a graceful shutdown), runs the command line, prints a failure
// and exits with its code. It is the whole of each binary's main.
func Main(spec Spec) {
	// A client that closes our stdout or stderr must not kill the process
	// mid-cleanup: writes then fail with EPIPE instead.
	signal.Ignore(syscall.SIGPIPE)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := Run(ctx, spec, os.Args[1:], Env{Getenv: os.Getenv, Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr})
	stop()
	if code := ExitCode(err); code != ExitOK {
		fmt.Fprintf(os.Stderr, "%s: %v\n", spec.ServerID, err)
		os.Exit(code)
	}
}
