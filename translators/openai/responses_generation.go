package openai

import (
	"strings"

	"github.com/gemini-code-api/gemini-code-api/translators/apierror"
	"github.com/gemini-code-api/gemini-code-api/translators/gemini"
	"github.com/gemini-code-api/gemini-code-api/translators/jsonidx"
	"github.com/tidwall/gjson"
)

// responsesGeneration are the Responses fields that map one to one to
// generationConfig, with OpenAI's ranges.
var responsesGeneration = []gemini.Param{
	{Client: "temperature", Gemini: "temperature", Min: 0, Max: 2},
	{Client: "top_p", Gemini: "topP", Min: 0, Max: 1},
	{Client: "max_output_tokens", Gemini: "maxOutputTokens", Integer: true, Min: 1, Clamp: true},
}

// appendGenerationConfig writes generationConfig: sampling, output limits,
// structured output (text.format) and thinking (reasoning), with OpenAI's
// ranges checked so a client gets OpenAI's kind of 400.
func (r *ResponsesRequest) appendGenerationConfig(out []byte, root jsonidx.Object) ([]byte, *apierror.Error) {
	g := gemini.NewGeneration(out)
	if e := g.Params(&fields, root, r.GeminiModel, responsesGeneration); e != nil {
		return nil, e
	}
	text := root.Get("text")
	if !gemini.Unset(text) && !text.IsObject() {
		return nil, apierror.Invalid("text", "Invalid type for 'text': expected an object.")
	}
	// text.verbosity has no Gemini equivalent: accepted and ignored.
	f := text.Get("format")
	if e := responseFormat(&g, f.Get("type").String(), f.Get("schema"), "text.format",
		"text.format.schema", "Invalid 'text.format': a json_schema format needs a `schema` object."); e != nil {
		return nil, e
	}
	thinking, e := r.thinkingConfig(root.Get("reasoning"))
	if e != nil {
		return nil, e
	}
	if thinking != "" {
		g.Raw("thinkingConfig", thinking)
	}
	return g.End(), nil
}

// thinkingConfig maps reasoning.effort (gemini.Effort: levels on Gemini 3,
// budgets on 2.5, as for chat) and reasoning.summary (thought summaries,
// which come back as reasoning items).
func (r *ResponsesRequest) thinkingConfig(reasoning gjson.Result) (string, *apierror.Error) {
	if gemini.Unset(reasoning) {
		return "", nil
	}
	if !reasoning.IsObject() {
		return "", apierror.Invalid("reasoning", "Invalid type for 'reasoning': expected an object.")
	}
	summary := reasoning.Get("summary")
	if gemini.Unset(summary) {
		summary = reasoning.Get("generate_summary") // the deprecated name
	}
	switch summary.String() {
	case "", "none":
	case "auto", "concise", "detailed":
		r.summaries = true
	default:
		return "", apierror.Invalid("reasoning.summary", "Invalid 'reasoning.summary': expected auto, concise, detailed or none.")
	}
	effort := reasoning.Get("effort").String()
	if !gemini.CanThink(r.GeminiModel) {
		// Clients such as Codex ask every model for reasoning; a model that
		// cannot think answers a thinkingConfig with a 400, so the request
		// goes without one.
		r.summaries = false
		return "", nil
	}
	var parts []string
	if r.summaries {
		parts = append(parts, `"includeThoughts":true`)
	}
	if effort != "" {
		m, ok := gemini.Effort(r.GeminiModel, effort)
		if !ok {
			return "", apierror.Invalid("reasoning.effort", "Invalid 'reasoning.effort': expected none, minimal, low, medium, high or xhigh.")
		}
		parts = append(parts, m)
	}
	if len(parts) == 0 {
		return "", nil
	}
	return "{" + strings.Join(parts, ",") + "}", nil
}
