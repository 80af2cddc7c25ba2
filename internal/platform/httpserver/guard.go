package httpserver

import (
	"fmt"
	"mime"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"

	"github.com/mcp-memory/servers/internal/apperr"
)

// guard protects a route that acts for the caller (MCP and REST) from web
// pages in the user's browser: the Host check stops DNS rebinding, the
// Origin check stops cross-site requests. Both answer with the JSON error
// envelope.
func guard(next http.Handler) http.Handler { return checkHost(checkOrigin(next)) }

// checkHost refuses requests that arrived on a loopback address but name
// another host: a page on evil.example whose name was rebound to 127.0.0.1
// sends "Host: evil.example". (mcp-go's own check is turned off in favour
// of this one, which covers every route and answers in JSON.)
func checkHost(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		local, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr)
		if ok && local != nil && IsLoopbackHost(local.String()) && !IsLoopbackHost(r.Host) {
			forbid(w, fmt.Sprintf("Host %q is not allowed on a server bound to loopback (DNS rebinding protection); use localhost or 127.0.0.1", r.Host))
			return
		}
		next.ServeHTTP(w, r)
	})
}

// checkOrigin rejects browser requests from other sites: an Origin header,
// when present, must name a loopback host or the host the request was
// sent to.
func checkOrigin(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		origin := r.Header.Get("Origin")
		if origin != "" && !originAllowed(origin, r.Host) {
			forbid(w, fmt.Sprintf("origin %q may not call this server; only local clients or the server's own host may", origin))
			return
		}
		next.ServeHTTP(w, r)
	})
}

func forbid(w http.ResponseWriter, msg string) {
	setErrorCode(w, apperr.Forbidden)
	writeJSON(w, http.StatusForbidden, ErrorBody{Error: apperr.Forbidden, Message: msg, Details: map[string]any{}})
}

func originAllowed(origin, host string) bool {
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" {
		return false
	}
	if IsLoopbackHost(u.Host) {
		return true
	}
	reqHost, _, err := net.SplitHostPort(host)
	if err != nil {
		reqHost = host
	}
	return strings.EqualFold(u.Hostname(), reqHost)
}

// IsLoopbackHost reports whether host (a name or IP, with or without a
// port) is localhost or a loopback address.
func IsLoopbackHost(host string) bool {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.Trim(host, "[]")
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.IsLoopback()
}

// unsupportedMediaType is the error code of a 415; HTTP-only like 405.
const unsupportedMediaType = "UNSUPPORTED_MEDIA_TYPE"

// requireJSON answers 415 to a REST request whose body is not declared as
// JSON. Besides catching client mistakes, it keeps HTML forms out: a form
// can send text/plain or urlencoded bodies cross-site without a preflight,
// never application/json.
func requireJSON(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength != 0 {
			mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
			if err != nil || !(mt == "application/json" || strings.HasSuffix(mt, "+json")) {
				setErrorCode(w, unsupportedMediaType)
				writeJSON(w, http.StatusUnsupportedMediaType, ErrorBody{Error: unsupportedMediaType, Details: map[string]any{},
					Message: fmt.Sprintf("request body must be JSON: send Content-Type: application/json (got %q)", r.Header.Get("Content-Type"))})
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}
