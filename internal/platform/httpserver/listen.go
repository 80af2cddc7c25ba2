package httpserver

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// PortInUseError reports that the address is already bound, and by whom
// when /proc tells.
type PortInUseError struct {
	Addr    string
	Port    int
	PID     int    // 0 when unknown
	Command string // the holder's command name, when known
	Err     error
}

func (e *PortInUseError) Error() string {
	who := "another process"
	if e.PID > 0 {
		who = fmt.Sprintf("process %d", e.PID)
		if e.Command != "" {
			who = fmt.Sprintf("process %d (%s)", e.PID, e.Command)
		}
	}
	return fmt.Sprintf("port %d is already in use by %s (listening on %s); stop that process or change --port / PORT", e.Port, who, e.Addr)
}

func (e *PortInUseError) Unwrap() error { return e.Err }

// Listen binds host:port. A port that is taken comes back as a
// *PortInUseError naming the process holding it when it can be found.
func Listen(host string, port int) (net.Listener, error) {
	addr := net.JoinHostPort(host, strconv.Itoa(port))
	ln, err := net.Listen("tcp", addr)
	if err == nil {
		return ln, nil
	}
	if errors.Is(err, syscall.EADDRINUSE) {
		e := &PortInUseError{Addr: addr, Port: port, Err: err}
		e.PID, e.Command = portHolder(port)
		return nil, e
	}
	return nil, fmt.Errorf("listen on %s: %w", addr, err)
}

// portHolder finds the process listening on port by matching the socket
// inode from /proc/net/tcp{,6} against /proc/*/fd. It returns 0 when the
// socket belongs to a process this user cannot inspect.
func portHolder(port int) (int, string) {
	inodes := map[string]bool{}
	for _, f := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		for _, ino := range listeningInodes(f, port) {
			inodes[ino] = true
		}
	}
	if len(inodes) == 0 {
		return 0, ""
	}
	procs, _ := filepath.Glob("/proc/[0-9]*")
	for _, p := range procs {
		fds, err := os.ReadDir(filepath.Join(p, "fd"))
		if err != nil {
			continue
		}
		for _, fd := range fds {
			link, err := os.Readlink(filepath.Join(p, "fd", fd.Name()))
			if err != nil || !strings.HasPrefix(link, "socket:[") {
				continue
			}
			if inodes[strings.TrimSuffix(strings.TrimPrefix(link, "socket:["), "]")] {
				pid, _ := strconv.Atoi(filepath.Base(p))
				comm, _ := os.ReadFile(filepath.Join(p, "comm"))
				return pid, strings.TrimSpace(string(comm))
			}
		}
	}
	return 0, ""
}

// listeningInodes returns the inodes of sockets in LISTEN state (0A) on
// port in a /proc/net/tcp-format file.
func listeningInodes(file string, port int) []string {
	f, err := os.Open(file)
	if err != nil {
		return nil
	}
	defer f.Close()
	want := fmt.Sprintf(":%04X", port)
	var out []string
	sc := bufio.NewScanner(f)
	sc.Scan() // header
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 10 || fields[3] != "0A" || !strings.HasSuffix(fields[1], want) {
			continue
		}
		out = append(out, fields[9])
	}
	return out
}
