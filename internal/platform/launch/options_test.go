package launch

import (
	"io"
	"strings"
	"testing"
)

func testSpec() Spec {
	return Spec{ServerID: "codebase-mcp", EnvPrefix: "CODEBASE_MCP", DefaultPort: 8020,
		DefaultDatabase: "postgres:///codebase_mcp", PoolMin: 5, PoolMax: 20,
		Options: []Option{{Name: "embedder", Env: []string{"EMBEDDER"}, Default: "builtin", Check: checkOneOf("builtin", "ollama", "openai")}}}
}

func getenvFrom(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestParse_Precedence(t *testing.T) {
	tests := []struct {
		name string
		args []string
		env  map[string]string
		key  string
		want string
	}{
		{"Default", nil, nil, "port", "8020"},
		{"GenericEnv", nil, map[string]string{"PORT": "9000"}, "port", "9000"},
		{"PrefixedEnvBeatsGeneric", nil, map[string]string{"PORT": "9000", "CODEBASE_MCP_PORT": "9001"}, "port", "9001"},
		{"FlagBeatsEnv", []string{"--port", "9002"}, map[string]string{"PORT": "9000", "CODEBASE_MCP_PORT": "9001"}, "port", "9002"},
		{"DatabaseURLPrefixed", nil, map[string]string{"DATABASE_URL": "postgres:///a", "CODEBASE_MCP_DATABASE_URL": "postgres:///b"}, "database-url", "postgres:///b"},
		{"DatabaseURLDefault", nil, nil, "database-url", "postgres:///codebase_mcp"},
		{"PoolDefaults", nil, nil, "db-pool-max", "20"},
		{"LogLevelEnv", nil, map[string]string{"LOG_LEVEL": "debug"}, "log-level", "debug"},
		{"TokenEnv", nil, map[string]string{"MCP_AUTH_TOKEN": "s"}, "auth-token", "s"},
		{"ServerOption", nil, map[string]string{"EMBEDDER": "ollama"}, "embedder", "ollama"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			vals, err := parseServer("serve", testSpec().serveOptions(), tc.args, Env{Getenv: getenvFrom(tc.env), Stderr: io.Discard})
			if err != nil {
				t.Fatal(err)
			}
			if got := vals[tc.key]; got != tc.want {
				t.Fatalf("%s = %q, want %q", tc.key, got, tc.want)
			}
		})
	}
}

func TestParse_Invalid(t *testing.T) {
	tests := []struct {
		name string
		args []string
		env  map[string]string
		want []string // substrings of the message
	}{
		{"PortNotNumber", []string{"--port", "abc"}, nil, []string{"--port", `"abc"`, "0 to 65535"}},
		{"PortFromEnv", nil, map[string]string{"PORT": "70000"}, []string{"--port", `"70000"`, "from PORT"}},
		{"LogLevel", []string{"--log-level", "loud"}, nil, []string{"--log-level", "debug, info, warning, error, critical"}},
		{"LogFormat", []string{"--log-format", "xml"}, nil, []string{"--log-format", "json, text"}},
		{"Embedder", []string{"--embedder", "foo"}, nil, []string{"--embedder", "builtin, ollama, openai"}},
		{"PoolMinOverMax", []string{"--db-pool-min", "30", "--db-pool-max", "10"}, nil, []string{"--db-pool-min", "--db-pool-max"}},
		{"PoolWait", []string{"--db-pool-wait", "soon"}, nil, []string{"--db-pool-wait", "duration"}},
		{"DatabaseURL", []string{"--database-url", "mysql://x"}, nil, []string{"--database-url", "postgres://"}},
		{"UnknownFlag", []string{"--colour"}, nil, []string{"colour"}},
		{"StrayArgument", []string{"extra"}, nil, []string{"no arguments"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parseServer("serve", testSpec().serveOptions(), tc.args, Env{Getenv: getenvFrom(tc.env), Stderr: io.Discard})
			if ExitCode(err) != ExitConfig {
				t.Fatalf("err = %v (exit %d), want exit %d", err, ExitCode(err), ExitConfig)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("message %q lacks %q", err.Error(), w)
				}
			}
		})
	}
}

func TestRedactURL(t *testing.T) {
	got := RedactURL("postgres://u:secret@h:5432/db?sslmode=disable")
	if strings.Contains(got, "secret") || !strings.Contains(got, "u:xxxxx@h:5432/db") {
		t.Fatalf("RedactURL = %q", got)
	}
	if got := RedactURL("postgres:///db"); got != "postgres:///db" {
		t.Fatalf("RedactURL without password = %q", got)
	}
}

func TestExitCode(t *testing.T) {
	if ExitCode(nil) != ExitOK || ExitCode(io.EOF) != ExitRuntime || ExitCode(&ExitError{Code: ExitSchema, Err: io.EOF}) != ExitSchema {
		t.Fatal("ExitCode mapping wrong")
	}
}
