package gemini

import (
	"encoding/json"
	"testing"

	"github.com/gemini-code-api/gemini-code-api/translators/apierror"
	"github.com/tidwall/gjson"
)

func TestContentsMergesAndDropsEmpty(t *testing.T) {
	var c Contents
	c.Start(nil)
	c.AddQuoted("user", `"a"`)
	c.AddQuoted("user", `""`)
	c.AddQuoted("user", `"b"`)
	c.AddQuoted("model", `"c"`)
	c.AddQuoted("model", `""`)
	c.AddQuoted("user", `"d"`)
	got := string(c.End())
	want := `"contents":[{"role":"user","parts":[{"text":"a"},{"text":"b"}]},{"role":"model","parts":[{"text":"c"}]},{"role":"user","parts":[{"text":"d"}]}]`
	if got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
	if !json.Valid([]byte("{" + got + "}")) {
		t.Fatal("invalid JSON")
	}
	var empty Contents
	empty.Start(nil)
	if got := string(empty.End()); got != `"contents":[]` {
		t.Fatalf("empty: %s", got)
	}
}

func TestUsageAndFinish(t *testing.T) {
	u := ReadUsage(gjson.Parse(`{"usageMetadata":{"promptTokenCount":120,"candidatesTokenCount":14,"thoughtsTokenCount":85,"totalTokenCount":219,"cachedContentTokenCount":20}}`))
	if u.Output() != 99 || u.Input() != 120 || u.Cached != 20 || u.Total != 219 || !u.Present {
		t.Fatalf("usage %+v", u)
	}
	for reason, want := range map[string]Finish{"STOP": FinishStop, "MAX_TOKENS": FinishLength, "SAFETY": FinishFiltered,
		"RECITATION": FinishFiltered, "MALFORMED_FUNCTION_CALL": FinishMalformed, "OTHER": FinishStop, "": FinishNone} {
		if got := ClassifyFinish(reason); got != want {
			t.Errorf("%s: %d", reason, got)
		}
	}
}

func TestSignatureRoundTrip(t *testing.T) {
	id := IDWithSignature("call_abc", "CtMBAdHtim+/82w=")
	base, got := SignatureFromID(id)
	if base != "call_abc" || got != "CtMBAdHtim+/82w=" {
		t.Fatalf("round trip: %q %q (id %q)", base, got, id)
	}
	for _, c := range id {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			t.Fatalf("id %q has %q", id, c)
		}
	}
	if b, s := SignatureFromID("call_plain"); b != "call_plain" || s != "" {
		t.Fatal("plain id")
	}
}

func TestThinkingConfig(t *testing.T) {
	for _, tt := range []struct {
		include bool
		member  string
		want    string
	}{
		{false, "", ""},
		{true, "", `{"includeThoughts":true}`},
		{false, `"thinkingBudget":0`, `{"thinkingBudget":0}`},
		{true, `"thinkingLevel":"HIGH"`, `{"includeThoughts":true,"thinkingLevel":"HIGH"}`},
	} {
		if got := ThinkingConfig(tt.include, tt.member); got != tt.want {
			t.Errorf("ThinkingConfig(%v, %q) = %s, want %s", tt.include, tt.member, got, tt.want)
		}
	}
}

func TestNonEmpty(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{`["a","b"]`, ""},
		{` [ 1 ] `, ""},
		{`{}`, "not a list"},
		{``, "not a list"},
		{`"[1]"`, "not a list"},
		{`[]`, "empty"},
		{"[ \n ]", "empty"},
	} {
		switch e := NonEmpty(gjson.Parse(tt.in), "m", "not a list", "empty"); {
		case e == nil && tt.want != "":
			t.Errorf("%s: accepted, want %q", tt.in, tt.want)
		case e != nil && (e.Message != tt.want || e.Param != "m"):
			t.Errorf("%s: %q (param %q), want %q", tt.in, e.Message, e.Param, tt.want)
		}
	}
}

func TestAnswerFallsBackToSlow(t *testing.T) {
	const scanned = `{"candidates":[{"content":{"parts":[{"text":"hi"}]},"finishReason":"STOP"}]}`
	slow := func([]byte) ([]byte, *apierror.Error) { return []byte("slow"), nil }
	for _, tt := range []struct {
		body  string
		takes bool // fast's answer
		want  string
	}{
		{scanned, true, "fast"},
		{scanned, false, "slow"},         // fast declines
		{`{"candidates":`, true, "slow"}, // the scan does not read it
	} {
		fast := func(sc *Scan, body []byte) ([]byte, bool, *apierror.Error) {
			if len(sc.Candidates) != 1 || string(body) != tt.body {
				t.Errorf("fast got %d candidates of %s", len(sc.Candidates), body)
			}
			return []byte("fast"), tt.takes, nil
		}
		if out, _ := Answer([]byte(tt.body), fast, slow); string(out) != tt.want {
			t.Errorf("%s (fast takes it: %v): %s, want %s", tt.body, tt.takes, out, tt.want)
		}
	}
}

// AppendJSON copies a value Gemini can read as it stands and writes again
// each string of another that Gemini cannot read, keys included: bytes that
// are not UTF-8 become U+FFFD, and so does an escaped surrogate without its
// other half; the rest stays as it was.
func TestAppendJSON(t *testing.T) {
	tests := []struct{ in, want string }{
		{`{"a":[1,"x\n\u00e9",true,null],"b":{"c":-1.5e3}}`, `{"a":[1,"x\n\u00e9",true,null],"b":{"c":-1.5e3}}`},
		{`{"a":"\ud83d\ude00"}`, `{"a":"\ud83d\ude00"}`},
		// A byte that is not UTF-8 is written as the escape, a lone
		// surrogate as the character (gjson decodes it so).
		{"{\"k\xc6\":[\"v\xc6\",{\"\\ud800\":\"\\udc00\"}], \"n\" : 2}", `{"k\ufffd":["v\ufffd",{"` + "\ufffd" + `":"` + "\ufffd" + `"}], "n" : 2}`},
		{"[\"\xff\"]", `["\ufffd"]`},
	}
	for _, tt := range tests {
		if got := string(AppendJSON([]byte("x"), tt.in)); got != "x"+tt.want {
			t.Errorf("AppendJSON(%q) = %q, want %q", tt.in, got[1:], tt.want)
		}
	}
}
