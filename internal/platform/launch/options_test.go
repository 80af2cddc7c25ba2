package launch

import (
	"fmt"
	"io"
	"strings"
	"testing"
)

func testSpec() Spec[struct{}] {
	return Spec[struct{}]{ServerID: "codebase-mcp", EnvPrefix: "CODEBASE_MCP", DefaultPort: 8020,
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
			vals, err := parseRuntime("serve", testSpec().serveOptions(), tc.args, 0, 0, Env{Getenv: getenvFrom(tc.env), Stderr: io.Discard})
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
		{"MalformedKeyValueDSN", []string{"--database-url", "host='x password=hunter2"}, nil, []string{"--database-url", "keyword/value"}},
		{"URLWithBadPort", []string{"--database-url", "postgres://u:pw@h:99999/x"}, nil, []string{"--database-url", "invalid port"}},
		{"MaxSessions", []string{"--max-sessions", "0"}, nil, []string{"--max-sessions", "1 to"}},
		{"UnknownFlag", []string{"--colour"}, nil, []string{"colour"}},
		{"StrayArgument", []string{"extra"}, nil, []string{"no arguments"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parseRuntime("serve", testSpec().serveOptions(), tc.args, 0, 0, Env{Getenv: getenvFrom(tc.env), Stderr: io.Discard})
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
	for _, kv := range []string{"host=h password=secret dbname=x", "host=h password='sec ret' dbname=x", "host='h password=secret"} {
		if got := RedactURL(kv); strings.Contains(got, "secret") || strings.Contains(got, "sec ret") {
			t.Errorf("RedactURL(%q) = %q", kv, got)
		}
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

// Flags may follow positional arguments, as in "index PATH --force".
func TestParse_InterspersedFlags(t *testing.T) {
	opts := []Option{{Name: "project", Default: "default"}, {Name: "force", IsBool: true}, {Name: "limit", Default: "10", Check: checkIntRange(1, 50)}}
	tests := []struct {
		args    []string
		wantPos []string
		project string
		force   bool
	}{
		{[]string{"/repo"}, []string{"/repo"}, "default", false},
		{[]string{"/repo", "--force", "--project", "p1"}, []string{"/repo"}, "p1", true},
		{[]string{"--project=p2", "/repo", "--force"}, []string{"/repo"}, "p2", true},
		{[]string{"where", "is", "--limit", "5", "auth"}, []string{"where", "is", "auth"}, "default", false},
		{[]string{"--", "--force"}, []string{"--force"}, "default", false},
	}
	for _, tc := range tests {
		vals, pos, err := parse("index", opts, tc.args, getenvFrom(nil), io.Discard)
		if err != nil {
			t.Fatalf("parse(%q): %v", tc.args, err)
		}
		if strings.Join(pos, "|") != strings.Join(tc.wantPos, "|") || vals.String("project") != tc.project || vals.Bool("force") != tc.force {
			t.Errorf("parse(%q) = %v %q project=%s force=%v; want %q project=%s force=%v", tc.args, vals, pos, vals["project"], vals.Bool("force"), tc.wantPos, tc.project, tc.force)
		}
	}
}

func TestParse_BoolFromEnv(t *testing.T) {
	opts := []Option{{Name: "stateless", Env: []string{"MCP_STATELESS"}, IsBool: true}}
	vals, _, err := parse("serve", opts, nil, getenvFrom(map[string]string{"MCP_STATELESS": "true"}), io.Discard)
	if err != nil || !vals.Bool("stateless") {
		t.Fatalf("MCP_STATELESS=true: %v, %v", vals, err)
	}
	_, _, err = parse("serve", opts, nil, getenvFrom(map[string]string{"MCP_STATELESS": "yes please"}), io.Discard)
	if ExitCode(err) != ExitConfig || !strings.Contains(err.Error(), "true or false") {
		t.Fatalf("MCP_STATELESS=\"yes please\": err = %v, want exit 2 saying true or false", err)
	}
}

// A typo in an option name fails loudly instead of reading "".
func TestValues_UnknownNamePanics(t *testing.T) {
	defer func() {
		if r := recover(); r == nil || !strings.Contains(fmt.Sprint(r), "codebase-ulr") {
			t.Fatalf("recover() = %v, want a panic naming the unknown option", r)
		}
	}()
	Values{"codebase-url": "http://x"}.String("codebase-ulr")
}

func TestAuthTokenNeverShown(t *testing.T) {
	opts := []Option{{Name: "auth-token", Secret: true, Check: func(string) error { return fmt.Errorf("too short") }}}
	_, _, err := parse("serve", opts, []string{"--auth-token", "hunter2"}, getenvFrom(nil), io.Discard)
	if err == nil || strings.Contains(err.Error(), "hunter2") {
		t.Fatalf("err = %v, want an error that hides the value", err)
	}
}
