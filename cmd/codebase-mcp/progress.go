package main

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/mcp-memory/servers/internal/codebase/index"
)

// progress shows an index job's progress while it runs: a bar redrawn in
// place (at most 10 times a second) on a terminal, otherwise a plain line
// every few seconds and on each phase change, so logs of CI runs stay
// readable. The job row is polled a few times a second besides the
// service's per-batch callback, so phases show as they change.
type progress struct {
	w       io.Writer
	tty     bool
	poll    func() (index.Job, error)
	every   time.Duration
	start   time.Time
	mu      sync.Mutex
	job     index.Job
	seen    bool
	drawn   bool
	phase   string
	printed time.Time
	stop    chan struct{}
	done    chan struct{}
}

// newProgress starts drawing on w; poll, when not nil, reads the job's
// current row. Call finish when the job has ended.
func newProgress(w io.Writer, tty bool, poll func() (index.Job, error)) *progress {
	p := &progress{w: w, tty: tty, poll: poll, every: 5 * time.Second, start: time.Now(),
		stop: make(chan struct{}), done: make(chan struct{})}
	tick := 100 * time.Millisecond
	if !tty {
		tick = time.Second
	}
	go p.loop(tick)
	return p
}

// update records the job's latest state; it is the index service's
// progress callback.
func (p *progress) update(j index.Job) {
	p.mu.Lock()
	p.job, p.seen = j, true
	p.mu.Unlock()
}

func (p *progress) loop(tick time.Duration) {
	defer close(p.done)
	t := time.NewTicker(tick)
	defer t.Stop()
	lastPoll := time.Now()
	for {
		select {
		case <-p.stop:
			return
		case <-t.C:
			if p.poll != nil && time.Since(lastPoll) >= 250*time.Millisecond {
				lastPoll = time.Now()
				if j, err := p.poll(); err == nil {
					p.mu.Lock()
					if !p.seen || j.FilesDone >= p.job.FilesDone {
						p.job, p.seen = j, true
					}
					p.mu.Unlock()
				}
			}
			p.draw()
		}
	}
}

// finish stops drawing and clears the bar.
func (p *progress) finish() {
	close(p.stop)
	<-p.done
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.tty && p.drawn {
		fmt.Fprint(p.w, "\r\033[K")
	}
}

func (p *progress) draw() {
	p.mu.Lock()
	defer p.mu.Unlock()
	j := p.job
	elapsed := time.Since(p.start)
	phase := j.Phase
	if !p.seen {
		phase = "starting"
	}
	line := progressLine(j, phase, elapsed)
	if p.tty {
		fmt.Fprintf(p.w, "\r\033[K%s", line)
		p.drawn = true
		return
	}
	if phase != p.phase || time.Since(p.printed) >= p.every {
		fmt.Fprintln(p.w, line)
		p.phase, p.printed = phase, time.Now()
	}
}

// progressLine renders one state: bar, files done/total, rate, ETA, phase.
func progressLine(j index.Job, phase string, elapsed time.Duration) string {
	const width = 24
	pct := j.ProgressPercent
	filled := int(pct / 100 * width)
	filled = max(0, min(width, filled))
	bar := strings.Repeat("=", filled) + strings.Repeat(" ", width-filled)
	rate := 0.0
	if s := elapsed.Seconds(); s > 0 {
		rate = float64(j.FilesDone) / s
	}
	eta := "--"
	if rate > 0 && j.FilesTotal > j.FilesDone {
		eta = (time.Duration(float64(j.FilesTotal-j.FilesDone)/rate) * time.Second).Round(time.Second).String()
	}
	return fmt.Sprintf("[%s] %3.0f%%  %s/%s files  %.0f files/s  ETA %s  %s  (%s)",
		bar, pct, commas(int64(j.FilesDone)), commas(int64(j.FilesTotal)), rate, eta, phase, elapsed.Round(100*time.Millisecond))
}
