//go:build scenarios

package scenarios_test

import (
	"fmt"
	"time"
)

// stage is one step of a load profile: the number of clients moves
// linearly to Clients over Duration.
type stage struct {
	Duration time.Duration `json:"duration"`
	Clients  int           `json:"clients"`
}

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
	Load   []stage
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
		Load:   []stage{{30 * time.Second, 10}, {30 * time.Second, 50}, {45 * time.Second, 50}, {15 * time.Second, 0}},
		Sample: 2 * time.Second, Slack: 1}
	switch name := getenv("VALIDATE_PROFILE"); name {
	case "", "short":
		return short, nil
	case "ci":
		p := short
		p.Name, p.RepoFiles, p.IndexRuns, p.SearchClients, p.SearchQueries = "ci", 1000, 3, 5, 10
		p.Entities, p.WorkRepoFiles, p.Slack = 200, 120, 4
		p.Load = []stage{{15 * time.Second, 10}, {15 * time.Second, 20}, {15 * time.Second, 20}, {5 * time.Second, 0}}
		return p, nil
	case "full":
		p := short
		p.Name, p.Sample = "full", 5*time.Second
		p.Load = []stage{{2 * time.Minute, 10}, {5 * time.Minute, 50}, {10 * time.Minute, 50}, {2 * time.Minute, 0}}
		return p, nil
	case "soak":
		p := short
		p.Name, p.Sample = "soak", 5*time.Second
		p.Load = []stage{{time.Minute, 50}, {58 * time.Minute, 50}, {time.Minute, 0}}
		return p, nil
	default:
		return profile{}, fmt.Errorf("VALIDATE_PROFILE=%q: want ci, short, full or soak", name)
	}
}

// target scales a spec target by the profile's slack.
func (p profile) target(d time.Duration) time.Duration { return time.Duration(float64(d) * p.Slack) }

// loadDuration is the total length of the load profile.
func (p profile) loadDuration() time.Duration {
	var d time.Duration
	for _, s := range p.Load {
		d += s.Duration
	}
	return d
}

// clientsAt is the number of clients the load profile has at t.
func (p profile) clientsAt(t time.Duration) float64 {
	prev := 0.0
	for _, s := range p.Load {
		if t < s.Duration {
			return prev + (float64(s.Clients)-prev)*float64(t)/float64(s.Duration)
		}
		t -= s.Duration
		prev = float64(s.Clients)
	}
	return prev
}
