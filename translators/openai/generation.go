package openai

import (
	"strconv"

	"github.com/gemini-code-api/gemini-code-api/translators/apierror"
	"github.com/gemini-code-api/gemini-code-api/translators/gemini"
	"github.com/gemini-code-api/gemini-code-api/translators/jsonidx"
	"github.com/gemini-code-api/gemini-code-api/translators/jsonw"
	"github.com/tidwall/gjson"
)

// fields reads typed request fields with OpenAI's wording of a refusal.
var fields = gemini.Fields{
	NotBool: func(p string) *apierror.Error {
		return apierror.Invalid(p, "Invalid type for '"+p+"': expected a boolean.")
	},
	NotNumber: func(p string) *apierror.Error {
		return apierror.Invalid(p, "Invalid type for '"+p+"': expected a number.")
	},
	NotInteger: func(p string) *apierror.Error {
		return apierror.Invalid(p, "Invalid type for '"+p+"': expected an integer.")
	},
	OutOfRange: func(p, raw string, lo, hi float64) *apierror.Error {
		return apierror.Invalid(p, "Invalid '"+p+"': "+raw+" is out of range ["+trimFloat(lo)+", "+trimFloat(hi)+"].")
	},
	Below: func(p string, lo int64) *apierror.Error {
		return apierror.Invalid(p, "Invalid '"+p+"': must be at least "+strconv.FormatInt(lo, 10)+".")
	},
	TooMany: func(p string, limit int, what string) *apierror.Error {
		return apierror.Invalid(p, "Invalid '"+p+"': at most "+apierror.Itoa(limit)+" "+what+" are accepted by this gateway.")
	},
	TooDeep: func(p string, depth int) *apierror.Error { return tooDeep(p, "the schema nests", depth) },
}

func trimFloat(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }

// chatGeneration are the chat fields that map one to one to
// generationConfig, with OpenAI's ranges.
var chatGeneration = []gemini.Param{
	{Client: "temperature", Gemini: "temperature", Min: 0, Max: 2},
	{Client: "top_p", Gemini: "topP", Min: 0, Max: 1},
	{Client: "presence_penalty", Gemini: "presencePenalty", Min: -2, Max: 2, OmitZero: true},
	{Client: "frequency_penalty", Gemini: "frequencyPenalty", Min: -2, Max: 2, OmitZero: true},
	{Client: "max_completion_tokens", Or: "max_tokens", Gemini: "maxOutputTokens", Integer: true, Min: 1},
	{Client: "seed", Gemini: "seed", Integer: true, Min: -1 << 53},
}

// appendGenerationConfig writes generationConfig from the sampling, limit,
// output-format and reasoning fields, with the OpenAI ranges checked so a
// client gets OpenAI's kind of 400 instead of a Gemini one.
func (r *ChatRequest) appendGenerationConfig(out []byte, root jsonidx.Object) ([]byte, *apierror.Error) {
	g := gemini.NewGeneration(out)
	if e := g.Params(&fields, root, r.GeminiModel, chatGeneration); e != nil {
		return nil, e
	}
	if nv, ok, e := fields.Int(root.Get("n"), "n", 1); e != nil {
		return nil, e
	} else if ok && nv > 1 {
		if nv > 8 {
			return nil, apierror.Invalid("n", "Invalid 'n': Gemini returns at most 8 choices.")
		}
		if gemini.IsGemini3OrLater(r.GeminiModel) {
			return nil, apierror.Invalid("n", "Invalid 'n': "+r.GeminiModel+" does not support several choices (Gemini 3 and later models reject candidateCount > 1).")
		}
		r.N = int(nv)
		g.Int("candidateCount", nv)
	}
	switch stop := root.Get("stop"); {
	case stop.Type == gjson.String:
		if stop.Str != "" {
			g.Array("stopSequences", jsonw.String(nil, stop.Str))
		}
	case stop.IsArray():
		if e := g.Strings("stopSequences", stop, func(i int, s gjson.Result) (bool, *apierror.Error) {
			if i >= gemini.MaxStopSequences {
				return false, apierror.Invalid("stop", "Invalid 'stop': at most "+apierror.Itoa(gemini.MaxStopSequences)+" stop sequences are supported.")
			}
			if s.Type != gjson.String {
				return false, apierror.Invalid("stop", "Invalid 'stop': expected strings.")
			}
			return true, nil
		}); e != nil {
			return nil, e
		}
	case !gemini.Unset(stop):
		return nil, apierror.Invalid("stop", "Invalid type for 'stop': expected a string or an array of strings.")
	}
	if lp := root.Get("logprobs"); lp.Type == gjson.True {
		g.Raw("responseLogprobs", "true")
		if top, ok, e := fields.Int(root.Get("top_logprobs"), "top_logprobs", 0); e != nil {
			return nil, e
		} else if ok {
			if top > 20 {
				return nil, apierror.Invalid("top_logprobs", "Invalid 'top_logprobs': must be at most 20.")
			}
			g.Int("logprobs", top)
		}
	}
	rf := root.Get("response_format")
	if e := responseFormat(&g, rf.Get("type").String(), rf.Get("json_schema.schema"), "response_format",
		"response_format.json_schema.schema", "Invalid 'response_format.json_schema': a `schema` object is required."); e != nil {
		return nil, e
	}
	thinking, e := r.thinkingConfig(root)
	if e != nil {
		return nil, e
	}
	if thinking != "" {
		g.Raw("thinkingConfig", thinking)
	}
	return g.End(), nil
}

// responseFormat writes structured output: chat's response_format and
// Responses' text.format (field) of type typ, text, json_object or
// json_schema with its schema (at schemaParam; missing refuses its absence).
func responseFormat(g *gemini.Generation, typ string, schema gjson.Result, field, schemaParam, missing string) *apierror.Error {
	switch typ {
	case "", "text":
	case "json_object":
		g.JSONObject()
	case "json_schema":
		if !schema.IsObject() {
			return apierror.Invalid(schemaParam, missing)
		}
		if depth, ok := g.JSONSchema(schema); !ok {
			return fields.TooDeep(schemaParam, depth)
		}
	default:
		return apierror.Invalid(field+".type", "Invalid '"+field+".type': expected text, json_object or json_schema.")
	}
	return nil
}

// thinkingConfig maps reasoning_effort (gemini.Effort: levels from Gemini
// 3 on, budgets on 2.5) and, with Env.ReasoningContent, asks for thought
// summaries.
func (r *ChatRequest) thinkingConfig(root jsonidx.Object) (string, *apierror.Error) {
	effort := root.Get("reasoning_effort")
	// The deployment-wide option must not break models that cannot think:
	// Gemini answers includeThoughts on them with a 400 ("Thinking is not
	// enabled for this model").
	include := r.Env.ReasoningContent && gemini.CanThink(r.GeminiModel)
	if gemini.Unset(effort) && !include {
		return "", nil
	}
	member := ""
	if !gemini.Unset(effort) {
		m, ok := gemini.Effort(r.GeminiModel, effort.String())
		if !ok {
			return "", apierror.Invalid("reasoning_effort", "Invalid 'reasoning_effort': expected none, minimal, low, medium, high, xhigh or max.")
		}
		member = m
	}
	return gemini.ThinkingConfig(include, member), nil
}

// The Responses API.

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

// thinkingConfig maps reasoning.effort (gemini.Effort: levels from Gemini
// 3 on, budgets on 2.5, as for chat) and reasoning.summary (thought summaries,
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
	member := ""
	if effort != "" {
		m, ok := gemini.Effort(r.GeminiModel, effort)
		if !ok {
			return "", apierror.Invalid("reasoning.effort", "Invalid 'reasoning.effort': expected none, minimal, low, medium, high or xhigh.")
		}
		member = m
	}
	return gemini.ThinkingConfig(r.summaries, member), nil
}
