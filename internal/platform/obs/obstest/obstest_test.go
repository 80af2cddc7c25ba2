package obstest_test

import (
	"fmt"
	"log/slog"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/mcp-memory/servers/internal/platform/obs/obstest"
)

func TestNewLogger_EventsAndLevel(t *testing.T) {
	log, logs := obstest.NewLogger(t, "workflow-mcp", slog.LevelInfo)
	if got := logs.Lines(t); got != nil {
		t.Fatalf("Lines before any write = %v, want none", got)
	}
	var wg sync.WaitGroup
	for i := range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			log.Info("ping", "n", i)
		}()
	}
	wg.Wait()
	log.Debug("ping")
	log.Warn("pong")

	if n := len(logs.Lines(t)); n != 11 {
		t.Errorf("Lines = %d, want 11 (DEBUG is below the level):\n%s", n, logs)
	}
	if n := len(logs.Events(t, "ping")); n != 10 {
		t.Errorf("ping events = %d, want 10", n)
	}
	pong := logs.Events(t, "pong")
	if len(pong) != 1 || pong[0]["level"] != "WARNING" || pong[0]["server_id"] != "workflow-mcp" {
		t.Errorf("pong events = %v, want one WARNING line of workflow-mcp", pong)
	}
	if n := strings.Count(logs.String(), "\n"); n != 11 {
		t.Errorf("String has %d lines, want 11", n)
	}
}

// fatalTB records Fatalf and stops the goroutine, as testing.T does.
type fatalTB struct {
	testing.TB
	msg string
}

func (f *fatalTB) Helper() {}

func (f *fatalTB) Fatalf(format string, args ...any) {
	f.msg = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

func TestLogCapture_NonJSONLineFails(t *testing.T) {
	for _, text := range []string{"not json\n", "{\"event\":\"a\"}\n\n{\"event\":\"b\"}\n", "[1]\n"} {
		var c obstest.LogCapture
		if _, err := c.Write([]byte(text)); err != nil {
			t.Fatal(err)
		}
		tb := &fatalTB{TB: t}
		done := make(chan struct{})
		go func() {
			defer close(done)
			c.Events(tb, "a")
		}()
		<-done
		if !strings.HasPrefix(tb.msg, "log line is not JSON") {
			t.Errorf("Events over %q: Fatalf message = %q, want a non-JSON failure", text, tb.msg)
		}
	}
}
