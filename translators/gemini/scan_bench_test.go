package gemini

import (
	"testing"

	"github.com/tidwall/gjson"
)

var benchEvent = []byte(`{"candidates":[{"content":{"role":"model","parts":[{"text":"token 17 of the answer "}]},"index":0}],"usageMetadata":{"promptTokenCount":412,"candidatesTokenCount":18,"totalTokenCount":430},"modelVersion":"gemini-2.5-pro","responseId":"bench-stream"}`)

// BenchmarkScanEvent is the scan of one typical stream event, against what
// the gjson path did with it before translating (validate, index, usage).
func BenchmarkScanEvent(b *testing.B) {
	for _, bc := range []struct {
		name string
		lazy bool // as a stream's EventReader scans: usageMetadata only validated
	}{{"scan", false}, {"scan-stream", true}} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(benchEvent)))
			s := Scan{lazyUsage: bc.lazy}
			for range b.N {
				if !s.Read(benchEvent) {
					b.Fatal("not read")
				}
			}
		})
	}
	b.Run("gjson", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(benchEvent)))
		var r EventReader
		for range b.N {
			if !gjson.ValidBytes(benchEvent) {
				b.Fatal("invalid")
			}
			resp := gjson.ParseBytes(benchEvent)
			r.idx.Load(resp)
			_ = UsageOf(r.idx.Get("usageMetadata"))
			r.idx.Get("candidates").ForEach(func(_, c gjson.Result) bool {
				_ = c.Get("finishReason").String()
				c.Get("content.parts").ForEach(func(_, p gjson.Result) bool {
					_, _ = PartOf(p)
					return true
				})
				return true
			})
		}
	})
}
