package realenvoy

import (
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"

	"github.com/gemini-code-api/gemini-code-api/e2e/envoyconfig"
)

// The test binary doubles as a stand-in "envoy" so Start's process handling
// (flags, admin address file, /ready, /listeners, cleanup) is exercised here,
// where no real Envoy exists. It speaks only the admin endpoints Start uses
// and proxies the listener to the gemini cluster's endpoint from the config.
const fakeEnvoyEnv = "REALENVOY_FAKE_ENVOY"

func TestMain(m *testing.M) {
	if v := os.Getenv(fakeEnvoyEnv); v != "" {
		os.Exit(fakeEnvoyMain(v, os.Args[1:]))
	}
	os.Exit(m.Run())
}

func fakeEnvoyMain(version string, args []string) int {
	fs := flag.NewFlagSet("envoy", flag.ContinueOnError)
	showVersion := fs.Bool("version", false, "")
	cfgPath := fs.String("c", "", "")
	adminPath := fs.String("admin-address-path", "", "")
	fs.String("concurrency", "", "")
	fs.String("log-level", "", "")
	fs.String("base-id", "", "")
	if err := fs.Parse(args); err != nil {
		return 1
	}
	if *showVersion {
		fmt.Printf("\nenvoy  version: 0123abcd/%s/Clean/RELEASE/BoringSSL\n\n", version)
		return 0
	}
	data, err := os.ReadFile(*cfgPath)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	b, err := envoyconfig.Parse(data)
	if err == nil {
		err = envoyconfig.Validate(b)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "fake envoy: bad config:", err)
		return 1
	}
	c, err := envoyconfig.Cluster(b, envoyconfig.ClusterName)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	sa := c.GetLoadAssignment().GetEndpoints()[0].GetLbEndpoints()[0].GetEndpoint().GetAddress().GetSocketAddress()
	target := &url.URL{Scheme: "http", Host: net.JoinHostPort(sa.GetAddress(), fmt.Sprint(sa.GetPortValue()))}

	var upstreamRq atomic.Int64
	proxy := httputil.NewSingleHostReverseProxy(target)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 1
	}
	go http.Serve(ln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		upstreamRq.Add(1)
		fmt.Printf("{\"method\":%q,\"path\":%q}\n", r.Method, r.URL.Path)
		proxy.ServeHTTP(w, r)
	}))
	port := ln.Addr().(*net.TCPAddr).Port

	admin := http.NewServeMux()
	admin.HandleFunc("/ready", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "LIVE\n") })
	admin.HandleFunc("/listeners", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, `{"listener_statuses":[{"name":"l","local_address":{"socket_address":{"address":"127.0.0.1","port_value":%d}}}]}`, port)
	})
	admin.HandleFunc("/stats", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "cluster.gemini.upstream_rq_total: %d\n", upstreamRq.Load())
	})
	aln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 1
	}
	go http.Serve(aln, admin)
	if err := os.WriteFile(*adminPath, []byte(aln.Addr().String()), 0o600); err != nil {
		return 1
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, os.Interrupt)
	<-sig
	return 0
}

func useFakeEnvoy(t *testing.T, version string) {
	t.Helper()
	if runtime.GOOS == "windows" {
		t.Skip("fake envoy uses SIGTERM")
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("ENVOY_BIN", exe)
	t.Setenv(fakeEnvoyEnv, version)
}

func TestStartSkipsOldEnvoy(t *testing.T) {
	useFakeEnvoy(t, "1.38.2")
	var skipped bool
	t.Run("start", func(st *testing.T) {
		defer func() { skipped = st.Skipped() }()
		Start(st, Options{UpstreamAddr: "127.0.0.1:1"})
	})
	if !skipped {
		t.Fatal("Start did not skip for Envoy 1.38.2")
	}
}

func TestStartPlumbingWithFakeEnvoy(t *testing.T) {
	useFakeEnvoy(t, "1.40.0")
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "upstream saw "+r.URL.Path)
	}))
	defer upstream.Close()
	wasm := filepath.Join(t.TempDir(), "x.wasm")
	if err := os.WriteFile(wasm, []byte("\x00asm\x01\x00\x00\x00"), 0o600); err != nil {
		t.Fatal(err)
	}

	e := Start(t, Options{WasmPath: wasm, PluginConfig: `{}`, UpstreamAddr: strings.TrimPrefix(upstream.URL, "http://")})
	if !strings.HasPrefix(e.URL(), "http://127.0.0.1:") || !strings.HasPrefix(e.AdminURL(), "http://127.0.0.1:") {
		t.Fatalf("URL %q, AdminURL %q", e.URL(), e.AdminURL())
	}
	resp, err := http.Get(e.URL() + "/v1/models")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(body) != "upstream saw /v1/models" {
		t.Errorf("through the listener: %q", body)
	}
	if s := e.Stats(); !strings.Contains(s, "cluster.gemini.upstream_rq_total: 1") {
		t.Errorf("stats = %q", s)
	}
	if !strings.Contains(e.AccessLog(), `"path":"/v1/models"`) {
		t.Errorf("access log = %q", e.AccessLog())
	}
}
