// Command sessionload opens many MCP sessions that are never deleted, the
// way careless or hostile clients do, and reports the server's resident
// memory before and after (issue: unbounded MCP session memory).
//
//	go run ./test/cmd/sessionload -url http://127.0.0.1:8020/mcp -pid $(pgrep -f 'codebase-mcp serve') -n 40000
package main

import (
	"flag"
	"fmt"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

func main() {
	url := flag.String("url", "http://127.0.0.1:8020/mcp", "the server's MCP endpoint")
	pid := flag.Int("pid", 0, "the server's process id, to read its RSS from /proc")
	n := flag.Int("n", 40000, "sessions to open")
	workers := flag.Int("workers", 8, "concurrent clients")
	flag.Parse()
	if *pid == 0 {
		fmt.Fprintln(os.Stderr, "sessionload: -pid is required")
		os.Exit(2)
	}
	before := rss(*pid)
	body := `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"sessionload","version":"1"}}}`
	var next, failed atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	client := &http.Client{Timeout: 10 * time.Second}
	for w := 0; w < *workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next.Add(1) <= int64(*n) {
				req, _ := http.NewRequest("POST", *url, strings.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Accept", "application/json, text/event-stream")
				resp, err := client.Do(req)
				if err != nil || resp.StatusCode != 200 || resp.Header.Get("Mcp-Session-Id") == "" {
					failed.Add(1)
				}
				if resp != nil {
					resp.Body.Close()
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	time.Sleep(2 * time.Second) // let the server settle
	fmt.Printf("sessions opened: %d (failed %d) in %.1f s\nRSS before: %d MB\nRSS after:  %d MB\n",
		*n-int(failed.Load()), failed.Load(), elapsed.Seconds(), before/1024, rss(*pid)/1024)
}

// rss returns VmRSS of pid in KiB.
func rss(pid int) int {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return -1
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "VmRSS:") {
			var kb int
			fmt.Sscanf(strings.TrimSpace(strings.TrimPrefix(line, "VmRSS:")), "%d", &kb)
			return kb
		}
	}
	return -1
}
