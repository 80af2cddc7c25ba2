package compose_test

import (
	"bufio"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/mcp-memory/servers/internal/platform/dbtest"
	"github.com/mcp-memory/servers/migrations"
)

const promDir = "docs/operations/prometheus"

// ruleFile is the Prometheus (and Loki ruler) rule file format.
type ruleFile struct {
	Groups []struct {
		Name  string `yaml:"name"`
		Rules []struct {
			Alert       string            `yaml:"alert"`
			Record      string            `yaml:"record"`
			Expr        string            `yaml:"expr"`
			For         string            `yaml:"for"`
			Labels      map[string]string `yaml:"labels"`
			Annotations map[string]string `yaml:"annotations"`
		} `yaml:"rules"`
	} `yaml:"groups"`
}

func loadRules(tb testing.TB, rel string) ruleFile {
	tb.Helper()
	var rf ruleFile
	dec := yaml.NewDecoder(strings.NewReader(string(readFile(tb, rel))))
	dec.KnownFields(true)
	if err := dec.Decode(&rf); err != nil {
		tb.Fatalf("%s: %v", rel, err)
	}
	if len(rf.Groups) == 0 {
		tb.Fatalf("%s has no rule groups", rel)
	}
	return rf
}

// runbookAnchors returns the GitHub anchors of runbook.md's headings.
func runbookAnchors(tb testing.TB) map[string]bool {
	tb.Helper()
	anchors := map[string]bool{}
	sc := bufio.NewScanner(strings.NewReader(string(readFile(tb, "docs/operations/runbook.md"))))
	nonSlug := regexp.MustCompile(`[^a-z0-9 -]`)
	for sc.Scan() {
		if h, ok := strings.CutPrefix(sc.Text(), "## "); ok {
			anchors[strings.ReplaceAll(nonSlug.ReplaceAllString(strings.ToLower(h), ""), " ", "-")] = true
		}
	}
	return anchors
}

// checkRuleAnnotations checks what every alert of a rule file needs.
func checkRuleAnnotations(t *testing.T, rel string, rf ruleFile) {
	t.Helper()
	anchors := runbookAnchors(t)
	for _, g := range rf.Groups {
		for _, r := range g.Rules {
			if r.Alert == "" || r.Record != "" {
				t.Errorf("%s group %s: a rule without alert (or a recording rule): %+v", rel, g.Name, r)
				continue
			}
			if strings.TrimSpace(r.Expr) == "" {
				t.Errorf("%s %s: empty expr", rel, r.Alert)
			}
			if s := r.Labels["severity"]; s != "critical" && s != "warning" {
				t.Errorf("%s %s: severity %q, want critical or warning", rel, r.Alert, s)
			}
			if r.Annotations["summary"] == "" {
				t.Errorf("%s %s: no summary", rel, r.Alert)
			}
			anchor, ok := strings.CutPrefix(r.Annotations["runbook_url"], "docs/operations/runbook.md#")
			if !ok || !anchors[anchor] {
				t.Errorf("%s %s: runbook_url %q is not a section of docs/operations/runbook.md (have %v)", rel, r.Alert, r.Annotations["runbook_url"], anchors)
			}
			if r.For != "" {
				if _, err := time.ParseDuration(r.For); err != nil {
					t.Errorf("%s %s: for %q: %v", rel, r.Alert, r.For, err)
				}
			}
		}
	}
}

// alertTests is the part of a promtool unit-test file the checks read.
type alertTests struct {
	Tests []struct {
		AlertRuleTest []struct {
			Alertname string `yaml:"alertname"`
			ExpAlerts []any  `yaml:"exp_alerts"`
		} `yaml:"alert_rule_test"`
	} `yaml:"tests"`
}

func TestAlertRules(t *testing.T) {
	rf := loadRules(t, promDir+"/alerts.yml")
	checkRuleAnnotations(t, "alerts.yml", rf)

	// Both servers get the same alerts, each matching its own metrics and job.
	alertsOf := map[string][]string{}
	for _, g := range rf.Groups {
		for _, r := range g.Rules {
			svc := r.Labels["service"]
			if svc != codebase && svc != workflow {
				t.Errorf("%s in group %s: service label %q", r.Alert, g.Name, svc)
				continue
			}
			alertsOf[svc] = append(alertsOf[svc], r.Alert)
			other := map[string]string{codebase: workflow, workflow: codebase}[svc]
			if strings.Contains(r.Expr, metricPrefix(other)+"_") || strings.Contains(r.Expr, `job="`+other+`"`) {
				t.Errorf("%s for %s uses %s's series: %s", r.Alert, svc, other, r.Expr)
			}
			if strings.Contains(r.Expr, "job=") && !strings.Contains(r.Expr, `job="`+svc+`"`) {
				t.Errorf("%s for %s matches another job: %s", r.Alert, svc, r.Expr)
			}
		}
	}
	slices.Sort(alertsOf[codebase])
	slices.Sort(alertsOf[workflow])
	if len(alertsOf[codebase]) == 0 || !slices.Equal(alertsOf[codebase], alertsOf[workflow]) {
		t.Errorf("alerts differ between the servers: codebase-mcp %v, workflow-mcp %v", alertsOf[codebase], alertsOf[workflow])
	}

	// Every alert has a promtool unit test in which it fires.
	var at alertTests
	if err := yaml.Unmarshal(readFile(t, promDir+"/alerts_test.yml"), &at); err != nil {
		t.Fatal(err)
	}
	fires := map[string]bool{}
	for _, tc := range at.Tests {
		for _, a := range tc.AlertRuleTest {
			fires[a.Alertname] = fires[a.Alertname] || len(a.ExpAlerts) > 0
		}
	}
	for _, a := range alertsOf[codebase] {
		if !fires[a] {
			t.Errorf("alerts_test.yml has no case in which %s fires", a)
		}
	}
}

func TestScrapeConfig(t *testing.T) {
	var cfg struct {
		RuleFiles     []string `yaml:"rule_files"`
		ScrapeConfigs []struct {
			JobName       string `yaml:"job_name"`
			MetricsPath   string `yaml:"metrics_path"`
			Authorization struct {
				Type            string `yaml:"type"`
				CredentialsFile string `yaml:"credentials_file"`
			} `yaml:"authorization"`
			StaticConfigs []struct {
				Targets []string `yaml:"targets"`
			} `yaml:"static_configs"`
		} `yaml:"scrape_configs"`
	}
	if err := yaml.Unmarshal(readFile(t, promDir+"/prometheus.yml"), &cfg); err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(cfg.RuleFiles, "alerts.yml") {
		t.Errorf("rule_files %v does not load alerts.yml", cfg.RuleFiles)
	}
	jobs := map[string]bool{}
	for _, sc := range cfg.ScrapeConfigs {
		jobs[sc.JobName] = true
		if sc.JobName != codebase && sc.JobName != workflow {
			t.Errorf("unexpected job %s", sc.JobName)
			continue
		}
		if sc.MetricsPath != "/metrics" {
			t.Errorf("%s metrics_path %q", sc.JobName, sc.MetricsPath)
		}
		// /metrics needs the bearer token whenever the server has one.
		if sc.Authorization.Type != "Bearer" || sc.Authorization.CredentialsFile == "" {
			t.Errorf("%s: authorization %+v, want type Bearer with a credentials_file", sc.JobName, sc.Authorization)
		}
		port := helpFlags(t, sc.JobName, "serve")["port"].Default
		if len(sc.StaticConfigs) != 1 || !slices.Contains(sc.StaticConfigs[0].Targets, "127.0.0.1:"+port) {
			t.Errorf("%s targets %+v, want 127.0.0.1:%s (the default port)", sc.JobName, sc.StaticConfigs, port)
		}
	}
	if !jobs[codebase] || !jobs[workflow] {
		t.Errorf("jobs %v, want codebase-mcp and workflow-mcp (the alert rules match these names)", jobs)
	}
}

// served is what a running server exposes on /metrics.
type served struct {
	names  map[string]bool            // sample names (with _bucket, _sum, _count)
	labels map[string]map[string]bool // label name -> values seen
}

var sampleLine = regexp.MustCompile(`^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? `)
var labelPair = regexp.MustCompile(`([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"`)

// scrape starts name with an auth token over a fresh migrated database
// (also as its read replica) and reads /metrics as Prometheus would.
func scrape(t *testing.T, name string) served {
	t.Helper()
	fsys := migrations.Codebase()
	if name == workflow {
		fsys = migrations.Workflow()
	}
	// The database as its own "read replica": the replica's metrics (pool,
	// lag) are only served with --database-read-url.
	db := dbtest.New(t, fsys)
	port := startTokenServer(t, name, db, "--database-read-url", db)
	url := "http://127.0.0.1:" + strconv.Itoa(port) + "/metrics"
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	req.Header.Set("Authorization", "Bearer "+testToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /metrics: %d", resp.StatusCode)
	}
	s := served{names: map[string]bool{}, labels: map[string]map[string]bool{}}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		m := sampleLine.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		s.names[m[1]] = true
		for _, lp := range labelPair.FindAllStringSubmatch(m[2], -1) {
			if s.labels[lp[1]] == nil {
				s.labels[lp[1]] = map[string]bool{}
			}
			s.labels[lp[1]][lp[2]] = true
		}
	}
	return s
}

func metricPrefix(name string) string { return strings.ReplaceAll(name, "-", "_") }

var (
	metricRef  = regexp.MustCompile(`\b((?:codebase_mcp|workflow_mcp|process|go)_[a-z0-9_]+)\b`)
	matcherRef = regexp.MustCompile(`\b(operation|code|outcome)\s*(?:=|!=|=~|!~)\s*"([^"]*)"`)
)

// TestAlertMetricsServed checks every series the alert rules read against
// the /metrics of running servers: metric names, and the label values the
// rules match on (operation, code, outcome).
func TestAlertMetricsServed(t *testing.T) {
	rf := loadRules(t, promDir+"/alerts.yml")
	got := map[string]served{codebase: scrape(t, codebase), workflow: scrape(t, workflow)}
	used := 0
	for _, g := range rf.Groups {
		for _, r := range g.Rules {
			s, ok := got[r.Labels["service"]]
			if !ok {
				t.Fatalf("%s: unknown service %q", r.Alert, r.Labels["service"])
			}
			for _, m := range metricRef.FindAllStringSubmatch(r.Expr, -1) {
				used++
				if !s.names[m[1]] {
					t.Errorf("%s (%s) uses %s, which %s does not serve on /metrics", r.Alert, r.Labels["service"], m[1], r.Labels["service"])
				}
			}
			for _, m := range matcherRef.FindAllStringSubmatch(r.Expr, -1) {
				for _, v := range strings.Split(m[2], "|") {
					if !s.labels[m[1]][v] {
						t.Errorf("%s (%s) matches %s=%q, a value %s's metrics never carry", r.Alert, r.Labels["service"], m[1], v, r.Labels["service"])
					}
				}
			}
		}
	}
	if used == 0 {
		t.Fatal("the alert rules name no metrics")
	}
}

// promtool returns the path of promtool (Debian package prometheus). It
// skips without it, except under CI, where it is a failure.
func promtool(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("promtool")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("promtool is not installed; CI must install the Debian package prometheus")
		}
		t.Skip("promtool is not installed (apt-get install prometheus)")
	}
	return p
}

// TestPromtool validates the rules, runs their unit tests and checks the
// scrape config with Prometheus' own tool.
func TestPromtool(t *testing.T) {
	bin := promtool(t)
	dir := t.TempDir()
	// The config refers to a token file that exists on a real Prometheus
	// host; promtool checks that it does, so point it at one.
	tokenFile := filepath.Join(dir, "mcp-token")
	if err := os.WriteFile(tokenFile, []byte(testToken), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := strings.ReplaceAll(string(readFile(t, promDir+"/prometheus.yml")), "/etc/prometheus/mcp-token", tokenFile)
	if err := os.WriteFile(filepath.Join(dir, "prometheus.yml"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"alerts.yml", "alerts_test.yml"} {
		if err := os.WriteFile(filepath.Join(dir, f), readFile(t, promDir+"/"+f), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	for _, args := range [][]string{
		{"check", "rules", "alerts.yml"},
		{"test", "rules", "alerts_test.yml"},
		{"check", "config", "prometheus.yml"},
	} {
		cmd := exec.Command(bin, args...)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("promtool %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
}

var logEventRow = regexp.MustCompile("(?m)^\\| `([a-z_]+)` \\|")
var eventMatcher = regexp.MustCompile(`event="([a-z_]+)"`)

// TestLokiRules checks the log-event alerts: structure, runbook links, and
// that every event they count is one docs/api.md says the servers log.
func TestLokiRules(t *testing.T) {
	rf := loadRules(t, "docs/operations/loki/rules.yml")
	checkRuleAnnotations(t, "loki/rules.yml", rf)
	logged := map[string]bool{}
	api := string(readFile(t, "docs/api.md"))
	_, logs, ok := strings.Cut(api, "## Logs")
	if !ok {
		t.Fatal("docs/api.md has no Logs section")
	}
	for _, m := range logEventRow.FindAllStringSubmatch(logs, -1) {
		logged[m[1]] = true
	}
	events := map[string]bool{}
	for _, g := range rf.Groups {
		for _, r := range g.Rules {
			ms := eventMatcher.FindAllStringSubmatch(r.Expr, -1)
			if len(ms) != 1 {
				t.Errorf("%s: want exactly one event matcher in %q", r.Alert, r.Expr)
				continue
			}
			events[ms[0][1]] = true
			if !logged[ms[0][1]] {
				t.Errorf("%s counts event %q, which docs/api.md does not list (have %v)", r.Alert, ms[0][1], logged)
			}
		}
	}
	for _, e := range []string{"database_connection_lost", "pool_utilization_high", "slow_operation", "fatal_error"} {
		if !events[e] {
			t.Errorf("no Loki alert on %s, an event docs/api.md says operators alert on", e)
		}
	}
}
