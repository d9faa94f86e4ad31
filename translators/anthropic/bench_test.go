package anthropic

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/gemini-code-api/gemini-code-api/translators/models"
)

// Compare with the baseline (decode each event with encoding/json and
// encode it back) as a ratio; see README, Performance.
func BenchmarkStream50Events(b *testing.B) {
	var up strings.Builder
	for i := range 50 {
		finish := ""
		if i == 49 {
			finish = `,"finishReason":"STOP"`
		}
		fmt.Fprintf(&up, "data: {\"candidates\":[{\"content\":{\"role\":\"model\",\"parts\":[{\"text\":\"token %d of the answer \"}]}%s,\"index\":0}],\"usageMetadata\":{\"promptTokenCount\":25,\"candidatesTokenCount\":%d,\"totalTokenCount\":%d},\"responseId\":\"bench\"}\r\n\r\n", i, finish, i, 25+i)
	}
	events := strings.Split(strings.TrimSpace(up.String()), "\r\n\r\n")
	r, e := ParseMessages([]byte(`{"model":"claude-sonnet-4-5","max_tokens":1024,"stream":true,"messages":[{"role":"user","content":"x"}]}`), models.Default(), Options{})
	if e != nil {
		b.Fatal(e)
	}
	b.Run("gateway", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(up.Len()))
		var out []byte
		for range b.N {
			s := r.NewStream()
			for _, ev := range events {
				out = s.Write(out[:0], []byte(ev+"\r\n\r\n"))
			}
			out = s.Close(out[:0])
		}
	})
	b.Run("baseline-encoding-json", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(up.Len()))
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
