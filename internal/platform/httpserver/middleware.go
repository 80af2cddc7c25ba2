package httpserver

import (
	"bytes"
	"crypto/subtle"
	"fmt"
	"io"
	"log/slog"
	"net/http"
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
// latency_ms, outcome), records the request metrics and warns about slow
// operations, under operation, a name from a closed set. It is the only
// place HTTP requests are logged and counted: an MCP tool call inside the
// request claims the request's [obs.Op], and the line then carries the
// tool's name and error code (see obs.Op for the rule).
func (s *Server) observe(operation string, level slog.Level, next http.Handler) http.Handler {
	s.deps.Metrics.Init(operation)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &recorder{ResponseWriter: w}
		ctx, op := obs.NewContextWithOp(r.Context())
		s.recoverPanics(next).ServeHTTP(rec, r.WithContext(ctx))
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
		name := operation
		logCtx := map[string]any{"method": r.Method, "path": r.URL.Path, "status": status}
		if tool, err, claimed := op.Finish(); claimed {
			name = tool
			logCtx["transport"] = operation
			if err != nil && code == "" {
				code = apperr.CodeOf(err)
			}
		}
		s.deps.Metrics.Observe(name, elapsed.Seconds(), string(code))
		obs.LogIfSlow(r.Context(), s.deps.Logger, name, elapsed)
		attrs := []any{
			"operation_name", name,
			"latency_ms", float64(elapsed.Microseconds()) / 1000,
			"outcome", obs.OutcomeSuccess,
			"context", logCtx,
		}
		if code != "" {
			attrs[5] = obs.OutcomeFailure
			attrs = append(attrs, "error_details", map[string]any{"code": code})
			if level < slog.LevelInfo {
				level = slog.LevelInfo
			}
			if status >= 500 || code == apperr.Internal {
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
// Content-Length says so; a body of unknown length (chunked) is read here,
// up to the limit, so that every handler, mcp-go's included, sees a body
// of known size and an oversized one is a 413, not the handler's 400.
func (s *Server) limitBody(next http.Handler) http.Handler {
	reject := s.observe("body_too_large", slog.LevelInfo, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeError(w, r, s.deps.Logger, tooLarge(s.cfg.MaxBodyBytes))
	}))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > s.cfg.MaxBodyBytes {
			reject.ServeHTTP(w, r)
			return
		}
		if r.ContentLength < 0 {
			body, err := io.ReadAll(io.LimitReader(r.Body, s.cfg.MaxBodyBytes+1))
			if err == nil && int64(len(body)) > s.cfg.MaxBodyBytes {
				reject.ServeHTTP(w, r)
				return
			}
			if err != nil {
				writeError(w, r, s.deps.Logger, apperr.Wrap(err, apperr.Validation, "could not read the request body"))
				return
			}
			r.Body, r.ContentLength = io.NopCloser(bytes.NewReader(body)), int64(len(body))
			r.TransferEncoding = nil
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
