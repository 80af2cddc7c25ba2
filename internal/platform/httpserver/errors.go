package httpserver

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"

	"github.com/mcp-memory/servers/internal/apperr"
	"github.com/mcp-memory/servers/internal/platform/obs"
)

// statuses is the single table between error codes and HTTP statuses.
// Where two codes share a status, the first names it in codeForStatus.
var statuses = []struct {
	code   apperr.Code
	status int
}{
	{apperr.Validation, http.StatusBadRequest},
	{apperr.Unauthorized, http.StatusUnauthorized},
	{apperr.Forbidden, http.StatusForbidden},
	{apperr.NotFound, http.StatusNotFound},
	{apperr.VersionConflict, http.StatusConflict},
	{apperr.AlreadyExists, http.StatusConflict},
	{apperr.TooLarge, http.StatusRequestEntityTooLarge},
	{apperr.Unavailable, http.StatusServiceUnavailable},
	{apperr.Internal, http.StatusInternalServerError},
}

// statusOf returns the HTTP status of an error code; unknown codes are 500.
func statusOf(code apperr.Code) int {
	for _, e := range statuses {
		if e.code == code {
			return e.status
		}
	}
	return http.StatusInternalServerError
}

// codeForStatus names failures that did not come through writeError (for
// example a 400 written by the MCP library).
func codeForStatus(status int) apperr.Code {
	for _, e := range statuses {
		if e.status == status {
			return e.code
		}
	}
	if status >= 500 {
		return apperr.Internal
	}
	return apperr.Code(fmt.Sprintf("HTTP_%d", status))
}

// ErrorBody is the JSON error document of every REST route. Details is
// always sent, as {} when there are none, as docs/api.md shows it.
type ErrorBody struct {
	Error   apperr.Code    `json:"error"`
	Message string         `json:"message"`
	Details map[string]any `json:"details"`
}

// writeError writes err as an ErrorBody with its status. Internal errors
// are logged in full here, once, and shown to the client without their text.
func writeError(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
	code := apperr.CodeOf(err)
	body := ErrorBody{Error: code, Message: apperr.MessageOf(err), Details: map[string]any{}}
	if e, ok := apperr.As(err); ok {
		if e.Details != nil {
			body.Details = e.Details
		}
		if e.RetryAfter > 0 {
			w.Header().Set("Retry-After", strconv.Itoa(int((e.RetryAfter.Seconds())+0.999)))
		}
	}
	if code == apperr.Internal {
		log.ErrorContext(r.Context(), "internal_error", "error_details", map[string]any{"message": err.Error()})
		body.Message = "internal error; the server log has details under request_id " + obs.RequestIDFromContext(r.Context())
	}
	if code == apperr.Unavailable && w.Header().Get("Retry-After") == "" {
		w.Header().Set("Retry-After", "5")
	}
	setErrorCode(w, code)
	writeJSON(w, statusOf(code), body)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func notFound(r *http.Request) error {
	return apperr.New(apperr.NotFound, "no route %s %s; docs/api.md lists the routes", r.Method, r.URL.Path)
}

// unmatched answers requests that match no route with a JSON error: 405
// (with Allow) when the path exists for other methods, 404 otherwise.
// ServeMux already knows which; only its plain-text body is replaced.
func (s *Server) unmatched(mux *http.ServeMux) http.Handler {
	notFoundH := s.observe("not_found", slog.LevelInfo, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeError(w, r, s.deps.Logger, notFound(r))
	}))
	methodH := s.observe("method_not_allowed", slog.LevelInfo, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		setErrorCode(w, methodNotAllowed)
		writeJSON(w, http.StatusMethodNotAllowed, ErrorBody{Error: methodNotAllowed, Details: map[string]any{},
			Message: fmt.Sprintf("%s is not allowed on %s; allowed: %s", r.Method, r.URL.Path, w.Header().Get("Allow"))})
	}))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, pattern := mux.Handler(r); pattern != "" {
			mux.ServeHTTP(w, r)
			return
		}
		probe := &statusProbe{header: http.Header{}}
		mux.ServeHTTP(probe, r)
		if probe.status == http.StatusMethodNotAllowed {
			w.Header().Set("Allow", probe.header.Get("Allow"))
			methodH.ServeHTTP(w, r)
			return
		}
		notFoundH.ServeHTTP(w, r)
	})
}

// methodNotAllowed is the error code of a 405; it is HTTP-only, so it
// lives here rather than among the application codes.
const methodNotAllowed = "METHOD_NOT_ALLOWED"

// statusProbe captures what ServeMux would answer for an unmatched request.
type statusProbe struct {
	header http.Header
	status int
}

func (p *statusProbe) Header() http.Header         { return p.header }
func (p *statusProbe) Write(b []byte) (int, error) { return len(b), nil }
func (p *statusProbe) WriteHeader(status int)      { p.status = status }
