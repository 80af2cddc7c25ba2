package mcpserver

import (
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
)

// Defaults for Streamable HTTP sessions. Each live session costs mcp-go
// some kilobytes; 20,000 undeleted sessions (clients that never send
// DELETE) once grew the process by 270 MB, so sessions are both capped and
// ended when idle.
const (
	DefaultSessionIdleTTL = 10 * time.Minute
	DefaultMaxSessions    = 1000
)

const sessionPrefix = "mcp-session-"

// sessionLimiter is mcp-go's SessionIdManager. It knows every live session
// and when it was last used, so that the number of live sessions is
// bounded: a new session beyond max ends the least recently used one.
type sessionLimiter struct {
	max int
	log *slog.Logger
	// evict ends a session inside mcp-go (its transport state included);
	// set once the Streamable HTTP server exists.
	evict func(id string)

	mu   sync.Mutex
	live map[string]time.Time
}

func newSessionLimiter(max int, log *slog.Logger) *sessionLimiter {
	return &sessionLimiter{max: max, log: log, live: map[string]time.Time{}}
}

// Generate implements server.SessionIdManager.
func (l *sessionLimiter) Generate() string {
	id := sessionPrefix + uuid.NewString()
	l.mu.Lock()
	var victim string
	if len(l.live) >= l.max {
		oldest := time.Time{}
		for sid, t := range l.live {
			if victim == "" || t.Before(oldest) {
				victim, oldest = sid, t
			}
		}
		delete(l.live, victim)
	}
	l.live[id] = time.Now()
	l.mu.Unlock()
	if victim != "" && l.evict != nil {
		l.log.Debug("mcp_session_evicted", "context", map[string]any{"max_sessions": l.max})
		l.evict(victim)
	}
	return id
}

// Validate implements server.SessionIdManager. An id that is well formed
// but not live (ended, idle too long, evicted, or from before a restart)
// counts as terminated, which mcp-go answers with 404: the client's cue
// to initialize a new session.
func (l *sessionLimiter) Validate(id string) (isTerminated bool, err error) {
	if !strings.HasPrefix(id, sessionPrefix) || uuid.Validate(id[len(sessionPrefix):]) != nil {
		return false, fmt.Errorf("invalid session id %q", id)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, ok := l.live[id]; !ok {
		return true, nil
	}
	l.live[id] = time.Now()
	return false, nil
}

// Terminate implements server.SessionIdManager (DELETE, idle sweeper).
func (l *sessionLimiter) Terminate(id string) (isNotAllowed bool, err error) {
	l.mu.Lock()
	delete(l.live, id)
	l.mu.Unlock()
	return false, nil
}

// Len returns the number of live sessions.
func (l *sessionLimiter) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.live)
}

// endSession returns a function that ends a session the way a client's
// DELETE does, which is the only way to make mcp-go drop all of a
// session's state.
func endSession(h http.Handler) func(id string) {
	return func(id string) {
		r := httptest.NewRequest(http.MethodDelete, "/mcp", nil)
		r.Header.Set("Mcp-Session-Id", id)
		h.ServeHTTP(httptest.NewRecorder(), r)
	}
}

// LiveSessions returns the number of live Streamable HTTP sessions.
func (s *Server) LiveSessions() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.sessions == nil {
		return 0
	}
	return s.sessions.Len()
}
