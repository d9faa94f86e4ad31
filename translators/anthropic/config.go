package anthropic

import (
	"strconv"
	"strings"

	"github.com/gemini-code-api/gemini-code-api/translators/apierror"
	"github.com/gemini-code-api/gemini-code-api/translators/gemini"
	"github.com/gemini-code-api/gemini-code-api/translators/jsondepth"
	"github.com/gemini-code-api/gemini-code-api/translators/jsonidx"
	"github.com/gemini-code-api/gemini-code-api/translators/jsonw"
	"github.com/tidwall/gjson"
)

// appendTools writes `,"tools":[{"functionDeclarations":[…]}]` and returns
// the declared names. Custom tools map to declarations whose
// parametersJsonSchema is cleaned to Gemini's subset (P1: Claude Code's
// schemas carry $schema, const, exclusiveMinimum, propertyNames). Server
// tools (web search, bash, text editor, …) run on Anthropic's side and
// have no Gemini equivalent here: they are refused by name.
// Tools added by `system` messages (late) follow, unless already declared.
func appendTools(out []byte, tools gjson.Result, late ...gjson.Result) ([]byte, map[string]bool, *apierror.Error) {
	if (!tools.Exists() || tools.Type == gjson.Null) && len(late) == 0 {
		return out, nil, nil
	}
	if tools.Exists() && tools.Type != gjson.Null && !tools.IsArray() {
		return nil, nil, apierror.Invalid("tools", "tools: Input should be a valid list")
	}
	names := map[string]bool{}
	declare := func(i int, t gjson.Result) *apierror.Error {
		if i >= gemini.MaxTools {
			return apierror.Invalid("tools", "tools: at most "+strconv.Itoa(gemini.MaxTools)+" tools are accepted by this gateway")
		}
		param := "tools." + strconv.Itoa(i)
		if !t.IsObject() {
			return apierror.Invalid(param, param+": Input should be a valid dictionary")
		}
		if typ := t.Get("type"); typ.Exists() && typ.Type != gjson.Null && typ.String() != "custom" {
			return apierror.Invalid(param+".type", param+": the server tool `"+typ.String()+"` is not supported by the Gemini backend of this gateway; declare a custom tool with `input_schema` instead")
		}
		name := t.Get("name")
		if name.Type != gjson.String || name.Str == "" {
			return apierror.Invalid(param+".name", param+".name: Field required")
		}
		schema := t.Get("input_schema")
		if !schema.IsObject() {
			return apierror.Invalid(param+".input_schema", param+".input_schema: Field required")
		}
		if len(names) == 0 {
			out = append(out, `,"tools":[{"functionDeclarations":[`...)
		} else {
			out = append(out, ',')
		}
		names[name.Str] = true
		out = append(out, `{"name":`...)
		out = jsonw.String(out, name.Str)
		if d := t.Get("description"); d.Type == gjson.String && d.Str != "" {
			out = append(out, `,"description":`...)
			out = jsonw.String(out, d.Str)
		}
		out = append(out, `,"parametersJsonSchema":`...)
		var ok bool
		var depth int
		if out, depth, ok = gemini.CleanSchema(out, schema, true); !ok {
			return schemaTooDeep(param+".input_schema", depth)
		}
		out = append(out, '}')
		return nil
	}
	if e := jsonidx.Each(tools, declare); e != nil {
		return nil, nil, e
	}
	for _, t := range late {
		if n := t.Get("name").String(); n == "" || !names[n] {
			if e := declare(len(names), t); e != nil {
				return nil, nil, e
			}
		}
	}
	if len(names) > 0 {
		out = append(out, "]}]"...)
	}
	return out, names, nil
}

// appendToolConfig maps tool_choice (§4.5). disable_parallel_tool_use is
// accepted (type-checked) but has no Gemini knob.
func appendToolConfig(out []byte, root gjson.Result, names map[string]bool) ([]byte, *apierror.Error) {
	choice := root.Get("tool_choice")
	if !choice.Exists() || choice.Type == gjson.Null {
		return out, nil
	}
	if !choice.IsObject() {
		return nil, apierror.Invalid("tool_choice", "tool_choice: Input should be a valid dictionary")
	}
	var dp bool
	if e := boolField(choice, "disable_parallel_tool_use", &dp); e != nil {
		e.Param, e.Message = "tool_choice.disable_parallel_tool_use", "tool_choice.disable_parallel_tool_use: Input should be a valid boolean"
		return nil, e
	}
	mode, allowed := "", ""
	switch typ := choice.Get("type").String(); typ {
	case "auto":
		mode = "AUTO"
	case "any":
		mode = "ANY"
	case "none":
		mode = "NONE"
	case "tool":
		name := choice.Get("name")
		if name.Type != gjson.String || name.Str == "" {
			return nil, apierror.Invalid("tool_choice.name", "tool_choice.name: Field required")
		}
		if !names[name.Str] {
			return nil, apierror.Invalid("tool_choice.name", "tool_choice.name: tool `"+name.Str+"` is not among the declared tools")
		}
		mode, allowed = "ANY", string(jsonw.String(nil, name.Str))
	default:
		return nil, apierror.Invalid("tool_choice.type", "tool_choice.type: Input tag '"+typ+"' found using 'type' does not match any of the expected tags: 'auto', 'any', 'tool', 'none'")
	}
	if len(names) == 0 {
		if mode == "ANY" {
			return nil, apierror.Invalid("tool_choice", "tool_choice: `"+choice.Get("type").String()+"` requires `tools` to be set")
		}
		return out, nil // auto/none without tools: nothing to configure
	}
	out = append(out, `,"toolConfig":{"functionCallingConfig":{"mode":"`...)
	out = append(out, mode...)
	out = append(out, '"')
	if allowed != "" {
		out = append(out, `,"allowedFunctionNames":[`...)
		out = append(out, allowed...)
		out = append(out, ']')
	}
	return append(out, "}}"...), nil
}

// appendGenerationConfig writes sampling, limits and thinking, with
// Anthropic's ranges checked so a client gets Anthropic's kind of 400.
// hideThoughts asks for thought summaries the client will see as pings.
func appendGenerationConfig(out []byte, root gjson.Result, model string, hideThoughts bool) ([]byte, *apierror.Error) {
	start := len(out)
	out = append(out, `,"generationConfig":{`...)
	n := 0
	field := func(name string) {
		if n > 0 {
			out = append(out, ',')
		}
		n++
		out = jsonw.Key(out, name)
	}
	maxTokens, _, e := intField(root, "max_tokens", 1)
	if e != nil {
		return nil, e
	}
	field("maxOutputTokens")
	out = jsonw.Int(out, gemini.ClampOutput(model, maxTokens))

	for _, f := range [...]struct{ param, gname string }{{"temperature", "temperature"}, {"top_p", "topP"}} {
		v := root.Get(f.param)
		if !v.Exists() || v.Type == gjson.Null {
			continue
		}
		if v.Type != gjson.Number {
			return nil, apierror.Invalid(f.param, f.param+": Input should be a valid number")
		}
		if v.Num < 0 || v.Num > 1 {
			return nil, apierror.Invalid(f.param, f.param+": Input should be between 0 and 1")
		}
		field(f.gname)
		out = append(out, v.Raw...)
	}
	if k, ok, e := intField(root, "top_k", 0); e != nil {
		return nil, e
	} else if ok && k > 0 {
		field("topK")
		out = jsonw.Int(out, k)
	}

	if ss := root.Get("stop_sequences"); ss.Exists() && ss.Type != gjson.Null {
		if !ss.IsArray() {
			return nil, apierror.Invalid("stop_sequences", "stop_sequences: Input should be a valid list")
		}
		var list []byte
		if e := jsonidx.Each(ss, func(i int, s gjson.Result) *apierror.Error {
			if i >= gemini.MaxStopSequences {
				return apierror.Invalid("stop_sequences", "stop_sequences: Gemini accepts at most "+strconv.Itoa(gemini.MaxStopSequences)+" stop sequences")
			}
			if s.Type != gjson.String {
				p := "stop_sequences." + strconv.Itoa(i)
				return apierror.Invalid(p, p+": Input should be a valid string")
			}
			if s.Str == "" {
				return nil // an empty sequence would stop at once, or 400
			}
			if len(list) > 0 {
				list = append(list, ',')
			}
			list = jsonw.String(list, s.Str)
			return nil
		}); e != nil {
			return nil, e
		}
		if len(list) > 0 {
			field("stopSequences")
			out = append(out, '[')
			out = append(out, list...)
			out = append(out, ']')
		}
	}

	if f := root.Get("output_config.format"); f.Exists() && f.Type != gjson.Null {
		// Structured outputs: the same JSON-schema subset as tools (§1.6).
		if f.Get("type").String() != "json_schema" || !f.Get("schema").IsObject() {
			return nil, apierror.Invalid("output_config.format", "output_config.format: expected {\"type\":\"json_schema\",\"schema\":{…}}")
		}
		field("responseMimeType")
		out = append(out, `"application/json"`...)
		field("responseJsonSchema")
		var ok bool
		var depth int
		if out, depth, ok = gemini.CleanSchema(out, f.Get("schema"), false); !ok {
			return nil, schemaTooDeep("output_config.format.schema", depth)
		}
	}

	thinking, e := thinkingConfig(root, model, maxTokens)
	if e != nil {
		return nil, e
	}
	if thinking == "" && hideThoughts {
		thinking = `{"includeThoughts":true}`
	}
	if thinking != "" {
		field("thinkingConfig")
		out = append(out, thinking...)
	}
	if n == 0 {
		return out[:start], nil
	}
	return append(out, '}'), nil
}

// thinkingConfig validates `thinking` and maps it for the model. A model
// without thinking (Gemini 1.x, 2.0, Gemma) gets no thinkingConfig at all:
// Gemini answers 400 to any, so the setting is moot there.
func thinkingConfig(root gjson.Result, model string, maxTokens int64) (string, *apierror.Error) {
	cfg, e := thinkingFor(root, model, maxTokens)
	if e != nil || !gemini.CanThink(model) {
		return "", e
	}
	return cfg, nil
}

// thinkingFor maps `thinking` (§4.5): Gemini 2.5 takes a token budget,
// Gemini 3 a level; never both (P26).
func thinkingFor(root gjson.Result, model string, maxTokens int64) (string, *apierror.Error) {
	th := root.Get("thinking")
	if !th.Exists() || th.Type == gjson.Null {
		if e := effortConfig(root, model); e != "" {
			return "{" + e[1:] + "}", nil
		}
		return "", nil
	}
	if !th.IsObject() {
		return "", apierror.Invalid("thinking", "thinking: Input should be a valid dictionary")
	}
	g3 := gemini.IsGemini3(model)
	pro := strings.Contains(model, "pro")
	switch typ := th.Get("type").String(); typ {
	case "enabled":
		budget, ok, e := intField(th, "budget_tokens", 1024)
		if e != nil {
			e.Param = "thinking.budget_tokens"
			e.Message = "thinking." + e.Message
			return "", e
		}
		if !ok {
			return "", apierror.Invalid("thinking.budget_tokens", "thinking.budget_tokens: Field required")
		}
		if maxTokens > 0 && budget >= maxTokens {
			return "", apierror.Invalid("thinking.budget_tokens", "`max_tokens` must be greater than `thinking.budget_tokens`")
		}
		if g3 {
			level := "HIGH"
			switch {
			case budget <= 2048:
				level = "LOW"
			case budget <= 16384 && !pro: // Gemini 3 Pro knows only LOW and HIGH
				level = "MEDIUM"
			}
			return `{"includeThoughts":true,"thinkingLevel":"` + level + `"}`, nil
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
		case g3 && pro:
			return `{"thinkingLevel":"LOW"}`, nil // Pro cannot go lower
		case g3:
			return `{"thinkingLevel":"MINIMAL"}`, nil
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
// budget, as `,"thinkingLevel":…` / `,"thinkingBudget":…`; "" when absent
// or unknown. Gemini 3 Pro knows only LOW and HIGH; 2.5 budgets follow
// Google's own effort mapping (low 1K, medium 8K, high 24K).
func effortConfig(root gjson.Result, model string) string {
	effort := root.Get("output_config.effort").String()
	pro := strings.Contains(model, "pro")
	if gemini.IsGemini3(model) {
		level := map[string]string{"low": "LOW", "medium": "MEDIUM", "high": "HIGH", "xhigh": "HIGH", "max": "HIGH"}[effort]
		if level == "MEDIUM" && pro {
			level = "HIGH"
		}
		if level == "" {
			return ""
		}
		return `,"thinkingLevel":"` + level + `"`
	}
	budget, ok := map[string]int{"low": 1024, "medium": 8192, "high": 24576, "xhigh": 24576, "max": 24576}[effort]
	if !ok {
		return ""
	}
	if pro && effort == "max" {
		budget = 32768
	}
	return `,"thinkingBudget":` + strconv.Itoa(budget)
}

// intField reads an optional integer field of at least lo.
func intField(obj gjson.Result, name string, lo int64) (int64, bool, *apierror.Error) {
	v := obj.Get(name)
	if !v.Exists() || v.Type == gjson.Null {
		return 0, false, nil
	}
	if v.Type != gjson.Number || v.Num != float64(int64(v.Num)) || v.Num > 1<<53 || v.Num < -(1<<53) {
		return 0, false, apierror.Invalid(name, name+": Input should be a valid integer")
	}
	if int64(v.Num) < lo {
		return 0, false, apierror.Invalid(name, name+": Input should be greater than or equal to "+strconv.FormatInt(lo, 10))
	}
	return int64(v.Num), true, nil
}

// schemaTooDeep is the 400 for a schema CleanSchema refused: one nesting
// deeper than the gateway reads.
func schemaTooDeep(param string, depth int) *apierror.Error {
	return apierror.Invalid(param, param+": the schema nests JSON "+strconv.Itoa(depth)+" levels deep; the gateway accepts at most "+strconv.Itoa(jsondepth.MaxDepth))
}
