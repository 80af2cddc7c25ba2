package dbpool

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/mcp-memory/servers/internal/apperr"
)

func TestPermanent(t *testing.T) {
	tests := []struct {
		err  error
		want error
	}{
		{&pgconn.PgError{Code: "3D000", Message: `database "x" does not exist`}, ErrNoDatabase},
		{fmt.Errorf("connect: %w", &pgconn.PgError{Code: "28P01", Message: "password authentication failed"}), ErrAuth},
		{&pgconn.PgError{Code: "28000", Message: "no pg_hba.conf entry"}, ErrAuth},
		{&pgconn.PgError{Code: "57P03", Message: "the database system is starting up"}, nil},
		{errors.New("dial tcp: connection refused"), nil},
	}
	for _, tc := range tests {
		got := permanent(tc.err)
		if tc.want == nil {
			if got != nil {
				t.Errorf("permanent(%v) = %v, want nil (retry)", tc.err, got)
			}
			continue
		}
		if !errors.Is(got, tc.want) {
			t.Errorf("permanent(%v) = %v, want %v", tc.err, got, tc.want)
		}
	}
}

func TestCheckDSN_NeverRepeatsThePassword(t *testing.T) {
	for _, dsn := range []string{"host='x password=hunter2", "postgres://u:hunter2@h:99999/x", "port=abc password=hunter2"} {
		err := CheckDSN(dsn)
		if err == nil || strings.Contains(err.Error(), "hunter2") {
			t.Errorf("CheckDSN(%q) = %v, want an error without the password", dsn, err)
		}
	}
	if err := CheckDSN("postgres://u@127.0.0.1:5432/db?sslmode=disable"); err != nil {
		t.Errorf("valid URL rejected: %v", err)
	}
}

// A server that goes away in the middle of an answer is a lost
// connection (SERVICE_UNAVAILABLE, and an uncommitted transaction is worth
// running again), not an internal error.
func TestClassify_UnexpectedEOF(t *testing.T) {
	p := &Pool{}
	err := p.classify(fmt.Errorf("read rows: %w", io.ErrUnexpectedEOF))
	if e, ok := apperr.As(err); !ok || e.Code != apperr.Unavailable {
		t.Fatalf("classify(unexpected EOF) = %v, want SERVICE_UNAVAILABLE", err)
	}
	if !abortedTransient(io.ErrUnexpectedEOF) {
		t.Error("a transaction cut off mid-answer must count as rolled back and worth retrying")
	}
}
