package gemini

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/gemini-code-api/gemini-code-api/translators/internal/jsontest"
	"github.com/gemini-code-api/gemini-code-api/translators/jsondepth"
	"github.com/tidwall/gjson"
)

func clean(t testing.TB, in string, root bool) string {
	t.Helper()
	out, _, ok := CleanSchema(nil, gjson.Parse(in), root)
	if !ok {
		t.Fatalf("refused %.200s", in)
	}
	return string(out)
}

func TestCleanSchema(t *testing.T) {
	tests := []struct {
		name, in string
		root     bool
		want     string
	}{
		{"Claude Code's keywords", `{"$schema":"http://json-schema.org/draft-07/schema#","type":"object","additionalProperties":false,
	 "properties":{"path":{"type":"string","description":"p","minLength":1},
	   "mode":{"const":"fast"},"n":{"type":["integer","null"],"exclusiveMinimum":0},
	   "tags":{"type":"array","items":{"type":"string","pattern":"x"},"uniqueItems":true},
	   "m":{"type":"object","propertyNames":{"pattern":"^a"},"additionalProperties":{"type":"number"}}},
	 "required":["path"]}`, true,
			`{"type":"object","additionalProperties":false,"properties":{"path":{"type":"string","description":"p"},"mode":{"enum":["fast"]},"n":{"type":["integer","null"]},"tags":{"type":"array","items":{"type":"string"}},"m":{"type":"object","additionalProperties":{"type":"number"}}},"required":["path"]}`},
		{"typeless root", `{"properties":{}}`, true, `{"properties":{},"type":"object"}`},
		{"missing root", ``, true, `{"type":"object","properties":{}}`},
		{"missing, not root", ``, false, `{}`},
		{"array root", `[1]`, true, `{"type":"object","properties":{}}`},
		{"boolean sub-schemas", `{"items":true,"additionalProperties":false,"properties":{"a":true,"b":3,"c":"x","d":null}}`, false,
			`{"items":true,"additionalProperties":false,"properties":{"a":true,"b":{},"c":{},"d":{}}}`},
		{"allOf becomes anyOf; a list of lists", `{"allOf":[{"type":"object","x":1},[1]],"prefixItems":[{"type":"string"}],"items":[{"const":{"a":[1]}}]}`, false,
			`{"anyOf":[{"type":"object"},{}],"prefixItems":[{"type":"string"}],"items":[{"enum":[{"a":[1]}]}]}`},
		{"wrong shapes are dropped", `{"properties":"x","$defs":[1],"anyOf":{"a":{}},"oneOf":3,"allOf":{},"type":"object"}`, false, `{"type":"object"}`},
		{"escaped keys: keywords recognised, names kept", `{"typ\u0065":"string","properties":{"a\"b\\":{"type":"string"}},"des\u0063ription":"d"}`, true,
			`{"type":"string","properties":{"a\"b\\":{"type":"string"}},"description":"d"}`},
		{"whitespace everywhere", " { \"type\" : \"object\" , \"properties\" : { \"a\" : { \"enum\" : [ 1 , 2 ] } } , \"x\" : [ { } ] } ", true,
			`{"type":"object","properties":{"a":{"enum":[1,2]}}}`},
		{"strings that look like structure", `{"description":"}]{[\"","properties":{"}":{"title":"{\\"}}}`, false,
			`{"description":"}]{[\"","properties":{"}":{"title":"{\\"}}}`},
		{"empty containers", `{"properties":{},"anyOf":[],"required":[]}`, false, `{"properties":{},"anyOf":[],"required":[]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := clean(t, tt.in, tt.root)
			jsontest.Equal(t, []byte(got), tt.want)
		})
	}
}

// Whatever the schema holds, the cleaned copy is valid JSON, for gjson and
// for encoding/json (which gives up beyond 10,000 levels: the old cleaner's
// output for a schema that deep was not JSON to it).
func TestCleanSchemaOutputIsValid(t *testing.T) {
	nasty := []string{
		strings.Repeat(`{"anyOf":[`, 127) + `{"type":"string"}` + strings.Repeat(`]}`, 127),
		strings.Repeat(`{"items":`, 255) + `{}` + strings.Repeat(`}`, 255),
		strings.Repeat(`{"properties":{"a":`, 127) + `true` + strings.Repeat(`}}`, 127),
		`{"const":` + jsontest.Deep(254) + `}`,
		`{"enum":[` + strings.Repeat(`"\\\"\u2028",`, 1000) + `null]}`,
		`{"properties":{"\u0000":{"\ud800":{}}},"required":["\n"]}`,
		`{"type":"object","type":"string","properties":{"a":{},"a":{}}}`,
		`{"additionalProperties":{"additionalProperties":{"additionalProperties":1}}}`,
		`{"$ref":"#/$defs/a","$defs":{"a":{"$ref":"#/$defs/a"}}}`,
		"{\"description\":\"\xff\xfe\",\"properties\":{\"\xc3\":{}}}",
		`{"items":[[],[[]],{"items":[true,false,null,1.5e3,"s"]}]}`,
	}
	for _, in := range nasty {
		if !gjson.Valid(in) {
			t.Fatalf("bad test input %.100s", in)
		}
		for _, root := range []bool{true, false} {
			out := clean(t, in, root)
			if !gjson.Valid(out) || !json.Valid([]byte(out)) {
				t.Fatalf("invalid output for %.100s:\n%.300s", in, out)
			}
		}
	}
}

func TestCleanSchemaDepthLimit(t *testing.T) {
	jsontest.SmallStack(t)
	nest := func(n int) string { // n levels of JSON
		return strings.Repeat(`{"items":`, n-1) + `{}` + strings.Repeat(`}`, n-1)
	}
	if out := clean(t, nest(jsondepth.MaxDepth), true); !gjson.Valid(out) {
		t.Fatal("a schema at the limit must be cleaned")
	}
	for _, n := range []int{jsondepth.MaxDepth + 1, 100000} {
		dst := []byte("kept")
		out, depth, ok := CleanSchema(dst, gjson.Parse(nest(n)), true)
		if ok || depth != n || string(out) != "kept" {
			t.Fatalf("depth %d: ok=%v depth=%d out=%.50s", n, ok, depth, out)
		}
	}
	// Depth inside verbatim values counts too.
	if _, depth, ok := CleanSchema(nil, gjson.Parse(`{"enum":`+jsontest.Deep(300)+`}`), false); ok || depth != 301 {
		t.Fatalf("deep enum: ok=%v depth=%d", ok, depth)
	}
}

// Each token of the schema is read once, whatever the nesting: the old
// cleaner re-read every sub-schema once per ancestor.
func TestCleanSchemaReadsEachTokenOnce(t *testing.T) {
	for _, in := range []string{
		strings.Repeat(`{"type":"object","properties":{"a":`, 127) + `{"type":"string"}` + strings.Repeat(`}}`, 127),
		strings.Repeat(`{"anyOf":[{"type":"string","enum":["a","b"]},`, 120) + `{}` + strings.Repeat(`]}`, 120),
	} {
		c := cleaner{src: in, max: jsondepth.MaxDepth}
		c.schema(true)
		tokens := countTokens(in)
		if c.bad || c.steps != tokens {
			t.Fatalf("read %d tokens of %d (bad=%v)", c.steps, tokens, c.bad)
		}
	}
}

// countTokens counts strings, scalars and brackets of a JSON text.
func countTokens(s string) int {
	n := 0
	for _, r := range gjson.Parse("[" + s + "]").Array() {
		n += countValue(r)
	}
	return n
}

func countValue(v gjson.Result) int {
	if !v.IsObject() && !v.IsArray() {
		return 1
	}
	n := 2 // the brackets
	v.ForEach(func(k, x gjson.Result) bool {
		if v.IsObject() {
			n++
		}
		n += countValue(x)
		return true
	})
	return n
}

func FuzzCleanSchema(f *testing.F) {
	for _, s := range []string{
		`{"type":"object","properties":{"a":{"const":1,"allOf":[{"type":"string"}]}},"additionalProperties":{"items":[true]}}`,
		`{"anyOf":"x","properties":[1],"items":3}`,
		`[[[{"a":"\"}"}]]]`,
		`{"typ\u0065":"x"}`,
		strings.Repeat(`{"items":`, 20) + `{}` + strings.Repeat(`}`, 20),
		"{\"properties\":{\"\xc6\":{\"description\":\"\\ud800\"}}}",
	} {
		f.Add([]byte(s), true)
	}
	f.Fuzz(func(t *testing.T, in []byte, root bool) {
		// Small limits reach the refusal path with small inputs.
		for _, limit := range []int{3, jsondepth.MaxDepth} {
			out, depth, ok := cleanSchema([]byte("x"), string(in), root, limit)
			d, shallow := jsondepth.Check(in, limit)
			if !shallow && ok {
				t.Fatalf("limit %d: accepted a schema nesting %d levels", limit, d)
			}
			if !shallow && depth != d {
				t.Fatalf("limit %d: reported depth %d, want %d", limit, depth, d)
			}
			if !ok {
				if string(out) != "x" {
					t.Fatalf("refused but wrote %q", out)
				}
				continue
			}
			if !gjson.Valid(string(in)) {
				continue // a malformed schema need not be refused; validation comes first
			}
			if !gjson.ValidBytes(out[1:]) || !json.Valid(out[1:]) {
				t.Fatalf("invalid output for %q:\n%q", in, out[1:])
			}
			// Gemini's parser refuses bytes that are not UTF-8 and lone
			// escaped surrogates, which validation lets through.
			if err := jsontest.Readable(out[1:]); err != nil {
				t.Fatalf("%v in the output for %q:\n%q", err, in, out[1:])
			}
		}
	})
}

func BenchmarkCleanSchema(b *testing.B) {
	for _, bc := range []struct{ name, in string }{
		{"claude-code-tool", `{"$schema":"http://json-schema.org/draft-07/schema#","type":"object","additionalProperties":false,"properties":{"file_path":{"type":"string","description":"absolute path"},"offset":{"type":"number","exclusiveMinimum":0},"limit":{"type":"integer","exclusiveMinimum":0,"maximum":9007199254740991}},"required":["file_path"]}`},
		{"deep-254", strings.Repeat(`{"type":"object","properties":{"a":`, 127) + `{"type":"string"}` + strings.Repeat(`}}`, 127)},
	} {
		s := gjson.Parse(bc.in)
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(bc.in)))
			var out []byte
			for range b.N {
				out, _, _ = CleanSchema(out[:0], s, true)
			}
		})
	}
}
