package sse

import (
	"strings"
	"testing"
)

type got struct {
	name, data string
	bare       bool
}

func collect(t testing.TB, chunks []string, finish bool) []got {
	t.Helper()
	var p Parser
	var out []got
	emit := func(e Event) error {
		out = append(out, got{e.Name, string(e.Data), e.Bare})
		return nil
	}
	for _, c := range chunks {
		if err := p.Feed([]byte(c), emit); err != nil {
			t.Fatal(err)
		}
	}
	if finish {
		if err := p.Finish(emit); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

func equal(a, b []got) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestParserFraming(t *testing.T) {
	tests := []struct {
		name   string
		stream string
		want   []got
	}{
		{"gemini CRLF", "data: {\"a\":1}\r\n\r\ndata: {\"b\":2}\r\n\r\n", []got{{"", `{"a":1}`, false}, {"", `{"b":2}`, false}}},
		{"LF", "data: x\n\ndata: y\n\n", []got{{"", "x", false}, {"", "y", false}}},
		{"CR only", "data: x\r\rdata: y\r\r", []got{{"", "x", false}, {"", "y", false}}},
		{"multi-line data", "data: a\ndata: b\n\n", []got{{"", "a\nb", false}}},
		{"event name", "event: message_start\ndata: {}\n\n", []got{{"message_start", "{}", false}}},
		{"comment and id ignored", ": ping\nid: 3\nretry: 10\ndata: z\n\n", []got{{"", "z", false}}},
		{"no space after colon", "data:q\n\n", []got{{"", "q", false}}},
		{"bare error object", "{\"error\":{\"code\":500}}\n", []got{{"", `{"error":{"code":500}}`, true}}},
		{"event without data is dropped", "event: x\n\ndata: y\n\n", []got{{"", "y", false}}},
		{"utf8", "data: 世界🙂\r\n\r\n", []got{{"", "世界🙂", false}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			whole := collect(t, []string{tt.stream}, false)
			if !equal(whole, tt.want) {
				t.Fatalf("whole: got %+v want %+v", whole, tt.want)
			}
			// Every split into two and three pieces must give the same events.
			s := tt.stream
			for i := 0; i <= len(s); i++ {
				if g := collect(t, []string{s[:i], s[i:]}, false); !equal(g, tt.want) {
					t.Fatalf("split at %d: got %+v want %+v", i, g, tt.want)
				}
				for j := i; j <= len(s); j++ {
					if g := collect(t, []string{s[:i], s[i:j], s[j:]}, false); !equal(g, tt.want) {
						t.Fatalf("split at %d,%d: got %+v want %+v", i, j, g, tt.want)
					}
				}
			}
			// Byte by byte.
			var bytesChunks []string
			for i := range len(s) {
				bytesChunks = append(bytesChunks, s[i:i+1])
			}
			if g := collect(t, bytesChunks, false); !equal(g, tt.want) {
				t.Fatalf("byte by byte: got %+v", g)
			}
		})
	}
}

func TestEventDeliveredBeforeStreamEnds(t *testing.T) {
	// The first event must come out of the chunk that completes it, not later.
	var p Parser
	n := 0
	emit := func(Event) error { n++; return nil }
	_ = p.Feed([]byte("data: 1\r\n"), emit)
	if n != 0 {
		t.Fatal("dispatched before the blank line")
	}
	_ = p.Feed([]byte("\r\n"), emit)
	if n != 1 {
		t.Fatalf("event not dispatched on its blank line (n=%d)", n)
	}
}

func TestFinishDeliversUnterminated(t *testing.T) {
	g := collect(t, []string{"data: a\r\n\r\ndata: tail"}, true)
	if !equal(g, []got{{"", "a", false}, {"", "tail", false}}) {
		t.Fatalf("got %+v", g)
	}
}

func TestLimit(t *testing.T) {
	p := Parser{MaxEvent: 16}
	err := p.Feed([]byte("data: "+strings.Repeat("x", 40)), func(Event) error { return nil })
	if err == nil {
		t.Fatal("want ErrTooLarge for an oversized line")
	}
	p = Parser{MaxEvent: 16}
	err = p.Feed([]byte("data: 0123456789\ndata: 0123456789\n"), func(Event) error { return nil })
	if err == nil {
		t.Fatal("want ErrTooLarge for an oversized event")
	}
}

func FuzzParserSplits(f *testing.F) {
	f.Add("data: {\"a\":1}\r\n\r\ndata: b\n\n: c\r\n", 3)
	f.Fuzz(func(t *testing.T, s string, cut int) {
		whole := collect(t, []string{s}, true)
		if cut < 0 {
			cut = -cut
		}
		if len(s) > 0 {
			cut %= len(s) + 1
		} else {
			cut = 0
		}
		split := collect(t, []string{s[:cut], s[cut:]}, true)
		if !equal(whole, split) {
			t.Fatalf("split at %d differs: %+v vs %+v", cut, whole, split)
		}
		// Byte by byte, every line is carried over and every event
		// built in the parser: the reference of events delivered from
		// the chunk.
		if bytewise := collect(t, strings.Split(s, ""), true); !equal(whole, bytewise) {
			t.Fatalf("byte by byte differs: %+v vs %+v", whole, bytewise)
		}
	})
}

// TestSingleLineEvents: events of one data line are delivered from the
// chunk as the parser would build them, whatever the line ends.
func TestSingleLineEvents(t *testing.T) {
	in := "data: a\r\n\r\ndata:b\n\nevent: e\ndata: c\r\rdata: d\r\n\r\n: x\ndata: e\n\r\n"
	want := []got{{"", "a", false}, {"", "b", false}, {"e", "c", false}, {"", "d", false}, {"", "e", false}}
	if g := collect(t, []string{in}, true); !equal(g, want) {
		t.Fatalf("got %+v", g)
	}
	// A chunk ending in the blank line's CR: the LF that follows is its.
	if g := collect(t, []string{"data: a\r\n\r", "\ndata: b\r\n\r\n"}, true); !equal(g, []got{{"", "a", false}, {"", "b", false}}) {
		t.Fatalf("got %+v", g)
	}
	// Such an event's data is the chunk's bytes, not a copy.
	chunk := []byte("data: {}\r\n\r\n")
	var p Parser
	_ = p.Feed(chunk, func(e Event) error {
		if &e.Data[0] != &chunk[6] {
			t.Error("the event's data was copied")
		}
		return nil
	})
}
