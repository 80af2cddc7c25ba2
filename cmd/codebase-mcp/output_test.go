package main

import (
	"bytes"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mcp-memory/servers/internal/codebase/api"
	"github.com/mcp-memory/servers/internal/codebase/index"
)

// syncBuffer is a bytes.Buffer safe for the progress goroutine and the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// Without a terminal (CI logs) progress prints whole lines: one when the
// phase changes, not one per redraw; on a terminal it redraws one line in
// place and clears it when the job ends.
func TestProgress_LinesAndBar(t *testing.T) {
	var plain bytes.Buffer
	p := &progress{w: &plain, every: time.Hour, start: time.Now()}
	p.draw() // before any state: "starting"
	p.update(index.Job{Phase: "scanning", FilesTotal: 2000})
	p.draw()
	p.draw() // same phase within "every": no new line
	p.update(index.Job{Phase: "indexing", FilesTotal: 2000, FilesDone: 1000, ProgressPercent: 50})
	p.draw()
	lines := strings.Split(strings.TrimRight(plain.String(), "\n"), "\n")
	if len(lines) != 3 || !strings.HasSuffix(strings.SplitN(lines[0], "  (", 2)[0], "starting") ||
		!strings.Contains(lines[1], "scanning") || !strings.Contains(lines[2], "indexing") {
		t.Fatalf("plain progress lines:\n%s", plain.String())
	}
	if !strings.Contains(lines[2], "[============            ]  50%  1,000/2,000 files") || strings.Contains(plain.String(), "\r") {
		t.Errorf("half-done line: %q", lines[2])
	}

	var tty bytes.Buffer
	p = &progress{w: &tty, tty: true, start: time.Now(), stop: make(chan struct{}), done: make(chan struct{})}
	close(p.done) // no loop runs; finish must not wait for one
	p.update(index.Job{Phase: "embedding", FilesTotal: 10, FilesDone: 10, ProgressPercent: 100})
	p.draw()
	p.draw()
	p.finish()
	out := tty.String()
	if strings.Count(out, "\r\033[K") != 3 || strings.Contains(out, "\n") || !strings.HasSuffix(out, "\r\033[K") ||
		!strings.Contains(out, "[========================] 100%  10/10 files") {
		t.Errorf("terminal progress %q", out)
	}
}

// The ETA comes from the rate so far; with nothing done yet it is "--".
func TestProgressLine_ETA(t *testing.T) {
	if l := progressLine(index.Job{FilesTotal: 300, FilesDone: 100}, "indexing", 10*time.Second); !strings.Contains(l, "10 files/s  ETA 20s  indexing") {
		t.Errorf("line %q, want 10 files/s and ETA 20s", l)
	}
	if l := progressLine(index.Job{FilesTotal: 300}, "scanning", 0); !strings.Contains(l, "ETA --") {
		t.Errorf("line %q, want ETA --", l)
	}
	if l := progressLine(index.Job{ProgressPercent: 250}, "x", time.Second); !strings.Contains(l, "["+strings.Repeat("=", 24)+"]") {
		t.Errorf("an out-of-range percentage overflows the bar: %q", l)
	}
}

// While the index service has not reported a batch yet, the job row
// polled from the database drives the display, but an older polled row
// never replaces newer progress from the service.
func TestProgress_PollDoesNotGoBack(t *testing.T) {
	polls, quit := make(chan struct{}), make(chan struct{})
	var w syncBuffer
	p := newProgress(&w, true, func() (index.Job, error) {
		select { // each poll waits for the test to take it
		case polls <- struct{}{}:
		case <-quit:
		}
		return index.Job{Phase: "scanning", FilesDone: 3, FilesTotal: 10}, nil
	})
	// The first poll shows the polled phase.
	<-polls
	waitFor(t, func() bool { return strings.Contains(w.String(), "scanning") })
	p.update(index.Job{Phase: "writing", FilesDone: 9, FilesTotal: 10})
	// A poll taken now compares its older row with the update, then the
	// loop draws (before finish can stop it).
	<-polls
	close(quit)
	p.finish()
	out := w.String()
	last := out[strings.LastIndex(strings.TrimSuffix(out, "\r\033[K"), "\r\033[K"):]
	if !strings.Contains(last, "writing") || !strings.Contains(last, "9/10 files") {
		t.Errorf("last drawn line %q, want the service's newer progress", last)
	}
}

// waitFor polls cond until it holds, failing the test after a long grace.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); !cond(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached")
		}
	}
}

// On a terminal the query's words are bold in the snippets (any case);
// without one the output has no escape codes; a query without words
// highlights nothing.
func TestPrintHits_Highlight(t *testing.T) {
	o := api.SearchOut{ProjectID: "default", IndexStatus: "ready", TotalCount: 1, Matched: 1,
		Results: []api.HitOut{{FilePath: "tax.go", StartLine: 3, EndLine: 4, Symbol: "ApplyVat", ChunkType: "function",
			SimilarityScore: 0.9, Content: "// applies the VAT rate\nfunc ApplyVat() {}\n"}}}
	var b bytes.Buffer
	printHits(&b, o, "vat rate", true)
	if !strings.Contains(b.String(), "applies the "+bold+"VAT"+reset+" "+bold+"rate"+reset) ||
		!strings.Contains(b.String(), bold+"tax.go:3-4"+reset) || !strings.Contains(b.String(), dim+"    3"+reset) {
		t.Errorf("terminal output %q", b.String())
	}
	b.Reset()
	printHits(&b, o, "vat rate", false)
	if strings.Contains(b.String(), "\033[") || !strings.Contains(b.String(), "1. tax.go:3-4  ApplyVat  (function, 0.90)") {
		t.Errorf("plain output %q", b.String())
	}
	b.Reset()
	printHits(&b, o, "?? !", true)
	if strings.Contains(b.String(), bold+"VAT") {
		t.Errorf("a query without words highlighted something: %q", b.String())
	}
}

// The summary of a failed job shows its error when it says more than the
// message.
func TestPrintSummary_Error(t *testing.T) {
	var b bytes.Buffer
	printSummary(&b, index.Job{RepoPath: "/r", Status: "failed", Message: "failed after 2 of 9 files",
		ErrorMessage: "permission denied for table chunks", FilesTotal: 9, FilesDone: 2}, time.Second)
	if !strings.Contains(b.String(), "  failed after 2 of 9 files\n  error: permission denied for table chunks\n") {
		t.Errorf("summary:\n%s", b.String())
	}
}

// Counts and sizes read the way people write them.
func TestNumbersForPeople(t *testing.T) {
	for n, want := range map[int64]string{0: "0", 999: "999", 1000: "1,000", 1234567: "1,234,567", -1234: "-1,234"} {
		if got := commas(n); got != want {
			t.Errorf("commas(%d) = %q, want %q", n, got, want)
		}
	}
	for n, want := range map[int64]string{512: "512 B", 2048: "2.0 KiB", 3 << 20: "3.0 MiB", 5 << 30: "5.0 GiB"} {
		if got := size(n); got != want {
			t.Errorf("size(%d) = %q, want %q", n, got, want)
		}
	}
	if got := countList(map[string]int{"python": 3, "go": 1200, "c": 3}); got != "go 1,200, c 3, python 3" {
		t.Errorf("countList = %q", got)
	}
}
