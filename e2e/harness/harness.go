// Package harness starts the gateway for end-to-end tests: the compiled
// module behind the e2e host (always) or a real Envoy (when one is
// installed), in front of a strict fake Gemini. A test is then a scripted
// upstream, a client call and assertions:
//
//	harness.Each(t, "", func(t *testing.T, env *harness.Env) {
//		env.Fake.Enqueue("", fakegemini.Reply{Text: "hi"})
//		// point a client at env.URL ...
//	})
package harness

import (
	"strings"
	"sync"
	"testing"

	"github.com/gemini-code-api/gemini-code-api/e2e/envoyconfig"
	"github.com/gemini-code-api/gemini-code-api/e2e/fakegemini"
	"github.com/gemini-code-api/gemini-code-api/e2e/host"
	"github.com/gemini-code-api/gemini-code-api/e2e/realenvoy"
	"github.com/gemini-code-api/gemini-code-api/internal/wasmbuild"
)

// Env is one running gateway.
type Env struct {
	Name  string // "host" or "envoy"
	URL   string // the gateway's base URL, e.g. http://127.0.0.1:1234
	Fake  *fakegemini.Server
	Host  *host.Host       // set for the e2e host
	Envoy *realenvoy.Envoy // set for real Envoy
	// BufferLimit is the largest request body the gateway buffers (Envoy's
	// per_connection_buffer_limit_bytes from envoy.yaml); larger is a 413.
	BufferLimit int
}

// Stats returns the gateway's stats in Envoy's admin text format.
func (e *Env) Stats() string {
	if e.Host != nil {
		return e.Host.Stats()
	}
	return e.Envoy.Stats()
}

// PrometheusStats returns the gateway's admin /stats/prometheus.
func (e *Env) PrometheusStats() string {
	if e.Host != nil {
		return e.Host.PrometheusStats()
	}
	return e.Envoy.PrometheusStats()
}

// ModulePath returns the compiled module (wasmbuild.ModulePath): GCA_WASM
// when set, otherwise a fresh build of the tree, so tests never run a stale
// module.
func ModulePath(t testing.TB) string { return wasmbuild.ModulePath(t) }

// NewHost starts the compiled module on the e2e host with the given plugin
// configuration, in front of a new fake Gemini.
func NewHost(t testing.TB, pluginConfig string) *Env {
	t.Helper()
	wasm := wasmbuild.Module(t)
	log := &testLog{t: t}
	t.Cleanup(log.stop) // registered first: runs after the host has closed
	fake := fakegemini.New()
	t.Cleanup(fake.Close)
	cfg, err := HostConfig(wasm, pluginConfig, fake.Addr())
	if err != nil {
		t.Fatal(err)
	}
	cfg.Log = log
	h, err := host.Start(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	return &Env{Name: "host", URL: h.URL(), Fake: fake, Host: h, BufferLimit: cfg.BufferLimit}
}

// HostConfig is the e2e host configured as envoy.yaml configures Envoy: the
// buffer limit, the route (timeout, retry policy), the attempt-count
// settings, the gemini cluster's retry circuit breaker and, when envoy.yaml
// has it, the module as the cluster's upstream filter with the upstream form
// of pluginConfig. upstream is the fake Gemini's address.
func HostConfig(wasm []byte, pluginConfig, upstream string) (host.Config, error) {
	g, err := envoyconfig.GatewaySettings()
	if err != nil {
		return host.Config{}, err
	}
	route := host.Route{Name: g.RouteName, Prefix: "/", Cluster: envoyconfig.ClusterName, Timeout: g.RouteTimeout}
	if len(g.RetryOn) > 0 {
		route.Retry = &host.RetryPolicy{
			RetryOn: g.RetryOn, NumRetries: g.NumRetries, RetriableStatusCodes: g.RetriableStatusCodes,
			RetriableHeaders: g.RetriableHeaders, BackOffBase: g.BackOffBase, BackOffMax: g.BackOffMax,
		}
	}
	cfg := host.Config{
		BufferLimit:                   g.BufferLimit,
		Wasm:                          wasm,
		PluginConfig:                  []byte(pluginConfig),
		Workers:                       2,
		Clusters:                      map[string]string{envoyconfig.ClusterName: upstream},
		Routes:                        []host.Route{route},
		PluginName:                    envoyconfig.PluginName,
		RootID:                        envoyconfig.PluginName,
		IncludeAttemptCountInRequest:  g.IncludeAttemptCountInRequest,
		IncludeAttemptCountInResponse: g.IncludeAttemptCountInResponse,
		FailurePolicy:                 g.FailurePolicy,
		ReloadBackoff:                 g.ReloadBackoff,
		ReloadBackoffMax:              g.ReloadBackoffMax,
	}
	for _, st := range g.StatsTags {
		cfg.StatsTags = append(cfg.StatsTags, host.StatsTag{Name: st.Name, Regex: st.Regex})
	}
	if g.MaxRetries >= 0 {
		cfg.ClusterMaxRetries = map[string]int{envoyconfig.ClusterName: g.MaxRetries}
	}
	if g.UpstreamFilter {
		up, err := envoyconfig.UpstreamPluginConfig(pluginConfig)
		if err != nil {
			return host.Config{}, err
		}
		cfg.Upstream = &host.UpstreamFilter{
			PluginConfig: []byte(up), Clusters: []string{envoyconfig.ClusterName},
			RootID: g.UpstreamRootID, PluginName: g.UpstreamPluginName,
		}
	}
	return cfg, nil
}

// NewEnvoy starts a real Envoy (skipping the test when none is installed)
// with the module, in front of a new fake Gemini.
func NewEnvoy(t testing.TB, pluginConfig string) *Env {
	t.Helper()
	realenvoy.SkipIfMissing(t)
	fake := fakegemini.New()
	t.Cleanup(fake.Close)
	if pluginConfig == "" {
		pluginConfig = "{}"
	}
	limit, err := envoyconfig.BufferLimit()
	if err != nil {
		t.Fatal(err)
	}
	e := realenvoy.Start(t, realenvoy.Options{WasmPath: ModulePath(t), PluginConfig: pluginConfig, UpstreamAddr: fake.Addr()})
	return &Env{Name: "envoy", URL: e.URL(), Fake: fake, Envoy: e, BufferLimit: limit}
}

// Each runs f on the e2e host and on a real Envoy (skipped without one).
func Each(t *testing.T, pluginConfig string, f func(t *testing.T, env *Env)) {
	t.Run("host", func(t *testing.T) { f(t, NewHost(t, pluginConfig)) })
	t.Run("envoy", func(t *testing.T) { f(t, NewEnvoy(t, pluginConfig)) })
}

// testLog forwards host logs to the test log under -v, and drops what
// arrives after the test ended (t.Logf would panic then). Without -v it
// keeps the last keptLogLines lines and logs them if the test fails, so a
// failure seen once (in CI, under load) comes with what the host did.
type testLog struct {
	t       testing.TB
	mu      sync.Mutex
	stopped bool
	tail    []string
}

const keptLogLines = 300

func (l *testLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	switch {
	case l.stopped:
	case testing.Verbose():
		l.t.Logf("%s", p)
	default:
		if len(l.tail) == keptLogLines {
			l.tail = append(l.tail[:0], l.tail[keptLogLines/2:]...)
		}
		l.tail = append(l.tail, string(p))
	}
	return len(p), nil
}

func (l *testLog) stop() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.stopped = true
	if l.t.Failed() && len(l.tail) > 0 {
		l.t.Logf("the host's last %d log lines:\n%s", len(l.tail), strings.Join(l.tail, ""))
	}
	l.tail = nil
}
