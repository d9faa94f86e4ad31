package e2e_test

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/anthropics/anthropic-sdk-go"
	"github.com/gemini-code-api/gemini-code-api/e2e/envoyconfig"
	"github.com/gemini-code-api/gemini-code-api/e2e/fakegemini"
	"github.com/gemini-code-api/gemini-code-api/e2e/harness"
	"github.com/gemini-code-api/gemini-code-api/e2e/host"
	"github.com/openai/openai-go/v3"
	"sigs.k8s.io/yaml"
)

// What an operator sees after a scripted mix of requests (three protocols,
// five models, a key that fails over, a stream Gemini cuts, a stream the
// client leaves, a model list served from the cache): the stats as
// /stats/prometheus shows them (envoy.yaml's stats_tags applied to the
// names the module defines, as Envoy does), /health's gateway-wide figures
// and the access log's fields, each equal to what the mix implies; and the
// dashboard and rules in deploy/observability use only metrics and labels
// that exist.
func TestObservability(t *testing.T) {
	env := harness.NewHost(t, "")
	const k1, ka, kb = "AIzaSECRETONE", "AIzaSECRETA", "AIzaSECRETB"

	// 1. OpenAI, answered whole: gpt-4o -> gemini-4-argon. The delay makes
	// the upstream latency at least a millisecond (the histogram's unit):
	// a local fake otherwise answers every request in less.
	env.Fake.Enqueue("", fakegemini.Reply{Text: "ok", Usage: &fakegemini.Usage{Prompt: 12, Candidates: 5, Thoughts: 3, Cached: 4}, Delay: 5 * time.Millisecond})
	oc := openaiClient(env, k1)
	if _, err := oc.Chat.Completions.New(ctx(t), chatParams("gpt-4o", "hi")); err != nil {
		t.Fatal(err)
	}
	// 2. OpenAI, refused by the gateway: 400, no model served.
	_, _ = oc.Chat.Completions.New(ctx(t), openai.ChatCompletionNewParams{Model: "gpt-4o"})
	// 3. OpenAI stream, completed.
	env.Fake.Enqueue("", fakegemini.Reply{Text: "one two three", Usage: &fakegemini.Usage{Prompt: 7, Candidates: 4}})
	st := oc.Chat.Completions.NewStreaming(ctx(t), chatParams("gemini-2.5-flash", "count"))
	for st.Next() {
	}
	if err := st.Err(); err != nil {
		t.Fatal(err)
	}
	// 4. Anthropic with two keys: the first attempt is rate-limited (the
	// key cools down), the second key answers.
	env.Fake.Enqueue("", fakegemini.Reply{Status: 429, RetryDelay: "30s"}, fakegemini.Reply{Text: "ok", Usage: &fakegemini.Usage{Prompt: 20, Candidates: 6}})
	ac := anthropicClient(env, ka+","+kb)
	if _, err := ac.Messages.New(ctx(t), anthropic.MessageNewParams{
		Model: "claude-sonnet-4-5", MaxTokens: 64,
		Messages: []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock("hi"))},
	}); err != nil {
		t.Fatal(err)
	}
	// 5. Anthropic stream that Gemini cuts after its first event, which
	// reports 5 prompt tokens so far: they are counted.
	env.Fake.Enqueue("", fakegemini.Reply{Events: twoEvents(5), CutAfter: 1})
	cc := anthropicClient(env, k1)
	as := cc.Messages.NewStreaming(ctx(t), anthropic.MessageNewParams{
		Model: "claude-haiku-4-5", MaxTokens: 64,
		Messages: []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock("count"))},
	})
	for as.Next() {
	}
	if as.Err() == nil {
		t.Fatal("a cut stream ended cleanly")
	}
	// 6. Native Gemini, a Gemini model outside the model map.
	env.Fake.Enqueue("", fakegemini.Reply{Text: "ok", Usage: &fakegemini.Usage{Prompt: 3, Candidates: 2}})
	if code := nativeCall(t, env, "/v1beta/models/gemini-2.5-flash-lite:generateContent", k1); code != 200 {
		t.Fatalf("native: %d", code)
	}
	// 7. Native Gemini, a model Gemini does not have: 404, model "other".
	if code := nativeCall(t, env, "/v1beta/models/my-custom-model:generateContent", k1); code != 404 {
		t.Fatalf("native unknown model: %d", code)
	}
	// 8. OpenAI stream the client leaves after the first event.
	hold := make(chan struct{})
	defer close(hold)
	env.Fake.Enqueue("", fakegemini.Reply{Events: twoEvents(6), Hold: hold})
	leaveStream(t, env, k1)
	// 9. The model list twice: fetched, then from the cache.
	for range 2 {
		if _, err := oc.Models.List(ctx(t)); err != nil {
			t.Fatal(err)
		}
	}

	// Stats, as /stats/prometheus shows them.
	logs := env.Host.AccessLog() // waits for every stream to end
	var prom string
	var series map[string]float64
	deadline := time.Now().Add(8 * time.Second)
	for {
		// The key gauges are refreshed by one VM every 2 s.
		prom = env.PrometheusStats()
		series = parseProm(t, prom)
		if series[`gemini_code_api_keys{state="active"}`] == 3 || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	want := map[string]float64{
		`gemini_code_api_requests{endpoint="chat_completions",model="gemini-4-argon",protocol="openai",status_class="2xx"}`:   1,
		`gemini_code_api_requests{endpoint="chat_completions",model="none",protocol="openai",status_class="4xx"}`:             1,
		`gemini_code_api_requests{endpoint="chat_completions",model="gemini-2.5-flash",protocol="openai",status_class="2xx"}`: 2,
		`gemini_code_api_requests{endpoint="messages",model="gemini-4-argon",protocol="anthropic",status_class="2xx"}`:        1,
		`gemini_code_api_requests{endpoint="messages",model="gemini-3.8-flash",protocol="anthropic",status_class="2xx"}`:      1,
		`gemini_code_api_requests{endpoint="native",model="gemini-2.5-flash-lite",protocol="gemini",status_class="2xx"}`:      1,
		`gemini_code_api_requests{endpoint="native",model="other",protocol="gemini",status_class="4xx"}`:                      1,
		`gemini_code_api_requests{endpoint="models",model="none",protocol="openai",status_class="2xx"}`:                       2,

		`gemini_code_api_tokens{model="gemini-4-argon",token_type="input"}`:           32,
		`gemini_code_api_tokens{model="gemini-4-argon",token_type="output"}`:          14,
		`gemini_code_api_tokens{model="gemini-4-argon",token_type="thinking"}`:        3,
		`gemini_code_api_tokens{model="gemini-4-argon",token_type="cached"}`:          4,
		`gemini_code_api_tokens{model="gemini-2.5-flash",token_type="input"}`:         7 + 6, // the left stream's first event counts
		`gemini_code_api_tokens{model="gemini-2.5-flash",token_type="output"}`:        4,
		`gemini_code_api_tokens{model="gemini-2.5-flash",token_type="thinking"}`:      0,
		`gemini_code_api_tokens{model="gemini-2.5-flash",token_type="cached"}`:        0,
		`gemini_code_api_tokens{model="gemini-3.8-flash",token_type="input"}`:         5, // the cut stream's first event counts
		`gemini_code_api_tokens{model="gemini-3.8-flash",token_type="output"}`:        0,
		`gemini_code_api_tokens{model="gemini-3.8-flash",token_type="thinking"}`:      0,
		`gemini_code_api_tokens{model="gemini-3.8-flash",token_type="cached"}`:        0,
		`gemini_code_api_tokens{model="gemini-2.5-flash-lite",token_type="input"}`:    3,
		`gemini_code_api_tokens{model="gemini-2.5-flash-lite",token_type="output"}`:   2,
		`gemini_code_api_tokens{model="gemini-2.5-flash-lite",token_type="thinking"}`: 0,
		`gemini_code_api_tokens{model="gemini-2.5-flash-lite",token_type="cached"}`:   0,

		// Attempts, by the module as the gemini cluster's upstream filter:
		// requests 1, 3, 5, 6, 8 and the model list's call succeed at once,
		// request 4 fails over to its second key, 7 is the request's fault.
		`gemini_code_api_upstream_attempts{attempt="1",result="success"}`:  6,
		`gemini_code_api_upstream_attempts{attempt="1",result="failover"}`: 1,
		`gemini_code_api_upstream_attempts{attempt="2",result="success"}`:  1,
		`gemini_code_api_upstream_attempts{attempt="1",result="rejected"}`: 1,

		`gemini_code_api_key_cooldowns{reason="rate_limited"}`:    1,
		`gemini_code_api_key_cooldowns{reason="quota_exhausted"}`: 0,
		`gemini_code_api_key_cooldowns{reason="invalid"}`:         0,
		`gemini_code_api_key_cooldowns{reason="unhealthy"}`:       0,
		`gemini_code_api_key_probes{}`:                            0,

		`gemini_code_api_keys{state="active"}`:     3,
		`gemini_code_api_keys{state="healthy"}`:    2,
		`gemini_code_api_keys{state="cooling"}`:    1,
		`gemini_code_api_keys{state="invalid"}`:    0,
		`gemini_code_api_keys{state="recovering"}`: 0,

		`gemini_code_api_models_cache{result="hit"}`:  1,
		`gemini_code_api_models_cache{result="miss"}`: 1,

		`gemini_code_api_streams{outcome="completed",protocol="openai"}`:           1,
		`gemini_code_api_streams{outcome="client_cancelled",protocol="openai"}`:    1,
		`gemini_code_api_streams{outcome="upstream_cut",protocol="anthropic"}`:     1,
		`gemini_code_api_streams{outcome="completed",protocol="anthropic"}`:        0,
		`gemini_code_api_streams{outcome="client_cancelled",protocol="anthropic"}`: 0,
		`gemini_code_api_streams{outcome="upstream_cut",protocol="openai"}`:        0,
		`gemini_code_api_streams{outcome="completed",protocol="gemini"}`:           0,
		`gemini_code_api_streams{outcome="client_cancelled",protocol="gemini"}`:    0,
		`gemini_code_api_streams{outcome="upstream_cut",protocol="gemini"}`:        0,

		// Requests 1, 4, 6, 7 were answered whole, 3, 5, 8 streamed (each
		// first event is a time to first token).
		`gemini_code_api_upstream_latency_ms_count{streamed="false"}`: 4,
		`gemini_code_api_upstream_latency_ms_count{streamed="true"}`:  3,
		`gemini_code_api_time_to_first_token_ms_count{}`:              3,
	}
	for k, v := range want {
		got, ok := series[k]
		if !ok || got != v {
			t.Errorf("%s = %v (present %v), want %v", k, got, ok, v)
		}
	}
	for k, v := range series {
		if !strings.HasPrefix(k, "gemini_code_api_") {
			continue
		}
		if _, ok := want[k]; !ok && !strings.Contains(k, "_bucket{") && !strings.Contains(k, "_sum{") && !strings.HasPrefix(k, "gemini_code_api_requests{endpoint=\"health\"") {
			t.Errorf("unexpected series %s = %v", k, v)
		}
	}
	// Every module stat got its labels: no dotted name survived as a flat
	// Prometheus name.
	families := promFamilies(prom)
	for name := range families {
		if strings.HasPrefix(name, "gemini_code_api_") && !moduleFamilies[name] {
			t.Errorf("metric %s: a stat name the stats_tags did not take apart", name)
		}
	}
	for name := range moduleFamilies {
		if _, ok := families[name]; !ok {
			t.Errorf("metric %s missing from /stats/prometheus", name)
		}
	}
	if s := series[`gemini_code_api_upstream_latency_ms_sum{streamed="false"}`]; s <= 0 {
		t.Errorf("upstream latency sum %v", s)
	}
	if b := series[`gemini_code_api_upstream_latency_ms_bucket{streamed="false",le="+Inf"}`]; b != 4 {
		t.Errorf("+Inf bucket %v", b)
	}
	if strings.Contains(prom, "SECRET") || strings.Contains(env.Stats(), "SECRET") {
		t.Fatal("a key in the stats")
	}

	// /health: gateway-wide figures (both VMs flushed within a tick).
	time.Sleep(1200 * time.Millisecond)
	h := healthFigures(t, env)
	if h.Status != "degraded" || h.Metrics.RequestsTotal != 10 || h.Metrics.ErrorRate != 0.2 || h.Metrics.ServerErrorRate != 0 ||
		h.Metrics.CacheHitRate != 0.5 || h.Metrics.ActiveAPIKeys != 3 || h.Metrics.HealthyAPIKeys != 2 ||
		h.Metrics.RequestsPerSecond <= 0 || h.Metrics.AverageResponseTime < 0 || h.Version == "" || h.Timestamp == 0 {
		t.Errorf("health %+v", h)
	}
	if h.Keys.Active != 3 || h.Keys.Cooling != 1 {
		t.Errorf("health keys %+v", h.Keys)
	}

	// The access log: one entry per request, every field the mix implies.
	if len(logs) != 10 {
		t.Fatalf("%d access log entries, want 10", len(logs))
	}
	byPath := map[string][]map[string]string{}
	for _, l := range logs {
		fs := l.FilterState
		fs["status"] = strconv.Itoa(l.Status)
		fs["attempts"] = strconv.Itoa(l.Attempts)
		fs["flags"] = l.ResponseFlags
		byPath[fs["wasm.gca_path"]] = append(byPath[fs["wasm.gca_path"]], fs)
		for k, v := range fs {
			// wasm.gca_keys holds the keys by design (the downstream filter
			// hands them to the upstream one); envoyconfig checks that no
			// access log format names it.
			if k != "wasm.gca_keys" && strings.Contains(v, "SECRET") {
				t.Errorf("key in access log field %s", k)
			}
		}
		if strings.Contains(l.Path, "SECRET") || strings.Contains(l.Path, "key=") {
			t.Errorf("key in logged path %s", l.Path)
		}
	}
	chat := byPath["/v1/chat/completions"]
	if len(chat) != 4 {
		t.Fatalf("%d chat entries", len(chat))
	}
	expectFields(t, "chat", chat[0], map[string]string{
		"wasm.gca_protocol": "openai", "wasm.gca_model": "gemini-4-argon", "wasm.gca_client_model": "gpt-4o",
		"wasm.gca_key_hash": hashOf(k1), "wasm.gca_input_tokens": "12", "wasm.gca_output_tokens": "8",
		"wasm.gca_total_tokens": "20", "wasm.gca_streamed": "false", "status": "200", "attempts": "1",
	}, "wasm.gca_error")
	expectFields(t, "refused chat", chat[1], map[string]string{
		"wasm.gca_error": "true", "wasm.gca_error_type": "invalid_request", "status": "400", "attempts": "0",
	}, "wasm.gca_model")
	if chat[1]["wasm.gca_error_message"] == "" {
		t.Error("refused chat: no error message")
	}
	expectFields(t, "stream", chat[2], map[string]string{
		"wasm.gca_streamed": "true", "wasm.gca_model": "gemini-2.5-flash", "wasm.gca_input_tokens": "7",
		"wasm.gca_output_tokens": "4", "status": "200", "flags": "-",
	}, "wasm.gca_error")
	expectFields(t, "left stream", chat[3], map[string]string{"wasm.gca_streamed": "true", "status": "200", "flags": "DC"})
	msgs := byPath["/v1/messages"]
	if len(msgs) != 2 {
		t.Fatalf("%d messages entries", len(msgs))
	}
	served := msgs[0]["wasm.gca_key_hash"]
	if served != hashOf(ka) && served != hashOf(kb) {
		t.Errorf("failed-over request logged under %q", served)
	}
	expectFields(t, "failover", msgs[0], map[string]string{
		"wasm.gca_protocol": "anthropic", "wasm.gca_model": "gemini-4-argon", "wasm.gca_client_model": "claude-sonnet-4-5",
		"wasm.gca_input_tokens": "20", "wasm.gca_output_tokens": "6", "wasm.gca_total_tokens": "26", "status": "200", "attempts": "2",
	}, "wasm.gca_error")
	expectFields(t, "cut stream", msgs[1], map[string]string{"wasm.gca_streamed": "true", "wasm.gca_model": "gemini-3.8-flash", "status": "200", "flags": "UR"})
	expectFields(t, "native", byPath["/v1beta/models/gemini-2.5-flash-lite:generateContent"][0], map[string]string{
		"wasm.gca_protocol": "gemini", "wasm.gca_model": "gemini-2.5-flash-lite", "wasm.gca_input_tokens": "3",
		"wasm.gca_streamed": "false", "status": "200",
	})
	expectFields(t, "native 404", byPath["/v1beta/models/my-custom-model:generateContent"][0], map[string]string{
		"wasm.gca_model": "my-custom-model", "wasm.gca_error_type": "not_found", "status": "404", "attempts": "1",
	})
	if n := len(byPath["/v1/models"]); n != 2 {
		t.Errorf("%d model list entries", n)
	}
	// Every filter state the access log format names is one the mix set.
	checkAccessLogFormat(t, logs)

	checkDeployFiles(t, prom, series)
}

// moduleFamilies are the metric names the module's stats become in
// /stats/prometheus (histograms by their base name).
var moduleFamilies = map[string]bool{
	"gemini_code_api_requests": true, "gemini_code_api_tokens": true, "gemini_code_api_upstream_latency_ms": true,
	"gemini_code_api_time_to_first_token_ms": true, "gemini_code_api_upstream_attempts": true,
	"gemini_code_api_key_cooldowns": true, "gemini_code_api_key_probes": true, "gemini_code_api_keys": true,
	"gemini_code_api_models_cache": true, "gemini_code_api_streams": true,
}

// twoEvents is a Gemini stream of two events whose first reports prompt
// tokens so far.
func twoEvents(prompt int) []string {
	p := strconv.Itoa(prompt)
	return []string{
		`{"candidates":[{"content":{"role":"model","parts":[{"text":"one"}]},"index":0}],"usageMetadata":{"promptTokenCount":` + p + `,"totalTokenCount":` + p + `}}`,
		`{"candidates":[{"content":{"role":"model","parts":[{"text":" two"}]},"finishReason":"STOP","index":0}],"usageMetadata":{"promptTokenCount":` + p + `,"candidatesTokenCount":2,"totalTokenCount":` + p + `}}`,
	}
}

func nativeCall(t *testing.T, env *harness.Env, path, key string) int {
	t.Helper()
	resp, _ := send(t, "POST", env.URL+path, `{"contents":[{"parts":[{"text":"hi"}]}]}`, "x-goog-api-key", key, "content-type", "application/json")
	return resp.StatusCode
}

// leaveStream starts an OpenAI stream, reads its first event and goes away.
func leaveStream(t *testing.T, env *harness.Env, key string) {
	t.Helper()
	c, cancel := context.WithCancel(context.Background())
	defer cancel()
	body := `{"model":"gemini-2.5-flash","stream":true,"messages":[{"role":"user","content":"count"}]}`
	req, _ := http.NewRequestWithContext(c, "POST", env.URL+"/v1/chat/completions", strings.NewReader(body))
	req.Header.Set("authorization", "Bearer "+key)
	req.Header.Set("content-type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	line, err := bufio.NewReader(resp.Body).ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "data: ") {
		t.Fatalf("first event %q: %v", line, err)
	}
}

type healthDoc struct {
	Status    string
	Timestamp int64
	Version   string
	Uptime    int64
	Metrics   struct {
		RequestsTotal       int64   `json:"requests_total"`
		RequestsPerSecond   float64 `json:"requests_per_second"`
		AverageResponseTime float64 `json:"average_response_time"`
		ErrorRate           float64 `json:"error_rate"`
		ServerErrorRate     float64 `json:"server_error_rate"`
		CacheHitRate        float64 `json:"cache_hit_rate"`
		ActiveAPIKeys       int     `json:"active_api_keys"`
		HealthyAPIKeys      int     `json:"healthy_api_keys"`
	}
	Keys struct{ Active, Healthy, Cooling, Invalid, Recovering int }
}

func healthFigures(t *testing.T, env *harness.Env) healthDoc {
	t.Helper()
	var h healthDoc
	getHealth(t, env, "", &h)
	return h
}

// getHealth decodes GET /health into h (keys, when set, sent as a bearer
// token) and returns the body; the answer must be a 200.
func getHealth(t *testing.T, env *harness.Env, keys string, h any) []byte {
	t.Helper()
	var hdr []string
	if keys != "" {
		hdr = []string{"Authorization", "Bearer " + keys}
	}
	resp, b := send(t, "GET", env.URL+"/health", "", hdr...)
	if err := json.Unmarshal(b, h); err != nil || resp.StatusCode != 200 {
		t.Fatalf("health %d %s", resp.StatusCode, b)
	}
	return b
}

func expectFields(t *testing.T, what string, got, want map[string]string, absent ...string) {
	t.Helper()
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: %s = %q, want %q (entry %v)", what, k, got[k], v, got)
		}
	}
	for _, k := range absent {
		if v, ok := got[k]; ok {
			t.Errorf("%s: %s = %q, want none", what, k, v)
		}
	}
}

// checkAccessLogFormat: each filter state envoy.yaml's access log names was
// set by the module for some request of the mix (a renamed property would
// log null forever), and nothing else the module sets is secret.
func checkAccessLogFormat(t *testing.T, logs []host.AccessLogEntry) {
	t.Helper()
	_, hcm, err := envoyconfig.LoadDefaultHCM()
	if err != nil {
		t.Fatal(err)
	}
	fields, err := envoyconfig.AccessLogJSONFields(hcm)
	if err != nil {
		t.Fatal(err)
	}
	fsRe := regexp.MustCompile(`^%FILTER_STATE\((wasm\.[a-z_]+):PLAIN\)%$`)
	for name, f := range fields {
		m := fsRe.FindStringSubmatch(f)
		if m == nil {
			continue
		}
		set := false
		for _, l := range logs {
			if _, ok := l.FilterState[m[1]]; ok {
				set = true
			}
		}
		if !set {
			t.Errorf("access log field %s reads %s, which no request of the mix set", name, m[1])
		}
	}
}

// parseProm reads Prometheus text into "name{labels sorted}" -> value.
func parseProm(t *testing.T, text string) map[string]float64 {
	t.Helper()
	out := map[string]float64{}
	lineRe := regexp.MustCompile(`^([a-zA-Z_:][a-zA-Z0-9_:]*)\{(.*)\} (\S+)$`)
	for _, line := range strings.Split(text, "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		m := lineRe.FindStringSubmatch(line)
		if m == nil {
			t.Fatalf("unparsable line %q", line)
		}
		v, err := strconv.ParseFloat(m[3], 64)
		if err != nil {
			t.Fatalf("line %q: %v", line, err)
		}
		out[m[1]+"{"+sortLabels(m[2])+"}"] = v
	}
	return out
}

func sortLabels(s string) string {
	if s == "" {
		return ""
	}
	parts := strings.Split(s, ",")
	le := ""
	var rest []string
	for _, p := range parts {
		if strings.HasPrefix(p, "le=") {
			le = p // keep le last, as written by hand in the checks
			continue
		}
		rest = append(rest, p)
	}
	sort.Strings(rest)
	if le != "" {
		rest = append(rest, le)
	}
	return strings.Join(rest, ",")
}

// promFamilies returns each "# TYPE" name with its type.
func promFamilies(text string) map[string]string {
	out := map[string]string{}
	for _, line := range strings.Split(text, "\n") {
		if f := strings.Fields(line); len(f) == 4 && f[0] == "#" && f[1] == "TYPE" {
			out[f[2]] = f[3]
		}
	}
	return out
}

// envoyBuiltins are the Envoy stats (not the module's) that the dashboard
// and rules use, with the labels they are read by.
var envoyBuiltins = map[string][]string{
	"envoy_cluster_upstream_rq_retry":          {"envoy_cluster_name", "job", "instance"},
	"envoy_cluster_upstream_rq_retry_overflow": {"envoy_cluster_name", "job", "instance"},
	"up": {"job", "instance"}, // Prometheus's own, per scrape target
}

var repoRoot = func() string {
	r, _ := envoyconfig.RepoRoot()
	return r
}()

// checkDeployFiles: every metric the Prometheus rules and the Grafana
// dashboard read is one /stats/prometheus showed after the mix (or an
// Envoy built-in listed in envoyBuiltins, or a recording rule), and every
// label they filter or group by is one of that metric's labels.
func checkDeployFiles(t *testing.T, prom string, series map[string]float64) {
	t.Helper()
	families := promFamilies(prom)
	labels := map[string]map[string]bool{} // metric -> its labels
	for k := range series {
		name, rest, _ := strings.Cut(k, "{")
		base := name
		if _, ok := families[name]; !ok {
			for _, suf := range []string{"_bucket", "_sum", "_count"} {
				if b, ok := strings.CutSuffix(name, suf); ok && families[b] == "histogram" {
					base = b
				}
			}
		}
		for _, n := range []string{name, base} {
			if labels[n] == nil {
				labels[n] = map[string]bool{}
			}
			for _, kv := range strings.Split(strings.TrimSuffix(rest, "}"), ",") {
				if l, _, ok := strings.Cut(kv, "="); ok {
					labels[n][l] = true
				}
			}
		}
	}
	// Prometheus adds its target labels to every series it scrapes.
	for _, ls := range labels {
		ls["job"], ls["instance"] = true, true
	}
	for name, ls := range envoyBuiltins {
		labels[name] = map[string]bool{}
		for _, l := range ls {
			labels[name][l] = true
		}
	}
	exprs, recorded := deployExprs(t)
	if len(exprs) < 10 {
		t.Fatalf("only %d expressions found in deploy/observability", len(exprs))
	}
	for name, ls := range recorded {
		labels[name] = ls
	}
	for where, expr := range exprs {
		for _, sel := range selectors(expr) {
			known, ok := labels[sel.metric]
			if !ok {
				t.Errorf("%s: metric %s is neither emitted by the module, nor a listed Envoy stat, nor a recording rule", where, sel.metric)
				continue
			}
			for _, l := range sel.labels {
				if !known[l] && !(l == "le" && strings.HasSuffix(sel.metric, "_bucket")) {
					t.Errorf("%s: %s has no label %q", where, sel.metric, l)
				}
			}
		}
		for _, l := range groupingLabels(expr) {
			found := l == "le" || l == "job" || l == "instance"
			for _, sel := range selectors(expr) {
				if labels[sel.metric][l] {
					found = true
				}
			}
			if !found {
				t.Errorf("%s: groups by %q, a label none of its metrics has", where, l)
			}
		}
	}
}

type selector struct {
	metric string
	labels []string
}

var (
	metricRe   = regexp.MustCompile(`\b(gemini_code_api_[a-z0-9_]+|envoy_[a-z0-9_]+|gca:[a-z0-9_:]+|up)\b(\{[^}]*\})?`)
	labelRe    = regexp.MustCompile(`([a-z_]+)\s*(=~|!=|!~|=)`)
	groupingRe = regexp.MustCompile(`\b(?:by|without)\s*\(([^)]*)\)`)
)

func selectors(expr string) []selector {
	var out []selector
	for _, m := range metricRe.FindAllStringSubmatch(expr, -1) {
		s := selector{metric: m[1]}
		for _, l := range labelRe.FindAllStringSubmatch(m[2], -1) {
			s.labels = append(s.labels, l[1])
		}
		out = append(out, s)
	}
	return out
}

func groupingLabels(expr string) []string {
	var out []string
	for _, m := range groupingRe.FindAllStringSubmatch(expr, -1) {
		for _, l := range strings.Split(m[1], ",") {
			if l = strings.TrimSpace(l); l != "" {
				out = append(out, l)
			}
		}
	}
	return out
}

// deployExprs returns every PromQL expression of the rule files and the
// dashboard (by where it is), and the recording rules' names with the
// labels their expressions keep.
func deployExprs(t *testing.T) (map[string]string, map[string]map[string]bool) {
	t.Helper()
	dir := filepath.Join(repoRoot, "deploy", "observability")
	exprs := map[string]string{}
	recorded := map[string]map[string]bool{}
	for _, f := range ruleFiles(t) {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var doc struct {
			Groups []struct {
				Name     string
				Interval string
				Rules    []struct {
					Record, Alert, Expr, For string
					Labels, Annotations      map[string]string
				}
			}
		}
		if err := yaml.UnmarshalStrict(data, &doc); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for _, g := range doc.Groups {
			for _, r := range g.Rules {
				exprs[filepath.Base(f)+": "+r.Record+r.Alert] = r.Expr
				if r.Record != "" {
					ls := map[string]bool{}
					for _, l := range groupingLabels(r.Expr) {
						ls[l] = true
					}
					recorded[r.Record] = ls
				}
			}
		}
	}
	data, err := os.ReadFile(filepath.Join(dir, "grafana-dashboard.json"))
	if err != nil {
		t.Fatal(err)
	}
	var dash struct {
		Panels []struct {
			Title   string
			Targets []struct{ Expr string }
		}
	}
	if err := json.Unmarshal(data, &dash); err != nil {
		t.Fatal(err)
	}
	for _, p := range dash.Panels {
		for i, tg := range p.Targets {
			if tg.Expr != "" {
				exprs["dashboard: "+p.Title+" #"+strconv.Itoa(i)] = tg.Expr
			}
		}
	}
	return exprs, recorded
}

func ruleFiles(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(repoRoot, "deploy", "observability", "*-rules.yml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no rule files in deploy/observability: %v", err)
	}
	return files
}

// The rule files are valid Prometheus rules and the scrape configuration a
// valid Prometheus configuration (promtool, from Debian's prometheus
// package, which .ci/run installs), and the alerts fire on the thresholds
// the README documents (promtool's rule unit tests).
func TestObservabilityRulesPromtool(t *testing.T) {
	promtool, err := exec.LookPath("promtool")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("promtool is missing in CI: .ci/run installs Debian's prometheus package")
		}
		t.Skip("promtool not installed (apt-get install prometheus): the rule files are not checked")
	}
	args := append([]string{"check", "rules"}, ruleFiles(t)...)
	if out, err := exec.Command(promtool, args...).CombinedOutput(); err != nil {
		t.Fatalf("promtool check rules: %v\n%s", err, out)
	}
	config := filepath.Join(repoRoot, "deploy", "observability", "prometheus.yml")
	if out, err := exec.Command(promtool, "check", "config", config).CombinedOutput(); err != nil {
		t.Fatalf("promtool check config: %v\n%s", err, out)
	}
	tests, _ := filepath.Glob(filepath.Join(repoRoot, "deploy", "observability", "tests", "*.yml"))
	if len(tests) == 0 {
		t.Fatal("no rule unit tests in deploy/observability/tests")
	}
	cmd := exec.Command(promtool, append([]string{"test", "rules"}, tests...)...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("promtool test rules: %v\n%s", err, out)
	}
}
