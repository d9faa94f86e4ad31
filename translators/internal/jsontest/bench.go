package jsontest

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

// The translator benchmarks compare the gateway's work with a baseline:
// the least any translator must do with encoding/json, decoding the input
// into generic values and encoding a document back. Compare them as ratios
// (README, Performance).

// Events is a Gemini SSE answer of n text events, the last with its finish
// reason, usage on every event.
func Events(n int) []byte {
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

// Stream is what a stream benchmark drives.
type Stream interface {
	Write(dst, chunk []byte) []byte
	Close(dst []byte) []byte
}

// BenchStream benchmarks a stream translation of up (newStream starts one)
// event by event, next to the baseline.
func BenchStream(b *testing.B, up []byte, newStream func() Stream) {
	events := strings.Split(strings.TrimSpace(string(up)), "\r\n\r\n")
	b.Run("gateway", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(up)))
		var out []byte
		for range b.N {
			s := newStream()
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
				baseline(b, []byte(strings.TrimPrefix(ev, "data: ")))
			}
		}
	})
}

// BenchRequest benchmarks parse, a request translation, next to the
// baseline.
func BenchRequest(b *testing.B, body []byte, parse func([]byte) error) {
	b.Run("gateway", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(body)))
		for range b.N {
			if err := parse(body); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("baseline-encoding-json", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(body)))
		for range b.N {
			baseline(b, body)
		}
	})
}

// BenchBodies benchmarks f on each of bodies, under its name.
func BenchBodies(b *testing.B, bodies map[string][]byte, f func([]byte)) {
	for name, body := range bodies {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(body)))
			for range b.N {
				f(body)
			}
		})
	}
}

func baseline(b *testing.B, doc []byte) {
	var v map[string]any
	if err := json.Unmarshal(doc, &v); err != nil {
		b.Fatal(err)
	}
	if _, err := json.Marshal(v); err != nil {
		b.Fatal(err)
	}
}

// WriteSplit writes up to s in two chunks, split at cut (any int a fuzzer
// gives), and closes it; it returns what s wrote.
func WriteSplit(s Stream, up []byte, cut int) []byte {
	if cut < 0 {
		cut = -cut
	}
	cut %= len(up) + 1
	out := s.Write(nil, up[:cut])
	out = s.Write(out, up[cut:])
	return s.Close(out)
}
