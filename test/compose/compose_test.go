package compose_test

import (
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

// composeFile is the part of the Compose specification docker-compose.yml uses.
type composeFile struct {
	Services map[string]service `yaml:"services"`
	Volumes  map[string]any     `yaml:"volumes"`
}

type service struct {
	Image       string               `yaml:"image"`
	Build       *buildSpec           `yaml:"build"`
	Command     []string             `yaml:"command"`
	Entrypoint  []string             `yaml:"entrypoint"`
	Environment map[string]string    `yaml:"environment"`
	Ports       []string             `yaml:"ports"`
	Volumes     []string             `yaml:"volumes"`
	Healthcheck *healthcheck         `yaml:"healthcheck"`
	DependsOn   map[string]dependsOn `yaml:"depends_on"`
	Restart     string               `yaml:"restart"`
}

type buildSpec struct {
	Context    string `yaml:"context"`
	Dockerfile string `yaml:"dockerfile"`
}

type healthcheck struct {
	Test        []string `yaml:"test"`
	Interval    string   `yaml:"interval"`
	Timeout     string   `yaml:"timeout"`
	StartPeriod string   `yaml:"start_period"`
	Retries     int      `yaml:"retries"`
}

type dependsOn struct {
	Condition string `yaml:"condition"`
}

// The services docker-compose.yml must define, and which binary command
// each server service runs.
const (
	postgresSvc     = "postgres"
	codebaseMigrate = "codebase-migrate"
	codebaseServe   = "codebase-mcp"
	workflowMigrate = "workflow-migrate"
	workflowServe   = "workflow-mcp"
)

// serverServices are the services that run one of the binaries.
var serverServices = []string{codebaseMigrate, codebaseServe, workflowMigrate, workflowServe}

// migrateOf names the one-shot migrate service each server waits for.
var migrateOf = map[string]string{codebaseServe: codebaseMigrate, workflowServe: workflowMigrate}

// interpolate applies Compose variable substitution to s: $$ is a literal
// $; ${VAR}, $VAR, ${VAR:-default}, ${VAR-default}, ${VAR:?error} and
// ${VAR?error} as the Compose specification defines them.
func interpolate(s string, env map[string]string) (string, error) {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '$' {
			b.WriteByte(c)
			continue
		}
		if i+1 >= len(s) {
			return "", fmt.Errorf("dangling $ in %q", s)
		}
		switch next := s[i+1]; {
		case next == '$':
			b.WriteByte('$')
			i++
		case next == '{':
			end := strings.IndexByte(s[i:], '}')
			if end < 0 {
				return "", fmt.Errorf("unclosed ${ in %q", s)
			}
			expr := s[i+2 : i+end]
			v, err := substitute(expr, env)
			if err != nil {
				return "", err
			}
			b.WriteString(v)
			i += end
		case next == '_' || next >= 'A' && next <= 'Z' || next >= 'a' && next <= 'z':
			j := i + 1
			for j < len(s) && (s[j] == '_' || s[j] >= 'A' && s[j] <= 'Z' || s[j] >= 'a' && s[j] <= 'z' || s[j] >= '0' && s[j] <= '9') {
				j++
			}
			b.WriteString(env[s[i+1:j]])
			i = j - 1
		default:
			return "", fmt.Errorf("invalid $ in %q", s)
		}
	}
	return b.String(), nil
}

var substitution = regexp.MustCompile(`^([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])(.*))?$`)

func substitute(expr string, env map[string]string) (string, error) {
	m := substitution.FindStringSubmatch(expr)
	if m == nil {
		return "", fmt.Errorf("unsupported substitution ${%s}", expr)
	}
	name, op, arg := m[1], m[2], m[3]
	v, set := env[name]
	missing := !set || (strings.HasPrefix(op, ":") && v == "")
	switch {
	case !missing || op == "":
		return v, nil
	case strings.HasSuffix(op, "-"):
		return arg, nil
	default: // ? or :?
		return "", fmt.Errorf("required variable %s is missing a value: %s", name, arg)
	}
}

// interpolateTree interpolates every string value (not key) of a decoded
// YAML document, as Compose does.
func interpolateTree(v any, env map[string]string) (any, error) {
	switch x := v.(type) {
	case string:
		return interpolate(x, env)
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			ie, err := interpolateTree(e, env)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", k, err)
			}
			out[k] = ie
		}
		return out, nil
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			ie, err := interpolateTree(e, env)
			if err != nil {
				return nil, err
			}
			out[i] = ie
		}
		return out, nil
	default:
		return v, nil
	}
}

// testToken is the MCP_AUTH_TOKEN the tests load docker-compose.yml with.
const testToken = "compose-test-token-0123456789abcdef"

// loadCompose reads docker-compose.yml with env as the shell environment.
func loadCompose(raw []byte, env map[string]string) (*composeFile, error) {
	var doc any
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		return nil, fmt.Errorf("parse docker-compose.yml: %w", err)
	}
	doc, err := interpolateTree(doc, env)
	if err != nil {
		return nil, err
	}
	b, err := yaml.Marshal(doc)
	if err != nil {
		return nil, err
	}
	var cf composeFile
	dec := yaml.NewDecoder(strings.NewReader(string(b)))
	if err := dec.Decode(&cf); err != nil {
		return nil, fmt.Errorf("decode docker-compose.yml: %w", err)
	}
	return &cf, nil
}

// mustLoad loads docker-compose.yml as a user who set only MCP_AUTH_TOKEN.
func mustLoad(tb testing.TB) *composeFile {
	tb.Helper()
	cf, err := loadCompose(readFile(tb, "docker-compose.yml"), map[string]string{"MCP_AUTH_TOKEN": testToken})
	if err != nil {
		tb.Fatal(err)
	}
	return cf
}

func TestInterpolate(t *testing.T) {
	env := map[string]string{"SET": "v", "EMPTY": ""}
	tests := []struct {
		in, want string
		wantErr  bool
	}{
		{in: "a$$b", want: "a$b"},
		{in: "${SET}/$SET", want: "v/v"},
		{in: "${UNSET:-d}|${EMPTY:-d}|${EMPTY-d}|${UNSET-d}", want: "d|d||d"},
		{in: "${SET:?need it}", want: "v"},
		{in: "${UNSET:?need it}", wantErr: true},
		{in: "${EMPTY:?need it}", wantErr: true},
		{in: "${EMPTY?need it}", want: ""},
		{in: "$${NOT_A_VAR}", want: "${NOT_A_VAR}"},
	}
	for _, tc := range tests {
		got, err := interpolate(tc.in, env)
		if (err != nil) != tc.wantErr || got != tc.want {
			t.Errorf("interpolate(%q) = %q, %v; want %q, error %v", tc.in, got, err, tc.want, tc.wantErr)
		}
	}
}

func TestComposeServices(t *testing.T) {
	cf := mustLoad(t)
	var names []string
	for n := range cf.Services {
		names = append(names, n)
	}
	slices.Sort(names)
	want := []string{codebaseServe, codebaseMigrate, postgresSvc, workflowServe, workflowMigrate} // sorted
	if !slices.Equal(names, want) {
		t.Fatalf("services = %v, want %v", names, want)
	}

	pg := cf.Services[postgresSvc]
	if !strings.HasPrefix(pg.Image, "pgvector/pgvector:pg") {
		t.Errorf("postgres image = %q, want the official pgvector/pgvector:pgNN image", pg.Image)
	}
	if pg.Healthcheck == nil || len(pg.Healthcheck.Test) == 0 || !strings.Contains(strings.Join(pg.Healthcheck.Test, " "), "pg_isready") {
		t.Errorf("postgres healthcheck = %+v, want pg_isready", pg.Healthcheck)
	}
	if len(pg.Ports) != 0 {
		t.Errorf("postgres publishes %v; the database should stay on the compose network", pg.Ports)
	}
	dataVolume := ""
	for _, v := range pg.Volumes {
		if src, dst, ok := strings.Cut(v, ":"); ok && dst == "/var/lib/postgresql/data" {
			dataVolume = src
		}
	}
	if _, declared := cf.Volumes[dataVolume]; dataVolume == "" || !declared {
		t.Errorf("postgres data (/var/lib/postgresql/data) is on %q; want a named volume declared under volumes: (have %v)", dataVolume, cf.Volumes)
	}

	image := cf.Services[codebaseServe].Image
	for _, name := range serverServices {
		s := cf.Services[name]
		if s.Image == "" || s.Image != image {
			t.Errorf("%s: image %q, want the shared image %q", name, s.Image, image)
		}
		// Every service of the shared image can build it, so compose never
		// tries to pull mcp-memory/servers:local from a registry.
		if s.Build == nil || s.Build.Context != "." || s.Build.Dockerfile != "Dockerfile" {
			t.Errorf("%s: build = %+v, want context . and dockerfile Dockerfile", name, s.Build)
		} else if _, err := os.Stat(filepath.Join(root, s.Build.Dockerfile)); err != nil {
			t.Errorf("%s: %v", name, err)
		}
		if len(s.Entrypoint) != 0 {
			t.Errorf("%s: entrypoint %v; the image has none and the command runs the binary directly (PID 1 gets SIGTERM)", name, s.Entrypoint)
		}
		bin, sub := commandOf(t, name, s)
		if wantSub := map[bool]string{true: "migrate", false: "serve"}[migrateOf[name] == ""]; sub != wantSub {
			t.Errorf("%s: runs %s %s, want %s", name, bin, sub, wantSub)
		}
	}
}

// commandOf returns the binary and command a server service runs.
func commandOf(tb testing.TB, name string, s service) (binary, command string) {
	tb.Helper()
	if len(s.Command) < 2 || (s.Command[0] != codebase && s.Command[0] != workflow) {
		tb.Fatalf("%s: command %v, want [codebase-mcp|workflow-mcp, serve|migrate, flags...]", name, s.Command)
	}
	if want := strings.TrimSuffix(strings.TrimSuffix(name, "-migrate"), "-mcp") + "-mcp"; s.Command[0] != want {
		tb.Fatalf("%s: runs %s, want %s", name, s.Command[0], want)
	}
	return s.Command[0], s.Command[1]
}

func TestComposeEnvironmentMatchesFlags(t *testing.T) {
	cf := mustLoad(t)
	for _, name := range serverServices {
		t.Run(name, func(t *testing.T) {
			s := cf.Services[name]
			bin, sub := commandOf(t, name, s)
			flags := helpFlags(t, bin, sub)
			idx := envIndex(flags)
			for k := range s.Environment {
				if _, ok := idx[k]; !ok {
					t.Errorf("%s sets %s, which `%s %s -h` does not list: the binary would ignore it", name, k, bin, sub)
				}
			}
			// The server-prefixed database variable, never the generic
			// DATABASE_URL, which both servers would read.
			dbVar := flags["database-url"].Env[0]
			if s.Environment[dbVar] == "" {
				t.Errorf("%s does not set %s", name, dbVar)
			}
			if _, generic := s.Environment["DATABASE_URL"]; generic {
				t.Errorf("%s sets DATABASE_URL, which both servers read; set %s", name, dbVar)
			}
			for _, extra := range s.Command[2:] {
				if f := strings.TrimLeft(strings.SplitN(extra, "=", 2)[0], "-"); strings.HasPrefix(extra, "-") {
					if _, ok := flags[f]; !ok {
						t.Errorf("%s passes %s, which `%s %s -h` does not list", name, extra, bin, sub)
					}
				}
			}
		})
	}
}

func TestComposeTokenRequiredOffLoopback(t *testing.T) {
	raw := readFile(t, "docker-compose.yml")
	cf := mustLoad(t)
	for _, name := range []string{codebaseServe, workflowServe} {
		s := cf.Services[name]
		hostVar := helpFlags(t, s.Command[0], "serve")["host"].Env[0]
		if got := s.Environment[hostVar]; got != "0.0.0.0" {
			t.Errorf("%s: %s = %q; inside a container the server must bind 0.0.0.0 to be reachable", name, hostVar, got)
		}
		if s.Environment["MCP_AUTH_TOKEN"] != testToken {
			t.Errorf("%s: MCP_AUTH_TOKEN = %q, want it taken from the user's MCP_AUTH_TOKEN", name, s.Environment["MCP_AUTH_TOKEN"])
		}
	}
	// Without MCP_AUTH_TOKEN, compose must refuse to start (${VAR:?...})
	// rather than start servers that refuse to bind.
	for _, env := range []map[string]string{{}, {"MCP_AUTH_TOKEN": ""}} {
		_, err := loadCompose(raw, env)
		if err == nil || !strings.Contains(err.Error(), "MCP_AUTH_TOKEN") {
			t.Errorf("loading docker-compose.yml with %v: error %v, want one naming MCP_AUTH_TOKEN", env, err)
		}
	}
}

func TestComposeDatabases(t *testing.T) {
	cf := mustLoad(t)
	pg := cf.Services[postgresSvc].Environment
	dbOf := map[string]*url.URL{}
	for _, name := range serverServices {
		s := cf.Services[name]
		dbVar := helpFlags(t, s.Command[0], s.Command[1])["database-url"].Env[0]
		u, err := url.Parse(s.Environment[dbVar])
		if err != nil {
			t.Fatalf("%s: %s: %v", name, dbVar, err)
		}
		if u.Hostname() != postgresSvc || u.Port() != "5432" {
			t.Errorf("%s: database host %s, want postgres:5432 (the compose service)", name, u.Host)
		}
		pass, _ := u.User.Password()
		if u.User.Username() != pg["POSTGRES_USER"] || pass != pg["POSTGRES_PASSWORD"] {
			t.Errorf("%s: database user %q / password %q, want postgres's POSTGRES_USER %q / POSTGRES_PASSWORD %q",
				name, u.User.Username(), pass, pg["POSTGRES_USER"], pg["POSTGRES_PASSWORD"])
		}
		dbOf[name] = u
	}
	for serve, mig := range migrateOf {
		if dbOf[serve].String() != dbOf[mig].String() {
			t.Errorf("%s serves %s but %s migrates %s", serve, dbOf[serve].Redacted(), mig, dbOf[mig].Redacted())
		}
	}
	// One database per server: each records its owner and refuses the other's.
	if dbOf[codebaseServe].Path == dbOf[workflowServe].Path {
		t.Errorf("both servers use database %s; each needs its own", dbOf[codebaseServe].Path)
	}
	if got := strings.TrimPrefix(dbOf[codebaseServe].Path, "/"); got != pg["POSTGRES_DB"] {
		t.Logf("codebase-mcp database %s is not POSTGRES_DB %s: migrate creates it", got, pg["POSTGRES_DB"])
	}
}

var portMapping = regexp.MustCompile(`^127\.0\.0\.1:(\d+):(\d+)$`)

func TestComposePorts(t *testing.T) {
	cf := mustLoad(t)
	containerPort := map[string]string{}
	for _, name := range []string{codebaseServe, workflowServe} {
		s := cf.Services[name]
		flags := helpFlags(t, s.Command[0], "serve")
		port := s.Environment[flags["port"].Env[0]]
		if port == "" {
			port = flags["port"].Default
		}
		containerPort[name] = port
		if len(s.Ports) != 1 {
			t.Errorf("%s publishes %v, want exactly one port", name, s.Ports)
			continue
		}
		m := portMapping.FindStringSubmatch(s.Ports[0])
		if m == nil {
			t.Errorf("%s publishes %q, want 127.0.0.1:HOST:CONTAINER (loopback only)", name, s.Ports[0])
			continue
		}
		if m[2] != port {
			t.Errorf("%s publishes container port %s but the server listens on %s", name, m[2], port)
		}
		if m[1] != flags["port"].Default {
			t.Errorf("%s publishes host port %s, want the server's usual port %s so client configs stay the same", name, m[1], flags["port"].Default)
		}
	}
	for _, name := range []string{postgresSvc, codebaseMigrate, workflowMigrate} {
		if len(cf.Services[name].Ports) != 0 {
			t.Errorf("%s publishes %v, want nothing", name, cf.Services[name].Ports)
		}
	}
	// workflow-mcp reaches codebase-mcp on the compose network.
	wf := cf.Services[workflowServe]
	urlVar := helpFlags(t, workflow, "serve")["codebase-url"].Env[0]
	if got, want := wf.Environment[urlVar], "http://"+codebaseServe+":"+containerPort[codebaseServe]; got != want {
		t.Errorf("workflow-mcp %s = %q, want %q", urlVar, got, want)
	}
}

func TestComposeStartOrder(t *testing.T) {
	cf := mustLoad(t)
	for name, s := range cf.Services {
		for dep := range s.DependsOn {
			if _, ok := cf.Services[dep]; !ok {
				t.Errorf("%s depends on unknown service %s", name, dep)
			}
		}
	}
	for serve, mig := range migrateOf {
		if got := cf.Services[mig].DependsOn[postgresSvc].Condition; got != "service_healthy" {
			t.Errorf("%s waits for postgres with %q, want service_healthy", mig, got)
		}
		if got := cf.Services[serve].DependsOn[mig].Condition; got != "service_completed_successfully" {
			t.Errorf("%s waits for %s with %q, want service_completed_successfully (migrations on start)", serve, mig, got)
		}
		if r := cf.Services[mig].Restart; r != "no" {
			t.Errorf("%s restart %q, want \"no\": it is a one-shot job", mig, r)
		}
		if r := cf.Services[serve].Restart; r == "" || r == "no" {
			t.Errorf("%s restart %q, want unless-stopped or always", serve, r)
		}
	}
}

// portVarRef finds the variable a healthcheck command reads its port from.
var portVarRef = regexp.MustCompile(`/dev/tcp/127\.0\.0\.1/\$\{([A-Z_]+)\}`)

func TestComposeHealthchecks(t *testing.T) {
	cf := mustLoad(t)
	for _, name := range []string{codebaseServe, workflowServe} {
		s := cf.Services[name]
		hc := s.Healthcheck
		if hc == nil || len(hc.Test) != 4 || hc.Test[0] != "CMD" || hc.Test[1] != "bash" || hc.Test[2] != "-c" {
			t.Errorf("%s healthcheck test = %v, want [CMD bash -c SCRIPT]", name, hc)
			continue
		}
		m := portVarRef.FindStringSubmatch(hc.Test[3])
		portVar := helpFlags(t, s.Command[0], "serve")["port"].Env[0]
		if m == nil || m[1] != portVar {
			t.Errorf("%s healthcheck %q must read its port from ${%s}, the variable the server listens on", name, hc.Test[3], portVar)
		}
		if !strings.Contains(hc.Test[3], "GET /health ") {
			t.Errorf("%s healthcheck does not GET /health: %q", name, hc.Test[3])
		}
		for field, v := range map[string]string{"interval": hc.Interval, "timeout": hc.Timeout, "start_period": hc.StartPeriod} {
			if _, err := time.ParseDuration(v); err != nil {
				t.Errorf("%s healthcheck %s %q: %v", name, field, v, err)
			}
		}
		if hc.Retries < 1 {
			t.Errorf("%s healthcheck retries %d", name, hc.Retries)
		}
	}
}

func TestDockerignore(t *testing.T) {
	lines := strings.Split(string(readFile(t, ".dockerignore")), "\n")
	has := func(p string) bool { return slices.Contains(lines, p) }
	for _, p := range []string{".data/", ".git/", "bin/"} {
		if !has(p) {
			t.Errorf(".dockerignore does not exclude %s", p)
		}
	}
	// What the build needs must stay in the context.
	for _, p := range []string{"go.mod", "go.sum", "cmd/", "internal/", "migrations/", "*.go", "cmd", "internal", "migrations"} {
		if has(p) {
			t.Errorf(".dockerignore excludes %s, which go build needs", p)
		}
	}
}
