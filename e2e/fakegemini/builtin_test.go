package fakegemini

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

// The built-in tools: googleSearch and urlContext as the Gemini API takes
// them, and their combination with function calling per model.
func TestBuiltinToolRules(t *testing.T) {
	s := newServer(t)
	const fn = `{"functionDeclarations":[{"name":"f","parameters":{"type":"OBJECT","properties":{"a":{"type":"STRING"}}}}]}`
	cases := []struct {
		name, model, body string
		status            int
		want              string
	}{
		{"googleSearch", "gemini-2.5-flash", body(contents(userHi), `"tools":[{"googleSearch":{}}]`), 200, ""},
		{"google_search with a time range", "gemini-2.5-flash", body(contents(userHi), `"tools":[{"google_search":{"time_range_filter":{"start_time":"2026-01-01T00:00:00Z","end_time":"2026-02-01T00:00:00Z"}}}]`), 200, ""},
		{"excludeDomains is Vertex AI's", "gemini-2.5-flash", body(contents(userHi), `"tools":[{"googleSearch":{"excludeDomains":["a.example"]}}]`), 400, `Unknown name "excludeDomains" at 'tools[0].google_search': Cannot find field.`},
		{"urlContext takes no field", "gemini-2.5-flash", body(contents(userHi), `"tools":[{"urlContext":{"urls":[]}}]`), 400, `Unknown name "urls"`},
		{"search and URL context", "gemini-2.5-pro", body(contents(userHi), `"tools":[{"googleSearch":{}},{"urlContext":{}}]`), 200, ""},
		{"search with functions on Gemini 2.5", "gemini-2.5-pro", body(contents(userHi), `"tools":[`+fn+`,{"googleSearch":{}}]`), 400, msgBuiltinWithFunctions},
		{"URL context with functions on Gemini 2.5", "gemini-2.5-flash", body(contents(userHi), `"tools":[`+fn+`,{"urlContext":{}}]`), 400, msgBuiltinWithFunctions},
		{"search with functions on Gemini 3, no server-side invocations", "gemini-3-pro-preview", body(contents(userHi), `"tools":[`+fn+`,{"googleSearch":{}}]`), 400, msgEnableServerSideTools},
		{"search with functions on Gemini 3", "gemini-3-pro-preview", body(contents(userHi), `"tools":[`+fn+`,{"googleSearch":{}}]`, `"toolConfig":{"functionCallingConfig":{"mode":"AUTO"},"includeServerSideToolInvocations":true}`), 200, ""},
		{"search and functions in one Tool on Gemini 3", "gemini-3-flash-preview", body(contents(userHi), `"tools":[{"googleSearch":{},"functionDeclarations":[{"name":"f"}]}]`, `"toolConfig":{"includeServerSideToolInvocations":true}`), 200, ""},
		{"function config without declarations", "gemini-2.5-flash", body(contents(userHi), `"tools":[{"googleSearch":{}}]`, `"toolConfig":{"functionCallingConfig":{"mode":"AUTO"}}`), 400, msgConfigWithoutDecls},
		{"server tool records in history", "gemini-3-pro-preview", body(contents(userHi, `{"role":"model","parts":[{"toolCall":{"id":"s","toolType":"GOOGLE_SEARCH_WEB","args":{"queries":["q"]}}},{"toolResponse":{"id":"s","toolType":"GOOGLE_SEARCH_WEB","response":{}}},{"text":"ok"}]}`, userHi)), 200, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, b := gen(t, s, tc.model, "generateContent", tc.body)
			if code != tc.status {
				t.Fatalf("status %d, want %d: %s", code, tc.status, b)
			}
			if tc.want != "" && !strings.Contains(parseError(t, b).Error.Message, tc.want) {
				t.Fatalf("message %q lacks %q", parseError(t, b).Error.Message, tc.want)
			}
		})
	}
}

// A scripted grounding reaches only requests that enabled the tool, with the
// last event; a Gemini 3 request mixing search and functions also gets the
// search's toolCall and toolResponse parts, signed.
func TestGroundedReplies(t *testing.T) {
	text := "Der Zürichsee ist 40 km lang. Sein Wasser 🌊 ist sauber."
	gm := GroundingFor(text, []string{"Zürichsee"}, []Source{{"https://a.example/", "a.example"}},
		Support{"Sein Wasser 🌊 ist sauber.", []int{0}})
	var parsed struct {
		GroundingSupports []struct {
			Segment struct{ StartIndex, EndIndex int }
		}
	}
	if err := json.Unmarshal(gm, &parsed); err != nil {
		t.Fatal(err)
	}
	if seg := parsed.GroundingSupports[0].Segment; seg.StartIndex != 31 || seg.EndIndex != 59 || text[seg.StartIndex:seg.EndIndex] != "Sein Wasser 🌊 ist sauber." {
		t.Fatalf("byte offsets %+v", seg)
	}
	search := body(contents(userHi), `"tools":[{"googleSearch":{}}]`)
	mixed := body(contents(userHi), `"tools":[{"functionDeclarations":[{"name":"f"}]},{"googleSearch":{}}]`, `"toolConfig":{"includeServerSideToolInvocations":true}`)
	cases := []struct {
		name, model, action, body string
		grounded, records         bool
	}{
		{"with googleSearch", "gemini-2.5-flash", "generateContent", search, true, false},
		{"streamed: with the last event", "gemini-2.5-flash", "streamGenerateContent?alt=sse", search, true, false},
		{"without the tool: not grounded", "gemini-2.5-flash", "generateContent", body(contents(userHi)), false, false},
		{"mixed with functions on Gemini 3", "gemini-3-pro-preview", "generateContent", mixed, true, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := newServer(t)
			s.Enqueue("", Reply{Text: text, Grounding: gm})
			code, b := gen(t, s, tc.model, tc.action, tc.body)
			if code != 200 {
				t.Fatalf("status %d: %s", code, b)
			}
			var compact bytes.Buffer
			if !strings.Contains(tc.action, "alt=sse") && json.Compact(&compact, []byte(b)) == nil {
				b = compact.String()
			}
			events := []string{b}
			if strings.Contains(tc.action, "alt=sse") {
				events = nil
				for _, ev := range strings.Split(strings.TrimSpace(b), "\r\n\r\n") {
					events = append(events, strings.TrimPrefix(ev, "data: "))
				}
				if len(events) < 2 {
					t.Fatalf("one event: %s", b)
				}
			}
			for i, ev := range events {
				last := i == len(events)-1
				if has := strings.Contains(ev, `"groundingMetadata"`); has != (tc.grounded && last) {
					t.Fatalf("event %d of %d: groundingMetadata %v: %s", i, len(events), has, ev)
				}
			}
			if has := strings.Contains(b, `"toolCall":{"id":"search-1","toolType":"GOOGLE_SEARCH_WEB","args":{"queries":["Zürichsee"]}},"thoughtSignature"`); has != tc.records {
				t.Fatalf("toolCall part %v: %s", has, b)
			}
		})
	}
}
