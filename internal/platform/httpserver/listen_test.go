package httpserver_test

import (
	"errors"
	"net"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/mcp-memory/servers/internal/platform/httpserver"
)

func TestListen(t *testing.T) {
	ln, err := httpserver.Listen("127.0.0.1", 0)
	if err != nil {
		t.Fatalf("Listen on a free port: %v", err)
	}
	defer ln.Close()
	addr, ok := ln.Addr().(*net.TCPAddr)
	if !ok || addr.Port == 0 || !addr.IP.IsLoopback() {
		t.Errorf("listening on %v, want a loopback address with a real port", ln.Addr())
	}
}

func TestListen_PortInUse(t *testing.T) {
	tests := []struct {
		name string
		hold string // address the test process holds
		host string // host Listen is asked for
	}{
		{"same loopback address", "127.0.0.1:0", "127.0.0.1"},
		{"held on all interfaces", "0.0.0.0:0", "127.0.0.1"},
		{"held on IPv6 any", "[::]:0", "127.0.0.1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			held, err := net.Listen("tcp", tc.hold)
			if err != nil {
				t.Skipf("cannot hold %s here: %v", tc.hold, err)
			}
			defer held.Close()
			port := held.Addr().(*net.TCPAddr).Port

			ln, err := httpserver.Listen(tc.host, port)
			if err == nil {
				ln.Close()
				t.Fatal("Listen on a held port succeeded")
			}
			var pe *httpserver.PortInUseError
			if !errors.As(err, &pe) {
				t.Fatalf("err = %v (%T), want *PortInUseError", err, err)
			}
			if !errors.Is(err, syscall.EADDRINUSE) {
				t.Errorf("err does not wrap EADDRINUSE: %v", err)
			}
			if pe.Port != port {
				t.Errorf("Port = %d, want %d", pe.Port, port)
			}
			if pe.PID != os.Getpid() {
				t.Errorf("PID = %d, want this test process %d (it holds the listener)", pe.PID, os.Getpid())
			}
			msg := err.Error()
			for _, want := range []string{
				strconv.Itoa(port),
				strconv.Itoa(os.Getpid()),
				"stop that process or change --port / PORT",
			} {
				if !strings.Contains(msg, want) {
					t.Errorf("message %q lacks %q", msg, want)
				}
			}
		})
	}
}

func TestPortInUseError_Error(t *testing.T) {
	tests := []struct {
		name    string
		err     httpserver.PortInUseError
		want    []string
		wantNot []string
	}{
		{"unknown holder", httpserver.PortInUseError{Addr: "127.0.0.1:8020", Port: 8020},
			[]string{"port 8020", "another process", "127.0.0.1:8020", "stop that process or change --port / PORT"}, []string{"process 0"}},
		{"pid only", httpserver.PortInUseError{Addr: "127.0.0.1:8010", Port: 8010, PID: 4242},
			[]string{"port 8010", "process 4242", "stop that process or change --port / PORT"}, []string{"()"}},
		{"pid and command", httpserver.PortInUseError{Addr: "0.0.0.0:8020", Port: 8020, PID: 77, Command: "codebase-mcp"},
			[]string{"process 77 (codebase-mcp)", "stop that process or change --port / PORT"}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			msg := tc.err.Error()
			for _, w := range tc.want {
				if !strings.Contains(msg, w) {
					t.Errorf("%q lacks %q", msg, w)
				}
			}
			for _, w := range tc.wantNot {
				if strings.Contains(msg, w) {
					t.Errorf("%q contains %q", msg, w)
				}
			}
		})
	}
}

func TestListen_OtherErrorsAreNotPortInUse(t *testing.T) {
	_, err := httpserver.Listen("256.0.0.1", 0)
	if err == nil {
		t.Fatal("Listen on an invalid host succeeded")
	}
	var pe *httpserver.PortInUseError
	if errors.As(err, &pe) {
		t.Errorf("err = %v, want an error other than PortInUseError", err)
	}
	if !strings.Contains(err.Error(), "256.0.0.1") {
		t.Errorf("err %q does not name the address", err)
	}
}
