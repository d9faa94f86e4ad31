package jsonidx

import (
	"testing"

	"github.com/gemini-code-api/gemini-code-api/translators/apierror"
	"github.com/gemini-code-api/gemini-code-api/translators/jsonw"
	"github.com/tidwall/gjson"
)

// sameResult reports whether got, once decoded, is what gjson read.
func sameResult(got, want gjson.Result) bool {
	got = decode(got)
	return got.Type == want.Type && got.Raw == want.Raw && got.Str == want.Str && got.Num == want.Num
}

// The walk must read every member of a valid object as gjson's ForEach
// does (keys decoded, values decoded on demand), and read any bytes at
// all without a panic or a read past their end.
func FuzzMembers(f *testing.F) {
	for _, s := range []string{
		`{"a":1,"b":{"c":[1,"]}",{"d":"}"}]},"e":"x\"y\\","f":true,"g":null,"h":-1.5e3}`,
		` { "k" : "v" , "\u006b" : [ ] } `,
		`{"a":"\\\\\"","b":"\ud83d\ude00"}`,
		`{"a":`, `{"a":"b`, `{"a"`, `{"a":1,,}`, `{`, `{"\`, `{"a":[{]`, `{"":""}`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		obj := gjson.Parse(s)
		var o Object
		o.Load(obj)
		var vals [2]gjson.Result
		MembersRaw(obj, []string{"a", "b"}, vals[:], 2)
		_ = Text(vals[1])
		if !gjson.Valid(s) || !obj.IsObject() {
			return
		}
		i := 0
		obj.ForEach(func(k, v gjson.Result) bool {
			if i >= len(o.fields) {
				t.Fatalf("%s: ForEach reads member %d (%s), the walk stopped at %d", s, i, k.Raw, len(o.fields))
			}
			if f := o.fields[i]; f.key != k.Str || !sameResult(f.val, v) {
				t.Fatalf("%s: member %d is %q=%+v, ForEach reads %q=%+v", s, i, f.key, f.val, k.Str, v)
			}
			i++
			return i < MaxFields
		})
		if i != len(o.fields) {
			t.Fatalf("%s: the walk read %d members, ForEach %d", s, len(o.fields), i)
		}
		for k, name := range []string{"a", "b"} {
			if want := obj.Get(name); !sameResult(vals[k], want) {
				t.Fatalf("%s: %s is %+v, Get reads %+v", s, name, vals[k], want)
			}
		}
		// Text reads back as the decoded string, written as Gemini can
		// read it: bytes that are not UTF-8 become U+FFFD (jsonw.Quote).
		if want := obj.Get("b"); want.Type == gjson.String && gjson.Parse(string(Text(vals[1]))).Str != gjson.Parse(string(jsonw.Quote(want.Str))).Str {
			t.Fatalf("%s: Text(b) = %s, which does not read back as %q", s, Text(vals[1]), want.Str)
		}
	})
}

// Each must hand fn the elements of a valid array as gjson's ForEach does
// (strings decoded), and walk any bytes at all without a panic or a read
// past their end.
func FuzzEach(f *testing.F) {
	for _, s := range []string{
		`[1,{"a":[2,"]"]},"3\"]",[],[[]],true,null,-1.5e3,"\u0041"]`,
		` [ 1 , "x" ] `, `[]`, `[ ]`, `["a\nb",{"k":"}"}]`,
		`[`, `[1,`, `[1,,2]`, `["a`, `[{]`, `[1 2]`, `{"a":1}`, `"[1]"`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		arr := gjson.Parse(s)
		var got []gjson.Result
		_ = Each(arr, func(_ int, v gjson.Result) *apierror.Error {
			got = append(got, v)
			return nil
		})
		if !gjson.Valid(s) || !arr.IsArray() {
			return
		}
		i := 0
		arr.ForEach(func(_, v gjson.Result) bool {
			if i >= len(got) {
				t.Fatalf("%s: ForEach reads element %d (%s), Each stopped at %d", s, i, v.Raw, len(got))
			}
			if g := got[i]; g.Type != v.Type || g.Raw != v.Raw || g.Str != v.Str || g.Num != v.Num {
				t.Fatalf("%s: element %d is %+v, ForEach reads %+v", s, i, g, v)
			}
			i++
			return true
		})
		if i != len(got) {
			t.Fatalf("%s: Each read %d elements, ForEach %d", s, len(got), i)
		}
	})
}

func TestMembersRaw(t *testing.T) {
	obj := gjson.Parse(`{"text":"a\nb \"c\"","type":"t\u0065xt","plain":"p"}`)
	var v [3]gjson.Result
	MembersRaw(obj, []string{"type", "text", "plain"}, v[:], 1<<1|1<<2)
	if v[0].Str != "text" {
		t.Errorf("type (not raw) = %q, want it decoded", v[0].Str)
	}
	if v[1].Str != "" || v[1].Raw != `"a\nb \"c\""` {
		t.Errorf("text (raw) = %+v, want it undecoded", v[1])
	}
	if got := Text(v[1]); got != `"a\nb \"c\""` {
		t.Errorf("Text(text) = %s, want the token as it stands", got)
	}
	if v[2].Str != "p" {
		t.Errorf("plain (raw, no escapes) = %q: a string without escapes costs nothing to read", v[2].Str)
	}
	o, _ := index(obj)
	if o.Raw("text").Str != "" || o.Get("text").Str != "a\nb \"c\"" {
		t.Errorf("Object.Raw/Get(text) = %+v / %q", o.Raw("text"), o.Get("text").Str)
	}
}

// Text copies a token only when Gemini will read it as the client meant.
func TestText(t *testing.T) {
	tests := []struct{ raw, want string }{
		{`"plain"`, `"plain"`},
		{`"kept \"escapes\"\n\u0041\/"`, `"kept \"escapes\"\n\u0041\/"`},
		{`"a pair \ud83d\ude00"`, `"a pair \ud83d\ude00"`},
		{"\"utf-8 \u00e9\u4e2d\"", "\"utf-8 \u00e9\u4e2d\""},
		{`"a high half alone \ud83d!"`, "\"a high half alone \ufffd!\""},
		{`"a low half alone \ude00"`, "\"a low half alone \ufffd\""},
		{`"two highs \ud83d\ud83d"`, "\"two highs \ufffd\ufffd\""},
		{"\"not utf-8 \xff\"", `"not utf-8 \ufffd"`},
		{`"\\ud83d is text"`, `"\\ud83d is text"`},
	}
	for _, tt := range tests {
		if got := Text(result(tt.raw)); string(got) != tt.want {
			t.Errorf("Text(%s) = %s, want %s", tt.raw, got, tt.want)
		}
	}
}

// EachObject must give fn the elements Each gives, each with the members
// MembersRaw reads from it, on valid JSON; on any bytes it must stop
// without a panic.
func FuzzEachObject(f *testing.F) {
	for _, s := range []string{
		`[{"role":"user","content":"a\"b"},{"content":[{"x":"}"}],"role":"assistant","role":"x"},1,"s",[{"role":1}],{},{ }]`,
		` [ { "role" : "tool" , "\u0072ole" : 2 , "content" : null } ] `, `[]`, `[{"a":1,}]`, `[{"a":}]`, `[{`, `[{"role":"u"`,
		`[{"role":"u"} {"role":"v"}]`, `[{,"role":1}]`, `{"role":1}`,
	} {
		f.Add(s)
	}
	keys := []string{"role", "content"}
	f.Fuzz(func(t *testing.T, s string) {
		arr := gjson.Parse(s)
		type elem struct {
			v    gjson.Result
			vals [2]gjson.Result
		}
		var got []elem
		var vals [2]gjson.Result
		_ = EachObject(arr, keys, 1<<1, vals[:], func(_ int, v gjson.Result) *apierror.Error {
			got = append(got, elem{v, vals})
			return nil
		})
		if !gjson.Valid(s) {
			return
		}
		i := 0
		_ = Each(arr, func(_ int, v gjson.Result) *apierror.Error {
			if i >= len(got) {
				t.Fatalf("%s: Each reads element %d (%s), EachObject stopped at %d", s, i, v.Raw, len(got))
			}
			var want [2]gjson.Result
			MembersRaw(v, keys, want[:], 1<<1)
			if g := got[i]; g.v.Type != v.Type || g.v.Raw != v.Raw || g.v.Str != v.Str || !sameResult(g.vals[0], decode(want[0])) || !sameResult(g.vals[1], decode(want[1])) || g.vals[1].Str != want[1].Str {
				t.Fatalf("%s: element %d is %+v, Each and MembersRaw read %+v %+v", s, i, g, v, want)
			}
			i++
			return nil
		})
		if i != len(got) {
			t.Fatalf("%s: EachObject read %d elements, Each %d", s, len(got), i)
		}
	})
}

func TestEmpty(t *testing.T) {
	for s, want := range map[string]bool{`[]`: true, ` [ ] `: true, "[\n]": true, `[1]`: false, `[ {} ]`: false, `{}`: true, `"[1]"`: true, ``: true} {
		if got := Empty(gjson.Parse(s)); got != want {
			t.Errorf("Empty(%q) = %v, want %v", s, got, want)
		}
	}
}
