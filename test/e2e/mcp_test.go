//go:build e2e

package e2e_test

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"
)

// initialize starts c, initializes it with protocol version and lists the
// tools. It returns the sorted tool names.
func initialize(t *testing.T, c *client.Client, name, version string) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := c.Start(ctx); err != nil {
		t.Fatalf("start: %v", err)
	}
	req := mcp.InitializeRequest{}
	req.Params.ProtocolVersion = version
	req.Params.ClientInfo = mcp.Implementation{Name: "e2e", Version: "1"}
	res, err := c.Initialize(ctx, req)
	if err != nil {
		t.Fatalf("initialize (%s): %v", version, err)
	}
	if res.ServerInfo.Name != name {
		t.Errorf("serverInfo.name = %q, want %q", res.ServerInfo.Name, name)
	}
	if res.Capabilities.Tools == nil {
		t.Errorf("server does not announce the tools capability")
	}
	lt, err := c.ListTools(ctx, mcp.ListToolsRequest{})
	if err != nil {
		t.Fatalf("tools/list: %v", err)
	}
	names := make([]string, 0, len(lt.Tools))
	for _, tl := range lt.Tools {
		names = append(names, tl.Name)
	}
	sort.Strings(names)
	return names
}

// TestMCP: mcp-go's client initializes and lists tools against each real
// binary over Streamable HTTP, legacy SSE and stdio, with the newest
// protocol and the newest handshake-era one. Every transport must offer
// the same tools, as many as server_started announced.
func TestMCP(t *testing.T) {
	t.Parallel()
	versions := []string{mcp.LATEST_PROTOCOL_VERSION, mcp.LATEST_LEGACY_PROTOCOL_VERSION}
	eachBinary(t, func(t *testing.T, name string) {
		db := migratedDB(t, name)
		s := startServer(t, name, nil, "--port", "0", "--database-url", db)
		announced, _ := s.events(t, "server_started")[0].context()["tools"].(float64)

		var first []string
		check := func(t *testing.T, tools []string) {
			t.Helper()
			if len(tools) != int(announced) {
				t.Errorf("tools/list has %d tools %v, server_started announced %v", len(tools), tools, announced)
			}
			if first == nil {
				first = tools
			} else if strings.Join(tools, ",") != strings.Join(first, ",") {
				t.Errorf("tools = %v, another transport listed %v", tools, first)
			}
		}
		for _, v := range versions {
			t.Run("streamable http "+v, func(t *testing.T) {
				c, err := client.NewStreamableHttpClient(s.URL + "/mcp")
				if err != nil {
					t.Fatal(err)
				}
				check(t, initialize(t, c, name, v))
				if err := c.Close(); err != nil {
					t.Errorf("close: %v", err)
				}
			})
			t.Run("sse "+v, func(t *testing.T) {
				c, err := client.NewSSEMCPClient(s.URL + "/sse")
				if err != nil {
					t.Fatal(err)
				}
				check(t, initialize(t, c, name, v))
				if err := c.Close(); err != nil {
					t.Errorf("close: %v", err)
				}
			})
			t.Run("stdio "+v, func(t *testing.T) {
				c, err := client.NewStdioMCPClient(binPath(name), nil, "stdio", "--database-url", db) // the flag beats any inherited variable
				if err != nil {
					t.Fatal(err)
				}
				check(t, initialize(t, c, name, v))
				// Close shuts stdin (which ends the server), then the
				// stderr pipe, and waits; it reports a non-zero exit. The
				// server races to log server_stopped into the closed pipe,
				// so the exit status is checked deterministically by
				// TestStdioClientClosesStderr instead.
				if err := c.Close(); err != nil {
					t.Logf("server exit after the client closed: %v (see TestStdioClientClosesStderr)", err)
				}
			})
		}
		s.stop(t, syscall.SIGTERM)
		if n := len(s.events(t, "http_request")); n == 0 {
			t.Errorf("no http_request log lines for the MCP requests")
		}
	})
}

// TestStdioProtocolOnly: over stdio, stdout carries JSON-RPC messages only;
// logs go to stderr. End of input stops the server with exit 0.
func TestStdioProtocolOnly(t *testing.T) {
	t.Parallel()
	eachBinary(t, func(t *testing.T, name string) {
		db := migratedDB(t, name)
		p := &proc{name: name, done: make(chan struct{})}
		cmd := startStdio(t, p, db)
		in, out := cmd.stdin, cmd.stdout

		send := func(msg string) {
			t.Helper()
			if _, err := io.WriteString(in, msg+"\n"); err != nil {
				t.Fatalf("write stdin: %v", err)
			}
		}
		send(`{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"e2e","version":"1"}}}`)
		send(`{"jsonrpc":"2.0","method":"notifications/initialized"}`)
		send(`{"jsonrpc":"2.0","id":2,"method":"tools/list"}`)
		send(`{"jsonrpc":"2.0","id":3,"method":"no/such/method"}`)

		lines := make(chan string)
		go func() {
			defer close(lines)
			sc := bufio.NewScanner(out)
			sc.Buffer(make([]byte, 1<<20), 1<<20)
			for sc.Scan() {
				lines <- sc.Text()
			}
		}()
		seen := map[float64]map[string]any{}
		timeout := time.After(10 * time.Second)
		for len(seen) < 3 {
			select {
			case line, ok := <-lines:
				if !ok {
					t.Fatalf("stdout ended after %d responses\nstderr:\n%s", len(seen), p.stderr.String())
				}
				var msg map[string]any
				if err := json.Unmarshal([]byte(line), &msg); err != nil || msg["jsonrpc"] != "2.0" {
					t.Fatalf("stdout line is not a JSON-RPC message: %q", line)
				}
				if id, ok := msg["id"].(float64); ok {
					seen[id] = msg
				}
			case <-timeout:
				t.Fatalf("got %d of 3 responses within 10 s\nstderr:\n%s", len(seen), p.stderr.String())
			}
		}
		res, _ := seen[1]["result"].(map[string]any)
		info, _ := res["serverInfo"].(map[string]any)
		if info["name"] != name {
			t.Errorf("initialize result = %v, want serverInfo.name %s", seen[1], name)
		}
		if _, ok := seen[2]["result"].(map[string]any)["tools"].([]any); !ok {
			t.Errorf("tools/list = %v, want result.tools", seen[2])
		}
		if seen[3]["error"] == nil {
			t.Errorf("unknown method answered %v, want a JSON-RPC error", seen[3])
		}

		in.Close()
		for line := range lines {
			var msg map[string]any
			if json.Unmarshal([]byte(line), &msg) != nil || msg["jsonrpc"] != "2.0" {
				t.Errorf("stdout line is not a JSON-RPC message: %q", line)
			}
		}
		if code, ok := p.wait(10 * time.Second); !ok || code != 0 {
			t.Errorf("after end of input: exited=%v code=%d, want exit 0\nstderr:\n%s", ok, code, p.stderr.String())
		}
		started := p.events(t, "server_started")
		if len(started) != 1 || started[0].context()["transport"] != "stdio" {
			t.Errorf("stderr server_started lines = %v, want one with context.transport stdio", started)
		}
		checkLogLines(t, name, jsonLines(t, p.stderr.Lines()))
	})
}

type stdioPipes struct {
	stdin  io.WriteCloser
	stdout io.Reader
}

// startStdio starts `name stdio` with pipes; p's stderr collects the logs.
func startStdio(t *testing.T, p *proc, db string) stdioPipes {
	t.Helper()
	p.cmd = exec.Command(binPath(p.name), "stdio", "--database-url", db)
	p.cmd.Env = cleanEnv()
	p.cmd.Stderr = &p.stderr
	// An io.Pipe rather than StdoutPipe, so that Wait may run while the
	// test still reads: Wait returns once the copy to pw is done.
	pr, pw := io.Pipe()
	p.cmd.Stdout = pw
	stdin, err := p.cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		err := p.cmd.Wait()
		pw.Close()
		p.code = exitCode(err)
		close(p.done)
	}()
	t.Cleanup(func() {
		pr.Close() // unblocks the copy if the test stopped reading
		if !p.exited() {
			p.cmd.Process.Kill() //nolint:errcheck // it may exit meanwhile
			<-p.done
		}
	})
	return stdioPipes{stdin: stdin, stdout: pr}
}

// TestStdioClientClosesStderr: a desktop client may close the server's
// stderr pipe before its stdin when it disconnects (mcp-go's own client
// closes stdin and stderr back to back). The server must still shut down
// cleanly with exit 0 rather than die of SIGPIPE while logging
// server_stopped, which skips closing the pool and the log file.
func TestStdioClientClosesStderr(t *testing.T) {
	t.Parallel()
	eachBinary(t, func(t *testing.T, name string) {
		db := migratedDB(t, name)
		errR, errW, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(binPath(name), "stdio", "--database-url", db)
		cmd.Env = cleanEnv()
		cmd.Stderr = errW
		stdin, err := cmd.StdinPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		errW.Close()
		done := make(chan struct{})
		var waitErr error
		go func() {
			waitErr = cmd.Wait()
			close(done)
		}()
		t.Cleanup(func() {
			cmd.Process.Kill() //nolint:errcheck // normally exited already
			<-done
		})

		started := make(chan struct{})
		go func() {
			sc := bufio.NewScanner(errR)
			for sc.Scan() {
				if strings.Contains(sc.Text(), `"event":"server_started"`) {
					close(started)
					return
				}
			}
		}()
		select {
		case <-started:
		case <-time.After(20 * time.Second):
			t.Fatal("no server_started on stderr within 20 s")
		}
		errR.Close() // the client goes away: stderr first, then stdin
		stdin.Close()
		select {
		case <-done:
			if code := exitCode(waitErr); code != 0 {
				t.Errorf("exit %d (%v) after the client closed stderr and stdin, want 0; a broken-pipe signal means the server died writing its log to the closed stderr (ignore SIGPIPE so the write just fails)", code, waitErr)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("still running 10 s after stdin closed")
		}
	})
}
