package compose_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mcp-memory/servers/internal/platform/dbtest"
	"github.com/mcp-memory/servers/migrations"
)

// The names docs/operations/nginx/mcp.conf serves.
var proxyNames = map[string]string{codebase: "codebase.mcp.example.com", workflow: "workflow.mcp.example.com"}

// nginxBin returns nginx (Debian package nginx); it skips without it,
// except under CI, where it is a failure.
func nginxBin(t *testing.T) string {
	t.Helper()
	for _, p := range []string{"nginx", "/usr/sbin/nginx"} {
		if path, err := exec.LookPath(p); err == nil {
			return path
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("nginx is not installed; CI must install the Debian package nginx")
	}
	t.Skip("nginx is not installed (apt-get install nginx)")
	return ""
}

// selfSigned writes a certificate for names and its key into dir and
// returns their paths and a pool that trusts it.
func selfSigned(t *testing.T, dir string, names ...string) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: names[0]},
		DNSNames:              names,
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kb, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600); err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}

// TestNginxReverseProxy runs docs/operations/nginx/mcp.conf, unchanged but
// for ports and certificate paths, in front of both servers (on loopback,
// with a token) and talks MCP through it over TLS: routing by name, the
// token passed through, the Host guard satisfied, SSE streamed unbuffered,
// and bodies up to the servers' own limit let through.
func TestNginxReverseProxy(t *testing.T) {
	bin := nginxBin(t)
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o755); err != nil { // nginx workers run as nobody
		t.Fatal(err)
	}
	certFile, keyFile, pool := selfSigned(t, dir, proxyNames[codebase], proxyNames[workflow])
	if err := os.Chmod(keyFile, 0o644); err != nil { // read by the master, but keep it simple for nobody too
		t.Fatal(err)
	}

	conf := string(readFile(t, "docs/operations/nginx/mcp.conf"))
	for _, name := range []string{codebase, workflow} {
		fsys := migrations.Codebase()
		if name == workflow {
			fsys = migrations.Workflow()
		}
		port := startTokenServer(t, name, dbtest.New(t, fsys))
		def := helpFlags(t, name, "serve")["port"].Default
		if !strings.Contains(conf, "server 127.0.0.1:"+def+";") {
			t.Fatalf("mcp.conf has no upstream 127.0.0.1:%s for %s", def, name)
		}
		conf = strings.ReplaceAll(conf, "server 127.0.0.1:"+def+";", "server 127.0.0.1:"+strconv.Itoa(port)+";")
	}
	proxyPort := dbtest.FreePort(t)
	for old, repl := range map[string]string{
		"listen 443 ssl;":                      "listen 127.0.0.1:" + strconv.Itoa(proxyPort) + " ssl;",
		"/etc/ssl/certs/mcp.example.com.pem":   certFile,
		"/etc/ssl/private/mcp.example.com.key": keyFile,
	} {
		if !strings.Contains(conf, old) {
			t.Fatalf("mcp.conf no longer contains %q", old)
		}
		conf = strings.ReplaceAll(conf, old, repl)
	}
	tmp := filepath.Join(dir, "tmp")
	if err := os.MkdirAll(tmp, 0o777); err != nil {
		t.Fatal(err)
	}
	os.Chmod(tmp, 0o777) //nolint:errcheck // best effort against the umask
	if err := os.WriteFile(filepath.Join(dir, "mcp.conf"), []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	main := `daemon off;
worker_processes 1;
pid ` + dir + `/nginx.pid;
error_log ` + dir + `/error.log warn;
events { worker_connections 64; }
http {
    access_log off;
    client_body_temp_path ` + tmp + `/body;
    proxy_temp_path ` + tmp + `/proxy;
    fastcgi_temp_path ` + tmp + `/fastcgi;
    uwsgi_temp_path ` + tmp + `/uwsgi;
    scgi_temp_path ` + tmp + `/scgi;
    include ` + dir + `/mcp.conf;
}
`
	mainConf := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(mainConf, []byte(main), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(bin, "-t", "-c", mainConf, "-e", dir+"/error.log").CombinedOutput(); err != nil {
		t.Fatalf("nginx -t: %v\n%s", err, out)
	}
	cmd := exec.Command(bin, "-c", mainConf, "-e", dir+"/error.log")
	var ngxOut syncBuffer
	cmd.Stdout, cmd.Stderr = &ngxOut, &ngxOut
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(os.Interrupt) //nolint:errcheck // SIGINT: fast shutdown
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }() //nolint:errcheck // stopping
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			cmd.Process.Kill() //nolint:errcheck // it did not stop
			<-done
		}
	})

	addr := "127.0.0.1:" + strconv.Itoa(proxyPort)
	client := &http.Client{
		Timeout: 10 * time.Second,
		Transport: &http.Transport{
			TLSClientConfig: &tls.Config{RootCAs: pool},
			// Resolve the example names to the proxy, as DNS would.
			DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
				return (&net.Dialer{}).DialContext(ctx, network, addr)
			},
		},
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("nginx not listening: %v\n%s\n%s", err, ngxOut.String(), readMaybe(dir+"/error.log"))
		}
		time.Sleep(50 * time.Millisecond)
	}

	for _, name := range []string{codebase, workflow} {
		base := "https://" + proxyNames[name] + ":" + strconv.Itoa(proxyPort)
		t.Run(name, func(t *testing.T) {
			if code, _ := do(t, client, "GET", base+"/health", "", nil); code != http.StatusOK {
				t.Errorf("GET /health through nginx: %d", code)
			}
			initBody := `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"nginx-test","version":"1"}}}`
			if code, _ := do(t, client, "POST", base+"/mcp", "", []byte(initBody)); code != http.StatusUnauthorized {
				t.Errorf("initialize without token through nginx: %d, want 401", code)
			}
			code, body := do(t, client, "POST", base+"/mcp", testToken, []byte(initBody))
			var res struct {
				Result struct {
					ServerInfo struct{ Name string } `json:"serverInfo"`
				} `json:"result"`
			}
			if code != http.StatusOK || json.Unmarshal(body, &res) != nil || res.Result.ServerInfo.Name != name {
				t.Errorf("initialize with token through nginx: %d %s, want 200 from %s", code, body, name)
			}
			// 3 MiB is under the servers' 4 MiB limit: nginx must pass it on,
			// and the answer must be the server's JSON, not nginx's 413 page.
			big := append(append([]byte(`{"jsonrpc":"2.0","id":2,"method":"ping","params":{"pad":"`), bytes.Repeat([]byte("x"), 3<<20)...), []byte(`"}}`)...)
			if code, body := do(t, client, "POST", base+"/mcp", testToken, big); code == http.StatusRequestEntityTooLarge && !json.Valid(body) {
				t.Errorf("a 3 MiB body got nginx's own 413: client_max_body_size is below the servers' limit")
			}

			// SSE: the endpoint event must arrive while the stream stays open.
			req, _ := http.NewRequest(http.MethodGet, base+"/sse", nil)
			req.Header.Set("Authorization", "Bearer "+testToken)
			req.Header.Set("Accept", "text/event-stream")
			resp, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			got := make(chan string, 1)
			go func() {
				sc := bufio.NewScanner(resp.Body)
				for sc.Scan() {
					if strings.HasPrefix(sc.Text(), "event: endpoint") {
						got <- sc.Text()
						return
					}
				}
				got <- ""
			}()
			select {
			case line := <-got:
				if line == "" || resp.StatusCode != http.StatusOK {
					t.Errorf("GET /sse through nginx: %d, no endpoint event", resp.StatusCode)
				}
			case <-time.After(5 * time.Second):
				t.Error("GET /sse through nginx: no endpoint event within 5 s (is proxy_buffering off?)")
			}
		})
	}
}

func readMaybe(path string) string {
	b, _ := os.ReadFile(path)
	return string(b)
}

// do sends a request (with the bearer token when token is set) and returns
// the status and body.
func do(t *testing.T, c *http.Client, method, url, token string, body []byte) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json, text/event-stream")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// startTokenServer runs name serve on loopback with the test token over db
// (and args) and returns its port once /health answers.
func startTokenServer(t *testing.T, name, db string, args ...string) int {
	t.Helper()
	port := dbtest.FreePort(t)
	var stderr syncBuffer
	cmd := exec.Command(filepath.Join(binDir, name), append([]string{"serve", "--port", strconv.Itoa(port), "--database-url", db, "--auth-token", testToken}, args...)...)
	cmd.Env, cmd.Stderr = baseEnv(), &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill() //nolint:errcheck // it may have exited
		cmd.Wait()         //nolint:errcheck // killed
	})
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := http.Get("http://127.0.0.1:" + strconv.Itoa(port) + "/health")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return port
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s not healthy within 20 s: %v\n%s", name, err, stderr.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}
