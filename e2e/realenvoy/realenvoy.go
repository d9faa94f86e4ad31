// Package realenvoy runs the Wasm filter inside a real Envoy process for
// end-to-end tests.
//
// The Envoy config is derived from the repository's envoy.yaml (same
// listener, HTTP filters, routes and access log), changed only where a test
// needs it: loopback listener and admin on free ports, the gemini cluster
// pointed at a local plain-HTTP fake, an absolute path to the Wasm module and
// the test's plugin configuration.
//
// The envoy binary comes from $ENVOY_BIN or PATH; without one (or with one
// older than MinEnvoy) the tests are skipped. `make e2e-envoy` provides one.
package realenvoy

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	bootstrapv3 "github.com/envoyproxy/go-control-plane/envoy/config/bootstrap/v3"
	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	wasmfilterv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/wasm/v3"
	httpv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/upstreams/http/v3"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/gemini-code-api/gemini-code-api/e2e/envoyconfig"
)

// MinEnvoy is the oldest Envoy that can run the module: older releases lack
// WASI calls the Go wasip1 runtime makes at start-up (golang/go#78513).
var MinEnvoy = [3]int{1, 39, 0}

// SkipNoEnvoy is the skip message when no envoy binary is available.
const SkipNoEnvoy = "real Envoy tests need an envoy binary (>= 1.39) on PATH or ENVOY_BIN; none found here — run `make e2e-envoy` on a machine with Envoy"

// Options configures Start.
type Options struct {
	// WasmPath is the module to load; default <repo>/dist/gemini-code-api.wasm.
	WasmPath string
	// PluginConfig is the plugin's JSON configuration; "" keeps envoy.yaml's.
	PluginConfig string
	// UpstreamAddr is host:port of the plain-HTTP (HTTP/1.1) fake Gemini that
	// replaces generativelanguage.googleapis.com, e.g. "127.0.0.1:41234".
	UpstreamAddr string
}

// Envoy is a running Envoy process; it is stopped by the test's cleanup.
type Envoy struct {
	t        testing.TB
	url      string
	adminURL string
	stdout   string // access log (envoy.access_loggers.stdout)
	stderr   string // Envoy's own log
}

// URL is the base URL of the listener, e.g. "http://127.0.0.1:43210".
func (e *Envoy) URL() string { return e.url }

// AdminURL is the base URL of the admin interface.
func (e *Envoy) AdminURL() string { return e.adminURL }

// Stats returns the admin /stats text ("name: value" lines).
func (e *Envoy) Stats() string { return e.admin("/stats") }

// PrometheusStats returns the admin /stats/prometheus text.
func (e *Envoy) PrometheusStats() string { return e.admin("/stats/prometheus") }

// admin returns the text of an admin endpoint; a failure is the test's.
func (e *Envoy) admin(path string) string {
	e.t.Helper()
	s, err := httpGet(e.adminURL + path)
	if err != nil {
		e.t.Errorf("envoy admin %s: %v", path, err)
	}
	return s
}

// AccessLog returns what Envoy has written to stdout so far: the JSON access
// log lines. Entries are written when a request completes (Envoy may buffer
// them briefly).
func (e *Envoy) AccessLog() string {
	b, _ := os.ReadFile(e.stdout)
	return string(b)
}

// Log returns Envoy's own log (stderr) so far.
func (e *Envoy) Log() string {
	b, _ := os.ReadFile(e.stderr)
	return string(b)
}

// Start launches Envoy with the filter and waits until it is ready. It skips
// the test when no suitable envoy binary exists.
func Start(t testing.TB, opts Options) *Envoy {
	t.Helper()
	bin := findEnvoy(t)
	checkVersion(t, bin)

	if opts.UpstreamAddr == "" {
		t.Fatal("realenvoy: Options.UpstreamAddr is required")
	}
	root, err := envoyconfig.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	wasm := opts.WasmPath
	if wasm == "" {
		wasm = filepath.Join(root, "dist", "gemini-code-api.wasm")
	}
	if wasm, err = filepath.Abs(wasm); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(wasm); err != nil {
		t.Fatalf("realenvoy: Wasm module not found (%v); build it first (make build)", err)
	}

	base, err := envoyconfig.Load(filepath.Join(root, "envoy.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := deriveConfig(base, wasm, opts.PluginConfig, opts.UpstreamAddr)
	if err != nil {
		t.Fatal(err)
	}
	if err := envoyconfig.Validate(cfg); err != nil {
		t.Fatalf("realenvoy: derived config: %v", err)
	}
	data, err := envoyconfig.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}

	dir := t.TempDir()
	e := &Envoy{
		t:      t,
		stdout: filepath.Join(dir, "access.log"),
		stderr: filepath.Join(dir, "envoy.log"),
	}
	cfgPath := filepath.Join(dir, "envoy.json")
	adminPath := filepath.Join(dir, "admin-address")
	if err := os.WriteFile(cfgPath, data, 0o600); err != nil {
		t.Fatal(err)
	}
	outF, err := os.Create(e.stdout)
	if err != nil {
		t.Fatal(err)
	}
	errF, err := os.Create(e.stderr)
	if err != nil {
		t.Fatal(err)
	}

	cmd := exec.Command(bin,
		"-c", cfgPath,
		"--concurrency", "2",
		"--log-level", "warn",
		// A random base id keeps concurrent Envoys (parallel test packages)
		// from colliding on hot-restart shared memory.
		"--base-id", strconv.Itoa(1000+rand.IntN(1<<20)),
		"--admin-address-path", adminPath,
	)
	cmd.Dir = root
	cmd.Stdout = outF
	cmd.Stderr = errF
	if err := cmd.Start(); err != nil {
		t.Fatalf("realenvoy: starting %s: %v", bin, err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait(); outF.Close(); errF.Close() }()

	t.Cleanup(func() {
		select {
		case <-exited:
		default:
			_ = cmd.Process.Signal(syscall.SIGTERM)
			select {
			case <-exited:
			case <-time.After(10 * time.Second):
				_ = cmd.Process.Kill()
				<-exited
			}
		}
		if t.Failed() {
			t.Logf("envoy log (%s):\n%s", e.stderr, tail(e.Log(), 60))
			t.Logf("envoy access log:\n%s", tail(e.AccessLog(), 20))
		}
	})

	if err := e.waitReady(adminPath, exited, 60*time.Second); err != nil {
		t.Fatalf("realenvoy: %v\nenvoy log:\n%s", err, tail(e.Log(), 60))
	}
	return e
}

// findEnvoy returns $ENVOY_BIN or envoy from PATH, or skips the test.
func findEnvoy(t testing.TB) string {
	t.Helper()
	if bin := os.Getenv("ENVOY_BIN"); bin != "" {
		p, err := exec.LookPath(bin)
		if err != nil {
			t.Fatalf("realenvoy: ENVOY_BIN=%q is not an executable: %v", bin, err)
		}
		return p
	}
	p, err := exec.LookPath("envoy")
	if err != nil {
		t.Skip(SkipNoEnvoy)
	}
	return p
}

// checkVersion skips the test when the binary is older than MinEnvoy.
func checkVersion(t testing.TB, bin string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, bin, "--version").CombinedOutput()
	if err != nil {
		t.Fatalf("realenvoy: %s --version: %v\n%s", bin, err, out)
	}
	v, err := parseVersion(string(out))
	if err != nil {
		t.Fatalf("realenvoy: %s: %v", bin, err)
	}
	if less(v, MinEnvoy) {
		t.Skipf("real Envoy tests need Envoy >= %d.%d (older releases lack WASI calls Go's runtime makes, golang/go#78513); %s is %d.%d.%d — set ENVOY_BIN to a newer envoy or run `make e2e-envoy`",
			MinEnvoy[0], MinEnvoy[1], bin, v[0], v[1], v[2])
	}
}

// envoy --version prints e.g.
// "envoy  version: 5f1e0c0.../1.40.0/Clean/RELEASE/BoringSSL".
var versionRE = regexp.MustCompile(`version:\s*\S*?/(\d+)\.(\d+)\.(\d+)`)
var looseVersionRE = regexp.MustCompile(`\b(\d+)\.(\d+)\.(\d+)\b`)

func parseVersion(out string) ([3]int, error) {
	m := versionRE.FindStringSubmatch(out)
	if m == nil {
		m = looseVersionRE.FindStringSubmatch(out)
	}
	if m == nil {
		return [3]int{}, fmt.Errorf("no version in %q", strings.TrimSpace(out))
	}
	var v [3]int
	for i := range v {
		v[i], _ = strconv.Atoi(m[i+1])
	}
	return v, nil
}

func less(a, b [3]int) bool {
	for i := range a {
		if a[i] != b[i] {
			return a[i] < b[i]
		}
	}
	return false
}

// deriveConfig returns a copy of base adapted for a test run (see the package
// comment). base is not modified.
func deriveConfig(base *bootstrapv3.Bootstrap, wasmPath, pluginConfig, upstreamAddr string) (*bootstrapv3.Bootstrap, error) {
	if !filepath.IsAbs(wasmPath) {
		return nil, fmt.Errorf("wasm path %q is not absolute", wasmPath)
	}
	host, portStr, err := net.SplitHostPort(upstreamAddr)
	if err != nil {
		return nil, fmt.Errorf("upstream address %q: %w", upstreamAddr, err)
	}
	port, err := strconv.ParseUint(portStr, 10, 16)
	if err != nil || port == 0 {
		return nil, fmt.Errorf("upstream address %q: bad port", upstreamAddr)
	}
	b := proto.Clone(base).(*bootstrapv3.Bootstrap)

	// Admin and listener on loopback, port 0: Envoy picks free ports; the
	// admin address comes back through --admin-address-path and the listener
	// port from the admin /listeners endpoint. No race with other processes.
	b.Admin.Address = loopback(0)
	l, err := envoyconfig.Listener(b)
	if err != nil {
		return nil, err
	}
	l.Address = loopback(0)

	// Wasm module path and plugin configuration.
	h, err := envoyconfig.HCM(b)
	if err != nil {
		return nil, err
	}
	w, _, err := envoyconfig.WasmFilter(h)
	if err != nil {
		return nil, err
	}
	local := w.GetConfig().GetVmConfig().GetCode().GetLocal()
	if local == nil {
		return nil, errors.New("wasm filter: vm_config.code.local missing")
	}
	local.Specifier = &corev3.DataSource_Filename{Filename: wasmPath}
	if pluginConfig != "" {
		if !json.Valid([]byte(pluginConfig)) {
			return nil, fmt.Errorf("plugin config is not valid JSON: %q", pluginConfig)
		}
		a, err := anypb.New(wrapperspb.String(pluginConfig))
		if err != nil {
			return nil, err
		}
		w.Config.Configuration = a
	}
	if err := envoyconfig.SetWasmFilter(h, w); err != nil {
		return nil, err
	}
	if err := envoyconfig.SetHCM(b, h); err != nil {
		return nil, err
	}

	// The gemini cluster: plain HTTP/1.1 to the fake. TLS and the
	// ALPN-based protocol selection (auto_config needs TLS) are dropped;
	// the upstream filters (key failover) stay, with the same module and
	// the test's plugin configuration plus "role": "upstream".
	c, err := envoyconfig.Cluster(b, envoyconfig.ClusterName)
	if err != nil {
		return nil, err
	}
	c.TransportSocket = nil
	if err := deriveUpstreamFilters(c, wasmPath, pluginConfig); err != nil {
		return nil, err
	}
	if net.ParseIP(host) != nil {
		c.ClusterDiscoveryType = &clusterv3.Cluster_Type{Type: clusterv3.Cluster_STATIC}
	} else {
		c.ClusterDiscoveryType = &clusterv3.Cluster_Type{Type: clusterv3.Cluster_STRICT_DNS}
	}
	c.LoadAssignment = &endpointv3.ClusterLoadAssignment{
		ClusterName: c.GetName(),
		Endpoints: []*endpointv3.LocalityLbEndpoints{{
			LbEndpoints: []*endpointv3.LbEndpoint{{
				HostIdentifier: &endpointv3.LbEndpoint_Endpoint{Endpoint: &endpointv3.Endpoint{
					Address: socketAddress(host, uint32(port)),
				}},
			}},
		}},
	}
	return b, nil
}

func loopback(port uint32) *corev3.Address { return socketAddress("127.0.0.1", port) }

func socketAddress(host string, port uint32) *corev3.Address {
	return &corev3.Address{Address: &corev3.Address_SocketAddress{SocketAddress: &corev3.SocketAddress{
		Address:       host,
		PortSpecifier: &corev3.SocketAddress_PortValue{PortValue: port},
	}}}
}

// waitReady waits for the admin address file, then for /ready to report
// LIVE, then reads the listener's port.
func (e *Envoy) waitReady(adminPath string, exited <-chan error, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	var last error
	for time.Now().Before(deadline) {
		select {
		case err := <-exited:
			return fmt.Errorf("envoy exited before becoming ready: %v", err)
		case <-time.After(100 * time.Millisecond):
		}
		if e.adminURL == "" {
			b, err := os.ReadFile(adminPath)
			if s := strings.TrimSpace(string(b)); err == nil && s != "" {
				e.adminURL = "http://" + s
			}
			continue
		}
		body, err := httpGet(e.adminURL + "/ready")
		if err != nil {
			last = err
			continue
		}
		if strings.TrimSpace(body) != "LIVE" {
			last = fmt.Errorf("/ready says %q", strings.TrimSpace(body))
			continue
		}
		js, err := httpGet(e.adminURL + "/listeners?format=json")
		if err != nil {
			return err
		}
		addr, err := listenerAddr(js)
		if err != nil {
			return err
		}
		e.url = "http://" + addr
		return nil
	}
	return fmt.Errorf("envoy not ready after %v (last: %v)", timeout, last)
}

// listenerAddr extracts host:port of the (single) listener from the admin
// /listeners?format=json output.
func listenerAddr(js string) (string, error) {
	var v struct {
		ListenerStatuses []struct {
			Name         string `json:"name"`
			LocalAddress struct {
				SocketAddress struct {
					Address   string `json:"address"`
					PortValue uint32 `json:"port_value"`
				} `json:"socket_address"`
			} `json:"local_address"`
		} `json:"listener_statuses"`
	}
	if err := json.Unmarshal([]byte(js), &v); err != nil {
		return "", fmt.Errorf("admin /listeners: %w", err)
	}
	if len(v.ListenerStatuses) != 1 {
		return "", fmt.Errorf("admin /listeners: want 1 listener, have %d: %s", len(v.ListenerStatuses), js)
	}
	sa := v.ListenerStatuses[0].LocalAddress.SocketAddress
	if sa.PortValue == 0 {
		return "", fmt.Errorf("admin /listeners: listener has no port yet: %s", js)
	}
	return net.JoinHostPort(sa.Address, strconv.Itoa(int(sa.PortValue))), nil
}

var adminClient = &http.Client{Timeout: 5 * time.Second}

func httpGet(url string) (string, error) {
	resp, err := adminClient.Get(url)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", err
	}
	if resp.StatusCode != http.StatusOK {
		return string(b), fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return string(b), nil
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = append([]string{fmt.Sprintf("... (%d earlier lines)", len(lines)-n)}, lines[len(lines)-n:]...)
	}
	return strings.Join(lines, "\n")
}

// SkipIfMissing skips t unless a usable envoy binary (>= 1.39) is available,
// before a test spends time preparing for it.
func SkipIfMissing(t testing.TB) { checkVersion(t, findEnvoy(t)) }

// deriveUpstreamFilters keeps the cluster's upstream HTTP filters, pointing
// the Wasm one at wasmPath with the upstream form of pluginConfig, and
// replaces the protocol selection with plain HTTP/1.1.
func deriveUpstreamFilters(c *clusterv3.Cluster, wasmPath, pluginConfig string) error {
	hpo, err := envoyconfig.HTTPOptions(c)
	if err != nil {
		return err
	}
	if hpo == nil {
		return nil
	}
	hpo.UpstreamProtocolOptions = &httpv3.HttpProtocolOptions_ExplicitHttpConfig_{
		ExplicitHttpConfig: &httpv3.HttpProtocolOptions_ExplicitHttpConfig{
			ProtocolConfig: &httpv3.HttpProtocolOptions_ExplicitHttpConfig_HttpProtocolOptions{HttpProtocolOptions: &corev3.Http1ProtocolOptions{}},
		},
	}
	for _, f := range hpo.GetHttpFilters() {
		if f.GetName() != envoyconfig.WasmFilterName {
			continue
		}
		w := &wasmfilterv3.Wasm{}
		if err := f.GetTypedConfig().UnmarshalTo(w); err != nil {
			return err
		}
		if local := w.GetConfig().GetVmConfig().GetCode().GetLocal(); local != nil {
			local.Specifier = &corev3.DataSource_Filename{Filename: wasmPath}
		}
		if pluginConfig != "" {
			up, err := envoyconfig.UpstreamPluginConfig(pluginConfig)
			if err != nil {
				return err
			}
			a, err := anypb.New(wrapperspb.String(up))
			if err != nil {
				return err
			}
			w.Config.Configuration = a
		}
		if err := f.GetTypedConfig().MarshalFrom(w); err != nil {
			return err
		}
	}
	return envoyconfig.SetHTTPOptions(c, hpo)
}
