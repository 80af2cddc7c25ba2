package obs

import (
	"math"
	"sort"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// MetricsJSON is the JSON form of /metrics (docs/api.md): one entry per
// metric family, with the series of a family summed.
type MetricsJSON struct {
	Counters   []CounterJSON   `json:"counters"`
	Gauges     []GaugeJSON     `json:"gauges"`
	Histograms []HistogramJSON `json:"histograms"`
}

// CounterJSON is a counter family summed over its labels.
type CounterJSON struct {
	Name     string  `json:"name"`
	HelpText string  `json:"help_text"`
	Value    float64 `json:"value"`
}

// GaugeJSON is a gauge family summed over its labels.
type GaugeJSON struct {
	Name     string  `json:"name"`
	HelpText string  `json:"help_text"`
	Value    float64 `json:"value"`
}

// HistogramJSON is a histogram family with its buckets merged over labels.
// Bucket counts are cumulative, as in Prometheus.
type HistogramJSON struct {
	Name     string       `json:"name"`
	HelpText string       `json:"help_text"`
	Buckets  []BucketJSON `json:"buckets"`
	Count    uint64       `json:"count"`
	Sum      float64      `json:"sum"`
}

// BucketJSON is one cumulative histogram bucket.
type BucketJSON struct {
	UpperBound float64 `json:"bucket_le"`
	Count      uint64  `json:"count"`
}

// GatherJSON collects g into the JSON form.
func GatherJSON(g prometheus.Gatherer) (MetricsJSON, error) {
	families, err := g.Gather()
	out := MetricsJSON{Counters: []CounterJSON{}, Gauges: []GaugeJSON{}, Histograms: []HistogramJSON{}}
	if err != nil && len(families) == 0 {
		return out, err
	}
	for _, mf := range families {
		switch mf.GetType() {
		case dto.MetricType_COUNTER:
			var v float64
			for _, m := range mf.GetMetric() {
				v += m.GetCounter().GetValue()
			}
			out.Counters = append(out.Counters, CounterJSON{Name: mf.GetName(), HelpText: mf.GetHelp(), Value: v})
		case dto.MetricType_GAUGE:
			var v float64
			for _, m := range mf.GetMetric() {
				v += m.GetGauge().GetValue()
			}
			out.Gauges = append(out.Gauges, GaugeJSON{Name: mf.GetName(), HelpText: mf.GetHelp(), Value: v})
		case dto.MetricType_HISTOGRAM:
			out.Histograms = append(out.Histograms, mergeHistogram(mf))
		}
	}
	return out, nil
}

func mergeHistogram(mf *dto.MetricFamily) HistogramJSON {
	h := HistogramJSON{Name: mf.GetName(), HelpText: mf.GetHelp(), Buckets: []BucketJSON{}}
	byBound := map[float64]uint64{}
	for _, m := range mf.GetMetric() {
		hist := m.GetHistogram()
		h.Count += hist.GetSampleCount()
		h.Sum += hist.GetSampleSum()
		for _, b := range hist.GetBucket() {
			if !math.IsInf(b.GetUpperBound(), 1) {
				byBound[b.GetUpperBound()] += b.GetCumulativeCount()
			}
		}
	}
	for le, c := range byBound {
		h.Buckets = append(h.Buckets, BucketJSON{UpperBound: le, Count: c})
	}
	sort.Slice(h.Buckets, func(i, j int) bool { return h.Buckets[i].UpperBound < h.Buckets[j].UpperBound })
	return h
}
