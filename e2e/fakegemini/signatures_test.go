package fakegemini

import (
	"encoding/json"
	"strings"
	"testing"
)

func fcPart(name, sig string) string {
	p := `{"functionCall":{"name":"` + name + `","args":{"city":"Paris"}}`
	if sig != "" {
		p += `,"thoughtSignature":"` + sig + `"`
	}
	return p + "}"
}

func modelCall(parts ...string) string {
	return `{"role":"model","parts":[` + strings.Join(parts, ",") + `]}`
}

// TestGemini3Signatures covers Gemini 3's thought-signature rules
// (docs/thought-signatures.md#what-gemini-requires).
func TestGemini3Signatures(t *testing.T) {
	s := newServer(t)
	const g3 = "gemini-3-pro-preview"

	// A tool call answer gets a signature on its first functionCall part.
	s.Enqueue("", Reply{Parts: []json.RawMessage{
		json.RawMessage(`{"functionCall":{"name":"get_weather","args":{"city":"Paris"}}}`),
		json.RawMessage(`{"functionCall":{"name":"get_time","args":{"tz":"CET"}}}`),
	}})
	code, b := gen(t, s, g3, "generateContent", body(contents(userHi)))
	if code != 200 {
		t.Fatal(code, b)
	}
	parts := parseResponse(t, b).parts()
	if len(parts) != 2 || parts[0]["thoughtSignature"] == nil || parts[1]["thoughtSignature"] != nil {
		t.Fatalf("want a signature on the first call only: %s", b)
	}
	sig := str_(parts[0]["thoughtSignature"])
	if got := s.IssuedSignatures(); len(got) != 1 || got[0] != sig {
		t.Fatalf("IssuedSignatures = %v, want [%s]", got, sig)
	}

	resp2 := respTwo
	cases := []struct {
		name   string
		model  string
		body   string
		status int
		want   string
	}{
		{"signature echoed", g3, body(contents(userHi, modelCall(fcPart("get_weather", sig), fcPart("get_time", "")), resp2)), 200, ""},
		{"signature missing", g3, body(contents(userHi, modelCall(fcPart("get_weather", ""), fcPart("get_time", "")), resp2)), 400, "Function call is missing a thought_signature in functionCall parts."},
		{"signature on the second call only", g3, body(contents(userHi, modelCall(fcPart("get_weather", ""), fcPart("get_time", sig)), resp2)), 400, "missing a thought_signature"},
		{"placeholder accepted", g3, body(contents(userHi, modelCall(fcPart("get_weather", "skip_thought_signature_validator")), respOne)), 200, ""},
		{"never issued", g3, body(contents(userHi, modelCall(fcPart("get_weather", "AAAAAAAAAAAAAAAA")), respOne)), 400, "Thought signature is not valid"},
		{"re-encoded as base64url", g3, body(contents(userHi, modelCall(fcPart("get_weather", strings.NewReplacer("+", "-", "/", "_", "=", "").Replace(sig)+"x")), respOne)), 400, ""},
		{"older turn not validated", g3, body(contents(userHi, modelCall(fcPart("get_weather", "")), respOne, `{"role":"model","parts":[{"text":"18C"}]}`, `{"role":"user","parts":[{"text":"thanks"}]}`)), 200, ""},
		{"every step of the current turn", g3, body(contents(userHi, modelCall(fcPart("get_weather", sig)), respOne, modelCall(fcPart("get_weather", "")), respOne)), 400, "position 3"},
		{"gemini 2.5 does not require it", "gemini-2.5-flash", body(contents(userHi, modelCall(fcPart("get_weather", "")), respOne)), 200, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, b := gen(t, s, tc.model, "generateContent", tc.body)
			if code != tc.status {
				t.Fatalf("status %d want %d: %s", code, tc.status, b)
			}
			if code != 200 && !strings.Contains(parseError(t, b).Error.Message, tc.want) {
				t.Errorf("message: %s", b)
			}
		})
	}
}

func TestGemini3TextSignatures(t *testing.T) {
	s := newServer(t)
	code, b := gen(t, s, "gemini-3-flash-preview", "generateContent", body(contents(userHi)))
	parts := parseResponse(t, b).parts()
	if code != 200 || len(parts) != 1 || parts[0]["thoughtSignature"] == nil {
		t.Fatalf("text answer must carry a signature on its last part: %s", b)
	}
	// NoSignatures simulates an answer without them.
	s.Enqueue("", Reply{Text: "plain", NoSignatures: true})
	_, b = gen(t, s, "gemini-3-flash-preview", "generateContent", body(contents(userHi)))
	if strings.Contains(b, "thoughtSignature") {
		t.Fatalf("NoSignatures: %s", b)
	}
	// Scripted parts carrying their own signature count as issued.
	s.Enqueue("", Reply{Parts: []json.RawMessage{json.RawMessage(`{"functionCall":{"name":"get_weather","args":{}},"thoughtSignature":"c2NyaXB0ZWQ="}`)}})
	gen(t, s, "gemini-3-flash-preview", "generateContent", body(contents(userHi)))
	code, b = gen(t, s, "gemini-3-flash-preview", "generateContent", body(contents(userHi, modelCall(fcPart("get_weather", "c2NyaXB0ZWQ=")), respOne)))
	if code != 200 {
		t.Fatalf("scripted signature refused: %s", b)
	}
	// 2.5 answers carry none.
	_, b = gen(t, s, "gemini-2.5-flash", "generateContent", body(contents(userHi)))
	if strings.Contains(b, "thoughtSignature") {
		t.Fatalf("2.5 answer with a signature: %s", b)
	}
}
