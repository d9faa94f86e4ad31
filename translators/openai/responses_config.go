package openai

import (
	"strconv"
	"strings"

	"github.com/gemini-code-api/gemini-code-api/translators/apierror"
	"github.com/gemini-code-api/gemini-code-api/translators/gemini"
	"github.com/gemini-code-api/gemini-code-api/translators/jsonidx"
	"github.com/gemini-code-api/gemini-code-api/translators/jsonw"
	"github.com/tidwall/gjson"
)

// customInputSchema is the parameters schema of a custom tool. Custom tools
// take free text (Codex's apply_patch takes a patch); Gemini functions take
// a JSON object, so the text is the one string argument `input`.
const customInputSchema = `{"type":"object","properties":{"input":{"type":"string","description":"The raw input of the tool: free-form text in the format the tool description gives, not JSON."}},"required":["input"]}`

// droppedTools are hosted tools that are not function tools. The web
// search tools run on Gemini's Google Search; the others the gateway does
// not run, and the model simply works without them: Codex declares
// tool_search with full model metadata, and refusing it would make the
// gateway unusable.
var droppedTools = map[string]bool{
	"web_search": true, "web_search_preview": true, "web_search_2025_08_26": true,
	"web_search_preview_2025_03_11": true, "tool_search": true, "image_generation": true,
}

// webSearchTool reports the hosted web search tools (every version).
func webSearchTool(typ string) bool { return strings.HasPrefix(typ, "web_search") }

// parseTools translates `tools` and `tool_choice` into Gemini's tools and
// toolConfig: function tools are
// flat ({type, name, description, parameters, strict}), custom tools take
// text, and namespace tools group functions under a prefix. It returns the
// JSON to append and the map from client names to Gemini names.
func (r *ResponsesRequest) parseTools(root jsonidx.Object) ([]byte, map[string]string, *apierror.Error) {
	tools := root.Get("tools")
	if tools.Exists() && tools.Type != gjson.Null && !tools.IsArray() {
		return nil, nil, apierror.Invalid("tools", "Invalid type for 'tools': expected an array.")
	}
	var out []byte
	names := map[string]string{} // client name ("ns.name" inside a namespace) -> Gemini name
	declared := map[string]bool{}
	strict := false
	var want gemini.Builtins
	var allowedDomains []string
	location := ""
	var declare func(t gjson.Result, param, ns string) *apierror.Error
	declare = func(t gjson.Result, param, ns string) *apierror.Error {
		typ := t.Get("type").String()
		switch {
		case typ == "namespace":
			if ns != "" {
				return apierror.Invalid(param+".type", "Invalid '"+param+"': namespaces cannot be nested.")
			}
			nsName := t.Get("name").String()
			if nsName == "" {
				return apierror.Invalid(param+".name", "Invalid '"+param+".name': a namespace needs a name.")
			}
			return jsonidx.Each(t.Get("tools"), func(j int, inner gjson.Result) *apierror.Error {
				return declare(inner, param+".tools["+strconv.Itoa(j)+"]", nsName)
			})
		case webSearchTool(typ):
			// Google Search runs the search. Its settings have no Gemini
			// parameter: allowed domains and the user's location go to
			// the model as an instruction, search_context_size and
			// external_web_access (Codex's cached-only mode) are not
			// expressible; Google Search answers from Google's index.
			want.Search = true
			if e := jsonidx.Each(t.Get("filters.allowed_domains"), func(j int, d gjson.Result) *apierror.Error {
				if j >= gemini.MaxDomains {
					return apierror.Invalid(param+".filters.allowed_domains", "Invalid '"+param+".filters.allowed_domains': at most "+strconv.Itoa(gemini.MaxDomains)+" domains are accepted by this gateway.")
				}
				allowedDomains = append(allowedDomains, strings.Clone(d.String()))
				return nil
			}); e != nil {
				return e
			}
			if l := approximateLocation(t.Get("user_location")); l != "" {
				location = l
			}
			return nil
		case droppedTools[typ]:
			return nil
		case typ != "function" && typ != "custom":
			return apierror.Invalid(param+".type", "Invalid '"+param+".type': tool type `"+typ+"` is not supported by this gateway (it serves function, custom and namespace tools; web_search is accepted and ignored).")
		}
		name := t.Get("name")
		if name.Type != gjson.String || name.Str == "" {
			return apierror.Invalid(param+".name", "Invalid '"+param+".name': expected a non-empty string.")
		}
		client, gname := name.Str, name.Str
		if ns != "" {
			// Gemini has no namespaces; the qualified name is a valid
			// function name (letters, digits, _ . : -).
			client = ns + "." + name.Str
			gname = client
		}
		if declared[gname] {
			return apierror.Invalid(param+".name", "Invalid '"+param+".name': tool `"+client+"` is declared twice.")
		}
		if len(declared) >= gemini.MaxTools {
			return apierror.Invalid("tools", "Invalid 'tools': at most "+strconv.Itoa(gemini.MaxTools)+" tools are accepted by this gateway.")
		}
		// Kept for the answer, which outlives the request body.
		client, gname = strings.Clone(client), strings.Clone(gname)
		declared[gname] = true
		names[client] = gname
		if typ == "custom" || ns != "" {
			if r.tools == nil {
				r.tools = make(map[string]toolRef)
			}
			r.tools[gname] = toolRef{custom: typ == "custom", namespace: strings.Clone(ns), name: strings.Clone(name.Str)}
		}
		if len(declared) == 1 {
			out = append(out, `,"tools":[{"functionDeclarations":[`...)
		} else {
			out = append(out, ',')
		}
		out = append(out, `{"name":`...)
		out = jsonw.String(out, gname)
		desc := t.Get("description").String()
		if typ == "custom" {
			if f := t.Get("format"); f.Get("type").String() == "grammar" && f.Get("definition").String() != "" {
				// The grammar is the contract of the input text; Gemini
				// cannot constrain decoding to it, so the model reads it.
				desc += "\n\nThe `input` argument must follow this " + f.Get("syntax").String() + " grammar:\n" + f.Get("definition").String()
			}
		}
		if desc != "" {
			out = append(out, `,"description":`...)
			out = jsonw.String(out, desc)
		}
		if typ == "custom" {
			out = append(out, `,"parametersJsonSchema":`...)
			out = append(out, customInputSchema...)
		} else if p := t.Get("parameters"); p.IsObject() {
			out = append(out, `,"parametersJsonSchema":`...)
			var depth int
			var ok bool
			if out, depth, ok = gemini.CleanSchema(out, p, true); !ok {
				return schemaTooDeep(param+".parameters", depth)
			}
			strict = strict || t.Get("strict").Bool()
		}
		out = append(out, '}')
		return nil
	}
	if e := jsonidx.Each(tools, func(i int, t gjson.Result) *apierror.Error {
		return declare(t, "tools["+strconv.Itoa(i)+"]", "")
	}); e != nil {
		return nil, nil, e
	}
	if len(declared) > 0 {
		out = append(out, "]}"...)
	}
	if c := root.Get("tool_choice"); c.Type == gjson.String && c.Str == "none" {
		want = gemini.Builtins{} // no tool at all, hosted ones included
	}
	send, combine, notice := gemini.PlanBuiltins(r.GeminiModel, want, len(declared) > 0)
	out = gemini.CloseTools(out, len(declared) > 0, send)
	r.builtins, r.Notice = send, notice
	if send.Search {
		r.hint = gemini.SearchHint(allowedDomains, nil, location)
		if len(allowedDomains) > 0 {
			r.Notice = "web_search: filters.allowed_domains is given to the model as an instruction; Google Search cannot enforce it"
		}
	}

	mode, allowed, e := toolChoice(root.Get("tool_choice"), names)
	if e != nil {
		return nil, nil, e
	}
	if (mode == "AUTO" || mode == "") && strict && len(declared) > 0 {
		// Strict schemas (tool_choice defaults to auto): constrained
		// decoding of the calls.
		mode = "VALIDATED"
	}
	if mode == "ANY" && len(declared) == 0 {
		return nil, nil, apierror.Invalid("tool_choice", "'tool_choice' requires 'tools' to be set.")
	}
	if len(declared) > 0 {
		var list []byte
		for i, n := range allowed {
			if i > 0 {
				list = append(list, ',')
			}
			list = jsonw.String(list, n)
		}
		out = gemini.AppendToolConfig(out, mode, string(list), combine)
	}
	return out, names, nil
}

// toolChoice maps tool_choice to a function-calling mode and the allowed
// Gemini function names.
func toolChoice(choice gjson.Result, names map[string]string) (mode string, allowed []string, e *apierror.Error) {
	lookup := func(t gjson.Result) (string, *apierror.Error) {
		n := t.Get("name").String()
		if ns := t.Get("namespace").String(); ns != "" {
			n = ns + "." + n
		}
		g, ok := names[n]
		if !ok {
			return "", apierror.Invalid("tool_choice", "Invalid 'tool_choice': tool `"+n+"` is not among the declared tools.")
		}
		return g, nil
	}
	switch {
	case !choice.Exists() || choice.Type == gjson.Null:
		return "", nil, nil
	case choice.Type == gjson.String:
		switch choice.Str {
		case "auto":
			return "AUTO", nil, nil
		case "none":
			return "NONE", nil, nil
		case "required":
			return "ANY", nil, nil
		}
		return "", nil, apierror.Invalid("tool_choice", "Invalid 'tool_choice': expected none, auto, required or a tool object.")
	case choice.IsObject():
		switch typ := choice.Get("type").String(); typ {
		case "function", "custom":
			g, e := lookup(choice)
			if e != nil {
				return "", nil, e
			}
			return "ANY", []string{g}, nil
		case "allowed_tools":
			if e := jsonidx.Each(choice.Get("tools"), func(i int, t gjson.Result) *apierror.Error {
				if i >= gemini.MaxTools {
					return apierror.Invalid("tool_choice", "Invalid 'tool_choice': at most "+strconv.Itoa(gemini.MaxTools)+" allowed tools are accepted by this gateway.")
				}
				if droppedTools[t.Get("type").String()] {
					return nil
				}
				g, e := lookup(t)
				allowed = append(allowed, g)
				return e
			}); e != nil {
				return "", nil, e
			}
			if choice.Get("mode").String() == "required" {
				return "ANY", allowed, nil
			}
			// The model chooses among the allowed tools: Gemini takes a
			// list of names only with ANY or VALIDATED.
			if len(allowed) == 0 {
				return "NONE", nil, nil
			}
			return "VALIDATED", allowed, nil
		default:
			if droppedTools[typ] {
				return "AUTO", nil, nil // a hosted tool the gateway does not run
			}
			return "", nil, apierror.Invalid("tool_choice.type", "Invalid 'tool_choice.type': `"+typ+"` is not supported; use function, custom or allowed_tools.")
		}
	}
	return "", nil, apierror.Invalid("tool_choice", "Invalid type for 'tool_choice': expected a string or an object.")
}

// appendGenerationConfig writes generationConfig: sampling, output limits,
// structured output (text.format) and thinking (reasoning), with OpenAI's
// ranges checked so a client gets OpenAI's kind of 400.
func (r *ResponsesRequest) appendGenerationConfig(out []byte, root jsonidx.Object) ([]byte, *apierror.Error) {
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
	if e := num("temperature", "temperature", 0, 2); e != nil {
		return nil, e
	}
	if e := num("top_p", "topP", 0, 1); e != nil {
		return nil, e
	}
	if v := root.Get("max_output_tokens"); v.Exists() && v.Type != gjson.Null {
		if v.Type != gjson.Number || v.Num != float64(int64(v.Num)) {
			return nil, apierror.Invalid("max_output_tokens", "Invalid type for 'max_output_tokens': expected an integer.")
		}
		if v.Num < 1 {
			return nil, apierror.Invalid("max_output_tokens", "Invalid 'max_output_tokens': must be at least 1.")
		}
		field("maxOutputTokens")
		out = jsonw.Int(out, gemini.ClampOutput(r.GeminiModel, int64(v.Num)))
	}
	text := root.Get("text")
	if text.Exists() && text.Type != gjson.Null && !text.IsObject() {
		return nil, apierror.Invalid("text", "Invalid type for 'text': expected an object.")
	}
	// text.verbosity has no Gemini equivalent: accepted and ignored.
	switch f := text.Get("format"); f.Get("type").String() {
	case "", "text":
	case "json_object":
		field("responseMimeType")
		out = append(out, `"application/json"`...)
	case "json_schema":
		schema := f.Get("schema")
		if !schema.IsObject() {
			return nil, apierror.Invalid("text.format.schema", "Invalid 'text.format': a json_schema format needs a `schema` object.")
		}
		field("responseMimeType")
		out = append(out, `"application/json"`...)
		field("responseJsonSchema")
		var depth int
		var ok bool
		if out, depth, ok = gemini.CleanSchema(out, schema, false); !ok {
			return nil, schemaTooDeep("text.format.schema", depth)
		}
	default:
		return nil, apierror.Invalid("text.format.type", "Invalid 'text.format.type': expected text, json_object or json_schema.")
	}
	thinking, e := r.thinkingConfig(root.Get("reasoning"))
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

// thinkingConfig maps reasoning.effort (levels on Gemini 3, budgets on 2.5:
// the chat mapping, never both, which Gemini rejects) and reasoning.summary
// (thought summaries, which come back as reasoning items).
func (r *ResponsesRequest) thinkingConfig(reasoning gjson.Result) (string, *apierror.Error) {
	if !reasoning.Exists() || reasoning.Type == gjson.Null {
		return "", nil
	}
	if !reasoning.IsObject() {
		return "", apierror.Invalid("reasoning", "Invalid type for 'reasoning': expected an object.")
	}
	summary := reasoning.Get("summary")
	if !summary.Exists() || summary.Type == gjson.Null {
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
		if gemini.IsGemini3(r.GeminiModel) {
			level := map[string]string{"none": "MINIMAL", "minimal": "MINIMAL", "low": "LOW", "medium": "MEDIUM", "high": "HIGH", "xhigh": "HIGH", "max": "HIGH"}[effort]
			if level == "" {
				return "", apierror.Invalid("reasoning.effort", "Invalid 'reasoning.effort': expected none, minimal, low, medium, high or xhigh.")
			}
			if gemini.IsPro(r.GeminiModel) {
				// Gemini 3 Pro knows only LOW and HIGH.
				if level == "MINIMAL" {
					level = "LOW"
				} else if level == "MEDIUM" {
					level = "HIGH"
				}
			}
			parts = append(parts, `"thinkingLevel":"`+level+`"`)
		} else {
			budget, ok := map[string]int{"none": 0, "minimal": 512, "low": 1024, "medium": 8192, "high": 24576, "xhigh": 24576, "max": 24576}[effort]
			if !ok {
				return "", apierror.Invalid("reasoning.effort", "Invalid 'reasoning.effort': expected none, minimal, low, medium, high or xhigh.")
			}
			if budget == 0 && gemini.IsPro(r.GeminiModel) {
				budget = 128 // 2.5 Pro cannot turn thinking off; 128 is its minimum
			}
			parts = append(parts, `"thinkingBudget":`+strconv.Itoa(budget))
		}
	}
	if len(parts) == 0 {
		return "", nil
	}
	return "{" + strings.Join(parts, ",") + "}", nil
}
