package openai

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/gemini-code-api/gemini-code-api/translators/models"
)

// The baselines do the least any translator must do with encoding/json:
// decode the input into generic values and encode a document back. Compare
// our benchmarks with them as ratios (see README, Performance).

var benchChat = []byte(`{"model":"gpt-4o","messages":[{"role":"system","content":"You are a helpful assistant."},` +
	`{"role":"user","content":"` + strings.Repeat("Tell me about foxes. ", 20) + `"},` +
	`{"role":"assistant","content":"` + strings.Repeat("Foxes are small omnivores. ", 20) + `"},` +
	`{"role":"user","content":"And dogs?"}],"temperature":0.7,"max_tokens":512,` +
	`"tools":[{"type":"function","function":{"name":"lookup","description":"look up an animal","parameters":{"type":"object","properties":{"name":{"type":"string"},"limit":{"type":"integer"}},"required":["name"],"additionalProperties":false}}}]}`)

func benchEvents(n int) []byte {
	var b strings.Builder
	for i := range n {
		finish := ""
		if i == n-1 {
			finish = `,"finishReason":"STOP"`
		}
		fmt.Fprintf(&b, "data: {\"candidates\":[{\"content\":{\"role\":\"model\",\"parts\":[{\"text\":\"token %d of the answer \"}]}%s,\"index\":0}],\"usageMetadata\":{\"promptTokenCount\":25,\"candidatesTokenCount\":%d,\"totalTokenCount\":%d},\"modelVersion\":\"gemini-2.5-flash\",\"responseId\":\"bench\"}\r\n\r\n", i, finish, i, 25+i)
	}
	return []byte(b.String())
}

func BenchmarkChatRequest(b *testing.B) {
	mm := models.Default()
	b.Run("gateway", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(benchChat)))
		for range b.N {
			if _, e := ParseChat(benchChat, mm, Options{}); e != nil {
				b.Fatal(e)
			}
		}
	})
	b.Run("baseline-encoding-json", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(benchChat)))
		for range b.N {
			var v map[string]any
			if err := json.Unmarshal(benchChat, &v); err != nil {
				b.Fatal(err)
			}
			if _, err := json.Marshal(v); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkStream50Events(b *testing.B) {
	up := benchEvents(50)
	r, _ := ParseChat([]byte(`{"model":"gpt-4o","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"x"}]}`), models.Default(), Options{})
	events := strings.Split(strings.TrimSpace(string(up)), "\r\n\r\n")
	b.Run("gateway", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(up)))
		var out []byte
		for range b.N {
			s := r.NewStream(1)
			for _, ev := range events {
				out = s.Write(out[:0], []byte(ev+"\r\n\r\n"))
			}
			out = s.Close(out[:0])
		}
	})
	b.Run("baseline-encoding-json", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(up)))
		for range b.N {
			for _, ev := range events {
				var v map[string]any
				if err := json.Unmarshal([]byte(strings.TrimPrefix(ev, "data: ")), &v); err != nil {
					b.Fatal(err)
				}
				if _, err := json.Marshal(v); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
}
