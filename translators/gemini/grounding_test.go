package gemini

import (
	"github.com/gemini-code-api/gemini-code-api/translators/internal/jsontest"
	"strconv"
	"strings"
	"testing"

	"github.com/tidwall/gjson"
)

// groundedText is an answer with multi-byte characters before and inside
// the cited spans: "ü" is 2 bytes, "🌊" 4 bytes (one code point, two UTF-16
// units), so byte, code point and UTF-16 offsets all differ.
const groundedText = "Der Zürichsee ist etwa 40 km lang. Sein Wasser 🌊 ist sehr sauber."

func feed(g *Grounding, cand gjson.Result) {
	cand.Get("content.parts").ForEach(func(k, p gjson.Result) bool {
		if t := p.Get("text"); t.Type == gjson.String && !IsThought(p) {
			g.AddText(int(k.Int()), t.Str)
		}
		return true
	})
}

func TestGroundingCitations(t *testing.T) {
	type cite struct {
		start, end int // code points
		text       string
		src        int
	}
	whole := []cite{{0, 34, "Der Zürichsee ist etwa 40 km lang.", 0}, {35, 65, "Sein Wasser 🌊 ist sehr sauber.", 1}, {35, 65, "Sein Wasser 🌊 ist sehr sauber.", 0}}
	cases := []struct {
		name string
		cand string
		want []cite
	}{
		{"offsets over the whole text, then from the part's start", jsontest.GroundedCandidate, whole},
		{"offsets over the whole text only", strings.Replace(jsontest.GroundedCandidate, `{"partIndex":1,"endIndex":33,`, `{"startIndex":36,"endIndex":69,`, 1), whole},
		{"offsets that do not match the text: found by its text",
			strings.Replace(jsontest.GroundedCandidate, `{"partIndex":1,"endIndex":33,`, `{"startIndex":35,"endIndex":65,`, 1), whole},
		{"no segment text: the offsets are trusted when they cut whole characters",
			strings.Replace(strings.Replace(jsontest.GroundedCandidate, `{"partIndex":1,"endIndex":33,`, `{"startIndex":36,"endIndex":69,`, 1), `,"text":"Sein Wasser 🌊 ist sehr sauber."`, ``, 1), whole},
		{"no segment text: offsets from the part's start",
			strings.Replace(jsontest.GroundedCandidate, `,"text":"Sein Wasser 🌊 ist sehr sauber."`, ``, 1), whole},
		{"no segment text and offsets inside a character: dropped",
			strings.Replace(strings.Replace(jsontest.GroundedCandidate, `{"partIndex":1,"endIndex":33,`, `{"startIndex":6,"endIndex":69,`, 1), `,"text":"Sein Wasser 🌊 ist sehr sauber."`, ``, 1), whole[:1]},
		{"a chunk index out of range is skipped", strings.Replace(jsontest.GroundedCandidate, `"groundingChunkIndices":[1,0]`, `"groundingChunkIndices":[7,0]`, 1), []cite{whole[0], whole[2]}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if !gjson.Valid(tc.cand) {
				t.Fatal("fixture is not JSON")
			}
			var g Grounding
			cand := gjson.Parse(tc.cand)
			q, src, _ := g.Event(cand)
			if strings.Join(q, "|") != "Zürichsee Länge|Zürichsee Wasserqualität" || len(src) != 2 || g.Sources[1].Title != "zuerich.com" || g.Queries != 2 {
				t.Fatalf("queries %q sources %v %+v", q, src, g.Sources)
			}
			feed(&g, cand)
			if string(g.Text()) != groundedText {
				t.Fatalf("text %q", g.Text())
			}
			var got []cite
			g.Cite(func(c Citation) {
				if string(g.Text()[c.Start:c.End]) != c.Text {
					t.Errorf("span %d..%d is %q, cited text %q", c.Start, c.End, g.Text()[c.Start:c.End], c.Text)
				}
				got = append(got, cite{g.Runes(0, c.Start), g.Runes(0, c.End), c.Text, c.Source})
			})
			if len(got) != len(tc.want) {
				t.Fatalf("citations %+v, want %+v", got, tc.want)
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Fatalf("citation %d: %+v, want %+v", i, got[i], tc.want[i])
				}
			}
			g.Cite(func(c Citation) { t.Fatalf("cited twice: %+v", c) })
		})
	}
}

// A stream repeats the accumulated metadata on several events, and may send
// the queries before the sources and supports: each is reported once, and a
// support waits until its text has arrived.
func TestGroundingStreamed(t *testing.T) {
	var g Grounding
	events := []string{
		`{"content":{"parts":[{"text":"Der Zürichsee ist etwa 40 km lang. "}]},"groundingMetadata":{"webSearchQueries":["Zürichsee Länge"]}}`,
		`{"content":{"parts":[{"text":"Sein Wasser 🌊 ist"}]},"groundingMetadata":{"webSearchQueries":["Zürichsee Länge","Zürichsee Wasserqualität"],
		  "groundingChunks":[{"web":{"uri":"https://a.example/1","title":"a.example"}}],
		  "groundingSupports":[{"segment":{"startIndex":36,"endIndex":69,"text":"Sein Wasser 🌊 ist sehr sauber."},"groundingChunkIndices":[0]}]}}`,
		`{"content":{"parts":[{"text":" sehr sauber."}]},"finishReason":"STOP","groundingMetadata":{"webSearchQueries":["Zürichsee Länge","Zürichsee Wasserqualität"],
		  "groundingChunks":[{"web":{"uri":"https://a.example/1","title":"a.example"}},{"web":{"uri":"https://b.example/2","title":"b.example"}}],
		  "groundingSupports":[{"segment":{"startIndex":36,"endIndex":69,"text":"Sein Wasser 🌊 ist sehr sauber."},"groundingChunkIndices":[0]},
		   {"segment":{"endIndex":35,"text":"Der Zürichsee ist etwa 40 km lang."},"groundingChunkIndices":[1]}]},
		  "urlContextMetadata":{"urlMetadata":[{"retrievedUrl":"https://c.example/","urlRetrievalStatus":"URL_RETRIEVAL_STATUS_SUCCESS"}]}}`,
	}
	wantQueries := [][]string{{"Zürichsee Länge"}, {"Zürichsee Wasserqualität"}, nil}
	wantSources := []int{0, 1, 1} // new sources per event
	wantCites := [][]string{nil, nil, {"Sein Wasser 🌊 ist sehr sauber.@35-65", "Der Zürichsee ist etwa 40 km lang.@0-34"}}
	for i, ev := range events {
		cand := gjson.Parse(ev)
		q, src, urls := g.Event(cand)
		if strings.Join(q, "|") != strings.Join(wantQueries[i], "|") || len(src) != wantSources[i] {
			t.Fatalf("event %d: queries %q sources %v", i, q, src)
		}
		if (len(urls) == 1) != (i == 2) || i == 2 && (urls[0].URL != "https://c.example/" || urls[0].Status != "URL_RETRIEVAL_STATUS_SUCCESS") {
			t.Fatalf("event %d: urls %+v", i, urls)
		}
		feed(&g, cand)
		var cites []string
		g.Cite(func(c Citation) {
			cites = append(cites, c.Text+"@"+strconv.Itoa(g.Runes(0, c.Start))+"-"+strconv.Itoa(g.Runes(0, c.End)))
		})
		if strings.Join(cites, "|") != strings.Join(wantCites[i], "|") {
			t.Fatalf("event %d: citations %q, want %q", i, cites, wantCites[i])
		}
	}
	if g.Queries != 2 || g.URLs != 1 || len(g.Sources) != 2 {
		t.Fatalf("totals: %d queries, %d urls, %d sources", g.Queries, g.URLs, len(g.Sources))
	}
}

func TestTruncate(t *testing.T) {
	for _, tc := range []struct {
		in   string
		n    int
		want string
	}{
		{"abc", 5, "abc"},
		{"abc", 2, "ab"},
		{"Zürich", 2, "Zü"},
		{"🌊🌊🌊", 2, "🌊🌊"},
		{"", 3, ""},
	} {
		if got := Truncate(tc.in, tc.n); got != tc.want {
			t.Errorf("Truncate(%q, %d) = %q, want %q", tc.in, tc.n, got, tc.want)
		}
	}
}

func TestPlanBuiltins(t *testing.T) {
	both := Builtins{Search: true, URLContext: true}
	for _, tc := range []struct {
		model     string
		functions bool
		send      Builtins
		combine   bool
		notice    bool
	}{
		{"gemini-2.5-flash", false, both, false, false},
		{"gemini-2.0-flash", false, both, false, false},
		{"gemini-2.5-pro", true, Builtins{}, false, true},
		{"gemini-3-pro-preview", true, both, true, false},
		{"gemini-3-flash-preview", false, both, false, false},
		{"gemma-3-27b-it", false, Builtins{}, false, true},
		{"gemini-1.5-pro", false, Builtins{}, false, true},
	} {
		send, combine, notice := PlanBuiltins(tc.model, both, tc.functions)
		if send != tc.send || combine != tc.combine || (notice != "") != tc.notice {
			t.Errorf("%s functions=%v: send %+v combine %v notice %q", tc.model, tc.functions, send, combine, notice)
		}
	}
	if send, combine, notice := PlanBuiltins("gemini-2.5-pro", Builtins{}, true); send.Any() || combine || notice != "" {
		t.Error("nothing asked, something planned")
	}
}

func TestToolsAndConfig(t *testing.T) {
	for _, tc := range []struct {
		name    string
		decl    string // a function declared, "" for none
		b       Builtins
		mode    string
		allowed []string
		combine bool
		want    string
	}{
		{"search only", "", Builtins{Search: true}, "", nil, false, `,"tools":[{"googleSearch":{}}]`},
		{"both, no functions", "", Builtins{true, true}, "", nil, false, `,"tools":[{"googleSearch":{}},{"urlContext":{}}]`},
		{"functions and search", "f", Builtins{Search: true}, "", nil, true,
			`,"tools":[{"functionDeclarations":[{"name":"f"}]},{"googleSearch":{}}],"toolConfig":{"includeServerSideToolInvocations":true}`},
		{"functions, mode and search", "f", Builtins{Search: true}, "ANY", []string{"f"}, true,
			`,"tools":[{"functionDeclarations":[{"name":"f"}]},{"googleSearch":{}}],"toolConfig":{"functionCallingConfig":{"mode":"ANY","allowedFunctionNames":["f"]},"includeServerSideToolInvocations":true}`},
		{"functions only", "f", Builtins{}, "AUTO", nil, false,
			`,"tools":[{"functionDeclarations":[{"name":"f"}]}],"toolConfig":{"functionCallingConfig":{"mode":"AUTO"}}`},
		{"nothing", "", Builtins{}, "", nil, false, ``},
		{"a mode without functions", "", Builtins{Search: true}, "NONE", nil, false, `,"tools":[{"googleSearch":{}}]`},
	} {
		var d Declarations
		if tc.decl != "" {
			d.Declare(tc.decl, "", gjson.Result{})
		}
		out := d.AppendTools(nil, tc.b)
		out = d.AppendToolConfig(out, ToolConfig{Mode: tc.mode, Allowed: tc.allowed, Combine: tc.combine})
		if string(out) != tc.want {
			t.Errorf("%s:\n got %s\nwant %s", tc.name, out, tc.want)
		}
	}
}

func TestSearchHint(t *testing.T) {
	if h := SearchHint(nil, nil, ""); h != "" {
		t.Fatalf("empty hint %q", h)
	}
	h := SearchHint([]string{"go.dev", "pkg.go.dev"}, nil, "Zürich, ZH, CH, time zone Europe/Zurich")
	for _, want := range []string{"only results from these domains: go.dev, pkg.go.dev.", "Zürich, ZH, CH, time zone Europe/Zurich"} {
		if !strings.Contains(h, want) {
			t.Fatalf("hint %q lacks %q", h, want)
		}
	}
	if h := SearchHint(nil, []string{"spam.example"}, ""); !strings.Contains(h, "never use results from these domains: spam.example.") {
		t.Fatalf("hint %q", h)
	}
}
