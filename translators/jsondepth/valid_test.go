package jsondepth

import (
	"slices"
	"strings"
	"testing"

	"github.com/gemini-code-api/gemini-code-api/translators/apierror"
	"github.com/tidwall/gjson"
)

// oldPair is what the gateway did before Validate: Check, then gjson's
// validation only for a body that is not too deep.
func oldPair(b []byte) (depth int, valid bool) {
	depth, ok := Check(b, MaxDepth)
	return depth, ok && gjson.ValidBytes(b)
}

func nest(n int, inner string) string {
	return strings.Repeat("[", n) + inner + strings.Repeat("]", n)
}

// validCases are inputs where the grammar, the depth or both are at an
// edge; each is also a seed of FuzzValidate.
var validCases = []string{
	``, ` `, "\t\r\n", `{}`, `[]`, ` {} `, "\n[ ]\t", `{ }`, `[ 1 , 2 ]`, `{ "a" : 1 , "b" : [ ] }`,
	`{`, `[`, `}`, `]`, `[}`, `{]`, `[1,]`, `[,1]`, `{"a":1,}`, `{,}`, `{"a"}`, `{"a":}`, `{1:2}`, `{"a" 1}`,
	`[1 2]`, `{"a":1 "b":2}`, `[][]`, `{}x`, `1 2`, `[]]`, `[[]`, `]]]]}}[[`, `{}[[[[`,
	`0`, `-0`, `1e5`, `1E+5`, `1e-5`, `1.5`, `-1.5e10`, `01`, `1.`, `.5`, `-`, `-a`, `+1`, `1e`, `1e+`, `1.e5`,
	`00`, `-01`, `0x1`, `1f`, `[1.]`, `[-]`, `[01]`, `[0,-0,1e5]`, `123456789012345678901234567890`,
	`true`, `false`, `null`, `tru`, `nul`, `fals`, `truex`, `[true,false,null]`, `[truefalse]`, `[nulll]`, `True`,
	`""`, `"a"`, `"\""`, `"\\"`, `"\\\""`, `"\\\\"`, `"\"`, `"\\\"`, `"a\/b"`, `"\b\f\n\r\t"`, `"\x"`, `"\u00e9"`,
	`"\u00E9"`, `"\u00g9"`, `"\u12"`, `"\u"`, `"\`, `"`, `"abc`, `"ab\"`, "\"\x00\"", "\"\x1f\"", "\"\t\"", "\"\x7f\"",
	"\"\xff\xfe\"", "\"\xe9t\xe9\"", "\"caf\xc3\xa9\"", `"a\\\\\\\\\\\"b"`, `"0123456789abcdefghij\"klmnopqrstuvwxyz"`,
	`"0123456789abcdefghij` + "\x01" + `klmnopqrstuvwxyz"`, `"0123456789abcdef\\ghij"`, `"01234567\u0022890abcdef"`,
	`["\"[[[["]`, `["\\",[[]]]`, `["\\\"[[",[]]`, `{"[[[":"{{{","x":["]]]"]}`, `[[["\x"]]]`, `[[["\x",[[[`,
	"\v[]", "\f{}", "[]\v", "\u00a0[]", "[\x00]",
	nest(255, ""), nest(256, ""), nest(257, ""), nest(255, "1"), nest(256, `"x"`), nest(257, "1"),
	nest(256, "") + "x", nest(256, "x"), "x" + nest(257, ""), nest(256, ",") + "[", "[1,x," + nest(300, ""),
	`["\u12` + nest(300, "") + `"]`, `{"a":` + nest(300, "") + `}`, `{"a"` + nest(300, ""),
	strings.Repeat(`{"a":`, 256) + `1` + strings.Repeat("}", 256), strings.Repeat(`{"a":`, 257) + `1` + strings.Repeat("}", 257),
	strings.Repeat("[", 300), strings.Repeat("[", 256) + "]", nest(400, "") + "]]]",
}

func TestValidateMatchesOldPair(t *testing.T) {
	for _, s := range validCases {
		b := []byte(s)
		wantDepth, wantValid := oldPair(b)
		d, valid := Validate(b)
		if d != wantDepth || valid != wantValid {
			t.Errorf("Validate(%.80q) = %d, %v; want %d, %v", s, d, valid, wantDepth, wantValid)
		}
		if d2, v2 := ValidString(s); d2 != d || v2 != valid {
			t.Errorf("ValidString(%.80q) = %d, %v", s, d2, v2)
		}
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name, in string
		depth    int
		valid    bool
	}{
		{"empty", ``, 0, false},
		{"only whitespace", " \t\r\n", 0, false},
		{"object", `{"a":[1,{"b":[]}],"c":{}}`, 4, true},
		{"whitespace around everything", " {\t\"a\" :\r[ 1 ,\n2 ] } ", 2, true},
		{"trailing comma", `[1,]`, 1, false},
		{"two values", `{} {}`, 1, false},
		{"minus zero", `-0`, 0, true},
		{"leading zero", `01`, 0, false},
		{"fraction without digits", `1.`, 0, false},
		{"fraction without integer", `.5`, 0, false},
		{"exponent", `1e5`, 0, true},
		{"control byte in a string", "[\"a\x01\"]", 1, false},
		{"DEL and bytes that are not UTF-8 in a string", "[\"\x7f\xff\"]", 1, true},
		{"escaped quote", `["a\"b",[]]`, 2, true},
		{"unknown escape", `["\a"]`, 1, false},
		{"short unicode escape", `["\u12"]`, 1, false},
		{"vertical tab is not whitespace", "\v1", 0, false},
		{"at the limit", nest(MaxDepth, ""), MaxDepth, true},
		{"one past the limit", nest(MaxDepth+1, ""), MaxDepth + 1, false},
		// The depth is the whole body's, as Check measures it, even past
		// the first invalid byte: too deep wins over invalid.
		{"invalid, then too deep", `[x,` + nest(300, "") + `]`, 301, false},
		{"invalid string, then too deep", `["\q` + nest(300, "") + `"]`, 1, false},
		{"unclosed string hides brackets", `["` + nest(300, ""), 1, false},
		{"invalid, then deep but within the limit", `[x,` + nest(200, "") + `]`, 201, false},
		{"closers without openers after an error", `]]]]}}[[`, 2, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, valid := Validate([]byte(tt.in))
			if d != tt.depth || valid != tt.valid {
				t.Fatalf("Validate = %d, %v; want %d, %v", d, valid, tt.depth, tt.valid)
			}
		})
	}
}

func TestReadRequestAndAnswer(t *testing.T) {
	deep := []byte(`{"a":` + nest(300, "") + `}`)
	deepInvalid := []byte(`{"a":x,"b":` + nest(300, "") + `}`)
	for _, body := range [][]byte{deep, deepInvalid} {
		valid, _, e := ReadRequest(body, Commas{})
		if valid || e == nil || *e != *CheckRequest(body) {
			t.Fatalf("request %.20q: %v, %+v", body, valid, e)
		}
		valid, e = ReadAnswer(body)
		if valid || e == nil || *e != *CheckAnswer(body) {
			t.Fatalf("answer %.20q: %v, %+v", body, valid, e)
		}
	}
	if e := CheckRequest(deep); e.Status != 400 || e.Kind != apierror.InvalidRequest {
		t.Fatalf("%+v", e)
	}
	for body, want := range map[string]bool{`{"a":[[1]]}`: true, `{"a":[[1]}`: false, nest(MaxDepth, ""): true, nest(MaxDepth, "x"): false} {
		if valid, _, e := ReadRequest([]byte(body), Commas{}); e != nil || valid != want {
			t.Fatalf("request %.20q: %v, %+v", body, valid, e)
		}
		if valid, e := ReadAnswer([]byte(body)); e != nil || valid != want {
			t.Fatalf("answer %.20q: %v, %+v", body, valid, e)
		}
	}
}

func TestValidateAllocatesNothing(t *testing.T) {
	for _, s := range []string{`{"model":"x","messages":[{"role":"user","content":"a \"quoted\" [text]\u00e9"}],"n":-1.5e3,"t":[true,false,null]}`, nest(300, ""), `[x`} {
		b := []byte(s)
		if n := testing.AllocsPerRun(100, func() { Validate(b) }); n != 0 {
			t.Fatalf("%.20q: %v allocations", s, n)
		}
	}
}

// FuzzValidate requires Validate to give what the old pair gave, for any
// bytes.
func FuzzValidate(f *testing.F) {
	for _, s := range validCases {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		wantDepth, wantValid := oldPair(b)
		if d, valid := Validate(b); d != wantDepth || valid != wantValid {
			t.Fatalf("Validate(%q) = %d, %v; want %d, %v", b, d, valid, wantDepth, wantValid)
		}
	})
}

// ValueEnd finds where a value ends the way the validation reads it:
// strings passed with their escapes, brackets inside strings ignored, a
// container's end found past words of plain bytes.
func TestValueEnd(t *testing.T) {
	long := strings.Repeat("abcdefgh", 4)
	tests := []struct {
		in   string
		at   int
		want int
	}{
		{`"a\"b",1`, 0, 6},
		{`{"k":"}]","n":[1,{"x":"` + long + `"}]},2`, 0, 27 + len(long)},
		{`[` + long + `]`, 0, len(long) + 2},
		{`[[],{}] `, 0, 7},
		{`-1.5e3,`, 0, 6},
		{`true}`, 0, 4},
		{`x:null]`, 2, 6},
		{`"unclosed`, 0, -1},
		{`"bad \x"`, 0, -1},
		{`{"a":"unclosed`, 0, 14},
		{`[1,2`, 0, 4},
		{`1`, 1, 1},
	}
	for _, tt := range tests {
		if got := ValueEnd(tt.in, tt.at); got != tt.want {
			t.Errorf("ValueEnd(%q, %d) = %d, want %d", tt.in, tt.at, got, tt.want)
		}
	}
}

// Same must agree with == on any two strings, whatever their lengths
// and wherever they differ.
func FuzzSame(f *testing.F) {
	for _, s := range [][2]string{
		{"", ""}, {"a", "b"}, {"abcdefgh", "abcdefgh"}, {"abcdefgh", "abcdefgi"},
		{strings.Repeat("x", 33), strings.Repeat("x", 32) + "y"},
		{strings.Repeat("x", 70), "y" + strings.Repeat("x", 69)},
		{strings.Repeat("tool ", 100), strings.Repeat("tool ", 100)},
	} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		if got := Same(a, b); got != (a == b) {
			t.Fatalf("Same(%q, %q) = %v", a, b, got)
		}
		// a against a copy of itself, and against the copy with one byte
		// changed (at a position b's length picks).
		if len(a) > 0 {
			c := []byte(a)
			if !Same(a, string(c)) {
				t.Fatalf("%q differs from its copy", a)
			}
			i := len(b) % len(a)
			c[i]++
			if Same(a, string(c)) {
				t.Fatalf("%q: a change at %d is not seen", a, i)
			}
		}
	})
}

// Known values are recognised rather than read: validating with them must
// give what validating without them gives (depth, verdict, top-level
// commas), for any body, whether it holds them or not.
func FuzzKnown(f *testing.F) {
	f.Add(`{"model":"m","tools":[{"name":"a","input_schema":{"type":"object"}}],"messages":[]}`, `[{"name":"a","input_schema":{"type":"object"}}]`)
	f.Add(`{"a":[1,2],"b":[1,2,`, `[1,2]`)
	f.Add(`{"a":{"b":[[[]]]}}`, `{"b":[[[]]]}`)
	f.Add(`[[1],[1]]`, `[1]`)
	f.Add(`{"a":[1] , "b" :[1]}x`, `[1]`)
	f.Add(`{"a":[1]2}`, `[1]`)
	f.Add(`{"a":`+strings.Repeat("[", 255)+strings.Repeat("]", 255)+`}`, strings.Repeat("[", 255)+strings.Repeat("]", 255))
	f.Fuzz(func(t *testing.T, body, value string) {
		var list []Known
		if d, ok := ValidString(value); ok {
			list = append(list, Known{Raw: value, Depth: d})
		}
		// The body's own top-level values, as the cache of an earlier
		// request holding them would.
		if r := gjson.Parse(body); gjson.Valid(body) && (r.IsObject() || r.IsArray()) {
			r.ForEach(func(_, v gjson.Result) bool {
				if d, ok := ValidString(v.Raw); ok && d <= MaxDepth {
					list = append(list, Known{Raw: v.Raw, Depth: d})
				}
				return len(list) < 8
			})
		}
		var at, at2 [8]int32
		wd, wv, wc := validate([]byte(body), Commas{At: at[:0], Max: len(at)})
		gd, gv, gc := validate([]byte(body), Commas{At: at2[:0], Max: len(at2), Known: list})
		if gd != wd || gv != wv || !slices.Equal(gc.At, wc.At) {
			t.Fatalf("%.200q with %d known values: depth %d, valid %v, commas %v; read whole: %d, %v, %v", body, len(list), gd, gv, gc.At, wd, wv, wc.At)
		}
	})
}
