package openai

import (
	"github.com/gemini-code-api/gemini-code-api/translators/internal/jsontest"
	"strings"
	"testing"

	"github.com/gemini-code-api/gemini-code-api/translators/internal/envtest"
	"github.com/gemini-code-api/gemini-code-api/translators/jsondepth"
	"github.com/tidwall/gjson"
)

var benchChat = []byte(`{"model":"gpt-4o","messages":[{"role":"system","content":"You are a helpful assistant."},` +
	`{"role":"user","content":"` + strings.Repeat("Tell me about foxes. ", 20) + `"},` +
	`{"role":"assistant","content":"` + strings.Repeat("Foxes are small omnivores. ", 20) + `"},` +
	`{"role":"user","content":"And dogs?"}],"temperature":0.7,"max_tokens":512,` +
	`"tools":[{"type":"function","function":{"name":"lookup","description":"look up an animal","parameters":{"type":"object","properties":{"name":{"type":"string"},"limit":{"type":"integer"}},"required":["name"],"additionalProperties":false}}}]}`)

func BenchmarkChatRequest(b *testing.B) {
	envtest.BenchRequest(b, ParseChat, benchChat)
}

func BenchmarkStream50Events(b *testing.B) {
	r, _ := ParseChat([]byte(`{"model":"gpt-4o","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"x"}]}`), envtest.Env(nil))
	jsontest.BenchStream(b, jsontest.Events(50), func() jsontest.Stream { return r.NewStream() })
}

// BenchmarkDepthScan is the share of the nesting pre-scan in the work above:
// one pass over the request body, and over each stream event.
func BenchmarkDepthScan(b *testing.B) {
	jsontest.BenchBodies(b, map[string][]byte{"chat-request": benchChat, "stream-50-events": jsontest.Events(50)},
		func(body []byte) { jsondepth.Check(body, jsondepth.MaxDepth) })
}

// BenchmarkValidate compares the request body's and one stream event's
// reading before translation: the depth check then gjson's validation
// (old), and jsondepth.Validate's one pass (one-pass).
func BenchmarkValidate(b *testing.B) {
	event := []byte(jsontest.EventsOf([]string{string(jsontest.Events(3))})[1])
	for _, in := range []struct {
		name string
		body []byte
	}{{"chat-request", benchChat}, {"stream-event", event}} {
		b.Run(in.name+"/old", func(b *testing.B) {
			b.SetBytes(int64(len(in.body)))
			for range b.N {
				if _, ok := jsondepth.Check(in.body, jsondepth.MaxDepth); !ok || !gjson.ValidBytes(in.body) {
					b.Fatal("invalid")
				}
			}
		})
		b.Run(in.name+"/one-pass", func(b *testing.B) {
			b.SetBytes(int64(len(in.body)))
			for range b.N {
				if _, valid := jsondepth.Validate(in.body); !valid {
					b.Fatal("invalid")
				}
			}
		})
	}
}

// hostileChat are requests built to make the translator work hard; each
// must be answered (here, refused or translated) in linear time.
func hostileChat() map[string][]byte {
	const msg = `"messages":[{"role":"user","content":"x"}]`
	calls := func(n int) []byte { return []byte(`{"model":"gpt-4","messages":` + toolRoundTrip(n) + `}`) }
	return map[string][]byte{
		"modalities-1M":       []byte(`{"model":"gpt-4",` + msg + `,"modalities":[` + strings.Repeat(`"text",`, 1_000_000) + `"text"]}`),
		"nesting-100k":        []byte(`{"model":"gpt-4",` + msg + `,"metadata":` + strings.Repeat("[", 100_000) + strings.Repeat("]", 100_000) + `}`),
		"tool-results-2k":     calls(2_000),
		"tool-results-20k":    calls(20_000),
		"schema-depth-250":    []byte(`{"model":"gpt-4",` + msg + `,"tools":[{"type":"function","function":{"name":"f","parameters":` + strings.Repeat(`{"type":"object","properties":{"a":`, 125) + `{}` + strings.Repeat(`}}`, 125) + `}}]}`),
		"top-level-fields-1M": []byte(`{"model":"gpt-4",` + msg + `,` + strings.Repeat(`"a":0,`, 1_000_000) + `"z":1}`),
	}
}

func BenchmarkHostileChat(b *testing.B) {
	env := envtest.Env(nil)
	jsontest.BenchBodies(b, hostileChat(), func(body []byte) { ParseChat(body, env) })
}
