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
