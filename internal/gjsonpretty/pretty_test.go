package pretty

import (
	"encoding/json"
	"testing"
)

func TestUgly(t *testing.T) {
	for in, want := range map[string]string{
		"{ \"a\" : [ 1 , 2 ] }":        `{"a":[1,2]}`,
		"\"keep  this \\\" and \\n\" ": `"keep  this \" and \n"`,
		"\n\t[ true,\r\nnull ]":        `[true,null]`,
		``:                             ``,
	} {
		if got := string(Ugly([]byte(in))); got != want {
			t.Errorf("Ugly(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestPretty(t *testing.T) {
	in := `{"b":[1,{"c":"x y"}],"a":{},"e":[],"d":"q\"}"}`
	got := Pretty([]byte(in))
	want := "{\n  \"b\": [\n    1,\n    {\n      \"c\": \"x y\"\n    }\n  ],\n  \"a\": {},\n  \"e\": [],\n  \"d\": \"q\\\"}\"\n}\n"
	if string(got) != want {
		t.Fatalf("Pretty:\n%s\nwant\n%s", got, want)
	}
	// Whatever the options, the output is the same JSON.
	for _, o := range []*Options{nil, {Indent: "\t", Prefix: "> ", SortKeys: true}, {Indent: ""}} {
		out := PrettyOptions([]byte(in), o)
		if o != nil && o.Prefix != "" {
			continue // a prefix is not JSON
		}
		var a, b any
		if json.Unmarshal([]byte(in), &a) != nil || json.Unmarshal(out, &b) != nil {
			t.Fatalf("not JSON: %s", out)
		}
		if ja, _ := json.Marshal(a); string(ja) != func() string { jb, _ := json.Marshal(b); return string(jb) }() {
			t.Fatalf("changed: %s", out)
		}
	}
	sorted := PrettyOptions([]byte(`{"b":1,"a":2}`), &Options{Indent: " ", SortKeys: true})
	if string(sorted) != "{\n \"a\": 2,\n \"b\": 1\n}\n" {
		t.Fatalf("sorted: %q", sorted)
	}
}

// Bytes that are not JSON pass without a panic or an endless loop.
func TestNotJSON(t *testing.T) {
	for _, in := range []string{`[,,]}{"`, `{"a"`, `{"a":}`, `]]]`, `"\`, `{:1}`, `[1 2]`, `{"a":1,}`} {
		_ = Pretty([]byte(in))
		_ = Ugly([]byte(in))
	}
}
