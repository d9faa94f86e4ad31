package jsonidx

import (
	"strings"
	"testing"
)

// Parse refuses a body for its depth before anything else wrong in it, and
// measures the depth over the whole body, past an invalid byte too.
func TestParseErrors(t *testing.T) {
	nest := func(n int) string { return strings.Repeat("[", n) + strings.Repeat("]", n) }
	tooDeep := func(d string) string {
		return "The request body nests JSON " + d + " levels deep; the gateway accepts at most 256."
	}
	const invalid, notObject = "The request body is not valid JSON.", "The request body must be a JSON object."
	tests := []struct{ name, in, msg string }{
		{"object", `{"a":[1,{"b":null}]}`, ""},
		{"at the limit", `{"a":` + nest(255) + `}`, ""},
		{"one level over", `{"a":` + nest(256) + `}`, tooDeep("257")},
		{"invalid before the deep part", `{"a":x,"b":` + nest(300) + `}`, tooDeep("301")},
		{"invalid inside the deep part", `{"a":` + strings.Repeat("[", 300) + `x` + strings.Repeat("]", 300) + `}`, tooDeep("301")},
		{"too deep and unclosed", `{"a":` + strings.Repeat("[", 300), tooDeep("301")},
		{"invalid, deep within the limit", `{"a":x,"b":` + nest(200) + `}`, invalid},
		{"brackets in a string after an error", `{"a":x,"b":"` + nest(300) + `"}`, invalid},
		{"empty", ``, invalid},
		{"trailing bytes", `{} x`, invalid},
		{"array", `[]`, notObject},
		{"string", `"{}"`, notObject},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, e := Parse([]byte(tt.in))
			switch {
			case tt.msg == "" && e != nil:
				t.Fatalf("error %+v", e)
			case tt.msg != "" && (e == nil || e.Status != 400 || e.Message != tt.msg):
				t.Fatalf("error %+v, want %q", e, tt.msg)
			}
		})
	}
}

// ParseRequest reads the top level between the commas the validation
// noted; it must index a body exactly as Load reads it member by member,
// and refuse the same bodies, with the same messages.
func FuzzParseRequest(f *testing.F) {
	for _, s := range []string{
		`{"a":1,"b":{"c":[1,2]},"a":"last","e\"sc":true}`,
		" \t{ \"k\" : [ 1 , 2 ] ,\n\"\\u006b\":\"v\\\"\" , \"n\":-1.5e3 } \r\n",
		`{}`, `{ }`, `[1,2]`, `{"a":[1,{"b":",,"}],"c":","}`, `{"a":"}"}`,
		`{"a":1` + strings.Repeat(`,"x":0`, MaxFields-1) + `}`,
		`{"a":1` + strings.Repeat(`,"x":0`, MaxFields) + `}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		got, e := ParseRequest(body, nil)
		parsed, pe := Parse(body)
		if pe != nil {
			if e == nil || e.Message != pe.Message {
				t.Fatalf("%q: ParseRequest gives %+v, Parse %+v", body, e, pe)
			}
			return
		}
		want, ok := index(parsed)
		if !ok {
			if e == nil || !strings.Contains(e.Message, "top-level fields") {
				t.Fatalf("%q: more than MaxFields members, ParseRequest gives %+v", body, e)
			}
			return
		}
		if e != nil || len(got.fields) != len(want.fields) {
			t.Fatalf("%q: %d members (%+v), Load reads %d", body, len(got.fields), e, len(want.fields))
		}
		for i, w := range want.fields {
			if g := got.fields[i]; g.key != w.key || !sameResult(g.val, decode(w.val)) {
				t.Fatalf("%q: member %d is %q=%+v, Load reads %q=%+v", body, i, g.key, g.val, w.key, w.val)
			}
		}
	})
}
