// Package loadgen paces the load test of the scenario suite: a profile
// of stages moves the number of simulated clients linearly, each client
// sending one request per think time, and [Pacer] turns that into the
// request rate of a vegeta attack.
package loadgen

import (
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// Stage is one step of a profile: the number of clients moves linearly
// to Clients over Duration.
type Stage struct {
	Duration time.Duration `json:"duration"`
	Clients  int           `json:"clients"`
}

// Profile is a sequence of stages, starting from zero clients.
type Profile []Stage

// Duration is the profile's total length.
func (p Profile) Duration() time.Duration {
	var d time.Duration
	for _, s := range p {
		d += s.Duration
	}
	return d
}

// MaxClients is the largest client count of the profile.
func (p Profile) MaxClients() int {
	m := 0
	for _, s := range p {
		m = max(m, s.Clients)
	}
	return m
}

// ClientsAt is the number of clients at t (the last stage's count after
// the end).
func (p Profile) ClientsAt(t time.Duration) float64 {
	prev := 0.0
	for _, s := range p {
		if t < s.Duration {
			return prev + (float64(s.Clients)-prev)*float64(t)/float64(s.Duration)
		}
		t -= s.Duration
		prev = float64(s.Clients)
	}
	return prev
}

// clientSeconds is the integral of ClientsAt over [0, t].
func (p Profile) clientSeconds(t time.Duration) float64 {
	var sum, prev float64
	for _, s := range p {
		d := min(t, s.Duration)
		slope := (float64(s.Clients) - prev) / s.Duration.Seconds()
		sum += prev*d.Seconds() + slope*d.Seconds()*d.Seconds()/2
		t -= d
		prev = float64(s.Clients)
		if t <= 0 {
			break
		}
	}
	return sum
}

// Pacer paces a vegeta attack to a profile: the request rate at t is
// ClientsAt(t) / Think. The model is open (requests keep coming while the
// servers slow down), which is harsher than clients that wait for their
// answer before thinking.
type Pacer struct {
	Profile Profile
	Think   time.Duration
}

var _ vegeta.Pacer = Pacer{}

// Rate is the instantaneous requests per second at elapsed.
func (p Pacer) Rate(elapsed time.Duration) float64 {
	return p.Profile.ClientsAt(elapsed) / p.Think.Seconds()
}

// Hits is the number of requests due by elapsed.
func (p Pacer) Hits(elapsed time.Duration) float64 {
	return p.Profile.clientSeconds(elapsed) / p.Think.Seconds()
}

// Pace says how long to wait before the next request, and stops at the
// end of the profile.
func (p Pacer) Pace(elapsed time.Duration, hits uint64) (time.Duration, bool) {
	if elapsed >= p.Profile.Duration() {
		return 0, true
	}
	due := p.Hits(elapsed)
	if float64(hits) < due {
		return 0, false
	}
	rate := p.Rate(elapsed)
	if rate <= 0.01 {
		return 50 * time.Millisecond, false // ramping up from zero
	}
	wait := time.Duration((float64(hits) + 1 - due) / rate * float64(time.Second))
	return min(wait, time.Second), false
}
