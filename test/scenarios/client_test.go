//go:build scenarios

package scenarios_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

var httpClient = &http.Client{Timeout: 60 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 64}}

// reply is one REST answer.
type reply struct {
	Status int
	Header http.Header
	Body   []byte
	JSON   map[string]any
	Took   time.Duration
	Err    error // transport error (no answer)
}

// do sends method url with body (nil: none) marshalled as JSON.
func do(method, u string, body any) reply {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return reply{Err: err}
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, u, rd)
	if err != nil {
		return reply{Err: err}
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	start := time.Now()
	resp, err := httpClient.Do(req)
	if err != nil {
		return reply{Err: err, Took: time.Since(start)}
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	r := reply{Status: resp.StatusCode, Header: resp.Header, Body: b, Took: time.Since(start), Err: err}
	json.Unmarshal(b, &r.JSON) //nolint:errcheck // not every answer is an object
	return r
}

// describe names a request and its answer for failure messages; a 404
// "no route" says the route is not served yet.
func (r reply) describe(method, u string) string {
	if r.Err != nil {
		return fmt.Sprintf("%s %s: no answer: %v", method, u, r.Err)
	}
	msg := fmt.Sprintf("%s %s: %d %s", method, u, r.Status, tail(string(r.Body), 600))
	if r.Status == http.StatusNotFound && strings.Contains(string(r.Body), "no route") {
		msg += "\n  => this route of docs/api.md / CONTRACT.md is not served by this build yet"
	}
	return msg
}

// call sends a request and fails the test unless the status is want.
func call(tb testing.TB, want int, method, u string, body any) map[string]any {
	tb.Helper()
	r := do(method, u, body)
	if r.Err != nil || r.Status != want {
		tb.Fatalf("want %d: %s", want, r.describe(method, u))
	}
	if r.JSON == nil {
		tb.Fatalf("answer is not a JSON object: %s", r.describe(method, u))
	}
	return r.JSON
}

// str, num, list and obj read fields of decoded JSON; the bool says the
// field was there with that type.
func str(m map[string]any, k string) string {
	s, _ := m[k].(string)
	return s
}

func num(m map[string]any, k string) float64 {
	f, _ := m[k].(float64)
	return f
}

func list(m map[string]any, k string) []any {
	l, _ := m[k].([]any)
	return l
}

func obj(v any) map[string]any {
	m, _ := v.(map[string]any)
	return m
}

func strs(v []any) []string {
	out := make([]string, 0, len(v))
	for _, x := range v {
		if s, ok := x.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

func contains(xs []string, s string) bool {
	for _, x := range xs {
		if x == s {
			return true
		}
	}
	return false
}

func query(kv ...string) string {
	v := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] != "" {
			v.Set(kv[i], kv[i+1])
		}
	}
	return "?" + v.Encode()
}
