package openai

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/gemini-code-api/gemini-code-api/translators/internal/envtest"
	"github.com/gemini-code-api/gemini-code-api/translators/internal/jsontest"
	"github.com/gemini-code-api/gemini-code-api/translators/models"
)

// groundedAnswer is an answer as Gemini gives it with Google Search.
const groundedAnswer = `{"candidates":[` + jsontest.GroundedCandidate + `],"responseId":"r"}`

const (
	groundedText = "Der Zürichsee ist etwa 40 km lang. Sein Wasser 🌊 ist sehr sauber."
	uriA         = jsontest.URIA
	uriB         = jsontest.URIB
)

// The offsets in code points: the second sentence starts at byte 36 but
// character 35 and ends at byte 69, character 65 (66 in UTF-16).
var chatAnnotations = `[{"type":"url_citation","url_citation":{"url":"` + uriA + `","title":"wikipedia.org","start_index":0,"end_index":34}},
	{"type":"url_citation","url_citation":{"url":"` + uriB + `","title":"zuerich.com","start_index":35,"end_index":65}},
	{"type":"url_citation","url_citation":{"url":"` + uriA + `","title":"wikipedia.org","start_index":35,"end_index":65}}]`

func TestChatWebSearchRequest(t *testing.T) {
	mm := models.Default()
	mm.Aliases["gpt-4o-search-preview"] = "gemini-2.5-flash"
	const fn = `"tools":[{"type":"function","function":{"name":"f","parameters":{"type":"object"}}}]`
	tests := []envtest.Translation{
		{
			Name: "web_search_options: Google Search, the location as an instruction",
			In:   `{"model":"gemini-2.5-flash","messages":[{"role":"user","content":"x"}],"web_search_options":{"search_context_size":"high","user_location":{"type":"approximate","approximate":{"city":"Zürich","region":"ZH","country":"CH","timezone":"Europe/Zurich"}}}}`,
			Want: `{"contents":[{"role":"user","parts":[{"text":"x"}]}],"systemInstruction":{"parts":[{"text":"The user's approximate location, for searches where it matters: Zürich, ZH, CH, time zone Europe/Zurich."}]},"tools":[{"googleSearch":{}}]}`,
		},
		{
			Name: "a search model name mapped to Gemini searches",
			In:   `{"model":"gpt-4o-search-preview","messages":[{"role":"user","content":"x"}]}`,
			Want: `{"contents":[{"role":"user","parts":[{"text":"x"}]}],"tools":[{"googleSearch":{}}]}`,
		},
		{
			Name:   "functions on Gemini 2.5: the functions win, said so",
			In:     `{"model":"gemini-2.5-flash","messages":[{"role":"user","content":"x"}],"web_search_options":{},` + fn + `}`,
			Want:   `{"contents":[{"role":"user","parts":[{"text":"x"}]}],"tools":[{"functionDeclarations":[{"name":"f","parametersJsonSchema":{"type":"object"}}]}]}`,
			Notice: "cannot combine Google Search",
		},
		{
			Name: "functions on Gemini 3: combined",
			In:   `{"model":"gemini-3-flash-preview","messages":[{"role":"user","content":"x"}],"web_search_options":{},"tool_choice":"required",` + fn + `}`,
			Want: `{"contents":[{"role":"user","parts":[{"text":"x"}]}],"tools":[{"functionDeclarations":[{"name":"f","parametersJsonSchema":{"type":"object"}}]},{"googleSearch":{}}],
				"toolConfig":{"functionCallingConfig":{"mode":"ANY"},"includeServerSideToolInvocations":true}}`,
		},
	}
	envtest.Translates(t, ParseChat, envtest.Env(mm), tests)
	if _, e := ParseChat([]byte(`{"model":"gemini-2.5-flash","messages":[{"role":"user","content":"x"}],"web_search_options":{"search_context_size":"huge"}}`), envtest.Env(mm)); e == nil || e.Param != "web_search_options.search_context_size" {
		t.Fatalf("bad search_context_size: %+v", e)
	}
}

func TestChatWebSearchResponse(t *testing.T) {
	r := mustParse(t, `{"model":"gemini-2.5-flash","messages":[{"role":"user","content":"x"}],"web_search_options":{}}`)
	out, e := r.Response([]byte(groundedAnswer))
	if e != nil {
		t.Fatal(e)
	}
	var resp struct {
		Choices []struct {
			Message struct {
				Content     string
				Annotations json.RawMessage
			}
		}
	}
	if err := json.Unmarshal(out, &resp); err != nil {
		t.Fatal(err)
	}
	if m := resp.Choices[0].Message; m.Content != groundedText {
		t.Fatalf("content %q", m.Content)
	}
	jsontest.Equal(t, resp.Choices[0].Message.Annotations, chatAnnotations)
	// Without web search, no annotations member at all.
	out, _ = mustParse(t, `{"model":"gemini-2.5-flash","messages":[{"role":"user","content":"x"}]}`).Response([]byte(groundedAnswer))
	if strings.Contains(string(out), "annotations") {
		t.Fatalf("annotations without web search: %s", out)
	}
}

// groundedStream is the answer as Gemini streams it: the text in pieces,
// the grounding (offsets over the whole text) with the last event.
func groundedStream() string { return jsontest.GroundedStream("") }

func TestChatWebSearchStream(t *testing.T) {
	r := mustParse(t, `{"model":"gemini-2.5-flash","stream":true,"messages":[{"role":"user","content":"x"}],"web_search_options":{}}`)
	up := groundedStream()
	for c := 0; c <= len(up); c += 5 {
		out := jsontest.WriteSplit(r.NewStream(), []byte(up), c)
		var text strings.Builder
		var annots []json.RawMessage
		for _, line := range strings.Split(string(out), "\n") {
			d, ok := strings.CutPrefix(line, "data: ")
			if !ok || d == "[DONE]" {
				continue
			}
			var ch struct {
				Choices []struct {
					Delta struct {
						Content     string
						Annotations []json.RawMessage
					}
				}
			}
			if err := json.Unmarshal([]byte(d), &ch); err != nil {
				t.Fatal(err)
			}
			for _, c := range ch.Choices {
				text.WriteString(c.Delta.Content)
				annots = append(annots, c.Delta.Annotations...)
			}
		}
		got, _ := json.Marshal(annots)
		if text.String() != groundedText {
			t.Fatalf("split %d: text %q", c, text.String())
		}
		jsontest.Equal(t, got, chatAnnotations)
	}
}

func TestResponsesWebSearchRequest(t *testing.T) {
	codexTools := `"tools":[{"type":"function","name":"exec_command","parameters":{"type":"object"}},{"type":"web_search","external_web_access":false}]`
	tests := []envtest.Translation{
		{
			Name:   "web_search: Google Search; domains and location as an instruction",
			In:     `{"model":"gemini-2.5-flash","input":"x","tools":[{"type":"web_search","filters":{"allowed_domains":["go.dev"]},"search_context_size":"low","user_location":{"type":"approximate","city":"Zürich","country":"CH"}}]}`,
			Want:   `{"contents":[{"role":"user","parts":[{"text":"x"}]}],"systemInstruction":{"parts":[{"text":"When searching the web, use only results from these domains: go.dev. The user's approximate location, for searches where it matters: Zürich, CH."}]},"tools":[{"googleSearch":{}}]}`,
			Notice: "allowed_domains is given to the model as an instruction",
		},
		{
			Name:   "Codex's tools on Gemini 2.5: web_search left out, said so",
			In:     `{"model":"gemini-2.5-pro","input":"x",` + codexTools + `}`,
			Want:   `{"contents":[{"role":"user","parts":[{"text":"x"}]}],"tools":[{"functionDeclarations":[{"name":"exec_command","parametersJsonSchema":{"type":"object"}}]}]}`,
			Notice: "gemini-2.5-pro cannot combine Google Search",
		},
		{
			Name: "Codex's tools on Gemini 3: combined",
			In:   `{"model":"gemini-3-pro-preview","input":"x",` + codexTools + `}`,
			Want: `{"contents":[{"role":"user","parts":[{"text":"x"}]}],"tools":[{"functionDeclarations":[{"name":"exec_command","parametersJsonSchema":{"type":"object"}}]},{"googleSearch":{}}],
				"toolConfig":{"includeServerSideToolInvocations":true}}`,
		},
		{
			Name: "tool_choice none: no search",
			In:   `{"model":"gemini-2.5-flash","input":"x","tool_choice":"none","tools":[{"type":"web_search"}]}`,
			Want: `{"contents":[{"role":"user","parts":[{"text":"x"}]}]}`,
		},
		{
			Name: "a web_search_call sent back is a note of the model's turn",
			In: `{"model":"gemini-2.5-flash","tools":[{"type":"web_search_preview"}],"input":[{"role":"user","content":"x"},
				{"type":"web_search_call","id":"ws_1","status":"completed","action":{"type":"search","query":"a","queries":["a","b"],"sources":[{"type":"url","url":"https://a.example/"}]}},
				{"type":"message","role":"assistant","content":[{"type":"output_text","text":"A.","annotations":[{"type":"url_citation","start_index":0,"end_index":2,"url":"https://a.example/","title":"a"}]}]},
				{"role":"user","content":"more"}]}`,
			Want: `{"contents":[{"role":"user","parts":[{"text":"x"}]},{"role":"model","parts":[{"text":"Web search for \"a\", \"b\", sources:\n- https://a.example/"},{"text":"A."}]},{"role":"user","parts":[{"text":"more"}]}],
				"tools":[{"googleSearch":{}}]}`,
		},
	}
	envtest.Translates(t, ParseResponses, nil, tests)
}

var responsesSearchOutput = `[{"id":"ws_X","type":"web_search_call","status":"completed","action":{"type":"search","query":"Zürichsee Länge","queries":["Zürichsee Länge","Zürichsee Wasserqualität"],
	"sources":[{"type":"url","url":"` + uriA + `"},{"type":"url","url":"` + uriB + `"}]}},
	{"id":"msg_X","type":"message","status":"completed","role":"assistant","content":[{"type":"output_text","text":"` + groundedText + `","annotations":[
	{"type":"url_citation","start_index":0,"end_index":34,"url":"` + uriA + `","title":"wikipedia.org"},
	{"type":"url_citation","start_index":35,"end_index":65,"url":"` + uriB + `","title":"zuerich.com"},
	{"type":"url_citation","start_index":35,"end_index":65,"url":"` + uriA + `","title":"wikipedia.org"}],"logprobs":[]}]}]`

func TestResponsesWebSearchResponse(t *testing.T) {
	r := mustParseResponses(t, `{"model":"gemini-2.5-flash","input":"x","tools":[{"type":"web_search"}]}`)
	out, e := r.Response([]byte(groundedAnswer))
	if e != nil {
		t.Fatal(e)
	}
	jsontest.Equal(t, jsontest.NormalizeIDs(jsontest.Member(t, out, "output")), responsesSearchOutput)
}

// The streamed answer: the text as deltas, each annotation as its own
// annotation.added event after the text it cites, the search (whose
// grounding came with the end) after the message, and the terminal
// Response holding the same items.
func TestResponsesWebSearchStream(t *testing.T) {
	r := mustParseResponses(t, `{"model":"gemini-2.5-flash","input":"x","stream":true,"tools":[{"type":"web_search"}]}`)
	up := groundedStream()
	for c := 0; c <= len(up); c += 11 {
		out := jsontest.WriteSplit(r.NewStream(), []byte(up), c)
		var types []string
		var final struct{ Output []json.RawMessage }
		for _, line := range strings.Split(string(out), "\n") {
			d, ok := strings.CutPrefix(line, "data: ")
			if !ok {
				continue
			}
			var ev struct {
				Type       string
				Annotation json.RawMessage
				Response   json.RawMessage
			}
			if err := json.Unmarshal([]byte(d), &ev); err != nil {
				t.Fatal(err)
			}
			types = append(types, ev.Type)
			if ev.Type == "response.completed" {
				if err := json.Unmarshal(ev.Response, &final); err != nil {
					t.Fatal(err)
				}
			}
		}
		got := strings.Join(types, " ")
		for _, want := range []string{
			"response.output_text.delta response.output_text.annotation.added response.output_text.annotation.added response.output_text.annotation.added response.output_text.done",
			"response.output_item.done response.output_item.added response.web_search_call.in_progress response.web_search_call.searching response.web_search_call.completed response.output_item.done response.completed",
		} {
			if !strings.Contains(got, want) {
				t.Fatalf("split %d: events %s\nlack %s", c, got, want)
			}
		}
		if len(final.Output) != 2 {
			t.Fatalf("split %d: output %s", c, final.Output)
		}
		// The same items as the complete answer, in stream order.
		items, _ := json.Marshal([]json.RawMessage{final.Output[1], final.Output[0]})
		jsontest.Equal(t, jsontest.NormalizeIDs(items), responsesSearchOutput)
	}
}
