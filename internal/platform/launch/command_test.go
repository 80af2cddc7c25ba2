package launch

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/mcp-memory/servers/internal/platform/dbtest"
	"github.com/mcp-memory/servers/migrations"
)

type greetConfig struct{ Greeting string }

// commandSpec is a server whose one command, greet, prints its config and
// arguments using a service that Wire built over the pool.
func commandSpec(wired *Deps) Spec[greetConfig] {
	return Spec[greetConfig]{
		ServerID: "codebase-mcp", EnvPrefix: "CODEBASE_MCP", MetricsPrefix: "codebase_mcp",
		DefaultDatabase: "postgres:///nothing", PoolMin: 0, PoolMax: 2, Migrations: migrations.Codebase(),
		Options: []Option{{Name: "greeting", Env: []string{"GREETING"}, Default: "hello"}},
		Config:  func(v Values) (greetConfig, error) { return greetConfig{Greeting: v.String("greeting")}, nil },
		Commands: map[string]Command{"greet": {Summary: "greet someone", MinArgs: 1, MaxArgs: 2,
			Options: []Option{{Name: "shout", IsBool: true}}}},
		Wire: func(ctx context.Context, d Deps, cfg greetConfig) (Wiring, error) {
			*wired = d
			return Wiring{Commands: map[string]CommandFunc{"greet": func(ctx context.Context, inv Invocation) error {
				var one int
				if err := d.Pool.Pgx().QueryRow(ctx, "SELECT 1").Scan(&one); err != nil {
					return err
				}
				msg := fmt.Sprintf("%s %s", cfg.Greeting, strings.Join(inv.Args, " "))
				if inv.Values.Bool("shout") {
					msg = strings.ToUpper(msg)
				}
				_, err := fmt.Fprintln(inv.Env.Stdout, msg)
				return err
			}}}, nil
		},
	}
}

// A command runs on the same runtime as serve: same options and
// environment, typed config, pool, schema check, and the services Wire
// built (Deps.Mode names the command, so Wire starts no server workers).
func TestRunCommand_OnTheRuntime(t *testing.T) {
	db := dbtest.New(t, migrations.Codebase())
	var wired Deps
	var out bytes.Buffer
	env := Env{Getenv: getenvFrom(map[string]string{"GREETING": "hi", "CODEBASE_MCP_DATABASE_URL": db}), Stdout: &out, Stderr: io.Discard}
	err := Run(context.Background(), commandSpec(&wired), []string{"greet", "ada", "--shout"}, env)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.TrimSpace(out.String()); got != "HI ADA" {
		t.Errorf("output = %q, want %q", got, "HI ADA")
	}
	if wired.Mode != "greet" || wired.Pool == nil || wired.Logger == nil || wired.Registry == nil {
		t.Errorf("Wire got %+v, want mode greet with pool, logger and registry", wired)
	}
}

func TestRunCommand_Errors(t *testing.T) {
	migrated := dbtest.New(t, migrations.Codebase())
	empty := dbtest.NewEmpty(t)
	tests := []struct {
		name string
		args []string
		want int
	}{
		{"missing argument", []string{"greet", "--database-url", migrated}, ExitConfig},
		{"too many arguments", []string{"greet", "a", "b", "c", "--database-url", migrated}, ExitConfig},
		{"unknown flag", []string{"greet", "a", "--whisper", "--database-url", migrated}, ExitConfig},
		{"schema not migrated", []string{"greet", "a", "--database-url", empty}, ExitSchema},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var wired Deps
			err := Run(context.Background(), commandSpec(&wired), tc.args, Env{Getenv: getenvFrom(nil), Stdout: io.Discard, Stderr: io.Discard})
			if ExitCode(err) != tc.want {
				t.Fatalf("err = %v (exit %d), want exit %d", err, ExitCode(err), tc.want)
			}
		})
	}
}
