package fakegemini

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// Model is one entry of models.list (the Model message of model.proto).
type Model struct {
	Name                       string   `json:"name"`
	BaseModelID                string   `json:"baseModelId,omitempty"`
	Version                    string   `json:"version"`
	DisplayName                string   `json:"displayName"`
	Description                string   `json:"description"`
	InputTokenLimit            int      `json:"inputTokenLimit"`
	OutputTokenLimit           int      `json:"outputTokenLimit"`
	SupportedGenerationMethods []string `json:"supportedGenerationMethods"`
	Temperature                *float64 `json:"temperature,omitempty"`
	TopP                       *float64 `json:"topP,omitempty"`
	TopK                       *int     `json:"topK,omitempty"`
	MaxTemperature             *float64 `json:"maxTemperature,omitempty"`
	Thinking                   bool     `json:"thinking,omitempty"`
}

// modelInfo adds the fake's per-model rules to the public entry.
type modelInfo struct {
	Model
	id                   string // name without "models/"
	budgetMin, budgetMax int    // thinkingBudget range (besides -1 and 0)
	budgetZeroOK         bool   // thinkingBudget 0 disables thinking
	// levels are the thinkingLevel values the model takes (Gemini 3 and
	// later; empty: all but XHIGH); noBudget: it refuses thinkingBudget
	// (Gemini 4).
	levels    []string
	noBudget  bool
	noPenalty bool // presencePenalty and frequencyPenalty refused (Gemini 4 Neon)
	embedDims int  // full embedding size (0 = not an embedding model)
}

var (
	genMethods   = []string{"generateContent", "countTokens", "createCachedContent", "batchGenerateContent"}
	embedMethods = []string{"embedContent", "countTextTokens", "countTokens", "asyncBatchEmbedContent"}
)

func fp(f float64) *float64 { return &f }
func ip(i int) *int         { return &i }

func chatModel(id, display, version string, in, out int, thinking bool, bmin, bmax int, zeroOK bool) modelInfo {
	return modelInfo{
		Model: Model{
			Name: "models/" + id, BaseModelID: id, Version: version, DisplayName: display,
			Description:     display + " (fake-gemini catalogue entry)",
			InputTokenLimit: in, OutputTokenLimit: out,
			SupportedGenerationMethods: genMethods,
			Temperature:                fp(1), TopP: fp(0.95), TopK: ip(64), MaxTemperature: fp(2),
			Thinking: thinking,
		},
		id: id, budgetMin: bmin, budgetMax: bmax, budgetZeroOK: zeroOK,
	}
}

func embedModel(id, display, version string, in, dims int, methods []string) modelInfo {
	return modelInfo{
		Model: Model{
			Name: "models/" + id, Version: version, DisplayName: display,
			Description:     display + " (fake-gemini catalogue entry)",
			InputTokenLimit: in, OutputTokenLimit: 1, SupportedGenerationMethods: methods,
		},
		id: id, embedDims: dims,
	}
}

// levelModel is a chat model of Gemini 3 or later, thinking by the levels
// given, and refusing thinking budgets when noBudget (Gemini 4).
func levelModel(id, display string, levels []string, noBudget bool) modelInfo {
	m := chatModel(id, display, id, 1048576, 65536, true, 1, 24576, true)
	m.levels, m.noBudget = levels, noBudget
	return m
}

// neon is Gemini 4 Neon: XHIGH, and no penalties.
func neon() modelInfo {
	m := levelModel("gemini-4-neon", "Gemini 4 Neon", lowToXHigh, true)
	m.noPenalty = true
	return m
}

var (
	lowToHigh  = []string{"LOW", "MEDIUM", "HIGH"}
	lowToXHigh = []string{"LOW", "MEDIUM", "HIGH", "XHIGH"}
)

// defaultCatalogue is the fixed model list (limits are illustrative). The
// current models' rules, as Google documents them in late 2026: Gemini 4
// takes no thinking budget; MINIMAL is refused by Gemini 3.1 Pro, 3.8
// Flash and Gemini 4, which cannot think less than LOW; XHIGH is Gemini 4
// Neon's, which also refuses penalties. gemini-2.5-pro and
// gemini-2.5-flash were shut down in 2026 and text-embedding-004 in
// January 2026; they stay here for the tests of their rules, which
// gemini-2.5-flash-lite still follows.
func defaultCatalogue() []modelInfo {
	return []modelInfo{
		chatModel("gemini-2.0-flash", "Gemini 2.0 Flash", "2.0", 1048576, 8192, false, 0, 0, true),
		chatModel("gemini-2.5-flash", "Gemini 2.5 Flash", "001", 1048576, 65536, true, 1, 24576, true),
		chatModel("gemini-2.5-flash-lite", "Gemini 2.5 Flash-Lite", "001", 1048576, 65536, true, 512, 24576, true),
		chatModel("gemini-2.5-pro", "Gemini 2.5 Pro", "2.5", 1048576, 65536, true, 128, 32768, false),
		levelModel("gemini-flash-latest", "Gemini Flash Latest", lowToHigh, false),
		chatModel("gemini-3-pro-preview", "Gemini 3 Pro Preview", "3-pro-preview-11-2025", 1048576, 65536, true, 128, 32768, false),
		chatModel("gemini-3-flash-preview", "Gemini 3 Flash Preview", "3-flash-preview-12-2025", 1048576, 65536, true, 1, 24576, true),
		levelModel("gemini-3.1-pro-preview", "Gemini 3.1 Pro Preview", lowToHigh, false),
		levelModel("gemini-3.8-flash", "Gemini 3.8 Flash", lowToHigh, false),
		levelModel("gemini-3.5-flash-lite", "Gemini 3.5 Flash-Lite", append([]string{"MINIMAL"}, lowToHigh...), false),
		levelModel("gemini-4-argon", "Gemini 4 Argon", lowToHigh, true),
		neon(),
		embedModel("text-embedding-004", "Text Embedding 004", "004", 2048, 768, []string{"embedContent"}),
		embedModel("gemini-embedding-001", "Gemini Embedding 001", "001", 2048, 3072, embedMethods),
	}
}

// AddModel adds (or replaces) a catalogue entry. Name may omit "models/".
// An empty SupportedGenerationMethods means a chat model.
func (s *Server) AddModel(m Model) {
	id := strings.TrimPrefix(m.Name, "models/")
	m.Name = "models/" + id
	if len(m.SupportedGenerationMethods) == 0 {
		m.SupportedGenerationMethods = genMethods
	}
	mi := modelInfo{Model: m, id: id, budgetMin: 1, budgetMax: 32768, budgetZeroOK: true}
	for _, meth := range m.SupportedGenerationMethods {
		if meth == "embedContent" {
			mi.embedDims = 3072
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := range s.models {
		if s.models[i].id == id {
			s.models[i] = mi
			return
		}
	}
	s.models = append(s.models, mi)
}

func (s *Server) model(id string) *modelInfo {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := range s.models {
		if s.models[i].id == id {
			m := s.models[i]
			return &m
		}
	}
	return nil
}

// requiredMethod maps a route action to the supportedGenerationMethods
// entry it needs.
func requiredMethod(action string) string {
	switch action {
	case "generateContent", "streamGenerateContent":
		return "generateContent"
	case "embedContent", "batchEmbedContents":
		return "embedContent"
	}
	return action
}

// lookupModel: unknown model or unsupported method → 404 NOT_FOUND with
// Google's wording.
func (s *Server) lookupModel(rt route) (*modelInfo, *apiError) {
	mi := s.model(rt.model)
	method := "GET"
	if rt.action != "get" {
		method = requiredMethod(rt.action)
	}
	if mi != nil && method == "GET" {
		return mi, nil
	}
	if mi != nil {
		for _, m := range mi.SupportedGenerationMethods {
			if m == method {
				return mi, nil
			}
		}
	}
	return nil, newError(http.StatusNotFound, fmt.Sprintf(
		"models/%s is not found for API version %s, or is not supported for %s. Call ListModels to see the list of available models and their supported methods.",
		rt.model, rt.version, method))
}

// listModels: models.list with pageSize (default 50, max 1000) and an
// opaque pageToken.
func (s *Server) listModels(q url.Values) (any, *apiError) {
	size := 50
	if v := firstOf(q, "pageSize", "page_size"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return nil, invalidArgument(fmt.Sprintf("Invalid value at 'page_size' (TYPE_INT32), %q", v))
		}
		if n > 0 {
			size = min(n, 1000)
		}
	}
	offset := 0
	if tok := firstOf(q, "pageToken", "page_token"); tok != "" {
		raw, err := base64.RawURLEncoding.DecodeString(tok)
		n, perr := strconv.Atoi(strings.TrimPrefix(string(raw), "fake-offset:"))
		if err != nil || perr != nil || !strings.HasPrefix(string(raw), "fake-offset:") || n < 0 {
			return nil, invalidArgument("Invalid page token.")
		}
		offset = n
	}
	s.mu.Lock()
	all := make([]Model, 0, len(s.models))
	for _, m := range s.models {
		all = append(all, m.Model)
	}
	s.mu.Unlock()
	type page struct {
		Models        []Model `json:"models"`
		NextPageToken string  `json:"nextPageToken,omitempty"`
	}
	p := page{Models: []Model{}}
	if offset < len(all) {
		end := min(offset+size, len(all))
		p.Models = all[offset:end]
		if end < len(all) {
			p.NextPageToken = base64.RawURLEncoding.EncodeToString([]byte("fake-offset:" + strconv.Itoa(end)))
		}
	}
	return p, nil
}

func firstOf(q url.Values, names ...string) string {
	for _, n := range names {
		if v := q.Get(n); v != "" {
			return v
		}
	}
	return ""
}
