package launch

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/mcp-memory/servers/internal/platform/obs"
)

// Main runs the process: it turns SIGINT and SIGTERM into a cancelled
// context (a graceful shutdown), runs the command line, prints a failure
// and exits with its code. It is the whole of each binary's main.
func Main[C any](spec Spec[C]) {
	// A client that closes our stdout or stderr must not kill the process
	// mid-cleanup: writes then fail with EPIPE instead.
	signal.Ignore(syscall.SIGPIPE)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := Run(ctx, spec, os.Args[1:], Env{Getenv: os.Getenv, Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr})
	stop()
	if code := ExitCode(err); code != ExitOK {
		writeFatal(os.Stderr, spec.ServerID, code, err)
		os.Exit(code)
	}
}

// writeFatal reports the error that ends the process: plain text for a
// person at a terminal, otherwise one more JSON log line (event
// fatal_error, level CRITICAL) so that log collectors parse every line.
func writeFatal(w io.Writer, serverID string, code int, err error) {
	if f, ok := w.(*os.File); ok {
		if st, serr := f.Stat(); serr == nil && st.Mode()&os.ModeCharDevice != 0 {
			fmt.Fprintf(w, "%s: %v\n", serverID, err)
			return
		}
	}
	log := obs.NewLogger(obs.LogConfig{ServerID: serverID, Level: slog.LevelDebug, Format: "json", Writer: w})
	obs.Critical(context.Background(), log, "fatal_error", "error_details", map[string]any{"message": err.Error(), "exit_code": code})
}
