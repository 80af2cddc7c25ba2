package httpserver_test

import (
	"bufio"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// rawRequest writes req on a new TCP connection to srv, closes the
// connection's write side (the client is gone mid-body) and reads the
// response.
func rawRequest(tb testing.TB, srv *httptest.Server, req string) (*http.Response, map[string]any) {
	tb.Helper()
	conn, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		tb.Fatal(err)
	}
	defer conn.Close()
	if err := conn.SetDeadline(time.Now().Add(10 * time.Second)); err != nil {
		tb.Fatal(err)
	}
	if _, err := io.WriteString(conn, req); err != nil {
		tb.Fatal(err)
	}
	if err := conn.(*net.TCPConn).CloseWrite(); err != nil {
		tb.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		tb.Fatalf("read response: %v", err)
	}
	defer resp.Body.Close()
	var body map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		tb.Fatalf("response body: %v", err)
	}
	return resp, body
}

// TestREST_BrokenRequestBody sends bodies the server cannot read to the
// end over a real connection: a malformed chunked body and a body shorter
// than its Content-Length. Each gets a 400 VALIDATION_ERROR saying the
// body could not be read.
func TestREST_BrokenRequestBody(t *testing.T) {
	f := newFixture(t)
	srv := httptest.NewServer(f.h)
	t.Cleanup(srv.Close)
	head := "POST /mcp/things HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nConnection: close\r\n"
	tests := map[string]string{
		"malformed chunk":  head + "Transfer-Encoding: chunked\r\n\r\n5\r\n{\"nam\r\nzz\r\n",
		"short of length":  head + "Content-Length: 50\r\n\r\n{\"name\": \"x\"",
		"chunked cut off":  head + "Transfer-Encoding: chunked\r\n\r\n5\r\n{\"nam\r\n",
		"length, no bytes": head + "Content-Length: 10\r\n\r\n",
	}
	for name, req := range tests {
		t.Run(name, func(t *testing.T) {
			resp, body := rawRequest(t, srv, req)
			msg, _ := body["message"].(string)
			if resp.StatusCode != http.StatusBadRequest || body["error"] != "VALIDATION_ERROR" ||
				!strings.Contains(msg, "could not read the request body") {
				t.Errorf("status %d, body %v; want 400 VALIDATION_ERROR about the request body", resp.StatusCode, body)
			}
		})
	}
}
