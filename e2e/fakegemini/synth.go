package fakegemini

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"
)

// Shapes of GenerateContentResponse. Field order follows the real
// service: parts before role, usage after candidates.
type respContent struct {
	Parts []json.RawMessage `json:"parts"`
	Role  string            `json:"role"`
}

type respCandidate struct {
	Content            *respContent    `json:"content,omitempty"`
	FinishReason       string          `json:"finishReason,omitempty"`
	Index              int             `json:"index"`
	GroundingMetadata  json.RawMessage `json:"groundingMetadata,omitempty"`
	URLContextMetadata json.RawMessage `json:"urlContextMetadata,omitempty"`
}

type usageJSON struct {
	PromptTokenCount        int             `json:"promptTokenCount"`
	CandidatesTokenCount    int             `json:"candidatesTokenCount,omitempty"`
	TotalTokenCount         int             `json:"totalTokenCount"`
	CachedContentTokenCount int             `json:"cachedContentTokenCount,omitempty"`
	ToolUsePromptTokenCount int             `json:"toolUsePromptTokenCount,omitempty"`
	ThoughtsTokenCount      int             `json:"thoughtsTokenCount,omitempty"`
	PromptTokensDetails     []modalityCount `json:"promptTokensDetails,omitempty"`
}

type respBody struct {
	Candidates     []respCandidate `json:"candidates,omitempty"`
	PromptFeedback *struct {
		BlockReason string `json:"blockReason"`
	} `json:"promptFeedback,omitempty"`
	UsageMetadata *usageJSON `json:"usageMetadata,omitempty"`
	ModelVersion  string     `json:"modelVersion"`
	ResponseID    string     `json:"responseId"`
}

// partView is what synthesis needs to know about a raw part.
type partView struct {
	Text             *string         `json:"text"`
	Thought          bool            `json:"thought"`
	FunctionCall     json.RawMessage `json:"functionCall"`
	ToolCall         json.RawMessage `json:"toolCall"`
	ThoughtSignature string          `json:"thoughtSignature"`
}

func viewPart(raw json.RawMessage) partView {
	var v partView
	_ = json.Unmarshal(raw, &v)
	return v
}

func textPart(s string) json.RawMessage {
	b, _ := json.Marshal(map[string]string{"text": s})
	return b
}

// echo is the built-in answer: deterministic, derived from the request.
func echo(req *gcRequest) string {
	for i := len(req.Contents) - 1; i >= 0; i-- {
		c := req.Contents[i]
		if c.Role == "model" {
			continue
		}
		var names []string
		for _, p := range c.Parts {
			if p.FunctionResponse != nil {
				names = append(names, p.FunctionResponse.Name)
			}
		}
		if len(names) > 0 {
			return "echo: function results for " + strings.Join(names, ", ")
		}
		for j := len(c.Parts) - 1; j >= 0; j-- {
			if t := c.Parts[j].Text; t != nil && *t != "" && !c.Parts[j].Thought {
				return "echo: " + *t
			}
		}
	}
	return "echo: (no text)"
}

// splitText cuts text into up to three pieces at spaces; their
// concatenation is text.
func splitText(text string) []string {
	n := utf8.RuneCountInString(text)
	if n < 6 {
		return []string{text}
	}
	runes := []rune(text)
	var out []string
	start := 0
	for _, cut := range []int{n / 3, 2 * n / 3} {
		for cut < n && runes[cut] != ' ' {
			cut++
		}
		if cut > start && cut < n {
			out = append(out, string(runes[start:cut]))
			start = cut
		}
	}
	return append(out, string(runes[start:]))
}

func newSignature() string {
	b := make([]byte, 48)
	_, _ = rand.Read(b)
	return base64.StdEncoding.EncodeToString(b)
}

// withSignature adds "thoughtSignature" to a raw part object.
func withSignature(raw json.RawMessage, sig string) json.RawMessage {
	s := strings.TrimSpace(string(raw))
	q, _ := json.Marshal(sig)
	if strings.TrimSpace(strings.TrimSuffix(strings.TrimPrefix(s, "{"), "}")) == "" {
		return json.RawMessage(`{"thoughtSignature":` + string(q) + `}`)
	}
	return json.RawMessage(s[:len(s)-1] + `,"thoughtSignature":` + string(q) + `}`)
}

// sign puts Gemini-3 signatures on the first functionCall part,
// on the first built-in toolCall part and on the last non-thought text part,
// unless already present.
func (s *Server) sign(groups [][]json.RawMessage) {
	type ref struct{ g, p int }
	var firstCall, firstTool, lastText *ref
	for gi, g := range groups {
		for pi, raw := range g {
			v := viewPart(raw)
			if v.FunctionCall != nil && firstCall == nil {
				firstCall = &ref{gi, pi}
			}
			if v.ToolCall != nil && firstTool == nil {
				firstTool = &ref{gi, pi}
			}
			if v.Text != nil && !v.Thought {
				lastText = &ref{gi, pi}
			}
		}
	}
	for _, r := range []*ref{firstCall, firstTool, lastText} {
		if r == nil || viewPart(groups[r.g][r.p]).ThoughtSignature != "" {
			continue
		}
		sig := newSignature()
		s.noteSignature(sig)
		groups[r.g][r.p] = withSignature(groups[r.g][r.p], sig)
	}
}

var signatureRE = regexp.MustCompile(`"thoughtSignature"\s*:\s*"([^"]*)"`)

// noteSignaturesIn records every thoughtSignature found in an outgoing body
// (scripted bodies, events and parts count as issued).
func (s *Server) noteSignaturesIn(text string) {
	for _, m := range signatureRE.FindAllStringSubmatch(text, -1) {
		s.noteSignature(m[1])
	}
}

func (s *Server) nextResponseID() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seq++
	return fmt.Sprintf("fake-%08d", s.seq)
}

// synthesize builds the answer of a generate call: one compact JSON body
// (stream=false) or the list of stream events (stream=true).
func (s *Server) synthesize(req *gcRequest, mi *modelInfo, r Reply, stream bool) []string {
	id := s.nextResponseID()
	prompt := requestTokens(req)
	if r.BlockReason != "" { // prompt blocked: no candidates at all
		b := respBody{UsageMetadata: &usageJSON{PromptTokenCount: prompt, TotalTokenCount: prompt}, ModelVersion: mi.id, ResponseID: id}
		b.PromptFeedback = &struct {
			BlockReason string `json:"blockReason"`
		}{r.BlockReason}
		return []string{marshalCompact(b)}
	}
	finish := r.FinishReason
	if finish == "" {
		finish = "STOP"
	}
	text := r.Text
	if text == "" && len(r.Parts) == 0 && (finish == "STOP" || finish == "MAX_TOKENS") {
		text = echo(req)
	}
	grounding, urlContext, records := grounded(req, mi, r)
	var groups [][]json.RawMessage
	switch {
	case !stream:
		var g []json.RawMessage
		if text != "" {
			g = append(g, textPart(text))
		}
		groups = [][]json.RawMessage{append(append(records, g...), r.Parts...)}
	default:
		if len(records) > 0 {
			groups = append(groups, records)
		}
		if text != "" {
			for _, piece := range splitText(text) {
				groups = append(groups, []json.RawMessage{textPart(piece)})
			}
		}
		for _, p := range r.Parts {
			groups = append(groups, []json.RawMessage{p})
		}
		if len(groups) == 0 {
			groups = [][]json.RawMessage{nil}
		}
	}
	if isGemini3(mi.id) && !r.NoSignatures {
		s.sign(groups)
	}
	final := s.finalUsage(prompt, groups, r.Usage)
	n := 1
	if gc := req.GenerationConfig; gc != nil && gc.CandidateCount != nil && *gc.CandidateCount > 1 {
		n = *gc.CandidateCount
	}
	events := make([]string, 0, len(groups))
	for gi, g := range groups {
		last := gi == len(groups)-1
		b := respBody{ModelVersion: mi.id, ResponseID: id}
		for ci := 0; ci < n; ci++ {
			c := respCandidate{Index: ci}
			if len(g) > 0 {
				c.Content = &respContent{Parts: g, Role: "model"}
			}
			if last {
				c.FinishReason = finish
				c.GroundingMetadata, c.URLContextMetadata = grounding, urlContext
			}
			b.Candidates = append(b.Candidates, c)
		}
		if last {
			b.UsageMetadata = &final
		} else { // running usage on intermediate chunks: clients must not sum
			b.UsageMetadata = &usageJSON{PromptTokenCount: prompt, TotalTokenCount: prompt}
		}
		events = append(events, marshalCompact(b))
	}
	for _, e := range events {
		s.noteSignaturesIn(e)
	}
	return events
}

func (s *Server) finalUsage(prompt int, groups [][]json.RawMessage, u *Usage) usageJSON {
	if u != nil {
		return usageJSON{
			PromptTokenCount: u.Prompt, CandidatesTokenCount: u.Candidates, TotalTokenCount: u.total(),
			CachedContentTokenCount: u.Cached, ToolUsePromptTokenCount: u.ToolUsePrompt, ThoughtsTokenCount: u.Thoughts,
			PromptTokensDetails: []modalityCount{{"TEXT", u.Prompt}},
		}
	}
	// Texts are concatenated first so that streamed pieces count exactly
	// like the non-streamed answer.
	var visible, thought strings.Builder
	calls := 0
	for _, g := range groups {
		for _, raw := range g {
			v := viewPart(raw)
			switch {
			case v.Text != nil && v.Thought:
				thought.WriteString(*v.Text)
			case v.Text != nil:
				visible.WriteString(*v.Text)
			case v.FunctionCall != nil:
				calls += EstimateTokens(string(v.FunctionCall))
			}
		}
	}
	out, thoughts := EstimateTokens(visible.String())+calls, EstimateTokens(thought.String())
	return usageJSON{
		PromptTokenCount: prompt, CandidatesTokenCount: out, ThoughtsTokenCount: thoughts,
		TotalTokenCount:     prompt + out + thoughts,
		PromptTokensDetails: []modalityCount{{"TEXT", prompt}},
	}
}

// indentJSON pretty-prints like the real non-streaming answers.
func indentJSON(s string) string {
	var b bytes.Buffer
	if json.Indent(&b, []byte(s), "", "  ") != nil {
		return s
	}
	return b.String()
}

// grounded returns what a reply may carry of its grounding for this
// request: groundingMetadata only when the request enabled googleSearch or
// urlContext, urlContextMetadata only with urlContext (without the tool the
// real service searches nothing), and, for a Gemini 3 request mixing them
// with functions, the toolCall/toolResponse parts of the search it reports.
func grounded(req *gcRequest, mi *modelInfo, r Reply) (grounding, urlContext json.RawMessage, records []json.RawMessage) {
	search, urls := req.builtins()
	if r.Grounding != nil && (search || urls) {
		grounding = r.Grounding
	}
	if r.URLContext != nil && urls {
		urlContext = r.URLContext
	}
	if grounding == nil || !isGemini3(mi.id) || req.ToolConfig == nil || !req.ToolConfig.IncludeServerSideToolInvocations {
		return grounding, urlContext, nil
	}
	var gm struct {
		WebSearchQueries []string `json:"webSearchQueries"`
	}
	_ = json.Unmarshal(grounding, &gm)
	if len(gm.WebSearchQueries) == 0 {
		return grounding, urlContext, nil
	}
	args, _ := json.Marshal(map[string]any{"queries": gm.WebSearchQueries})
	return grounding, urlContext, []json.RawMessage{
		json.RawMessage(`{"toolCall":{"id":"search-1","toolType":"GOOGLE_SEARCH_WEB","args":` + string(args) + `}}`),
		json.RawMessage(`{"toolResponse":{"id":"search-1","toolType":"GOOGLE_SEARCH_WEB","response":{"search_suggestions":"<div>…</div>"}}}`),
	}
}

// Source is a web page of a scripted grounding.
type Source struct{ URI, Title string }

// Support ties a span of the answer to sources: Text must occur in the
// answer; Sources index the sources.
type Support struct {
	Text    string
	Sources []int
}

// GroundingFor builds groundingMetadata for an answer text as the real
// service does: the queries, the sources as web chunks, a search entry point
// and, per support, the segment's UTF-8 byte offsets in the whole answer
// text (startIndex left out when 0, as proto-JSON omits zero values).
func GroundingFor(text string, queries []string, sources []Source, supports ...Support) json.RawMessage {
	type web struct {
		URI   string `json:"uri"`
		Title string `json:"title"`
	}
	type chunk struct {
		Web web `json:"web"`
	}
	type segment struct {
		StartIndex int    `json:"startIndex,omitempty"`
		EndIndex   int    `json:"endIndex"`
		Text       string `json:"text"`
	}
	type support struct {
		Segment segment `json:"segment"`
		Indices []int   `json:"groundingChunkIndices"`
	}
	gm := struct {
		Queries   []string          `json:"webSearchQueries"`
		Entry     map[string]string `json:"searchEntryPoint"`
		Chunks    []chunk           `json:"groundingChunks"`
		Supports  []support         `json:"groundingSupports,omitempty"`
		Retrieval struct{}          `json:"retrievalMetadata"`
	}{Queries: queries, Entry: map[string]string{"renderedContent": `<style>.container{}</style><div class="container">` + strings.Join(queries, " ") + `</div>`}}
	for _, s := range sources {
		gm.Chunks = append(gm.Chunks, chunk{web(s)})
	}
	from := 0
	for _, s := range supports {
		i := strings.Index(text[from:], s.Text)
		if i < 0 {
			from, i = 0, strings.Index(text, s.Text)
		}
		if i < 0 {
			panic("fakegemini.GroundingFor: support text not in the answer: " + s.Text)
		}
		start := from + i
		gm.Supports = append(gm.Supports, support{segment{start, start + len(s.Text), s.Text}, s.Sources})
		from = start + len(s.Text)
	}
	b, _ := json.Marshal(gm)
	return b
}
