package filter_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/proxy-wasm/proxy-wasm-go-sdk/proxywasm/types"
)

// POST /v1/responses goes to Gemini translated, and its stream comes back
// as Responses events as the upstream bytes arrive.
func TestResponsesStreaming(t *testing.T) {
	withPlugin(t, "", func(t *testing.T, e *env) {
		x := e.send("POST", "/v1/responses", [][2]string{{"authorization", "Bearer AIzaR"}},
			`{"model":"gemini-3-flash-preview","stream":true,"store":false,"input":[{"type":"message","role":"developer","content":[{"type":"input_text","text":"be brief"}]},{"type":"message","role":"user","content":[{"type":"input_text","text":"Hi"}]}]}`)
		if x.local != nil {
			t.Fatalf("local reply %d %s", x.local.StatusCode, x.local.Data)
		}
		if p, _ := header(x.reqHeaders, ":path"); p != "/v1beta/models/gemini-3-flash-preview:streamGenerateContent?alt=sse" {
			t.Fatalf("path %q", p)
		}
		if k, _ := header(x.reqHeaders, "x-goog-api-key"); k != "AIzaR" {
			t.Fatalf("key %q", k)
		}
		if want := `{"contents":[{"role":"user","parts":[{"text":"Hi"}]}],"systemInstruction":{"parts":[{"text":"be brief"}]}}`; string(x.reqBody) != want {
			t.Fatalf("upstream body %s", x.reqBody)
		}
		e.host.CallOnResponseHeaders(x.id, [][2]string{{":status", "200"}, {"content-type", "text/event-stream"}}, false)
		if ct, _ := header(e.host.GetCurrentResponseHeaders(x.id), "content-type"); ct != "text/event-stream" {
			t.Fatalf("content-type %q", ct)
		}
		ev1 := "data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"Bon\"}]},\"index\":0}],\"responseId\":\"r1\"}\r\n\r\n"
		ev2 := "data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"jour\"}]},\"finishReason\":\"STOP\",\"index\":0}],\"usageMetadata\":{\"promptTokenCount\":3,\"candidatesTokenCount\":2,\"totalTokenCount\":5}}\r\n\r\n"
		up := ev1 + ev2
		cut := len(ev1) + 20
		if a := e.host.CallOnResponseBody(x.id, []byte(up[:cut]), false); a != types.ActionContinue {
			t.Fatalf("stream chunk action %v", a)
		}
		first := string(e.host.GetCurrentResponseBody(x.id))
		if !strings.HasPrefix(first, "event: response.created\n") || !strings.Contains(first, `"delta":"Bon"`) || strings.Contains(first, "jour") {
			t.Fatalf("first chunk to the client: %s", first)
		}
		e.host.CallOnResponseBody(x.id, []byte(up[cut:]), true)
		rest := string(e.host.GetCurrentResponseBody(x.id))
		for _, want := range []string{`"delta":"jour"`, `"text":"Bonjour"`, "event: response.completed\n", `"usage":{"input_tokens":3,`} {
			if !strings.Contains(rest, want) {
				t.Fatalf("missing %s in\n%s", want, rest)
			}
		}
		e.host.CompleteHttpContext(x.id)
		for name, want := range map[string]uint64{
			"gemini_code_api.requests.protocol.openai.endpoint.responses.status.2xx.model.gemini-3-flash-preview": 1,
			"gemini_code_api.tokens.type.output.model.gemini-3-flash-preview":                                     2,
		} {
			if c, err := e.host.GetCounterMetric(name); err != nil || c != want {
				t.Errorf("%s = %d (%v), want %d", name, c, err, want)
			}
		}
	})
}

// Errors on /v1/responses use OpenAI's shape and the chat status map; a
// WebSocket upgrade gets a 426 at once (Codex's signal to use HTTP), before
// any key is needed.
func TestResponsesErrors(t *testing.T) {
	withPlugin(t, "", func(t *testing.T, e *env) {
		auth := [][2]string{{"authorization", "Bearer K"}}
		x := e.send("GET", "/v1/responses", [][2]string{{"upgrade", "websocket"}, {"connection", "Upgrade"}, {"sec-websocket-version", "13"}}, "")
		if x.local == nil || x.local.StatusCode != 426 || !strings.Contains(string(x.local.Data), "WebSocket") {
			t.Fatalf("websocket upgrade: %+v", x.local)
		}
		if c := e.host.GetCalloutAttributesFromContext(x.id); len(c) != 0 {
			t.Fatalf("%d callouts for an upgrade", len(c))
		}

		x = e.send("POST", "/v1/responses", auth, `{"model":"gpt-4o","input":"x","previous_response_id":"resp_1"}`)
		if x.local == nil || x.local.StatusCode != 400 || !strings.Contains(string(x.local.Data), `"param":"previous_response_id"`) {
			t.Fatalf("previous_response_id: %+v", x.local)
		}

		x = e.send("POST", "/v1/responses", auth, `{"model":"gpt-4o","input":"x"}`)
		status, hs, body := e.respond(x, 429, `{"error":{"code":429,"status":"RESOURCE_EXHAUSTED","message":"Quota exceeded.","details":[{"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"7s"}]}}`)
		var eb struct {
			Error struct{ Type, Code, Message string }
		}
		if err := json.Unmarshal([]byte(body), &eb); err != nil || status != 429 || eb.Error.Type != "rate_limit_error" || eb.Error.Code != "rate_limit_exceeded" {
			t.Fatalf("429: %d %s", status, body)
		}
		if ra, _ := header(hs, "retry-after"); ra != "7" {
			t.Fatalf("retry-after %q", ra)
		}

		x = e.send("POST", "/v1/responses", auth, `{"model":"gpt-4o","input":"x"}`)
		status, _, body = e.respond(x, 200, `{"candidates":[{"content":{"parts":[{"text":"Hi"}]},"finishReason":"STOP"}],"responseId":"a1"}`)
		var r struct{ ID, Object, Status, Model string }
		if err := json.Unmarshal([]byte(body), &r); err != nil || status != 200 || r.ID != "resp_a1" || r.Object != "response" || r.Status != "completed" || r.Model != "gpt-4o" {
			t.Fatalf("answer: %d %s", status, body)
		}
	})
}

// Codex asks GET /v1/models?client_version=… for its model catalog; other
// clients get OpenAI's list alone.
func TestModelsCodexCatalog(t *testing.T) {
	ok := [][2]string{{":status", "200"}}
	list := `{"models":[{"name":"models/gemini-3-pro-preview","supportedGenerationMethods":["generateContent"]},{"name":"models/text-embedding-004","supportedGenerationMethods":["embedContent"]}]}`
	withPlugin(t, "", func(t *testing.T, e *env) {
		for _, tc := range []struct {
			path, key string
			catalog   bool
		}{{"/v1/models?client_version=0.169.0", "K1", true}, {"/v1/models", "K2", false}} {
			// Different keys: each list is fetched, not served from the cache.
			x := e.send("GET", tc.path, [][2]string{{"authorization", "Bearer " + tc.key}}, "")
			calls := e.host.GetCalloutAttributesFromContext(x.id)
			if len(calls) != 1 {
				t.Fatalf("%s: %d callouts", tc.path, len(calls))
			}
			e.host.CallOnHttpCallResponse(calls[0].CalloutID, ok, nil, []byte(list))
			lr := e.host.GetSentLocalResponse(x.id)
			var got struct {
				Data   []struct{ ID string }
				Models []struct{ Slug string }
			}
			if lr == nil || lr.StatusCode != 200 || json.Unmarshal(lr.Data, &got) != nil || len(got.Data) < 2 {
				t.Fatalf("%s: %+v", tc.path, lr)
			}
			if tc.catalog != (len(got.Models) > 0) || (tc.catalog && got.Models[0].Slug != "gemini-3-pro-preview") {
				t.Fatalf("%s: catalog %s", tc.path, lr.Data)
			}
		}
	})
}
