package anthropic

import (
	"strings"

	"github.com/gemini-code-api/gemini-code-api/translators/apierror"
	"github.com/gemini-code-api/gemini-code-api/translators/gemini"
	"github.com/gemini-code-api/gemini-code-api/translators/jsonidx"
	"github.com/tidwall/gjson"
)

// toolSet is what a request's `tools` declare: function declarations for
// Gemini, and the server tools (web search, web fetch) Gemini runs as its
// own built-in tools.
type toolSet struct {
	decls  gemini.Declarations
	names  map[string]bool // declared function names; read only once parseTools returns (it may be the cache's)
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

var toolKeys = []string{"type", "name", "input_schema", "description"}

// parseTools reads `tools`: custom tools map to declarations whose
// parametersJsonSchema is cleaned to Gemini's subset (Claude Code's
// schemas carry $schema, const, exclusiveMinimum and propertyNames, which
// Gemini does not take; see docs/gemini-wire-notes.md#schema-subset); the web
// search and web fetch server tools (every dated version) map to Gemini's
// googleSearch and urlContext. Other server tools (bash, text editor, code
// execution, …) have no Gemini equivalent and are refused by name. Tools
// added by `system` messages (late) follow, unless already declared.
func parseTools(cache *gemini.DeclCache, tools gjson.Result, late ...gjson.Result) (toolSet, *apierror.Error) {
	var ts toolSet
	if (!tools.Exists() || tools.Type == gjson.Null) && len(late) == 0 {
		return ts, nil
	}
	if tools.Exists() && tools.Type != gjson.Null && !tools.IsArray() {
		return ts, apierror.Invalid("tools", "tools: Input should be a valid list")
	}
	ts.decls.Cache = cache
	if len(late) == 0 {
		// A list of custom tools seen before (a coding agent's, every
		// turn) is declared as it was then, without reading it.
		if names, ok := gemini.DeclareList[map[string]bool](&ts.decls, tools.Raw); ok {
			ts.names = names
			return ts, nil
		}
	}
	// The declarations take about as many bytes as the tools: one buffer
	// rather than one per doubling.
	ts.decls.Start(make([]byte, 0, len(tools.Raw)+64))
	ts.names = map[string]bool{}
	declare := func(i int, t gjson.Result) *apierror.Error {
		if i >= gemini.MaxTools {
			return fields.TooMany("tools", gemini.MaxTools, "tools")
		}
		at := apierror.Path{Base: "tools", I: i, J: -1, Dots: true} // built for an error only
		if !t.IsObject() {
			param := at.At("")
			return apierror.Invalid(param, param+": Input should be a valid dictionary")
		}
		var v [4]gjson.Result // in one pass (type is mostly absent), the description as the body holds it
		jsonidx.MembersRaw(t, toolKeys, v[:], 1<<3)
		if typ := v[0]; !gemini.Unset(typ) && typ.String() != "custom" {
			return ts.serverTool(t, typ.String(), at.At(""))
		}
		name := v[1]
		if name.Type != gjson.String || name.Str == "" {
			param := at.At(".name")
			return apierror.Invalid(param, param+": Field required")
		}
		schema := v[2]
		if !schema.IsObject() {
			param := at.At(".input_schema")
			return apierror.Invalid(param, param+": Field required")
		}
		ts.names[strings.Clone(name.Str)] = true // copied: kept with the list (KeepList)
		if depth, ok := ts.decls.Declare(name.Str, jsonidx.Text(v[3]), schema); !ok {
			return fields.TooDeep(at.At(".input_schema"), depth)
		}
		return nil
	}
	if e := jsonidx.Each(tools, declare); e != nil {
		return ts, e
	}
	if len(late) == 0 && ts.server == nil {
		// Only custom tools: the declarations are a function of the list,
		// and its names are kept with it.
		ts.decls.KeepList(tools.Raw, ts.names)
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
	if _, _, e := fields.Int(t.Get("max_uses"), param+".max_uses", 1); e != nil {
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
				pp := apierror.Path{Base: param + "." + f, I: j, J: -1, Dots: true}.At("")
				return apierror.Invalid(pp, pp+": Input should be a valid string")
			}
			if j >= gemini.MaxDomains {
				return fields.TooMany(param+"."+f, gemini.MaxDomains, "domains")
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
		ts.location = gemini.Location(loc)
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
func (t *tools) appendTo(out []byte) []byte { return t.decls.AppendTools(out, t.send) }

// appendToolConfig maps tool_choice to Gemini's function calling mode: auto,
// any, none to AUTO, ANY, NONE, and tool to ANY restricted to that
// function. disable_parallel_tool_use is
// accepted (type-checked) but has no Gemini knob. Gemini cannot be made to
// search: naming a server tool (Claude Code's web search request may)
// turns function calls off when there are functions, and `any` with only
// server tools leaves the choice to the model.
func appendToolConfig(out []byte, root jsonidx.Object, t *tools) ([]byte, *apierror.Error) {
	names := t.names
	cfg := gemini.ToolConfig{Combine: t.combine}
	choice := root.Get("tool_choice")
	if gemini.Unset(choice) {
		return t.decls.AppendToolConfig(out, cfg), nil
	}
	if !choice.IsObject() {
		return nil, apierror.Invalid("tool_choice", "tool_choice: Input should be a valid dictionary")
	}
	var dp bool
	if e := fields.Bool(choice.Get("disable_parallel_tool_use"), "tool_choice.disable_parallel_tool_use", &dp); e != nil {
		return nil, e
	}
	switch typ := choice.Get("type").String(); typ {
	case "auto":
		cfg.Mode = "AUTO"
	case "any":
		cfg.Mode = "ANY"
	case "none":
		cfg.Mode = "NONE"
	case "tool":
		name := choice.Get("name")
		if name.Type != gjson.String || name.Str == "" {
			return nil, apierror.Invalid("tool_choice.name", "tool_choice.name: Field required")
		}
		switch {
		case t.server[name.Str] && !names[name.Str]:
			cfg.Mode = "NONE" // the server tool only: no function calls
		case !names[name.Str]:
			return nil, apierror.Invalid("tool_choice.name", "tool_choice.name: tool `"+name.Str+"` is not among the declared tools")
		default:
			cfg.Mode, cfg.Allowed = "ANY", []string{name.Str}
		}
	default:
		return nil, apierror.Invalid("tool_choice.type", "tool_choice.type: Input tag '"+typ+"' found using 'type' does not match any of the expected tags: 'auto', 'any', 'tool', 'none'")
	}
	if len(names) == 0 && cfg.Mode == "ANY" && len(t.server) == 0 {
		return nil, apierror.Invalid("tool_choice", "tool_choice: `"+choice.Get("type").String()+"` requires `tools` to be set")
	}
	// Without declarations nothing is written: Gemini refuses any
	// functionCallingConfig ("Function calling config is set without
	// function_declarations").
	return t.decls.AppendToolConfig(out, cfg), nil
}
