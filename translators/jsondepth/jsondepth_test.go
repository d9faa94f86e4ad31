package jsondepth

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/gemini-code-api/gemini-code-api/translators/apierror"
)

func TestCheck(t *testing.T) {
	tests := []struct {
		name, in string
		depth    int
	}{
		{"empty", ``, 0},
		{"scalar", `12`, 0},
		{"string", `"[{"`, 0},
		{"empty array", `[]`, 1},
		{"mixed", `{"a":[1,{"b":[]}],"c":{}}`, 4},
		{"brackets in keys and values", `{"[[[":"{{{","x":["]]]"]}`, 2},
		{"escaped quote stays in the string", `["\"[[[["]`, 1},
		{"escaped backslash ends before the quote", `["\\",[[]]]`, 3},
		{"three backslashes then a quote", `["\\\"[[",[]]`, 2},
		{"unicode escape", `["\u0022",[]]`, 2},
		{"unterminated string", `[["[[[[`, 2},
		{"closers without openers are ignored", `]]]]}}[[`, 2},
		{"siblings do not add up", `[[],[],[[]]]`, 3},
		{"deep", strings.Repeat("[", 10000) + strings.Repeat("]", 10000), 10000},
		{"deep objects", strings.Repeat(`{"a":`, 300) + `1` + strings.Repeat("}", 300), 300},
		{"unclosed", strings.Repeat("[", 5000), 5000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, ok := Check([]byte(tt.in), MaxDepth)
			if d != tt.depth || ok != (tt.depth <= MaxDepth) {
				t.Fatalf("Check = %d, %v; want %d", d, ok, tt.depth)
			}
			if d2, ok2 := CheckString(tt.in, MaxDepth); d2 != d || ok2 != ok {
				t.Fatalf("CheckString = %d, %v", d2, ok2)
			}
		})
	}
}

func TestCheckLimitIsInclusive(t *testing.T) {
	at := strings.Repeat("[", MaxDepth) + strings.Repeat("]", MaxDepth)
	if _, ok := Check([]byte(at), MaxDepth); !ok {
		t.Fatal("a body exactly at the limit must pass")
	}
	if _, ok := Check([]byte("["+at+"]"), MaxDepth); ok {
		t.Fatal("one level beyond the limit must fail")
	}
}

func TestCheckRequestAndAnswer(t *testing.T) {
	deep := []byte(`{"a":` + strings.Repeat("[", 300) + strings.Repeat("]", 300) + `}`)
	e := CheckRequest(deep)
	if e == nil || e.Kind != apierror.InvalidRequest || e.Status != 400 ||
		e.Message != "The request body nests JSON 301 levels deep; the gateway accepts at most 256." {
		t.Fatalf("request: %+v", e)
	}
	e = CheckAnswer(deep)
	if e == nil || e.Kind != apierror.BadGateway || e.Status != 502 ||
		e.Message != "Gemini's answer nests JSON 301 levels deep; the gateway reads at most 256." {
		t.Fatalf("answer: %+v", e)
	}
	if CheckRequest([]byte(`{"a":[[1]]}`)) != nil || CheckAnswer([]byte(`{}`)) != nil {
		t.Fatal("shallow bodies must pass")
	}
}

// The scan allocates nothing, whatever it reads.
func TestCheckAllocatesNothing(t *testing.T) {
	b := []byte(`{"model":"x","messages":[{"role":"user","content":"a \"quoted\" [text]"}]}`)
	if n := testing.AllocsPerRun(100, func() { Check(b, MaxDepth) }); n != 0 {
		t.Fatalf("%v allocations", n)
	}
}

// refDepth is the nesting depth of a decoded JSON value, by recursion (the
// fuzz inputs are small).
func refDepth(v any) int {
	d := 0
	switch v := v.(type) {
	case []any:
		for _, x := range v {
			d = max(d, refDepth(x))
		}
		return d + 1
	case map[string]any:
		for _, x := range v {
			d = max(d, refDepth(x))
		}
		return d + 1
	}
	return 0
}

func FuzzCheck(f *testing.F) {
	for _, s := range []string{`{"a":[1,{"b":"]}\"["}]}`, `["\\\\\"",[[]]]`, `[[[`, `"\`, `]}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		d, _ := Check(b, MaxDepth)
		if d < 0 || d > len(b) {
			t.Fatalf("depth %d for %d bytes", d, len(b))
		}
		var v any
		if json.Unmarshal(b, &v) == nil {
			if want := refDepth(v); d != want {
				t.Fatalf("Check(%q) = %d, want %d", b, d, want)
			}
		}
	})
}
