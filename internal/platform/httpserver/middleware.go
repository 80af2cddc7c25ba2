package httpserver

import (
	"crypto/subtle"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"time"

	"github.com/mcp-memory/servers/internal/apperr"
	"github.com/mcp-memory/servers/internal/platform/obs"
)

// recorder remembers the status and error code of a response. It keeps
// Flush working (SSE needs it) and unwraps for http.ResponseController.
type recorder struct {
	http.ResponseWriter
	status int
	code   apperr.Code
}

func (r *recorder) WriteHeader(status int) {
	if r.status == 0 {
		r.status = status
	}
	r.ResponseWriter.WriteHeader(status)
}

func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.ResponseWriter.Write(b)
}

func (r *recorder) Flush() {
	if f, ok := r.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// setErrorCode tells the observing middleware which code a failure had.
func setErrorCode(w http.ResponseWriter, code apperr.Code) {
	for {
		if rec, ok := w.(*recorder); ok {
			rec.code = code
			return
		}
		u, ok := w.(interface{ Unwrap() http.ResponseWriter })
		if !ok {
			return
		}
		w = u.Unwrap()
	}
}

// observe logs one line per request (request_id, operation_name,
// latency_ms, outcome) and records the request metrics under operation,
// a name from a closed set.
func (s *Server) observe(operation string, level slog.Level, next http.Handler) http.Handler {
	s.deps.Metrics.Init(operation)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &recorder{ResponseWriter: w}
		s.recoverPanics(next).ServeHTTP(rec, r)
		elapsed := time.Since(start)
		status := rec.status
		if status == 0 {
			status = http.StatusOK
		}
		var code apperr.Code
		if status >= 400 {
			code = rec.code
			if code == "" {
				code = codeForStatus(status)
			}
		}
		s.deps.Metrics.Observe(operation, elapsed.Seconds(), string(code))
		attrs := []any{
			"operation_name", operation,
			"latency_ms", float64(elapsed.Microseconds()) / 1000,
			"outcome", obs.OutcomeSuccess,
			"context", map[string]any{"method": r.Method, "path": r.URL.Path, "status": status},
		}
		if code != "" {
			attrs[5] = obs.OutcomeFailure
			attrs = append(attrs, "error_details", map[string]any{"code": code})
			if level < slog.LevelInfo {
				level = slog.LevelInfo
			}
			if status >= 500 {
				level = slog.LevelWarn
			}
		}
		s.deps.Logger.Log(r.Context(), level, "http_request", attrs...)
	})
}

// requestID takes X-Request-ID from the client when it is sane, makes one
// otherwise, echoes it in the response and puts it in the context.
func (s *Server) requestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get("X-Request-ID")
		if !saneRequestID(id) {
			id = obs.NewRequestID()
		}
		w.Header().Set("X-Request-ID", id)
		next.ServeHTTP(w, r.WithContext(obs.NewContextWithRequestID(r.Context(), id)))
	})
}

func saneRequestID(id string) bool {
	if id == "" || len(id) > 128 {
		return false
	}
	for _, c := range id {
		if c < 0x21 || c > 0x7e {
			return false
		}
	}
	return true
}

// authenticate requires the bearer token, when one is configured, on every
// route but /health (which load balancers and probes call without one).
func (s *Server) authenticate(next http.Handler) http.Handler {
	if s.cfg.AuthToken == "" {
		return next
	}
	want := []byte(s.cfg.AuthToken)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// The scheme name is case-insensitive (RFC 9110 §11.1); the token is not.
		scheme, token, _ := strings.Cut(r.Header.Get("Authorization"), " ")
		ok := strings.EqualFold(scheme, "Bearer") && subtle.ConstantTimeCompare([]byte(strings.TrimSpace(token)), want) == 1
		if r.URL.Path != "/health" && !ok {
			w.Header().Set("WWW-Authenticate", `Bearer realm="mcp"`)
			s.observe("unauthorized", slog.LevelInfo, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				writeError(w, r, s.deps.Logger, apperr.New(apperr.Unauthorized,
					"missing or wrong bearer token; send the header \"Authorization: Bearer <token>\" with the server's --auth-token"))
			})).ServeHTTP(w, r)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// limitBody rejects bodies over MaxBodyBytes with 413: at once when
// Content-Length says so, otherwise when the handler reads past the limit.
func (s *Server) limitBody(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > s.cfg.MaxBodyBytes {
			s.observe("body_too_large", slog.LevelInfo, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				writeError(w, r, s.deps.Logger, tooLarge(s.cfg.MaxBodyBytes))
			})).ServeHTTP(w, r)
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, s.cfg.MaxBodyBytes)
		next.ServeHTTP(w, r)
	})
}

func tooLarge(limit int64) error {
	return apperr.New(apperr.TooLarge, "request body is larger than the %d-byte limit", limit)
}

// recoverPanics turns a handler panic into a logged 500.
func (s *Server) recoverPanics(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				writeError(w, r, s.deps.Logger, fmt.Errorf("panic: %v", v))
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// checkOrigin rejects browser requests from other sites to the MCP
// endpoints (DNS rebinding, drive-by requests): an Origin header, when
// present, must name a loopback host or the host the request was sent to.
func checkOrigin(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		origin := r.Header.Get("Origin")
		if origin != "" && !originAllowed(origin, r.Host) {
			setErrorCode(w, apperr.Forbidden)
			writeJSON(w, http.StatusForbidden, ErrorBody{Error: apperr.Forbidden,
				Message: fmt.Sprintf("origin %q may not call this MCP endpoint; only local clients or the server's own host may", origin),
				Details: map[string]any{}})
			return
		}
		next.ServeHTTP(w, r)
	})
}

func originAllowed(origin, host string) bool {
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" {
		return false
	}
	oh := u.Hostname()
	if strings.EqualFold(oh, "localhost") {
		return true
	}
	if ip, err := netip.ParseAddr(oh); err == nil && ip.IsLoopback() {
		return true
	}
	reqHost, _, err := net.SplitHostPort(host)
	if err != nil {
		reqHost = host
	}
	return strings.EqualFold(oh, reqHost)
}
