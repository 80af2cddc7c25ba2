// Package cputime measures this process's CPU time for benchmarks. They
// report throughput per CPU second beside wall-clock figures, because on a
// shared machine wall-clock time varies with the other processes' load.
package cputime

import (
	"syscall"
	"testing"
	"time"
)

// Used is the process's user and system CPU time so far (0 when the
// system cannot tell).
func Used() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// Report adds MB and (when chunks > 0) chunks per CPU second since start,
// for b.N iterations over bytes and chunks each.
func Report(b *testing.B, start time.Duration, bytes int64, chunks int) {
	cpu := (Used() - start).Seconds()
	if cpu <= 0 {
		return
	}
	b.ReportMetric(float64(bytes)*float64(b.N)/cpu/1e6, "MB/cpu-s")
	if chunks > 0 {
		b.ReportMetric(float64(chunks)*float64(b.N)/cpu, "chunks/cpu-s")
	}
}
