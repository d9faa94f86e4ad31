package openai

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

// appendTools writes tools and toolConfig; send
// are the built-in tools that follow the functions, combine that they mix
// (gemini.PlanBuiltins).
func appendTools(out []byte, root jsonidx.Object, send gemini.Builtins, combine bool) ([]byte, *apierror.Error) {
	tools := root.Get("tools")
	choice := root.Get("tool_choice")
	if tools.Exists() && tools.Type != gjson.Null && !tools.IsArray() {
		return nil, apierror.Invalid("tools", "Invalid 'tools': expected an array.")
	}
	decls := 0
	var strict bool
	names := map[string]bool{}
	if e := jsonidx.Each(tools, func(i int, t gjson.Result) *apierror.Error {
		if i >= gemini.MaxTools {
			return apierror.Invalid("tools", "Invalid 'tools': at most "+strconv.Itoa(gemini.MaxTools)+" tools are accepted by this gateway.")
		}
		param := "tools[" + strconv.Itoa(i) + "]"
		if typ := t.Get("type").String(); typ != "function" {
			return apierror.Invalid(param+".type", "Invalid '"+param+".type': only `function` tools are supported by this gateway.")
		}
		fn := t.Get("function")
		name := fn.Get("name")
		if name.Type != gjson.String || name.Str == "" {
			return apierror.Invalid(param+".function.name", "Invalid '"+param+".function.name': expected a non-empty string.")
		}
		if decls == 0 {
			out = append(out, `,"tools":[{"functionDeclarations":[`...)
		} else {
			out = append(out, ',')
		}
		decls++
		names[name.Str] = true
		out = append(out, `{"name":`...)
		out = jsonw.String(out, name.Str)
		if d := fn.Get("description"); d.Type == gjson.String && d.Str != "" {
			out = append(out, `,"description":`...)
			out = jsonw.String(out, d.Str)
		}
		if p := fn.Get("parameters"); p.IsObject() {
			out = append(out, `,"parametersJsonSchema":`...)
			var ok bool
			var depth int
			if out, depth, ok = gemini.CleanSchema(out, p, true); !ok {
				return schemaTooDeep(param+".function.parameters", depth)
			}
		}
		out = append(out, '}')
		strict = strict || fn.Get("strict").Bool()
		return nil
	}); e != nil {
		return nil, e
	}
	if decls > 0 {
		out = append(out, "]}"...)
	}
	out = gemini.CloseTools(out, decls > 0, send)

	mode, allowed := "", ""
	switch {
	case !choice.Exists() || choice.Type == gjson.Null:
	case choice.Type == gjson.String:
		switch choice.Str {
		case "auto":
			mode = "AUTO"
		case "none":
			mode = "NONE"
		case "required":
			mode = "ANY"
		default:
			return nil, apierror.Invalid("tool_choice", "Invalid 'tool_choice': expected none, auto, required or a function object.")
		}
	case choice.IsObject():
		switch choice.Get("type").String() {
		case "function":
			name := choice.Get("function.name").String()
			if !names[name] {
				return nil, apierror.Invalid("tool_choice", "Invalid 'tool_choice': function `"+name+"` is not among the declared tools.")
			}
			mode, allowed = "ANY", string(jsonw.String(nil, name))
		case "allowed_tools":
			mode = "AUTO"
			if choice.Get("allowed_tools.mode").String() == "required" {
				mode = "ANY"
			}
			var list []byte
			if e := jsonidx.Each(choice.Get("allowed_tools.tools"), func(i int, t gjson.Result) *apierror.Error {
				if i >= gemini.MaxTools {
					return apierror.Invalid("tool_choice", "Invalid 'tool_choice': at most "+strconv.Itoa(gemini.MaxTools)+" allowed tools are accepted by this gateway.")
				}
				n := t.Get("function.name").String()
				if !names[n] {
					return apierror.Invalid("tool_choice", "Invalid 'tool_choice': allowed tool `"+n+"` is not among the declared tools.")
				}
				if len(list) > 0 {
					list = append(list, ',')
				}
				list = jsonw.String(list, n)
				return nil
			}); e != nil {
				return nil, e
			}
			allowed = string(list)
		default:
			return nil, apierror.Invalid("tool_choice", "Invalid 'tool_choice.type': expected `function` or `allowed_tools`.")
		}
	default:
		return nil, apierror.Invalid("tool_choice", "Invalid 'tool_choice': expected a string or an object.")
	}
	if mode != "" && mode != "NONE" && decls == 0 {
		return nil, apierror.Invalid("tool_choice", "'tool_choice' requires 'tools' to be set.")
	}
	if mode == "AUTO" && strict {
		mode = "VALIDATED" // strict schemas: constrained decoding of the calls
	}
	if decls == 0 {
		// Without declarations Gemini refuses any functionCallingConfig.
		return out, nil
	}
	return gemini.AppendToolConfig(out, mode, allowed, combine), nil
}

// chatBuiltins reads web_search_options: OpenAI's search for chat
// completions becomes Google Search. OpenAI's search models (the
// *-search-preview and *-search-api names, when the model map maps them to
// Gemini) always search, as they do at OpenAI. search_context_size has no
// Gemini equivalent; user_location becomes an instruction to the model
// (gemini.SearchHint). It returns the tool asked for and the location.
func chatBuiltins(root jsonidx.Object, model string) (gemini.Builtins, string, *apierror.Error) {
	var want gemini.Builtins
	if strings.Contains(model, "-search-preview") || strings.Contains(model, "-search-api") {
		want.Search = true
	}
	o := root.Get("web_search_options")
	if !o.Exists() || o.Type == gjson.Null {
		return want, "", nil
	}
	if !o.IsObject() {
		return want, "", apierror.Invalid("web_search_options", "Invalid type for 'web_search_options': expected an object.")
	}
	switch size := o.Get("search_context_size"); size.String() {
	case "", "low", "medium", "high":
	default:
		return want, "", apierror.Invalid("web_search_options.search_context_size", "Invalid 'web_search_options.search_context_size': expected low, medium or high.")
	}
	want.Search = true
	return want, approximateLocation(o.Get("user_location.approximate")), nil
}

// approximateLocation joins OpenAI's approximate location fields (chat's
// user_location.approximate, the Responses tool's user_location) for
// gemini.SearchHint.
func approximateLocation(loc gjson.Result) string {
	var parts []string
	for _, f := range [...]string{"city", "region", "country"} {
		if s := loc.Get(f).String(); s != "" {
			parts = append(parts, s)
		}
	}
	if tz := loc.Get("timezone").String(); tz != "" {
		parts = append(parts, "time zone "+tz)
	}
	return strings.Join(parts, ", ")
}

// appendGenerationConfig writes generationConfig from the sampling, limit,
// output-format and reasoning fields, with the OpenAI ranges checked so a
// client gets OpenAI's kind of 400 instead of a Gemini one.
func (r *ChatRequest) appendGenerationConfig(out []byte, root jsonidx.Object) ([]byte, *apierror.Error) {
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
	num := func(param, gname string, lo, hi float64) *apierror.Error {
		v := root.Get(param)
		if !v.Exists() || v.Type == gjson.Null {
			return nil
		}
		if v.Type != gjson.Number {
			return apierror.Invalid(param, "Invalid type for '"+param+"': expected a number.")
		}
		if v.Num < lo || v.Num > hi {
			return apierror.Invalid(param, "Invalid '"+param+"': "+v.Raw+" is out of range ["+trimFloat(lo)+", "+trimFloat(hi)+"].")
		}
		field(gname)
		out = append(out, v.Raw...)
		return nil
	}
	integer := func(param string, lo int64) (int64, bool, *apierror.Error) {
		v := root.Get(param)
		if !v.Exists() || v.Type == gjson.Null {
			return 0, false, nil
		}
		if v.Type != gjson.Number || v.Num != float64(int64(v.Num)) {
			return 0, false, apierror.Invalid(param, "Invalid type for '"+param+"': expected an integer.")
		}
		if int64(v.Num) < lo {
			return 0, false, apierror.Invalid(param, "Invalid '"+param+"': must be at least "+strconv.FormatInt(lo, 10)+".")
		}
		return int64(v.Num), true, nil
	}
	if e := num("temperature", "temperature", 0, 2); e != nil {
		return nil, e
	}
	if e := num("top_p", "topP", 0, 1); e != nil {
		return nil, e
	}
	if e := num("presence_penalty", "presencePenalty", -2, 2); e != nil {
		return nil, e
	}
	if e := num("frequency_penalty", "frequencyPenalty", -2, 2); e != nil {
		return nil, e
	}
	maxTok, ok, e := integer("max_completion_tokens", 1)
	if e != nil {
		return nil, e
	}
	if !ok {
		if maxTok, ok, e = integer("max_tokens", 1); e != nil {
			return nil, e
		}
	}
	if ok {
		field("maxOutputTokens")
		out = jsonw.Int(out, maxTok)
	}
	if seed, ok, e := integer("seed", -1<<53); e != nil {
		return nil, e
	} else if ok {
		field("seed")
		out = jsonw.Int(out, seed)
	}
	if nv, ok, e := integer("n", 1); e != nil {
		return nil, e
	} else if ok && nv > 1 {
		if nv > 8 {
			return nil, apierror.Invalid("n", "Invalid 'n': Gemini returns at most 8 choices.")
		}
		if gemini.IsGemini3(r.GeminiModel) {
			return nil, apierror.Invalid("n", "Invalid 'n': "+r.GeminiModel+" does not support several choices (Gemini 3 models reject candidateCount > 1).")
		}
		r.N = int(nv)
		field("candidateCount")
		out = jsonw.Int(out, nv)
	}
	switch stop := root.Get("stop"); {
	case stop.Type == gjson.String:
		if stop.Str != "" {
			field("stopSequences")
			out = jsonw.String(append(out, '['), stop.Str)
			out = append(out, ']')
		}
	case stop.IsArray():
		var list []byte
		if e := jsonidx.Each(stop, func(i int, s gjson.Result) *apierror.Error {
			if i >= gemini.MaxStopSequences {
				return apierror.Invalid("stop", "Invalid 'stop': at most "+strconv.Itoa(gemini.MaxStopSequences)+" stop sequences are supported.")
			}
			if s.Type != gjson.String {
				return apierror.Invalid("stop", "Invalid 'stop': expected strings.")
			}
			if i > 0 {
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
	case stop.Exists() && stop.Type != gjson.Null:
		return nil, apierror.Invalid("stop", "Invalid type for 'stop': expected a string or an array of strings.")
	}
	if lp := root.Get("logprobs"); lp.Type == gjson.True {
		field("responseLogprobs")
		out = append(out, "true"...)
		if top, ok, e := integer("top_logprobs", 0); e != nil {
			return nil, e
		} else if ok {
			if top > 20 {
				return nil, apierror.Invalid("top_logprobs", "Invalid 'top_logprobs': must be at most 20.")
			}
			field("logprobs")
			out = jsonw.Int(out, top)
		}
	}
	switch rf := root.Get("response_format"); rf.Get("type").String() {
	case "", "text":
	case "json_object":
		field("responseMimeType")
		out = append(out, `"application/json"`...)
	case "json_schema":
		schema := rf.Get("json_schema.schema")
		if !schema.IsObject() {
			return nil, apierror.Invalid("response_format.json_schema.schema", "Invalid 'response_format.json_schema': a `schema` object is required.")
		}
		field("responseMimeType")
		out = append(out, `"application/json"`...)
		field("responseJsonSchema")
		var ok bool
		var depth int
		if out, depth, ok = gemini.CleanSchema(out, schema, false); !ok {
			return nil, schemaTooDeep("response_format.json_schema.schema", depth)
		}
	default:
		return nil, apierror.Invalid("response_format.type", "Invalid 'response_format.type': expected text, json_object or json_schema.")
	}
	thinking, e := r.thinkingConfig(root)
	if e != nil {
		return nil, e
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

// thinkingConfig maps reasoning_effort (Google's own mapping for 2.5, levels
// for Gemini 3; never both fields, which Gemini answers with a 400).
func (r *ChatRequest) thinkingConfig(root jsonidx.Object) (string, *apierror.Error) {
	effort := root.Get("reasoning_effort")
	// The deployment-wide option must not break models that cannot think:
	// Gemini answers includeThoughts on them with a 400 ("Thinking is not
	// enabled for this model").
	include := r.Options.ReasoningContent && gemini.CanThink(r.GeminiModel)
	if (!effort.Exists() || effort.Type == gjson.Null) && !include {
		return "", nil
	}
	var parts []string
	if include {
		parts = append(parts, `"includeThoughts":true`)
	}
	if effort.Exists() && effort.Type != gjson.Null {
		e := effort.String()
		if gemini.IsGemini3(r.GeminiModel) {
			pro := gemini.IsPro(r.GeminiModel)
			level := map[string]string{"none": "MINIMAL", "minimal": "MINIMAL", "low": "LOW", "medium": "MEDIUM", "high": "HIGH", "xhigh": "HIGH", "max": "HIGH"}[e]
			if pro && (level == "MINIMAL") {
				level = "LOW" // Gemini 3 Pro knows only LOW and HIGH
			} else if pro && level == "MEDIUM" {
				level = "HIGH"
			}
			if level == "" {
				return "", apierror.Invalid("reasoning_effort", "Invalid 'reasoning_effort': expected none, minimal, low, medium, high, xhigh or max.")
			}
			parts = append(parts, `"thinkingLevel":"`+level+`"`)
		} else {
			budget, ok := map[string]int{"none": 0, "minimal": 512, "low": 1024, "medium": 8192, "high": 24576, "xhigh": 24576, "max": 24576}[e]
			if !ok {
				return "", apierror.Invalid("reasoning_effort", "Invalid 'reasoning_effort': expected none, minimal, low, medium, high, xhigh or max.")
			}
			if budget == 0 && gemini.IsPro(r.GeminiModel) {
				budget = 128 // 2.5 Pro cannot turn thinking off; 128 is its minimum
			}
			parts = append(parts, `"thinkingBudget":`+strconv.Itoa(budget))
		}
	}
	return "{" + strings.Join(parts, ",") + "}", nil
}

func trimFloat(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }

// schemaTooDeep is the 400 for a schema CleanSchema refused: one nesting
// deeper than the gateway reads.
func schemaTooDeep(param string, depth int) *apierror.Error {
	return apierror.Invalid(param, "Invalid '"+param+"': the schema nests JSON "+strconv.Itoa(depth)+" levels deep; the gateway accepts at most "+strconv.Itoa(jsondepth.MaxDepth)+".")
}
