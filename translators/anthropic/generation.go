package anthropic

import (
	"strconv"

	"github.com/gemini-code-api/gemini-code-api/translators/apierror"
	"github.com/gemini-code-api/gemini-code-api/translators/gemini"
	"github.com/gemini-code-api/gemini-code-api/translators/jsondepth"
	"github.com/gemini-code-api/gemini-code-api/translators/jsonidx"
	"github.com/tidwall/gjson"
)

// fields reads typed request fields with Anthropic's wording of a refusal
// ("<path>: Input should be …").
var fields = gemini.Fields{
	NotBool:    func(p string) *apierror.Error { return apierror.Invalid(p, p+": Input should be a valid boolean") },
	NotNumber:  func(p string) *apierror.Error { return apierror.Invalid(p, p+": Input should be a valid number") },
	NotInteger: func(p string) *apierror.Error { return apierror.Invalid(p, p+": Input should be a valid integer") },
	OutOfRange: func(p, _ string, lo, hi float64) *apierror.Error {
		return apierror.Invalid(p, p+": Input should be between "+strconv.FormatFloat(lo, 'g', -1, 64)+" and "+strconv.FormatFloat(hi, 'g', -1, 64))
	},
	Below: func(p string, lo int64) *apierror.Error {
		return apierror.Invalid(p, p+": Input should be greater than or equal to "+strconv.FormatInt(lo, 10))
	},
	TooMany: func(p string, limit int, what string) *apierror.Error {
		return apierror.Invalid(p, p+": at most "+apierror.Itoa(limit)+" "+what+" are accepted by this gateway")
	},
	TooDeep: func(p string, depth int) *apierror.Error {
		return apierror.Invalid(p, p+": the schema nests JSON "+apierror.Itoa(depth)+" levels deep; the gateway accepts at most "+apierror.Itoa(jsondepth.MaxDepth))
	},
	SafeIntegers: true,
}

// messagesGeneration are the Messages fields that map one to one to
// generationConfig, with Anthropic's ranges. max_tokens, required, is
// lowered to the model's output limit (Claude Code asks for 128000).
var messagesGeneration = []gemini.Param{
	{Client: "max_tokens", Gemini: "maxOutputTokens", Integer: true, Min: 1, Clamp: true},
	{Client: "temperature", Gemini: "temperature", Min: 0, Max: 1},
	{Client: "top_p", Gemini: "topP", Min: 0, Max: 1},
	{Client: "top_k", Gemini: "topK", Integer: true, Min: 0, OmitZero: true},
}

// appendGenerationConfig writes sampling, limits and thinking, with
// Anthropic's ranges checked so a client gets Anthropic's kind of 400.
// hideThoughts asks for thought summaries the client will see as pings.
func appendGenerationConfig(out []byte, root jsonidx.Object, model string, hideThoughts bool) ([]byte, *apierror.Error) {
	g := gemini.NewGeneration(out)
	if e := g.Params(&fields, root, model, messagesGeneration); e != nil {
		return nil, e
	}
	if ss := root.Get("stop_sequences"); !gemini.Unset(ss) {
		if !ss.IsArray() {
			return nil, apierror.Invalid("stop_sequences", "stop_sequences: Input should be a valid list")
		}
		if e := g.Strings("stopSequences", ss, func(i int, s gjson.Result) (bool, *apierror.Error) {
			if i >= gemini.MaxStopSequences {
				return false, apierror.Invalid("stop_sequences", "stop_sequences: Gemini accepts at most "+apierror.Itoa(gemini.MaxStopSequences)+" stop sequences")
			}
			if s.Type != gjson.String {
				p := "stop_sequences." + apierror.Itoa(i)
				return false, apierror.Invalid(p, p+": Input should be a valid string")
			}
			return s.Str != "", nil // an empty sequence would stop at once, or 400
		}); e != nil {
			return nil, e
		}
	}

	if f := root.Get("output_config").Get("format"); !gemini.Unset(f) {
		// Structured outputs: Gemini takes the same JSON Schema subset as
		// for tool parameters, so the schema is cleaned the same way.
		if f.Get("type").String() != "json_schema" || !f.Get("schema").IsObject() {
			return nil, apierror.Invalid("output_config.format", "output_config.format: expected {\"type\":\"json_schema\",\"schema\":{…}}")
		}
		if depth, ok := g.JSONSchema(f.Get("schema")); !ok {
			return nil, fields.TooDeep("output_config.format.schema", depth)
		}
	}

	maxTokens, _, _ := fields.Int(root.Get("max_tokens"), "max_tokens", 1) // checked by Params
	thinking, e := thinkingConfig(root, model, maxTokens)
	if e != nil {
		return nil, e
	}
	if thinking == "" && hideThoughts {
		thinking = `{"includeThoughts":true}`
	}
	if thinking != "" {
		g.Raw("thinkingConfig", thinking)
	}
	return g.End(), nil
}

// thinkingConfig validates `thinking` and maps it for the model. A model
// without thinking (Gemini 1.x, 2.0, Gemma) gets no thinkingConfig at all:
// Gemini answers 400 to any, so the setting is moot there.
func thinkingConfig(root jsonidx.Object, model string, maxTokens int64) (string, *apierror.Error) {
	cfg, e := thinkingFor(root, model, maxTokens)
	if e != nil || !gemini.CanThink(model) {
		return "", e
	}
	return cfg, nil
}

// thinkingFor maps `thinking`: Gemini 2.5 takes a token budget, Gemini 3
// and later a level; never both, which Gemini answers with a 400.
func thinkingFor(root jsonidx.Object, model string, maxTokens int64) (string, *apierror.Error) {
	th := root.Get("thinking")
	if gemini.Unset(th) {
		if e := effortConfig(root, model); e != "" {
			return "{" + e[1:] + "}", nil
		}
		return "", nil
	}
	if !th.IsObject() {
		return "", apierror.Invalid("thinking", "thinking: Input should be a valid dictionary")
	}
	g3 := gemini.IsGemini3OrLater(model)
	pro := gemini.IsPro(model)
	switch typ := th.Get("type").String(); typ {
	case "enabled":
		budget, ok, e := fields.Int(th.Get("budget_tokens"), "thinking.budget_tokens", 1024)
		if e != nil {
			return "", e
		}
		if !ok {
			return "", apierror.Invalid("thinking.budget_tokens", "thinking.budget_tokens: Field required")
		}
		if maxTokens > 0 && budget >= maxTokens {
			return "", apierror.Invalid("thinking.budget_tokens", "`max_tokens` must be greater than `thinking.budget_tokens`")
		}
		if g3 {
			level := gemini.High
			switch {
			case budget <= 2048:
				level = gemini.Low
			case budget <= 16384:
				level = gemini.Medium
			}
			return `{"includeThoughts":true,"thinkingLevel":"` + gemini.ThinkingLevel(model, level) + `"}`, nil
		}
		// Gemini 2.5 rejects budgets above its maximum instead of clamping
		// (Claude Code asks for 31999): clamp to the model's range.
		limit := int64(24576)
		if pro {
			limit = 32768
		}
		budget = min(budget, limit)
		return `{"includeThoughts":true,"thinkingBudget":` + strconv.FormatInt(budget, 10) + `}`, nil
	case "disabled":
		switch {
		case g3: // the lowest level the model knows: thinking cannot be turned off
			return `{"thinkingLevel":"` + gemini.ThinkingLevel(model, gemini.Minimal) + `"}`, nil
		case pro:
			return `{"thinkingBudget":128}`, nil // 2.5 Pro cannot turn thinking off; 128 is its minimum
		}
		return `{"thinkingBudget":0}`, nil
	case "adaptive":
		return `{"includeThoughts":true` + effortConfig(root, model) + `}`, nil
	default:
		return "", apierror.Invalid("thinking.type", "thinking.type: Input tag '"+typ+"' found using 'type' does not match any of the expected tags: 'enabled', 'disabled', 'adaptive'")
	}
}

// effortConfig maps output_config.effort (Claude Code 2.1.3xx sends it with
// adaptive thinking instead of a budget) to Gemini's thinking level or
// budget (gemini.Effort), as `,"thinkingLevel":…` / `,"thinkingBudget":…`;
// "" when absent or unknown. Anthropic's efforts start at low, and its max
// takes 2.5 Pro's whole budget.
func effortConfig(root jsonidx.Object, model string) string {
	effort := root.Get("output_config").Get("effort").String()
	if effort == "none" || effort == "minimal" {
		return ""
	}
	m, ok := gemini.Effort(model, effort)
	switch {
	case !ok:
		return ""
	case effort == "max" && gemini.IsPro(model) && !gemini.IsGemini3OrLater(model):
		return `,"thinkingBudget":32768`
	}
	return "," + m
}
