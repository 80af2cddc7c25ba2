package launch

import (
	"context"

	"github.com/jackc/pgx/v5"
)

// connect opens one plain connection (no pool, no statement timeout) for
// migrations, which may run long.
func connect(ctx context.Context, dsn string) (*pgx.Conn, error) {
	return pgx.Connect(ctx, dsn)
}
