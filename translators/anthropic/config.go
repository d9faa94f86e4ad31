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

// toolSet is what a request's `tools` declare: function declarations for
// Gemini, and the server tools (web search, web fetch) Gemini runs as its
// own built-in tools.
type toolSet struct {
	decls  []byte          // the function declarations, comma-separated
	names  map[string]bool // declared function names
	server map[string]bool // names of the server tools (for tool_choice)
	want   gemini.Builtins // built-in tools the server tools ask for
	// Settings Google Search has no parameter for, passed to the model.
	allowed, blocked []string
	location         string
}

// tools are the tool parts of a translated request: what parseTools read
// and what the model then gets.
type tools struct {
	toolSet
	send    gemini.Builtins // built-in tools sent (PlanBuiltins)
	combine bool            // built-ins mixed with functions (includeServerSideToolInvocations)
	notice  string          // what was left out or cannot be enforced, for the client
}

// parseTools reads `tools`: custom tools map to declarations whose
// parametersJsonSchema is cleaned to Gemini's subset (Claude Code's
// schemas carry $schema, const, exclusiveMinimum and propertyNames, which
// Gemini does not take; see docs/gemini-wire-notes.md#schema-subset); the web
// search and web fetch server tools (every dated version) map to Gemini's
// googleSearch and urlContext. Other server tools (bash, text editor, code
// execution, …) have no Gemini equivalent and are refused by name. Tools
// added by `system` messages (late) follow, unless already declared.
func parseTools(tools gjson.Result, late ...gjson.Result) (toolSet, *apierror.Error) {
	var ts toolSet
	if (!tools.Exists() || tools.Type == gjson.Null) && len(late) == 0 {
		return ts, nil
	}
	if tools.Exists() && tools.Type != gjson.Null && !tools.IsArray() {
		return ts, apierror.Invalid("tools", "tools: Input should be a valid list")
	}
	ts.names = map[string]bool{}
	n := 0
	declare := func(i int, t gjson.Result) *apierror.Error {
		if i >= gemini.MaxTools {
			return apierror.Invalid("tools", "tools: at most "+strconv.Itoa(gemini.MaxTools)+" tools are accepted by this gateway")
		}
		param := "tools." + strconv.Itoa(i)
		if !t.IsObject() {
			return apierror.Invalid(param, param+": Input should be a valid dictionary")
		}
		if typ := t.Get("type"); typ.Exists() && typ.Type != gjson.Null && typ.String() != "custom" {
			return ts.serverTool(t, typ.String(), param)
		}
		name := t.Get("name")
		if name.Type != gjson.String || name.Str == "" {
			return apierror.Invalid(param+".name", param+".name: Field required")
		}
		schema := t.Get("input_schema")
		if !schema.IsObject() {
			return apierror.Invalid(param+".input_schema", param+".input_schema: Field required")
		}
		if n > 0 {
			ts.decls = append(ts.decls, ',')
		}
		n++
		ts.names[name.Str] = true
		ts.decls = append(ts.decls, `{"name":`...)
		ts.decls = jsonw.String(ts.decls, name.Str)
		if d := t.Get("description"); d.Type == gjson.String && d.Str != "" {
			ts.decls = append(ts.decls, `,"description":`...)
			ts.decls = jsonw.String(ts.decls, d.Str)
		}
		ts.decls = append(ts.decls, `,"parametersJsonSchema":`...)
		var ok bool
		var depth int
		if ts.decls, depth, ok = gemini.CleanSchema(ts.decls, schema, true); !ok {
			return schemaTooDeep(param+".input_schema", depth)
		}
		ts.decls = append(ts.decls, '}')
		return nil
	}
	if e := jsonidx.Each(tools, declare); e != nil {
		return ts, e
	}
	for _, t := range late {
		if n := t.Get("name").String(); n == "" || !ts.names[n] {
			if e := declare(len(ts.names), t); e != nil {
				return ts, e
			}
		}
	}
	return ts, nil
}

// serverTool reads a server tool: web_search_* becomes Google Search,
// web_fetch_* URL context. Their options are checked as Anthropic checks
// them; Gemini can express none of them as a parameter: max_uses is not
// enforced (Gemini decides how many queries to run), and the domain lists
// and user_location become an instruction to the model (SearchHint).
func (ts *toolSet) serverTool(t gjson.Result, typ, param string) *apierror.Error {
	search := strings.HasPrefix(typ, "web_search_")
	if !search && !strings.HasPrefix(typ, "web_fetch_") {
		return apierror.Invalid(param+".type", param+": the server tool `"+typ+"` is not supported by the Gemini backend of this gateway (it runs web_search and web_fetch on Gemini's Google Search and URL context); declare a custom tool with `input_schema` instead")
	}
	if _, _, e := intField(t, "max_uses", 1); e != nil {
		e.Param, e.Message = param+".max_uses", param+"."+e.Message
		return e
	}
	var lists [2][]string
	for k, f := range [...]string{"allowed_domains", "blocked_domains"} {
		v := t.Get(f)
		if !v.Exists() || v.Type == gjson.Null {
			continue
		}
		if !v.IsArray() {
			return apierror.Invalid(param+"."+f, param+"."+f+": Input should be a valid list")
		}
		if e := jsonidx.Each(v, func(j int, d gjson.Result) *apierror.Error {
			if d.Type != gjson.String {
				pp := param + "." + f + "." + strconv.Itoa(j)
				return apierror.Invalid(pp, pp+": Input should be a valid string")
			}
			if j >= gemini.MaxDomains {
				return apierror.Invalid(param+"."+f, param+"."+f+": at most "+strconv.Itoa(gemini.MaxDomains)+" domains are accepted by this gateway")
			}
			lists[k] = append(lists[k], strings.Clone(d.Str))
			return nil
		}); e != nil {
			return e
		}
	}
	if len(lists[0]) > 0 && len(lists[1]) > 0 {
		return apierror.Invalid(param, param+": Cannot specify both allowed_domains and blocked_domains")
	}
	if ts.server == nil {
		ts.server = map[string]bool{}
	}
	ts.server[t.Get("name").String()] = true
	if !search {
		ts.want.URLContext = true
		return nil // the URLs come from the conversation: nothing to tell the model
	}
	ts.want.Search = true
	ts.allowed = append(ts.allowed, lists[0]...)
	ts.blocked = append(ts.blocked, lists[1]...)
	if loc := t.Get("user_location"); loc.IsObject() {
		var parts []string
		for _, f := range [...]string{"city", "region", "country"} {
			if s := loc.Get(f).String(); s != "" {
				parts = append(parts, s)
			}
		}
		if tz := loc.Get("timezone").String(); tz != "" {
			parts = append(parts, "time zone "+tz)
		}
		ts.location = strings.Join(parts, ", ")
	}
	return nil
}

// plan decides what the model gets (gemini.PlanBuiltins): tool_choice
// none sends no tool at all.
func (ts toolSet) plan(model string, choiceNone bool) tools {
	t := tools{toolSet: ts}
	if choiceNone {
		return t
	}
	t.send, t.combine, t.notice = gemini.PlanBuiltins(model, ts.want, len(ts.names) > 0)
	if t.send.Search && len(ts.allowed)+len(ts.blocked) > 0 {
		t.notice = "web_search: allowed_domains and blocked_domains are given to the model as an instruction; Google Search cannot enforce them"
	}
	return t
}

// hint is the system text for the sent search tool's settings.
func (t tools) hint() string {
	if !t.send.Search {
		return ""
	}
	return gemini.SearchHint(t.allowed, t.blocked, t.location)
}

// appendTo writes `,"tools":[…]`: the declarations, then the built-ins.
func (t tools) appendTo(out []byte) []byte {
	opened := len(t.names) > 0
	if opened {
		out = append(out, `,"tools":[{"functionDeclarations":[`...)
		out = append(out, t.decls...)
		out = append(out, "]}"...)
	}
	return gemini.CloseTools(out, opened, t.send)
}

// appendToolConfig maps tool_choice to Gemini's function calling mode: auto,
// any, none to AUTO, ANY, NONE, and tool to ANY restricted to that
// function. disable_parallel_tool_use is
// accepted (type-checked) but has no Gemini knob. Gemini cannot be made to
// search: naming a server tool (Claude Code's web search request may)
// turns function calls off when there are functions, and `any` with only
// server tools leaves the choice to the model.
func appendToolConfig(out []byte, root jsonidx.Object, t tools) ([]byte, *apierror.Error) {
	names := t.names
	choice := root.Get("tool_choice")
	if !choice.Exists() || choice.Type == gjson.Null {
		return gemini.AppendToolConfig(out, "", "", t.combine), nil
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
		switch {
		case t.server[name.Str] && !names[name.Str]:
			mode = "NONE" // the server tool only: no function calls
		case !names[name.Str]:
			return nil, apierror.Invalid("tool_choice.name", "tool_choice.name: tool `"+name.Str+"` is not among the declared tools")
		default:
			mode, allowed = "ANY", string(jsonw.String(nil, name.Str))
		}
	default:
		return nil, apierror.Invalid("tool_choice.type", "tool_choice.type: Input tag '"+typ+"' found using 'type' does not match any of the expected tags: 'auto', 'any', 'tool', 'none'")
	}
	if len(names) == 0 {
		if mode == "ANY" && len(t.server) == 0 {
			return nil, apierror.Invalid("tool_choice", "tool_choice: `"+choice.Get("type").String()+"` requires `tools` to be set")
		}
		// Without declarations Gemini refuses any functionCallingConfig
		// ("Function calling config is set without function_declarations").
		return out, nil
	}
	return gemini.AppendToolConfig(out, mode, allowed, t.combine), nil
}

// appendGenerationConfig writes sampling, limits and thinking, with
// Anthropic's ranges checked so a client gets Anthropic's kind of 400.
// hideThoughts asks for thought summaries the client will see as pings.
func appendGenerationConfig(out []byte, root jsonidx.Object, model string, hideThoughts bool) ([]byte, *apierror.Error) {
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

	if f := root.Get("output_config").Get("format"); f.Exists() && f.Type != gjson.Null {
		// Structured outputs: Gemini takes the same JSON Schema subset as
		// for tool parameters, so the schema is cleaned the same way.
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
func thinkingConfig(root jsonidx.Object, model string, maxTokens int64) (string, *apierror.Error) {
	cfg, e := thinkingFor(root, model, maxTokens)
	if e != nil || !gemini.CanThink(model) {
		return "", e
	}
	return cfg, nil
}

// thinkingFor maps `thinking`: Gemini 2.5 takes a token budget, Gemini 3 a
// level; never both, which Gemini answers with a 400.
func thinkingFor(root jsonidx.Object, model string, maxTokens int64) (string, *apierror.Error) {
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
	pro := gemini.IsPro(model)
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
func effortConfig(root jsonidx.Object, model string) string {
	effort := root.Get("output_config").Get("effort").String()
	pro := gemini.IsPro(model)
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
func intField(obj getter, name string, lo int64) (int64, bool, *apierror.Error) {
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
