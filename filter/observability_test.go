package filter_test

import (
	"encoding/json"
	"strconv"
	"testing"
)

// The module's metrics, /health's figures and the key gauges, in Go and in
// the compiled module: requests counted at their end, the served model
// bounded (the first 16 unknown Gemini names, then "other"), /health from
// the shared statistics, gauges set on the tick.
func TestMetricsAndHealth(t *testing.T) {
	withPlugin(t, "{}", func(t *testing.T, e *env) {
		gem := `{"candidates":[{"content":{"role":"model","parts":[{"text":"Hi"}]},"finishReason":"STOP","index":0}],"usageMetadata":{"promptTokenCount":5,"candidatesTokenCount":2,"thoughtsTokenCount":1,"cachedContentTokenCount":3,"totalTokenCount":8}}`
		for i := range 4 {
			x := e.send("POST", "/v1/chat/completions", [][2]string{{"authorization", "Bearer AIzaMETRICS"}}, chatBody)
			if i%2 == 1 {
				e.respond(x, 500, `{"error":{"code":500,"message":"Internal error","status":"INTERNAL"}}`)
			} else {
				e.respond(x, 200, gem)
			}
		}
		const natives = 40
		for i := range natives {
			x := e.sendNative("/v1beta/models/gemini-zz-" + strconv.Itoa(i) + ":generateContent")
			e.respondWith(x, [][2]string{{":status", "200"}}, `{"candidates":[]}`)
		}
		counter := func(name string) int {
			t.Helper()
			v, err := e.host.GetCounterMetric(name)
			if err != nil {
				return -1
			}
			return int(v)
		}
		const chat = "gemini_code_api.requests.protocol.openai.endpoint.chat_completions.status."
		for name, want := range map[string]int{
			chat + "2xx.model.gemini-4-argon":                                                        2,
			chat + "5xx.model.gemini-4-argon":                                                        2,
			"gemini_code_api.tokens.type.input.model.gemini-4-argon":                                 10,
			"gemini_code_api.tokens.type.output.model.gemini-4-argon":                                6,
			"gemini_code_api.tokens.type.thinking.model.gemini-4-argon":                              2,
			"gemini_code_api.tokens.type.cached.model.gemini-4-argon":                                6,
			"gemini_code_api.requests.protocol.gemini.endpoint.native.status.2xx.model.gemini-zz-0":  1,
			"gemini_code_api.requests.protocol.gemini.endpoint.native.status.2xx.model.gemini-zz-15": 1,
			"gemini_code_api.requests.protocol.gemini.endpoint.native.status.2xx.model.gemini-zz-16": -1, // never defined
			"gemini_code_api.requests.protocol.gemini.endpoint.native.status.2xx.model.other":        natives - 16,
			// Without the upstream instance the downstream one records
			// each request's single attempt.
			"gemini_code_api.upstream_attempts.attempt.1.result.success": 2 + natives,
			"gemini_code_api.upstream_attempts.attempt.1.result.failed":  2,
		} {
			if got := counter(name); got != want {
				t.Errorf("%s = %d, want %d", name, got, want)
			}
		}

		var h struct {
			Status       string
			StatusReason string `json:"status_reason"`
			Uptime       *int64
			Metrics      struct {
				RequestsTotal   int     `json:"requests_total"`
				ErrorRate       float64 `json:"error_rate"`
				ServerErrorRate float64 `json:"server_error_rate"`
				ActiveAPIKeys   int     `json:"active_api_keys"`
				HealthyAPIKeys  int     `json:"healthy_api_keys"`
				Window          int     `json:"window_seconds"`
			}
			Keys struct{ Active, Healthy int }
		}
		x := e.send("GET", "/health", nil, "")
		if err := json.Unmarshal(x.local.Data, &h); err != nil {
			t.Fatalf("%v: %s", err, x.local.Data)
		}
		// 2 of 44 requests are 5xx: under the 5 % that makes the gateway
		// degraded; the key (2 failures in 4) stays healthy.
		if h.Status != "healthy" || h.Metrics.RequestsTotal != 44 || h.Metrics.ServerErrorRate != 0.0455 || h.Metrics.ErrorRate != 0.0455 ||
			h.Metrics.ActiveAPIKeys != 2 || h.Metrics.HealthyAPIKeys != 2 || h.Metrics.Window != 300 || h.Uptime == nil || h.Keys.Active != 2 {
			t.Fatalf("health %+v\n%s", h, x.local.Data)
		}
		// One more 5xx: 3 of 45 is above 5 %.
		y := e.send("POST", "/v1/chat/completions", [][2]string{{"authorization", "Bearer AIzaOTHER"}}, chatBody)
		e.respond(y, 503, `{"error":{"code":503,"message":"overloaded","status":"UNAVAILABLE"}}`)
		x = e.send("GET", "/health", nil, "")
		_ = json.Unmarshal(x.local.Data, &h)
		if h.Status != "degraded" || h.StatusReason == "" || h.Metrics.RequestsTotal != 45 {
			t.Fatalf("health after more errors: %s", x.local.Data)
		}

		// The key gauges are set on the tick, from the shared key records.
		if v, _ := e.host.GetGaugeMetric("gemini_code_api.keys.state.active"); v != 0 {
			t.Fatalf("active keys gauge %d before any tick", v)
		}
		e.host.Tick()
		for state, want := range map[string]uint64{"active": 3, "healthy": 3, "cooling": 0} {
			if v, _ := e.host.GetGaugeMetric("gemini_code_api.keys.state." + state); v != want {
				t.Errorf("keys gauge %s = %d, want %d", state, v, want)
			}
		}
	})
}
