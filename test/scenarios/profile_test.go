//go:build scenarios

package scenarios_test

import (
	"fmt"
	"time"

	"github.com/mcp-memory/servers/test/scenarios/loadgen"
)

// profile holds the sizes and limits of one run of the suite.
type profile struct {
	Name string
	// RepoFiles is the size of the generated repository of scenario 1.
	RepoFiles int
	// IndexRuns measured cold index runs after one warm-up.
	IndexRuns int
	// SearchClients x SearchQueries concurrent searches.
	SearchClients, SearchQueries int
	// Switches project switches over Projects projects.
	Switches, Projects int
	// Entities stored for the entity query measurements.
	Entities int
	// HealthCalls sequential /health calls per server.
	HealthCalls int
	// WorkRepoFiles is the size of the repository scenarios 2-6 index.
	WorkRepoFiles int
	// Load is the load profile of scenario 4; Sample how often it samples
	// the servers' resources.
	Load   loadgen.Profile
	Sample time.Duration
	// Slack multiplies latency targets and the CV limit. The specification's
	// targets hold for the short and full profiles (1); the ci profile runs
	// on loaded 2-core CI machines and only catches gross regressions.
	Slack float64
}

// Spec targets (p95) of docs/performance and the specification.
const (
	targetIndex10k    = 60 * time.Second
	targetSearch      = 500 * time.Millisecond
	targetSwitch      = 50 * time.Millisecond
	targetEntityQuery = 100 * time.Millisecond
	targetWorkItem    = 200 * time.Millisecond
	targetHealth      = 50 * time.Millisecond
	targetLoadP95     = 2 * time.Second
	maxIndexCV        = 0.05
	maxLoadErrorRate  = 0.01
)

func profileFromEnv(getenv func(string) string) (profile, error) {
	short := profile{Name: "short", RepoFiles: 10000, IndexRuns: 5, SearchClients: 10, SearchQueries: 20,
		Switches: 20, Projects: 5, Entities: 1000, HealthCalls: 1000, WorkRepoFiles: 200,
		Load:   loadgen.Profile{{Duration: 30 * time.Second, Clients: 10}, {Duration: 30 * time.Second, Clients: 50}, {Duration: 45 * time.Second, Clients: 50}, {Duration: 15 * time.Second, Clients: 0}},
		Sample: 2 * time.Second, Slack: 1}
	switch name := getenv("VALIDATE_PROFILE"); name {
	case "", "short":
		return short, nil
	case "ci":
		p := short
		p.Name, p.RepoFiles, p.IndexRuns, p.SearchClients, p.SearchQueries = "ci", 1000, 3, 5, 10
		p.Entities, p.WorkRepoFiles, p.Slack = 200, 120, 4
		p.Load = loadgen.Profile{{Duration: 15 * time.Second, Clients: 10}, {Duration: 15 * time.Second, Clients: 20}, {Duration: 15 * time.Second, Clients: 20}, {Duration: 5 * time.Second, Clients: 0}}
		return p, nil
	case "full":
		p := short
		p.Name, p.Sample = "full", 5*time.Second
		p.Load = loadgen.Profile{{Duration: 2 * time.Minute, Clients: 10}, {Duration: 5 * time.Minute, Clients: 50}, {Duration: 10 * time.Minute, Clients: 50}, {Duration: 2 * time.Minute, Clients: 0}}
		return p, nil
	case "soak":
		p := short
		p.Name, p.Sample = "soak", 5*time.Second
		p.Load = loadgen.Profile{{Duration: time.Minute, Clients: 50}, {Duration: 58 * time.Minute, Clients: 50}, {Duration: time.Minute, Clients: 0}}
		return p, nil
	default:
		return profile{}, fmt.Errorf("VALIDATE_PROFILE=%q: want ci, short, full or soak", name)
	}
}

// target scales a spec target by the profile's slack.
func (p profile) target(d time.Duration) time.Duration { return time.Duration(float64(d) * p.Slack) }
