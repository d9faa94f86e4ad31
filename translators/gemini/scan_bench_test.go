package gemini

import (
	"bytes"
	"testing"

	"github.com/tidwall/gjson"
)

var benchEvent = []byte(`{"candidates":[{"content":{"role":"model","parts":[{"text":"token 17 of the answer "}]},"index":0}],"usageMetadata":{"promptTokenCount":412,"candidatesTokenCount":18,"totalTokenCount":430},"modelVersion":"gemini-2.5-pro","responseId":"bench-stream"}`)

// BenchmarkScanEvent is the scan of one typical stream event, against what
// the gjson path did with it before translating (validate, index, usage).
func BenchmarkScanEvent(b *testing.B) {
	b.Run("scan", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(benchEvent)))
		var s Scan
		for range b.N {
			if !s.Read(benchEvent) {
				b.Fatal("not read")
			}
		}
	})
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

func BenchmarkScanParts(b *testing.B) {
	b.Run("skip-whole", func(b *testing.B) {
		for range b.N {
			if skip(benchEvent, 0, 0) < 0 {
				b.Fatal("x")
			}
		}
	})
	b.Run("usageFast", func(b *testing.B) {
		u := `{"promptTokenCount":412,"candidatesTokenCount":18,"totalTokenCount":430}`
		for range b.N {
			usageFast(u)
		}
	})
	b.Run("loop", func(b *testing.B) {
		n := 0
		for range b.N {
			for _, c := range benchEvent {
				if c < 0x20 {
					n++
				}
			}
		}
		_ = n
	})
}

var benchLong = []byte(`"` + string(make([]byte, 0)) + "the gateway reads the request once, writes Gemini's JSON by appending bytes, and keeps nothing after the answer. the gateway reads the request once, writes Gemini's JSON by appending bytes, and keeps nothing after the answer.\"")

func BenchmarkScanStr(b *testing.B) {
	b.Run("str", func(b *testing.B) {
		for range b.N {
			if e, _ := str(benchLong, 1); e < 0 {
				b.Fatal("x")
			}
		}
	})
	b.Run("indexbyte", func(b *testing.B) {
		for range b.N {
			if bytes.IndexByte(benchLong[1:], '"') < 0 {
				b.Fatal("x")
			}
		}
	})
	b.Run("str2", func(b *testing.B) {
		for range b.N {
			if e, _ := str2(benchLong, 1); e < 0 {
				b.Fatal("x")
			}
		}
	})
}

func str2(d []byte, i int) (int, bool) {
	for ; i < len(d); i++ {
		c := d[i]
		if c < 0x20 || c == '"' || c == '\\' {
			break
		}
	}
	if i < len(d) && d[i] == '"' {
		return i + 1, false
	}
	return -1, false
}
