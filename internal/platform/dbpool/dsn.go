package dbpool

import (
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Errors of [Open] that waiting cannot fix: it returns them at once
// instead of retrying for StartupWait.
var (
	// ErrNoDatabase: the server answers but the database does not exist
	// (SQLSTATE 3D000).
	ErrNoDatabase = errors.New("dbpool: the database does not exist")
	// ErrAuth: the server refused the user or password (28P01, 28000).
	ErrAuth = errors.New("dbpool: the database refused the credentials")
)

// permanent returns the sentinel for a connection error no retry can fix,
// wrapping the server's message, or nil.
func permanent(err error) error {
	var pe *pgconn.PgError
	if !errors.As(err, &pe) {
		return nil
	}
	switch pe.Code {
	case "3D000":
		return fmt.Errorf("%w (%s)", ErrNoDatabase, pe.Message)
	case "28P01", "28000":
		return fmt.Errorf("%w (%s)", ErrAuth, pe.Message)
	}
	return nil
}

// CheckDSN reports whether dsn is a PostgreSQL URL or keyword/value string
// pgx can use. The message never repeats the password.
func CheckDSN(dsn string) error {
	if _, err := pgxpool.ParseConfig(dsn); err != nil {
		msg := err.Error()
		if i := strings.Index(msg, "cannot parse"); i >= 0 {
			// pgx quotes the whole DSN (password included) in this message.
			msg = "cannot parse it"
			if _, detail, ok := strings.Cut(err.Error(), ": "); ok && !strings.Contains(detail, dsn) {
				msg += ": " + detail
			}
		}
		return errors.New(msg)
	}
	return nil
}
