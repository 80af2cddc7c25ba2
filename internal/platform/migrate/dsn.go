package migrate

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// UpDSN runs [Up] over its own plain connection to dsn: no pool and no
// statement timeout, because migrations may build large indexes. The
// connection attempt is bounded by connectTimeout; the migrations by ctx.
func UpDSN(ctx context.Context, dsn string, connectTimeout time.Duration, owner string, ms []Migration) ([]int, error) {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("database url: %w", err)
	}
	cfg.ConnectTimeout = connectTimeout
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("connect: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	return Up(ctx, conn, owner, ms)
}
