package search_test

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

// gathered returns the value of a counter, or the sample count of a
// histogram summed over its series, by name.
func gathered(t *testing.T, reg *prometheus.Registry, name string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		var v float64
		for _, m := range mf.GetMetric() {
			if c := m.GetCounter(); c != nil {
				v += c.GetValue()
			}
			if h := m.GetHistogram(); h != nil {
				v += float64(h.GetSampleCount())
			}
		}
		return v
	}
	t.Fatalf("%s not registered", name)
	return 0
}
