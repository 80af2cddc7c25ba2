package loadgen_test

import (
	"math"
	"testing"
	"time"

	"github.com/mcp-memory/servers/test/scenarios/loadgen"
)

var profile = loadgen.Profile{{Duration: 30 * time.Second, Clients: 10}, {Duration: 30 * time.Second, Clients: 50}, {Duration: 45 * time.Second, Clients: 50}, {Duration: 15 * time.Second, Clients: 0}}

func TestProfile(t *testing.T) {
	if d := profile.Duration(); d != 2*time.Minute {
		t.Errorf("Duration = %s", d)
	}
	if m := profile.MaxClients(); m != 50 {
		t.Errorf("MaxClients = %d", m)
	}
	tests := []struct {
		at   time.Duration
		want float64
	}{{0, 0}, {15 * time.Second, 5}, {30 * time.Second, 10}, {45 * time.Second, 30}, {80 * time.Second, 50},
		{112500 * time.Millisecond, 25}, {3 * time.Minute, 0}}
	for _, tc := range tests {
		if got := profile.ClientsAt(tc.at); math.Abs(got-tc.want) > 1e-9 {
			t.Errorf("ClientsAt(%s) = %v, want %v", tc.at, got, tc.want)
		}
	}
}

func TestPacer(t *testing.T) {
	p := loadgen.Pacer{Profile: profile, Think: time.Second}
	// Area under the clients curve: 150 + 900 + 2250 + 375 client-seconds.
	if h := p.Hits(2 * time.Minute); math.Abs(h-3675) > 1e-6 {
		t.Errorf("Hits(end) = %v, want 3675", h)
	}
	if h := (loadgen.Pacer{Profile: profile, Think: 2 * time.Second}).Hits(30 * time.Second); math.Abs(h-75) > 1e-9 {
		t.Errorf("Hits(30 s) with 2 s think time = %v, want 75", h)
	}
	if r := p.Rate(60 * time.Second); r != 50 {
		t.Errorf("Rate(60 s) = %v", r)
	}
	if w, stop := p.Pace(60*time.Second, 0); w != 0 || stop {
		t.Errorf("behind schedule: Pace = %s, %v; want 0, false", w, stop)
	}
	due := uint64(p.Hits(60 * time.Second))
	if w, _ := p.Pace(60*time.Second, due+10); w < 150*time.Millisecond || w > 250*time.Millisecond {
		t.Errorf("10 requests ahead at 50/s: wait %s, want about 200 ms", w)
	}
	if w, _ := p.Pace(0, 0); w != 50*time.Millisecond {
		t.Errorf("at zero clients: wait %s, want 50 ms", w)
	}
	if _, stop := p.Pace(2*time.Minute, 0); !stop {
		t.Error("Pace does not stop at the end of the profile")
	}
	// Simulate the attack loop: the hits sent track the profile.
	hits, el := uint64(0), time.Duration(0)
	for {
		w, stop := p.Pace(el, hits)
		if stop {
			break
		}
		if w == 0 {
			hits++
		}
		el += max(w, time.Millisecond)
	}
	if math.Abs(float64(hits)-3675) > 5 {
		t.Errorf("simulated attack sent %d requests, profile due 3675", hits)
	}
}
