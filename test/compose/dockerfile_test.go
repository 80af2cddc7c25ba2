package compose_test

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"
)

// instruction is one Dockerfile instruction, continuation lines joined.
type instruction struct {
	cmd  string // upper case: FROM, RUN, ...
	args string
}

type stage struct {
	image, name  string
	instructions []instruction
}

type dockerfile struct{ stages []stage }

func (d dockerfile) final() stage { return d.stages[len(d.stages)-1] }

// parseDockerfile reads the Dockerfile's stages and instructions.
func parseDockerfile(tb testing.TB) dockerfile {
	tb.Helper()
	var d dockerfile
	var pending string
	for _, line := range strings.Split(string(readFile(tb, "Dockerfile")), "\n") {
		trimmed := strings.TrimSpace(line)
		if strings.HasPrefix(trimmed, "#") || (trimmed == "" && pending == "") {
			continue
		}
		if cont, ok := strings.CutSuffix(trimmed, "\\"); ok {
			pending += cont + " "
			continue
		}
		full := strings.TrimSpace(pending + trimmed)
		pending = ""
		cmd, args, _ := strings.Cut(full, " ")
		in := instruction{cmd: strings.ToUpper(cmd), args: strings.TrimSpace(args)}
		if in.cmd == "FROM" {
			f := strings.Fields(in.args)
			st := stage{image: f[0]}
			if len(f) == 3 && strings.EqualFold(f[1], "AS") {
				st.name = f[2]
			}
			d.stages = append(d.stages, st)
			continue
		}
		if len(d.stages) == 0 {
			if in.cmd != "ARG" {
				tb.Fatalf("Dockerfile: %s before FROM", in.cmd)
			}
			continue
		}
		st := &d.stages[len(d.stages)-1]
		st.instructions = append(st.instructions, in)
	}
	if len(d.stages) == 0 {
		tb.Fatal("Dockerfile has no FROM")
	}
	return d
}

// execForm decodes a JSON exec-form argument list.
func execForm(tb testing.TB, s string) []string {
	tb.Helper()
	var argv []string
	if err := json.Unmarshal([]byte(strings.TrimSpace(s)), &argv); err != nil || len(argv) == 0 {
		tb.Fatalf("%q is not an exec-form JSON array: %v", s, err)
	}
	return argv
}

func (s stage) all(cmd string) []string {
	var out []string
	for _, in := range s.instructions {
		if in.cmd == cmd {
			out = append(out, in.args)
		}
	}
	return out
}

var goDirective = regexp.MustCompile(`(?m)^go (\d+\.\d+)`)

func TestDockerfile(t *testing.T) {
	d := parseDockerfile(t)
	if len(d.stages) != 2 {
		t.Fatalf("Dockerfile has %d stages, want 2 (build, run)", len(d.stages))
	}
	build, final := d.stages[0], d.final()

	// The build image's Go is the one go.mod asks for.
	m := goDirective.FindSubmatch(readFile(t, "go.mod"))
	if m == nil {
		t.Fatal("go.mod has no go directive")
	}
	buildImage := regexp.MustCompile(`^golang:(\d+\.\d+)(?:\.\d+)?-([a-z]+)$`).FindStringSubmatch(build.image)
	if buildImage == nil || buildImage[1] != string(m[1]) {
		t.Fatalf("build stage FROM %s, want golang:%s-<debian release> (go.mod says go %s)", build.image, m[1], m[1])
	}
	// glibc of the run stage must be the build stage's: the binaries are
	// dynamically linked because of cgo.
	if want := "debian:" + buildImage[2] + "-slim"; final.image != want {
		t.Errorf("run stage FROM %s, want %s (the build stage's release)", final.image, want)
	}

	// cgo: tree-sitter's grammars are C.
	cgo := false
	for _, env := range build.all("ENV") {
		if strings.Contains(env, "CGO_ENABLED=0") {
			t.Errorf("build stage sets %s; tree-sitter needs cgo", env)
		}
		cgo = cgo || strings.Contains(env, "CGO_ENABLED=1")
	}
	if !cgo {
		t.Error("build stage does not set CGO_ENABLED=1")
	}
	runs := strings.Join(build.all("RUN"), "\n")
	for _, bin := range []string{codebase, workflow} {
		if !regexp.MustCompile(`go build .*-o /out/` + bin + ` \./cmd/` + bin + `\b`).MatchString(runs) {
			t.Errorf("build stage does not build ./cmd/%s into /out/%s", bin, bin)
		}
	}

	// Run stage: both binaries on PATH, CA certificates, a non-root user.
	copied := strings.Join(final.all("COPY"), "\n")
	for _, bin := range []string{codebase, workflow} {
		if !strings.Contains(copied, "--from="+build.name) || !strings.Contains(copied, "/out/"+bin) || !strings.Contains(copied, "/usr/local/bin/") {
			t.Errorf("run stage does not copy /out/%s from the %q stage to /usr/local/bin/: %q", bin, build.name, copied)
		}
	}
	if !strings.Contains(strings.Join(final.all("RUN"), "\n"), "ca-certificates") {
		t.Error("run stage does not install ca-certificates (the OpenAI-compatible embedder uses TLS)")
	}
	users := final.all("USER")
	if len(users) == 0 {
		t.Fatal("run stage has no USER: the servers would run as root")
	}
	if u := strings.Split(users[len(users)-1], ":")[0]; u == "0" || u == "root" {
		t.Errorf("run stage USER %s is root", users[len(users)-1])
	}
	if cmds := final.all("CMD"); len(cmds) != 1 || execForm(t, cmds[0])[0] != codebase {
		t.Errorf("run stage CMD %v, want one exec-form [codebase-mcp, serve]", cmds)
	}
	if eps := final.all("ENTRYPOINT"); len(eps) != 0 {
		t.Errorf("run stage has ENTRYPOINT %v; compose's command runs the binary directly", eps)
	}

	// The health check runs with what the image has: bash, not curl or wget.
	hc := dockerfileHealthcheck(t)
	if hc[0] != "bash" {
		t.Errorf("HEALTHCHECK runs %s, want bash (debian-slim has no curl)", hc[0])
	}
	for _, tool := range []string{"curl", "wget"} {
		if strings.Contains(strings.Join(hc, " "), tool) {
			t.Errorf("HEALTHCHECK uses %s, which the image does not have", tool)
		}
	}

	// Every binary docker-compose.yml runs is in the image.
	cf := mustLoad(t)
	for _, name := range serverServices {
		if bin := cf.Services[name].Command[0]; !strings.Contains(copied, "/out/"+bin) {
			t.Errorf("%s runs %s, which the image does not contain", name, bin)
		}
	}
}
